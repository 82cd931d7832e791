-- The search syntax of Help Scout's `query` parameter (a useful subset): field:value terms,
-- quoted phrases, value lists `field:(a OR b)`, ranges `[from TO to]` with `*` and `NOW-1HOUR`
-- math, AND / OR / NOT and parentheses, adjacent terms ANDed. parse() returns an AST or nil and
-- a message; match(ast, test) evaluates it with test(field, term) deciding single terms.
local data = require "helpscout.sandbox.data"

local sub, find, lower, upper, match = string.sub, string.find, string.lower, string.upper, string.match
local tonumber, floor = tonumber, math.floor

local _M = {}

local function skip_ws(s, i)
  local _, e = find(s, "^%s*", i)
  return e + 1
end

local function read_quoted(s, i)
  -- s:sub(i, i) == '"'
  local out, j = {}, i + 1
  while j <= #s do
    local c = sub(s, j, j)
    if c == "\\" then out[#out + 1] = sub(s, j + 1, j + 1); j = j + 2
    elseif c == '"' then return table.concat(out), j + 1
    else out[#out + 1] = c; j = j + 1 end
  end
  return nil, "unterminated quoted string"
end

local function read_word(s, i)
  local _, e = find(s, "^[^%s%(%)%[%]\"]+", i)
  if not e then return nil end
  return sub(s, i, e), e + 1
end

-- value := "quoted" | word | ( value {OR|AND value} ) | [ a TO b ]
local function parse_value(s, i, node)
  i = skip_ws(s, i)
  local c = sub(s, i, i)
  if c == '"' then
    local v, j = read_quoted(s, i)
    if not v then return nil, j end
    node.values[#node.values + 1] = v
    return j
  elseif c == "[" then
    local close = find(s, "]", i, true)
    if not close then return nil, "unterminated range" end
    local inner = sub(s, i + 1, close - 1)
    local a, b = match(inner, "^%s*(%S+)%s+[Tt][Oo]%s+(%S+)%s*$")
    if not a then return nil, "malformed range" end
    node.range = { a, b }
    return close + 1
  elseif c == "(" then
    local j = i + 1
    while true do
      j = skip_ws(s, j)
      if sub(s, j, j) == ")" then return j + 1 end
      local word = match(s, "^(%a+)", j)
      if word and (upper(word) == "OR" or upper(word) == "AND") and find(sub(s, j + #word, j + #word), "^[%s%(\"]") then
        if upper(word) == "AND" then node.all = true end
        j = j + #word
      else
        local k, err = parse_value(s, j, node)
        if not k then return nil, err end
        j = k
      end
      if j > #s then return nil, "unbalanced parentheses" end
    end
  end
  local w, j = read_word(s, i)
  if not w then return nil, "missing value" end
  node.values[#node.values + 1] = w
  return j
end

local parse_or

local function parse_unary(s, i)
  i = skip_ws(s, i)
  if i > #s then return nil, "unexpected end of query" end
  local c = sub(s, i, i)
  if c == "(" then
    local node, j = parse_or(s, i + 1)
    if not node then return nil, j end
    j = skip_ws(s, j)
    if sub(s, j, j) ~= ")" then return nil, "unbalanced parentheses" end
    return node, j + 1
  end
  local word = match(s, "^(%a+)", i)
  if word and upper(word) == "NOT" and find(sub(s, i + 3, i + 3), "^[%s%(]") then
    local node, j = parse_unary(s, i + 3)
    if not node then return nil, j end
    return { op = "not", node }, j
  end
  local field, j = match(s, "^([%a_][%w_]*):()", i)
  if not field then return nil, "expected field:value at position " .. i end
  local node = { op = "term", field = field, values = {} }
  local k, err = parse_value(s, j, node)
  if not k then return nil, err end
  return node, k
end

local function parse_and(s, i)
  local left, j = parse_unary(s, i)
  if not left then return nil, j end
  while true do
    local k = skip_ws(s, j)
    if k > #s or sub(s, k, k) == ")" then return left, k end
    local word = match(s, "^(%a+)", k)
    if word and upper(word) == "OR" then return left, k end
    if word and upper(word) == "AND" then k = k + 3 end
    local right, m = parse_unary(s, k)
    if not right then return nil, m end
    left = { op = "and", left, right }
    j = m
  end
end

parse_or = function(s, i)
  local left, j = parse_and(s, i)
  if not left then return nil, j end
  while true do
    local k = skip_ws(s, j)
    local word = match(s, "^(%a+)", k)
    if not (word and upper(word) == "OR") then return left, k end
    local right, m = parse_and(s, k + 2)
    if not right then return nil, m end
    left = { op = "or", left, right }
    j = m
  end
end

-- Returns the AST of q, or nil and an error message.
function _M.parse(q)
  if type(q) ~= "string" or not find(q, "%S") then return nil, "empty query" end
  local ok, node, j = pcall(parse_or, q, 1)
  if not ok then return nil, "malformed query" end
  if not node then return nil, j end
  j = skip_ws(q, j)
  if j <= #q then return nil, "unexpected text at position " .. j end
  return node
end

-- Checks every term's field against allowed (a set); returns nil or the bad field name.
function _M.check_fields(node, allowed)
  if node.op == "term" then
    if not allowed[lower(node.field)] then return node.field end
    return nil
  end
  for _, n in ipairs(node) do
    local bad = _M.check_fields(n, allowed)
    if bad then return bad end
  end
end

function _M.match(node, test)
  local op = node.op
  if op == "and" then return _M.match(node[1], test) and _M.match(node[2], test) end
  if op == "or" then return _M.match(node[1], test) or _M.match(node[2], test) end
  if op == "not" then return not _M.match(node[1], test) end
  return test(lower(node.field), node)
end

-- Helper for term tests: true when pred(value) holds for any value (all, with AND lists).
function _M.any(node, pred)
  if node.all then
    for _, v in ipairs(node.values) do if not pred(v) then return false end end
    return #node.values > 0
  end
  for _, v in ipairs(node.values) do if pred(v) then return true end end
  return false
end

local UNITS = { SECOND = 1, SECONDS = 1, MINUTE = 60, MINUTES = 60, HOUR = 3600, HOURS = 3600,
  DAY = 86400, DAYS = 86400, WEEK = 604800, WEEKS = 604800, MONTH = 2592000, MONTHS = 2592000,
  YEAR = 31536000, YEARS = 31536000 }

-- Converts a range bound ("*", ISO date, NOW[-+]N UNIT[/UNIT]) to epoch seconds; nil for "*".
function _M.bound(v, now)
  if v == "*" then return nil, true end
  local t = data.parse_date(v)
  if t then return t, true end
  local rest = match(upper(v), "^NOW(.*)$")
  if rest then
    local t2 = now
    for sign, n, unit in rest:gmatch("([%+%-])(%d+)(%a+)") do
      local u = UNITS[unit]
      if not u then return nil, false end
      t2 = t2 + (sign == "+" and 1 or -1) * tonumber(n) * u
    end
    return floor(t2), true
  end
  return nil, false
end

-- True when epoch time t satisfies the term (range or ISO prefix).
function _M.time_match(node, t, now)
  if node.range then
    local lo, ok1 = _M.bound(node.range[1], now)
    local hi, ok2 = _M.bound(node.range[2], now)
    if not (ok1 and ok2) then return false end
    return (not lo or t >= lo) and (not hi or t <= hi)
  end
  local iso = data.iso(t)
  return _M.any(node, function(v) return sub(iso, 1, #v) == v end)
end

return _M
