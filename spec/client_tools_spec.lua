-- The nine tools against the sandbox over loopback: happy paths, their API errors, ids as
-- integers, and UTF-8 end to end.
local H = require "client_helper"
local cjson = require "cjson"

describe("client tools", function()
  local sb, hs

  setup(function() sb = H.start{ seed = 21 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb)
  end)
  after_each(function() hs:close() end)

  local function body_of(r)
    return type(r.body) == "table" and r.body or cjson.decode(r.body)
  end

  it("list_mailboxes returns items and the page object", function()
    local items, page = hs:list_mailboxes()
    assert.is_table(items)
    assert.is_true(#items >= 1)
    assert.equal(1, page.number)
    assert.equal(#items, math.min(page.totalElements, page.size))
    for _, m in ipairs(items) do
      assert.is_true(H.is_integer(m.id))
      assert.is_string(m.name)
    end
    local reqs = sb:log{ method = "GET", path = "/v2/mailboxes" }
    assert.equal(1, #reqs)
    assert.equal("Bearer [redacted]", reqs[1].headers.authorization)
  end)

  it("list_conversations sends filters under their wire names", function()
    local mb = hs:list_mailboxes()[1].id
    local items, page = hs:list_conversations{ mailbox = mb, status = "all", sortField = "createdAt",
      sortOrder = "asc" }
    assert.is_true(#items >= 1)
    assert.equal(25, page.size)
    for _, c in ipairs(items) do assert.equal(mb, c.mailboxId) end
    for i = 2, #items do assert.is_true(items[i - 1].createdAt <= items[i].createdAt) end
    local q = H.query(sb:log{ path = "/v2/conversations" }[1])
    assert.equal(tostring(mb), q.mailbox)
    assert.equal("all", q.status)
    assert.equal("asc", q.sortOrder)
  end)

  it("list_conversations: ids above 2^31 are Lua integers", function()
    local items = hs:list_conversations{ status = "all" }
    local big = 0
    for _, c in ipairs(items) do
      assert.is_true(H.is_integer(c.id))
      if c.id > 2 ^ 31 then big = big + 1 end
    end
    assert.is_true(big > 0)
    if math.type then assert.equal("integer", math.type(items[1].id)) end
  end)

  it("list_conversations: an empty result is an empty items table", function()
    local items, page = hs:list_conversations{ status = "all", query = '(subject:"zzqq-no-such-subject")' }
    assert.same({}, items)
    assert.equal(0, page.totalElements)
  end)

  it("get_conversation embeds threads by default", function()
    local id = H.some_conversation(hs)
    local conv = assert(hs:get_conversation(id))
    assert.equal(id, conv.id)
    assert.is_table(conv._embedded.threads)
    assert.is_true(#conv._embedded.threads >= 1)
    assert.equal("threads", H.query(sb:log{ path = "/v2/conversations/" .. id }[1]).embed)
  end)

  it("get_conversation of an unknown id is kind not_found", function()
    local conv, err = hs:get_conversation(999)
    assert.is_nil(conv)
    assert.equal("not_found", err.kind)
    assert.equal(404, err.status)
    assert.equal("GET", err.method)
    assert.equal(sb.url .. "/v2/conversations/999?embed=threads", err.url)
    assert.is_false(err.retryable)
  end)

  it("list_customers searches by e-mail through query", function()
    local _, cust = H.some_conversation(hs)
    local c = assert(hs:get_conversation((H.some_conversation(hs))))
    local email = c.primaryCustomer.email
    assert.is_string(email, "conversation has a customer e-mail")
    local items = assert(hs:list_customers{ query = '(email:"' .. email .. '")' })
    assert.is_true(#items >= 1)
    assert.equal(cust, items[1].id)
  end)

  it("list_users filters by e-mail", function()
    local all = assert(hs:list_users())
    assert.is_true(#all >= 1)
    local one = assert(hs:list_users{ email = all[1].email })
    assert.equal(1, #one)
    assert.equal(all[1].id, one[1].id)
  end)

  it("add_note returns the new thread id and the note is stored", function()
    local id = H.some_conversation(hs)
    local tid = assert(hs:add_note(id, "Checked the invoice."))
    assert.is_true(H.is_integer(tid))
    local conv = assert(hs:get_conversation(id))
    local found
    for _, t in ipairs(conv._embedded.threads) do if t.id == tid then found = t end end
    assert.is_table(found)
    assert.equal("note", found.type)
    local r = sb:log{ method = "POST", path = "/v2/conversations/" .. id .. "/notes" }
    assert.equal(1, #r)
    assert.same({ text = "Checked the invoice." }, body_of(r[1]))
  end)

  it("add_note on an unknown conversation is not_found", function()
    local tid, err = hs:add_note(999, { text = "x" })
    assert.is_nil(tid)
    assert.equal("not_found", err.kind)
  end)

  it("update_tags replaces the list, and {} is sent as []", function()
    local id = H.some_conversation(hs)
    assert.is_true(hs:update_tags(id, { "vip", "billing" }))
    local conv = assert(hs:get_conversation(id))
    local names = {}
    for _, t in ipairs(conv.tags) do names[#names + 1] = t.tag end
    table.sort(names)
    assert.same({ "billing", "vip" }, names)
    assert.is_true(hs:update_tags(id, {}))
    local r = sb:log{ method = "PUT", path = "/v2/conversations/" .. id .. "/tags" }
    assert.equal(2, #r)
    local raw = type(r[2].body) == "string" and r[2].body or cjson.encode(r[2].body)
    assert.truthy(raw:find('"tags":%[%]'), raw)
    conv = assert(hs:get_conversation(id))
    assert.equal(0, #(conv.tags or {}))
  end)

  it("reply returns the new thread id", function()
    local id, cust = H.some_conversation(hs)
    local tid = assert(hs:reply(id, { customer = { id = cust }, text = "<p>Fixed.</p>", draft = true }))
    assert.is_true(H.is_integer(tid))
    local b = body_of(sb:log{ method = "POST", path = "/v2/conversations/" .. id .. "/reply" }[1])
    assert.equal(cust, b.customer.id)
    assert.equal(true, b.draft)
  end)

  it("reply on an unknown conversation is not_found", function()
    local tid, err = hs:reply(999, { customer = { id = 1 }, text = "x" })
    assert.is_nil(tid)
    assert.equal("not_found", err.kind)
  end)

  it("create_conversation returns the new id, readable afterwards", function()
    local mb = hs:list_mailboxes()[1].id
    local id = assert(hs:create_conversation{ mailboxId = mb, subject = "Trial ends", type = "email",
      status = "active", customer = { email = "pat@customer.test" }, tags = { "trial" },
      threads = { { type = "reply", customer = { email = "pat@customer.test" }, text = "Hi", draft = true } } })
    assert.is_true(H.is_integer(id))
    assert.is_true(id > 2 ^ 31)
    local conv = assert(hs:get_conversation(id))
    assert.equal("Trial ends", conv.subject)
    assert.equal(mb, conv.mailboxId)
  end)

  it("create_conversation with invalid values is kind validation with field errors", function()
    local mb = hs:list_mailboxes()[1].id
    local id, err = hs:create_conversation{ mailboxId = mb, subject = "x", type = "sms",
      status = "active", customer = { email = "a@b.c" }, threads = { { type = "customer", text = "x",
      customer = { email = "a@b.c" } } } }
    assert.is_nil(id)
    assert.equal("validation", err.kind)
    assert.equal(400, err.status)
    assert.is_table(err.errors)
    local paths = {}
    for _, e in ipairs(err.errors) do paths[#paths + 1] = e.path end
    assert.truthy(table.concat(paths, ","):find("type", 1, true))
    assert.is_string(err.log_ref)
    local line = tostring(err)
    assert.truthy(line:find("^helpscout: validation %(400%)"))
    assert.truthy(line:find("[POST /v2/conversations]", 1, true))
    assert.falsy(line:find("\n"))
  end)

  it("UTF-8 text round-trips unchanged", function()
    local id = H.some_conversation(hs)
    local text = "Grüße aus Köln — 日本語テキスト, emoji 😀, quote \" and backslash \\"
    local tid = assert(hs:add_note(id, { text = text }))
    local conv = assert(hs:get_conversation(id))
    local body
    for _, t in ipairs(conv._embedded.threads) do if t.id == tid then body = t.body end end
    assert.equal(text, body)
  end)
end)
