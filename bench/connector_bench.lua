-- The hosted connector (examples/connector.conf, one nginx worker) against the sandbox:
--  1. tools/call list_conversations through /mcp, one after another on a keep-alive connection:
--     requests/s of the worker and the median latency, against the library call alone
--     (hs:list_conversations on the same worker, behind a bench-only location) — the difference is
--     what the connector adds (bearer check, session, JSON-RPC, the tools' shaping);
--  2. eight tool calls (two people, four each: the per-connection cap) waiting on a slow Help Scout
--     (2 s per answer) while an unrelated request goes to the same worker: its median latency.
--   lua5.4 bench/connector_bench.lua [N]     (make bench runs it; needs `make build-jit`)
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local cjson = require "cjson.safe"
local rawhttp = require "support.rawhttp"
local support = require "connector.support"

local N = tonumber(arg and arg[1]) or 200
local SLACK = tonumber(os.getenv("HS_TIME_SLACK") or 1)

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

local env = support.start{ workers = 1, sandbox = { seed = 42, accounts = 2, rate_limit = 0 }, locations = [[
    location = /_lib { content_by_lua_block {
      local hs = require("helpscout.resty").new{ store = CONNECTOR:store(), connection = ngx.var.arg_id }
      local items = assert(hs:list_conversations{ status = "active" })
      ngx.header["Content-Length"] = 2
      ngx.print("ok")
    } }
]] }

local function person(user)
  env.sb:config{ consent_user = user.id }
  local code, verifier, client = assert(env:authorize())
  local token = env:exchange(code, verifier, client).json.access_token
  local init = env:rpc(token, { jsonrpc = "2.0", id = 1, method = "initialize", params = {
    protocolVersion = "2025-11-25", capabilities = {}, clientInfo = { name = "bench", version = "1" } } })
  local h = { Authorization = "Bearer " .. token, ["Mcp-Session-Id"] = init.headers["mcp-session-id"],
    ["MCP-Protocol-Version"] = "2025-11-25", Accept = "application/json, text/event-stream",
    ["Content-Type"] = "application/json" }
  env:request("POST", "/mcp", { headers = h, body = '{"jsonrpc":"2.0","method":"notifications/initialized"}' })
  return { token = token, headers = h, connection = ("hs-%d"):format(user.id) }
end

local CALL = cjson.encode{ jsonrpc = "2.0", id = 2, method = "tools/call", params = { name = "list_conversations",
  arguments = { status = "active" } } }

-- n requests on one keep-alive connection: seconds each.
local function timed(n, method, path, opts)
  local conn = assert(socket.connect("127.0.0.1", env.port))
  conn:settimeout(30)
  opts.conn = conn
  local out = {}
  for i = 1, n do
    local t0 = socket.gettime()
    local res = assert(rawhttp.request({ port = env.port }, method, path, opts))
    out[i] = socket.gettime() - t0
    assert(res.status == 200, path .. ": " .. tostring(res.status) .. " " .. tostring(res.body))
  end
  conn:close()
  return out
end

local ok, err = pcall(function()
  local accounts = env.sb:accounts()
  local a, b = person(accounts[1].users[1]), person(accounts[2].users[1])
  timed(20, "POST", "/mcp", { headers = a.headers, body = CALL }) -- warm up
  timed(20, "GET", "/_lib?id=" .. a.connection, { headers = {} })
  local t0 = socket.gettime()
  local via = timed(N, "POST", "/mcp", { headers = a.headers, body = CALL })
  local total = socket.gettime() - t0
  local lib = timed(N, "GET", "/_lib?id=" .. a.connection, { headers = {} })
  local mv, ml = median(via), median(lib)
  print(("tools/call list_conversations through the connector: %d calls in %.2f s = %.0f requests/s (one worker)")
    :format(N, total, N / total))
  print(("  median latency %.2f ms; the library call alone %.2f ms; added by the connector %.2f ms")
    :format(mv * 1000, ml * 1000, (mv - ml) * 1000))

  -- 2. eight calls waiting on a slow Help Scout; an unrelated request meanwhile
  env.sb:fault{ path = "/v2/conversations", action = "delay", delay = 2, count = 8 }
  local socks = {}
  for i, p in ipairs { a, a, a, a, b, b, b, b } do
    local c = assert(socket.connect("127.0.0.1", env.port))
    local h = {}
    for k, v in pairs(p.headers) do h[#h + 1] = k .. ": " .. v end
    assert(c:send(table.concat({ "POST /mcp HTTP/1.1", "Host: 127.0.0.1:" .. env.port, table.concat(h, "\r\n"),
      "Content-Length: " .. #CALL, "Connection: close", "", CALL }, "\r\n")))
    socks[i] = c
  end
  socket.sleep(0.3)
  local side = timed(15, "GET", "/.well-known/oauth-protected-resource/mcp", { headers = {} })
  local waited = 0
  for _, c in ipairs(socks) do
    c:settimeout(10)
    local line = c:receive("*l")
    if line and line:match(" 200 ") then waited = waited + 1 end
    c:close()
  end
  local ms = median(side) * 1000
  print(("while 8 tool calls wait on a slow Help Scout (%d answered 200 after it): an unrelated request on the " ..
    "same worker, median %.2f ms (limit %.0f ms)"):format(waited, ms, 5 * SLACK))
  assert(waited == 8, "the 8 slow calls did not all finish")
  assert(ms < 5 * SLACK, "the worker was blocked")
end)
env:stop()
if not ok then
  print(err)
  os.exit(1)
end
