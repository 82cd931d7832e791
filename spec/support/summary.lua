-- Prints one closing line for `make test` over every busted run recorded in .tmp/summary.txt:
--   "make test: N passed, N failed, N skipped"   (--reset clears the record first; an argument
--   other than --reset names the closing line's target instead, e.g. "make check")
if arg[1] == "--reset" then os.remove(".tmp/summary.txt"); return end
local label = arg[1] or "make test"
local passed, failed, skipped, runs = 0, 0, 0, {}
local f = io.open(".tmp/summary.txt", "r")
if f then
  for line in f:lines() do
    local mode, s, fl, e, pe, code = line:match("^(%S+) (%d+) (%d+) (%d+) (%d+) (%d+)$")
    if mode then
      passed = passed + s; failed = failed + fl + e; skipped = skipped + pe
      if tonumber(code) ~= 0 and fl + e == 0 then failed = failed + 1 end
      runs[#runs + 1] = mode
    end
  end
  f:close()
end
print(("runs: %s"):format(table.concat(runs, ", ")))
print(("%s: %d passed, %d failed, %d skipped"):format(label, passed, failed, skipped))
if failed > 0 or #runs == 0 then os.exit(1) end
