-- luacheck: no max line length
-- draft_reply in the customer's language: for every conversation of the multilingual corpus
-- the draft is in the conversation's language (meta.language), opens with that language's
-- greeting, carries the topic's next step in that language and signs off in it.
local triage = require "helpscout.triage"
local corpus = require "triage_lang_corpus"
local lang = require "helpscout.triage.lang"

describe("draft_reply in the customer's language", function()
  it("writes every corpus draft in the conversation's language, with its topic's next step", function()
    local report = {}
    for _, code in ipairs(corpus.CODES) do
      local reply = lang.data(code).reply
      local right, convs = 0, corpus.load(code)
      for _, c in ipairs(convs) do
        local body, meta = triage.draft_reply(c)
        assert.are.equal(code, meta.language, c.subject)
        local greeting = reply.greeting:format("Kim")
        assert.are.equal(greeting, body:sub(1, #greeting), c.subject)
        assert.truthy(body:find(reply.sign_off, 1, true), c.subject)
        assert.truthy(body:find(reply.team, 1, true), c.subject)
        assert.truthy(meta.html:find("<p>", 1, true))
        local tpl = reply.templates[meta.topic or "default"]
        assert.truthy(body:find(tpl.next, 1, true), c.subject)
        if meta.topic == c._topic then right = right + 1 end
      end
      report[#report + 1] = ("%s %d/%d"):format(code, right, #convs)
    end
    print("\ndrafts with the conversation's own topic template: " .. table.concat(report, ", "))
  end)

  it("has a template for every topic of the lexicon in every language", function()
    for _, code in ipairs(corpus.CODES) do
      local reply = lang.data(code).reply
      for _, key in ipairs { "default", "billing", "refunds", "login", "bugs", "shipping", "feature_requests",
          "cancellations", "data_privacy", "onboarding" } do
        local t = reply.templates[key]
        assert.is_table(t, code .. " " .. key)
        assert.is_string(t.ack); assert.is_string(t.next)
      end
      for _, k in ipairs { "greeting", "greeting_anon", "about", "asked", "wrote", "sign_off", "team" } do
        assert.is_string(reply[k], code .. " " .. k)
      end
      assert.truthy(reply.greeting:find("%s", 1, true))
    end
  end)

  local function conv(subject, body, first)
    return { id = 7, subject = subject, primaryCustomer = { id = 3, first = first },
      _embedded = { threads = { { id = 1, type = "customer", body = body, createdBy = { id = 3, type = "customer" } } } } }
  end

  it("greets without a name in the customer's language", function()
    local body, meta = triage.draft_reply(conv("Colis", "Bonjour, mon colis n'est jamais arrivé, le suivi est bloqué depuis une semaine."))
    assert.are.equal("fr", meta.language)
    assert.are.equal("shipping", meta.topic)
    assert.are.equal("Bonjour,", body:match("^[^\n]+"))
  end)

  it("quotes a Japanese question and thanks in Japanese when the topic is unsure", function()
    local body, meta = triage.draft_reply(conv("ご相談", "お世話になっております。来週の打ち合わせの時間は何時がよろしいでしょうか？", "Taro"))
    assert.are.equal("ja", meta.language)
    assert.is_nil(meta.topic)
    assert.truthy(body:find("Taro 様", 1, true))
    assert.truthy(body:find(lang.data("ja").reply.about:format("ご相談"), 1, true))
    assert.truthy(meta.question and meta.question:find("何時", 1, true))
  end)

  it("writes English for English, and where a language has no template for the topic", function()
    local body, meta = triage.draft_reply(conv("Refund", "Hi, I was charged twice, please refund the second payment.", "Pat"))
    assert.are.equal("en", meta.language)
    assert.truthy(body:find("^Hi Pat,"))
    -- a topic only the user's English templates know: English, said so in meta.language
    body, meta = triage.draft_reply(conv("Webhook", "Hallo, unser Webhook kommt nicht an, bitte prüfen Sie das.", "Jan"),
      { topic = "integrations", templates = { integrations = { ack = "Thanks for the details.", next = "NEXT" } } })
    assert.are.equal("en", meta.language)
    assert.truthy(body:find("^Hi Jan,")); assert.truthy(body:find("NEXT", 1, true))
  end)

  it("takes the user's templates per language, and opts.language over detection", function()
    local c = conv("Rechnung", "Hallo, meine Rechnung ist falsch, bitte korrigieren.", "Jan")
    local body, meta = triage.draft_reply(c, { templates = { de = { billing = { ack = "ACK-DE", next = "NEXT-DE" } } } })
    assert.are.equal("de", meta.language)
    assert.truthy(body:find("ACK-DE", 1, true) and body:find("NEXT-DE", 1, true))
    body, meta = triage.draft_reply(c, { language = "fr" })
    assert.are.equal("fr", meta.language)
    assert.truthy(body:find("^Bonjour Jan,"))
    body, meta = triage.draft_reply(c, { language = "xx" })
    assert.truthy(body:find("^Hi Jan,"))
    assert.are.equal("en", meta.language)
    assert.has_error(function() triage.draft_reply(c, { language = 1 }) end,
      "bad option 'language' (string expected, e.g. \"de\")")
  end)
end)
