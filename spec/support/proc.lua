-- Process helpers the spec servers share (sandbox, redis, nginx, the CLI specs): shell quoting,
-- this process's pid (servers watch it and exit when the test process dies) and a free port.
local socket = require "socket"

local M = {}

function M.shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

function M.self_pid()
  local f = io.open("/proc/self/stat", "r")
  if not f then return nil end
  local pid = f:read("*n")
  f:close()
  return pid
end

function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

return M
