-- Several Help Scout accounts in one sandbox, and who consents (issue 20): --accounts N gives N
-- accounts with their own users, mailboxes, customers and conversations (no id shared); a token
-- acts as one user of one account and sees and touches only that account; consent_user picks who
-- consents next, and that user flows from the code to the tokens and the refreshed tokens;
-- /_sandbox/revoke makes every refresh answer 400 invalid_request. Account 1 is the data of a
-- one-account sandbox of the same seed.
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local cjson = require "cjson.safe"

local request, token_request, client_token = rawhttp.request, rawhttp.token_request, rawhttp.client_token

local CONSENT = "/authentication/authorizeClientApplication"

local function I(n) return string.format("%d", n) end

local function get(sb, tok, path)
  local res = assert(request(sb, "GET", path, { token = tok }))
  return res.status, res.json
end

-- The ids of _embedded[key] over every page of path.
local function all_ids(sb, tok, path, key)
  local ids, page = {}, 1
  repeat
    local status, body = get(sb, tok, path .. (path:find("?", 1, true) and "&" or "?") .. "page=" .. page)
    assert.are.equal(200, status)
    for _, o in ipairs((body._embedded or {})[key] or {}) do ids[#ids + 1] = o.id end
    page = page + 1
  until page > body.page.totalPages
  return ids
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

describe("sandbox accounts", function()
  local sb, acc

  setup(function()
    sb = sandbox.start { seed = 42, conversations = 40, accounts = 2 }
    acc = sb:accounts()
  end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:config { consent_user = false } end)

  local function exchange(code)
    local res = token_request(sb, { grant_type = "authorization_code", code = code, client_id = sb.client_id,
      client_secret = sb.client_secret })
    assert.are.equal(200, res.status)
    return res.json
  end

  local function refresh(rt)
    return token_request(sb, { grant_type = "refresh_token", refresh_token = rt, client_id = sb.client_id,
      client_secret = sb.client_secret })
  end

  -- An access token (and its refresh token) acting as user (id or e-mail).
  local function token_as(user)
    local t = exchange(sb:authorize(nil, nil, user).code)
    return t.access_token, t.refresh_token
  end

  local function me(tok)
    local status, body = get(sb, tok, "/v2/users/me")
    assert.are.equal(200, status)
    return body
  end

  it("lists two accounts with distinct users, mailboxes and user e-mail domains", function()
    assert.are.equal(2, #acc)
    assert.are.equal(7701, acc[1].users[1].id)
    assert.are.equal("dana@kestrel.example", acc[1].users[1].email)
    local ids = {}
    for k, a in ipairs(acc) do
      for _, u in ipairs(a.users) do
        assert.is_nil(ids[u.id]); ids[u.id] = k
        assert.truthy(u.email:match(k == 1 and "@kestrel%.example$" or "@kestrel2%.example$"))
      end
      for _, m in ipairs(a.mailboxes) do assert.is_nil(ids[m.id]); ids[m.id] = k end
    end
  end)

  it("a token of each account sees only its own mailboxes, users, customers and conversations", function()
    local t1 = client_token(sb)
    local t2 = token_as(acc[2].users[1].id)
    local seen = {}
    for k, tok in ipairs { t1, t2 } do
      local mailboxes = all_ids(sb, tok, "/v2/mailboxes", "mailboxes")
      local want = {}
      for i, m in ipairs(acc[k].mailboxes) do want[i] = m.id end
      assert.are.same(want, mailboxes)
      local users = all_ids(sb, tok, "/v2/users", "users")
      local want_users = {}
      for i, u in ipairs(acc[k].users) do want_users[i] = u.id end
      assert.are.same(want_users, users)
      seen[k] = { users = users, customers = all_ids(sb, tok, "/v2/customers", "customers"),
        conversations = all_ids(sb, tok, "/v2/conversations?status=all", "conversations"), mailboxes = mailboxes }
      assert.are.equal(40, #seen[k].conversations)
    end
    for _, key in ipairs { "users", "customers", "conversations", "mailboxes" } do
      local one = set_of(seen[1][key])
      for _, id in ipairs(seen[2][key]) do assert.is_nil(one[id], key .. " id shared: " .. I(id)) end
    end
    -- the other account's objects answer 404, whichever way they are asked for
    local paths = {
      { "/v2/conversations/", seen[2].conversations[1], "/v2/conversations/", seen[1].conversations[1] },
      { "/v2/customers/", seen[2].customers[1], "/v2/customers/", seen[1].customers[1] },
      { "/v2/mailboxes/", seen[2].mailboxes[1], "/v2/mailboxes/", seen[1].mailboxes[1] },
      { "/v2/users/", seen[2].users[1], "/v2/users/", seen[1].users[1] },
    }
    for _, p in ipairs(paths) do
      assert.are.equal(404, (get(sb, t1, p[1] .. I(p[2]))))
      assert.are.equal(404, (get(sb, t2, p[3] .. I(p[4]))))
      assert.are.equal(200, (get(sb, t1, p[3] .. I(p[4]))))
      assert.are.equal(200, (get(sb, t2, p[1] .. I(p[2]))))
    end
    assert.are.equal(404, (get(sb, t1, "/v2/conversations/" .. I(seen[2].conversations[1]) .. "/threads")))
    -- the request log names the account and user each request acted as
    sb:clear_log()
    get(sb, t2, "/v2/mailboxes")
    local entry = sb:log { path = "/v2/mailboxes" }[1]
    assert.are.equal(2, entry.account)
    assert.are.equal(acc[2].users[1].id, entry.user)
  end)

  it("/v2/users/me answers each token's user", function()
    assert.are.equal(7701, me(client_token(sb)).id)
    for _, u in ipairs { acc[1].users[3], acc[2].users[1], acc[2].users[4] } do
      local body = me((token_as(u.email)))
      assert.are.equal(u.id, body.id)
      assert.are.equal(u.email, body.email)
    end
  end)

  it("writes touch only the token's account and are authored by its user", function()
    local u2 = acc[2].users[2]
    local t1, t2 = client_token(sb), token_as(u2.id)
    local c2 = all_ids(sb, t2, "/v2/conversations?status=all", "conversations")[1]
    local res = request(sb, "POST", "/v2/conversations/" .. I(c2) .. "/notes", { token = t1, body = { text = "x" } })
    assert.are.equal(404, res.status)
    res = request(sb, "POST", "/v2/conversations/" .. I(c2) .. "/notes", { token = t2, body = { text = "mine" } })
    assert.are.equal(201, res.status)
    local _, threads = get(sb, t2, "/v2/conversations/" .. I(c2) .. "/threads")
    local note = threads._embedded.threads[1]
    assert.are.equal("mine", note.body)
    assert.are.equal(u2.id, note.createdBy.id)
    -- another account's mailbox is unknown to a create
    res = request(sb, "POST", "/v2/conversations", { token = t2, body = { subject = "s", type = "email",
      status = "active", mailboxId = acc[1].mailboxes[1].id, customer = { email = "z@example.org" },
      threads = { { type = "customer", text = "hi" } } } })
    assert.are.equal(400, res.status)
    -- a reply of account 2 lands in the outbox as account 2's
    sb:clear_outbox()
    res = request(sb, "POST", "/v2/conversations/" .. I(c2) .. "/reply",
      { token = t2, body = { text = "answer", customer = { email = "z2@example.org" } } })
    assert.are.equal(201, res.status)
    local box = sb:outbox()
    assert.are.equal(1, #box)
    assert.are.equal(2, box[1].account)
    assert.are.equal(c2, box[1].conversation_id)
  end)

  it("consent_user flows from the consent screen through the code, the token and every refresh", function()
    local u = acc[2].users[3]
    local cfg = sb:config { consent_user = u.email }
    assert.are.equal(u.id, cfg.consent_user)
    local res = request(sb, "GET", CONSENT .. "?client_id=" .. sb.client_id .. "&state=s1")
    assert.are.equal(302, res.status)
    local code = res.headers.location:match("[?&]code=([^&]+)")
    local t = exchange(code)
    assert.are.equal(u.id, me(t.access_token).id)
    for _ = 1, 2 do
      local r = refresh(t.refresh_token)
      assert.are.equal(200, r.status)
      t = r.json
      assert.are.equal(u.id, me(t.access_token).id)
    end
    -- by id too, and /_sandbox/authorize follows it; client_credentials stays account 1's first user
    sb:config { consent_user = acc[1].users[2].id }
    assert.are.equal(acc[1].users[2].id, me(exchange(sb:authorize().code).access_token).id)
    assert.are.equal(7701, me(client_token(sb)).id)
    -- back to the default
    assert.are.equal(7701, sb:config { consent_user = false }.consent_user)
    assert.are.equal(7701, me(exchange(sb:authorize().code).access_token).id)
  end)

  it("refuses a consent_user or authorize user that names nobody, changing nothing", function()
    sb:config { consent_user = acc[2].users[1].id }
    for _, bad in ipairs { 1, "nobody@kestrel.example", "", true, {} } do
      local status, body = sb:request("POST", "/_sandbox/config", { consent_user = bad, token_ttl = 5 })
      assert.are.equal(400, status)
      assert.truthy(body.error:find("consent_user", 1, true))
      status = sb:request("POST", "/_sandbox/authorize", { user = bad })
      assert.are.equal(400, status)
    end
    local cfg = sb:config {}
    assert.are.equal(acc[2].users[1].id, cfg.consent_user)
    assert.are_not.equal(5, cfg.token_ttl)
  end)

  it("revoke forgets every token: access answers 401 and refresh 400 invalid_request", function()
    local a1, r1 = token_as(acc[1].users[1].id)
    local a2, r2 = token_as(acc[2].users[1].id)
    local cc = client_token(sb)
    local n = sb:revoke()
    assert.is_true(n.access_tokens >= 3)
    assert.is_true(n.refresh_tokens >= 2)
    for _, tok in ipairs { a1, a2, cc } do assert.are.equal(401, (get(sb, tok, "/v2/mailboxes"))) end
    for _, rt in ipairs { r1, r2 } do
      local res = refresh(rt)
      assert.are.equal(400, res.status)
      assert.are.equal("invalid_request", res.json.error)
    end
    -- a new consent works again
    assert.are.equal(200, (get(sb, (token_as(acc[1].users[1].id)), "/v2/mailboxes")))
  end)

  it("revoke of one user leaves the other users' tokens working", function()
    local a1, r1 = token_as(acc[1].users[1].id)
    local a2, r2 = token_as(acc[2].users[1].id)
    sb:revoke(acc[2].users[1].email)
    assert.are.equal(401, (get(sb, a2, "/v2/mailboxes")))
    assert.are.equal(400, refresh(r2).status)
    assert.are.equal(200, (get(sb, a1, "/v2/mailboxes")))
    assert.are.equal(200, refresh(r1).status)
  end)
end)

describe("sandbox accounts: account 1", function()
  it("is the same data as a one-account sandbox of the same seed", function()
    local now = { "--now", "2024-05-10T12:00:00Z" }
    local one = sandbox.start { seed = 7, conversations = 30, args = now }
    local two = sandbox.start { seed = 7, conversations = 30, accounts = 3, consent_user = "lea@kestrel3.example",
      args = now }
    local ok, err = pcall(function()
      local function strip(s, sb) return (s:gsub("127%.0%.0%.1:" .. sb.port, "HOST")) end
      local t1, t2 = client_token(one), client_token(two)
      for _, path in ipairs { "/v2/mailboxes", "/v2/users", "/v2/customers", "/v2/users/me",
        "/v2/conversations?status=all&embed=threads", "/v2/conversations?status=all&page=2" } do
        local a = request(one, "GET", path, { token = t1 })
        local b = request(two, "GET", path, { token = t2 })
        assert.are.equal(200, a.status)
        assert.are.same(cjson.decode(strip(a.body, one)), cjson.decode(strip(b.body, two)))
      end
      -- and the consent user given at start is account 3's
      local code = two:authorize().code
      local res = token_request(two, { grant_type = "authorization_code", code = code, client_id = two.client_id,
        client_secret = two.client_secret })
      local body = request(two, "GET", "/v2/users/me", { token = res.json.access_token }).json
      assert.are.equal("lea@kestrel3.example", body.email)
      assert.are.equal(3, #two:accounts())
    end)
    one:stop(); two:stop()
    assert(ok, err)
  end)

  it("refuses a bad number of accounts or an unknown consent user at start", function()
    local sbx = require "helpscout.sandbox"
    for _, opts in ipairs { { accounts = 0 }, { accounts = 21 }, { accounts = 1.5 }, { accounts = "2" },
      { consent_user = "nobody@example.org", conversations = 5 }, { consent_user = 8701, conversations = 5 } } do
      local ok, err = pcall(sbx.new, opts)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("bad argument #1 to 'new'", 1, true), tostring(err))
    end
    local ok = pcall(sbx.new, { accounts = 2, consent_user = 8701, conversations = 5 })
    assert.is_true(ok)
  end)
end)
