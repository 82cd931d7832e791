-- Driver parity (DESIGN.md §3, issue 19): one table of situations run through the libcurl client
-- (easy loop; fetch_all's multi loop where the situation pages), and the cosocket driver
-- (helpscout.resty in a real nginx, support.nginx's remote client), against the sandbox made to
-- misbehave with its faults. Every driver must give the same result: the same values, or the
-- same error kind, status and retryable, or the same argument error. Each situation also names
-- what that result is, so that two drivers wrong in the same way still fail.
local sandbox = require "support.sandbox"
local nginx = require "support.nginx"
local rawhttp = require "support.rawhttp"
local helpscout = require "helpscout"
local sys = require("helpscout.core").sys
local unpack = table.unpack or unpack -- luacheck: ignore 113

local sb, ng

-- The result of one run, reduced to what must agree between drivers.
local function digest(given, ok, a, b)
  if not ok then
    if type(a) == "table" then return { raised = { kind = a.kind, status = a.status, retryable = a.retryable } } end
    -- the list of valid options is each driver's own (resty adds shdict, keepalive, pool_size)
    return { raised = (tostring(a):gsub("^[^\n]-:%d+: ", ""):gsub("; valid: [^)]*%)$", ")")) }
  end
  if a == nil and type(b) == "table" then
    return { error = { kind = b.kind, status = b.status, retryable = b.retryable } }
  end
  if type(a) ~= "table" then return { value = a } end
  if a.access_token ~= nil then
    return { token = { given = a.access_token == given, refreshable = a.refresh_token ~= nil } }
  end
  if a[1] ~= nil or next(a) == nil then
    local ids = {}
    for i, item in ipairs(a) do ids[i] = ("%d"):format(item.id) end
    return { items = #a, ids = table.concat(ids, ",") }
  end
  return { object = a.id or true }
end

-- Runs `case` with a fresh client of the driver `make` (a function(opts) -> client).
local function run(case, make)
  sb:control("DELETE", "faults")
  sb:config{ token_ttl = 172800 }
  local given = case.token and rawhttp.client_token(sb) or nil
  local opts = { base_url = sb.url, timeout = 5, connect_timeout = 2, retries = 2, max_wait = 5 }
  if case.creds ~= false then opts.client_id, opts.client_secret = sb.client_id, sb.client_secret end
  if given then opts.access_token = given end
  for k, v in pairs(case.opts or {}) do opts[k] = v end
  if type(opts.expires_at) == "number" and opts.expires_at < 1e6 then -- seconds from now
    opts.expires_at = sys.epoch() + opts.expires_at
  end
  local okc, hs = pcall(make, opts)
  if not okc then return digest(given, false, hs) end
  if case.before then case.before(sb, given) end
  for _, f in ipairs(case.faults or {}) do sb:fault(f) end
  local op, n = case.op[1], case.op.n or #case.op
  if op == "each" then
    return digest(given, pcall(function()
      local out = {}
      for item in hs:each(unpack(case.op, 2, n)) do out[#out + 1] = item end
      return out
    end))
  end
  return digest(given, pcall(hs[op], hs, unpack(case.op, 2, n)))
end

-- What the sandbox itself answers for a plain GET of path (the oracle: not our client's work).
local function raw(path, key)
  local res = rawhttp.request(sb, "GET", path, { token = rawhttp.client_token(sb) })
  local ids = {}
  for i, item in ipairs(res.json._embedded[key]) do ids[i] = ("%d"):format(item.id) end
  return { items = #ids, ids = table.concat(ids, ",") }
end

local function curl(opts) return helpscout.new(opts) end
local function resty(opts) return ng:client(opts) end

local CONV = "/v2/conversations"
local all = { status = "all" }
local function f(t) return t end
-- the sandbox's own answer to a plain GET (see raw)
local RENEWED = { token = { given = false, refreshable = false } }
local MAILBOXES, USERS = { raw = { "/v2/mailboxes", "mailboxes" } }, { raw = { "/v2/users", "users" } }

-- name, client (token = a valid token given; creds = false: no client credentials; opts), the
-- faults, the operation and the expected digest. multi: also run as fetch_all (the multi loop).
local CASES = {
  -- tokens
  { "no token, credentials: a client-credentials grant", op = { "list_mailboxes" }, expect = MAILBOXES },
  { "a valid token, no credentials", token = true, creds = false, op = { "list_mailboxes" }, expect = MAILBOXES },
  { "an unknown token, no credentials: auth", creds = false, opts = { access_token = "nope" },
    op = { "list_mailboxes" }, expect = { error = { kind = "auth", status = 401, retryable = false } } },
  { "an unknown token, credentials: renewed, then sent again", opts = { access_token = "nope" },
    op = { "list_mailboxes" }, expect = MAILBOXES },
  { "token(): a past expires_at and no credentials answers the held token", token = true, creds = false,
    opts = { expires_at = -10 }, op = { "token" }, expect = { token = { given = true, refreshable = false } } },
  { "a call: a past expires_at and no credentials sends the held token", token = true, creds = false,
    opts = { expires_at = -10 }, op = { "list_mailboxes" }, expect = MAILBOXES },
  { "token(): a past expires_at with credentials renews", token = true, opts = { expires_at = -10 },
    op = { "token" }, expect = RENEWED },
  { "token(): due soon with credentials renews", token = true,
    opts = { expires_at = 20, obtained_at = 1 }, op = { "token" }, expect = RENEWED },
  { "token(): not due answers the held token", token = true, opts = { expires_at = 3600 },
    op = { "token" }, expect = { token = { given = true, refreshable = false } } },
  { "token(): none held, credentials: granted", op = { "token" }, expect = RENEWED },
  { "token(): wrong credentials: auth", opts = { client_secret = "wrong" }, op = { "token" },
    expect = { error = { kind = "auth", status = 401, retryable = false } } },
  { "a call with wrong credentials: auth", opts = { client_secret = "wrong" }, op = { "list_users" },
    expect = { error = { kind = "auth", status = 401, retryable = false } } },
  { "tokens expired at the server, credentials: renewed", token = true, before = function(s) s:expire_tokens() end,
    op = { "list_mailboxes" }, expect = MAILBOXES },
  { "tokens expired at the server, no credentials: auth", token = true, creds = false,
    before = function(s) s:expire_tokens() end, op = { "list_mailboxes" },
    expect = { error = { kind = "auth", status = 401, retryable = false } } },
  { "a refused refresh token: reconsent", opts = { refresh_token = "dead-refresh" }, op = { "list_mailboxes" },
    expect = { error = { kind = "reconsent", status = 400, retryable = false } } },
  { "the token endpoint answers 503 once: the grant is sent again",
    faults = { f{ method = "POST", path = "/v2/oauth2/token", status = 503 } }, op = { "list_mailboxes" },
    expect = MAILBOXES },
  { "the token endpoint drops once: the grant is sent again",
    faults = { f{ method = "POST", path = "/v2/oauth2/token", action = "drop" } }, op = { "list_mailboxes" },
    expect = MAILBOXES },
  { "the token endpoint answers 403: auth",
    faults = { f{ method = "POST", path = "/v2/oauth2/token", status = 403, count = 5 } }, op = { "list_mailboxes" },
    expect = { error = { kind = "auth", status = 403, retryable = false } } },
  { "401 once with credentials: renewed, replayed", token = true,
    faults = { f{ path = "/v2/mailboxes", status = 401 } }, op = { "list_mailboxes" }, expect = MAILBOXES },
  { "401 twice with credentials: one renewal, then auth", token = true,
    faults = { f{ path = "/v2/mailboxes", status = 401, count = 2 } }, op = { "list_mailboxes" },
    expect = { error = { kind = "auth", status = 401, retryable = false } } },
  -- rate limits and server errors
  { "429 with a short X-RateLimit-Retry-After: waited, sent again", token = true,
    faults = { f{ path = "/v2/mailboxes", status = 429, headers = { ["X-RateLimit-Retry-After"] = "1" } } },
    op = { "list_mailboxes" }, expect = MAILBOXES },
  { "429 with a reset beyond max_wait: rate_limited", token = true,
    faults = { f{ path = "/v2/mailboxes", status = 429, headers = { ["X-RateLimit-Retry-After"] = "200" } } },
    op = { "list_mailboxes" }, expect = { error = { kind = "rate_limited", status = 429, retryable = true } } },
  { "503 once: retried", token = true, faults = { f{ path = "/v2/users", status = 503 } },
    op = { "list_users" }, expect = USERS },
  { "503 three times (retries = 2): server", token = true,
    faults = { f{ path = "/v2/users", status = 503, count = 3, headers = { ["Retry-After"] = "0" } } },
    op = { "list_users" }, expect = { error = { kind = "server", status = 503, retryable = true } } },
  { "500 on a POST: not re-sent", token = true, faults = { f{ method = "POST", path = CONV .. "/*", status = 500 } },
    op = { "add_note", 1, "parity" }, expect = { error = { kind = "server", status = 500, retryable = false } } },
  { "a dropped GET: retried", token = true, faults = { f{ path = "/v2/users", action = "drop" } },
    op = { "list_users" }, expect = USERS },
  { "a dropped POST: not re-sent", token = true,
    faults = { f{ method = "POST", path = CONV .. "/*", action = "drop" } },
    op = { "add_note", 1, "parity" }, expect = { error = { kind = "network", retryable = false } } },
  { "garbage instead of JSON: protocol", token = true, faults = { f{ path = "/v2/mailboxes", action = "garbage" } },
    op = { "list_mailboxes" }, expect = { error = { kind = "protocol", status = 200, retryable = false } } },
  { "403: forbidden", token = true, faults = { f{ path = "/v2/users", status = 403 } }, op = { "list_users" },
    expect = { error = { kind = "forbidden", status = 403, retryable = false } } },
  { "400: validation", token = true, faults = { f{ path = "/v2/users", status = 400 } }, op = { "list_users" },
    expect = { error = { kind = "validation", status = 400, retryable = false } } },
  { "404: not_found", token = true, op = { "get_conversation", 987654321 },
    expect = { error = { kind = "not_found", status = 404, retryable = false } } },
  { "read_only refuses a write before any request", token = true, opts = { read_only = true },
    op = { "add_note", 1, "parity" }, expect = { error = { kind = "read_only", retryable = false } } },
  -- paging
  { "fetch_all over every page", multi = true, token = true, op = { "fetch_all", "list_conversations", all },
    expect = "items" },
  { "fetch_all, concurrency 1", multi = true, token = true,
    op = { "fetch_all", "list_conversations", all, { concurrency = 1 } }, expect = "items" },
  { "fetch_all with a 503 on the first page", multi = true, token = true,
    faults = { f{ path = CONV, status = 503, headers = { ["Retry-After"] = "0" } } },
    op = { "fetch_all", "list_conversations", all }, expect = "items" },
  { "fetch_all with pages failing for good: server", multi = true, token = true,
    faults = { f{ path = CONV, status = 500, count = 50, headers = { ["Retry-After"] = "0" } } },
    op = { "fetch_all", "list_conversations", all },
    expect = { error = { kind = "server", status = 500, retryable = true } } },
  { "fetch_all of an empty list", multi = true, token = true,
    op = { "fetch_all", "list_conversations", { status = "all", tag = "no-such-tag-anywhere" } },
    expect = { items = 0, ids = "" } },
  { "each over every page", token = true, op = { "each", "list_conversations", all }, expect = "items" },
  { "each raises the error table", token = true, faults = { f{ path = CONV, status = 403 } },
    op = { "each", "list_conversations", all },
    expect = { raised = { kind = "forbidden", status = 403, retryable = false } } },
  -- argument errors: the public name and the user's argument number, from C
  { "a bad option", token = true, op = { "list_conversations", { statuss = "all" } },
    expect = { raised = "bad argument #1 to 'list_conversations' (unknown option 'statuss')" } },
  { "a missing id", token = true, op = { "get_conversation" },
    expect = { raised = "bad argument #1 to 'get_conversation' (id must be a positive integer, got no value)" } },
  { "fetch_all of a tool that does not page", token = true, op = { "fetch_all", "get_conversation" },
    expect = { raised = "bad argument #1 to 'fetch_all' (unknown list tool 'get_conversation')" } },
  { "fetch_all with concurrency 0", token = true, op = { "fetch_all", "list_users", nil, { concurrency = 0 }, n = 4 },
    expect = { raised = "bad argument #3 to 'fetch_all' (option 'concurrency' is out of range [1, 8])" } },
  { "each with a bad call option", token = true, op = { "each", "list_users", nil, { fields = 3 }, n = 4 },
    expect = { raised = "bad argument #3 to 'each' (option 'fields' must be an array of strings, got number)" } },
  { "new with a timeout out of range", opts = { timeout = 0 }, op = { "list_users" },
    expect = { raised = "bad argument #1 to 'new' (option 'timeout' is out of range [0.001, 86400])" } },
  { "new with a connect_timeout out of range", opts = { connect_timeout = 1e6 }, op = { "list_users" },
    expect = { raised = "bad argument #1 to 'new' (option 'connect_timeout' is out of range [0.001, 86400])" } },
  { "new with an unknown option", opts = { bogus = 1 }, op = { "list_users" },
    expect = { raised = "bad argument #1 to 'new' (unknown option 'bogus')" } },
}

describe("driver parity: libcurl (easy and multi) and cosockets give the same results", function()
  setup(function()
    sb = sandbox.start{ seed = 42 }
    ng = nginx.start{ workers = 1 }
  end)
  teardown(function()
    if ng then ng:stop() end
    if sb then sb:stop() end
  end)

  it("has at least 30 situations", function() assert.is_true(#CASES >= 30) end)

  for _, case in ipairs(CASES) do
    it(case[1], function()
      local c = run(case, curl)
      local r = run(case, resty)
      if type(case.expect) == "table" and case.expect.raw then assert.same(raw(unpack(case.expect.raw)), c)
      elseif type(case.expect) == "table" then assert.same(case.expect, c)
      elseif case.expect == "items" then assert.is_true((c.items or 0) > 25, "more than a page")
      else error("case without an expectation") end
      assert.same(c, r)
      if case.multi then -- the multi loop against the easy loop (each) on the same walk
        local opts = case.op[3]
        local e = run({ token = true, faults = case.faults, op = { "each", case.op[2], opts } }, curl)
        if e.raised then assert.same(c.error, e.raised) else assert.same(c, e) end
      end
    end)
  end
end)
