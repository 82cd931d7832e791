-- helpscout.store.redis on nginx cosockets, next to another client of the same Redis: a pooled
-- connection that the other client SELECTed into database 5 (as lua-resty-redis leaves it, in
-- the default pool "host:port") is never picked up by the store, whose pool is named after host,
-- port, db and a hash of the password; so the token lands in the store's database. And the store
-- reuses its own pooled connections.
local nginx = require "support.nginx"
local redis = require "support.redis"
local socket = require "socket"

local PASSWORD = "pool-pass-w0rd"

-- GET key in database db over a fresh LuaSocket connection (the test's own view of Redis).
local function get(port, db, key)
  local c = assert(socket.connect("127.0.0.1", port))
  local function cmd(...)
    local args = { ... }
    local out = { "*" .. #args .. "\r\n" }
    for _, a in ipairs(args) do out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n" end
    c:send(table.concat(out))
    local line = c:receive("*l")
    local n = tonumber(line:match("^%$(%-?%d+)"))
    if n and n >= 0 then return c:receive(n + 2):sub(1, n) end
    if n then return nil end
    return line
  end
  cmd("AUTH", PASSWORD)
  cmd("SELECT", tostring(db))
  local v = cmd("GET", key)
  c:close()
  return v
end

describe("redis store on cosockets", function()
  local server, ng

  setup(function()
    server = redis.start{ password = PASSWORD }
    ng = nginx.start{ workers = 1 }
  end)
  teardown(function()
    if ng then ng:stop() end
    if server then server:stop() end
  end)

  it("never takes another client's pooled connection (its database), and reuses its own", function()
    local r = ng:run([[
      local a = ...
      -- another client: AUTH, SELECT 5, back into the default pool "127.0.0.1:<port>"
      local other = ngx.socket.tcp()
      assert(other:connect("127.0.0.1", a.port))
      local function cmd(s, ...)
        local args = { ... }
        local out = { "*" .. #args .. "\r\n" }
        for _, x in ipairs(args) do out[#out + 1] = "$" .. #x .. "\r\n" .. x .. "\r\n" end
        assert(s:send(table.concat(out)))
        return s:receive("*l")
      end
      assert(cmd(other, "AUTH", a.password) == "+OK")
      assert(cmd(other, "SELECT", "5") == "+OK")
      assert(other:setkeepalive(10000, 4))
      local st = require("helpscout.store").redis{ port = a.port, password = a.password, key = "hs:pool",
        socket = ngx.socket.tcp, sleep = ngx.sleep }
      local ok, err = st:save{ access_token = "pooled-access", expires_at = 1800000000 }
      local t = st:load()
      -- the store's own connection went back to its own pool: the next one is a reused one
      local probe = ngx.socket.tcp()
      assert(probe:connect("127.0.0.1", a.port, { pool = require("helpscout.store.resp").pool_name{
        host = "127.0.0.1", port = a.port, db = 0, password = a.password } }))
      local reused = probe:getreusedtimes()
      probe:close()
      return { ok = ok, err = err and tostring(err), token = t and t.access_token, reused = reused }
    ]], { port = server.port, password = PASSWORD })
    assert.is_true(r.ok, r.err)
    assert.equal("pooled-access", r.token)
    assert.is_true(r.reused > 0)
    assert.matches("pooled%-access", get(server.port, 0, "hs:pool"))
    assert.is_nil(get(server.port, 5, "hs:pool"))
  end)

  -- One store object serves every request of a worker (the connector makes it in init_by_lua):
  -- concurrent callers must never meet on one cosocket ("socket busy", or another request's socket).
  it("serves concurrent light threads of one store, each call on a socket of its own", function()
    local r = ng:run([[
      local a = ...
      local st = require("helpscout.store").redis{ port = a.port, password = a.password, key = "hs:conc",
        socket = ngx.socket.tcp, sleep = ngx.sleep }
      assert(st:save{ access_token = "shared-access", expires_at = 1800000000 })
      local errs, threads = {}, {}
      for i = 1, 16 do
        threads[i] = ngx.thread.spawn(function()
          for _ = 1, 40 do
            local t, e = st:load()
            if not (t and t.access_token == "shared-access") then errs[#errs + 1] = tostring(e) end
          end
        end)
      end
      for i = 1, 16 do ngx.thread.wait(threads[i]) end
      return { n = #errs, first = errs[1] }
    ]], { port = server.port, password = PASSWORD })
    assert.equal(0, r.n, r.first)
  end)
end)
