-- Sandbox throughput: starts bin/helpscout-sandbox, gets a token, then drives, in one run,
-- GET /v2/mailboxes (small, ~1.5 kB), GET /v2/conversations?status=all (a 25-item page, ~35 kB),
-- the same page with embed=threads (~150 kB) and one conversation with embed=threads,
-- over keep-alive connections with LuaSocket clients (several connections, one outstanding
-- request per connection) and prints requests/s. The sandbox is single-threaded: one core.
--   lua5.4 bench/sandbox_bench.lua [seconds=3] [connections=4]
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local sandbox = require "support.sandbox"

local seconds = tonumber(arg[1]) or 3
local nconn = tonumber(arg[2]) or 4

local sb = sandbox.start { seed = 42 }
local ok, err = pcall(function()
  local status, tok = sb:request("POST", "/v2/oauth2/token",
    { grant_type = "client_credentials", client_id = sb.client_id, client_secret = sb.client_secret })
  assert(status == 200, "token request failed")
  local function build(path)
    return "GET " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1:" .. sb.port ..
      "\r\nAuthorization: Bearer " .. tok.access_token .. "\r\nAccept: application/json\r\n\r\n"
  end

  local conns = {}
  for i = 1, nconn do
    local c = assert(socket.connect("127.0.0.1", sb.port))
    c:setoption("tcp-nodelay", true)
    c:settimeout(5)
    conns[i] = c
  end
  -- Reads one response (headers + Content-Length body); returns the status.
  local function read_response(c)
    local line = assert(c:receive("*l"))
    local st = tonumber(line:match("^HTTP/1%.1 (%d+)"))
    local len = 0
    while true do
        local h = assert(c:receive("*l"))
      if h == "" then break end
      local n = h:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
      if n then len = tonumber(n) end
    end
    if len > 0 then assert(c:receive(len)) end
    return st, len
  end
  local function run(path, secs)
  local req = build(path)
  local size
  for _, c in ipairs(conns) do
    c:send(req)
    local st, len = read_response(c)
    assert(st == 200, path .. " answered " .. tostring(st))
    size = len
  end
  local n, bad = 0, 0
  local t0 = socket.gettime()
  local deadline = t0 + secs
  while socket.gettime() < deadline do
    for _, c in ipairs(conns) do c:send(req) end
    for _, c in ipairs(conns) do
      if read_response(c) ~= 200 then bad = bad + 1 end
      n = n + 1
    end
  end
  local dt = socket.gettime() - t0
  io.write(string.format("sandbox GET %s (%.1f kB) keep-alive, %d connections: "
    .. "%d requests in %.2f s = %.0f requests/s (%d non-200)\n", path, size / 1024, nconn, n, dt, n / dt, bad))
  if bad > 0 then error("non-200 responses") end
  end
  run("/v2/mailboxes", seconds)
  run("/v2/conversations?status=all", seconds)
  run("/v2/conversations?status=all&embed=threads", seconds)
  run("/v2/conversations?status=all&page=3", seconds)
  -- one conversation (with its threads): take the first id of the list page
  conns[1]:send(build("/v2/conversations?status=all"))
  local line = assert(conns[1]:receive("*l"))
  assert(line:match("^HTTP/1%.1 200"), line)
  local len = 0
  while true do
    local h = assert(conns[1]:receive("*l"))
    if h == "" then break end
    len = tonumber(h:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")) or len
  end
  local id = assert(conns[1]:receive(len)):match('/v2/conversations/(%d+)"')
    or assert(nil, "no conversation id in the list page")
  run("/v2/conversations/" .. id .. "?embed=threads", seconds)
  for _, c in ipairs(conns) do c:close() end
end)
sb:stop()
if not ok then io.stderr:write("bench failed: ", tostring(err), "\n"); os.exit(1) end
