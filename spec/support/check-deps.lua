-- The C files' call graph, read from the symbols of their object files (nm): prints it and fails
-- when two files call each other in a circle (DESIGN §3: layers, no circle). Then the C core's
-- calls into Lua modules, read from the sources: every one goes through push_rule (hs_client.c),
-- which requires the module by name; a `require` anywhere else in C fails the check.
--   lua5.4 spec/support/check-deps.lua <dir with one .o per csrc/*.c> [csrc dir, default csrc]
local dir = assert(arg[1], "usage: check-deps.lua OBJDIR [SRCDIR]")
local srcdir = arg[2] or "csrc"
local defs, uses, names = {}, {}, {}
local ls = assert(io.popen("ls " .. dir .. "/*.o"))
for path in ls:lines() do
  local n = path:match("([^/]+)%.o$")
  names[#names + 1], defs[n], uses[n] = n, {}, {}
  local nm = assert(io.popen("nm " .. path))
  for line in nm:lines() do
    local kind, sym = line:match("^%x*%s+(%a)%s+(%S+)$")
    if kind and kind:match("[TDRB]") then defs[n][sym] = true
    elseif kind == "U" then uses[n][sym] = true end
  end
  nm:close()
end
ls:close()
table.sort(names)
local graph = {}
for _, a in ipairs(names) do
  graph[a] = {}
  for _, b in ipairs(names) do
    if a ~= b then
      for sym in pairs(uses[a]) do
        if defs[b][sym] then graph[a][#graph[a] + 1] = b; break end
      end
    end
  end
  print(("  %-12s -> %s"):format(a, table.concat(graph[a], ", ")))
end
local state, path, cycle = {}, {}, nil
local function visit(u)
  state[u] = 1
  path[#path + 1] = u
  for _, v in ipairs(graph[u]) do
    if state[v] == 1 then cycle = cycle or table.concat(path, " -> ") .. " -> " .. v
    elseif not state[v] then visit(v) end
  end
  path[#path] = nil
  state[u] = 2
end
for _, n in ipairs(names) do if not state[n] then visit(n) end end
if cycle then
  io.stderr:write("check-deps: C files call each other in a circle: ", cycle, "\n")
  os.exit(1)
end
print("check-deps: no circle among " .. #names .. " C files")

-- C -> Lua: push_rule(L, KEY, "module", field) sites, and any other require from C
local calls, stray = {}, {}
for _, n in ipairs(names) do
  local f = io.open(srcdir .. "/" .. n .. ".c")
  if f then
    local src = f:read("*a"):gsub("/%*.-%*/", "")
    f:close()
    for module, field in src:gmatch('push_rule%(L, [%w_"%.]+, "([^"]+)", ([^)]+)%)') do
      calls[#calls + 1] = ("  %-12s -> %s.%s"):format(n, module, field:match('^"(.*)"$')
        or "<" .. field .. ">")
    end
    local requires = select(2, src:gsub('lua_getglobal%(L, "require"%)', ""))
    local rule = src:find("static void push_rule%(") and 1 or 0
    if requires > rule then stray[#stray + 1] = n end
  end
end
print("C -> Lua (push_rule):")
for _, line in ipairs(calls) do print(line) end
if #stray > 0 then
  io.stderr:write("check-deps: C requires a Lua module outside push_rule in: ", table.concat(stray, ", "), "\n")
  os.exit(1)
end
