-- helpscout.store.redis{host=, port=, key=, password=, db=, socket=, ...}: tokens shared by the
-- processes of several hosts, one record per connection (DESIGN.md §4). The connection "default"
-- is JSON under `key` (as before connections), connection `id` under `key..":conn:"..id`; the
-- set `key..":connections"` lists the ids saved. A connection's lock is `<its key>..":lock"`,
-- taken with SET NX PX and released only by its holder (a compare-and-delete script). The lock's
-- value names its holder ("host/pid/random"): a waiter on the same host whose holder's process
-- is gone (kill -9 in the middle of a renewal) deletes it at once instead of waiting `lock_ttl`;
-- holders on other hosts are trusted until the lock expires. The rate budget is a hash
-- `key..":budget"` (`key..":budget:"..name` for other budgets) updated atomically by EVAL of
-- the same Lua text the other stores run (helpscout.store.budget). States of the connect flow
-- are `key..":state:"..hash` with their TTL, taken by GET+DEL in one script. `socket` is a TCP
-- constructor: LuaSocket's socket.tcp by default, ngx.socket.tcp in OpenResty (then pass
-- `sleep = ngx.sleep` too).
local core = require "helpscout.core"
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"
local resp = require "helpscout.store.resp"

local setmetatable, tostring, tonumber, type, ipairs = setmetatable, tostring, tonumber, type, ipairs
local sys = core.sys

local _M = {}
local mt = { __index = _M }
common.rooted(_M)

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

-- KEYS[1] = a state's key: its value, once
local TAKE = [[
local v = redis.call("GET", KEYS[1])
if v then redis.call("DEL", KEYS[1]) end
return v]]

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

local function key_of(self, id)
  if id == common.DEFAULT then return self.o.key end
  return self.o.key .. ":conn:" .. id
end

function _M:load_conn(id)
  local key = key_of(self, id)
  local s, err = call(self, "GET", key)
  if s == nil then return nil, err end
  if s == false then return nil end
  if type(s) ~= "string" then return common.fail("redis GET answered with a " .. type(s) .. ", not a string") end
  local tok, why = common.decode(s)
  if not tok then
    return common.fail(("redis key %s does not hold a token (%s); it was left as it is"):format(key, why))
  end
  return tok
end

function _M:save_conn(id, t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  local key = key_of(self, id)
  local cur, err = call(self, "GET", key) -- a value that is not a record is never overwritten
  if cur == nil then return nil, err end
  if cur and not common.decode(cur) then
    return common.fail(("redis key %s does not hold a token; it was left as it is: fix or delete it"):format(key))
  end
  local ok
  ok, err = self.conn:call_ok("SET", key, common.encode(tok)) -- confirmed only by +OK
  if not ok then return common.fail(err or "redis SET was not confirmed") end
  call(self, "SADD", self.o.key .. ":connections", id) -- the index only lists: a failure loses nothing
  return true
end

function _M:remove_conn(id)
  local ok, err = call(self, "DEL", key_of(self, id))
  if ok == nil then return nil, err end
  call(self, "SREM", self.o.key .. ":connections", id)
  return true
end

function _M:connections()
  local ids, err = call(self, "SMEMBERS", self.o.key .. ":connections")
  if not ids then return nil, err end
  local out = {}
  for _, id in ipairs(ids) do if not common.id_problem(id) then out[#out + 1] = id end end
  table.sort(out)
  return out
end

local HOST = sys.hostname() or "?"

-- The holder of a lock value is certainly dead: its process ran on this host and is gone.
local function holder_dead(value)
  if type(value) ~= "string" then return false end
  local host, pid = value:match("^(.*)/(%d+)/%x+$")
  return host == HOST and tonumber(pid) and not sys.alive(tonumber(pid))
end

local function acquire(self, lkey)
  local o, me = self.o, ("%s/%d/%s"):format(HOST, sys.pid(), common.random_hex(16))
  local deadline, ttl = sys.now() + o.lock_timeout, tostring(math.floor(o.lock_ttl * 1000))
  while true do
    local ok, err = self.conn:call_ok("SET", lkey, me, "NX", "PX", ttl)
    if ok == nil then return common.fail(err) end
    if ok then return me end
    local holder = call(self, "GET", lkey)
    if holder_dead(holder) then
      call(self, "EVAL", UNLOCK, 1, lkey, holder) -- only that dead holder's value is deleted
    else
      if sys.now() >= deadline then
        return common.fail(("timed out after %gs waiting for the lock %s"):format(o.lock_timeout, lkey),
          { timeout = true })
      end
      self.sleep(0.01 + 0.02 * (core.sys.random(1):byte() / 255))
    end
  end
end

function _M:lock_conn(id, fn)
  local lkey = key_of(self, id) .. ":lock"
  return common.with_lock(function() return acquire(self, lkey) end, function(me)
    call(self, "EVAL", UNLOCK, 1, lkey, me) -- on failure the lock expires (lock_ttl)
  end, fn)
end

function _M:put_state(state, record, ttl)
  local k = common.put_key(state)
  local s = common.encode_state(record, ttl)
  local ok, err = self.conn:call_ok("SET", self.o.key .. ":state:" .. k, s, "PX", tostring(math.ceil(ttl * 1000)))
  if not ok then return common.fail(err or "redis SET was not confirmed") end
  return true
end

function _M:take_state(state)
  local k = common.state_key(state)
  if not k then return nil end
  local s, err = call(self, "EVAL", TAKE, 1, self.o.key .. ":state:" .. k)
  if s == nil then return nil, err end
  return common.decode_state(s or nil)
end

local function num(v) return v == nil and "" or string.format("%.17g", v) end

local function budget_of(self, key)
  if key == common.DEFAULT then return self.o.key .. ":budget" end
  return self.o.key .. ":budget:" .. key
end

function _M:spend_key(key, cost, now)
  budget.check_spend(cost, now)
  local w, err = call(self, "EVAL", BUDGET, 1, budget_of(self, key), "spend", num(cost), "", num(now))
  if not w then return 0, err end -- a broken budget never stops a call
  return tonumber(w) or 0
end

function _M:observe_key(key, o)
  budget.check_observe(o)
  local w, err = call(self, "EVAL", BUDGET, 1, budget_of(self, key), "observe", num(o.remaining),
    num(o.reset_at), num(o.now))
  if not w then return nil, err end
  return true
end

-- Documents and leases (helpscout.store.common): a document is `<connection key>:doc:<name>`; a
-- lease is `<connection key>:lease:<name>` holding "host/pid/random" with a PX ttl, renewed and
-- checked by scripts (a put_doc under a lease writes only while the lease is still that holder's).
-- A holder on this host whose process is gone is replaced at once; on other hosts, after the ttl.
local RENEW = [[
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1]]

local PUT_FENCED = [[
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[2], ARGV[2])
return 1]]

local function doc_key(self, id, name) return key_of(self, id) .. ":doc:" .. name end

function _M:get_doc_conn(id, name)
  common.check_doc(name, "get_doc")
  local key = doc_key(self, id, name)
  local s, err = call(self, "GET", key)
  if s == nil then return nil, err end
  return common.decode_doc(s or nil, "redis key " .. key)
end

function _M:put_doc_conn(id, name, doc, lease)
  local s = common.check_doc(name, "put_doc", doc)
  local ok, err
  if lease then
    ok, err = call(self, "EVAL", PUT_FENCED, 2, lease.key, doc_key(self, id, name), lease.holder, s)
    if ok == 0 then return common.lost(name) end
  else
    ok, err = call(self, "SET", doc_key(self, id, name), s)
  end
  if not ok then return nil, err end
  return true
end

function _M:lease_conn(id, name, ttl)
  common.check_doc(name, "lease")
  common.check_ttl(ttl)
  local lkey, me = key_of(self, id) .. ":lease:" .. name, ("%s/%d/%s"):format(HOST, sys.pid(), common.random_hex(16))
  local px = tostring(math.floor(ttl * 1000))
  for _ = 1, 2 do
    local ok, err = call(self, "SET", lkey, me, "NX", "PX", px)
    if ok == nil then return nil, err end
    if ok == "OK" then
      local lease = common.new_lease(name, me, function()
        local r, e = call(self, "EVAL", RENEW, 1, lkey, me, px)
        if r == nil then return nil, e end
        if r == 0 then return common.lost(name) end
        return true
      end, function() call(self, "EVAL", UNLOCK, 1, lkey, me) end)
      lease.key = lkey
      return lease
    end
    local holder = call(self, "GET", lkey)
    if not holder_dead(holder) then
      return common.busy(name, type(holder) == "string" and holder:match("^(.*)/%x+$")) -- not its token
    end
    call(self, "EVAL", UNLOCK, 1, lkey, holder) -- only that dead holder's value is deleted
  end
  return common.busy(name)
end

function _M:close() self.conn:close() end

return _M
