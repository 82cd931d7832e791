-- helpscout.store.memory(): a token store inside one Lua state (the default of a client). The
-- lock refuses re-entry (one flight inside one state); the budget is this process's alone.
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"

local setmetatable = setmetatable

local _M = {}
local mt = { __index = _M }

function _M.new()
  return setmetatable({ tok = nil, busy = false, st = {} }, mt)
end

function _M:load()
  if not self.tok then return nil end
  return common.token(self.tok)
end

function _M:save(t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  self.tok = tok
  return true
end

function _M:lock(fn)
  return common.with_lock(function()
    if self.busy then return common.fail("the memory store's lock is already held (re-entry)") end
    self.busy = true
    return true
  end, function() self.busy = false end, fn)
end

function _M:spend(cost, now)
  budget.check_spend(cost, now)
  return budget.apply(self.st, "spend", cost, nil, now)
end

function _M:observe(o)
  budget.check_observe(o)
  budget.apply(self.st, "observe", o.remaining, o.reset_at, o.now)
  return true
end

return _M
