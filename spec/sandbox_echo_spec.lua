-- The "echo" fault (for the client's redaction tests, issue 21): the sandbox answers an error that
-- repeats the request's secrets — the Authorization value and a token request's client_secret,
-- refresh_token and code — in the vnd.error message, logRef, error_description, every
-- _embedded.errors[] message and rejectedValue and the X-Debug-Echo header. The request log
-- still redacts them. Assertions never print the secrets (messages name the place, not the value).
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, client_token, form = rawhttp.request, rawhttp.client_token, rawhttp.form

local function has(s, secret) return type(s) == "string" and s:find(secret, 1, true) ~= nil end

-- Every place the echo must carry secret; `what` names it in a failure.
local function assert_echoed(res, secret, what)
  local b = res.json
  assert.is_table(b, "echo body is not JSON")
  assert.is_true(has(b.message, secret), what .. " not in message")
  assert.is_true(has(b.logRef, secret), what .. " not in logRef")
  assert.is_true(has(b.error_description, secret), what .. " not in error_description")
  assert.is_true(has(res.headers["x-debug-echo"], secret), what .. " not in X-Debug-Echo")
  local in_msg, in_rejected = false, false
  for _, e in ipairs(b._embedded.errors) do
    in_msg = in_msg or has(e.message, secret)
    in_rejected = in_rejected or has(e.rejectedValue, secret)
  end
  assert.is_true(in_msg, what .. " not in _embedded.errors[].message")
  assert.is_true(in_rejected, what .. " not in _embedded.errors[].rejectedValue")
end

describe("sandbox echo fault", function()
  local sb, tok

  setup(function()
    sb = sandbox.start { seed = 42, conversations = 20 }
    tok = client_token(sb)
  end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:request("DELETE", "/_sandbox/faults") end)

  it("echoes the bearer token of an API request with the given status, once", function()
    sb:fault { path = "/v2/conversations", action = "echo", status = 400 }
    local res = request(sb, "GET", "/v2/conversations", { token = tok })
    assert.are.equal(400, res.status)
    assert.truthy(res.headers["content-type"]:find("vnd.error", 1, true))
    assert_echoed(res, "Bearer " .. tok, "the Authorization value")
    local again = request(sb, "GET", "/v2/conversations", { token = tok })
    assert.are.equal(200, again.status)
    assert.is_nil(again.headers["x-debug-echo"])
    assert.is_false(has(again.body, tok), "a normal answer carries the token")
  end)

  it("defaults to 400 and keeps another status when given", function()
    sb:fault { path = "/v2/mailboxes", action = "echo" }
    assert.are.equal(400, request(sb, "GET", "/v2/mailboxes", { token = tok }).status)
    sb:fault { path = "/v2/mailboxes", action = "echo", status = 401 }
    local res = request(sb, "GET", "/v2/mailboxes", { token = tok })
    assert.are.equal(401, res.status)
    assert_echoed(res, tok, "the token")
  end)

  it("echoes a form token request's client_secret, refresh_token and code", function()
    sb:fault { path = "/v2/oauth2/token", action = "echo", status = 400 }
    local fields = { grant_type = "refresh_token", client_id = sb.client_id, client_secret = sb.client_secret,
      refresh_token = "rt-echo-0f9e8d7c", code = "code-echo-1a2b3c" }
    local res = request(sb, "POST", "/v2/oauth2/token",
      { body = form(fields), headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
    assert.are.equal(400, res.status)
    assert_echoed(res, sb.client_secret, "client_secret")
    assert_echoed(res, "rt-echo-0f9e8d7c", "refresh_token")
    assert_echoed(res, "code-echo-1a2b3c", "code")
  end)

  it("echoes a JSON token request's secrets and HTTP Basic credentials", function()
    sb:fault { path = "/v2/oauth2/token", action = "echo", count = 2 }
    local res = request(sb, "POST", "/v2/oauth2/token", { body = { grant_type = "authorization_code",
      client_id = sb.client_id, client_secret = sb.client_secret, code = "json-code-77aa" } })
    assert_echoed(res, sb.client_secret, "client_secret")
    assert_echoed(res, "json-code-77aa", "code")
    local basic = require("helpscout.core").sys.base64(sb.client_id .. ":" .. sb.client_secret)
    res = request(sb, "POST", "/v2/oauth2/token", { body = form { grant_type = "client_credentials" },
      headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Authorization = "Basic " .. basic } })
    assert_echoed(res, "Basic " .. basic, "the Basic Authorization value")
    assert_echoed(res, sb.client_secret, "the Basic client secret")
  end)

  it("leaves the request log redacted", function()
    sb:clear_log()
    sb:fault { path = "/v2/users", action = "echo" }
    request(sb, "GET", "/v2/users", { token = tok })
    local log = sb:log { path = "/v2/users" }
    assert.are.equal(1, #log)
    assert.are.equal("echo", log[1].fault)
    assert.are.equal(400, log[1].status)
    assert.is_false(has(require("cjson").encode(log), tok), "the token is in the request log")
  end)
end)
