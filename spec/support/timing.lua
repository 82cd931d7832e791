-- The one place timing thresholds of the specs are scaled (issue 21): every bound a spec puts on
-- elapsed time is multiplied by HS_TIME_SLACK (default 1; e.g. HS_TIME_SLACK=3 on a loaded
-- machine), and single measurements are replaced by a median or a percentile of several samples.
--   local timing = require "support.timing"
--   timing.bound(0.5)                         -- 0.5 * HS_TIME_SLACK
--   timing.median(samples), timing.percentile(samples, 0.9)
--   timing.sample(n, fn)                      -- runs fn n times, returns the durations (seconds)
local M = {}

local slack = tonumber(os.getenv("HS_TIME_SLACK") or "1")
assert(slack and slack > 0, "HS_TIME_SLACK must be a positive number")
M.slack = slack

-- a threshold in seconds, scaled by the slack factor
function M.bound(seconds) return seconds * slack end

-- the p-quantile (0..1) of the samples (nearest rank; the samples are not modified)
function M.percentile(samples, p)
  assert(#samples > 0, "percentile of no samples")
  local s = {}
  for i, v in ipairs(samples) do s[i] = v end
  table.sort(s)
  local rank = math.max(1, math.min(#s, math.ceil(p * #s)))
  return s[rank]
end

function M.median(samples) return M.percentile(samples, 0.5) end

local function now() return require("helpscout.core").sys.now() end
M.now = now

-- runs fn(i) n times; returns the durations in seconds and fn's last results
function M.sample(n, fn)
  local out = {}
  for i = 1, n do
    local t0 = now()
    fn(i)
    out[i] = now() - t0
  end
  return out
end

return M
