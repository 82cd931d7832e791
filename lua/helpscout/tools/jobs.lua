-- helpscout.tools.jobs: the read-only jobs of the agent catalogue, on helpscout.triage.
-- Each job is data: name, title, description, input fields, output fields (both in the field shape
-- of doc/engine.md, turned into JSON Schema by helpscout.tools.schema), `cap` (what the size cap
-- may cut) and run(hs, args, o, api) -> result | nil, err. Jobs suggest; they never write (saving
-- a suggested reply is a `reply` call, which makes a draft by default).
local triage = require "helpscout.triage"
local json = require "helpscout.json"
local guard = require "helpscout.tools.guard"
local shape = require "helpscout.tools.shape"
local U = shape.untrusted

local type, ipairs, pairs, pcall, tostring, min, floor = type, ipairs, pairs, pcall, tostring, math.min, math.floor
local concat = table.concat
local is_error = require("helpscout.core").is_error

local _M = {}
local err = guard.err

local function arr(t) return json.array(t or {}) end

---------------------------------------------------------------------------------------------
-- Pulling conversations (with threads) page by page: progress after each page, cancellation
-- checked between pages, never more than `limit` conversations.

local function pull(hs, params, limit, o)
  local convs = {}
  local ok, e = pcall(function()
    -- only what triage and the slim outputs read is decoded (triage.FIELDS)
    for items, page in hs:pages("list_conversations", params, { fields = triage.FIELDS }) do
      for _, c in ipairs(items) do
        if #convs < limit then convs[#convs + 1] = c end
      end
      local total = min(limit, type(page) == "table" and page.totalElements or #convs)
      if o.progress then o.progress(#convs, total, ("read %d of %d conversations"):format(#convs, total)) end
      if #convs >= limit then break end
      if o.cancelled and o.cancelled() then error(err("invalid", "cancelled"), 0) end
    end
  end)
  if not ok then
    if is_error(e) then return nil, e end
    return nil, err("invalid", tostring(e))
  end
  return convs
end

local function list_params(a, api, o)
  local p = { status = a.status or "active", mailbox = a.mailbox, tag = a.tag, embed = "threads" }
  local ok, e = guard.scope(api.list_conversations, p, o)
  if not ok then return nil, e end
  return p
end

local function one_conversation(hs, id, o)
  local conv, e = hs:get_conversation(id, { embed = "threads" })
  if not conv then return nil, e end
  local ok, e2 = guard.allowed(o, conv.mailboxId)
  if not ok then return nil, e2 end
  return conv
end

---------------------------------------------------------------------------------------------
-- Field tables shared by the jobs

local F = {
  mailbox = { name = "mailbox", type = "integer", description = "only this mailbox (inbox) id" },
  status = { name = "status", type = "string", enum = { "active", "pending", "open" },
    description = "which conversations (default active; open = active + pending)" },
  tag = { name = "tag", type = "string", description = "only conversations with this tag (or CSV of tags)" },
  conversation_id = { name = "conversation_id", type = "integer", minimum = 1, description = "conversation id" },
  reasons = { name = "reasons", type = "array", items = { type = "string" } },
  levels = { name = "levels", type = "object", fields = {
    { name = "urgent", type = "integer" }, { name = "high", type = "integer" },
    { name = "normal", type = "integer" }, { name = "low", type = "integer" } } },
}

local function with(f, extra)
  local c = {}
  for k, v in pairs(f) do c[k] = v end
  for k, v in pairs(extra) do c[k] = v end
  return c
end

---------------------------------------------------------------------------------------------
-- triage_inbox

local ATTENTION_FIELDS = {
  { name = "id", type = "integer", required = true }, { name = "number", type = "integer" },
  { name = "subject", type = "string" }, { name = "status", type = "string" },
  { name = "customer", type = "string" }, { name = "level", type = "string" },
  { name = "score", type = "integer" }, { name = "waiting", type = "integer", description = "seconds" },
  F.reasons, { name = "topic", type = "string" }, { name = "language", type = "string" },
}

local GROUP_FIELDS = {
  { name = "topic", type = "string", required = true }, { name = "label", type = "string" },
  { name = "count", type = "integer" }, { name = "keywords", type = "array", items = { type = "string" } },
  F.levels, { name = "conversation_ids", type = "array", items = { type = "integer" },
    description = "up to 20 ids, most pressing first in `attention`" },
  { name = "top_id", type = "integer", description = "the group's most pressing conversation" },
}

local function project_report(r)
  local out = { total = r.total, generated_at = r.generated_at, levels = r.levels, attention = arr(), groups = arr() }
  for i, a in ipairs(r.attention or {}) do
    out.attention[i] = { id = a.id, number = a.number, subject = U(shape.cap_text(a.subject, 120)),
      status = a.status, customer = U(a.customer), level = a.level, score = a.score and floor(a.score),
      waiting = a.waiting and floor(a.waiting),
      reasons = arr(a.reasons), topic = a.topic_label or a.topic, language = a.language }
  end
  for i, g in ipairs(r.groups or {}) do
    local ids = arr()
    for j = 1, min(20, #(g.conversation_ids or {})) do ids[j] = g.conversation_ids[j] end
    out.groups[i] = { topic = g.topic, label = g.label, count = g.count, keywords = arr(g.keywords),
      levels = g.levels, conversation_ids = ids, top_id = g.top and g.top.id }
  end
  return out
end

local function render_report(r)
  local lv = r.levels or {}
  local out = { ("triage: %d conversations · %d urgent · %d high · %d normal · %d low"):format(r.total or 0,
    lv.urgent or 0, lv.high or 0, lv.normal or 0, lv.low or 0), "needs attention first:" }
  for i, a in ipairs(r.attention) do
    out[#out + 1] = ("%2d. [%s %d] #%s %s — %s — %s (id %s)"):format(i, a.level or "", a.score or 0,
      tostring(a.number), a.subject or "", a.customer or "", concat(a.reasons or {}, "; "), tostring(a.id))
  end
  out[#out + 1] = "by topic:"
  for _, g in ipairs(r.groups) do
    out[#out + 1] = ("  %s (%d): %s — first: id %s"):format(g.label or g.topic, g.count or 0,
      concat(g.keywords or {}, ", "), tostring(g.top_id))
  end
  if r.continuation then out[#out + 1] = "more groups: call again with continuation=" .. r.continuation end
  return concat(out, "\n")
end

local triage_inbox = {
  name = "triage_inbox", title = "Triage an inbox",
  description = "Reads the conversations of an inbox (active by default) and answers what needs attention " ..
    "first (with reasons) and how they group by topic. Read-only.",
  fields = { F.mailbox, F.status, F.tag,
    { name = "limit", type = "integer", minimum = 1, maximum = 1000, default = 200,
      description = "read at most this many conversations (default 200)" },
    { name = "top", type = "integer", minimum = 1, maximum = 50, default = 10,
      description = "how many conversations to list under attention (default 10)" } },
  output = {
    { name = "total", type = "integer", required = true }, { name = "generated_at", type = "string" },
    F.levels,
    { name = "attention", type = "array", required = true, items = { type = "object", fields = ATTENTION_FIELDS } },
    { name = "groups", type = "array", required = true, items = { type = "object", fields = GROUP_FIELDS } },
  },
  cap = "groups",
  render = render_report,
  run = function(hs, a, o, api)
    local p, e = list_params(a, api, o)
    if not p then return nil, e end
    local convs, e2 = pull(hs, p, a.limit or 200, o)
    if not convs then return nil, e2 end
    return project_report(triage.report(convs, { now = o.now, limit = a.top or 10 }))
  end,
}

---------------------------------------------------------------------------------------------
-- suggest_replies

-- A suggestion never repeats what the customer wrote (it could carry instructions for whoever
-- reads the draft): the quoting paragraphs of triage.draft_reply are left out, and a greeting
-- uses the customer's first name only when it looks like a name.
local QUOTING = { '^You asked: "', '^You wrote: "', '^Thanks for getting in touch about "' }

local function plain_name(s)
  return type(s) == "string" and #s <= 40 and not s:find("[%c%p%d]") and s:find("%S") ~= nil
end

local function safe_draft(text)
  local out = {}
  for para in (text .. "\n\n"):gmatch("(.-)\n\n") do
    local quoting = false
    for _, q in ipairs(QUOTING) do if para:find(q) then quoting = true end end
    local first = para:match("^Hi (.+),$")
    if first and not plain_name(first) then para = "Hi there," end
    if para:find(QUOTING[3]) then para = "Thanks for getting in touch." end
    if not quoting or para == "Thanks for getting in touch." then out[#out + 1] = para end
  end
  return concat(out, "\n\n")
end

local function suggestion(conv)
  local text, meta = triage.draft_reply(conv)
  local c = type(meta.customer) == "table" and meta.customer.id
  return { conversation_id = conv.id, number = conv.number, subject = U(shape.cap_text(conv.subject, 120)),
    customer = U(shape.person(conv.primaryCustomer)), customer_id = c or nil, topic = meta.topic,
    question = U(meta.question), text = safe_draft(text) }
end

local suggest_replies = {
  name = "suggest_replies", title = "Suggest replies",
  description = "Drafts a suggested reply for each open conversation (or one conversation). Suggestions " ..
    "only: nothing is saved or sent; pass one to `reply` to save it as a draft.",
  fields = { F.conversation_id, F.mailbox, F.status, F.tag,
    { name = "limit", type = "integer", minimum = 1, maximum = 25, default = 5,
      description = "how many conversations (default 5, newest first)" } },
  output = {
    { name = "drafts", type = "array", required = true, items = { type = "object", fields = {
      { name = "conversation_id", type = "integer", required = true }, { name = "number", type = "integer" },
      { name = "subject", type = "string" }, { name = "customer", type = "string" },
      { name = "customer_id", type = "integer" }, { name = "topic", type = "string" },
      { name = "question", type = "string" }, { name = "text", type = "string", required = true } } } },
  },
  cap = "drafts",
  run = function(hs, a, o, api)
    local convs
    if a.conversation_id then
      local conv, e = one_conversation(hs, a.conversation_id, o)
      if not conv then return nil, e end
      convs = { conv }
    else
      local p, e = list_params(a, api, o)
      if not p then return nil, e end
      local e2
      convs, e2 = pull(hs, p, a.limit or 5, o)
      if not convs then return nil, e2 end
    end
    local out = arr()
    for i, conv in ipairs(convs) do out[i] = suggestion(conv) end
    return { drafts = out }
  end,
}

---------------------------------------------------------------------------------------------
-- customer_summary

local ROW_FIELDS = {
  { name = "id", type = "integer", required = true }, { name = "number", type = "integer" },
  { name = "subject", type = "string" }, { name = "status", type = "string" }, { name = "topic", type = "string" },
  { name = "level", type = "string" }, { name = "score", type = "integer" },
  { name = "last_contact", type = "string" }, F.reasons,
}

local function project_row(r)
  return { id = r.id, number = r.number, subject = U(shape.cap_text(r.subject, 120)), status = r.status,
    topic = r.topic, level = r.level, score = r.score and floor(r.score), last_contact = r.last_contact,
    reasons = arr(r.reasons) }
end

local function project_summary(s)
  local c = s.customer or {}
  local out = { email = s.email, text = U(s.text), total = s.total, last_contact = s.last_contact,
    customer = { id = c.id, name = U(c.name), emails = arr(c.emails), organization = U(c.organization) },
    counts = s.counts, topics = arr(), open_issues = arr(), conversations = arr() }
  for i, t in ipairs(s.topics or {}) do out.topics[i] = { topic = t.topic, label = t.label, count = t.count } end
  for i, r in ipairs(s.open_issues or {}) do out.open_issues[i] = project_row(r) end
  for i, r in ipairs(s.conversations or {}) do out.conversations[i] = project_row(r) end
  return out
end

local customer_summary = {
  name = "customer_summary", title = "Customer summary",
  description = "Finds a customer by e-mail and summarises their recent conversations across mailboxes: " ..
    "counts by status, topics, last contact, open issues. Read-only.",
  fields = { { name = "email", type = "string", required = true, max_length = 320, description = "e-mail address" },
    { name = "limit", type = "integer", minimum = 1, maximum = 50, default = 10,
      description = "how many recent conversations (default 10)" } },
  output = {
    { name = "email", type = "string", required = true }, { name = "text", type = "string", required = true },
    { name = "total", type = "integer" }, { name = "last_contact", type = "string" },
    { name = "customer", type = "object", fields = { { name = "id", type = "integer" },
      { name = "name", type = "string" }, { name = "emails", type = "array", items = { type = "string" } },
      { name = "organization", type = "string" } } },
    { name = "counts", type = "object" },
    { name = "topics", type = "array", items = { type = "object", fields = { { name = "topic", type = "string" },
      { name = "label", type = "string" }, { name = "count", type = "integer" } } } },
    { name = "open_issues", type = "array", items = { type = "object", fields = ROW_FIELDS } },
    { name = "conversations", type = "array", required = true, items = { type = "object", fields = ROW_FIELDS } },
  },
  cap = "conversations",
  run = function(hs, a, o, api)
    if not a.email:find("@") then
      return nil, err("invalid", "email must be an e-mail address", { errors = { { path = "email",
        message = "expected an e-mail address" } } })
    end
    local ok, s, e = pcall(triage.customer_summary, guard.scoped_client(hs, o, api), a.email,
      { limit = a.limit or 10, now = o.now })
    if not ok then return nil, err("invalid", tostring(s)) end
    if not s then return nil, e end
    return project_summary(s)
  end,
}

---------------------------------------------------------------------------------------------
-- conversation_transcript

local conversation_transcript = {
  name = "conversation_transcript", title = "Conversation transcript",
  description = "One conversation as a clean plain-text transcript, oldest first: HTML removed, quoted " ..
    "history and signatures cut, each message attributed. Read-only.",
  fields = { with(F.conversation_id, { required = true }),
    { name = "max_chars", type = "integer", minimum = 100, maximum = 20000, default = 1200,
      description = "cap per message in characters (default 1200)" } },
  output = {
    { name = "conversation", type = "object", required = true, schema = shape.slim_schema("conversation") },
    { name = "transcript", type = "string", required = true },
  },
  cap = "transcript",
  run = function(hs, a, o)
    local conv, e = one_conversation(hs, a.conversation_id, o)
    if not conv then return nil, e end
    return { conversation = shape.slim("conversation", conv),
      transcript = triage.transcript(conv, { max_chars = a.max_chars or 1200 }) }
  end,
}

_M.list = { triage_inbox, suggest_replies, customer_summary, conversation_transcript }

return _M
