-- The store contract (DESIGN.md §4), run against every store: memory, file and a real Redis.
local store = require "helpscout.store"
local helpscout = require "helpscout"
local redis = require "support.redis"
local H = require "store_helper"

local TOKEN = { access_token = "at-1", refresh_token = "rt-1", token_type = "bearer",
                expires_at = 1800000000.25, obtained_at = 1799827200 }

local server, dir
setup(function()
  server = redis.start()
  dir = H.tmpdir("contract")
end)
teardown(function()
  server:stop()
  H.rmtree(dir)
end)

local n = 0
local makers = {
  memory = function() return store.memory() end,
  file = function() n = n + 1; return store.file(dir .. "/c" .. n .. "/token.json") end,
  redis = function() n = n + 1; return store.redis{ port = server.port, key = "contract:" .. n } end,
}

for _, name in ipairs { "memory", "file", "redis" } do
  describe(name .. " store", function()
    local s
    before_each(function() s = makers[name]() end)

    it("loads nothing when empty, then the saved token, as a copy", function()
      assert.is_nil(s:load())
      assert.is_true(s:save(TOKEN))
      local t = s:load()
      assert.same(TOKEN, t)
      t.access_token = "changed"
      assert.equal("at-1", s:load().access_token)
      assert.is_true(s:save{ access_token = "at-2", expires_at = 5 })
      assert.same({ access_token = "at-2", expires_at = 5 }, s:load())
    end)

    it("keeps only the token fields and refuses what is not a token", function()
      assert.is_true(s:save{ access_token = "a", extra = "dropped" })
      assert.same({ access_token = "a" }, s:load())
      local bads = { "string", {}, { access_token = 5 }, { expires_at = 1 },
                     { access_token = "a", expires_at = 1 / 0 } }
      for _, bad in ipairs(bads) do
        local ok, err = s:save(bad)
        assert.is_nil(ok)
        assert.equal("invalid", err.kind)
        assert.is_true(helpscout.is_error(err))
      end
      assert.same({ access_token = "a" }, s:load())
    end)

    it("removes one connection's record (a logout), leaving the others; removing nothing is fine", function()
      local alice, bob = s:connection("alice"), s:connection("bob")
      assert.is_true(alice:save(TOKEN))
      assert.is_true(bob:save{ access_token = "bob-1" })
      assert.is_true(s:save{ access_token = "d-1" })
      assert.same({ "alice", "bob", "default" }, s:connections())
      assert.is_true(alice:remove())
      assert.is_nil(alice:load())
      assert.same({ "bob", "default" }, s:connections())
      assert.equal("bob-1", bob:load().access_token)
      assert.is_true(alice:remove())
      assert.is_true(s:remove())
      assert.is_nil(s:load())
      assert.same({ "bob" }, s:connections())
    end)

    it("runs fn under the lock and returns all its results", function()
      local a, b, c, d = s:lock(function() return 1, nil, "three" end)
      assert.equal(1, a); assert.is_nil(b); assert.equal("three", c); assert.is_nil(d)
      assert.has_error(function() s:lock(function() error("boom") end) end, "boom")
      assert.equal("again", s:lock(function() return "again" end)) -- released after the raise
      assert.has_error(function() s:lock("not a function") end)
    end)

    it("keeps a rate budget: spend decrements, one probe when out, observe refills", function()
      assert.equal(0, s:spend(2, 1000))              -- unknown budget: go
      assert.is_true(s:observe{ remaining = 3, now = 1000 })
      assert.equal(0, s:spend(2, 1000.1))            -- a write costs 2
      assert.equal(0, s:spend(2, 1000.2))            -- 1 left, no known reset: this one probes
      assert.is_true(s:spend(2, 1000.3) > 0)         -- the others wait for what it learns
      assert.is_true(s:spend(2, 1000.9) > 0)
      assert.equal(0, s:spend(2, 1001.3))            -- a second on, another probe may go
      assert.is_true(s:observe{ remaining = 0, reset_at = 1010, now = 1002 }) -- its 429
      assert.near(8, s:spend(1, 1002), 1e-6)         -- the reset is known: everyone waits for it
      assert.equal(0, s:spend(1, 1010))              -- a new window: unknown again
      assert.has_error(function() s:spend("1", 1) end)
      assert.has_error(function() s:observe{ remaining = 1 } end)
    end)

    it("keeps the smaller count from answers that arrive close together", function()
      s:observe{ remaining = 50, now = 2000 }
      s:observe{ remaining = 80, now = 2000.5 }      -- a slow answer from earlier
      for _ = 1, 50 do assert.equal(0, s:spend(1, 2000.6)) end
      assert.equal(0, s:spend(1, 2000.6))            -- spent: the one probe
      assert.is_true(s:spend(1, 2000.6) > 0)
      s:observe{ remaining = 80, now = 2003 }        -- later answers win
      assert.equal(0, s:spend(1, 2003))
    end)
  end)
end

describe("the budget shared by processes", function()
  local ctor = {
    redis = function(key)
      return ("require('helpscout.store').redis{ port = %d, key = %q }"):format(server.port, key)
    end,
    file = function(key)
      return ("require('helpscout.store').file(%q)"):format(dir .. "/" .. key .. "/token.json")
    end,
  }
  for _, name in ipairs { "file", "redis" } do
    it("lets 4 processes spend exactly the observed remaining of one " .. name .. " budget", function()
      local key = name .. "shared" .. os.time()
      local s = assert(load("return " .. ctor[name](key)))()
      local now = require("helpscout.core").sys.now()
      s:observe{ remaining = 200, reset_at = now + 30, now = now }
      local code = ([[
        local s = %s
        local now, got = require("helpscout.core").sys.now(), 0
        for _ = 1, 100 do if s:spend(1, now) == 0 then got = got + 1 end end
        io.write(got)]]):format(ctor[name](key))
      local pids = {}
      for i = 1, 4 do pids[i] = H.spawn(code, dir .. "/spend" .. name .. i) end
      for i = 1, 4 do H.wait_for(function() return not H.alive(pids[i]) end, 20) end
      local total = 0
      for i = 1, 4 do total = total + (tonumber(H.read(dir .. "/spend" .. name .. i)) or -1000) end
      assert.equal(200, total)
    end)
  end
end)
