-- The sandbox's render cache (encoded fragments of conversations, threads, customers, users,
-- mailboxes; cached sort orders) must never change a byte of what it serves. Each write path runs
-- against a warm cache, then every watched response is compared with the same response encoded
-- afresh (POST /_sandbox/config {"render_cache":false}), and the write must be visible. Absolute
-- links must follow the request's Host even when another Host filled the cache first.
local socket = require "socket"
local cjson = require "cjson.safe"
local sandbox = require "support.sandbox"

local function I(n) return string.format("%d", n) end

describe("sandbox render cache", function()
  local sb, token, conn
  local HOST_A, HOST_B = nil, "sandbox.example:8443"

  -- One request on the keep-alive connection; returns status, body.
  local function http(method, path, opts)
    opts = opts or {}
    local body = opts.body and cjson.encode(opts.body) or nil
    local lines = { method .. " " .. path .. " HTTP/1.1", "Host: " .. (opts.host or HOST_A) }
    if token and path:sub(1, 4) == "/v2/" then lines[#lines + 1] = "Authorization: Bearer " .. token end
    if body then
      lines[#lines + 1] = "Content-Type: application/json"
      lines[#lines + 1] = "Content-Length: " .. #body
    end
    lines[#lines + 1] = ""
    lines[#lines + 1] = body or ""
    assert(conn:send(table.concat(lines, "\r\n")))
    local status = tonumber(assert(conn:receive("*l")):match("^HTTP/1%.1 (%d+)"))
    local len = 0
    while true do
      local h = assert(conn:receive("*l"))
      if h == "" then break end
      len = tonumber(h:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")) or len
    end
    return status, len > 0 and assert(conn:receive(len)) or ""
  end

  local function get(path, host)
    local status, body = http("GET", path, { host = host })
    assert.are.equal(200, status, path)
    return body
  end

  local function write(method, path, body, want)
    local status = http(method, path, { body = body })
    assert.are.equal(want, status, method .. " " .. path)
  end

  local function set_cache(on)
    local status, body = http("POST", "/_sandbox/config", { body = { render_cache = on } })
    assert.are.equal(200, status)
    assert.is_true(cjson.decode(body).render_cache == on)
  end

  local conv, conv2, conv3, conv4 -- seeded conversations on the first page (ids)
  local paths

  local function watched()
    local p = {
      "/v2/conversations?status=all", "/v2/conversations?status=all&embed=threads",
      "/v2/conversations", "/v2/conversations?status=closed", "/v2/conversations?status=all&sortField=modifiedAt",
      "/v2/conversations?status=all&sortField=customerName&sortOrder=asc", "/v2/conversations?status=all&tag=vip",
      "/v2/customers", "/v2/customers?page=5", "/v2/users", "/v2/users/me", "/v2/mailboxes", "/v2/mailboxes/4821",
    }
    for _, id in ipairs { conv, conv2, conv3, conv4 } do
      p[#p + 1] = "/v2/conversations/" .. id
      p[#p + 1] = "/v2/conversations/" .. id .. "?embed=threads"
      p[#p + 1] = "/v2/conversations/" .. id .. "/threads"
    end
    return p
  end

  -- Fetches every watched path (twice: the second read comes from the cache) with the cache on,
  -- then with it off, and asserts identical bytes. A clock-dependent "friendly" text may change
  -- between the reads (minute granularity): a mismatch is retried once, a stale entry is not.
  local function assert_cache_faithful(host)
    local out = {}
    for _, path in ipairs(paths) do
      local same, cached, fresh = false, nil, nil
      for _ = 1, 2 do
        get(path, host)
        cached = get(path, host)
        set_cache(false)
        fresh = get(path, host)
        set_cache(true)
        if cached == fresh then same = true; break end
      end
      assert.are.equal(fresh, cached, "cached response differs for " .. path)
      assert.is_true(same)
      out[path] = cjson.decode(cached)
    end
    return out
  end

  -- /_sandbox/reset (which also clears tokens), then a fresh token.
  local function reset()
    sb:reset()
    token = nil
    local status, body = http("POST", "/v2/oauth2/token", { body = { grant_type = "client_credentials",
      client_id = sb.client_id, client_secret = sb.client_secret } })
    assert.are.equal(200, status)
    token = cjson.decode(body).access_token
  end

  local function find_conv(page, id)
    for _, c in ipairs(page._embedded and page._embedded.conversations or {}) do
      if c.id == id then return c end
    end
  end

  setup(function()
    sb = sandbox.start { seed = 42 }
    HOST_A = "127.0.0.1:" .. sb.port
    conn = assert(socket.connect("127.0.0.1", sb.port))
    conn:settimeout(10)
    reset()
    local page = cjson.decode(get("/v2/conversations?status=all"))
    local list = page._embedded.conversations
    conv, conv2, conv3, conv4 = I(list[1].id), I(list[2].id), I(list[3].id), I(list[4].id)
    paths = watched()
  end)

  teardown(function()
    if conn then conn:close() end
    if sb then sb:stop() end
  end)

  before_each(function()
    reset()
  end)

  it("serves the same bytes from the cache as encoded afresh (seeded data)", function()
    assert_cache_faithful()
  end)

  it("a note (with a status change) invalidates the conversation, its threads and the pages", function()
    local before = assert_cache_faithful()
    write("POST", "/v2/conversations/" .. conv .. "/notes", { text = "cache probe note", status = "closed" }, 201)
    local after = assert_cache_faithful()
    local c = after["/v2/conversations/" .. conv]
    assert.are.equal(before["/v2/conversations/" .. conv].threads + 1, c.threads)
    assert.are.equal("closed", c.status)
    assert.are.equal("cache probe note", after["/v2/conversations/" .. conv .. "/threads"]._embedded.threads[1].body)
    assert.are.equal("closed", find_conv(after["/v2/conversations?status=all"], c.id).status)
    assert.are.equal(c.threads, #find_conv(after["/v2/conversations?status=all&embed=threads"], c.id)._embedded.threads)
    assert.is_truthy(find_conv(after["/v2/conversations?status=closed"], c.id))
    assert.are.equal(c.id, after["/v2/conversations?status=all&sortField=modifiedAt"]._embedded.conversations[1].id)
  end)

  it("a reply invalidates status, assignee, preview and every thread's assignedTo", function()
    local before = assert_cache_faithful()
    local was = before["/v2/conversations/" .. conv2]
    local users = before["/v2/users"]._embedded.users
    local assignee = users[#users].id
    if was.assignee and was.assignee.id == assignee then assignee = users[#users - 1].id end
    write("POST", "/v2/conversations/" .. conv2 .. "/reply",
      { text = "cache probe reply", customer = { id = was.primaryCustomer.id }, assignTo = assignee,
        status = "pending" }, 201)
    local after = assert_cache_faithful()
    local c = after["/v2/conversations/" .. conv2]
    assert.are.equal("pending", c.status)
    assert.are.equal(assignee, c.assignee.id)
    assert.are.equal("cache probe reply", c.preview)
    for _, th in ipairs(after["/v2/conversations/" .. conv2 .. "?embed=threads"]._embedded.threads) do
      if th.type == "message" then assert.are.equal(assignee, th.assignedTo.id) end
    end
    assert.are.equal("cache probe reply", find_conv(after["/v2/conversations?status=all"], c.id).preview)
  end)

  it("a draft reply (new customer by e-mail) invalidates the conversation and the customer pages", function()
    local before = assert_cache_faithful()
    write("POST", "/v2/conversations/" .. conv3 .. "/reply",
      { text = "cache probe draft", draft = true, customer = { email = "cache.probe@example.org" } }, 201)
    local after = assert_cache_faithful()
    local c = after["/v2/conversations/" .. conv3]
    assert.are.equal(before["/v2/conversations/" .. conv3].threads + 1, c.threads)
    local newest = after["/v2/conversations/" .. conv3 .. "?embed=threads"]._embedded.threads[1]
    assert.are.equal("draft", newest.state)
    assert.are.equal("cache.probe@example.org", newest.customer.email)
    assert.are.equal(before["/v2/customers"].page.totalElements + 1, after["/v2/customers"].page.totalElements)
  end)

  it("tags (set, then cleared) invalidate the conversation and the tag-filtered page", function()
    assert_cache_faithful()
    write("PUT", "/v2/conversations/" .. conv4 .. "/tags", { tags = { "vip", "cache-probe-tag" } }, 204)
    local after = assert_cache_faithful()
    local names = {}
    for _, t in ipairs(after["/v2/conversations/" .. conv4].tags) do names[#names + 1] = t.tag end
    table.sort(names)
    assert.are.same({ "cache-probe-tag", "vip" }, names)
    assert.is_truthy(find_conv(after["/v2/conversations?status=all&tag=vip"], tonumber(conv4)))
    write("PUT", "/v2/conversations/" .. conv4 .. "/tags", { tags = {} }, 204)
    after = assert_cache_faithful()
    assert.are.equal('"tags":[]', get("/v2/conversations/" .. conv4):match('"tags":%[%]'))
    assert.is_nil(find_conv(after["/v2/conversations?status=all&tag=vip"], tonumber(conv4)))
  end)

  it("creating a conversation (known, then new customer) shows up in the cached pages", function()
    local before = assert_cache_faithful()
    local cust = before["/v2/conversations/" .. conv].primaryCustomer
    write("POST", "/v2/conversations", { subject = "cache probe subject", mailboxId = 4821, type = "email",
      status = "active", customer = { id = cust.id }, threads = { { type = "customer", text = "cache probe body" } } },
      201)
    local after = assert_cache_faithful()
    local top = after["/v2/conversations?status=all"]._embedded.conversations[1]
    assert.are.equal("cache probe subject", top.subject)
    assert.are.equal(cust.id, top.primaryCustomer.id)
    assert.are.equal(before["/v2/conversations?status=all"].page.totalElements + 1,
      after["/v2/conversations?status=all"].page.totalElements)
    write("POST", "/v2/conversations", { subject = "cache probe second", mailboxId = 4821, type = "email",
      status = "active", customer = { email = "cache.create@example.org", firstName = "Probe" },
      tags = { "vip", "cache-new-tag" }, threads = { { type = "customer", text = "cache probe body" } } }, 201)
    after = assert_cache_faithful()
    top = after["/v2/conversations?status=all"]._embedded.conversations[1]
    assert.are.equal("cache probe second", top.subject)
    local vip = after["/v2/conversations?status=all&tag=vip"]._embedded.conversations
    assert.are.equal("cache probe second", vip[1].subject)
    assert.are.equal(before["/v2/customers"].page.totalElements + 1, after["/v2/customers"].page.totalElements)
  end)

  it("reset drops everything written, from a warm cache", function()
    local seeded = {}
    for _, path in ipairs(paths) do seeded[path] = get(path) end
    write("POST", "/v2/conversations/" .. conv .. "/notes", { text = "gone after reset", status = "spam" }, 201)
    write("PUT", "/v2/conversations/" .. conv2 .. "/tags", { tags = { "gone-after-reset" } }, 204)
    assert_cache_faithful()
    reset()
    local after = assert_cache_faithful()
    for _, path in ipairs(paths) do
      local body = get(path)
      assert.is_nil(body:find("gone after reset", 1, true), path)
      assert.is_nil(body:find("gone-after-reset", 1, true), path)
      -- the seeded bytes again, but for clock-dependent "friendly" texts
      local function strip(s) return (s:gsub('"friendly":"[^"]*"', '"friendly":""')) end
      assert.are.equal(strip(seeded[path]), strip(body), path)
    end
    assert.are_not.equal("spam", after["/v2/conversations/" .. conv].status)
  end)

  it("absolute links follow the request's Host, whichever Host filled the cache", function()
    local a1 = get("/v2/conversations?status=all&embed=threads")
    local b1 = get("/v2/conversations?status=all&embed=threads", HOST_B)
    local a2 = get("/v2/conversations?status=all&embed=threads")
    local b2 = get("/v2/conversations?status=all&embed=threads", HOST_B)
    assert.are.equal(a1, a2)
    assert.are.equal(b1, b2)
    assert.is_nil(a1:find(HOST_B, 1, true))
    assert.is_nil(b1:find(HOST_A, 1, true))
    assert.is_truthy(b1:find('"href":"http://' .. HOST_B .. '/v2/conversations/' .. conv .. '"', 1, true))
    assert.is_truthy(b1:find('"href":"http://' .. HOST_B .. '/v2/customers/', 1, true))
    assert.is_truthy(b1:find('"href":"http://' .. HOST_B .. '/v2/users/', 1, true))
    -- the same bytes but for the base URL
    assert.are.equal(a1:gsub("http://" .. HOST_A:gsub("%p", "%%%0"), "BASE"),
      (b1:gsub("http://" .. HOST_B:gsub("%p", "%%%0"), "BASE")))
    for _, path in ipairs { "/v2/conversations/" .. conv .. "?embed=threads", "/v2/customers", "/v2/users/me",
      "/v2/mailboxes" } do
      local a, b = get(path), get(path, HOST_B)
      assert.is_nil(b:find(HOST_A, 1, true), path)
      assert.is_truthy(b:find('"href":"http://' .. HOST_B .. '/v2/', 1, true), path)
      assert.is_nil(a:find(HOST_B, 1, true), path)
    end
    assert_cache_faithful(HOST_B)
  end)
end)

-- The request log keeps the last log_limit entries; dropping the oldest used to shift the whole
-- array on every request once the log was full (10,000 entries by default).
describe("sandbox request log window", function()
  it("keeps the newest log_limit entries in order, across DELETE", function()
    local sb = require("helpscout.sandbox").new { log_limit = 3 }
    local function hit(n)
      local res = sb:handle { method = "GET", path = "/v2/mailboxes/" .. n, query_string = "", headers = {} }
      assert.are.equal(401, res.status)
    end
    local function logged()
      local res = sb:handle { method = "GET", path = "/_sandbox/log", query_string = "", headers = {} }
      local paths = {}
      for i, r in ipairs(cjson.decode(res.body).requests) do paths[i] = r.path .. " " .. string.format("%d", r.seq) end
      return paths
    end
    assert.are.same({}, logged())
    hit(1); hit(2)
    assert.are.same({ "/v2/mailboxes/1 1", "/v2/mailboxes/2 2" }, logged())
    for n = 3, 7 do hit(n) end
    assert.are.same({ "/v2/mailboxes/5 5", "/v2/mailboxes/6 6", "/v2/mailboxes/7 7" }, logged())
    sb:handle { method = "DELETE", path = "/_sandbox/log", query_string = "", headers = {} }
    assert.are.same({}, logged())
    hit(8)
    assert.are.same({ "/v2/mailboxes/8 8" }, logged())
    for n = 9, 12 do hit(n) end
    assert.are.same({ "/v2/mailboxes/10 10", "/v2/mailboxes/11 11", "/v2/mailboxes/12 12" }, logged())
    sb:reset()
    hit(13)
    assert.are.same({ "/v2/mailboxes/13 1" }, logged())
  end)
end)
