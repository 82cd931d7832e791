-- The other process of spec/renew_single_flight_spec.lua: a client sharing the spec's token store
-- that renews while holding the store's lock, and holds it until the spec's process is waiting on
-- the same lock. The order is made by the lock and two signal files, never by sleeping:
--   1. this process takes the real lock (its renewal, through hs:token()), writes <dir>/peer-locked;
--   2. it waits for <dir>/spec-waiting (the spec writes it just before asking for the lock);
--   3. it runs the product's locked renewal (grant, save), releases, prints one JSON line.
--   lua5.4 spec/renew_peer.lua '<json config>'
local cjson = require "cjson"
local helpscout = require "helpscout"
local store = require "helpscout.store"
local sys = require("helpscout.core").sys

local cfg = cjson.decode(arg[1])

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local function signal(name)
  local f = assert(io.open(cfg.dir .. "/" .. name, "w"))
  f:close()
end

-- waits for a signal file (bounded: a peer that never comes fails the spec, it cannot hang it)
local function await(name)
  local deadline = sys.now() + cfg.timeout
  while not exists(cfg.dir .. "/" .. name) do
    if sys.now() > deadline then error("peer: no " .. name .. " signal in " .. cfg.timeout .. " s", 0) end
    sys.sleep(0.005)
  end
end

local real = cfg.store.kind == "redis" and store.redis{ port = cfg.store.port, key = cfg.store.key }
  or store.file(cfg.store.path)
-- The real store, its lock held across the two signals (an instrument: the lock is the real one).
local shared = setmetatable({
  lock = function(_, fn)
    return real:lock(function(...)
      signal("peer-locked")
      await("spec-waiting")
      return fn(...)
    end)
  end,
}, { __index = function(_, k)
  local v = real[k]
  if type(v) == "function" then return function(_, ...) return v(real, ...) end end
  return v
end })

local hs = helpscout.new{ client_id = cfg.client_id, client_secret = cfg.client_secret,
  base_url = cfg.url, store = shared }
local tok, err = hs:token()
io.write(cjson.encode{ ok = tok ~= nil, kind = err and err.kind or cjson.null }, "\n")
