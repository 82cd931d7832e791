-- JSON for the sandbox. Decoding uses lua-cjson; encoding is our own because responses must keep
-- arrays as arrays when they are empty ("tags":[]) and Debian's cjson has no empty_array.
-- Invariants: a table is encoded as an array when it carries the array metatable (json.array) or
-- has a [1]; otherwise as an object. Integer-valued numbers (ids above 2^31 included) are written
-- with %d, never in exponent form. json.null encodes as null. json.raw(text) encodes as text,
-- verbatim (already-encoded JSON: the sandbox's cached fragments).
local cjson = require "cjson.safe"

local type, pairs, tostring, getmetatable, setmetatable = type, pairs, tostring, getmetatable, setmetatable
local concat, format, floor, huge = table.concat, string.format, math.floor, math.huge
local gsub, byte, find = string.gsub, string.byte, string.find

local _M = {}

local ARRAY = { __name = "sandbox.json.array" }
local RAW = { __name = "sandbox.json.raw" }
_M.null = cjson.null

-- Marks (and returns) t as a JSON array, so an empty one encodes as [].
function _M.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- Wraps an already-encoded JSON text: encode() copies it as it is.
function _M.raw(text)
  return setmetatable({ text }, RAW)
end

function _M.is_array(t)
  return getmetatable(t) == ARRAY
end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function escape_char(c)
  return escapes[c] or format("\\u%04x", byte(c))
end

local function enc_string(s)
  if not find(s, '[%c"\\]') then return '"' .. s .. '"' end
  return '"' .. gsub(s, '[%c"\\]', escape_char) .. '"'
end

local function enc_number(n)
  if n ~= n or n == huge or n == -huge then return "null" end
  if floor(n) == n and n < 9.2e18 and n > -9.2e18 then return format("%d", n) end
  return format("%.14g", n)
end

local encode_value
-- Object keys repeat endlessly ("id", "_links", ...): cache their encoded form (bounded).
local key_cache, cached = {}, 0

local function enc_table(t, buf, n)
  local mt = getmetatable(t)
  if mt == RAW then
    buf[n + 1] = t[1]
    return n + 1
  end
  if mt == ARRAY or t[1] ~= nil then
    buf[n + 1] = "["
    n = n + 1
    for i = 1, #t do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encode_value(t[i], buf, n)
    end
    n = n + 1; buf[n] = "]"
    return n
  end
  n = n + 1; buf[n] = "{"
  local first = true
  for k, v in pairs(t) do
    if first then first = false else n = n + 1; buf[n] = "," end
    local ek = key_cache[k]
    if not ek then
      ek = enc_string(type(k) == "string" and k or tostring(k))
      if cached < 4096 and type(k) == "string" then key_cache[k] = ek; cached = cached + 1 end
    end
    n = n + 1; buf[n] = ek
    n = n + 1; buf[n] = ":"
    n = encode_value(v, buf, n)
  end
  n = n + 1; buf[n] = "}"
  return n
end

encode_value = function(v, buf, n)
  local tv = type(v)
  n = n + 1
  if tv == "string" then buf[n] = enc_string(v)
  elseif tv == "number" then buf[n] = enc_number(v)
  elseif tv == "boolean" then buf[n] = v and "true" or "false"
  elseif tv == "table" then return enc_table(v, buf, n - 1)
  else buf[n] = "null" end
  return n
end

-- Returns the JSON text of v.
function _M.encode(v)
  local buf = {}
  local n = encode_value(v, buf, 0)
  return concat(buf, "", 1, n)
end

-- Returns the decoded value, or nil and an error message.
function _M.decode(s)
  return cjson.decode(s)
end

return _M
