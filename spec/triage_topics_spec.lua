-- luacheck: no max line length
-- triage.group_by_topic on fixed inputs: lexicon topics, tags as strong evidence, data-driven
-- clusters for themes the lexicon does not name, exactly one group per conversation, determinism.
local triage = require "helpscout.triage"
local F = require "triage_fixtures"

local next_id = 100
local function conv(subject, body, tags, agent_body)
  next_id = next_id + 1
  local threads = { F.thread("customer", body, "2024-05-02T09:00:00Z") }
  if agent_body then threads[2] = F.thread("message", agent_body, "2024-05-02T10:00:00Z") end
  local tl = {}
  for i, t in ipairs(tags or {}) do tl[i] = { id = i, color = "#929499", tag = t } end
  return F.conv({ id = next_id, number = next_id, subject = subject, tags = tl }, threads)
end

local function group_of(groups, c)
  local found
  for _, g in ipairs(groups) do
    for _, x in ipairs(g.conversations) do
      if x == c then
        assert.is_nil(found, "conversation in two groups")
        found = g
      end
    end
  end
  return found
end

describe("triage.group_by_topic", function()
  local cases = {
    { "billing", "Invoice shows the wrong VAT number", "<p>My last invoice was charged with the old VAT number, can you re-issue the receipt?</p>" },
    { "refunds", "Money back please", "I bought the yearly plan by mistake yesterday. Can I get a refund?" },
    { "login", "Can't sign in", "<p>I reset my password twice but still can&#39;t log in. The 2FA code is rejected.</p>" },
    { "bugs", "Export page crashes", "Every time I open the report it crashes with an error 500. Something went wrong." },
    { "shipping", "Where is my package?", "The tracking number shows the parcel stuck in transit for a week, courier says nothing." },
    { "feature_requests", "Suggestion: dark mode", "It would be great to have a dark mode. Any plans to add it to the roadmap?" },
    { "cancellations", "Please cancel", "We're switching to another tool, please cancel our subscription and don't renew." },
    { "onboarding", "Getting started", "We just signed up. How do I set up the workspace and invite my teammates? Is there a tutorial?" },
  }

  it("places plainly worded conversations in their lexicon topic", function()
    local convs = {}
    for i, c in ipairs(cases) do convs[i] = conv(c[2], c[3]) end
    local groups, topic_of = triage.group_by_topic(convs)
    for i, c in ipairs(cases) do
      local g = group_of(groups, convs[i])
      assert.are.equal(c[1], g.topic, c[2])
      assert.are.equal(c[1], topic_of[convs[i].id])
      assert.are.equal("lexicon", g.source)
      assert.is_true(#g.keywords > 0)
      assert.is_string(g.label)
    end
  end)

  it("treats tags as strong evidence", function()
    local c = conv("Quick question", "Please have a look at order 1234 when you can.", { "Refunds" })
    local groups = triage.group_by_topic({ c })
    assert.are.equal("refunds", groups[1].topic)
    assert.truthy(table.concat(groups[1].keywords, ","):find("tag:refunds", 1, true))
  end)

  it("gives the customer's words more weight than the agent's", function()
    local c = conv("Help", "I was charged twice on my card this month, please check the invoice.", nil,
      "Hi Pat, sorry! If you want to cancel, I can also cancel the subscription.")
    local groups = triage.group_by_topic({ c })
    assert.are.equal("billing", groups[1].topic)
  end)

  local function theme_fixture()
    local convs = {}
    local theme = {
      { "Kubernetes helm chart", "Our kubernetes cluster rejects the helm chart values for the ingress." },
      { "Helm upgrade", "The helm release on kubernetes fails the readiness probe after the upgrade." },
      { "Ingress on k8s", "Which kubernetes ingress annotations does the helm chart expect?" },
      { "Pods restarting", "Pods in our kubernetes namespace restart, helm values look right." },
      { "Kubernetes namespace", "Can the helm chart deploy into a custom kubernetes namespace?" },
      { "Helm values", "Where are the ingress values for the helm chart on kubernetes documented?" },
    }
    for _, t in ipairs(theme) do convs[#convs + 1] = conv(t[1], t[2]) ; convs[#convs].theme = true end
    for i = 1, 3 do
      for _, c in ipairs(cases) do convs[#convs + 1] = conv(c[2] .. " " .. i, c[3]) ; convs[#convs].truth = c[1] end
    end
    return convs
  end

  it("clusters a theme the lexicon does not name instead of scattering it", function()
    local convs = theme_fixture()
    local groups = triage.group_by_topic(convs)
    local cluster
    for _, c in ipairs(convs) do
      local g = group_of(groups, c)
      assert.is_table(g, "every conversation is in a group")
      if c.theme then
        cluster = cluster or g
        assert.are.equal(cluster, g, "theme conversations share one group")
      else
        assert.are.equal(c.truth, g.topic)
      end
    end
    assert.are.equal("cluster", cluster.source)
    assert.are.equal(6, cluster.count)
    local kw = table.concat(cluster.keywords, " ")
    assert.truthy(kw:find("kubernetes", 1, true) and kw:find("helm", 1, true), kw)
    assert.truthy(cluster.label:find("kubernetes", 1, true) or cluster.label:find("helm", 1, true))
  end)

  it("is deterministic and independent of input order", function()
    local convs = theme_fixture()
    local function shape(groups)
      local out = {}
      for _, g in ipairs(groups) do
        local ids = {}
        for i, c in ipairs(g.conversations) do ids[i] = c.id end
        out[#out + 1] = { g.topic, g.label, table.concat(g.keywords, ","), table.concat(ids, ",") }
      end
      return out
    end
    local a = shape(triage.group_by_topic(convs))
    local rev = {}
    for i = #convs, 1, -1 do rev[#rev + 1] = convs[i] end
    local b = shape(triage.group_by_topic(rev))
    assert.are.same(a, b)
    local total = 0
    for _, g in ipairs(triage.group_by_topic(convs)) do total = total + g.count end
    assert.are.equal(#convs, total)
  end)

  it("lets users extend or replace the lexicon", function()
    local c1 = conv("Kubernetes helm chart", "Our kubernetes cluster rejects the helm chart.")
    local c2 = conv("Invoice", "Wrong invoice amount.")
    local groups = triage.group_by_topic({ c1, c2 },
      { lexicon = { deploy = { label = "Deployments", terms = { kubernetes = 3, ["helm chart"] = 3 } } } })
    assert.are.equal("deploy", group_of(groups, c1).topic)
    assert.are.equal("Deployments", group_of(groups, c1).label)
    assert.are.equal("billing", group_of(groups, c2).topic)
    groups = triage.group_by_topic({ c1, c2 }, { replace_lexicon = true, clusters = false,
      lexicon = { { id = "deploy", terms = { "kubernetes" } } } })
    assert.are.equal("deploy", group_of(groups, c1).topic)
    assert.are.equal("other", group_of(groups, c2).topic)
  end)

  it("handles empty input, conversations without text and bad options", function()
    assert.are.same({}, triage.group_by_topic({}))
    local groups = triage.group_by_topic({ { id = 1 }, { id = 2, subject = "" } })
    assert.are.equal(1, #groups)
    assert.are.equal("other", groups[1].topic)
    assert.are.equal(2, groups[1].count)
    assert.has_error(function() triage.group_by_topic({}, { clusterz = true }) end)
    assert.has_error(function() triage.group_by_topic({ 5 }) end)
  end)

  it("classifies non-ASCII text and HTML-heavy bodies", function()
    local c = conv("Rückerstattung / refund", "<div><p>Bitte um R&uuml;ckerstattung &ndash; I&rsquo;d like a <b>refund</b>.</p></div>")
    assert.are.equal("refunds", triage.group_by_topic({ c })[1].topic)
    assert.are.equal("refunds", (triage.classify(c)))
  end)
end)
