-- luacheck: no max line length
-- Triage in the languages Help Scout customers write: detection, tokens, topics.
-- The corpus (spec/fixtures/lang/<code>.lua) is hand-written: 6 conversations or more per topic
-- and language, as customers write (typos, missing accents, greetings of every kind).
-- Accuracy is printed per language and must be >= 90% for topics, >= 95% for detection.
local triage = require "helpscout.triage"
local topics = require "helpscout.triage.topics"
local corpus = require "triage_lang_corpus"

local function by_topic(groups)
  local right, n, miss = {}, {}, {}
  for _, g in ipairs(groups) do
    for _, c in ipairs(g.conversations) do
      n[c._lang] = (n[c._lang] or 0) + 1
      if g.topic == c._topic then right[c._lang] = (right[c._lang] or 0) + 1
      else miss[#miss + 1] = ("%s %s -> %s: %s"):format(c._lang, c._topic, g.topic, c.subject) end
    end
  end
  return right, n, miss
end

describe("the multilingual corpus", function()
  it("has at least 6 conversations per topic in every language", function()
    for _, code in ipairs(corpus.CODES) do
      local count = {}
      for _, row in ipairs(require("fixtures.lang." .. code)) do
        count[row[1]] = (count[row[1]] or 0) + 1
        assert.is_string(row[2]); assert.is_string(row[3])
      end
      for _, t in ipairs(corpus.TOPICS) do
        assert.is_true((count[t] or 0) >= 6, code .. " " .. t .. ": " .. tostring(count[t]))
      end
    end
  end)
end)

describe("triage.language", function()
  it("detects the language of >= 95% of the corpus, per language", function()
    local report = {}
    for _, code in ipairs(corpus.CODES) do
      local right, convs = 0, corpus.load(code)
      for _, c in ipairs(convs) do
        if triage.language(c) == code then right = right + 1 end
      end
      report[#report + 1] = ("%s %d/%d"):format(code, right, #convs)
      assert.is_true(right / #convs >= 0.95, code .. ": " .. right .. "/" .. #convs)
    end
    print("\nlanguage detection: " .. table.concat(report, ", "))
  end)

  it("says English for English, nil when there is too little to tell", function()
    local function conv(subject, body)
      return { subject = subject, _embedded = { threads = { { id = 1, type = "customer", body = body } } } }
    end
    assert.are.equal("en", triage.language(conv("Invoice", "Hi, my invoice shows the wrong address. Can you fix it please?")))
    assert.is_nil(triage.language(conv("Rechnung", "")))
    assert.is_nil(triage.language({}))
    assert.is_nil(triage.language(conv(nil, "ok 123")))
    assert.are.equal("ja", triage.language(conv("請求書", "請求書を再発行してください。お願いします。")))
    -- agents' replies do not count: a German customer answered in English stays German
    local c = conv("Frage", "Hallo, ich habe eine Frage zu meiner Rechnung, bitte melden Sie sich.")
    table.insert(c._embedded.threads, 1, { id = 2, type = "message", createdBy = { type = "user" },
      body = "Hi there, thanks for your message, we will get back to you with the details soon." })
    assert.are.equal("de", triage.language(c))
  end)

  it("raises on a non-table", function()
    assert.has_error(function() triage.language("x") end,
      "bad argument #1 to 'language' (conversation table expected, got string)")
  end)

  it("lists its languages", function()
    assert.are.same({ "en", "de", "fr", "es", "pt", "nl", "it", "ja" }, triage.LANGUAGES)
  end)
end)

describe("tokens across languages", function()
  it("folds accents and umlauts, splits French and Italian elisions", function()
    assert.are.same({ "ruckerstattung", "fur", "ete" }, topics.tokens("Rückerstattung für ÉTÉ"))
    assert.are.same({ "l", "adress", "dell", "ordin" }, topics.tokens("l'adresse dell’ordine"))
    assert.are.same({ "cant", "im" }, topics.tokens("can't I'm"))
  end)

  it("cuts CJK text into character bigrams at punctuation", function()
    assert.are.same({ "返金", "金し", "して", "てく", "くだ", "ださ", "さい", "請求" }, topics.tokens("返金してください。請求"))
  end)
end)

describe("group_by_topic in every language", function()
  it("puts >= 90% of each language's conversations in their topic (each language alone)", function()
    local report = {}
    for _, code in ipairs(corpus.CODES) do
      local convs = corpus.load(code)
      local right, n, miss = by_topic(triage.group_by_topic(convs))
      local acc = (right[code] or 0) / n[code]
      report[#report + 1] = ("%s %.1f%%"):format(code, 100 * acc)
      assert.is_true(acc >= 0.90, code .. " " .. acc .. "\n" .. table.concat(miss, "\n"))
    end
    print("\ntopic accuracy, one language at a time: " .. table.concat(report, ", "))
  end)

  it("puts >= 90% of each language's conversations in their topic (all languages in one inbox)", function()
    local convs = corpus.load()
    local groups = triage.group_by_topic(convs)
    local right, n, miss = by_topic(groups)
    local report = {}
    for _, code in ipairs(corpus.CODES) do
      local acc = (right[code] or 0) / n[code]
      report[#report + 1] = ("%s %.1f%%"):format(code, 100 * acc)
      assert.is_true(acc >= 0.90, code .. " " .. acc .. "\n" .. table.concat(miss, "\n"))
    end
    print("\ntopic accuracy, all languages together: " .. table.concat(report, ", "))
    -- one label set: every group is a lexicon topic, labelled in English, holding every language
    for _, g in ipairs(groups) do
      local langs = {}
      for _, c in ipairs(g.conversations) do langs[c._lang] = true end
      local k = 0
      for _ in pairs(langs) do k = k + 1 end
      assert.is_true(k >= 6, g.topic .. " holds " .. k .. " languages")
    end
  end)

  it("puts a German and an English billing conversation in one group", function()
    local function conv(id, subject, body)
      return { id = id, subject = subject, _embedded = { threads = { { id = id, type = "customer", body = body } } } }
    end
    local groups, topic_of = triage.group_by_topic({
      conv(1, "Invoice wrong", "Hi, the invoice for May has the wrong VAT number, please re-issue it."),
      conv(2, "Rechnung falsch", "Hallo, auf der Rechnung für Mai steht die falsche USt-IdNr, bitte neu ausstellen."),
      conv(3, "請求書の再発行", "請求書の宛名が違います。再発行をお願いします。"),
    })
    assert.are.equal(1, #groups)
    assert.are.equal("billing", groups[1].topic)
    assert.are.equal("Billing & payments", groups[1].label)
    assert.are.same({ [1] = "billing", [2] = "billing", [3] = "billing" }, topic_of)
    assert.are.same({ en = 1, de = 1, ja = 1 }, groups[1].languages)
  end)

  it("matches German and Dutch compounds by their parts", function()
    local function conv(subject, body)
      return { subject = subject, _embedded = { threads = { { id = 1, type = "customer", body = body } } } }
    end
    -- neither word is a lexicon term of its own: "*rechnung" and "sendungs*"/"*verfolgung"
    local id, _, _, confident = triage.classify(conv("Jahresabrechnung", "Hallo, die Jahresabrechnung ist doppelt, bitte prüfen. Danke"))
    assert.are.equal("billing", id); assert.is_true(confident)
    id = triage.classify(conv("Wachtwoordherstel", "Hoi, het wachtwoordherstel werkt niet, ik kan niet inloggen. Groet"))
    assert.are.equal("login", id)
  end)

  it("keeps the lexicon's language data out of a replaced lexicon", function()
    local groups = triage.group_by_topic({ { id = 1, subject = "Rechnung", _embedded = { threads = {
      { id = 1, type = "customer", body = "Hallo, die Rechnung ist falsch, bitte neu ausstellen." } } } } },
      { replace_lexicon = true, lexicon = { { id = "orders", terms = { order = 3 } } } })
    assert.are_not.equal("billing", groups[1].topic)
  end)
end)

describe("triage.report with languages", function()
  it("gives each attention entry its language and counts languages per group", function()
    local convs = corpus.load()
    local lang_of = {}
    for _, c in ipairs(convs) do lang_of[c.id] = c._lang end
    local r = triage.report(convs, { now = "2024-05-03T00:00:00Z", limit = 50 })
    assert.are.equal(50, #r.attention)
    for _, a in ipairs(r.attention) do assert.are.equal(lang_of[a.id], a.language) end
    local total = 0
    for _, g in ipairs(r.groups) do
      local n = 0
      for _, k in pairs(g.languages) do n = n + k end
      assert.are.equal(g.count, n)
      total = total + n
    end
    assert.are.equal(#convs, total)
    for _, code in ipairs(corpus.CODES) do assert.are.equal(48, r.languages[code]) end
  end)
end)
