-- helpscout.triage.summary: a customer found by e-mail and their recent conversations, summarised.
--   customer_summary(hs, email, opts)   summary table, or nil, err
-- The only triage module that talks to Help Scout. It pages with the client's iterators
-- (hs:pages), so every page of the customer search is read and a failure on any page is
-- returned as nil, err, never a silently short summary; only the members triage reads are
-- decoded (triage.fields). Stages: find the customer records, fetch their conversations, order
-- them by activity, one row per conversation, the text. The summary says which language the
-- customer writes in (language: the most frequent triage.language; languages: the counts).
local text = require "helpscout.triage.text"
local topics = require "helpscout.triage.topics"
local lang = require "helpscout.triage.lang"
local priority = require "helpscout.triage.priority"
local common = require "helpscout.triage.common"
local fields = require "helpscout.triage.fields"
local str, person_name, first_name = common.str, common.person_name, common.first_name
local threads_of, role_of, check_opts = common.threads_of, common.role_of, common.check_opts
local plural, customer_emails, resolve_now, err = common.plural, common.customer_emails, common.resolve_now, common.err

local type, pairs, ipairs, tostring, tonumber, pcall, error = type, pairs, ipairs, tostring, tonumber, pcall, error
local getmetatable = getmetatable
local lower, gsub, format = string.lower, string.gsub, string.format
local floor, min, max = math.floor, math.min, math.max
local sort, concat = table.sort, table.concat

local _M = {}

local SUMMARY_OPTS = { limit = true, now = true, lexicon = true, weights = true }
local STATUSES = { "active", "pending", "closed", "spam" }

-- Runs fn(); an error table raised by the client's iterators becomes nil, err (anything else
-- is a bug and raises on).
local function protect(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if type(res) == "table" and (getmetatable(res) or res.kind) then return nil, res end
  error(res, 0)
end

-- Every customer record with exactly this e-mail (case-insensitive), by id.
local function find_customers(hs, email)
  local found = {}
  for items in hs:pages("list_customers", { query = common.email_query(email) }, { fields = fields.customer }) do
    for _, c in ipairs(items) do
      if common.has_email(c, email) then found[#found + 1] = c end
    end
  end
  sort(found, function(a, b) return (tonumber(a.id) or 0) < (tonumber(b.id) or 0) end)
  return found
end

-- Conversations of every record (all statuses, threads embedded), whole pages until each
-- record has given `limit` of them; a conversation is kept once.
local function fetch_conversations(hs, found, limit)
  local convs, seen = {}, {}
  for _, c in ipairs(found) do
    local n = 0
    local params = { status = "all", embed = "threads", query = format("(customerIds:%d)", tonumber(c.id)) }
    for items in hs:pages("list_conversations", params, { fields = fields.conversation }) do
      for _, conv in ipairs(items) do
        if conv.id ~= nil and not seen[conv.id] then
          seen[conv.id] = true; convs[#convs + 1] = conv; n = n + 1
        end
      end
      if n >= limit then break end
    end
  end
  return convs
end

-- The latest customer or agent message (or the customer's wait), else the creation time.
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

local function activity(conv)
  return text.parse_time(conv.userUpdatedAt) or text.parse_time(conv.updatedAt)
    or (type(conv.customerWaitingSince) == "table" and text.parse_time(conv.customerWaitingSince.time))
    or text.parse_time(conv.createdAt) or 0
end

-- The `limit` most recently active conversations, most recent first (ties: higher id first).
local function most_recent(convs, limit)
  local act = {}
  for _, conv in ipairs(convs) do act[conv] = max(activity(conv), last_contact(conv)) end
  sort(convs, function(a, b)
    if act[a] ~= act[b] then return act[a] > act[b] end
    return (tonumber(a.id) or 0) > (tonumber(b.id) or 0)
  end)
  while #convs > limit do convs[#convs] = nil end
  return convs
end

-- The language most of the customer's conversations are in (ties: triage.LANGUAGES order).
local function main_language(counts)
  local best, bn = nil, 0
  for _, code in ipairs(lang.CODES) do
    if (counts[code] or 0) > bn then best, bn = code, counts[code] end
  end
  return best
end

-- One row per conversation; counts by status, topics, open issues (most urgent first), last
-- contact. A topic is the lexicon's when classify() is confident about it, else "other": one
-- conversation has no corpus around it to learn themes from (an ERP question is not "shipping"
-- because the agent mentioned webhook deliveries).
local function digest(convs, opts, now)
  local D = { counts = { active = 0, pending = 0, closed = 0, spam = 0 }, rows = {}, open = {},
    topic_count = {}, topic_label = {}, mailboxes = {}, nmailboxes = 0, languages = {} }
  local classify_opts = opts.lexicon and { lexicon = opts.lexicon } or nil
  for _, conv in ipairs(convs) do
    local st = str(conv.status) or "active"
    D.counts[st] = (D.counts[st] or 0) + 1
    local tid, _, tlabel, confident, language = topics.classify(conv, classify_opts)
    if language then D.languages[language] = (D.languages[language] or 0) + 1 end
    if not confident then tid, tlabel = "other", "Other" end
    D.topic_count[tid] = (D.topic_count[tid] or 0) + 1
    D.topic_label[tid] = tlabel
    local lc = last_contact(conv)
    if not D.last or lc > D.last then D.last = lc end
    local p = priority.priority(conv, { now = now, weights = opts.weights })
    local row = { id = conv.id, number = conv.number, subject = str(conv.subject) or "", status = st,
      topic = tid, language = language, last_contact = lc > 0 and text.format_time(lc) or nil, score = p.score,
      level = p.level, reasons = p.reasons, mailbox_id = conv.mailboxId, waiting = p.waiting }
    D.rows[#D.rows + 1] = row
    if st == "active" or st == "pending" then D.open[#D.open + 1] = row end
    local mb = conv.mailboxId and floor(tonumber(conv.mailboxId) or 0)
    if mb and not D.mailboxes[mb] then D.mailboxes[mb] = true; D.nmailboxes = D.nmailboxes + 1 end
  end
  sort(D.open, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return (tonumber(a.id) or 0) < (tonumber(b.id) or 0)
  end)
  D.topics = {}
  for id, n in pairs(D.topic_count) do
    D.topics[#D.topics + 1] = { topic = id, label = D.topic_label[id], count = n }
  end
  sort(D.topics, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.topic < b.topic
  end)
  D.language = main_language(D.languages)
  return D
end

-- A short text a support lead can read.
local function summary_text(who, D, total, now)
  if total == 0 then return who .. " has no conversations on record." end
  local parts, st = {}, {}
  for _, k in ipairs(STATUSES) do
    if D.counts[k] > 0 then st[#st + 1] = D.counts[k] .. " " .. k end
  end
  parts[1] = format("%s has %s%s (%s)%s.", who, plural(total, "recent conversation"),
    D.nmailboxes > 1 and (" across " .. D.nmailboxes .. " mailboxes") or "", concat(st, ", "),
    D.last and (", last contact " .. text.duration(now - D.last) .. " ago") or "")
  if D.language and D.language ~= "en" then
    parts[#parts + 1] = "Writes in " .. lang.NAMES[D.language] .. "."
  end
  if #D.topics > 0 then
    local tp = {}
    for i = 1, min(3, #D.topics) do tp[i] = lower(D.topics[i].label) .. " (" .. D.topics[i].count .. ")" end
    parts[#parts + 1] = "Mostly about " .. concat(tp, ", ") .. "."
  end
  local o = D.open[1]
  if o then
    parts[#parts + 1] = format("%s open; most pressing: #%s \"%s\" (%s%s).", plural(#D.open, "issue"),
      tostring(o.number and floor(tonumber(o.number) or 0) or o.id), text.cap(o.subject, 60), o.level,
      o.waiting and (", waiting " .. text.duration(o.waiting)) or "")
  else
    parts[#parts + 1] = "Nothing open."
  end
  return concat(parts, " ")
end

local function customer_entry(found, name)
  local c0, emails, ids = found[1], {}, {}
  for i, c in ipairs(found) do
    ids[i] = c.id
    for _, e in ipairs(customer_emails(c)) do emails[#emails + 1] = e end
  end
  return { id = c0.id, ids = ids, name = name, first_name = first_name(c0), emails = emails,
    organization = str(c0.organization), job_title = str(c0.jobTitle), location = str(c0.location),
    created_at = str(c0.createdAt) }
end

local function check_args(hs, email, opts)
  if type(hs) ~= "table" and type(hs) ~= "userdata" then
    error("bad argument #1 to 'customer_summary' (client expected)", 3)
  end
  if type(email) ~= "string" or not email:find("@") then
    error("bad argument #2 to 'customer_summary' (e-mail address expected)", 3)
  end
  opts = check_opts("customer_summary", 3, opts, SUMMARY_OPTS, 4)
  return opts, opts.limit or 20, resolve_now(opts.now, 4), (gsub(email, "^%s*(.-)%s*$", "%1"))
end

function _M.customer_summary(hs, email, opts)
  local limit, now
  opts, limit, now, email = check_args(hs, email, opts)
  local found, e = protect(find_customers, hs, email)
  if not found then return nil, e end
  if #found == 0 then return nil, err("not_found", "no customer with e-mail " .. email) end
  local convs
  convs, e = protect(fetch_conversations, hs, found, limit)
  if not convs then return nil, e end
  convs = most_recent(convs, limit)
  local D = digest(convs, opts, now)
  local c0 = found[1]
  local name = person_name(c0) or email
  local who = name .. (str(c0.organization) and c0.organization ~= "" and (" (" .. c0.organization .. ")") or "")
  return { email = email, customer = customer_entry(found, name), counts = D.counts, total = #convs,
    topics = D.topics, language = D.language, languages = D.languages,
    last_contact = D.last and D.last > 0 and text.format_time(D.last) or nil,
    open_issues = D.open, conversations = D.rows, mailboxes = D.nmailboxes,
    text = summary_text(who, D, #convs, now) }
end

return _M
