-- helpscout.resty.connector_http: the small HTTP pieces the connector's locations share (answers,
-- bodies with a cap, forms, random tokens and their hashes). Internal to helpscout.resty.connector.
--
-- Invariants: every answer the connector writes goes through answer()/json() here (Cache-Control:
-- no-store on each: tokens, codes and session ids must never be cached); a body is read once,
-- refused past its cap before it is read when Content-Length says so; random values come from the
-- core's CSPRNG (core.sys.random), hashes are SHA-256 (core.sys.sha256).
local core = require "helpscout.core"
local cjson = require "cjson.safe"

local ngx = ngx -- luacheck: ignore
local type, tonumber, pairs, tostring = type, tonumber, pairs, tostring
local byte, format, gsub, char = string.byte, string.format, string.gsub, string.char

local _M = {}

-- Writes the whole answer (status, a body string, headers) without ending the handler.
function _M.send(status, body, headers)
  ngx.status = status
  ngx.header["Cache-Control"] = "no-store"
  for k, v in pairs(headers or {}) do ngx.header[k] = v end
  ngx.header["Content-Length"] = body and #body or 0
  if body and body ~= "" then ngx.print(body) end
end

-- Ends the request with that answer.
function _M.answer(status, body, headers)
  _M.send(status, body, headers)
  return ngx.exit(status)
end

-- Ends the request with a JSON body.
function _M.json(status, t, headers)
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return _M.answer(status, cjson.encode(t), h)
end

-- An OAuth error answer (RFC 6749 §5.2): {error, error_description}.
function _M.oauth_error(status, code, description, headers)
  return _M.json(status, { error = code, error_description = description }, headers)
end

-- The request body, or nil, "too_large" | "unreadable". max: bytes.
function _M.body(max)
  local declared = tonumber(ngx.var.http_content_length or "")
  if declared and declared > max then return nil, "too_large" end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local path = ngx.req.get_body_file()
    if not path then return "" end
    local f = io.open(path, "rb")
    if not f then return nil, "unreadable" end
    body = f:read(max + 1)
    f:close()
    body = body or ""
  end
  if #body > max then return nil, "too_large" end
  return body
end

local function unescape(s)
  s = gsub(s, "+", " ")
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- application/x-www-form-urlencoded -> table (a repeated name: nil, name).
function _M.form(body)
  local t = {}
  for k, v in body:gmatch("([^&=]+)=?([^&]*)") do
    k = unescape(k)
    if t[k] ~= nil then return nil, k end
    t[k] = unescape(v)
  end
  return t
end

-- The one header value of name (sent twice: nil).
function _M.header(name)
  local v = ngx.req.get_headers()[name]
  if type(v) == "table" then return nil end
  return v
end

function _M.b64url(bytes)
  return (gsub(ngx.encode_base64(bytes, true), "[+/]", { ["+"] = "-", ["/"] = "_" }))
end

-- A fresh random token: prefix .. 43 base64url characters (256 bits).
function _M.token(prefix)
  local bytes = assert(core.sys.random(32))
  return (prefix or "") .. _M.b64url(bytes)
end

function _M.hex(bytes)
  return (gsub(bytes, ".", function(c) return format("%02x", byte(c)) end))
end

-- The stored form of a secret (tokens, codes): hex SHA-256.
function _M.hash(secret) return _M.hex(core.sys.sha256(secret)) end

-- PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(ASCII(verifier))).
function _M.s256(verifier) return _M.b64url(core.sys.sha256(verifier)) end

-- Constant-time equality of two strings of any length.
function _M.equal(a, b)
  if type(a) ~= "string" or type(b) ~= "string" or #a ~= #b or a == "" then return false end
  return core.sys.equal(a, b)
end

local function escape(s)
  return (gsub(tostring(s), "[^%w%-%._~]", function(c) return format("%%%02X", byte(c)) end))
end
_M.escape = escape

-- url with the query parameters of list ({name, value}...; nil values left out) appended.
function _M.with_query(url, list)
  local parts = {}
  for _, p in ipairs(list) do
    if p[2] ~= nil then parts[#parts + 1] = escape(p[1]) .. "=" .. escape(p[2]) end
  end
  if #parts == 0 then return url end
  return url .. (url:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&")
end

function _M.now()
  ngx.update_time()
  return ngx.now()
end

return _M
