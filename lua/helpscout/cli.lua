-- helpscout.cli: the `helpscout` command (bin/helpscout is a two-line wrapper around main()).
--   cli.main(argv, io_opts?) -> exit status (0 ok, 1 failure, 2 usage error)
-- Tables for people by default, --json for machines. Errors: the error's one-line text on
-- stderr (never a secret: the core's errors carry none). Writes that e-mail a customer need an
-- explicit --send; replies are drafts only with --draft.
local triage = require "helpscout.triage"
local text = require "helpscout.triage.text"

local type, pairs, ipairs, tostring, tonumber, pcall = type, pairs, ipairs, tostring, tonumber, pcall
local setmetatable, getmetatable = setmetatable, getmetatable
local format, concat = string.format, table.concat
local floor, max = math.floor, math.max

local _M = {}

local USAGE = [==[
Usage: helpscout [global options] <command> [options]

Jobs
  triage [--status S] [--mailbox ID] [--limit N] [--now ISO]
                           active conversations grouped by topic, what needs attention first
  drafts [--limit N] [--status S] [--mailbox ID] [--save]
                           suggested replies for the latest open conversations (never sent;
                           --save stores them as draft threads)
  customer EMAIL [--limit N]
                           find a customer by e-mail and summarise their recent conversations

Tools
  mailboxes [--page N] [--all]
  conversations [--status S] [--mailbox ID] [--tag T] [--query Q] [--assigned-to ID]
                [--sort FIELD] [--order asc|desc] [--page N] [--all] [--limit N]
  conversation ID          one conversation with its threads, as a clean transcript
  customers [--query Q] [--email E] [--first-name N] [--last-name N] [--page N] [--all]
  users [--email E] [--mailbox ID] [--page N] [--all]
  note ID TEXT [--status S]
  tags ID TAG... | tags ID --clear
                           replace the conversation's tags (Help Scout semantics)
  reply ID TEXT --draft | --send [--status S]
                           a reply; refuses to e-mail the customer without an explicit --send
  create --mailbox ID --subject S --customer EMAIL --text T [--type email|chat|phone]
         [--status active|pending|closed] [--tag T]... [--first-name N] [--last-name N]
         [--outbound [--draft]]
  tools                    the nine API tools and their parameters

Global options
  --json            machine-readable output
  --base-url URL    API base URL (default: $HELPSCOUT_BASE_URL or https://api.helpscout.net)
  --progress        show paging progress on stderr even when it is not a terminal
  --quiet           never show progress
  -h, --help        this help

Credentials come from HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET.
Exit status: 0 success, 1 failure (the error's one-line text on stderr), 2 usage error.
]==]

-- Flags that take a value, per command ("*" = every command); the rest are booleans.
local VALUE_FLAGS = {
  ["base-url"] = true, status = true, mailbox = true, tag = true, query = true, page = true,
  limit = true, email = true, ["first-name"] = true, ["last-name"] = true, ["assigned-to"] = true,
  sort = true, order = true, subject = true, customer = true, text = true, type = true, now = true,
  user = true,
}
local BOOL_FLAGS = { json = true, help = true, all = true, draft = true, send = true, save = true,
  clear = true, progress = true, quiet = true, outbound = true }
local REPEATABLE = { tag = true }

local COMMAND_FLAGS = {
  triage = { status = 1, mailbox = 1, limit = 1, now = 1, tag = 1 },
  drafts = { limit = 1, status = 1, mailbox = 1, save = 1, now = 1 },
  customer = { limit = 1, now = 1 },
  mailboxes = { page = 1, all = 1 },
  conversations = { status = 1, mailbox = 1, tag = 1, query = 1, ["assigned-to"] = 1, sort = 1,
    order = 1, page = 1, all = 1, limit = 1 },
  conversation = {},
  customers = { query = 1, email = 1, ["first-name"] = 1, ["last-name"] = 1, page = 1, all = 1,
    mailbox = 1 },
  users = { email = 1, mailbox = 1, page = 1, all = 1 },
  note = { status = 1, user = 1 },
  tags = { clear = 1 },
  reply = { draft = 1, send = 1, status = 1, user = 1 },
  create = { mailbox = 1, subject = 1, customer = 1, text = 1, type = 1, status = 1, tag = 1,
    ["first-name"] = 1, ["last-name"] = 1, outbound = 1, draft = 1, user = 1 },
  tools = {},
}
local GLOBAL = { json = 1, help = 1, ["base-url"] = 1, progress = 1, quiet = 1 }

local UsageError = {}

local function usage_error(msg)
  error(setmetatable({ msg = msg }, UsageError), 0)
end

local function parse(argv)
  local opts, pos = {}, {}
  local i = 1
  local n = #argv
  while i <= n do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, n do pos[#pos + 1] = argv[j] end
      break
    elseif a == "-h" then
      opts.help = true
    elseif a:sub(1, 2) == "--" and #a > 2 then
      local name, val = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      if VALUE_FLAGS[name] then
        if val == nil then
          i = i + 1
          val = argv[i]
          if val == nil then usage_error("option --" .. name .. " needs a value") end
        end
        if REPEATABLE[name] then
          opts[name] = opts[name] or {}
          local list = opts[name]
          list[#list + 1] = val
        else
          opts[name] = val
        end
      elseif BOOL_FLAGS[name] then
        if val ~= nil then usage_error("option --" .. name .. " takes no value") end
        opts[name] = true
      else
        usage_error("unknown option --" .. name)
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

local function int_opt(opts, name)
  local v = opts[name]
  if v == nil then return nil end
  if type(v) == "table" then v = v[#v] end
  local n = tonumber(v)
  if not n or n ~= floor(n) then
    usage_error("option --" .. name .. " needs an integer, got '" .. tostring(v) .. "'")
  end
  return floor(n)
end

local function id_arg(s, what)
  local n = tonumber(s)
  if not s or not n or n ~= floor(n) or n <= 0 then
    usage_error((what or "ID") .. " must be a positive integer" .. (s and (", got '" .. s .. "'") or ""))
  end
  return floor(n)
end

local function one(opts, name)
  local v = opts[name]
  if type(v) == "table" then return v[#v] end
  return v
end

---------------------------------------------------------------------------------------------
-- Output helpers

local function ostr(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v == floor(v) and v > -1e15 and v < 1e15 then return format("%d", v) end
    return tostring(v)
  end
  return tostring(v)
end

-- Aligned table; widths in code points; cols = { {title, key|fn, max=, right=} }
local function render_table(rows, cols)
  local widths = {}
  local cells = {}
  for c, col in ipairs(cols) do widths[c] = text.width(col[1]) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for c, col in ipairs(cols) do
      local v = col[2]
      if type(v) == "function" then v = v(row) else v = row[v] end
      v = ostr(v):gsub("[\r\n\t]+", " ")
      if col.max then v = text.cap(v, col.max) end
      cells[r][c] = v
      widths[c] = max(widths[c], text.width(v))
    end
  end
  local out = {}
  local head = {}
  for c, col in ipairs(cols) do head[c] = text.pad(col[1], widths[c], col.right) end
  out[1] = (concat(head, "  "):gsub("%s+$", ""))
  for r = 1, #rows do
    local line = {}
    for c, col in ipairs(cols) do line[c] = text.pad(cells[r][c], widths[c], col.right) end
    out[#out + 1] = (concat(line, "  "):gsub("%s+$", ""))
  end
  return concat(out, "\n")
end
_M.render_table = render_table

local function person(p)
  return triage.person_name(p) or ""
end

local function tag_names(conv)
  local out = {}
  if type(conv.tags) == "table" then
    for _, t in ipairs(conv.tags) do
      local n = type(t) == "table" and (t.tag or t.name) or t
      if type(n) == "string" then out[#out + 1] = n end
    end
  end
  return concat(out, ",")
end

local function num(conv)
  if conv.number then return "#" .. ostr(conv.number) end
  return ostr(conv.id)
end

---------------------------------------------------------------------------------------------
-- Context: client, output, progress

local function new_ctx(opts, io_opts)
  local ctx = { opts = opts, out = io_opts.stdout or io.stdout, err = io_opts.stderr or io.stderr }
  ctx.json = opts.json and true or false
  if opts.quiet then ctx.progress = false
  elseif opts.progress then ctx.progress = true
  else
    local ok = os.execute("[ -t 2 ]")
    ctx.progress = ok == true or ok == 0
  end
  return ctx
end

local function write(ctx, s)
  ctx.out:write(s, "\n")
end

local function progress(ctx, msg)
  if ctx.progress then
    ctx.err:write("\r", msg, "\027[K")
    ctx.err:flush()
    ctx.progress_shown = true
  end
end

local function progress_done(ctx)
  if ctx.progress_shown then
    ctx.err:write("\r\027[K")
    ctx.err:flush()
    ctx.progress_shown = false
  end
end

local function client(ctx)
  if ctx.hs then return ctx.hs end
  local helpscout = require "helpscout"
  local o = { base_url = ctx.opts["base-url"] }
  local id = os.getenv("HELPSCOUT_CLIENT_ID")
  local secret = os.getenv("HELPSCOUT_CLIENT_SECRET")
  if not id or id == "" or not secret or secret == "" then
    error({ failure = "missing credentials: set HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET" }, 0)
  end
  local ok, hs = pcall(helpscout.new, o)
  if not ok then error({ failure = tostring(hs) }, 0) end
  ctx.hs = hs
  return hs
end

-- Raises a failure carrying the API error's one-line text.
local function check(res, err, ...)
  if res == nil then error({ failure = tostring(err) }, 0) end
  return res, err, ...
end

local function json(v)
  local cjson = require "cjson"
  if cjson.encode_escape_forward_slash then pcall(cjson.encode_escape_forward_slash, false) end
  return cjson.encode(v)
end

-- Items of a list tool: one page (--page), or all pages (--all / a limit), with progress.
local function list(ctx, tool, params, want_all, limit)
  local hs = client(ctx)
  if not want_all and not limit then
    return check(hs[tool](hs, params))
  end
  local items, last_page = {}, nil
  local p = 0
  local ok, err = pcall(function()
    for page_items, page in hs:pages(tool, params) do
      p = p + 1
      last_page = page
      for _, it in ipairs(page_items) do
        items[#items + 1] = it
        if limit and #items >= limit then return end
      end
      local total = type(page) == "table" and tonumber(page.totalPages) or nil
      progress(ctx, format("fetched %d/%s pages (%d items)…", p, total and ostr(total) or "?", #items))
    end
  end)
  progress_done(ctx)
  if not ok then
    if type(err) == "table" and err.failure then error(err, 0) end
    error({ failure = tostring(err) }, 0)
  end
  return items, last_page
end

---------------------------------------------------------------------------------------------
-- Commands over the tools

local C = {}

function C.tools(ctx)
  local tools = require("helpscout").schema
  if ctx.json then
    write(ctx, json(tools))
    return 0
  end
  local rows = {}
  for _, t in ipairs(tools) do
    local ps = {}
    for _, p in ipairs(t.params or {}) do ps[#ps + 1] = p.name end
    local names = {}
    for i, a in ipairs(t.args or {}) do names[i] = a.name end
    local args = #names > 0 and (concat(names, ",") .. " ") or ""
    rows[#rows + 1] = { name = t.name, access = t.access, http = t.method .. " " .. t.path,
      params = args .. concat(ps, " ") }
  end
  write(ctx, render_table(rows, { { "TOOL", "name" }, { "ACCESS", "access" }, { "REQUEST", "http" },
    { "ARGUMENTS", "params", max = 70 } }))
  return 0
end

function C.mailboxes(ctx, opts)
  local items, page = list(ctx, "list_mailboxes", { page = int_opt(opts, "page") }, opts.all)
  if ctx.json then write(ctx, json({ items = items, page = page })); return 0 end
  write(ctx, render_table(items, { { "ID", "id", right = true }, { "NAME", "name", max = 40 },
    { "EMAIL", "email", max = 40 } }))
  return 0
end

local function conv_rows(items, now)
  local cols = {
    { "ID", "id", right = true }, { "NUMBER", num, right = true }, { "STATUS", "status" },
    { "CUSTOMER", function(c) return person(c.primaryCustomer) end, max = 24 },
    { "SUBJECT", "subject", max = 48 },
    { "WAITING", function(c)
      local w = type(c.customerWaitingSince) == "table" and triage.parse_time(c.customerWaitingSince.time)
      if w and c.status ~= "closed" then return text.duration(now - w) end
      return ""
    end, right = true },
    { "TAGS", tag_names, max = 24 },
  }
  return render_table(items, cols)
end

function C.conversations(ctx, opts)
  local params = { status = one(opts, "status"), mailbox = one(opts, "mailbox"),
      tag = opts.tag and concat(opts.tag, ","),
    query = one(opts, "query"), assigned_to = int_opt(opts, "assigned-to"), sortField = one(opts, "sort"),
    sortOrder = one(opts, "order"), page = int_opt(opts, "page") }
  local limit = int_opt(opts, "limit")
  local items, page = list(ctx, "list_conversations", params, opts.all, limit)
  if ctx.json then write(ctx, json({ items = items, page = page })); return 0 end
  write(ctx, conv_rows(items, os.time()))
  if page and not opts.all and not limit and tonumber(page.totalPages) and page.totalPages > 1 then
    write(ctx, format("page %s of %s (%s conversations); --all for every page", ostr(page.number),
      ostr(page.totalPages), ostr(page.totalElements)))
  end
  return 0
end

function C.conversation(ctx, _, pos)
  local id = id_arg(pos[1], "conversation ID")
  local hs = client(ctx)
  local conv = check(hs:get_conversation(id, { embed = "threads" }))
  if ctx.json then write(ctx, json(conv)); return 0 end
  write(ctx, triage.transcript(conv))
  local p = triage.priority(conv)
  local topic, _, _, confident = triage.classify(conv)
  if topic and not confident then topic = "other (lexicon guess: " .. topic .. ")" end
  write(ctx, "")
  write(ctx, format("priority %d (%s)%s; topic: %s; tags: %s", p.score, p.level,
    #p.reasons > 0 and (": " .. concat(p.reasons, ", ")) or "", topic or "unknown",
    tag_names(conv) ~= "" and tag_names(conv) or "none"))
  return 0
end

local function customer_emails(c)
  local out = {}
  local e = type(c._embedded) == "table" and c._embedded.emails
  if type(e) == "table" then
    for _, v in ipairs(e) do if type(v) == "table" and v.value then out[#out + 1] = v.value end end
  end
  return out
end

function C.customers(ctx, opts)
  local query = one(opts, "query")
  local email = one(opts, "email")
  if email then
    if query then usage_error("--email and --query cannot be combined") end
    query = '(email:"' .. email:gsub('["\\]', "") .. '")'
  end
  local params = { query = query, firstName = one(opts, "first-name"), lastName = one(opts, "last-name"),
    mailbox = int_opt(opts, "mailbox"), page = int_opt(opts, "page") }
  local items, page = list(ctx, "list_customers", params, opts.all)
  if email then
    -- the API matches e-mails loosely; keep exact (case-insensitive) matches
    local kept = {}
    for _, c in ipairs(items) do
      for _, e in ipairs(customer_emails(c)) do
        if e:lower() == email:lower() then kept[#kept + 1] = c; break end
      end
    end
    items = kept
  end
  if ctx.json then write(ctx, json({ items = items, page = page })); return 0 end
  write(ctx, render_table(items, { { "ID", "id", right = true }, { "NAME", person, max = 30 },
    { "EMAIL", function(c) return concat(customer_emails(c), ",") end, max = 40 },
    { "ORGANIZATION", "organization", max = 30 } }))
  return 0
end

function C.users(ctx, opts)
  local items, page = list(ctx, "list_users", { email = one(opts, "email"), mailbox = int_opt(opts, "mailbox"),
    page = int_opt(opts, "page") }, opts.all)
  if ctx.json then write(ctx, json({ items = items, page = page })); return 0 end
  write(ctx, render_table(items, { { "ID", "id", right = true }, { "NAME", person, max = 30 },
    { "EMAIL", "email", max = 40 }, { "ROLE", "role" } }))
  return 0
end

local function to_html(s)
  if s:find("<%a") then return s end
  local paras = {}
  for p in (s .. "\n\n"):gmatch("(.-)\n\n+") do
    if p ~= "" then
      p = p:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub("\n", "<br>")
      paras[#paras + 1] = "<p>" .. p .. "</p>"
    end
  end
  return concat(paras)
end

function C.note(ctx, opts, pos)
  local id = id_arg(pos[1], "conversation ID")
  local body = pos[2]
  if not body or body == "" then usage_error("note needs TEXT") end
  if #pos > 2 then usage_error("note takes one TEXT argument (quote it)") end
  local hs = client(ctx)
  local tid = check(hs:add_note(id, { text = to_html(body), status = one(opts, "status"), user = int_opt(opts,
      "user") }))
  if ctx.json then write(ctx, json({ conversation_id = id, thread_id = tid })); return 0 end
  write(ctx, format("note %s added to conversation %s", ostr(tid), ostr(id)))
  return 0
end

function C.tags(ctx, opts, pos)
  local id = id_arg(pos[1], "conversation ID")
  local tags = {}
  for i = 2, #pos do tags[#tags + 1] = pos[i] end
  if #tags == 0 and not opts.clear then
    usage_error("tags needs at least one TAG (or --clear to remove every tag)")
  end
  if #tags > 0 and opts.clear then usage_error("--clear takes no TAG") end
  local hs = client(ctx)
  check(hs:update_tags(id, tags))
  if ctx.json then write(ctx, json({ conversation_id = id, tags = tags })); return 0 end
  write(ctx, format("conversation %s tags: %s", ostr(id), #tags > 0 and concat(tags, ", ") or "(none)"))
  return 0
end

local function customer_ref(conv)
  local pc = conv.primaryCustomer
  if type(pc) == "table" and pc.id then return { id = floor(pc.id) } end
  if type(pc) == "table" and pc.email then return { email = pc.email } end
  return nil
end

function C.reply(ctx, opts, pos)
  local id = id_arg(pos[1], "conversation ID")
  local body = pos[2]
  if not body or body == "" then usage_error("reply needs TEXT") end
  if #pos > 2 then usage_error("reply takes one TEXT argument (quote it)") end
  if opts.draft and opts.send then usage_error("--draft and --send cannot be combined") end
  if not opts.draft and not opts.send then
    usage_error("refusing to e-mail the customer: pass --draft to save a draft, or --send to send the reply")
  end
  local hs = client(ctx)
  local conv = check(hs:get_conversation(id, { embed = "threads" }))
  local cust = customer_ref(conv)
  if not cust then error({ failure = "conversation " .. id .. " has no primary customer to reply to" }, 0) end
  local tid = check(hs:reply(id, { customer = cust, text = to_html(body), draft = opts.draft and true or nil,
    status = one(opts, "status"), user = int_opt(opts, "user") }))
  if ctx.json then write(ctx, json({ conversation_id = id, thread_id = tid,
      draft = opts.draft and true or false })); return 0 end
  write(ctx, format("%s %s added to conversation %s", opts.draft and "draft reply" or "reply (sent)", ostr(tid),
      ostr(id)))
  return 0
end

function C.create(ctx, opts, pos)
  if #pos > 0 then usage_error("create takes options only (got '" .. pos[1] .. "')") end
  local mailbox = int_opt(opts, "mailbox")
  local subject, email, body = one(opts, "subject"), one(opts, "customer"), one(opts, "text")
  if not mailbox then usage_error("create needs --mailbox ID") end
  if not subject then usage_error("create needs --subject") end
  if not email then usage_error("create needs --customer EMAIL") end
  if not body then usage_error("create needs --text") end
  if opts.draft and not opts.outbound then usage_error("--draft only applies to --outbound conversations") end
  local customer = { email = email, firstName = one(opts, "first-name"), lastName = one(opts, "last-name") }
  local thread
  if opts.outbound then
    -- an agent writes first; Help Scout e-mails it unless it is a draft
    if not opts.draft then
      usage_error("refusing to e-mail the customer: --outbound needs --draft (a reply thread is sent otherwise)")
    end
    thread = { type = "reply", customer = { email = email }, text = to_html(body), draft = true }
  else
    thread = { type = "customer", customer = { email = email }, text = to_html(body) }
  end
  local hs = client(ctx)
  local cid = check(hs:create_conversation { mailboxId = mailbox, subject = subject, customer = customer,
    type = one(opts, "type") or "email", status = one(opts, "status") or "active", threads = { thread },
    tags = opts.tag, user = int_opt(opts, "user") })
  if ctx.json then write(ctx, json({ conversation_id = cid })); return 0 end
  write(ctx, format("conversation %s created", ostr(cid)))
  return 0
end

---------------------------------------------------------------------------------------------
-- The three jobs

local function resolve_now(opts)
  local n = one(opts, "now")
  if n == nil then return os.time() end
  local t = triage.parse_time(n)
  if not t then usage_error("--now needs an ISO 8601 time, got '" .. n .. "'") end
  return t
end

local function fetch_convs(ctx, opts, default_limit)
  local params = { status = one(opts, "status") or "active", mailbox = one(opts, "mailbox"),
    tag = opts.tag and concat(opts.tag, ","), embed = "threads" }
  return list(ctx, "list_conversations", params, true, default_limit)
end

local LEVEL_ORDER = triage.LEVELS

function _M.format_triage(report)
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(format("Help Scout triage: %d conversations, %s", report.total, report.generated_at))
  local lv = {}
  for _, l in ipairs(LEVEL_ORDER) do lv[#lv + 1] = report.levels[l] .. " " .. l end
  add("Priority: " .. concat(lv, " · "))
  add("")
  add("Needs attention first")
  local rows = {}
  for i, a in ipairs(report.attention) do
    rows[i] = { rank = i, score = a.score, level = a.level, number = a.number and ("#" .. ostr(a.number)) or ostr(a.id),
      waiting = a.waiting and text.duration(a.waiting) or "-", customer = a.customer,
      subject = a.subject, topic = a.topic_label or a.topic or "", why = concat(a.reasons, "; ") }
  end
  if #rows == 0 then add("  (nothing to do)") else
    local t = render_table(rows, { { "", "rank", right = true }, { "SCORE", "score", right = true },
      { "LEVEL", "level" }, { "CONV", "number", right = true }, { "WAITING", "waiting", right = true },
      { "CUSTOMER", "customer", max = 16 }, { "SUBJECT", "subject", max = 32 }, { "TOPIC", "topic", max = 18 },
      { "WHY", "why", max = 56 } })
    for line in t:gmatch("[^\n]+") do add("  " .. line) end
  end
  add("")
  add("By topic")
  local grows = {}
  for i, g in ipairs(report.groups) do
    local lvl = {}
    for _, l in ipairs(LEVEL_ORDER) do if g.levels[l] > 0 then lvl[#lvl + 1] = g.levels[l] .. " " .. l end end
    grows[i] = { label = g.label, count = g.count, levels = concat(lvl, ", "), keywords = concat(g.keywords, ", "),
      top = g.top and format("%s %s (%d)", g.top.number and ("#" .. ostr(g.top.number)) or ostr(g.top.id),
        g.top.subject or "", g.top.score) or "" }
  end
  if #grows == 0 then add("  (no conversations)") else
    local t = render_table(grows, { { "TOPIC", "label", max = 40 }, { "CONVS", "count", right = true },
      { "PRIORITY", "levels", max = 36 }, { "KEYWORDS", "keywords", max = 36 }, { "FIRST", "top", max = 44 } })
    for line in t:gmatch("[^\n]+") do add("  " .. line) end
  end
  return concat(out, "\n")
end

function C.triage(ctx, opts)
  local now = resolve_now(opts)
  local convs = fetch_convs(ctx, opts)
  local report = triage.report(convs, { now = now, limit = int_opt(opts, "limit") or 10 })
  if ctx.json then write(ctx, json(report)); return 0 end
  write(ctx, _M.format_triage(report))
  return 0
end

function C.drafts(ctx, opts)
  local limit = int_opt(opts, "limit") or 5
  if limit < 1 then usage_error("--limit must be at least 1") end
  local convs = fetch_convs(ctx, opts, limit)
  local hs = ctx.hs
  local results = {}
  for i, conv in ipairs(convs) do
    local body, meta = triage.draft_reply(conv)
    local r = { id = conv.id, number = conv.number, subject = conv.subject or "",
        customer = person(conv.primaryCustomer),
      email = type(conv.primaryCustomer) == "table" and conv.primaryCustomer.email or nil,
      topic = meta.topic, question = meta.question, text = body }
    if opts.save then
      if not meta.customer then
        r.error = "no customer to address"
      else
        local tid, err = hs:reply(floor(conv.id), { customer = meta.customer, text = meta.html, draft = true })
        if not tid then error({ failure = tostring(err) }, 0) end
        r.saved_thread_id = tid
      end
      progress(ctx, format("saved %d/%d drafts…", i, #convs))
    end
    results[#results + 1] = r
  end
  progress_done(ctx)
  if ctx.json then write(ctx, json({ drafts = results, saved = opts.save and true or false })); return 0 end
  for i, r in ipairs(results) do
    if i > 1 then write(ctx, "") end
    write(ctx, format("=== %s %s", r.number and ("#" .. ostr(r.number)) or ostr(r.id), r.subject))
    write(ctx, format("To: %s%s · topic: %s", r.customer, r.email and (" <" .. r.email .. ">") or "",
        r.topic or "general"))
    write(ctx, "")
    write(ctx, r.text)
    if r.saved_thread_id then write(ctx, format("[saved as draft thread %s; not sent]", ostr(r.saved_thread_id)))
    elseif r.error then write(ctx, "[not saved: " .. r.error .. "]") end
  end
  if #results == 0 then write(ctx, "No open conversations.") end
  if not opts.save and #results > 0 then
    write(ctx, "")
    write(ctx, "(suggestions only: nothing was saved or sent; --save stores them as drafts)")
  end
  return 0
end

function _M.format_customer(s)
  local out = {}
  local function add(x) out[#out + 1] = x end
  local c = s.customer
  local extra = {}
  if c.organization then extra[#extra + 1] = c.organization end
  if c.location then extra[#extra + 1] = c.location end
  add(format("Customer: %s <%s>%s (id %s)", c.name, s.email, #extra > 0 and (", " .. concat(extra, ", ")) or "",
    ostr(c.id)))
  if #c.ids > 1 then
    local ids = {}
    for i, id in ipairs(c.ids) do ids[i] = ostr(id) end
    add("Matching customer records: " .. concat(ids, ", "))
  end
  add("")
  add(s.text)
  add("")
  local st = {}
  for _, k in ipairs { "active", "pending", "closed", "spam" } do st[#st + 1] = k .. " " .. (s.counts[k] or 0) end
  add("Conversations: " .. s.total .. " (" .. concat(st, ", ") .. ")")
  local tp = {}
  for _, t in ipairs(s.topics) do tp[#tp + 1] = t.label .. " " .. t.count end
  if #tp > 0 then add("Topics: " .. concat(tp, ", ")) end
  if s.last_contact then add("Last contact: " .. s.last_contact) end
  if #s.open_issues > 0 then
    add("")
    add("Open issues")
    local t = render_table(s.open_issues, { { "CONV",
        function(r) return r.number and ("#" .. ostr(r.number)) or ostr(r.id) end, right = true },
      { "STATUS", "status" }, { "LEVEL", "level" }, { "SCORE", "score", right = true },
      { "WAITING", function(r) return r.waiting and text.duration(r.waiting) or "-" end, right = true },
      { "SUBJECT", "subject", max = 50 } })
    for line in t:gmatch("[^\n]+") do add("  " .. line) end
  end
  if #s.conversations > 0 then
    add("")
    add("Recent conversations")
    local t = render_table(s.conversations, { { "CONV",
        function(r) return r.number and ("#" .. ostr(r.number)) or ostr(r.id) end, right = true },
      { "STATUS", "status" }, { "TOPIC", "topic" }, { "LAST CONTACT", "last_contact" }, { "SUBJECT", "subject",
          max = 50 } })
    for line in t:gmatch("[^\n]+") do add("  " .. line) end
  end
  return concat(out, "\n")
end

function C.customer(ctx, opts, pos)
  local email = pos[1]
  if not email or not email:find("@", 1, true) then usage_error("customer needs an EMAIL address") end
  if #pos > 1 then usage_error("customer takes one EMAIL") end
  local hs = client(ctx)
  local s = check(triage.customer_summary(hs, email, { limit = int_opt(opts, "limit") or 20, now = resolve_now(opts) }))
  if ctx.json then write(ctx, json(s)); return 0 end
  write(ctx, _M.format_customer(s))
  return 0
end

---------------------------------------------------------------------------------------------

local POSITIONAL = { conversation = 1, note = 2, reply = 2, customer = 1 }

function _M.main(argv, io_opts)
  io_opts = io_opts or {}
  local stderr = io_opts.stderr or io.stderr
  local stdout = io_opts.stdout or io.stdout
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local ok, res = pcall(function()
    local opts, pos = parse(args)
    local cmd = table.remove(pos, 1)
    if opts.help or cmd == "help" then
      stdout:write(USAGE)
      return 0
    end
    if not cmd then usage_error("no command given") end
    local fn = C[cmd]
    if not fn then usage_error("unknown command '" .. cmd .. "'") end
    local allowed = COMMAND_FLAGS[cmd]
    for name in pairs(opts) do
      if not GLOBAL[name] and not allowed[name] then
        usage_error("option --" .. name .. " does not apply to '" .. cmd .. "'")
      end
    end
    if POSITIONAL[cmd] and #pos > POSITIONAL[cmd] and cmd ~= "note" and cmd ~= "reply" then
      usage_error("too many arguments for '" .. cmd .. "'")
    end
    if not POSITIONAL[cmd] and cmd ~= "tags" and #pos > 0 and cmd ~= "create" then
      usage_error("'" .. cmd .. "' takes no argument '" .. pos[1] .. "'")
    end
    local ctx = new_ctx(opts, io_opts)
    local rc = fn(ctx, opts, pos)
    stdout:flush()
    return rc
  end)
  if ok then return res or 0 end
  if type(res) == "table" and getmetatable(res) == UsageError then
    stderr:write("helpscout: ", res.msg, "\nTry 'helpscout --help'.\n")
    return 2
  end
  if type(res) == "table" and res.failure then
    local msg = res.failure:gsub("[\r\n]+", " ")
    if not msg:find("^helpscout:") then msg = "helpscout: " .. msg end
    stderr:write(msg, "\n")
    return 1
  end
  -- a Lua error (bad argument caught by the core, bug): one line, exit 1
  local msg = tostring(res):gsub("[\r\n]+", " ")
  stderr:write("helpscout: ", msg, "\n")
  return 1
end

_M.USAGE = USAGE
_M.parse = parse
return _M
