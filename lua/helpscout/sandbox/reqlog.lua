-- The sandbox's request log (GET /_sandbox/log): the last `limit` /v2 requests with method, path,
-- query, headers, body and status. Secrets are redacted before an entry is stored (see below).
local json = require "helpscout.sandbox.json"
local wire = require "helpscout.sandbox.wire"

local pairs, ipairs, type, setmetatable = pairs, ipairs, type, setmetatable
local lower, match, gsub, find = string.lower, string.match, string.gsub, string.find

local _M = {}
local mt = { __index = _M }

function _M.new(limit)
  -- entries[seq] for seq in first..seq: dropping the oldest is O(1)
  return setmetatable({ entries_ = {}, seq = 0, first = 1, limit = limit }, mt)
end

-- Redaction, by field, on every path: a token request sent to any path, a secret in a query
-- string, a form or JSON body (at any depth) or a header never reaches the log in clear. Field
-- names are compared without case, "-" or "_" (client_secret, clientSecret, Client-Secret).
-- Then, belt and braces, the values of the configured secrets (client secret, webhook secret)
-- are replaced wherever they still occur (path, query, body, headers).
local R = "[redacted]"
local SECRET_FIELDS = { clientsecret = true, refreshtoken = true, code = true, accesstoken = true,
  password = true, secret = true, webhooksecret = true, authorization = true, token = true, idtoken = true }
local SECRET_HEADERS = { authorization = true, ["proxy-authorization"] = true, cookie = true,
  ["set-cookie"] = true }

local judged = {} -- name -> is it a secret's name (names repeat: every request has the same few)
local njudged = 0

local function secret_name(name)
  local v = judged[name]
  if v ~= nil then return v end
  local k = lower(gsub(name, "[%-_%s]", ""))
  v = (SECRET_FIELDS[k] or find(k, "secret", 1, true) or find(k, "password", 1, true) or find(k, "token$")) ~= nil
  if njudged > 10000 then judged, njudged = {}, 0 end -- bounded: names are client input
  judged[name], njudged = v, njudged + 1
  return v
end
_M.secret_name = secret_name

local function redact_form(s)
  if s == "" or not find(s, "=", 1, true) then return s end
  return (gsub(s, "([^&=]+)=([^&]*)", function(k, v)
    if v ~= "" and secret_name(wire.url_decode(k)) then return k .. "=" .. R end
    return k .. "=" .. v
  end))
end

-- Redacts t in place; returns how many values it replaced.
local function redact_json(t)
  local n = 0
  for k, v in pairs(t) do
    if type(k) == "string" and secret_name(k) and v ~= json.null then t[k] = R; n = n + 1
    elseif type(v) == "table" then n = n + redact_json(v) end
  end
  return n
end

-- Text that is neither JSON nor a form: "name": "value" and name=value pairs.
local function redact_text(s)
  s = gsub(s, '("([^"]*)"%s*:%s*)"([^"]*)("?)', function(pre, k, v, close)
    if secret_name(k) then return pre .. '"' .. R .. close end
    return pre .. '"' .. v .. close
  end)
  return redact_form(s)
end

local function redact_values(s, secrets)
  if type(s) ~= "string" or s == "" then return s end
  for _, v in ipairs(secrets) do
    if find(s, v, 1, true) then s = gsub(s, gsub(v, "%p", "%%%0"), R) end
  end
  return s
end

local function redact_headers(req, secrets)
  local headers = {}
  for k, v in pairs(req.headers) do
    if k == "authorization" or k == "proxy-authorization" then
      local scheme = match(v, "^(%a+)%s")
      headers[k] = scheme and (scheme .. " " .. R) or R
    elseif SECRET_HEADERS[k] or secret_name(k) then
      headers[k] = R
    else
      headers[k] = redact_values(v, secrets)
    end
  end
  return headers
end

-- The query as logged: a map (an array for a repeated name) and the raw string, secrets redacted.
-- One parse; the raw string is rewritten only when a secret-named parameter is in it.
local function log_query(qs, secrets)
  local query = {}
  if qs == "" then return query, qs end
  local hit = false
  for _, p in ipairs((wire.parse_qs(qs))) do
    local k, v = p[1], p[2]
    if v ~= "" and secret_name(k) then v, hit = R, true else v = redact_values(v, secrets) end
    local cur = query[k]
    if cur == nil then query[k] = v
    elseif type(cur) == "table" then cur[#cur + 1] = v
    else query[k] = json.array { cur, v } end
  end
  return query, redact_values(hit and redact_form(qs) or qs, secrets)
end

-- The body as logged and its decoded form (JSON or form fields), secrets redacted.
local function log_body(req, secrets)
  local body = req.body or ""
  if body == "" then return body end
  local ct = lower(req.headers["content-type"] or "")
  local decoded
  if find(ct, "json", 1, true) or find(body, "^%s*[%[{]") then
    decoded = json.decode(body)
    if type(decoded) == "table" then
      -- re-encoded only when something was redacted: the log keeps the bytes the client sent
      if redact_json(decoded) > 0 then body = json.encode(decoded) end
      return redact_values(body, secrets), decoded
    end
  end
  if find(ct, "x-www-form-urlencoded", 1, true) or (ct == "" and not decoded) then
    body = redact_values(redact_form(body), secrets)
    local _, map = wire.parse_qs(body)
    return body, map
  end
  return redact_values(redact_text(body), secrets), nil
end

-- The values of configured secrets worth scanning for (long enough not to blank common text),
-- kept while the configuration is the same.
local function scan_list(self, a, b)
  if self.scan_a == a and self.scan_b == b and self.scan then return self.scan end
  local out = {}
  for _, v in ipairs { a or false, b or false } do
    if type(v) == "string" and #v >= 6 then out[#out + 1] = v end
  end
  self.scan, self.scan_a, self.scan_b = out, a, b
  return out
end

-- Logs req at time now; secret1, secret2: values to blank wherever they occur (the client
-- secret, the webhook secret). Returns the entry (the caller sets entry.status and entry.fault).
function _M:add(req, now, secret1, secret2)
  local secrets = scan_list(self, secret1, secret2)
  local query, qs = log_query(req.query_string or "", secrets)
  local body, decoded = log_body(req, secrets)
  self.seq = self.seq + 1
  local e = { seq = self.seq, method = req.method, path = redact_values(req.path, secrets), query = query,
    raw_query = qs, headers = redact_headers(req, secrets), body = body ~= "" and body or nil,
    json = type(decoded) == "table" and decoded or nil, time = now, status = 0 }
  self.entries_[self.seq] = e
  while self.seq - self.first + 1 > self.limit do
    self.entries_[self.first] = nil
    self.first = self.first + 1
  end
  return e
end

-- The logged entries, oldest first (a JSON array).
function _M:entries()
  local list = json.array()
  for seq = self.first, self.seq do list[#list + 1] = self.entries_[seq] end
  return list
end

function _M:clear()
  self.entries_, self.first = {}, self.seq + 1
end

return _M
