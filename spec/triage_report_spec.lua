-- luacheck: no max line length
-- triage.report: the shared triage report as plain data (CLI, examples and agent tools use it).
local triage = require "helpscout.triage"
local F = require "triage_fixtures"

local NOW = "2024-05-04T09:12:44Z"

-- a small inbox: an urgent chased VIP billing question, a fresh login question, an answered one
local function inbox()
  local urgent = F.conv({ id = 1001, number = 11, subject = "URGENT: invoice charged twice",
    tags = { { id = 1, tag = "vip" } }, customerWaitingSince = { time = "2024-05-01T09:12:44Z" } }, {
    F.thread("customer", "<p>My invoice was charged twice, please refund asap.</p>", "2024-05-01T09:12:44Z"),
    F.thread("customer", "<p>Any update? Still waiting.</p>", "2024-05-03T09:12:44Z"),
  })
  local fresh = F.conv({ id = 1002, number = 12, subject = "Cannot log in",
    customerWaitingSince = { time = "2024-05-04T08:12:44Z" } }, {
    F.thread("customer", "<p>I reset my password but cannot log in.</p>", "2024-05-04T08:12:44Z"),
  })
  local answered = F.conv({ id = 1003, number = 13, subject = "How do I export?", assignee = F.agent,
    userUpdatedAt = "2024-05-02T10:00:00Z" }, {
    F.thread("customer", "How do I export a report?", "2024-05-02T09:12:44Z"),
    F.thread("message", "Reports > Export.", "2024-05-02T10:00:00Z"),
  })
  return { fresh, answered, urgent }
end

describe("triage.report", function()
  it("ranks what needs attention first, with level, score and reasons, and counts every level", function()
    local r = triage.report(inbox(), { now = NOW })
    assert.are.equal(3, r.total)
    assert.are.equal("2024-05-04T09:12:44Z", r.generated_at)
    assert.are.equal(3, #r.attention)
    local first = r.attention[1]
    assert.are.equal(1001, first.id)
    assert.are.equal(11, first.number)
    assert.are.equal("urgent", first.level)
    assert.are.equal("Pat Lee", first.customer)
    assert.is_true(#first.reasons >= 3, table.concat(first.reasons, "|"))
    assert.are.equal(3 * 86400, first.waiting)
    for i = 2, #r.attention do assert.is_true(r.attention[i - 1].score >= r.attention[i].score) end
    assert.are.equal(1003, r.attention[3].id)
    local n = 0
    for _, l in ipairs(triage.LEVELS) do n = n + r.levels[l] end
    assert.are.equal(3, n)
    assert.are.equal(1, r.levels.urgent)
  end)

  it("puts every conversation in exactly one group, with keywords, levels and its most urgent one", function()
    local convs = inbox()
    local r = triage.report(convs, { now = NOW })
    local seen, total = {}, 0
    for _, g in ipairs(r.groups) do
      assert.is_string(g.topic); assert.is_string(g.label); assert.is_table(g.keywords)
      assert.are.equal(g.count, #g.conversation_ids)
      total = total + g.count
      local lv = 0
      for _, l in ipairs(triage.LEVELS) do lv = lv + g.levels[l] end
      assert.are.equal(g.count, lv)
      for _, id in ipairs(g.conversation_ids) do
        assert.is_nil(seen[id]); seen[id] = g.topic
      end
      assert.is_truthy(seen[g.top.id] == g.topic)
    end
    assert.are.equal(3, total)
    -- attention entries name the group their conversation is in
    for _, a in ipairs(r.attention) do assert.are.equal(seen[a.id], a.topic) end
    -- the same report as group_by_topic + rank give (one decision, not a copy)
    local groups = triage.group_by_topic(convs)
    assert.are.equal(#groups, #r.groups)
    assert.are.same(triage.rank(convs, { now = NOW })[1].reasons, r.attention[1].reasons)
  end)

  it("limits the attention list and passes priority and topic options through", function()
    local r = triage.report(inbox(), { now = NOW, limit = 1 })
    assert.are.equal(1, #r.attention)
    assert.are.equal(3, r.total)
    assert.are.equal(0, #triage.report(inbox(), { now = NOW, limit = 0 }).attention)
    local no_vip = triage.report(inbox(), { now = NOW, priority = { vip_tags = { "gold" } } })
    local with_vip = triage.report(inbox(), { now = NOW })
    assert.is_true(no_vip.attention[1].score < with_vip.attention[1].score)
    local other = triage.report(inbox(), { now = NOW, topics = { other_label = "Misc" } })
    assert.are.equal(3, other.total)
  end)

  it("is empty but well formed for no conversations", function()
    local r = triage.report({}, { now = NOW })
    assert.are.equal(0, r.total)
    assert.are.equal(0, #r.groups)
    assert.are.equal(0, #r.attention)
    assert.are.same({ urgent = 0, high = 0, normal = 0, low = 0 }, r.levels)
  end)

  it("refuses bad input with an argument error naming the problem", function()
    assert.has_error(function() triage.report("x") end, "bad argument #1 to 'report' (table of conversations expected, got string)")
    assert.has_error(function() triage.report({}, { limt = 3 }) end,
      "bad argument #2 to 'report' (unknown option 'limt'; valid: limit, now, priority, topics)")
    assert.has_error(function() triage.report({}, { limit = -1 }) end,
      "bad argument #2 to 'report' (option 'limit' must be a non-negative integer)")
    assert.has_error(function() triage.report({}, { priority = { weigths = {} } }) end)
    assert.has_error(function() triage.report({}, { now = "yesterday" }) end)
  end)
end)
