-- Argument checking of the C core: programmer errors raise before any request is sent; the
-- tool table is exported; request bodies are encoded as the wire expects.
local H = require "client_helper"
local helpscout = require "helpscout"
local core = require "helpscout.core"
local cjson = require "cjson"

describe("client arguments", function()
  local sb, hs

  setup(function() sb = H.start{ seed = 11 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb)
  end)
  after_each(function() hs:close() end)

  local function raises(pattern, f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok)
    assert.is_string(err)
    assert.truthy(err:find(pattern, 1, true), "expected '" .. pattern .. "' in: " .. err)
    return err
  end

  it("refuses unknown option keys, naming the key and the valid ones", function()
    local err = raises("unknown option 'statuss'", hs.list_conversations, hs, { statuss = "all" })
    assert.truthy(err:find("valid: mailbox, folder, status", 1, true))
    raises("bad argument #1 to 'list_conversations' (unknown option 'statuss'",
      function() local r = hs:list_conversations{ statuss = "all" }; return r end) -- no tail call
    raises("unknown option 'bogus'", helpscout.new,
      { client_id = "a", client_secret = "b", bogus = true })
    raises("unknown option 'email'", hs.list_customers, hs, { email = "x@y.z" })
    raises("unknown field 'txt'; valid: text, user", hs.add_note, hs, 1, { txt = "x" })
    assert.equal(0, #sb:log())
  end)

  it("refuses wrong types, naming the key", function()
    raises("option 'status' must be a string, got number", hs.list_conversations, hs, { status = 1 })
    raises("option 'page' must be an integer", hs.list_users, hs, { page = 1.5 })
    raises("option 'timeout' must be a number", helpscout.new,
      { client_id = "a", client_secret = "b", timeout = "30" })
    raises("option 'on_token' must be a function", helpscout.new,
      { client_id = "a", client_secret = "b", on_token = true })
    raises("option 'read_only' must be a boolean", helpscout.new,
      { client_id = "a", client_secret = "b", read_only = 1 })
    raises("field 'draft' must be a boolean", hs.reply, hs, 1,
      { customer = { id = 1 }, text = "x", draft = "yes" })
    raises("table expected", hs.list_users, hs, "page=2")
    assert.equal(0, #sb:log())
  end)

  it("accepts only positive integer ids and sends nothing otherwise", function()
    raises("id must be a positive integer, got string", hs.get_conversation, hs, "12/../users")
    raises("id must be a positive integer, got string", hs.add_note, hs, "123", "x")
    raises("got -5", hs.update_tags, hs, -5, {})
    raises("got 0", hs.reply, hs, 0, { customer = { id = 1 }, text = "x" })
    raises("got 1.5", hs.get_conversation, hs, 1.5)
    raises("got no value", hs.get_conversation, hs)
    assert.equal(0, #sb:log())
  end)

  it("accepts integral floats as ids (as decoded by cjson) and prints them as integers", function()
    local id = H.some_conversation(hs)
    local conv = assert(hs:get_conversation(id + 0.0))
    assert.equal(id, conv.id)
    local r = sb:log{ method = "GET", path = "/v2/conversations/" .. string.format("%d", id) }
    assert.equal(1, #r)
  end)

  it("checks required body fields before sending a write", function()
    raises("missing required field 'customer'", hs.reply, hs, 1, { text = "hi" })
    raises("missing required field 'text'", hs.add_note, hs, 1, { user = 1 })
    raises("field 'threads' must not be empty", hs.create_conversation, hs,
      { mailboxId = 1, subject = "s", customer = { id = 1 }, type = "email", status = "active",
        threads = {} })
    raises("tags must be an array of strings", hs.update_tags, hs, 1, { "a", 2 })
    raises("not valid UTF-8", hs.add_note, hs, 1, "bad \255 byte")
    assert.equal(0, #sb:log())
  end)

  it("read_only refuses every write with kind read_only and sends nothing", function()
    local ro = H.client(sb, { read_only = true })
    local id = H.some_conversation(ro)
    sb:clear_log()
    local calls = {
      function() return ro:add_note(id, "x") end,
      function() return ro:update_tags(id, {}) end,
      function() return ro:reply(id, { customer = { id = 1 }, text = "x", draft = true }) end,
      function() return ro:create_conversation{ mailboxId = 1, subject = "s", customer = { id = 1 },
        type = "email", status = "active", threads = { { type = "note", text = "x" } } } end,
    }
    for _, f in ipairs(calls) do
      local res, err = f()
      assert.is_nil(res)
      assert.equal("read_only", err.kind)
      assert.is_false(err.retryable)
    end
    assert.equal(0, #sb:log())
    assert.is_table((ro:list_users())) -- reads still work
    ro:close()
  end)

  it("needs credentials or a token", function()
    raises("client_id and client_secret", core.new, { base_url = sb.url })
    raises("must be an http(s) URL", core.new, { access_token = "t", base_url = "ftp://x" })
  end)

  it("exports the nine tools from the engine's table, as a schema", function()
    local names = {}
    for i, t in ipairs(helpscout.schema) do
      names[i] = t.name
      assert.is_string(t.title); assert.is_string(t.description)
      assert.truthy(t.access == "read" or t.access == "write")
      assert.is_table(t.args); assert.is_table(t.params)
      assert.is_function(hs[t.name])
      for _, p in ipairs(t.params) do assert.is_string(p.name); assert.is_string(p.type) end
    end
    assert.same({ "list_mailboxes", "list_conversations", "get_conversation", "list_customers",
      "list_users", "add_note", "update_tags", "reply", "create_conversation" }, names)
    assert.equal(core.schema, helpscout.schema)
    assert.equal("conversation_id", helpscout.schema[3].args[1].name)
    assert.equal("integer", helpscout.schema[3].args[1].type)
    assert.equal("conversations", helpscout.schema[2].embedded)
    -- nested objects and arrays of objects are described, not just named
    local create = helpscout.schema[9].args[1]
    local threads
    for _, f in ipairs(create.fields) do if f.name == "threads" then threads = f end end
    assert.equal("array", threads.type)
    assert.is_true(threads.required)
    assert.equal("object", threads.items.type)
    assert.equal("type", threads.items.fields[1].name)
    assert.equal("array", helpscout.schema[7].args[2].type) -- tags
    assert.equal("text", helpscout.schema[6].args[2].shorthand)
  end)

  -- the request a call would send, without sending it (the engine's first SEND)
  local function build(tool, base, ...)
    local eng = core.engine.new{ access_token = "t", base_url = base }
    local a = eng:call(tool, ...):step{ now = os.time() }
    assert.equal("SEND", a.action)
    return a
  end

  it("encodes bodies as the wire expects", function()
    local b = build("update_tags", sb.url, 5, {})
    assert.equal('{"tags":[]}', b.body)
    assert.equal("PUT", b.method)
    b = build("add_note", sb.url, 2407781234, "a \"q\" \\ \n\t\1 é")
    assert.equal('{"text":"a \\"q\\" \\\\ \\n\\t\\u0001 é"}', b.body)
    assert.equal(sb.url .. "/v2/conversations/2407781234/notes", b.url)
    b = build("create_conversation", sb.url, {
      mailboxId = 4821.0, subject = "s", customer = { id = 9007199254740000 }, type = "email",
      status = "active", tags = {}, assignTo = cjson.null,
      threads = { { type = "customer", text = "hi", customer = { email = "a@b.c" }, cc = {} } } })
    local d = cjson.decode(b.body)
    assert.equal(4821, d.mailboxId)
    assert.truthy(b.body:find('"mailboxId":4821', 1, true))
    assert.truthy(b.body:find('"id":9007199254740000', 1, true))
    assert.truthy(b.body:find('"tags":[]', 1, true))
    assert.truthy(b.body:find('"cc":[]', 1, true))
    assert.truthy(b.body:find('"assignTo":null', 1, true))
    assert.equal("hi", d.threads[1].text)
  end)

  it("builds query strings with exact wire names and escaping", function()
    local b = build("list_conversations", "http://h", {
      mailbox = { 1, 2 }, assigned_to = 7, query = '(email:"a+b@c.d")', page = 3 })
    assert.equal("http://h/v2/conversations?mailbox=1%2C2&assigned_to=7" ..
      "&query=%28email%3A%22a%2Bb%40c.d%22%29&page=3", b.url)
    assert.equal("http://h/v2/conversations/9?embed=threads", build("get_conversation", "http://h", 9).url)
    assert.equal("http://h/v2/conversations/9", build("get_conversation", "http://h", 9, { embed = "" }).url)
  end)

  it("authorize_url generates or keeps the state", function()
    local url, state = helpscout.authorize_url{ client_id = "my app" }
    assert.equal(32, #state)
    assert.truthy(state:match("^%x+$"))
    assert.truthy(url:find("^https://secure%.helpscout%.net/authentication/authorizeClientApplication%?"))
    assert.truthy(url:find("client_id=my%20app", 1, true))
    assert.truthy(url:find("state=" .. state, 1, true))
    local _, s2 = helpscout.authorize_url{ client_id = "x" }
    assert.not_equal(state, s2)
    local u3, s3 = helpscout.authorize_url{ client_id = "x", state = "a b", authorize_base = sb.url .. "/auth" }
    assert.equal("a b", s3)
    assert.equal(sb.url .. "/auth?client_id=x&state=a%20b", u3)
    raises("unknown option 'redirect_uri'", helpscout.authorize_url, { client_id = "x", redirect_uri = "y" })
  end)

  if _VERSION == "Lua 5.4" then
    it("closes at the end of a <close> scope", function()
      local chunk = assert(load([[
        local H, sb = ...
        local keep
        do
          local c <close> = H.client(sb)
          keep = c
        end
        return tostring(keep)
      ]]))
      assert.equal("helpscout.Client (closed)", chunk(H, sb))
    end)
  end

  it("close is idempotent and a closed client raises", function()
    local c = H.client(sb)
    c:close(); c:close()
    raises("closed", c.list_users, c)
    assert.truthy(tostring(c):find("closed", 1, true))
  end)
  it("reports constructor argument errors at the caller's line, under the public name", function()
    local ok, err = pcall(function() return helpscout.new{ bogus = 1 } end)
    assert.is_false(ok)
    assert.truthy(err:find("client_args_spec.lua:%d+: bad argument #1 to 'new' %(unknown option 'bogus'"), err)
    ok, err = pcall(function() return helpscout.exchange_code{ client_id = "a", client_secret = "b" } end)
    assert.is_false(ok)
    assert.truthy(err:find("client_args_spec.lua:%d+: bad argument #1 to 'exchange_code'"), err)
  end)

  it("refuses credentials inside base_url (they would show in every error's url)", function()
    local ok, err = pcall(helpscout.new, { base_url = "http://user:pw@127.0.0.1:1" })
    assert.is_false(ok)
    assert.truthy(err:find("must not contain credentials", 1, true))
    assert.is_nil(err:find("pw", 1, true))
  end)
end)
