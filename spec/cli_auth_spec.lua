-- luacheck: no max line length
-- bin/helpscout auth login|status|logout and listen, as subprocesses against the sandbox: the
-- spec plays the browser (follows the printed consent URL to the CLI's one-shot listener) and
-- the webhook sender (bodies signed with the openssl command, not with this library).
local proc = require "support.proc"
local sandbox = require "support.sandbox"
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local shq = proc.shq

local free_port = proc.free_port

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- GET url without following redirects: status, body, headers
local function get(url)
  local chunks = {}
  local _, status, headers = http.request { url = url, redirect = false, sink = ltn12.sink.table(chunks) }
  return status, table.concat(chunks), headers
end

local function post(url, body, headers)
  local chunks = {}
  headers = headers or {}
  headers["content-length"] = tostring(#body)
  local _, status = http.request { url = url, method = "POST", source = ltn12.source.string(body),
    headers = headers, sink = ltn12.sink.table(chunks) }
  return status, table.concat(chunks)
end

describe("bin/helpscout auth and listen", function()
  local sb, port, dir, token_file
  setup(function()
    port = free_port()
    sb = sandbox.start { seed = 42, accounts = 2, args = { "--redirect-url", ("http://127.0.0.1:%d/oauth/callback/help-scout"):format(port) } }
    dir = os.tmpname()
    os.remove(dir)
    token_file = dir .. "/helpscout/token.json"
  end)
  teardown(function()
    if sb then sb:stop() end
    os.execute("rm -rf " .. shq(dir))
  end)

  local function env(extra)
    local e = { "HELPSCOUT_BASE_URL=" .. shq(sb.url), "HELPSCOUT_CLIENT_ID=" .. shq(sb.client_id),
      "HELPSCOUT_CLIENT_SECRET=" .. shq(sb.client_secret),
      "HELPSCOUT_AUTHORIZE_URL=" .. shq(sb.url .. "/authentication/authorizeClientApplication") }
    for _, x in ipairs(extra or {}) do e[#e + 1] = x end
    return "env -u DISPLAY -u WAYLAND_DISPLAY " .. table.concat(e, " ")
  end

  -- runs the CLI to completion: rc, stdout, stderr
  local function run(argv, extra_env)
    local q = {}
    for i, a in ipairs(argv) do q[i] = shq(a) end
    local errf = os.tmpname()
    local p = assert(io.popen(("%s lua5.4 bin/helpscout %s 2>%s; echo \"__rc=$?\""):format(env(extra_env),
      table.concat(q, " "), shq(errf))))
    local o = p:read("*a")
    p:close()
    local e = slurp(errf) or ""
    os.remove(errf)
    return tonumber(o:match("__rc=(%d+)%s*$")), (o:gsub("__rc=%d+%s*$", "")), e
  end

  -- starts `auth login --no-browser` in the background; returns the printed URL and a function
  -- that waits for the process: rc, rest of stdout, stderr
  local function start_login(extra)
    local errf = os.tmpname()
    local q = {}
    for i, a in ipairs(extra or {}) do q[i] = shq(a) end
    local p = assert(io.popen(("%s lua5.4 bin/helpscout auth login --no-browser --port %d --token-file %s %s 2>%s; echo \"__rc=$?\""):format(
      env(), port, shq(token_file), table.concat(q, " "), shq(errf))))
    local url = p:read("*l")
    return url, function()
      local rest = p:read("*a")
      p:close()
      local e = slurp(errf) or ""
      os.remove(errf)
      return tonumber(rest:match("__rc=(%d+)%s*$")), (rest:gsub("__rc=%d+%s*$", "")), e
    end
  end

  -- follows the consent URL like a browser: the sandbox's 302, then the CLI's callback page
  local function browse(url)
    local status, _, headers = get(url)
    assert.are.equal(302, status)
    local location = headers.location
    -- the listener is up before the URL is printed, but give a loaded machine a moment
    local cstatus, cbody
    for _ = 1, 50 do
      cstatus, cbody = get(location)
      if cstatus ~= "connection refused" then break end
      socket.sleep(0.1)
    end
    return cstatus, cbody, location
  end

  it("logs in with --no-browser end to end, saves the token 0600, and every command uses it", function()
    local url, wait = start_login()
    assert.truthy(url and url:find("^" .. sb.url:gsub("%p", "%%%0") .. "/authentication/authorizeClientApplication%?"), url)
    local status, body = browse(url)
    assert.are.equal(200, status)
    assert.truthy(body:find("Connected to Help Scout", 1, true))
    local rc, rest, err = wait()
    assert.are.equal(0, rc, err)
    assert.are.equal("", rest) -- --no-browser: the URL alone on stdout
    assert.truthy(err:find("logged in as dana@kestrel.example (Help Scout user 7701); connection 'default'", 1, true), err)
    local saved = slurp(token_file)
    assert.is_string(saved)
    local tok = cjson.decode(saved)
    assert.is_string(tok.access_token)
    assert.is_string(tok.refresh_token)
    local mode = io.popen("stat -c %a " .. shq(token_file)):read("*l")
    assert.are.equal("600", mode)
    assert.are.equal("700", io.popen("stat -c %a " .. shq(dir .. "/helpscout")):read("*l"))
    -- a command with the token file and no client credentials in the environment
    sb:clear_log()
    local rc2, out2, err2 = run({ "mailboxes", "--json", "--token-file", token_file }, { "HELPSCOUT_CLIENT_ID=", "HELPSCOUT_CLIENT_SECRET=" })
    assert.are.equal(0, rc2, err2)
    assert.is_true(#cjson.decode(out2).items > 0)
    for _, r in ipairs(sb:log()) do assert.are_not.equal("/v2/oauth2/token", r.path) end -- the saved token, no grant
    -- status shows the expiry, never a token
    local rc3, out3 = run { "auth", "status", "--token-file", token_file }
    assert.are.equal(0, rc3)
    assert.truthy(out3:find("Logged in", 1, true) and out3:find("EXPIRES", 1, true), out3)
    assert.truthy(out3:find("default%s+dana@kestrel%.example%s+7701%s+%d%d%d%d%-%d%d%-%d%dT%S+%s+ok"), out3)
    assert.is_nil(out3:find(tok.access_token, 1, true))
    assert.is_nil(out3:find(tok.refresh_token, 1, true))
    local rc4, out4 = run { "auth", "status", "--json", "--token-file", token_file }
    assert.are.equal(0, rc4)
    local st = cjson.decode(out4)
    assert.is_true(st.logged_in)
    assert.are.equal(token_file, st.token_file)
    assert.are.equal(1, #st.connections)
    local c = st.connections[1]
    assert.are.same({ "default", "dana@kestrel.example", 7701, "ok", true },
      { c.connection, c.email, c.user_id, c.state, c.refreshable })
    assert.is_nil(out4:find(tok.access_token, 1, true))
    -- logout removes the file; status then fails
    local rc5, out5 = run { "auth", "logout", "--token-file", token_file }
    assert.are.equal(0, rc5)
    assert.truthy(out5:find("Logged out", 1, true))
    assert.is_nil(slurp(token_file))
    local rc6, _, err6 = run { "auth", "status", "--token-file", token_file }
    assert.are.equal(1, rc6)
    assert.truthy(err6:find("not logged in", 1, true))
  end)

  -- one full login (the sandbox's consent user consenting), as the CLI prints it: rc, stderr
  local function login(extra, user)
    sb:config { consent_user = user }
    local url, wait = start_login(extra)
    local status = browse(url)
    local rc, _, err = wait()
    return rc, err, status
  end

  local function mailbox_ids(conn)
    local rc, out, err = run({ "mailboxes", "--json", "--token-file", token_file, "--connection", conn },
      { "HELPSCOUT_CLIENT_ID=", "HELPSCOUT_CLIENT_SECRET=" })
    assert.are.equal(0, rc, err)
    local ids = {}
    for i, m in ipairs(cjson.decode(out).items) do ids[i] = m.id end
    table.sort(ids)
    return ids
  end

  it("keeps connections of two Help Scout accounts apart in one token file", function()
    os.execute("rm -rf " .. shq(dir))
    local rc, err = login({ "--connection", "bob" }, "dana@kestrel2.example")
    assert.are.equal(0, rc, err)
    assert.truthy(err:find("logged in as dana@kestrel2.example (Help Scout user 8701); connection 'bob'", 1, true), err)
    rc, err = login({}, 7701)
    assert.are.equal(0, rc, err)
    assert.are.same({ 14821, 15307, 16142 }, mailbox_ids("bob"))
    assert.are.same({ 4821, 5307, 6142 }, mailbox_ids("default"))
    -- status lists both, never a token
    local rc2, out2 = run { "auth", "status", "--json", "--token-file", token_file }
    assert.are.equal(0, rc2)
    local st = cjson.decode(out2)
    assert.are.equal(2, #st.connections)
    assert.are.same({ "bob", "dana@kestrel2.example", 8701 }, { st.connections[1].connection, st.connections[1].email, st.connections[1].user_id })
    assert.are.same({ "default", "dana@kestrel.example", 7701 }, { st.connections[2].connection, st.connections[2].email, st.connections[2].user_id })
    local bob_file = token_file .. ".d/bob.token"
    local bob = cjson.decode(slurp(bob_file))
    for _, secret in ipairs { bob.access_token, bob.refresh_token } do assert.is_nil(out2:find(secret, 1, true)) end
    -- --connection alone: that one only
    local rc3, out3 = run { "auth", "status", "--token-file", token_file, "--connection", "bob" }
    assert.are.equal(0, rc3)
    assert.truthy(out3:find("bob", 1, true) and not out3:find("default ", 1, true), out3)
    -- another Help Scout user on bob's connection: refused, bob's record untouched
    local before = slurp(bob_file)
    local rc4, err4, status4 = login({ "--connection", "bob" }, "lea@kestrel.example")
    assert.are.equal(400, status4)
    assert.are.equal(1, rc4)
    assert.truthy(err4:find("another Help Scout user", 1, true) and err4:find("--replace", 1, true), err4)
    assert.are.equal(before, slurp(bob_file))
    assert.are.same({ 14821, 15307, 16142 }, mailbox_ids("bob"))
    -- the same user again is welcome (a new token), and --replace lets another one take it
    local rc5, err5 = login({ "--connection", "bob" }, "dana@kestrel2.example")
    assert.are.equal(0, rc5, err5)
    assert.are_not.equal(before, slurp(bob_file))
    local rc6, err6 = login({ "--connection", "bob", "--replace" }, "lea@kestrel.example")
    assert.are.equal(0, rc6, err6)
    assert.are.same({ 4821, 5307, 6142 }, mailbox_ids("bob"))
    assert.are.equal(7702, cjson.decode(slurp(bob_file)).user_id)
    -- --allow: anyone else is refused and nothing is saved; the listed ones get in
    local rc7, err7 = login({ "--connection", "carol", "--allow", "@kestrel2.example", "--allow", "sam@kestrel.example" },
      "priya@kestrel.example")
    assert.are.equal(1, rc7)
    assert.truthy(err7:find("may not connect", 1, true), err7)
    assert.is_nil(slurp(token_file .. ".d/carol.token"))
    local rc8, err8 = login({ "--connection", "carol", "--allow", "nobody@example.org,@KESTREL2.example" },
      "priya@kestrel2.example")
    assert.are.equal(0, rc8, err8)
    -- a refused refresh token shows as dead
    sb:revoke("priya@kestrel2.example")
    local rc9, _, err9 = run({ "mailboxes", "--token-file", token_file, "--connection", "carol" })
    assert.are.equal(1, rc9)
    assert.truthy(err9:find("reconsent", 1, true) or err9:find("authoriz", 1, true), err9)
    local _, out10 = run { "auth", "status", "--token-file", token_file }
    assert.truthy(out10:find("carol%s+priya@kestrel2%.example%s+8709%s+%S+%s+dead"), out10)
    -- logout removes one connection only
    local rc11, out11 = run { "auth", "logout", "--token-file", token_file, "--connection", "bob" }
    assert.are.equal(0, rc11)
    assert.truthy(out11:find("removed connection 'bob' (lea@kestrel.example)", 1, true), out11)
    local _, out12 = run { "auth", "status", "--json", "--token-file", token_file }
    local ids = {}
    for i, c in ipairs(cjson.decode(out12).connections) do ids[i] = c.connection end
    assert.are.same({ "carol", "default" }, ids)
    local rc13, _, err13 = run({ "mailboxes", "--token-file", token_file, "--connection", "bob" })
    assert.are.equal(1, rc13)
    assert.truthy(err13:find("no token", 1, true), err13)
    -- a corrupt record is refused and left as it is
    local carol_file = token_file .. ".d/carol.token"
    local f = assert(io.open(carol_file, "wb")); f:write("{not json"); f:close()
    sb:clear_log()
    local rc14, _, err14 = run({ "mailboxes", "--token-file", token_file, "--connection", "carol" })
    assert.are.equal(1, rc14)
    assert.truthy(err14:find("corrupt", 1, true), err14)
    assert.are.equal(0, #sb:log())
    local _, out15 = run { "auth", "status", "--token-file", token_file }
    assert.truthy(out15:find("carol%s+corrupt"), out15)
    assert.are.equal("{not json", slurp(carol_file))
    sb:config { consent_user = false }
  end)

  it("refuses a callback whose state does not match, and saves nothing", function()
    os.remove(token_file)
    local url, wait = start_login()
    local forged = url:gsub("state=[^&]+", "state=not-the-state")
    local status, body = browse(forged)
    assert.are.equal(400, status)
    assert.truthy(body:find("Not connected", 1, true))
    local rc, _, err = wait()
    assert.are.equal(1, rc)
    assert.truthy(err:find("state", 1, true), err)
    assert.is_nil(slurp(token_file))
  end)

  it("reports access_denied from the consent screen", function()
    sb:config { consent = "deny" }
    local url, wait = start_login()
    local status = browse(url)
    sb:config { consent = "allow" }
    assert.are.equal(400, status)
    local rc, _, err = wait()
    assert.are.equal(1, rc)
    assert.truthy(err:find("declined", 1, true), err)
    assert.is_nil(slurp(token_file))
  end)

  it("listens for webhooks: verified events as JSON lines, bad signatures refused with 401", function()
    local lport = free_port()
    local secret = "whsec-test-123"
    local outf = os.tmpname()
    local p = assert(io.popen(("%s lua5.4 bin/helpscout listen --port %d --limit 2 >%s 2>&1; echo \"__rc=$?\""):format(
      env { "HELPSCOUT_WEBHOOK_SECRET=" .. shq(secret) }, lport, shq(outf))))
    local function sign(body)
      local tmp = os.tmpname()
      local f = io.open(tmp, "wb"); f:write(body); f:close()
      local sig = io.popen(("openssl dgst -sha1 -hmac %s -binary %s | base64"):format(shq(secret), shq(tmp))):read("*l")
      os.remove(tmp)
      return sig
    end
    local url = ("http://127.0.0.1:%d/"):format(lport)
    local body1 = '{"id":2407781234,"number":51872,"subject":"Hi","cc":[]}'
    local status
    for _ = 1, 50 do
      status = post(url, body1, { ["x-helpscout-event"] = "convo.created", ["x-helpscout-signature"] = sign(body1) })
      if status ~= "connection refused" then break end
      socket.sleep(0.1)
    end
    assert.are.equal(200, status)
    assert.are.equal(401, (post(url, body1 .. " ", { ["x-helpscout-event"] = "convo.created", ["x-helpscout-signature"] = sign(body1) })))
    assert.are.equal(401, (post(url, body1, { ["x-helpscout-event"] = "convo.created" })))
    local body2 = '{"id":2407781234,"tags":[{"id":1,"tag":"vip"}]}'
    assert.are.equal(200, (post(url, body2, { ["X-HelpScout-Event"] = "convo.tags", ["X-HelpScout-Signature"] = sign(body2) })))
    local rc = tonumber(p:read("*a"):match("__rc=(%d+)"))
    p:close()
    assert.are.equal(0, rc)
    local lines = {}
    for l in (slurp(outf) or ""):gmatch("[^\n]+") do lines[#lines + 1] = l end
    os.remove(outf)
    local events = {}
    for _, l in ipairs(lines) do
      if l:sub(1, 1) == "{" then events[#events + 1] = cjson.decode(l) end
    end
    assert.are.equal(2, #events, table.concat(lines, "\n"))
    assert.are.equal("convo.created", events[1].event)
    assert.are.equal(51872, events[1].data.number)
    assert.are.equal("convo.tags", events[2].event)
    local refused = 0
    for _, l in ipairs(lines) do if l:find("refused a webhook", 1, true) then refused = refused + 1 end end
    assert.are.equal(2, refused)
    assert.is_nil(table.concat(lines, "\n"):find(secret, 1, true))
  end)

  it("receives the sandbox's own signed webhooks for its writes (helpscout listen)", function()
    local lport = free_port()
    local secret = "whsec-sandbox-456"
    local outf = os.tmpname()
    local sfile = os.tmpname()
    local sf = assert(io.open(sfile, "w"))
    sf:write(secret, "\n")
    sf:close()
    local p = assert(io.popen(("%s lua5.4 bin/helpscout listen --port %d --secret-file %s --limit 2 >%s 2>&1; echo \"__rc=$?\""):format(
      env(), lport, shq(sfile), shq(outf))))
    socket.sleep(0.5) -- the listener binds before the first delivery (deliveries retry anyway)
    sb:config { webhook_url = ("http://127.0.0.1:%d/"):format(lport), webhook_secret = secret }
    local hs = require("helpscout").new { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
    local items = assert(hs:list_conversations { status = "active" })
    local id = items[1].id
    assert(hs:add_note(id, "checked with the customer"))
    assert(hs:update_tags(id, { "vip" }))
    hs:close()
    local rc = tonumber(p:read("*a"):match("__rc=(%d+)"))
    p:close()
    sb:config { webhook_url = false, webhook_secret = false }
    os.remove(sfile)
    assert.are.equal(0, rc)
    local events = {}
    for l in (slurp(outf) or ""):gmatch("[^\n]+") do
      if l:sub(1, 1) == "{" then events[#events + 1] = cjson.decode(l) end
    end
    os.remove(outf)
    assert.are.equal(2, #events)
    assert.are.equal("convo.note.created", events[1].event)
    assert.are.equal("convo.tags", events[2].event)
    assert.are.equal(id, events[2].data.id)
  end)
end)
