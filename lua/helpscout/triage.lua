-- helpscout.triage: pure functions over Help Scout API data (conversations as returned by
-- list_conversations/get_conversation with embed=threads), plus customer_summary which takes a
-- client. Deterministic: every sort has a stable tie-break; "now" is an input, never read from a
-- clock unless the caller leaves it out.
--   transcript(conv, opts)        clean plain-text conversation, oldest first
--   messages(conv, opts)          the same as an array of {role, author, text, time, ...}
--   group_by_topic(convs, opts)   groups {topic, label, keywords, conversations, count, source}
--   priority(conv, opts)          {score 0..100, level, reasons, waiting}
--   rank(convs, opts)             array of {conversation, score, level, reasons, ...}, most urgent first
--   draft_reply(conv, opts)       text, {html, topic, question, customer}
--   customer_summary(hs, email, opts)   summary table, or nil, err
local text = require "helpscout.triage.text"
local topics = require "helpscout.triage.topics"

local type, pairs, ipairs, tostring, tonumber, setmetatable = type, pairs, ipairs, tostring, tonumber, setmetatable
local lower, gsub, find, format, rep = string.lower, string.gsub, string.find, string.format, string.rep
local sub, gmatch = string.sub, string.gmatch
local floor, min, max, log = math.floor, math.min, math.max, math.log
local sort, concat = table.sort, table.concat

local _M = { _VERSION = "0.1.0" }

_M.text = text
_M.parse_time = text.parse_time
_M.format_time = text.format_time
_M.html_to_text = text.html_to_text
_M.group_by_topic = topics.group_by_topic
_M.classify = topics.classify
_M.lexicon = topics.builtin_lexicon

local function check_opts(fname, argn, opts, valid)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(("bad argument #%d to '%s' (table expected, got %s)"):format(argn, fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    if not valid[k] then
      local names = {}
      for n in pairs(valid) do names[#names + 1] = n end
      sort(names)
      error(("bad argument #%d to '%s' (unknown option '%s'; valid: %s)")
        :format(argn, fname, tostring(k), concat(names, ", ")), 3)
    end
  end
  return opts
end

local function check_conv(fname, conv)
  if type(conv) ~= "table" then
    error(("bad argument #1 to '%s' (conversation table expected, got %s)"):format(fname, type(conv)), 3)
  end
end

local function str(v)
  if type(v) == "string" then return v end
  return nil
end

local function person_name(p)
  if type(p) ~= "table" then return nil end
  local first = str(p.first) or str(p.firstName)
  local last = str(p.last) or str(p.lastName)
  local parts = {}
  if first and first ~= "" then parts[#parts + 1] = first end
  if last and last ~= "" then parts[#parts + 1] = last end
  if #parts > 0 then return concat(parts, " ") end
  return str(p.email)
end
_M.person_name = person_name

local function first_name(p)
  if type(p) ~= "table" then return nil end
  local f = str(p.first) or str(p.firstName)
  if f and f ~= "" then return (gsub(f, "^%s*(.-)%s*$", "%1")) end
  return nil
end

local function resolve_now(now)
  if now == nil then return os.time() end
  local t = text.parse_time(now)
  if not t then error("bad option 'now' (epoch seconds or an ISO 8601 time expected)", 3) end
  return t
end

---------------------------------------------------------------------------------------------
-- Transcript

local function threads_of(conv)
  local e = conv._embedded
  local th = type(e) == "table" and e.threads
  if type(th) ~= "table" then return {} end
  return th
end

-- "customer" | "agent" | "note" | "event"
local function role_of(t)
  local ty = t.type
  if ty == "lineitem" then return "event" end
  if ty == "note" then return "note" end
  if ty == "customer" then return "customer" end
  local by = type(t.createdBy) == "table" and t.createdBy.type
  if (ty == "chat" or ty == "beaconchat" or ty == "phone") and by == "customer" then return "customer" end
  if by == "customer" and ty ~= "message" then return "customer" end
  return "agent"
end
_M.role_of = role_of

local MSG_OPTS = { max_chars = true, drafts = true, events = true, header = true }

-- Threads as messages, oldest first. opts.drafts: "mark" (default) | "drop" | "keep";
-- opts.events: false (default: line items dropped) | true (kept as one-line events);
-- opts.max_chars: cap per message in code points (default 1200).
function _M.messages(conv, opts)
  check_conv("messages", conv)
  opts = check_opts("messages", 2, opts, MSG_OPTS)
  local cap = opts.max_chars or 1200
  local drafts = opts.drafts or "mark"
  local list = {}
  local th = threads_of(conv)
  for i = 1, #th do
    local t = th[i]
    if type(t) == "table" then
      local role = role_of(t)
      local is_draft = t.state == "draft"
      local keep = true
      if role == "event" and not opts.events then keep = false end
      if is_draft and drafts == "drop" then keep = false end
      if keep then
        local body
        if role == "event" then
          local a = type(t.action) == "table" and str(t.action.text)
          body = a or str(t.body) or ""
          body = text.html_to_text(body)
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
        if body == "" then body = "(no text)" end
        local author
        if role == "customer" then
          author = person_name(t.customer) or person_name(t.createdBy) or person_name(conv.primaryCustomer)
            or "customer"
        else
          author = person_name(t.createdBy) or (role == "agent" and "agent" or "system")
        end
        list[#list + 1] = {
          role = role, author = author, text = text.cap(body, cap), draft = is_draft or nil,
          state = t.state, type = t.type, id = t.id, created_at = str(t.createdAt),
          time = text.parse_time(t.createdAt), index = i,
        }
      end
    end
  end
  sort(list, function(a, b)
    if a.time and b.time and a.time ~= b.time then return a.time < b.time end
    if (a.time == nil) ~= (b.time == nil) then return a.time == nil end
    local ia, ib = tonumber(a.id), tonumber(b.id)
    if ia and ib and ia ~= ib then return ia < ib end
    return a.index > b.index  -- the API lists threads newest first
  end)
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

---------------------------------------------------------------------------------------------
-- Priority
--
-- priority(conv, opts) -> { score = 0..100, level, reasons, waiting, last_from, status }
-- The score is a sum of points, each with a reason (a few baseline points have none: the
-- customer wrote last - said by "waiting ..." - and status active), clamped to 0..100:
--   waiting        up to 30  how long the customer has waited (customerWaitingSince, else their
--                            latest message), on a log scale that saturates at opts.waiting_full_hours
--                            (default 168 = a week: 1h 4, 4h 9, 1d 19, 3d 25, a week or more 30)
--                            so a 41-day wait and an 8-day wait count the same
--   customer_last  5         the customer wrote last (no reason of its own when "waiting" is there)
--   unassigned     10        active and nobody assigned
--   active         5         status active (pending = waiting on the customer: 0, reason "pending")
--   urgency        up to 30  urgency words in the subject and the unanswered customer messages,
--                            half the weight per distinct word (opts.urgency_words replaces the list)
--   followups      up to 30  customer messages after the first unanswered one (or a "any
--                            update?"-style message), half the weight each
--   vip            25        a VIP tag (opts.vip_tags replaces the set)
--   threads        up to 10  long conversations: from 4 threads, full at 8
-- Closed conversations are capped at 10, spam is 0. opts.weights overrides any of these numbers
-- (same keys). Levels: the first of opts.levels ({ {name, min score}, ... }, highest first)
-- whose minimum the score reaches; the default
--   urgent >= 65  e.g. a VIP waiting for days; chased and unassigned; two urgency words
--   high   >= 52  one strong signal on top of a long wait: chased once, an urgency word, a VIP
--                 waiting a day, or unassigned with a long thread
--   normal >= 35  waiting about 3 days or more (a day when unassigned), nothing else
--   low           fresh, answered, pending or closed
-- calibrated on the sandbox's active inboxes (seeds 42, 7, 1234: about 7% urgent, 16% high,
-- 58% normal, 18% low).

local DEFAULT_WEIGHTS = {
  waiting = 30,
  customer_last = 5,
  unassigned = 10,
  active = 5,
  urgency = 30,
  followups = 30,
  vip = 25,
  threads = 10,
}
_M.DEFAULT_WEIGHTS = DEFAULT_WEIGHTS
local WAITING_FULL_HOURS = 168
local LEVELS = { { "urgent", 65 }, { "high", 52 }, { "normal", 35 }, { "low", 0 } }
_M.DEFAULT_LEVELS = LEVELS

local URGENT_WORDS = { "urgent", "urgently", "asap", "as soon as possible", "immediately", "emergency",
  "critical", "right now", "right away", "outage", "is down", "are down", "production", "deadline",
  "losing money", "losing customers", "lawyer", "legal action", "unacceptable", "furious",
  "chargeback", "dispute", "escalate", "blocked", "cannot work", "can't work", "cant work" }
local FOLLOWUP_WORDS = { "any update", "following up", "follow up", "still waiting", "heard back",
  "no response", "no reply", "haven't heard", "havent heard", "second time", "third time",
  "again", "reminder", "still no" }
local VIP_TAGS = { vip = true, enterprise = true, priority = true, premium = true,
  ["key-account"] = true, ["key account"] = true, important = true, ["high-priority"] = true }

-- Entries of `words` (single words or phrases) found in s on word boundaries. One scan of s marks
-- the words that begin an entry of any list (SEEN[word] = generation of the scan); single words
-- are then looked up directly and phrases are searched only when their first word occurred.
local COMPILED = setmetatable({}, { __mode = "k" })
local SEEN, seen_gen = {}, 0

local function compile_words(words)
  local c = COMPILED[words]
  if c then return c end
  c = {}
  for i, w in ipairs(words) do
    w = lower(w)
    local first = w:match("^[%w']+")
    c[i] = { w = w, first = first, single = first == w }
  end
  COMPILED[words] = c
  return c
end

-- First words of every entry of lists a and b: the set one scan has to notice.
local FIRSTS = setmetatable({}, { __mode = "k" })
local function first_words(a, b)
  local by_b = FIRSTS[a]
  if not by_b then by_b = setmetatable({}, { __mode = "k" }); FIRSTS[a] = by_b end
  local set = by_b[b]
  if set then return set end
  set = {}
  for _, list in ipairs { compile_words(a), compile_words(b) } do
    for i = 1, #list do
      if list[i].first then set[list[i].first] = true end
    end
  end
  by_b[b] = set
  return set
end

-- Marks the words of s that are in `firsts`; returns the generation to test SEEN against.
local function scan_words(s, firsts)
  seen_gen = seen_gen + 1
  local gen = seen_gen
  for w in gmatch(s, "[%w']+") do
    if firsts[w] then SEEN[w] = gen end
  end
  return gen
end

-- Hits of `words` in s after scan_words(s, ...) returned gen: an array, or nil when none.
local function word_hits(s, words, gen)
  local found
  local list = compile_words(words)
  for i = 1, #list do
    local e = list[i]
    local w = e.w
    local hit = false
    if e.single then
      hit = SEEN[w] == gen
    elseif e.first and SEEN[e.first] == gen then
      local a = find(s, w, 1, true)
      while a do
        local before = a > 1 and sub(s, a - 1, a - 1) or " "
        local after = sub(s, a + #w, a + #w)
        if not find(before, "%w") and not find(after, "%w") then hit = true; break end
        a = find(s, w, a + 1, true)
      end
    end
    if hit then
      found = found or {}
      found[#found + 1] = w
    end
  end
  return found
end

-- Facts about who wrote last, from the threads when present, else from the conversation fields:
-- last_role, waiting_since, tail_customer (customer messages since the last agent reply), and
-- ntail, the number of those messages' bodies, left in TAIL[1..ntail]. The per-thread values go
-- to scratch arrays reused from call to call (nothing here is kept).
local R_ROLE, R_TIME, R_ID, R_IDX, R_BODY, TAIL = {}, {}, {}, {}, {}, {}
local scratch_n, tail_n = 0, 0

local function facts_order(n)
  local ord = {}
  for k = 1, n do ord[k] = k end
  sort(ord, function(x, y)
    local a, b = R_TIME[x], R_TIME[y]
    if a and b and a ~= b then return a < b end
    if R_ID[x] ~= R_ID[y] then return R_ID[x] < R_ID[y] end
    return R_IDX[x] > R_IDX[y]
  end)
  return ord
end

local function conversation_facts(conv)
  local th = threads_of(conv)
  local n = 0
  for i = 1, #th do
    local t = th[i]
    if type(t) == "table" and t.state ~= "draft" then
      local role = role_of(t)
      if role == "customer" or role == "agent" then
        n = n + 1
        R_ROLE[n], R_TIME[n], R_ID[n], R_IDX[n], R_BODY[n] =
          role, text.parse_time(t.createdAt), tonumber(t.id) or 0, i, t.body
      end
    end
  end
  for k = n + 1, scratch_n do R_ROLE[k], R_TIME[k], R_BODY[k] = nil, nil, nil end
  scratch_n = n
  -- the API lists threads newest first: reversing is enough unless the times say otherwise
  local ordered = true
  for i = 1, n - 1 do
    local a, b = R_TIME[i], R_TIME[i + 1]
    if not a or not b or a <= b then ordered = false; break end
  end
  local ord = not ordered and facts_order(n) or nil
  local last_role, last_customer_time
  local tail_customer, ntail = 0, 0
  for k = 1, n do
    local j = ord and ord[k] or n + 1 - k
    local time = R_TIME[j]
    if R_ROLE[j] == "customer" then
      tail_customer = tail_customer + 1
      local body = R_BODY[j]
      if body ~= nil then ntail = ntail + 1; TAIL[ntail] = body end
      last_customer_time = time or last_customer_time
    else
      tail_customer = 0
      ntail = 0
    end
    last_role = R_ROLE[j]
  end
  for k = ntail + 1, tail_n do TAIL[k] = nil end
  tail_n = ntail
  local cws = type(conv.customerWaitingSince) == "table" and conv.customerWaitingSince or nil
  local waiting_since = cws and text.parse_time(cws.time)
  if n == 0 then
    -- no threads embedded: infer from the conversation fields
    local updated = text.parse_time(conv.userUpdatedAt)
    if cws and cws.latestReplyFrom then
      last_role = cws.latestReplyFrom == "customer" and "customer" or "agent"
    elseif waiting_since then
      last_role = (not updated or updated <= waiting_since) and "customer" or "agent"
    elseif type(conv.createdBy) == "table" and conv.createdBy.type == "customer" and not updated then
      last_role = "customer"
    end
    if last_role == "customer" then tail_customer = 1 end
  end
  if last_role == "customer" and not waiting_since then
    waiting_since = last_customer_time or text.parse_time(conv.createdAt)
  end
  return last_role, waiting_since, tail_customer, ntail
end

local PRIO_OPTS = { now = true, weights = true, vip_tags = true, urgency_words = true, levels = true,
  waiting_full_hours = true }

local function merge_weights(w)
  if w == nil then return DEFAULT_WEIGHTS end
  if type(w) ~= "table" then error("bad option 'weights' (table expected)", 4) end
  local out = {}
  for k, v in pairs(DEFAULT_WEIGHTS) do out[k] = v end
  for k, v in pairs(w) do
    if DEFAULT_WEIGHTS[k] == nil then
      local names = {}
      for n in pairs(DEFAULT_WEIGHTS) do names[#names + 1] = n end
      sort(names)
      error(("bad option 'weights' (unknown weight '%s'; valid: %s)"):format(tostring(k), concat(names, ", ")), 4)
    end
    if type(v) ~= "number" then error(("bad option 'weights.%s' (number expected)"):format(k), 4) end
    out[k] = v
  end
  return out
end

local function level_of(score, levels)
  for _, l in ipairs(levels or LEVELS) do
    if score >= l[2] then return l[1] end
  end
  return "low"
end

local function plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

local HAY = {} -- scratch: subject and unanswered customer text, joined for the word scan

local function priority(conv, opts, now, weights, vip_tags, urgency_words)
  local full_hours = opts.waiting_full_hours or WAITING_FULL_HOURS
  local score = 0
  local reasons = {}
  local status = str(conv.status) or "active"
  local last_role, waiting_since, tail_customer, ntail = conversation_facts(conv)
  local waiting
  if last_role == "customer" and waiting_since and status ~= "closed" and status ~= "spam" then
    waiting = max(0, now - waiting_since)
    local hours = waiting / 3600
    local pts = weights.waiting * min(1, log(1 + hours) / log(1 + full_hours))
    pts = floor(pts * 10 + 0.5) / 10
    if pts ~= 0 then score = score + pts; reasons[#reasons + 1] = "waiting " .. text.duration(waiting) end
  end
  if last_role == "customer" then
    -- "waiting ..." already says who wrote last
    score = score + weights.customer_last
    if not waiting and weights.customer_last ~= 0 then reasons[#reasons + 1] = "customer replied last" end
  end
  local assignee = conv.assignee
  if status == "active" and (type(assignee) ~= "table" or assignee.id == nil) and weights.unassigned ~= 0 then
    score = score + weights.unassigned
    reasons[#reasons + 1] = "unassigned"
  end
  if status == "active" then
    score = score + weights.active
  elseif status == "pending" then
    reasons[#reasons + 1] = "pending"
  end
  -- urgency words in the subject and the customer's unanswered messages
  HAY[1] = str(conv.subject) or ""
  local nb = ntail
  for i = 1, ntail do HAY[i + 1] = text.unquoted(TAIL[i]) end
  if nb == 0 and #threads_of(conv) == 0 and str(conv.preview) and last_role == "customer" then
    nb = 1
    HAY[2] = conv.preview
  end
  local hay = lower(concat(HAY, "\n", 1, nb + 1))
  for i = 1, nb + 1 do HAY[i] = nil end
  local gen = scan_words(hay, first_words(urgency_words, FOLLOWUP_WORDS))
  local urgent = word_hits(hay, urgency_words, gen)
  if urgent then
    local pts = min(weights.urgency, #urgent * weights.urgency / 2)
    if pts ~= 0 then score = score + pts; reasons[#reasons + 1] = "urgency words: " .. concat(urgent, ", ") end
  end
  local follow = max(0, tail_customer - 1)
  if follow == 0 and nb > 0 and last_role == "customer" and word_hits(hay, FOLLOWUP_WORDS, gen) then
    follow = 1
  end
  if follow > 0 then
    local pts = min(weights.followups, follow * weights.followups / 2)
    if pts ~= 0 then
      score = score + pts
      reasons[#reasons + 1] = plural(follow, "follow-up") .. " without an answer"
    end
  end
  if type(conv.tags) == "table" then
    local vips
    for _, tg in ipairs(conv.tags) do
      local name = type(tg) == "table" and (tg.tag or tg.name) or tg
      if type(name) == "string" and vip_tags[lower(name)] then
        vips = vips or {}
        vips[#vips + 1] = lower(name)
      end
    end
    if vips and weights.vip ~= 0 then
      score = score + weights.vip
      reasons[#reasons + 1] = "VIP tag: " .. concat(vips, ", ")
    end
  end
  local nthreads = tonumber(conv.threads) or tonumber(conv.threadCount) or #threads_of(conv)
  if nthreads >= 4 then
    local pts = floor(weights.threads * min(1, (nthreads - 3) / 5) * 10 + 0.5) / 10
    if pts ~= 0 then score = score + pts; reasons[#reasons + 1] = plural(floor(nthreads), "thread") end
  end
  if status == "closed" then
    score = min(score, 10); reasons[#reasons + 1] = "closed"
  elseif status == "spam" then
    score = 0; reasons = { "spam" }
  end
  score = max(0, min(100, floor(score + 0.5)))
  return { score = score, level = level_of(score, opts.levels), reasons = reasons, waiting = waiting,
    last_from = last_role, status = status }
end

local function prio_setup(fname, opts)
  opts = check_opts(fname, 2, opts, PRIO_OPTS)
  local now = resolve_now(opts.now)
  local weights = merge_weights(opts.weights)
  local vip = VIP_TAGS
  if opts.vip_tags then
    vip = {}
    for k, v in pairs(opts.vip_tags) do
      if type(k) == "number" then vip[lower(v)] = true elseif v then vip[lower(k)] = true end
    end
  end
  local words = opts.urgency_words or URGENT_WORDS
  return opts, now, weights, vip, words
end

function _M.priority(conv, opts)
  check_conv("priority", conv)
  local o, now, weights, vip, words = prio_setup("priority", opts)
  return priority(conv, o, now, weights, vip, words)
end

local RANK_OPTS = { now = true, weights = true, vip_tags = true, urgency_words = true, levels = true,
  waiting_full_hours = true, limit = true }

function _M.rank(convs, opts)
  if type(convs) ~= "table" then error("bad argument #1 to 'rank' (table expected)", 2) end
  opts = check_opts("rank", 2, opts, RANK_OPTS)
  local limit = opts.limit
  local popts = {}
  for k, v in pairs(opts) do if k ~= "limit" then popts[k] = v end end
  local o, now, weights, vip, words = prio_setup("rank", popts)
  local out = {}
  for i, conv in ipairs(convs) do
    if type(conv) ~= "table" then
      error(("bad argument #1 to 'rank' (conversation #%d is a %s)"):format(i, type(conv)), 2)
    end
    local p = priority(conv, o, now, weights, vip, words)
    p.conversation = conv
    p.id = conv.id
    p.nid = tonumber(conv.id) or 0
    out[#out + 1] = p
  end
  sort(out, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    local wa, wb = a.waiting or -1, b.waiting or -1
    if wa ~= wb then return wa > wb end
    return a.nid < b.nid
  end)
  for _, p in ipairs(out) do p.nid = nil end
  if limit and #out > limit then
    for i = #out, limit + 1, -1 do out[i] = nil end
  end
  return out
end

---------------------------------------------------------------------------------------------
-- Reply drafts

local TEMPLATES = {
  billing = {
    ack = "Thanks for reaching out about your billing.",
    next = "I'm reviewing the charges and invoices on your account now and will confirm the " ..
      "details (or send a corrected invoice) as soon as that check is done.",
  },
  refunds = {
    ack = "Thanks for getting in touch about a refund.",
    next = "I'm checking the payment against our refund policy; once it is approved the refund " ..
      "usually shows on your statement within 5-10 business days, and I'll confirm when it is issued.",
  },
  login = {
    ack = "Sorry you're having trouble getting into your account.",
    next = "Could you try the \"Forgot password\" link on the sign-in page and let me know the exact " ..
      "message you see if it still fails? I can also reset the sign-in for you once I've " ..
      "verified the account.",
  },
  bugs = {
    ack = "Thanks for reporting this, and sorry for the trouble it's causing.",
    next = "To reproduce it on our side, could you send the steps you took, the browser or app " ..
      "version, and a screenshot of any error? I'll pass it to our engineers with those details.",
  },
  shipping = {
    ack = "Thanks for checking in about your order.",
    next = "I'm looking up the shipment with the carrier now and will send you the tracking " ..
      "details and the expected delivery date.",
  },
  feature_requests = {
    ack = "Thanks for the suggestion - this kind of feedback really helps us.",
    next = "I've shared it with our product team and added your vote to the request; I'll let " ..
      "you know if it makes it onto the roadmap.",
  },
  cancellations = {
    ack = "Thanks for letting us know, and sorry to see you go.",
    next = "I can take care of the cancellation for you. Before I do, is there anything we could " ..
      "have done better, or would pausing the account help instead?",
  },
  onboarding = {
    ack = "Thanks for reaching out - happy to help you get set up.",
    next = "I'll send you the steps for this along with a link to our getting-started guide; " ..
      "if it's easier, we can also walk through it together on a short call.",
  },
  default = {
    ack = "Thanks for getting in touch.",
    next = "I'm looking into this now and will get back to you with an update shortly.",
  },
}
_M.REPLY_TEMPLATES = TEMPLATES

local function sentences(s)
  local out = {}
  s = gsub(s, "%s+", " ")
  for sent in s:gmatch("[^%.%?!]+[%.%?!]*") do
    sent = gsub(sent, "^%s*(.-)%s*$", "%1")
    if sent ~= "" then out[#out + 1] = sent end
  end
  return out
end

-- The customer's question: the first sentence(s) ending in "?" in their latest message, else its
-- first sentence that is not a greeting.
local function extract_question(body, questions_only)
  if not body or body == "" then return nil end
  local ss = sentences(body)
  local qs = {}
  for _, s in ipairs(ss) do
    if s:find("%?$") and #s > 8 then qs[#qs + 1] = s end
    if #qs == 2 then break end
  end
  if #qs > 0 then return text.cap(concat(qs, " "), 220) end
  if questions_only then return nil end
  for _, s in ipairs(ss) do
    local l = lower(s)
    if not (l:find("^hi%f[%W]") or l:find("^hello") or l:find("^hey") or l:find("^dear")
        or l:find("^thanks") or l:find("^thank you") or #s < 12) then
      return text.cap(s, 220)
    end
  end
  return nil
end

local function html_escape(s)
  return (gsub(s, "[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local DRAFT_OPTS = { topic = true, agent_name = true, signature = true, templates = true, lexicon = true }

function _M.draft_reply(conv, opts)
  check_conv("draft_reply", conv)
  opts = check_opts("draft_reply", 2, opts, DRAFT_OPTS)
  local topic = opts.topic
  if not topic then
    -- An unconfident lexicon guess would put a topic's template (a shipping answer to an ERP
    -- question) in front of the customer: fall back to the neutral template instead.
    local guess, _, _, confident = topics.classify(conv, opts.lexicon and { lexicon = opts.lexicon } or nil)
    if confident then topic = guess end
  end
  local templates = opts.templates or TEMPLATES
  local tpl = templates[topic or "default"] or TEMPLATES[topic or "default"] or templates.default or TEMPLATES.default
  -- the customer's latest message
  local msgs = _M.messages(conv, { drafts = "drop", max_chars = 4000 })
  local last_customer, cust_person
  for i = #msgs, 1, -1 do
    if msgs[i].role == "customer" then last_customer = msgs[i]; break end
  end
  local th = threads_of(conv)
  if last_customer then
    for _, t in ipairs(th) do
      if type(t) == "table" and t.id == last_customer.id then cust_person = t.customer or t.createdBy end
    end
  end
  local first = first_name(conv.primaryCustomer) or first_name(cust_person)
  local greeting = first and ("Hi " .. first .. ",") or "Hi there,"
  local question
  for i = #msgs, 1, -1 do
    if msgs[i].role == "customer" then
      question = extract_question(msgs[i].text, true)
      if question then break end
    end
  end
  local subject0 = str(conv.subject)
  if not question and subject0 and subject0:find("%?%s*$") then question = text.cap(subject0, 220) end
  local wrote
  if not question then
    wrote = extract_question(last_customer and last_customer.text or str(conv.preview))
  end
  local subject = str(conv.subject)
  local paras = { greeting }
  local ack = tpl.ack
  if subject and subject ~= "" and topic == nil then
    ack = "Thanks for getting in touch about \"" .. text.cap(subject, 80) .. "\"."
  end
  paras[#paras + 1] = ack
  if question then
    paras[#paras + 1] = "You asked: \"" .. question .. "\""
  elseif wrote then
    paras[#paras + 1] = "You wrote: \"" .. wrote .. "\""
  end
  paras[#paras + 1] = tpl.next
  local agent = opts.agent_name or first_name(conv.assignee)
  local sign = opts.signature or ("Best regards,\n" .. (agent or "The Support Team"))
  paras[#paras + 1] = sign
  local body = concat(paras, "\n\n")
  local html = {}
  for _, p in ipairs(paras) do html[#html + 1] = "<p>" .. gsub(html_escape(p), "\n", "<br>") .. "</p>" end
  local customer = nil
  if type(conv.primaryCustomer) == "table" and conv.primaryCustomer.id then
    customer = { id = conv.primaryCustomer.id }
  elseif type(cust_person) == "table" and cust_person.id then
    customer = { id = cust_person.id }
  end
  return body, { html = concat(html), topic = topic, question = question, customer = customer,
    conversation_id = conv.id }
end

---------------------------------------------------------------------------------------------
-- Customer summary

local err_mt = { __tostring = function(e)
  return "helpscout: " .. e.kind .. ": " .. e.message
end }

local function mkerr(kind, message)
  return setmetatable({ kind = kind, message = message, retryable = false }, err_mt)
end

local function customer_emails(c)
  local out = {}
  local e = type(c._embedded) == "table" and c._embedded.emails
  if type(e) == "table" then
    for _, v in ipairs(e) do
      if type(v) == "table" and str(v.value) then out[#out + 1] = v.value end
    end
  end
  if str(c.email) then out[#out + 1] = c.email end
  return out
end

local function quote_query(s)
  return (gsub(s, '["\\]', ""))
end

local SUMMARY_OPTS = { limit = true, now = true, lexicon = true, weights = true }

-- Finds the customer(s) whose e-mail is exactly `email` (case-insensitive), their most recent
-- conversations in every mailbox (all statuses), and summarises them. A conversation's topic is
-- the lexicon's when classify() is confident about it, else "other".
function _M.customer_summary(hs, email, opts)
  if type(hs) ~= "table" and type(hs) ~= "userdata" then
    error("bad argument #1 to 'customer_summary' (client expected)", 2)
  end
  if type(email) ~= "string" or not email:find("@") then
    error("bad argument #2 to 'customer_summary' (e-mail address expected)", 2)
  end
  opts = check_opts("customer_summary", 3, opts, SUMMARY_OPTS)
  local limit = opts.limit or 20
  local now = resolve_now(opts.now)
  email = gsub(email, "^%s*(.-)%s*$", "%1")
  local want = lower(email)
  local q = '(email:"' .. quote_query(email) .. '")'
  local found = {}
  local page = 1
  while true do
    local items, pg = hs:list_customers { query = q, page = page }
    if not items then return nil, pg end
    for _, c in ipairs(items) do
      for _, e in ipairs(customer_emails(c)) do
        if lower(e) == want then found[#found + 1] = c; break end
      end
    end
    local total = type(pg) == "table" and tonumber(pg.totalPages) or 1
    if page >= total or page >= 5 then break end
    page = page + 1
  end
  if #found == 0 then
    return nil, mkerr("not_found", "no customer with e-mail " .. email)
  end
  sort(found, function(a, b) return (tonumber(a.id) or 0) < (tonumber(b.id) or 0) end)
  -- conversations of every matching customer record, newest first
  local convs, seen = {}, {}
  for _, c in ipairs(found) do
    local n = 0
    local p = 1
    while n < limit do
      local items, pg = hs:list_conversations { status = "all", query = "(customerIds:" ..
        format("%d", tonumber(c.id)) .. ")", embed = "threads", page = p }
      if not items then return nil, pg end
      for _, conv in ipairs(items) do
        local id = conv.id
        if id ~= nil and not seen[id] then
          seen[id] = true; convs[#convs + 1] = conv; n = n + 1
        end
      end
      local total = type(pg) == "table" and tonumber(pg.totalPages) or 1
      if p >= total or #items == 0 then break end
      p = p + 1
    end
  end
  local function activity(conv)
    return text.parse_time(conv.userUpdatedAt) or text.parse_time(conv.updatedAt)
      or (type(conv.customerWaitingSince) == "table" and text.parse_time(conv.customerWaitingSince.time))
      or text.parse_time(conv.createdAt) or 0
  end
  local function last_contact(conv)
    local best = text.parse_time(conv.createdAt) or 0
    for _, t in ipairs(threads_of(conv)) do
      if type(t) == "table" and role_of(t) ~= "event" and role_of(t) ~= "note" then
        local tt = text.parse_time(t.createdAt)
        if tt and tt > best then best = tt end
      end
    end
    local cws = type(conv.customerWaitingSince) == "table" and text.parse_time(conv.customerWaitingSince.time)
    if cws and cws > best then best = cws end
    return best
  end
  local act = {}
  for _, conv in ipairs(convs) do act[conv] = max(activity(conv), last_contact(conv)) end
  sort(convs, function(a, b)
    if act[a] ~= act[b] then return act[a] > act[b] end
    return (tonumber(a.id) or 0) > (tonumber(b.id) or 0)
  end)
  while #convs > limit do convs[#convs] = nil end

  local counts = { active = 0, pending = 0, closed = 0, spam = 0 }
  local topic_count, topic_label = {}, {}
  local open, rows = {}, {}
  local last
  for _, conv in ipairs(convs) do
    local st = str(conv.status) or "active"
    counts[st] = (counts[st] or 0) + 1
    -- one conversation has no corpus around it to learn themes from: the lexicon's guess is
    -- shown only when it is confident, else "other" (an ERP question is not "shipping" because
    -- the agent mentioned webhook deliveries)
    local tid, _, tlabel, confident = topics.classify(conv, opts.lexicon and { lexicon = opts.lexicon } or nil)
    if not confident then tid, tlabel = "other", "Other" end
    topic_count[tid] = (topic_count[tid] or 0) + 1
    topic_label[tid] = tlabel
    local lc = last_contact(conv)
    if not last or lc > last then last = lc end
    local p = _M.priority(conv, { now = now, weights = opts.weights })
    local row = { id = conv.id, number = conv.number, subject = str(conv.subject) or "", status = st,
      topic = tid, last_contact = lc > 0 and text.format_time(lc) or nil, score = p.score,
      level = p.level, reasons = p.reasons, mailbox_id = conv.mailboxId, waiting = p.waiting }
    rows[#rows + 1] = row
    if st == "active" or st == "pending" then open[#open + 1] = row end
  end
  sort(open, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return (tonumber(a.id) or 0) < (tonumber(b.id) or 0)
  end)
  local tlist = {}
  for id, n in pairs(topic_count) do tlist[#tlist + 1] = { topic = id, label = topic_label[id], count = n } end
  sort(tlist, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.topic < b.topic
  end)
  local c0 = found[1]
  local name = person_name(c0) or email
  local emails = {}
  for _, c in ipairs(found) do
    for _, e in ipairs(customer_emails(c)) do emails[#emails + 1] = e end
  end
  local ids = {}
  for i, c in ipairs(found) do ids[i] = c.id end
  local mailboxes = {}
  for _, conv in ipairs(convs) do
    if conv.mailboxId then mailboxes[floor(tonumber(conv.mailboxId) or 0)] = true end
  end
  local nmb = 0
  for _ in pairs(mailboxes) do nmb = nmb + 1 end

  -- a short text a support lead can read
  local parts = {}
  local who = name .. (str(c0.organization) and c0.organization ~= "" and (" (" .. c0.organization .. ")") or "")
  if #convs == 0 then
    parts[#parts + 1] = who .. " has no conversations on record."
  else
    local st = {}
    for _, k in ipairs { "active", "pending", "closed", "spam" } do
      if counts[k] > 0 then st[#st + 1] = counts[k] .. " " .. k end
    end
    parts[#parts + 1] = format("%s has %s%s (%s)%s.", who, plural(#convs, "recent conversation"),
      nmb > 1 and (" across " .. nmb .. " mailboxes") or "", concat(st, ", "),
      last and (", last contact " .. text.duration(now - last) .. " ago") or "")
    if #tlist > 0 then
      local tp = {}
      for i = 1, min(3, #tlist) do tp[i] = lower(tlist[i].label) .. " (" .. tlist[i].count .. ")" end
      parts[#parts + 1] = "Mostly about " .. concat(tp, ", ") .. "."
    end
    if #open > 0 then
      local o = open[1]
      parts[#parts + 1] = format("%s open; most pressing: #%s \"%s\" (%s%s).", plural(#open, "issue"),
        tostring(o.number and floor(tonumber(o.number) or 0) or o.id), text.cap(o.subject, 60), o.level,
        o.waiting and (", waiting " .. text.duration(o.waiting)) or "")
    else
      parts[#parts + 1] = "Nothing open."
    end
  end
  return {
    email = email,
    customer = { id = c0.id, ids = ids, name = name, first_name = first_name(c0), emails = emails,
      organization = str(c0.organization), job_title = str(c0.jobTitle), location = str(c0.location),
      created_at = str(c0.createdAt) },
    counts = counts,
    total = #convs,
    topics = tlist,
    last_contact = last and last > 0 and text.format_time(last) or nil,
    open_issues = open,
    conversations = rows,
    mailboxes = nmb,
    text = concat(parts, " "),
  }
end

-- Helper shared by the CLI and examples: a bar of width w for a 0..100 score.
function _M.bar(score, w)
  w = w or 10
  local n = floor((score or 0) / 100 * w + 0.5)
  return rep("#", n) .. rep(".", w - n)
end

return _M
