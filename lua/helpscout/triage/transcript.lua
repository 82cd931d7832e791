-- helpscout.triage.transcript: a conversation's threads as clean messages and as plain text.
--   messages(conv, opts)     array of {role, author, text, time, created_at, draft, state, id, ...},
--                            oldest first
--   transcript(conv, opts)   the same as readable text (HTML to text, quoted history and
--                            signatures removed)
local text = require "helpscout.triage.text"
local common = require "helpscout.triage.common"
local str, person_name, threads_of, role_of = common.str, common.person_name, common.threads_of, common.role_of
local check_opts, check_conv = common.check_opts, common.check_conv

local type, ipairs, tostring, tonumber = type, ipairs, tostring, tonumber
local gsub, floor = string.gsub, math.floor
local sort, concat = table.sort, table.concat

local _M = {}

local MSG_OPTS = { max_chars = true, drafts = true, events = true, header = true }

-- The body of one thread as text: an event's action text, else the message cleaned (quoted
-- history and signatures removed), with its attachments' names appended.
local function body_text(t, role)
  local body
  if role == "event" then
    body = text.html_to_text(type(t.action) == "table" and str(t.action.text) or str(t.body) or "")
  else
    body = text.clean(t.body)
  end
  local atts = type(t._embedded) == "table" and t._embedded.attachments
  if type(atts) == "table" and #atts > 0 then
    local names = {}
    for _, a in ipairs(atts) do
      if type(a) == "table" then names[#names + 1] = str(a.filename) or str(a.fileName) or "file" end
    end
    if #names > 0 then
      body = body .. (body ~= "" and "\n" or "") .. "[attachments: " .. concat(names, ", ") .. "]"
    end
  end
  return body ~= "" and body or "(no text)"
end

local function author_of(conv, t, role)
  if role == "customer" then
    return person_name(t.customer) or person_name(t.createdBy) or person_name(conv.primaryCustomer) or "customer"
  end
  return person_name(t.createdBy) or (role == "agent" and "agent" or "system")
end

-- Oldest first; ties by thread id, then the API's order (newest first) reversed.
local function by_time(a, b)
  if a.time and b.time and a.time ~= b.time then return a.time < b.time end
  if (a.time == nil) ~= (b.time == nil) then return a.time == nil end
  local ia, ib = tonumber(a.id), tonumber(b.id)
  if ia and ib and ia ~= ib then return ia < ib end
  return a.index > b.index
end

-- Threads as messages, oldest first. opts.drafts: "mark" (default) | "drop" | "keep";
-- opts.events: false (default: line items dropped) | true (kept as one-line events);
-- opts.max_chars: cap per message in code points (default 1200).
function _M.messages(conv, opts)
  check_conv("messages", conv)
  opts = check_opts("messages", 2, opts, MSG_OPTS)
  local cap, drafts = opts.max_chars or 1200, opts.drafts or "mark"
  local list = {}
  local th = threads_of(conv)
  for i = 1, #th do
    local t = th[i]
    local role = type(t) == "table" and role_of(t)
    local is_draft = role and t.state == "draft"
    if role and (role ~= "event" or opts.events) and not (is_draft and drafts == "drop") then
      list[#list + 1] = {
        role = role, author = author_of(conv, t, role), text = text.cap(body_text(t, role), cap),
        draft = is_draft or nil, state = t.state, type = t.type, id = t.id, created_at = str(t.createdAt),
        time = text.parse_time(t.createdAt), index = i,
      }
    end
  end
  sort(list, by_time)
  return list
end

local ROLE_LABEL = { customer = "Customer", agent = "Agent", note = "Note by", event = "Event" }

function _M.transcript(conv, opts)
  check_conv("transcript", conv)
  opts = check_opts("transcript", 2, opts, MSG_OPTS)
  local msgs = _M.messages(conv, { max_chars = opts.max_chars, drafts = opts.drafts, events = opts.events })
  local out = {}
  if opts.header ~= false then
    local head = {}
    if conv.number then head[#head + 1] = "#" .. tostring(floor(tonumber(conv.number) or 0)) end
    head[#head + 1] = str(conv.subject) or "(no subject)"
    out[#out + 1] = concat(head, " ")
    local meta = {}
    if str(conv.status) then meta[#meta + 1] = "status: " .. conv.status end
    local cust = person_name(conv.primaryCustomer)
    if cust then
      local email = type(conv.primaryCustomer) == "table" and str(conv.primaryCustomer.email)
      if email and email ~= cust then cust = cust .. " <" .. email .. ">" end
      meta[#meta + 1] = "customer: " .. cust
    end
    if #meta > 0 then out[#out + 1] = concat(meta, " · ") end
    out[#out + 1] = ""
  end
  if #msgs == 0 then out[#out + 1] = "(no messages)" end
  for i, m in ipairs(msgs) do
    local when = m.time and text.format_time(m.time, " ") or "????-??-?? ??:??"
    local who
    if m.role == "event" then
      out[#out + 1] = "[" .. when .. "] · " .. gsub(m.text, "\n", " ")
    else
      if m.role == "customer" then who = "Customer " .. m.author
      elseif m.role == "note" then who = "Note by " .. m.author
      else who = "Agent " .. m.author end
      if m.draft then who = who .. " [draft]" end
      if m.state == "hidden" then who = who .. " [hidden]" end
      out[#out + 1] = "[" .. when .. "] " .. who .. ":"
      out[#out + 1] = m.text
    end
    if i < #msgs then out[#out + 1] = "" end
  end
  return concat(out, "\n")
end
_M.ROLE_LABEL = ROLE_LABEL

return _M
