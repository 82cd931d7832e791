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

local ref = dofile("spec/support/json_ref.lua") -- the reference projection, shared with spec/json_spec.lua
local tree, project = ref.tree, ref.project

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
  local back, err2 = core.json_decode(text)
  assert(back ~= nil, "re-encoded text does not decode: " .. tostring(err2))
  assert(same(back, v), "round trip changed the value: " .. text:sub(1, 200))
  assert(same(core.json_decode(s, M.fields, "conversations"), project(v, LIST)), "list projection")
  assert(same(core.json_decode(s, M.fields), project(v, SINGLE)), "single projection")
end

-- The engine's reading of s as a response body, under one of a few tools and statuses: the
-- state machine (doc/engine.md: engine.new, eng:call, call:step) when the core has it, else the
-- older engine.interpret. Setting a call up may fail on an API drift (reported once, then that
-- part is skipped); a step or interpret that raises is a contract break.
local STATUS = { 200, 201, 204, 400, 401, 404, 429, 500, 503 }
local TOOLS = { { "list_conversations" }, { "get_conversation", 7 }, { "add_note", 7, "x" },
                { "update_tags", 7, { "a" } }, { "list_users" },
                { "list_conversations", {}, { fields = M.fields } },
                { "get_conversation", 7, {}, { fields = M.fields } } }
local HEADERS = { ["content-type"] = "application/json", ["resource-id"] = "12" }
local unpack = table.unpack or unpack
local drift

local function check_done(a)
  if a.ok then return end
  assert(core.is_error and core.is_error(a.error) or getmetatable(a.error) == core.Error,
    "DONE without an error table")
end

local function by_steps(s, tool, status)
  local ok, call = pcall(function()
    local eng = core.engine.new{ client_id = "i", client_secret = "s", access_token = "t",
      expires_at = 4e9, obtained_at = 0, base_url = "http://127.0.0.1:1", retries = 1 }
    return eng:call(unpack(tool))
  end)
  if not ok then drift = drift or ("engine.new/call: " .. tostring(call)); return end
  local a = call:step{ now = 1 }
  for _ = 1, 8 do
    if a.action == "DONE" then return check_done(a) end
    local outcome = { now = 1, rnd = 0.5 }
    if a.action == "SEND" then
      outcome.status, outcome.headers, outcome.body = status, HEADERS, s
    elseif a.action == "TOKEN" then
      outcome.token = { access_token = "t2", token_type = "bearer", expires_at = 4e9, obtained_at = 0 }
    end
    a = call:step(outcome)
  end
end

local function by_interpret(s, tool, status)
  local req = { method = "GET", url = "http://127.0.0.1:1/v2/x" }
  local res = { core.engine.interpret(tool[1], req, status, HEADERS, s) }
  if res[1] == nil then
    assert(getmetatable(res[2]) == core.Error, "the engine returned nil without an error table")
  end
end

local function responding(s)
  local e = core.engine
  local run = e and (e.new and by_steps or e.interpret and by_interpret)
  if not run then drift = drift or "no core.engine"; return end
  for i = 1, 2 do
    run(s, TOOLS[(#s + i) % #TOOLS + 1], i == 1 and 200 or STATUS[#s % #STATUS + 1])
  end
end

-- What could not be exercised (nil when everything was).
function M.drift() return drift end

function M.check(s)
  decoding(s)
  responding(s)
end

return M
