-- Shared helpers for the token-store, renewal and multi-process specs (spec/store_*_spec.lua):
-- a private temporary directory, the running interpreter, and child Lua processes that share
-- this checkout's paths. Children are real processes: locks and stores are proven across them.
local M = {}

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.shq = shq

-- The interpreter running the specs (children must load the same core.so build).
function M.interp()
  if rawget(_G, "jit") then return "luajit" end
  return "lua5.4"
end

-- A fresh directory under .tmp/, removed by M.rmtree.
function M.tmpdir(tag)
  local base = os.getenv("PWD") .. "/.tmp"
  os.execute("mkdir -p " .. shq(base))
  local p = io.popen("mktemp -d " .. shq(base .. "/" .. (tag or "store") .. ".XXXXXX"))
  local dir = p:read("*l")
  p:close()
  assert(dir and dir ~= "", "mktemp failed")
  return dir
end

function M.rmtree(dir)
  if dir and dir:find("/.tmp/", 1, true) then os.execute("rm -rf " .. shq(dir)) end
end

-- The permission bits of path as an octal string ("600"), or nil when it does not exist.
function M.mode(path)
  local p = io.popen("stat -c %a " .. shq(path) .. " 2>/dev/null")
  local m = p:read("*l")
  p:close()
  return m
end

function M.is_root()
  local p = io.popen("id -u")
  local uid = p:read("*l")
  p:close()
  return uid == "0"
end

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- Starts `interp -e code` in the background, stdout and stderr to out_path; returns its pid.
function M.spawn(code, out_path)
  local cmd = ("sh -c 'echo $$; exec \"$0\" -e \"$1\" >\"$2\" 2>&1 </dev/null' %s %s %s &"):format(
    M.interp(), shq(code), shq(out_path or "/dev/null"))
  local p = io.popen(cmd)
  local pid = tonumber(p:read("*l"))
  p:close()
  return pid
end

local function run(cmd)
  local a = os.execute(cmd) -- true (5.4) or 0 (LuaJIT) on success
  return a == true or a == 0
end

function M.alive(pid) return run("kill -0 " .. pid .. " 2>/dev/null") end
function M.kill(pid, sig) if pid then run("kill -" .. (sig or "TERM") .. " " .. pid .. " 2>/dev/null") end end

-- Waits until pred() is true (polling every 20 ms) or the deadline passes; returns pred()'s value.
function M.wait_for(pred, seconds)
  local sys = require("helpscout.core").sys
  local deadline = sys.epoch() + (seconds or 5)
  repeat
    local v = pred()
    if v then return v end
    sys.sleep(0.02)
  until sys.epoch() > deadline
  return pred()
end

return M
