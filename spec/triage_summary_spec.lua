-- luacheck: no max line length
-- triage.classify confidence and customer_summary topics, on fixed conversations: the lexicon's
-- guess is shown only when it is confident, else "other". The summary runs through the real
-- client against the sandbox, with the fixture conversations created over the API.
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local triage = require "helpscout.triage"
local F = require "triage_fixtures"

-- An ERP/API question whose only lexicon words are "arriving" (customer) and "deliveries"
-- (agent, about webhook deliveries): the lexicon's best guess is shipping, but not confidently.
local ERP = {
  subject = "Connecting to our ERP",
  first = "When I follow the next link in the API response I get the same page again. Is there documentation for this?",
  agent = "Webhooks are disabled after 20 consecutive failed deliveries; I've re-enabled yours. Our logs show your endpoint timed out after 10 seconds.",
  last = "Still no webhooks arriving..",
}
local PARCEL = {
  subject = "Where is my package?",
  first = "The tracking number shows the parcel stuck in transit for a week, the courier says nothing.",
}

describe("triage.classify confidence", function()
  it("keeps the best guess but is not confident when the customer's words do not back it", function()
    local c = F.conv({ subject = ERP.subject }, {
      F.thread("customer", ERP.first, "2024-05-02T09:00:00Z"),
      F.thread("message", ERP.agent, "2024-05-02T10:00:00Z"),
      F.thread("customer", ERP.last, "2024-05-02T11:00:00Z"),
    })
    local id, score, label, confident = triage.classify(c)
    assert.are.equal("shipping", id)
    assert.is_true(score > 0)
    assert.are.equal("Shipping & delivery", label)
    assert.is_false(confident)
  end)

  it("is confident on a clear case, and not without any lexicon word", function()
    local c = F.conv({ subject = PARCEL.subject }, { F.thread("customer", PARCEL.first, "2024-05-02T09:00:00Z") })
    local id, _, _, confident = triage.classify(c)
    assert.are.equal("shipping", id)
    assert.is_true(confident)
    local none = F.conv({ subject = "Hmm" }, { F.thread("customer", "Zorp blat quux.", "2024-05-02T09:00:00Z") })
    local nid, nscore, _, nconf = triage.classify(none)
    assert.is_nil(nid)
    assert.are.equal(0, nscore)
    assert.is_false(nconf)
  end)

  it("honours min_score and margin", function()
    local c = F.conv({ subject = PARCEL.subject }, { F.thread("customer", PARCEL.first, "2024-05-02T09:00:00Z") })
    local _, score = triage.classify(c)
    assert.is_true(select(4, triage.classify(c, { min_score = score })))
    assert.is_false(select(4, triage.classify(c, { min_score = score + 1 })))
  end)
end)

describe("triage.customer_summary topics", function()
  local sb, hs
  setup(function()
    sb = sandbox.start { seed = 42 }
    hs = helpscout.new { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
  end)
  teardown(function() if sb then sb:stop() end end)

  it("labels a conversation 'other' instead of a wrong lexicon topic", function()
    local mailboxes = assert(hs:list_mailboxes())
    local mb = mailboxes[1].id
    local customer = { email = "erp.fixture@customer.test", firstName = "Erin", lastName = "Park" }
    local function create(fx, threads)
      return assert(hs:create_conversation { subject = fx.subject, customer = customer, mailboxId = mb, type = "email",
        status = "active", imported = true, threads = threads })
    end
    -- threads newest first, like the API lists them
    create(ERP, {
      { type = "customer", customer = customer, text = ERP.last, createdAt = "2024-05-02T11:00:00Z" },
      { type = "reply", customer = customer, text = ERP.agent, createdAt = "2024-05-02T10:00:00Z" },
      { type = "customer", customer = customer, text = ERP.first, createdAt = "2024-05-02T09:00:00Z" },
    })
    create(PARCEL, { { type = "customer", customer = customer, text = PARCEL.first, createdAt = "2024-05-03T09:00:00Z" } })
    local s = assert(triage.customer_summary(hs, customer.email, { now = "2024-05-04T09:00:00Z" }))
    assert.are.equal(2, s.total)
    local by_subject = {}
    for _, row in ipairs(s.conversations) do by_subject[row.subject] = row.topic end
    assert.are.equal("other", by_subject[ERP.subject])
    assert.are.equal("shipping", by_subject[PARCEL.subject])
    local topics = {}
    for _, t in ipairs(s.topics) do topics[t.topic] = t.count end
    assert.are.same({ other = 1, shipping = 1 }, topics)
    assert.truthy(s.text:find("Mostly about other (1), shipping & delivery (1).", 1, true), s.text)
  end)

  it("reads a customer's conversations past the first page (the client's page iterator)", function()
    local mb = assert(hs:list_mailboxes())[1].id
    local customer = { email = "many.pages@customer.test", firstName = "Mo", lastName = "Pages" }
    for i = 1, 53 do
      assert(hs:create_conversation { subject = "Question " .. i, customer = customer, mailboxId = mb, type = "email",
        status = i % 2 == 0 and "closed" or "active", threads = { { type = "customer", customer = customer, text = "Hello " .. i } } })
    end
    sb:clear_log()
    local s = assert(triage.customer_summary(hs, "Many.Pages@customer.test", { limit = 100 }))
    assert.are.equal(53, s.total)
    assert.are.equal(27, s.counts.active)
    assert.are.equal(26, s.counts.closed)
    local pages = 0
    for _, r in ipairs(sb:log { method = "GET" }) do
      if r.path == "/v2/conversations" then pages = pages + 1 end
    end
    assert.are.equal(3, pages) -- 25 a page
    -- a limit stops after the page that reaches it
    sb:clear_log()
    assert.are.equal(5, assert(triage.customer_summary(hs, "many.pages@customer.test", { limit = 5 })).total)
    local n = 0
    for _, r in ipairs(sb:log { method = "GET" }) do if r.path == "/v2/conversations" then n = n + 1 end end
    assert.are.equal(1, n)
  end)

  it("returns nil, err when a page fails, never a short summary or a raise", function()
    local c = assert(hs:list_customers())[1]
    local email = c._embedded.emails[1].value
    sb:fault { method = "GET", path = "/v2/conversations", count = 1, action = "status", status = 400 }
    local s, err = triage.customer_summary(hs, email)
    assert.is_nil(s)
    assert.are.equal("validation", err.kind)
    assert.are.equal(400, err.status)
    sb:fault { method = "GET", path = "/v2/customers", count = 1, action = "status", status = 403 }
    s, err = triage.customer_summary(hs, email)
    assert.is_nil(s)
    assert.are.equal("forbidden", err.kind)
    -- and unknown e-mails are a not_found error
    s, err = triage.customer_summary(hs, "nobody@nowhere.test")
    assert.is_nil(s)
    assert.are.equal("not_found", err.kind)
    assert.has_error(function() triage.customer_summary(hs, "not-an-email") end,
      "bad argument #2 to 'customer_summary' (e-mail address expected)")
    assert.has_error(function() triage.customer_summary(hs, email, { limt = 1 }) end)
  end)
end)
