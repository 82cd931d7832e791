-- helpscout.store.resp: a small Redis client (RESP2) over any LuaSocket-shaped TCP object, so the
-- same code runs on LuaSocket (scripts, blocking) and on ngx.socket.tcp (OpenResty, never blocks
-- a worker). No Debian Redis client works under both Lua 5.4 and LuaJIT.
--
--   local c = resp.new{ host =, port =, password =, db =, socket = ctor, timeout = seconds }
--   c:call("SET", "k", "v") -> reply | nil, message[, "redis"]
--   c:call_ok("SET", "k", "v", "NX") -> true (+OK) | false (nil reply) | nil, message[, "redis"]
--   c:close()
-- A reply is a string (simple or bulk), an integer, an array, or ngx-style null (nil reply as
-- false, "nil" in arrays). Transport failures drop the connection (the next call reconnects);
-- a Redis error reply ("-ERR ...") keeps it. Messages never carry the password or a value.
--
-- Invariants (a hostile or broken server cannot make this raise, hang or eat memory):
-- * One deadline per call: `timeout` seconds for the whole exchange (connect to last byte);
--   every receive gets only the time left, and a line is read byte by byte from the socket's
--   buffer (a cosocket timeout restarts with each byte, so a trickled line is bounded by the
--   deadline checked between bytes).
-- * Lengths and counts are integers (digits, an optional minus; -1 alone means null); a bulk is
--   at most MAX_BULK bytes, an array at most MAX_ARRAY items and MAX_DEPTH levels deep, a line
--   at most MAX_LINE bytes; anything else is a malformed reply.
-- * Any parse or transport failure closes the socket (never pooled half-read); the exchange
--   runs under pcall, so even a socket method raising ends as nil, message.
-- * On ngx sockets the pool name carries host, port, db and a hash of the password, so a pooled
--   connection is never shared with another client (lua-resty-redis's default pool is
--   "host:port", whatever database it SELECTed).
local core = require "helpscout.core"

local tostring, tonumber, setmetatable, select, pcall, type = tostring, tonumber, setmetatable, select,
  pcall, type
local concat, sub, byte, find, min, ceil = table.concat, string.sub, string.byte, string.find, math.min,
  math.ceil
local clock = core.sys.epoch

local _M = { MAX_BULK = 1024 * 1024, MAX_ARRAY = 1024, MAX_DEPTH = 8, MAX_LINE = 64 * 1024 }
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

-- Gives the socket at most the time left before the deadline; false when none is left.
local function budget(sock, deadline)
  local left = deadline - clock()
  if left <= 0 then return false end
  if sock.settimeouts then -- ngx.socket.tcp: milliseconds, at least 1 (0 means nginx's default)
    local ms = ceil(left * 1000)
    sock:settimeouts(ms, ms, ms)
  else
    sock:settimeout(left, "t")
  end
  return true
end

-- A reader: the socket and the call's deadline. `any`: up to n bytes (receiveany on a cosocket,
-- so a trickling server cannot hold one receive open past the deadline).
local function receive(rd, n, any)
  local sock = rd.sock
  if not budget(sock, rd.deadline) then return nil, "timeout" end
  if any and sock.receiveany then return sock:receiveany(n) end
  return sock:receive(n)
end

-- One line without CRLF, at most MAX_LINE bytes; nil, err.
local function line(rd)
  local parts, n = {}, 0
  while true do
    local c, err = receive(rd, 1)
    if not c then return nil, err end
    if c == "\n" then
      if parts[n] ~= "\r" then return nil, "malformed reply (bare LF)" end
      return concat(parts, "", 1, n - 1)
    end
    n = n + 1
    if n > _M.MAX_LINE then return nil, "malformed reply (line over " .. _M.MAX_LINE .. " bytes)" end
    parts[n] = c
  end
end

-- Exactly n bytes, in pieces of at most 64 KiB (each under the time left).
local function bytes(rd, n)
  local parts, got = {}, 0
  while got < n do
    local data, err = receive(rd, min(n - got, 65536), true)
    if not data then return nil, err end
    parts[#parts + 1] = data
    got = got + #data
  end
  return concat(parts)
end

-- The integer of a length or count line: digits with an optional minus, -1 the only negative.
local function count(rest)
  if not find(rest, "^%-?%d+$") or #rest > 12 then return nil end
  local n = tonumber(rest)
  if n < -1 then return nil end
  return n
end

local read_reply

local function read_array(rd, n, depth)
  if n > _M.MAX_ARRAY then return nil, "malformed reply (array over " .. _M.MAX_ARRAY .. " items)" end
  if depth >= _M.MAX_DEPTH then return nil, "malformed reply (arrays nested over " .. _M.MAX_DEPTH .. " deep)" end
  local arr = {}
  for i = 1, n do
    local v, err, from = read_reply(rd, depth + 1)
    if err and from ~= "redis" then return nil, err end
    if v == nil then v = false end -- an error reply inside an array: kept as null
    arr[i] = v
  end
  return arr
end

-- read_reply(rd, depth) -> value, nil, type | nil, transport or parse message | nil, message, "redis"
function read_reply(rd, depth)
  local l, err = line(rd)
  if not l then return nil, err end
  local kind, rest = byte(l, 1), sub(l, 2)
  if kind == 43 then return rest, nil, "+" end -- +
  if kind == 45 then return nil, rest, "redis" end -- -
  local n = count(rest)
  if not n then return nil, "malformed reply" end
  if kind == 58 then return n, nil, ":" end -- :
  if kind == 36 then -- $
    if n < 0 then return false, nil, "$" end
    if n > _M.MAX_BULK then return nil, "malformed reply (bulk over " .. _M.MAX_BULK .. " bytes)" end
    local data
    data, err = bytes(rd, n + 2)
    if not data then return nil, err end
    if sub(data, -2) ~= "\r\n" then return nil, "malformed reply (bulk not followed by CRLF)" end
    return sub(data, 1, n), nil, "$"
  end
  if kind == 42 then -- *
    if n < 0 then return false, nil, "*" end
    local arr
    arr, err = read_array(rd, n, depth)
    if not arr then return nil, err end
    return arr, nil, "*"
  end
  return nil, "malformed reply"
end

-- The raw exchange on a connected socket: one command, one reply.
local function exchange(sock, args, n, deadline)
  if not budget(sock, deadline) then return nil, "timeout" end
  local ok, err = sock:send(encode(args, n))
  if not ok then return nil, err end
  return read_reply({ sock = sock, deadline = deadline }, 0)
end

-- The pool of this client's ngx connections: host, port, db and a hash of the password.
local function pool_name(o)
  local pw = o.password and core.sys.hmac_sha1("helpscout.store.redis pool", o.password) or ""
  pw = pw:gsub(".", function(c) return ("%02x"):format(byte(c)) end)
  return ("helpscout:%s:%s:%s:%s"):format(o.host, o.port, o.db or 0, sub(pw, 1, 16))
end
_M.pool_name = pool_name

-- A connected socket, authenticated and on the right database (both skipped on a pooled ngx
-- socket: its pool holds only connections of this host, port, db and password).
local function connect(self, deadline)
  local o = self.o
  local sock, err = o.socket()
  if not sock then return nil, tostring(err) end
  if not budget(sock, deadline) then return nil, "timeout" end
  local ok
  if sock.setkeepalive then ok, err = sock:connect(o.host, o.port, { pool = pool_name(o) })
  else ok, err = sock:connect(o.host, o.port) end
  if not ok then return nil, tostring(err) end
  local reused = sock.getreusedtimes and (sock:getreusedtimes() or 0) > 0
  local steps = {}
  if not reused and o.password then steps[#steps + 1] = { "AUTH", o.password } end
  if not reused and o.db and o.db ~= 0 then steps[#steps + 1] = { "SELECT", o.db } end
  for _, cmd in ipairs(steps) do
    local v, e, t = exchange(sock, cmd, 2, deadline)
    if not (v == "OK" and t == "+") then
      sock:close()
      return nil, cmd[1] .. " failed: " .. tostring(e or "unexpected reply")
    end
  end
  return sock
end

-- A cosocket belongs to the request that made it, and one object may serve concurrent requests
-- (and light threads) of a worker: each call takes its own from ngx's pool and gives it back. A
-- LuaSocket (scripts: one caller at a time) is kept in self.sock for the next call.
local function release(self, sock)
  if sock.setkeepalive then
    if not sock:setkeepalive(self.o.keepalive_ms or 60000, self.o.pool_size or 16) then sock:close() end
  else
    self.sock = sock
  end
end

function _M:close()
  if self.sock then pcall(self.sock.close, self.sock) end
  self.sock = nil
end

-- One command under one deadline (the socket in use is cur.sock). Returns value, type or nil,
-- message[, "redis"].
local function run(self, args, n, cur)
  local deadline = clock() + (self.o.timeout or 5)
  local sock = self.sock
  self.sock = nil
  if not sock then
    local err
    sock, err = connect(self, deadline)
    if not sock then return nil, where(self) .. ": " .. err end
  end
  cur.sock = sock
  local v, e, t = exchange(sock, args, n, deadline)
  if v == nil and t ~= "redis" then
    sock:close()
    return nil, where(self) .. ": " .. tostring(e)
  end
  release(self, sock)
  if t == "redis" then return nil, where(self) .. ": " .. e, "redis" end
  return v, t
end

local function guarded(self, args, n)
  local cur = {}
  local ok, v, e, t = pcall(run, self, args, n, cur)
  if ok then return v, e, t end
  if cur.sock then pcall(cur.sock.close, cur.sock) end
  return nil, where(self) .. ": " .. (type(v) == "string" and sub(v, 1, 200) or "client failure")
end

-- call(cmd, ...) -> reply | nil, message, "redis" (an error reply) | nil, message (transport)
function _M:call(...)
  local v, e, t = guarded(self, { ... }, select("#", ...))
  if v == nil then return nil, e, t end
  return v
end

-- call_ok(cmd, ...) -> true when the reply is the status +OK, false for a nil reply (SET NX that
-- did not set), nil, message for anything else (an integer, an array, a bulk "OK" included): a
-- write is confirmed only by +OK.
function _M:call_ok(...)
  local v, e, t = guarded(self, { ... }, select("#", ...))
  if v == nil then return nil, e, t end
  if v == "OK" and e == "+" then return true end
  if v == false and (e == "$" or e == "*") then return false end
  return nil, where(self) .. ": unexpected reply to " .. tostring((...)) .. " (expected +OK)"
end

return _M
