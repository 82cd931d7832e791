-- Shared helpers for the C core's specs (spec/client_*_spec.lua): a sandbox per spec file, clients
-- pointed at it, and readers for the sandbox's request log. Nothing here touches the client's
-- internals: tests look at results, errors and the requests the server received.
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local socket = require "socket"

local M = {}

function M.start(opts) return sandbox.start(opts) end

-- A client for the sandbox; o overrides (pass false to drop a default).
function M.client(sb, o)
  local opts = { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
                 timeout = 5, connect_timeout = 2, retries = 2 }
  for k, v in pairs(o or {}) do
    if v == false and k ~= "read_only" then opts[k] = nil else opts[k] = v end
  end
  return helpscout.new(opts)
end

-- The logged query as a table (the log may carry a string or a table).
function M.query(r)
  local q = r.query
  if type(q) == "table" then return q end
  local out = {}
  for k, v in tostring(q or ""):gmatch("([^&=?]+)=([^&]*)") do
    out[k] = v:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return out
end

function M.count(sb, method, path)
  return #sb:log{ method = method, path = path }
end

function M.is_integer(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

-- A loopback port nothing listens on right now (bound, read, released).
M.free_port = require("support.proc").free_port

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function spawn_gate(port, target, delay, stall, pass)
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/[^/]+$") or "spec"
  local interp = os.getenv("HS_SANDBOX_LUA") or "lua5.4"
  local cmd = string.format("sh -c 'echo $$; sleep %s; exec \"$0\" \"$@\"' %s %s %d %d 20 %s %s 2>/dev/null",
    tostring(delay), shq(interp), shq(dir .. "/client_gate.lua"), port, target,
    stall and tostring(stall) or "", stall and tostring(pass or 0) or "")
  local pipe = assert(io.popen(cmd, "r"))
  local pid = assert(tonumber(pipe:read("*l")), "gate did not start")
  return pipe, pid
end

-- Starts spec/client_gate.lua in the background: after `delay` seconds it listens on `port` and
-- forwards to `target`. Returns { stop = function() -> true if it had started listening }.
function M.gate(port, target, delay)
  local pipe, pid = spawn_gate(port, target, delay)
  return {
    stop = function()
      local line = pipe:read("*l") -- the ready line (the gate lives 20 s at most)
      os.execute("kill " .. pid .. " 2>/dev/null")
      pipe:close()
      return line ~= nil and line:find("gate listening", 1, true) ~= nil
    end,
  }
end

-- Starts spec/client_gate.lua listening on `port` at once (returns when it is ready) and
-- forwarding to `target`, except that after the first `pass` (default 0) connections its accept
-- queue is full for `stall` seconds: connects time out (the TCP handshake never completes) until
-- then. Returns { stop = function() }.
function M.stalled_gate(port, target, stall, pass)
  local pipe, pid = spawn_gate(port, target, 0, stall, pass)
  local line = pipe:read("*l")
  assert(line and line:find("gate listening", 1, true), "the stalled gate did not start")
  return {
    stop = function()
      os.execute("kill " .. pid .. " 2>/dev/null")
      pipe:close()
    end,
  }
end

-- A loopback port that listens but never completes a TCP handshake: backlog 0, filled by one
-- connection of our own that is never accepted, so Linux drops further SYNs (full accept queue)
-- and a connect times out. Returns port, close function.
function M.stalled_port()
  local srv = assert(socket.bind("127.0.0.1", 0, 0))
  local _, port = srv:getsockname()
  local filler = socket.tcp()
  filler:settimeout(2)
  assert(filler:connect("127.0.0.1", port))
  return tonumber(port), function()
    filler:close()
    srv:close()
  end
end

M.now = socket.gettime
M.sleep = socket.sleep

-- Any conversation id and its customer id, read through the API (no hard-coded data).
function M.some_conversation(hs, opts)
  local items = assert(hs:list_conversations(opts or { status = "all" }))
  local c = assert(items[1], "sandbox has no conversations")
  return c.id, c.primaryCustomer and c.primaryCustomer.id, c
end

return M
