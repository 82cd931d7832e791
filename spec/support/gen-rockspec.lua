-- Writes the module lists of the two rockspecs from the tree (tables as data: the tree is the
-- list): the library rock (rockspec/helpscout-scm-1.rockspec) gets every Lua module except
-- helpscout.sandbox.*, the sandbox rock (rockspec/helpscout-sandbox-scm-1.rockspec) gets
-- helpscout.sandbox.* (the C core is built by the Makefile, which compiles every csrc/*.c). `--check` only compares
-- and fails on a difference (make check-list, make check-rock), so a new module or C file cannot
-- be left out of a rock, and a sandbox module cannot ship in the library rock.
--   lua5.4 spec/support/gen-rockspec.lua [--check]
local ROCKS = {
  { path = "rockspec/helpscout-scm-1.rockspec",
    blocks = { { name = "Lua modules", indent = "      ", list = "library" } } },
  { path = "rockspec/helpscout-sandbox-scm-1.rockspec",
    blocks = { { name = "Lua modules", indent = "      ", list = "sandbox" } } },
}

local function lines_of(cmd)
  local p = assert(io.popen(cmd))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

local function module_entry(f)
  local mod = f:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
  return ('["%s"] = "lua/%s",'):format(mod, f)
end

-- Each list: the entries of one generated block, in C-locale order.
local LISTS = {
  library = function()
    local t = {}
    for _, f in ipairs(lines_of("cd lua && find helpscout -name '*.lua' | LC_ALL=C sort")) do
      if not f:match("^helpscout/sandbox/") then t[#t + 1] = module_entry(f) end
    end
    return t
  end,
  sandbox = function()
    local t = {}
    for _, f in ipairs(lines_of("cd lua && find helpscout/sandbox -name '*.lua' | LC_ALL=C sort")) do
      t[#t + 1] = module_entry(f)
    end
    return t
  end,
}

local function regenerate(text, path, block)
  local BEGIN = block.indent .. "-- BEGIN " .. block.name .. " (spec/support/gen-rockspec.lua)"
  local END = block.indent .. "-- END " .. block.name
  local a = text:find(BEGIN, 1, true)
  local b = select(2, text:find(END, 1, true))
  assert(a and b, path .. " has no generated block for " .. block.name)
  local out = { BEGIN }
  for _, e in ipairs(LISTS[block.list]()) do out[#out + 1] = block.indent .. e end
  out[#out + 1] = END
  return text:sub(1, a - 1) .. table.concat(out, "\n") .. text:sub(b + 1)
end

local stale = false
for _, rock in ipairs(ROCKS) do
  local f = assert(io.open(rock.path, "rb"))
  local text = f:read("*a")
  f:close()
  local new = text
  for _, block in ipairs(rock.blocks) do new = regenerate(new, rock.path, block) end
  if new ~= text then
    if arg[1] == "--check" then
      io.stderr:write("check-rock: the generated lists of ", rock.path, " are stale: run `make rockspec`\n")
      stale = true
    else
      f = assert(io.open(rock.path, "wb"))
      f:write(new)
      f:close()
    end
  end
end
if stale then os.exit(1) end
