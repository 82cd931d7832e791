-- Pacing at the rate limit (issue 12): against the sandbox with a small fixed window, how many
-- responses 429 each way of walking (each, fetch_all with 4 and 8 slots) and a run of writes
-- (add_note, cost 2) draws, per window boundary crossed, and how the total time compares with
-- the window optimum. Prints a table; every ratio comes from one run on this machine.
--   lua5.4 bench/pacing_bench.lua          (make bench runs it)
-- spec/pacing_spec.lua loads this file as a library (`loadfile(...)("lib")`) with smaller numbers.
--
-- The optimum. The sandbox's window is fixed: it starts at the first request after the previous
-- window ended and lasts W seconds, with a budget of L (GET 1, write 2; a 429 costs nothing). A run
-- whose successful requests cost C needs N = ceil(C / L) windows, and no schedule can start window
-- k+1 earlier than W after window k began, so the best a client can do is
--     T_opt = (N - 1) * W + t_last,
-- where t_last is the time the last window's share of the work takes when nothing throttles it:
--     t_last = t_free * (C - (N - 1) * L) / C,
-- t_free being the same run's time against the same sandbox with the rate limit off (measured
-- just before). That is "N windows, minus the part of the last window not needed". Only a 429
-- tells when a window resets, so the floor is one 429 per window boundary crossed; the boundaries
-- crossed are counted from the sandbox's request log by replaying its window rule.
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"

local ceil, max = math.ceil, math.max
local TOKEN_PATH = "/v2/oauth2/token"

local M = {}

-- A client with the sandbox's credentials and an access token already obtained (the token
-- endpoint is not rate limited, but its time is not the pacing's).
function M.client(sb, token)
  return helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret,
    base_url = sb.url, access_token = token, token_type = "bearer" }
end

-- The runs measured: name, and run(hs, ctx) raising on any error.
function M.cases(notes)
  local opts = { status = "all" }
  return {
    { name = "each", run = function(hs)
      local n = 0
      for _ in hs:each("list_conversations", opts) do n = n + 1 end
      return n
    end },
    { name = "fetch_all c=4", run = function(hs)
      return #assert(hs:fetch_all("list_conversations", opts, { concurrency = 4 }))
    end },
    { name = "fetch_all c=8", run = function(hs)
      return #assert(hs:fetch_all("list_conversations", opts, { concurrency = 8 }))
    end },
    { name = notes .. " add_note", run = function(hs, ctx)
      for i = 1, notes do
        assert(hs:add_note(ctx.ids[(i - 1) % #ctx.ids + 1], "pacing bench note " .. i))
      end
      return notes
    end },
  }
end

-- Replays the sandbox's window rule over its log: windows used, cost of the requests served,
-- responses 429.
function M.windows(log, window)
  local start, windows, cost, n429 = nil, 0, 0, 0
  for _, r in ipairs(log) do
    if r.path ~= TOKEN_PATH then
      if not start or r.time >= start + window then start, windows = r.time, windows + 1 end
      if r.status == 429 then n429 = n429 + 1
      else cost = cost + ((r.method == "GET" or r.method == "HEAD") and 1 or 2) end
    end
  end
  return windows, cost, n429
end

function M.optimum(cost, limit, window, t_free)
  local n = max(1, ceil(cost / limit))
  return (n - 1) * window + t_free * (cost - (n - 1) * limit) / cost, n
end

local function timed(sb, token, case, ctx)
  local hs = M.client(sb, token)
  local t0 = socket.gettime()
  local got = case.run(hs, ctx)
  local t = socket.gettime() - t0
  hs:close()
  return t, got
end

-- One case: unthrottled, then throttled at limit/window. Returns a row of numbers.
function M.measure(sb, token, case, ctx, limit, window)
  sb:config{ rate_limit = 0 }
  local t_free, n_free = timed(sb, token, case, ctx)
  sb:config{ rate_limit = limit, rate_window = window } -- a fresh window state
  sb:clear_log()
  local t, n = timed(sb, token, case, ctx)
  local windows, cost, n429 = M.windows(sb:log(), window)
  local opt, nopt = M.optimum(cost, limit, window, t_free)
  return { name = case.name, items = n, items_free = n_free, cost = cost, windows = windows,
    windows_opt = nopt, boundaries = windows - 1, n429 = n429, t = t, t_free = t_free, opt = opt,
    ratio = t / opt }
end

-- Starts the sandbox, takes a token and conversation ids without a rate limit.
function M.setup(opts)
  local sb = sandbox.start{ seed = 42, rate_limit = opts.limit, rate_window = opts.window,
    conversations = opts.conversations }
  sb:config{ rate_limit = 0 }
  local hs = M.client(sb)
  local items, page = assert(hs:list_conversations{ status = "all" })
  local ctx = { ids = {}, pages = page.totalPages, token = hs:token().access_token }
  for i, c in ipairs(items) do ctx.ids[i] = c.id end
  hs:close()
  return sb, ctx
end

function M.run(opts)
  local sb, ctx = M.setup(opts)
  local rows = {}
  local ok, err = pcall(function()
    for _, case in ipairs(M.cases(opts.notes)) do
      rows[#rows + 1] = M.measure(sb, ctx.token, case, ctx, opts.limit, opts.window)
    end
  end)
  sb:stop()
  if not ok then error(err, 0) end
  return rows, ctx
end

function M.print(rows, opts, ctx)
  print(("Pacing against the sandbox: rate limit %d per %g s window, %d pages of 25 (status=all), %s"):format(
    opts.limit, opts.window, ctx.pages, _VERSION))
  print(("  %-14s %5s %7s %10s %5s %9s %8s %8s %7s"):format("case", "cost", "windows", "boundaries",
    "429s", "429/bound", "time s", "optim s", "ratio"))
  for _, r in ipairs(rows) do
    local per = r.boundaries > 0 and ("%.2f"):format(r.n429 / r.boundaries) or "-"
    print(("  %-14s %5d %3d (%d) %10d %5d %9s %8.3f %8.3f %7.3f"):format(r.name, r.cost, r.windows,
      r.windows_opt, r.boundaries, r.n429, per, r.t, r.opt, r.ratio))
  end
  print("  windows: used (optimum ceil(cost/limit)); optim: (N-1)*W + the unthrottled time of the last")
  print("  window's share; goal: 429/bound <= 1 and ratio <= 1.02")
end

if ... ~= "lib" then
  local opts = { limit = 20, window = 6, conversations = 1725, notes = 30 }
  local rows, ctx = M.run(opts)
  M.print(rows, opts, ctx)
  for _, r in ipairs(rows) do
    if r.items ~= r.items_free then error(("%s: %d items throttled, %d not"):format(r.name, r.items, r.items_free)) end
  end
end

return M
