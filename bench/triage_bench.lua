-- luacheck: no max line length
-- Benchmark (not a test): group_by_topic and rank over 10,000 synthetic conversations shaped like
-- the API's (embed=threads), built here deterministically (own LCG, no math.random), then the
-- whole triage report (triage.report: both, plus the report's own work) as `helpscout triage`
-- and the agent tools run it. Times are CPU seconds (os.clock).
--   lua5.4 bench/triage_bench.lua [N]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local triage = require "helpscout.triage"

local N = tonumber(arg and arg[1]) or 10000
local seed = 12345
local function rnd(n) -- Park-Miller: exact in doubles too, so LuaJIT builds the same data
  seed = (seed * 16807) % 2147483647
  return math.floor(seed / 256) % n + 1
end
local function pick(t) return t[rnd(#t)] end

local THEMES = {
  { "Invoice has the wrong VAT number", "My last invoice was charged with the old VAT number, could you re-issue the receipt for accounting?" },
  { "Refund for duplicate purchase", "I bought the annual plan twice by mistake and would like a refund for the second payment." },
  { "Cannot sign in", "I reset my password but I still can't log in, the two-factor code is always rejected." },
  { "Dashboard crashes", "The dashboard crashes with an error 500 whenever I open the reports page, it worked last week." },
  { "Package not delivered", "The tracking number shows my parcel stuck in transit for ten days, the courier has no news." },
  { "Idea: dark mode", "It would be great to have a dark mode and keyboard shortcuts, any plans to add them?" },
  { "Cancel our plan", "We are switching tools next month, please cancel the subscription and don't renew it." },
  { "Getting started", "We just signed up, how do I set up the workspace and invite my teammates?" },
  { "Webhook payloads missing", "Our Zapier zap stopped receiving webhook payloads from the API endpoint after we rotated the key." },
  { "GDPR erasure request", "Under GDPR please erase all personal information you hold about me and confirm in writing." },
}
local FILLER = { "Thanks for the quick help.", "This is blocking our team.", "Could you take a look today?",
  "We have been customers for years.", "Let me know if you need anything else.", "Urgent, please!",
  "Any update on this?", "I attached a screenshot.", "Grüße aus Köln.", "日本からです。" }
local FIRST = { "Pat", "Dana", "Zoë", "José", "Mika", "Sam", "Lee", "Ana" }
local AGENT_REPLIES = { "Thanks for reaching out, I'm looking into it now.", "Could you send a screenshot?",
  "I've escalated this to the team.", "That should be fixed now, can you check?" }

local base = 1714641164 -- 2024-05-02T09:12:44Z
local function iso(t) return triage.format_time(t) end

local convs = {}
for i = 1, N do
  local th = THEMES[rnd(#THEMES)]
  local first = pick(FIRST)
  local created = base - rnd(14 * 86400)
  local threads = {}
  local nthreads = rnd(4)
  local t = created
  for k = 1, nthreads do
    local customer = k % 2 == 1
    local body
    if customer then
      body = "<p>Hi,</p><p>" .. th[2] .. " " .. pick(FILLER) .. "</p><p>Thanks,<br>" .. first .. "</p>"
      if k > 1 then body = body .. '<div class="gmail_quote">On Mon Dana wrote:<blockquote>old text</blockquote></div>' end
    else
      body = "<p>Hi " .. first .. ",</p><p>" .. pick(AGENT_REPLIES) .. "</p>"
    end
    threads[#threads + 1] = 1 -- placeholder, filled below (newest first)
    threads[k] = {
      id = i * 10 + k, type = customer and "customer" or "message", state = "published", status = "active",
      body = body, createdAt = iso(t),
      createdBy = customer and { id = 1000 + i, type = "customer", first = first, last = "Doe" }
        or { id = 7701, type = "user", first = "Dana", last = "Ito" },
    }
    t = t + rnd(20000)
  end
  local rev = {}
  for k = #threads, 1, -1 do rev[#rev + 1] = threads[k] end
  local tags = {}
  if rnd(10) == 1 then tags[1] = { id = 1, tag = "vip" } end
  convs[i] = {
    id = 2400000000 + i, number = 50000 + i, threads = nthreads, type = "email", status = rnd(5) == 1 and "pending" or "active",
    state = "published", subject = th[1], mailboxId = 4821 + rnd(2),
    assignee = rnd(3) == 1 and { id = 7701, type = "user", first = "Dana", last = "Ito" } or nil,
    createdAt = iso(created), userUpdatedAt = iso(t),
    customerWaitingSince = { time = iso(created), friendly = "" },
    primaryCustomer = { id = 1000 + i, first = first, last = "Doe", email = "c" .. i .. "@example.test" },
    tags = tags, _embedded = { threads = rev },
  }
end

collectgarbage()
local t0 = os.clock()
local groups = triage.group_by_topic(convs)
local t1 = os.clock()
local ranked = triage.rank(convs, { now = base })
local t2 = os.clock()
local g_ms, r_ms = (t1 - t0) * 1000, (t2 - t1) * 1000
local sizes = {}
for i, g in ipairs(groups) do sizes[i] = g.topic .. "=" .. g.count end
print(("conversations: %d, groups: %d, most urgent score %d (#%d)"):format(N, #groups, ranked[1].score,
  ranked[1].conversation.number))
print("groups: " .. table.concat(sizes, " "))
-- each synthetic theme has its own subject: share of conversations in their theme's majority group
local right = 0
for _, g in ipairs(groups) do
  local c, best = {}, 0
  for _, conv in ipairs(g.conversations) do
    c[conv.subject] = (c[conv.subject] or 0) + 1
    if c[conv.subject] > best then best = c[conv.subject] end
  end
  right = right + best
end
print(("grouping purity on the synthetic themes: %.1f%%"):format(100 * right / N))
print(("group_by_topic: %8.1f ms  (%8.0f conversations/s)"):format(g_ms, N / (t1 - t0)))
print(("rank:           %8.1f ms  (%8.0f conversations/s)"):format(r_ms, N / (t2 - t1)))
print(("total:          %8.1f ms"):format(g_ms + r_ms))
collectgarbage()
local t4 = os.clock()
local report = triage.report(convs, { now = base })
local rep_ms = (os.clock() - t4) * 1000
print(("triage.report:  %8.1f ms  (%d groups, %d in the attention list; target < 600 ms under Lua 5.4)")
  :format(rep_ms, #report.groups, #report.attention))
local t3 = os.clock()
triage.group_by_topic(convs)
print(("group_by_topic, second run: %.1f ms"):format((os.clock() - t3) * 1000))
