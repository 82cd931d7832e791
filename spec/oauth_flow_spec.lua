-- helpscout.oauth: the connect flow end to end against the sandbox (consent stand-in, token
-- endpoint, /v2/users/me), and every way a callback is refused: a state not issued here or used
-- already, another principal, a user outside the allow-list, another Help Scout user on a
-- connection that has an owner. Each refusal saves nothing.
local oauth = require "helpscout.oauth"
local store = require "helpscout.store"
local sandbox = require "support.sandbox"
local H = require "store_helper"
local http = require "socket.http"

local sb, dir
setup(function() sb = sandbox.start{ accounts = 2 }; dir = H.tmpdir("oauth") end)
teardown(function() sb:stop(); H.rmtree(dir) end)
before_each(function() sb:reset(); sb:config{ consent_user = false } end)

local function grants() return #sb:log{ method = "POST", path = "/v2/oauth2/token" } end

local function opts(st, o)
  local t = { client_id = sb.client_id, client_secret = sb.client_secret, store = st, base_url = sb.url }
  for k, v in pairs(o or {}) do t[k] = v end
  return t
end

local CONSENT = "/authentication/authorizeClientApplication"

-- start + the browser at the sandbox's consent stand-in: the callback's query string.
local function flow(st, o)
  local so = { store = st, client_id = sb.client_id, authorize_url = sb.url .. CONSENT }
  for k, v in pairs(o or {}) do so[k] = v end
  local url = assert(oauth.start(so))
  local _, status, headers = http.request { url = url, redirect = false }
  assert.equal(302, status)
  return headers.location:match("%?(.*)$")
end

describe("oauth.start", function()
  it("builds the consent URL with the client id and a fresh 128-bit state kept in the store once", function()
    local st = store.memory()
    local url, state = oauth.start{ store = st, client_id = "app-1", connection = "alice", data = { x = 1 } }
    local url2, state2 = oauth.start{ store = st, client_id = "app-1" }
    assert.matches("^https://secure%.helpscout%.net/authentication/authorizeClientApplication%?", url)
    assert.matches("client_id=app%-1", url)
    assert.is_true(#state >= 32)
    assert.not_equal(state, state2)
    assert.matches("state=" .. state, url, 1, true)
    assert.matches("state=" .. state2, url2, 1, true)
    assert.same({ connection = "alice", data = { x = 1 } }, st:take_state(state))
    assert.is_nil(st:take_state(state), "single use")
  end)

  it("takes the endpoint from opts or HELPSCOUT_AUTHORIZE_URL", function()
    local url = oauth.start{ store = store.memory(), client_id = "app-1", authorize_url = sb.url .. "/consent" }
    assert.matches("^" .. sb.url:gsub("%p", "%%%0") .. "/consent%?", url)
    local out = dir .. "/env.out"
    local code = "io.write((require('helpscout.oauth').start{ client_id = 'x', "
      .. "store = require('helpscout.store').memory() }))"
    os.execute(("HELPSCOUT_AUTHORIZE_URL=%s %s -e %s >%s 2>&1"):format(H.shq(sb.url .. "/authorize-here"),
      H.interp(), H.shq(code), H.shq(out)))
    assert.matches("^" .. sb.url:gsub("%p", "%%%0") .. "/authorize%-here%?", H.read(out))
  end)

  it("raises on bad options, a missing store and a bad connection id", function()
    local st = store.memory()
    assert.has_error(function() oauth.start{ store = st, client_id = "a", stat = "x" } end,
      "bad argument #1 to 'start' (unknown option 'stat'; valid: authorize_url, client_id, connection, data, "
      .. "principal, state, store)")
    assert.has_error(function() oauth.start{ client_id = "a" } end,
      "bad argument #1 to 'start' (option 'store' is required: a store that keeps connections and states)")
    assert.error_matches(function() oauth.start{ store = st, client_id = "a", connection = "../x" } end,
      "bad argument #1 to 'start' %(a connection id may hold")
  end)
end)

describe("oauth.callback", function()
  it("exchanges the code, asks who consented and saves the record in the connection (0600)", function()
    local path = dir .. "/login/token.json"
    local st = store.file(path)
    local q = flow(st, { connection = "alice", data = { back = "/x" } })
    local tok, info = assert(oauth.callback(q, opts(st)))
    assert.truthy(tok.access_token and tok.refresh_token)
    assert.same({ connection = "alice", user = { id = 7701, email = "dana@kestrel.example" }, data = { back = "/x" } },
      info)
    local rec = st:connection("alice"):load()
    assert.equal(tok.refresh_token, rec.refresh_token)
    assert.equal(7701, rec.user_id)
    assert.equal("dana@kestrel.example", rec.email)
    assert.equal("600", H.mode(path .. ".d/alice.token"))
    assert.same({ "alice" }, st:connections())
    assert.equal(1, grants())
    assert.equal(1, #sb:log{ method = "GET", path = "/v2/users/me" })
  end)

  it("accepts the raw query string, with or without '?'", function()
    local st = store.memory()
    local tok = assert(oauth.callback("?" .. flow(st), opts(st)))
    assert.truthy(tok.refresh_token)
    assert.truthy(oauth.callback(flow(st), opts(st)))
  end)

  it("refuses access_denied, unknown or reused states, a missing code and another principal without any exchange",
    function()
      local st = store.memory()
      local q1 = flow(st)
      local state = q1:match("state=([^&]+)")
      local code = q1:match("code=([^&]+)")
      local cases = {
        { "error=access_denied&state=" .. state, "access_denied" },
        { q1, "state_mismatch" },                        -- its state was burnt by the case above
        { { error = "server_error\r\nX: y", state = state }, "denied" },
        { { code = code, state = "0123456789abcdef0123456789abcdef" }, "state_mismatch" },
        { { code = code }, "state_mismatch" },
        { { code = code, state = { state } }, "state_mismatch" },
        { "code=" .. code .. "&state=" .. state .. "&state=" .. state, "state_mismatch" },
      }
      local q2 = flow(st)
      cases[#cases + 1] = { q2:gsub("code=[^&]*", "code="), "missing_code" }
      local q3 = flow(st, { principal = "alice" })
      cases[#cases + 1] = { q3, "principal_mismatch", { principal = "mallory" } }
      local q4 = flow(st, { principal = "alice" })
      cases[#cases + 1] = { q4, "principal_mismatch" }
      sb:clear_log()
      for i, c in ipairs(cases) do
        local tok, err = oauth.callback(c[1], opts(st, c[3]))
        assert.is_nil(tok, "case " .. i)
        assert.equal("auth", err.kind, "case " .. i)
        assert.equal(c[2], err.reason, "case " .. i)
        local s = tostring(err)
        assert.is_nil(s:find(code, 1, true))
        assert.is_nil(s:find(state, 1, true))
        assert.is_nil(s:find("\n", 1, true))
      end
      assert.equal(0, grants())
      assert.same({}, st:connections())
    end)

  it("the same principal completes its flow", function()
    local st = store.memory()
    assert(oauth.callback(flow(st, { principal = "alice" }), opts(st, { principal = "alice" })))
  end)

  it("refuses a user outside the allow-list: token discarded, nothing saved", function()
    local st = store.memory()
    sb:config{ consent_user = "dana@kestrel2.example" }
    local tok, err = oauth.callback(flow(st), opts(st, { allow = { "@kestrel.example" } }))
    assert.is_nil(tok)
    assert.equal("not_allowed", err.reason)
    assert.same({}, st:connections())
    tok, err = oauth.callback(flow(st), opts(st, { allow = function(user) return user.id == 7701 end }))
    assert.is_nil(tok)
    assert.equal("not_allowed", err.reason)
    sb:config{ consent_user = false }
    assert(oauth.callback(flow(st), opts(st, { allow = { "kestrel.example" } })))
    assert(oauth.callback(flow(st), opts(st, { allow = { "DANA@kestrel.example" } })))
  end)

  it("never re-points a connection at another Help Scout user unless replace = true", function()
    local st = store.memory()
    local first = assert(oauth.callback(flow(st, { connection = "team" }), opts(st)))
    sb:config{ consent_user = "dana@kestrel2.example" }
    local tok, err = oauth.callback(flow(st, { connection = "team" }), opts(st))
    assert.is_nil(tok)
    assert.equal("other_user", err.reason)
    local rec = st:connection("team"):load()
    assert.equal(first.refresh_token, rec.refresh_token)
    assert.equal(7701, rec.user_id)
    local _, info = assert(oauth.callback(flow(st, { connection = "team" }), opts(st, { replace = true })))
    assert.equal(8701, info.user.id)
    assert.equal(8701, st:connection("team"):load().user_id)
  end)

  it("a new connect clears a dead refresh mark; the connection may be chosen by who consented", function()
    local st = store.memory()
    assert(oauth.callback(flow(st), opts(st, { connection = function(user) return "hs-" .. user.id end })))
    local conn = st:connection("hs-7701")
    local rec = conn:load()
    rec.dead = true
    conn:save(rec)
    assert(oauth.callback(flow(st), opts(st, { connection = function(user) return "hs-" .. user.id end })))
    assert.is_nil(conn:load().dead)
  end)

  it("reports a used code as the exchange's error (auth: invalid_grant), and saves nothing", function()
    local st = store.memory()
    local state = "0123456789abcdef0123456789abcdef"
    local code = sb:authorize(sb.client_id, state).code
    assert(st:put_state(state, {}, 60))
    assert(oauth.callback({ code = code, state = state }, opts(st)))
    local st2 = store.memory()
    assert(st2:put_state(state, {}, 60))
    local tok, err = oauth.callback({ code = code, state = state }, opts(st2))
    assert.is_nil(tok)
    assert.equal("auth", err.kind)
    assert.equal(400, err.status)
    assert.same({}, st2:connections())
    assert.is_nil(tostring(err):find(code, 1, true))
  end)

  it("reports a store that cannot save as a store error", function()
    local st = store.file("/proc/1/helpscout/token.json")
    local mem = store.memory()
    local q = flow(mem)
    local state = q:match("state=([^&]+)")
    local rec = mem:take_state(state)
    -- the state is kept in a store that works; the record cannot be written
    local proxy = setmetatable({ put_state = function() return true end,
      take_state = function() return rec end }, { __index = st })
    local tok, err = oauth.callback(q, opts(proxy))
    assert.is_nil(tok)
    assert.equal("store", err.kind)
    assert.matches("could not be saved", err.message)
  end)

  it("raises on bad arguments", function()
    local st = store.memory()
    assert.has_error(function() oauth.callback({ code = "c", state = "s" }, opts(nil)) end,
      "bad argument #2 to 'callback' (option 'store' is required: a store that keeps connections and states)")
    assert.has_error(function() oauth.callback(42, opts(st)) end,
      "bad argument #1 to 'callback' (query table or string expected)")
    assert.has_error(function() oauth.callback({}, opts(st, { allow = "x" })) end,
      "bad argument #2 to 'callback' (option 'allow' must be a list of e-mails/domains or a function)")
  end)
end)
