-- JSON decoding of a 50-conversation list page (two sandbox pages of 25 joined), in one process:
--   * today's path: lua-cjson's decode plus the core's integer/null fixup walk, as the core did it
--     before the one-pass decoder (built from BASELINE, the last commit with that code, through
--     engine.interpret of an object result: decode and nothing else);
--   * the one-pass decoder through the engine (a get_conversation call fed the page), and
--     core.json_decode;
--   * core.json_decode with the projection (id, number, subject, status, customer email, waiting
--     since, tags) applied to each item;
--   * bare cjson.decode, for reference.
-- Prints pages/s and the ratios from this one run. Goals (issue 12): full >= 1.5x, projected >= 4x
-- today's path.
--   lua5.4 bench/decode_bench.lua [seconds per case = 2]
--   lua5.4 bench/decode_bench.lua --profile cjson|old|new|raw|proj [pages]   (for perf)
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local core = require "helpscout.core"
local cjson = require "cjson"

local BASELINE = "921fe80" -- csrc/ before hs_decode.c: cjson.decode + fixup()
local FIELDS = { "id", "number", "subject", "status", "customer.email", "waitingSince", "tags" }
local profile = arg[1] == "--profile" and arg[2]
local seconds = tonumber(profile and arg[3] or arg[1]) or (profile and 1000 or 2)

-- Builds the baseline core from git into build/baseline (once); nil when git cannot.
local function baseline_core()
  if _VERSION ~= "Lua 5.4" or jit then return nil end -- built for lua5.4 only
  local so = "build/baseline/core.so"
  local f = io.open(so, "rb")
  if not f then
    local cmd = table.concat({
      "rm -rf build/baseline && mkdir -p build/baseline",
      "git archive " .. BASELINE .. " csrc | tar -x -C build/baseline",
      "cc -O2 -g -std=c99 -fPIC -fvisibility=hidden -D_POSIX_C_SOURCE=200809L -I/usr/include/lua5.4 " ..
        "$(pkg-config --cflags libcurl) -shared -o " .. so .. " build/baseline/csrc/*.c -lcurl" }, " && ")
    if not os.execute(cmd .. " 2>/dev/null") then return nil end
  else
    f:close()
  end
  local open = package.loadlib(so, "luaopen_helpscout_core")
  return open and open("helpscout.core")
end

-- Two list pages of 25 joined into one of 50, re-encoded by the core (arrays stay arrays).
local function fifty_page()
  local sb = sandbox.start{ seed = 42, rate_limit = 0 }
  local ok, body = pcall(function()
    local token = rawhttp.client_token(sb)
    local pages = {}
    for n = 1, 2 do
      local res = rawhttp.request(sb, "GET", "/v2/conversations?status=all&page=" .. n, { token = token })
      pages[n] = assert(core.json_decode(res.body))
    end
    local items = pages[1]._embedded.conversations
    for _, c in ipairs(pages[2]._embedded.conversations) do items[#items + 1] = c end
    pages[1].page.size = #items
    return core.json_encode(pages[1])
  end)
  sb:stop()
  assert(ok, body)
  return body
end

-- Pages per second of fn: the best of ROUNDS slices (the cases take turns, so a noisy neighbour
-- on this shared machine hurts every case alike).
local ROUNDS = 5
local function slice(fn, secs)
  collectgarbage()
  local n, t0 = 0, socket.gettime()
  repeat
    for _ = 1, 10 do fn() end
    n = n + 10
  until socket.gettime() - t0 >= secs
  return n / (socket.gettime() - t0)
end

local function rates(cases, order, secs)
  local best = {}
  for _, k in ipairs(order) do if cases[k] then cases[k]() end end -- warm up
  for _ = 1, ROUNDS do
    for _, k in ipairs(order) do
      if cases[k] then best[k] = math.max(best[k] or 0, slice(cases[k], secs / ROUNDS)) end
    end
  end
  return best
end

local body = fifty_page()
local old = baseline_core()
local req, hdrs = { method = "GET", url = "http://127.0.0.1/v2/conversations/1" },
  { ["content-type"] = "application/json" }
local decode = cjson.new().decode
local eng = core.engine.new and core.engine.new{ client_id = "i", client_secret = "s",
  access_token = "t", expires_at = 4e9, obtained_at = 0, base_url = "http://127.0.0.1:1" }
local now, answer = { now = 1 }, { now = 1, status = 200, headers = hdrs, body = body }
local cases = {
  old = old and function() return old.engine.interpret("get_conversation", req, 200, hdrs, body) end,
  new = core.engine.interpret and function()
    return core.engine.interpret("get_conversation", req, 200, hdrs, body)
  end or function() -- the call state machine: one SEND, then the response, then DONE
    local call = eng:call("get_conversation", 1)
    call:step(now)
    return call:step(answer)
  end,
  raw = function() return core.json_decode(body) end,
  proj = function() return core.json_decode(body, FIELDS, "conversations") end,
  cjson = function() return decode(body) end,
}

if profile then -- a fixed number of pages, for perf stat / perf record
  assert(cases[profile], "no case " .. profile)
  for _ = 1, math.floor(seconds) do cases[profile]() end
  return
end

local n = #core.json_decode(body)._embedded.conversations
print(("decode of a %d-conversation page (%.1f kB), %s, one run"):format(n, #body / 1024, _VERSION))
local ORDER = { "cjson", "old", "new", "raw", "proj" }
local r = rates(cases, ORDER, seconds)
local label = {
  cjson = "cjson.decode alone",
  old = "today: cjson.decode + fixup (" .. BASELINE .. ")",
  new = "one-pass decoder (engine call, DONE)",
  raw = "one-pass decoder (core.json_decode)",
  proj = "projected: 7 fields per item",
}
for _, k in ipairs(ORDER) do
  if r[k] then print(("  %-44s %8.0f pages/s"):format(label[k], r[k])) end
end
local base = r.old or r.cjson
local bname = r.old and "today's path" or "cjson.decode (no baseline build)"
print(("  full decode / %s      : %.2fx (goal >= 1.5)"):format(bname, r.new / base))
print(("  projected decode / %s : %.2fx (goal >= 4)"):format(bname, r.proj / base))
print(("  full decode / cjson.decode alone    : %.2fx"):format(r.raw / r.cjson))
print(("  projected decode / cjson.decode alone : %.2fx"):format(r.proj / r.cjson))
