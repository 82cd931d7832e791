-- core.sys: the crypto and file primitives under the stores, webhooks and OAuth state.
local sys = require("helpscout.core").sys
local H = require "store_helper"

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

describe("core.sys.hmac_sha1", function()
  it("matches the RFC 2202 test vectors", function()
    assert.equal("b617318655057264e28bc0b6fb378c8ef146be00", hex(sys.hmac_sha1(("\11"):rep(20), "Hi There")))
    assert.equal("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
      hex(sys.hmac_sha1("Jefe", "what do ya want for nothing?")))
    assert.equal("aa4ae5e15272d00e95705637ce8a3b55ed402112", hex(sys.hmac_sha1(("\170"):rep(80),
      "Test Using Larger Than Block-Size Key - Hash Key First")))
  end)
  it("handles NUL bytes and empty strings", function()
    assert.equal(20, #sys.hmac_sha1("", ""))
    assert.not_equal(sys.hmac_sha1("k", "a\0b"), sys.hmac_sha1("k", "a\0c"))
  end)
  it("raises on wrong argument types", function()
    assert.has_error(function() sys.hmac_sha1(nil, "x") end)
    assert.has_error(function() sys.hmac_sha1("k", {}) end)
  end)
end)

describe("core.sys.base64", function()
  it("round-trips every length and byte", function()
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    local s = table.concat(all)
    for n = 0, 40 do assert.equal(s:sub(1, n), sys.unbase64(sys.base64(s:sub(1, n)))) end
    assert.equal(s, sys.unbase64(sys.base64(s)))
  end)
  it("encodes the RFC 4648 vectors", function()
    local v = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==", fooba = "Zm9vYmE=",
                foobar = "Zm9vYmFy" }
    for plain, enc in pairs(v) do
      assert.equal(enc, sys.base64(plain))
      assert.equal(plain, sys.unbase64(enc))
    end
  end)
  it("answers nil for malformed input", function()
    for _, bad in ipairs { "Zg", "Zg=", "Z===", "Zm9v\n", " Zm9v", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm=v" } do
      assert.is_nil(sys.unbase64(bad), bad)
    end
  end)
end)

describe("core.sys.equal and random", function()
  it("compares by content and length", function()
    assert.is_true(sys.equal("abc", "abc"))
    assert.is_true(sys.equal("", ""))
    assert.is_false(sys.equal("abc", "abd"))
    assert.is_false(sys.equal("abc", "abcd"))
    assert.is_false(sys.equal("a\0", "a"))
    assert.has_error(function() sys.equal("a", nil) end)
  end)
  it("returns fresh random bytes", function()
    local a, b = sys.random(16), sys.random(16)
    assert.equal(16, #a)
    assert.not_equal(a, b)
    assert.equal("", sys.random(0))
    assert.has_error(function() sys.random(-1) end)
    assert.has_error(function() sys.random(1e9) end)
  end)
end)

describe("core.sys files", function()
  local dir
  before_each(function() dir = H.tmpdir("sys") end)
  after_each(function() H.rmtree(dir) end)

  it("write_file replaces atomically with the given mode and leaves no temporary file", function()
    local path = dir .. "/t.json"
    assert.is_true(sys.write_file(path, "one"))
    assert.equal("600", H.mode(path))
    assert.is_true(sys.write_file(path, "two\0bytes", tonumber("640", 8)))
    assert.equal("two\0bytes", H.read(path))
    assert.equal("640", H.mode(path))
    local p = io.popen("ls -A " .. H.shq(dir))
    assert.equal("t.json", p:read("*a"):gsub("\n$", ""))
    p:close()
  end)

  it("write_file reports an OS failure without the data", function()
    local ok, msg = sys.write_file(dir .. "/missing/t.json", "s3cr3t-data")
    assert.is_nil(ok)
    assert.matches("missing", msg)
    assert.not_matches("s3cr3t", msg)
    assert.has_error(function() sys.write_file(dir .. "/x", "d", 4096) end)
  end)

  it("mkdir creates with the mode, accepts an existing directory, refuses others", function()
    local d = dir .. "/conf"
    assert.is_true(sys.mkdir(d))
    assert.equal("700", H.mode(d))
    assert.is_true(sys.mkdir(d))
    H.write(dir .. "/file", "x")
    local ok, msg = sys.mkdir(dir .. "/file")
    assert.is_nil(ok)
    assert.matches("not a directory", msg)
    os.execute("mkdir " .. H.shq(dir .. "/open") .. " && chmod 777 " .. H.shq(dir .. "/open"))
    ok, msg = sys.mkdir(dir .. "/open")
    assert.is_nil(ok)
    assert.matches("writable by other users", msg)
    ok, msg = sys.mkdir(dir .. "/no/such/parent")
    assert.is_nil(ok)
    assert.matches("cannot create directory", msg)
  end)
end)

describe("core.sys.lock", function()
  local dir
  before_each(function() dir = H.tmpdir("lock") end)
  after_each(function() H.rmtree(dir) end)

  it("excludes another process until it unlocks, and times out meanwhile", function()
    local path = dir .. "/l.lock"
    local code = ([[
      local sys = require("helpscout.core").sys
      local l = assert(sys.lock(%q, 5))
      io.open(%q, "w"):close()
      sys.sleep(0.8)
      l:unlock()
      l:unlock()
    ]]):format(path, dir .. "/held")
    local pid = H.spawn(code, dir .. "/child.out")
    assert.truthy(H.wait_for(function() return H.read(dir .. "/held") end, 10), H.read(dir .. "/child.out"))
    local t0 = sys.now()
    local l, err = sys.lock(path, 0.2)
    assert.is_nil(l)
    assert.equal("timeout", err)
    assert.is_true(sys.now() - t0 >= 0.19)
    l = assert(sys.lock(path, 5))
    assert.is_true(sys.now() - t0 >= 0.5)
    l:unlock()
    H.wait_for(function() return not H.alive(pid) end, 5)
    assert.equal("", H.read(dir .. "/child.out"))
  end)

  it("is released when the holder dies, and by unlock within one process", function()
    local path = dir .. "/l.lock"
    local pid = H.spawn(("local l = require('helpscout.core').sys.lock(%q, 5); io.open(%q, 'w'):close(); "
      .. "require('helpscout.core').sys.sleep(30)"):format(path, dir .. "/held"))
    assert.truthy(H.wait_for(function() return H.read(dir .. "/held") end, 10))
    assert.is_nil(sys.lock(path, 0.05))
    H.kill(pid, "KILL")
    local l = assert(sys.lock(path, 5))
    assert.is_nil(sys.lock(path, 0.05)) -- a second open file in the same process is excluded too
    l:unlock()
    local l2 = assert(sys.lock(path, 0.05))
    assert.matches("held", tostring(l2))
    l2:unlock()
    assert.matches("released", tostring(l2))
  end)

  it("reports an unusable lock path", function()
    local l, err = sys.lock(dir .. "/none/x.lock", 1)
    assert.is_nil(l)
    assert.matches("cannot open lock file", err)
    assert.has_error(function() sys.lock(dir .. "/x", "soon") end)
  end)
end)

describe("core.sys.alive", function()
  it("is true for a live process, false once it is gone or a zombie (killed, not yet reaped)", function()
    assert.is_true(sys.alive(sys.pid()))
    -- a shell starts a child, then becomes `sleep`, which never reaps it: killed, it stays a zombie
    local p = io.popen("sh -c 'sleep 30 & echo $!; echo $$; exec sleep 30' &")
    local child, parent = tonumber(p:read("*l")), tonumber(p:read("*l"))
    p:close()
    assert.is_true(sys.alive(child))
    assert.truthy(H.wait_for(function() -- the shell is `sleep` now (a shell would reap the child)
      return (H.read("/proc/" .. parent .. "/comm") or ""):find("^sleep") end, 5))
    H.kill(child, "KILL")
    assert.truthy(H.wait_for(function() return not sys.alive(child) end, 5))
    assert.is_true(H.alive(child)) -- kill -0 still finds it: a zombie holds no lock yet looks alive
    H.kill(parent, "KILL")
    assert.truthy(H.wait_for(function() return not H.alive(parent) end, 5))
    assert.is_false(sys.alive(child))
    assert.has_error(function() sys.alive(0) end)
  end)
end)
