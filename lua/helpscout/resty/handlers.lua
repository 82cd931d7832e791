-- helpscout.resty.handlers: content handlers for nginx locations, behind resty.oauth_handler and
-- resty.webhook_handler (DESIGN.md §5).
--
--   local oauth = resty.oauth_handler{ client_id =, client_secret =, shdict = "helpscout" }
--   location = /oauth/start               { content_by_lua_block { oauth.start() } }
--   location = /oauth/callback/help-scout { content_by_lua_block { oauth.callback() } }
--
--   local hook = resty.webhook_handler{ secret = "...", handle = function(event, data) end }
--   location = /helpscout/webhook         { content_by_lua_block { hook() } }
--
-- Invariants:
-- * start() mints a state (128 bits) through helpscout.oauth.start: kept server-side in the store
--   (single use, 10 minutes, bound to the connection and to the principal the application names),
--   and also set in a cookie (HttpOnly, SameSite=Lax, Path=/; `__Host-` and Secure over https or
--   with secure_cookie = true); it redirects to the consent screen. callback() requires the
--   query's state to equal the cookie's (constant time) AND to be one the store issued and nobody
--   consumed, then runs helpscout.oauth.finish with cosocket I/O: the code exchange (the engine's
--   grant request and interpretation), /v2/users/me, the allow-list and the connection's owner
--   checks, and the save. Any refusal discards the token and saves nothing.
-- * Nothing about the code is logged: put `lua_socket_log_errors off;` in the callback location
--   so a failed exchange does not write the request line (and the code) to error.log.
-- * The webhook signature is checked over the raw body with ngx.hmac_sha1 + ngx.encode_base64
--   and a constant-time compare; a bad or missing signature answers 401 and the user's function
--   is not called. No secret, token or signature is ever written to a response or the error log.
local core = require "helpscout.core"
local options = require "helpscout.options"
local cjson = require "cjson.safe"
local http = require "helpscout.resty.http"
local shdict = require "helpscout.resty.shdict"

local ngx = ngx -- luacheck: ignore
local type, pcall, error, tostring, setmetatable = type, pcall, error, tostring, setmetatable

local _M = {}

-- The connect flow's browser binding: the state also rides in a cookie, so a callback URL
-- forwarded to somebody else's browser fails even where no principal is configured.
local COOKIE, HOST_COOKIE = "hs_oauth_state", "__Host-hs_oauth_state"

-- Constant-time equality of two non-empty strings (core.sys.equal: time depends on the length only).
local function equal(a, b)
  if type(a) ~= "string" or type(b) ~= "string" or a == "" or b == "" then return false end
  return core.sys.equal(a, b)
end

-- Ends the request with a short plain-text answer.
local function answer(status, text)
  ngx.status = status
  ngx.header["Content-Type"] = "text/plain; charset=utf-8"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say(text)
  return ngx.exit(status)
end

local function check_table(fname, opts, spec)
  if type(opts) ~= "table" then error(("bad argument #1 to '%s' (table expected)"):format(fname), 3) end
  options.validate(spec, opts, fname, 1, 4) -- the one Lua checker (helpscout.options)
end

local OAUTH = { client_id = "string", client_secret = "string", base_url = "string",
  authorize_url = "string", store = "table", shdict = "string", on_token = "function",
  done = "function", timeout = "number", connect_timeout = "number", principal = "function",
  allow = true, replace = "boolean", connection = true, secure_cookie = "boolean" }

-- The cookie is __Host- and Secure when the browser reached us over https (or the application
-- says TLS ends in front of nginx: secure_cookie = true); plain http (a loopback demo) cannot
-- carry either.
local function secure(o)
  if o.secure_cookie ~= nil then return o.secure_cookie end
  return ngx.var.scheme == "https"
end

local function state_cookie(o, value, max_age)
  local sec = secure(o)
  local c = ("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax"):format(sec and HOST_COOKIE or COOKIE,
    value, max_age)
  if sec then c = c .. "; Secure" end
  return c
end

local function env(o, k, name)
  local v = o[k] or os.getenv(name)
  if v == "" then return nil end
  return v
end

-- Exchanges the code over cosockets. Returns token or nil, err.
local function exchange(o, code)
  local eng = core.engine.new{ client_id = env(o, "client_id", "HELPSCOUT_CLIENT_ID"),
    client_secret = env(o, "client_secret", "HELPSCOUT_CLIENT_SECRET"),
    base_url = env(o, "base_url", "HELPSCOUT_BASE_URL") }
  local e
  for _ = 1, 2 do -- a second send only when the engine says the answer was lost (err.resend)
    ngx.update_time()
    local req
    req, e = eng:grant_request(ngx.now(), code)
    if not req then return nil, e end
    local out = http.request{ method = req.method, url = req.url, headers = req.headers, body = req.body,
      fresh_connection = true, timeout = o.timeout or 30, connect_timeout = o.connect_timeout or 10 }
    ngx.update_time()
    out.now = ngx.now()
    local tok
    tok, e = eng:grant_answer(out)
    if tok then return tok end
    if not e.resend then return nil, e end
  end
  return nil, e
end

-- Who consented: GET /v2/users/me with the new token, over cosockets.
local function whoami(o, tok)
  local hs = require("helpscout.resty").new{ access_token = tok.access_token,
    base_url = env(o, "base_url", "HELPSCOUT_BASE_URL"), retries = 1, timeout = o.timeout,
    connect_timeout = o.connect_timeout }
  return hs:whoami()
end

-- HTTP status of each refusal of the flow (helpscout.oauth's reasons).
local STATUS = { state_mismatch = 400, missing_code = 400, principal_mismatch = 403, access_denied = 403,
  denied = 403, not_allowed = 403, other_user = 409 }

local MESSAGE = {
  state_mismatch = "The authorization state is not valid here (unknown, already used, expired, or started "
    .. "in another browser). Start again.",
  principal_mismatch = "This connect flow was started by someone else. Start again.",
  access_denied = "Help Scout authorization was not granted (access_denied).",
  denied = "Help Scout authorization failed.",
  missing_code = "No authorization code.",
  not_allowed = "This Help Scout user may not connect here. Nothing was saved.",
  other_user = "This connection belongs to another Help Scout user. Nothing was changed.",
}

-- The principal of this request per the application, or false when it names nobody.
local function principal_of(o)
  if not o.principal then return nil end
  local p = o.principal()
  if type(p) ~= "string" or p == "" then return false end
  return p
end

local function start(o, store, args)
  if args ~= nil and type(args) ~= "table" then error("bad argument #1 to 'start' (table expected)", 3) end
  args = args or {}
  local p = principal_of(o)
  if p == false then return answer(401, "Sign in to this application before connecting Help Scout.") end
  local conn = args.connection or (type(o.connection) == "string" and o.connection or nil)
  local url, state = require("helpscout.oauth").start{ store = store, client_id = env(o, "client_id",
    "HELPSCOUT_CLIENT_ID"), authorize_url = o.authorize_url, connection = conn, principal = p, data = args.data }
  if not url then
    ngx.log(ngx.ERR, "helpscout connect: cannot keep the state: ", tostring(state))
    return answer(503, "The connect flow is unavailable; try again later.")
  end
  ngx.header["Set-Cookie"] = state_cookie(o, state, require("helpscout.oauth").STATE_TTL)
  ngx.header["Cache-Control"] = "no-store"
  return ngx.redirect(url, 302)
end

local function callback(o, store)
  local args = ngx.req.get_uri_args(20)
  local cookie = ngx.var["cookie_" .. (secure(o) and HOST_COOKIE or COOKIE)]
  ngx.header["Set-Cookie"] = state_cookie(o, "", 0)
  local p = principal_of(o)
  if p == false then return answer(401, "Sign in to this application before connecting Help Scout.") end
  if not equal(args.state, cookie) then
    if type(args.state) == "string" then store:take_state(args.state) end -- burnt either way
    return answer(400, MESSAGE.state_mismatch)
  end
  local oauth = require "helpscout.oauth"
  local flow = { store = store, principal = p or nil, allow = o.allow, replace = o.replace, connection = o.connection }
  local tok, info = oauth.finish(args, flow, { exchange = function(code) return exchange(o, code) end,
    whoami = function(t) return whoami(o, t) end })
  if not tok then -- not logged with the request: nginx would add the request line, and with it the code
    local e = info
    local reason = e.kind == "auth" and e.reason
    if reason then return answer(STATUS[reason] or 403, MESSAGE[reason] or "Refused.") end
    return answer(e.kind == "store" and 500 or 502, "Help Scout could not be connected (" .. e.kind .. ").")
  end
  if o.on_token then o.on_token(tok, info) end
  if o.done then return o.done(tok, info) end
  return answer(200, "Connected to Help Scout. You can close this window.")
end

-- oauth(opts) -> { start = function(args?), callback = function() }. opts: client_id,
-- client_secret, base_url (token endpoint root; env HELPSCOUT_* as defaults), authorize_url (the
-- consent screen, as helpscout.oauth.start: default env HELPSCOUT_AUTHORIZE_URL, else Help
-- Scout's), store or shdict (where states and connections live), principal (function -> the
-- person this application authenticated, e.g. ngx.var.remote_user; nil/"" refuses), allow
-- (e-mails/@domains or a function(user)), replace, connection (an id, or function(user, data) ->
-- id; default "default"), secure_cookie, on_token(token, info), done(token, info) (answers the
-- browser instead of the default text), timeout, connect_timeout. start{connection =, data =}
-- picks the connection and keeps data with the state, handed back to done as info.data.
function _M.oauth(opts)
  check_table("oauth_handler", opts, OAUTH)
  if opts.allow ~= nil and type(opts.allow) ~= "table" and type(opts.allow) ~= "function" then
    error("bad argument #1 to 'oauth_handler' (option 'allow' must be a list of e-mails/domains or a function)", 2)
  end
  if opts.connection ~= nil and type(opts.connection) ~= "string" and type(opts.connection) ~= "function" then
    error("bad argument #1 to 'oauth_handler' (option 'connection' must be an id or a function)", 2)
  end
  local store = opts.store or (opts.shdict and shdict.new(opts.shdict))
  if not store then error("bad argument #1 to 'oauth_handler' (a 'store' or 'shdict' is required)", 2) end
  if type(store.put_state) ~= "function" then
    error("bad argument #1 to 'oauth_handler' (the store keeps no connect states: put_state/take_state)", 2)
  end
  local h = {}
  function h.start(args) return start(opts, store, args) end
  function h.callback() return callback(opts, store) end
  return setmetatable(h, { __call = function(_, ...) return h.callback(...) end })
end

-- The raw request body (also when nginx buffered it to a file).
local function raw_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local path = ngx.req.get_body_file()
  if not path then return "" end
  local f = io.open(path, "rb")
  if not f then return nil end
  body = f:read("*a")
  f:close()
  return body
end

local function header(name)
  local v = ngx.req.get_headers()[name]
  if type(v) == "table" then return nil end -- sent twice: refused
  return v
end

-- webhook(opts) -> handler(). opts: secret (string, required), handle(event, data, body)
-- (required; raising answers 500 so that Help Scout retries).
function _M.webhook(opts)
  check_table("webhook_handler", opts, { secret = "string", handle = "function" })
  if not opts.secret or opts.secret == "" then error("bad argument #1 to 'webhook_handler' (secret required)", 2) end
  if not opts.handle then error("bad argument #1 to 'webhook_handler' (handle function required)", 2) end
  local secret, handle = opts.secret, opts.handle
  return function()
    if ngx.req.get_method() ~= "POST" then return answer(405, "POST only.") end
    local body = raw_body()
    local sig = header("x-helpscout-signature")
    if not body or not equal(ngx.encode_base64(ngx.hmac_sha1(secret, body)), sig) then
      return answer(401, "Bad signature.")
    end
    local event = header("x-helpscout-event")
    local data = cjson.decode(body)
    if type(event) ~= "string" or event == "" or type(data) ~= "table" then
      return answer(400, "Not a Help Scout event.")
    end
    local ok, e = pcall(handle, event, data, body)
    if not ok then
      ngx.log(ngx.ERR, "helpscout webhook handler for ", event, " raised: ", tostring(e))
      return answer(500, "Handler failed.")
    end
    return answer(200, "ok")
  end
end

return _M
