-- Connections (issue 20, DESIGN.md §4 "Connections", "The connect flow"): one file store and one
-- Redis store (a real redis-server) each hold two connections of two sandbox accounts, filled
-- through the real connect flow (helpscout.oauth.start, the sandbox's consent stand-in with its
-- consent user, helpscout.oauth.callback: code exchange and /v2/users/me over HTTP). Each client
-- sees only its own account; a flow completed by another Help Scout user, outside `allow`, with a
-- forged or replayed state or by another principal saves nothing; bad ids raise clear argument
-- errors; a corrupt record is refused and left byte for byte as it was.
local helpscout = require "helpscout"
local oauth = require "helpscout.oauth"
local store = require "helpscout.store"
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local H = require "store_helper"
local http = require "socket.http"

local sb, rs, dir
setup(function()
  sb = sandbox.start{ accounts = 2 }
  rs = redis.start()
  dir = H.tmpdir("connections")
end)
teardown(function() sb:stop(); rs:stop(); H.rmtree(dir) end)

-- redis-cli, an independent client: the raw value of a key (nil when absent), or SET.
local function rcli(...)
  local q = {}
  for i, a in ipairs { ... } do q[i] = H.shq(a) end
  local p = io.popen(("redis-cli -p %d --raw %s"):format(rs.port, table.concat(q, " ")))
  local out = p:read("*a")
  p:close()
  out = out:gsub("\n$", "")
  if out == "" then return nil end
  return out
end

local n = 0
local KINDS = {
  file = {
    new = function() n = n + 1; return store.file(dir .. "/f" .. n .. "/token.json"), dir .. "/f" .. n end,
    -- the raw bytes of a connection's record, and how to replace them
    raw = function(where, id) return H.read(where .. "/token.json.d/" .. id .. ".token") end,
    put = function(where, id, s)
      os.execute("mkdir -p " .. H.shq(where .. "/token.json.d"))
      H.write(where .. "/token.json.d/" .. id .. ".token", s)
    end,
  },
  redis = {
    new = function() n = n + 1; return store.redis{ port = rs.port, key = "conn" .. n }, "conn" .. n end,
    raw = function(where, id) return rcli("GET", where .. ":conn:" .. id) end,
    put = function(where, id, s) rcli("SET", where .. ":conn:" .. id, s) end,
  },
}

local function grants() return #sb:log{ method = "POST", path = "/v2/oauth2/token" } end

-- The browser's part: the consent URL answered by the sandbox's stand-in (as `user`); returns the
-- query string of its redirect to the app.
local function consent(url, user)
  sb:config{ consent_user = user }
  local _, status, headers = http.request{ url = url, redirect = false }
  assert.equal(302, status)
  return assert(headers.location:match("%?(.*)$"))
end

local function start(st, id, o)
  o = o or {}
  return assert(oauth.start{ store = st, client_id = sb.client_id, connection = id, principal = o.principal,
    authorize_url = sb.url .. "/authentication/authorizeClientApplication" })
end

local function finish(st, query, o)
  o = o or {}
  return oauth.callback(query, { store = st, client_id = sb.client_id, client_secret = sb.client_secret,
    base_url = sb.url, allow = o.allow, replace = o.replace, principal = o.principal })
end

-- The whole connect flow of connection `id`, consented by `user`.
local function connect(st, id, user, o)
  return finish(st, consent(start(st, id, o), user), o)
end

local function client(st, id)
  return helpscout.new{ store = st, connection = id, client_id = sb.client_id, client_secret = sb.client_secret,
    base_url = sb.url, retries = 1 }
end

local function mailbox_ids(hs)
  local items = assert(hs:list_mailboxes())
  local ids = {}
  for i, m in ipairs(items) do ids[i] = m.id end
  table.sort(ids)
  return ids
end

local ACCOUNT1, ACCOUNT2 = { 4821, 5307, 6142 }, { 14821, 15307, 16142 }

before_each(function() sb:reset() end)

for _, kind in ipairs { "file", "redis" } do
  local K = KINDS[kind]
  describe("two connections in one " .. kind .. " store", function()
    it("each client sees only its own account; nothing of one is readable through the other's id", function()
      local st, where = K.new()
      local tok_a, info_a = assert(connect(st, "alice", "dana@kestrel.example"))
      local tok_b, info_b = assert(connect(st, "bob", "dana@kestrel2.example"))
      assert.same({ "alice", { id = 7701, email = "dana@kestrel.example" } }, { info_a.connection, info_a.user })
      assert.same({ "bob", { id = 8701, email = "dana@kestrel2.example" } }, { info_b.connection, info_b.user })
      assert.same({ "alice", "bob" }, st:connections())
      local a, b = client(st, "alice"), client(st, "bob")
      assert.same(ACCOUNT1, mailbox_ids(a))
      assert.same(ACCOUNT2, mailbox_ids(b))
      assert.equal(7701, assert(a:whoami()).id)
      assert.equal(8701, assert(b:whoami()).id)
      -- bob's conversation is not alice's to read
      local conv = assert(b:list_conversations())[1]
      local got, err = a:get_conversation(conv.id)
      assert.is_nil(got)
      assert.equal("not_found", err.kind)
      assert.truthy(assert(b:get_conversation(conv.id)).id)
      a:close(); b:close()
      -- each record holds its own token and user, and no other id reads either
      local ra, rb = st:connection("alice"):load(), st:connection("bob"):load()
      assert.same({ tok_a.access_token, tok_a.refresh_token, 7701 }, { ra.access_token, ra.refresh_token, ra.user_id })
      assert.same({ tok_b.access_token, tok_b.refresh_token, 8701 }, { rb.access_token, rb.refresh_token, rb.user_id })
      for _, other in ipairs { "default", "ALICE", "alice.bob", "bob@alice", "alice-", "a" } do
        assert.is_nil(st:connection(other):load(), other)
      end
      assert.is_nil(st:load())
      local raw_a = K.raw(where, "alice")
      for _, secret in ipairs { tok_b.access_token, tok_b.refresh_token } do
        assert.is_nil(raw_a:find(secret, 1, true))
      end
    end)

    it("refuses a genuine flow completed by another Help Scout user (other_user) unless replace", function()
      local st, where = K.new()
      assert(connect(st, "alice", "dana@kestrel.example"))
      local before = K.raw(where, "alice")
      for _, intruder in ipairs { "lea@kestrel.example", "dana@kestrel2.example" } do
        local g0 = grants()
        local tok, err = connect(st, "alice", intruder)
        assert.is_nil(tok)
        assert.same({ "auth", "other_user" }, { err.kind, err.reason })
        assert.equal(g0 + 1, grants()) -- the code was exchanged, the token discarded
        assert.equal(before, K.raw(where, "alice"))
      end
      local a = client(st, "alice")
      assert.equal(7701, assert(a:whoami()).id)
      assert.same(ACCOUNT1, mailbox_ids(a))
      a:close()
      -- the owner again: a new token, same user
      assert(connect(st, "alice", "dana@kestrel.example"))
      assert.not_equal(before, K.raw(where, "alice"))
      -- replace lets another user take the connection over
      local _, info = assert(connect(st, "alice", "dana@kestrel2.example", { replace = true }))
      assert.equal(8701, info.user.id)
      local a2 = client(st, "alice")
      assert.equal(8701, assert(a2:whoami()).id)
      assert.same(ACCOUNT2, mailbox_ids(a2))
      a2:close()
    end)

    it("refuses users outside allow with nothing saved", function()
      local st, where = K.new()
      local tok, err = connect(st, "carol", "priya@kestrel.example",
        { allow = { "@kestrel2.example", "sam@kestrel.example" } })
      assert.is_nil(tok)
      assert.same({ "auth", "not_allowed" }, { err.kind, err.reason })
      assert.is_nil(K.raw(where, "carol"))
      assert.same({}, st:connections())
      tok, err = connect(st, "carol", "priya@kestrel.example", { allow = function(u) return u.id == 8709 end })
      assert.is_nil(tok)
      assert.equal("not_allowed", err.reason)
      assert.is_nil(st:connection("carol"):load())
      assert(connect(st, "carol", "sam@kestrel.example", { allow = { "@kestrel2.example", "SAM@kestrel.example" } }))
      assert(connect(st, "dave", "priya@kestrel2.example", { allow = { "kestrel2.example" } }))
      assert.same({ "carol", "dave" }, st:connections())
    end)

    it("refuses a forged state, a replayed state and another principal, saving nothing", function()
      local st, where = K.new()
      -- forged: a state this store never issued (with a genuine code)
      local g0 = grants()
      local code = sb:authorize(sb.client_id, "forged-state-0123456789abcdef", "dana@kestrel.example").code
      local tok, err = finish(st, { code = code, state = "forged-state-0123456789abcdef" })
      assert.is_nil(tok)
      assert.same({ "auth", "state_mismatch" }, { err.kind, err.reason })
      -- a state issued by another store is as good as forged here
      local other = K.new()
      local query = consent(start(other, "alice"), "dana@kestrel.example")
      tok, err = finish(st, query)
      assert.is_nil(tok)
      assert.equal("state_mismatch", err.reason)
      assert.equal(g0, grants()) -- no exchange for any of them
      assert.same({}, st:connections())
      -- replayed: a completed flow's callback again
      query = consent(start(st, "alice"), "dana@kestrel.example")
      assert(finish(st, query))
      local before = K.raw(where, "alice")
      g0 = grants()
      tok, err = finish(st, query)
      assert.is_nil(tok)
      assert.equal("state_mismatch", err.reason)
      assert.equal(g0, grants())
      assert.equal(before, K.raw(where, "alice"))
      -- principal: the callback made by someone other than who started the flow
      query = consent(start(st, "bob", { principal = "bob@app" }), "dana@kestrel2.example")
      for _, p in ipairs { "mallory@app", false } do
        tok, err = finish(st, query, { principal = p or nil })
        assert.is_nil(tok)
        -- the first refusal consumes the state: the second sees no state at all
        assert.equal(p and "principal_mismatch" or "state_mismatch", err.reason)
      end
      assert.equal(g0, grants())
      assert.is_nil(K.raw(where, "bob"))
      assert(connect(st, "bob", "dana@kestrel2.example", { principal = "bob@app" }))
      assert.same({ "alice", "bob" }, st:connections())
      for _, e in ipairs { err } do
        assert.is_nil(tostring(e):find(query:match("state=([^&]+)"), 1, true))
      end
    end)

    it("raises clear argument errors for bad ids, creating nothing", function()
      local st = K.new()
      local bads = { "/", "a/b", "..", "a..b", "../etc", "a\0b", ("a"):rep(10 * 1024), "", 42, true, {}, print }
      for i, id in ipairs(bads) do
        local ok, msg = pcall(helpscout.new, { store = st, connection = id, client_id = "x", client_secret = "y" })
        assert.is_false(ok, i)
        assert.matches("^bad argument #1 to 'new' %(option 'connection': a connection id ", msg)
        assert.is_true(#msg < 300, i)
        assert.is_nil(msg:find("\0", 1, true))
        ok, msg = pcall(st.connection, st, id)
        assert.is_false(ok, i)
        assert.matches("bad argument #1 to 'connection' %(a connection id ", msg)
        assert.is_true(#msg < 300, i)
        ok = pcall(oauth.start, { store = st, client_id = "x", connection = id })
        assert.is_false(ok, i)
      end
      local ok, msg = pcall(helpscout.new, { store = st, connection = 42, client_id = "x", client_secret = "y" })
      assert.is_false(ok)
      assert.matches("must be a string, got number", msg)
      assert.same({}, st:connections())
    end)

    it("refuses a corrupt record (kind store) and leaves it as it is", function()
      local st, where = K.new()
      assert(connect(st, "bob", "dana@kestrel2.example"))
      for _, bad in ipairs { "{not json", '{"access_token":5}', '["a"]', '{"refresh_token":{}}' } do
        K.put(where, "alice", bad)
        local c = st:connection("alice")
        local rec, err = c:load()
        assert.is_nil(rec)
        assert.equal("store", err.kind)
        local hs = client(st, "alice")
        local items
        sb:clear_log()
        items, err = hs:list_mailboxes()
        hs:close()
        assert.is_nil(items)
        assert.equal("store", err.kind)
        assert.same({}, sb:log()) -- nothing sent: no grant, no call
        assert.equal(bad, K.raw(where, "alice"))
        local ok
        ok, err = c:save{ access_token = "would-overwrite" } -- never over what it cannot read
        assert.is_nil(ok)
        assert.equal("store", err.kind)
        assert.equal(bad, K.raw(where, "alice"))
        -- a connect flow onto it cannot tell whose it is: refused
        local tok
        tok, err = connect(st, "alice", "dana@kestrel.example")
        assert.is_nil(tok)
        assert.equal("store", err.kind)
        assert.equal(bad, K.raw(where, "alice"))
      end
      -- the other connection is untouched
      local b = client(st, "bob")
      assert.same(ACCOUNT2, mailbox_ids(b))
      b:close()
    end)
  end)
end
