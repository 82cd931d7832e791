-- resty.store.shdict in a real nginx with four workers: a token saved by one worker is loaded by
-- the others; the durable store is written first and read when the dict is empty or while the
-- lock is held; the lock excludes across workers, times out with a store error, and is released
-- only by its holder.
local nginx = require "support.nginx"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound
local socket = require "socket"

-- A durable store as a user would write one (load/save/lock), kept in a second dict so that
-- every worker sees it; `fail` makes save fail.
local DURABLE = [[
  local d = ngx.shared.durable
  local cjson = require "cjson"
  return {
    load = function() local s = d:get("t"); return s and cjson.decode(s) or nil end,
    save = function(_, t)
      if d:get("fail") then return nil, "durable store is down" end
      d:set("t", cjson.encode(t)); return true end,
    lock = function(_, fn) d:incr("locks", 1, 0); return fn() end,
  }
]]

describe("resty shdict store", function()
  local ng

  setup(function()
    ng = nginx.start{
      workers = 4,
      http = "lua_shared_dict hs 1m; lua_shared_dict durable 1m; lua_shared_dict probe 1m;",
      server = [[
        location = /hold { content_by_lua_block {
          local resty = require "helpscout.resty"
          local a = ngx.req.get_uri_args()
          local st = resty.store.shdict("hs", { key = a.key, lock_timeout = tonumber(a.timeout),
            lock_ttl = tonumber(a.ttl) })
          local p = ngx.shared.probe
          local r, err = st:lock(function()
            local inside = p:incr(a.key .. ":inside", 1, 0)
            p:set(a.key .. ":max", math.max(p:get(a.key .. ":max") or 0, inside))
            ngx.sleep(tonumber(a.hold))
            p:incr(a.key .. ":inside", -1)
            p:incr(a.key .. ":done", 1, 0)
            return "held"
          end)
          ngx.say(r or (err.kind .. ": " .. err.message))
        } }
      ]],
    }
  end)
  teardown(function() if ng then ng:stop() end end)

  -- Starts `n` background curl requests to path; returns a function that waits for them and
  -- returns their bodies.
  local function background(path, n)
    local files = {}
    for i = 1, n do
      files[i] = os.tmpname()
      os.execute(("curl -s -o %s '%s%s' &"):format(files[i], ng.url, path))
    end
    return function(timeout)
      local deadline, out = socket.gettime() + (timeout or 10), {}
      for i = 1, n do
        repeat
          local f = io.open(files[i])
          local s = f and f:read("*a") or ""
          if f then f:close() end
          if s ~= "" then out[i] = s:gsub("\n$", "") else socket.sleep(0.05) end
        until out[i] or socket.gettime() > deadline
        os.remove(files[i])
      end
      return out
    end
  end

  it("shares a saved token between workers", function()
    ng:run([[
      local st = require("helpscout.resty").store.shdict("hs", { key = "share" })
      assert(st:load() == nil)
      assert(st:save{ access_token = "at-1", refresh_token = "rt-1", token_type = "bearer",
        expires_at = 2000000000, obtained_at = 1999990000 })
    ]])
    local seen = {}
    for _ = 1, 40 do
      local r = ng:run([[
        local t = require("helpscout.resty").store.shdict("hs", { key = "share" }):load()
        return { worker = ngx.worker.id(), rt = t.refresh_token, exp = t.expires_at }
      ]])
      assert.equal("rt-1", r.rt)
      assert.equal(2000000000, r.exp)
      seen[r.worker] = true
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.is_true(n >= 2, "the token was read by " .. n .. " worker(s) only")
  end)

  it("writes the durable store first and refuses a save it could not persist", function()
    local r = ng:run("local durable = (function() " .. DURABLE .. [[ end)()
      local st = require("helpscout.resty").store.shdict("hs", { key = "dur", durable = durable })
      assert(st:save{ refresh_token = "rt-a" })
      local cjson = require "cjson"
      local in_durable = cjson.decode(ngx.shared.durable:get("t")).refresh_token
      ngx.shared.durable:set("fail", true)
      local ok, err = st:save{ refresh_token = "rt-b" }
      ngx.shared.durable:delete("fail")
      return { in_durable = in_durable, ok = ok or false, kind = err, after = st:load().refresh_token }
    ]])
    assert.equal("rt-a", r.in_durable)
    assert.is_false(r.ok)
    assert.equal("durable store is down", r.kind)
    assert.equal("rt-a", r.after, "the dict kept the token the durable store holds")
  end)

  it("loads from the durable store when the dict is empty (after a restart)", function()
    local r = ng:run("local durable = (function() " .. DURABLE .. [[ end)()
      ngx.shared.durable:set("t", '{"refresh_token":"rt-disk","expires_at":5}')
      local st = require("helpscout.resty").store.shdict("hs", { key = "restart", durable = durable })
      local first = st:load().refresh_token
      ngx.shared.durable:set("t", '{"refresh_token":"rt-other-host"}')
      local cached = st:load().refresh_token       -- the dict now holds rt-disk
      local locked = st:lock(function() return st:load().refresh_token end)
      return { first = first, cached = cached, locked = locked, locks = ngx.shared.durable:get("locks") }
    ]])
    assert.equal("rt-disk", r.first)
    assert.equal("rt-disk", r.cached)
    assert.equal("rt-other-host", r.locked, "under the lock the durable store is the truth")
    assert.equal(1, r.locks, "the durable store's lock was taken inside")
  end)

  it("excludes across workers without blocking them", function()
    local wait = background("/hold?key=ex&hold=0.1&timeout=10&ttl=30", 8)
    local res
    local times = timing.sample(5, function()
      res = ng:request("GET", "/_run", { body = '{"code":"return 1"}' })
    end)
    local quick = timing.median(times)
    local bodies = wait(15)
    for i = 1, 8 do assert.equal("held", bodies[i]) end
    local p = ng:run("local p = ngx.shared.probe; return { max = p:get('ex:max'), done = p:get('ex:done') }")
    assert.equal(1, p.max)
    assert.equal(8, p.done)
    assert.equal(200, res.status)
    assert.is_true(quick < timing.bound(0.25),
      ("unrelated requests waited %.3f s (median; the holders sleep 0.8 s in all)"):format(quick))
  end)

  it("gives up waiting with a store error", function()
    local wait = background("/hold?key=to&hold=1&timeout=10&ttl=30", 1)
    socket.sleep(0.3)
    local res = ng:request("GET", "/hold?key=to&hold=0&timeout=0.2&ttl=30")
    assert.matches("store: timed out waiting for the token lock in shared dict 'hs'", res.body, 1, true)
    assert.equal("held", wait()[1])
  end)

  it("releases only its own lock (an expired holder does not free the next one's)", function()
    local a = background("/hold?key=own&hold=0.6&timeout=5&ttl=0.2", 1) -- expires while held
    socket.sleep(0.35)
    local b = background("/hold?key=own&hold=1.0&timeout=5&ttl=30", 1)  -- takes it over
    socket.sleep(0.5)                                                  -- a has released by now
    local c = ng:request("GET", "/hold?key=own&hold=0&timeout=0.1&ttl=30")
    assert.matches("timed out", c.body)
    assert.equal("held", a()[1])
    assert.equal("held", b()[1])
  end)
end)

describe("resty shdict store with a durable file store", function()
  it("writes a token through to the file (0600) and finds it again after nginx restarts", function()
    local p = io.popen("mktemp -d /tmp/hs-durable.XXXXXX")
    local dir = p:read("*l")
    p:close()
    local path = dir .. "/tokens/token.json"
    local code = ([[
      local st = require("helpscout.resty").store.shdict("hs", {
        durable = require("helpscout.store").file(%q) })
      local tok = ...
      if tok then assert(st:save(tok)) end
      return st:load()
    ]]):format(path)
    local ng = nginx.start{ workers = 2, http = "lua_shared_dict hs 1m;" }
    local saved = ng:run(code, { access_token = "at-9", refresh_token = "rt-9", token_type = "bearer",
      expires_at = 2000000000, obtained_at = 1999990000 })
    ng:stop()
    local mode = io.popen("stat -c %a " .. path):read("*l")
    local f = assert(io.open(path))
    local on_disk = f:read("*a")
    f:close()
    local again = nginx.start{ workers = 2, http = "lua_shared_dict hs 1m;" } -- an empty dict
    local loaded = again:run(code)
    again:stop()
    os.execute("rm -rf " .. dir)
    assert.equal("rt-9", saved.refresh_token)
    assert.equal("600", mode)
    assert.matches('"refresh_token":"rt%-9"', on_disk)
    assert.equal("rt-9", loaded.refresh_token)
    assert.equal(2000000000, loaded.expires_at)
  end)
end)

describe("resty shdict rate budget", function()
  local ng
  setup(function() ng = nginx.start{ workers = 4, reuseport = true, http = "lua_shared_dict hs 1m;" } end)
  teardown(function() if ng then ng:stop() end end)

  local STORE = "local st = require('helpscout.resty').store.shdict('hs', { key = 'budget' }); local now = ... "

  it("spends what the server said is left, across workers, and then answers how long to wait", function()
    local r = ng:run(STORE .. [[
      local unknown = st:spend(1, now)                 -- nothing observed yet: go
      assert(st:observe{ remaining = 5, reset_at = now + 10, now = now })
      return { unknown = unknown, a = st:spend(2, now), b = st:spend(2, now) }
    ]], 1000)
    assert.same({ unknown = 0, a = 0, b = 0 }, r)
    local seen, waits = {}, {}
    for i = 1, 12 do
      local w = ng:run(STORE .. "return { wait = st:spend(1, now), worker = ngx.worker.id() }", 1000 + i * 0.01)
      seen[w.worker] = true
      waits[i] = w.wait
    end
    assert.equal(0, waits[1], "one unit was left")
    for i = 2, 12 do assert.is_true(waits[i] > 9 and waits[i] <= 10, "wait " .. tostring(waits[i])) end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.is_true(n >= 2, "one worker only")
    -- the window passed: the budget is unknown again
    assert.equal(0, ng:run(STORE .. "return st:spend(1, now)", 1011))
  end)

  it("refuses bad arguments like every store", function()
    local r = ng:run(STORE .. [[
      local a = select(2, pcall(st.spend, st, -1, now))
      local b = select(2, pcall(st.observe, st, { remaining = 1 }))
      return { a = a, b = b }
    ]], 1000)
    assert.matches("cost must be a number >= 0", r.a)
    assert.matches("now = epoch seconds", r.b)
  end)
end)
