-- helpscout.renew: the single-flight renewal rule (DESIGN.md §3, doc/engine.md "Renewal"),
-- written once and run by every driver for a TOKEN action.
--
--   local tok, err = require("helpscout.renew").run(eng, store, action, send, on_token)
--
-- eng is a core engine (token state, no I/O); send(request) executes a SEND action and returns
-- its outcome; store may be nil (the client's memory). The rule:
--   1. load; a token in the store that is not the engine's and not due was renewed by another
--      process: adopt it, no grant.
--   2. otherwise, holding the store's lock: load again; adopt a different token (its refresh
--      token is the live one); grant only if it is still due (or the engine's token was
--      rejected); re-send once when the answer was lost in transit (err.resend);
--   3. save the new token BEFORE anything else (then on_token): a rotated refresh token is only
--      ever used after it is persisted;
--   4. a refresh answered invalid_request/invalid_grant (reconsent) loads the store once more
--      before reporting: another process (or a person logging in) may have rotated it.
--   5. a store that fails before any new token (unreachable, lock timeout) does not stop calls
--      while the engine's token is merely due, not expired: it is returned and used as is.
--   6. a refresh token refused for good is marked dead in its record (under the lock, only if
--      the record still holds that token): every later client, process or worker sharing the
--      store reports reconsent at once and never sends it again, and none of them takes the
--      lock for it. A new connect (a new record) clears the mark.
--   7. a granted token keeps the connection's identity (user_id, email) in its record.
--   8. a named connection (not "default") is one person's consent: without a refresh token it
--      is "not connected" (kind auth), never filled with the app's client-credentials token.
-- Otherwise a store failure is returned (kind "store"); the engine keeps the token it holds, so
-- nothing held is lost, and a token granted but not saved still reaches on_token.
local core = require "helpscout.core"

local now = core.sys.now
local pcall, error, tostring, ipairs = pcall, error, tostring, ipairs
local IDENTITY = require("helpscout.store.common").IDENTITY

local _M = {}

-- The engine takes the token fields of a record (not who it is, nor its dead mark).
local TOKEN_FIELDS = { "access_token", "refresh_token", "token_type", "expires_at", "obtained_at" }
local function set(eng, rec)
  local t = {}
  for _, k in ipairs(TOKEN_FIELDS) do t[k] = rec[k] end
  eng:set_token(t)
end

-- a and b hold different tokens (a is the candidate, b the engine's; either may be nil)
local function differs(a, b)
  if not a then return false end
  if not b then return true end
  return a.access_token ~= b.access_token or a.refresh_token ~= b.refresh_token
end

-- Outside the lock a stored token is adopted only when it is another one and not due (a token
-- the engine saw rejected is never adopted back: it is not "another one").
local function adopt_fresh(eng, stored)
  if differs(stored, eng:token()) and not eng:due(stored, now()) then
    set(eng, stored)
    return true
  end
  return false
end

-- One grant exchange, re-sent once when the answer was lost after the request may have left.
local function exchange(eng, send)
  local req, err = eng:grant_request(now())
  if not req then return nil, err end
  local tok
  tok, err = eng:grant_answer(send(req))
  if not tok and err and err.resend then tok, err = eng:grant_answer(send(req)) end
  return tok, err
end

-- The refresh token of `stored` was refused for good by an earlier client: nobody sends it again.
local function dead(stored, held)
  return stored and stored.dead and stored.refresh_token ~= nil
    and (held == nil or held.refresh_token == nil or held.refresh_token == stored.refresh_token)
end

local function dead_error()
  return nil, core.error("reconsent", "the connection's refresh token was refused earlier (the app was "
    .. "disconnected or the token revoked): authorize again", { retryable = false })
end

-- Marks the record dead when it still holds the refused refresh token (we hold the lock).
local function mark_dead(store, refused)
  local rec = store:load()
  if not (rec and refused and rec.refresh_token == refused and not rec.dead) then return end
  rec.dead = true
  store:save(rec)
end

-- Persist, then tell the application; returns tok, or nil, the store's error.
local function publish(store, tok, on_token, record)
  local ok, err = true, nil
  for _, k in ipairs(IDENTITY) do
    if record and tok[k] == nil then tok[k] = record[k] end
  end
  if store then ok, err = store:save(tok) end
  if on_token then
    -- the token is adopted and saved already: a failing callback loses nothing, and is raised
    local cok, cerr = pcall(on_token, tok)
    if not cok then error("helpscout: on_token failed: " .. tostring(cerr), 0) end
  end
  if not ok then
    err.message = "a new token was granted but not saved (the client holds it and on_token got it): "
      .. tostring(err.message)
    return nil, err
  end
  return tok
end

-- grant, and on reconsent adopt a different token from the store once, granting with it if due;
-- a refusal that stands marks the record dead
local function grant(eng, store, send, on_token, record)
  local sent = eng:token()
  local tok, err = exchange(eng, send)
  if not tok and err and err.kind == "reconsent" and store then
    local stored = store:load()
    if differs(stored, eng:token()) and not dead(stored, nil) then
      set(eng, stored)
      if not eng:due(stored, now()) then return stored end
      record, sent = stored, stored
      tok, err = exchange(eng, send)
    end
    if not tok and err and err.kind == "reconsent" then mark_dead(store, sent and sent.refresh_token) end
  end
  if not tok then return nil, err end
  return publish(store, tok, on_token, record)
end

-- Under the lock: reload, adopt a different token, grant only if still needed.
local function locked(eng, store, action, send, on_token)
  local before = eng:token()
  local stored, err = store:load()
  if err then return nil, err end
  if differs(stored, before) then
    set(eng, stored)
    if not eng:due(stored, now()) and not (dead(stored) and action.need == "rejected") then return stored end
  elseif stored and action.need ~= "rejected" and not eng:due(stored, now()) then
    return stored -- same token and not due: nothing to do (a spurious TOKEN action)
  end
  if dead(stored, eng:token()) then return dead_error() end
  return grant(eng, store, send, on_token, stored)
end

-- A named connection with no refresh token anywhere has no consent to renew from (rule 8).
local function unconnected(store, stored, held)
  return store.consent_only and not (stored and stored.refresh_token) and not (held and held.refresh_token)
end

local function shared(eng, store, action, send, on_token)
  local stored, err = store:load()
  if err then return nil, err end
  if adopt_fresh(eng, stored) then return stored end
  if unconnected(store, stored, eng:token()) then
    return nil, core.error("auth", "connection '" .. store.id .. "' is not connected: run the connect flow for it",
      { reason = "not_connected" })
  end
  if dead(stored, eng:token()) then return dead_error() end -- no lock, no request
  return store:lock(function() return locked(eng, store, action, send, on_token) end)
end

-- The engine's token when the store failed before anything changed and the token, though due,
-- has not expired yet (a Redis restart must not fail calls that hold a working token).
local function still_usable(eng, gen, action, err)
  if not (err and err.kind == "store" and action.need == "due" and eng:generation() == gen) then
    return nil
  end
  local held = eng:token()
  if held and held.access_token and held.expires_at and now() < held.expires_at then return held end
end

-- run(eng, store, action, send, on_token) -> token | nil, err
function _M.run(eng, store, action, send, on_token)
  -- the token changed since this action was asked for (another call of the same engine renewed
  -- meanwhile, e.g. a light thread in OpenResty): use it, no grant
  local cur = eng:token()
  if action and action.generation and action.generation ~= eng:generation() and cur
    and cur.access_token and not eng:due(cur, now()) then
    return cur
  end
  if not store then return grant(eng, nil, send, on_token) end
  local gen = eng:generation()
  local tok, err = shared(eng, store, action, send, on_token)
  if tok == nil then
    local held = still_usable(eng, gen, action, err)
    if held then return held end
  end
  return tok, err
end

return _M
