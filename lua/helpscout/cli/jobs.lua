-- helpscout.cli.jobs: the three everyday jobs as commands (triage, drafts, customer). The data
-- comes from helpscout.triage (triage.report, draft_reply, customer_summary); this file only
-- fetches and renders it.
local triage = require "helpscout.triage"
local text = require "helpscout.triage.text"
local out = require "helpscout.cli.out"
local args = require "helpscout.cli.args"

local type, ipairs, floor = type, ipairs, math.floor
local format, concat = string.format, table.concat
local usage_error = args.usage_error

local _M = {}

local function resolve_now(opts, cmd)
  if opts.now == nil then return os.time() end
  local t = triage.parse_time(opts.now)
  if not t then usage_error("--now needs an ISO 8601 time, got '" .. opts.now .. "'", cmd) end
  return t
end

local function conv_ref(number, id)
  return number and ("#" .. out.str(number)) or out.str(id)
end

-- Conversations with threads: every page (fetch_all), or the first `limit`. Only the members
-- triage reads are decoded (triage.FIELDS): the report and the drafts read nothing else.
local function fetch_convs(ctx, opts, limit)
  local params = { status = opts.status or "active", mailbox = opts.mailbox,
    tag = opts.tag and concat(opts.tag, ","), embed = "threads" }
  return (ctx:list("list_conversations", params, true, limit, triage.FIELDS))
end

---------------------------------------------------------------------------------------------
-- triage

local function attention_rows(report)
  local rows = {}
  for i, a in ipairs(report.attention) do
    rows[i] = { rank = i, score = a.score, level = a.level, number = conv_ref(a.number, a.id),
      waiting = a.waiting and text.duration(a.waiting) or "-", customer = a.customer,
      subject = a.subject, topic = a.topic_label or a.topic or "", lang = a.language or "-",
      why = concat(a.reasons, "; ") }
  end
  return rows
end

local function group_rows(report)
  local rows = {}
  for i, g in ipairs(report.groups) do
    local lvl = {}
    for _, l in ipairs(triage.LEVELS) do if g.levels[l] > 0 then lvl[#lvl + 1] = g.levels[l] .. " " .. l end end
    rows[i] = { label = g.label, count = g.count, levels = concat(lvl, ", "), keywords = concat(g.keywords, ", "),
      top = g.top and format("%s %s (%d)", conv_ref(g.top.number, g.top.id), g.top.subject or "", g.top.score) or "" }
  end
  return rows
end

-- The report for people: totals, what needs attention first, then the topics.
function _M.format_triage(report)
  local lv = {}
  for _, l in ipairs(triage.LEVELS) do lv[#lv + 1] = report.levels[l] .. " " .. l end
  local lines = { format("Help Scout triage: %d conversations, %s", report.total, report.generated_at),
    "Priority: " .. concat(lv, " · "), "", "Needs attention first" }
  local rows = attention_rows(report)
  lines[#lines + 1] = #rows == 0 and "  (nothing to do)" or out.indent(out.table(rows, {
    { "", "rank", right = true }, { "SCORE", "score", right = true }, { "LEVEL", "level" },
    { "CONV", "number", right = true }, { "WAITING", "waiting", right = true }, { "CUSTOMER", "customer", max = 16 },
    { "SUBJECT", "subject", max = 32 }, { "TOPIC", "topic", max = 18 }, { "LANG", "lang" },
    { "WHY", "why", max = 56 } }))
  lines[#lines + 1] = ""
  lines[#lines + 1] = "By topic"
  local grows = group_rows(report)
  lines[#lines + 1] = #grows == 0 and "  (no conversations)" or out.indent(out.table(grows, {
    { "TOPIC", "label", max = 40 }, { "CONVS", "count", right = true }, { "PRIORITY", "levels", max = 36 },
    { "KEYWORDS", "keywords", max = 36 }, { "FIRST", "top", max = 44 } }))
  return concat(lines, "\n")
end

local function cmd_triage(ctx, opts)
  local now = resolve_now(opts, "triage")
  local convs = fetch_convs(ctx, opts)
  local report = triage.report(convs, { now = now, limit = opts.limit or 10 })
  if ctx.json then ctx:write_json(report); return 0 end
  ctx:write(_M.format_triage(report))
  return 0
end

---------------------------------------------------------------------------------------------
-- drafts

local function draft_of(ctx, conv, save)
  local body, meta = triage.draft_reply(conv)
  local pc = type(conv.primaryCustomer) == "table" and conv.primaryCustomer or {}
  local r = { id = conv.id, number = conv.number, subject = conv.subject or "",
    customer = triage.person_name(pc) or "", email = pc.email, topic = meta.topic, question = meta.question,
    text = body }
  if not save then return r end
  if not meta.customer then r.error = "no customer to address"; return r end
  r.saved_thread_id = ctx.check(ctx:client():reply(floor(conv.id), { customer = meta.customer, text = meta.html,
    draft = true }))
  return r
end

local function print_drafts(ctx, results, saved)
  for i, r in ipairs(results) do
    if i > 1 then ctx:write("") end
    ctx:write(format("=== %s %s", conv_ref(r.number, r.id), r.subject))
    ctx:write(format("To: %s%s · topic: %s", r.customer, r.email and (" <" .. r.email .. ">") or "",
      r.topic or "general"))
    ctx:write("")
    ctx:write(r.text)
    if r.saved_thread_id then ctx:write(format("[saved as draft thread %s; not sent]", out.str(r.saved_thread_id)))
    elseif r.error then ctx:write("[not saved: " .. r.error .. "]") end
  end
  if #results == 0 then ctx:write("No open conversations.") end
  if not saved and #results > 0 then
    ctx:write("")
    ctx:write("(suggestions only: nothing was saved or sent; --save stores them as drafts)")
  end
end

local function cmd_drafts(ctx, opts)
  local limit = opts.limit or 5
  if limit < 1 then usage_error("--limit must be at least 1", "drafts") end
  local convs = fetch_convs(ctx, opts, limit)
  local results = out.array {}
  for i, conv in ipairs(convs) do
    results[i] = draft_of(ctx, conv, opts.save)
    if opts.save then ctx:progress(format("saved %d/%d drafts…", i, #convs)) end
  end
  ctx:progress_done()
  if ctx.json then ctx:write_json({ drafts = results, saved = opts.save and true or false }); return 0 end
  print_drafts(ctx, results, opts.save)
  return 0
end

---------------------------------------------------------------------------------------------
-- customer

local function conv_table(rows, cols)
  local c = { { "CONV", function(r) return conv_ref(r.number, r.id) end, right = true } }
  for _, col in ipairs(cols) do c[#c + 1] = col end
  return out.indent(out.table(rows, c))
end

function _M.format_customer(s)
  local c, extra = s.customer, {}
  if c.organization then extra[#extra + 1] = c.organization end
  if c.location then extra[#extra + 1] = c.location end
  local lines = { format("Customer: %s <%s>%s (id %s)", c.name, s.email,
    #extra > 0 and (", " .. concat(extra, ", ")) or "", out.str(c.id)) }
  if #c.ids > 1 then
    local ids = {}
    for i, id in ipairs(c.ids) do ids[i] = out.str(id) end
    lines[#lines + 1] = "Matching customer records: " .. concat(ids, ", ")
  end
  local st, tp = {}, {}
  for _, k in ipairs { "active", "pending", "closed", "spam" } do st[#st + 1] = k .. " " .. (s.counts[k] or 0) end
  for _, t in ipairs(s.topics) do tp[#tp + 1] = t.label .. " " .. t.count end
  lines[#lines + 1] = ""
  lines[#lines + 1] = s.text
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Conversations: " .. s.total .. " (" .. concat(st, ", ") .. ")"
  if #tp > 0 then lines[#lines + 1] = "Topics: " .. concat(tp, ", ") end
  if s.last_contact then lines[#lines + 1] = "Last contact: " .. s.last_contact end
  if #s.open_issues > 0 then
    lines[#lines + 1] = "\nOpen issues"
    lines[#lines + 1] = conv_table(s.open_issues, { { "STATUS", "status" }, { "LEVEL", "level" },
      { "SCORE", "score", right = true },
      { "WAITING", function(r) return r.waiting and text.duration(r.waiting) or "-" end, right = true },
      { "SUBJECT", "subject", max = 50 } })
  end
  if #s.conversations > 0 then
    lines[#lines + 1] = "\nRecent conversations"
    lines[#lines + 1] = conv_table(s.conversations, { { "STATUS", "status" }, { "TOPIC", "topic" },
      { "LAST CONTACT", "last_contact" }, { "SUBJECT", "subject", max = 50 } })
  end
  return concat(lines, "\n")
end

local function cmd_customer(ctx, opts, pos)
  local s = ctx.check(triage.customer_summary(ctx:client(), pos[1],
    { limit = opts.limit or 20, now = resolve_now(opts, "customer") }))
  if ctx.json then ctx:write_json(s); return 0 end
  ctx:write(_M.format_customer(s))
  return 0
end

_M[1] = { name = "triage", group = "Jobs",
  summary = "active conversations grouped by topic, what needs attention first",
  flags = { "status", "mailbox", "tag", { "limit", help = "length of the attention list (default 10)" }, "now" },
  run = cmd_triage }
_M[2] = { name = "drafts", group = "Jobs",
  summary = "suggested replies for the latest open conversations (never sent; --save stores them as draft threads)",
  flags = { { "limit", help = "how many conversations (default 5)" }, "status", "mailbox", "save", "now" },
  run = cmd_drafts }
_M[3] = { name = "customer", group = "Jobs", args = { { name = "EMAIL", kind = "email" } },
  summary = "find a customer by e-mail and summarise their recent conversations",
  flags = { { "limit", help = "how many recent conversations (default 20)" }, "now" }, run = cmd_customer }

return _M
