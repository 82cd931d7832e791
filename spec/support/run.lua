-- Runs the busted suite under one interpreter (lua5.4, luajit), under valgrind (the C core's
-- specs, spec/client_*_spec.lua) or with the core built under ASan+UBSan (those specs and
-- spec/json_spec.lua), streams busted's output, and records its summary in
-- .tmp/summary.txt for spec/support/summary.lua. Exits non-zero when anything failed, and when
-- any test ended pending (skipped) without an entry in spec/support/allowed_pending.lua for this
-- mode: a skip is a decision made in review, never a probe's verdict at run time.
--   lua5.4 spec/support/run.lua lua5.4|luajit|valgrind|asan [busted args...]
local mode = arg[1] or "lua5.4"
local extra = {}
for i = 2, #arg do extra[#extra + 1] = "'" .. arg[i]:gsub("'", "'\\''") .. "'" end

local busted = os.getenv("BUSTED") or "/usr/bin/busted"
local cmd
if mode == "valgrind" then
  cmd = table.concat({
    "valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite",
    "--show-leak-kinds=definite --track-origins=yes --suppressions=spec/support/valgrind.supp",
    "lua5.4", busted, "--pattern=client_.*_spec" }, " ")
elseif mode == "asan" then
  -- The core built with ASan+UBSan (make test-asan): the runtime preloaded into lua5.4.
  cmd = table.concat({
    "env LD_PRELOAD=" .. assert(os.getenv("HS_ASAN_LIB"), "HS_ASAN_LIB not set"),
    "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:exitcode=98",
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1",
    "lua5.4", busted, "--pattern=_spec", "spec/json_spec.lua",
    "$(ls spec/client_*_spec.lua)" }, " ")
else
  cmd = mode .. " " .. busted
  -- the resty specs drive a real nginx, whose LuaJIT runs the driver whichever interpreter runs
  -- busted: once (under lua5.4) is enough
  if mode == "luajit" then cmd = cmd .. " --exclude-pattern=resty_" end
end
-- every pending test is written to a file (spec/support/output.lua) and held against the allowlist
os.execute("mkdir -p .tmp")
local pid_file = io.open("/proc/self/stat", "r")
local pending_file = (".tmp/pending.%s.%s"):format(mode, pid_file and pid_file:read("*n") or os.time())
if pid_file then pid_file:close() end
os.remove(pending_file)
cmd = "HS_PENDING_FILE=" .. pending_file .. " " .. cmd .. " -o spec/support/output.lua "
  .. table.concat(extra, " ") .. " 2>&1; echo \"__exit=$?\""

io.write("== busted under ", mode, " ==\n"); io.flush()
local p = assert(io.popen(cmd, "r"))
local succ, fail, errs, pend, code
for line in p:lines() do
  local c = line:match("^__exit=(%d+)$")
  if c then code = tonumber(c) else
    io.write(line, "\n"); io.flush()
    local s, f, e, pe = line:match("(%d+) successe?s? / (%d+) failures? / (%d+) errors? / (%d+) pending")
    if s then succ, fail, errs, pend = tonumber(s), tonumber(f), tonumber(e), tonumber(pe) end
  end
end
p:close()

-- The pending tests this mode may have (allowed_pending.lua), and those it had that it may not.
local function unallowed_pending()
  local allowed = dofile("spec/support/allowed_pending.lua")
  local bad = {}
  local f = io.open(pending_file, "r")
  if not f then return bad end
  for line in f:lines() do
    local name, where = line:match("^(.-)\t(.*)$")
    local ok = false
    for _, a in ipairs(allowed) do
      assert(a.why and a.why ~= "", "allowed_pending.lua: an entry without `why`")
      if (a.interp == "*" or a.interp == mode) and name:find(a.name) then ok = true end
    end
    if not ok then bad[#bad + 1] = name .. " (" .. where .. ")" end
  end
  f:close()
  os.remove(pending_file)
  return bad
end
local bad = unallowed_pending()
if #bad > 0 then
  io.write(("\n%d pending test(s) not allowed under %s (spec/support/allowed_pending.lua):\n"):format(
    #bad, mode))
  for _, b in ipairs(bad) do io.write("  PENDING ", b, "\n") end
  if code == 0 then code = 1 end
end
local out = io.open(".tmp/summary.txt", "a")
if out then
  out:write(("%s %d %d %d %d %d\n"):format(mode, succ or 0, fail or 0, errs or 0, pend or 0, code or 1))
  out:close()
end
if code ~= 0 or not succ then
  if mode == "valgrind" and code == 97 then io.write("valgrind reported memory errors\n") end
  if mode == "asan" and code == 98 then io.write("AddressSanitizer reported memory errors\n") end
  os.exit(1)
end
