-- Fidelity and scale of the sandbox (issue 8): the customer sub-resources that a customer's _links
-- advertise answer from the seeded data, and --conversations N scales the data set (customers
-- with it) so a client can walk it to the end.
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, client_token = rawhttp.request, rawhttp.client_token

describe("sandbox customer sub-resources", function()
  local sb, tok

  setup(function()
    sb = sandbox.start { seed = 42 }
    tok = client_token(sb)
  end)
  teardown(function() if sb then sb:stop() end end)

  local function get(path) return request(sb, "GET", path, { token = tok }) end
  local function path_of(href) return (href:gsub("^http://[^/]+", "")) end

  local function all_customers()
    local out, path = {}, "/v2/customers"
    while path do
      local res = get(path)
      assert.equal(200, res.status)
      for _, c in ipairs(res.json._embedded.customers) do out[#out + 1] = c end
      path = res.json._links.next and path_of(res.json._links.next.href)
    end
    return out
  end

  it("serves every contact list a customer links to, equal to its _embedded list", function()
    local seen = { chats = 0, social_profiles = 0, websites = 0, phones = 0 }
    for i, c in ipairs(all_customers()) do
      for link, key in pairs { emails = "emails", phones = "phones", chats = "chats",
        ["social-profiles"] = "social_profiles", websites = "websites" } do
        if i <= 30 or #c._embedded[key] > 0 and seen[key] and seen[key] < 3 then
          local res = get(path_of(c._links[link].href))
          assert.equal(200, res.status, link)
          assert.matches("^application/hal%+json", res.headers["content-type"])
          assert.are.same(c._embedded[key], res.json._embedded[key])
          assert.equal(c._links[link].href, res.json._links.self.href)
          if #c._embedded[key] > 0 and seen[key] then seen[key] = seen[key] + 1 end
        end
      end
    end
    for key, n in pairs(seen) do assert.is_true(n >= 1, "no seeded customer with " .. key) end
  end)

  it("serves the address of a customer with a location and 404s one without", function()
    local with, without
    for _, c in ipairs(all_customers()) do
      if c.location and not with then with = c end
      if not c.location and not without then without = c end
    end
    local res = get(path_of(with._links.address.href))
    assert.equal(200, res.status)
    assert.is_string(res.json.city)
    assert.is_string(res.json.country)
    assert.is_string(res.json.postalCode)
    assert.is_string(res.json.lines[1])
    assert.equal(with._links.address.href, res.json._links.self.href)
    assert.equal(404, get(path_of(without._links.address.href)).status)
    assert.equal(404, get("/v2/customers/1/emails").status)
    assert.equal(400, get("/v2/customers/abc/phones").status)
    assert.equal(405, request(sb, "POST", "/v2/customers/" .. string.format("%d", with.id) .. "/emails",
      { token = tok, body = { value = "x@y.test" } }).status)
  end)
end)

describe("sandbox --conversations N", function()
  it("scales conversations and customers, and a walk by next links sees each conversation once", function()
    local sb = sandbox.start { seed = 42, args = { "--conversations", "3000" } }
    local ok, err = pcall(function()
      local tok = client_token(sb)
      local conn = require("socket").connect("127.0.0.1", sb.port)
      conn:settimeout(10)
      local seen, n, path, pages = {}, 0, "/v2/conversations?status=all", 0
      while path do
        local res = request(sb, "GET", path, { token = tok, conn = conn })
        assert.equal(200, res.status)
        pages = pages + 1
        for _, c in ipairs(res.json._embedded.conversations) do
          local id = string.format("%d", c.id)
          assert.is_nil(seen[id])
          seen[id] = true
          n = n + 1
        end
        path = res.json._links.next and res.json._links.next.href:gsub("^http://[^/]+", "")
      end
      conn:close()
      assert.equal(3000, n)
      assert.equal(120, pages)
      local cust = request(sb, "GET", "/v2/customers", { token = tok }).json
      assert.equal(1286, cust.page.totalElements)
    end)
    sb:stop()
    assert(ok, err)
  end)

  it("refuses a size that is not a positive integer", function()
    for _, bad in ipairs { "0", "-5", "1.5", "lots", "600000" } do
      assert.has_error(function() sandbox.start { args = { "--conversations", bad } } end)
    end
  end)
end)
