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
-- * start() puts a fresh random state (128 bits, from the core) in a cookie (HttpOnly,
--   SameSite=Lax, Path=/, 10 minutes; Secure when the request came over https) and redirects to
--   the consent screen; callback() compares the query's state with the cookie's in constant time
--   before anything else, clears the cookie, exchanges the code over cosockets (the grant request
--   and its interpretation are the engine's) and saves the token to the store before answering.
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

local COOKIE = "hs_oauth_state"
local STATE_TTL = 600

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
  done = "function", timeout = "number", connect_timeout = "number" }

local function state_cookie(value, max_age)
  local c = ("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax"):format(COOKIE, value, max_age)
  if ngx.var.scheme == "https" then c = c .. "; Secure" end
  return c
end

-- Exchanges the code over cosockets. Returns token or nil, err.
local function exchange(o, code)
  local getenv = os.getenv
  local eng = core.engine.new{ client_id = o.client_id or getenv("HELPSCOUT_CLIENT_ID"),
    client_secret = o.client_secret or getenv("HELPSCOUT_CLIENT_SECRET"),
    base_url = o.base_url or getenv("HELPSCOUT_BASE_URL") }
  for _ = 1, 2 do -- a second send only when the engine says the answer was lost (err.resend)
    ngx.update_time()
    local req, e = eng:grant_request(ngx.now(), code)
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
end

local function callback(o, store)
  local args = ngx.req.get_uri_args()
  local state, cookie = args.state, ngx.var["cookie_" .. COOKIE]
  ngx.header["Set-Cookie"] = state_cookie("", 0)
  if not equal(state, cookie) then
    return answer(400, "The authorization state does not match this browser session; start again.")
  end
  if args.error then
    return answer(403, "Help Scout authorization was not granted (" .. tostring(args.error):sub(1, 40) .. ").")
  end
  if type(args.code) ~= "string" or args.code == "" then return answer(400, "No authorization code.") end
  local tok, e = exchange(o, args.code)
  if not tok then -- not logged: nginx would add the request line, and with it the code
    return answer(e.kind == "reconsent" and 400 or 502,
      "The authorization code could not be exchanged (" .. e.kind .. ").")
  end
  local ok, serr = store:save(tok)
  if not ok then
    ngx.log(ngx.ERR, "helpscout oauth callback: cannot save the token: ", tostring(serr))
    return answer(500, "The token could not be saved.")
  end
  if o.on_token then o.on_token(tok) end
  if o.done then return o.done(tok) end
  return answer(200, "Connected to Help Scout. You can close this window.")
end

-- oauth(opts) -> { start = function(), callback = function() }. opts: client_id, client_secret,
-- base_url (token endpoint root; env HELPSCOUT_* as defaults), authorize_url (the consent
-- screen, as helpscout.oauth.start: default env HELPSCOUT_AUTHORIZE_URL, else Help Scout's),
-- store or shdict (where the token is saved), on_token, done(token) (answers the browser
-- instead of the default text), timeout, connect_timeout.
function _M.oauth(opts)
  check_table("oauth_handler", opts, OAUTH)
  local store = opts.store or (opts.shdict and shdict.new(opts.shdict))
  if not store then error("bad argument #1 to 'oauth_handler' (a 'store' or 'shdict' is required)", 2) end
  local h = {}
  function h.start()
    local url, state = require("helpscout.oauth").start{ client_id = opts.client_id,
      authorize_url = opts.authorize_url }
    ngx.header["Set-Cookie"] = state_cookie(state, STATE_TTL)
    ngx.header["Cache-Control"] = "no-store"
    return ngx.redirect(url, 302)
  end
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
    local data = body:find("^%s*{") and cjson.decode(body) -- an event is a JSON object, never an array
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
