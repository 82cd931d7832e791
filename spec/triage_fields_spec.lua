-- Field projection for triage (triage.FIELDS, triage.CUSTOMER_FIELDS): through the real client
-- against the sandbox, every triage output over projected conversations equals the output over
-- fully decoded ones; every member the triage functions read is in the lists (recorded by
-- proxies over the full data, so a new reader of an unlisted member fails here even when the
-- sandbox's data would hide the difference); customer_summary and `helpscout triage --json`
-- (both projecting) say what they said over full data.
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local triage = require "helpscout.triage"
local cjson = require "cjson"

local NOW = 1767225600 -- 2026-01-01T00:00:00Z; the sandbox's data is generated for 2025-12-31

-- Deterministic text of a value (keys sorted; integers and floats told apart; the conversation
-- tables results point back to are left out: their ids are in the results).
local function ser(v, out)
  out = out or {}
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      if k ~= "conversation" and k ~= "conversations" then
        out[#out + 1] = tostring(k) .. "="
        ser(v[k], out)
        out[#out + 1] = ","
      end
    end
    out[#out + 1] = "}"
  elseif type(v) == "number" then
    out[#out + 1] = (math.type and math.type(v) or "number") .. ":" .. tostring(v)
  else
    out[#out + 1] = type(v) .. ":" .. tostring(v)
  end
  return out
end
local function S(v) return table.concat(ser(v)) end

-- Everything triage computes from a set of conversations, as lines of text.
local function outputs(convs)
  local out = {}
  local groups = triage.group_by_topic(convs)
  for _, g in ipairs(groups) do
    local ids = {}
    for i, c in ipairs(g.conversations) do ids[i] = tostring(c.id) end
    out[#out + 1] = S(g) .. table.concat(ids, " ")
  end
  for _, p in ipairs(triage.rank(convs, { now = NOW })) do out[#out + 1] = tostring(p.id) .. S(p) end
  out[#out + 1] = S(triage.report(convs, { now = NOW, limit = 1000 }))
  for _, c in ipairs(convs) do
    local text, meta = triage.draft_reply(c)
    out[#out + 1] = text .. S(meta)
    out[#out + 1] = triage.transcript(c)
    out[#out + 1] = S(triage.messages(c, { events = true, drafts = "keep" }))
    out[#out + 1] = S { triage.classify(c) }
    out[#out + 1] = S(triage.priority(c, { now = NOW }))
  end
  return out
end

-- Equal arrays of lines; a difference is shown as its first differing line, not all of them.
local function same_lines(want, got)
  assert.are.equal(#want, #got)
  for i = 1, #want do
    if want[i] ~= got[i] then assert.are.equal(want[i], got[i], "line " .. i) end
  end
end

-- Proxies over t recording in seen every member path read ("a.b.c"; array indexes left out).
local function recorder(seen)
  local proxies = setmetatable({}, { __mode = "k" })
  local function wrap(t, path)
    if type(t) ~= "table" then return t end
    if proxies[t] then return proxies[t] end
    local p = setmetatable({}, {
      __index = function(_, k)
        local kp = path
        if type(k) ~= "number" then
          kp = path == "" and k or path .. "." .. k
          seen[kp] = true
        end
        return wrap(t[k], kp)
      end,
      __len = function() return #t end,
      __pairs = function() error("pairs() over " .. path .. ": projection cannot tell what it needs") end,
    })
    proxies[t] = p
    return p
  end
  return wrap
end

-- The recorder needs __len on tables (Lua 5.2+; LuaJIT counts the proxy's own, empty array).
local it_len = #setmetatable({}, { __len = function() return 1 end }) == 1 and it or pending

-- Is path covered by the list: listed, a parent of a listed path, or inside a listed member?
local function covered(list, path)
  for _, f in ipairs(list) do
    if f == path or f:sub(1, #path + 1) == path .. "." or path:sub(1, #f + 1) == f .. "." then return true end
  end
  return false
end

describe("triage field projection", function()
  local sb, hs, full, projected
  setup(function()
    sb = sandbox.start { seed = 42, args = { "--now", "2025-12-31T12:00:00Z" } }
    hs = helpscout.new { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url }
    local params = { status = "all", embed = "threads" }
    full = assert(hs:fetch_all("list_conversations", params, { concurrency = 4 }))
    projected = assert(hs:fetch_all("list_conversations", params, { concurrency = 4, fields = triage.FIELDS }))
  end)
  teardown(function() if sb then sb:stop() end end)

  it("decodes only the listed members", function()
    assert.are.equal(#full, #projected)
    assert.is_true(#full >= 100)
    local c, p = full[1], projected[1]
    assert.are.equal(c.id, p.id)
    -- present in the sandbox's conversations, read by no triage function
    for _, k in ipairs { "cc", "bcc", "source", "customFields", "folderId" } do
      assert.is_not_nil(c[k], k)
      assert.is_nil(p[k], k)
    end
    local t = c._embedded.threads[1]
    assert.is_not_nil(t._links)
    assert.is_nil(p._embedded.threads[1]._links)
  end)

  it("leaves every triage output unchanged", function()
    local a, b = outputs(full), outputs(projected)
    assert.is_true(#a > 5 * #full)
    same_lines(a, b)
  end)

  it_len("lists every member the triage functions read", function()
    local seen = {}
    local wrap = recorder(seen)
    local w = {}
    for i, c in ipairs(full) do w[i] = wrap(c, "") end
    outputs(w)
    local missing = {}
    for path in pairs(seen) do
      if not covered(triage.FIELDS, path) then missing[#missing + 1] = path end
    end
    table.sort(missing)
    assert.are.same({}, missing)
    assert.is_true(seen["_embedded.threads.body"] and seen["primaryCustomer.first"])
  end)

  it("customer_summary projects and says what it says over full data", function()
    -- a stand-in that drops the per-call options: the real client, full decoding
    local plain = { pages = function(_, tool, params) return hs:pages(tool, params) end }
    local emails, seen = {}, {}
    for _, c in ipairs(full) do
      local e = c.primaryCustomer and c.primaryCustomer.email
      if e and not seen[e] and #emails < 8 then seen[e] = true; emails[#emails + 1] = e end
    end
    for _, e in ipairs(emails) do
      local a = assert(triage.customer_summary(hs, e, { now = NOW }))
      local b = assert(triage.customer_summary(plain, e, { now = NOW }))
      assert.are.equal(S(b), S(a))
      assert.is_true(a.total > 0)
    end
  end)

  it("helpscout triage --json (projected) reports what triage.report says over full data", function()
    local tmp = os.tmpname()
    local cmd = ("env HELPSCOUT_BASE_URL='%s' HELPSCOUT_CLIENT_ID='%s' HELPSCOUT_CLIENT_SECRET='%s' "
      .. "XDG_CONFIG_HOME='%s.config' lua5.4 bin/helpscout triage --status all --limit 1000 --json "
      .. "--now 2026-01-01T00:00:00Z 2>/dev/null"):format(sb.url, sb.client_id, sb.client_secret, tmp)
    local p = assert(io.popen(cmd, "r"))
    local got = cjson.decode(p:read("*a"))
    p:close()
    os.remove(tmp)
    -- through JSON both ways, so numbers and empty arrays compare alike
    local want = cjson.decode(cjson.encode(triage.report(full, { now = NOW, limit = 1000 })))
    assert.are.equal(#full, got.total)
    local function lines(r)
      local l = { S(r.levels), r.generated_at }
      for _, g in ipairs(r.groups) do l[#l + 1] = S(g) end
      for _, a in ipairs(r.attention) do l[#l + 1] = S(a) end
      return l
    end
    same_lines(lines(want), lines(got))
  end)
end)
