-- helpscout: public entry of lua-helpscout (DESIGN.md §4).
--
--   local helpscout = require "helpscout"
--   local hs = helpscout.new{ client_id = ..., client_secret = ... }
--   local items, page = hs:list_conversations{ status = "active" }
--
-- The work is done by the C core (helpscout.core); this file only applies the environment
-- defaults (HELPSCOUT_CLIENT_ID, HELPSCOUT_CLIENT_SECRET, HELPSCOUT_BASE_URL) to a copy of the
-- options. Option names and types are checked by the core: unknown keys raise.
local core = require "helpscout.core"

local getenv, type, pairs, error, pcall, require, setmetatable, tostring =
  os.getenv, type, pairs, error, pcall, require, setmetatable, tostring

local _M = {
  VERSION = core.VERSION,
  schema = core.schema,     -- the tool table as data (doc/engine.md)
  Error = core.Error,       -- metatable shared by every error object
  error = core.error,       -- the one error constructor: error(kind, message, fields?)
  is_error = core.is_error, -- true for every error object of this library
  kinds = core.kinds,       -- the registry of error kinds
  engine = core.engine,     -- the sans-I/O engine, for drivers written in Lua
}

-- Submodules loaded on first use: helpscout.store, helpscout.tools, helpscout.triage, ...
local lazy = { store = true, tools = true, triage = true, webhook = true, oauth = true }
setmetatable(_M, { __index = function(t, k)
  if not lazy[k] then return nil end
  local m = require("helpscout." .. k)
  t[k] = m
  return m
end })

local function env(name)
  local v = getenv(name)
  if v == "" then return nil end
  return v
end

local function copy_opts(fname, opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error(("bad argument #1 to '%s' (table expected, got %s)"):format(fname, type(opts)), 3)
  end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  return o
end

-- Calls a core constructor so that an argument error names the public function and points at
-- the caller's line: the C checker is told both (core.named), nothing is rewritten.
-- Credentials in base_url are refused here: they would be repeated in every error's url field.
local function call_core(fname, f, o)
  local url = o.base_url
  if type(url) == "string" and url:match("^%a[%w+.-]*://[^/?#]*@") then
    error(("bad argument #1 to '%s' (option 'base_url' must not contain credentials)"):format(fname), 3)
  end
  local res, extra = core.named(fname, 0, 3, f, o) -- level 3: our caller's caller (no tail
  return res, extra                                 -- calls on the way: they drop frames)
end

-- helpscout.new(opts?) -> client. Without client_id/client_secret/base_url in opts, the
-- HELPSCOUT_* environment variables are used. Raises on bad options.
-- helpscout.defaults(o) -> o: the HELPSCOUT_* environment applied to the option table o (in place)
-- where o leaves them out; the one place of that rule for every driver (libcurl, OpenResty).
function _M.defaults(o)
  if o.access_token == nil or o.refresh_token ~= nil then
    if o.client_id == nil then o.client_id = env("HELPSCOUT_CLIENT_ID") end
    if o.client_secret == nil then o.client_secret = env("HELPSCOUT_CLIENT_SECRET") end
  end
  if o.base_url == nil then o.base_url = env("HELPSCOUT_BASE_URL") end
  return o
end

-- helpscout.scope(fname, o) -> o: options `connection` and `budget` replaced by the store of that
-- connection (DESIGN.md §4 "Connections"); the one place of that rule for every driver.
function _M.scope(fname, o, level)
  local id, b = o.connection, o.budget
  o.connection, o.budget = nil, nil
  if id == nil and b == nil then return o end
  level = (level or 2) + 1
  local function bad(msg) error(("bad argument #1 to '%s' (%s)"):format(fname, msg), level + 1) end
  local store = o.store
  if type(store) ~= "table" or type(store.connection) ~= "function" then
    bad("options 'connection' and 'budget' need a 'store' that keeps connections")
  end
  id = id == nil and "default" or id
  local why = require("helpscout.store.common").id_problem(id)
  if why then bad("option 'connection': " .. why) end
  if b ~= nil then
    why = require("helpscout.store.common").id_problem(b)
    if why then bad("option 'budget': " .. why:gsub("connection id", "budget name")) end
  end
  o.store = store:connection(id, { budget = b })
  return o
end

function _M.new(opts)
  local client = call_core("new", core.new, _M.defaults(_M.scope("new", copy_opts("new", opts))))
  return client
end

-- helpscout.authorize_url{client_id=, state=?, authorize_base=?} -> url, state
-- A random state (128 bits, hex) is generated when none is given; compare it in the callback.
function _M.authorize_url(opts)
  local o = copy_opts("authorize_url", opts)
  if o.client_id == nil then o.client_id = env("HELPSCOUT_CLIENT_ID") end
  local url, state = call_core("authorize_url", core.authorize_url, o)
  return url, state
end

-- helpscout.exchange_code{client_id=, client_secret=, code=, base_url=?, store=?} -> token or
-- nil, err. With a store, the token is saved there before it is returned.
function _M.exchange_code(opts)
  local o = copy_opts("exchange_code", opts)
  if o.client_id == nil then o.client_id = env("HELPSCOUT_CLIENT_ID") end
  if o.client_secret == nil then o.client_secret = env("HELPSCOUT_CLIENT_SECRET") end
  if o.base_url == nil then o.base_url = env("HELPSCOUT_BASE_URL") end
  local store = o.store
  o.store = nil
  local tok, err = call_core("exchange_code", core.exchange_code, o)
  if tok and store then
    local ok, saved, serr = pcall(store.save, store, tok)
    if not ok or not saved then
      return nil, core.error("store", "the token could not be saved: " .. tostring(ok and serr or saved))
    end
  end
  return tok, err
end


return _M
