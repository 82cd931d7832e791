-- helpscout.store.budget: the shared rate budget (DESIGN.md §4), written once as Lua source so
-- that the memory and file stores run it in-process and the Redis store runs the very same text
-- atomically inside Redis (EVAL). Help Scout counts per account and per minute; writes cost 2.
--
-- State: { remaining = requests left in the window (nil: unknown), reset_at = epoch seconds the
-- window ends (nil: unknown), seen_at = when remaining was last observed, probe_at = when the
-- last probe left }.
--   budget(st, "spend", cost, nil, now)            -> seconds to wait (0: go, budget decremented)
--   budget(st, "observe", remaining, reset_at, now) -> 0
-- Rules: unknown remaining means go. Out of budget: wait for the known reset (at most 60 s);
-- with no known reset, one request of all processes (the probe) goes to learn it from its 429,
-- at most once a second, and the others wait for what its answer shares.
-- Observations within 1 s of the last one keep the
-- smaller count (answers arrive out of order; local spending is newer than a slow answer).
local _M = {}

_M.source = [[
local function budget(st, op, x, y, now)
  if st.reset_at and now >= st.reset_at then st.remaining, st.reset_at = nil, nil end
  if op == "observe" then
    if x then
      local recent = st.seen_at and now - st.seen_at < 1
      if st.remaining and recent and st.remaining < x then x = st.remaining end
      st.remaining, st.seen_at = x, now
    end
    if y and y > now then st.reset_at = y end
    return 0
  end
  if not st.remaining then return 0 end
  if st.remaining >= x then
    st.remaining = st.remaining - x
    return 0
  end
  if st.reset_at then return math.min(st.reset_at - now, 60) end
  -- spent, and only a 429 tells when the window resets: one request of all (the probe) goes to
  -- learn it, at most once a second; every other waits for what the probe's answer shares
  if not st.probe_at or now - st.probe_at >= 1 then
    st.probe_at = now
    return 0
  end
  return 0.02
end
]]

-- The state's fields (a store that keeps them one by one, like Redis's hash, lists these).
_M.fields = { "remaining", "reset_at", "seen_at", "probe_at" }

local load_chunk = loadstring or load -- luacheck: ignore 113 (loadstring exists under LuaJIT)
_M.apply = assert(load_chunk(_M.source .. "\nreturn budget", "=budget"))()

local type, error, pcall, require = type, error, pcall, require
-- the longest a gate waits for a budget: the engine's cap on the waits of one call (core.limits)
local MAX_WAIT = require("helpscout.core").limits.max_wait

-- Argument checks shared by every store's spend/observe (programmer errors raise).
function _M.check_spend(cost, now)
  if type(cost) ~= "number" or cost < 0 then error("bad argument #1 to 'spend' (cost must be a number >= 0)", 3) end
  if type(now) ~= "number" then error("bad argument #2 to 'spend' (now must be epoch seconds)", 3) end
end

function _M.check_observe(o)
  if type(o) ~= "table" or type(o.now) ~= "number" then
    error("bad argument #1 to 'observe' (table with now = epoch seconds expected)", 3)
  end
  if o.remaining ~= nil and type(o.remaining) ~= "number" or o.reset_at ~= nil and type(o.reset_at) ~= "number" then
    error("bad argument #1 to 'observe' (remaining and reset_at must be numbers)", 3)
  end
end


-- The driver's side of a shared budget, the same for every driver (the libcurl client calls it
-- from C with core.sys.sleep, OpenResty with ngx.sleep):
--   budget.gate(store, cost, sleep?, clock?) before a SEND: waits until the shared budget allows
--                                           it (store:spend), then returns; a store error is
--                                           returned (the request goes ahead on the engine's
--                                           own pacing: a budget is an optimisation, not a lock)
--   budget.share(store, rate, now)          after a response: the engine's view (eng:rate())
--                                           becomes every process's (store:observe)
function _M.gate(store, cost, sleep, clock)
  if not sleep then
    local sys = require("helpscout.core").sys -- the libcurl client's clock (OpenResty passes ngx's)
    sleep, clock = sys.sleep, sys.epoch
  end
  local waited = 0
  while true do
    local ok, wait = pcall(store.spend, store, cost, clock())
    if not ok then return nil, wait end
    if not wait or wait <= 0 or waited >= MAX_WAIT then return true end
    sleep(wait)
    waited = waited + wait
  end
end

function _M.share(store, rate, now)
  -- the latest answer's own count, not the engine's pacing view: an engine that drew no 429
  -- keeps a low count into a new window, and the store would keep the smaller one for everyone
  local remaining = rate.seen or rate.remaining
  if not (remaining or rate.reset_at) then return true end
  local ok, err = pcall(store.observe, store, { remaining = remaining, reset_at = rate.reset_at, now = now })
  return ok or nil, err
end

return _M
