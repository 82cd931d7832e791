-- helpscout.resty.http inside a real nginx: responses and keep-alive against the sandbox, POSTs on
-- a fresh connection written once, chunked bodies, the body cap, no redirects, TLS verification,
-- and each transport fact of doc/engine.md produced by making a server misbehave.
local nginx = require "support.nginx"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local H = require "client_helper"

-- The chunk run in nginx: one request through helpscout.resty.http, returned as plain data.
local RUN = [[
  local http = require "helpscout.resty.http"
  local req = ...
  local out, info = http.request(req)
  out.reused = info.reused
  return out
]]

-- A self-signed certificate for 127.0.0.1 (name: "a" or "b").
local function tls_files(dir, name)
  local cmd = ("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
    .. "-addext subjectAltName=IP:127.0.0.1 -keyout %s/%s.key -out %s/%s.pem 2>/dev/null"):format(dir, name, dir, name)
  assert(os.execute(cmd))
  return ("%s/%s.pem"):format(dir, name), ("%s/%s.key"):format(dir, name)
end

local function tls_server(port, cert, key)
  return ("server { listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;"
    .. " location = /tls { return 200 'over tls'; } }\n"):format(port, cert, key)
end

describe("resty http", function()
  local sb, ng, token, tlsdir

  setup(function()
    sb = sandbox.start{ seed = 7 }
    token = rawhttp.client_token(sb)
    local p = io.popen("mktemp -d /tmp/hs-tls.XXXXXX")
    tlsdir = p:read("*l")
    p:close()
    local cert, key = tls_files(tlsdir, "a")
    local other, other_key = tls_files(tlsdir, "b")
    local tls_port, untrusted_port = H.free_port(), H.free_port()
    ng = nginx.start{
      workers = 1,
      http = "lua_ssl_trusted_certificate " .. cert .. "; lua_ssl_verify_depth 2;\n"
        .. tls_server(tls_port, cert, key) .. tls_server(untrusted_port, other, other_key),
      server = [[
        location = /chunked { content_by_lua_block {
          for i = 1, 5 do ngx.print(string.rep(tostring(i), 1000)); ngx.flush(true) end } }
        location = /redirect { return 302 /elsewhere; }
        location = /noclose { content_by_lua_block { ngx.say("x") } }
      ]],
    }
    ng.tls_port, ng.untrusted_port = tls_port, untrusted_port
  end)
  teardown(function()
    if ng then ng:stop() end
    if sb then sb:stop() end
    if tlsdir then os.execute("rm -rf " .. tlsdir) end
  end)
  before_each(function() sb:clear_log() end)

  local function req(method, path, o)
    local r = { method = method, url = sb.url .. path, timeout = 2, connect_timeout = 1,
      headers = { Authorization = "Bearer " .. token, Accept = "application/json" } }
    for k, v in pairs(o or {}) do r[k] = v end
    return ng:run(RUN, r)
  end

  local function show(res) return "outcome: " .. require("cjson").encode(res) .. "\n" .. ng:log_tail(15) end

  it("reads a JSON response with lower-case header names and reuses the connection", function()
    local a = req("GET", "/v2/users")
    assert.equal(200, a.status, show(a))
    assert.matches("hal%+json", a.headers["content-type"])
    assert.is_string(a.body)
    assert.is_table(require("cjson").decode(a.body)._embedded.users)
    local b = req("GET", "/v2/mailboxes")
    assert.equal(200, b.status)
    assert.is_true(b.reused > 0, "the second GET did not reuse the pooled connection")
  end)

  it("sends a POST once, on a new connection, with its body", function()
    req("GET", "/v2/users") -- leaves a pooled connection behind
    local conv = require("cjson").decode(req("GET", "/v2/conversations").body)._embedded.conversations[1].id
    sb:clear_log()
    local body = '{"text":"from nginx"}'
    local res = req("POST", ("/v2/conversations/%d/notes"):format(conv), { body = body, fresh_connection = true,
      headers = { Authorization = "Bearer " .. token, ["Content-Type"] = "application/json" } })
    assert.equal(201, res.status, show(res))
    assert.equal(0, res.reused)
    local log = sb:log{ method = "POST" }
    assert.equal(1, #log)
    assert.equal(body, log[1].body)
  end)

  it("reads chunked bodies", function()
    local res = ng:run(RUN, { method = "GET", url = ng.url .. "/chunked" })
    assert.equal(200, res.status)
    assert.equal("chunked", res.headers["transfer-encoding"])
    assert.equal(5000, #res.body)
    assert.equal(string.rep("5", 1000), res.body:sub(4001))
  end)

  it("does not follow redirects", function()
    local res = ng:run(RUN, { method = "GET", url = ng.url .. "/redirect" })
    assert.equal(302, res.status)
    assert.matches("/elsewhere$", res.headers.location)
  end)

  it("caps the body size: toobig", function()
    local res = req("GET", "/v2/conversations", { max_body = 1000 })
    assert.equal("toobig", res.transport)
    res = ng:run(RUN, { method = "GET", url = ng.url .. "/chunked", max_body = 2500 })
    assert.equal("toobig", res.transport)
  end)

  it("reports a truncated body, a dropped connection and a read timeout", function()
    sb:fault{ path = "/v2/users", action = "truncate" }
    assert.equal("truncated", req("GET", "/v2/users").transport)
    sb:fault{ path = "/v2/users", action = "drop" }
    assert.equal("network", req("GET", "/v2/users").transport)
    sb:fault{ path = "/v2/users", action = "delay", delay = 1.5 }
    local res = req("GET", "/v2/users", { timeout = 0.5 })
    assert.equal("timeout", res.transport)
  end)

  it("tells a refused connection from a connect timeout", function()
    local res = ng:run(RUN, { method = "POST", url = "http://127.0.0.1:" .. H.free_port() .. "/v2/x",
      body = "{}", fresh_connection = true, connect_timeout = 1 })
    assert.equal("noconnect", res.transport)
    local port, close = H.stalled_port()
    res = ng:run(RUN, { method = "POST", url = "http://127.0.0.1:" .. port .. "/v2/x", body = "{}",
      fresh_connection = true, connect_timeout = 0.3 })
    close()
    assert.equal("connect_timeout", res.transport)
  end)

  it("verifies the TLS certificate against lua_ssl_trusted_certificate", function()
    local res = ng:run(RUN, { method = "GET", url = "https://127.0.0.1:" .. ng.tls_port .. "/tls" })
    assert.equal(200, res.status, show(res))
    assert.equal("over tls", res.body)
  end)

  it("refuses an untrusted certificate: noconnect, nothing sent", function()
    local res = ng:run(RUN, { method = "POST", body = "{}", fresh_connection = true,
      url = "https://127.0.0.1:" .. ng.untrusted_port .. "/tls" })
    assert.equal("noconnect", res.transport)
    assert.matches("TLS handshake: .*certificate", res.message)
  end)

  it("parses URLs (IPv6 literals, default ports, query without path)", function()
    local res = ng:run([[
      local http = require "helpscout.resty.http"
      return { { http.parse_url("https://[::1]:8443/v2?x=1") }, { http.parse_url("http://h?q") },
               { http.parse_url("ftp://h/") } }
    ]])
    assert.same({ "https", "::1", 8443, "/v2?x=1", "[::1]:8443" }, res[1])
    assert.same({ "http", "h", 80, "/?q", "h" }, res[2])
    assert.same({}, res[3])
  end)

  it("refuses CR or LF in a header value before connecting", function()
    local ok, err = pcall(ng.run, ng, RUN, { method = "GET", url = sb.url .. "/v2/users",
      headers = { Authorization = "Bearer x\r\nX-Injected: 1" } })
    assert.is_false(ok)
    assert.matches("CR, LF", err)
    assert.equal(0, #sb:log())
  end)
end)
