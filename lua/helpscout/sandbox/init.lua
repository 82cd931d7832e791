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

local pairs, ipairs, type, tonumber, tostring, setmetatable = pairs, ipairs, type, tonumber, tostring, setmetatable
local format, lower, match, gsub, find = string.format, string.lower, string.match, string.gsub, string.find
local floor, random = math.floor, math.random
local concat, remove = table.concat, table.remove

local _M = { VERSION = "0.1.0" }
local mt = { __index = _M }

local DEFAULTS = {
  host = "127.0.0.1", port = 0, seed = 42, token_ttl = 172800, rate_limit = 0, rate_window = 60,
  client_id = "sandbox-client-id", client_secret = "sandbox-client-secret", now = nil, parent = nil,
  verbose = false, log_limit = 10000, render_cache = true,
}

local FAULT_ACTIONS = { status = true, drop = true, delay = true, garbage = true, truncate = true }

-- Creates a sandbox (not yet listening). Options: host, port, seed, token_ttl, rate_limit,
-- rate_window, client_id, client_secret, now (epoch seconds or ISO 8601), parent (pid), verbose,
-- log_limit, render_cache (false: encode every response afresh). Unknown options raise.
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
  return self
end

-- Current time in epoch seconds (float).
function _M:now() return http.now() + self.clock_offset end

-- Restores seeded data and the start configuration; clears tokens, log and faults.
function _M:reset()
  local cfg = {}
  for k, v in pairs(self.start_cfg) do cfg[k] = v end
  self.cfg = cfg
  self.store = data.generate(cfg.seed, self.base_time)
  self.owner_id = self.store.users[1].id
  self.tokens, self.refresh, self.codes = {}, {}, {}
  self.log, self.log_seq, self.log_first = {}, 0, 1
  self.faults = {}
  self.rate = {}
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

-- Request log ------------------------------------------------------------------------------------

local SECRET_FIELDS = { client_secret = true, refresh_token = true, code = true, access_token = true }

local function redact_form(s)
  return (gsub(s, "([^&=]+)=([^&]*)", function(k, v)
    if SECRET_FIELDS[lower(api.url_decode(k))] and v ~= "" then return k .. "=[redacted]" end
    return k .. "=" .. v
  end))
end

local function log_entry(self, req)
  local headers = {}
  for k, v in pairs(req.headers) do
    if k == "authorization" then
      local scheme = match(v, "^(%a+)%s")
      headers[k] = scheme and (scheme .. " [redacted]") or "[redacted]"
    elseif k == "cookie" then
      headers[k] = "[redacted]"
    else
      headers[k] = v
    end
  end
  local is_token = req.path == "/v2/oauth2/token"
  local qs = req.query_string or ""
  if is_token then qs = redact_form(qs) end
  local qlist = api.parse_qs(qs)
  local query = {}
  for _, p in ipairs(qlist) do
    local cur = query[p[1]]
    if cur == nil then query[p[1]] = p[2]
    elseif type(cur) == "table" then cur[#cur + 1] = p[2]
    else query[p[1]] = json.array { cur, p[2] } end
  end
  local body = req.body or ""
  local decoded
  local ct = lower(req.headers["content-type"] or "")
  if body ~= "" then
    if find(ct, "json", 1, true) or (ct == "" and find(body, "^%s*[%[{]")) then
      decoded = json.decode(body)
      if is_token and type(decoded) == "table" then
        for k in pairs(decoded) do if SECRET_FIELDS[k] then decoded[k] = "[redacted]" end end
        body = json.encode(decoded)
      elseif is_token then
        body = "[redacted: unparseable token request body]"
      end
    elseif find(ct, "x-www-form-urlencoded", 1, true) or is_token then
      if is_token then body = redact_form(body) end
      local _, map = api.parse_qs(body)
      decoded = map
    end
  end
  self.log_seq = self.log_seq + 1
  local e = { seq = self.log_seq, method = req.method, path = req.path, query = query, raw_query = qs,
    headers = headers, body = body ~= "" and body or nil, json = type(decoded) == "table" and decoded or nil,
    time = self:now(), status = 0 }
  -- self.log[seq] = entry for seq in log_first..log_seq: dropping the oldest is O(1)
  self.log[self.log_seq] = e
  while self.log_seq - self.log_first + 1 > self.cfg.log_limit do
    self.log[self.log_first] = nil
    self.log_first = self.log_first + 1
  end
  return e
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

local function apply_fault(self, f, req)
  local real
  if f.process or (f.action == "delay" and not f.status) or f.action == "truncate" then
    real = api.handle(self, req)
  end
  if f.action == "drop" then return { drop = true } end
  if f.action == "status" then return fault_status_response(f) end
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

-- Control endpoints ------------------------------------------------------------------------------

local function ctl(status, body)
  return { status = status, headers = { { "Content-Type", "application/json" } }, body = json.encode(body) }
end

local function ctl_body(req)
  if not req.body or not find(req.body, "%S") then return {} end
  local t = json.decode(req.body)
  if type(t) ~= "table" then return nil end
  return t
end

local function positive(v) return type(v) == "number" and v >= 0 end

function _M:control(req)
  local m, what = req.method, match(req.path, "^/_sandbox/([%w_]+)$")
  local body = ctl_body(req)
  if not body then return ctl(400, { error = "invalid JSON body" }) end
  if what == "health" and m == "GET" then
    return ctl(200, { ok = true, version = _M.VERSION, seed = self.cfg.seed })
  elseif what == "reset" and m == "POST" then
    self:reset()
    return ctl(200, { ok = true })
  elseif what == "config" and (m == "POST" or m == "GET") then
    if body.render_cache ~= nil and type(body.render_cache) ~= "boolean" then
      return ctl(400, { error = "render_cache must be a boolean" })
    end
    for _, k in ipairs { "token_ttl", "rate_limit", "rate_window" } do
      local v = body[k]
      if v ~= nil then
        if not positive(v) or (k ~= "rate_limit" and v <= 0) then
          return ctl(400, { error = k .. " must be a positive number" })
        end
        self.cfg[k] = (math.tointeger and math.tointeger(v)) or v
      end
    end
    if body.render_cache ~= nil then self.cfg.render_cache = body.render_cache end
    if body.rate_limit ~= nil or body.rate_window ~= nil then self.rate = {} end
    return ctl(200, { token_ttl = self.cfg.token_ttl, rate_limit = self.cfg.rate_limit,
      rate_window = self.cfg.rate_window, render_cache = self.cfg.render_cache })
  elseif what == "expire_tokens" and m == "POST" then
    local n = 0
    for _, t in pairs(self.tokens) do t.expires_at = 0; n = n + 1 end
    return ctl(200, { expired = n })
  elseif what == "authorize" and m == "POST" then
    local cid = body.client_id or self.cfg.client_id
    if cid ~= self.cfg.client_id then return ctl(400, { error = "invalid_client" }) end
    local code = self:random_token(24)
    self.codes[code] = { client_id = cid }
    return ctl(200, { code = code, state = body.state })
  elseif what == "faults" and m == "POST" then
    local f = body
    if type(f.path) ~= "string" or f.path == "" then return ctl(400, { error = "path is required" }) end
    if not FAULT_ACTIONS[f.action or "status"] then
      return ctl(400, { error = "action must be one of status, drop, delay, garbage, truncate" })
    end
    local fault = { method = f.method and tostring(f.method):upper() or "*", path = f.path,
      count = tonumber(f.count) or 1, action = f.action or "status", status = tonumber(f.status),
      headers = type(f.headers) == "table" and f.headers or nil, body = type(f.body) == "string" and f.body or nil,
      delay = tonumber(f.delay), process = f.process == true }
    if fault.status then fault.status = floor(fault.status) end
    if fault.action == "status" and not fault.status then return ctl(400, { error = "status is required" }) end
    if fault.action == "delay" and not (fault.delay and fault.delay >= 0) then
      return ctl(400, { error = "delay (seconds) is required" })
    end
    if fault.path:sub(-1) == "*" then fault.prefix = fault.path:sub(1, -2) end
    self.faults[#self.faults + 1] = fault
    return ctl(200, { ok = true, pending = #self.faults })
  elseif what == "faults" and m == "DELETE" then
    self.faults = {}
    return ctl(200, { ok = true })
  elseif what == "faults" and m == "GET" then
    local list = json.array()
    for i, f in ipairs(self.faults) do
      list[i] = { method = f.method, path = f.path, count = f.count, action = f.action, status = f.status,
        delay = f.delay, process = f.process }
    end
    return ctl(200, { faults = list })
  elseif what == "log" and m == "GET" then
    local list = json.array()
    for seq = self.log_first, self.log_seq do list[#list + 1] = self.log[seq] end
    return ctl(200, { requests = list })
  elseif what == "log" and m == "DELETE" then
    self.log, self.log_first = {}, self.log_seq + 1
    return ctl(200, { ok = true })
  elseif what == "truth" and m == "GET" then
    local topics = {}
    for id, topic in pairs(self.store.truth) do topics[format("%d", id)] = topic end
    return ctl(200, { topics = topics })
  end
  return ctl(404, { error = "unknown control endpoint " .. m .. " " .. req.path })
end

-- Request entry point ----------------------------------------------------------------------------

function _M:handle(req)
  if req.path:sub(1, 10) == "/_sandbox/" then return self:control(req) end
  if req.path ~= "/v2" and req.path:sub(1, 4) ~= "/v2/" then
    return ctl(404, { message = "Not found: the API lives under /v2 (see doc/sandbox.md)" })
  end
  local entry = log_entry(self, req)
  local f = match_fault(self, req)
  local res
  if f then
    res = apply_fault(self, f, req)
    entry.fault = f.action
  else
    res = api.handle(self, req)
  end
  entry.status = res.drop and 0 or (res.status or 200)
  if self.cfg.verbose then
    io.stdout:write(format("%s %s %s%s\n", req.method, req.path, tostring(entry.status),
      f and (" (fault " .. f.action .. ")") or ""))
    io.stdout:flush()
  end
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
       [--now yyyy-MM-ddTHH:mm:ssZ] [--parent PID] [--verbose]
An offline Help Scout Mailbox API 2.0 on http://HOST:PORT/v2 (see doc/sandbox.md).]]

local FLAGS = { host = "string", port = "number", seed = "number", ["token-ttl"] = "number",
  ["rate-limit"] = "number", ["rate-window"] = "number", ["client-id"] = "string",
  ["client-secret"] = "string", now = "string", parent = "number", verbose = "boolean" }

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
