-- helpscout.oauth: the connect flow end to end against the sandbox (consent stand-in, token
-- endpoint), and every way a callback is refused.
local oauth = require "helpscout.oauth"
local store = require "helpscout.store"
local sandbox = require "support.sandbox"
local H = require "store_helper"
local http = require "socket.http"

local sb, dir
setup(function() sb = sandbox.start(); dir = H.tmpdir("oauth") end)
teardown(function() sb:stop(); H.rmtree(dir) end)
before_each(function() sb:reset() end)

local function grants() return #sb:log{ method = "POST", path = "/v2/oauth2/token" } end

local function opts(state, o)
  local t = { client_id = sb.client_id, client_secret = sb.client_secret, state = state, base_url = sb.url }
  for k, v in pairs(o or {}) do t[k] = v end
  return t
end

-- Plays the browser: open the consent URL; the sandbox's stand-in (once it serves one) redirects
-- to the app with code and state; otherwise its control endpoint grants the consent.
local function consent(url, state)
  local _, status, headers = http.request { url = url, redirect = false }
  local loc = status == 302 and headers and headers.location
  if loc then return loc:match("%?(.*)$") end
  return { code = sb:authorize(sb.client_id, state).code, state = state }
end

describe("oauth.start", function()
  it("builds the consent URL with the client id and a fresh 128-bit state", function()
    local url, state = oauth.start{ client_id = "app-1" }
    local url2, state2 = oauth.start{ client_id = "app-1" }
    assert.matches("^https://secure%.helpscout%.net/authentication/authorizeClientApplication%?", url)
    assert.matches("client_id=app%-1", url)
    assert.is_true(#state >= 32)
    assert.not_equal(state, state2)
    assert.matches("state=" .. state, url, 1, true)
    assert.matches("state=" .. state2, url2, 1, true)
  end)

  it("keeps a given state and takes the endpoint from opts or HELPSCOUT_AUTHORIZE_URL", function()
    local url, state = oauth.start{ client_id = "app-1", state = "s-1", authorize_url = sb.url .. "/consent" }
    assert.equal("s-1", state)
    assert.matches("^" .. sb.url:gsub("%p", "%%%0") .. "/consent%?", url)
    local out = dir .. "/env.out"
    local pid = H.spawn("io.write((require('helpscout.oauth').start{ client_id = 'x', state = 'y' }))", out)
    H.wait_for(function() return not H.alive(pid) end, 10)
    assert.matches("^https://secure%.helpscout%.net/", H.read(out))
    os.execute(("HELPSCOUT_AUTHORIZE_URL=%s %s -e %s >%s 2>&1"):format(H.shq(sb.url .. "/authorize-here"),
      H.interp(), H.shq("io.write((require('helpscout.oauth').start{ client_id = 'x', state = 'y' }))"), H.shq(out)))
    assert.matches("^" .. sb.url:gsub("%p", "%%%0") .. "/authorize%-here%?", H.read(out))
  end)

  it("raises on bad options", function()
    assert.has_error(function() oauth.start{ client_id = "a", stat = "x" } end)
    assert.has_error(function() oauth.start{ client_id = "" } end)
  end)
end)

describe("oauth.callback", function()
  it("exchanges the code and saves the token to the store (0600) before returning it", function()
    local url, state = oauth.start{ client_id = sb.client_id,
      authorize_url = sb.url .. "/authentication/authorizeClientApplication" }
    local query = consent(url, state)
    local path = dir .. "/login/token.json"
    local tok = assert(oauth.callback(query, opts(state, { store = store.file(path) })))
    assert.truthy(tok.access_token and tok.refresh_token)
    assert.same(tok, store.file(path):load())
    assert.equal("600", H.mode(path))
    assert.equal(1, grants())
  end)

  it("accepts the raw query string", function()
    local state = "st-" .. os.time()
    local code = sb:authorize(sb.client_id, state).code
    local tok = assert(oauth.callback("?code=" .. code .. "&state=" .. state, opts(state)))
    assert.truthy(tok.refresh_token)
  end)

  it("refuses access_denied, a state mismatch and a missing code without any exchange", function()
    local state = "expected-state-123"
    local code = sb:authorize(sb.client_id, state).code
    local cases = {
      { { error = "access_denied", state = state }, "access_denied" },
      { "error=access_denied&state=" .. state, "access_denied" },
      { { error = "server_error\r\nX: y", state = state }, "denied" },
      { { code = code, state = "expected-state-124" }, "state_mismatch" },
      { { code = code, state = "expected-state-12" }, "state_mismatch" },
      { { code = code }, "state_mismatch" },
      { { code = code, state = { state } }, "state_mismatch" },
      { { state = state }, "missing_code" },
      { { code = "", state = state }, "missing_code" },
    }
    for i, c in ipairs(cases) do
      local tok, err = oauth.callback(c[1], opts(state))
      assert.is_nil(tok, "case " .. i)
      assert.equal("auth", err.kind, "case " .. i)
      assert.equal(c[2], err.reason, "case " .. i)
      local s = tostring(err)
      assert.is_nil(s:find(code, 1, true))
      assert.is_nil(s:find(state, 1, true))
      assert.is_nil(s:find("\n", 1, true))
    end
    assert.equal(0, grants())
  end)

  it("reports a used code as the exchange's error, and saves nothing", function()
    local state = "s-used"
    local code = sb:authorize(sb.client_id, state).code
    assert(oauth.callback({ code = code, state = state }, opts(state)))
    local path = dir .. "/used/token.json"
    local tok, err = oauth.callback({ code = code, state = state }, opts(state, { store = store.file(path) }))
    assert.is_nil(tok)
    -- a used code is the token endpoint's 400 invalid_grant: "auth" (reconsent is for a refresh)
    assert.equal("auth", err.kind)
    assert.equal(400, err.status)
    assert.equal("invalid_grant", err.oauth_error)
    assert.is_nil(H.read(path))
    assert.is_nil(tostring(err):find(code, 1, true))
  end)

  it("reports a store that cannot save as a store error", function()
    local state = "s-store"
    local code = sb:authorize(sb.client_id, state).code
    local tok, err = oauth.callback({ code = code, state = state },
      opts(state, { store = store.file("/proc/1/helpscout/token.json") }))
    assert.is_nil(tok)
    assert.equal("store", err.kind)
    assert.matches("could not be saved", err.message)
  end)

  it("raises on a missing expected state or bad arguments", function()
    assert.has_error(function() oauth.callback({ code = "c", state = "s" }, opts(nil)) end)
    assert.has_error(function() oauth.callback(42, opts("s")) end)
    assert.has_error(function() oauth.callback({}, opts("s", { store = "file" })) end)
  end)
end)
