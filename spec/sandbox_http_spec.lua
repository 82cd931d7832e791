-- The sandbox over real HTTP (LuaSocket as the client, never our C client): OAuth grants and
-- rotation, 401s, every endpoint's happy path and errors, paging and links, filters, the query
-- subset, writes that persist, rate limiting, keep-alive with concurrent connections.
local socket = require "socket"
local cjson = require "cjson.safe"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, token_request, client_token = rawhttp.request, rawhttp.token_request, rawhttp.client_token

local function I(n) return string.format("%d", n) end

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

describe("sandbox over HTTP", function()
  local sb, tok

  setup(function()
    sb = sandbox.start { seed = 42 }
    tok = client_token(sb)
  end)

  teardown(function() if sb then sb:stop() end end)

  local function get(path, opts)
    opts = opts or {}
    opts.token = opts.token or tok
    return request(sb, "GET", path, opts)
  end

  describe("OAuth token endpoint", function()
    it("issues client-credentials tokens from form and JSON bodies, without a refresh token", function()
      local res = token_request(sb, { grant_type = "client_credentials", client_id = sb.client_id,
        client_secret = sb.client_secret })
      assert.equal(200, res.status)
      assert.equal("bearer", res.json.token_type)
      assert.equal(172800, res.json.expires_in)
      assert.is_string(res.json.access_token)
      assert.is_nil(res.json.refresh_token)
      local res2 = token_request(sb, { grant_type = "client_credentials", client_id = sb.client_id,
        client_secret = sb.client_secret }, true)
      assert.equal(200, res2.status)
      assert.are_not.equal(res.json.access_token, res2.json.access_token)
      assert.equal(200, get("/v2/mailboxes", { token = res2.json.access_token }).status)
    end)

    it("rejects bad client credentials with 401 invalid_client and unknown grants with 400", function()
      local res = token_request(sb, { grant_type = "client_credentials", client_id = sb.client_id,
        client_secret = "wrong" })
      assert.equal(401, res.status)
      assert.equal("invalid_client", res.json.error)
      res = token_request(sb, { grant_type = "password", client_id = sb.client_id, client_secret = sb.client_secret })
      assert.equal(400, res.status)
      assert.equal("unsupported_grant_type", res.json.error)
      res = token_request(sb, { client_id = sb.client_id, client_secret = sb.client_secret })
      assert.equal(400, res.status)
      assert.equal("invalid_request", res.json.error)
    end)

    it("exchanges a single-use authorization code and rotates single-use refresh tokens", function()
      local auth = sb:authorize(nil, "xyz-state")
      assert.equal("xyz-state", auth.state)
      local fields = { grant_type = "authorization_code", code = auth.code, client_id = sb.client_id,
        client_secret = sb.client_secret }
      local res = token_request(sb, fields)
      assert.equal(200, res.status)
      local rt1 = res.json.refresh_token
      assert.is_string(rt1)
      local again = token_request(sb, fields)
      assert.equal(400, again.status)
      assert.equal("invalid_grant", again.json.error)

      local r2 = token_request(sb, { grant_type = "refresh_token", refresh_token = rt1, client_id = sb.client_id,
        client_secret = sb.client_secret }, true)
      assert.equal(200, r2.status)
      local rt2 = r2.json.refresh_token
      assert.is_string(rt2)
      assert.are_not.equal(rt1, rt2)
      assert.equal(200, get("/v2/users/me", { token = r2.json.access_token }).status)
      -- the used refresh token is dead
      local reuse = token_request(sb, { grant_type = "refresh_token", refresh_token = rt1, client_id = sb.client_id,
        client_secret = sb.client_secret })
      assert.equal(400, reuse.status)
      assert.same({ error = "invalid_request", error_description = "Invalid refresh_token" }, reuse.json)
      -- the new one works once
      local r3 = token_request(sb, { grant_type = "refresh_token", refresh_token = rt2, client_id = sb.client_id,
        client_secret = sb.client_secret })
      assert.equal(200, r3.status)
    end)
  end)

  describe("bearer authentication", function()
    it("answers 401 vnd.error for missing, unknown and expired tokens", function()
      local res = request(sb, "GET", "/v2/mailboxes")
      assert.equal(401, res.status)
      assert.matches("application/vnd.error+json", res.headers["content-type"], 1, true)
      assert.is_string(res.json.message)
      res = get("/v2/mailboxes", { token = "not-a-token" })
      assert.equal(401, res.status)

      sb:config { token_ttl = 1 }
      local short = client_token(sb)
      assert.equal(200, get("/v2/mailboxes", { token = short }).status)
      socket.sleep(1.2)
      res = get("/v2/mailboxes", { token = short })
      assert.equal(401, res.status)
      assert.matches("expired", res.json._embedded.errors[1].message)
      sb:config { token_ttl = 172800 }
    end)

    it("expires every issued access token on request", function()
      local t = client_token(sb)
      assert.equal(200, get("/v2/mailboxes", { token = t }).status)
      sb:expire_tokens()
      assert.equal(401, get("/v2/mailboxes", { token = t }).status)
      tok = client_token(sb)
    end)
  end)

  describe("mailboxes, users, customers", function()
    it("lists mailboxes as a HAL page with absolute links", function()
      local res = get("/v2/mailboxes")
      assert.equal(200, res.status)
      assert.matches("application/hal+json", res.headers["content-type"], 1, true)
      local mbs = res.json._embedded.mailboxes
      assert.is_true(#mbs >= 3)
      assert.same({ size = 50, totalElements = #mbs, totalPages = 1, number = 1 }, res.json.page)
      assert.equal(sb.url .. "/v2/mailboxes/" .. I(mbs[1].id), mbs[1]._links.self.href)
      assert.is_true(res.json._links.page.templated)
      assert.is_nil(res.json._links.next)
      assert.equal(200, get("/v2/mailboxes/" .. I(mbs[1].id)).status)
      assert.equal(404, get("/v2/mailboxes/1").status)
    end)

    it("lists users, filters by email and mailbox, and answers /users/me", function()
      local res = get("/v2/users")
      local users = res.json._embedded.users
      assert.is_true(#users >= 5)
      local one = get("/v2/users?email=" .. enc(users[2].email)).json._embedded.users
      assert.equal(1, #one)
      assert.equal(users[2].id, one[1].id)
      local me = get("/v2/users/me").json
      assert.equal(users[1].id, me.id)
      local mb = get("/v2/users?mailbox=6142").json._embedded.users
      assert.is_true(#mb >= 1 and #mb < #users)
    end)

    it("pages customers 50 at a time and searches them with query", function()
      local res = get("/v2/customers")
      assert.equal(50, #res.json._embedded.customers)
      assert.is_true(res.json.page.totalElements >= 200)
      assert.matches("page=2$", res.json._links.next.href)
      local c1 = res.json._embedded.customers[1]
      local c2 = res.json._embedded.customers[2]
      assert.is_table(c1._embedded.emails)
      assert.matches('"chats":%[%]', res.body)
      local e1, e2 = c1._embedded.emails[1].value, c2._embedded.emails[1].value
      local found = get("/v2/customers?query=" .. enc('(email:"' .. e1 .. '")')).json._embedded.customers
      assert.equal(1, #found)
      assert.equal(c1.id, found[1].id)
      local both = get("/v2/customers?query=" .. enc('(email:("' .. e1 .. '" OR "' .. e2 .. '"))')).json
      assert.equal(2, both.page.totalElements)
      local byname = get("/v2/customers?firstName=" .. enc(c1.firstName)).json._embedded.customers
      for _, c in ipairs(byname) do assert.equal(c1.firstName, c.firstName) end
      assert.equal(400, get("/v2/customers?query=" .. enc("(email:")).status)
      assert.equal(400, get("/v2/customers?sortField=bogus").status)
    end)
  end)

  describe("list conversations", function()
    it("defaults to active conversations, 25 a page, with ids above 2^31 written as integers", function()
      local res = get("/v2/conversations")
      assert.equal(200, res.status)
      local convs = res.json._embedded.conversations
      assert.equal(25, #convs)
      assert.equal(25, res.json.page.size)
      for _, c in ipairs(convs) do
        assert.equal("active", c.status)
        assert.is_true(c.id > 2 ^ 31)
        assert.is_number(c.threads)
        assert.is_table(c.tags)
        assert.truthy(res.body:find('"id":' .. string.format("%d", c.id), 1, true))
      end
      -- newest first by default
      assert.is_true(convs[1].createdAt >= convs[2].createdAt)
      assert.matches('"cc":%[%]', res.body)
    end)

    it("has at least 500 conversations over every status with status=all, and pages through them", function()
      local first = get("/v2/conversations?status=all&mailbox=4821,5307,6142").json
      assert.is_true(first.page.totalElements >= 500)
      local pages = first.page.totalPages
      assert.equal(math.ceil(first.page.totalElements / 25), pages)
      assert.is_nil(first._links.previous)
      local next_href = first._links.next.href
      assert.matches("^" .. sb.url:gsub("%p", "%%%0") .. "/v2/conversations%?", next_href)
      assert.matches("status=all", next_href)
      assert.matches("mailbox=4821%%2C5307%%2C6142", next_href)
      local path = next_href:sub(#sb.url + 1)
      local second = get(path).json
      assert.equal(2, second.page.number)
      assert.truthy(second._links.previous)
      local seen = {}
      for _, c in ipairs(first._embedded.conversations) do seen[c.id] = true end
      for _, c in ipairs(second._embedded.conversations) do assert.is_nil(seen[c.id]) end
      local last = get(first._links.last.href:sub(#sb.url + 1)).json
      assert.is_nil(last._links.next)
      assert.equal(pages, last.page.number)
      local beyond = get("/v2/conversations?status=all&page=" .. I(pages + 1)).json
      assert.is_nil(beyond._embedded)
      local statuses = {}
      for p = 1, pages do
        for _, c in ipairs(get("/v2/conversations?status=all&page=" .. p).json._embedded.conversations) do
          statuses[c.status] = true
        end
      end
      assert.is_true(statuses.active and statuses.pending and statuses.closed and statuses.spam)
    end)

    it("omits _embedded when nothing matches", function()
      local res = get("/v2/conversations?status=all&tag=no-such-tag-here")
      assert.equal(200, res.status)
      assert.is_nil(res.json._embedded)
      assert.equal(0, res.json.page.totalElements)
    end)

    it("filters by mailbox, status, tag, assigned_to, number and modifiedSince", function()
      local all = get("/v2/conversations?status=all&mailbox=6142").json
      for _, c in ipairs(all._embedded.conversations) do assert.equal(6142, c.mailboxId) end
      local closed = get("/v2/conversations?status=closed").json
      for _, c in ipairs(closed._embedded.conversations) do assert.equal("closed", c.status) end
      local open = get("/v2/conversations?status=open").json
      for _, c in ipairs(open._embedded.conversations) do
        assert.is_true(c.status == "active" or c.status == "pending")
      end
      local vip = get("/v2/conversations?status=all&tag=vip").json
      assert.is_true(vip.page.totalElements > 0)
      for _, c in ipairs(vip._embedded.conversations) do
        local has = false
        for _, t in ipairs(c.tags) do if t.tag == "vip" then has = true end end
        assert.is_true(has)
      end
      local mine = get("/v2/conversations?status=all&assigned_to=7701").json
      assert.is_true(mine.page.totalElements > 0)
      for _, c in ipairs(mine._embedded.conversations) do assert.equal(7701, c.assignee.id) end
      local target = all._embedded.conversations[3]
      local bynum = get("/v2/conversations?status=all&number=" .. I(target.number)).json
      assert.equal(1, bynum.page.totalElements)
      assert.equal(target.id, bynum._embedded.conversations[1].id)
      local since = target.userUpdatedAt
      local recent = get("/v2/conversations?status=all&modifiedSince=" .. since .. "&sortField=modifiedAt").json
      assert.is_true(recent.page.totalElements >= 1)
      for _, c in ipairs(recent._embedded.conversations) do assert.is_true(c.userUpdatedAt >= since) end
    end)

    it("sorts by sortField/sortOrder", function()
      local res = get("/v2/conversations?status=all&sortField=number&sortOrder=asc").json._embedded.conversations
      for i = 2, #res do assert.is_true(res[i - 1].number < res[i].number) end
      local subj = get("/v2/conversations?status=all&sortField=subject&sortOrder=desc").json._embedded.conversations
      for i = 2, #subj do assert.is_true(subj[i - 1].subject:lower() >= subj[i].subject:lower()) end
    end)

    it("rejects bad parameters with 400 vnd.error naming the parameter", function()
      for _, q in ipairs { "status=uknown", "sortField=color", "sortOrder=up", "embed=everything",
        "modifiedSince=2024-05-01", "modifiedSince=2024-05-01T00:00:00.000Z", "modifiedSince=2023-02-29T00:00:00Z",
        "modifiedSince=2024-04-31T10:00:00Z", "page=0", "mailbox=abc",
        "query=" .. enc("(subject:\"unclosed") } do
        local res = get("/v2/conversations?" .. q)
        assert.equal(400, res.status, q)
        assert.matches("application/vnd.error+json", res.headers["content-type"], 1, true)
        local name = q:match("^([^=]+)")
        assert.equal(name, res.json._embedded.errors[1].path, q)
      end
    end)

    it("embeds threads on request", function()
      local res = get("/v2/conversations?status=all&embed=threads").json
      for _, c in ipairs(res._embedded.conversations) do
        assert.equal(c.threads, #c._embedded.threads)
      end
      local plain = get("/v2/conversations?status=all").json
      assert.is_nil(plain._embedded.conversations[1]._embedded)
    end)

    it("supports the query subset: email, tag OR, subject, customerIds, assigned Unassigned", function()
      local sample = get("/v2/conversations?status=all&page=2").json._embedded.conversations[1]
      local email = sample.primaryCustomer.email
      local byemail = get("/v2/conversations?status=all&query=" .. enc('(email:"' .. email .. '")')).json
      assert.is_true(byemail.page.totalElements >= 1)
      for _, c in ipairs(byemail._embedded.conversations) do
        assert.equal(sample.primaryCustomer.id, c.primaryCustomer.id)
      end
      local bycust = get("/v2/conversations?status=all&query="
        .. enc("(customerIds:" .. I(sample.primaryCustomer.id) .. ")")).json
      assert.equal(byemail.page.totalElements, bycust.page.totalElements)
      local word = sample.subject:match("(%a%a%a%a%a+)")
      if word then
        local bysubj = get("/v2/conversations?status=all&query=" .. enc('(subject:"' .. word .. '")')).json
        assert.is_true(bysubj.page.totalElements >= 1)
        for _, c in ipairs(bysubj._embedded.conversations) do
          assert.truthy(c.subject:lower():find(word:lower(), 1, true))
        end
      end
      local tags = get("/v2/conversations?status=all&query=" .. enc('(tag:"vip" OR tag:"urgent")')).json
      local vip = get("/v2/conversations?status=all&tag=vip").json.page.totalElements
      local urgent = get("/v2/conversations?status=all&tag=urgent").json.page.totalElements
      assert.is_true(tags.page.totalElements >= math.max(vip, urgent))
      assert.is_true(tags.page.totalElements <= vip + urgent)
      local un = get("/v2/conversations?status=all&query=" .. enc('(assigned:"Unassigned")')).json
      assert.is_true(un.page.totalElements > 0)
      for _, c in ipairs(un._embedded.conversations) do assert.is_nil(c.assignee) end
      local combo = get("/v2/conversations?status=all&query=" ..
        enc('(assigned:"Unassigned" AND NOT tag:"vip")')).json
      assert.is_true(combo.page.totalElements <= un.page.totalElements)
      assert.equal(400, get("/v2/conversations?query=" .. enc("(color:\"red\")")).status)
    end)
  end)

  describe("single conversation and threads", function()
    it("gets a conversation with threads, lists threads newest first, 404s unknown ids", function()
      local c = get("/v2/conversations?status=all&sortField=number&sortOrder=asc").json._embedded.conversations[5]
      local res = get("/v2/conversations/" .. I(c.id) .. "?embed=threads")
      assert.equal(200, res.status)
      assert.equal(c.id, res.json.id)
      assert.equal(c.threads, #res.json._embedded.threads)
      local th = get("/v2/conversations/" .. I(c.id) .. "/threads").json
      assert.equal(25, th.page.size)
      local list = th._embedded.threads
      for i = 2, #list do assert.is_true(list[i - 1].createdAt >= list[i].createdAt) end
      assert.equal(404, get("/v2/conversations/2999999999").status)
      assert.equal(404, get("/v2/conversations/2999999999/threads").status)
      assert.equal(400, get("/v2/conversations/abc").status)
      assert.equal(405, request(sb, "DELETE", "/v2/conversations/" .. I(c.id), { token = tok }).status)
    end)
  end)

  describe("writes", function()
    local conv

    before_each(function()
      conv = get("/v2/conversations?status=active").json._embedded.conversations[1]
    end)

    it("adds a note: 201, empty body, Resource-ID and Location; the note reads back", function()
      local res = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/notes",
        { token = tok, body = { text = "Checked with finance — ok ✅", user = 7702 } })
      assert.equal(201, res.status)
      assert.equal("", res.body)
      local id = tonumber(res.headers["resource-id"])
      assert.is_number(id)
      assert.equal(sb.url .. "/v2/conversations/" .. I(conv.id) .. "/threads/" .. id, res.headers["location"])
      local after = get("/v2/conversations/" .. I(conv.id) .. "?embed=threads").json
      assert.equal(conv.threads + 1, after.threads)
      local newest = after._embedded.threads[1]
      assert.equal(id, newest.id)
      assert.equal("note", newest.type)
      assert.equal("Checked with finance — ok ✅", newest.body)
      assert.equal(7702, newest.createdBy.id)
      assert.is_true(after.userUpdatedAt >= conv.userUpdatedAt)
      local bad = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/notes",
        { token = tok, body = { user = 7701 } })
      assert.equal(400, bad.status)
      assert.equal("text", bad.json._embedded.errors[1].path)
    end)

    it("validates replies like Help Scout and stores them as message threads", function()
      local bad = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/reply",
        { token = tok, body = { text = "hi", status = "bogus", cc = { 1 } } })
      assert.equal(400, bad.status)
      local paths = {}
      for _, e in ipairs(bad.json._embedded.errors) do paths[e.path] = true end
      assert.is_true(paths.customer)
      assert.is_true(paths.status)
      assert.is_true(paths.cc)
      local nocust = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/reply",
        { token = tok, body = { customer = { id = conv.primaryCustomer.id } } })
      assert.equal(400, nocust.status)
      assert.equal("text", nocust.json._embedded.errors[1].path)
      local badjson = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/reply",
        { token = tok, body = "{not json", headers = { ["Content-Type"] = "application/json" } })
      assert.equal(400, badjson.status)

      local res = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/reply", { token = tok,
        body = { customer = { id = conv.primaryCustomer.id }, text = "<p>Draft answer</p>", draft = true } })
      assert.equal(201, res.status)
      local tid = tonumber(res.headers["resource-id"])
      local threads = get("/v2/conversations/" .. I(conv.id) .. "/threads").json._embedded.threads
      assert.equal(tid, threads[1].id)
      assert.equal("message", threads[1].type)
      assert.equal("draft", threads[1].state)

      res = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/reply", { token = tok,
        body = { customer = { id = conv.primaryCustomer.id }, text = "<p>Sorted, closing.</p>", status = "closed",
          cc = { "boss@example.com" } } })
      assert.equal(201, res.status)
      local after = get("/v2/conversations/" .. I(conv.id)).json
      assert.equal("closed", after.status)
      assert.equal("Sorted, closing.", after.preview)
      assert.equal(404, request(sb, "POST", "/v2/conversations/2999999999/reply", { token = tok,
        body = { customer = { id = conv.primaryCustomer.id }, text = "x" } }).status)
    end)

    it("replaces tags with PUT (204) and clears them with []", function()
      local res = request(sb, "PUT", "/v2/conversations/" .. I(conv.id) .. "/tags",
        { token = tok, body = { tags = { "refund", "vip", "Brand-New-Tag" } } })
      assert.equal(204, res.status)
      assert.equal("", res.body)
      local after = get("/v2/conversations/" .. I(conv.id)).json
      local names = {}
      for _, t in ipairs(after.tags) do names[#names + 1] = t.tag; assert.is_number(t.id); assert.is_string(t.color) end
      table.sort(names)
      assert.same({ "Brand-New-Tag", "refund", "vip" }, names)
      res = request(sb, "PUT", "/v2/conversations/" .. I(conv.id) .. "/tags",
        { token = tok, body = '{"tags":[]}', headers = { ["Content-Type"] = "application/json" } })
      assert.equal(204, res.status)
      local raw = get("/v2/conversations/" .. I(conv.id)).body
      assert.truthy(raw:find('"tags":[]', 1, true))
      local bad = request(sb, "PUT", "/v2/conversations/" .. I(conv.id) .. "/tags",
        { token = tok, body = { labels = { "x" } } })
      assert.equal(400, bad.status)
      assert.equal("tags", bad.json._embedded.errors[1].path)
    end)

    it("creates conversations (201, Resource-ID, absolute Location) and new customers by email", function()
      local body = {
        subject = "Printer arrived without labels", mailboxId = 6142, type = "email", status = "active",
        customer = { email = "new.person+test@example.org", firstName = "Zoë", lastName = "Søndergaard" },
        tags = { "shipping" },
        threads = { { type = "customer", customer = { email = "new.person+test@example.org" },
          text = "<p>Hej! The box had no labels in it.</p>" } },
      }
      local res = request(sb, "POST", "/v2/conversations", { token = tok, body = body })
      assert.equal(201, res.status)
      assert.equal("", res.body)
      local id = tonumber(res.headers["resource-id"])
      assert.is_true(id > 2 ^ 31)
      assert.equal(sb.url .. "/v2/conversations/" .. res.headers["resource-id"], res.headers["location"])
      local c = get("/v2/conversations/" .. res.headers["resource-id"] .. "?embed=threads").json
      assert.equal("Printer arrived without labels", c.subject)
      assert.equal("active", c.status)
      assert.equal(1, c.threads)
      assert.equal("customer", c._embedded.threads[1].type)
      assert.equal("Zoë", c.primaryCustomer.first)
      assert.equal("shipping", c.tags[1].tag)
      local found = get("/v2/customers?query=" .. enc('(email:"new.person+test@example.org")')).json
      assert.equal(1, found.page.totalElements)
      local listed = get("/v2/conversations?query=" .. enc('(email:"new.person+test@example.org")')).json
      assert.equal(id, listed._embedded.conversations[1].id)

      local bad = request(sb, "POST", "/v2/conversations", { token = tok,
        body = { mailboxId = 6142, type = "sms", status = "spam", customer = { firstName = "x" }, threads = {} } })
      assert.equal(400, bad.status)
      local paths = {}
      for _, e in ipairs(bad.json._embedded.errors) do paths[e.path] = e end
      assert.truthy(paths.subject)
      assert.truthy(paths.type)
      assert.equal("sms", paths.type.rejectedValue)
      assert.truthy(paths.status)
      assert.truthy(paths.threads)
      assert.truthy(paths["customer.email"])
    end)
  end)

  describe("rate limiting", function()
    after_each(function() sb:config { rate_limit = 0, rate_window = 60 } end)

    it("counts GETs as 1 and writes as 2, then answers 429 with Retry-After", function()
      sb:config { rate_limit = 5, rate_window = 2 }
      local r1 = get("/v2/users")
      assert.equal("5", r1.headers["x-ratelimit-limit-minute"])
      assert.equal("4", r1.headers["x-ratelimit-remaining-minute"])
      local conv = get("/v2/conversations").json._embedded.conversations[1]
      local w = request(sb, "PUT", "/v2/conversations/" .. I(conv.id) .. "/tags",
        { token = tok, body = { tags = { "x" } } })
      assert.equal(204, w.status)
      assert.equal("1", w.headers["x-ratelimit-remaining-minute"])
      local last = get("/v2/users")
      assert.equal("0", last.headers["x-ratelimit-remaining-minute"])
      local limited = get("/v2/users")
      assert.equal(429, limited.status)
      assert.equal("API rate limit exceeded", limited.json.message)
      local wait = tonumber(limited.headers["x-ratelimit-retry-after"])
      assert.is_true(wait >= 1 and wait <= 2)
      -- the token endpoint is not limited
      assert.equal(200, token_request(sb, { grant_type = "client_credentials", client_id = sb.client_id,
        client_secret = sb.client_secret }).status)
      socket.sleep(wait + 0.1)
      assert.equal(200, get("/v2/users").status)
    end)

    it("sends no rate headers when the limit is off", function()
      local res = get("/v2/users")
      assert.is_nil(res.headers["x-ratelimit-limit-minute"])
    end)
  end)

  describe("connections", function()
    it("keeps a connection alive across many requests", function()
      local c = assert(socket.connect("127.0.0.1", sb.port))
      c:settimeout(5)
      for _ = 1, 30 do
        local res = get("/v2/mailboxes", { conn = c })
        assert.equal(200, res.status)
        assert.is_nil(res.headers.connection)
      end
      c:close()
    end)

    it("serves several concurrent keep-alive connections", function()
      local conns = {}
      for i = 1, 8 do conns[i] = assert(socket.connect("127.0.0.1", sb.port)); conns[i]:settimeout(5) end
      local req = "GET /v2/conversations?status=all&page=%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        .. tok .. "\r\n\r\n"
      for round = 1, 3 do
        for i, c in ipairs(conns) do c:send(req:format(i + round)) end
        for i, c in ipairs(conns) do
          local line = c:receive("*l")
          assert.equal("HTTP/1.1 200 OK", line)
          local len
          repeat
            local h = c:receive("*l")
            len = len or tonumber(h:match("^Content%-Length: (%d+)"))
          until h == ""
          local body = cjson.decode((c:receive(len)))
          assert.equal(i + round, body.page.number)
        end
      end
      for _, c in ipairs(conns) do c:close() end
    end)

    it("closes after HTTP/1.0 requests and Connection: close", function()
      local c = assert(socket.connect("127.0.0.1", sb.port))
      c:settimeout(5)
      local res = get("/v2/mailboxes", { conn = c, version = "HTTP/1.0" })
      assert.equal(200, res.status)
      assert.equal("close", res.headers.connection)
      local _, err = c:receive(1)
      assert.equal("closed", err)
      c:close()
      res = get("/v2/mailboxes")
      assert.equal("close", res.headers.connection)
    end)

    it("refuses chunked request bodies with 411", function()
      local res = request(sb, "POST", "/v2/conversations", { token = tok,
        headers = { ["Transfer-Encoding"] = "chunked" },
        body = nil })
      assert.equal(411, res.status)
    end)

    it("answers Expect: 100-continue", function()
      local conv = get("/v2/conversations").json._embedded.conversations[1]
      local c = assert(socket.connect("127.0.0.1", sb.port))
      c:settimeout(5)
      local body = cjson.encode { text = string.rep("long note ", 200) }
      c:send("POST /v2/conversations/" .. string.format("%d", conv.id) .. "/notes HTTP/1.1\r\nHost: x\r\n" ..
        "Authorization: Bearer " .. tok .. "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" ..
        "Content-Length: " .. #body .. "\r\n\r\n")
      assert.equal("HTTP/1.1 100 Continue", c:receive("*l"))
      assert.equal("", c:receive("*l"))
      c:send(body)
      assert.equal("HTTP/1.1 201 Created", c:receive("*l"))
      c:close()
    end)
  end)

  describe("seeded data", function()
    it("records a true topic for every seeded conversation, over the ten topics", function()
      local truth = sb:truth()
      local n, topics = 0, {}
      for id, topic in pairs(truth) do
        n = n + 1
        topics[topic] = (topics[topic] or 0) + 1
        assert.matches("^%d+$", id)
      end
      assert.is_true(n >= 500)
      for _, t in ipairs { "billing", "refunds", "login", "bugs", "shipping", "feature_requests", "cancellations",
        "onboarding", "integrations", "data_privacy" } do
        assert.is_true((topics[t] or 0) >= 15, t)
      end
    end)

    it("is deterministic per seed and restored by reset", function()
      local other = sandbox.start { seed = 42 }
      local different = sandbox.start { seed = 7 }
      local ok, err = pcall(function()
        local t1 = client_token(other)
        local t2 = client_token(different)
        local a = request(other, "GET", "/v2/conversations?status=all&sortField=number&sortOrder=asc&page=3",
          { token = t1 }).json
        local b = request(different, "GET", "/v2/conversations?status=all&sortField=number&sortOrder=asc&page=3",
          { token = t2 }).json
        local mine = get("/v2/conversations?status=all&sortField=number&sortOrder=asc&page=3").json
        assert.equal(mine._embedded.conversations[1].id, a._embedded.conversations[1].id)
        assert.equal(mine._embedded.conversations[1].subject, a._embedded.conversations[1].subject)
        assert.are_not.equal(a._embedded.conversations[1].subject .. a._embedded.conversations[1].id,
          b._embedded.conversations[1].subject .. b._embedded.conversations[1].id)
        -- a write, then reset: back to the seeded state, tokens cleared
        local conv = a._embedded.conversations[2]
        assert.equal(204, request(other, "PUT", "/v2/conversations/" .. string.format("%d", conv.id) .. "/tags",
          { token = t1, body = { tags = { "after-reset-gone" } } }).status)
        other:reset()
        assert.equal(401, request(other, "GET", "/v2/mailboxes", { token = t1 }).status)
        local t3 = client_token(other)
        local again = request(other, "GET", "/v2/conversations/" .. string.format("%d", conv.id), { token = t3 }).json
        for _, t in ipairs(again.tags) do assert.are_not.equal("after-reset-gone", t.tag) end
      end)
      other:stop()
      different:stop()
      assert(ok, err)
    end)

    it("has threads in time order: none before its conversation, after a later thread, or in the future", function()
      local now = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 5)
      local checked, page, pages = 0, 1, 1
      while page <= pages do
        local res = get("/v2/conversations?status=all&embed=threads&page=" .. page).json
        pages = res.page.totalPages
        for _, c in ipairs(res._embedded.conversations) do
          local ths = {}
          for _, t in ipairs(c._embedded.threads) do ths[#ths + 1] = t end
          table.sort(ths, function(a, b) return a.id < b.id end) -- ids follow creation order
          local prev = c.createdAt
          for _, t in ipairs(ths) do
            assert.is_true(t.createdAt >= prev, ("conversation %d: thread %d at %s before %s"):format(
              c.id, t.id, t.createdAt, prev))
            assert.is_true(t.createdAt <= now, t.createdAt)
            prev = t.createdAt
            checked = checked + 1
          end
        end
        page = page + 1
      end
      assert.is_true(checked > 1000)
    end)

    it("has HTML bodies with quoted history and non-ASCII text", function()
      local quoted, nonascii, html = 0, 0, 0
      for p = 1, 4 do
        local res = get("/v2/conversations?status=all&embed=threads&page=" .. p).json
        for _, c in ipairs(res._embedded.conversations) do
          for _, t in ipairs(c._embedded.threads) do
            local b = t.body or ""
            if b:find("<blockquote>", 1, true) or b:find("&gt; ", 1, true) then quoted = quoted + 1 end
            if b:find("[\128-\255]") then nonascii = nonascii + 1 end
            if b:find("<p>", 1, true) or b:find("<br>", 1, true) then html = html + 1 end
          end
        end
      end
      assert.is_true(quoted > 5)
      assert.is_true(nonascii > 5)
      assert.is_true(html > 50)
    end)
  end)
end)
