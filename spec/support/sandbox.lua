-- Test helper: starts one out-of-process sandbox server (bin/helpscout-sandbox) on 127.0.0.1,
-- port 0, and talks to its control endpoints with LuaSocket (never with the client under test).
--
--   local sandbox = require "support.sandbox"
--   local sb = sandbox.start{ seed = 42, token_ttl = 2, rate_limit = 0 }
--   sb.url                      -- "http://127.0.0.1:PORT"
--   sb:fault{ method = "POST", path = "/v2/conversations/*", status = 500, count = 1 }
--   local reqs = sb:log()       -- array of logged requests (method, path, query, headers, body, status)
--   sb:clear_log(); sb:reset(); sb:config{ token_ttl = 1 }; sb:stop()
--   sb:config{ consent = "deny", redirect_url = "http://127.0.0.1:9/cb" }   -- the consent stand-in
--   sb:outbox()                 -- e-mails Help Scout would have sent; sb:clear_outbox()
--   sandbox.start{ accounts = 2 }; sb:accounts(); sb:authorize(nil, state, "dana@kestrel2.example")
--   sb:config{ consent_user = 8701 }; sb:revoke()   -- who consents next; every token forgotten
--   sb:fault{ path = "/v2/conversations", action = "echo", status = 400 }   -- secrets echoed back
--
-- The sandbox watches our pid (--parent) and exits by itself if the test process dies.
local proc = require "support.proc"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson.safe"

local M = {}
local mt = { __index = M }

local function root()
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/spec/support/[^/]+$")
  return dir or "."
end

local self_pid = proc.self_pid

local shq = proc.shq

-- opts: seed, token_ttl, rate_limit, rate_window, client_id, client_secret, conversations,
-- redirect_url, consent ("allow" | "deny"), webhook_url, webhook_secret, accounts, consent_user,
-- args (array of extra flags)
function M.start(opts)
  opts = opts or {}
  local dir = root()
  local interp = os.getenv("HS_SANDBOX_LUA") or "lua5.4"
  proc.need(interp, "the sandbox server runs under it (HS_SANDBOX_LUA)")
  local args = { "--port", "0", "--seed", tostring(opts.seed or 42) }
  local pid = self_pid()
  if pid then args[#args + 1] = "--parent"; args[#args + 1] = tostring(pid) end
  for _, k in ipairs { "token_ttl", "rate_limit", "rate_window", "client_id", "client_secret", "conversations",
    "redirect_url", "consent", "webhook_url", "webhook_secret", "accounts", "consent_user" } do
    if opts[k] ~= nil then
      args[#args + 1] = "--" .. k:gsub("_", "-")
      args[#args + 1] = tostring(opts[k])
    end
  end
  for _, a in ipairs(opts.args or {}) do args[#args + 1] = a end
  local quoted = {}
  for i, a in ipairs(args) do quoted[i] = shq(a) end
  os.execute("mkdir -p " .. shq(dir .. "/.tmp"))
  local errlog = dir .. "/.tmp/sandbox-stderr.log"
  local cmd = string.format("sh -c 'echo $$; exec \"$0\" \"$@\"' %s %s %s 2>>%s",
    shq(interp), shq(dir .. "/bin/helpscout-sandbox"), table.concat(quoted, " "), shq(errlog))
  local pipe = assert(io.popen(cmd, "r"))
  local spid = tonumber(pipe:read("*l"))
  local line = pipe:read("*l")
  local port = line and line:match("http://127%.0%.0%.1:(%d+)")
  if not (spid and port) then
    pipe:close()
    error("sandbox did not start (first line: " .. tostring(line) .. "); see " .. errlog)
  end
  return setmetatable({ pid = spid, port = tonumber(port), url = "http://127.0.0.1:" .. port,
    pipe = pipe, client_id = opts.client_id or "sandbox-client-id",
    client_secret = opts.client_secret or "sandbox-client-secret" }, mt)
end

function M:stop()
  if self.pid then
    os.execute("kill " .. self.pid .. " 2>/dev/null")
    self.pid = nil
    self.pipe:close()
  end
end

-- Raw control request; returns status, decoded body (or raw string), headers.
function M:request(method, path, body)
  local out = {}
  local src = body and (type(body) == "string" and body or cjson.encode(body)) or nil
  local _, status, headers = http.request {
    url = self.url .. path, method = method,
    headers = src and { ["content-type"] = "application/json", ["content-length"] = #src } or nil,
    source = src and ltn12.source.string(src) or nil,
    sink = ltn12.sink.table(out),
  }
  local raw = table.concat(out)
  local decoded = raw ~= "" and cjson.decode(raw) or nil
  return status, decoded == nil and raw or decoded, headers
end

function M:control(method, path, body)
  local status, res = self:request(method, "/_sandbox/" .. path, body)
  if status ~= 200 and status ~= 204 then
    local shown = cjson.encode(res) or tostring(res)
    error(("sandbox control %s %s failed: %s %s"):format(method, path, tostring(status), shown), 2)
  end
  return res
end

function M:fault(spec) return self:control("POST", "faults", spec) end
function M:reset() return self:control("POST", "reset") end
function M:config(t) return self:control("POST", "config", t) end
function M:clear_log() return self:control("DELETE", "log") end
-- Webhook deliveries the sandbox made or still tries (event, status, attempts; never the secret).
function M:webhooks() return self:control("GET", "webhooks").deliveries end
-- E-mails Help Scout would have sent to customers (to, cc, bcc, conversation_id, thread_id, why, at).
function M:outbox() return self:control("GET", "outbox").emails end
function M:clear_outbox() return self:control("DELETE", "outbox") end
function M:expire_tokens() return self:control("POST", "expire_tokens") end
function M:truth() return self:control("GET", "truth").topics end
-- A code as the consent user, or as `user` (an id or e-mail of any account) when given.
function M:authorize(client_id, state, user)
  return self:control("POST", "authorize", { client_id = client_id or self.client_id, state = state, user = user })
end
-- Every access and refresh token (of `user` only, when given) is forgotten: a revoked app.
function M:revoke(user) return self:control("POST", "revoke", user and { user = user } or nil) end
-- { { account = 1, users = { {id, email, name, role} }, mailboxes = { {id, name, email} } }, ... }
function M:accounts() return self:control("GET", "accounts").accounts end

-- Logged /v2 and /oauth requests, optionally filtered: sb:log{ method = "POST", path = "/v2/..." }
function M:log(filter)
  local res = self:control("GET", "log")
  local out = {}
  for _, r in ipairs(res.requests or {}) do
    local ok = true
    if filter then
      if filter.method and r.method ~= filter.method then ok = false end
      if filter.path and r.path ~= filter.path then ok = false end
    end
    if ok then out[#out + 1] = r end
  end
  return out
end

return M
