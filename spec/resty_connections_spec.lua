-- Connections in a real nginx (issue 20): the connect flow through resty.oauth_handler with
-- /connect and the callback behind auth_basic (the principal), two Help Scout accounts in one
-- sandbox, two connections in one shdict. Every refusal is made by an outsider doing what an
-- attacker would: a state they made up, a callback replayed, a flow completed by another Help
-- Scout user or by another signed-in person; and a revoked app's dead refresh token, which all
-- workers report as reconsent without sending it again.
local nginx = require "support.nginx"
local sandbox = require "support.sandbox"
local cjson = require "cjson.safe"
local http = require "socket.http"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function b64(s)
  local p = io.popen("printf %s " .. shq(s) .. " | base64")
  local out = p:read("*l")
  p:close()
  return out
end

local PASSWORD = "pw-123"
local BASIC = { alice = "Basic " .. b64("alice:" .. PASSWORD), bob = "Basic " .. b64("bob:" .. PASSWORD),
  carol = "Basic " .. b64("carol:" .. PASSWORD), dave = "Basic " .. b64("dave:" .. PASSWORD) }

describe("connections in nginx", function()
  local ng, sb, accounts, htdir

  setup(function()
    sb = sandbox.start{ seed = 5, accounts = 2 }
    accounts = sb:accounts()
    -- the htpasswd file: openssl's apr1 hashes, one line per person
    local p = io.popen("mktemp -d /tmp/hs-htpasswd.XXXXXX")
    htdir = p:read("*l")
    p:close()
    os.execute("chmod 755 " .. shq(htdir))
    local lines = {}
    for _, who in ipairs { "alice", "bob", "carol", "dave" } do
      p = io.popen("openssl passwd -apr1 " .. shq(PASSWORD))
      lines[#lines + 1] = who .. ":" .. p:read("*l")
      p:close()
    end
    local f = assert(io.open(htdir .. "/htpasswd", "w"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    local handler = ([[require("helpscout.resty").oauth_handler{ client_id = %q, client_secret = %q,
      base_url = %q, authorize_url = %q, shdict = "hs",
      principal = function() return ngx.var.remote_user end %s }]])
    local function h(extra)
      return handler:format(sb.client_id, sb.client_secret, sb.url,
        sb.url .. "/authentication/authorizeClientApplication", extra or "")
    end
    ng = nginx.start{ workers = 2, http = "lua_shared_dict hs 1m;", server = ([[
      set $htpasswd %s/htpasswd; # every location but the helper's /_run is behind auth_basic
      location = /connect { auth_basic "connector"; auth_basic_user_file $htpasswd;
        content_by_lua_block { %s.start{ connection = ngx.var.remote_user } } }
      location = /oauth/callback/help-scout { auth_basic "connector"; auth_basic_user_file $htpasswd;
        lua_socket_log_errors off; content_by_lua_block { %s.callback() } }
      location = /connect-only-acme1 { auth_basic "connector"; auth_basic_user_file $htpasswd;
        content_by_lua_block { %s.start{ connection = ngx.var.remote_user } } }
      location = /callback-only-acme1 { auth_basic "connector"; auth_basic_user_file $htpasswd;
        content_by_lua_block { %s.callback() } }
      location = /mailboxes { auth_basic "connector"; auth_basic_user_file $htpasswd; content_by_lua_block {
        local hs = require("helpscout.resty").new{ shdict = "hs", connection = ngx.var.remote_user,
          client_id = %q, client_secret = %q, base_url = %q }
        local items, err = hs:list_mailboxes()
        local me = items and hs:whoami()
        local ids = {}
        for i, m in ipairs(items or {}) do ids[i] = m.id end
        ngx.say(require("cjson").encode(items and { ids = ids, me = me and me.id } or { error = err.kind }))
      } }
    ]]):format(htdir, h(), h(), h(', allow = { "@kestrel.example" }'), h(', allow = { "@kestrel.example" }'),
      sb.client_id, sb.client_secret, sb.url) }
  end)
  teardown(function()
    if ng then ng:stop() end
    if sb then sb:stop() end
    if htdir then os.execute("rm -rf " .. shq(htdir)) end
  end)

  local function get(path, who, cookie)
    local headers = { Authorization = BASIC[who] }
    if cookie then headers.Cookie = cookie end
    return ng:request("GET", path, { headers = headers })
  end

  -- The browser's part up to the callback: /connect as `who`, the consent of `user` (an id) on
  -- the sandbox's stand-in. Returns the callback's path and query, and the state cookie.
  local function consent(who, user, start, callback)
    sb:config{ consent_user = user, redirect_url = ng.url .. (callback or "/oauth/callback/help-scout") }
    local res = get(start or "/connect", who)
    assert.equal(302, res.status, res.body)
    local cookie = assert(res.headers["set-cookie"]):match("^([^;]+)")
    local _, status, headers = http.request{ url = res.headers.location, redirect = false }
    assert.equal(302, status)
    return headers.location:match("^https?://[^/]+(/.*)$"), cookie
  end

  local function connect(who, user, start, callback)
    local path, cookie = consent(who, user, start, callback)
    return get(path, who, cookie), path, cookie
  end

  local function mailboxes(who)
    local res = get("/mailboxes", who)
    assert.equal(200, res.status)
    return cjson.decode(res.body)
  end

  local function grants() return #sb:log{ method = "POST", path = "/v2/oauth2/token" } end

  local function ids_of(account)
    local ids = {}
    for i, m in ipairs(account.mailboxes) do ids[i] = m.id end
    table.sort(ids)
    return ids
  end

  it("keeps two people's accounts apart: each connection sees only its own account", function()
    local u1, u2 = accounts[1].users[1].id, accounts[2].users[1].id
    assert.equal(200, connect("alice", u1).status)
    assert.equal(200, connect("bob", u2).status)
    local a, b = mailboxes("alice"), mailboxes("bob")
    table.sort(a.ids); table.sort(b.ids)
    assert.same(ids_of(accounts[1]), a.ids)
    assert.same(ids_of(accounts[2]), b.ids)
    assert.equal(u1, a.me)
    assert.equal(u2, b.me)
    local listed = ng:run("return require('helpscout.resty').store.shdict('hs'):connections()")
    assert.same({ "alice", "bob" }, listed)
  end)

  it("refuses a state it never issued, with no exchange", function()
    sb:clear_log()
    local res = get("/oauth/callback/help-scout?code=made-up&state=0123456789abcdef0123456789abcdef", "alice",
      "hs_oauth_state=0123456789abcdef0123456789abcdef")
    assert.equal(400, res.status)
    assert.matches("state", res.body)
    assert.equal(0, grants())
  end)

  it("refuses a replayed callback, and the connection still acts as its owner", function()
    local u1 = accounts[1].users[1].id
    local res, path, cookie = connect("alice", u1)
    assert.equal(200, res.status)
    sb:clear_log()
    res = get(path, "alice", cookie)
    assert.equal(400, res.status)
    assert.equal(0, grants(), "the replayed code was never sent")
    assert.equal(u1, mailboxes("alice").me)
  end)

  it("refuses a genuine flow completed by another Help Scout user", function()
    local u1, other = accounts[1].users[1].id, accounts[2].users[2].id
    assert.equal(200, connect("alice", u1).status)
    local res = connect("alice", other)
    assert.equal(409, res.status)
    assert.matches("another Help Scout user", res.body)
    local m = mailboxes("alice")
    assert.equal(u1, m.me)
    table.sort(m.ids)
    assert.same(ids_of(accounts[1]), m.ids)
  end)

  it("refuses a flow another signed-in person started (the principal)", function()
    local path, cookie = consent("alice", accounts[1].users[1].id)
    sb:clear_log()
    local res = get(path, "bob", cookie) -- bob's browser got alice's link and cookie
    assert.equal(403, res.status)
    assert.equal(0, grants())
  end)

  it("refuses a user outside the allow-list: nothing saved", function()
    local res = connect("carol", accounts[2].users[1].id, "/connect-only-acme1", "/callback-only-acme1")
    assert.equal(403, res.status)
    assert.equal("auth", mailboxes("carol").error, "carol has no connection")
    res = connect("carol", accounts[1].users[2].id, "/connect-only-acme1", "/callback-only-acme1")
    assert.equal(200, res.status)
    assert.equal(accounts[1].users[2].id, mailboxes("carol").me)
  end)

  it("a revoked app: every call of both workers answers reconsent, the dead refresh token is sent at most twice",
    function()
      assert.equal(200, connect("carol", accounts[1].users[2].id, "/connect-only-acme1", "/callback-only-acme1").status)
      assert.equal(accounts[1].users[2].id, mailboxes("carol").me)
      sb:revoke()
      sb:clear_log()
      local urls = {}
      for i = 1, 40 do urls[i] = ("-o %s/r%d.json %s/mailboxes"):format(shq(ng.dir), i, ng.url) end
      assert(os.execute(("curl -s --no-progress-meter -Z --parallel-max 40 -u carol:%s %s")
        :format(PASSWORD, table.concat(urls, " "))))
      for i = 1, 40 do
        local f = assert(io.open(("%s/r%d.json"):format(ng.dir, i)))
        assert.same({ error = "reconsent" }, cjson.decode(f:read("*a")))
        f:close()
      end
      local refused = 0
      for _, r in ipairs(sb:log{ method = "POST", path = "/v2/oauth2/token" }) do
        if r.status == 400 then refused = refused + 1 end
      end
      assert.is_true(refused >= 1 and refused <= 2, "refused refresh grants: " .. refused)
    end)

  it("a worker killed while it holds the renewal lock: the other worker takes it over within seconds", function()
    local user = accounts[1].users[3].id
    local path, cookie = consent("dave", user)
    sb:config{ redirect_url = ng.url .. "/oauth/callback/help-scout" }
    assert.equal(200, get(path, "dave", cookie).status)
    local before = ng:run([[local c = require('helpscout.resty').store.shdict('hs'):connection('dave')
      local rec = c:load(); rec.expires_at = ngx.now() - 1; assert(c:save(rec)); return rec.refresh_token]])
    -- the next grant waits 3 s before Help Scout processes it (and is dropped if its sender is gone)
    sb:fault{ method = "POST", path = "/v2/oauth2/token", action = "delay", delay = 3, before = true, count = 1 }
    sb:clear_log()
    local bg = io.popen(("curl -s -m 20 -u dave:%s %s/mailboxes; echo"):format(PASSWORD, ng.url))
    local holder
    for _ = 1, 100 do -- the lock's value names the worker holding it
      holder = ng:run("return ngx.shared.hs:get('helpscout:c:dave:lock')")
      if type(holder) == "string" then break end
      require("socket").sleep(0.02)
    end
    assert.is_string(holder, "no worker took the renewal lock")
    local pid = assert(tonumber(holder:match("^(%d+):")))
    os.execute("kill -9 " .. pid)
    local killed = require("socket").gettime()
    bg:read("*a")
    bg:close()
    local slowest = 0
    for _ = 1, 10 do
      local m = mailboxes("dave")
      slowest = require("socket").gettime() - killed
      assert.equal(user, m.me, require("cjson").encode(m))
    end
    print(("\n  worker %d killed holding the lock: 10 calls served, the last %.2f s after the kill")
      :format(pid, slowest))
    assert.is_true(slowest < 10 * (tonumber(os.getenv("HS_TIME_SLACK")) or 1))
    local ok, refused = 0, 0
    for _, r in ipairs(sb:log{ method = "POST", path = "/v2/oauth2/token" }) do
      if r.status == 200 then ok = ok + 1 elseif r.status == 400 then refused = refused + 1 end
    end
    assert.equal(1, ok, "exactly one refresh succeeded")
    assert.equal(0, refused, "the old refresh token was not redeemed twice")
    assert.not_equal(before, ng:run("return require('helpscout.resty').store.shdict('hs'):connection('dave'):load()"
      .. ".refresh_token"))
  end)
end)
