-- A small HTTP/1.1 server on LuaSocket: one thread, non-blocking sockets, an event loop on
-- socket.select with a timer list. Enough for the sandbox: keep-alive (HTTP/1.1 default, HTTP/1.0
-- with "Connection: keep-alive"), many concurrent connections, Content-Length request bodies,
-- "Expect: 100-continue", in-order pipelining. Chunked request bodies are refused with 411.
-- Invariants: a connection handles one request at a time (the next one is parsed only after the
-- previous response was queued); a delayed response never blocks other connections; the handler
-- never sees a partial request.
local socket = require "socket"

local pairs, ipairs, tonumber, tostring, setmetatable = pairs, ipairs, tonumber, tostring, setmetatable
local concat, remove, lower, format = table.concat, table.remove, string.lower, string.format
local find, sub, match = string.find, string.sub, string.match
local gettime, select = socket.gettime, socket.select

local _M = {}
local mt = { __index = _M }

local MAX_HEADER = 64 * 1024
local MAX_BODY = 8 * 1024 * 1024
local IDLE_TIMEOUT = 300

_M.reasons = {
  [100] = "Continue", [200] = "OK", [201] = "Created", [204] = "No Content",
  [301] = "Moved Permanently", [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [409] = "Conflict", [411] = "Length Required",
  [412] = "Precondition Failed", [413] = "Payload Too Large", [415] = "Unsupported Media Type",
  [423] = "Locked", [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

-- opts: host, port (0 = any), handler(req) -> response, on_tick(now) (called about once a second)
-- response: { status=, headers={ {name, value}, ... }, body=, delay=secs, drop=bool,
--             truncate=bool, close=bool }, or { delay=secs, deferred=fn, gone=fn }: once the delay
--             is over, deferred() makes the response if the client is still connected; otherwise
--             gone() is called and the connection closed (deferred never runs)
function _M.new(opts)
  return setmetatable({
    host = opts.host or "127.0.0.1", port = opts.port or 0, handler = opts.handler,
    on_tick = opts.on_tick, conns = {}, nconns = 0, timers = {}, stopping = false, last_tick = 0,
    watched = {},
  }, mt)
end

-- Binds and listens; returns the port actually bound, or nil and an error.
function _M:listen()
  local srv, err = socket.tcp()
  if not srv then return nil, err end
  srv:setoption("reuseaddr", true)
  local ok
  ok, err = srv:bind(self.host, self.port)
  if not ok then srv:close(); return nil, err end
  ok, err = srv:listen(512)
  if not ok then srv:close(); return nil, err end
  srv:settimeout(0)
  self.server = srv
  local _, port = srv:getsockname()
  self.port = tonumber(port)
  return self.port
end

function _M:close()
  for sock in pairs(self.conns) do sock:close() end
  self.conns, self.nconns = {}, 0
  if self.server then self.server:close(); self.server = nil end
end

-- Runs fn at time `at` (socket.gettime() seconds).
function _M:timer(at, fn)
  self.timers[#self.timers + 1] = { at = at, fn = fn }
end

-- Calls fn(sock) from the loop when the (non-blocking) socket sock is readable (mode "r") or
-- writable ("w"), until unwatch(sock) or another watch() for it: outgoing connections (the
-- sandbox's webhooks) share the loop with the server's and never block it.
function _M:watch(sock, mode, fn)
  self.watched[sock] = { mode = mode, fn = fn }
end

function _M:unwatch(sock)
  self.watched[sock] = nil
end

local function close_conn(self, c)
  if self.conns[c.sock] then
    self.conns[c.sock] = nil
    self.nconns = self.nconns - 1
  end
  c.sock:close()
  c.closed = true
end

local function queue(c, data)
  if c.out then c.out = c.out .. data else c.out, c.out_i = data, 1 end
end

-- Serialises a response into the connection's output buffer.
local function write_response(self, c, req, res)
  if c.closed then return end
  if res.drop then close_conn(self, c); return end
  local status = res.status or 200
  local body = res.body or ""
  local lines = { format("HTTP/1.1 %d %s", status, _M.reasons[status] or "Unknown") }
  local has_type = false
  if res.headers then
    for _, h in ipairs(res.headers) do
      lines[#lines + 1] = h[1] .. ": " .. h[2]
      if lower(h[1]) == "content-type" then has_type = true end
    end
  end
  if not has_type and body ~= "" then lines[#lines + 1] = "Content-Type: application/json" end
  local len = #body
  if res.truncate then len = len + 1024 end
  if status ~= 204 and not (status >= 100 and status < 200) then
    lines[#lines + 1] = "Content-Length: " .. len
  end
  local close = res.close or res.truncate or not req.keepalive or self.stopping
  if close then lines[#lines + 1] = "Connection: close"
  elseif req.version == "HTTP/1.0" then lines[#lines + 1] = "Connection: keep-alive" end
  lines[#lines + 1] = ""
  lines[#lines + 1] = status == 204 and "" or body
  queue(c, concat(lines, "\r\n"))
  c.close_after = close
  c.state = "write"
end

local function simple(status, msg)
  return { status = status, body = format('{"message":%q}', msg), close = true }
end

-- Tries to parse one complete request out of c.inbuf; returns req, or nil (need more), or
-- false and an error response.
local function parse_request(c)
  local buf = c.inbuf
  local req = c.pending
  if not req then
    local he = find(buf, "\r\n\r\n", 1, true)
    if not he then
      if #buf > MAX_HEADER then return false, simple(431, "Request header too large") end
      return nil
    end
    local head = sub(buf, 1, he - 1)
    local method, target, version = match(head, "^(%u+) (%S+) (HTTP/1%.[01])\r?\n?")
    if not method then return false, simple(400, "Malformed request line") end
    local headers = {}
    for name, value in head:gmatch("\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
      name = lower(name)
      if headers[name] then headers[name] = headers[name] .. ", " .. value else headers[name] = value end
    end
    local path, qs = match(target, "^([^?]*)%??(.*)$")
    req = { method = method, target = target, path = path, query_string = qs, version = version,
      headers = headers, head_len = he + 3 }
    local conn = lower(headers["connection"] or "")
    if version == "HTTP/1.1" then req.keepalive = not find(conn, "close", 1, true)
    else req.keepalive = find(conn, "keep-alive", 1, true) ~= nil end
    if headers["transfer-encoding"] and lower(headers["transfer-encoding"]) ~= "identity" then
      return false, simple(411, "Chunked request bodies are not supported; send Content-Length")
    end
    local cl = headers["content-length"]
    if cl then
      cl = tonumber(match(cl, "^%s*(%d+)%s*$"))
      if not cl then return false, simple(400, "Bad Content-Length") end
      if cl > MAX_BODY then return false, simple(413, "Request body too large") end
    end
    req.length = cl or 0
    c.pending = req
    if req.length > 0 and #buf < req.head_len + req.length
      and lower(headers["expect"] or "") == "100-continue" then
      queue(c, "HTTP/1.1 100 Continue\r\n\r\n")
    end
  end
  local total = req.head_len + req.length
  if #buf < total then return nil end
  req.body = sub(buf, req.head_len + 1, total)
  c.inbuf = sub(buf, total + 1)
  c.pending = nil
  return req
end

-- The client closed (or reset) its connection while its request waited: reads what it sent
-- meanwhile (kept for the next request) and reports whether it is gone.
local function client_gone(c)
  if c.closed then return true end
  local data, err, partial = c.sock:receive(65536)
  data = data or partial
  if data and data ~= "" then c.inbuf = c.inbuf .. data end
  return err ~= nil and err ~= "timeout"
end

local function call_handler(fn, req)
  local ok, res = pcall(fn, req)
  if ok then return res end
  io.stderr:write("helpscout-sandbox: handler error: ", tostring(res), "\n")
  return { status = 500, headers = { { "Content-Type", "application/vnd.error+json" } },
    body = '{"message":"Internal error"}' }
end

local function later(self, c, req, res)
  if not res.deferred then return write_response(self, c, req, res) end
  if client_gone(c) then
    if res.gone then res.gone() end
    close_conn(self, c)
    return
  end
  write_response(self, c, req, call_handler(res.deferred))
end

local function dispatch(self, c)
  while c.state == "read" and c.inbuf ~= "" do
    local req, err = parse_request(c)
    if req == nil then return end
    if req == false then
      write_response(self, c, { keepalive = false }, err)
      return
    end
    c.state = "busy"
    req.peer = c.peer
    local res = call_handler(self.handler, req)
    if res.delay and res.delay > 0 or res.deferred then
      local delay = res.delay or 0
      res.delay = nil
      self:timer(gettime() + delay, function() later(self, c, req, res) end)
      return
    end
    write_response(self, c, req, res)
  end
end

local function flush(self, c)
  while c.out do
    local last, err, partial = c.sock:send(c.out, c.out_i)
    last = last or partial
    if last and last >= #c.out then
      c.out, c.out_i = nil, nil
    else
      if last and last >= c.out_i then c.out_i = last + 1 end
      if err == "closed" then close_conn(self, c) end
      return
    end
  end
  if c.state == "write" then
    if c.close_after then close_conn(self, c); return end
    c.state = "read"
    dispatch(self, c)
    if c.out and not c.closed then flush(self, c) end
  end
end

local function accept(self)
  for _ = 1, 64 do
    local sock = self.server:accept()
    if not sock then return end
    sock:settimeout(0)
    sock:setoption("tcp-nodelay", true)
    local c = { sock = sock, inbuf = "", state = "read", last = gettime() }
    local ip, port = sock:getpeername()
    c.peer = ip and (ip .. ":" .. tostring(port)) or "?"
    self.conns[sock] = c
    self.nconns = self.nconns + 1
  end
end

local function read(self, c)
  local data, err, partial = c.sock:receive(65536)
  data = data or partial
  if data and data ~= "" then
    c.inbuf = c.inbuf .. data
    c.last = gettime()
  end
  if err == "closed" then
    close_conn(self, c)
    return
  end
  if c.state == "read" then
    dispatch(self, c)
    if c.out and not c.closed then flush(self, c) end
  end
end

local function run_timers(self, now)
  local timers = self.timers
  local i = 1
  local due = {}
  while i <= #timers do
    if timers[i].at <= now then due[#due + 1] = remove(timers, i) else i = i + 1 end
  end
  for _, t in ipairs(due) do t.fn() end
  return #due > 0
end

-- Waits up to max_wait seconds for activity and handles it.
function _M:step(max_wait)
  local now = gettime()
  if run_timers(self, now) then
    for _, c in pairs(self.conns) do if c.out then flush(self, c) end end
  end
  if now - self.last_tick >= 1 then
    self.last_tick = now
    if self.on_tick then self.on_tick(now) end
    for _, c in pairs(self.conns) do
      if c.state == "read" and not c.out and now - c.last > IDLE_TIMEOUT then close_conn(self, c) end
    end
  end
  local wait = max_wait or 1
  for _, t in ipairs(self.timers) do
    local d = t.at - now
    if d < wait then wait = d end
  end
  if wait < 0 then wait = 0 end
  local readers, writers = { self.server }, {}
  for sock, c in pairs(self.conns) do
    if c.state == "read" then readers[#readers + 1] = sock end
    if c.out then writers[#writers + 1] = sock end
  end
  for sock, wt in pairs(self.watched) do
    if wt.mode == "r" then readers[#readers + 1] = sock else writers[#writers + 1] = sock end
  end
  local r, w = select(readers, writers, wait)
  for _, sock in ipairs(w) do
    local c = self.conns[sock]
    if c and c.out then flush(self, c) end
  end
  for _, sock in ipairs(r) do
    if sock == self.server then accept(self)
    else
      local c = self.conns[sock]
      if c and not c.closed then read(self, c) end
    end
  end
  -- watched sockets last: a watcher may watch or unwatch sockets (never a server connection)
  for _, list in ipairs { w, r } do
    for _, sock in ipairs(list) do
      local wt = self.watched[sock]
      if wt then wt.fn(sock) end
    end
  end
end

-- Runs until self.stopping is set (e.g. by the handler or on_tick).
function _M:run()
  while not self.stopping do self:step(1) end
  self:close()
end

_M.now = gettime

return _M
