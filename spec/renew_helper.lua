-- The pieces a Lua driver brings to helpscout.renew: the engine (core.engine.new, doc/engine.md)
-- and `send` over LuaSocket. Used by spec/renew_spec.lua and the proof worker's "engine" mode.
local core = require "helpscout.core"
local http = require "socket.http"
local ltn12 = require "ltn12"

local M = {}

function M.copy(t)
  if not t then return nil end
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  return o
end

-- A real engine (core.engine.new) for the sandbox, holding token when given.
function M.engine(sb, token)
  local o = { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
  for k, v in pairs(token or {}) do o[k] = v end
  return core.engine.new(o)
end

-- The driver's part: execute a SEND action over HTTP, return the outcome.
function M.sender(log)
  return function(req)
    if log then log[#log + 1] = req end
    local out = {}
    local _, status, headers = http.request {
      url = req.url, method = req.method, sink = ltn12.sink.table(out),
      headers = { ["content-type"] = req.headers["Content-Type"], ["content-length"] = #req.body },
      source = ltn12.source.string(req.body),
    }
    local now = core.sys.epoch()
    if type(status) ~= "number" then return { now = now, transport = "network", message = tostring(status) } end
    return { now = now, status = status, headers = headers, body = table.concat(out) }
  end
end

return M
