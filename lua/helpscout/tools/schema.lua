-- helpscout.tools.schema: JSON Schema (2020-12) for the agent tools, derived from the engine's
-- tool table (doc/engine.md, "The tool table as a schema") and from the field tables of the jobs
-- and of the slim objects. Nothing here is a hand-written copy of a tool's parameters: a field
-- table goes in, a JSON Schema comes out, and the argument checker (check) reads the same schema.
--
-- Invariants: every input schema is a flat object (the positional id, the wire parameters and the
-- body fields side by side) with additionalProperties = false at the top; arrays that must stay
-- arrays in JSON are marked with json.array; integers are checked as integral numbers (cjson
-- decodes every JSON number as a float under Lua 5.4).
local core = require "helpscout.core"
local json = require "helpscout.json"

local type, ipairs, pairs, next, tostring, floor = type, ipairs, pairs, next, tostring, math.floor
local tointeger = math.tointeger or function(v) return v end
local format, concat, sort = string.format, table.concat, table.sort

local _M = {}

_M.DIALECT = "https://json-schema.org/draft/2020-12/schema"
_M.MAX_STRING = 65536  -- longest string argument accepted (a reply body is far shorter)

-- The engine's tool table (core.schema, doc/engine.md "The tool table as a schema").
function _M.engine()
  return core.schema
end

---------------------------------------------------------------------------------------------
-- Field -> JSON Schema

local field_schema

local function object_schema(fields, strict)
  local props, req = {}, {}
  for _, f in ipairs(fields) do
    props[f.name] = field_schema(f)
    if f.required then req[#req + 1] = f.name end
  end
  local s = { type = "object", properties = props }
  if #req > 0 then sort(req); s.required = json.array(req) end
  if strict then s.additionalProperties = false end
  return s
end
_M.object_schema = function(fields, strict) return object_schema(fields, strict) end

local function scalar_type(f)
  if f.nullable then return json.array { f.type, "null" } end
  return f.type
end

field_schema = function(f)
  if f.schema then return f.schema end  -- a schema derived elsewhere (a slim object)
  local s
  if f.type == "array" then
    s = { type = scalar_type(f), items = f.items and field_schema(f.items) or {} }
    if f.max_items then s.maxItems = f.max_items end
    if f.nonempty then s.minItems = 1 end
  elseif f.type == "object" then
    s = f.fields and object_schema(f.fields, not f.open) or { type = "object" }
    if f.nullable then s.type = scalar_type(f) end
  elseif f.type == "any" then
    s = {}
  else
    s = { type = scalar_type(f) }
    if f.enum then
      s.enum = json.array {}
      for i, v in ipairs(f.enum) do s.enum[i] = v end
    end
    if f.format then s.format = f.format end
    if f.type == "string" then s.maxLength = f.max_length or _M.MAX_STRING end
    if f.minimum then s.minimum = tointeger(f.minimum) or f.minimum end  -- core.schema's are floats
    if f.maximum then s.maximum = tointeger(f.maximum) or f.maximum end
  end
  if f.csv then
    -- one id, an array of ids, or "1,2,3"
    s = { anyOf = json.array { s, field_schema(f.items), { type = "string", pattern = "^[0-9]+(,[0-9]+)*$" } } }
  end
  s.description = f.description
  if f.default ~= nil then s.default = f.default end
  return s
end
_M.field_schema = function(f) return field_schema(f) end

---------------------------------------------------------------------------------------------
-- The flat argument list of an API tool: positional id, body fields (or the body array), params,
-- then the catalogue's own switches. `over` adjusts it as data: hide = {names}, optional = {names},
-- extra = {fields}.

local function flat_fields(tool, over)
  over = over or {}
  local hide, optional = {}, {}
  for _, n in ipairs(over.hide or {}) do hide[n] = true end
  for _, n in ipairs(over.optional or {}) do optional[n] = true end
  local out = {}
  local function add(f)
    if hide[f.name] then return end
    if optional[f.name] then
      local c = {}
      for k, v in pairs(f) do c[k] = v end
      c.required = false
      f = c
    end
    out[#out + 1] = f
  end
  for _, a in ipairs(tool.args or {}) do
    if a.type == "object" and a.fields then
      for _, f in ipairs(a.fields) do add(f) end
    else
      if a.name:match("_id$") and a.type == "integer" and not a.minimum then
        add { name = a.name, type = "integer", required = a.required, minimum = 1, description = a.description }
      else
        add(a)
      end
    end
  end
  for _, p in ipairs(tool.params or {}) do add(p) end
  for _, f in ipairs(over.extra or {}) do add(f) end
  return out
end
_M.flat_fields = flat_fields

-- The JSON Schema of a flat argument object.
function _M.input(fields)
  local s = object_schema(fields, true)
  s["$schema"] = _M.DIALECT
  return s
end

---------------------------------------------------------------------------------------------
-- Argument check against a derived schema: the subset the derivation produces (type, enum,
-- required, additionalProperties, items, anyOf, minimum, maxLength, maxItems, pattern, format).
-- Returns a normalised copy (integral floats become integers, JSON null becomes absent) or nil
-- and a list of field errors {path, message}.

local check_value

local JSON_TYPE = { string = "string", boolean = "boolean", table = "object", number = "number" }

local function type_ok(v, t)
  if type(t) == "table" then
    for _, x in ipairs(t) do if type_ok(v, x) then return true end end
    return false
  end
  if t == "integer" then return type(v) == "number" and v == floor(v) and v > -2 ^ 63 and v < 2 ^ 63 end
  if t == "number" then return type(v) == "number" and v == v end
  if t == "null" then return v == json.null end
  if t == "array" then return type(v) == "table" and (v[1] ~= nil or next(v) == nil) end
  return JSON_TYPE[type(v)] == t
end

local DATE_TIME = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"

-- Length in characters (JSON Schema's maxLength), not bytes: UTF-8 lead bytes counted.
local function chars(v)
  local _, n = v:gsub("[^\128-\191]", "")
  return n
end

local function check_scalar(s, v, path, errs)
  if s.enum then
    local ok = false
    for _, e in ipairs(s.enum) do if e == v then ok = true end end
    if not ok then
      errs[#errs + 1] = { path = path, message = "must be one of: " .. concat(s.enum, ", ") }
      return
    end
  end
  if type(v) == "string" then
    if s.maxLength and #v > s.maxLength and chars(v) > s.maxLength then
      errs[#errs + 1] = { path = path, message = format("longer than %d characters", s.maxLength) }
    elseif s.format == "date-time" and not v:match(DATE_TIME) then
      errs[#errs + 1] = { path = path, message = "expected yyyy-MM-ddTHH:mm:ssZ" }
    elseif s.pattern and not (v:match("^%d[%d,]*$") and not v:match(",,") and not v:match(",$")) then
      errs[#errs + 1] = { path = path, message = "expected comma-separated ids" }
    end
    return v
  end
  if type(v) == "number" then
    if s.minimum and v < s.minimum then
      errs[#errs + 1] = { path = path, message = "must be at least " .. tostring(s.minimum) }
    elseif s.maximum and v > s.maximum then
      errs[#errs + 1] = { path = path, message = "must be at most " .. tostring(s.maximum) }
    end
    if s.type == "integer" or (type(s.type) == "table" and s.type[1] == "integer") then return tointeger(v) end
  end
  return v
end

local function check_object(s, v, path, errs)
  local out = {}
  local props = s.properties or {}
  for k, x in pairs(v) do
    local ps = props[k]
    local p = path == "" and tostring(k) or (path .. "." .. tostring(k))
    if ps then
      if x ~= json.null or type_ok(x, ps.type or "") then out[k] = check_value(ps, x, p, errs) end
    elseif s.additionalProperties == false then
      local names = {}
      for n in pairs(props) do names[#names + 1] = n end
      sort(names)
      errs[#errs + 1] = { path = p, message = "unknown argument; valid: " .. concat(names, ", ") }
    else
      out[k] = x
    end
  end
  for _, r in ipairs(s.required or {}) do
    if out[r] == nil and (v[r] == nil or v[r] == json.null) then  -- present but wrong: already reported
      errs[#errs + 1] = { path = path == "" and r or (path .. "." .. r), message = "is required" }
    end
  end
  return out
end

check_value = function(s, v, path, errs)
  if s.anyOf then
    for _, alt in ipairs(s.anyOf) do
      local e = {}
      local r = check_value(alt, v, path, e)
      if #e == 0 then return r end
    end
    errs[#errs + 1] = { path = path, message = "does not match any allowed form" }
    return nil
  end
  if s.type and not type_ok(v, s.type) then
    local t = type(s.type) == "table" and concat(s.type, " or ") or s.type
    errs[#errs + 1] = { path = path, message = "expected " .. t }
    return nil
  end
  if type(v) ~= "table" then return check_scalar(s, v, path, errs) end
  if s.type == "array" or (type(s.type) == "table" and s.type[1] == "array") then
    if s.maxItems and #v > s.maxItems then
      errs[#errs + 1] = { path = path, message = format("at most %d items", s.maxItems) }
    elseif s.minItems and #v < s.minItems then
      errs[#errs + 1] = { path = path, message = format("at least %d item(s)", s.minItems) }
    end
    local out = json.array {}
    for i, x in ipairs(v) do out[i] = check_value(s.items or {}, x, format("%s[%d]", path, i - 1), errs) end
    return out
  end
  return check_object(s, v, path, errs)
end

function _M.check(schema, args)
  local errs = {}
  if type(args) ~= "table" or (args[1] ~= nil) then
    return nil, { { path = "", message = "arguments must be a JSON object" } }
  end
  local out = check_value(schema, args, "", errs)
  if #errs > 0 then return nil, errs end
  return out
end

return _M
