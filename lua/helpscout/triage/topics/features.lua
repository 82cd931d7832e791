-- helpscout.triage.topics.features: the tokens of one conversation, split by source.
--   features.read(conv, f, v) -> f
-- f holds the result: token arrays with their counts (f.subject_tokens/f.subject_n, f.cust/
-- f.cust_n, f.agent/f.agent_n, f.note/f.note_n; entries past a count are stale), f.tags (lower-
-- cased names), f.lang (the customer's language, helpscout.triage.lang, or nil) and f.names,
-- where names[stem] == f.mark marks people's names. A caller reading
-- many conversations passes the same f each time with a new f.mark, so the arrays are reused
-- instead of allocated per conversation (make bench: about 15% of group_by_topic's time).
-- v is the run's vocabulary (topics.vocab). Text is cleaned like the transcript's (quoted
-- history removed) and capped per source.
local text = require "helpscout.triage.text"
local common = require "helpscout.triage.common"
local lang = require "helpscout.triage.lang"

local type, ipairs = type, ipairs
local lower, sub = string.lower, string.sub
local threads_of = common.threads_of

local _M = {}

local CUSTOMER_CAP, AGENT_CAP = 2400, 600

local function capped(body, n)
  if #body > n then return sub(body, 1, n) end
  return body
end

-- The threads' text into f.cust / f.agent / f.note (drafts and line items skipped).
local function thread_tokens(conv, f, v)
  local tokens, names, mark = v.tokens, f.names, f.mark
  local cust, agent, note = f.cust, f.agent, f.note
  local cn, an, nn, clen, alen = 0, 0, 0, 0, 0
  local th = threads_of(conv)
  for i = 1, #th do
    local t = th[i]
    if type(t) == "table" and t.type ~= "lineitem" and t.state ~= "draft" then
      local by = t.createdBy
      local bytype = type(by) == "table" and by.type
      -- agents' names appear in customers' text ("Hi Dana"); customers are the conversation's
      if bytype == "user" and by ~= conv.assignee then v.names(by, names, mark) end
      local body = t.body
      if type(body) == "string" and body ~= "" then
        if t.type == "customer" or (bytype == "customer" and t.type ~= "note") then
          if clen < CUSTOMER_CAP then
            local s = text.quick_clean(capped(body, CUSTOMER_CAP * 2))
            clen = clen + #s
            cn = tokens(s, cust, cn)
          end
        elseif t.type == "note" then
          if nn == 0 then nn = tokens(text.quick_clean(capped(body, AGENT_CAP * 2)), note, nn) end
        elseif alen < AGENT_CAP then
          local s = text.quick_clean(capped(body, AGENT_CAP * 2))
          alen = alen + #s
          an = tokens(s, agent, an)
        end
      end
    end
  end
  if cn == 0 and #th == 0 and type(conv.preview) == "string" then cn = tokens(conv.preview, cust, cn) end
  f.cust_n, f.agent_n, f.note_n = cn, an, nn
end

local function tag_names(conv, tags)
  local n = 0
  if type(conv.tags) == "table" then
    for _, tg in ipairs(conv.tags) do
      local name = type(tg) == "table" and (tg.tag or tg.name) or tg
      if type(name) == "string" and name ~= "" then n = n + 1; tags[n] = lower(name) end
    end
  end
  for k = #tags, n + 1, -1 do tags[k] = nil end
end

function _M.read(conv, f, v)
  f.mark = f.mark or true
  f.names = f.names or {}
  f.cust, f.agent, f.note = f.cust or {}, f.agent or {}, f.note or {}
  f.tags, f.subject_tokens = f.tags or {}, f.subject_tokens or {}
  v.names(conv.primaryCustomer, f.names, f.mark)
  v.names(conv.assignee, f.names, f.mark)
  v.names(conv.createdBy, f.names, f.mark)
  thread_tokens(conv, f, v)
  tag_names(conv, f.tags)
  f.subject_n = v.tokens(type(conv.subject) == "string" and conv.subject or "", f.subject_tokens, 0)
  f.lang = lang.detect(f)
  return f
end

return _M
