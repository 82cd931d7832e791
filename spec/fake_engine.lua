-- A stand-in for the C engine's token part, written to doc/engine.md "Tokens: the engine part"
-- (token, set_token, generation, due, grant_request, grant_answer; no I/O), and the driver's
-- send over LuaSocket. Used by spec/renew_spec.lua and the multi-process proof until
-- core.engine.new is on main; then the specs switch to the real engine.
local core = require "helpscout.core"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {}

function M.copy(t)
  if not t then return nil end
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  return o
end

local function urlenc(s) return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end)) end

-- The engine part of doc/engine.md, no I/O: token state, due rule, grant request and answer.
function M.engine(sb, token)
  local e = { tok = M.copy(token), gen = 0, dead = nil, resent = false }
  function e.token(self) return M.copy(self.tok) end
  function e.set_token(self, t) self.tok, self.gen = M.copy(t), self.gen + 1 end
  function e.generation(self) return self.gen end
  function e.due(self, t, now)
    t = t or self.tok
    if not (t and t.access_token and t.expires_at) then return true end
    local life = t.expires_at - (t.obtained_at or t.expires_at)
    return now >= t.expires_at - math.min(60, life / 4)
  end
  function e.grant_request(self, now)
    local rt = self.tok and self.tok.refresh_token
    if rt and rt == self.dead then
      return nil, setmetatable({ kind = "reconsent", message = "the refresh token is dead" }, core.Error)
    end
    local body = rt and ("grant_type=refresh_token&refresh_token=" .. urlenc(rt)) or "grant_type=client_credentials"
    body = body .. "&client_id=" .. urlenc(sb.client_id) .. "&client_secret=" .. urlenc(sb.client_secret)
    self.sent, self.sent_at, self.resent = rt, now, false
    return { action = "SEND", method = "POST", url = sb.url .. "/v2/oauth2/token", body = body,
             headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
             fresh_connection = true, write = false, idempotent = false }
  end
  function e.grant_answer(self, o)
    local function fail(kind, fields)
      local err = setmetatable({ kind = kind, message = "grant failed: " .. kind }, core.Error)
      for k, v in pairs(fields or {}) do err[k] = v end
      return nil, err
    end
    if o.transport then
      if self.resent then return fail("network") end
      self.resent = true
      return fail("network", { resend = true })
    end
    local ok, v = pcall(cjson.decode, o.body or "")
    if o.status == 200 and ok and type(v) == "table" and v.access_token then
      self:set_token{ access_token = v.access_token, refresh_token = v.refresh_token or self.sent,
        token_type = v.token_type, expires_at = o.now + v.expires_in, obtained_at = o.now }
      return self:token()
    end
    if o.status == 400 and ok and (v.error == "invalid_grant" or v.error == "invalid_request") and self.sent then
      self.dead = self.sent
      return fail("reconsent")
    end
    return fail("auth", { status = o.status })
  end
  return e
end

-- The driver's part: execute a SEND action over HTTP, return the outcome.
function M.sender(log)
  return function(req)
    if log then log[#log + 1] = req end
    local out = {}
    local _, status, headers = http.request {
      url = req.url, method = req.method, sink = ltn12.sink.table(out),
      headers = { ["content-type"] = req.headers["Content-Type"], ["content-length"] = #req.body },
      source = ltn12.source.string(req.body),
    }
    local now = core.sys.now()
    if type(status) ~= "number" then return { now = now, transport = "network", message = tostring(status) } end
    return { now = now, status = status, headers = headers, body = table.concat(out) }
  end
end

return M
