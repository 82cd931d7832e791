-- `make bench`: runs every bench/*_bench.lua in its own interpreter, one after another, so
-- ratios printed by one benchmark come from one run on one (noisy, shared) machine.
local lua = arg[-1] or "lua5.4"
local p = assert(io.popen("ls bench/*_bench.lua 2>/dev/null"))
local files = {}
for f in p:lines() do files[#files + 1] = f end
p:close()
table.sort(files)
local failed = 0
for _, f in ipairs(files) do
  io.write("== ", f, " ==\n"); io.flush()
  local ok = os.execute(lua .. " " .. f)
  if ok ~= true and ok ~= 0 then failed = failed + 1; io.write("!! ", f, " failed\n") end
end
if failed > 0 then os.exit(1) end
