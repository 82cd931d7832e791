-- helpscout.store.common: what every token store shares (DESIGN.md §4) — the error constructor,
-- the option checker, the token shape and its JSON form, and running a function under a lock.
-- One place each; memory.lua, file.lua and redis.lua only move bytes.
local core = require "helpscout.core"
local cjson = require "cjson.safe"

local type, pairs, ipairs, pcall, error, select, setmetatable, tostring = type, pairs, ipairs, pcall, error,
  select, setmetatable, tostring -- luacheck: ignore 211
local unpack = table.unpack or unpack
local concat, sort = table.concat, table.sort
local huge = math.huge

local _M = {}

-- The one error constructor of the stores (core.error once the engine provides it). Stores
-- fail with kind "store" (retryable: the store may come back) or "invalid" (bad input).
local new_error = core.error or function(kind, message, fields)
  local e = { kind = kind, message = message, retryable = kind == "store" }
  for k, v in pairs(fields or {}) do e[k] = v end
  return setmetatable(e, core.Error)
end
_M.error = new_error

function _M.fail(message, fields) return nil, new_error("store", message, fields) end

-- options(spec, opts, fname) -> a copy with defaults applied; the Lua layer's one checker.
local options = require "helpscout.options"
function _M.options(spec, opts, fname)
  local o = options.check(spec, opts, fname, 1, 3)
  return o -- (not a tail call: the error level counts this frame)
end

-- A connection's record: its token, who it is (user_id, email: GET /v2/users/me at connect
-- time) and `dead` (its refresh token was refused: every client sharing the store reports
-- reconsent instead of sending it again).
local FIELDS = { access_token = "string", refresh_token = "string", token_type = "string",
                 expires_at = "number", obtained_at = "number",
                 user_id = "number", email = "string", dead = "boolean" }
_M.IDENTITY = { "user_id", "email" }

-- A clean copy of a token table (known fields only), or nil, reason.
function _M.token(t)
  if type(t) ~= "table" then return nil, "a token must be a table" end
  local out = {}
  for k, ty in pairs(FIELDS) do
    local v = t[k]
    if v ~= nil and type(v) ~= ty or ty == "number" and v and (v ~= v or v == huge or v == -huge) then
      return nil, "token field " .. k .. " must be a " .. (ty == "number" and "finite number" or ty)
    end
    out[k] = v
  end
  if out.access_token == nil and out.refresh_token == nil then
    return nil, "a token needs an access_token or a refresh_token"
  end
  return out
end

-- JSON of a clean token; numbers with all 17 digits (cjson keeps 14: fractions of expires_at
-- would change between save and load). Keys sorted: the same token is always the same text.
function _M.encode(t)
  local keys, parts = {}, {}
  for k in pairs(FIELDS) do if t[k] ~= nil then keys[#keys + 1] = k end end
  sort(keys)
  for i, k in ipairs(keys) do
    local v = t[k]
    parts[i] = cjson.encode(k) .. ":" .. (type(v) == "number" and ("%.17g"):format(v) or cjson.encode(v))
  end
  return "{" .. concat(parts, ",") .. "}"
end

-- decode(s) -> token, or nil, reason (not JSON, or not a token).
function _M.decode(s)
  local v = cjson.decode(s)
  if type(v) ~= "table" then return nil, "not a JSON token object" end
  return _M.token(v)
end

local function pack(...) return { n = select("#", ...), ... } end

-- with_lock(acquire, release, fn): acquire() -> handle | nil, err; runs fn, releases, returns
-- fn's results. An error raised by fn is re-raised after the release.
function _M.with_lock(acquire, release, fn)
  if type(fn) ~= "function" then error("bad argument #1 to 'lock' (function expected)", 3) end
  local handle, err = acquire()
  if not handle then return nil, err end
  local res = pack(pcall(fn))
  release(handle)
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, res.n)
end

-- Connection ids: what may name a file, a Redis key or a dict key without escaping.
_M.DEFAULT = "default"
local MAX_ID = 128

-- id_problem(id) -> nil when id is a valid connection id, else the reason.
function _M.id_problem(id)
  if type(id) ~= "string" then return "a connection id must be a string, got " .. type(id) end
  if #id == 0 or #id > MAX_ID then return "a connection id must have 1 to " .. MAX_ID .. " characters" end
  if not id:match("^[%w][%w._@-]*$") or id:find("..", 1, true) then
    return "a connection id may hold letters, digits and . _ @ - only (no '..'), starting with a letter or digit"
  end
end

function _M.check_id(id, fname, argn, level)
  local why = _M.id_problem(id)
  if why then error(("bad argument #%d to '%s' (%s)"):format(argn or 1, fname, why), (level or 2) + 1) end
  return id
end

-- A state string of the connect flow is kept under a keyed hash of itself, so that a store's
-- content never shows a state that could still be redeemed.
function _M.state_key(state)
  if type(state) ~= "string" or #state < 16 or #state > 512 then return nil end
  return (core.sys.hmac_sha1("helpscout-connect-state", state):gsub(".", function(c)
    return ("%02x"):format(c:byte()) end))
end

-- The key of a state being put (a bad state is a programmer error: raises at put_state's caller).
function _M.put_key(state)
  local k = _M.state_key(state)
  if not k then error("bad argument #1 to 'put_state' (a state of 16 to 512 characters expected)", 3) end
  return k
end

-- Records of states are small JSON objects with their own expiry (epoch seconds).
function _M.encode_state(record, ttl)
  if type(record) ~= "table" then error("bad argument #2 to 'put_state' (table expected)", 3) end
  if type(ttl) ~= "number" or ttl <= 0 then error("bad argument #3 to 'put_state' (ttl seconds expected)", 3) end
  local s = cjson.encode({ record = record, expires_at = core.sys.now() + ttl })
  if not s then error("bad argument #2 to 'put_state' (not JSON-encodable)", 3) end
  return s
end

function _M.decode_state(s)
  local v = type(s) == "string" and cjson.decode(s)
  if type(v) ~= "table" or type(v.record) ~= "table" or type(v.expires_at) ~= "number" then return nil end
  if core.sys.now() >= v.expires_at then return nil end
  return v.record
end

-- The store of one connection, over a root store that keeps many (DESIGN.md §4 "Connections"):
-- the methods every store has (load, save, lock, spend, observe), each passing the connection's
-- id (and its budget's key) to the root's keyed methods. A root has load_conn(id),
-- save_conn(id, t), lock_conn(id, fn), remove_conn(id) (true, also when there was no record; a
-- logout), spend_key(key, cost, now), observe_key(key, o).
local View = {}
View.__index = View

function View:load() return self.root:load_conn(self.id) end
function View:save(t) return self.root:save_conn(self.id, t) end
function View:lock(fn) return self.root:lock_conn(self.id, fn) end
function View:remove() return self.root:remove_conn(self.id) end
function View:spend(cost, now) return self.root:spend_key(self.bkey, cost, now) end
function View:observe(o) return self.root:observe_key(self.bkey, o) end
function View:connection(id, opts) return self.root:connection(id, opts) end
function View:connections() return self.root:connections() end
function View:put_state(...) return self.root:put_state(...) end
function View:take_state(...) return self.root:take_state(...) end
function View:get_doc(name) return self.root:get_doc_conn(self.id, name) end
function View:put_doc(name, doc, lease) return self.root:put_doc_conn(self.id, name, doc, lease) end
function View:lease(name, ttl) return self.root:lease_conn(self.id, name, ttl) end

-- The budget's key: the connection's id, or "=" .. name for a budget several connections of one
-- Help Scout account share ("=" is not a connection-id character: the two never meet).
local function budget_key(id, opts)
  if opts ~= nil and type(opts) ~= "table" then error("bad argument #2 to 'connection' (table expected)", 3) end
  local b = opts and opts.budget
  if b == nil then return id end
  local why = _M.id_problem(b)
  if why then
    error("bad argument #2 to 'connection' (option 'budget': " .. why:gsub("connection id", "budget name") .. ")", 3)
  end
  return "=" .. b
end

-- Adds to a root store class: connection(id, {budget=}) -> the connection's store, and the
-- single-connection methods acting as the connection "default" (what store.file(path) etc. were
-- before connections: their keys and files are unchanged).
function _M.rooted(class)
  function class:connection(id, opts)
    _M.check_id(id, "connection", 1, 2)
    -- a named connection is one person's consent: it never falls back to the app's own
    -- client-credentials token (that would act as the operator's account)
    return setmetatable({ root = self, id = id, bkey = budget_key(id, opts), consent_only = id ~= _M.DEFAULT },
      View)
  end
  function class:load() return self:load_conn(_M.DEFAULT) end
  function class:save(t) return self:save_conn(_M.DEFAULT, t) end
  function class:lock(fn) return self:lock_conn(_M.DEFAULT, fn) end
  function class:remove() return self:remove_conn(_M.DEFAULT) end
  function class:spend(cost, now) return self:spend_key(_M.DEFAULT, cost, now) end
  function class:observe(o) return self:observe_key(_M.DEFAULT, o) end
  function class:get_doc(name) return self:get_doc_conn(_M.DEFAULT, name) end
  function class:put_doc(name, doc, lease) return self:put_doc_conn(_M.DEFAULT, name, doc, lease) end
  function class:lease(name, ttl) return self:lease_conn(_M.DEFAULT, name, ttl) end
  return class
end

-- Documents and leases (hs:changes keeps its cursors with them; doc/changes.md): per connection,
-- a small JSON object under a name (get_doc(name) -> table | nil | nil, err; put_doc(name, doc,
-- lease?) -> true | nil, err) and a long-lived lock per name (lease(name, ttl) -> a lease with
-- renew() and release(), or nil, err of kind "busy" while a live holder has it). put_doc with a
-- lease writes only while that lease still holds (else nil, err with `lost = true`): a holder
-- that lost its lease can never move a cursor its successor owns. Names: as connection ids.
function _M.check_doc(name, fname, doc)
  local why = _M.id_problem(name)
  if why then error(("bad argument #1 to '%s' (%s)"):format(fname, why:gsub("a connection id", "a name")), 3) end
  if doc == nil then return name end
  local s = type(doc) == "table" and cjson.encode(doc)
  if not s then error(("bad argument #2 to '%s' (a JSON-encodable table expected)"):format(fname), 3) end
  return s
end

function _M.decode_doc(s, where)
  if not s then return nil end
  local v = cjson.decode(s)
  if type(v) ~= "table" then return _M.fail(where .. " does not hold a JSON document; it was left as it is") end
  return v
end

function _M.busy(name, holder)
  return nil, new_error("busy", ("'%s' is held by another consumer (%s)"):format(name, tostring(holder or "?")),
    { holder = holder })
end

function _M.lost(name)
  return _M.fail(("the lease of '%s' was lost (its ttl passed; another consumer may hold it)"):format(name),
    { lost = true })
end

function _M.check_ttl(ttl)
  if type(ttl) ~= "number" or ttl < 1 or ttl ~= ttl or ttl == huge then
    error("bad argument #2 to 'lease' (ttl: seconds >= 1 expected)", 3)
  end
  return ttl
end

-- A lease object: holder (a string naming it), renew() -> true | nil, err (lost), release()
-- (idempotent; also on __close and, in Lua 5.4, __gc).
local Lease = {}
Lease.__index = Lease
function Lease:renew() if self.released then return _M.lost(self.name) end return self.on_renew(self) end
function Lease:release()
  if self.released then return end
  self.released = true
  self.on_release(self)
end
Lease.__close = Lease.release
Lease.__gc = Lease.release

function _M.new_lease(name, holder, on_renew, on_release)
  return setmetatable({ name = name, holder = holder, on_renew = on_renew, on_release = on_release }, Lease)
end

-- Hex of n random bytes (lock tokens).
function _M.random_hex(n)
  return (core.sys.random(n):gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

return _M
