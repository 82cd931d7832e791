-- Secrets never leave in an error, its tostring, the CLI's or the MCP server's output, or
-- `helpscout listen`'s lines, even when the server echoes them (issue 21). The sandbox is made to
-- misbehave: its "echo" fault repeats the request's own Authorization, client_secret,
-- refresh_token and code in the message, logRef, error_description, _embedded.errors and a header;
-- a fault with a written body repeats them in _embedded.errors' path as well.
local helpscout = require "helpscout"
local cjson = require "cjson"
local sandbox = require "support.sandbox"
local H = require "store_helper"

local sb, dir
setup(function()
  sb = sandbox.start{ client_secret = "sandbox-client-secret-7f3a91" }
  dir = H.tmpdir("redaction")
end)
teardown(function() sb:stop(); H.rmtree(dir) end)
before_each(function() sb:reset() end)

-- a vnd.error body (and header) repeating each of the secrets
local function echo_fault(method, path, secrets, status)
  local joined = table.concat(secrets, " ")
  sb:fault{ method = method, path = path, status = status or 400, count = 5,
    headers = { ["Content-Type"] = "application/vnd.error+json", ["X-Echo"] = joined },
    body = cjson.encode{
      message = "rejected: " .. joined, logRef = "ref-" .. secrets[1],
      _embedded = { errors = { { path = "p" .. secrets[1], message = "bad " .. joined,
        rejectedValue = secrets[#secrets] } } } } }
end

local function oauth_fault(secrets)
  sb:fault{ method = "POST", path = "/v2/oauth2/token", status = 400, count = 5,
    headers = { ["X-Echo"] = table.concat(secrets, " ") },
    body = cjson.encode{ error = "invalid_grant", error_description = "refused " .. table.concat(secrets, " ") } }
end

-- every string reachable from v (tables walked), and tostring of an error
local function texts(v, out)
  out = out or {}
  if type(v) == "string" then out[#out + 1] = v
  elseif type(v) == "table" then
    local mt = getmetatable(v)
    if mt and mt.__tostring then out[#out + 1] = tostring(v) end
    for k, x in pairs(v) do texts(k, out); texts(x, out) end
  end
  return out
end

-- asserts that none of the secrets occurs in any of the texts (the failure names which, not its value)
local function clean(secrets, where, ...)
  for _, t in ipairs(texts({ ... })) do
    for i, s in ipairs(secrets) do
      assert.is_nil(t:find(s, 1, true), where .. ": secret #" .. i .. " appears in output")
    end
  end
end

local function token()
  return assert(helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
    code = sb:authorize().code, base_url = sb.url })
end

describe("an error built from an answer that echoes credentials", function()
  it("a call's error and its tostring carry [redacted], never the bearer token or the client secret",
    function()
    local tok = token()
    local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
      access_token = tok.access_token, refresh_token = tok.refresh_token, expires_at = tok.expires_at }
    local secrets = { tok.access_token, sb.client_secret, tok.refresh_token }
    echo_fault("GET", "/v2/mailboxes", secrets)
    local items, err = hs:list_mailboxes()
    assert.is_nil(items)
    assert.equal("validation", err.kind)
    clean(secrets, "error", err)
    assert.matches("rejected: [redacted] [redacted] [redacted]", err.message, 1, true)
    assert.equal("ref-[redacted]", err.log_ref)
    assert.equal("bad [redacted] [redacted] [redacted]", err.errors[1].message)
    assert.equal("[redacted]", err.errors[1].rejectedValue)
    assert.equal("p[redacted]", err.errors[1].path)
    assert.matches("log_ref=ref-[redacted]", tostring(err), 1, true)
    hs:close()
  end)

  it("the pager's error (each, fetch_all) is redacted too", function()
    local tok = token()
    local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
      access_token = tok.access_token, refresh_token = tok.refresh_token, expires_at = tok.expires_at }
    local secrets = { tok.access_token, sb.client_secret }
    echo_fault("GET", "/v2/users", secrets)
    local ok, err = pcall(function() for _ in hs:each("list_users") do end end)
    assert.is_false(ok)
    clean(secrets, "each", err)
    assert.matches("[redacted]", tostring(err), 1, true)
    echo_fault("GET", "/v2/users", secrets)
    local items, ferr = hs:fetch_all("list_users")
    assert.is_nil(items)
    clean(secrets, "fetch_all", ferr)
    assert.matches("[redacted]", ferr.message, 1, true)
    hs:close()
  end)

  it("a refused refresh echoing the refresh token and the secret: reconsent, redacted", function()
    local tok = token()
    local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
      access_token = tok.access_token, refresh_token = tok.refresh_token, expires_at = os.time() - 10 }
    local secrets = { tok.refresh_token, sb.client_secret, tok.access_token }
    oauth_fault(secrets)
    local t, err = hs:token()
    assert.is_nil(t)
    assert.equal("reconsent", err.kind)
    clean(secrets, "refresh error", err)
    assert.matches("refused [redacted] [redacted] [redacted]", err.message, 1, true)
    hs:close()
  end)

  it("a refused code exchange echoing the code and the secret: redacted", function()
    local code = sb:authorize().code
    local secrets = { code, sb.client_secret }
    oauth_fault(secrets)
    local t, err = helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
      code = code, base_url = sb.url }
    assert.is_nil(t)
    assert.equal("auth", err.kind)
    clean(secrets, "exchange_code error", err)
    assert.matches("refused [redacted] [redacted]", err.message, 1, true)
  end)
end)

describe("the sandbox's echo fault (the request's own credentials repeated everywhere)", function()
  local function client(tok, o)
    local opts = { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
      access_token = tok.access_token, refresh_token = tok.refresh_token, expires_at = tok.expires_at }
    for k, v in pairs(o or {}) do opts[k] = v end
    return helpscout.new(opts)
  end

  it("a call: the bearer token never reaches the error or its tostring", function()
    local tok = token()
    local hs = client(tok)
    sb:fault{ method = "GET", path = "/v2/mailboxes", action = "echo", status = 400 }
    local items, err = hs:list_mailboxes()
    assert.is_nil(items)
    assert.equal("validation", err.kind)
    clean({ tok.access_token, tok.refresh_token, sb.client_secret }, "echoed call", err)
    assert.matches("Bearer [redacted]", err.message, 1, true)
    assert.matches("Bearer [redacted]", err.log_ref, 1, true)
    assert.matches("Bearer [redacted]", err.errors[1].rejectedValue, 1, true)
    hs:close()
  end)

  it("a refresh: neither the refresh token nor the client secret", function()
    local tok = token()
    local hs = client(tok, { expires_at = os.time() - 10 })
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "echo", status = 400 }
    local t, err = hs:token()
    assert.is_nil(t)
    assert.equal("reconsent", err.kind) -- a refresh answered 400 invalid_request
    clean({ tok.refresh_token, sb.client_secret, tok.access_token }, "echoed refresh", err)
    assert.matches("refresh_token=[redacted]", tostring(err), 1, true)
    hs:close()
  end)

  it("a code exchange and a client-credentials grant: neither the code nor the client secret", function()
    local code = sb:authorize().code
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "echo", status = 400 }
    local t, err = helpscout.exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
      code = code, base_url = sb.url }
    assert.is_nil(t)
    clean({ code, sb.client_secret }, "echoed code exchange", err)
    assert.matches("code=[redacted]", tostring(err), 1, true)
    local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
      retries = 0 }
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "echo", status = 400 }
    local t2, err2 = hs:token()
    assert.is_nil(t2)
    clean({ sb.client_secret }, "echoed client credentials", err2)
    assert.matches("client_secret=[redacted]", tostring(err2), 1, true)
    hs:close()
  end)

  it("a Lua driver over the engine (as helpscout.resty is): the grant's error is redacted", function()
    local R = require "renew_helper"
    local eng = R.engine(sb)
    local code = sb:authorize().code
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "echo", status = 400 }
    local req = assert(eng:grant_request(os.time(), code))
    local t, err = eng:grant_answer(R.sender()(req))
    assert.is_nil(t)
    clean({ code, sb.client_secret }, "engine grant", err)
    assert.matches("[redacted]", err.message, 1, true)
  end)
end)

-- The programs run under lua5.4 whichever interpreter runs the spec (bin/ loads build/5.4 first).
describe("the programs' output when the server echoes credentials", function()
  local function token_file()
    local tok = token()
    local path = dir .. "/" .. tostring(math.random(1e9)) .. "/token.json"
    assert(require("helpscout.store").file(path):save(tok))
    return path, tok
  end

  local function env()
    return ("env HELPSCOUT_BASE_URL=%s HELPSCOUT_CLIENT_ID=%s HELPSCOUT_CLIENT_SECRET=%s XDG_CONFIG_HOME=%s HOME=%s")
      :format(H.shq(sb.url), H.shq(sb.client_id), H.shq(sb.client_secret), H.shq(dir .. "/cfg"), H.shq(dir))
  end

  it("bin/helpscout --json: stdout and stderr carry neither the token nor the secret", function()
    local path, tok = token_file()
    local secrets = { tok.access_token, sb.client_secret, tok.refresh_token }
    sb:fault{ method = "GET", path = "/v2/mailboxes", action = "echo", status = 400 }
    local cmd = ("%s %s bin/helpscout mailboxes --json --token-file %s 2>%s"):format(env(), "lua5.4",
      H.shq(path), H.shq(dir .. "/cli.err"))
    local p = assert(io.popen(cmd, "r"))
    local out = p:read("*a")
    p:close()
    local err = H.read(dir .. "/cli.err") or ""
    -- the server's message is shown, redacted (compared, not printed: it would carry the secrets)
    assert.is_truthy((out .. err):find("[redacted]", 1, true),
      "no redacted message: " .. #out .. "+" .. #err .. " bytes")
    clean(secrets, "bin/helpscout", out, err)
  end)

  it("helpscout-mcp: a tool's error result carries neither the token nor the secret", function()
    local path, tok = token_file()
    local secrets = { tok.access_token, sb.client_secret, tok.refresh_token }
    sb:fault{ method = "GET", path = "/v2/mailboxes", action = "echo", status = 400 }
    H.write(dir .. "/mcp.in", table.concat({
      cjson.encode{ jsonrpc = "2.0", id = 1, method = "initialize", params = { protocolVersion = "2025-11-25",
        capabilities = {}, clientInfo = { name = "redaction-spec", version = "1" } } },
      cjson.encode{ jsonrpc = "2.0", method = "notifications/initialized" },
      cjson.encode{ jsonrpc = "2.0", id = 2, method = "tools/call",
        params = { name = "list_mailboxes", arguments = {} } } }, "\n") .. "\n")
    os.execute(("%s HELPSCOUT_TOKEN_FILE=%s %s bin/helpscout-mcp < %s > %s 2> %s"):format(env(), H.shq(path),
      "lua5.4", H.shq(dir .. "/mcp.in"), H.shq(dir .. "/mcp.out"), H.shq(dir .. "/mcp.err")))
    local out, err = H.read(dir .. "/mcp.out") or "", H.read(dir .. "/mcp.err") or ""
    local msg
    for line in out:gmatch("[^\n]+") do
      local m = cjson.decode(line)
      if m and m.id == 2 then msg = m end
    end
    assert.is_table(msg and msg.result, out)
    assert.is_true(msg.result.isError)
    assert.matches("[redacted]", out, 1, true)
    clean(secrets, "helpscout-mcp", out, err)
  end)

  it("helpscout listen: a signed webhook repeating the webhook secret prints it [redacted]", function()
    local secret = "whsec-echoed-5d81c2"
    local port = require("support.proc").free_port()
    local outf = dir .. "/listen.out"
    local p = assert(io.popen(("%s HELPSCOUT_WEBHOOK_SECRET=%s %s bin/helpscout listen --port %d --limit 1 >%s 2>&1; "
      .. "echo done"):format(env(), H.shq(secret), "lua5.4", port, H.shq(outf))))
    local body = cjson.encode{ id = 1, subject = "my secret is " .. secret }
    local sig = require("helpscout.core").sys.base64(require("helpscout.core").sys.hmac_sha1(secret, body))
    local http, ltn12 = require "socket.http", require "ltn12"
    local status
    assert(H.wait_for(function()
      local _, s = http.request{ url = ("http://127.0.0.1:%d/"):format(port), method = "POST",
        source = ltn12.source.string(body), headers = { ["content-length"] = #body,
        ["x-helpscout-event"] = "convo.created", ["x-helpscout-signature"] = sig } }
      status = s
      return type(s) == "number"
    end, 10), "the listener never answered")
    assert.equal(200, status)
    p:read("*a")
    p:close()
    local out = H.read(outf) or ""
    assert.is_truthy(out:find("my secret is [redacted]", 1, true), "listen did not print the event, redacted")
    clean({ secret }, "helpscout listen", out)
  end)
end)
