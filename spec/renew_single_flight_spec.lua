-- Single flight, deterministically (issue 21): another process renews and saves while this one
-- waits for the store's lock. Real processes, a real file store and a real redis-server, the
-- sandbox counting token requests in its request log. The order is made by the lock itself and
-- two signal files (spec/renew_peer.lua holds the lock until this process is about to wait on it),
-- never by sleeping:
--   peer: hs:token() -> store lock taken -> "peer-locked" -> waits for "spec-waiting" -> grant, save
--   spec: waits for "peer-locked" -> hs:token() -> load (the old, due token) -> "spec-waiting" ->
--         blocks on the lock -> loads the peer's token under it
-- Both through the public API only: helpscout.new{store=...}, hs:token(), a tool call.
local helpscout = require "helpscout"
local store = require "helpscout.store"
local cjson = require "cjson"
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local timing = require "support.timing"
local H = require "store_helper"

local TIMEOUT = timing.bound(20) -- a peer that never signals fails the spec instead of hanging it

local sb, rs, dir
setup(function()
  sb = sandbox.start{}
  rs = redis.start()
  dir = H.tmpdir("single-flight")
end)
teardown(function() -- (a setup that failed, e.g. a missing redis-server, leaves some unset)
  if sb then sb:stop() end
  if rs then rs:stop() end
  H.rmtree(dir)
end)

local function token_requests() return sb:log{ method = "POST", path = "/v2/oauth2/token" } end

local n = 0
-- A fresh store of `kind` holding a token that is due (expired by the clock), and its config.
local function stale_store(kind)
  n = n + 1
  local cfg = { kind = kind, path = dir .. "/" .. n .. "/token.json", port = rs.port, key = "sf:" .. n }
  local s = kind == "redis" and store.redis{ port = rs.port, key = cfg.key } or store.file(cfg.path)
  local tok = assert(helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
    code = sb:authorize().code, base_url = sb.url })
  tok.expires_at = os.time() - 60
  assert(s:save(tok))
  return s, cfg
end

-- The store s, its lock preceded by the "spec-waiting" signal (the lock itself is the real one).
local function signalling(s, sig_dir)
  return setmetatable({
    lock = function(_, fn)
      H.write(sig_dir .. "/spec-waiting", "")
      return s:lock(fn)
    end,
  }, { __index = function(_, k)
    local v = s[k]
    if type(v) == "function" then return function(_, ...) return v(s, ...) end end
    return v
  end })
end

-- Runs the peer and this process's hs:token() in the order above; returns the spec's client, its
-- token or error, and the peer's JSON result.
local function race(kind, s, cfg)
  local sig = dir .. "/sig" .. n
  os.execute("mkdir -p " .. H.shq(sig))
  local peer = H.shq(os.getenv("PWD") .. "/spec/renew_peer.lua")
  local conf = cjson.encode{ url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret,
    dir = sig, timeout = TIMEOUT, store = cfg }
  local out = sig .. "/peer.out"
  local pid = H.spawn(("arg = { [0] = %s, %q }; dofile(%s)"):format(peer, conf, peer), out)
  assert(H.wait_for(function() return H.read(sig .. "/peer-locked") end, TIMEOUT),
    "the peer never took the lock: " .. tostring(H.read(out)))
  local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
    store = signalling(s, sig) }
  local tok, err = hs:token()
  assert(H.wait_for(function() return not H.alive(pid) end, TIMEOUT), "the peer did not finish")
  local text = H.read(out) or ""
  local ok, res = pcall(cjson.decode, text:match("[^\n]*\n?$") or "")
  assert(ok and type(res) == "table", "the peer printed: " .. text)
  assert.is_truthy(H.read(sig .. "/spec-waiting"), "this process never reached the lock (" .. kind .. ")")
  return hs, tok, err, res
end

for _, kind in ipairs { "file", "redis" } do
  describe("single flight on a " .. kind .. " store", function()
    before_each(function() sb:reset(); sb:clear_log() end)

    it("adopts the token another process renewed while this one waited for the lock: one grant",
      function()
      local s, cfg = stale_store(kind)
      sb:expire_tokens() -- the old access token is refused now: using it would show as a 401
      sb:clear_log()
      local hs, tok, err, peer = race(kind, s, cfg)
      assert.is_true(peer.ok, "the peer's renewal failed: " .. tostring(peer.kind))
      assert.is_nil(err)
      local saved = assert(s:load())
      -- compared, not printed: a failure message must not carry a token
      assert.is_true(tok.access_token == saved.access_token, "this process did not adopt the saved token")
      assert.is_true(tok.refresh_token == saved.refresh_token, "this process holds another refresh token")
      assert.equal(1, #token_requests())
      local mailboxes, page_or_err = hs:list_mailboxes()
      assert.is_table(mailboxes, tostring(page_or_err))
      -- the call used the adopted token: no 401, no second grant
      local calls = sb:log{ method = "GET", path = "/v2/mailboxes" }
      assert.equal(1, #calls)
      assert.equal(200, calls[1].status)
      assert.equal(1, #token_requests())
      hs:close()
    end)

    it("reports reconsent without sending the refused refresh token again: at most one refused grant",
      function()
      local s, cfg = stale_store(kind)
      sb:reset() -- the sandbox forgets every token: the stored refresh token is refused now
      sb:clear_log()
      local hs, tok, err, peer = race(kind, s, cfg)
      assert.is_false(peer.ok)
      assert.equal("reconsent", peer.kind)
      assert.is_nil(tok)
      assert.equal("reconsent", err and err.kind)
      local reqs = token_requests()
      assert.is_true(#reqs <= 1, ("refresh grants sent: %d (one refusal is enough)"):format(#reqs))
      for _, r in ipairs(reqs) do assert.equal(400, r.status) end
      -- and a later call does not send it either
      local items, cerr = hs:list_mailboxes()
      assert.is_nil(items)
      assert.equal("reconsent", cerr and cerr.kind)
      assert.is_true(#token_requests() <= 1, "the dead refresh token was sent again")
      hs:close()
    end)
  end)
end
