-- helpscout.options: the one option checker of the Lua layer (the C core has its own, shared by
-- every C entry point; core.check_options lends it to Lua as well). Strict option tables: an
-- unknown key or a wrong type raises with luaL_argerror-style text naming the key and the valid
-- ones, at the public function's caller.
--
--   local o = options.check(spec, opts, fname, argn?, level?)  -> a copy, defaults applied
--   options.validate(spec, opts, fname, argn?, level?)         -> opts, checked, not copied
--   spec = { name = "string" | true | { type =, default =, min =, max =, nonempty = } }
--   types: string, number, integer, boolean, function, table, any (true means any)
local type, pairs, error, tostring = type, pairs, error, tostring
local concat, sort = table.concat, table.sort
local floor = math.floor
local tointeger = math.tointeger or function(v) return v end

local _M = {}

local LUA_TYPE = { string = "string", number = "number", integer = "number", boolean = "boolean",
  ["function"] = "function", table = "table" }

local function names_of(spec)
  local names = {}
  for k in pairs(spec) do names[#names + 1] = k end
  sort(names)
  return concat(names, ", ")
end

local function describe(s)
  if s.type == "integer" and s.min == 0 and not s.max then return "a non-negative integer" end
  return (s.nonempty and "a non-empty " or (s.type == "integer" and "an " or "a ")) .. s.type
    .. (s.min and (" >= " .. s.min) or "") .. (s.max and (" <= " .. s.max) or "")
end

-- The value v fits s (a table spec): nil, or the reason it does not.
local function misfit(s, v)
  local t = s.type or "any"
  if t == "any" then return nil end
  if type(v) ~= LUA_TYPE[t] then return describe(s) end
  if t == "integer" and v ~= floor(v) then return describe(s) end
  if (s.min and v < s.min) or (s.max and v > s.max) then return describe(s) end
  if s.nonempty and v == "" then return describe(s) end
  return nil
end

local function normal(s)
  if s == true then return { type = "any" } end
  if type(s) == "string" then return { type = s } end
  return s
end

-- Checks every key of opts against spec; calls put(k, v) for each (with integers normalised).
local function each_checked(spec, opts, fname, argn, level, put)
  local where = ("bad argument #%d to '%s' "):format(argn, fname)
  if opts ~= nil and type(opts) ~= "table" then
    error(where .. ("(table expected, got %s)"):format(type(opts)), level)
  end
  for k, v in pairs(opts or {}) do
    local s = spec[k] ~= nil and normal(spec[k]) or nil
    if not s then
      error(where .. ("(unknown option '%s'; valid: %s)"):format(tostring(k), names_of(spec)), level)
    end
    if s.type == "integer" and type(v) == "number" and v == floor(v) then v = tointeger(v) or v end
    local why = misfit(s, v)
    if why then error(where .. ("(option '%s' must be %s)"):format(k, why), level) end
    if put then put(k, v) end
  end
end

-- check(spec, opts, fname, argn?, level?) -> a copy of opts with the defaults applied
function _M.check(spec, opts, fname, argn, level)
  local out = {}
  each_checked(spec, opts, fname, argn or 1, (level or 2) + 2, function(k, v) out[k] = v end)
  for k, s in pairs(spec) do
    if out[k] == nil and type(s) == "table" then out[k] = s.default end
  end
  return out
end

-- validate(spec, opts, fname, argn?, level?) -> opts itself (or {} for nil), unchanged: for hot
-- paths that must not copy (triage.priority runs once per conversation)
function _M.validate(spec, opts, fname, argn, level)
  each_checked(spec, opts, fname, argn or 1, (level or 2) + 2)
  return opts or {}
end

return _M
