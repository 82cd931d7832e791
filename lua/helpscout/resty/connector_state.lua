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
-- * With a durable store, every token record, every "used" mark of a refresh token, every family
--   revocation and every generation is written to the durable store FIRST, then to the dict; a
--   failed durable write means the token is not handed out (or the revocation is reported failed,
--   after revoking in the dict all the same). A dict miss reads the durable store and refills the
--   dict, so a restart forgets nothing. Revocations only ever add: a family record is written only
--   as revoked, a generation only ever replaced by a fresh random one, a refresh record only
--   overwritten as used; so no write, however late or concurrent, brings a revoked token back.
-- * What the dict learned from the durable store that is NOT a revocation (a family not revoked, a
--   connection's generation) is trusted for RECHECK seconds only: another host sharing the store
--   sees a revocation within that time. When the durable store cannot be read, a revocation check
--   fails closed (the token is refused).
-- * Documents have no TTL: each record carries `expires_at` (epoch seconds) and an expired record
--   is read as absent. Authorization codes stay dict-only (CODE_TTL, single use).
-- * Records are written with safe_set (a full dict refuses them); only revocation marks may evict.
-- * Without a durable store nothing here yields: each function is a few dict operations.
local cjson = require "cjson.safe"
local chttp = require "helpscout.resty.connector_http"

local ngx = ngx -- luacheck: ignore
local type, tostring, tonumber, error, setmetatable, pcall, pairs = type, tostring, tonumber, error, setmetatable,
  pcall, pairs

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

-- The durable store's documents ------------------------------------------------------------------

-- Seconds past a family's revocation during which its record is kept: a token issued by a request
-- that raced the revocation expires within refresh_ttl of being issued.
local MARGIN = 3600
_M.RECHECK = 30

local function durable_err(e) return "durable store: " .. tostring(e) end

-- The durable store (or the named connection's store) for documents; nil, err when it cannot be.
local function docs_of(self, connection)
  local d = self.durable
  if connection == nil then return d end
  local ok, v = pcall(d.connection, d, connection)
  if not ok then return nil, durable_err(v) end
  return v
end

-- A live document: table | nil (absent or expired) | nil, err (the store failed).
local function dget(self, name, connection)
  local d, e = docs_of(self, connection)
  if not d then return nil, e end
  local ok, doc, err = pcall(d.get_doc, d, name)
  if not ok or err then return nil, durable_err(ok and err or doc) end
  if type(doc) ~= "table" then return nil end
  if type(doc.expires_at) == "number" and doc.expires_at <= chttp.now() then return nil end
  return doc
end

local function dput(self, name, doc, connection)
  local d, e = docs_of(self, connection)
  if not d then return nil, e end
  local ok, r, err = pcall(d.put_doc, d, name, doc)
  if not ok or not r then return nil, durable_err(ok and err or r) end
  return true
end

-- Revocation -----------------------------------------------------------------------------------

local GEN_DOC = "hsc-generation"

-- The connection's generation: 0 until its first disconnect, then a random string; nil, err when
-- the durable store cannot tell (callers fail closed).
function _M:generation(connection)
  local key = self.p .. "gen:" .. connection
  local g = self.dict:get(key)
  if g ~= nil or not self.durable then return g or 0 end
  local doc, e = dget(self, GEN_DOC, connection)
  if e then return nil, e end
  g = doc and doc.gen or 0
  if not self.dict:safe_add(key, g, _M.RECHECK) then g = self.dict:get(key) or g end -- a disconnect won
  return g
end

-- Every token issued so far for this connection stops working: a fresh generation, durable first,
-- then the dict (even when the durable write failed: this host stops them at once; the failure is
-- returned, and a restart before a successful retry would forget it).
function _M:disconnect(connection)
  local gen = chttp.token()
  local ok, e = true, nil
  if self.durable then ok, e = dput(self, GEN_DOC, { gen = gen, changed_at = ngx.time() }, connection) end
  local set, serr = self.dict:set(self.p .. "gen:" .. connection, gen, ok and self.durable and _M.RECHECK or 0)
  if not set then return nil, "shared dict '" .. self.name .. "': " .. tostring(serr) end
  return ok, e
end

-- Revokes a family for ttl seconds (+ MARGIN): durable first, then the dict (even when the durable
-- write failed: this host stops it at once; the failure is returned).
function _M:revoke_family(family, ttl)
  if not family then return true end
  ttl = (ttl or 0) + MARGIN
  local ok, e = true, nil
  if self.durable then
    ok, e = dput(self, "hsc-fam-" .. family, { revoked = true, expires_at = chttp.now() + ttl })
  end
  self.dict:set(self.p .. "fam:" .. family, true, ttl)
  return ok, e
end

function _M:family_revoked(family)
  if family == nil then return false end
  local key = self.p .. "fam:" .. family
  local v = self.dict:get(key)
  if v ~= nil or not self.durable then return v == true end
  local doc, e = dget(self, "hsc-fam-" .. family)
  if e then return true end -- unknown: refused
  if doc and doc.revoked then
    self.dict:set(key, true, math.max(1, (tonumber(doc.expires_at) or 0) - chttp.now()))
    return true
  end
  if not self.dict:safe_add(key, false, _M.RECHECK) then return self.dict:get(key) == true end
  return false
end

-- A grant {connection, client_id, resource, scope, family, gen, exp} still stands.
function _M:live(g, now)
  return type(g) == "table" and type(g.exp) == "number" and g.exp > now and not self:family_revoked(g.family)
    and g.gen == self:generation(g.connection)
end

-- Tokens ---------------------------------------------------------------------------------------

-- The record of an issued token ("at" or "rt") by its hash: the dict's, else the durable store's
-- (then put back in the dict, with its "used" mark). nil when unknown or expired.
function _M:record(kind, hash)
  local g = self:get(kind, hash)
  if g or not self.durable then return g end
  g = dget(self, "hsc-" .. kind .. "-" .. hash)
  if type(g) ~= "table" or type(g.exp) ~= "number" then return nil end
  local ttl = g.exp - chttp.now()
  if ttl <= 0 then return nil end
  self:set(kind, hash, g, ttl)
  if g.used then self.dict:safe_add(self.p .. "spent:" .. kind .. ":" .. hash, true, ttl) end
  return g
end

-- Marks refresh token `hash` (record g) used: true the first time, false when it was used before
-- (on this host or, by the durable store, anywhere before a restart), nil, err.
function _M:use_refresh(hash, g, ttl)
  if self.dict:get(self.p .. "spent:rt:" .. hash) ~= nil then return false end
  if self.durable then
    local name = "hsc-rt-" .. hash
    local doc, e = dget(self, name)
    if e then return nil, e end
    if doc and doc.used then
      self.dict:safe_add(self.p .. "spent:rt:" .. hash, true, ttl)
      return false
    end
    local used = {}
    for k, v in pairs(g) do used[k] = v end
    used.used = true
    local ok
    ok, e = dput(self, name, used)
    if not ok then return nil, e end
  end
  return self:spend("rt", hash, ttl)
end

local function keep(self, kind, hash, rec, ttl)
  if self.durable then
    local ok, e = dput(self, "hsc-" .. kind .. "-" .. hash, rec)
    if not ok then return nil, e end
  end
  return self:set(kind, hash, rec, ttl)
end

-- Issues an access and a refresh token for grant g (connection, client_id, resource, scope,
-- family). Returns the OAuth token answer or nil, err.
function _M:issue(g, ttl_access, ttl_refresh)
  local now = chttp.now()
  local access, refresh = chttp.token("hsc_at_"), chttp.token("hsc_rt_")
  local gen, gerr = self:generation(g.connection)
  if gen == nil then return nil, gerr end
  local function rec(ttl)
    return { connection = g.connection, client_id = g.client_id, resource = g.resource, scope = g.scope,
      family = g.family, gen = gen, user_id = g.user_id, exp = now + ttl, expires_at = now + ttl }
  end
  local ok, e = keep(self, "at", chttp.hash(access), rec(ttl_access), ttl_access)
  if not ok then return nil, e end
  ok, e = keep(self, "rt", chttp.hash(refresh), rec(ttl_refresh), ttl_refresh)
  if not ok then return nil, e end
  return { access_token = access, token_type = "Bearer", expires_in = ttl_access, refresh_token = refresh,
    scope = g.scope }
end

-- The grant of a live access token, or nil.
function _M:access(token)
  local g = self:record("at", chttp.hash(token))
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
