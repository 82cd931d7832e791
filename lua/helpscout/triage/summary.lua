-- helpscout.triage.summary: a customer found by e-mail and their recent conversations, summarised.
--   customer_summary(hs, email, opts)   summary table, or nil, err
-- The only triage module that talks to Help Scout: it pages with the client's iterators.
local text = require "helpscout.triage.text"
local topics = require "helpscout.triage.topics"
local priority = require "helpscout.triage.priority"
local common = require "helpscout.triage.common"
local str, person_name, first_name = common.str, common.person_name, common.first_name
local threads_of, role_of, check_opts = common.threads_of, common.role_of, common.check_opts

local plural, customer_emails, resolve_now, err = common.plural, common.customer_emails, common.resolve_now, common.err
local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local lower, gsub, format = string.lower, string.gsub, string.format
local floor, min, max = math.floor, math.min, math.max
local sort, concat = table.sort, table.concat

local _M = {}

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
    return nil, err("not_found", "no customer with e-mail " .. email)
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
    local p = priority.priority(conv, { now = now, weights = opts.weights })
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


return _M
