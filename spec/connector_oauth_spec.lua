-- The connector's authorization (examples/connector.conf in a real nginx, the sandbox as Help
-- Scout): metadata, registration, /authorize through Help Scout consent, /token with PKCE and
-- refresh rotation, and every refusal with its status. The flow runs as a browser would
-- (spec/connector/support.lua follows the redirects); the PKCE digests come from the openssl command.
local support = require "connector.support"
local cjson = require "cjson.safe"

local function init_msg(id)
  return { jsonrpc = "2.0", id = id or 1, method = "initialize", params = { protocolVersion = "2025-11-25",
    capabilities = {}, clientInfo = { name = "spec", version = "1" } } }
end

describe("connector authorization", function()
  local env

  setup(function()
    env = support.start{ sandbox = { seed = 42, accounts = 2 }, locations = [[
    location = /_disconnect { content_by_lua_block { CONNECTOR:disconnect(ngx.var.arg_id); ngx.say("ok") } }
    location = /_other/mcp { content_by_lua_block {
      OTHER = OTHER or require("helpscout.resty.connector").new{ url = "https://other.example", shdict = "helpscout" }
      OTHER:mcp()
    } }
]] }
  end)
  teardown(function() if env then env:stop() end end)

  -- A live token pair for a fresh client (the whole flow).
  local function tokens()
    local code, verifier, client = env:authorize()
    assert(code, "no code")
    local res = env:exchange(code, verifier, client)
    assert.equal(200, res.status, res.body)
    return res.json, client
  end

  local function mcp_init(token)
    return env:rpc(token, init_msg())
  end

  describe("metadata", function()
    it("serves protected resource metadata in both well-known forms (RFC 9728)", function()
      for _, path in ipairs { "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource" } do
        local res = env:request("GET", path)
        assert.equal(200, res.status)
        assert.equal(env.url .. "/mcp", res.json.resource)
        assert.same({ env.url }, res.json.authorization_servers)
        assert.same({ "header" }, res.json.bearer_methods_supported)
        assert.same({ "helpscout" }, res.json.scopes_supported)
      end
    end)

    it("serves authorization server metadata whose issuer is the URL it was built from (RFC 8414)", function()
      local res = env:request("GET", "/.well-known/oauth-authorization-server")
      assert.equal(200, res.status)
      local m = res.json
      assert.equal(env.url, m.issuer)
      assert.equal(env.url .. "/authorize", m.authorization_endpoint)
      assert.equal(env.url .. "/token", m.token_endpoint)
      assert.equal(env.url .. "/register", m.registration_endpoint)
      assert.same({ "S256" }, m.code_challenge_methods_supported)
      assert.same({ "code" }, m.response_types_supported)
      assert.same({ "none" }, m.token_endpoint_auth_methods_supported)
      assert.same({ "authorization_code", "refresh_token" }, m.grant_types_supported)
      assert.is_false(m.client_id_metadata_document_supported)
      assert.is_true(m.authorization_response_iss_parameter_supported) -- RFC 9207 §2.3
      assert.equal("no-store", res.headers["cache-control"])
    end)
  end)

  describe("registration (RFC 7591)", function()
    it("registers a public client and answers 201 with its metadata", function()
      local res = env:request("POST", "/register", { body = { redirect_uris = { "http://localhost:3000/cb",
        "https://app.example/cb", "com.example.app:/oauth" }, client_name = "Agent", token_endpoint_auth_method =
        "client_secret_basic" } })
      assert.equal(201, res.status)
      assert.matches("^hsc_client_", res.json.client_id)
      assert.equal("none", res.json.token_endpoint_auth_method) -- public clients only
      assert.is_nil(res.json.client_secret)
      assert.equal(3, #res.json.redirect_uris)
    end)

    for name, uris in pairs {
      ["http on a non-loopback host"] = { "http://app.example/cb" },
      ["a fragment"] = { "https://app.example/cb#x" },
      ["no redirect URI"] = {},
      ["a relative URI"] = { "/cb" },
    } do
      it("refuses " .. name .. " with invalid_client_metadata", function()
        local res = env:request("POST", "/register", { body = { redirect_uris = uris } })
        assert.equal(400, res.status)
        assert.equal("invalid_client_metadata", res.json.error)
      end)
    end

    it("refuses a body that is not JSON", function()
      local res = env:request("POST", "/register", { body = "redirect_uris=x",
        headers = { ["Content-Type"] = "application/json" } })
      assert.equal(400, res.status)
    end)
  end)

  describe("the whole flow", function()
    it("runs Help Scout consent and only then issues the connector's own code (with iss)", function()
      env.sb:clear_log()
      local code, verifier, client, back = env:authorize()
      assert.matches("^hsc_code_", code)
      assert.equal(env.url, back.iss)
      -- the code is the connector's: the sandbox exchanged its own code and was asked who consented
      local paths = {}
      for _, r in ipairs(env.sb:log()) do paths[#paths + 1] = r.method .. " " .. r.path end
      local joined = table.concat(paths, "\n")
      assert.matches("POST /v2/oauth2/token", joined, 1, true)
      assert.matches("GET /v2/users/me", joined, 1, true)
      local res = env:exchange(code, verifier, client)
      assert.equal(200, res.status)
      assert.matches("^hsc_at_", res.json.access_token)
      assert.matches("^hsc_rt_", res.json.refresh_token)
      assert.equal("Bearer", res.json.token_type)
      assert.equal(3600, res.json.expires_in)
      assert.equal("no-store", res.headers["cache-control"])
      -- the MCP token works at /mcp, and never reaches Help Scout (no token passthrough)
      env.sb:clear_log()
      local init = mcp_init(res.json.access_token)
      assert.equal(200, init.status)
      local sid = init.headers["mcp-session-id"]
      env:rpc(res.json.access_token, { jsonrpc = "2.0", method = "notifications/initialized" },
        { ["Mcp-Session-Id"] = sid })
      local call = env:rpc(res.json.access_token, { jsonrpc = "2.0", id = 2, method = "tools/call",
        params = { name = "list_users", arguments = {} } },
        { ["Mcp-Session-Id"] = sid, ["MCP-Protocol-Version"] = "2025-11-25" })
      assert.equal(200, call.status)
      assert.is_false(call.json.result.isError)
      local seen = 0
      for _, r in ipairs(env.sb:log()) do
        seen = seen + 1
        assert.is_nil(cjson.encode(r):find(res.json.access_token, 1, true))
      end
      assert.is_true(seen > 0)
    end)

    it("accepts a loopback redirect URI on another port than the registered one (RFC 8252)", function()
      local client = env:register{ "http://127.0.0.1:9/callback" }
      local code = env:authorize(client, { redirect_uri = "http://127.0.0.1:51234/callback" })
      assert.matches("^hsc_code_", code)
    end)

    it("rotates refresh tokens; a rotated one presented again revokes the whole family", function()
      local t, client = tokens()
      local r1 = env:request("POST", "/token", { form = { grant_type = "refresh_token", refresh_token = t.refresh_token,
        client_id = client.client_id, resource = env.url .. "/mcp" } })
      assert.equal(200, r1.status)
      assert.are_not.equal(t.refresh_token, r1.json.refresh_token)
      assert.are_not.equal(t.access_token, r1.json.access_token)
      assert.equal(200, mcp_init(r1.json.access_token).status)
      local replay = env:request("POST", "/token", { form = { grant_type = "refresh_token",
        refresh_token = t.refresh_token, client_id = client.client_id } })
      assert.equal(400, replay.status)
      assert.equal("invalid_grant", replay.json.error)
      assert.equal(401, mcp_init(r1.json.access_token).status) -- the thief's and the owner's alike
      local next_ = env:request("POST", "/token", { form = { grant_type = "refresh_token",
        refresh_token = r1.json.refresh_token, client_id = client.client_id } })
      assert.equal(400, next_.status)
    end)

    it("revokes every token of a connection when the person disconnects", function()
      local t = tokens()
      assert.equal(200, mcp_init(t.access_token).status)
      local accounts = env.sb:accounts()
      local id = ("hs-%d"):format(accounts[1].users[1].id)
      assert.equal(200, env:request("GET", "/_disconnect?id=" .. id).status)
      assert.equal(401, mcp_init(t.access_token).status)
    end)

    it("revokes a token family at /revoke (RFC 7009)", function()
      local t, client = tokens()
      local res = env:request("POST", "/revoke", { form = { token = t.refresh_token, client_id = client.client_id } })
      assert.equal(200, res.status)
      assert.equal(401, mcp_init(t.access_token).status)
    end)
  end)

  describe("the connector's own consent page (one Help Scout app for many MCP clients)", function()
    local rawhttp = require "support.rawhttp"

    local function consent_page(client_name)
      local res = env:request("POST", "/register", { body = { redirect_uris = { "http://127.0.0.1:9/cb" },
        client_name = client_name } })
      local client = res.json
      local _, challenge = support.pkce()
      local page = env:request("GET", "/authorize?" .. rawhttp.form{ response_type = "code",
        client_id = client.client_id, redirect_uri = "http://127.0.0.1:9/cb", code_challenge = challenge,
        code_challenge_method = "S256", state = "s-9" })
      return page, client
    end

    it("names the client and where the code goes, escaped, and cannot be framed", function()
      local page = consent_page('Evil <script>alert("x")</script>')
      assert.equal(200, page.status)
      assert.matches("Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", page.body, 1, true)
      assert.is_nil(page.body:find("<script>", 1, true))
      assert.matches("http://127.0.0.1:9/cb", page.body, 1, true)
      assert.equal("DENY", page.headers["x-frame-options"])
      assert.matches("frame-ancestors 'none'", page.headers["content-security-policy"], 1, true)
      assert.matches("SameSite=Strict", page.headers["set-cookie"], 1, true)
      assert.matches("HttpOnly", page.headers["set-cookie"], 1, true)
    end)

    it("Deny goes back to the client with access_denied, and Help Scout is never asked", function()
      env.sb:clear_log()
      env.decision = "deny"
      local ok, final = pcall(function() return env:authorize() end)
      env.decision = nil
      assert.is_true(ok)
      assert.is_nil(final) -- no code
      local page = consent_page("Some client")
      local token = page.body:match('name="consent" value="([^"]+)"')
      local cookie = page.headers["set-cookie"]:match("^([^;]*)")
      local res = env:request("POST", "/authorize", { form = { consent = token, decision = "deny" },
        headers = { Cookie = cookie } })
      assert.equal(302, res.status)
      local back = support.query_of(res.headers.location)
      assert.equal("access_denied", back.error)
      assert.equal("s-9", back.state)
      assert.equal(env.url, back.iss) -- RFC 9207: error responses too
      assert.is_nil(back.code)
      for _, r in ipairs(env.sb:log()) do assert.is_nil(r.path:find("oauth2", 1, true)) end
    end)

    it("refuses an answer posted without the page's cookie (the client itself fetching the page), once", function()
      local page = consent_page("Some client")
      local token = page.body:match('name="consent" value="([^"]+)"')
      local cookie = page.headers["set-cookie"]:match("^([^;]*)")
      local res = env:request("POST", "/authorize", { form = { consent = token, decision = "allow" } })
      assert.equal(403, res.status)
      assert.is_nil(res.headers.location)
      -- the token is spent: the right browser cannot use it afterwards either
      res = env:request("POST", "/authorize", { form = { consent = token, decision = "allow" },
        headers = { Cookie = cookie } })
      assert.equal(403, res.status)
    end)
  end)

  describe("refuses, each with the right status", function()
    it("no token: 401 with WWW-Authenticate naming the resource metadata", function()
      local res = mcp_init(nil)
      assert.equal(401, res.status)
      local h = res.headers["www-authenticate"]
      assert.matches('^Bearer resource_metadata="' .. env.url:gsub("%p", "%%%0")
        .. '/%.well%-known/oauth%-protected%-resource/mcp"', h)
      assert.is_nil(h:find("error=", 1, true))
    end)

    it("a made-up token: 401 invalid_token", function()
      local res = mcp_init("hsc_at_" .. string.rep("A", 43))
      assert.equal(401, res.status)
      assert.matches('error="invalid_token"', res.headers["www-authenticate"], 1, true)
    end)

    it("a token for another resource: 401 invalid_token", function()
      local t = tokens()
      local res = env:request("POST", "/_other/mcp", { body = cjson.encode(init_msg()), headers = {
        Authorization = "Bearer " .. t.access_token, Accept = "application/json, text/event-stream",
        ["Content-Type"] = "application/json" } })
      assert.equal(401, res.status)
      assert.matches('error="invalid_token"', res.headers["www-authenticate"], 1, true)
      assert.equal(200, mcp_init(t.access_token).status) -- the same token at its own resource
    end)

    it("a token request or an authorization for another resource: invalid_target", function()
      local code, verifier, client = env:authorize()
      local res = env:exchange(code, verifier, client, { resource = "https://other.example/mcp" })
      assert.equal(400, res.status)
      assert.equal("invalid_target", res.json.error)
      local final = env:authorize(nil, { resource = "https://other.example/mcp" })
      assert.is_nil(final)
    end)

    it("a wrong PKCE verifier: 400 invalid_grant", function()
      local code, _, client = env:authorize()
      local wrong = support.pkce()
      local res = env:exchange(code, wrong, client)
      assert.equal(400, res.status)
      assert.equal("invalid_grant", res.json.error)
    end)

    it("a reused code: 400 invalid_grant, and what the code bought is revoked", function()
      local code, verifier, client = env:authorize()
      local first = env:exchange(code, verifier, client)
      assert.equal(200, first.status)
      local again = env:exchange(code, verifier, client)
      assert.equal(400, again.status)
      assert.equal("invalid_grant", again.json.error)
      assert.equal(401, mcp_init(first.json.access_token).status)
    end)

    it("an unregistered redirect URI: 400 at /authorize, never redirected to", function()
      local client = env:register()
      local _, challenge = support.pkce()
      for _, uri in ipairs { "http://127.0.0.1:9/other", "https://evil.example/callback" } do
        local res = env:request("GET", "/authorize?" .. require("support.rawhttp").form{ response_type = "code",
          client_id = client.client_id, redirect_uri = uri, code_challenge = challenge, code_challenge_method = "S256",
          state = "x" })
        assert.equal(400, res.status)
        assert.is_nil(res.headers.location)
      end
    end)

    it("plain PKCE (or none): the client's redirect URI gets error=invalid_request and no code", function()
      local client = env:register()
      local verifier = support.pkce()
      for _, q in ipairs { { code_challenge_method = "plain", code_challenge = verifier },
        { code_challenge_method = "S256", code_challenge = "" } } do
        local form = { response_type = "code", client_id = client.client_id, redirect_uri = client.redirect_uris[1],
          state = "st", code_challenge_method = q.code_challenge_method, code_challenge = q.code_challenge }
        local res = env:request("GET", "/authorize?" .. require("support.rawhttp").form(form))
        assert.equal(302, res.status)
        local back = support.query_of(res.headers.location)
        assert.equal("invalid_request", back.error)
        assert.equal("st", back.state)
        assert.is_nil(back.code)
      end
    end)

    it("every error sent back to the redirect URI names the issuer (iss, RFC 9207 §2)", function()
      local client = env:register()
      local _, challenge = support.pkce()
      local base = { response_type = "code", client_id = client.client_id, redirect_uri = client.redirect_uris[1],
        state = "i", code_challenge_method = "S256", code_challenge = challenge }
      for want, change in pairs { unsupported_response_type = { response_type = "token" },
        invalid_request = { code_challenge_method = "plain" }, invalid_scope = { scope = "admin" },
        invalid_target = { resource = "https://other.example/mcp" } } do
        local form = {}
        for k, v in pairs(base) do form[k] = v end
        for k, v in pairs(change) do form[k] = v end
        local res = env:request("GET", "/authorize?" .. require("support.rawhttp").form(form))
        assert.equal(302, res.status, want)
        local back = support.query_of(res.headers.location)
        assert.equal(want, back.error)
        assert.equal(env.url, back.iss, want)
        assert.equal("i", back.state, want)
      end
    end)

    it("an unknown client at /token: 401 invalid_client; an unknown grant type: 400", function()
      local res = env:request("POST", "/token", { form = { grant_type = "authorization_code", code = "x",
        client_id = "hsc_client_nobody" } })
      assert.equal(401, res.status)
      assert.equal("invalid_client", res.json.error)
      local client = env:register()
      res = env:request("POST", "/token", { form = { grant_type = "password", client_id = client.client_id } })
      assert.equal(400, res.status)
      assert.equal("unsupported_grant_type", res.json.error)
    end)
  end)

  it("never writes a code or token to the error log", function()
    local t = tokens()
    assert.same({}, env:log_grep(t.access_token))
    assert.same({}, env:log_grep(t.refresh_token))
    assert.same({}, env:log_grep("hsc_code_"))
  end)

  it("lets only the people HELPSCOUT_CONNECTOR_ALLOW names connect; an outsider gets no code", function()
    local only = support.start{ sandbox = { seed = 2, accounts = 2 },
      env = { HELPSCOUT_CONNECTOR_ALLOW = "someone@else.example, @KESTREL.example" } }
    local ok, e = pcall(function()
      local accounts = only.sb:accounts()
      only.sb:config{ consent_user = accounts[2].users[1].id } -- @kestrel2.example
      local code, res = only:authorize()
      assert.is_nil(code)
      assert.is_true(res.status >= 400 and res.status < 500, tostring(res.status))
      assert.is_nil(res.headers.location)
      only.sb:config{ consent_user = accounts[1].users[1].id } -- @kestrel.example
      assert.matches("^hsc_code_", (only:authorize()))
    end)
    only:stop()
    assert(ok, e)
  end)

  -- A restart (nginx stopped and started again: a fresh dict) on the same durable store, the file
  -- store or a real Redis: the connector's tokens and every revocation come back from the store.
  for _, kind in ipairs { "file", "redis" } do
    describe("a restart with a durable store (" .. kind .. ")", function()
      local durable, server, dir

      setup(function()
        local where
        if kind == "redis" then
          server = require("support.redis").start{ password = "conn-pass-w0rd" }
          where = ("redis://:conn-pass-w0rd@127.0.0.1:%d/2"):format(server.port)
        else
          dir = os.tmpname()
          os.remove(dir)
          where = dir .. "/tokens.json"
        end
        durable = support.start{ sandbox = { seed = 6 }, env = { HELPSCOUT_CONNECTOR_STORE = where }, locations = [[
    location = /_disconnect { content_by_lua_block {
      local ok, e = CONNECTOR:disconnect(ngx.var.arg_id)
      if not ok then ngx.status = 500; ngx.say(tostring(e)); return end
      ngx.say("ok")
    } }
]] }
      end)
      teardown(function()
        if durable then durable:stop() end
        if server then server:stop() end
        if dir then os.execute("rm -rf '" .. dir .. "'") end
      end)

      local function pair()
        local code, verifier, client = durable:authorize()
        assert(code, "no code")
        local res = durable:exchange(code, verifier, client)
        assert.equal(200, res.status, res.body)
        return res.json, client
      end
      local function init(token) return durable:rpc(token, init_msg()).status end
      local function refresh(t, client)
        return durable:request("POST", "/token", { form = { grant_type = "refresh_token",
          refresh_token = t.refresh_token, client_id = client.client_id } })
      end

      it("an issued access token still works and a refresh token still rotates", function()
        local t, client = pair()
        assert.equal(200, init(t.access_token))
        durable:restart()
        assert.equal(200, init(t.access_token))
        local r = refresh(t, client) -- the client, too, came back from the store
        assert.equal(200, r.status, r.body)
        assert.are_not.equal(t.refresh_token, r.json.refresh_token)
        assert.equal(200, init(r.json.access_token))
        durable:restart()
        assert.equal(200, init(r.json.access_token))
        assert.equal(400, refresh(t, client).status) -- rotated before the restart: still used
      end)

      it("after the restart, concurrent requests of several tokens (each a dict miss) are all served", function()
        local files = {}
        for i = 1, 6 do
          local t = pair()
          files[i] = ("%s/h%d"):format(durable.dir, i)
          local f = assert(io.open(files[i], "w"))
          f:write("Authorization: Bearer ", t.access_token, "\nAccept: application/json, text/event-stream\n",
            "Content-Type: application/json\n")
          f:close()
        end
        durable:restart()
        local list = assert(io.open(durable.dir .. "/hlist", "w"))
        for _ = 1, 4 do for _, h in ipairs(files) do list:write(h, "\n") end end
        list:close()
        local bf = assert(io.open(durable.dir .. "/body.json", "w"))
        bf:write(cjson.encode(init_msg()))
        bf:close()
        local p = io.popen(("xargs -P 12 -I HFILE curl -s -o /dev/null -w '%%{http_code}\\n' -H @HFILE "
          .. "--data-binary @%s %s/mcp < %s"):format(durable.dir .. "/body.json", durable.url, durable.dir .. "/hlist"))
        local codes = {}
        for line in p:lines() do codes[line] = (codes[line] or 0) + 1 end
        p:close()
        assert.same({ ["200"] = 24 }, codes)
      end)

      it("a disconnect before the restart stays a revocation after it", function()
        local t, client = pair()
        local id = ("hs-%d"):format(durable.sb:accounts()[1].users[1].id)
        assert.equal(200, durable:request("GET", "/_disconnect?id=" .. id).status)
        assert.equal(401, init(t.access_token))
        durable:restart()
        assert.equal(401, init(t.access_token))
        assert.equal(400, refresh(t, client).status)
        -- the person authorizes again: the new tokens work across a restart (the new generation)
        local t2 = pair()
        durable:restart()
        assert.equal(200, init(t2.access_token))
        assert.equal(401, init(t.access_token))
      end)

      it("a family revoked at /revoke stays revoked after the restart", function()
        local t, client = pair()
        assert.equal(200, durable:request("POST", "/revoke", { form = { token = t.access_token,
          client_id = client.client_id } }).status)
        durable:restart()
        assert.equal(401, init(t.access_token))
        assert.equal(400, refresh(t, client).status)
      end)

      it("a rotated refresh token replayed after the restart still revokes its family", function()
        local t, client = pair()
        local r = refresh(t, client)
        assert.equal(200, r.status, r.body)
        durable:restart()
        assert.equal(200, init(r.json.access_token))
        local replay = refresh(t, client)
        assert.equal(400, replay.status)
        assert.equal("invalid_grant", replay.json.error)
        assert.equal(401, init(r.json.access_token)) -- the whole family: the owner's new pair too
        assert.equal(400, refresh(r.json, client).status)
        durable:restart()
        assert.equal(401, init(r.json.access_token))
      end)

      if kind == "redis" then
        it("with Redis down: no token is handed out, and a revocation is refused here and reported", function()
          local t, client = pair()
          local code, verifier = durable:authorize(client)
          assert(code, "no code")
          assert.equal(200, init(t.access_token)) -- its family and generation are now in the dict
          server:stop()
          local res = durable:exchange(code, verifier, client)
          assert.equal(503, res.status)
          assert.equal("temporarily_unavailable", res.json.error)
          assert.is_nil(res.body:find("hsc_at_", 1, true))
          assert.equal(200, init(t.access_token)) -- what this host knows still serves (RECHECK seconds)
          local id = ("hs-%d"):format(durable.sb:accounts()[1].users[1].id)
          local d = durable:request("GET", "/_disconnect?id=" .. id)
          assert.equal(500, d.status)
          assert.matches("durable store", d.body, 1, true)
          assert.equal(401, init(t.access_token))
          local rv = durable:request("POST", "/revoke", { form = { token = t.refresh_token,
            client_id = client.client_id } })
          assert.equal(503, rv.status)
        end)
      end

      if kind == "file" then
        it("keeps connections and clients too, and only hashes of the tokens", function()
          local t, client = pair()
          durable:restart()
          local code2, verifier2 = durable:authorize(client) -- the same client, not registered again
          assert.matches("^hsc_code_", code2)
          assert.equal(200, durable:exchange(code2, verifier2, client).status)
          local f = io.open(("%s/tokens.json.d/hs-%d.token"):format(dir, durable.sb:accounts()[1].users[1].id), "r")
          assert.is_not_nil(f)
          f:close()
          local p = io.popen("cat '" .. dir .. "'/tokens.json.d/*.docs/*.json")
          local all = p:read("*a")
          p:close()
          assert.matches("hsc-", io.popen("ls '" .. dir .. "'/tokens.json.d/default.docs"):read("*a"), 1, true)
          assert.is_true(#all > 0)
          assert.is_nil(all:find(t.access_token, 1, true))
          assert.is_nil(all:find(t.refresh_token, 1, true))
          assert.is_nil(all:find(t.access_token:sub(8), 1, true))
        end)
      end
    end)
  end

  it("an expired access token: 401 invalid_token (HELPSCOUT_CONNECTOR_ACCESS_TTL=1)", function()
    local short = support.start{ sandbox = { seed = 1 }, env = { HELPSCOUT_CONNECTOR_ACCESS_TTL = "1" } }
    local ok, e = pcall(function()
      local code, verifier, client = short:authorize()
      local t = short:exchange(code, verifier, client).json
      assert.equal(1, t.expires_in)
      require("socket").sleep(1.5)
      local res = short:rpc(t.access_token, init_msg())
      assert.equal(401, res.status)
      assert.matches('error="invalid_token"', res.headers["www-authenticate"], 1, true)
    end)
    short:stop()
    assert(ok, e)
  end)
end)
