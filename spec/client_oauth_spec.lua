-- Token lifecycle: lazy client-credentials token, proactive renewal before expiry, one renewal
-- and replay on a 401, the authorization-code flow, refresh-token rotation with on_token, and
-- a rejected refresh token ("reconsent").
local H = require "client_helper"
local helpscout = require "helpscout"

describe("client OAuth", function()
  local sb

  setup(function() sb = H.start{ seed = 41 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:reset() end)

  local function token_reqs() return sb:log{ method = "POST", path = "/v2/oauth2/token" } end

  local function form(r)
    local out = {}
    for k, v in tostring(r.body):gmatch("([^&=]+)=([^&]*)") do out[k] = v end
    return out
  end

  -- A user consents (simulated), the app exchanges the code: a token with a refresh token.
  local function consent()
    local _, state = helpscout.authorize_url{ client_id = sb.client_id }
    local grant = sb:authorize(sb.client_id, state)
    assert.equal(state, grant.state)
    local tok, err = helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
      code = grant.code, base_url = sb.url }
    assert.is_nil(err)
    return tok
  end

  it("gets a client-credentials token lazily, form-encoded, once", function()
    local seen = {}
    local hs = H.client(sb, { on_token = function(t) seen[#seen + 1] = t end })
    assert.equal(0, #sb:log())
    assert.is_table((hs:list_users()))
    assert.is_table((hs:list_mailboxes()))
    local reqs = sb:log()
    assert.equal(3, #reqs)
    assert.equal("/v2/oauth2/token", reqs[1].path)
    assert.truthy(reqs[1].headers["content-type"]:find("application/x-www-form-urlencoded", 1, true))
    assert.equal("client_credentials", form(reqs[1]).grant_type)
    assert.is_nil(reqs[1].headers.authorization)
    assert.equal(1, #seen)
    assert.is_string(seen[1].access_token)
    assert.equal("number", type(seen[1].expires_at))
    assert.is_true(seen[1].expires_at > os.time())
    local t = hs:token()
    assert.equal(seen[1].access_token, t.access_token)
    assert.is_nil(t.refresh_token)
    hs:close()
  end)

  it("renews shortly before expiry without a 401", function()
    sb:config{ token_ttl = 2 }
    local hs = H.client(sb)
    assert.is_table((hs:list_users()))
    local first = hs:token().access_token
    H.sleep(1.7)
    assert.is_table((hs:list_users()))
    assert.not_equal(first, hs:token().access_token)
    assert.equal(2, #token_reqs())
    for _, r in ipairs(sb:log()) do assert.not_equal(401, r.status) end
    hs:close()
  end)

  it("renews once on a 401 and replays the request", function()
    local hs = H.client(sb)
    assert.is_table((hs:list_users()))
    sb:expire_tokens()
    sb:clear_log()
    local items = assert(hs:list_users())
    assert.is_true(#items >= 1)
    local reqs = sb:log()
    assert.equal(3, #reqs)
    assert.same({ "GET", "POST", "GET" }, { reqs[1].method, reqs[2].method, reqs[3].method })
    assert.equal(401, reqs[1].status)
    assert.equal(200, reqs[3].status)
    hs:close()
  end)

  it("does not loop when the renewed token is rejected too", function()
    local hs = H.client(sb)
    sb:fault{ method = "GET", path = "/v2/users", count = 5, action = "status", status = 401 }
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("auth", err.kind)
    assert.equal(2, H.count(sb, "GET", "/v2/users"))
    hs:close()
  end)

  it("uses a saved access token without asking for one", function()
    local tok = assert(H.client(sb):token())
    sb:clear_log()
    local hs = H.client(sb, { access_token = tok.access_token, expires_at = tok.expires_at })
    assert.is_table((hs:list_users()))
    assert.equal(0, #token_reqs())
    hs:close()
  end)

  it("exchanges an authorization code for a token with a refresh token", function()
    local tok = consent()
    assert.is_string(tok.access_token)
    assert.is_string(tok.refresh_token)
    local r = token_reqs()[1]
    assert.equal("authorization_code", form(r).grant_type)
    local bad, err = helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
      code = "not-a-code", base_url = sb.url }
    assert.is_nil(bad)
    assert.equal("auth", err.kind)
  end)

  it("rotates refresh tokens, hands them to on_token, and old ones need reconsent", function()
    local tok = consent()
    local seen = {}
    local hs = H.client(sb, { access_token = tok.access_token, refresh_token = tok.refresh_token,
      expires_at = tok.expires_at, on_token = function(t) seen[#seen + 1] = t end })
    assert.is_table((hs:list_users()))
    assert.equal(0, #seen)
    sb:expire_tokens()
    assert.is_table((hs:list_users()))
    assert.equal(1, #seen)
    assert.is_string(seen[1].refresh_token)
    assert.not_equal(tok.refresh_token, seen[1].refresh_token)
    assert.equal("refresh_token", form(token_reqs()[2]).grant_type)
    assert.same(seen[1], hs:token())
    -- the old refresh token is dead now
    local old = H.client(sb, { refresh_token = tok.refresh_token })
    local items, err = old:list_users()
    assert.is_nil(items)
    assert.equal("reconsent", err.kind)
    assert.equal(400, err.status)
    assert.falsy(tostring(err):find(tok.refresh_token, 1, true))
    -- and the rotated one keeps working after another expiry
    sb:expire_tokens()
    assert.is_table((hs:list_users()))
    assert.equal(2, #seen)
    hs:close()
    old:close()
  end)

  it("re-raises an on_token failure but keeps the new token", function()
    local hs = H.client(sb, { on_token = function() error("disk full") end })
    local ok, msg = pcall(hs.list_users, hs)
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("on_token failed", 1, true))
    assert.truthy(tostring(msg):find("disk full", 1, true))
    assert.is_table((hs:list_users()))
    assert.equal(1, #token_reqs())
    hs:close()
  end)
  it("on_token can neither close nor re-enter the client whose request is in flight", function()
    -- (closing it there used to free the handle the pending request was about to use: a crash)
    local hs
    local mode = "close"
    hs = H.client(sb, { on_token = function()
      if mode == "close" then hs:close() else hs:list_users() end
    end })
    local ok, msg = pcall(hs.list_mailboxes, hs)
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("cannot be closed while a call is in progress", 1, true), msg)
    local items = assert(hs:list_mailboxes()) -- still open, and the token was kept
    assert.is_true(#items > 0)
    hs:close()
    mode = "call"
    hs = H.client(sb, { on_token = function()
      if mode == "close" then hs:close() else hs:list_users() end
    end })
    ok, msg = pcall(hs.list_mailboxes, hs)
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("the client is busy", 1, true), msg)
    assert.equal(0, H.count(sb, "GET", "/v2/users"))
    hs:close()
  end)

  it("a token answer without access_token is kind protocol", function()
    sb:fault{ method = "POST", path = "/v2/oauth2/token", count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "application/json" }, body = '{"token_type":"bearer"}' }
    local hs = H.client(sb)
    local tok, err = hs:token()
    assert.is_nil(tok)
    assert.equal("protocol", err.kind)
    assert.equal(200, err.status)
    assert.truthy(hs:token()) -- the next attempt gets a real token
    hs:close()
  end)
end)
