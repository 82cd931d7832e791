-- The sandbox's request log (GET /_sandbox/log): the last `limit` /v2 requests with method, path,
-- query, headers, body and status. Secrets are redacted before an entry is stored.
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

local SECRET_FIELDS = { client_secret = true, refresh_token = true, code = true, access_token = true }

local function redact_form(s)
  return (gsub(s, "([^&=]+)=([^&]*)", function(k, v)
    if SECRET_FIELDS[lower(wire.url_decode(k))] and v ~= "" then return k .. "=[redacted]" end
    return k .. "=" .. v
  end))
end

local function redact_headers(req)
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
  return headers
end

local function query_map(qs)
  local query = {}
  for _, p in ipairs((wire.parse_qs(qs))) do
    local cur = query[p[1]]
    if cur == nil then query[p[1]] = p[2]
    elseif type(cur) == "table" then cur[#cur + 1] = p[2]
    else query[p[1]] = json.array { cur, p[2] } end
  end
  return query
end

-- The body as logged and its decoded form (JSON or form fields), secrets redacted.
local function log_body(req, is_token)
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
      local _, map = wire.parse_qs(body)
      decoded = map
    end
  end
  return body, decoded
end

-- Logs req at time now; returns the entry (the caller sets entry.status and entry.fault).
function _M:add(req, now)
  local is_token = req.path == "/v2/oauth2/token"
  local qs = req.query_string or ""
  if is_token then qs = redact_form(qs) end
  local body, decoded = log_body(req, is_token)
  self.seq = self.seq + 1
  local e = { seq = self.seq, method = req.method, path = req.path, query = query_map(qs), raw_query = qs,
    headers = redact_headers(req), body = body ~= "" and body or nil,
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
