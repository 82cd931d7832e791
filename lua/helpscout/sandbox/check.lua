-- Declarative checks of query parameters and JSON bodies, producing Help Scout's vnd.error field
-- errors. A route names its specs (api.lua); the router runs them before the handler, which
-- receives the checked values and never sees bad input.
--
-- Query spec: ordered list of { name, kind, arg, default }. Checked in order; the first bad
-- parameter answers 400 (Help Scout reports one query error at a time). Kinds: page, int, enum
-- (arg: list), date, ints (CSV of ids, a set), tags (CSV, lower-cased set), string, query (arg:
-- set of search fields), custom_fields (repeatable id:value pairs; needs `mailbox`).
--
-- Body spec: ordered list of { name, kind, arg, required = bool, when = fn(object) }. Every field
-- is checked and every error reported, in spec order. A null or absent field is skipped (or
-- "may not be null" when required), except for kinds that judge absence themselves (text, list).
-- Kinds: text, user, enum, bool, date, strings, attachments, customer, mailbox, list (arg: the
-- spec of each element, an object).
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"
local query = require "helpscout.sandbox.query"
local wire = require "helpscout.sandbox.wire"

local ipairs, pairs, type, tonumber = ipairs, pairs, type, tonumber
local floor, lower, find, match = math.floor, string.lower, string.find, string.match
local null, field_error, fail = json.null, wire.field_error, wire.fail

local _M = {}

local function is_int(v) return type(v) == "number" and v == floor(v) and v > -9e15 and v < 9e15 end
local function to_int(v) return (math.tointeger and math.tointeger(v)) or v end
local function is_null(v) return v == nil or v == null end
local function nonempty_string(v) return type(v) == "string" and find(v, "%S") ~= nil end
_M.is_int, _M.to_int = is_int, to_int

local DATE_MSG = "Malformed date, expected format yyyy-MM-dd'T'HH:mm:ss'Z'"

-- Query parameters -------------------------------------------------------------------------------

local function qfail(S, name, message, value, anchor)
  fail(wire.bad_request(S, { field_error(name, message, value, anchor or "Validation", "Query") }))
end

local function q_int(S, v, name)
  if not match(v, "^%d+$") or #v > 15 then qfail(S, name, "Invalid number", v, "Range") end
  return tonumber(v)
end

-- kind(S, value, name, arg, ctx) -> checked value; value is never nil or "" (the default applies).
local QUERY = {
  int = q_int,
  string = function(_, v) return v end,
  page = function(S, v, name)
    local p = q_int(S, v, name)
    if p < 1 then qfail(S, name, "must be greater than or equal to 1", v, "Range") end
    return p
  end,
  enum = function(S, v, name, list)
    if not wire.enum_set(list)[v] then qfail(S, name, wire.enum_msg(list), v, "EnumValue") end
    return v
  end,
  date = function(S, v, name)
    return data.parse_date(v) or qfail(S, name, DATE_MSG, v, "MalformedDate")
  end,
  ints = function(S, v, name)
    local set = {}
    for part in v:gmatch("[^,]+") do
      part = match(part, "^%s*(.-)%s*$")
      if not match(part, "^%d+$") then qfail(S, name, "Invalid number", v, "Range") end
      set[tonumber(part)] = true
    end
    return set
  end,
  tags = function(_, v)
    local set = {}
    for t in v:gmatch("[^,]+") do set[lower(match(t, "^%s*(.-)%s*$"))] = true end
    return set
  end,
  query = function(S, v, name, fields)
    local ast, perr = query.parse(v)
    if not ast then qfail(S, name, "Invalid query: " .. perr, v, "Query") end
    local bad = query.check_fields(ast, fields)
    if bad then qfail(S, name, "Unsupported search field '" .. bad .. "'", v, "Query") end
    return ast
  end,
  custom_fields = function(S, v, name, _, ctx)
    if not ctx.values.mailbox then qfail(S, name, "customFieldsByIds requires the mailbox parameter", v) end
    local cf = {}
    for _, p in ipairs(ctx.list) do
      if p[1] == name then
        for id, val in p[2]:gmatch("(%d+):([^,]*)") do cf[#cf + 1] = { tonumber(id), val } end
      end
    end
    return cf
  end,
}

-- Checks the query string against spec; returns values (name -> checked value), the ordered
-- {name, value} list and the name -> value map. Fails with the first bad parameter's 400.
function _M.query(S, qs, spec)
  local list, map = wire.parse_qs(qs)
  local values = {}
  local ctx = { list = list, values = values }
  for _, p in ipairs(spec) do
    local name, v = p[1], map[p[1]]
    if v == nil or v == "" then values[name] = p[4]
    else values[name] = QUERY[p[2]](S, v, name, p[3], ctx) end
  end
  return values, list, map
end

-- JSON bodies ------------------------------------------------------------------------------------

-- The request body as a decoded JSON object, or fail (415 non-JSON type, 400 empty or invalid).
function _M.decode(S, req)
  local ct = lower(req.headers["content-type"] or "")
  if ct ~= "" and not find(ct, "json", 1, true) then
    fail(wire.vnd(S, 415, "Unsupported Media Type: expected application/json"))
  end
  if not req.body or not find(req.body, "%S") then
    fail(wire.bad_request(S, { field_error("", "Request body is empty", nil, "NotEmpty") },
      "Error parsing request body into JSON"))
  end
  local body = json.decode(req.body)
  if type(body) ~= "table" then
    fail(wire.bad_request(S, { field_error("", "Invalid JSON", nil, "Validation") },
      "Error parsing request body into JSON"))
  end
  return body
end

local function add(errors, path, message, rejected, anchor)
  errors[#errors + 1] = field_error(path, message, rejected, anchor)
end

local object -- forward: checks one object against a body spec

local function check_customer(S, errors, v, path)
  if type(v) ~= "table" then return add(errors, path, "must be an object", nil, "Type") end
  if not is_null(v.id) then
    if not is_int(v.id) then return add(errors, path .. ".id", "must be an integer", v.id, "Type") end
    local c = S.store.customer_by_id[to_int(v.id)]
    if not c then return add(errors, path .. ".id", "Customer not found", v.id, "InvalidId") end
    return function() return c end
  end
  if is_null(v.email) then
    return add(errors, path .. ".email", "Customer must have an id or an email", nil, "NotEmpty")
  end
  if type(v.email) ~= "string" or not match(v.email, "^[^@%s]+@[^@%s]+%.[^@%s]+$") then
    return add(errors, path .. ".email", "Invalid email address", v.email, "Email")
  end
  for _, f in ipairs { "firstName", "lastName" } do
    if not is_null(v[f]) and (type(v[f]) ~= "string" or #v[f] < 1 or #v[f] > 40) then
      add(errors, path .. "." .. f, "size must be between 1 and 40", v[f], "Size")
    end
  end
  -- resolved only once the whole body is valid: a bad request creates no customer
  return function() return data.customer_for(S.store, v, S:now()) end
end

local function check_attachments(_, errors, v, path)
  if type(v) ~= "table" then return add(errors, path, "must be an array", nil, "Type") end
  local out = {}
  for i, a in ipairs(v) do
    local p = path .. "[" .. (i - 1) .. "]"
    if type(a) ~= "table" then add(errors, p, "must be an object", nil, "Type")
    else
      for _, f in ipairs { "fileName", "mimeType", "data" } do
        if not nonempty_string(a[f]) then add(errors, p .. "." .. f, "may not be empty", nil, "NotEmpty") end
      end
      local size = type(a.data) == "string" and floor(#a.data * 3 / 4) or 0
      out[#out + 1] = { fileName = a.fileName, mimeType = a.mimeType, size = size }
    end
  end
  return out
end

-- kind(S, errors, value, path, arg) -> checked value (nil when bad); value is not null unless the
-- kind is in SEES_NULL.
local BODY = {
  text = function(_, errors, v, path)
    if not nonempty_string(v) then add(errors, path, "may not be empty", v, "NotEmpty") end
    return v
  end,
  bool = function(_, errors, v, path)
    if type(v) ~= "boolean" then add(errors, path, "must be a boolean", v, "Type") end
    return v
  end,
  enum = function(_, errors, v, path, list)
    if type(v) ~= "string" or not wire.enum_set(list)[v] then
      return add(errors, path, wire.enum_msg(list), v, "EnumValue")
    end
    return v
  end,
  date = function(_, errors, v, path)
    return data.parse_date(v) or add(errors, path, DATE_MSG, v, "MalformedDate")
  end,
  strings = function(_, errors, v, path)
    if type(v) ~= "table" then return add(errors, path, "must be an array of strings", v, "Type") end
    for i, x in pairs(v) do
      if type(i) ~= "number" or type(x) ~= "string" then
        return add(errors, path, "must be an array of strings", nil, "Type")
      end
    end
    return v
  end,
  user = function(S, errors, v, path)
    if not is_int(v) then return add(errors, path, "must be an integer", v, "Type") end
    v = to_int(v)
    if not S.store.user_by_id[v] then return add(errors, path, "Unknown user id", v, "InvalidId") end
    return v
  end,
  mailbox = function(S, errors, v, path)
    if not is_int(v) then return add(errors, path, "must be an integer", v, "Type") end
    if not S.store.mailbox_by_id[to_int(v)] then return add(errors, path, "Mailbox not found", v, "InvalidId") end
    return to_int(v)
  end,
  customer = check_customer,
  attachments = check_attachments,
  list = function(S, errors, v, path, spec)
    if is_null(v) or type(v) ~= "table" or #v == 0 then
      return add(errors, path, "must contain at least one thread", nil, "NotEmpty")
    end
    local out = {}
    for i, t in ipairs(v) do
      local p = path .. "[" .. (i - 1) .. "]"
      if type(t) ~= "table" then add(errors, p, "must be an object", nil, "Type")
      else out[#out + 1] = object(S, errors, t, spec, p .. ".") end
    end
    return out
  end,
}
local SEES_NULL = { text = true, list = true }

-- Checks object t against spec, errors paths prefixed; returns the values (src = t).
function object(S, errors, t, spec, prefix)
  local values = { src = t }
  for _, f in ipairs(spec) do
    local name, kind = f[1], f[2]
    local v = t[name]
    local path = prefix .. name
    local wanted = not f.when or f.when(t)
    if wanted and is_null(v) and not SEES_NULL[kind] then
      if f.required then add(errors, path, "may not be null", nil, "NotNull") end
    elseif wanted then
      values[name] = BODY[kind](S, errors, v, path, f[3])
    end
  end
  return values
end

-- Decodes and checks the request body against spec; returns the checked values (values.src is
-- the decoded body) or fails with 415/400 naming every bad field.
function _M.body(S, req, spec)
  local body = _M.decode(S, req)
  local errors = {}
  local values = object(S, errors, body, spec, "")
  if #errors > 0 then fail(wire.bad_request(S, errors)) end
  return values
end

return _M
