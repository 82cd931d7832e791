-- helpscout.oauth: the authorization-code connect flow for any Lua web app (helpscout-api.md
-- §2.2, DESIGN.md §4). Help Scout's consent screen redirects to the app's Redirection URL
-- (e.g. /oauth/callback/help-scout) with ?code=&state= or ?error=access_denied.
--
--   local url, state = oauth.start{ client_id = ID }          -- keep state (cookie, session)
--   local token, err = oauth.callback(query, { client_id =, client_secret =, state = kept,
--                                              store =, base_url = })
--
-- The state is compared in constant time; the code is exchanged by helpscout.exchange_code and
-- the token saved to the store before it is returned. Errors are kind "auth" with a `reason`
-- (access_denied, denied, state_mismatch, missing_code) or the exchange's/store's own error;
-- no code, state, token or secret ever appears in one.
local helpscout = require "helpscout"
local core = require "helpscout.core"
local common = require "helpscout.store.common"

local type, getenv, pairs, tostring, error = type, os.getenv, pairs, tostring, error
local char, tonumber = string.char, tonumber

local _M = {}

local START = {
  client_id = { type = "string", nonempty = true },
  state = { type = "string", nonempty = true },
  authorize_url = { type = "string", nonempty = true },
}

local CALLBACK = {
  client_id = { type = "string", nonempty = true },
  client_secret = { type = "string", nonempty = true },
  state = { type = "string", nonempty = true },   -- the state start() returned (required)
  store = { type = "table" },                     -- where the token is saved (any store)
  base_url = { type = "string", nonempty = true },
}

local function env(name)
  local v = getenv(name)
  if v == "" then return nil end
  return v
end

-- start{client_id=, state=?, authorize_url=?} -> consent URL, state. The endpoint comes from
-- opts, else HELPSCOUT_AUTHORIZE_URL (the sandbox's stand-in in tests), else Help Scout's.
function _M.start(opts)
  local o = common.options(START, opts, "start")
  return helpscout.authorize_url{ client_id = o.client_id, state = o.state,
    authorize_base = o.authorize_url or env("HELPSCOUT_AUTHORIZE_URL") }
end

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- A query string ("code=..&state=..", with or without "?") or a table of strings -> a table.
local function query_table(q)
  if type(q) == "table" then return q end
  local t = {}
  for k, v in tostring(q):gsub("^%?", ""):gmatch("([^&=]+)=?([^&]*)") do
    t[unescape(k)] = unescape(v)
  end
  return t
end

local function denied(reason, message)
  return nil, common.error("auth", message, { reason = reason })
end

-- The callback's verdict before any exchange: the code, or nil, err.
local function check(q, expected)
  local e = q.error
  if e ~= nil then
    if e == "access_denied" then
      return denied("access_denied", "the user declined the authorization on Help Scout's consent screen")
    end
    local name = type(e) == "string" and e:match("^[%w_%-%.]+$") and e:sub(1, 64) or "unknown"
    return denied("denied", "the authorization failed: " .. name)
  end
  local state = q.state
  if type(state) ~= "string" or not core.sys.equal(state, expected) then
    return denied("state_mismatch", "the callback's state does not match the one this flow started with")
  end
  if type(q.code) ~= "string" or q.code == "" then
    return denied("missing_code", "the callback has no authorization code")
  end
  return q.code
end

-- callback(query, opts) -> token | nil, err
function _M.callback(query, opts)
  local o = common.options(CALLBACK, opts, "callback")
  if not o.state then error("bad argument #2 to 'callback' (option 'state' is required)", 2) end
  if type(query) ~= "table" and type(query) ~= "string" then
    error("bad argument #1 to 'callback' (query table or string expected)", 2)
  end
  local code, err = check(query_table(query), o.state)
  if not code then return nil, err end
  local ex = { code = code }
  for k, v in pairs(o) do if k ~= "store" and k ~= "state" then ex[k] = v end end
  local tok
  tok, err = helpscout.exchange_code(ex)
  if not tok then return nil, err end
  if o.store then
    local ok, serr = o.store:save(tok)
    if not ok then
      serr.message = "authorized, but the token could not be saved (log in again once the store works): "
        .. tostring(serr.message)
      return nil, serr
    end
  end
  return tok
end

return _M
