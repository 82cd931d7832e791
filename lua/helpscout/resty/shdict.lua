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
local type, pcall, error, select, setmetatable, tostring = type, pcall, error, select,
  setmetatable, tostring
local unpack = table.unpack or unpack -- luacheck: ignore 113
local running = coroutine.running
local min = math.min

local _M = {}
local mt = { __index = _M }

-- The stores' one budget rule (helpscout.store.budget), applied to a state kept in the dict.
local budget_mod = require "helpscout.store.budget"
local budget = budget_mod.apply

-- The one error constructor of this module (core.error once the engine provides it).
local function err(kind, message)
  if core.error then return core.error(kind, message) end
  return setmetatable({ kind = kind, message = message, retryable = kind == "store" }, core.Error)
end

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
  local key = o.key or "helpscout"
  return setmetatable({ dict = dict, name = name, durable = o.durable,
    lock_timeout = o.lock_timeout or 10, lock_ttl = o.lock_ttl or 30,
    tkey = key .. ":token", lkey = key .. ":lock", bkey = key .. ":budget", bmkey = key .. ":budget:mutex" }, mt)
end

local function decode(s)
  local t = cjson.decode(s)
  if type(t) ~= "table" or (type(t.access_token) ~= "string" and type(t.refresh_token) ~= "string") then
    return nil, err("store", "the token in the shared dict is not a token object")
  end
  return t
end

local function cache(self, t)
  local ok, e = self.dict:set(self.tkey, cjson.encode(t))
  if not ok then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
  return true
end

local function load_durable(self)
  local t, e = self.durable:load()
  if t then cache(self, t) end
  return t, e
end

function _M:load()
  local holding = self.durable and self.holder ~= nil and self.holder == running()
  if holding then
    local t, e = load_durable(self)
    if t or e then return t, e end
  end
  local s = self.dict:get(self.tkey)
  if s then return decode(s) end
  if self.durable and not holding then return load_durable(self) end
  return nil
end

function _M:save(t)
  if type(t) ~= "table" then error("bad argument #1 to 'save' (token table expected)", 2) end
  if self.durable then
    local ok, e = self.durable:save(t)
    if not ok then return nil, e end
  end
  return cache(self, t)
end

local seq = 0
local function lock_id()
  seq = seq + 1
  return ("%d:%d:%.6f"):format(ngx.worker.pid(), seq, ngx.now())
end

local function acquire(self)
  local id, deadline, step = lock_id(), now() + self.lock_timeout, 0.002
  while true do
    local ok, e = self.dict:add(self.lkey, id, self.lock_ttl)
    if ok then return id end
    if e ~= "exists" then return nil, err("store", "shared dict '" .. self.name .. "': " .. tostring(e)) end
    if now() >= deadline then
      return nil, err("store", "timed out waiting for the token lock in shared dict '" .. self.name .. "'")
    end
    ngx.sleep(step)
    step = min(step * 2, 0.05)
  end
end

local function pack(...) return { n = select("#", ...), ... } end

function _M:lock(fn)
  if type(fn) ~= "function" then error("bad argument #1 to 'lock' (function expected)", 2) end
  local id, e = acquire(self)
  if not id then return nil, e end
  self.holder = running()
  local res
  if self.durable and self.durable.lock then
    res = pack(pcall(self.durable.lock, self.durable, fn))
  else
    res = pack(pcall(fn))
  end
  self.holder = nil
  if self.dict:get(self.lkey) == id then self.dict:delete(self.lkey) end -- only our own lock
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, res.n)
end

-- Runs budget(st, op, x, y, now) over the state in the dict under a mutex held for a few
-- dict operations only (no yield inside).
local function with_budget(self, op, x, y, t)
  local dict = self.dict
  for _ = 1, 200 do
    if dict:add(self.bmkey, true, 1) then break end
    ngx.sleep(0.001)
  end
  local st = cjson.decode(dict:get(self.bkey) or "{}") or {}
  local wait = budget(st, op, x, y, t)
  dict:set(self.bkey, cjson.encode(st))
  dict:delete(self.bmkey)
  return wait
end

function _M:spend(cost, t)
  budget_mod.check_spend(cost, t)
  return with_budget(self, "spend", cost, nil, t)
end

function _M:observe(o)
  budget_mod.check_observe(o)
  with_budget(self, "observe", o.remaining, o.reset_at, o.now)
  return true
end

return _M
