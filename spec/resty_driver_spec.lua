-- helpscout.resty inside a real nginx, for what only a driver inside nginx can show: calls never
-- block the worker; four workers share one refresh token through the shared dict (single
-- flight under --token-ttl 2); the connect flow end to end; clear errors in phases without
-- cosockets; on_token failing inside nginx.
local nginx = require "support.nginx"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound
local sandbox = require "support.sandbox"
local socket = require "socket"
local cjson = require "cjson.safe"
local rawhttp = require "support.rawhttp"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- `n` background curl requests to url; returns a function that waits for them and returns
-- their bodies and the seconds until the last one finished.
local function background(url, n)
  local files, t0 = {}, socket.gettime()
  for i = 1, n do
    files[i] = os.tmpname()
    os.execute(("(curl -s -m 60 -o %s.part %s; mv %s.part %s) &"):format(shq(files[i]), shq(url),
      shq(files[i]), shq(files[i])))
  end
  return function(timeout)
    local deadline, out, last = socket.gettime() + (timeout or 30), {}, 0
    for i = 1, n do
      repeat
        local f = io.open(files[i])
        local s = f and f:read("*a") or ""
        if f then f:close() end
        if s ~= "" then out[i] = s; last = socket.gettime() - t0 else socket.sleep(0.01) end
      until out[i] or socket.gettime() > deadline
      os.remove(files[i])
    end
    return out, last
  end
end

-- A Lua block for a location: a resty client on the shared dict "hs" for the sandbox at url
-- (with a durable file store behind the dict when `durable` is a path).
local function client_code(url, durable)
  local store = "shdict = 'hs'"
  if durable then
    store = ("store = require('helpscout.resty').store.shdict('hs', { durable = "
      .. "require('helpscout.store').file(%q) })"):format(durable)
  end
  return ("local hs = require('helpscout.resty').new{ client_id = 'sandbox-client-id', "
    .. "client_secret = 'sandbox-client-secret', base_url = %q, %s, timeout = 10 }"):format(url, store)
end

describe("resty driver in nginx", function()
  local sb

  setup(function() sb = sandbox.start{ seed = 5 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:reset() end)

  describe("one worker", function()
    local ng
    setup(function()
      ng = nginx.start{ workers = 1, http = "lua_shared_dict hs 1m; lua_shared_dict probe 1m;" ..
        "init_by_lua_block { local r = require 'helpscout.resty'; local hs = r.new{ client_id = 'a', " ..
        "client_secret = 'b' }; local _, e = pcall(hs.list_users, hs); ngx.shared.probe:set('init', e) }" ..
        "init_worker_by_lua_block { local r = require 'helpscout.resty'; local hs = r.new{ client_id = 'a', " ..
        "client_secret = 'b' }; local _, e = pcall(hs.list_users, hs); ngx.shared.probe:set('init_worker', e) }",
        server = ([[
        location = /users { content_by_lua_block { %s
          local items, err = hs:list_users()
          ngx.say(items and ("users " .. #items) or ("error " .. tostring(err))) } }
        location = /ping { content_by_lua_block { ngx.say("pong") } }
        location = /set { set_by_lua_block $x { %s
          local ok, e = pcall(hs.list_users, hs); return e }
          return 200 "$x"; }
        location = /log { content_by_lua_block { ngx.say("ok") }
          log_by_lua_block { %s local _, e = pcall(hs.list_users, hs); ngx.shared.probe:set("log", e) } }
        location = /header { content_by_lua_block { ngx.say("ok") }
          header_filter_by_lua_block { %s local _, e = pcall(hs.token, hs); ngx.shared.probe:set("header", e) } }
        location = /ontoken { content_by_lua_block {
          local hs = require('helpscout.resty').new{ client_id = 'sandbox-client-id',
            client_secret = 'sandbox-client-secret', base_url = %q,
            on_token = function() error("disk full") end }
          local ok, e = pcall(hs.list_users, hs)
          local again = hs:list_users()
          ngx.say(tostring(ok), " | ", tostring(e), " | ", again and #again or "nil") } }
      ]]):format(client_code(sb.url), client_code(sb.url), client_code(sb.url), client_code(sb.url), sb.url) }
    end)
    teardown(function() if ng then ng:stop() end end)

    it("does not block the worker: 8 calls to a 1 s upstream take about 1 s, /ping answers at once", function()
      assert.matches("^users", ng:request("GET", "/users").body) -- the token is in the dict now
      sb:clear_log()
      sb:fault{ method = "GET", path = "/v2/users", action = "delay", delay = 1, count = 8 }
      local wait = background(ng.url .. "/users", 8)
      socket.sleep(0.3)
      -- 9 unrelated requests while the 8 calls wait: a blocked worker would hold every one of
      -- them for up to a second; the median is judged (the machine is shared: one slow ping is
      -- the scheduler, not the worker)
      local times = {}
      for i = 1, 15 do
        local t0 = socket.gettime()
        local res = ng:request("GET", "/ping")
        times[i] = socket.gettime() - t0
        assert.equal("pong\n", res.body)
        socket.sleep(0.03)
      end
      local median, worst = timing.median(times), timing.percentile(times, 0.8)
      local bodies, took = wait()
      for i = 1, 8 do assert.matches("^users %d+", bodies[i] or "(no answer)") end
      assert.equal(8, #sb:log{ method = "GET", path = "/v2/users" })
      print(("\n  one worker: 8 calls to a 1 s upstream in %.2f s; /ping meanwhile: median %.2f ms, "
        .. "80th percentile %.2f ms"):format(took, median * 1000, worst * 1000))
      assert.is_true(took < timing.bound(2.0), ("8 delayed calls took %.2f s (serialised would be 8 s)"):format(took))
      assert.is_true(median < timing.bound(0.005), ("unrelated requests waited %.1f ms (median)"):format(median * 1000))
      assert.is_true(worst < timing.bound(0.25), ("unrelated requests waited %.1f ms (80th percentile)")
        :format(worst * 1000))
    end)

    it("raises a clear error in phases without cosockets", function()
      local set = ng:request("GET", "/set").body
      assert.matches("'list_users' needs cosockets, which the 'set' phase does not have", set, 1, true)
      ng:request("GET", "/log")
      ng:request("GET", "/header")
      socket.sleep(0.1)
      local p = ng:run("local p = ngx.shared.probe; return { log = p:get('log'), header = p:get('header'), "
        .. "init = p:get('init'), init_worker = p:get('init_worker') }")
      assert.matches("the 'log' phase does not have", p.log, 1, true)
      assert.matches("'token' needs cosockets, which the 'header_filter' phase", p.header, 1, true)
      assert.matches("the 'init' phase does not have", p.init, 1, true)
      assert.matches("init_worker_by_lua%* does not have; run it from a timer: ngx%.timer%.at", p.init_worker)
      assert.equal(0, #sb:log{ path = "/v2/users" })
    end)

    it("re-raises an on_token failure but keeps the new token", function()
      local body = ng:request("GET", "/ontoken").body
      assert.matches("^false | helpscout: on_token failed: .*disk full | %d+", body)
      assert.equal(1, #sb:log{ method = "POST", path = "/v2/oauth2/token" })
    end)
  end)

  describe("four workers", function()
    local ng, durable
    setup(function()
      durable = os.tmpname()
      os.remove(durable)
      ng = nginx.start{ workers = 4, reuseport = true, http = "lua_shared_dict hs 1m;",
        server = ([[
        location = /load { content_by_lua_block { %s
          local secs, ok, failed, kinds = tonumber(ngx.var.arg_secs), 0, 0, {}
          local deadline = ngx.now() + secs
          while ngx.now() < deadline do
            local items, err = hs:list_mailboxes()
            if items then ok = ok + 1 else failed = failed + 1; kinds[err.kind] = (kinds[err.kind] or 0) + 1 end
            ngx.sleep(0.02)
            ngx.update_time()
          end
          ngx.say(require("cjson").encode{ ok = ok, failed = failed, kinds = kinds, worker = ngx.worker.id() }) } }
        location = /oauth/start { content_by_lua_block {
          require("helpscout.resty").oauth_handler{ client_id = "sandbox-client-id", shdict = "hs",
            authorize_url = %q }.start() } }
        location = /oauth/callback/help-scout { content_by_lua_block {
          local resty = require "helpscout.resty"
          resty.oauth_handler{ client_id = "sandbox-client-id", client_secret = "sandbox-client-secret",
            base_url = %q, store = resty.store.shdict("hs", { durable = require("helpscout.store").file(%q) })
          }.callback() } }
      ]]):format(client_code(sb.url, durable), sb.url .. "/authentication/authorizeClientApplication", sb.url,
        durable) }
    end)
    teardown(function()
      if ng then ng:stop() end
      os.remove(durable)
    end)

    -- The connect flow through nginx against the sandbox's consent stand-in; the test plays
    -- the browser (follows the redirects, keeps the cookie).
    local function connect(consent)
      sb:config{ redirect_url = ng.url .. "/oauth/callback/help-scout", consent = consent or "allow" }
      local start = ng:request("GET", "/oauth/start")
      assert.equal(302, start.status)
      local cookie = start.headers["set-cookie"]:match("^([^;]+)")
      local screen = rawhttp.request(sb, "GET", start.headers.location:match("^http://[^/]+(/.*)$"))
      assert.equal(302, screen.status)
      local origin = ng.url:gsub("%p", "%%%0")
      local back = screen.headers.location:match("^" .. origin .. "(/oauth/callback/help%-scout%?.*)$")
      assert.is_string(back, screen.headers.location)
      return ng:request("GET", back, { headers = { Cookie = cookie } })
    end

    it("refuses the connection when the user declines on the consent screen", function()
      local res = connect("deny")
      assert.equal(403, res.status)
      assert.matches("access_denied", res.body)
      assert.equal(0, #sb:log{ method = "POST", path = "/v2/oauth2/token" })
    end)

    it("connects: consent, callback, code exchanged over cosockets, token in the shared dict", function()
      local res = connect()
      assert.equal(200, res.status, res.body .. ng:log_tail(10))
      assert.matches("Connected to Help Scout", res.body)
      local reqs = sb:log{ method = "POST", path = "/v2/oauth2/token" }
      assert.equal(1, #reqs)
      assert.matches("grant_type=authorization_code", reqs[1].body)
      local t = ng:run("return require('helpscout.resty').store.shdict('hs'):load()")
      assert.is_string(t.refresh_token)
      assert.is_string(t.access_token)
      assert.same({}, ng:log_grep(t.refresh_token, true))
      assert.same({}, ng:log_grep(t.access_token, true))
      -- a client on the dict uses it: no further grant
      local load = cjson.decode(ng:request("GET", "/load?secs=0.1").body)
      assert.equal(0, load.failed)
      assert.equal(1, #sb:log{ method = "POST", path = "/v2/oauth2/token" })
      -- the same code again: refused, nothing saved over the token
      assert.equal(400, ng:request("GET", "/oauth/callback/help-scout?code=x&state=y").status)
    end)

    it("paces four workers together under the sandbox's rate limit", function()
      ng:run("ngx.shared.hs:flush_all()") -- the sandbox was reset: client credentials from here
      os.remove(durable)
      assert.equal(200, ng:request("GET", "/load?secs=0.05").status) -- a token in the dict
      sb:config{ rate_limit = 40, rate_window = 2 }
      sb:clear_log()
      local secs = 6
      local bodies = background(ng.url .. "/load?secs=" .. secs, 8)(secs + 20)
      sb:config{ rate_limit = 0 }
      local ok = 0
      for i = 1, 8 do
        local r = cjson.decode(bodies[i] or "") or error("no answer from /load: " .. tostring(bodies[i]))
        assert.equal(0, r.failed, cjson.encode(r.kinds))
        ok = ok + r.ok
      end
      local log = sb:log{ path = "/v2/mailboxes" }
      local per, t0 = {}, log[1].time
      for _, r in ipairs(log) do
        local w = math.floor((r.time - t0) / 2) + 1
        per[w] = per[w] or { served = 0, limited = 0 }
        if r.status == 429 then per[w].limited = per[w].limited + 1 else per[w].served = per[w].served + 1 end
      end
      local shown = {}
      for w = 1, #per do shown[w] = per[w].served .. "/" .. per[w].limited end
      print(("\n  4 workers, limit 40 per 2 s, %d s: %d calls, 0 failed; per window served/429: %s")
        :format(secs, ok, table.concat(shown, " ")))
      for w = 1, #per do
        -- once the shared budget is spent with no known reset, one request of all workers (the
        -- probe) learns the reset from its 429: at most one 429 per window boundary
        assert.is_true(per[w].limited <= 1, "window " .. w .. ": " .. per[w].limited .. " answers 429")
      end
      for w = 1, #per - 1 do assert.equal(40, per[w].served, "window " .. w .. " was not used fully") end
    end)

    it("shares one rotating refresh token across workers: no failed call, one grant per expiry", function()
      -- the previous test spent the shared rate budget of a rate-limited sandbox: start afresh
      ng:run("ngx.shared.hs:delete('helpscout:budget')")
      assert.equal(200, connect().status)
      sb:config{ token_ttl = 2 }
      sb:expire_tokens()
      sb:clear_log()
      local secs = 8
      local wait = background(ng.url .. "/load?secs=" .. secs, 8)
      local bodies = wait(secs + 20)
      local ok, failed, workers = 0, 0, {}
      for i = 1, 8 do
        local r = cjson.decode(bodies[i] or "") or error("no answer from /load: " .. tostring(bodies[i]))
        ok, failed = ok + r.ok, failed + r.failed
        assert.same({}, r.kinds)
        workers[r.worker] = true
      end
      local grants = sb:log{ method = "POST", path = "/v2/oauth2/token" }
      local nworkers = 0
      for _ in pairs(workers) do nworkers = nworkers + 1 end
      local gap = math.huge -- single flight: never two grants for one expiry
      for i = 2, #grants do gap = math.min(gap, grants[i].time - grants[i - 1].time) end
      assert.equal(0, failed)
      assert.is_true(ok > 100, ok .. " calls")
      assert.is_true(nworkers >= 2, "the load reached " .. nworkers .. " worker(s)")
      -- a 2 s token is renewed before it expires (helpscout.renew judges time in whole seconds:
      -- about every second), plus the expired one at the start; never two for one expiry
      assert.is_true(#grants >= 3 and #grants <= secs + 2, #grants .. " grants in " .. secs .. " s")
      assert.is_true(gap >= 0.25, ("two grants %.3f s apart (two for one expiry)"):format(gap))
      for _, g in ipairs(grants) do
        assert.matches("grant_type=refresh_token", g.body)
        assert.equal(200, g.status)
      end
      -- every rotation was written through: the file holds the dict's (the latest) refresh token
      local f = assert(io.open(durable))
      local on_disk = cjson.decode(f:read("*a"))
      f:close()
      local in_dict = ng:run("return require('helpscout.resty').store.shdict('hs'):load()")
      assert.equal(in_dict.refresh_token, on_disk.refresh_token)
      print(("\n  4 workers, %d s, token ttl 2 s: %d calls, %d failed, %d grants (closest %.2f s apart), "
        .. "%d workers used"):format(secs, ok, failed, #grants, gap, nworkers))
    end)
  end)
end)
