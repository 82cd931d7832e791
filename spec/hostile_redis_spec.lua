-- helpscout.store.redis against a misbehaving Redis server on loopback
-- (spec/support/hostile_redis.py, a separate process): fractional, huge, negative and hex
-- lengths, 300,000-deep arrays, a 100,000,000-item array, a 200 MB bulk announced then cut, a
-- reply trickled one byte a second, a 10 MiB line, garbage, and wrong reply types (SET answered
-- with an integer, an array, a bulk "OK", a nil; GET with an integer or an array). load and save
-- return nil, err (kind "store"), never raise, and end within the timeout + 1 s.
local store = require "helpscout.store"
local proc = require "support.proc"
local socket = require "socket"

local SLACK = tonumber(os.getenv("HS_TIME_SLACK") or 1)
local TOKEN = { access_token = "hostile-access", refresh_token = "hostile-refresh", expires_at = 1800000000 }
local TIMEOUT = 1.5

-- mode, whether load may legitimately find no token (GET answered with a nil), whether save may
-- succeed (SET answered +OK: only GET misbehaves)
local MODES = {
  { "fraction" }, { "huge" }, { "negative" }, { "hex" }, { "deep" }, { "wide" }, { "cut" },
  { "trickle" }, { "long_line" }, { "garbage" },
  { "set_integer", true }, { "set_array", true }, { "set_bulk_ok", true }, { "set_nil", true },
  -- a GET answered with an integer or an array: save reads the key first (a value that is not a
  -- record is never overwritten), so it fails too
  { "get_integer" }, { "get_array" },
}

describe("redis store against a hostile server", function()
  local server, pid, ports = nil, nil, {}

  setup(function()
    local args = {}
    for _, m in ipairs(MODES) do
      ports[m[1]] = proc.free_port()
      args[#args + 1] = m[1] .. "=" .. ports[m[1]]
    end
    server = assert(io.popen(("exec python3 spec/support/hostile_redis.py %d %s"):format(proc.self_pid(),
      table.concat(args, " "))))
    pid = tonumber((server:read("*l") or ""):match("^ready (%d+)$"))
    assert.is_number(pid, "the hostile Redis server did not start")
  end)
  teardown(function()
    if pid then os.execute("kill " .. pid) end
    if server then server:close() end
  end)

  local function timed(fn)
    local t0 = socket.gettime()
    local ok, v, err = pcall(fn)
    return ok, v, err, socket.gettime() - t0
  end

  for _, m in ipairs(MODES) do
    local mode, no_token, saves = m[1], m[2], m[3]
    it(mode .. ": load and save return nil, err", function()
      local s = store.redis{ port = ports[mode], key = "hs:" .. mode, timeout = TIMEOUT }
      local ok, v, err, dt = timed(function() return s:load() end)
      assert.is_true(ok, "load raised: " .. tostring(v))
      assert.is_nil(v)
      if not (no_token and err == nil) then
        assert.equal("store", err and err.kind, tostring(err))
        assert.not_matches("hostile%-", tostring(err))
      end
      assert.is_true(dt < (TIMEOUT + 1) * SLACK, ("load took %.2f s"):format(dt))
      ok, v, err, dt = timed(function() return s:save(TOKEN) end)
      assert.is_true(ok, "save raised: " .. tostring(v))
      if saves then assert.is_true(v) else
        assert.is_nil(v)
        assert.equal("store", err and err.kind, tostring(err))
      end
      assert.not_matches("hostile%-", tostring(err))
      assert.is_true(dt < (TIMEOUT + 1) * SLACK, ("save took %.2f s"):format(dt))
      s:close()
    end)
  end
end)
