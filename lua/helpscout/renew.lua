-- helpscout.renew: the single-flight token renewal rule, written once for every driver
-- (DESIGN.md §3/§4, doc/engine.md "Renewal"). A driver runs it for the engine's TOKEN action:
--
--   local tok, err = renew.run(eng, store, action, send, on_token)
--
-- eng is a core.engine object, store any object with load/save/lock (or nil: the client's own
-- memory), send(request) executes one SEND action and returns an outcome, on_token(token) is the
-- user's callback. The rule: load; if the store holds a token other than the one in use and it
-- is not due, use it (another process renewed); otherwise lock, load again, grant only if still
-- stale, SAVE before anything else, unlock, then tell on_token. A refused refresh token
-- (reconsent) reloads once before it is reported: another process may have rotated it.
local core = require "helpscout.core"

local pcall, error, tostring, type, time = pcall, error, tostring, type, os.time

local _M = {}

local function store_error(err, what)
  if core.is_error(err) then return err end
  return core.error("store", "the token store failed to " .. what .. ": " .. tostring(err))
end

-- One grant over send: a lost answer (err.resend) is sent once more, never more.
local function grant(eng, send)
  local req, err = eng:grant_request(time())
  if not req then return nil, err end
  local tok
  repeat
    tok, err = eng:grant_answer(send(req))
  until tok or not (err and err.resend)
  if err then err.resend = nil end
  return tok, err
end

-- A token from the store that this engine should use instead of renewing.
local function usable(eng, t)
  if type(t) ~= "table" or type(t.access_token) ~= "string" then return false end
  local cur = eng:token()
  if cur and cur.access_token == t.access_token then return false end
  return not eng:due(t, time())
end

local function load(store)
  local ok, t, err = pcall(store.load, store)
  if not ok then return nil, store_error(t, "load") end
  if err then return nil, store_error(err, "load") end
  return t or false
end

-- Under the store's lock: reload, grant only if still stale, save before returning.
local function locked(eng, store, send)
  local t, err = load(store)
  if t == nil then return nil, err end
  if usable(eng, t) then
    eng:set_token(t)
    return t, nil, true
  end
  if t and t.refresh_token then
    local cur = eng:token()
    if not (cur and cur.refresh_token == t.refresh_token) then eng:set_token(t) end -- the latest rotation
  end
  local tok
  tok, err = grant(eng, send)
  if not tok then
    if err.kind == "reconsent" then
      t = load(store)
      if t and usable(eng, t) then
        eng:set_token(t)
        return t, nil, true
      end
    end
    return nil, err
  end
  local ok, saved, serr = pcall(store.save, store, tok)
  if not ok or not saved then return nil, store_error(ok and serr or saved, "save") end
  return tok
end

local function notify(on_token, tok)
  if not on_token then return tok end
  local ok, err = pcall(on_token, tok)
  if not ok then error("helpscout: on_token failed: " .. tostring(err), 0) end
  return tok
end

function _M.run(eng, store, action, send, on_token)
  local _ = action
  if not store then
    local tok, err = grant(eng, send)
    if not tok then return nil, err end
    return notify(on_token, tok)
  end
  local t, err = load(store)
  if t == nil then return nil, err end
  if usable(eng, t) then
    eng:set_token(t)
    return t
  end
  local ok, tok, lerr, reused = pcall(store.lock, store, function() return locked(eng, store, send) end)
  if not ok then return nil, store_error(tok, "lock") end
  if not tok then return nil, lerr end
  if reused then return tok end
  return notify(on_token, tok)
end

return _M
