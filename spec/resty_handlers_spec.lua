-- resty.webhook_handler and resty.oauth_handler in a real nginx: webhooks with a good, a bad and
-- a missing signature (signatures computed outside the library, with the openssl command), the
-- consent redirect with its state cookie, and the callback's refusals (state mismatch,
-- access_denied) before any exchange.
local nginx = require "support.nginx"
local sandbox = require "support.sandbox"

local SECRET = "wh-secret-1234"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- base64(HMAC-SHA1(SECRET, body)) by the openssl command, not by the library under test.
local function sign(body)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(body)
  f:close()
  local p = io.popen(("openssl dgst -sha1 -hmac %s -binary %s | base64"):format(shq(SECRET), shq(path)))
  local sig = p:read("*l")
  p:close()
  os.remove(path)
  return sig
end

describe("resty handlers", function()
  local ng, sb

  setup(function()
    sb = sandbox.start{ seed = 3 }
    ng = nginx.start{
      workers = 2,
      http = "lua_shared_dict events 1m; lua_shared_dict hs 1m;",
      server = ([[
        location = /hook { content_by_lua_block {
          require("helpscout.resty").webhook_handler{ secret = %q, handle = function(event, data, raw)
            if event == "fail.me" then error("handler exploded") end
            local d = ngx.shared.events
            d:set("last", event .. " " .. tostring(data.id) .. " " .. #raw)
            d:incr("n", 1, 0)
          end }()
        } }
        location = /oauth/start { content_by_lua_block {
          require("helpscout.resty").oauth_handler{ client_id = "app-1", client_secret = "s",
            base_url = %q, shdict = "hs", authorize_url = "https://consent.test/authorize" }.start()
        } }
        location = /oauth/callback/help-scout { content_by_lua_block {
          require("helpscout.resty").oauth_handler{ client_id = "app-1", client_secret = "s",
            base_url = %q, shdict = "hs" }.callback()
        } }
      ]]):format(SECRET, sb.url, sb.url),
    }
  end)
  teardown(function()
    if ng then ng:stop() end
    if sb then sb:stop() end
  end)

  local function events()
    return ng:run("local d = ngx.shared.events; return { n = d:get('n') or 0, last = d:get('last') }")
  end

  local function hook(body, headers)
    return ng:request("POST", "/hook", { body = body, headers = headers })
  end

  it("accepts a correctly signed event and calls the function once", function()
    local before = events().n
    local body = '{"id":2407564540,"subject":"Printer \\u00e9 offline"}'
    local res = hook(body, { ["X-HelpScout-Event"] = "convo.created", ["X-HelpScout-Signature"] = sign(body),
      ["Content-Type"] = "application/json" })
    assert.equal(200, res.status)
    local ev = events()
    assert.equal(before + 1, ev.n)
    assert.equal("convo.created 2407564540 " .. #body, ev.last)
  end)

  it("accepts the signature header in any letter case", function()
    local body = '{"id":1}'
    local res = hook(body, { ["x-helpscout-event"] = "customer.created", ["X-HELPSCOUT-SIGNATURE"] = sign(body) })
    assert.equal(200, res.status)
  end)

  it("answers 401 to a bad, missing or reused signature and does not call the function", function()
    local before = events().n
    local body = '{"id":5}'
    local good = sign(body)
    assert.equal(401, hook(body .. " ", { ["X-HelpScout-Event"] = "convo.created",
      ["X-HelpScout-Signature"] = good }).status)
    assert.equal(401, hook(body, { ["X-HelpScout-Event"] = "convo.created" }).status)
    assert.equal(401, hook(body, { ["X-HelpScout-Event"] = "convo.created", ["X-HelpScout-Signature"] = "" }).status)
    assert.equal(401, hook(body, { ["X-HelpScout-Event"] = "convo.created",
      ["X-HelpScout-Signature"] = good:sub(2) }).status)
    assert.equal(before, events().n)
    assert.same({}, ng:log_grep(SECRET, true))
    assert.same({}, ng:log_grep(good, true))
  end)

  it("answers 400 to a signed body that is not an event, 500 when the function raises", function()
    local body = "not json"
    assert.equal(400, hook(body, { ["X-HelpScout-Event"] = "convo.created",
      ["X-HelpScout-Signature"] = sign(body) }).status)
    body = '{"id":9}'
    assert.equal(400, hook(body, { ["X-HelpScout-Signature"] = sign(body) }).status)
    assert.equal(500, hook(body, { ["X-HelpScout-Event"] = "fail.me", ["X-HelpScout-Signature"] = sign(body) }).status)
    assert.equal(405, ng:request("GET", "/hook").status)
  end)

  it("redirects to the consent screen with a state cookie", function()
    local res = ng:request("GET", "/oauth/start")
    assert.equal(302, res.status)
    local state = res.headers.location:match("^https://consent%.test/authorize%?.*state=([%w%-_]+)")
    assert.is_string(state)
    assert.matches("client_id=app%-1", res.headers.location)
    assert.is_true(#state >= 32, "state of at least 128 bits")
    local cookie = res.headers["set-cookie"]
    assert.equal("hs_oauth_state=" .. state .. "; Path=/; Max-Age=600; HttpOnly; SameSite=Lax", cookie)
    local again = ng:request("GET", "/oauth/start")
    assert.not_equal(state, again.headers.location:match("state=([%w%-_]+)"))
  end)

  it("refuses a callback whose state does not match the cookie, or has none", function()
    local res = ng:request("GET", "/oauth/callback/help-scout?code=abc&state=x1",
      { headers = { Cookie = "hs_oauth_state=x2" } })
    assert.equal(400, res.status)
    assert.matches("state", res.body)
    assert.matches("Max%-Age=0", res.headers["set-cookie"])
    res = ng:request("GET", "/oauth/callback/help-scout?code=abc&state=x1")
    assert.equal(400, res.status)
    assert.equal(0, #sb:log{ path = "/v2/oauth2/token" }, "no exchange was attempted")
  end)

  it("reports access_denied without exchanging anything", function()
    local res = ng:request("GET", "/oauth/callback/help-scout?error=access_denied&state=s1",
      { headers = { Cookie = "hs_oauth_state=s1" } })
    assert.equal(403, res.status)
    assert.matches("access_denied", res.body)
    assert.equal(0, #sb:log{ path = "/v2/oauth2/token" })
  end)

  it("marks the state cookie __Host- and Secure over https", function()
    local dir = ng.dir
    assert(os.execute(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout %s/k.pem "
      .. "-out %s/c.pem 2>/dev/null"):format(shq(dir), shq(dir))))
    local port = require("client_helper").free_port()
    local tls = nginx.start{ workers = 1, http = ([[
      server { listen 127.0.0.1:%d ssl; ssl_certificate %s/c.pem; ssl_certificate_key %s/k.pem;
        location = /oauth/start { content_by_lua_block {
          require("helpscout.resty").oauth_handler{ client_id = "app-1", shdict = "hs" }.start() } } }
      lua_shared_dict hs 1m;]]):format(port, dir, dir) }
    local p = io.popen(("curl -sk -o /dev/null -D - https://127.0.0.1:%d/oauth/start"):format(port))
    local head = p:read("*a")
    p:close()
    tls:stop()
    -- over https the cookie is __Host- (no Domain, Path=/, Secure: no subdomain can plant one)
    assert.matches("[Ss]et%-[Cc]ookie: __Host%-hs_oauth_state=[^\r\n]*; HttpOnly; SameSite=Lax; Secure", head)
  end)
end)
