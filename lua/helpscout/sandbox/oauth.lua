-- OAuth 2.0 of the sandbox (helpscout-api.md §2): the token endpoint (client_credentials,
-- authorization_code, refresh_token with single-use rotating refresh tokens) and bearer
-- authentication of every other /v2 request (called once, by the router).
-- State lives on the sandbox instance: S.tokens (access token -> {expires_at, account, user}),
-- S.refresh (refresh token -> {used, account, user}), S.codes (authorization code -> {client_id,
-- expires_at, account, user}). Every grant acts as one user of one account: a code as the user
-- who consented, a refresh token as the user of the grant it came from, client_credentials as
-- account 1's first user.
local json = require "helpscout.sandbox.json"
local wire = require "helpscout.sandbox.wire"

local pairs, ipairs, type = pairs, ipairs, type
local floor = math.floor
local format, lower, find, match, gsub, sub = string.format, string.lower, string.find, string.match,
  string.gsub, string.sub
local concat = table.concat
local parse_qs, url_decode, oauth_json = wire.parse_qs, wire.url_decode, wire.oauth_json

local _M = {}

local HTML_ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }

local function b64decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  s = gsub(s, "[^%w%+/=]", "")
  local out, bits, nbits = {}, 0, 0
  for i = 1, #s do
    local c = sub(s, i, i)
    if c == "=" then break end
    local v = find(alphabet, c, 1, true) - 1
    bits = bits * 64 + v
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      local byte = floor(bits / 2 ^ nbits)
      out[#out + 1] = string.char(byte)
      bits = bits - byte * 2 ^ nbits
    end
  end
  return concat(out)
end

-- Parses the token request: JSON or form body, plus query params; returns a field map or nil.
function _M.token_fields(req)
  local _, fields = parse_qs(req.query_string)
  local ct = lower(req.headers["content-type"] or "")
  local body = req.body or ""
  if find(ct, "json", 1, true) then
    if find(body, "%S") then
      local t = json.decode(body)
      if type(t) ~= "table" then return nil end
      for k, v in pairs(t) do
        if type(v) == "string" or type(v) == "number" then fields[k] = type(v) == "number" and format("%d", v) or v end
      end
    end
  else
    local _, f = parse_qs(body)
    for k, v in pairs(f) do fields[k] = v end
  end
  local auth = req.headers.authorization
  if auth then
    local b = match(auth, "^[Bb]asic%s+(%S+)")
    if b then
      local id, secret = match(b64decode(b), "^([^:]*):(.*)$")
      if id then
        fields.client_id = fields.client_id or url_decode(id)
        fields.client_secret = fields.client_secret or url_decode(secret)
      end
    end
  end
  return fields
end

-- Issues an access token (and a refresh token) acting as who = { account, user }.
local function issue(S, with_refresh, who)
  local access = S:random_token(32)
  local ttl = S.cfg.token_ttl
  S.tokens[access] = { expires_at = S:now() + ttl, account = who.account, user = who.user }
  local res = { access_token = access, token_type = "bearer", expires_in = ttl }
  if with_refresh then
    local rt = S:random_token(36, true)
    S.refresh[rt] = { used = false, account = who.account, user = who.user }
    res.refresh_token = rt
  end
  return oauth_json(200, res)
end

local function oauth_error(status, error, description, extra)
  wire.fail(oauth_json(status, { error = error, error_description = description }, extra))
end

-- grant_type -> fn(S, fields) -> response (client already authenticated)
local GRANTS = {
  client_credentials = function(S) return issue(S, false, { account = 1, user = S.stores[1].users[1].id }) end,
  authorization_code = function(S, f)
    local code = f.code and S.codes[f.code]
    if not code or code.client_id ~= f.client_id or (code.expires_at and S:now() >= code.expires_at) then
      oauth_error(400, "invalid_grant", "Invalid authorization code")
    end
    S.codes[f.code] = nil -- single use
    return issue(S, true, code)
  end,
  refresh_token = function(S, f)
    local rt = f.refresh_token and S.refresh[f.refresh_token]
    if not rt or rt.used then oauth_error(400, "invalid_request", "Invalid refresh_token") end
    rt.used = true -- single use: the answer carries the next one
    return issue(S, true, rt)
  end,
}

-- POST /v2/oauth2/token (not authenticated, not rate limited).
function _M.token(S, req)
  if req.method ~= "POST" then oauth_error(405, "invalid_request", "Use POST", { { "Allow", "POST" } }) end
  local f = _M.token_fields(req) or oauth_error(400, "invalid_request", "Malformed JSON body")
  local grant = f.grant_type
  if not grant or grant == "" then oauth_error(400, "invalid_request", "Missing grant_type") end
  if not GRANTS[grant] then oauth_error(400, "unsupported_grant_type", "Unsupported grant type") end
  if f.client_id ~= S.cfg.client_id or f.client_secret ~= S.cfg.client_secret then
    oauth_error(401, "invalid_client", "Bad client credentials")
  end
  return GRANTS[grant](S, f)
end

-- Consent stand-in --------------------------------------------------------------------------------
-- GET /authentication/authorizeClientApplication?client_id=&state= plays Help Scout's consent
-- screen with a user who answers at once (cfg.consent "allow" or "deny"): 302 to cfg.redirect_url
-- with code and state, or error=access_denied and state. An unknown client_id is a 400 page, as
-- the user would see it; nothing is redirected then.

local function html(status, title, text, headers)
  local h = { { "Content-Type", "text/html; charset=UTF-8" }, { "Cache-Control", "no-store" } }
  for _, x in ipairs(headers or {}) do h[#h + 1] = x end
  return { status = status, headers = h, body = "<!DOCTYPE html><html><head><title>" .. title ..
    "</title></head><body><h1>" .. title .. "</h1><p>" .. text .. "</p></body></html>" }
end

-- redirect_url with the query parameters of list ({name, value}... ; nil values left out).
local function with_query(url, list)
  local parts = {}
  for _, p in ipairs(list) do
    if p[2] ~= nil then parts[#parts + 1] = p[1] .. "=" .. wire.url_encode(p[2]) end
  end
  return url .. (find(url, "?", 1, true) and "&" or "?") .. concat(parts, "&")
end

function _M.consent(S, req)
  if req.method ~= "GET" and req.method ~= "HEAD" then
    return html(405, "Method Not Allowed", "Use GET.", { { "Allow", "GET, HEAD" } })
  end
  local _, q = parse_qs(req.query_string)
  if not q.client_id or q.client_id == "" or q.client_id ~= S.cfg.client_id then
    return html(400, "Unknown application", "No application is registered with this client_id.")
  end
  local location
  if S.cfg.consent == "deny" then
    location = with_query(S.cfg.redirect_url, { { "error", "access_denied" }, { "state", q.state } })
  else
    location = with_query(S.cfg.redirect_url, { { "code", S:new_code(q.client_id) }, { "state", q.state } })
  end
  local link = '<a href="' .. gsub(location, '[&<>"]', HTML_ESC) .. '">the application</a>'
  return html(302, "Redirecting", "Continue to " .. link .. ".", { { "Location", location } })
end

-- Checks the request's bearer token and makes the request act as its account and user; fails
-- with the 401 when it is missing, unknown or expired.
function _M.authenticate(S, req)
  local auth = req.headers.authorization
  local why, t
  if not auth or auth == "" then why = "Missing access token"
  else
    local tok = match(auth, "^[Bb]earer%s+(%S+)%s*$")
    t = tok and S.tokens[tok]
    if not t then why = "The access token is invalid"
    elseif S:now() >= t.expires_at then why = "The access token has expired" end
  end
  if why then
    wire.fail(wire.vnd(S, 401, "Authentication required", { { message = why } },
      { { "WWW-Authenticate", 'Bearer realm="helpscout-sandbox"' } }))
  end
  S:act_as(t.account, t.user)
  req.account, req.user = t.account, t.user -- for the request log
end

-- Forgets every access and refresh token (of user id `user` only, when given): Help Scout's answer
-- to a revoked app. Returns how many access and refresh tokens were dropped.
function _M.revoke(S, user)
  local na, nr = 0, 0
  for k, t in pairs(S.tokens) do
    if not user or t.user == user then S.tokens[k] = nil; na = na + 1 end
  end
  for k, t in pairs(S.refresh) do
    if not user or t.user == user then S.refresh[k] = nil; nr = nr + 1 end
  end
  return na, nr
end

return _M
