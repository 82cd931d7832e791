-- The Lua half of the fuzz target (fuzz/fuzz_json.c): check(s) raises on any contract break.
-- Contracts: core.json_decode never raises on bytes (value, or nil and "invalid JSON ..."); a
-- decoded value re-encodes (core.json_encode) and decodes back to the same value; a projected
-- decode equals the projection (hs.h semantics) of the full decode, and fails exactly when it
-- fails; the engine turns any body under any status into results or an error table, never a
-- raised string.
local core = require "helpscout.core"
local mtype = math.type

local M = {}
M.fields = { "id", "number", "subject", "status", "customer.email", "waitingSince", "tags", "a.b" }

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then return a == b and (not mtype or mtype(a) == mtype(b)) end
  if type(a) ~= "table" then return a == b end
  if getmetatable(a) ~= getmetatable(b) then return false end
  for k, x in pairs(a) do if not same(x, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function tree(fields, embedded)
  local root = { kids = {} }
  local function add(at, path)
    for name in path:gmatch("[^.]+") do
      if at.all then return end
      at.kids[name] = at.kids[name] or { kids = {} }
      at = at.kids[name]
    end
    at.all = true
  end
  add(root, "_links"); add(root, "page")
  local base = root
  if embedded then
    root.kids._embedded = root.kids._embedded or { kids = {} }
    root.kids._embedded.kids[embedded] = { kids = {} }
    base = root.kids._embedded.kids[embedded]
  end
  for _, f in ipairs(fields) do add(base, f) end
  return root
end

local function project(v, node)
  if node.all or type(v) ~= "table" then return v end
  local out = getmetatable(v) == core.array and setmetatable({}, core.array) or {}
  if getmetatable(v) == core.array then
    for i = 1, #v do out[i] = project(v[i], node) end
  else
    for k, x in pairs(v) do if node.kids[k] then out[k] = project(x, node.kids[k]) end end
  end
  return out
end

local LIST, SINGLE = tree(M.fields, "conversations"), tree(M.fields)

local function decoding(s)
  local v, err = core.json_decode(s)
  if v == nil then
    assert(type(err) == "string" and (err:match("^invalid JSON at byte %d+: ") or
      err == "not enough memory"), "bad failure message: " .. tostring(err))
    assert(core.json_decode(s, M.fields, "conversations") == nil, "projection accepted bad JSON")
    return
  end
  local text = core.json_encode(v)
  local back = assert(core.json_decode(text), "re-encoded text does not decode")
  assert(same(back, v), "round trip changed the value: " .. text:sub(1, 200))
  assert(same(core.json_decode(s, M.fields, "conversations"), project(v, LIST)), "list projection")
  assert(same(core.json_decode(s, M.fields), project(v, SINGLE)), "single projection")
end

-- The engine's reading of s as a response body, under one of a few tools and statuses.
local STATUS = { 200, 201, 204, 400, 401, 404, 429, 500, 503 }
local TOOLS = { "list_conversations", "get_conversation", "add_note", "update_tags", "list_users" }
local function responding(s)
  local e = core.engine
  if not (e and e.interpret) then return end -- the engine's Lua seam is being reshaped
  for i = 1, 2 do
    local tool = TOOLS[(#s + i) % #TOOLS + 1]
    local status = i == 1 and 200 or STATUS[#s % #STATUS + 1]
    local req = { method = "GET", url = "http://127.0.0.1:1/v2/x" }
    local res = table.pack and table.pack(e.interpret(tool, req, status,
      { ["content-type"] = "application/json", ["resource-id"] = "12" }, s)) or nil
    if res and res[1] == nil then
      assert(getmetatable(res[2]) == core.Error, "the engine returned nil without an error table")
    end
  end
end

function M.check(s)
  decoding(s)
  responding(s)
end

return M
