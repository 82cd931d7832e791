-- Process helpers the spec servers share (sandbox, redis, nginx, the CLI specs): shell quoting,
-- this process's pid (servers watch it and exit when the test process dies) and a free port.
local socket = require "socket"

local M = {}

function M.shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Raises "missing prerequisite: <what> (<why>)" unless program (a name looked up on PATH, or a
-- path) can be run. A spec whose real server is missing fails with that reason: never a skip.
function M.need(program, why)
  local found = os.execute("command -v " .. M.shq(program) .. " >/dev/null 2>&1")
  if found == true or found == 0 then return program end
  error(("missing prerequisite: %s not found (PATH=%s); %s"):format(program,
    os.getenv("PATH") or "", why), 2)
end

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
