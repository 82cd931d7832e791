-- helpscout.triage.priority: how urgently a conversation needs an agent.
--   priority(conv, opts)   {score 0..100, level, reasons, waiting, last_from, status}
--   rank(convs, opts)      array of {conversation, id, score, level, reasons, ...}, most urgent first
local text = require "helpscout.triage.text"
local common = require "helpscout.triage.common"
local str, person_name, threads_of, role_of = common.str, common.person_name, common.threads_of, common.role_of
local check_opts, check_conv = common.check_opts, common.check_conv

local plural = common.plural

local type, pairs, ipairs, tostring, tonumber, setmetatable = type, pairs, ipairs, tostring, tonumber, setmetatable
local lower, find, sub, gmatch = string.lower, string.find, string.sub, string.gmatch
local floor, min, max, log = math.floor, math.min, math.max, math.log
local sort, concat = table.sort, table.concat

local _M = {}

_M.person_name = person_name
local resolve_now = common.resolve_now
_M.resolve_now = resolve_now

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

return _M
