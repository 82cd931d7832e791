-- Test helper for the connector specs, the node tests and the demo: a sandbox (the offline Help
-- Scout) and a real nginx running examples/connector.conf itself, with only its listen port and
-- its .tmp/connector/ paths rewritten (to a free port and a fresh directory).
--
--   local support = require "connector.support"
--   local env = support.start{ sandbox = { seed = 7, args = { "--accounts", "2" } },
--                              env = { HELPSCOUT_READ_ONLY = "no" } }
--   env.url, env.sb                       -- "http://127.0.0.1:PORT", the sandbox (support.sandbox)
--   env:request("POST", "/register", { body = {...} })   -- rawhttp result
--   local code, verifier, client = env:authorize()        -- the whole connect flow, as a browser
--   env:stop()
local proc = require "support.proc"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local socket = require "socket"
local cjson = require "cjson.safe"

local M = {}
local mt = { __index = M }

local shq = proc.shq

local function root()
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/spec/connector/[^/]+$")
  if dir and dir:sub(1, 1) ~= "/" then dir = os.getenv("PWD") .. "/" .. dir end
  return dir or os.getenv("PWD")
end
M.root = root

local function is_root()
  local p = io.popen("id -u")
  local uid = p and p:read("*l")
  if p then p:close() end
  return uid == "0"
end

-- examples/connector.conf with its port and state directory replaced.
local function config(dir, port, opts)
  local workers, extra = opts.workers, opts.locations
  local f = assert(io.open(root() .. "/examples/connector.conf", "r"))
  local conf = f:read("*a")
  f:close()
  conf = conf:gsub("listen 127%.0%.0%.1:8091;", "listen 127.0.0.1:" .. port .. ";")
  conf = conf:gsub("%.tmp/connector/", dir .. "/")
  if workers then conf = conf:gsub("worker_processes %d+;", "worker_processes " .. workers .. ";") end
  if extra then
    local last = "    location / { return 404; }"
    conf = conf:gsub(last, function() return extra .. "\n" .. last end)
  end
  if opts.trusted then
    local line = "lua_ssl_trusted_certificate " .. opts.trusted .. ";"
    conf = conf:gsub("lua_ssl_trusted_certificate [^;]+;", function() return line end)
  end
  if opts.servers then conf = conf:gsub("\n}%s*$", function() return "\n" .. opts.servers .. "\n}\n" end) end
  if is_root() then conf = "user root root;\n" .. conf end
  return conf
end

local function wait_listening(port, seconds)
  local deadline = socket.gettime() + seconds
  while socket.gettime() < deadline do
    local c = socket.tcp()
    c:settimeout(0.2)
    if c:connect("127.0.0.1", port) then c:close(); return true end
    c:close()
    socket.sleep(0.05)
  end
  return false
end

local function env_words(env)
  local out = {}
  for k, v in pairs(env) do out[#out + 1] = k .. "=" .. shq(v) end
  table.sort(out)
  return table.concat(out, " ")
end

-- nginx in the foreground under a watchdog that stops it when this process is gone.
local function launch(dir, env)
  local script = table.concat({
    "env %s nginx -p %s -c %s -g 'daemon off; master_process on;' 2>>%s &",
    "n=$!; echo $n > %s",
    "while kill -0 %d 2>/dev/null && kill -0 $n 2>/dev/null; do sleep 1; done",
    "kill -QUIT $n 2>/dev/null",
  }, "\n"):format(env_words(env), shq(root()), shq(dir .. "/nginx.conf"), shq(dir .. "/stderr.log"),
    shq(dir .. "/master.pid"), proc.self_pid() or 0)
  local f = assert(io.open(dir .. "/run.sh", "w"))
  f:write(script)
  f:close()
  os.execute("sh " .. shq(dir .. "/run.sh") .. " >/dev/null 2>&1 &")
end

-- opts: sandbox (options of support.sandbox.start), env (more variables for nginx), workers,
-- port (default: a free one), locations (more lines for the server block: test-only locations),
-- servers (more server blocks), trusted (a CA file instead of the system's, for https fetches)
function M.start(opts)
  opts = opts or {}
  local sb = sandbox.start(opts.sandbox or { seed = 42 })
  local port = opts.port or proc.free_port()
  local url = "http://127.0.0.1:" .. port
  sb:config{ redirect_url = url .. "/oauth/callback/help-scout" }
  local p = assert(io.popen("mktemp -d /tmp/hs-connector.XXXXXX"))
  local dir = assert(p:read("*l"))
  p:close()
  os.execute("chmod 755 " .. shq(dir))
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(config(dir, port, opts))
  f:close()
  local env = { HELPSCOUT_CONNECTOR_URL = url, HELPSCOUT_CLIENT_ID = sb.client_id,
    HELPSCOUT_CLIENT_SECRET = sb.client_secret, HELPSCOUT_BASE_URL = sb.url,
    HELPSCOUT_AUTHORIZE_URL = sb.url .. "/authentication/authorizeClientApplication" }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  local self = setmetatable({ sb = sb, port = port, url = url, dir = dir, env = env }, mt)
  launch(dir, env)
  if not wait_listening(port, 10) then
    local tail = self:log_tail(30)
    self:stop()
    error("connector nginx did not start on port " .. port .. ":\n" .. tail, 2)
  end
  return self
end

local function stop_nginx(self)
  local f = io.open(self.dir .. "/master.pid", "r")
  local pid = f and f:read("*n")
  if f then f:close() end
  if pid then
    os.execute("kill -QUIT " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      local ok = os.execute("kill -0 " .. pid .. " 2>/dev/null")
      if ok ~= true and ok ~= 0 then break end
      socket.sleep(0.05)
    end
  end
  os.remove(self.dir .. "/master.pid")
end

-- Stops nginx and starts it again (a new shared dict; the same configuration, port and sandbox).
function M:restart()
  stop_nginx(self)
  launch(self.dir, self.env)
  assert(wait_listening(self.port, 10), "connector nginx did not start again:\n" .. self:log_tail(20))
end

function M:stop()
  if self.stopped then return end
  self.stopped = true
  stop_nginx(self)
  if self.sb then self.sb:stop() end
  if not os.getenv("HS_KEEP_NGINX") then os.execute("rm -rf " .. shq(self.dir)) end
end

function M:log_tail(n)
  local out = {}
  for _, name in ipairs { "error.log", "stderr.log" } do
    local f = io.open(self.dir .. "/" .. name, "r")
    if f then
      for line in f:lines() do
        out[#out + 1] = line
        if #out > (n or 40) then table.remove(out, 1) end
      end
      f:close()
    end
  end
  return table.concat(out, "\n")
end

-- Lines of the error log containing `text`.
function M:log_grep(text)
  local out = {}
  local f = io.open(self.dir .. "/error.log", "r")
  if not f then return out end
  for line in f:lines() do if line:find(text, 1, true) then out[#out + 1] = line end end
  f:close()
  return out
end

-- rawhttp against the connector; opts.form (a table) is sent form-encoded.
function M:request(method, path, opts)
  opts = opts or {}
  if opts.form then
    opts.body = rawhttp.form(opts.form)
    opts.headers = opts.headers or {}
    opts.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local res, err = rawhttp.request({ port = self.port }, method, path, opts)
  if res and (res.headers["transfer-encoding"] or ""):find("chunked", 1, true) then
    local out, pos, s = {}, 1, res.body
    while true do
      local size, at = s:match("^(%x+)[^\r\n]*\r\n()", pos)
      if not size or tonumber(size, 16) == 0 then break end
      out[#out + 1] = s:sub(at, at + tonumber(size, 16) - 1)
      pos = at + tonumber(size, 16) + 2
    end
    res.body = table.concat(out)
    res.json = cjson.decode(res.body)
  end
  return res, err
end

-- ---------------------------------------------------------------------------------------------
-- The OAuth client side, by hand (what the SDK does in the node tests)

local function b64url(s)
  local mime = require "mime"
  return (mime.b64(s):gsub("=", ""):gsub("+", "-"):gsub("/", "_"))
end

-- A PKCE verifier and its S256 challenge (the digest by the openssl command, not the library).
function M.pkce()
  local chars = {}
  for i = 1, 64 do
    local n = math.random(0, 61)
    chars[i] = string.sub("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n + 1, n + 1)
  end
  local verifier = table.concat(chars)
  local p = assert(io.popen("printf %s " .. shq(verifier) .. " | openssl dgst -sha256 -binary"))
  local digest = p:read("*a")
  p:close()
  return verifier, b64url(digest)
end

function M:register(redirect_uris)
  local res = self:request("POST", "/register", { body = { redirect_uris = redirect_uris or
    { "http://127.0.0.1:9/callback" }, client_name = "spec client", token_endpoint_auth_method = "none" } })
  assert(res.status == 201, "register: " .. tostring(res.status) .. " " .. tostring(res.body))
  return res.json
end

local function query_of(url)
  local t = {}
  for k, v in (url:match("%?(.*)$") or ""):gmatch("([^&=]+)=([^&]*)") do
    t[k] = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return t
end
M.query_of = query_of

-- Follows redirects like a browser (cookies kept per port) until one leaves the connector and
-- the sandbox, answering the connector's consent page with `decision` ("allow" by default);
-- returns that final Location (the MCP client's redirect URI with its query) or nil and the last
-- response that was neither a redirect nor the consent page. `hops` collects "STATUS PATH".
function M:browse(url, decision, hops)
  local jar = {}
  local method, body
  for _ = 1, 12 do
    local port, path = url:match("^http://127%.0%.0%.1:(%d+)(/.*)$")
    port = tonumber(port)
    if port ~= self.port and port ~= self.sb.port then return url end
    local headers = {}
    if jar[port] then headers.Cookie = jar[port] end
    if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
    local res = assert(rawhttp.request({ port = port }, method or "GET", path, { headers = headers, body = body }))
    method, body = nil, nil
    if hops then hops[#hops + 1] = res.status .. " " .. path:gsub("%?.*", "") end
    local cookie = res.headers["set-cookie"]
    if cookie and not cookie:find("Max-Age=0", 1, true) then jar[port] = cookie:match("^([^;]*)") end
    local consent = res.status == 200 and port == self.port and res.body:match('name="consent" value="([^"]+)"')
    if consent then
      method, body = "POST", rawhttp.form{ consent = consent, decision = decision or "allow" }
      url = "http://127.0.0.1:" .. port .. "/authorize"
    elseif res.status ~= 302 and res.status ~= 303 then
      return nil, res
    else
      url = res.headers.location
      if url:sub(1, 1) == "/" then url = "http://127.0.0.1:" .. port .. url end
    end
  end
  error("too many redirects")
end

-- The whole authorization: register (unless given a client), /authorize with PKCE, consent at
-- the sandbox, the connector's callback. Returns code, verifier, client, the redirect's query.
function M:authorize(client, extra)
  client = client or self:register()
  local verifier, challenge = M.pkce()
  local q = { response_type = "code", client_id = client.client_id, redirect_uri = client.redirect_uris[1],
    code_challenge = challenge, code_challenge_method = "S256", state = "st-" .. math.random(1e9),
    resource = self.url .. "/mcp" }
  for k, v in pairs(extra or {}) do q[k] = v end
  local final, res = self:browse(self.url .. "/authorize?" .. rawhttp.form(q), self.decision)
  if not final then return nil, res end
  local back = query_of(final)
  assert(back.state == q.state, "state not returned")
  return back.code, verifier, client, back
end

-- Code -> token answer (a rawhttp result).
function M:exchange(code, verifier, client, extra)
  local form = { grant_type = "authorization_code", code = code, code_verifier = verifier,
    client_id = client.client_id, redirect_uri = client.redirect_uris[1], resource = self.url .. "/mcp" }
  for k, v in pairs(extra or {}) do form[k] = v end
  return self:request("POST", "/token", { form = form })
end

-- A JSON-RPC POST to /mcp.
function M:rpc(token, msg, headers)
  local h = { Accept = "application/json, text/event-stream", ["Content-Type"] = "application/json" }
  if token then h.Authorization = "Bearer " .. token end
  for k, v in pairs(headers or {}) do h[k] = v end
  return self:request("POST", "/mcp", { body = type(msg) == "string" and msg or cjson.encode(msg), headers = h })
end

return M
