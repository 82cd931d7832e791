-- helpscout.store.redis against a real redis-server: password, db, the lock's expiry and its
-- token-checked release, Redis going away, and a caller-supplied socket constructor.
local store = require "helpscout.store"
local sys = require("helpscout.core").sys
local socket = require "socket"
local redis = require "support.redis"
local H = require "store_helper"

local TOKEN = { access_token = "secret-access", refresh_token = "secret-refresh", expires_at = 1800000000 }
local PASSWORD = "redis-pass-w0rd"

-- One raw command on a fresh LuaSocket connection (the test's own view of Redis).
local function raw(port, ...)
  local c = assert(socket.connect("127.0.0.1", port))
  local args = { ... }
  local out = { "*" .. #args .. "\r\n" }
  for _, a in ipairs(args) do out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n" end
  c:send(table.concat(out))
  local line = c:receive("*l")
  local n = tonumber(line:match("^%$(%-?%d+)"))
  if n and n >= 0 then line = c:receive(n + 2):sub(1, n) elseif n then line = nil end
  c:close()
  return line
end

describe("redis store", function()
  local server, dir
  setup(function() server = redis.start(); dir = H.tmpdir("redis") end)
  teardown(function() server:stop(); H.rmtree(dir) end)

  it("stores the token as JSON under its key", function()
    local s = store.redis{ port = server.port, key = "hs:json" }
    assert.is_true(s:save(TOKEN))
    local json = raw(server.port, "GET", "hs:json")
    assert.same(TOKEN, require("cjson").decode(json))
  end)

  it("reports a key that does not hold a token, and leaves it", function()
    raw(server.port, "SET", "hs:bad", "{oops")
    local s = store.redis{ port = server.port, key = "hs:bad" }
    local t, err = s:load()
    assert.is_nil(t)
    assert.equal("store", err.kind)
    assert.equal("{oops", raw(server.port, "GET", "hs:bad"))
  end)

  it("takes over at once the lock of a killed holder on this host", function()
    local s = store.redis{ port = server.port, key = "hs:dead", lock_ttl = 60, lock_timeout = 5 }
    local pid = H.spawn(([[
      local s = require("helpscout.store").redis{ port = %d, key = "hs:dead", lock_ttl = 60 }
      s:lock(function() io.open(%q, "w"):close(); require("helpscout.core").sys.sleep(30) end)]])
      :format(server.port, dir .. "/held-dead"))
    assert.truthy(H.wait_for(function() return H.read(dir .. "/held-dead") end, 10))
    H.kill(pid, "KILL")
    local t0 = sys.now()
    assert.equal("taken", s:lock(function() return "taken" end))
    assert.is_true(sys.now() - t0 < 2, "took " .. (sys.now() - t0) .. " s")
  end)

  it("lets the lock of a holder on another host expire, and releases only its own lock", function()
    local s = store.redis{ port = server.port, key = "hs:ttl", lock_ttl = 1, lock_timeout = 0.2 }
    -- a holder elsewhere: its liveness cannot be checked from here
    raw(server.port, "SET", "hs:ttl:lock", "another-host.example/4242/0123abcd", "PX", "1000")
    local r, err = s:lock(function() return "early" end)
    assert.is_nil(r)
    assert.is_true(err.timeout)
    assert.equal("store", err.kind)
    sys.sleep(1)
    -- After expiry the lock is ours; a stranger's value set meanwhile must survive our release.
    local res = s:lock(function()
      raw(server.port, "SET", "hs:ttl:lock", "someone-else")
      return "late"
    end)
    assert.equal("late", res)
    assert.equal("someone-else", raw(server.port, "GET", "hs:ttl:lock"))
  end)

  it("serialises read-modify-write across 2 processes", function()
    local code = ([[
      local s = require("helpscout.store").redis{ port = %d, key = "hs:count" }
      for _ = 1, 40 do
        assert(s:lock(function()
          local t = s:load() or { access_token = "0" }
          assert(s:save{ access_token = tostring(tonumber(t.access_token) + 1) })
          return true
        end))
      end]]):format(server.port)
    local pids = { H.spawn(code, dir .. "/o1"), H.spawn(code, dir .. "/o2") }
    for i = 1, 2 do H.wait_for(function() return not H.alive(pids[i]) end, 30) end
    assert.equal("", H.read(dir .. "/o1") .. H.read(dir .. "/o2"))
    assert.equal("80", store.redis{ port = server.port, key = "hs:count" }:load().access_token)
  end)

  it("accepts a caller's socket constructor (as OpenResty passes ngx.socket.tcp)", function()
    local made = 0
    local s = store.redis{ port = server.port, key = "hs:ctor",
                           socket = function() made = made + 1; return socket.tcp() end }
    assert.is_true(s:save(TOKEN))
    assert.same(TOKEN, s:load())
    assert.equal(1, made) -- one connection, kept
  end)

  it("raises on bad options", function()
    assert.has_error(function() store.redis{ prot = 1 } end)
    assert.has_error(function() store.redis{ port = "6379" } end)
    assert.has_error(function() store.redis{ key = "" } end)
    assert.has_error(function() store.redis{ port = 6379.5 } end)
  end)
end)

describe("redis store with a password and a db", function()
  local server
  setup(function() server = redis.start{ password = PASSWORD } end)
  teardown(function() server:stop() end)

  it("authenticates and selects the database", function()
    local s = store.redis{ port = server.port, password = PASSWORD, db = 3, key = "hs:db" }
    assert.is_true(s:save(TOKEN))
    assert.same(TOKEN, s:load())
    assert.is_nil(store.redis{ port = server.port, password = PASSWORD, key = "hs:db" }:load())
  end)

  it("reports a wrong password without echoing it", function()
    local t, err = store.redis{ port = server.port, password = "wrong-" .. PASSWORD, key = "x" }:load()
    assert.is_nil(t)
    assert.equal("store", err.kind)
    assert.matches("AUTH", err.message)
    assert.is_nil(tostring(err):find(PASSWORD, 1, true))
  end)
end)

describe("redis store when Redis is down", function()
  it("gives a store error for every method, then recovers when Redis is back", function()
    local server = redis.start()
    local port = server.port
    local s = store.redis{ port = port, key = "hs:down", timeout = 1 }
    assert.is_true(s:save(TOKEN))
    server:stop()
    for _, f in ipairs {
      function() return s:load() end, function() return s:save(TOKEN) end,
      function() return s:lock(function() return "ran" end) end, function() return s:observe{ now = 1 } end,
    } do
      local v, err = f()
      assert.is_nil(v)
      assert.equal("store", err.kind)
      assert.is_true(err.retryable)
      assert.matches("redis 127.0.0.1:" .. port, err.message)
      assert.is_nil(tostring(err):find("secret", 1, true))
    end
    local wait, err = s:spend(1, 1)
    assert.equal(0, wait)                  -- a broken budget never stops a call
    assert.equal("store", err.kind)
    server = redis.start{ port = port }    -- an empty Redis comes back
    assert.is_nil(s:load())
    assert.is_true(s:save(TOKEN))
    server:stop()
  end)
end)
