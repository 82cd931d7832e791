-- helpscout.oauth: the authorization-code connect flow for any Lua web app (helpscout-api.md
-- §2.2, DESIGN.md §4 "The connect flow"). Help Scout's consent screen redirects to the app's
-- Redirection URL (e.g. /oauth/callback/help-scout) with ?code=&state= or ?error=access_denied.
--
--   local url, state = oauth.start{ store = st, client_id = ID, connection = "alice" }
--   -- redirect the person to url; the state is kept in the store, single use, 10 minutes
--   local token, info = oauth.callback(query, { store = st, client_id =, client_secret =,
--                                               allow = { "@example.com" } })
--   -- info = { connection = "alice", user = { id =, email = }, data = <start's data> }
--
-- Trust rules, in the order callback applies them (each refusal discards the token; nothing is
-- saved):
-- * only a state this store issued and nobody consumed is accepted (taken at once, even when the
--   callback carries an error, so that no state is ever redeemed twice);
-- * when start recorded a principal (the person the application authenticated), the callback
--   must be made by the same principal;
-- * after the exchange, GET /v2/users/me names who consented: a user outside `allow`, or a user
--   other than the one the connection already belongs to (unless `replace`), is refused;
-- * the token is saved in the connection's record with who it is; a new record clears a dead
--   refresh mark.
-- Errors are kind "auth" with a `reason` (access_denied, denied, state_mismatch,
-- principal_mismatch, missing_code, not_allowed, other_user) or the exchange's/store's own
-- error; no code, state, token or secret ever appears in one. The I/O (code exchange, whoami)
-- is libcurl here; the nginx handler passes its cosocket versions to the same `finish`.
local helpscout = require "helpscout"
local core = require "helpscout.core"
local common = require "helpscout.store.common"

local type, getenv, pairs, ipairs, tostring, error, pcall = type, os.getenv, pairs, ipairs, tostring, error,
  pcall
local char, tonumber, lower = string.char, tonumber, string.lower

local _M = { STATE_TTL = 600 }

local function is_store(v)
  return type(v) == "table" and type(v.put_state) == "function" and type(v.take_state) == "function"
    and type(v.connection) == "function"
end

local START = {
  store = { type = "table" },                     -- where the state is kept (any store)
  client_id = { type = "string", nonempty = true },
  state = { type = "string", nonempty = true },
  authorize_url = { type = "string", nonempty = true },
  connection = { type = "string" },               -- the connection to fill (default: "default")
  principal = { type = "string" },                -- who started the flow (the callback must match)
  data = { type = "table" },                      -- kept with the state, handed back by callback
}

local CALLBACK = {
  store = { type = "table" },
  client_id = { type = "string", nonempty = true },
  client_secret = { type = "string", nonempty = true },
  base_url = { type = "string", nonempty = true },
  principal = { type = "string" },
  allow = { type = "any" },                       -- e-mails/@domains, or function(user) -> bool
  replace = { type = "boolean" },                 -- let another Help Scout user take the connection
  connection = { type = "any" },                  -- id, or function(user, data) -> id
}

local function env(name)
  local v = getenv(name)
  if v == "" then return nil end
  return v
end

local function need_store(o, fname)
  if not is_store(o.store) then
    error(("bad argument #%d to '%s' (option 'store' is required: a store that keeps connections and states)")
      :format(fname == "start" and 1 or 2, fname), 4)
  end
end

-- start{store=, client_id=, connection=?, principal=?, data=?, state=?, authorize_url=?} -> url,
-- state. The endpoint comes from opts, else HELPSCOUT_AUTHORIZE_URL (the sandbox's stand-in in
-- tests), else Help Scout's. Returns nil, err when the store cannot keep the state.
function _M.start(opts)
  local o = common.options(START, opts, "start")
  need_store(o, "start")
  if o.connection ~= nil then common.check_id(o.connection, "start", 1, 2) end
  local url, state = helpscout.authorize_url{ client_id = o.client_id, state = o.state,
    authorize_base = o.authorize_url or env("HELPSCOUT_AUTHORIZE_URL") }
  local ok, err = o.store:put_state(state, { connection = o.connection, principal = o.principal,
    data = o.data }, _M.STATE_TTL)
  if not ok then return nil, err end
  return url, state
end

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- A query string ("code=..&state=..", with or without "?") or a table -> a table of strings: a
-- parameter given twice (a table value) counts as absent, never as its first or last value.
local function query_table(q)
  local t = {}
  if type(q) == "table" then
    for k, v in pairs(q) do if type(v) == "string" then t[k] = v end end
    return t
  end
  local seen = {}
  for k, v in tostring(q):gsub("^%?", ""):gmatch("([^&=]+)=?([^&]*)") do
    k = unescape(k)
    if seen[k] then t[k] = nil else t[k], seen[k] = unescape(v), true end
  end
  return t
end

local function denied(reason, message)
  return nil, core.error("auth", message, { reason = reason })
end

-- The callback's verdict before any exchange: the state's record and the code, or nil, err.
local function check(store, q, principal)
  local rec = type(q.state) == "string" and store:take_state(q.state) -- consumed whatever follows
  if q.error ~= nil then
    if q.error == "access_denied" then
      return denied("access_denied", "the user declined the authorization on Help Scout's consent screen")
    end
    local name = type(q.error) == "string" and q.error:match("^[%w_%-%.]+$") and q.error:sub(1, 64) or "unknown"
    return denied("denied", "the authorization failed: " .. name)
  end
  if not rec then
    return denied("state_mismatch", "the callback's state was not issued here, was used already or expired")
  end
  if rec.principal ~= nil and not (type(principal) == "string" and core.sys.equal(principal, rec.principal)) then
    return denied("principal_mismatch", "the connect flow was started by someone else")
  end
  if type(q.code) ~= "string" or q.code == "" then
    return denied("missing_code", "the callback has no authorization code")
  end
  return rec, q.code
end

-- allow: nil (anyone), a function(user) -> truthy, or a list of e-mails ("a@b.c") and domains
-- ("@b.c" or "b.c"), compared without letter case.
local function allowed(allow, user)
  if allow == nil then return true end
  if type(allow) == "function" then return allow(user) and true or false end
  local email = type(user.email) == "string" and lower(user.email) or ""
  local domain = email:match("@([^@]+)$")
  for _, a in ipairs(allow) do
    a = lower(tostring(a))
    if a == email or domain and (a == "@" .. domain or a == domain) then return true end
  end
  return false
end

local function pick_connection(o, rec, user)
  local id = o.connection
  if type(id) == "function" then id = id(user, rec.data) end
  id = id or rec.connection or common.DEFAULT
  local why = common.id_problem(id)
  if why then return nil, core.error("invalid", "the connection id for this user: " .. why) end
  return id
end

-- The refusals that need who consented; then the save. Returns the connection's id or nil, err.
local function admit(o, rec, user, tok)
  if not allowed(o.allow, user) then
    return denied("not_allowed", "this Help Scout user may not connect here")
  end
  local id, err = pick_connection(o, rec, user)
  if not id then return nil, err end
  local conn = o.store:connection(id)
  local existing
  existing, err = conn:load()
  if err then return nil, err end
  if existing and existing.user_id and existing.user_id ~= user.id and not o.replace then
    return denied("other_user", "this connection belongs to another Help Scout user; it was left as it is")
  end
  local record = {}
  for k, v in pairs(tok) do record[k] = v end
  record.user_id, record.email, record.dead = user.id, user.email, nil
  local ok, serr = conn:save(record)
  if not ok then
    serr.message = "authorized, but the token could not be saved (connect again once the store works): "
      .. tostring(serr.message)
    return nil, serr
  end
  return id
end

-- finish(query, opts, io) -> token, info | nil, err: the callback's rule for every driver; io =
-- { exchange = function(code) -> token | nil, err, whoami = function(token) -> user | nil, err }.
function _M.finish(query, o, io)
  local rec, code = check(o.store, query_table(query), o.principal)
  if not rec then return nil, code end
  local tok, err = io.exchange(code)
  if not tok then return nil, err end
  local user
  user, err = io.whoami(tok)
  if not user then return nil, err end
  if type(user.id) ~= "number" then return nil, core.error("protocol", "/v2/users/me did not name a user id") end
  local id
  id, err = admit(o, rec, { id = user.id, email = user.email }, tok)
  if not id then return nil, err end
  return tok, { connection = id, user = { id = user.id, email = user.email }, data = rec.data }
end

-- The libcurl I/O of the flow.
local function curl_io(o)
  local io = {}
  function io.exchange(code)
    return helpscout.exchange_code{ client_id = o.client_id, client_secret = o.client_secret,
      base_url = o.base_url, code = code }
  end
  function io.whoami(tok)
    local hs = helpscout.new{ access_token = tok.access_token, base_url = o.base_url, retries = 1 }
    local ok, user, err = pcall(hs.whoami, hs)
    hs:close()
    if not ok then return nil, core.error("protocol", "whoami failed") end
    return user, err
  end
  return io
end

-- callback(query, opts) -> token, info | nil, err. opts: store (required), client_id,
-- client_secret, base_url (env HELPSCOUT_* as defaults), principal, allow, replace, connection.
function _M.callback(query, opts)
  local o = common.options(CALLBACK, opts, "callback")
  need_store(o, "callback")
  if type(query) ~= "table" and type(query) ~= "string" then
    error("bad argument #1 to 'callback' (query table or string expected)", 2)
  end
  if o.allow ~= nil and type(o.allow) ~= "table" and type(o.allow) ~= "function" then
    error("bad argument #2 to 'callback' (option 'allow' must be a list of e-mails/domains or a function)", 2)
  end
  o.base_url = o.base_url or env("HELPSCOUT_BASE_URL")
  return _M.finish(query, o, curl_io(o))
end

return _M
