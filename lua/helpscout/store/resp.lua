-- helpscout.store.resp: a small Redis client (RESP2) over any LuaSocket-shaped TCP object, so the
-- same code runs on LuaSocket (scripts, blocking) and on ngx.socket.tcp (OpenResty, never blocks
-- a worker). No Debian Redis client works under both Lua 5.4 and LuaJIT.
--
--   local c = resp.new{ host =, port =, password =, db =, socket = ctor, timeout = seconds }
--   c:call("SET", "k", "v") -> reply | nil, message[, "redis"]
--   c:close()
-- A reply is a string (simple or bulk), an integer, an array, or ngx-style null (nil reply as
-- false, "nil" in arrays). Transport failures drop the connection (the next call reconnects);
-- a Redis error reply ("-ERR ...") keeps it. Messages never carry the password or a value.
local tostring, tonumber, setmetatable, select = tostring, tonumber, setmetatable, select
local concat, sub = table.concat, string.sub

local _M = {}
local mt = { __index = _M }

function _M.new(o)
  return setmetatable({ o = o, sock = nil }, mt)
end

local function where(self) return ("redis %s:%s"):format(self.o.host, self.o.port) end

local function encode(args, n)
  local out = { "*" .. n .. "\r\n" }
  for i = 1, n do
    local a = tostring(args[i])
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return concat(out)
end

local read_reply

local function read_array(sock, n)
  local arr = {}
  for i = 1, n do
    local v, err = read_reply(sock)
    if err then return nil, err end
    arr[i] = v
  end
  return arr
end

-- read_reply(sock) -> value, nil | nil, transport message | nil, message, "redis"
function read_reply(sock)
  local line, err = sock:receive("*l")
  if not line then return nil, err end
  local kind, rest = sub(line, 1, 1), sub(line, 2)
  if kind == "+" then return rest end
  if kind == "-" then return nil, rest, "redis" end
  if kind == ":" then return tonumber(rest) end
  local n = tonumber(rest)
  if not n then return nil, "malformed reply" end
  if kind == "$" then
    if n < 0 then return false end
    local data
    data, err = sock:receive(n + 2)
    if not data then return nil, err end
    return sub(data, 1, n)
  end
  if kind == "*" then
    if n < 0 then return false end
    return read_array(sock, n)
  end
  return nil, "malformed reply"
end

local function settimeout(sock, seconds)
  if sock.settimeouts then -- ngx.socket.tcp: milliseconds
    local ms = seconds * 1000
    sock:settimeouts(ms, ms, ms)
  else
    sock:settimeout(seconds)
  end
end

-- The raw exchange on a connected socket: one command, one reply.
local function exchange(sock, args, n)
  local ok, err = sock:send(encode(args, n))
  if not ok then return nil, err end
  return read_reply(sock)
end

-- A connected socket, authenticated and on the right database (skipped on a pooled ngx socket).
function _M:connect()
  if self.sock then return self.sock end
  local o = self.o
  local sock, err = o.socket()
  if not sock then return nil, where(self) .. ": " .. tostring(err) end
  settimeout(sock, o.timeout)
  local ok
  ok, err = sock:connect(o.host, o.port)
  if not ok then return nil, where(self) .. ": " .. tostring(err) end
  local reused = sock.getreusedtimes and (sock:getreusedtimes() or 0) > 0
  if not reused and o.password then
    ok, err = exchange(sock, { "AUTH", o.password }, 2)
    if not ok then sock:close() return nil, where(self) .. ": AUTH failed: " .. tostring(err) end
  end
  if not reused and o.db and o.db ~= 0 then
    ok, err = exchange(sock, { "SELECT", o.db }, 2)
    if not ok then sock:close() return nil, where(self) .. ": SELECT failed: " .. tostring(err) end
  end
  self.sock = sock
  return sock
end

-- Gives the socket back: to ngx's pool when it has one, else keeps it for the next call.
local function release(self)
  local sock = self.sock
  if sock and sock.setkeepalive then
    self.sock = nil
    if not sock:setkeepalive(self.o.keepalive_ms or 60000, self.o.pool_size or 16) then sock:close() end
  end
end

function _M:close()
  if self.sock then self.sock:close() end
  self.sock = nil
end

-- call(cmd, ...) -> reply | nil, message, "redis" (an error reply) | nil, message (transport)
function _M:call(...)
  local sock, err = self:connect()
  if not sock then return nil, err end
  local v, e, from = exchange(sock, { ... }, select("#", ...))
  if v == nil and from ~= "redis" then
    self:close()
    return nil, where(self) .. ": " .. tostring(e)
  end
  release(self)
  if from == "redis" then return nil, where(self) .. ": " .. e, "redis" end
  return v
end

return _M
