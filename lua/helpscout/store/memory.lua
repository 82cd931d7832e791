-- helpscout.store.memory(): token stores inside one Lua state (the default of a client), one
-- record per connection (DESIGN.md §4). A lock refuses re-entry (one flight inside one state);
-- budgets are this process's alone; states of the connect flow live here until taken or expired.
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"

local setmetatable, pairs, sort = setmetatable, pairs, table.sort

local _M = {}
local mt = { __index = _M }
common.rooted(_M)

function _M.new()
  return setmetatable({ recs = {}, busy = {}, budgets = {}, states = {}, docs = {}, leases = {} }, mt)
end

function _M:load_conn(id)
  local rec = self.recs[id]
  if not rec then return nil end
  return common.token(rec)
end

function _M:save_conn(id, t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  self.recs[id] = tok
  return true
end

function _M:remove_conn(id)
  self.recs[id] = nil
  return true
end

function _M:lock_conn(id, fn)
  return common.with_lock(function()
    if self.busy[id] then return common.fail("the memory store's lock is already held (re-entry)") end
    self.busy[id] = true
    return true
  end, function() self.busy[id] = nil end, fn)
end

function _M:connections()
  local ids = {}
  for id in pairs(self.recs) do ids[#ids + 1] = id end
  sort(ids)
  return ids
end

function _M:spend_key(key, cost, now)
  budget.check_spend(cost, now)
  self.budgets[key] = self.budgets[key] or {}
  return budget.apply(self.budgets[key], "spend", cost, nil, now)
end

function _M:observe_key(key, o)
  budget.check_observe(o)
  self.budgets[key] = self.budgets[key] or {}
  budget.apply(self.budgets[key], "observe", o.remaining, o.reset_at, o.now)
  return true
end

function _M:put_state(state, record, ttl)
  local k = common.put_key(state)
  self.states[k] = common.encode_state(record, ttl)
  return true
end

-- take_state(state) -> the record put with it, once; nil when unknown, taken or expired.
function _M:take_state(state)
  local k = common.state_key(state)
  if not k then return nil end
  local s = self.states[k]
  self.states[k] = nil
  return common.decode_state(s)
end

-- Documents and leases (helpscout.store.common): within this Lua state.
function _M:get_doc_conn(id, name)
  common.check_doc(name, "get_doc")
  return common.decode_doc(self.docs[id .. "/" .. name], "the memory store")
end

function _M:put_doc_conn(id, name, doc, lease)
  local s = common.check_doc(name, "put_doc", doc)
  if lease and self.leases[id .. "/" .. name] ~= lease then return common.lost(name) end
  self.docs[id .. "/" .. name] = s
  return true
end

function _M:lease_conn(id, name, ttl)
  common.check_doc(name, "lease")
  common.check_ttl(ttl)
  local k = id .. "/" .. name
  if self.leases[k] then return common.busy(name, self.leases[k].holder) end
  local lease = common.new_lease(name, "memory/" .. common.random_hex(8), function(l)
    if self.leases[k] ~= l then return common.lost(name) end
    return true
  end, function(l) if self.leases[k] == l then self.leases[k] = nil end end)
  self.leases[k] = lease
  return lease
end

return _M
