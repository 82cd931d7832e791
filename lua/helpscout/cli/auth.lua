-- helpscout.cli.auth: the client every command uses, the auth commands and `listen`.
--   client(ctx)    the token file (--token-file, default $XDG_CONFIG_HOME/helpscout/token.json) is
--                  a file store of connections (DESIGN.md §4): the command acts as --connection ID
--                  (default "default": the token file itself) through
--                  helpscout.new{store = file store, connection = ID}, like gh; the connection
--                  "default" without a record falls back to client credentials
--                  (HELPSCOUT_CLIENT_ID/_SECRET), any other connection must have logged in
--   auth login     the connect flow (helpscout.oauth.start/callback): the state kept in the token
--                  file's store (single use, 10 minutes), the consent URL (a browser opened when
--                  one is available; --no-browser: the URL alone on stdout), one callback on
--                  http://127.0.0.1:PORT/oauth/callback/help-scout, GET /v2/users/me, the token
--                  saved 0600 with who it is; --allow (e-mails/@domains) refuses anyone else, and a
--                  connection that belongs to another Help Scout user is refused unless --replace
--   auth status    the connections of the token file: id, user e-mail and id, expiry, ok/dead
--                  (never a token)
--   auth logout    the connection's record removed (--connection, default "default")
--   listen         webhooks received, verified (HMAC-SHA1) and printed as JSON lines; a bad
--                  signature is answered 401 and printed nowhere but a line on stderr
local iso = require("helpscout.triage.text").format_time
local args = require "helpscout.cli.args"
local httpd = require "helpscout.cli.httpd"
local out = require "helpscout.cli.out"

local tostring, tonumber, pcall, require, ipairs = tostring, tonumber, pcall, require, ipairs
local format, getenv, time, io_open = string.format, os.getenv, os.time, io.open

local _M = {}

local CALLBACK_PATH = "/oauth/callback/help-scout"
_M.DEFAULT_PORT = 8765 -- register http://127.0.0.1:8765/oauth/callback/help-scout as the Redirection URL

local function token_file(ctx)
  return require("helpscout.cli").token_file(ctx.opts)
end

-- The token file's store, and the connection this command acts as (checked by the parser).
local function file_store(ctx) return require("helpscout.store").file(token_file(ctx)) end
local function connection_id(ctx) return ctx.opts.connection or "default" end

local function credentials(ctx, why)
  local id, secret = getenv("HELPSCOUT_CLIENT_ID"), getenv("HELPSCOUT_CLIENT_SECRET")
  if not id or id == "" or not secret or secret == "" then
    ctx.fail("missing credentials: set HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET" .. (why or ""))
  end
  return id, secret
end

function _M.client(ctx)
  local helpscout = require "helpscout"
  local o, id, fs = { base_url = ctx.opts["base-url"] }, connection_id(ctx), file_store(ctx)
  local rec, err = fs:connection(id):load()
  if err then ctx.fail(err) end -- a corrupt record: refused, left as it is
  if rec then
    o.store, o.connection = fs, id
  elseif id ~= "default" then
    ctx.fail(format("connection '%s' has no token in %s: log in with `helpscout auth login --connection %s`",
      id, token_file(ctx), id))
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

-- --allow values ("a@b.c,@d.e", repeatable) as one list, or nil when not given.
local function allow_list(values)
  if not values then return nil end
  local list = {}
  for _, v in ipairs(values) do
    for item in v:gmatch("[^,]+") do
      item = item:match("^%s*(.-)%s*$")
      if item ~= "" then
        if item:find("[%s%c]") or not item:find("[@.]") then
          args.usage_error("--allow takes e-mails or @domains, got '" .. item:gsub("%c", "?") .. "'", "auth login")
        end
        list[#list + 1] = item
      end
    end
  end
  if #list == 0 then args.usage_error("--allow needs at least one e-mail or @domain", "auth login") end
  return list
end

-- A refusal's one line, with what to do about it.
local HINTS = {
  other_user = " (pass --replace to let this user take the connection over)",
  not_allowed = " (not in --allow)",
}

-- The callback request's verdict, kept in flow (info or err). Other paths get a 404 and the
-- listener keeps waiting (a browser also asks for /favicon.ico).
local function on_callback(req, flow)
  if req.path ~= CALLBACK_PATH then return 404, page("Not found", "This listener only serves " .. CALLBACK_PATH) end
  local token, info = require("helpscout.oauth").callback(req.query, flow.opts)
  if not token then
    flow.err = info
    return 400, page("Not connected", tostring(info.message or info) .. (HINTS[info.reason] or ""))
  end
  flow.info = info
  return 200, page("Connected to Help Scout", "The command line is logged in as " .. tostring(info.user.email)
    .. ". You can close this tab.")
end

local function cmd_login(ctx, opts)
  local id, secret = credentials(ctx)
  local allow = allow_list(opts.allow)
  local conn, path, fs = connection_id(ctx), token_file(ctx), file_store(ctx)
  local port = opts.port or _M.DEFAULT_PORT
  local server, berr = httpd.listen(port)
  if not server then ctx.fail(berr) end
  local url, serr = require("helpscout.oauth").start { store = fs, client_id = id, connection = conn }
  if not url then server:close(); ctx.fail(serr) end
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
  local flow = { opts = { client_id = id, client_secret = secret, store = fs, allow = allow,
    replace = opts.replace or nil, base_url = ctx.opts["base-url"] or getenv("HELPSCOUT_BASE_URL") } }
  local ok, herr = httpd.serve(server, function(req) return on_callback(req, flow) end,
    function() return flow.info or flow.err end, 600)
  if not ok then ctx.fail(herr) end
  if flow.err then ctx.fail(tostring(flow.err) .. (HINTS[flow.err.reason] or "")) end
  local user = flow.info.user
  ctx.stderr:write(format("helpscout: logged in as %s (Help Scout user %s); connection '%s' saved to %s\n",
    tostring(user.email), tostring(user.id), flow.info.connection, path))
  return 0
end

---------------------------------------------------------------------------------------------
-- auth status, auth logout

-- One connection's line of `auth status` (never a token).
local function conn_status(fs, id)
  local rec, err = fs:connection(id):load()
  if not rec then
    return { connection = id, state = err and "corrupt" or "missing", error = err and tostring(err.message) or nil }
  end
  local exp = tonumber(rec.expires_at)
  return { connection = id, email = rec.email, user_id = rec.user_id, token_type = rec.token_type or "bearer",
    expires_at = exp and iso(exp) or nil, expired = exp and exp <= time() or nil,
    obtained_at = tonumber(rec.obtained_at) and iso(tonumber(rec.obtained_at)) or nil,
    refreshable = rec.refresh_token ~= nil and rec.refresh_token ~= "", state = rec.dead and "dead" or "ok" }
end

local STATE_NOTE = {
  dead = "its refresh token was refused: log in again",
  corrupt = "the record is not a token (left as it is)",
}

local function cmd_status(ctx)
  local path, fs = token_file(ctx), file_store(ctx)
  local ids = fs:connections()
  if ctx.opts.connection then
    local only = {}
    for _, id in ipairs(ids) do if id == ctx.opts.connection then only[1] = id end end
    ids = only
  end
  local rows = {}
  for i, id in ipairs(ids) do rows[i] = conn_status(fs, id) end
  if ctx.json then ctx:write_json({ logged_in = #rows > 0, token_file = path, connections = out.array(rows) }) end
  if #rows == 0 then
    ctx.fail("not logged in (no " .. (ctx.opts.connection and ("connection '" .. ctx.opts.connection .. "'")
      or "connection") .. " in the token file " .. path .. ")")
  end
  if ctx.json then return 0 end
  ctx:write("Logged in to Help Scout (token file " .. path .. ")")
  for _, r in ipairs(rows) do
    r.expires = r.expires_at and ((r.expired and "expired " or "") .. r.expires_at) or ""
    r.renewal = r.state ~= "ok" and (STATE_NOTE[r.state] or "") or r.refreshable and "renewed automatically"
      or "no refresh token (client credentials)"
  end
  ctx:write(out.table(rows, { { "CONNECTION", "connection" }, { "USER", "email" }, { "USER ID", "user_id" },
    { "EXPIRES", "expires" }, { "STATE", "state" }, { "", "renewal" } }))
  return 0
end

local function cmd_logout(ctx)
  local path, id = token_file(ctx), connection_id(ctx)
  local c = file_store(ctx):connection(id)
  local rec, err = c:load()
  if not rec and not err then
    ctx:write(format("Not logged in (connection '%s' has no token in %s)", id, path))
    return 0
  end
  local ok, rerr = c:remove()
  if not ok then ctx.fail(rerr) end
  ctx:write(format("Logged out: removed connection '%s'%s from %s", id,
    rec and rec.email and (" (" .. rec.email .. ")") or "", path))
  return 0
end

---------------------------------------------------------------------------------------------
-- listen

-- v with every occurrence of secret in its strings (keys and values, at any depth) replaced by
-- "[redacted]": a payload that repeats the webhook secret never prints it.
local function redact(v, secret)
  if type(v) == "string" then
    local parts, i = {}, 1
    while true do
      local a, b = v:find(secret, i, true)
      if not a then break end
      parts[#parts + 1] = v:sub(i, a - 1) .. "[redacted]"
      i = b + 1
    end
    parts[#parts + 1] = v:sub(i)
    return table.concat(parts)
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
  summary = "log in through Help Scout's consent screen; the token is saved in the token file as the "
    .. "connection --connection (default: default)",
  details = "Register http://127.0.0.1:PORT/oauth/callback/help-scout (default port 8765) as the "
    .. "Redirection URL of your Help Scout app. The consent screen is HELPSCOUT_AUTHORIZE_URL when set. "
    .. "A connection stays with the Help Scout user who first logged in to it: another user is refused "
    .. "unless --replace.",
  flags = { { "port", help = "port of the one-shot callback listener (default 8765)" }, "no-browser", "allow",
    "replace" },
  run = cmd_login }
_M[2] = { name = "auth status", group = "Auth and webhooks",
  summary = "the token file's connections: user, user id, expiry, ok or dead (never a token)", run = cmd_status }
_M[3] = { name = "auth logout", group = "Auth and webhooks",
  summary = "remove the connection's record (--connection, default: default) from the token file", run = cmd_logout }
_M[4] = { name = "listen", group = "Auth and webhooks",
  summary = "receive Help Scout webhooks, verify their signature and print them as JSON lines",
  details = "The webhook secret comes from HELPSCOUT_WEBHOOK_SECRET or --secret-file FILE (its first "
    .. "line), never from the command line. Connections are served concurrently; a client has "
    .. "5 s to send its request.",
  flags = { { "port", help = "port on 127.0.0.1 (default 8766)" }, "secret-file", "secret",
    { "limit", help = "exit after N verified events" } }, run = cmd_listen }

return _M
