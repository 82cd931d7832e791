-- helpscout.resty.connector: a hosted Help Scout connector in nginx (DESIGN.md §5 "The connector";
-- doc/connector.md; examples/connector.conf). MCP over Streamable HTTP at /mcp, protected by the
-- connector's own OAuth 2.1 authorization server, whose /authorize sends the person through Help
-- Scout's consent (resty.oauth_handler) before issuing a code bound to that person's connection.
--
--   init_by_lua_block {
--     connector = require("helpscout.resty.connector").new{ url = os.getenv("HELPSCOUT_CONNECTOR_URL"),
--       shdict = "helpscout", allow = { domains = { "example.com" } }, tools = { allow_send = false } }
--   }
--   location = /mcp                                      { content_by_lua_block { connector:mcp() } }
--   location = /.well-known/oauth-protected-resource/mcp { content_by_lua_block { connector:resource_metadata() } }
--   location = /.well-known/oauth-protected-resource     { ... connector:resource_metadata() }
--   location = /.well-known/oauth-authorization-server   { ... connector:server_metadata() }
--   location = /register  { ... connector:register() }     location = /authorize { ... connector:authorize() }
--   location = /token     { ... connector:token() }        location = /revoke    { ... connector:revoke() }
--   location = /oauth/callback/help-scout { ... connector:callback() }
--
-- Invariants:
-- * The MCP client only ever holds the connector's own tokens (random, stored as SHA-256, bound to
--   one connection and to the resource <url>/mcp, access tokens short-lived, refresh tokens
--   rotating); the person's Help Scout token stays in their connection and is used by the
--   connector itself (no token passthrough).
-- * connector:disconnect(id) revokes every token issued for that connection at once.
-- * The tools, safety switches and output caps are helpscout.tools' (as helpscout-mcp's), per
--   deployment or per connection (`tools` may be a function of the connection).
local options = require "helpscout.options"
local state = require "helpscout.resty.connector_state"
local auth = require "helpscout.resty.connector_auth"
local tools = require "helpscout.tools"
local core = require "helpscout.core"

local type, error, pairs, ipairs, setmetatable, getenv, tostring, tonumber = type, error, pairs, ipairs,
  setmetatable, os.getenv, tostring, tonumber

local _M = { ACCESS_TTL = 3600, REFRESH_TTL = 30 * 86400, CODE_TTL = 120, CLIENT_TTL = 180 * 86400,
  SESSION_TTL = 24 * 3600, MAX_BODY = 1024 * 1024, CONCURRENCY = 4, SCOPES = { "helpscout" } }
local mt = {}
mt.__index = mt

local OPTS = {
  url = { type = "string", nonempty = true },          -- public origin (env HELPSCOUT_CONNECTOR_URL)
  shdict = { type = "string", nonempty = true },       -- connections' Help Scout tokens (+ state)
  state_shdict = { type = "string", nonempty = true }, -- the connector's own state (default: shdict)
  store = "table",                                     -- durable store of the connections
  allow = true, replace = "boolean", principal = "function", connection = "function",
  tools = true,                                        -- helpscout.tools options, or function(connection, grant)
  origins = "table",                                   -- browser origins allowed besides url's own
  name = "string",
  client_id = "string", client_secret = "string", base_url = "string", authorize_url = "string",
  access_ttl = { type = "integer", min = 1 }, refresh_ttl = { type = "integer", min = 600 },
  code_ttl = { type = "integer", min = 10, max = 600 }, client_ttl = { type = "integer", min = 3600 },
  session_ttl = { type = "integer", min = 60 },
  max_body = { type = "integer", min = 4096 }, concurrency = { type = "integer", min = 1 },
  scopes = "table",
  client_metadata = "boolean",                         -- accept Client ID Metadata Documents
  client_metadata_private = "boolean",                 -- ... also from private addresses (tests)
}

local function bad(msg) error("bad argument #1 to 'connector' (" .. msg .. ")", 3) end

-- "https://host[:port]" (a trailing slash dropped) or a raised argument error.
local function origin_of(url)
  url = url and url:gsub("/+$", "")
  if not (url and url:match("^https?://[%w%.%-]+$") or (url or ""):match("^https?://[%w%.%-]+:%d+$")
    or (url or ""):match("^https?://%[[%x:]+%]:?%d*$")) then
    bad("option 'url' (or env HELPSCOUT_CONNECTOR_URL) must be the public origin, e.g. https://mcp.example.com")
  end
  return url:lower()
end

local function default_connection(user)
  local id = user.id
  if type(id) == "number" and id == math.floor(id) then return ("hs-%d"):format(id) end
  return "hs-" .. tostring(id)
end

-- connector.new(opts) -> connector. No I/O: init_by_lua* may call it.
function _M.new(opts)
  local o = options.check(OPTS, opts, "connector", 1, 1)
  if not o.shdict then bad("option 'shdict' is required (the lua_shared_dict of the connections)") end
  local url = origin_of(o.url or getenv("HELPSCOUT_CONNECTOR_URL"))
  o.access_ttl, o.refresh_ttl = o.access_ttl or _M.ACCESS_TTL, o.refresh_ttl or _M.REFRESH_TTL
  o.code_ttl, o.client_ttl = o.code_ttl or _M.CODE_TTL, o.client_ttl or _M.CLIENT_TTL
  o.session_ttl, o.max_body = o.session_ttl or _M.SESSION_TTL, o.max_body or _M.MAX_BODY
  o.concurrency = o.concurrency or _M.CONCURRENCY
  if o.tools ~= nil and type(o.tools) ~= "table" and type(o.tools) ~= "function" then
    bad("option 'tools' must be helpscout.tools options or a function(connection, grant)")
  end
  local origins = { [url] = true }
  for _, v in ipairs(o.origins or {}) do origins[v:lower()] = true end
  local c = setmetatable({ o = o, url = url, issuer = url, resource = url .. "/mcp",
    prm_url = url .. "/.well-known/oauth-protected-resource/mcp", scopes = o.scopes or _M.SCOPES,
    name = o.name or "Help Scout", origins = origins,
    st = state.new(o.state_shdict or o.shdict, o.store) }, mt)
  if type(o.tools) ~= "function" then c.cat = tools.new(o.tools) end -- bad tool options raise here
  return c
end

-- The helpscout.tools catalogue for a grant's connection: one per deployment, or made per
-- request from `tools(connection, grant)`.
function mt:catalogue_for(g)
  local t = self.o.tools
  if type(t) == "function" then return tools.new(t(g.connection, g)) end
  if not self.cat then self.cat = tools.new(t) end
  return self.cat
end

-- helpscout.tools options from HELPSCOUT_READ_ONLY, _ALLOW_SEND, _DRY_RUN, _MAILBOXES,
-- _MAX_OUTPUT, by helpscout-mcp's rule (a switch that is not a clear yes/no raises).
function _M.tools_from_env(env)
  local c, msg = require("helpscout.mcp.config").parse({}, env or getenv)
  if not c then error("helpscout connector: " .. tostring(msg), 2) end
  return { read_only = c.read_only or nil, allow_send = c.allow_send or nil, dry_run = c.dry_run or nil,
    mailboxes = c.mailboxes, max_output = c.max_output }
end

-- The store of the connections (each person's Help Scout token), made once per worker.
function mt:store()
  if not self.hs_store then
    self.hs_store = require("helpscout.resty.shdict").new(self.o.shdict, self.o.store and { durable = self.o.store })
  end
  return self.hs_store
end

-- The connection's record when it can still reach Help Scout, or nil, reason: missing (never
-- connected or removed), dead (Help Scout refused its refresh token: the person must consent again).
function mt:connection_record(id)
  local rec, e = self:store():connection(id):load()
  if e then return nil, "unavailable" end
  if type(rec) ~= "table" or (type(rec.access_token) ~= "string" and type(rec.refresh_token) ~= "string") then
    return nil, "missing"
  end
  if rec.dead then return nil, "dead" end
  return rec
end

-- A helpscout.resty client acting as the grant's connection (cheap: its state lives in the dict).
-- Only a connection that holds a token gets one: never the app's client-credentials token.
function mt:client_for(g)
  local _, why = self:connection_record(g.connection)
  if why then
    return nil, core.error("auth", "this connection has no usable Help Scout authorization (" .. why
      .. "); authorize the connector again")
  end
  local o = self.o
  return require("helpscout.resty").new{ store = self:store(), connection = g.connection,
    client_id = o.client_id, client_secret = o.client_secret, base_url = o.base_url }
end

-- The durable store named by HELPSCOUT_CONNECTOR_STORE: "redis://[:password@]host[:port][/db]"
-- (helpscout.store.redis on cosockets, key "helpscout:connector"; a user name is ignored), any
-- other text a file path (helpscout.store.file); nil when empty or unset. A bad redis URL raises.
function _M.store_from_env(value)
  if value == nil or value == "" then return nil end
  local store = require "helpscout.store"
  if not value:match("^redis://") then return store.file(value) end
  local rest = value:sub(#"redis://" + 1)
  local password, at = rest:match("^[^:@/]*:?([^@/]*)@()")
  local host, port, db = rest:sub(at or 1):match("^([%w%.%-]+):?(%d*)/?(%d*)$")
  if not host then
    error("helpscout connector: HELPSCOUT_CONNECTOR_STORE: redis://[:password@]host[:port][/db] expected", 2)
  end
  return store.redis{ host = host, port = tonumber(port) or 6379, db = tonumber(db) or 0,
    password = password ~= "" and password or nil, key = "helpscout:connector",
    socket = ngx.socket.tcp, sleep = ngx.sleep } -- luacheck: ignore
end

-- A yes/no variable by helpscout-mcp's rule (unset: nil; not a clear yes/no: raises).
function _M.switch_env(name, env)
  local v, msg = require("helpscout.mcp.config").switch((env or getenv)(name), name)
  if msg then error("helpscout connector: " .. msg, 2) end
  return v
end

-- "a, b c" -> { "a", "b", "c" }, or nil for an empty or unset text.
function _M.words(text)
  local out = {}
  for w in (text or ""):gmatch("[^,%s]+") do out[#out + 1] = w end
  return out[1] and out or nil
end

-- A list of who may connect ("ann@example.com, @example.org": e-mail addresses and @domains,
-- any case) -> a function(user) for `allow`; nil for an empty list (anyone Help Scout lets in).
function _M.allow_list(text)
  if text == nil or text:match("^[%s,]*$") then return nil end
  local emails, domains = {}, {}
  for item in text:gmatch("[^,%s]+") do
    item = item:lower()
    if item:sub(1, 1) == "@" then domains[item:sub(2)] = true else emails[item] = true end
  end
  return function(user)
    local email = type(user) == "table" and type(user.email) == "string" and user.email:lower() or ""
    return emails[email] == true or domains[email:match("@([^@]+)$") or ""] == true
  end
end

-- The Help Scout connect flow (resty.oauth_handler), made once per worker.
function mt:connect_flow()
  if self.flow then return self.flow end
  local o = self.o
  local hopts = { shdict = o.shdict, store = o.store, allow = o.allow, replace = o.replace,
    principal = o.principal, connection = o.connection or default_connection,
    client_id = o.client_id, client_secret = o.client_secret, base_url = o.base_url,
    authorize_url = o.authorize_url,
    secure_cookie = self.url:match("^https://") ~= nil, -- TLS ends in front of nginx (doc/connector.md)
    done = function(tok, info) return auth.done(self, tok, info) end }
  for k in pairs(hopts) do if hopts[k] == nil then hopts[k] = nil end end
  self.flow = require("helpscout.resty").oauth_handler(hopts)
  return self.flow
end

-- Locations
function mt:mcp() return require("helpscout.resty.connector_mcp").serve(self) end
function mt:resource_metadata() return auth.resource_metadata(self) end
function mt:server_metadata() return auth.server_metadata(self) end
function mt:register() return auth.register(self) end
function mt:authorize() return auth.authorize(self) end
function mt:token() return auth.token(self) end
function mt:revoke() return auth.revoke(self) end
function mt:callback() return self:connect_flow().callback() end

-- Every token issued for this connection stops working (the person disconnected): true, or nil, err
-- when the durable store did not take it (this host refuses them all the same; call it again, or a
-- restart would forget it).
function mt:disconnect(connection)
  if type(connection) ~= "string" or connection == "" then
    error("bad argument #1 to 'disconnect' (connection id expected)", 2)
  end
  return self.st:disconnect(connection)
end

return _M
