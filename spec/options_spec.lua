-- luacheck: no max line length
-- helpscout.options: the Lua layer's one option checker, as its users see it (errors at the
-- caller's line, under the public name, naming the valid keys).
local options = require "helpscout.options"
local triage = require "helpscout.triage"
local store = require "helpscout.store"

describe("helpscout.options", function()
  local function raised(f)
    local ok, err = pcall(f)
    assert.is_false(ok)
    return err
  end

  it("checks names, types, integers and bounds, and applies defaults to a copy", function()
    local spec = { n = { type = "integer", min = 1, default = 4 }, s = "string", any = true }
    local given = { s = "x", n = 2.0 }
    local o = options.check(spec, given, "f")
    assert.equal(2, o.n); assert.equal("x", o.s)
    assert.are_not.equal(given, o)
    assert.equal(4, options.check(spec, nil, "f").n)
    assert.truthy(raised(function() options.check(spec, { n = 0 }, "f") end):find("option 'n' must be an integer >= 1", 1, true))
    assert.truthy(raised(function() options.check(spec, { n = 1.5 }, "f") end):find("must be an integer", 1, true))
    assert.truthy(raised(function() options.check(spec, { x = 1 }, "f") end):find("unknown option 'x'; valid: any, n, s", 1, true))
    assert.truthy(raised(function() options.check(spec, "no", "f") end):find("table expected, got string", 1, true))
    assert.equal(given, options.validate(spec, given, "f"))
  end)

  it("raises at the user's line under the public function's name", function()
    local line = debug.getinfo(1, "l").currentline
    local e1 = raised(function() triage.rank({}, { bogus = 1 }) end)
    local e2 = raised(function() store.file("/tmp/helpscout-options-spec.json", { bogus = 1 }) end)
    local e3 = raised(function() triage.report({}, { limit = -1 }) end)
    assert.truthy(e1:find("options_spec.lua:" .. (line + 1) .. ": bad argument #2 to 'rank' (unknown option 'bogus'", 1, true), e1)
    assert.truthy(e2:find("options_spec.lua:" .. (line + 2) .. ": bad argument #1 to 'file'", 1, true), e2)
    assert.truthy(e3:find("options_spec.lua:" .. (line + 3) .. ": bad argument #2 to 'report' (option 'limit'", 1, true), e3)
  end)
end)
