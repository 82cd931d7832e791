-- helpscout.store.redis{host=, port=, key=, password=, db=, socket=, ...}: a token shared by the
-- processes of several hosts. The token is JSON under `key`; the lock is `key..":lock"` taken with
-- SET NX PX (it expires if its holder dies) and released only by its holder (a compare-and-delete
-- script); the rate budget is a hash `key..":budget"` updated atomically by EVAL of the same Lua
-- text the other stores run (helpscout.store.budget). `socket` is a TCP constructor: LuaSocket's
-- socket.tcp by default, ngx.socket.tcp in OpenResty (then pass `sleep = ngx.sleep` too).
local core = require "helpscout.core"
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"
local resp = require "helpscout.store.resp"

local setmetatable, tostring, tonumber, type = setmetatable, tostring, tonumber, type
local sys = core.sys

local _M = {}
local mt = { __index = _M }

local OPTIONS = {
  host = { type = "string", nonempty = true, default = "127.0.0.1" },
  port = { type = "integer", min = 1, default = 6379 },
  key = { type = "string", nonempty = true, default = "helpscout:token" },
  password = { type = "string" },
  db = { type = "integer", min = 0, default = 0 },
  socket = { type = "function" },          -- TCP object constructor (default: LuaSocket)
  sleep = { type = "function" },           -- sleep(seconds) while polling the lock
  timeout = { type = "number", min = 0, default = 5 },       -- seconds per Redis exchange
  lock_timeout = { type = "number", min = 0, default = 40 }, -- seconds to wait for the lock
  lock_ttl = { type = "number", min = 1, default = 60 },     -- seconds a lock lives if its holder dies
}

-- KEYS[1] = lock key, ARGV[1] = the holder's token
local UNLOCK = [[
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0]]

-- KEYS[1] = budget hash, ARGV = op, x, y, now ("" for nil); returns the wait as a string
-- (Redis would truncate a Lua number to an integer).
local FIELDS = '"' .. table.concat(budget.fields, '", "') .. '"'
local BUDGET = budget.source .. [[
local fields = { ]] .. FIELDS .. [[ }
local h = redis.call("HMGET", KEYS[1], unpack(fields))
local st = {}
for i, k in ipairs(fields) do st[k] = tonumber(h[i]) end
local wait = budget(st, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
redis.call("DEL", KEYS[1])
for _, k in ipairs(fields) do
  if st[k] then redis.call("HSET", KEYS[1], k, string.format("%.17g", st[k])) end
end
redis.call("PEXPIRE", KEYS[1], 120000)
return tostring(wait)]]

function _M.new(opts)
  local o = common.options(OPTIONS, opts, "redis")
  if o.socket == nil then o.socket = require("socket").tcp end
  return setmetatable({ o = o, conn = resp.new(o), sleep = o.sleep or sys.sleep }, mt)
end

local function call(self, ...)
  local v, err = self.conn:call(...)
  if v == nil then return common.fail(err) end
  return v
end

function _M:load()
  local s, err = call(self, "GET", self.o.key)
  if s == nil then return nil, err end
  if s == false then return nil end
  if type(s) ~= "string" then return common.fail("redis GET answered with a " .. type(s) .. ", not a string") end
  local tok, why = common.decode(s)
  if not tok then
    return common.fail(("redis key %s does not hold a token (%s); it was left as it is"):format(self.o.key, why))
  end
  return tok
end

function _M:save(t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  local ok, err = self.conn:call_ok("SET", self.o.key, common.encode(tok)) -- confirmed only by +OK
  if not ok then return common.fail(err or "redis SET was not confirmed") end
  return true
end

local function acquire(self)
  local o, me = self.o, common.random_hex(16)
  local deadline, ttl = sys.now() + o.lock_timeout, tostring(math.floor(o.lock_ttl * 1000))
  while true do
    local ok, err = self.conn:call_ok("SET", o.key .. ":lock", me, "NX", "PX", ttl)
    if ok == nil then return common.fail(err) end
    if ok then return me end
    if sys.now() >= deadline then
      return common.fail(("timed out after %gs waiting for the lock %s:lock"):format(o.lock_timeout, o.key),
        { timeout = true })
    end
    self.sleep(0.01 + 0.02 * (core.sys.random(1):byte() / 255))
  end
end

function _M:lock(fn)
  return common.with_lock(function() return acquire(self) end, function(me)
    call(self, "EVAL", UNLOCK, 1, self.o.key .. ":lock", me) -- on failure the lock expires (lock_ttl)
  end, fn)
end

local function num(v) return v == nil and "" or string.format("%.17g", v) end

function _M:spend(cost, now)
  budget.check_spend(cost, now)
  local w, err = call(self, "EVAL", BUDGET, 1, self.o.key .. ":budget", "spend", num(cost), "", num(now))
  if not w then return 0, err end -- a broken budget never stops a call
  return tonumber(w) or 0
end

function _M:observe(o)
  budget.check_observe(o)
  local w, err = call(self, "EVAL", BUDGET, 1, self.o.key .. ":budget", "observe", num(o.remaining),
    num(o.reset_at), num(o.now))
  if not w then return nil, err end
  return true
end

function _M:close() self.conn:close() end

return _M
