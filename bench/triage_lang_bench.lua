-- luacheck: no max line length
-- Benchmark (not a test): triage of 10,000 mixed-language conversations, 70% English (the
-- themes of bench/triage_bench.lua's kind) and 30% German, French, Spanish, Portuguese, Dutch,
-- Italian and Japanese (the sandbox's --languages texts, helpscout.sandbox.corpus_lang), built
-- deterministically. Prints group_by_topic, rank and triage.report times (CPU seconds), topic
-- purity per language, and the memory of the loaded lexicons.
--   lua5.4 bench/triage_lang_bench.lua [N]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
collectgarbage(); collectgarbage()
local m0 = collectgarbage("count")
local triage = require "helpscout.triage"
triage.group_by_topic({ { id = 1, subject = "x" } })
collectgarbage(); collectgarbage()
local lex_kb = collectgarbage("count") - m0
local texts = require("helpscout.sandbox.corpus_lang").texts

local N = tonumber(arg and arg[1]) or 10000
local seed = 4242
local function rnd(n)
  seed = (seed * 16807) % 2147483647
  return math.floor(seed / 256) % n + 1
end
local function pick(t) return t[rnd(#t)] end

local TOPICS = { "billing", "refunds", "login", "bugs", "shipping", "feature_requests", "cancellations", "data_privacy" }
local EN = {
  billing = { "Invoice has the wrong VAT number", "My last invoice was charged with the old VAT number, could you re-issue the receipt?" },
  refunds = { "Refund for duplicate purchase", "I bought the annual plan twice by mistake and would like a refund for the second payment." },
  login = { "Cannot sign in", "I reset my password but I still can't log in, the two-factor code is always rejected." },
  bugs = { "Dashboard crashes", "The dashboard crashes with an error 500 whenever I open the reports page." },
  shipping = { "Package not delivered", "The tracking number shows my parcel stuck in transit for ten days." },
  feature_requests = { "Idea: dark mode", "It would be great to have a dark mode, any plans to add it?" },
  cancellations = { "Cancel our plan", "We are switching tools next month, please cancel the subscription and don't renew it." },
  data_privacy = { "GDPR erasure request", "Under GDPR please erase all personal information you hold about me." },
}
local CODES = { "de", "fr", "es", "pt", "nl", "it", "ja" }
local base = 1714641164
local function iso(t) return triage.format_time(t) end

local convs = {}
for i = 1, N do
  local topic = TOPICS[rnd(#TOPICS)]
  local code = rnd(10) <= 3 and CODES[rnd(#CODES)] or "en"
  local subject, body
  if code == "en" then subject, body = EN[topic][1], EN[topic][2]
  else
    local T = texts[code]
    subject = pick(T[topic][1])
    body = pick(T.greetings) .. " " .. pick(T[topic][2]) .. " " .. pick(T.closings)
  end
  local t = base - rnd(14 * 86400)
  local threads = { { id = i * 10 + 1, type = "customer", state = "published", body = "<p>" .. body .. "</p>", createdAt = iso(t),
    createdBy = { id = 1000 + i, type = "customer", first = "Kim", last = "Lee" } } }
  if rnd(2) == 1 then
    table.insert(threads, 1, { id = i * 10 + 2, type = "message", state = "published", createdAt = iso(t + 3600),
      body = "<p>Hi Kim,</p><p>Thanks for reaching out, I'm looking into it now.</p>",
      createdBy = { id = 7701, type = "user", first = "Dana", last = "Ito" } })
  end
  convs[i] = { id = 3400000000 + i, number = 70000 + i, subject = subject, status = "active", state = "published",
    createdAt = iso(t), customerWaitingSince = { time = iso(t) },
    primaryCustomer = { id = 1000 + i, first = "Kim", last = "Lee", email = "k" .. i .. "@example.test" },
    _embedded = { threads = threads }, _topic = topic, _lang = code }
end

collectgarbage()
local t0 = os.clock()
local groups = triage.group_by_topic(convs)
local t1 = os.clock()
triage.rank(convs, { now = base })
local t2 = os.clock()
local right, n = {}, {}
for _, g in ipairs(groups) do
  for _, c in ipairs(g.conversations) do
    n[c._lang] = (n[c._lang] or 0) + 1
    if g.topic == c._topic then right[c._lang] = (right[c._lang] or 0) + 1 end
  end
end
local acc = {}
for _, code in ipairs { "en", "de", "fr", "es", "pt", "nl", "it", "ja" } do
  acc[#acc + 1] = ("%s %.1f%%"):format(code, 100 * (right[code] or 0) / (n[code] or 1))
end
print(("conversations: %d (30%% in other languages), groups: %d"):format(N, #groups))
print("topic accuracy by language: " .. table.concat(acc, ", "))
print(("group_by_topic: %8.1f ms"):format((t1 - t0) * 1000))
print(("rank:           %8.1f ms"):format((t2 - t1) * 1000))
collectgarbage()
local t3 = os.clock()
triage.report(convs, { now = base })
print(("triage.report:  %8.1f ms"):format((os.clock() - t3) * 1000))
print(("loaded triage with every language's lexicon, compiled: %.0f KB"):format(lex_kb))
