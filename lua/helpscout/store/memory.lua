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
  return setmetatable({ recs = {}, busy = {}, budgets = {}, states = {} }, mt)
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

return _M
