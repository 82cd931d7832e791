-- The consent stand-in (issue 9): GET /authentication/authorizeClientApplication plays Help
-- Scout's consent screen; the spec plays the browser by reading the 302 and exchanges the code at
-- the token endpoint (single use, short-lived). Deny, unknown client and configuration via flags
-- and the control endpoint.
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, token_request = rawhttp.request, rawhttp.token_request

local CONSENT = "/authentication/authorizeClientApplication"
local DEFAULT_REDIRECT = "http://127.0.0.1:8765/oauth/callback/help-scout"

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

local function query_of(url)
  local q = {}
  for k, v in (url:match("%?(.*)$") or ""):gmatch("([^&=]+)=([^&]*)") do
    q[k] = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return q
end

describe("sandbox consent stand-in", function()
  local sb

  setup(function() sb = sandbox.start { seed = 42 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:reset() end)

  local function consent(client_id, state)
    local path = CONSENT .. "?client_id=" .. enc(client_id) .. (state and ("&state=" .. enc(state)) or "")
    return request(sb, "GET", path)
  end

  local function exchange(code)
    return token_request(sb, { grant_type = "authorization_code", code = code, client_id = sb.client_id,
      client_secret = sb.client_secret })
  end

  it("redirects to the default redirect URL with a code that exchanges once for tokens", function()
    local res = consent(sb.client_id, "st&te =1")
    assert.equal(302, res.status)
    local loc = res.headers.location
    assert.equal(DEFAULT_REDIRECT, loc:match("^[^?]*"))
    local q = query_of(loc)
    assert.equal("st&te =1", q.state)
    assert.is_string(q.code)
    local tok = exchange(q.code)
    assert.equal(200, tok.status)
    assert.is_string(tok.json.access_token)
    assert.is_string(tok.json.refresh_token)
    local me = request(sb, "GET", "/v2/users/me", { token = tok.json.access_token })
    assert.equal(200, me.status)
    local again = exchange(q.code)
    assert.equal(400, again.status)
    assert.equal("invalid_grant", again.json.error)
  end)

  it("omits state when none was given, and each visit gives a new code", function()
    local a, b = query_of(consent(sb.client_id).headers.location), query_of(consent(sb.client_id).headers.location)
    assert.is_nil(a.state)
    assert.are_not.equal(a.code, b.code)
  end)

  it("answers error=access_denied with the state when configured to deny", function()
    sb:config { consent = "deny" }
    local res = consent(sb.client_id, "abc")
    assert.equal(302, res.status)
    local q = query_of(res.headers.location)
    assert.equal("access_denied", q.error)
    assert.equal("abc", q.state)
    assert.is_nil(q.code)
  end)

  it("redirects to the configured URL, keeping its own query", function()
    sb:config { redirect_url = "http://127.0.0.1:9/cb?app=1" }
    local loc = consent(sb.client_id, "s").headers.location
    assert.matches("^http://127%.0%.0%.1:9/cb%?app=1&code=[%w]+&state=s$", loc)
  end)

  it("answers an unknown or missing client_id with a 400 page and no redirect", function()
    for _, res in ipairs { consent("someone-else", "s"), request(sb, "GET", CONSENT .. "?state=s") } do
      assert.equal(400, res.status)
      assert.matches("^text/html", res.headers["content-type"])
      assert.is_nil(res.headers.location)
    end
    assert.equal(405, request(sb, "POST", CONSENT .. "?client_id=" .. sb.client_id).status)
  end)

  it("refuses bad configuration", function()
    for _, bad in ipairs { { consent = "maybe" }, { redirect_url = "ftp://x" }, { redirect_url = 5 },
      { code_ttl = 0 } } do
      local status = sb:request("POST", "/_sandbox/config", bad)
      assert.equal(400, status)
    end
  end)

  it("lets a code expire", function()
    sb:config { code_ttl = 1 }
    local q = query_of(consent(sb.client_id, "s").headers.location)
    require("socket").sleep(1.2)
    assert.equal("invalid_grant", exchange(q.code).json.error)
  end)

  it("takes --consent deny and --redirect-url at start", function()
    local sb2 = sandbox.start { consent = "deny", redirect_url = "http://localhost:7/back" }
    local ok, err = pcall(function()
      local res = request(sb2, "GET", CONSENT .. "?client_id=" .. sb2.client_id .. "&state=z")
      assert.equal("http://localhost:7/back?error=access_denied&state=z", res.headers.location)
    end)
    sb2:stop()
    assert(ok, err)
    assert.has_error(function() sandbox.start { consent = "sometimes" } end)
  end)
end)
