-- The sandbox with --languages, through the real client: 30% of its conversations in German,
-- French, Spanish, Portuguese, Dutch, Italian and Japanese (helpscout.sandbox.corpus_lang, text
-- written apart from the lexicons and the spec corpus: held-out text for the lexicons).
-- Topic accuracy per language and language detection are printed and checked.
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

describe("triage over the sandbox's multilingual inbox (--languages)", function()
  local sb, convs, truth
  setup(function()
    sb = sandbox.start { seed = 42, args = { "--languages" } }
    local hs = helpscout.new { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
    convs = assert(hs:fetch_all("list_conversations", { status = "all", embed = "threads" }, { concurrency = 4 }))
    truth = sb:control("GET", "truth")
  end)
  teardown(function() if sb then sb:stop() end end)

  local function lang_of(c) return truth.languages[string.format("%d", c.id)] or "en" end

  it("seeds a share of every language, and detects them", function()
    local n, right, seen = 0, 0, {}
    for _, c in ipairs(convs) do
      local want = lang_of(c)
      seen[want] = (seen[want] or 0) + 1
      n = n + 1
      if triage.language(c) == want then right = right + 1 end
    end
    for _, code in ipairs { "de", "fr", "es", "pt", "nl", "it", "ja" } do
      assert.is_true((seen[code] or 0) >= 10, code .. ": " .. tostring(seen[code]))
    end
    print(("\nsandbox language detection: %.1f%% (%d/%d)"):format(100 * right / n, right, n))
    assert.is_true(right / n >= 0.95)
  end)

  -- English >= 90% as in triage_accuracy_spec; the other languages' text here is held out from
  -- the lexicons (never tuned on), so the bar is 85%: at the first run, before any change,
  -- de 100, fr 96.0, es 95.8, pt 100, nl 88.5, it 92.0, ja 88.9% (12 to 26 conversations each).
  it("groups English >= 90% and held-out text of every other language >= 85% by true topic", function()
    local groups = triage.group_by_topic(convs)
    local right, n = {}, {}
    for _, g in ipairs(groups) do
      local count = {}
      for _, c in ipairs(g.conversations) do
        local t = truth.topics[string.format("%d", c.id)]
        count[t] = (count[t] or 0) + 1
      end
      local topic = g.topic
      if g.source ~= "lexicon" then -- a data-driven cluster counts for its members' main topic
        local best, bn = nil, -1
        for t, k in pairs(count) do if k > bn or (k == bn and t < best) then best, bn = t, k end end
        topic = best
      end
      for _, c in ipairs(g.conversations) do
        local code = lang_of(c)
        n[code] = (n[code] or 0) + 1
        if truth.topics[string.format("%d", c.id)] == topic then right[code] = (right[code] or 0) + 1 end
      end
    end
    local report = {}
    for _, code in ipairs { "en", "de", "fr", "es", "pt", "nl", "it", "ja" } do
      local acc = (right[code] or 0) / n[code]
      report[#report + 1] = ("%s %.1f%% (%d)"):format(code, 100 * acc, n[code])
    end
    print("\nsandbox topic accuracy by language: " .. table.concat(report, ", "))
    for _, code in ipairs { "en", "de", "fr", "es", "pt", "nl", "it", "ja" } do
      assert.is_true((right[code] or 0) / n[code] >= (code == "en" and 0.90 or 0.85), code)
    end
  end)

  it("summarises a customer with the language of each conversation", function()
    local hs = helpscout.new { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
    local target
    for _, c in ipairs(convs) do
      if lang_of(c) == "fr" and c.primaryCustomer and c.primaryCustomer.email then target = c; break end
    end
    assert.is_table(target)
    local s = assert(triage.customer_summary(hs, target.primaryCustomer.email, { limit = 50 }))
    assert.is_true((s.languages.fr or 0) >= 1)
    local found = false
    for _, row in ipairs(s.conversations) do
      if row.id == target.id then found = true; assert.are.equal("fr", row.language) end
    end
    assert.is_true(found)
    if s.language ~= "en" then assert.truthy(s.text:find("Writes in", 1, true)) end
  end)

  it("shows the languages in the CLI's triage table", function()
    local function shq(v) return "'" .. tostring(v):gsub("'", "'\\''") .. "'" end
    local cfg = os.tmpname()
    os.remove(cfg) -- a config home that does not exist: no token file of the machine's own login
    local p = assert(io.popen(("env HELPSCOUT_BASE_URL=%s HELPSCOUT_CLIENT_ID=%s HELPSCOUT_CLIENT_SECRET=%s "
      .. "XDG_CONFIG_HOME=%s %s bin/helpscout triage --limit 40"):format(shq(sb.url), shq(sb.client_id),
      shq(sb.client_secret), shq(cfg), "lua5.4"))) -- bin/helpscout loads build/5.4
    local out = p:read("*a")
    p:close()
    assert.truthy(out:find("LANG", 1, true), out)
    local codes = 0
    for _, code in ipairs { "de", "fr", "es", "pt", "nl", "it", "ja" } do
      if out:find("%s" .. code .. "%s") then codes = codes + 1 end
    end
    assert.is_true(codes >= 2, out)
  end)

  it("shows the languages in the triage report", function()
    local r = triage.report(convs, { now = sb.now, limit = 0 })
    for _, code in ipairs { "en", "de", "fr", "es", "pt", "nl", "it", "ja" } do
      assert.is_true((r.languages[code] or 0) > 0, code)
    end
  end)
end)
