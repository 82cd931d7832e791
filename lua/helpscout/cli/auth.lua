-- helpscout.cli.auth: the client every command uses, the auth commands and `listen`.
--   client(ctx)    the token file (--token-file, default $XDG_CONFIG_HOME/helpscout/token.json)
--                  when it exists, like gh: a file store the client loads from, renews through
--                  and saves to; else client credentials from HELPSCOUT_CLIENT_ID/_SECRET
--   auth login     the consent URL (a browser opened when one is available; --no-browser: the URL
--                  alone on stdout), one callback on http://127.0.0.1:PORT/oauth/callback/help-scout
--                  (state checked, code exchanged, token saved 0600), a short page, exit 0
--   auth status    the token file's token type and expiry, never a token
--   auth logout    the token file removed
--   listen         webhooks received, verified (HMAC-SHA1) and printed as JSON lines; a bad
--                  signature is answered 401 and printed nowhere but a line on stderr
local iso = require("helpscout.triage.text").format_time
local args = require "helpscout.cli.args"
local httpd = require "helpscout.cli.httpd"

local tostring, tonumber, pcall, require, os_remove, io_open = tostring, tonumber, pcall, require, os.remove, io.open
local format, getenv, time = string.format, os.getenv, os.time

local _M = {}

local CALLBACK_PATH = "/oauth/callback/help-scout"
_M.DEFAULT_PORT = 8765 -- register http://127.0.0.1:8765/oauth/callback/help-scout as the Redirection URL

local function token_file(ctx)
  return require("helpscout.cli").token_file(ctx.opts)
end

local function exists(path)
  local f = io_open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function credentials(ctx, why)
  local id, secret = getenv("HELPSCOUT_CLIENT_ID"), getenv("HELPSCOUT_CLIENT_SECRET")
  if not id or id == "" or not secret or secret == "" then
    ctx.fail("missing credentials: set HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET" .. (why or ""))
  end
  return id, secret
end

function _M.client(ctx)
  local helpscout = require "helpscout"
  local o = { base_url = ctx.opts["base-url"] }
  local path = token_file(ctx)
  if exists(path) then
    o.store = helpscout.store.file(path)
  else
    credentials(ctx, ", or log in with `helpscout auth login`")
  end
  local ok, hs = pcall(helpscout.new, o)
  if not ok then ctx.fail(hs) end
  return hs
end

---------------------------------------------------------------------------------------------
-- auth login

local PAGE = [[<!doctype html><html><head><meta charset="utf-8"><title>helpscout</title></head>
<body style="font-family:sans-serif"><h1>%s</h1><p>%s</p></body></html>]]

local function page(title, text)
  return format(PAGE, title, require("helpscout.triage.text").html_escape(text))
end

local function open_browser(url)
  if (getenv("DISPLAY") or getenv("WAYLAND_DISPLAY") or "") == "" then return false end
  local ok = os.execute("command -v xdg-open >/dev/null 2>&1 && xdg-open '" .. url:gsub("'", "'\\''")
    .. "' >/dev/null 2>&1 &")
  return ok == true or ok == 0
end

-- The callback request's verdict: the token (saved), or nil, err. Other paths get a 404 and the
-- listener keeps waiting (a browser also asks for /favicon.ico).
local function on_callback(req, flow)
  if req.path ~= CALLBACK_PATH then return 404, page("Not found", "This listener only serves " .. CALLBACK_PATH) end
  local token, err = require("helpscout.oauth").callback(req.query, flow)
  if not token then
    flow.err = err
    return 400, page("Not connected", tostring(err.message or err))
  end
  flow.done = true
  return 200, page("Connected to Help Scout", "The command line is logged in. You can close this tab.")
end

local function cmd_login(ctx, opts)
  local id, secret = credentials(ctx)
  local port = opts.port or _M.DEFAULT_PORT
  local server, berr = httpd.listen(port)
  if not server then ctx.fail(berr) end
  local path = token_file(ctx)
  local url, state = require("helpscout.oauth").start { client_id = id }
  local redirect = format("http://127.0.0.1:%d%s", port, CALLBACK_PATH)
  if opts["no-browser"] then
    ctx:write(url)
  else
    ctx:write("Open this URL to connect Help Scout (register " .. redirect .. " as the Redirection URL):")
    ctx:write(url)
    if open_browser(url) then ctx.stderr:write("helpscout: opened the browser\n") end
  end
  ctx.stdout:flush()
  ctx.stderr:write("helpscout: waiting for the authorization on ", redirect, "\n")
  local flow = { client_id = id, client_secret = secret, state = state, base_url = ctx.opts["base-url"]
    or getenv("HELPSCOUT_BASE_URL"), store = require("helpscout.store").file(path) }
  local ok, serr = httpd.serve(server, function(req) return on_callback(req, flow) end,
    function() return flow.done or flow.err end, 600)
  if not ok then ctx.fail(serr) end
  if flow.err then ctx.fail(flow.err) end
  ctx.stderr:write("helpscout: logged in; token saved to ", path, "\n")
  return 0
end

---------------------------------------------------------------------------------------------
-- auth status, auth logout

local function cmd_status(ctx)
  local path = token_file(ctx)
  if not exists(path) then
    if ctx.json then ctx:write_json({ logged_in = false, token_file = path }) end
    ctx.fail("not logged in (no token file at " .. path .. ")")
  end
  local tok, err = require("helpscout.store").file(path):load()
  if not tok then ctx.fail(err or ("no token in " .. path)) end
  local exp = tonumber(tok.expires_at)
  local s = { logged_in = true, token_file = path, token_type = tok.token_type or "bearer",
    expires_at = exp and iso(exp) or nil, expired = exp and exp <= time() or nil,
    obtained_at = tonumber(tok.obtained_at) and iso(tonumber(tok.obtained_at)) or nil,
    refreshable = tok.refresh_token ~= nil and tok.refresh_token ~= "" }
  if ctx.json then ctx:write_json(s); return 0 end
  ctx:write("Logged in to Help Scout (token file " .. path .. ")")
  ctx:write(format("  token type: %s; access token %s %s; %s", s.token_type, s.expired and "expired" or "expires",
    s.expires_at or "at an unknown time", s.refreshable and "renewed automatically with its refresh token"
      or "no refresh token (client credentials)"))
  return 0
end

local function cmd_logout(ctx)
  local path = token_file(ctx)
  if not exists(path) then ctx:write("Not logged in (no token file at " .. path .. ")"); return 0 end
  local ok, err = os_remove(path)
  if not ok then ctx.fail("could not remove " .. path .. ": " .. tostring(err)) end
  os_remove(path .. ".lock")
  ctx:write("Logged out: removed " .. path)
  return 0
end

---------------------------------------------------------------------------------------------
-- listen

-- v with every occurrence of secret in its strings (keys and values, at any depth) replaced by
-- "[redacted]": a payload that repeats the webhook secret never prints it.
local function redact(v, secret)
  if type(v) == "string" then
    local out, i = {}, 1
    while true do
      local a, b = v:find(secret, i, true)
      if not a then break end
      out[#out + 1] = v:sub(i, a - 1) .. "[redacted]"
      i = b + 1
    end
    out[#out + 1] = v:sub(i)
    return table.concat(out)
  end
  if type(v) ~= "table" then return v end
  local t = setmetatable({}, getmetatable(v))
  for k, x in pairs(v) do t[redact(k, secret)] = redact(x, secret) end
  return t
end

-- The webhook secret: from --secret-file (first line) or HELPSCOUT_WEBHOOK_SECRET; never from
-- argv, where every user of the machine sees it in `ps`.
local function webhook_secret(ctx, opts)
  if opts.secret then
    args.usage_error("listen does not take the secret on the command line (any user sees it in ps): "
      .. "set HELPSCOUT_WEBHOOK_SECRET or pass --secret-file FILE", "listen")
  end
  local secret
  if opts["secret-file"] then
    local f, err = io_open(opts["secret-file"], "rb")
    if not f then ctx.fail("cannot read the secret file: " .. tostring(err)) end
    secret = (f:read("*l") or ""):gsub("%s+$", "")
    f:close()
  else
    secret = getenv("HELPSCOUT_WEBHOOK_SECRET")
  end
  if not secret or secret == "" then
    args.usage_error("listen needs the webhook secret: HELPSCOUT_WEBHOOK_SECRET or --secret-file FILE", "listen")
  end
  return secret
end

local function cmd_listen(ctx, opts)
  local secret = webhook_secret(ctx, opts)
  local webhook = require "helpscout.webhook"
  local server, berr = httpd.listen(opts.port or 8766)
  if not server then ctx.fail(berr) end
  ctx.stderr:write(format("helpscout: listening for webhooks on http://127.0.0.1:%d/\n", opts.port or 8766))
  local seen = 0
  local function handle(req)
    if req.method ~= "POST" then return 405, "POST webhooks here\n" end
    local ev, err = webhook.parse(req.headers, req.body, secret)
    if not ev then
      ctx.stderr:write("helpscout: refused a webhook: ", tostring(err.message), "\n")
      return err.kind == "auth" and 401 or 400, tostring(err.message) .. "\n"
    end
    ctx:write_json(redact({ event = ev.event, data = ev.data }, secret))
    ctx.stdout:flush()
    seen = seen + 1
    return 200, "ok\n"
  end
  local ok, serr = httpd.serve(server, handle, function() return opts.limit and seen >= opts.limit end, nil)
  if not ok then ctx.fail(serr) end
  return 0
end

_M[1] = { name = "auth login", group = "Auth and webhooks",
  summary = "log in through Help Scout's consent screen; the token is saved to the token file",
  details = "Register http://127.0.0.1:PORT/oauth/callback/help-scout (default port 8765) as the "
    .. "Redirection URL of your Help Scout app. The consent screen is HELPSCOUT_AUTHORIZE_URL when set.",
  flags = { { "port", help = "port of the one-shot callback listener (default 8765)" }, "no-browser" },
  run = cmd_login }
_M[2] = { name = "auth status", group = "Auth and webhooks",
  summary = "whether the token file holds a token, its type and expiry (never the token)", run = cmd_status }
_M[3] = { name = "auth logout", group = "Auth and webhooks", summary = "remove the token file", run = cmd_logout }
_M[4] = { name = "listen", group = "Auth and webhooks",
  summary = "receive Help Scout webhooks, verify their signature and print them as JSON lines",
  details = "The webhook secret comes from HELPSCOUT_WEBHOOK_SECRET or --secret-file FILE (its first "
    .. "line), never from the command line. Connections are served concurrently; a client has "
    .. "5 s to send its request.",
  flags = { { "port", help = "port on 127.0.0.1 (default 8766)" }, "secret-file", "secret",
    { "limit", help = "exit after N verified events" } }, run = cmd_listen }

return _M
