-- Contract holes found by an independent audit (issue 7), each closed in the engine and proven
-- here against the sandbox (a separate process) by making it misbehave.
local H = require "client_helper"
local helpscout = require "helpscout"
local core = require "helpscout.core"

describe("client contract", function()
  local sb, hs

  setup(function() sb = H.start{ seed = 17 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb, { retries = 0 })
  end)
  after_each(function() hs:close() end)

  local function body(items, extra)
    return '{"_embedded":{"users":[' .. items .. ']},"page":{"size":50,"totalElements":1,"totalPages":1,'
      .. '"number":1}' .. (extra or "") .. "}"
  end
  local function fault(path, code, b, headers)
    local h = headers or {}
    h["Content-Type"] = h["Content-Type"] or "application/hal+json"
    sb:fault{ method = "GET", path = path, count = 1, action = "status", status = code, headers = h, body = b }
  end

  it("a list item whose id is not an integer is a protocol error table, from each and fetch_all", function()
    fault("/v2/users", 200, body('{"id":1.5}'))
    local ok, err = pcall(function() for _ in hs:each("list_users") do end end)
    assert.is_false(ok)
    assert.is_true(helpscout.is_error(err), tostring(err))
    assert.equal("protocol", err.kind)
    fault("/v2/users", 200, body('{"id":"7"}'))
    local items
    items, err = hs:fetch_all("list_users")
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
  end)

  it("a server that keeps handing out next links gets a bounded walk", function()
    for i = 1, 15 do
      fault("/v2/users", 200, body('{"id":' .. i .. '}',
        ',"_links":{"next":{"href":"/v2/users?page=' .. (i + 1) .. '"}}'))
    end
    local n = 0
    local ok, err = pcall(function() for _ in hs:each("list_users") do n = n + 1 end end)
    assert.is_false(ok)
    assert.equal("protocol", err.kind)
    assert.equal(11, n) -- totalPages (1) + 10
    assert.equal(11, H.count(sb, "GET", "/v2/users"))
  end)

  it("update_tags is true only for 204, or 200 with an empty or JSON body", function()
    local id = H.some_conversation(hs)
    local path = "/v2/conversations/" .. id .. "/tags"
    sb:fault{ method = "PUT", path = path, count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "text/html" }, body = "<html>welcome to the captive portal</html>" }
    local ok, err = hs:update_tags(id, { "a" })
    assert.is_nil(ok)
    assert.equal("protocol", err.kind)
    assert.is_true(hs:update_tags(id, { "a" }))
  end)

  it("a redirect is not followed: the answer is an error and nothing else is requested", function()
    fault("/v2/users", 302, "", { Location = "http://127.0.0.1:1/v2/users" })
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
    assert.equal(302, err.status)
    assert.equal(1, H.count(sb, "GET", "/v2/users"))
  end)

  it("CR or LF in a header value is refused before anything is sent", function()
    assert.error_matches(function() H.client(sb, { user_agent = "x\r\nX-Evil: 1" }) end,
      "bad argument #1 to 'new' (option 'user_agent' must not contain CR or LF)", 1, true)
    assert.error_matches(function() H.client(sb, { access_token = "t\nX-Evil: 1", client_id = false,
      client_secret = false }) end, "option 'access_token' or 'refresh_token' must not contain CR or LF", 1, true)
    sb:fault{ method = "POST", path = "/v2/oauth2/token", count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "application/json" },
      body = '{"access_token":"abc\\r\\nX-Evil: 1","token_type":"bearer","expires_in":7200}' }
    local tok, err = hs:token()
    assert.is_nil(tok)
    assert.equal("protocol", err.kind)
    assert.equal(0, H.count(sb, "GET", "/v2/users"))
  end)

  it("base_url: a trailing /v2 is stripped; an empty host is refused", function()
    local c = H.client(sb, { base_url = sb.url .. "/v2/" })
    assert.is_table((c:list_users()))
    c:close()
    assert.equal(1, H.count(sb, "POST", "/v2/oauth2/token"))
    local why = "bad argument #1 to 'new' (option 'base_url' must be an http(s) URL"
    assert.error_matches(function() H.client(sb, { base_url = "http://" }) end, why, 1, true)
    assert.error_matches(function() H.client(sb, { base_url = sb.url .. "/?access_token=x" }) end, why, 1, true)
  end)

  it("re-entering a busy client (from a store) is a clear error, not a hang", function()
    local c
    local store = helpscout.store.memory()
    local load = store.load
    store.load = function(self)
      c:list_users() -- re-enters the client whose call is waiting for a token
      return load(self)
    end
    c = H.client(sb, { store = store })
    local ok, err = pcall(c.list_users, c)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("the client is busy", 1, true), tostring(err))
    store.load = load
    assert.is_table((c:list_users())) -- usable again afterwards
    c:close()
  end)

  it("fetch_all options and error rendering have no undefined behaviour", function()
    assert.has_error(function() hs:fetch_all("list_users", nil, { concurrency = 0 / 0 }) end)
    assert.has_error(function() hs:fetch_all("list_users", nil, { concurrency = 0 }) end)
    assert.has_error(function() hs:fetch_all("list_users", nil, { concurrency = 1e300 }) end)
    local line = tostring(core.error("server", "x", { status = 2 ^ 31 }))
    assert.truthy(line:find("2147483648", 1, true), line)
    line = tostring(core.error("server", "x", { status = 0 / 0 }))
    assert.is_string(line)
  end)

  it("one error registry: kinds with default retryability, one constructor for C and Lua", function()
    assert.is_true(core.kinds.rate_limited.retryable)
    assert.is_false(core.kinds.validation.retryable)
    local e = helpscout.error("store", "disk full", { path = "/x" })
    assert.is_true(helpscout.is_error(e))
    assert.is_true(e.retryable)
    assert.equal("/x", e.path)
    assert.has_error(function() helpscout.error("nope", "x") end)
  end)

  it("one option checker: core.check_options honours a lone bound", function()
    local spec = { n = { type = "integer", min = 2048 } }
    assert.has_error(function() core.check_options(spec, { n = 10 }, "f") end)
    assert.equal(4096, core.check_options(spec, { n = 4096 }, "f").n)
    assert.has_error(function() core.check_options({ m = { type = "number", max = 1 } }, { m = 2 }, "f") end)
    assert.has_error(function() core.check_options(spec, { bogus = 1 }, "f") end)
  end)
end)
