-- helpscout.store.common: what every token store shares (DESIGN.md §4) — the error constructor,
-- the option checker, the token shape and its JSON form, and running a function under a lock.
-- One place each; memory.lua, file.lua and redis.lua only move bytes.
local core = require "helpscout.core"
local cjson = require "cjson.safe"

local type, pairs, ipairs, pcall, error, select, setmetatable = type, pairs, ipairs, pcall, error, select,
  setmetatable
local unpack = table.unpack or unpack
local concat, sort = table.concat, table.sort
local huge = math.huge

local _M = {}

-- The one error constructor of the stores (core.error once the engine provides it). Stores
-- fail with kind "store" (retryable: the store may come back) or "invalid" (bad input).
local new_error = core.error or function(kind, message, fields)
  local e = { kind = kind, message = message, retryable = kind == "store" }
  for k, v in pairs(fields or {}) do e[k] = v end
  return setmetatable(e, core.Error)
end
_M.error = new_error

function _M.fail(message, fields) return nil, new_error("store", message, fields) end

-- options(spec, opts, fname) -> a copy with defaults applied; the Lua layer's one checker.
local options = require "helpscout.options"
function _M.options(spec, opts, fname)
  local o = options.check(spec, opts, fname, 1, 3)
  return o -- (not a tail call: the error level counts this frame)
end

local FIELDS = { access_token = "string", refresh_token = "string", token_type = "string",
                 expires_at = "number", obtained_at = "number" }

-- A clean copy of a token table (known fields only), or nil, reason.
function _M.token(t)
  if type(t) ~= "table" then return nil, "a token must be a table" end
  local out = {}
  for k, ty in pairs(FIELDS) do
    local v = t[k]
    if v ~= nil and type(v) ~= ty or ty == "number" and v and (v ~= v or v == huge or v == -huge) then
      return nil, "token field " .. k .. " must be a " .. (ty == "number" and "finite number" or ty)
    end
    out[k] = v
  end
  if out.access_token == nil and out.refresh_token == nil then
    return nil, "a token needs an access_token or a refresh_token"
  end
  return out
end

-- JSON of a clean token; numbers with all 17 digits (cjson keeps 14: fractions of expires_at
-- would change between save and load). Keys sorted: the same token is always the same text.
function _M.encode(t)
  local keys, parts = {}, {}
  for k in pairs(FIELDS) do if t[k] ~= nil then keys[#keys + 1] = k end end
  sort(keys)
  for i, k in ipairs(keys) do
    local v = t[k]
    parts[i] = cjson.encode(k) .. ":" .. (type(v) == "number" and ("%.17g"):format(v) or cjson.encode(v))
  end
  return "{" .. concat(parts, ",") .. "}"
end

-- decode(s) -> token, or nil, reason (not JSON, or not a token).
function _M.decode(s)
  local v = cjson.decode(s)
  if type(v) ~= "table" then return nil, "not a JSON token object" end
  return _M.token(v)
end

local function pack(...) return { n = select("#", ...), ... } end

-- with_lock(acquire, release, fn): acquire() -> handle | nil, err; runs fn, releases, returns
-- fn's results. An error raised by fn is re-raised after the release.
function _M.with_lock(acquire, release, fn)
  if type(fn) ~= "function" then error("bad argument #1 to 'lock' (function expected)", 3) end
  local handle, err = acquire()
  if not handle then return nil, err end
  local res = pack(pcall(fn))
  release(handle)
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, res.n)
end

-- Hex of n random bytes (lock tokens).
function _M.random_hex(n)
  return (core.sys.random(n):gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

return _M
