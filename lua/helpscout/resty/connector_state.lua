-- helpscout.resty.connector_state: what the connector keeps between requests, in a
-- lua_shared_dict shared by every worker: registered clients, authorization codes, the access and
-- refresh tokens it issued (by hash only), token families, revocation generations per connection,
-- MCP sessions, per-connection busy counters and cancellation marks. Internal to
-- helpscout.resty.connector.
--
-- Invariants:
-- * A code or token is stored under the SHA-256 of its value, never the value itself.
-- * Single use is one atomic dict:add of a "spent" mark: of two workers presenting the same code
--   or refresh token at once exactly one wins.
-- * A token is valid only while its family is not revoked and its connection's generation is the
--   one it was issued under: disconnect(connection) invalidates every token of that person at once.
-- * Only registrations are written through to the durable store: codes, tokens, families and
--   revocations live in the dict, so a restart can only forget tokens, never a revocation.
-- * Records are written with safe_set (a full dict refuses them); only revocation marks may evict.
-- * Nothing here yields: each function is a few dict operations.
local cjson = require "cjson.safe"
local chttp = require "helpscout.resty.connector_http"

local ngx = ngx -- luacheck: ignore
local type, tostring, error, setmetatable, pcall = type, tostring, error, setmetatable, pcall

local _M = {}
local mt = { __index = _M }

-- new(dict name, durable store or nil)
function _M.new(name, durable)
  local dict = ngx.shared[name]
  if not dict then
    error(("bad argument #1 to 'connector' (no lua_shared_dict named '%s' in nginx.conf)"):format(name), 3)
  end
  return setmetatable({ dict = dict, name = name, p = "mcp:", durable = durable }, mt)
end

function _M:get(kind, key)
  local s = self.dict:get(self.p .. kind .. ":" .. key)
  if not s then return nil end
  local t = cjson.decode(s)
  if type(t) ~= "table" then return nil end
  return t
end

-- safe_set: a full dict refuses the write instead of evicting older entries, so that nobody (an
-- unauthenticated registration, say) can push revocation marks out of it.
function _M:set(kind, key, t, ttl)
  local ok, e = self.dict:safe_set(self.p .. kind .. ":" .. key, cjson.encode(t), ttl or 0)
  if not ok then return nil, "shared dict '" .. self.name .. "': " .. tostring(e) end
  return true
end

function _M:delete(kind, key) self.dict:delete(self.p .. kind .. ":" .. key) end

-- true the first time only (for ttl seconds), false after; nil, err when the dict is full.
function _M:spend(kind, key, ttl)
  local ok, e = self.dict:safe_add(self.p .. "spent:" .. kind .. ":" .. key, true, ttl or 0)
  if ok then return true end
  if e == "exists" then return false end
  return nil, "shared dict '" .. self.name .. "': " .. tostring(e)
end

-- Registered clients: written through to the durable store's states (when there is one), so a
-- restart does not make every platform register again. Nothing secret is in a client record.
function _M:keep_client(client, ttl)
  local ok, e = self:set("client", client.client_id, client, ttl)
  if not ok then return nil, e end
  if self.durable then return self.durable:put_state("hsc-client-" .. client.client_id, client, ttl) end
  return true
end

function _M:client(id, ttl)
  local client = self:get("client", id)
  if client or not self.durable then return client end
  local ok, rec = pcall(self.durable.take_state, self.durable, "hsc-client-" .. id) -- then put back
  if not ok or type(rec) ~= "table" or rec.client_id ~= id then return nil end
  self:keep_client(rec, ttl)
  return rec
end

-- Revocation -----------------------------------------------------------------------------------

function _M:generation(connection)
  return self.dict:get(self.p .. "gen:" .. connection) or 0
end

-- Every token issued so far for this connection stops working.
function _M:disconnect(connection)
  return self.dict:incr(self.p .. "gen:" .. connection, 1, 0)
end

function _M:revoke_family(family, ttl)
  if family then self.dict:set(self.p .. "fam:" .. family, true, ttl or 0) end
end

function _M:family_revoked(family)
  return family ~= nil and self.dict:get(self.p .. "fam:" .. family) ~= nil
end

-- A grant {connection, client_id, resource, scope, family, gen, exp} still stands.
function _M:live(g, now)
  return type(g) == "table" and type(g.exp) == "number" and g.exp > now and not self:family_revoked(g.family)
    and g.gen == self:generation(g.connection)
end

-- Tokens ---------------------------------------------------------------------------------------

-- Issues an access and a refresh token for grant g (connection, client_id, resource, scope,
-- family). Returns the OAuth token answer or nil, err.
function _M:issue(g, ttl_access, ttl_refresh)
  local now = chttp.now()
  local access, refresh = chttp.token("hsc_at_"), chttp.token("hsc_rt_")
  local gen = self:generation(g.connection)
  local rec = { connection = g.connection, client_id = g.client_id, resource = g.resource, scope = g.scope,
    family = g.family, gen = gen, user_id = g.user_id }
  rec.exp = now + ttl_access
  local ok, e = self:set("at", chttp.hash(access), rec, ttl_access)
  if not ok then return nil, e end
  rec.exp = now + ttl_refresh
  ok, e = self:set("rt", chttp.hash(refresh), rec, ttl_refresh)
  if not ok then return nil, e end
  return { access_token = access, token_type = "Bearer", expires_in = ttl_access, refresh_token = refresh,
    scope = g.scope }
end

-- The grant of a live access token, or nil.
function _M:access(token)
  local g = self:get("at", chttp.hash(token))
  if g and self:live(g, chttp.now()) then return g end
  return nil
end

-- Sessions -------------------------------------------------------------------------------------

function _M:busy(connection, delta, cap)
  local key = self.p .. "busy:" .. connection
  local n = self.dict:incr(key, delta, 0, 600) or 0
  if delta > 0 and n > cap then
    self.dict:incr(key, -delta, 0)
    return false
  end
  if n < 0 then self.dict:set(key, 0, 600) end -- the count expired while requests ran
  return true
end

function _M:cancel(session, id) self.dict:safe_set(self.p .. "cancel:" .. session .. ":" .. tostring(id), true, 600) end

function _M:is_cancelled(session, id)
  return self.dict:get(self.p .. "cancel:" .. session .. ":" .. tostring(id)) ~= nil
end

return _M
