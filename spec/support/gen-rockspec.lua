-- Writes the Lua module list of rockspec/helpscout-scm-1.rockspec from the files under lua/
-- (tables as data: the tree is the list). `--check` only compares and fails on a difference
-- (spec/support/check-rock.sh runs it), so a new module cannot be left out of the rock.
--   lua5.4 spec/support/gen-rockspec.lua [--check]
local ROCK = "rockspec/helpscout-scm-1.rockspec"
local BEGIN, END = "    -- BEGIN Lua modules (spec/support/gen-rockspec.lua)", "    -- END Lua modules"

local p = assert(io.popen("cd lua && find helpscout -name '*.lua' | LC_ALL=C sort"))
local lines = { BEGIN }
for f in p:lines() do
  local mod = f:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
  lines[#lines + 1] = ('    ["%s"] = "lua/%s",'):format(mod, f)
end
p:close()
lines[#lines + 1] = END

local f = assert(io.open(ROCK, "rb"))
local text = f:read("*a")
f:close()
local a = text:find(BEGIN, 1, true)
local b = select(2, text:find(END, 1, true))
assert(a and b, ROCK .. " has no generated module block")
local new = text:sub(1, a - 1) .. table.concat(lines, "\n") .. text:sub(b + 1)
if arg[1] == "--check" then
  if new ~= text then
    io.stderr:write("check-rock: the module list of ", ROCK, " is stale: run `make rockspec`\n")
    os.exit(1)
  end
  return
end
f = assert(io.open(ROCK, "wb"))
f:write(new)
f:close()
