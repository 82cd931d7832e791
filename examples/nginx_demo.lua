-- `make demo-nginx`: runs examples/nginx.conf in a real nginx against the offline sandbox and
-- walks through its locations: the JSON triage endpoint, the Help Scout connect flow (the
-- sandbox plays the consent screen), and a webhook with a good and a bad signature.
-- Run from the checkout root with LuaSocket and lua-cjson (the Makefile sets the paths).
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson.safe"

local PORT = 8090
local SECRET = "demo-webhook-secret"
local PASSWORD = "demo-operator-password" -- the operator who may connect Help Scout (auth_basic)
local root = os.getenv("PWD")
local OPERATOR -- the Authorization header of the operator (set once the password file is written)

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

local function request(method, url, headers, body)
  local out = {}
  local _, status, h = http.request{ url = url, method = method, headers = headers, redirect = false,
    source = body and ltn12.source.string(body), sink = ltn12.sink.table(out) }
  return status, h or {}, table.concat(out)
end

local function rule(s) io.write("\n", s, "\n", ("="):rep(#s), "\n") end

local function start_sandbox()
  local pid = sh("echo $PPID"):match("%d+")
  local p = assert(io.popen(("sh -c 'echo $$; exec lua5.4 bin/helpscout-sandbox --port 0 --parent %s "
    .. "--redirect-url http://127.0.0.1:%d/oauth/callback/help-scout' 2>.tmp/nginx-demo/sandbox.log")
    :format(pid, PORT)))
  local spid = p:read("*l")
  local url = (p:read("*l") or ""):match("(http://%S+)")
  assert(url, "the sandbox did not start (see .tmp/nginx-demo/sandbox.log)")
  return url, function() os.execute("kill " .. spid .. " 2>/dev/null"); p:close() end
end

local function start_nginx(sandbox_url)
  local env = ("HELPSCOUT_BASE_URL=%s HELPSCOUT_CLIENT_ID=sandbox-client-id "
    .. "HELPSCOUT_CLIENT_SECRET=sandbox-client-secret HELPSCOUT_WEBHOOK_SECRET=%s "
    .. "HELPSCOUT_AUTHORIZE_URL=%s/authentication/authorizeClientApplication"):format(sandbox_url, SECRET, sandbox_url)
  os.execute(("env %s /usr/sbin/nginx -p %s -c examples/nginx.conf -g 'daemon on;'"):format(env, shq(root)))
  for _ = 1, 100 do
    local c = socket.tcp()
    c:settimeout(0.1)
    if c:connect("127.0.0.1", PORT) then c:close(); break end
    socket.sleep(0.05)
  end
  return function() os.execute("kill -QUIT $(cat .tmp/nginx-demo/nginx.pid) 2>/dev/null") end
end

local function triage()
  rule("GET /triage (fetch_all on cosockets inside nginx, then helpscout.triage)")
  local status, _, body = request("GET", "http://127.0.0.1:" .. PORT .. "/triage")
  local r = cjson.decode(body) or {}
  print(("status %s: %d active conversations"):format(status, r.total or 0))
  for _, g in ipairs(r.groups or {}) do print(("  %-28s %3d"):format(g.label or g.topic, g.count)) end
  for _, a in ipairs(r.attention or {}) do print(("  [%-6s %3d] %s"):format(a.level, a.score, a.subject)) end
  return status == 200
end

-- The browser's part: /connect -> the sandbox's consent stand-in (it answers as a user who
-- clicks "Allow": 302 to the Redirection URL with code and state) -> /oauth/callback/help-scout.
local function connect()
  rule("GET /connect (as the signed-in operator), consent screen, GET /oauth/callback/help-scout")
  local base = "http://127.0.0.1:" .. PORT
  local anon = request("GET", base .. "/connect")
  print(("/connect without signing in: %s"):format(anon))
  local status, h = request("GET", base .. "/connect", { authorization = OPERATOR })
  local cookie = (h["set-cookie"] or ""):match("^([^;]+)")
  print(("/connect: %s -> %s"):format(status, (tostring(h.location):gsub("state=[%w%-_]+", "state=..."))))
  local consent_status, consent = request("GET", h.location)
  local back = consent.location or ""
  print(("consent screen: %s -> %s"):format(consent_status, (back:gsub("%?.*", "?code=...&state=..."))))
  local cb_status, _, text = request("GET", back, { cookie = cookie, authorization = OPERATOR })
  print(("callback: %s %s"):format(cb_status, text:gsub("\n$", "")))
  local replay = request("GET", back, { cookie = cookie, authorization = OPERATOR })
  print(("the same callback again (a replayed state): %s"):format(replay))
  local forged = "0123456789abcdef0123456789abcdef"
  local bad = request("GET", base .. "/oauth/callback/help-scout?code=x&state=" .. forged,
    { cookie = "hs_oauth_state=" .. forged, authorization = OPERATOR })
  print(("callback with a forged state: %s"):format(bad))
  return anon == 401 and cb_status == 200 and replay == 400 and bad == 400
end

local function webhook()
  rule("POST /webhooks/help-scout")
  local body = '{"id":2407564540,"subject":"Label printer offline"}'
  local f = assert(io.open(".tmp/nginx-demo/event.json", "wb"))
  f:write(body)
  f:close()
  local sig = sh(("openssl dgst -sha1 -hmac %s -binary .tmp/nginx-demo/event.json | base64"):format(SECRET))
  sig = sig:gsub("%s+$", "")
  local url = "http://127.0.0.1:" .. PORT .. "/webhooks/help-scout"
  local h = { ["content-type"] = "application/json", ["content-length"] = #body,
              ["x-helpscout-event"] = "convo.created" }
  h["x-helpscout-signature"] = sig
  local good = request("POST", url, h, body)
  h["x-helpscout-signature"] = "AAAA" .. sig:sub(5)
  local bad = request("POST", url, h, body)
  print(("signed event: %s; wrong signature: %s"):format(good, bad))
  return good == 200 and bad == 401
end

os.execute("mkdir -p .tmp/nginx-demo")
-- the operator's password file for /connect (see examples/nginx.conf)
os.execute(("printf 'admin:%%s\\n' \"$(openssl passwd -apr1 %s)\" > .tmp/nginx-demo/htpasswd"):format(shq(PASSWORD)))
OPERATOR = "Basic " .. sh(("printf %%s %s | base64"):format(shq("admin:" .. PASSWORD))):gsub("%s", "")
local sandbox_url, stop_sandbox = start_sandbox()
local stop_nginx = start_nginx(sandbox_url)
print("nginx on http://127.0.0.1:" .. PORT .. " with examples/nginx.conf, sandbox at " .. sandbox_url)
local ok = triage() and connect() and webhook() and triage()
stop_nginx()
stop_sandbox()
if not ok then
  io.stderr:write("demo-nginx failed; the end of .tmp/nginx-demo/error.log:\n",
    sh("tail -20 .tmp/nginx-demo/error.log"))
  os.exit(1)
end
