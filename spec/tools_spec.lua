-- helpscout.tools: the catalogue derived from core.schema, and the dispatcher's safety rules,
-- shapes and size cap, against the sandbox (a separate process; its request log is the witness
-- of what was, or was not, sent).
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local core = require "helpscout.core"
local tools = require "helpscout.tools"
local json = require "helpscout.json"

local sb, hs

local function client()
  return helpscout.new { base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret }
end

local function api_log(filter)
  local out = {}
  for _, r in ipairs(sb:log(filter)) do
    if not r.path:find("oauth2", 1, true) then out[#out + 1] = r end
  end
  return out
end

local function by_name(list)
  local t = {}
  for _, x in ipairs(list) do t[x.name] = x end
  return t
end

-- a conversation of the given mailbox
local function conversation_in(mailbox)
  local r = assert(tools.call(hs, "list_conversations", { mailbox = mailbox, status = "active" }))
  return r.items[1]
end

setup(function()
  sb = sandbox.start()
  hs = client()
end)

teardown(function()
  if hs then hs:close() end
  if sb then sb:stop() end
end)

describe("tools.list", function()
  local list = by_name(tools.list())

  it("has the nine API tools of core.schema and the four jobs", function()
    for _, spec in ipairs(core.schema) do assert.truthy(list[spec.name], spec.name) end
    for _, j in ipairs { "triage_inbox", "suggest_replies", "customer_summary", "conversation_transcript" } do
      assert.truthy(list[j], j)
    end
    assert.equal(13, #tools.list())
  end)

  it("derives flat input schemas from the engine's table: every parameter and body field, 2020-12", function()
    for _, spec in ipairs(core.schema) do
      local s = list[spec.name].inputSchema
      assert.equal("https://json-schema.org/draft/2020-12/schema", s["$schema"])
      assert.equal("object", s.type)
      assert.is_false(s.additionalProperties)
      for _, p in ipairs(spec.params or {}) do
        local ps = s.properties[p.name]
        assert.truthy(ps, spec.name .. "." .. p.name)
        if p.enum then assert.same(p.enum, ps.enum) end
        if p.format then assert.equal(p.format, ps.format) end
        if not p.csv then assert.equal(p.type, ps.type) end
      end
      for _, a in ipairs(spec.args or {}) do
        for _, f in ipairs(a.fields or { a }) do
          if not (spec.name == "reply" and f.name == "draft") then
            assert.truthy(s.properties[f.name], spec.name .. "." .. f.name)
          end
        end
      end
    end
    local reply = list.reply.inputSchema
    assert.is_nil(reply.properties.draft)
    assert.equal("boolean", reply.properties.send.type)
    assert.same({ "conversation_id", "text" }, reply.required)
  end)

  it("keeps nested objects, enums, formats and non-empty arrays", function()
    local create = list.create_conversation.inputSchema.properties
    local thread = create.threads.items
    assert.equal(1, create.threads.minItems)
    assert.same({ "customer", "reply", "note", "chat", "phone" }, thread.properties.type.enum)
    assert.same({ "text", "type" }, thread.required)
    assert.equal("integer", create.customer.properties.id.type)
    assert.equal("date-time", create.createdAt.format)
    assert.same({ "integer", "null" }, create.assignTo.type)
  end)

  it("sets annotations truthfully, and hides write tools under read_only", function()
    assert.is_true(list.list_users.annotations.readOnlyHint)
    assert.is_false(list.add_note.annotations.readOnlyHint)
    assert.is_true(list.update_tags.annotations.destructiveHint)
    assert.is_true(list.update_tags.annotations.idempotentHint)
    assert.is_false(list.reply.annotations.destructiveHint)
    assert.is_true(by_name(tools.list { allow_send = true }).reply.annotations.destructiveHint)
    local ro = by_name(tools.list { read_only = true })
    for _, w in ipairs { "add_note", "update_tags", "reply", "create_conversation" } do assert.is_nil(ro[w]) end
    assert.truthy(ro.triage_inbox)
  end)

  it("gives every tool an outputSchema that admits the error shape", function()
    for _, t in ipairs(tools.list()) do
      local s = t.outputSchema
      assert.equal("object", s.type)
      assert.same({ "error" }, s["$defs"].error.required)
      assert.equal("#/$defs/error", s.anyOf[#s.anyOf]["$ref"])
    end
  end)

  it("raises on bad catalogue options (a programmer error)", function()
    assert.has_error(function() tools.new { bogus = true } end)
    assert.has_error(function() tools.new { mailboxes = "48x" } end)
    assert.has_error(function() tools.new { max_output = 10 } end)
  end)
end)

describe("tools.call", function()
  before_each(function() sb:clear_log() end)

  it("lists 25 conversations as slim objects in at most 12 KB", function()
    local r = assert(tools.call(hs, "list_conversations", { status = "active" }))
    assert.equal(25, #r.items)
    assert.truthy(#json.encode(r) <= 12 * 1024, #json.encode(r))
    local allowed = {}
    for _, f in ipairs(require("helpscout.tools.shape").SLIM.conversation) do allowed[f.name] = true end
    for _, c in ipairs(r.items) do
      for k in pairs(c) do assert.truthy(allowed[k], k) end
    end
    local full = assert(tools.call(hs, "list_conversations", { status = "active", detail = true }))
    assert.is_true(full.detail)
    assert.truthy(full.items[1]._links)
  end)

  it("gives a conversation as a clean transcript, not HTML threads", function()
    local c = conversation_in(4821)
    local r = assert(tools.call(hs, "get_conversation", { conversation_id = c.id }))
    assert.equal(c.id, r.conversation.id)
    assert.truthy(#r.transcript > 0)
    assert.is_nil(r.transcript:find("<p>", 1, true))
  end)

  it("makes a reply a draft unless sending is allowed AND asked for", function()
    local c = conversation_in(4821)
    local cases = { { {}, {}, true }, { { send = true }, {}, true }, { {}, { allow_send = true }, true },
      { { send = true }, { allow_send = true }, false } }
    for _, k in ipairs(cases) do
      sb:clear_log()
      local args = { conversation_id = c.id, text = "Thanks" }
      for key, v in pairs(k[1]) do args[key] = v end
      local r = assert(tools.call(hs, "reply", args, k[2]))
      assert.equal(k[3], r.draft)
      local posts = api_log { method = "POST" }
      assert.equal(1, #posts)
      assert.equal(k[3], posts[1].json.draft)
    end
  end)

  it("refuses write tools under read_only with nothing sent", function()
    local c = conversation_in(4821)
    sb:clear_log()
    local r, e = tools.call(hs, "add_note", { conversation_id = c.id, text = "x" }, { read_only = true })
    assert.is_nil(r)
    assert.equal("read_only", e.kind)
    assert.is_true(helpscout.is_error(e))
    assert.equal(0, #api_log())
  end)

  it("keeps reads and writes inside the mailbox allowlist", function()
    local other = conversation_in(5307)
    sb:clear_log()
    local o = { mailboxes = { 4821 } }
    local _, e = tools.call(hs, "list_conversations", { mailbox = 5307 }, o)
    assert.equal("forbidden", e.kind)
    assert.equal(0, #api_log())
    _, e = tools.call(hs, "reply", { conversation_id = other.id, text = "x", customer = { id = 1 } }, o)
    assert.equal("forbidden", e.kind)
    _, e = tools.call(hs, "create_conversation", { mailboxId = 5307, subject = "s", customer = { email = "a@b.c" },
      type = "email", status = "active", threads = { { type = "customer", text = "t" } } }, o)
    assert.equal("forbidden", e.kind)
    for _, r in ipairs(api_log()) do assert.equal("GET", r.method) end
    sb:clear_log()
    local r = assert(tools.call(hs, "list_conversations", {}, o))
    for _, c in ipairs(r.items) do assert.equal(4821, c.mailbox_id) end
    assert.equal("4821", api_log()[1].query.mailbox)
  end)

  it("describes the request in a dry run and sends nothing", function()
    local r = assert(tools.call(hs, "reply", { conversation_id = 2407000001, text = "hi", customer = { id = 5 } },
      { dry_run = true }))
    assert.equal("POST", r.dry_run.method)
    assert.equal("/v2/conversations/2407000001/reply", r.dry_run.path)
    assert.is_true(r.dry_run.body.draft)
    assert.is_nil(json.encode(r):find("dry-run", 1, true)) -- the placeholder token never shows
    assert.equal(0, #api_log())
  end)

  it("never raises: bad names, arguments, options and clients come back as errors", function()
    local cases = {
      { hs, "no_such_tool", {} }, { hs, nil, {} }, { hs, "list_users", "not an object" },
      { hs, "list_conversations", { status = "sideways" } }, { hs, "list_conversations", { page = 1.5 } },
      { hs, "add_note", { conversation_id = -4, text = "x" } }, { hs, "add_note", { text = "x" } },
      { hs, "update_tags", { conversation_id = 5, tags = { 1, 2 } } },
      { hs, "list_users", { continuation = "garbage!" } },
    }
    for i, c in ipairs(cases) do
      local r, e = tools.call(c[1], c[2], c[3])
      assert.is_nil(r, i)
      assert.equal("invalid", e.kind, i)
    end
    local _, e = tools.call(nil, "list_users", {})
    assert.equal("auth", e.kind)
    _, e = tools.call(hs, "list_users", {}, { bogus = 1 })
    assert.equal("invalid", e.kind)
    _, e = tools.call(hs, "list_conversations", { status = "sideways", bogus = 1 })
    assert.equal(2, #e.errors)
    assert.equal(0, #api_log())
  end)

  it("cuts an answer over max_output and resumes it from the continuation", function()
    local full = assert(tools.call(hs, "list_conversations", { status = "active" }))
    local o = { max_output = 4096 }
    local r = assert(tools.call(hs, "list_conversations", { status = "active" }, o))
    local ids = {}
    while true do
      assert.truthy(#json.encode(r) <= 4096)
      for _, c in ipairs(r.items) do ids[#ids + 1] = c.id end
      if not r.truncated then break end  -- page 1 shown whole: its continuation is page 2's
      assert.truthy(r.truncated.remaining > 0)
      r = assert(tools.call(hs, "list_conversations", { continuation = r.continuation }, o))
    end
    local want = {}
    for i, c in ipairs(full.items) do want[i] = c.id end
    assert.same(want, ids)
    -- one paging mechanism: the same continuation goes on to the next API page
    assert.truthy(full.continuation)
    local p2 = assert(tools.call(hs, "list_conversations", { continuation = r.continuation }, o))
    assert.equal(2, p2.page.number)
    local direct = assert(tools.call(hs, "list_conversations", { status = "active", page = 2 }))
    assert.equal(direct.items[1].id, p2.items[1].id)
    local last = assert(tools.call(hs, "list_conversations", { status = "active", page = full.page.totalPages }))
    assert.is_nil(last.continuation)
    local first = assert(tools.call(hs, "list_conversations", { status = "active" }, o))
    local _, e = tools.call(hs, "list_users", { continuation = first.continuation }, o)
    assert.equal("invalid", e.kind)
  end)

  it("tells the truth in schemas and errors: bounds, characters, one error per field, [] clears", function()
    local list = by_name(tools.list())
    local page = list.list_conversations.inputSchema.properties.page
    assert.equal(1, page.minimum)
    assert.truthy(page.maximum >= 1e9)
    sb:clear_log()
    local _, e = tools.call(hs, "list_conversations", { page = 0 })
    assert.same({ { path = "page", message = "must be at least 1" } }, e.errors)
    -- a wrong type on a required field is one error, not "expected integer" + "is required"
    _, e = tools.call(hs, "add_note", { conversation_id = "12", text = "x" })
    assert.equal(1, #e.errors)
    assert.equal("conversation_id", e.errors[1].path)
    -- maxLength counts characters: 65536 two-byte characters pass, one more does not
    local max = list.add_note.inputSchema.properties.text.maxLength
    local r = assert(tools.call(hs, "add_note", { conversation_id = 5, text = ("é"):rep(max), dry_run = true }))
    assert.equal(max * 2, #r.dry_run.body.text)
    _, e = tools.call(hs, "add_note", { conversation_id = 5, text = ("é"):rep(max + 1), dry_run = true })
    assert.truthy(e.errors[1].message:find("characters", 1, true))
    assert.equal(0, #api_log())
    -- update_tags: the description says [] clears, and [] is what goes on the wire
    assert.truthy(list.update_tags.description:find("[]", 1, true))
    assert.is_nil(list.update_tags.description:find("{}", 1, true))
    local c = conversation_in(4821)
    r = assert(tools.call(hs, "update_tags", { conversation_id = c.id, tags = json.decode("[]") }))
    assert.is_true(r.ok)
    local put = api_log { method = "PUT" }
    assert.equal(1, #put)
    assert.truthy(put[1].body:find('"tags":[]', 1, true), put[1].body)
    assert.same({}, assert(tools.call(hs, "get_conversation", { conversation_id = c.id, detail = true }))
      .conversation.tags)
  end)

  it("reports a 429 with its retry_after", function()
    local c = client()
    sb:fault { path = "/v2/users", status = 429, headers = { ["X-RateLimit-Retry-After"] = "300" } }
    local r, e = tools.call(c, "list_users", {})
    c:close()
    assert.is_nil(r)
    assert.equal("rate_limited", e.kind)
    assert.equal(300, e.retry_after)
    assert.same({ kind = "rate_limited", message = e.message, status = 429, retry_after = 300, log_ref = e.log_ref,
      retryable = true }, tools.error_result(e).error)
    local bad = tools.error_result(select(2, tools.call(c, "no_such_tool", {}))).error
    assert.is_false(bad.retryable)
    assert.equal(json.null, bad.retry_after)
  end)
end)

describe("the jobs", function()
  before_each(function() sb:clear_log() end)

  it("triage_inbox: attention most pressing first, groups, progress per page; reads only", function()
    local seen = {}
    local cat = tools.new {}
    local r = assert(cat:call(hs, "triage_inbox", { limit = 60 }, { progress = function(n) seen[#seen + 1] = n end }))
    assert.equal(60, r.total)
    assert.same({ 25, 50, 60 }, seen)
    for i = 2, #r.attention do assert.truthy(r.attention[i - 1].score >= r.attention[i].score) end
    assert.truthy(#r.groups > 1)
    for _, q in ipairs(api_log()) do assert.equal("GET", q.method) end
  end)

  it("answers a failed page with the error, never with a partial triage", function()
    sb:fault { method = "GET", path = "/v2/conversations", action = "garbage" }
    local r, e = tools.call(hs, "triage_inbox", { limit = 60 })
    assert.is_nil(r)
    assert.equal("protocol", e.kind)
    assert.equal("protocol", tools.error_result(e).error.kind)
  end)

  it("stops a pull when cancelled", function()
    local cat = tools.new {}
    local stop = function() return true end
    local r = cat:call(hs, "triage_inbox", { status = "open", limit = 1000 }, { cancelled = stop })
    assert.is_nil(r)
    assert.equal(1, #api_log { path = "/v2/conversations" })
  end)

  it("suggest_replies suggests and never writes", function()
    local r = assert(tools.call(hs, "suggest_replies", { limit = 3 }))
    assert.equal(3, #r.drafts)
    for _, d in ipairs(r.drafts) do assert.truthy(#d.text > 20) end
    for _, q in ipairs(api_log()) do assert.equal("GET", q.method) end
  end)

  it("customer_summary finds a customer by e-mail, or says not_found", function()
    local c = conversation_in(4821)
    local email = c.customer:match("<([^<>]-@[^<>]-)>")
    local r = assert(tools.call(hs, "customer_summary", { email = email }))
    assert.truthy(r.total >= 1)
    assert.truthy(#r.text > 0)
    local _, e = tools.call(hs, "customer_summary", { email = "nobody@nowhere.test" })
    assert.equal("not_found", e.kind)
  end)

  it("conversation_transcript is cut by max_output and resumed by offset", function()
    local c = conversation_in(4821)
    local whole = assert(tools.call(hs, "conversation_transcript", { conversation_id = c.id }))
    local o = { max_output = 2048 }
    local r = assert(tools.call(hs, "conversation_transcript", { conversation_id = c.id }, o))
    local text = r.transcript
    while r.continuation do
      r = assert(tools.call(hs, "conversation_transcript", { continuation = r.continuation }, o))
      text = text .. r.transcript
    end
    assert.equal(whole.transcript, text)
  end)
end)
