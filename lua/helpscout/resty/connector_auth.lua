-- helpscout.resty.connector_auth: the connector's OAuth 2.1 authorization server and the bearer
-- check of its resource server (MCP authorization, 2025-11-25). Internal to
-- helpscout.resty.connector; each function ends the request.
--
--   metadata documents: RFC 9728 (protected resource), RFC 8414 (authorization server)
--   register:  RFC 7591 dynamic client registration, public clients only (auth method "none")
--   authorize: checks the MCP client's request (registered client, exact redirect URI with RFC 8252
--              loopback ports, response_type=code, PKCE S256, resource = our /mcp URL, scope),
--              asks the person to allow that client (connector_consent), then runs Help Scout's
--              connect flow; its done() mints our code (RFC 9207 `iss`)
--   token:     authorization_code (+ PKCE verifier, + resource: RFC 8707) and refresh_token with
--              rotation (a rotated refresh token presented again revokes its whole family)
--   revoke:    RFC 7009 (the token's family)
--
-- Invariants: an error about the client or its redirect URI is never sent to that redirect URI;
-- codes live CODE_TTL seconds and are single use; no code, token or verifier is ever logged.
local cjson = require "cjson.safe"
local chttp = require "helpscout.resty.connector_http"
local consent = require "helpscout.resty.connector_consent"

local ngx = ngx -- luacheck: ignore
local type, ipairs, pairs, tostring, pcall = type, ipairs, pairs, tostring, pcall
local concat = table.concat

local _M = {}

local CORS = { ["Access-Control-Allow-Origin"] = "*" }
local MAX_FORM = 64 * 1024
local MAX_REDIRECTS, MAX_URI = 10, 2000

-- Metadata -------------------------------------------------------------------------------------

function _M.resource_metadata(c)
  return chttp.json(200, { resource = c.resource, authorization_servers = { c.issuer },
    scopes_supported = c.scopes, bearer_methods_supported = { "header" }, resource_name = c.name }, CORS)
end

function _M.server_metadata(c)
  local u = c.url
  return chttp.json(200, { issuer = c.issuer, authorization_endpoint = u .. "/authorize",
    token_endpoint = u .. "/token", registration_endpoint = u .. "/register", revocation_endpoint = u .. "/revoke",
    scopes_supported = c.scopes, response_types_supported = { "code" }, response_modes_supported = { "query" },
    grant_types_supported = { "authorization_code", "refresh_token" },
    code_challenge_methods_supported = { "S256" }, token_endpoint_auth_methods_supported = { "none" },
    revocation_endpoint_auth_methods_supported = { "none" },
    client_id_metadata_document_supported = c.o.client_metadata == true,
    authorization_response_iss_parameter_supported = true }, CORS)
end

-- Redirect URIs (RFC 8252: loopback http with any port, https, private-use schemes) --------------

local LOOPBACK = { ["127.0.0.1"] = true, ["[::1]"] = true, localhost = true }

-- scheme, host, port, rest (path and query) of a redirect URI, or nil.
local function parse_uri(u)
  if type(u) ~= "string" or #u > MAX_URI or u:find("#", 1, true) or u:find("[%s%c]") then return nil end
  local scheme, authority, rest = u:match("^(https?)://([^/?#@]+)(.*)$")
  if scheme then
    local host, port = authority:match("^(%[[^%]]+%]):?(%d*)$")
    if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
    if not host then return nil end
    if scheme == "http" and not LOOPBACK[host:lower()] then return nil end
    return scheme, host:lower(), port, rest
  end
  local private, path = u:match("^([%a][%w+%-]*%.[%w+.%-]+):(/.*)$") -- com.example.app:/cb
  if private then return private:lower(), "", "", path end
  return nil
end

-- The registered URI that `u` names: equal, or loopback http differing only in the port.
local function registered_redirect(client, u)
  local scheme, host, _, rest = parse_uri(u)
  if not scheme then return nil end
  for _, r in ipairs(client.redirect_uris or {}) do
    if r == u then return r end
    local s2, h2, _, rest2 = parse_uri(r)
    if scheme == "http" and s2 == "http" and LOOPBACK[host] and h2 == host and rest2 == rest then return r end
  end
  return nil
end

-- The client named by id: registered here, or (when enabled) its metadata document. nil, why.
local function lookup(c, id)
  if type(id) ~= "string" or id == "" then return nil, "no client_id" end
  local cimd = require "helpscout.resty.connector_cimd"
  if c.o.client_metadata and cimd.is_url(id) then return cimd.client(c, id, parse_uri) end
  local client = c.st:client(id, c.o.client_ttl)
  if not client then return nil, "unknown client_id: register the client first" end
  return client
end

-- Registration (RFC 7591) ----------------------------------------------------------------------

local function bad_metadata(description)
  return chttp.oauth_error(400, "invalid_client_metadata", description, CORS)
end

local function check_registration(m)
  if type(m) ~= "table" then return "a JSON object is expected" end
  local uris = m.redirect_uris
  if type(uris) ~= "table" or #uris == 0 or #uris > MAX_REDIRECTS then
    return "redirect_uris: 1 to " .. MAX_REDIRECTS .. " URIs expected"
  end
  for _, u in ipairs(uris) do
    if not parse_uri(u) then
      return "redirect_uris: each must be https, http on a loopback address, or a private-use scheme, "
        .. "without a fragment"
    end
  end
  for _, g in ipairs(type(m.grant_types) == "table" and m.grant_types or {}) do
    if g ~= "authorization_code" and g ~= "refresh_token" then return "grant_types: unsupported " .. tostring(g) end
  end
  for _, r in ipairs(type(m.response_types) == "table" and m.response_types or {}) do
    if r ~= "code" then return "response_types: only code" end
  end
  if m.client_name ~= nil and (type(m.client_name) ~= "string" or #m.client_name > 200) then
    return "client_name: a string of at most 200 bytes"
  end
  return nil
end

function _M.register(c)
  if ngx.req.get_method() == "OPTIONS" then
    return chttp.answer(204, "", { ["Access-Control-Allow-Origin"] = "*", ["Access-Control-Allow-Methods"] = "POST",
      ["Access-Control-Allow-Headers"] = "Content-Type" })
  end
  if ngx.req.get_method() ~= "POST" then return chttp.answer(405, "POST only.\n", { Allow = "POST" }) end
  local body, berr = chttp.body(MAX_FORM)
  if not body then return bad_metadata(berr == "too_large" and "the registration is too large" or "unreadable body") end
  local m = cjson.decode(body)
  local why = check_registration(m)
  if why then return bad_metadata(why) end
  local client = { client_id = chttp.token("hsc_client_"), client_id_issued_at = ngx.time(),
    redirect_uris = m.redirect_uris, client_name = m.client_name, token_endpoint_auth_method = "none",
    grant_types = { "authorization_code", "refresh_token" }, response_types = { "code" },
    scope = concat(c.scopes, " ") }
  local ok, e = c.st:keep_client(client, c.o.client_ttl)
  if not ok then
    ngx.log(ngx.ERR, "helpscout connector: cannot keep a registration: ", e)
    return chttp.oauth_error(503, "temporarily_unavailable", "registration could not be stored", CORS)
  end
  return chttp.json(201, client, CORS)
end

-- Authorization --------------------------------------------------------------------------------

local function page(status, text)
  return chttp.answer(status, text .. "\n", { ["Content-Type"] = "text/plain; charset=utf-8" })
end

-- Sends an authorization error back to the client's (checked) redirect URI.
local function back(c, uri, state, code, description)
  return ngx.redirect(chttp.with_query(uri, { { "error", code }, { "error_description", description },
    { "state", state }, { "iss", c.issuer } }), 302)
end

-- The requested scope, normalised, or nil when it names a scope we do not have.
local function scope_of(c, s)
  if s == nil or s == "" then return concat(c.scopes, " ") end
  local known = {}
  for _, v in ipairs(c.scopes) do known[v] = true end
  for w in s:gmatch("%S+") do if not known[w] then return nil end end
  return s
end

local function args()
  if ngx.req.get_method() == "POST" then
    local body = chttp.body(MAX_FORM)
    return body and chttp.form(body) or nil
  end
  local a = ngx.req.get_uri_args(100)
  for _, v in pairs(a) do if type(v) ~= "string" then return nil end end -- repeated or valueless
  return a
end

-- The person answered the consent page: Help Scout's consent next, or back to the client.
local function consented(c, a)
  local pending, decision = consent.answer(c, a)
  if not pending then return page(403, "Not authorized: " .. decision .. ". Start again from the application.") end
  if decision == "deny" then
    return back(c, pending.redirect_uri, pending.state, "access_denied", "the person did not allow the client")
  end
  return c:connect_flow().start{ data = pending }
end

function _M.authorize(c)
  local a = args()
  if not a then return page(400, "Malformed authorization request (a parameter is repeated or missing its value).") end
  if ngx.req.get_method() == "POST" and a.consent ~= nil then return consented(c, a) end
  local client, why = lookup(c, a.client_id)
  if not client then return page(400, "This client cannot be used: " .. why .. ".") end
  local uri = registered_redirect(client, a.redirect_uri)
  if not uri then return page(400, "redirect_uri is not one this client registered.") end
  uri = a.redirect_uri
  if a.response_type ~= "code" then return back(c, uri, a.state, "unsupported_response_type", "only code") end
  if a.code_challenge_method ~= "S256" or type(a.code_challenge) ~= "string"
    or not a.code_challenge:match("^[%w%-_]+$") or #a.code_challenge ~= 43 then
    return back(c, uri, a.state, "invalid_request", "PKCE with code_challenge_method=S256 is required")
  end
  if a.resource ~= nil and a.resource ~= c.resource then
    return back(c, uri, a.state, "invalid_target", "resource must be " .. c.resource)
  end
  local scope = scope_of(c, a.scope)
  if not scope then return back(c, uri, a.state, "invalid_scope", "unknown scope") end
  local pending = { client_id = client.client_id, redirect_uri = uri, code_challenge = a.code_challenge,
    state = a.state, resource = c.resource, scope = scope }
  return consent.ask(c, client, pending)
end

-- Help Scout's callback succeeded for `info.user`: our code for the client that asked.
function _M.done(c, _, info)
  local p = info and info.data
  if type(p) ~= "table" or type(p.redirect_uri) ~= "string" then
    return page(400, "This authorization was not started by an MCP client; start again from the client.")
  end
  local code = chttp.token("hsc_code_")
  local user = info.user or {}
  local rec = { client_id = p.client_id, redirect_uri = p.redirect_uri, code_challenge = p.code_challenge,
    resource = p.resource, scope = p.scope, connection = info.connection, user_id = user.id,
    family = chttp.token(), exp = chttp.now() + c.o.code_ttl }
  local ok, e = c.st:set("code", chttp.hash(code), rec, c.o.code_ttl + 60)
  if not ok then
    ngx.log(ngx.ERR, "helpscout connector: cannot keep an authorization code: ", e)
    return back(c, p.redirect_uri, p.state, "temporarily_unavailable", "the code could not be stored")
  end
  return ngx.redirect(chttp.with_query(p.redirect_uri, { { "code", code }, { "state", p.state },
    { "iss", c.issuer } }), 302)
end

-- Token endpoint -------------------------------------------------------------------------------

local function grant_error(code, description) return chttp.oauth_error(400, code, description, CORS) end

local function unavailable(why)
  ngx.log(ngx.ERR, "helpscout connector: ", why)
  return chttp.oauth_error(503, "temporarily_unavailable", "the connector's state is full or unreachable", CORS)
end

-- Revokes a family; a revocation the durable store did not take is logged (this host has it).
local function revoke(c, family)
  local ok, e = c.st:revoke_family(family, c.o.refresh_ttl)
  if not ok then ngx.log(ngx.ERR, "helpscout connector: a family revocation was not made durable: ", e) end
  return ok
end

-- client_id from the form or HTTP Basic (a public client's secret, if any, is ignored).
local function client_of(c, f)
  local id = f.client_id
  local basic = (ngx.var.http_authorization or ""):match("^[Bb]asic%s+(%S+)$")
  if not id and basic then
    local dec = ngx.decode_base64(basic)
    id = dec and dec:match("^([^:]*)")
    id = id and id:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return (lookup(c, id))
end

local function by_code(c, f, client)
  if type(f.code) ~= "string" then return grant_error("invalid_request", "code is required") end
  local h = chttp.hash(f.code)
  local rec = c.st:get("code", h)
  if not rec or rec.exp <= chttp.now() then return grant_error("invalid_grant", "unknown or expired code") end
  local first, serr = c.st:spend("code", h, c.o.code_ttl + 60)
  if first == nil then return unavailable(serr) end
  if not first then
    revoke(c, rec.family) -- a replayed code: what it bought is revoked too
    return grant_error("invalid_grant", "the code was already used")
  end
  if rec.client_id ~= client.client_id then
    return grant_error("invalid_grant", "the code was issued to another client")
  end
  if f.redirect_uri ~= rec.redirect_uri then return grant_error("invalid_grant", "redirect_uri does not match") end
  local v = f.code_verifier
  if type(v) ~= "string" or not v:match("^[%w%-%._~]+$") or #v < 43 or #v > 128
    or not chttp.equal(chttp.s256(v), rec.code_challenge) then
    return grant_error("invalid_grant", "the PKCE code_verifier does not match")
  end
  if f.resource ~= nil and f.resource ~= rec.resource then
    return grant_error("invalid_target", "resource must be " .. rec.resource)
  end
  return rec
end

local function by_refresh(c, f, client)
  if type(f.refresh_token) ~= "string" then return grant_error("invalid_request", "refresh_token is required") end
  local h = chttp.hash(f.refresh_token)
  local g = c.st:record("rt", h)
  if not g or g.client_id ~= client.client_id then return grant_error("invalid_grant", "unknown refresh token") end
  local first, serr = c.st:use_refresh(h, g, c.o.refresh_ttl)
  if first == nil then return unavailable(serr) end
  if not first then
    revoke(c, g.family) -- rotation: an old refresh token again means theft
    ngx.log(ngx.WARN, "helpscout connector: a rotated refresh token was presented again; family revoked")
    return grant_error("invalid_grant", "the refresh token was already used")
  end
  if not c.st:live(g, chttp.now()) then return grant_error("invalid_grant", "the refresh token is no longer valid") end
  if f.resource ~= nil and f.resource ~= g.resource then
    return grant_error("invalid_target", "resource must be " .. g.resource)
  end
  if f.scope ~= nil then
    for w in f.scope:gmatch("%S+") do
      if not (" " .. g.scope .. " "):find(" " .. w .. " ", 1, true) then
        return grant_error("invalid_scope", "a refresh cannot widen the scope")
      end
    end
    g.scope = f.scope
  end
  return g
end

local GRANTS = { authorization_code = by_code, refresh_token = by_refresh }

function _M.token(c)
  if ngx.req.get_method() ~= "POST" then return chttp.answer(405, "POST only.\n", { Allow = "POST" }) end
  local body = chttp.body(MAX_FORM)
  local f = body and chttp.form(body)
  if not f then return grant_error("invalid_request", "a form body with each parameter once is expected") end
  local client = client_of(c, f)
  if not client then
    return chttp.oauth_error(401, "invalid_client", "unknown client_id", CORS)
  end
  local grant = GRANTS[f.grant_type]
  if not grant then return grant_error("unsupported_grant_type", "authorization_code or refresh_token") end
  local g = grant(c, f, client)
  local tok, e = c.st:issue(g, c.o.access_ttl, c.o.refresh_ttl)
  if not tok then
    ngx.log(ngx.ERR, "helpscout connector: cannot issue tokens: ", e)
    return chttp.oauth_error(503, "temporarily_unavailable", "tokens could not be stored", CORS)
  end
  return chttp.json(200, tok, { ["Access-Control-Allow-Origin"] = "*", Pragma = "no-cache" })
end

-- RFC 7009: revoking one token of a family revokes the family (always 200 for a known client).
function _M.revoke(c)
  if ngx.req.get_method() ~= "POST" then return chttp.answer(405, "POST only.\n", { Allow = "POST" }) end
  local body = chttp.body(MAX_FORM)
  local f = body and chttp.form(body)
  if not f or type(f.token) ~= "string" then return grant_error("invalid_request", "token is required") end
  local client = client_of(c, f)
  if not client then return chttp.oauth_error(401, "invalid_client", "unknown client_id", CORS) end
  local h = chttp.hash(f.token)
  local g = c.st:record("at", h) or c.st:record("rt", h)
  if g and g.client_id == client.client_id and not revoke(c, g.family) then
    return chttp.oauth_error(503, "temporarily_unavailable", "the revocation could not be stored; try again", CORS)
  end
  return chttp.answer(200, "", CORS)
end

-- Resource server ------------------------------------------------------------------------------

local function unauthorized(c, err, description)
  local challenge = ('Bearer resource_metadata="%s", scope="%s"'):format(c.prm_url, concat(c.scopes, " "))
  if err then challenge = challenge .. (', error="%s", error_description="%s"'):format(err, description) end
  return chttp.json(401, { jsonrpc = "2.0", id = cjson.null, error = { code = -32001,
    message = "Unauthorized: " .. (description or "a bearer token is required") } },
    { ["WWW-Authenticate"] = challenge })
end

-- The grant of the request's bearer token, or nil after answering 401.
function _M.bearer(c)
  local h = ngx.var.http_authorization
  local tok = type(h) == "string" and h:match("^[Bb]earer +([%w%-%._~%+/]+=*) *$")
  if not tok then return unauthorized(c) end
  local ok, g = pcall(c.st.access, c.st, tok)
  if not ok or not g or g.resource ~= c.resource then
    return unauthorized(c, "invalid_token", "the access token is unknown, expired, revoked or for another resource")
  end
  return g
end

-- 401 for a live token whose connection lost its Help Scout authorization: the client starts over.
function _M.reauthorize(c, why)
  return unauthorized(c, "invalid_token", "the Help Scout authorization of this connection is "
    .. (why == "dead" and "no longer valid" or "gone") .. "; authorize again")
end

return _M
