-- Seeded data for the sandbox: mailboxes, users, customers, conversations and threads, generated
-- deterministically from a seed with our own PRNG (Park-Miller; exact in doubles and in 5.4
-- integers, so LuaJIT and Lua 5.4 produce identical data). Times are relative to `now`.
-- Every conversation records its true topic in store.truth (never exposed through /v2).
-- Records are internal (epoch times, ids of related objects); api.lua renders them as JSON.
local corpus = require "helpscout.sandbox.corpus"
local corpus_lang = require "helpscout.sandbox.corpus_lang"

local hstime = require "helpscout.time"
local floor, max, format, concat = math.floor, math.max, string.format, table.concat
local gsub, lower, upper, sub, match = string.gsub, string.lower, string.upper, string.sub, string.match
local pairs, ipairs, tostring, tonumber, sort, type = pairs, ipairs, tostring, tonumber, table.sort, type

local _M = {}

_M.CONVERSATION_BASE = 2400000000
_M.THREAD_BASE = 3300000000

-- PRNG -------------------------------------------------------------------------------------------

local function new_rng(seed)
  local s = floor(tonumber(seed) or 42) % 2147483646
  if s < 0 then s = s + 2147483646 end
  s = s + 1
  local r = {}
  local function next_state()
    s = (s * 16807) % 2147483647
    return s
  end
  -- int(n): 1..n; int(a, b): a..b; float(): [0, 1)
  function r.int(a, b)
    local v = next_state()
    if b then return a + v % (b - a + 1) end
    return v % a + 1
  end
  function r.float() return (next_state() - 1) / 2147483646 end
  function r.chance(p) return r.float() < p end
  function r.pick(t) return t[r.int(#t)] end
  for _ = 1, 12 do next_state() end
  return r
end
_M.new_rng = new_rng

-- Dates ------------------------------------------------------------------------------------------

-- Parses "yyyy-MM-ddTHH:mm:ssZ" (the only accepted form, with a date that exists) into epoch
-- seconds, or nil.
_M.parse_date = hstime.parse_api

function _M.iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", floor(t))
end

function _M.friendly(t, now)
  local d = now - t
  if d < 60 then return "just now" end
  local function unit(n, w) return n .. " " .. w .. (n == 1 and "" or "s") .. " ago" end
  if d < 3600 then return unit(floor(d / 60), "minute") end
  if d < 86400 then return unit(floor(d / 3600), "hour") end
  if d < 86400 * 30 then return unit(floor(d / 86400), "day") end
  return unit(floor(d / (86400 * 30)), "month")
end

-- Text helpers -----------------------------------------------------------------------------------

local function html_escape(s, apos)
  s = gsub(s, "&", "&amp;")
  s = gsub(s, "<", "&lt;")
  s = gsub(s, ">", "&gt;")
  if apos then s = gsub(s, "'", "&#39;") end
  return s
end
_M.html_escape = html_escape

-- Strips tags and decodes the common entities: used for previews and "> " quoting.
function _M.html_to_text(s)
  s = gsub(s, "<[bB][rR]%s*/?>", "\n")
  s = gsub(s, "</[pP]>", "\n")
  s = gsub(s, "</?[dD][iI][vV][^>]*>", "\n")
  s = gsub(s, "<li>", "\n- ")
  s = gsub(s, "<[^>]+>", "")
  s = gsub(s, "&nbsp;", " ")
  s = gsub(s, "&lt;", "<")
  s = gsub(s, "&gt;", ">")
  s = gsub(s, "&quot;", '"')
  s = gsub(s, "&#39;", "'")
  s = gsub(s, "&amp;", "&")
  s = gsub(s, "\n%s*\n+", "\n")
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

function _M.preview(body)
  local t = gsub(_M.html_to_text(body or ""), "%s+", " ")
  if #t > 160 then
    t = sub(t, 1, 157)
    -- do not cut a UTF-8 sequence in half
    t = gsub(t, "[\192-\255][\128-\191]*$", "")
    t = t .. "…"
  end
  return t
end

local function fill(s, vars)
  return (gsub(s, "{([%w_]+)}", function(k) return vars[k] or ("{" .. k .. "}") end))
end

-- Introduces the kind of slips people make when typing fast.
local function typo(rng, s)
  local r = rng.int(5)
  if r == 1 then
    s = gsub(s, "n't", "nt", 1)
  elseif r == 2 then
    s = lower(sub(s, 1, 1)) .. sub(s, 2)
  elseif r == 3 then
    local words = {}
    for w in s:gmatch("%S+") do words[#words + 1] = w end
    local i = rng.int(#words)
    local w = words[i]
    if #w > 4 and not w:find("[\128-\255{]") then
      local p = rng.int(#w - 2)
      words[i] = sub(w, 1, p - 1) .. sub(w, p + 1, p + 1) .. sub(w, p, p) .. sub(w, p + 2)
    end
    s = concat(words, " ")
  elseif r == 4 then
    s = gsub(s, "%.$", "..")
  else
    s = gsub(s, " the ", " teh ", 1)
  end
  return s
end

-- Generation -------------------------------------------------------------------------------------

local MAILBOXES = {
  { id = 4821, name = "Customer Support", email = "support@kestrel.example", created = 1549872900 },
  { id = 5307, name = "Billing & Accounts", email = "billing@kestrel.example", created = 1561972800 },
  { id = 6142, name = "Hardware Orders", email = "orders@kestrel.example", created = 1612180800 },
}
local FOLDERS = { { "Unassigned", "open" }, { "Mine", "mytickets" }, { "Assigned", "assigned" },
  { "Closed", "closed" }, { "Spam", "spam" }, { "Drafts", "drafts" } }

local USERS = {
  { 7701, "Dana", "Ito", "dana@kestrel.example", "owner", "America/New_York", "Head of Support", { 4821, 5307, 6142 } },
  { 7702, "Léa", "Moreau", "lea@kestrel.example", "admin", "Europe/Paris", "Support Lead", { 4821, 5307, 6142 } },
  { 7705, "Jürgen", "Schmidt", "juergen@kestrel.example", "user", "Europe/Berlin", "Support Engineer", { 4821, 6142 } },
  { 7709, "Priya", "Raman", "priya@kestrel.example", "user", "Asia/Kolkata", "Billing Specialist", { 4821, 5307 } },
  { 7712, "Marcus", "Öberg", "marcus@kestrel.example", "user", "Europe/Stockholm", "Hardware Support", { 6142, 4821 } },
  { 7716, "花子", "佐藤", "hanako@kestrel.example", "user", "Asia/Tokyo", "Support Agent", { 4821 } },
  { 7720, "Sam", "O'Connor", "sam@kestrel.example", "user", "Europe/Dublin", "Support Agent", { 4821, 5307 } },
}

local CURRENCIES = { { "$", "%d.%02d" }, { "€", "%d,%02d" }, { "£", "%d.%02d" } }

local function weighted_topic(rng)
  local total = 0
  for _, name in ipairs(corpus.topic_order) do total = total + corpus.topics[name].weight end
  local x = rng.int(total)
  for _, name in ipairs(corpus.topic_order) do
    x = x - corpus.topics[name].weight
    if x <= 0 then return name end
  end
  return corpus.topic_order[1]
end

local HEX_DIGITS = {}
for k = 1, 16 do HEX_DIGITS[k] = sub("0123456789abcdef", k, k) end

local function hex(rng, n)
  local t = {}
  for i = 1, n do t[i] = HEX_DIGITS[rng.int(16)] end
  return concat(t)
end

local function gen_customers(store, rng, now, count)
  local used, off = {}, store.off
  local phone_cc = { "+1", "+44", "+49", "+33", "+81", "+45", "+34", "+351", "+48" }
  for i = 1, count do
    local f = rng.pick(corpus.first_names)
    local l = rng.pick(corpus.last_names)
    local org = rng.chance(0.55) and rng.pick(corpus.orgs) or nil
    local local_part
    local style = rng.int(4)
    if style == 1 then local_part = f[2] .. "." .. l[2]
    elseif style == 2 then local_part = sub(f[2], 1, 1) .. l[2]
    elseif style == 3 then local_part = f[2] .. rng.int(10, 99)
    else local_part = f[2] .. "_" .. l[2] end
    local domain = org and org[2] or rng.pick(corpus.free_domains)
    local email = local_part .. "@" .. domain
    while used[email] do email = local_part .. rng.int(100, 999) .. "@" .. domain end
    used[email] = true
    local id = 99120000 + off.customer + i * 41 + rng.int(30)
    local created = now - rng.int(30, 1100) * 86400 - rng.int(86400)
    local c = {
      id = id, firstName = f[1], lastName = l[1],
      emails = { { id = 330000 + off.sub + i * 3, value = email, type = "work" } },
      phones = {}, organization = org and org[1] or nil,
      jobTitle = rng.chance(0.5) and rng.pick(corpus.job_titles) or nil,
      location = rng.chance(0.6) and rng.pick(corpus.cities) or nil, gender = "unknown",
      photoType = "unknown", age = nil, background = rng.chance(0.15) and "Prefers e-mail contact" or nil,
      createdAt = created, updatedAt = created + rng.int(0, now - created), ascii_first = f[2],
      website = org and ("https://" .. org[2]) or nil,
    }
    if rng.chance(0.2) then
      local alt = f[2] .. "." .. l[2] .. rng.int(1, 99) .. "@" .. rng.pick(corpus.free_domains)
      if not used[alt] then
        used[alt] = true
        c.emails[2] = { id = 330000 + off.sub + i * 3 + 1, value = alt, type = "home" }
      end
    end
    if rng.chance(0.6) then
      c.phones[1] = { id = 330000 + off.sub + i * 3 + 2, value = format("%s %d %03d %04d", rng.pick(phone_cc),
        rng.int(20, 99), rng.int(0, 999), rng.int(0, 9999)), type = rng.pick { "work", "mobile", "home" } }
    end
    store.customers[#store.customers + 1] = c
  end
end

-- Address parts of the seeded cities: { city, state, country, postal code format }.
local PLACES = {
  ["Lisbon"] = { "Lisbon", nil, "PT", "1%03d-%03d" }, ["München"] = { "München", "BY", "DE", "80%03d" },
  ["Kraków"] = { "Kraków", nil, "PL", "30-%03d" }, ["København"] = { "København", nil, "DK", "1%03d" },
  ["Zürich"] = { "Zürich", "ZH", "CH", "80%02d" }, ["Osaka"] = { "Osaka", nil, "JP", "530-%04d" },
  ["Toronto"] = { "Toronto", "ON", "CA", "M5V %dA%d" }, ["São Paulo"] = { "São Paulo", "SP", "BR", "01%03d-000" },
  ["Austin, TX"] = { "Austin", "TX", "US", "787%02d" }, ["Dublin"] = { "Dublin", nil, "IE", "D%02d" },
  ["Lyon"] = { "Lyon", nil, "FR", "690%02d" }, ["Reykjavík"] = { "Reykjavík", nil, "IS", "1%02d" },
  ["Hà Nội"] = { "Hà Nội", nil, "VN", "100%03d" }, ["Cape Town"] = { "Cape Town", "WC", "ZA", "8%03d" },
  ["Melbourne"] = { "Melbourne", "VIC", "AU", "30%02d" }, ["Malmö"] = { "Malmö", nil, "SE", "211 %02d" },
}
local CHAT_TYPES = { "skype", "gtalk", "xmpp", "other" }
local SOCIAL = { { "twitter", "https://twitter.com/%s" }, { "linkedin", "https://www.linkedin.com/in/%s" },
  { "facebook", "https://facebook.com/%s" } }

-- Chats, social profiles, website and address of seeded customer c (the i-th), derived from what
-- the generator drew (no PRNG draw here: the seeded data stays as it was). Sub-ids derive from
-- the customer's first e-mail id, unique per customer.
local function derive_contacts(c, i)
  local base = c.emails[1].id
  local handle = lower(gsub(match(c.emails[1].value, "^[^@]*"), "[^%w%.]", ""))
  c.chats, c.social_profiles, c.websites = {}, {}, {}
  if i % 4 == 1 then
    c.chats[1] = { id = base + 1800000, value = handle, type = CHAT_TYPES[floor(i % 16 / 4) + 1] }
  end
  if i % 3 == 0 then
    local s = SOCIAL[floor(i % 9 / 3) + 1]
    c.social_profiles[1] = { id = base + 2700000, value = format(s[2], handle), type = s[1] }
  end
  if c.website then c.websites[1] = { id = base + 900000, value = c.website } end
  local place = c.location and PLACES[c.location]
  if place then
    local n = c.id % 1000
    c.address = { id = base + 3600000, city = place[1], state = place[2], country = place[3],
      postalCode = format(place[4], n % 100, n % 10), lines = { corpus.streets[i % #corpus.streets + 1] },
      createdAt = c.createdAt, updatedAt = c.updatedAt }
  end
end

local function user_name(u) return u.firstName .. " " .. u.lastName end

local function customer_message(rng, topic, vars, second)
  local T = corpus.topics[topic]
  local parts = {}
  local greet = fill(rng.pick(corpus.greetings), vars)
  local s1 = fill(rng.pick(T.openers), vars)
  local s2 = rng.chance(0.7) and fill(rng.pick(T.details), vars) or nil
  local s3 = rng.chance(0.35) and fill(rng.pick(T.details), vars) or nil
  if s3 == s2 then s3 = nil end
  local ask = fill(rng.pick(T.asks), vars) .. rng.pick(corpus.moods)
  local mention = second and fill(rng.pick(corpus.topics[second].mentions), vars) or nil
  if rng.chance(0.15) then s1 = typo(rng, s1) end
  if s2 and rng.chance(0.1) then s2 = typo(rng, s2) end
  local apos = rng.chance(0.5)
  local function e(s) return html_escape(s, apos) end
  local closing = rng.pick(corpus.closings)
  local sigstyle = rng.int(5)
  local sig
  if sigstyle == 1 then
    sig = "<p>-- <br>" .. e(vars.cust_full) .. "<br>" .. e(vars.job or "Owner")
      .. (vars.org and (" | " .. e(vars.org)) or "")
      .. (vars.phone and ("<br>" .. e(vars.phone)) or "") .. "</p>"
  elseif sigstyle == 2 then
    sig = "<p>" .. e(closing) .. "<br>" .. e(vars.cust_full) .. (vars.org and ("<br>" .. e(vars.org)) or "") .. "</p>"
  elseif sigstyle == 3 then
    sig = "<p>" .. e(closing) .. "<br>" .. e(vars.first) .. "</p><p>Sent from my iPhone</p>"
  elseif sigstyle == 4 then
    sig = "<p>" .. e(closing) .. " " .. e(vars.first) .. "</p>"
  else
    sig = "<p>Best regards,<br>" .. e(vars.cust_full) .. "<br>" .. e(vars.org or vars.city) .. "</p>"
  end
  local style = rng.int(3)
  local body = { s1 }
  if s2 then body[#body + 1] = s2 end
  if mention then
    if rng.chance(0.5) then body[#body + 1] = mention else parts.late_mention = mention end
  end
  if style == 1 then
    local html = {}
    if greet ~= "" then html[#html + 1] = "<p>" .. e(greet) .. "</p>" end
    html[#html + 1] = "<p>" .. e(concat(body, " ")) .. "</p>"
    local p3 = {}
    if s3 then p3[#p3 + 1] = s3 end
    if parts.late_mention then p3[#p3 + 1] = parts.late_mention end
    p3[#p3 + 1] = ask
    html[#html + 1] = "<p>" .. e(concat(p3, " ")) .. "</p>"
    html[#html + 1] = sig
    return concat(html)
  elseif style == 2 then
    local html = {}
    if greet ~= "" then html[#html + 1] = "<div>" .. e(greet) .. "</div><div><br></div>" end
    for _, s in ipairs(body) do html[#html + 1] = "<div>" .. e(s) .. "</div>" end
    if s3 then html[#html + 1] = "<div>" .. e(s3) .. "</div>" end
    if parts.late_mention then html[#html + 1] = "<div>" .. e(parts.late_mention) .. "</div>" end
    html[#html + 1] = "<div><br></div><div>" .. e(ask) .. "</div><div><br></div>"
    html[#html + 1] = sig
    return concat(html)
  end
  local lines = {}
  if greet ~= "" then lines[#lines + 1] = e(greet) .. "<br><br>" end
  local escaped = {}
  for k, s in ipairs(body) do escaped[k] = e(s) end
  lines[#lines + 1] = concat(escaped, "&nbsp; ")
  if s3 then lines[#lines + 1] = "<br>" .. e(s3) end
  if parts.late_mention then lines[#lines + 1] = "<br>" .. e(parts.late_mention) end
  lines[#lines + 1] = "<br><br>" .. e(ask) .. "<br><br>"
  return concat(lines) .. sig
end

local function quote_header(t, name, email)
  return format("On %s, %s &lt;%s&gt; wrote:", os.date("!%a, %d %b %Y at %H:%M", floor(t)),
    html_escape(name), email)
end

local function agent_reply(rng, topic, vars, agent, prev)
  local T = corpus.topics[topic]
  local html = {
    "<p>", fill(rng.pick(corpus.agent_greetings), vars), "</p>",
    "<p>", fill(rng.pick(T.replies), vars), "</p>",
    "<p>", fill(rng.pick(corpus.agent_closings), vars), "<br>", agent.firstName, "<br>",
    corpus.company, " Support</p>",
  }
  if prev then
    html[#html + 1] = '<div class="gmail_quote">' .. quote_header(prev.createdAt, vars.cust_full_raw, vars.email)
      .. "<blockquote>" .. prev.body .. "</blockquote></div>"
  end
  return concat(html)
end

local function customer_followup(rng, topic, vars, prev, agent)
  local T = corpus.topics[topic]
  local s = fill(rng.pick(T.followups), vars)
  if rng.chance(0.2) then s = typo(rng, s) end
  local html = { "<p>", html_escape(s), "</p><p>", html_escape(vars.first), "</p>" }
  if prev and rng.chance(0.8) then
    local quoted = {}
    for line in (_M.html_to_text(prev.body) .. "\n"):gmatch("([^\n]*)\n") do
      quoted[#quoted + 1] = "&gt; " .. html_escape(line)
    end
    html[#html + 1] = "<br>" .. format("On %s, %s wrote:", os.date("!%a, %d %b %Y, %H:%M", floor(prev.createdAt)),
      html_escape(user_name(agent))) .. "<br>" .. concat(quoted, "<br>")
  end
  return concat(html)
end

local function money(rng, cur)
  return cur[1] .. format(cur[2], rng.int(9, 480), rng.pick { 0, 0, 0, 50, 99, 90, 25 })
end

local function make_vars(rng, cust, agent, mailbox, now)
  local cur = rng.pick(CURRENCIES)
  local email = cust.emails[1].value
  local org = cust.organization
  local dom = email:match("@(.+)$")
  return {
    company = corpus.company, amount = money(rng, cur), amount2 = money(rng, cur),
    plan = rng.pick(corpus.plans), invoice = tostring(rng.int(100000, 999999)),
    order = "KC-" .. rng.int(10000, 99999), ref = upper(hex(rng, 10)), last4 = format("%04d", rng.int(0, 9999)),
    date = os.date("!%B %d", floor(now - rng.int(1, 40) * 86400)), city = rng.pick(corpus.cities),
    street = rng.pick(corpus.streets), browser = rng.pick(corpus.browsers), email = email, org = org,
    minor = tostring(rng.int(2, 19)), ticket = tostring(rng.int(1000, 9999)),
    tracking = "1Z" .. upper(hex(rng, 16)), years = tostring(rng.int(2, 7)), year = tostring(rng.int(2016, 2023)),
    domain = dom, agent_first = agent and agent.firstName or "there", agent = agent and user_name(agent) or "Dana Ito",
    mailbox = mailbox.name, first = cust.firstName, cust_full = cust.firstName .. " " .. cust.lastName,
    cust_full_raw = cust.firstName .. " " .. cust.lastName, job = cust.jobTitle,
    phone = cust.phones[1] and cust.phones[1].value or nil,
  }
end

-- A seeded mailbox's id (before the account's offset) for a conversation about topic.
local function pick_mailbox(rng, topic)
  local r = rng.float()
  if topic == "billing" or topic == "refunds" or topic == "cancellations" then
    return r < 0.7 and 5307 or (r < 0.95 and 4821 or 6142)
  elseif topic == "shipping" then
    return r < 0.75 and 6142 or (r < 0.95 and 4821 or 5307)
  end
  return r < 0.85 and 4821 or (r < 0.93 and 6142 or 5307)
end

-- Conversations are generated in stages, each drawing from the one PRNG in a fixed order (the
-- order is the data: moving a draw changes every seed's conversations). g: the generation state
-- { rng, now, store, agents_for, thread_seq }; c: one conversation in the making.

local function agents_by_mailbox(store)
  local agents_for = {}
  for _, mb in ipairs(store.mailboxes) do
    local list = {}
    for _, u in ipairs(store.users) do
      for _, m in ipairs(u.mailboxes) do if m == mb.id then list[#list + 1] = u end end
    end
    agents_for[mb.id] = list
  end
  return agents_for
end

-- Stage 1: topic, customer, mailbox, time, agent, subject, type, cc.
local function new_conversation(g)
  local rng, store = g.rng, g.store
  local c = { topic = weighted_topic(rng) }
  -- a few regulars write often
  if rng.chance(0.3) then c.cust = store.customers[rng.int(40)]
  else c.cust = store.customers[rng.int(#store.customers)] end
  c.mbid = pick_mailbox(rng, c.topic) + store.off.mailbox
  c.mailbox = store.mailbox_by_id[c.mbid]
  local u = rng.float()
  c.created = g.now - floor(60 * 86400 * u * u) - rng.int(60, 3600)
  c.agent = rng.pick(g.agents_for[c.mbid])
  c.vars = make_vars(rng, c.cust, c.agent, c.mailbox, g.now)
  if rng.chance(0.05) then
    repeat c.second = rng.pick(corpus.topic_order) until c.second ~= c.topic
  end
  local subject = fill(rng.pick(corpus.topics[c.topic].subjects), c.vars)
  if rng.chance(0.08) then subject = lower(subject) end
  if rng.chance(0.06) then subject = "Re: " .. subject end
  if rng.chance(0.04) then subject = "Fwd: " .. subject end
  c.conv = {
    topic = c.topic, second_topic = c.second, customer_id = c.cust.id, mailboxId = c.mbid, subject = subject,
    createdAt = c.created, type = rng.chance(0.9) and "email" or rng.pick { "chat", "phone" },
    tags = {}, cc = {}, bcc = {}, threads = {}, state = "published",
  }
  if rng.chance(0.08) then
    c.conv.cc[1] = rng.pick { "accounts@", "office@", "dev@", "info@" } .. (c.vars.domain or "example.com")
  end
  return c
end

local function add_thread(g, c, th)
  g.thread_seq = g.thread_seq + 1
  th.seq = g.thread_seq
  c.conv.threads[#c.conv.threads + 1] = th
  return th
end

-- Stage 2, for threads after the first: the next thread at time t, depending on the previous ones.
local function next_thread(g, c, k, nthreads, t)
  local rng, topic, vars, agent, cust = g.rng, c.topic, c.vars, c.agent, c.cust
  local prev = c.conv.threads[#c.conv.threads]
  local r = rng.float()
  if k == nthreads and rng.chance(0.12) then
    add_thread(g, c, { type = "message", by_user = agent.id, createdAt = t, state = "draft",
      body = agent_reply(rng, topic, vars, agent, c.last_customer), to = { cust.emails[1].value } })
  elseif r < 0.14 then
    add_thread(g, c, { type = "note", by_user = rng.pick(g.agents_for[c.mbid]).id, createdAt = t,
      state = "published", body = "<p>" .. html_escape(fill(rng.pick(corpus.topics[topic].notes), vars)) .. "</p>" })
  elseif r < 0.24 then
    local text = fill(rng.pick(corpus.lineitems), vars)
    if text:find("Closed") then c.closing_status = "closed" end
    add_thread(g, c, { type = "lineitem", by_user = agent.id, createdAt = t, state = "published", action_text = text })
  elseif prev.type == "customer" or (prev.type ~= "message" and c.last_customer and not c.last_agent_msg) then
    c.last_agent_msg = add_thread(g, c, { type = "message", by_user = agent.id, createdAt = t, state = "published",
      body = agent_reply(rng, topic, vars, agent, c.last_customer), to = { cust.emails[1].value } })
  else
    c.last_customer = add_thread(g, c, { type = "customer", createdAt = t, state = "published",
      body = customer_followup(rng, topic, vars, c.last_agent_msg, agent), to = { c.mailbox.email } })
  end
end

-- Stage 2: the threads, oldest first, never after `now`.
local function gen_threads(g, c)
  local rng, now = g.rng, g.now
  local nthreads = rng.pick { 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6 }
  local t = c.created
  c.outbound = rng.chance(0.04)
  if c.outbound then
    c.last_agent_msg = add_thread(g, c, { type = "message", by_user = c.agent.id, createdAt = t, state = "published",
      body = agent_reply(rng, c.topic, c.vars, c.agent, nil), to = { c.cust.emails[1].value } })
  else
    c.last_customer = add_thread(g, c, { type = "customer", createdAt = t, state = "published",
      body = customer_message(rng, c.topic, c.vars, c.second), to = { c.mailbox.email }, cc = c.conv.cc })
  end
  for k = 2, nthreads do
    local prev_t = t
    t = t + rng.int(120, 20 * 3600)
    if t > now - 30 then
      -- squeeze the thread into the time left before `now`, after the previous one (the draw
      -- is kept so the rest of the data stays as it was for a seed)
      local back = rng.int(30, 600)
      t = prev_t + floor((now - prev_t) * back / 1200)
    end
    next_thread(g, c, k, nthreads, t)
  end
end

-- Stage 3: status consistent with who wrote last, assignee, waiting time, closing.
local function settle(g, c)
  local rng, conv = g.rng, c.conv
  local last_pub
  for i = #conv.threads, 1, -1 do
    local th = conv.threads[i]
    if th.state == "published" and (th.type == "customer" or th.type == "message") then last_pub = th; break end
  end
  local age = g.now - c.created
  local status
  if last_pub and last_pub.type == "customer" then
    status = (age > 20 * 86400 and rng.chance(0.5)) and "closed" or "active"
  else
    status = rng.chance(age > 5 * 86400 and 0.7 or 0.3) and "closed" or "pending"
  end
  if c.closing_status then status = c.closing_status end
  if rng.chance(0.03) then status = "spam" end
  conv.status = status
  if rng.chance(status == "active" and 0.6 or 0.85) then conv.assignee_id = c.agent.id end
  conv.modifiedAt = conv.threads[#conv.threads].createdAt
  conv.waitingSince = c.last_customer and c.last_customer.createdAt or c.created
  conv.latestReplyFrom = (last_pub and last_pub.type == "message") and "user" or "customer"
  if status == "closed" then
    conv.closedAt = conv.modifiedAt
    conv.closedBy = conv.assignee_id or c.agent.id
  end
end

-- Stage 4: tags (plausible, not always right), custom fields, source and creator.
local function label(g, c)
  local rng, conv = g.rng, c.conv
  if rng.chance(0.55) then
    local src = rng.chance(0.8) and c.topic or rng.pick(corpus.topic_order)
    conv.tags[#conv.tags + 1] = rng.pick(corpus.topic_tags[src])
  end
  if rng.chance(0.18) then
    local tag = rng.pick(corpus.generic_tags)
    if conv.tags[1] ~= tag then conv.tags[#conv.tags + 1] = tag end
  end
  local off = g.store.off
  if c.mbid == 4821 + off.mailbox then
    local p = rng.int(3)
    conv.customFields = { { id = 8801 + off.field, name = "Plan", value = tostring(33074 + off.field + p),
      text = ({ "Starter", "Growth", "Pro" })[p] } }
  end
  conv.source = { type = conv.type == "email" and "email" or (conv.type == "chat" and "chat" or "phone"),
    via = c.outbound and "user" or "customer" }
  conv.created_by = c.outbound and { kind = "user", id = c.agent.id } or { kind = "customer", id = c.cust.id }
end

-- Stage 5: ids and numbers growing with creation time, like the real thing; the store's counters.
local function number(store, rng, convs)
  sort(convs, function(a, b) return a.createdAt < b.createdAt end)
  local all_threads = {}
  local off = store.off
  for i, conv in ipairs(convs) do
    conv.id = _M.CONVERSATION_BASE + off.conversation + 7000000 + i * 1013 + rng.int(900)
    conv.number = 10000 + i * 3 + rng.int(2)
    for _, th in ipairs(conv.threads) do all_threads[#all_threads + 1] = th end
  end
  -- (createdAt, seq) as one number, exact below 2^53: times < 2^31, seq < 2^22 (new() caps the size)
  for _, th in ipairs(all_threads) do th.seq = th.createdAt * 4194304 + th.seq end
  sort(all_threads, function(a, b) return a.seq < b.seq end)
  for i, th in ipairs(all_threads) do
    th.id = _M.THREAD_BASE + off.thread + 100000 + i * 7 + rng.int(6)
    th.seq = nil
  end
  store.next_thread_id = _M.THREAD_BASE + off.thread + 100000 + (#all_threads + 10) * 7
  store.next_conversation_id = _M.CONVERSATION_BASE + off.conversation + 7000000 + (#convs + 10) * 1013
  store.next_number = 10000 + (#convs + 10) * 3
end

-- Stage 6: previews, and the conversations into the store (with their true topics).
local function publish(store, convs)
  for _, conv in ipairs(convs) do
    local th = conv.threads
    conv.preview = ""
    for i = #th, 1, -1 do
      if th[i].body and th[i].state == "published" and th[i].type ~= "note" then
        conv.preview = _M.preview(th[i].body)
        break
      end
    end
    -- user-facing fields updated by agents
    conv.userUpdatedAt = conv.modifiedAt
    store.conversations[#store.conversations + 1] = conv
    store.conversation_by_id[conv.id] = conv
    store.truth[conv.id] = conv.topic
    if conv.language then store.language_truth[conv.id] = conv.language end
  end
end

local function gen_conversations(store, rng, now, count, languages)
  local g = { rng = rng, now = now, store = store, agents_for = agents_by_mailbox(store), thread_seq = 0 }
  local convs = {}
  for i = 1, count do
    local c = new_conversation(g)
    gen_threads(g, c)
    settle(g, c)
    label(g, c)
    convs[i] = c.conv
  end
  -- --languages: a share rewritten in other languages, drawing from a PRNG of its own
  if languages then
    store.language_truth = {}
    corpus_lang.apply(convs, new_rng((tonumber(store.seed) or 42) * 31 + 7), languages, store.customer_by_id)
  end
  number(store, rng, convs)
  publish(store, convs)
end

-- Accounts (1..MAX_ACCOUNTS) ------------------------------------------------------------------------
-- Account 1 is the seeded data as it always was. Account k > 1 is generated the same way from a
-- derived seed, with every id moved by its offset (so no id is shared between accounts) and the
-- users' and mailboxes' e-mail domain kestrel<k>.example.

_M.MAX_ACCOUNTS = 20

-- The id offsets of account k (all 0 for account 1; integers, so Lua 5.4 keeps integer ids).
local function offsets(k)
  local n = k - 1
  return { mailbox = n * 10000, folder = n * 1000, user = n * 1000, customer = n * 1000000000,
    sub = n * 10000000, conversation = n * 1000000000, thread = n * 1000000000, tag = n * 100000,
    field = n * 1000 }
end

-- The seed account k is generated from.
function _M.account_seed(seed, k)
  return k == 1 and seed or floor(tonumber(seed) or 42) + (k - 1) * 104729
end

local function account_email(email, k)
  if k == 1 then return email end
  return (gsub(email, "@kestrel%.example$", "@kestrel" .. k .. ".example"))
end

-- Builds a fresh store from seed and now (epoch seconds); conversations: how many to generate
-- (default 560), customers scale with it (3 for every 7, at least 40); account: which account
-- (default 1; see above); languages: nil, or the share (0..1] of conversations rewritten in other
-- languages (helpscout.sandbox.corpus_lang).
function _M.generate(seed, now, conversations, account, languages)
  now = floor(now)
  account = account or 1
  local off = offsets(account)
  local rng = new_rng(_M.account_seed(seed, account))
  local store = {
    seed = seed, now = now, mailboxes = {}, mailbox_by_id = {}, users = {}, user_by_id = {},
    customers = {}, customer_by_id = {}, customer_by_email = {}, conversations = {},
    conversation_by_id = {}, tags = {}, next_tag_id = 555000 + off.tag, truth = {}, account = account, off = off,
  }
  for i, m in ipairs(MAILBOXES) do
    local mb = { id = m.id + off.mailbox, name = m.name, email = account_email(m.email, account),
      slug = hex(rng, 16), createdAt = m.created, updatedAt = now - rng.int(1, 200) * 86400, folders = {},
      plan_field = i == 1 or nil }
    for k, f in ipairs(FOLDERS) do
      mb.folders[k] = { id = 1300000 + off.folder + i * 100 + k, name = f[1], type = f[2] }
    end
    store.mailboxes[i] = mb
    store.mailbox_by_id[mb.id] = mb
  end
  for i, u in ipairs(USERS) do
    local mailboxes = {}
    for k, id in ipairs(u[8]) do mailboxes[k] = id + off.mailbox end
    local user = { id = u[1] + off.user, firstName = u[2], lastName = u[3], email = account_email(u[4], account),
      role = u[5], timezone = u[6], jobTitle = u[7], mailboxes = mailboxes, createdAt = now - (900 - i * 70) * 86400,
      updatedAt = now - rng.int(1, 60) * 86400, phone = format("+1 617 555 %04d", 100 + i) }
    store.users[i] = user
    store.user_by_id[user.id] = user
  end
  conversations = conversations or 560
  gen_customers(store, rng, now, max(40, floor(conversations * 3 / 7 + 0.5)))
  for i, c in ipairs(store.customers) do
    derive_contacts(c, i)
    store.customer_by_id[c.id] = c
    for _, e in ipairs(c.emails) do store.customer_by_email[lower(e.value)] = c end
  end
  store.next_customer_id = store.customers[#store.customers].id + 1000
  store.next_customer_sub_id = off.sub + max(340000, 330000 + (#store.customers + 10) * 3)
  gen_conversations(store, rng, now, conversations, languages)
  -- tag registry from the generated tags
  local names = {}
  for _, conv in ipairs(store.conversations) do
    for _, tg in ipairs(conv.tags) do names[lower(tg)] = tg end
  end
  local sorted = {}
  for k in pairs(names) do sorted[#sorted + 1] = k end
  sort(sorted)
  local colors = { "#929499", "#e6a01e", "#d0463f", "#3b8bd4", "#60b05a", "#8e6bbf" }
  for i, k in ipairs(sorted) do
    store.tags[k] = { id = store.next_tag_id + i * 3, tag = names[k], color = colors[(i - 1) % #colors + 1] }
  end
  store.next_tag_id = store.next_tag_id + (#sorted + 10) * 3
  return store
end

-- Store writes shared by several resources ----------------------------------------------------------
-- Both grow a registry other objects are rendered from (a conversation renders its tags from
-- store.tags), so both bump store.registry: the router drops every cached fragment when it moved.

local function str(v) return type(v) == "string" and v or nil end

-- The customer with e-mail v.email, created from the (already checked) object v when new.
function _M.customer_for(store, v, now)
  local c = store.customer_by_email[lower(v.email)]
  if c then return c end
  store.next_customer_id = store.next_customer_id + 37
  store.next_customer_sub_id = store.next_customer_sub_id + 3
  c = { id = store.next_customer_id, firstName = str(v.firstName), lastName = str(v.lastName),
    emails = { { id = store.next_customer_sub_id, value = v.email, type = "work" } }, phones = {},
    organization = str(v.organization), jobTitle = str(v.jobTitle), location = str(v.location),
    background = str(v.background), gender = str(v.gender) or "unknown",
    photoType = str(v.photoType) or "unknown", photoUrl = str(v.photoUrl), age = str(v.age),
    createdAt = now, updatedAt = now }
  if type(v.phone) == "string" then
    c.phones[1] = { id = store.next_customer_sub_id + 1, value = v.phone, type = "work" }
  end
  store.registry = (store.registry or 0) + 1
  store.customers[#store.customers + 1] = c
  store.customer_by_id[c.id] = c
  store.customer_by_email[lower(v.email)] = c
  return c
end

-- A new thread id (ids grow with time); attachments (or nil) get their ids from it.
function _M.new_thread_id(store, attachments)
  store.next_thread_id = store.next_thread_id + 7
  for i, a in ipairs(attachments or {}) do a.id = store.next_thread_id * 10 + i end
  return store.next_thread_id
end

-- Marks conv as changed by a user at now.
function _M.touch(conv, now)
  conv.modifiedAt = now
  conv.userUpdatedAt = now
end

-- The registered spelling of tag name t, registering it when new.
function _M.tag_for(store, t)
  local k = lower(t)
  if not store.tags[k] then
    store.registry = (store.registry or 0) + 1
    store.next_tag_id = store.next_tag_id + 3
    store.tags[k] = { id = store.next_tag_id, tag = t, color = "#929499" }
  end
  return store.tags[k].tag
end

_M.user_name = user_name

return _M
