-- helpscout.cli.httpd: the smallest HTTP/1.1 server the CLI needs (the OAuth callback of
-- `auth login`, the webhooks of `listen`), on 127.0.0.1 over LuaSocket: one request per
-- connection, answered and closed.
--   server, err = httpd.listen(port)
--   ok, err = httpd.serve(server, handler, stop, timeout)   handler(req) -> status, body
--     req = {method, path, query (string), headers (lower-case names), body}
--     stop() is asked after every request; timeout: seconds without a finished flow (nil: none)
--
-- Invariants: up to MAX_CONNS connections are read at once (non-blocking, one select loop), so a
-- slow or silent client never delays another; a connection has IO_TIMEOUT seconds in all to
-- deliver its request (then it is dropped); a head is at most MAX_HEAD bytes, a line MAX_LINE,
-- MAX_HEADERS fields (else 431), a body at most MAX_BODY bytes (else 413). Past MAX_CONNS a new
-- connection is answered 503 and closed.
local socket = require "socket"

local tonumber, tostring, format, lower, concat, find, sub = tonumber, tostring, string.format, string.lower,
  table.concat, string.find, string.sub
local gettime, select_ = socket.gettime, socket.select

local _M = { MAX_BODY = 1024 * 1024, MAX_HEAD = 16 * 1024, MAX_LINE = 8 * 1024, MAX_HEADERS = 64,
  MAX_CONNS = 32, IO_TIMEOUT = 5 }
local REASON = { [200] = "OK", [400] = "Bad Request", [401] = "Unauthorized", [404] = "Not Found",
  [405] = "Method Not Allowed", [413] = "Payload Too Large", [431] = "Request Header Fields Too Large",
  [503] = "Service Unavailable" }

function _M.listen(port)
  local server, err = socket.bind("127.0.0.1", port)
  if not server then return nil, format("cannot listen on 127.0.0.1:%s: %s", tostring(port), tostring(err)) end
  return server
end

-- The head's request line and fields; nil, status when malformed or over a cap.
local function parse_head(head)
  local lines = {}
  for l in (head .. "\r\n"):gmatch("(.-)\r\n") do
    if #l > _M.MAX_LINE then return nil, 431 end
    lines[#lines + 1] = l
  end
  if #lines - 1 > _M.MAX_HEADERS then return nil, 431 end
  local method, target = (lines[1] or ""):match("^(%u+) (%S+) HTTP/1%.[01]$")
  if not method then return nil, 400 end
  local headers = {}
  for i = 2, #lines do
    local name, value = lines[i]:match("^([^:%s]+):%s*(.-)%s*$")
    if not name then return nil, 400 end
    headers[lower(name)] = value
  end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query, headers = headers }
end

-- The request in buf: req (complete), nil (more bytes needed), or false, status.
local function parse(buf)
  local e = find(buf, "\r\n\r\n", 1, true)
  if not e then
    if #buf > _M.MAX_HEAD then return false, 431 end
    return nil
  end
  if e - 1 > _M.MAX_HEAD then return false, 431 end
  local req, status = parse_head(sub(buf, 1, e - 1))
  if not req then return false, status end
  local cl = req.headers["content-length"] or "0"
  local len = #cl <= 10 and cl:match("^%d+$") and tonumber(cl)
  if not len then return false, 400 end
  if len > _M.MAX_BODY then return false, 413 end
  if #buf - (e + 3) < len then return nil end
  req.body = sub(buf, e + 4, e + 3 + len)
  return req
end
_M.parse = parse

local function answer(c, status, body)
  body = body or ""
  local ctype = body:find("^<!doctype") and "text/html; charset=utf-8" or "text/plain; charset=utf-8"
  c:settimeout(1)
  c:send(concat { format("HTTP/1.1 %d %s\r\n", status, REASON[status] or "Error"),
    "Content-Type: ", ctype, "\r\nContent-Length: ", #body, "\r\nConnection: close\r\n\r\n", body })
end

-- Reads what c has; returns true when the connection is finished (answered or dropped).
local function on_readable(conn, handler)
  local data, err, partial = conn.sock:receive(8192)
  data = data or partial
  if data and #data > 0 then conn.buf = conn.buf .. data end
  local req, status = parse(conn.buf)
  if req then answer(conn.sock, handler(req)); return true, true end
  if req == false then answer(conn.sock, status, "bad request\n"); return true end
  return err ~= nil and err ~= "timeout"
end

local function accept_all(server, conns)
  while true do
    local c = server:accept()
    if not c then return end
    if #conns >= _M.MAX_CONNS then
      answer(c, 503, "busy\n")
      c:close()
    else
      c:settimeout(0)
      conns[#conns + 1] = { sock = c, buf = "", deadline = gettime() + _M.IO_TIMEOUT }
    end
  end
end

function _M.serve(server, handler, stop, timeout)
  local deadline = timeout and gettime() + timeout
  local conns = {}
  server:settimeout(0)
  local function finish()
    for _, conn in ipairs(conns) do conn.sock:close() end
    server:close()
  end
  while true do
    if deadline and gettime() > deadline then
      finish()
      return nil, "timed out waiting for the callback"
    end
    local watch = { server }
    for i, conn in ipairs(conns) do watch[i + 1] = conn.sock end
    local readable = select_(watch, nil, 0.25)
    if readable[server] then accept_all(server, conns) end
    local now, keep, served = gettime(), {}, false
    for _, conn in ipairs(conns) do
      local done, answered = false, false
      if readable[conn.sock] then done, answered = on_readable(conn, handler) end
      if not done and now > conn.deadline then done = true end
      if done then conn.sock:close() else keep[#keep + 1] = conn end
      served = served or answered
    end
    conns = keep
    if served and stop() then
      finish()
      return true
    end
  end
end

return _M
