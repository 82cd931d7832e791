-- Test helper: starts a real redis-server on 127.0.0.1 (a free port, no persistence) and stops
-- it. A watchdog shell kills it when the test process dies, so no server outlives a run.
--
--   local redis = require "support.redis"
--   local r = redis.start{ password = "pw" }   -- r.port, r.pid
--   r:stop()
local proc = require "support.proc"
local socket = require "socket"

local M = {}
local mt = { __index = M }

local shq = proc.shq

local self_pid = proc.self_pid

local free_port = proc.free_port

local function ping(port, password)
  local c = socket.tcp()
  c:settimeout(0.5)
  if not c:connect("127.0.0.1", port) then return false end
  if password then
    c:send(("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n"):format(#password, password))
    c:receive("*l")
  end
  c:send("*1\r\n$4\r\nPING\r\n")
  local line = c:receive("*l")
  c:close()
  return line == "+PONG"
end

-- opts: password (requirepass), port (default: a free one)
function M.start(opts)
  opts = opts or {}
  proc.need("redis-server", "the store specs run a real Redis (make deps installs redis-server)")
  local port = opts.port or free_port()
  local args = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "''",
                 "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning" }
  if opts.password then args[#args + 1] = "--requirepass"; args[#args + 1] = shq(opts.password) end
  local parent = self_pid() or 1
  -- The inner shell prints the server's pid, then watches the parent and kills the server.
  local script = table.concat(args, " ") .. " >/dev/null 2>&1 & rp=$!; echo $rp; " ..
    "while kill -0 " .. parent .. " 2>/dev/null && kill -0 $rp 2>/dev/null; do sleep 1; done; kill $rp 2>/dev/null"
  local p = io.popen("sh -c " .. shq(script) .. " </dev/null 2>/dev/null & ", "r")
  local pid = tonumber(p:read("*l"))
  p:close()
  assert(pid, "redis-server did not start")
  local self = setmetatable({ port = port, pid = pid, password = opts.password }, mt)
  for _ = 1, 250 do
    if ping(port, opts.password) then return self end
    socket.sleep(0.02)
  end
  self:stop()
  error("redis-server did not answer on port " .. port)
end

function M:stop()
  if not self.pid then return end
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  for _ = 1, 100 do
    if not ping(self.port, self.password) then break end
    socket.sleep(0.02)
  end
  self.pid = nil
end

return M
