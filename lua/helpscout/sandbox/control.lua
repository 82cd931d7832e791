-- The /_sandbox/ control endpoints (doc/sandbox.md): health, accounts, reset, config,
-- expire_tokens, authorize, revoke, faults, log, truth, webhooks, outbox. Not authenticated, not logged, not rate
-- limited: they belong to the test harness, not to the API. A route table like api.lua's: { method, name, handler }.
-- Handlers take (S, body) with body the decoded JSON object ({} when empty) and return
-- (status, table); bad input fails through wire.fail.
local json = require "helpscout.sandbox.json"
local wire = require "helpscout.sandbox.wire"
local webhooks = require "helpscout.sandbox.webhooks"
local outbox = require "helpscout.sandbox.outbox"
local oauth = require "helpscout.sandbox.oauth"

local pairs, ipairs, type, tonumber, tostring = pairs, ipairs, type, tonumber, tostring
local format, match, find, upper = string.format, string.match, string.find, string.upper
local floor = math.floor

local _M = {}

local function ctl(status, body)
  return { status = status, headers = { { "Content-Type", "application/json" } }, body = json.encode(body) }
end
_M.ctl = ctl

local function bad(message) wire.fail(ctl(400, { error = message })) end

local function positive(v) return type(v) == "number" and v >= 0 end
local function to_int(v) return (math.tointeger and math.tointeger(v)) or v end

local function number_check(name, zero_ok)
  return function(v)
    if not positive(v) or (not zero_ok and v <= 0) then return nil, name .. " must be a positive number" end
    return to_int(v)
  end
end

local function http_url(name)
  return function(v)
    if v == false then return false end -- unset
    if type(v) ~= "string" or not match(v, "^https?://[^/%s?#@]+[^%s#]*$") then
      return nil, name .. " must be an http(s) URL"
    end
    return v
  end
end

-- Settable at start (flags, new()) and at run time: name -> check(v) -> value | nil, message.
local CONFIG = {
  token_ttl = number_check("token_ttl"),
  rate_limit = number_check("rate_limit", true),
  rate_window = number_check("rate_window"),
  code_ttl = number_check("code_ttl"),
  render_cache = function(v)
    if type(v) ~= "boolean" then return nil, "render_cache must be a boolean" end
    return v
  end,
  redirect_url = http_url("redirect_url"),
  consent = function(v)
    if v ~= "allow" and v ~= "deny" then return nil, 'consent must be "allow" or "deny"' end
    return v
  end,
  webhook_url = http_url("webhook_url"),
  webhook_secret = function(v)
    if v ~= false and (type(v) ~= "string" or v == "") then return nil, "webhook_secret must be a non-empty string" end
    return v
  end,
}
local CONFIG_ORDER = { "render_cache", "token_ttl", "rate_limit", "rate_window", "code_ttl", "redirect_url",
  "consent", "webhook_url", "webhook_secret" }

-- Checks configuration value v of name k: the value to keep, or nil and a message.
function _M.check_config(k, v)
  return CONFIG[k](v)
end

-- Checks that v names a user of any account of S (an id or an e-mail): the user's id, or nil and
-- a message naming `name`.
function _M.check_user(S, v, name)
  if (type(v) == "number" or type(v) == "string") and v ~= "" then
    local _, u = S:find_user(v)
    if u then return u.id end
  end
  return nil, name .. " must be the id or e-mail of a user of one of the sandbox's accounts"
end

local function config(S, body)
  local values = {}
  for _, k in ipairs(CONFIG_ORDER) do
    if body[k] ~= nil then
      local v, msg = CONFIG[k](body[k])
      if v == nil then bad(msg) end
      values[k] = v
    end
  end
  if body.consent_user == false then values.consent_user = false -- back to account 1's first user
  elseif body.consent_user ~= nil then
    local id, msg = _M.check_user(S, body.consent_user, "consent_user")
    values.consent_user = id or bad(msg)
  end
  for k, v in pairs(values) do S.cfg[k] = v end -- all checked: nothing applied on a bad request
  if body.rate_limit ~= nil or body.rate_window ~= nil then S.rate = {} end
  local out = {}
  for _, k in ipairs(CONFIG_ORDER) do out[k] = S.cfg[k] end
  out.consent_user = S:principal().user
  out.webhook_secret = nil -- never shown: whether one is set is enough
  out.webhook_secret_set = S.cfg.webhook_secret and true or false
  return 200, out
end

local FAULT_ACTIONS = { status = true, drop = true, delay = true, garbage = true, truncate = true, echo = true }

local function add_fault(S, f)
  if type(f.path) ~= "string" or f.path == "" then bad("path is required") end
  if not FAULT_ACTIONS[f.action or "status"] then
    bad("action must be one of status, drop, delay, garbage, truncate, echo")
  end
  local fault = { method = f.method and upper(tostring(f.method)) or "*", path = f.path,
    count = tonumber(f.count) or 1, action = f.action or "status", status = tonumber(f.status),
    headers = type(f.headers) == "table" and f.headers or nil, body = type(f.body) == "string" and f.body or nil,
    delay = tonumber(f.delay), process = f.process == true, before = f.before == true }
  if fault.before and fault.action ~= "delay" then bad("before applies to the delay action only") end
  if fault.status then fault.status = floor(fault.status) end
  if fault.action == "status" and not fault.status then bad("status is required") end
  if fault.action == "delay" and not (fault.delay and fault.delay >= 0) then bad("delay (seconds) is required") end
  if fault.path:sub(-1) == "*" then fault.prefix = fault.path:sub(1, -2) end
  S.faults[#S.faults + 1] = fault
  return 200, { ok = true, pending = #S.faults }
end

local function list_faults(S)
  local list = json.array()
  for i, f in ipairs(S.faults) do
    list[i] = { method = f.method, path = f.path, count = f.count, action = f.action, status = f.status,
      delay = f.delay, process = f.process, before = f.before or nil }
  end
  return 200, { faults = list }
end

-- An optional user (id or e-mail) of a control request: its id, or nil when absent.
local function user_arg(S, body)
  if body.user == nil then return nil end
  local id, msg = _M.check_user(S, body.user, "user")
  return id or bad(msg)
end

local function authorize(S, body)
  local cid = body.client_id or S.cfg.client_id
  if cid ~= S.cfg.client_id then wire.fail(ctl(400, { error = "invalid_client" })) end
  local p = S:principal(user_arg(S, body))
  return 200, { code = S:new_code(cid, p), state = body.state, account = p.account, user = p.user }
end

local function revoke(S, body)
  local na, nr = oauth.revoke(S, user_arg(S, body))
  return 200, { access_tokens = na, refresh_tokens = nr }
end

local function truth(S)
  local topics = {}
  local languages -- --languages: the conversations written in another language
  for _, store in ipairs(S.stores) do
    for id, topic in pairs(store.truth) do topics[format("%d", id)] = topic end
    for id, code in pairs(store.language_truth or {}) do
      languages = languages or {}
      languages[format("%d", id)] = code
    end
  end
  return 200, { topics = topics, languages = languages }
end

-- Each account's users and mailboxes (ids, e-mails, names): who a test can consent as.
local function accounts(S)
  local list = json.array()
  for k, store in ipairs(S.stores) do
    local users, mailboxes = json.array(), json.array()
    for i, u in ipairs(store.users) do
      users[i] = { id = u.id, email = u.email, name = u.firstName .. " " .. u.lastName, role = u.role }
    end
    for i, m in ipairs(store.mailboxes) do mailboxes[i] = { id = m.id, name = m.name, email = m.email } end
    list[k] = { account = k, users = users, mailboxes = mailboxes }
  end
  return 200, { accounts = list }
end

local ROUTES = {
  { "GET", "health", function(S)
    return 200, { ok = true, version = S.VERSION, seed = S.cfg.seed, accounts = #S.stores }
  end },
  { "GET", "accounts", accounts },
  { "POST", "revoke", revoke },
  { "POST", "reset", function(S) S:reset(); return 200, { ok = true } end },
  { "POST", "config", config }, { "GET", "config", config },
  { "POST", "expire_tokens", function(S)
    local n = 0
    for _, t in pairs(S.tokens) do t.expires_at = 0; n = n + 1 end
    return 200, { expired = n }
  end },
  { "POST", "authorize", authorize },
  { "POST", "faults", add_fault },
  { "DELETE", "faults", function(S) S.faults = {}; return 200, { ok = true } end },
  { "GET", "faults", list_faults },
  { "GET", "log", function(S) return 200, { requests = S.reqlog:entries() } end },
  { "DELETE", "log", function(S) S.reqlog:clear(); return 200, { ok = true } end },
  { "GET", "truth", truth },
  { "GET", "webhooks", function(S) return 200, webhooks.list(S) end },
  { "DELETE", "webhooks", function(S) S.webhooks = webhooks.new(); return 200, { ok = true } end },
  { "GET", "outbox", function(S) return 200, outbox.list(S) end },
  { "DELETE", "outbox", function(S) S.outbox = {}; return 200, { ok = true } end },
}
_M.ROUTES = ROUTES

local function decode(req)
  if not req.body or not find(req.body, "%S") then return {} end
  local t = json.decode(req.body)
  if type(t) ~= "table" then wire.fail(ctl(400, { error = "invalid JSON body" })) end
  return t
end

-- Answers one /_sandbox/ request.
_M.handle = wire.protect(function(S, req)
  local m, what = req.method, match(req.path, "^/_sandbox/([%w_]+)$")
  local body = decode(req)
  for _, r in ipairs(ROUTES) do
    if r[1] == m and r[2] == what then return ctl(r[3](S, body)) end
  end
  return ctl(404, { error = "unknown control endpoint " .. m .. " " .. req.path })
end)

return _M
