-- The C files' call graph, read from the symbols of their object files (nm): prints it and fails
-- when two files call each other in a circle (DESIGN §3: layers, no circle).
--   lua5.4 spec/support/check-deps.lua <dir with one .o per csrc/*.c>
local dir = assert(arg[1], "usage: check-deps.lua OBJDIR")
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
