-- helpscout.renew: the single-flight rule, against the sandbox's token endpoint and real stores.
-- `eng` is the real engine (core.engine.new); the driver's `send` is LuaSocket, as a Lua driver's.
local renew = require "helpscout.renew"
local store = require "helpscout.store"
local helpscout = require "helpscout"
local core = require "helpscout.core"
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local H = require "store_helper"

local R = require "renew_helper"
local engine, sender, copy = R.engine, R.sender, R.copy

local sb, dir, rs
setup(function()
  sb = sandbox.start{ token_ttl = 3600 }
  dir = H.tmpdir("renew")
  rs = redis.start()
end)
teardown(function() sb:stop(); rs:stop(); H.rmtree(dir) end)
before_each(function() sb:reset(); sb:config{ token_ttl = 3600 } end)

local function grants() return #sb:log{ method = "POST", path = "/v2/oauth2/token" } end

-- A token from the authorization-code flow (access + refresh), as `auth login` saves it.
local function consented()
  local code = sb:authorize().code
  return assert(helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
    code = code, base_url = sb.url })
end

local function expired(t)
  local o = copy(t)
  o.expires_at, o.obtained_at = core.sys.epoch() - 10, core.sys.epoch() - 3610
  return o
end

local n = 0
local function fresh_store(kind)
  n = n + 1
  if kind == "redis" then return store.redis{ port = rs.port, key = "renew:" .. n } end
  if kind == "memory" then return store.memory() end
  return store.file(dir .. "/" .. n .. "/token.json")
end

describe("renew.run", function()
  it("without a store grants and calls on_token", function()
    local eng, seen = engine(sb), {}
    local tok = assert(renew.run(eng, nil, { action = "TOKEN", need = "missing" }, sender(),
      function(t) seen[#seen + 1] = t end))
    assert.truthy(tok.access_token)
    assert.same(tok, eng:token())
    assert.same({ tok }, seen)
  end)

  for _, kind in ipairs { "memory", "file", "redis" } do
    describe("with a " .. kind .. " store", function()
      it("adopts a fresh stored token without any grant", function()
        local s = fresh_store(kind)
        local t = consented()
        s:save(t)
        sb:clear_log()
        local eng = engine(sb)
        assert.same(t, renew.run(eng, s, { action = "TOKEN", need = "missing" }, sender()))
        assert.same(t, eng:token())
        assert.equal(0, grants())
      end)

      it("renews a due token once, saving it before on_token sees it", function()
        local s = fresh_store(kind)
        local old = expired(consented())
        s:save(old)
        sb:clear_log()
        local eng, in_store = engine(sb, old), nil
        local tok = assert(renew.run(eng, s, { action = "TOKEN", need = "due" }, sender(),
          function() in_store = s:load() end))
        assert.not_equal(old.refresh_token, tok.refresh_token)
        assert.same(tok, in_store)
        assert.same(tok, s:load())
        assert.equal(1, grants())
      end)

      it("uses the store's refresh token when the engine's is stale", function()
        local s = fresh_store(kind)
        local first = consented()
        local eng_a = engine(sb, expired(first))
        s:save(expired(first))
        assert(renew.run(eng_a, s, { action = "TOKEN", need = "due" }, sender()))
        -- a second process still holding the first (now dead) refresh token, its token rejected
        local eng_b = engine(sb, first)
        sb:clear_log()
        local tok = assert(renew.run(eng_b, s, { action = "TOKEN", need = "rejected" }, sender()))
        assert.same(eng_a:token(), tok)
        assert.equal(0, grants())
        -- and when the stored token is due too, the grant uses the stored (live) refresh token
        s:save(expired(eng_a:token()))
        local eng_c = engine(sb, first)
        tok = assert(renew.run(eng_c, s, { action = "TOKEN", need = "due" }, sender()))
        assert.equal(1, grants())
        assert.same(tok, s:load())
      end)
    end)
  end

  it("re-grants a rejected token even when the store holds that same token, not due", function()
    local s = fresh_store("file")
    local t = consented()
    s:save(t)
    sb:clear_log()
    local eng = engine(sb, t)
    local tok = assert(renew.run(eng, s, { action = "TOKEN", need = "rejected" }, sender()))
    assert.not_equal(t.access_token, tok.access_token)
    assert.equal(1, grants())
  end)

  it("on reconsent reloads the store once and adopts what another process rotated meanwhile", function()
    local s = fresh_store("file")
    local t = expired(consented())
    s:save(t)
    local eng, intruded = engine(sb, t), nil
    local send = sender()
    -- The driver's send, just before the request leaves: another process (no lock: a person
    -- running `auth login`, a host on another store) rotates the same refresh token and saves.
    local function racing_send(req)
      if not intruded then
        local other = engine(sb, t)
        intruded = assert(other:grant_answer(send(assert(other:grant_request(core.sys.epoch())))))
        assert(s:save(intruded))
      end
      return send(req)
    end
    local tok = assert(renew.run(eng, s, { action = "TOKEN", need = "due" }, racing_send))
    assert.same(intruded, tok)
    assert.same(intruded, eng:token())
  end)

  it("a dropped refresh answer: reconsent, and the store keeps the last saved token", function()
    local s = fresh_store("file")
    local t = expired(consented())
    s:save(t)
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "drop", process = true, count = 1 }
    sb:clear_log()
    local reqs = {}
    local eng = engine(sb, t)
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "due" }, sender(reqs))
    assert.is_nil(tok)
    assert.equal("reconsent", err.kind)
    assert.equal(2, #reqs)          -- sent, answer lost, re-sent once (the server had rotated it)
    assert.equal(2, grants())
    local rec = s:load()            -- nothing half-written; the dead token stays for a human to replace,
    assert.is_true(rec.dead)        -- marked dead for every other client of the store
    rec.dead = nil
    assert.same(t, rec)
    assert.equal(t.refresh_token, eng:token().refresh_token)
    -- a second engine on the same store: reconsent at once, the dead token is not sent again
    local reqs2 = {}
    tok, err = renew.run(engine(sb, t), s, { action = "TOKEN", need = "due" }, sender(reqs2))
    assert.is_nil(tok)
    assert.equal("reconsent", err.kind)
    assert.equal(0, #reqs2)
    assert.equal(2, grants())
  end)

  it("an unreachable store: a store error, no grant, the engine keeps its token", function()
    local r2 = redis.start()
    local s = store.redis{ port = r2.port, key = "down", timeout = 1 }
    local t = expired(consented())
    s:save(t)
    r2:stop()
    sb:clear_log()
    local eng = engine(sb, t)
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "due" }, sender())
    assert.is_nil(tok)
    assert.equal("store", err.kind)
    assert.same(t, eng:token())
    assert.equal(0, grants())
  end)

  it("an unreachable store while the token is due but not expired: the held token serves on", function()
    local r2 = redis.start()
    local s = store.redis{ port = r2.port, key = "blip", timeout = 1 }
    local t = consented()
    t.obtained_at, t.expires_at = core.sys.epoch() - 100, core.sys.epoch() + 20 -- due (margin 30 s)
    s:save(t)
    r2:stop()
    sb:clear_log()
    local eng = engine(sb, t)
    assert.is_true(eng:due(nil, core.sys.epoch()))
    assert.same(eng:token(), renew.run(eng, s, { action = "TOKEN", need = "due" }, sender()))
    assert.equal(0, grants())
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "rejected" }, sender())
    assert.is_nil(tok)                        -- a rejected token is no use: the store error shows
    assert.equal("store", err.kind)
  end)

  it("a store that fails while saving: a store error, but on_token and the engine hold the new token", function()
    local r2 = redis.start()
    local s = store.redis{ port = r2.port, key = "dies", timeout = 1 }
    local t = expired(consented())
    s:save(t)
    local send, seen = sender(), nil
    local eng = engine(sb, t)
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "due" },
      function(req) r2:stop(); return send(req) end, function(x) seen = x end)
    assert.is_nil(tok)
    assert.equal("store", err.kind)
    assert.matches("not saved", err.message)
    assert.truthy(seen and seen.refresh_token)
    assert.not_equal(t.refresh_token, seen.refresh_token)
    assert.same(seen, eng:token())
    assert.is_nil(tostring(err):find(seen.refresh_token, 1, true))
  end)
end)
