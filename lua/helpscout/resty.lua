-- helpscout.resty: the Help Scout client on OpenResty cosockets (DESIGN.md §5). Same methods,
-- returns and error tables as `require "helpscout"`, but every request goes out through
-- ngx.socket.tcp (helpscout.resty.http), so a call never blocks the nginx worker.
--
--   local resty = require "helpscout.resty"
--   local hs = resty.new{ client_id = ..., client_secret = ..., shdict = "helpscout" }
--   local items, page = hs:list_conversations{ status = "active" }
--
-- This file only EXECUTES the engine's actions (doc/engine.md): SEND -> one HTTP request,
-- WAIT -> ngx.sleep, TOKEN -> helpscout.renew.run (the single-flight rule) with a send over
-- cosockets, DONE -> the tool's results. Every retry, token, pacing and paging decision is the
-- engine's (core.engine) or helpscout.renew's; nothing here decides one.
--
-- Invariants:
-- * A call needs cosockets: from init_by_lua*, set_by_lua*, log_by_lua*, header/body filters
--   and init_worker_by_lua* it raises a clear error naming the phase instead of hanging.
-- * One client may be used by several light threads at once (fetch_all does): renewals of one
--   client run one at a time (a semaphore), so a second thread waiting for a token sees the
--   first one's result through the store instead of granting again.
-- * A store's rate budget (spend/observe, when the store has them) is shared data the driver
--   carries between the store and the engine; it waits only the seconds the store answers.
local core = require "helpscout.core"
local http = require "helpscout.resty.http"
local shdict = require "helpscout.resty.shdict"

local ngx = ngx -- luacheck: ignore
local type, pairs, ipairs, error, pcall, setmetatable, tostring, tonumber, require, select =
  type, pairs, ipairs, error, pcall, setmetatable, tostring, tonumber, require, select
local unpack = table.unpack or unpack -- luacheck: ignore 113
local random = math.random

local _M = { VERSION = core.VERSION, store = { shdict = shdict.new } }
local mt = {}
mt.__index = mt

-- The one error constructor of this module (core.error once the engine provides it).
local function err(kind, message, fields)
  if core.error then return core.error(kind, message, fields) end
  local e = { kind = kind, message = message, retryable = false }
  for k, v in pairs(fields or {}) do e[k] = v end
  return setmetatable(e, core.Error)
end
_M.error = err

-- Phases in which cosockets (and ngx.sleep, ngx.thread) work.
local YIELDABLE = { rewrite = true, access = true, content = true, timer = true, ssl_cert = true,
  ssl_session_fetch = true, ssl_client_hello = true, preread = true }

local function check_phase(fname)
  local phase = ngx.get_phase()
  if YIELDABLE[phase] then return end
  if phase == "init_worker" then
    error(("helpscout.resty: '%s' needs cosockets, which init_worker_by_lua* does not have; "
      .. "run it from a timer: ngx.timer.at(0, function() ... end)"):format(fname), 3)
  end
  error(("helpscout.resty: '%s' needs cosockets, which the '%s' phase does not have; call it from "
    .. "rewrite/access/content_by_lua* or an ngx.timer.at callback"):format(fname, phase), 3)
end
_M.check_phase = check_phase

local function now()
  ngx.update_time()
  return ngx.now()
end

-- Options of the driver (the rest are the engine's, checked by core.engine.new).
local DRIVER = { timeout = "number", connect_timeout = "number", on_token = "function",
  store = "table", shdict = "string", keepalive = "number", pool_size = "number" }

local function split_options(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(opts)), 3)
  end
  local drv, eng = {}, {}
  for k, v in pairs(opts or {}) do
    local want = DRIVER[k]
    if k == "connection" or k == "budget" then
      drv[k] = v -- checked by helpscout.scope, the rule both drivers share
    elseif want then
      if type(v) ~= want or (want == "number" and v <= 0) then
        error(("bad argument #1 to 'new' (option '%s' must be a %s%s)"):format(k,
          want == "number" and "positive " or "", want), 3)
      end
      drv[k] = v
    else
      eng[k] = v
    end
  end
  if drv.store and drv.shdict then error("bad argument #1 to 'new' (give 'store' or 'shdict', not both)", 3) end
  return drv, eng
end

-- The HELPSCOUT_* environment defaults, by helpscout.new's own rule (in nginx a variable is
-- only visible when the configuration names it: `env HELPSCOUT_CLIENT_ID;`).
local function env_defaults(o) return require("helpscout").defaults(o) end

-- Raises an argument error from a core function at the caller's caller (level 3), without this
-- file's position, under the public name: the engine numbers the arguments of eng:call(tool,
-- ...) or eng:pager(tool, opts), the user those of hs:<fname>(...) (`shift` fewer). `given`:
-- how many arguments the user passed (a missing one is "no value", as the libcurl client says).
local function reraise(res, fname, shift, given)
  if type(res) ~= "string" then error(res, 0) end
  res = res:gsub("^[^:\n]*:%d+: ", "")
  local k = tonumber(res:match("^bad argument #(%d+) to '[^']*'"))
  if k and fname then
    k = k - (shift or 0)
    res = res:gsub("^bad argument #%d+ to '[^']*'", ("bad argument #%d to '%s'"):format(k, fname))
    if given and k > given then res = res:gsub("got nil%)", "got no value)") end
  end
  error(res, 3)
end

-- resty.new(opts?) -> client. The options of helpscout.new plus `shdict` (the name of a
-- lua_shared_dict: the token store and the rate budget of every worker), `keepalive` (idle
-- seconds in the connection pool, 60) and `pool_size` (32). Does no I/O: any phase may call it.
function _M.new(opts)
  local drv, eopts = split_options(opts)
  env_defaults(eopts)
  local ok, eng = pcall(core.engine.new, eopts)
  if not ok then reraise(eng, "new") end
  local store = drv.store
  if drv.shdict then store = shdict.new(drv.shdict) end
  store = require("helpscout").scope("new", { store = store, connection = drv.connection,
    budget = drv.budget }).store
  return setmetatable({ eng = eng, store = store, on_token = drv.on_token,
    timeout = drv.timeout or 30, connect_timeout = drv.connect_timeout or 10,
    keepalive = drv.keepalive, pool_size = drv.pool_size }, mt)
end

-- Executes a SEND action. Returns the engine's outcome. With a store that carries a rate budget,
-- helpscout.store.budget.gate first waits what the store answers (as the libcurl client does).
function mt:send(a)
  local store = self.store
  if store and store.spend and store.observe then
    require("helpscout.store.budget").gate(store, a.write and 2 or 1, ngx.sleep, now) -- writes cost 2
  end
  local out = http.request{ method = a.method, url = a.url, headers = a.headers, body = a.body,
    fresh_connection = a.fresh_connection, timeout = self.timeout,
    connect_timeout = self.connect_timeout, keepalive = self.keepalive, pool_size = self.pool_size }
  out.now, out.rnd = now(), random()
  return out
end

-- Executes a TOKEN action through helpscout.renew (one renewal of this client at a time).
function mt:renew(a)
  local renew = require "helpscout.renew"
  local sema = self.sema
  if not sema then
    sema = require("ngx.semaphore").new(1)
    self.sema = sema
  end
  local got = sema:wait(self.timeout * 4)
  if a.generation ~= self.eng:generation() and self.eng:token() then
    -- another light thread of this client renewed while this one waited: the engine's token
    -- changed since it asked (its generation contract), so feed it the current one
    if got then sema:post(1) end
    return { now = now(), token = self.eng:token() }
  end
  local ok, tok, e = pcall(renew.run, self.eng, self.store, a, function(req) return self:send(req) end,
    self.on_token)
  if got then sema:post(1) end
  if not ok then error(tok, 0) end -- on_token raised: the caller sees it (the token is kept)
  if tok then return { now = now(), token = tok } end
  return { now = now(), error = e }
end

-- Runs one engine call to DONE and returns the DONE action. After each response the engine's
-- view of the rate budget goes to the store (helpscout.store.budget.share, as the libcurl client).
function mt:drive(call)
  local store = self.store
  local share = store and store.spend and store.observe and require("helpscout.store.budget").share
  local outcome = { now = now(), rnd = random() }
  while true do
    local a = call:step(outcome)
    if share and outcome.status then share(store, self.eng:rate(), outcome.now) end
    local kind = a.action
    if kind == "SEND" then outcome = self:send(a)
    elseif kind == "WAIT" then ngx.sleep(a.seconds); outcome = { now = now(), rnd = random() }
    elseif kind == "TOKEN" then outcome = self:renew(a)
    elseif kind == "DONE" then return a
    else error("helpscout.resty: unknown engine action " .. tostring(kind)) end
  end
end

local function results(a)
  if a.ok then return unpack(a, 1, a.n) end
  return nil, a.error
end

-- The nine tools, from the engine's table, and whoami (a client method outside the table):
-- hs:<name>(...) -> the tool's results or nil, err.
local methods = { "whoami" }
for _, tool in ipairs(core.schema) do methods[#methods + 1] = tool.name end
for _, name in ipairs(methods) do
  mt[name] = function(self, ...)
    check_phase(name)
    local ok, call = pcall(self.eng.call, self.eng, name, ...)
    if not ok then reraise(call, name, 2, select("#", ...)) end
    return results(self:drive(call))
  end
end

local function pager(self, fname, tool, opts, callopts)
  check_phase(fname)
  local ok, p = pcall(self.eng.pager, self.eng, tool, opts, callopts)
  if not ok then reraise(p, fname, 1) end
  return p
end

-- Drives a pager's call and accepts it: items, page or nil, err.
local function page_of(self, p, call)
  return p:accept(call, self:drive(call))
end

-- hs:pages(tool, opts?, {fields =}?) -> iterator of items, page; raises the error table on a
-- failure.
function mt:pages(tool, opts, callopts)
  local p = pager(self, "pages", tool, opts, callopts)
  return function()
    local call = p:next_call()
    if not call then return nil end
    local items, page = page_of(self, p, call)
    if not items then error(page, 2) end
    return items, page
  end
end

-- hs:each(tool, opts?, {fields =}?) -> iterator of items over every page; raises the error table
-- on a failure.
function mt:each(tool, opts, callopts)
  local p = pager(self, "each", tool, opts, callopts)
  local items, i = {}, 0
  return function()
    while i >= #items do
      local call = p:next_call()
      if not call then return nil end
      local page
      items, page = page_of(self, p, call)
      if not items then error(page, 2) end
      i = 0
    end
    i = i + 1
    return items[i]
  end
end

local function append(all, items)
  for i = 1, #items do all[#all + 1] = items[i] end
end

-- Pages after the first, by number, on `conc` light threads, joined into `all` in page order by
-- the pager (which also decides which page comes next and when the walk is over). Returns nil
-- or the first error; re-raises an error raised inside (on_token failing).
local function fetch_parallel(self, p, conc, all)
  local wake = require("ngx.semaphore").new(0)
  local failure, raised
  local function step()
    local n = p:next_page(2 * conc) -- at most 2 * conc pages ahead of the join, as the C driver
    if n then
      local call = p:page_call(n)
      local ok, e = p:accept_page(n, call, self:drive(call))
      if not ok then failure = failure or e; return true end
    end
    local _, finished = p:take(all) -- joined straight into the result: no table per page
    if n then
      local waiting = -wake:count() -- wake the threads waiting for the window to move
      if waiting > 0 then wake:post(waiting) end
    elseif not finished then
      wake:wait(0.05)
    end
    return finished
  end
  local function worker()
    while not failure and raised == nil do
      local ok, fin = pcall(step)
      if not ok then raised = fin; return end
      if fin then return end
    end
  end
  local threads = {}
  for i = 1, conc do threads[i] = ngx.thread.spawn(worker) end
  for i = 1, conc do ngx.thread.wait(threads[i]) end
  if raised ~= nil then error(raised, 0) end
  return failure
end

-- hs:fetch_all(tool, opts?, {concurrency = 1..8 (default 4), fields =}) -> every item in page
-- order (ids deduplicated), or nil, err. Page 1 first; then pages by number on light threads when
-- the pager allows a parallel walk, else the next links one by one.
function mt:fetch_all(tool, opts, fopts)
  local ok, fo = pcall(core.check_options, { concurrency = { type = "integer", min = 1, max = 8 },
    fields = { type = "any" } }, fopts, "fetch_all", 3)
  if not ok then reraise(fo, "fetch_all") end
  local conc = fo.concurrency or 4
  local p = pager(self, "fetch_all", tool, opts, fo.fields ~= nil and { fields = fo.fields } or nil)
  local all, call = {}, p:next_call()
  if not call then return all end
  local items, page = page_of(self, p, call)
  if not items then return nil, page end
  append(all, items)
  if #items > 0 and p:parallel(page) then
    local e = fetch_parallel(self, p, conc, all)
    if e then return nil, e end
    return all
  end
  while true do
    call = p:next_call()
    if not call then return all end
    items, page = page_of(self, p, call)
    if not items then return nil, page end
    append(all, items)
  end
end

-- hs:token() -> a copy of the current token (renewed first when the engine says it is missing or
-- due), or nil, err.
function mt:token()
  check_phase("token")
  local t = now()
  if self.eng:due(nil, t) then
    local need = self.eng:token() and "due" or "missing"
    local out = self:renew{ action = "TOKEN", need = need, generation = self.eng:generation() }
    if out.error then return nil, out.error end
  end
  return self.eng:token()
end

-- Handlers for nginx locations (helpscout/resty/handlers.lua).
-- hs:changes(opts) -> every conversation changed since the named cursor in this client's store
-- (helpscout.changes, the same iterator as the libcurl client's; doc/changes.md).
function mt:changes(opts)
  check_phase("changes")
  return require("helpscout.changes").iterate(self, self.store, opts)
end

-- resty.changes_poller{name=, client=, handle=, interval=, ...} -> a poller: start() from
-- init_worker_by_lua*, offer(data) from a webhook handler (helpscout.resty.changes).
function _M.changes_poller(opts) return require("helpscout.resty.changes").new(opts) end

function _M.oauth_handler(opts) return require("helpscout.resty.handlers").oauth(opts) end
function _M.webhook_handler(opts) return require("helpscout.resty.handlers").webhook(opts) end

return _M
