-- luacheck: no max line length
-- triage.priority / rank / draft_reply on fixed inputs.
local triage = require "helpscout.triage"
local F = require "triage_fixtures"

local NOW = "2024-05-04T09:12:44Z" -- two days after the fixtures' first message

local function has(list, pattern)
  for _, s in ipairs(list) do if s:find(pattern) then return true end end
  return false
end

describe("triage.priority", function()
  it("scores a long-waiting, unassigned, urgent VIP conversation as urgent, with reasons", function()
    local c = F.conv({ subject = "URGENT: production is down", tags = { { id = 1, tag = "VIP" } },
      customerWaitingSince = { time = "2024-05-02T09:12:44Z", friendly = "2 days ago" } }, {
      F.thread("customer", "<p>Our checkout is down, we are losing money. Please fix asap!</p>", "2024-05-02T09:12:44Z"),
      F.thread("customer", "<p>Any update? Still waiting.</p>", "2024-05-03T09:12:44Z"),
    })
    local p = triage.priority(c, { now = NOW })
    assert.are.equal("urgent", p.level)
    assert.is_true(p.score >= 70 and p.score <= 100)
    assert.are.equal(2 * 86400, p.waiting)
    assert.is_true(has(p.reasons, "^waiting 2d$"), table.concat(p.reasons, "|"))
    assert.is_true(has(p.reasons, "^unassigned$"))
    assert.is_true(has(p.reasons, "urgency words: .*urgent"))
    assert.is_true(has(p.reasons, "asap"))
    assert.is_true(has(p.reasons, "1 follow%-up without an answer"))
    assert.is_true(has(p.reasons, "VIP tag: vip"))
  end)

  it("scores an answered, assigned conversation low", function()
    local c = F.conv({ assignee = F.agent, customerWaitingSince = nil, userUpdatedAt = "2024-05-02T10:00:00Z" }, {
      F.thread("customer", "How do I export a report?", "2024-05-02T09:12:44Z"),
      F.thread("message", "Here is how: Reports > Export.", "2024-05-02T10:00:00Z"),
    })
    local p = triage.priority(c, { now = NOW })
    assert.are.equal("low", p.level)
    assert.is_nil(p.waiting)
    assert.are.equal("agent", p.last_from)
    assert.is_false(has(p.reasons, "waiting"))
  end)

  it("keeps closed and spam conversations at the bottom", function()
    local base = { F.thread("customer", "urgent!!! asap", "2024-05-01T09:00:00Z") }
    local closed = triage.priority(F.conv({ status = "closed" }, base), { now = NOW })
    local spam = triage.priority(F.conv({ status = "spam" }, base), { now = NOW })
    assert.is_true(closed.score <= 10)
    assert.are.equal("low", closed.level)
    assert.are.equal(0, spam.score)
    assert.are.same({ "spam" }, spam.reasons)
  end)

  it("infers who wrote last from the conversation fields when threads are not embedded", function()
    local c = F.conv({ customerWaitingSince = { time = "2024-05-03T09:12:44Z" }, userUpdatedAt = "2024-05-02T09:00:00Z" })
    c._embedded = nil
    local p = triage.priority(c, { now = NOW })
    assert.are.equal("customer", p.last_from)
    assert.are.equal(86400, p.waiting)
  end)

  it("accepts weights and custom VIP tags, and rejects unknown options", function()
    local c = F.conv({ tags = { { tag = "gold" } } }, { F.thread("customer", "hello", "2024-05-04T09:12:44Z") })
    local a = triage.priority(c, { now = NOW })
    local b = triage.priority(c, { now = NOW, vip_tags = { "gold" }, weights = { vip = 30, unassigned = 0 } })
    assert.is_true(has(b.reasons, "VIP tag: gold"))
    assert.is_false(has(b.reasons, "unassigned"))
    assert.are.equal(a.score + 30 - triage.DEFAULT_WEIGHTS.unassigned, b.score)
    assert.has_error(function() triage.priority(c, { now = NOW, weights = { nope = 1 } }) end)
    assert.has_error(function() triage.priority(c, { noww = NOW }) end)
    assert.has_error(function() triage.priority(c, { now = "yesterday" }) end)
  end)

  it("saturates long waits: 41 days and 8 days score the same, 1 hour and 3 days do not", function()
    local function waited(since)
      local c = F.conv({ assignee = F.agent, customerWaitingSince = { time = since } },
        { F.thread("customer", "hello", since) })
      return triage.priority(c, { now = NOW })
    end
    local d41, d8 = waited("2024-03-24T09:12:44Z"), waited("2024-04-26T09:12:44Z")
    local d3, h1 = waited("2024-05-01T09:12:44Z"), waited("2024-05-04T08:12:44Z")
    assert.are.equal(41 * 86400, d41.waiting)
    assert.are.equal(d8.score, d41.score)
    assert.are.equal(d8.level, d41.level)
    assert.is_true(has(d41.reasons, "^waiting 41d$"), table.concat(d41.reasons, "|"))
    assert.is_true(h1.score < d3.score and d3.score <= d8.score, h1.score .. " " .. d3.score .. " " .. d8.score)
    -- waiting alone never reaches "high"
    assert.are.equal("normal", d41.level)
    assert.are.equal("low", h1.level)
  end)

  it("spreads levels by the signals on top of a long wait", function()
    local since = "2024-04-20T09:12:44Z"
    local function p(fields, threads)
      fields.customerWaitingSince = { time = since }
      if fields.assignee == false then fields.assignee = nil else fields.assignee = F.agent end
      return triage.priority(F.conv(fields, threads), { now = NOW })
    end
    local one = { F.thread("customer", "Where is my invoice?", since) }
    local chased = { F.thread("customer", "Where is my invoice?", since),
      F.thread("customer", "Hello again, still nothing.", "2024-04-22T09:12:44Z") }
    assert.are.equal("normal", p({}, one).level)
    assert.are.equal("high", p({}, chased).level)
    assert.are.equal("high", p({ subject = "Invoice needed urgently" }, one).level)
    assert.are.equal("urgent", p({ assignee = false }, chased).level)
    assert.are.equal("urgent", p({ tags = { { tag = "vip" } } }, one).level)
    local vip_unassigned = p({ assignee = false, tags = { { tag = "vip" } } }, chased)
    assert.are.equal("urgent", vip_unassigned.level)
    assert.is_true(vip_unassigned.score <= 100)
  end)

  it("takes custom levels and saturation, and prints whole thread counts", function()
    local c = F.conv({ threads = 5.0, customerWaitingSince = { time = "2024-05-03T09:12:44Z" } },
      { F.thread("customer", "hello", "2024-05-03T09:12:44Z") })
    local p = triage.priority(c, { now = NOW })
    assert.is_true(has(p.reasons, "^5 threads$"), table.concat(p.reasons, "|"))
    local short = triage.priority(c, { now = NOW, waiting_full_hours = 24 })
    assert.is_true(short.score > p.score)
    local lv = triage.priority(c, { now = NOW, levels = { { "hot", p.score }, { "cold", 0 } } })
    assert.are.equal("hot", lv.level)
    assert.are.equal("cold", triage.priority(c, { now = NOW, levels = { { "hot", p.score + 1 }, { "cold", 0 } } }).level)
  end)

  it("copes with missing fields", function()
    local p = triage.priority({}, { now = NOW })
    assert.is_number(p.score)
    assert.is_string(p.level)
  end)
end)

describe("triage.rank", function()
  it("orders by score, then by waiting time, then by id, and honours limit", function()
    local mk = function(id, wait_since, urgent)
      return F.conv({ id = id, customerWaitingSince = { time = wait_since } },
        { F.thread("customer", urgent and "urgent please, asap" or "hello", wait_since) })
    end
    local convs = { mk(3, "2024-05-03T09:12:44Z"), mk(1, "2024-05-01T09:12:44Z"), mk(2, "2024-05-03T09:12:44Z", true),
      mk(4, "2024-05-03T09:12:44Z") }
    local r = triage.rank(convs, { now = NOW })
    local ids = {}
    for i, x in ipairs(r) do ids[i] = x.id end
    assert.are.same({ 2, 1, 3, 4 }, ids)
    assert.are.equal(convs[3], r[1].conversation)
    assert.are.equal(2, #triage.rank(convs, { now = NOW, limit = 2 }))
    for i = 2, #r do assert.is_true(r[i - 1].score >= r[i].score) end
  end)
end)

describe("triage.draft_reply", function()
  it("greets by first name, follows the topic template, quotes the question and signs off", function()
    local c = F.conv({ subject = "Refund please", assignee = F.agent }, {
      F.thread("customer", "<p>Hi,</p><p>I was charged twice. Can I get a refund for the second payment?</p>",
        "2024-05-02T09:12:44Z"),
    })
    local body, meta = triage.draft_reply(c)
    assert.are.equal("refunds", meta.topic)
    assert.truthy(body:find("^Hi Pat,\n"))
    assert.truthy(body:find('You asked: "Can I get a refund for the second payment?"', 1, true))
    assert.truthy(body:find("refund policy", 1, true))
    assert.truthy(body:find("Best regards,\nDana$"))
    assert.are.same({ id = F.customer.id }, meta.customer)
    assert.truthy(meta.html:find("^<p>Hi Pat,</p>"))
    assert.is_nil(meta.html:find("<script", 1, true))
  end)

  it("falls back gracefully: no name, no question, unknown topic, HTML-escaped text", function()
    local c = { id = 9, subject = "<b>Hello</b>", _embedded = { threads = {
      { type = "customer", body = "Just a note <script>x</script> about things." } } } }
    local body, meta = triage.draft_reply(c, { agent_name = "Sam", topic = "unknown_topic" })
    assert.truthy(body:find("^Hi there,"))
    assert.truthy(body:find("Best regards,\nSam$"))
    assert.is_nil(meta.customer)
    assert.is_nil(meta.html:find("<script", 1, true))
    assert.is_nil(meta.html:find("<b>", 1, true))
  end)

  it("uses the neutral template when the lexicon guess is not confident", function()
    -- only the agent's reply mentions shipping; the customer asks about something else
    local c = F.conv({ subject = "Connecting our ERP" }, {
      F.thread("customer", "<p>How do we connect our ERP system to your platform?</p>", "2024-05-02T09:00:00Z"),
      F.thread("message", "<p>Thanks! Shipping and tracking of orders will sync once connected.</p>",
        "2024-05-02T10:00:00Z"),
    })
    local body, meta = triage.draft_reply(c)
    assert.is_nil(meta.topic)
    assert.truthy(body:find('Thanks for getting in touch about "Connecting our ERP"', 1, true))
    assert.is_nil(body:lower():find("tracking", 1, true))
  end)

  it("uses the user's templates", function()
    local c = F.conv({}, { F.thread("customer", "Where is my package? The tracking shows nothing.", "2024-05-02T09:00:00Z") })
    local body = triage.draft_reply(c, { templates = { shipping = { ack = "ACK!", next = "NEXT!" } } })
    assert.truthy(body:find("ACK!", 1, true) and body:find("NEXT!", 1, true))
    assert.has_error(function() triage.draft_reply(c, { bogus = 1 }) end)
  end)
end)
