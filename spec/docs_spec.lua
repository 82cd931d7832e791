-- The docs derive from the engine's tool table (DESIGN §3 "The tool table is a schema"): this
-- spec fails when types/helpscout.lua or the README's tool table drifts from core.schema.
local core = require "helpscout.core"

local function read(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

describe("docs derived from the tool table", function()
  it("types/helpscout.lua is what spec/support/gen-types.lua makes of core.schema", function()
    local out = {}
    local env = setmetatable({ io = { write = function(...)
      for _, v in ipairs { ... } do out[#out + 1] = v end
    end } }, { __index = _G })
    local chunk = assert(loadfile("spec/support/gen-types.lua"))
    if setfenv then setfenv(chunk, env) else
      chunk = assert(load(read("spec/support/gen-types.lua"), "=gen-types", "t", env))
    end
    chunk()
    assert.equal(read("types/helpscout.lua"), table.concat(out),
      "types/helpscout.lua is stale: run lua5.4 spec/support/gen-types.lua > types/helpscout.lua")
  end)

  it("the README has a row per tool naming every parameter and body field", function()
    local readme = read("README.md")
    for _, t in ipairs(core.schema) do
      local row = readme:match("\n(|[^\n]*hs:" .. t.name .. "%([^\n]*)")
      assert.is_string(row, "no README row for hs:" .. t.name)
      local names = {}
      for _, p in ipairs(t.params) do names[#names + 1] = p.name end
      for _, a in ipairs(t.args) do
        for _, f in ipairs(a.fields or {}) do names[#names + 1] = f.name end
      end
      for _, n in ipairs(names) do
        assert.truthy(row:find("`" .. n .. "`", 1, true) or row:find("`" .. n .. "=", 1, true)
          or row:find(n .. "=", 1, true), "README row of " .. t.name .. " lacks " .. n)
      end
    end
  end)
end)
