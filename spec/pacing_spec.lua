-- Pacing at the rate limit, end to end (issue 12): the client against the sandbox with a small
-- fixed window (10 per 2 s). Each way of walking (each, fetch_all with 4 and 8 slots) and a run
-- of writes (cost 2) must draw at most one 429 per window boundary crossed (only a 429 tells
-- when a window resets, so one probe per boundary is the floor), read everything, and finish
-- within the window optimum plus one window (a noise margin for shared machines). The measuring
-- code and the definition of the optimum are bench/pacing_bench.lua's (make bench runs it at
-- 20 per 6 s over 69 pages and holds it to 2%).
local bench = assert(loadfile("bench/pacing_bench.lua"))("lib")

local OPTS = { limit = 10, window = 2, notes = 12 } -- 23 pages (cost 23), 12 notes (cost 24)

describe("pacing at the rate limit", function()
  local sb, ctx
  setup(function() sb, ctx = bench.setup(OPTS) end)
  teardown(function() if sb then sb:stop() end end)

  for _, case in ipairs(bench.cases(OPTS.notes)) do
    it(case.name .. ": at most one 429 per window boundary, within the optimum + 1 window", function()
      local r = bench.measure(sb, ctx.token, case, ctx, OPTS.limit, OPTS.window)
      local shown = ("%s: cost %d, windows %d (optimum %d), 429s %d, %.2f s (optimum %.2f s)"):format(
        r.name, r.cost, r.windows, r.windows_opt, r.n429, r.t, r.opt)
      assert.equal(r.items_free, r.items, shown)
      assert.is_true(r.windows_opt >= 3, shown) -- the case crosses at least two boundaries
      assert.is_true(r.n429 <= r.boundaries, shown)
      assert.is_true(r.t <= r.opt + OPTS.window, shown)
    end)
  end
end)
