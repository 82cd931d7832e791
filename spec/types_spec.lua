-- The hand-written editor types (types/store.lua, webhook.lua, triage.lua, resty.lua) against the
-- modules they describe: every declared function exists, and every function a module or object
-- offers is declared, except the ones listed below with the reason they are not public.
-- (types/helpscout.lua is generated; spec/docs_spec.lua holds it to core.schema.)
local store = require "helpscout.store"

-- The functions a types file declares, by class: `function a.b.c(` under the class `a.b`,
-- `function Var:name(` under the class of `local Var` (its `---@class` line), and the classes a
-- class inherits (`---@class a : b`).
local function declarations(path)
  local f = assert(io.open(path, "rb"))
  local decl, parents, last_class, var_class = {}, {}, nil, {}
  local function add(class, name)
    decl[class] = decl[class] or {}
    decl[class][name] = true
  end
  for line in f:lines() do
    local class, parent = line:match("^%-%-%-@class ([%w_.]+)%s*:%s*([%w_.]+)")
    class = class or line:match("^%-%-%-@class ([%w_.]+)")
    if class then last_class, parents[class] = class, parent; decl[class] = decl[class] or {} end
    local var = line:match("^local (%w+) = {}")
    if var and last_class then var_class[var] = last_class end
    local owner, name = line:match("^function ([%w_.]+)%.([%w_]+)%(")
    if owner then
      local head, rest = owner:match("^(%w+)(.*)$")
      add((var_class[head] or head) .. rest, name)
    end
    local v, m = line:match("^function (%w+):([%w_]+)%(")
    if v then add(assert(var_class[v], "no class for " .. v), m) end
    local field = line:match("^%-%-%-@field ([%w_]+) fun%(")
    if field and last_class then add(last_class, field) end
  end
  f:close()
  return decl, parents
end

local DECL, PARENTS = {}, {}
for _, file in ipairs { "types/helpscout.lua", "types/store.lua", "types/webhook.lua",
    "types/triage.lua", "types/resty.lua" } do
  local d, p = declarations(file)
  for k, v in pairs(d) do
    DECL[k] = DECL[k] or {}
    for n in pairs(v) do DECL[k][n] = true end
  end
  for k, v in pairs(p) do PARENTS[k] = v end
end

-- a class's functions with those it inherits
local function declared(class)
  local all = {}
  while class do
    for n in pairs(DECL[class] or {}) do all[n] = true end
    class = PARENTS[class]
  end
  return all
end

-- the functions a table offers: its own and its metatable's __index table's
local function offered(t)
  local fns = {}
  for k, v in pairs(t) do if type(v) == "function" then fns[k] = true end end
  local mt = getmetatable(t)
  if type(mt) == "table" and type(mt.__index) == "table" then
    for k, v in pairs(mt.__index) do if type(v) == "function" then fns[k] = true end end
  end
  return fns
end

local tmp = os.tmpname()
os.remove(tmp)

-- Functions offered but not public, each with its reason.
local INTERNAL = {
  new = "the module's constructor behind helpscout.store.<kind>()",
  load_conn = "the per-connection primitive behind store:connection(id):load()",
  save_conn = "the per-connection primitive behind store:connection(id):save()",
  lock_conn = "the per-connection primitive behind store:connection(id):lock()",
  remove_conn = "the per-connection primitive behind store:connection(id):remove()",
  get_doc_conn = "the per-connection primitive behind store:connection(id):get_doc()",
  put_doc_conn = "the per-connection primitive behind store:connection(id):put_doc()",
  lease_conn = "the per-connection primitive behind store:connection(id):lease()",
  spend_key = "the shared-budget primitive behind store:connection(id, {budget=}):spend()",
  observe_key = "the shared-budget primitive behind store:connection(id, {budget=}):observe()",
  sleep = "the Redis store's `sleep` option (ngx.sleep under nginx), kept on the object",
  -- the resty client's executor steps, public before issue 19 made them local
  send = "helpscout.resty's executor step", renew = "helpscout.resty's executor step",
  drive = "helpscout.resty's executor step",
}

local CASES = {
  { class = "helpscout.store", get = function() return store end },
  { class = "helpscout.Store", get = function() return store.memory() end, what = "store.memory()" },
  { class = "helpscout.Store", get = function() return store.file(tmp) end, what = "store.file(path)" },
  { class = "helpscout.RedisStore", get = function() return store.redis{ port = 1 } end,
    what = "store.redis{} (no I/O until used)" },
  { class = "helpscout.StoreView", get = function() return store.memory():connection("alice") end,
    what = "store:connection(id)" },
  { class = "helpscout.webhook", get = function() return require "helpscout.webhook" end },
  { class = "helpscout.triage", get = function() return require "helpscout.triage" end },
  -- helpscout.resty loads outside nginx, under either interpreter (it touches ngx only when a
  -- method runs)
  { class = "helpscout.resty", get = function() return require "helpscout.resty" end },
  { class = "helpscout.resty.store", get = function() return require("helpscout.resty").store end },
  { class = "helpscout.resty.Client", what = "resty.new{}",
    get = function() return require("helpscout.resty").new{ access_token = "x" } end },
}

describe("types/ against the modules", function()
  for _, case in ipairs(CASES) do
    local what = case.what or case.class
    it(case.class .. " declares exactly what " .. what .. " offers", function()
      local obj = case.get()
      local want, have = declared(case.class), offered(obj)
      assert.is_true(next(want) ~= nil, "types/ declares no function of " .. case.class)
      local missing, undeclared = {}, {}
      for n in pairs(want) do
        if type(obj[n]) ~= "function" then missing[#missing + 1] = n end
      end
      for n in pairs(have) do
        if not want[n] and not INTERNAL[n] then undeclared[#undeclared + 1] = n end
      end
      table.sort(missing); table.sort(undeclared)
      assert.are.same({}, missing, case.class .. ": declared in types/ but not offered by " .. what)
      assert.are.same({}, undeclared, what .. " offers functions types/ does not declare for " .. case.class)
    end)
  end

  it("the libcurl client offers every function of helpscout.Client", function()
    local c = require("helpscout").new{ access_token = "x" }
    local missing = {}
    for n in pairs(declared("helpscout.Client")) do
      if type(c[n]) ~= "function" then missing[#missing + 1] = n end
    end
    table.sort(missing)
    assert.are.same({}, missing)
    c:close()
  end)

  it("the parser sees the declarations it checks (a class, a method, an inherited one)", function()
    assert.is_true(DECL["helpscout.triage"].report)
    assert.is_true(DECL["helpscout.Store"].take_state)
    assert.is_true(declared("helpscout.resty.Client").list_conversations)
    assert.is_nil(declared("helpscout.resty.Client").close)
  end)
end)
os.remove(tmp)
