-- helpscout.renew: the single-flight rule, against the sandbox's token endpoint and real stores.
-- Until the C engine (core.engine.new) is on main, `eng` is a small engine written here that
-- follows doc/engine.md "Tokens: the engine part" to the letter; the driver's `send` is LuaSocket.
local renew = require "helpscout.renew"
local store = require "helpscout.store"
local helpscout = require "helpscout"
local core = require "helpscout.core"
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local H = require "store_helper"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local function copy(t)
  if not t then return nil end
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  return o
end

local function urlenc(s) return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end)) end

-- The engine part of doc/engine.md, no I/O: token state, due rule, grant request and answer.
local function fake_engine(sb, token)
  local e = { tok = copy(token), gen = 0, dead = nil, resent = false }
  function e.token(self) return copy(self.tok) end
  function e.set_token(self, t) self.tok, self.gen = copy(t), self.gen + 1 end
  function e.generation(self) return self.gen end
  function e.due(self, t, now)
    t = t or self.tok
    if not (t and t.access_token and t.expires_at) then return true end
    local life = t.expires_at - (t.obtained_at or t.expires_at)
    return now >= t.expires_at - math.min(60, life / 4)
  end
  function e.grant_request(self, now)
    local rt = self.tok and self.tok.refresh_token
    if rt and rt == self.dead then return nil, helpscout.Error and core.sys and
      setmetatable({ kind = "reconsent", message = "the refresh token is dead" }, core.Error) end
    local body = rt and ("grant_type=refresh_token&refresh_token=" .. urlenc(rt)) or "grant_type=client_credentials"
    body = body .. "&client_id=" .. urlenc(sb.client_id) .. "&client_secret=" .. urlenc(sb.client_secret)
    self.sent, self.sent_at, self.resent = rt, now, false
    return { action = "SEND", method = "POST", url = sb.url .. "/v2/oauth2/token", body = body,
             headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
             fresh_connection = true, write = false, idempotent = false }
  end
  function e.grant_answer(self, o)
    local function fail(kind, fields)
      local err = setmetatable({ kind = kind, message = "grant failed: " .. kind }, core.Error)
      for k, v in pairs(fields or {}) do err[k] = v end
      return nil, err
    end
    if o.transport then
      if self.resent then return fail("network") end
      self.resent = true
      return fail("network", { resend = true })
    end
    local ok, v = pcall(cjson.decode, o.body or "")
    if o.status == 200 and ok and type(v) == "table" and v.access_token then
      self:set_token{ access_token = v.access_token, refresh_token = v.refresh_token or self.sent,
        token_type = v.token_type, expires_at = o.now + v.expires_in, obtained_at = o.now }
      return self:token()
    end
    if o.status == 400 and ok and (v.error == "invalid_grant" or v.error == "invalid_request") and self.sent then
      self.dead = self.sent
      return fail("reconsent")
    end
    return fail("auth", { status = o.status })
  end
  return e
end

-- The driver's part: execute a SEND action over HTTP, return the outcome.
local function sender(log)
  return function(req)
    if log then log[#log + 1] = req end
    local out = {}
    local _, status, headers = http.request {
      url = req.url, method = req.method, sink = ltn12.sink.table(out),
      headers = { ["content-type"] = req.headers["Content-Type"], ["content-length"] = #req.body },
      source = ltn12.source.string(req.body),
    }
    local now = core.sys.now()
    if type(status) ~= "number" then return { now = now, transport = "network", message = tostring(status) } end
    return { now = now, status = status, headers = headers, body = table.concat(out) }
  end
end

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
  o.expires_at, o.obtained_at = core.sys.now() - 10, core.sys.now() - 3610
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
    local eng, seen = fake_engine(sb), {}
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
        local eng = fake_engine(sb)
        assert.same(t, renew.run(eng, s, { action = "TOKEN", need = "missing" }, sender()))
        assert.same(t, eng:token())
        assert.equal(0, grants())
      end)

      it("renews a due token once, saving it before on_token sees it", function()
        local s = fresh_store(kind)
        local old = expired(consented())
        s:save(old)
        sb:clear_log()
        local eng, in_store = fake_engine(sb, old), nil
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
        local eng_a = fake_engine(sb, expired(first))
        s:save(expired(first))
        assert(renew.run(eng_a, s, { action = "TOKEN", need = "due" }, sender()))
        -- a second process still holding the first (now dead) refresh token, its token rejected
        local eng_b = fake_engine(sb, first)
        sb:clear_log()
        local tok = assert(renew.run(eng_b, s, { action = "TOKEN", need = "rejected" }, sender()))
        assert.same(eng_a:token(), tok)
        assert.equal(0, grants())
        -- and when the stored token is due too, the grant uses the stored (live) refresh token
        s:save(expired(eng_a:token()))
        local eng_c = fake_engine(sb, first)
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
    local eng = fake_engine(sb, t)
    local tok = assert(renew.run(eng, s, { action = "TOKEN", need = "rejected" }, sender()))
    assert.not_equal(t.access_token, tok.access_token)
    assert.equal(1, grants())
  end)

  it("on reconsent reloads the store once and adopts what another process rotated meanwhile", function()
    local s = fresh_store("file")
    local t = expired(consented())
    s:save(t)
    local eng, intruded = fake_engine(sb, t), nil
    local send = sender()
    -- The driver's send, just before the request leaves: another process (no lock: a person
    -- running `auth login`, a host on another store) rotates the same refresh token and saves.
    local function racing_send(req)
      if not intruded then
        local other = fake_engine(sb, t)
        intruded = assert(other:grant_answer(send(assert(other:grant_request(core.sys.now())))))
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
    local eng = fake_engine(sb, t)
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "due" }, sender(reqs))
    assert.is_nil(tok)
    assert.equal("reconsent", err.kind)
    assert.equal(2, #reqs)          -- sent, answer lost, re-sent once (the server had rotated it)
    assert.equal(2, grants())
    assert.same(t, s:load())        -- nothing half-written; the dead token stays for a human to replace
    assert.equal(t.refresh_token, eng:token().refresh_token)
  end)

  it("an unreachable store: a store error, no grant, the engine keeps its token", function()
    local r2 = redis.start()
    local s = store.redis{ port = r2.port, key = "down", timeout = 1 }
    local t = expired(consented())
    s:save(t)
    r2:stop()
    sb:clear_log()
    local eng = fake_engine(sb, t)
    local tok, err = renew.run(eng, s, { action = "TOKEN", need = "due" }, sender())
    assert.is_nil(tok)
    assert.equal("store", err.kind)
    assert.same(t, eng:token())
    assert.equal(0, grants())
  end)

  it("a store that fails while saving: a store error, but on_token and the engine hold the new token", function()
    local r2 = redis.start()
    local s = store.redis{ port = r2.port, key = "dies", timeout = 1 }
    local t = expired(consented())
    s:save(t)
    local send, seen = sender(), nil
    local eng = fake_engine(sb, t)
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
