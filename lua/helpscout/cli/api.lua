-- helpscout.cli.api: commands over the nine API tools, one spec each (see cli/args.lua for the
-- spec's shape). Each run(ctx, opts, pos) returns the exit status.
local triage = require "helpscout.triage"
local text = require "helpscout.triage.text"
local common = require "helpscout.triage.common"
local out = require "helpscout.cli.out"
local args = require "helpscout.cli.args"

local type, ipairs, tonumber = type, ipairs, tonumber
local format, concat, floor = string.format, table.concat, math.floor
local usage_error = args.usage_error
local guard = require "helpscout.tools.guard"

local function person(p) return triage.person_name(p) or "" end

local function tag_names(conv)
  local names = {}
  for _, t in ipairs(type(conv.tags) == "table" and conv.tags or {}) do
    local n = type(t) == "table" and (t.tag or t.name) or t
    if type(n) == "string" then names[#names + 1] = n end
  end
  return concat(names, ",")
end

local function num(conv)
  if conv.number then return "#" .. out.str(conv.number) end
  return out.str(conv.id)
end

local function emails(c) return concat(common.customer_emails(c), ",") end

-- Body text as HTML: given HTML is sent as it is; plain text becomes paragraphs.
local function to_html(s)
  if s:find("<%a") then return s end
  return text.to_html(s)
end

-- One page, or every page: the list as JSON or a table, and a hint when pages were left out.
local function show_list(ctx, items, page, cols, all_pages)
  if ctx.json then ctx:write_json({ items = out.array(items), page = page }); return 0 end
  ctx:write(out.table(items, cols))
  if page and not all_pages and tonumber(page.totalPages) and page.totalPages > 1 then
    ctx:write(format("page %s of %s (%s items); --all for every page", out.str(page.number),
      out.str(page.totalPages), out.str(page.totalElements)))
  end
  return 0
end

local function conv_cols(now)
  return {
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
end

local function cmd_mailboxes(ctx, opts)
  local items, page = ctx:list("list_mailboxes", { page = opts.page }, opts.all)
  return show_list(ctx, items, page, { { "ID", "id", right = true }, { "NAME", "name", max = 40 },
    { "EMAIL", "email", max = 40 } }, opts.all)
end

local function cmd_conversations(ctx, opts)
  local params = { status = opts.status, mailbox = opts.mailbox, tag = opts.tag and concat(opts.tag, ","),
    query = opts.query, assigned_to = opts["assigned-to"], sortField = opts.sort, sortOrder = opts.order,
    page = opts.page }
  local items, page = ctx:list("list_conversations", params, opts.all, opts.limit)
  return show_list(ctx, items, page, conv_cols(os.time()), opts.all or opts.limit)
end

local function cmd_conversation(ctx, _, pos)
  local hs = ctx:client()
  local conv = ctx.check(hs:get_conversation(pos[1], { embed = "threads" }))
  if ctx.json then ctx:write_json(conv); return 0 end
  ctx:write(triage.transcript(conv))
  local p = triage.priority(conv)
  local topic, _, _, confident = triage.classify(conv)
  if topic and not confident then topic = "other (lexicon guess: " .. topic .. ")" end
  local tags = tag_names(conv)
  ctx:write("")
  ctx:write(format("priority %d (%s)%s; topic: %s; tags: %s", p.score, p.level,
    #p.reasons > 0 and (": " .. concat(p.reasons, ", ")) or "", topic or "unknown", tags ~= "" and tags or "none"))
  return 0
end

local function cmd_customers(ctx, opts)
  local query, email = opts.query, opts.email
  if email then
    if query then usage_error("--email and --query cannot be combined", "customers") end
    query = common.email_query(email)
  end
  local params = { query = query, firstName = opts["first-name"], lastName = opts["last-name"],
    mailbox = opts.mailbox, page = opts.page }
  local items, page = ctx:list("list_customers", params, opts.all)
  if email then
    -- the API matches e-mails loosely; keep exact (case-insensitive) matches
    local kept = {}
    for _, c in ipairs(items) do if common.has_email(c, email) then kept[#kept + 1] = c end end
    items = kept
  end
  return show_list(ctx, items, page, { { "ID", "id", right = true }, { "NAME", person, max = 30 },
    { "EMAIL", emails, max = 40 }, { "ORGANIZATION", "organization", max = 30 } }, opts.all)
end

local function cmd_users(ctx, opts)
  local items, page = ctx:list("list_users", { email = opts.email, mailbox = opts.mailbox, page = opts.page },
    opts.all)
  return show_list(ctx, items, page, { { "ID", "id", right = true }, { "NAME", person, max = 30 },
    { "EMAIL", "email", max = 40 }, { "ROLE", "role" } }, opts.all)
end

local function cmd_note(ctx, opts, pos)
  local id = pos[1]
  local tid = ctx.check(ctx:client():add_note(id, { text = to_html(pos[2]), status = opts.status, user = opts.user }))
  if ctx.json then ctx:write_json({ conversation_id = id, thread_id = tid }); return 0 end
  ctx:write(format("note %s added to conversation %s", out.str(tid), out.str(id)))
  return 0
end

local function cmd_tags(ctx, opts, pos)
  local id, tags = pos[1], out.array {}
  for i = 2, #pos do tags[#tags + 1] = pos[i] end
  if #tags == 0 and not opts.clear then
    usage_error("tags needs at least one TAG (or --clear to remove every tag)", "tags")
  end
  if #tags > 0 and opts.clear then usage_error("--clear takes no TAG", "tags") end
  ctx.check(ctx:client():update_tags(id, tags))
  if ctx.json then ctx:write_json({ conversation_id = id, tags = tags }); return 0 end
  ctx:write(format("conversation %s tags: %s", out.str(id), #tags > 0 and concat(tags, ", ") or "(none)"))
  return 0
end

local function customer_ref(conv)
  local pc = conv.primaryCustomer
  if type(pc) == "table" and pc.id then return { id = floor(pc.id) } end
  if type(pc) == "table" and pc.email then return { email = pc.email } end
  return nil
end

local function cmd_reply(ctx, opts, pos)
  local id, body = pos[1], pos[2]
  if opts.draft and opts.send then usage_error("--draft and --send cannot be combined", "reply") end
  if not opts.draft and not opts.send then
    usage_error("refusing to e-mail the customer: pass --draft to save a draft, or --send to send the reply", "reply")
  end
  local hs = ctx:client()
  local conv = ctx.check(hs:get_conversation(id, { embed = "threads" }))
  local cust = customer_ref(conv)
  if not cust then ctx.fail("conversation " .. out.str(id) .. " has no primary customer to reply to") end
  local tid = ctx.check(hs:reply(id, { customer = cust, text = to_html(body), draft = opts.draft and true or nil,
    status = opts.status, user = opts.user }))
  if ctx.json then
    ctx:write_json({ conversation_id = id, thread_id = tid, draft = opts.draft and true or false }); return 0
  end
  ctx:write(format("%s %s added to conversation %s", opts.draft and "draft reply" or "reply (sent)", out.str(tid),
    out.str(id)))
  return 0
end

-- A new conversation obeys the agents' send rule (helpscout.tools.guard.SENDS): its reply thread is
-- e-mailed only with --send AND HELPSCOUT_ALLOW_SEND=yes; --outbound otherwise needs --draft.
local function create_thread(opts)
  if opts.draft and opts.send then usage_error("--draft and --send cannot be combined", "create") end
  if (opts.draft or opts.send) and not opts.outbound then
    usage_error("--draft and --send only apply to --outbound conversations", "create")
  end
  if opts.outbound then
    if not opts.draft and not opts.send then
      usage_error("refusing to e-mail the customer: --outbound needs --draft, or --send with HELPSCOUT_ALLOW_SEND=yes",
        "create")
    end
    return { type = "reply", customer = { email = opts.customer }, text = to_html(opts.text),
      draft = opts.draft or nil }
  end
  return { type = "customer", customer = { email = opts.customer }, text = to_html(opts.text) }
end

local function allow_send(opts)
  if not opts.send then return false end
  local allowed, msg = require("helpscout.mcp.config").switch(os.getenv("HELPSCOUT_ALLOW_SEND"),
    "HELPSCOUT_ALLOW_SEND")
  if msg then usage_error(msg, "create") end
  if not allowed then
    usage_error("--send e-mails the customer: it also needs HELPSCOUT_ALLOW_SEND=yes in the environment", "create")
  end
  return true
end

local function cmd_create(ctx, opts)
  for _, f in ipairs { { "mailbox", "--mailbox ID" }, { "subject", "--subject" }, { "customer", "--customer EMAIL" },
    { "text", "--text" } } do
    if not opts[f[1]] then usage_error("create needs " .. f[2], "create") end
  end
  local body = { mailboxId = opts.mailbox, subject = opts.subject,
    customer = { email = opts.customer, firstName = opts["first-name"], lastName = opts["last-name"] },
    type = opts.type or "email", status = opts.status or "active", threads = out.array { create_thread(opts) },
    tags = opts.tag and out.array(opts.tag), user = opts.user, send = opts.send and true or nil }
  local rule = guard.send_rule("create_conversation", body, { allow_send = allow_send(opts) })
  local cid = ctx.check(ctx:client():create_conversation(body))
  local emailed = rule.send and guard.emails("create_conversation", body)
  if ctx.json then ctx:write_json({ conversation_id = cid, emailed = emailed }); return 0 end
  ctx:write(format("conversation %s created%s", out.str(cid), emailed and " (the reply was e-mailed)" or ""))
  return 0
end

local function cmd_tools(ctx)
  local schema = require("helpscout").schema or {}
  if ctx.json then ctx:write_json(schema); return 0 end
  local rows = {}
  for _, t in ipairs(schema) do
    local names = {}
    for _, a in ipairs(t.args or {}) do names[#names + 1] = a.name end
    for _, p in ipairs(t.params or {}) do names[#names + 1] = p.name end
    rows[#rows + 1] = { name = t.name, access = t.access, http = t.method .. " " .. t.path,
      params = concat(names, " ") }
  end
  ctx:write(out.table(rows, { { "TOOL", "name" }, { "ACCESS", "access" }, { "REQUEST", "http" },
    { "ARGUMENTS", "params", max = 70 } }))
  return 0
end

local ID = { name = "ID", kind = "id", what = "conversation ID" }

return {
  { name = "mailboxes", group = "Tools", summary = "the mailboxes this account can see",
    flags = { "page", "all" }, run = cmd_mailboxes },
  { name = "conversations", group = "Tools", summary = "conversations (one page; --all or --limit for more)",
    flags = { "status", "mailbox", "tag", "query", "assigned-to", "sort", "order", "page", "all",
      { "limit", kind = "id" } },
    run = cmd_conversations },
  { name = "conversation", group = "Tools", summary = "one conversation with its threads, as a clean transcript",
    args = { ID }, run = cmd_conversation },
  { name = "customers", group = "Tools", summary = "customers; --email keeps exact e-mail matches only",
    flags = { "query", "email", "first-name", "last-name", { "mailbox", kind = "int" }, "page", "all" },
    run = cmd_customers },
  { name = "users", group = "Tools", summary = "the account's users",
    flags = { "email", { "mailbox", kind = "int" }, "page", "all" }, run = cmd_users },
  { name = "note", group = "Tools", summary = "add a private note to a conversation",
    args = { ID, { name = "TEXT" } }, flags = { "status", "user" }, run = cmd_note },
  { name = "tags", group = "Tools", syntax = "ID TAG... | tags ID --clear",
    summary = "replace the conversation's tags (Help Scout semantics)",
    args = { ID }, rest = { name = "TAG" }, flags = { "clear" }, run = cmd_tags },
  { name = "reply", group = "Tools", syntax = "ID TEXT --draft | --send",
    summary = "a reply; refuses to e-mail the customer without an explicit --send",
    args = { ID, { name = "TEXT" } }, flags = { "draft", "send", "status", "user" }, run = cmd_reply },
  { name = "create", group = "Tools", syntax = "--mailbox ID --subject S --customer EMAIL --text T",
    summary = "a new conversation (the customer writes first; --outbound --draft for an agent's draft; "
      .. "--outbound --send e-mails it, only with HELPSCOUT_ALLOW_SEND=yes)",
    flags = { { "mailbox", kind = "int" }, "subject", "customer", "text", "type",
      { "status", help = "active, pending or closed" }, "tag", "first-name", "last-name", "outbound",
      { "draft", help = "with --outbound: a draft, nothing e-mailed" },
      { "send", help = "with --outbound: e-mail the reply (needs HELPSCOUT_ALLOW_SEND=yes)" }, "user" },
    run = cmd_create },
  { name = "tools", group = "Tools", summary = "the nine API tools and their parameters", run = cmd_tools },
}
