-- Many connections in one store, run against every store of this process (memory, file, a real
-- Redis): records kept apart, ids checked, budgets per connection or shared by name, and the
-- connect flow's states taken once (across processes for the file store and Redis).
local store = require "helpscout.store"
local helpscout = require "helpscout"
local redis = require "support.redis"
local H = require "store_helper"

local function token(n) return { access_token = "at-" .. n, refresh_token = "rt-" .. n, expires_at = 1800000000 } end

local server, dir
setup(function()
  server = redis.start()
  dir = H.tmpdir("conns")
end)
teardown(function()
  server:stop()
  H.rmtree(dir)
end)

local n = 0
local makers = {
  memory = function() return store.memory() end,
  file = function() n = n + 1; return store.file(dir .. "/c" .. n .. "/token.json") end,
  redis = function() n = n + 1; return store.redis{ port = server.port, key = "conns:" .. n } end,
}

local BAD_IDS = { "a/b", "..", "a..b", "x\0y", ("x"):rep(10240), "", ".hidden", "-x", 12, true, {} }

for _, name in ipairs { "memory", "file", "redis" } do
  describe(name .. " store with connections", function()
    local s
    before_each(function() s = makers[name]() end)

    it("keeps each connection's record apart, the default one where the single token was", function()
      assert(s:save(token(0)))
      assert(s:connection("alice"):save(token(1)))
      assert(s:connection("bob@example.com"):save(token(2)))
      assert.equal("at-0", s:load().access_token)
      assert.equal("at-0", s:connection("default"):load().access_token)
      assert.equal("at-1", s:connection("alice"):load().access_token)
      assert.equal("at-2", s:connection("bob@example.com"):load().access_token)
      assert.is_nil(s:connection("carol"):load())
      assert.same({ "alice", "bob@example.com", "default" }, s:connections())
    end)

    it("keeps who a connection is and its dead mark; drops other fields", function()
      local c = s:connection("alice")
      local rec = token(1)
      rec.user_id, rec.email, rec.dead, rec.extra = 7701, "dana@kestrel.example", true, "dropped"
      assert(c:save(rec))
      rec.extra = nil
      assert.same(rec, c:load())
    end)

    it("refuses bad ids with an argument error naming the rule", function()
      for i, id in ipairs(BAD_IDS) do
        assert.error_matches(function() s:connection(id) end, "bad argument #1 to 'connection' %(a connection id",
          nil, "case " .. i)
        assert.error_matches(function() helpscout.new{ store = s, connection = id } end,
          "bad argument #1 to 'new' %(option 'connection': a connection id", nil, "case " .. i)
      end
      assert.error_matches(function() s:connection("a", { budget = "x/y" }) end, "option 'budget': a budget name")
    end)

    it("gives each connection its own rate budget unless they share one by name", function()
      local now = 1000
      local a, b = s:connection("a", { budget = "acme" }), s:connection("b", { budget = "acme" })
      local c = s:connection("c")
      assert(a:observe{ remaining = 3, reset_at = now + 30, now = now })
      assert.equal(0, a:spend(2, now))
      assert.equal(0, b:spend(1, now))
      assert.is_true(b:spend(1, now) > 0, "a and b spent the budget they share")
      assert.equal(0, c:spend(2, now), "c's budget is its own")
      assert.equal(0, s:spend(2, now), "so is the default connection's")
    end)

    it("keeps a connect state until it is taken once; a wrong or expired state is nothing", function()
      local state = "0123456789abcdef0123456789abcdef"
      assert(s:put_state(state, { connection = "alice", data = { n = 1 } }, 60))
      assert.is_nil(s:take_state("0123456789abcdef0123456789abcdeX"))
      assert.same({ connection = "alice", data = { n = 1 } }, s:take_state(state))
      assert.is_nil(s:take_state(state))
      assert(s:put_state(state, {}, 0.05))
      require("helpscout.core").sys.sleep(0.1)
      assert.is_nil(s:take_state(state))
      assert.is_nil(s:take_state(42))
      assert.has_error(function() s:put_state("short", {}, 60) end)
    end)
  end)
end

describe("connect states taken by two processes at once", function()
  for _, name in ipairs { "file", "redis" } do
    it("(" .. name .. ") only one of 8 processes gets the state", function()
      local path = dir .. "/race-" .. name .. "/token.json"
      local mk = name == "file" and ("require('helpscout.store').file(%q)"):format(path)
        or ("require('helpscout.store').redis{ port = %d, key = 'race' }"):format(server.port)
      local s = name == "file" and store.file(path) or store.redis{ port = server.port, key = "race" }
      local state = "race-state-0123456789abcdef-" .. name
      assert(s:put_state(state, { who = "x" }, 60))
      local go = dir .. "/go-" .. name
      local pids, outs = {}, {}
      for i = 1, 8 do
        outs[i] = dir .. "/take-" .. name .. i
        pids[i] = H.spawn(("local s = %s; while not io.open(%q) do require('helpscout.core').sys.sleep(0.005) end; "
          .. "io.write(s:take_state(%q) and 'got' or 'none')"):format(mk, go, state), outs[i])
      end
      require("helpscout.core").sys.sleep(0.3)
      io.open(go, "w"):close()
      local got = 0
      for i = 1, 8 do
        H.wait_for(function() return not H.alive(pids[i]) end, 20)
        if H.read(outs[i]) == "got" then got = got + 1 end
      end
      assert.equal(1, got)
    end)
  end
end)
