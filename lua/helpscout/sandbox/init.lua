-- helpscout.sandbox — an offline Help Scout Mailbox API 2.0 for developing and testing automations
-- without an account (like stripe-mock for Stripe). Pure Lua on LuaSocket + lua-cjson.
--
--   local sandbox = require "helpscout.sandbox"
--   local sb = sandbox.new{ port = 0, seed = 42, token_ttl = 172800 }
--   local port = assert(sb:listen())      -- bound on 127.0.0.1
--   sb:run()                              -- serve until sb:stop() (or sb:step(t) from your loop)
--
-- Besides /v2 it answers control endpoints under /_sandbox/ (reset, config, faults, log, truth...),
-- documented in doc/sandbox.md. Secrets (client secret, tokens, Authorization values) are never
-- printed or logged: the request log redacts them.
local http = require "helpscout.sandbox.http"
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"
local api = require "helpscout.sandbox.api"
local oauth = require "helpscout.sandbox.oauth"
local webhooks = require "helpscout.sandbox.webhooks"
local control = require "helpscout.sandbox.control"
local reqlog = require "helpscout.sandbox.reqlog"
local wire = require "helpscout.sandbox.wire"

local pairs, ipairs, type, tonumber, tostring, setmetatable = pairs, ipairs, type, tonumber, tostring, setmetatable
local format, lower, match, gsub = string.format, string.lower, string.match, string.gsub
local floor, random = math.floor, math.random
local concat, remove = table.concat, table.remove

local _M = { VERSION = "0.1.0" }
local mt = { __index = _M }

local DEFAULTS = {
  host = "127.0.0.1", port = 0, seed = 42, token_ttl = 172800, rate_limit = 0, rate_window = 60,
  client_id = "sandbox-client-id", client_secret = "sandbox-client-secret", now = nil, parent = nil,
  verbose = false, log_limit = 10000, render_cache = true, webhook_url = false, webhook_secret = false,
  conversations = 560, redirect_url = "http://127.0.0.1:8765/oauth/callback/help-scout", consent = "allow",
  code_ttl = 600, accounts = 1, consent_user = false, languages = false,
}

-- Creates a sandbox (not yet listening). Options: host, port, seed, token_ttl, rate_limit,
-- rate_window, client_id, client_secret, now (epoch seconds or ISO 8601), parent (pid), verbose,
-- log_limit, render_cache (false: encode every response afresh), accounts (1..20), consent_user
-- (a user id or e-mail of any account), languages (true: 30% of the conversations in other
-- languages, or that share 0..1; helpscout.sandbox.corpus_lang). Unknown options raise.
function _M.new(opts)
  opts = opts or {}
  local cfg = {}
  for k, v in pairs(DEFAULTS) do cfg[k] = v end
  for k, v in pairs(opts) do
    if DEFAULTS[k] == nil and k ~= "now" and k ~= "parent" then
      error("bad argument #1 to 'new' (unknown option '" .. tostring(k) .. "')", 2)
    end
    cfg[k] = v
  end
  if cfg.languages == true then cfg.languages = 0.3 end
  local share = cfg.languages
  if share and (type(share) ~= "number" or share <= 0 or share > 1) then
    error("bad argument #1 to 'new' (languages: expected true or a share in (0, 1])", 2)
  end
  local n = cfg.conversations
  if type(n) ~= "number" or n < 1 or n > 500000 or n ~= floor(n) then
    error("bad argument #1 to 'new' (conversations: expected an integer from 1 to 500000)", 2)
  end
  local na = cfg.accounts
  if type(na) ~= "number" or na < 1 or na > data.MAX_ACCOUNTS or na ~= floor(na) then
    error("bad argument #1 to 'new' (accounts: expected an integer from 1 to " .. data.MAX_ACCOUNTS .. ")", 2)
  end
  for _, k in ipairs { "redirect_url", "consent", "webhook_url", "webhook_secret", "code_ttl" } do
    local v, msg = control.check_config(k, cfg[k])
    if v == nil then error("bad argument #1 to 'new' (" .. msg .. ")", 2) end
    cfg[k] = v
  end
  if type(cfg.now) == "string" then
    local t = data.parse_date(cfg.now)
    if not t then error("bad argument #1 to 'new' (now: expected yyyy-MM-ddTHH:mm:ssZ)", 2) end
    cfg.now = t
  end
  local self = setmetatable({ start_cfg = cfg, host = cfg.host, port = cfg.port }, mt)
  self.base_time = floor(cfg.now or http.now())
  self.clock_offset = 0
  self.boot_id = floor(http.now() * 1000) % 2147483647
  math.randomseed(self.boot_id)
  self:reset()
  if cfg.consent_user ~= false then
    local id, msg = control.check_user(self, cfg.consent_user, "consent_user")
    if not id then error("bad argument #1 to 'new' (" .. msg .. ")", 2) end
    cfg.consent_user = id
    self.cfg.consent_user = id
  end
  return self
end

-- Current time in epoch seconds (float).
function _M:now() return http.now() + self.clock_offset end

-- Restores seeded data and the start configuration; clears tokens, log and faults.
function _M:reset()
  local cfg = {}
  for k, v in pairs(self.start_cfg) do cfg[k] = v end
  self.cfg = cfg
  self.stores = {}
  for k = 1, cfg.accounts do
    self.stores[k] = data.generate(cfg.seed, self.base_time, cfg.conversations, k, cfg.languages or nil)
  end
  self:act_as(1, self.stores[1].users[1].id)
  self.tokens, self.refresh, self.codes = {}, {}, {}
  self.reqlog = reqlog.new(cfg.log_limit)
  self.webhooks = webhooks.new()
  self.outbox = {}
  self.faults = {}
  self.rate = {}
end

-- Accounts and users ------------------------------------------------------------------------------
-- S.store, S.account and S.owner_id are the account and user the current /v2 request acts as (set
-- from its token by the router); between requests, account 1 and its first user.

function _M:act_as(account, user_id)
  self.account, self.store, self.owner_id = account, self.stores[account], user_id
end

-- The account and user of user id or e-mail v (any account), or nil.
function _M:find_user(v)
  local email = type(v) == "string" and lower(v)
  for k, store in ipairs(self.stores) do
    if email then
      for _, u in ipairs(store.users) do if lower(u.email) == email then return k, u end end
    elseif store.user_by_id[v] then
      return k, store.user_by_id[v]
    end
  end
end

-- Who the next consent (or authorization code) acts as: { account, user } of user id or e-mail
-- `who` (already checked), else of cfg.consent_user, else account 1's first user.
function _M:principal(who)
  local account, u = self:find_user(who or self.cfg.consent_user or self.stores[1].users[1].id)
  return { account = account, user = u.id }
end

-- A new single-use authorization code for client_id acting as principal (default: the consent
-- user), valid for cfg.code_ttl seconds.
function _M:new_code(client_id, principal)
  local code = self:random_token(24)
  local p = principal or self:principal()
  self.codes[code] = { client_id = client_id, expires_at = self:now() + self.cfg.code_ttl, account = p.account,
    user = p.user }
  return code
end

local HEX = "0123456789abcdef"
function _M:random_token(n, dashed)
  local t = {}
  self.token_seq = (self.token_seq or 0) + 1
  for i = 1, n do
    if dashed and (i == 9 or i == 14 or i == 19 or i == 24) then t[i] = "-"
    else local k = random(16); t[i] = HEX:sub(k, k) end
  end
  return concat(t)
end

-- Faults -----------------------------------------------------------------------------------------

local function match_fault(self, req)
  for i, f in ipairs(self.faults) do
    local mok = f.method == "*" or f.method == req.method
    local pok
    if f.prefix then pok = req.path:sub(1, #f.prefix) == f.prefix else pok = req.path == f.path end
    if mok and pok then
      f.count = f.count - 1
      if f.count <= 0 then remove(self.faults, i) end
      return f
    end
  end
end

local GARBAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
  .. "<p>The upstream server returned an invalid response.</p></body></html>"

local function fault_status_response(f)
  local headers = {}
  local has_ct = false
  for k, v in pairs(f.headers or {}) do
    headers[#headers + 1] = { k, tostring(v) }
    if lower(k) == "content-type" then has_ct = true end
  end
  local body = f.body
  if body == nil then
    body = json.encode({ logRef = "sandbox-fault", message = http.reasons[f.status] or "Error" })
    if not has_ct then headers[#headers + 1] = { "Content-Type", "application/vnd.error+json" } end
  elseif not has_ct then
    headers[#headers + 1] = { "Content-Type", "application/json" }
  end
  return { status = f.status, headers = headers, body = body }
end

-- The "echo" fault: an error that repeats the request's secrets back — the Authorization value and
-- the client_secret, refresh_token and code of a token request (form, JSON, query or Basic) — in
-- every place a careless client might print: message, logRef, error_description, each
-- _embedded.errors[] message and rejectedValue, and the X-Debug-Echo header. It exists so that a
-- client's redaction can be tested against a server that misbehaves this way.
local ECHOED = { "client_secret", "refresh_token", "code" }

local function echo_response(f, req)
  local secrets = {}
  local auth = req.headers.authorization
  if auth and auth ~= "" then secrets[1] = { "authorization", auth, "Header" } end
  local fields = oauth.token_fields(req) or {}
  for _, k in ipairs(ECHOED) do
    if fields[k] and fields[k] ~= "" then secrets[#secrets + 1] = { k, fields[k], "JSON" } end
  end
  local parts, errors = {}, json.array()
  for i, s in ipairs(secrets) do
    parts[i] = s[1] .. "=" .. s[2]
    errors[i] = wire.field_error(s[1], "Rejected " .. s[1] .. ": " .. s[2], s[2], "Validation", s[3])
  end
  local echo = concat(parts, "; ")
  local headers = { { "Content-Type", wire.VND }, { "X-Debug-Echo", (gsub(echo, "%c", " ")) } }
  for k, v in pairs(f.headers or {}) do headers[#headers + 1] = { k, tostring(v) } end
  return { status = f.status or 400, headers = headers, body = json.encode {
    logRef = "echo#" .. echo, message = "Echo: " .. echo, error = "invalid_request",
    error_description = "Echo: " .. echo, _embedded = { errors = errors } } }
end

-- A delay "before" processing: the answer is made when the delay is over, and only when the client
-- is still there (http.lua drops it otherwise): a request whose client went away is never carried
-- out — a refresh token is not rotated for a process killed while it waited.
local function deferred(self, f, req, serve)
  return { delay = f.delay or 1, deferred = function()
    local real = (f.process or not f.status) and serve(self, req) or nil
    return f.status and fault_status_response(f) or real
  end }
end

local function apply_fault(self, f, req, serve)
  if f.before then return deferred(self, f, req, serve) end
  local real
  if f.process or (f.action == "delay" and not f.status) or f.action == "truncate" then
    real = serve(self, req)
  end
  if f.action == "drop" then return { drop = true } end
  if f.action == "status" then return fault_status_response(f) end
  if f.action == "echo" then return echo_response(f, req) end
  if f.action == "garbage" then
    return { status = f.status or 200, headers = { { "Content-Type", "text/html" } }, body = f.body or GARBAGE }
  end
  if f.action == "truncate" then
    local body = f.body
    if not body then
      body = (real and real.body and #real.body > 2) and real.body:sub(1, floor(#real.body / 2))
        or '{"_embedded":{"conversations":[{"id":24'
    end
    return { status = f.status or 200, headers = { { "Content-Type", "application/hal+json;charset=UTF-8" } },
      body = body, truncate = true }
  end
  -- delay
  local res = f.status and fault_status_response(f) or real
  res.delay = f.delay or 1
  return res
end

-- Request entry point ----------------------------------------------------------------------------

-- Served outside /v2 but logged and open to faults like it: Help Scout's consent page.
local CONSENT_PATH = "/authentication/authorizeClientApplication"

function _M:handle(req)
  if req.path:sub(1, 10) == "/_sandbox/" then return control.handle(self, req) end
  local serve = api.handle
  if req.path == CONSENT_PATH then serve = oauth.consent
  elseif req.path ~= "/v2" and req.path:sub(1, 4) ~= "/v2/" then
    return control.ctl(404, { message = "Not found: the API lives under /v2 (see doc/sandbox.md)" })
  end
  local entry = self.reqlog:add(req, self:now(), self.cfg.client_secret, self.cfg.webhook_secret)
  local f = match_fault(self, req)
  local res
  if f then
    res = apply_fault(self, f, req, serve)
    entry.fault = f.action
  else
    res = serve(self, req)
  end
  local function logged(r)
    entry.status = r.drop and 0 or (r.status or 200)
    entry.account, entry.user = req.account, req.user
    if self.cfg.verbose then
      io.stdout:write(format("%s %s %s%s\n", req.method, req.path, tostring(entry.status),
        f and (" (fault " .. f.action .. ")") or ""))
      io.stdout:flush()
    end
    return r
  end
  if not res.deferred then return logged(res) end
  local later = res.deferred
  res.deferred = function() return logged(later()) end
  res.gone = function() entry.gone = true end -- status stays 0: nothing was carried out
  return res
end

local function parent_alive(pid)
  local fh = io.open("/proc/" .. pid .. "/stat", "r")
  if fh then fh:close(); return true end
  return false
end

-- Binds the listening socket; returns the port, or nil and an error message.
function _M:listen()
  local cfg = self.start_cfg
  self.server = http.new {
    host = cfg.host, port = cfg.port,
    handler = function(req) return self:handle(req) end,
    on_tick = function()
      if cfg.parent and not parent_alive(cfg.parent) then self.server.stopping = true end
    end,
  }
  local port, err = self.server:listen()
  if not port then return nil, err end
  self.port = port
  self.host = cfg.host
  self.url = "http://" .. cfg.host .. ":" .. port
  return port
end

-- Handles pending network activity, waiting at most `timeout` seconds.
function _M:step(timeout)
  self.server:step(timeout)
end

-- Serves until stop() is called or the --parent process disappears.
function _M:run()
  self.server:run()
end

function _M:stop()
  if self.server then self.server.stopping = true end
end

local USAGE = [[
usage: helpscout-sandbox [--host 127.0.0.1] [--port N|0] [--seed N] [--token-ttl SECS]
       [--rate-limit N (0 = off)] [--rate-window SECS] [--client-id ID] [--client-secret S]
       [--now yyyy-MM-ddTHH:mm:ssZ] [--parent PID] [--verbose] [--conversations N]
       [--redirect-url URL] [--consent allow|deny] [--webhook-url URL --webhook-secret S]
       [--accounts N (1-20)] [--consent-user ID|EMAIL]
       [--languages (30% of conversations in de, fr, es, pt, nl, it, ja)]
An offline Help Scout Mailbox API 2.0 on http://HOST:PORT/v2 (see doc/sandbox.md).]]

local FLAGS = { host = "string", port = "number", seed = "number", ["token-ttl"] = "number",
  ["rate-limit"] = "number", ["rate-window"] = "number", ["client-id"] = "string",
  ["client-secret"] = "string", now = "string", parent = "number", verbose = "boolean",
  ["webhook-url"] = "string", ["webhook-secret"] = "string", conversations = "number",
  ["redirect-url"] = "string", consent = "string", accounts = "number", ["consent-user"] = "user",
  languages = "boolean" }

-- Parses command-line flags into new() options; returns opts or nil and a message.
function _M.parse_args(argv)
  local opts = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "-h" or a == "--help" then return nil, USAGE, true end
    local name, inline = match(a, "^%-%-([%w%-]+)=(.*)$")
    if not name then name = match(a, "^%-%-([%w%-]+)$") end
    local kind = name and FLAGS[name]
    if not kind then return nil, "unknown argument '" .. a .. "'\n" .. USAGE end
    local value
    if kind == "boolean" then value = true
    else
      value = inline
      if value == nil then i = i + 1; value = argv[i] end
      if value == nil then return nil, "missing value for --" .. name end
      if kind == "number" then
        local n = tonumber(value)
        if not n then return nil, "--" .. name .. " expects a number" end
        value = n
      elseif kind == "user" then -- a user id or an e-mail
        value = match(value, "^%d+$") and tonumber(value) or value
      end
    end
    opts[(gsub(name, "%-", "_"))] = value
    i = i + 1
  end
  return opts
end

-- The command-line program: parse flags, listen, print the ready line, serve.
function _M.main(argv)
  local opts, err, help = _M.parse_args(argv or {})
  if not opts then
    io.stderr:write(err, "\n")
    os.exit(help and 0 or 2)
  end
  local ok, sb = pcall(_M.new, opts)
  if not ok then
    io.stderr:write("helpscout-sandbox: ", tostring(sb):gsub("^[^:]*:%d+: ", ""), "\n")
    os.exit(2)
  end
  local port, lerr = sb:listen()
  if not port then
    io.stderr:write("helpscout-sandbox: cannot listen on ", sb.start_cfg.host, ":", tostring(sb.start_cfg.port),
      ": ", tostring(lerr), "\n")
    os.exit(1)
  end
  io.stdout:write("helpscout-sandbox listening on ", sb.url, "\n")
  io.stdout:flush()
  sb:run()
end

return _M
