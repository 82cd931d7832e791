-- Runs the busted suite under one interpreter (lua5.4, luajit) or under valgrind (the C core's
-- specs, spec/client_*_spec.lua), streams busted's output, and records its summary in
-- .tmp/summary.txt for spec/support/summary.lua. Exits non-zero when anything failed.
--   lua5.4 spec/support/run.lua lua5.4|luajit|valgrind [busted args...]
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
else
  cmd = mode .. " " .. busted
end
cmd = cmd .. " " .. table.concat(extra, " ") .. " 2>&1; echo \"__exit=$?\""

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
os.execute("mkdir -p .tmp")
local out = io.open(".tmp/summary.txt", "a")
if out then
  out:write(("%s %d %d %d %d %d\n"):format(mode, succ or 0, fail or 0, errs or 0, pend or 0, code or 1))
  out:close()
end
if code ~= 0 or not succ then
  if mode == "valgrind" and code == 97 then io.write("valgrind reported memory errors\n") end
  os.exit(1)
end
