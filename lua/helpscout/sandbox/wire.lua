-- The sandbox's wire vocabulary: query strings, response tables (HAL, vnd.error, 201, 204) and the
-- try/fail/protect idiom of LuaSocket's except.h. A handler that finds bad input calls
-- fail(response) (or try(value, response)); protect(fn) turns that into fn's return value, so no
-- handler carries an `if err then return err end` ladder. Any other error is re-raised untouched
-- (http.lua answers it with a 500).
-- Response tables are http.lua's: { status=, headers={ {name, value}, ... }, body= }.
local json = require "helpscout.sandbox.json"

local ipairs, type, tonumber, pcall, error = ipairs, type, tonumber, pcall, error
local setmetatable, getmetatable, tostring = setmetatable, getmetatable, tostring
local format, match, gsub, char, find = string.format, string.match, string.gsub, string.char, string.find
local concat = table.concat
local arr = json.array

local _M = {}

_M.HAL = "application/hal+json;charset=UTF-8"
_M.VND = "application/vnd.error+json"
local ERR_DOC = "http://developer.helpscout.net/mailbox-api/overview/errors"

-- try / fail / protect ---------------------------------------------------------------------------

local FAILED = { __name = "sandbox.failed" }

-- Abandons the current request with response res.
function _M.fail(res) error(setmetatable({ res = res }, FAILED), 0) end

-- Returns v when it is not nil; otherwise fails with res.
function _M.try(v, res)
  if v == nil then _M.fail(res) end
  return v
end

local function unwrap(ok, ...)
  if ok then return ... end
  local e = ...
  if getmetatable(e) == FAILED then return e.res end
  error(e, 0)
end

-- fn wrapped so that fail(res) inside it returns res.
function _M.protect(fn)
  return function(...) return unwrap(pcall(fn, ...)) end
end

-- Query strings ----------------------------------------------------------------------------------

function _M.url_decode(s)
  if not find(s, "[%%+]") then return s end
  s = gsub(s, "+", " ")
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end
local url_decode = _M.url_decode

function _M.url_encode(s)
  return (gsub(s, "[^%w%-%._~]", function(c) return format("%%%02X", c:byte()) end))
end

-- Parses a query string into an ordered list of {name, value} and a map name -> last value.
function _M.parse_qs(qs)
  local list, map = {}, {}
  if qs and qs ~= "" then
    for pair in qs:gmatch("[^&]+") do
      local k, v = match(pair, "^([^=]*)=?(.*)$")
      k, v = url_decode(k), url_decode(v)
      list[#list + 1] = { k, v }
      map[k] = v
    end
  end
  return list, map
end

-- Responses --------------------------------------------------------------------------------------

local function log_ref(S)
  S.log_ref_seq = (S.log_ref_seq or 0) + 1
  return format("%08x-%04x-4%03x-a%03x-%012x#%d", S.boot_id % 4294967296, S.log_ref_seq % 65536,
    S.log_ref_seq % 4096, S.boot_id % 4096, S.log_ref_seq * 7919, S.log_ref_seq)
end

function _M.vnd(S, status, message, errors, extra_headers)
  local body = { logRef = log_ref(S), message = message,
    _links = { about = { href = ERR_DOC } } }
  if errors then body._embedded = { errors = arr(errors) } end
  local headers = { { "Content-Type", _M.VND } }
  for _, h in ipairs(extra_headers or {}) do headers[#headers + 1] = h end
  return { status = status, headers = headers, body = json.encode(body) }
end

local ANCHORS = { NotEmpty = true, EnumValue = true, Type = true, MalformedDate = true, Range = true,
  InvalidId = true, NotNull = true, Email = true, Size = true, Query = true }

-- One entry of a vnd.error's _embedded.errors (source "JSON" unless given).
function _M.field_error(path, message, rejected, anchor, source)
  local e = { path = path, message = message, source = source or "JSON",
    _links = { about = { href = ERR_DOC .. "#" .. (ANCHORS[anchor] and anchor or "Validation") } } }
  if rejected ~= nil and type(rejected) ~= "table" then e.rejectedValue = rejected end
  return e
end

function _M.bad_request(S, errors, message)
  return _M.vnd(S, 400, message or "Validation error", errors)
end

function _M.not_found(S) return _M.vnd(S, 404, "Resource not found") end

function _M.method_not_allowed(S, allow)
  return _M.vnd(S, 405, "Method not allowed", nil, { { "Allow", allow } })
end

function _M.hal(status, body, headers)
  local h = { { "Content-Type", _M.HAL } }
  for _, x in ipairs(headers or {}) do h[#h + 1] = x end
  return { status = status, headers = h, body = json.encode(body) }
end

-- A 200 HAL response whose body is already-encoded JSON text.
function _M.hal_text(text)
  return { status = 200, headers = { { "Content-Type", _M.HAL } }, body = text }
end

-- http://Host of the request (absolute _links and Location carry the Host the client used).
function _M.base_url(S, req)
  local host = req.headers.host
  if not host or host == "" then host = S.host .. ":" .. S.port end
  return "http://" .. host
end

function _M.created(S, req, id, location_path)
  local headers = { { "Resource-ID", tostring(id) }, { "Location", _M.base_url(S, req) .. location_path } }
  return { status = 201, headers = headers, body = "" }
end

function _M.no_content() return { status = 204, headers = {}, body = "" } end

function _M.oauth_json(status, body, extra)
  local h = { { "Content-Type", "application/json;charset=UTF-8" }, { "Cache-Control", "no-store" } }
  for _, x in ipairs(extra or {}) do h[#h + 1] = x end
  return { status = status, headers = h, body = json.encode(body) }
end

-- Enums ------------------------------------------------------------------------------------------

local sets = setmetatable({}, { __mode = "k" })

-- The set of the values of list (built once per list).
function _M.enum_set(list)
  local s = sets[list]
  if s then return s end
  s = {}
  for _, v in ipairs(list) do s[v] = true end
  sets[list] = s
  return s
end

function _M.enum_msg(list)
  local q = {}
  for i, v in ipairs(list) do q[i] = "'" .. v .. "'" end
  return "Expected one of these: " .. concat(q, ", ")
end

return _M
