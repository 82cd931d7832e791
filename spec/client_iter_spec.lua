-- Iterators across pages: each, pages, fetch_all; next links, dedupe, errors mid-walk.
local H = require "client_helper"

describe("client iterators", function()
  local sb, hs

  setup(function() sb = H.start{ seed = 61 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb, { retries = 0 })
  end)
  after_each(function() hs:close() end)

  local all = { status = "all" }

  it("each walks every page by the next link", function()
    local _, page = assert(hs:list_conversations(all))
    assert.is_true(page.totalPages >= 3, "the sandbox should have several pages")
    sb:clear_log()
    local ids, seen = {}, {}
    for c in hs:each("list_conversations", all) do
      assert.is_nil(seen[c.id])
      seen[c.id] = true
      ids[#ids + 1] = c.id
    end
    assert.equal(page.totalElements, #ids)
    local reqs = sb:log{ method = "GET", path = "/v2/conversations" }
    assert.equal(page.totalPages, #reqs)
    for i, r in ipairs(reqs) do
      local q = H.query(r)
      assert.equal("all", q.status)
      if i > 1 then assert.equal(tostring(i), q.page) end
    end
  end)

  it("pages yields items and page objects in order", function()
    local n, total = 0, 0
    for items, page in hs:pages("list_conversations", all) do
      n = n + 1
      assert.equal(n, page.number)
      total = total + #items
    end
    local _, first = hs:list_conversations(all)
    assert.equal(first.totalPages, n)
    assert.equal(first.totalElements, total)
  end)

  it("works for a single page and for an empty result", function()
    local count = 0
    for _ in hs:each("list_mailboxes") do count = count + 1 end
    assert.equal(#hs:list_mailboxes(), count)
    for _ in hs:each("list_conversations", { status = "all", query = '(subject:"zzqq-none")' }) do
      error("no items expected")
    end
  end)

  it("skips ids already yielded when data shifts between pages", function()
    local mb = hs:list_mailboxes()[1].id
    local ids, dup, created = {}, {}, false
    for c in hs:each("list_conversations", { status = "all", sortField = "createdAt", sortOrder = "desc" }) do
      if dup[c.id] then error("duplicate id " .. c.id) end
      dup[c.id] = true
      ids[#ids + 1] = c.id
      if not created then
        created = true -- a newer conversation pushes every item one position down
        assert(hs:create_conversation{ mailboxId = mb, subject = "shift", type = "email",
          status = "active", customer = { email = "shift@customer.test" },
          threads = { { type = "customer", customer = { email = "shift@customer.test" }, text = "x" } } })
      end
    end
    local _, page = hs:list_conversations(all)
    assert.equal(page.totalElements - 1, #ids)
  end)

  it("raises the error table when a page fails mid-walk", function()
    local got = 0
    local ok, err = pcall(function()
      for _ in hs:each("list_conversations", all) do
        got = got + 1
        if got == 1 then
          sb:fault{ method = "GET", path = "/v2/conversations", count = 5, action = "status", status = 500 }
        end
      end
    end)
    assert.is_false(ok)
    assert.is_table(err)
    assert.equal("server", err.kind)
    assert.equal(500, err.status)
    assert.equal(25, got)
    assert.truthy(tostring(err):find("page=2", 1, true))
  end)

  it("refuses a next link to another host and raises a protocol error", function()
    local body = '{"_embedded":{"conversations":[{"id":1},{"id":2}]},' ..
      '"page":{"size":2,"totalElements":4,"totalPages":2,"number":1},' ..
      '"_links":{"next":{"href":"http://attacker.invalid/v2/conversations?page=2"}}}'
    sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "application/hal+json" }, body = body }
    local got = {}
    local ok, err = pcall(function()
      for c in hs:each("list_conversations", all) do got[#got + 1] = c.id end
    end)
    assert.is_false(ok)
    assert.equal("protocol", err.kind)
    assert.truthy(err.message:find("attacker.invalid", 1, true))
    assert.same({}, got) -- the page with the bad link is refused before its items are yielded
    assert.equal(1, H.count(sb, "GET", "/v2/conversations"))
  end)

  it("follows a relative next link on the API host", function()
    local body = '{"_embedded":{"conversations":[{"id":1}]},"page":{"number":1},' ..
      '"_links":{"next":{"href":"/v2/conversations?status=all&page=2"}}}'
    sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "application/hal+json" }, body = body }
    local n, pages = 0, 0
    for items, page in hs:pages("list_conversations", all) do
      pages = pages + 1
      n = n + #items
      if pages == 2 then assert.equal(2, page.number) end
    end
    local _, first = hs:list_conversations(all)
    assert.is_true(pages >= 2)
    assert.equal(1 + first.totalElements - first.size, n)
  end)

  it("fetch_all returns every item in page order, equal to each", function()
    local via_each = {}
    for c in hs:each("list_conversations", all) do via_each[#via_each + 1] = c.id end
    for _, conc in ipairs{ 1, 4, 8 } do
      local items, err = hs:fetch_all("list_conversations", all, { concurrency = conc })
      assert.is_nil(err)
      local ids = {}
      for i, c in ipairs(items) do ids[i] = c.id end
      assert.same(via_each, ids)
    end
  end)

  it("fetch_all fetches pages in parallel over keep-alive connections", function()
    sb:clear_log()
    local items = assert(hs:fetch_all("list_customers", nil, { concurrency = 4 }))
    local _, page = hs:list_customers()
    assert.equal(page.totalElements, #items)
    assert.equal(page.totalPages + 1, H.count(sb, "GET", "/v2/customers"))
  end)

  it("fetch_all retries a failed page and returns nil, err when it keeps failing", function()
    local r = H.client(sb, { retries = 1 })
    local _, page = r:list_conversations(all)
    sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "drop" }
    local items = assert(r:fetch_all("list_conversations", all))
    assert.equal(page.totalElements, #items)
    sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 400 }
    local none, err = r:fetch_all("list_conversations", all)
    assert.is_nil(none)
    assert.equal("validation", err.kind)
    sb:fault{ method = "GET", path = "/v2/conversations", count = 50, action = "status", status = 502 }
    none, err = r:fetch_all("list_conversations", all, { concurrency = 3 })
    assert.is_nil(none)
    assert.equal("server", err.kind)
    r:close()
  end)

  it("fetch_all renews the token when it expires", function()
    assert.is_table((hs:list_users()))
    sb:expire_tokens()
    local items = assert(hs:fetch_all("list_conversations", all, { concurrency = 4 }))
    local _, page = hs:list_conversations(all)
    assert.equal(page.totalElements, #items)
  end)
  it("fetch_all does not trust a huge totalPages: it streams and stops at the first empty page", function()
    local cjson = require "cjson"
    local real = assert(hs:fetch_all("list_conversations", all))
    local items, page = assert(hs:list_conversations(all))
    -- (a modest false claim first: a walk that ignores the empty page fails the count below in a
    -- second instead of walking a billion pages)
    for _, claim in ipairs{ 60, 1e9, 1e300 } do
      local body = cjson.encode{ _embedded = { conversations = items },
        page = { size = page.size, totalElements = claim, totalPages = claim, number = 1 } }
      sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json" }, body = body }
      sb:clear_log()
      local got, err = hs:fetch_all("list_conversations", all, { concurrency = 4 })
      assert.is_nil(err)
      assert.equal(#real, #got)
      for i = 1, #real do assert.equal(real[i].id, got[i].id) end
      -- the real pages, one empty page, and at most the pages already in flight beside it
      assert.is_true(H.count(sb, "GET", "/v2/conversations") <= page.totalPages + 1 + 4)
    end
  end)

  it("treats _embedded without the collection key as an empty page", function()
    local body = '{"_embedded":{},"page":{"size":50,"totalElements":0,"totalPages":0,"number":0}}'
    for _ = 1, 3 do
      sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json" }, body = body }
    end
    local items, page = assert(hs:list_users())
    assert.same({}, items)
    assert.equal(0, page.totalPages)
    local n = 0
    for _ in hs:each("list_users") do n = n + 1 end
    assert.equal(0, n)
    assert.same({}, assert(hs:fetch_all("list_users")))
  end)

  it("a collection key that is not an array is a protocol error, not an empty page", function()
    local body = '{"_embedded":{"users":"oops"},"page":{"size":50,"totalElements":1,"totalPages":1,"number":1}}'
    for _ = 1, 3 do
      sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json" }, body = body }
    end
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
    assert.truthy(err.message:find("_embedded.users", 1, true))
    local ok, e2 = pcall(function() for _ in hs:each("list_users") do end end)
    assert.is_false(ok)
    assert.equal("protocol", e2.kind)
    local none, e3 = hs:fetch_all("list_users")
    assert.is_nil(none)
    assert.equal("protocol", e3.kind)
  end)
  it("a next link back to a page already read raises instead of walking in circles", function()
    local function page(ids, next_href)
      local items = {}
      for i, id in ipairs(ids) do items[i] = '{"id":' .. id .. '}' end
      return '{"_embedded":{"conversations":[' .. table.concat(items, ",") .. ']},"page":{"number":1},' ..
        '"_links":{"next":{"href":"' .. next_href .. '"}}}'
    end
    local function faults()
      sb:fault{ method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json" },
        body = page({ 1, 2 }, "/v2/conversations?status=all&page=2") }
      sb:fault{ method = "GET", path = "/v2/conversations", count = 5, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json" },
        body = page({ 3 }, "/v2/conversations?status=all") } -- back to the first page
    end
    faults()
    sb:clear_log()
    local got = {}
    local ok, err = pcall(function()
      for c in hs:each("list_conversations", all) do got[#got + 1] = c.id end
    end)
    assert.is_false(ok)
    assert.equal("protocol", err.kind)
    assert.truthy(err.message:find("already read", 1, true))
    assert.same({ 1, 2 }, got)
    assert.equal(2, H.count(sb, "GET", "/v2/conversations"))
    sb:reset()
    faults()
    sb:clear_log()
    local items
    items, err = hs:fetch_all("list_conversations", all)
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
    assert.equal(2, H.count(sb, "GET", "/v2/conversations"))
  end)
end)
