-- helpscout.resty.http: a small HTTP/1.1 client over ngx.socket.tcp, the transport of the
-- OpenResty driver. It executes one SEND action of the engine (doc/engine.md) and answers with
-- the engine's outcome fields: a response {status, headers (names in lower case), body}, or a
-- transport fact {transport = "connect_timeout"|"noconnect"|"timeout"|"network"|"truncated"|
-- "toobig", message}. It decides nothing: no retry, no redirect (a 3xx is a response like any
-- other), no token.
--
--   local http = require "helpscout.resty.http"
--   local outcome, info = http.request{ method = "GET", url = "https://api.helpscout.net/v2/users/me",
--     headers = {...}, body = nil, fresh_connection = false,
--     connect_timeout = 10, timeout = 30, max_body = 64 MiB, keepalive = 60, pool_size = 32 }
--   -- info.reused: how often the connection had been used before (0: a new connection)
--
-- Invariants:
-- * A request with fresh_connection (every POST) goes out on a new connection from a pool name
--   nothing is ever returned to, is written once, and its connection is closed afterwards.
-- * Only a connection whose response was read completely goes back to the keep-alive pool
--   (setkeepalive), under a pool name per origin (scheme, host, port).
-- * TLS verifies the certificate and sends SNI: sslhandshake(nil, host, true). nginx needs
--   `lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;` (and a `resolver` for
--   host names) in the http block; without them a https handshake fails as "noconnect".
-- * `timeout` bounds each send and each read (cosocket timeouts), `connect_timeout` the TCP
--   connect and the TLS handshake.
local ngx = ngx -- luacheck: ignore
local tcp = ngx.socket.tcp
local concat, tonumber, type, pairs, error, tostring = table.concat, tonumber, type, pairs, error, tostring
local lower, find = string.lower, string.find

local _M = { MAX_BODY = 64 * 1024 * 1024 }

-- scheme, host, port, target of an absolute http(s) URL, or nil.
local function parse_url(url)
  local scheme, authority, target = url:match("^(https?)://([^/?#]+)([^#]*)$")
  if not scheme then return nil end
  local host, port = authority:match("^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host then return nil end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if target == "" then target = "/" elseif target:sub(1, 1) == "?" then target = "/" .. target end
  return scheme, host, port, target, authority
end
_M.parse_url = parse_url

local function check_header(k, v)
  if find(k, "[\r\n:]") or find(v, "[\r\n]") then
    error("header " .. k .. " contains CR, LF or ':' (refused)", 3)
  end
end

-- The request bytes, as a table for sock:send.
local function request_bytes(req, authority, target)
  local out = { req.method, " ", target, " HTTP/1.1\r\nHost: ", authority, "\r\n" }
  local n = #out
  for k, v in pairs(req.headers or {}) do
    v = tostring(v)
    check_header(k, v)
    local lk = lower(k)
    if lk ~= "host" and lk ~= "content-length" and lk ~= "connection" then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = k, ": ", v, "\r\n"
      n = n + 4
    end
  end
  if req.body or req.method == "POST" or req.method == "PUT" then
    out[n + 1] = "Content-Length: " .. #(req.body or "") .. "\r\n"
    n = n + 1
  end
  if req.fresh_connection then out[n + 1] = "Connection: close\r\n"; n = n + 1 end
  out[n + 1] = "\r\n"
  out[n + 2] = req.body or ""
  return out
end

local function fact(kind, message) return { transport = kind, message = message } end

-- Connects (pooled unless fresh) and does the TLS handshake on a new connection.
-- Returns sock, reused or nil, outcome.
local function open(req, scheme, host, port)
  local sock = tcp()
  local ct = (req.connect_timeout or 10) * 1000
  local t = (req.timeout or 30) * 1000
  sock:settimeouts(ct, t, t)
  local pool = scheme .. "://" .. host .. ":" .. port
  if req.fresh_connection then pool = pool .. "#fresh" end -- never given back: never reused
  local ok, err = sock:connect(host, port, { pool = pool })
  if not ok then
    if err == "timeout" then return nil, fact("connect_timeout", "connect timed out") end
    return nil, fact("noconnect", "connect: " .. tostring(err))
  end
  local reused = sock:getreusedtimes() or 0
  if scheme == "https" and reused == 0 then
    ok, err = sock:sslhandshake(nil, host, true)
    if not ok then
      sock:close()
      if err == "timeout" then return nil, fact("connect_timeout", "TLS handshake timed out") end
      return nil, fact("noconnect", "TLS handshake: " .. tostring(err))
    end
  end
  return sock, reused
end

-- Status line and headers. Returns status, headers, http minor version or nil, outcome.
local function read_head(sock)
  local line, err = sock:receive("*l")
  if not line then
    return nil, fact(err == "timeout" and "timeout" or "network", "reading status: " .. tostring(err))
  end
  local minor, status = line:match("^HTTP/1%.(%d) (%d%d%d)")
  if not status then return nil, fact("network", "not an HTTP/1.x status line") end
  local headers = {}
  while true do
    line, err = sock:receive("*l")
    if not line then
      return nil, fact(err == "timeout" and "timeout" or "network", "reading headers: " .. tostring(err))
    end
    if line == "" then break end
    local k, v = line:match("^([^:%s]+)%s*:%s*(.-)%s*$")
    if k then
      k = lower(k)
      headers[k] = headers[k] and (headers[k] .. ", " .. v) or v
    end
  end
  return tonumber(status), headers, tonumber(minor)
end

local function read_error(err, what)
  if err == "timeout" then return fact("timeout", what .. " timed out") end
  if err == "closed" then return fact("truncated", what .. ": connection closed early") end
  return fact("network", what .. ": " .. tostring(err))
end

local function read_length(sock, len, cap)
  if len > cap then return nil, fact("toobig", "response body over " .. cap .. " bytes") end
  if len == 0 then return "" end
  local data, err = sock:receive(len)
  if not data then return nil, read_error(err, "reading body") end
  return data
end

local function read_chunked(sock, cap)
  local parts, size = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, read_error(err, "reading chunk size") end
    local n = tonumber(line:match("^%s*(%x+)"), 16)
    if not n then return nil, fact("network", "bad chunk size line") end
    if n == 0 then break end
    size = size + n
    if size > cap then return nil, fact("toobig", "response body over " .. cap .. " bytes") end
    local data
    data, err = sock:receive(n)
    if not data then return nil, read_error(err, "reading chunk") end
    parts[#parts + 1] = data
    line, err = sock:receive("*l") -- the CRLF after the chunk data
    if not line then return nil, read_error(err, "reading chunk") end
  end
  repeat -- trailer fields up to the empty line
    local line, err = sock:receive("*l")
    if not line then return nil, read_error(err, "reading trailer") end
  until line == ""
  return concat(parts)
end

-- Until the server closes (no length, no chunking): the connection cannot be reused.
local function read_to_close(sock, cap)
  local parts, size = {}, 0
  while true do
    local data, err = sock:receiveany(65536)
    if not data then
      if err == "closed" then return concat(parts) end
      return nil, read_error(err, "reading body")
    end
    size = size + #data
    if size > cap then return nil, fact("toobig", "response body over " .. cap .. " bytes") end
    parts[#parts + 1] = data
  end
end

-- Reads the body as the head announces it. Returns body, reusable or nil, outcome.
local function read_body(sock, method, status, headers, cap)
  if method == "HEAD" or status == 204 or status == 304 or status < 200 then return "", true end
  local te = headers["transfer-encoding"]
  if te and find(lower(te), "chunked", 1, true) then
    local body, out = read_chunked(sock, cap)
    return body, body ~= nil or out
  end
  local cl = headers["content-length"]
  if cl then
    local len = tonumber(cl:match("^%d+$"))
    if not len then return nil, fact("network", "bad Content-Length") end
    local body, out = read_length(sock, len, cap)
    return body, body ~= nil or out
  end
  local body, out = read_to_close(sock, cap)
  if body then return body, false end
  return nil, out
end

-- Executes one request. Returns the outcome fields and {reused = n}. Raises only on a bad
-- request table (programmer error): not an http(s) URL, CR/LF in a header.
function _M.request(req)
  if type(req) ~= "table" or type(req.method) ~= "string" or type(req.url) ~= "string" then
    error("bad argument #1 to 'request' (table with method and url expected)", 2)
  end
  local scheme, host, port, target, authority = parse_url(req.url)
  if not scheme then error("bad argument #1 to 'request' (not an http(s) URL)", 2) end
  local bytes = request_bytes(req, authority, target)
  local sock, reused = open(req, scheme, host, port)
  if not sock then return reused, { reused = 0 } end
  local info = { reused = reused }
  local ok, err = sock:send(bytes)
  if not ok then
    sock:close()
    return fact(err == "timeout" and "timeout" or "network", "sending: " .. tostring(err)), info
  end
  local status, headers, minor = read_head(sock)
  if not status then sock:close(); return headers, info end
  local body, reusable = read_body(sock, req.method, status, headers, req.max_body or _M.MAX_BODY)
  if not body then sock:close(); return reusable, info end
  local conn = lower(headers["connection"] or "")
  if reusable == true and not req.fresh_connection and not find(conn, "close", 1, true)
      and (minor == 1 or find(conn, "keep-alive", 1, true)) then
    sock:setkeepalive((req.keepalive or 60) * 1000, req.pool_size or 32)
  else
    sock:close()
  end
  return { status = status, headers = headers, body = body }, info
end

return _M
