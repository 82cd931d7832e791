-- helpscout.store.file: permissions, corruption, unwritable places and the cross-process lock.
local store = require "helpscout.store"
local sys = require("helpscout.core").sys
local H = require "store_helper"

local TOKEN = { access_token = "secret-access", refresh_token = "secret-refresh", expires_at = 1800000000 }

describe("file store", function()
  local dir
  before_each(function() dir = H.tmpdir("file") end)
  after_each(function()
    os.execute("chmod -R u+rwx " .. H.shq(dir) .. " 2>/dev/null")
    H.rmtree(dir)
  end)

  it("creates missing directories 0700 and the file 0600, leaving no temporary file", function()
    local path = dir .. "/a/b/token.json"
    local s = store.file(path)
    assert.is_true(s:save(TOKEN))
    assert.equal("700", H.mode(dir .. "/a"))
    assert.equal("700", H.mode(dir .. "/a/b"))
    assert.equal("600", H.mode(path))
    assert.is_true(s:lock(function() return true end))
    assert.equal("600", H.mode(path .. ".lock"))
    local p = io.popen("ls -A " .. H.shq(dir .. "/a/b"))
    assert.equal("token.json\ntoken.json.lock\n", p:read("*a"))
    p:close()
    assert.same(TOKEN, store.file(path):load())
  end)

  it("reports a corrupt file as a store error, and never overwrites it", function()
    local path = dir .. "/token.json"
    for _, content in ipairs { "{not json", "", "[1,2]", '{"access_token": 5}', '"text"' } do
      H.write(path, content)
      local s = store.file(path)
      local t, err = s:load()
      assert.is_nil(t)
      assert.equal("store", err.kind)
      assert.matches("corrupt", err.message)
      assert.matches("token.json", err.message)
      local ok, err2 = s:save(TOKEN)
      assert.is_nil(ok)
      assert.equal("store", err2.kind)
      assert.equal(content, H.read(path))
    end
  end)

  it("gives a store error for an unwritable directory and an unreadable file, without secrets", function()
    -- unwritable even for root (CI may run as root): /proc, and a mode 0500 directory
    os.execute("mkdir -m 500 " .. H.shq(dir .. "/ro"))
    for _, path in ipairs { "/proc/1/helpscout/token.json", dir .. "/ro/token.json" } do
      local s = store.file(path)
      local ok, err = s:save(TOKEN)
      if path:sub(1, 5) == "/proc" or not H.is_root() then
        assert.is_nil(ok)
        assert.equal("store", err.kind)
        assert.is_true(err.retryable)
        assert.not_matches("secret", tostring(err))
        local r, lerr = s:lock(function() return "ran" end)
        assert.is_nil(r)
        assert.equal("store", lerr.kind)
      end
    end
    H.write(dir .. "/t.json", '{"access_token":"x"}')
    os.execute("chmod 000 " .. H.shq(dir .. "/t.json"))
    local t, rerr = store.file(dir .. "/t.json"):load()
    if not H.is_root() and t == nil then assert.equal("store", rerr.kind) end
  end)

  it("refuses a token directory other users may write to", function()
    os.execute("mkdir -m 777 " .. H.shq(dir .. "/open"))
    local ok, err = store.file(dir .. "/open/token.json"):save(TOKEN)
    assert.is_nil(ok)
    assert.matches("writable by other users", err.message)
  end)

  it("raises on a bad path or options", function()
    assert.has_error(function() store.file() end)
    assert.has_error(function() store.file("") end)
    assert.has_error(function() store.file(dir .. "/t", { lock_timeot = 1 }) end,
      "bad argument #1 to 'file' (unknown option 'lock_timeot'; valid: budget_timeout, lock_timeout)")
  end)

  it("times out with a store error while another process holds the lock", function()
    local path = dir .. "/token.json"
    local pid = H.spawn(([[
      local s = require("helpscout.store").file(%q)
      s:lock(function() io.open(%q, "w"):close(); require("helpscout.core").sys.sleep(30) end)]])
      :format(path, dir .. "/held"))
    assert.truthy(H.wait_for(function() return H.read(dir .. "/held") end, 10))
    local t0 = sys.epoch()
    local r, err = store.file(path, { lock_timeout = 0.3 }):lock(function() return "ran" end)
    assert.is_nil(r)
    assert.equal("store", err.kind)
    assert.is_true(err.timeout)
    assert.is_true(sys.epoch() - t0 >= 0.29)
    H.kill(pid, "KILL") -- the kernel releases a dead holder's lock
    assert.equal("ran", store.file(path, { lock_timeout = 5 }):lock(function() return "ran" end))
  end)

  it("serialises read-modify-write across 4 processes", function()
    local path = dir .. "/token.json"
    assert.is_true(store.file(path):save{ access_token = "0" })
    local code = ([[
      local s = require("helpscout.store").file(%q)
      for _ = 1, 25 do
        assert(s:lock(function()
          local t = assert(s:load())
          assert(s:save{ access_token = tostring(tonumber(t.access_token) + 1) })
          return true
        end))
      end]]):format(path)
    local pids = {}
    for i = 1, 4 do pids[i] = H.spawn(code, dir .. "/out" .. i) end
    for i = 1, 4 do H.wait_for(function() return not H.alive(pids[i]) end, 30) end
    for i = 1, 4 do assert.equal("", H.read(dir .. "/out" .. i)) end
    assert.equal("100", store.file(path):load().access_token)
  end)
end)
