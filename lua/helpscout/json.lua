-- helpscout.json: the core's one JSON codec (core.json_encode / core.json_decode, arrays tagged
-- with core.array so that an empty one stays []) under the names the Lua modules use.
--   encode(v) -> text (raises on a value JSON cannot carry: a programmer error)
--   decode(text) -> value, or nil and a message (never raises)
--   array(t) -> t tagged as a JSON array;  null -> the JSON null inside arrays and MCP messages
local core = require "helpscout.core"

local setmetatable, pcall = setmetatable, pcall

local _M = {}

_M.encode = core.json_encode
_M.null = core.json_decode("[null]")[1]

function _M.decode(text)
  local ok, v, err = pcall(core.json_decode, text)
  if not ok then return nil, v end
  return v, err
end

function _M.array(t)
  return setmetatable(t or {}, core.array)
end

return _M
