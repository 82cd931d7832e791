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
-- * One deadline per attempt: `timeout` seconds from the connect to the last byte of the answer
--   (as libcurl's CURLOPT_TIMEOUT); `connect_timeout` bounds the TCP connect and the TLS
--   handshake within it. Every read is a receiveany under the time left, so a server trickling
--   one byte a second cannot stretch an attempt (a cosocket timeout restarts with each byte).
-- * Strict HTTP/1.1 framing, read through one buffered reader: a status line "HTTP/1.x NNN",
--   header lines "name: value" (a malformed one is refused), at most MAX_LINE bytes a line,
--   MAX_HEAD bytes and MAX_HEADERS fields for the head (trailers included); a repeated header
--   is a list of its values in order (never joined); interim 1xx answers are skipped (at most
--   MAX_INTERIM; a 101 is refused); chunk-size lines are hex digits (at most 8) with optional
--   extensions, each chunk ends with CRLF; Transfer-Encoding other than "chunked", a
--   Transfer-Encoding with a Content-Length, or Content-Lengths that disagree are refused.
-- * Every failure is a transport fact, never a raise: sslhandshake is called under pcall
--   (lua-resty-core 0.1.25 asserts inside it on some verification failures).
-- * A connection goes back to the pool only when its answer was framed (length or chunks), read
--   whole, and no byte follows it.
local ngx = ngx -- luacheck: ignore
local concat, tonumber, type, pairs, error, tostring, pcall = table.concat, tonumber, type, pairs, error,
  tostring, pcall
local lower, find, sub, byte, match = string.lower, string.find, string.sub, string.byte, string.match
local min, ceil = math.min, math.ceil

local _M = { MAX_BODY = 64 * 1024 * 1024, MAX_HEAD = 64 * 1024, MAX_HEADERS = 100, MAX_LINE = 8 * 1024,
  MAX_INTERIM = 8 }
local READ = 65536 -- the most one receiveany asks for

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

local function clock()
  ngx.update_time()
  return ngx.now()
end

-- Milliseconds for a cosocket timeout: at least 1 (0 would mean nginx's configured default).
local function ms(seconds) return seconds > 0.001 and ceil(seconds * 1000) or 1 end

-- ---- the reader: a buffer over sock:receiveany, bounded by one deadline ----

local function reader(sock, deadline, now)
  return { sock = sock, buf = "", pos = 1, deadline = deadline, now = now }
end

-- At most `want` more bytes, or nil, err ("timeout", "closed", the socket's reason).
local function fill(r, want)
  local left = r.deadline - r.now()
  if left <= 0 then return nil, "timeout" end
  r.sock:settimeout(ms(left))
  return r.sock:receiveany(want)
end

-- The next line without its CRLF (or bare LF); nil, "toobig" past `max` bytes; nil, err.
local function line(r, max)
  local from = r.pos
  while true do
    local e = find(r.buf, "\n", from, true)
    if e then
      local s = sub(r.buf, r.pos, e - 1)
      r.pos = e + 1
      if byte(s, -1) == 13 then s = sub(s, 1, -2) end
      if #s > max then return nil, "toobig" end
      return s
    end
    if #r.buf - r.pos + 1 > max then return nil, "toobig" end
    local data, err = fill(r, READ)
    if not data then return nil, err end
    r.buf = sub(r.buf, r.pos) .. data
    from = #r.buf - #data + 1
    r.pos = 1
  end
end

-- Exactly n bytes, or nil, err.
local function bytes(r, n)
  local have = #r.buf - r.pos + 1
  if have >= n then
    local s = sub(r.buf, r.pos, r.pos + n - 1)
    r.pos = r.pos + n
    return s
  end
  local parts, got = { sub(r.buf, r.pos) }, have
  r.buf, r.pos = "", 1
  while got < n do
    local data, err = fill(r, min(n - got, READ))
    if not data then return nil, err end
    parts[#parts + 1] = data
    got = got + #data
  end
  return concat(parts)
end

-- Everything up to the close, at most cap bytes.
local function to_close(r, cap)
  local parts = { sub(r.buf, r.pos) }
  local size = #parts[1]
  r.buf, r.pos = "", 1
  while true do
    if size > cap then return nil, "toobig" end
    local data, err = fill(r, READ)
    if not data then
      if err == "closed" then return concat(parts) end
      return nil, err
    end
    parts[#parts + 1] = data
    size = size + #data
  end
end

local function read_error(err, what, head)
  if err == "closed" and head then return fact("network", what .. ": connection closed before an answer") end
  if err == "timeout" then return fact("timeout", what .. " timed out") end
  if err == "closed" then return fact("truncated", what .. ": connection closed early") end
  if err == "toobig" then return fact("toobig", what .. ": over the size limit") end
  return fact("network", what .. ": " .. tostring(err))
end

-- ---- the head ----

local function trim(s)
  local i, j = 1, #s
  while i <= j and (byte(s, i) == 32 or byte(s, i) == 9) do i = i + 1 end
  while j >= i and (byte(s, j) == 32 or byte(s, j) == 9) do j = j - 1 end
  return sub(s, i, j)
end

-- Header fields up to the empty line into `headers` (lower-case names; a repeated name becomes
-- a list), counting against the caps of the whole head. Returns headers or nil, outcome.
local function read_fields(r, caps, headers)
  while true do
    local l, err = line(r, _M.MAX_LINE)
    if not l then return nil, read_error(err, "reading headers", true) end
    if l == "" then return headers end
    caps.bytes, caps.count = caps.bytes + #l + 2, caps.count + 1
    if caps.bytes > _M.MAX_HEAD or caps.count > _M.MAX_HEADERS then
      return nil, fact("toobig", ("response head over %d bytes or %d fields"):format(_M.MAX_HEAD, _M.MAX_HEADERS))
    end
    local colon = find(l, ":", 1, true)
    local k = colon and sub(l, 1, colon - 1)
    if not k or not find(k, "^[%w!#$%%&'*+%-.^_`|~]+$") then
      return nil, fact("network", "malformed header line")
    end
    k = lower(k)
    local v, old = trim(sub(l, colon + 1)), headers[k]
    if old == nil then headers[k] = v
    elseif type(old) == "table" then old[#old + 1] = v
    else headers[k] = { old, v } end
  end
end

-- Status line and headers of the final answer (interim 1xx answers skipped). Returns status,
-- headers, http minor version, caps or nil, outcome.
local function read_head(r)
  local caps = { bytes = 0, count = 0 }
  for _ = 0, _M.MAX_INTERIM do
    local l, err = line(r, _M.MAX_LINE)
    if not l then return nil, read_error(err, "reading the status line", true) end
    local minor, status = match(l, "^HTTP/1%.([01]) ([1-9]%d%d)")
    if not status or (#l > 12 and byte(l, 13) ~= 32) then
      return nil, fact("network", "not an HTTP/1.x status line")
    end
    status = tonumber(status)
    if status == 101 then return nil, fact("network", "unexpected 101 Switching Protocols") end
    local headers, out = read_fields(r, caps, {})
    if not headers then return nil, out end
    if status >= 200 then return status, headers, tonumber(minor), caps end
  end
  return nil, fact("network", "more than " .. _M.MAX_INTERIM .. " interim (1xx) answers")
end

-- ---- the body ----

local function one(v) -- a header's value when it must not be repeated (differing repeats: nil)
  if type(v) ~= "table" then return v end
  for i = 2, #v do if v[i] ~= v[1] then return nil end end
  return v[1]
end

-- How the body is framed: "none" | "chunked" | "length", n | "close" | nil, outcome.
local function framing(method, status, headers)
  if method == "HEAD" or status == 204 or status == 304 then return "none" end
  local te, cl = headers["transfer-encoding"], headers["content-length"]
  if te then
    if cl then return nil, fact("network", "both Transfer-Encoding and Content-Length") end
    if type(te) == "table" or lower(te) ~= "chunked" then
      return nil, fact("network", "unsupported Transfer-Encoding")
    end
    return "chunked"
  end
  if cl then
    cl = one(cl)
    local len = cl and #cl <= 15 and match(cl, "^%d+$") and tonumber(cl)
    if not len then return nil, fact("network", "bad Content-Length") end
    return "length", len
  end
  return "close"
end

local function toobig(cap) return fact("toobig", "response body over " .. cap .. " bytes") end

local function read_chunked(r, cap, caps)
  local parts, size = {}, 0
  while true do
    local l, err = line(r, _M.MAX_LINE)
    if not l then return nil, read_error(err, "reading a chunk size") end
    local hex, rest = match(l, "^(%x+)(.*)$")
    if not hex or #hex > 8 or not (rest == "" or find(rest, "^[ \t]*;")) then
      return nil, fact("network", "malformed chunk size line")
    end
    local n = tonumber(hex, 16)
    if n == 0 then break end
    size = size + n
    if size > cap then return nil, toobig(cap) end
    local data
    data, err = bytes(r, n)
    if not data then return nil, read_error(err, "reading a chunk") end
    parts[#parts + 1] = data
    l, err = line(r, 1)
    if l ~= "" then
      if err and err ~= "toobig" then return nil, read_error(err, "reading a chunk") end
      return nil, fact("network", "chunk data not followed by CRLF")
    end
  end
  local ok, out = read_fields(r, caps, {}) -- trailer fields, under the caps of the head
  if not ok then return nil, out end
  return concat(parts)
end

-- The body as framed. Returns body, reusable or nil, outcome.
local function read_body(r, method, status, headers, cap, caps)
  local how, len = framing(method, status, headers)
  if not how then return nil, len end
  if how == "none" then return "", true end
  if how == "chunked" then
    local body, out = read_chunked(r, cap, caps)
    return body, body ~= nil or out
  end
  if how == "length" then
    if len > cap then return nil, toobig(cap) end
    local body, err = bytes(r, len)
    if not body then return nil, read_error(err, "reading the body") end
    return body, true
  end
  local body, err = to_close(r, cap)
  if not body then return nil, err == "toobig" and toobig(cap) or read_error(err, "reading the body") end
  return body, false
end

-- read_response(sock, method, max_body, deadline, now) -> {status, headers, body}, reusable |
-- nil, outcome. The parsing rules alone, over any object with settimeout(ms) and
-- receiveany(max) (a cosocket; the fuzz harness feeds generated bytes through one).
function _M.read_response(sock, method, cap, deadline, now)
  local r = reader(sock, deadline, now)
  local status, headers, minor, caps = read_head(r)
  if not status then return nil, headers end
  local body, reusable = read_body(r, method, status, headers, cap, caps)
  if not body then return nil, reusable end
  local conn = headers["connection"]
  conn = lower(type(conn) == "table" and concat(conn, ",") or conn or "")
  reusable = reusable == true and r.pos > #r.buf and not find(conn, "close", 1, true)
    and (minor == 1 or find(conn, "keep-alive", 1, true)) and true or false
  return { status = status, headers = headers, body = body }, reusable
end

-- Connects (pooled unless fresh) and does the TLS handshake on a new connection, all before
-- `deadline`. Returns sock, reused or nil, outcome.
local function open(req, scheme, host, port, deadline)
  local sock = ngx.socket.tcp()
  local left = deadline - clock()
  sock:settimeouts(ms(min(req.connect_timeout or 10, left)), ms(left), ms(left))
  local pool = scheme .. "://" .. host .. ":" .. port
  if req.fresh_connection then pool = pool .. "#fresh" end -- never given back: never reused
  local ok, err = sock:connect(host, port, { pool = pool })
  if not ok then
    if err == "timeout" then return nil, fact("connect_timeout", "connect timed out") end
    return nil, fact("noconnect", "connect: " .. tostring(err))
  end
  local reused = sock:getreusedtimes() or 0
  if scheme == "https" and reused == 0 then
    local done, res
    done, ok, res = pcall(sock.sslhandshake, sock, nil, host, true)
    if not done then ok, res = nil, "failed (" .. sub(tostring(ok), 1, 200) .. ")" end
    if not ok then
      sock:close()
      if res == "timeout" then return nil, fact("connect_timeout", "TLS handshake timed out") end
      return nil, fact("noconnect", "TLS handshake: " .. tostring(res))
    end
  end
  return sock, reused
end

-- Executes one request. Returns the outcome fields and {reused = n}. Raises only on a bad
-- request table (programmer error): not an http(s) URL, CR/LF in a header.
function _M.request(req)
  if type(req) ~= "table" or type(req.method) ~= "string" or type(req.url) ~= "string" then
    error("bad argument #1 to 'request' (table with method and url expected)", 2)
  end
  local scheme, host, port, target, authority = parse_url(req.url)
  if not scheme then error("bad argument #1 to 'request' (not an http(s) URL)", 2) end
  local out = request_bytes(req, authority, target)
  local deadline = clock() + (req.timeout or 30)
  local sock, reused = open(req, scheme, host, port, deadline)
  if not sock then return reused, { reused = 0 } end
  local info = { reused = reused }
  sock:settimeout(ms(deadline - clock()))
  local ok, err = sock:send(out)
  if not ok then
    sock:close()
    return fact(err == "timeout" and "timeout" or "network", "sending: " .. tostring(err)), info
  end
  local res, reusable = _M.read_response(sock, req.method, req.max_body or _M.MAX_BODY, deadline, clock)
  if not res then sock:close(); return reusable, info end
  if reusable and not req.fresh_connection then
    sock:setkeepalive((req.keepalive or 60) * 1000, req.pool_size or 32)
  else
    sock:close()
  end
  return res, info
end

return _M
