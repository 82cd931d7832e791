-- helpscout.resty.shdict: a token store in a lua_shared_dict, shared by every worker of one nginx
-- (DESIGN.md §4). `require("helpscout.resty").store.shdict(name, opts)`.
--
--   lua_shared_dict helpscout 1m;          # nginx.conf, http block
--   local st = resty.store.shdict("helpscout", { durable = helpscout.store.file(path) })
--
-- Methods as every store: load() -> token|nil[, err]; save(t) -> true|nil, err; lock(fn) -> fn's
-- results|nil, err; spend(cost, now) -> seconds to wait; observe{remaining=, reset_at=, now=}.
--
-- Invariants:
-- * A shared dict does not survive a restart: with `durable`, save() writes the durable store
--   FIRST (a rotated refresh token is never held only in memory), then the dict; load() falls
--   back to the durable store when the dict is empty, and inside lock() reads the durable store
--   (another host may have rotated the token since the dict was filled).
-- * lock(fn): dict:add(key, id, ttl) is the cross-worker mutex (the expiry frees it if a worker
--   dies holding it); waiting polls with ngx.sleep, so it never blocks the worker. Release is
--   token-checked: only the holder's id is deleted. With `durable`, the durable store's lock is
--   taken inside (processes on other hosts or outside nginx).
-- * The rate budget is the stores' one rule (helpscout.store.budget) applied to a state kept in
--   the dict, under a short cross-worker mutex that is never held across a yield.
local options = require "helpscout.options"
local cjson = require "cjson.safe"
local core = require "helpscout.core"

local ngx = ngx -- luacheck: ignore
local type, pcall, error, select, setmetatable, tostring, tonumber, ipairs = type, pcall, error, select,
  setmetatable, tostring, tonumber, ipairs
local sort = table.sort
local unpack = table.unpack or unpack -- luacheck: ignore 113
local running = coroutine.running
local min = math.min

local _M = {}
local mt = { __index = _M }
local common = require "helpscout.store.common"
common.rooted(_M)

-- The stores' one budget rule (helpscout.store.budget), applied to a state kept in the dict.
local budget_mod = require "helpscout.store.budget"
local budget = budget_mod.apply

local function err(kind, message) return core.error(kind, message) end

local function now()
  ngx.update_time()
  return ngx.now()
end

local OPTS = { durable = "table", key = "string", lock_timeout = { type = "number", min = 0.001 },
  lock_ttl = { type = "number", min = 0.001 } }

local function check_opts(opts)
  options.validate(OPTS, opts, "shdict", 2, 4) -- the one Lua checker (helpscout.options)
  local d = opts and opts.durable
  if d and not (type(d.load) == "function" and type(d.save) == "function") then
    error("bad argument #2 to 'shdict' (option 'durable' must be a store: load, save, lock)", 3)
  end
  return opts or {}
end

-- shdict(name, {durable =, key = "helpscout", lock_timeout = 10, lock_ttl = 30}) -> store.
-- Raises when nginx.conf has no `lua_shared_dict name ...;`.
function _M.new(name, opts)
  if type(name) ~= "string" then error("bad argument #1 to 'shdict' (string expected)", 2) end
  local dict = ngx.shared[name]
  if not dict then
    error(("bad argument #1 to 'shdict' (no lua_shared_dict named '%s' in nginx.conf)"):format(name), 2)
  end
  local o = check_opts(opts)
  return setmetatable({ dict = dict, name = name, durable = o.durable, key = o.key or "helpscout",
    lock_timeout = o.lock_timeout or 10, lock_ttl = o.lock_ttl or 30, holders = {} }, mt)
end

-- The dict key of a connection's item: "<key>:<item>" for "default" (as before connections),
-- "<key>:c:<id>:<item>" otherwise.
local function k(self, id, item)
  if id == common.DEFAULT then return self.key .. ":" .. item end
  return self.key .. ":c:" .. id .. ":" .. item
end

-- The durable store of a connection (nil without one).
local function durable_of(self, id)
  local d = self.durable
  if not d or id == common.DEFAULT then return d end
  if type(d.connection) ~= "function" then
    error("helpscout.resty: the durable store has no connections (connection '" .. id .. "')", 3)
  end
  return d:connection(id)
end

local function decode(s)
  local t = cjson.decode(s)
  if type(t) ~= "table" or (type(t.access_token) ~= "string" and type(t.refresh_token) ~= "string") then
    return nil, err("store", "the token in the shared dict is not a token object")
  end
  return common.token(t)
end

local function cache(self, id, t)
  local ok, e = self.dict:set(k(self, id, "token"), common.encode(t))
  if not ok then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
  return true
end

local function load_durable(self, id)
  local t, e = durable_of(self, id):load()
  if t then cache(self, id, t) end
  return t, e
end

function _M:load_conn(id)
  local holding = self.durable and self.holders[id] ~= nil and self.holders[id] == running()
  if holding then
    local t, e = load_durable(self, id)
    if t or e then return t, e end
  end
  local s = self.dict:get(k(self, id, "token"))
  if s then return decode(s) end
  if self.durable and not holding then return load_durable(self, id) end
  return nil
end

function _M:save_conn(id, t)
  if type(t) ~= "table" then error("bad argument #1 to 'save' (token table expected)", 2) end
  local tok, why = common.token(t)
  if not tok then return nil, err("invalid", "cannot save: " .. why) end
  if self.durable then
    local ok, e = durable_of(self, id):save(tok)
    if not ok then return nil, e end
  end
  return cache(self, id, tok)
end

-- remove_conn(id): the record leaves the durable store first, then the dict.
function _M:remove_conn(id)
  if self.durable then
    local d = durable_of(self, id)
    if type(d.remove) ~= "function" then
      return nil, err("store", "the durable store cannot remove a connection (no remove method)")
    end
    local ok, e = d:remove()
    if not ok then return nil, e end
  end
  self.dict:delete(k(self, id, "token"))
  return true
end

-- connections() -> sorted ids (the durable store's when there is one: the dict is a cache).
function _M:connections()
  if self.durable then return self.durable:connections() end
  local ids, pre = {}, self.key .. ":"
  if self.dict:get(pre .. "token") then ids[1] = common.DEFAULT end
  for _, key in ipairs(self.dict:get_keys(0)) do
    local id = key:sub(1, #pre) == pre and key:match("^c:(.+):token$", #pre + 1)
    if id and not common.id_problem(id) then ids[#ids + 1] = id end
  end
  sort(ids)
  return ids
end

local seq = 0
local function lock_id()
  seq = seq + 1
  return ("%d:%d:%.6f"):format(ngx.worker.pid(), seq, ngx.now())
end

-- A lock whose holder's worker is gone (killed in the middle of a renewal) is taken over at
-- once: one waiter wins the right to replace that very value (dict:add of a takeover key), and
-- replaces it only while the dead value still holds the lock (nobody else can add meanwhile).
local function take_over(self, lkey, id)
  local holder = self.dict:get(lkey)
  local pid = type(holder) == "string" and tonumber(holder:match("^(%d+):"))
  if not pid or core.sys.alive(pid) then return false end
  if not self.dict:add(lkey .. ":takeover:" .. holder, true, 5) then return false end
  if self.dict:get(lkey) ~= holder then return false end
  return (self.dict:set(lkey, id, self.lock_ttl))
end

local function acquire(self, lkey)
  local id, deadline, step = lock_id(), now() + self.lock_timeout, 0.002
  while true do
    local ok, e = self.dict:add(lkey, id, self.lock_ttl)
    if ok then return id end
    if e ~= "exists" then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
    if take_over(self, lkey, id) then return id end
    if now() >= deadline then
      return nil, err("store", "timed out waiting for the token lock in shared dict '" .. self.name .. "'")
    end
    ngx.sleep(step)
    step = min(step * 2, 0.05)
  end
end

local function pack(...) return { n = select("#", ...), ... } end

function _M:lock_conn(cid, fn)
  if type(fn) ~= "function" then error("bad argument #1 to 'lock' (function expected)", 2) end
  local lkey = k(self, cid, "lock")
  local id, e = acquire(self, lkey)
  if not id then return nil, e end
  self.holders[cid] = running()
  local res
  local d = durable_of(self, cid)
  if d and d.lock then
    res = pack(pcall(d.lock, d, fn))
  else
    res = pack(pcall(fn))
  end
  self.holders[cid] = nil
  if self.dict:get(lkey) == id then self.dict:delete(lkey) end -- only our own lock
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, res.n)
end

-- Documents and leases (helpscout.store.common; hs:changes keeps its cursors there): documents in
-- the dict, written through to `durable` when it keeps documents (a restart keeps the cursor); a
-- lease is dict:add with its ttl, renewed by its holder, taken over at once when its holder's
-- worker is gone (as the lock above). Across hosts, give the client a Redis store instead.
local function doc_key(self, id, name) return k(self, id, "doc:" .. name) end

function _M:get_doc_conn(id, name)
  common.check_doc(name, "get_doc")
  local s = self.dict:get(doc_key(self, id, name))
  if s then return common.decode_doc(s, "shared dict '" .. self.name .. "'") end
  local d = durable_of(self, id)
  if d and d.get_doc then return d:get_doc(name) end
  return nil
end

function _M:put_doc_conn(id, name, doc, lease)
  local s = common.check_doc(name, "put_doc", doc)
  if lease and self.dict:get(lease.key) ~= lease.holder then return common.lost(name) end
  local d = durable_of(self, id)
  if d and d.put_doc then
    local ok, e = d:put_doc(name, doc)
    if not ok then return nil, e end
  end
  local ok, e = self.dict:set(doc_key(self, id, name), s)
  if not ok then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
  return true
end

function _M:lease_conn(id, name, ttl)
  common.check_doc(name, "lease")
  common.check_ttl(ttl)
  local dict, lkey, me = self.dict, k(self, id, "lease:" .. name), lock_id()
  local ok, e = dict:add(lkey, me, ttl)
  if not ok and e ~= "exists" then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
  if not ok then
    local holder = dict:get(lkey)
    local pid = type(holder) == "string" and tonumber(holder:match("^(%d+):"))
    if not pid or core.sys.alive(pid) or not dict:add(lkey .. ":takeover:" .. holder, true, 5)
        or dict:get(lkey) ~= holder then
      return common.busy(name, pid and ("worker " .. pid))
    end
    dict:set(lkey, me, ttl)
  end
  local lease = common.new_lease(name, me, function()
    if dict:get(lkey) ~= me then return common.lost(name) end
    dict:set(lkey, me, ttl)
    return true
  end, function() if dict:get(lkey) == me then dict:delete(lkey) end end)
  lease.key = lkey
  return lease
end

-- Runs budget(st, op, x, y, now) over the state in the dict under a mutex held for a few
-- dict operations only (no yield inside).
local function with_budget(self, key, op, x, y, t)
  local dict = self.dict
  local bkey = key == common.DEFAULT and self.key .. ":budget" or self.key .. ":budget:" .. key
  for _ = 1, 200 do
    if dict:add(bkey .. ":mutex", true, 1) then break end
    ngx.sleep(0.001)
  end
  local st = cjson.decode(dict:get(bkey) or "{}") or {}
  local wait = budget(st, op, x, y, t)
  dict:set(bkey, cjson.encode(st))
  dict:delete(bkey .. ":mutex")
  return wait
end

function _M:spend_key(key, cost, t)
  budget_mod.check_spend(cost, t)
  return with_budget(self, key, "spend", cost, nil, t)
end

function _M:observe_key(key, o)
  budget_mod.check_observe(o)
  with_budget(self, key, "observe", o.remaining, o.reset_at, o.now)
  return true
end

-- States of the connect flow: put in the durable store when it keeps them (several hosts),
-- else in the dict with their TTL; taken from the dict first, then from the durable store (a
-- start location configured without the durable store still meets its callback). Taking from
-- the dict is single use across workers: the first incr of the state's "taken" counter wins.
function _M:put_state(state, record, ttl)
  if self.durable and self.durable.put_state then return self.durable:put_state(state, record, ttl) end
  local h = common.put_key(state)
  local ok, e = self.dict:set(self.key .. ":state:" .. h, common.encode_state(record, ttl), ttl)
  if not ok then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
  return true
end

local function take_local(self, h)
  local skey = self.key .. ":state:" .. h
  local s = self.dict:get(skey)
  if not s or self.dict:incr(skey .. ":taken", 1, 0, 600) ~= 1 then return nil end
  self.dict:delete(skey)
  return common.decode_state(s)
end

function _M:take_state(state)
  local h = common.state_key(state)
  if not h then return nil end
  local rec = take_local(self, h)
  if rec == nil and self.durable and self.durable.take_state then return self.durable:take_state(state) end
  return rec
end

return _M
