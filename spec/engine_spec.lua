-- The call state machine, table-driven and with no network (doc/engine.md, DESIGN §3): each
-- scenario feeds outcomes to one call and checks the actions that come back. Time and randomness
-- are inputs, so every decision of the policy is pinned here: retries, waits and their budget,
-- the POST rule, tokens (missing, due, rejected, lost), pacing, results and paging.
local core = require "helpscout.core"

local BASE = "http://api.test"
local T0 = 1000000

local function engine(opts)
  local o = { client_id = "id", client_secret = "secret", access_token = "tok", base_url = BASE,
    expires_at = T0 + 7200, obtained_at = T0 - 3600 }
  for k, v in pairs(opts or {}) do
    if v == false then o[k] = nil else o[k] = v end
  end
  return core.engine.new(o)
end

local JSON = { ["content-type"] = "application/hal+json" }
local PAGE = '{"_embedded":{"users":[{"id":1},{"id":2}]},"page":{"size":50,"totalElements":2,'
  .. '"totalPages":1,"number":1}}'
local OK = { status = 200, headers = JSON, body = PAGE }
local function status(s, h, body) return { status = s, headers = h or {}, body = body or "" } end
local function tx(fact) return { transport = fact } end
local TOKEN = { token = { access_token = "fresh", token_type = "bearer", expires_at = T0 + 7200,
  obtained_at = T0 } }
local NOTE = { "add_note", 77, "hello" }
local USERS = { "list_users" }

-- expect: a subset of the action table; error = {kind =, retryable =, retry_after =}; value = v1
local function check(a, want, where)
  for k, v in pairs(want) do
    if k == "error" then
      assert.is_table(a.error, where .. ": expected an error, got " .. tostring(a))
      for ek, ev in pairs(v) do assert.equal(ev, a.error[ek], where .. ": error." .. ek) end
    elseif k == "value" then
      assert.is_true(a.ok, where .. ": not ok: " .. tostring(a.error))
      assert.same(v, a[1], where .. ": value")
    elseif k == "seconds" then
      assert.is_true(math.abs(a.seconds - v) < 1e-6, where .. ": seconds " .. tostring(a.seconds))
    else
      assert.equal(v, a[k], where .. ": " .. k)
    end
  end
end

-- steps: { {outcome, expected}, ... }; outcome nil = the first step (or after a WAIT)
local function run(s)
  local eng = s.engine or engine(s.opts)
  for _, pre in ipairs(s.before or {}) do pre(eng) end
  local call = eng:call((table.unpack or unpack)(s.call or USERS))
  for i, st in ipairs(s.steps) do
    local out = {}
    for k, v in pairs(st[1] or {}) do out[k] = v end
    out.now = out.now or T0 + i
    out.rnd = out.rnd or s.rnd or 0.5
    check(call:step(out), st[2], s.name .. " step " .. i)
  end
  return eng
end

local SEND, DONE = { action = "SEND" }, { action = "DONE" }
local function wait(secs, why) return { action = "WAIT", seconds = secs, reason = why or "retry" } end

local scenarios = {
  { name = "a GET with a usable token is sent", steps = { { nil, SEND } } },
  { name = "no token: TOKEN missing", opts = { access_token = false },
    steps = { { nil, { action = "TOKEN", need = "missing" } } } },
  { name = "due token: TOKEN due before SEND", opts = { expires_at = T0 + 30, obtained_at = T0 - 7000 },
    steps = { { nil, { action = "TOKEN", need = "due" } }, { TOKEN, SEND } } },
  { name = "a short token is due at a quarter of its life", opts = { expires_at = T0 + 100, obtained_at = T0 - 20 },
    steps = { { { now = T0 + 76 }, { action = "TOKEN", need = "due" } } } },
  { name = "a due token without credentials is sent as it is", opts = { client_id = false,
    client_secret = false, expires_at = T0 + 1, obtained_at = T0 - 7000 }, steps = { { nil, SEND } } },
  { name = "unknown expiry: used until a 401", opts = { expires_at = false, obtained_at = false },
    steps = { { { now = T0 + 1e6 }, SEND } } },
  { name = "200 list: items", steps = { { nil, SEND }, { OK, { action = "DONE", ok = true, n = 2 } } } },
  { name = "429 with X-RateLimit-Retry-After waits that long",
    steps = { { nil, SEND }, { status(429, { ["x-ratelimit-retry-after"] = "3" }), wait(3) },
      { { now = T0 + 5 }, SEND } } },
  { name = "429 falls back to Retry-After", steps = { { nil, SEND },
    { status(429, { ["retry-after"] = "4" }), wait(4) } } },
  { name = "429 without a header: backoff with jitter", rnd = 0.5, steps = { { nil, SEND },
    { status(429), wait(0.25) } } },
  { name = "429 asking for more than the budget: rate_limited with retry_after", steps = { { nil, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "500" }), { action = "DONE", ok = false,
      error = { kind = "rate_limited", retry_after = 500, status = 429 } } } } },
  { name = "waits of one call are summed under the budget", steps = { { nil, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "70" }), wait(70) }, { { now = T0 + 72 }, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "70" }), { action = "DONE", error = { kind = "rate_limited" } } } } },
  { name = "500 on a GET is retried", steps = { { nil, SEND }, { status(500), wait(0.25) } } },
  { name = "500 on a POST is final (it may have been processed)", call = NOTE, steps = { { nil, SEND },
    { status(500), { action = "DONE", error = { kind = "server", retryable = false } } } } },
  { name = "503 with Retry-After on a POST is returned (it may have been processed)", call = NOTE,
    steps = { { nil, SEND }, { status(503, { ["retry-after"] = "2" }), { action = "DONE",
      error = { kind = "server", retryable = true, retry_after = 2 } } } } },
  { name = "503 without Retry-After on a POST is returned, retryable", call = NOTE, steps = { { nil, SEND },
    { status(503), { action = "DONE", error = { kind = "server", retryable = true } } } } },
  { name = "429 on a POST is retried (not processed)", call = NOTE, steps = { { nil, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "1" }), wait(1) } } },
  { name = "POST: connect timeout with nothing sent is retried", call = NOTE, rnd = 0, steps = {
    { nil, SEND }, { tx("connect_timeout"), SEND } } },
  { name = "POST: refused connection is retried", call = NOTE, steps = { { nil, SEND },
    { tx("noconnect"), wait(0.25) } } },
  { name = "POST: timeout after sending is final", call = NOTE, steps = { { nil, SEND },
    { tx("timeout"), { action = "DONE", error = { kind = "timeout", retryable = false } } } } },
  { name = "POST: dropped after send is final", call = NOTE, steps = { { nil, SEND },
    { tx("network"), { action = "DONE", error = { kind = "network", retryable = false } } } } },
  { name = "GET: dropped connection is retried", rnd = 0, steps = { { nil, SEND }, { tx("network"), SEND } } },
  { name = "GET: truncated body is retried", rnd = 0, steps = { { nil, SEND }, { tx("truncated"), SEND } } },
  { name = "POST: truncated answer is final", call = NOTE, steps = { { nil, SEND },
    { tx("truncated"), { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "a body too large is final", rnd = 0, steps = { { nil, SEND },
    { tx("toobig"), { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "retries run out", opts = { retries = 1 }, rnd = 0, steps = { { nil, SEND }, { status(502), SEND },
    { status(502), { action = "DONE", error = { kind = "server", status = 502 } } } } },
  { name = "401: renew once, then replay", steps = { { nil, SEND },
    { status(401), { action = "TOKEN", need = "rejected" } }, { TOKEN, SEND }, { OK, DONE } } },
  { name = "401 twice: auth", steps = { { nil, SEND }, { status(401), { action = "TOKEN" } }, { TOKEN, SEND },
    { status(401), { action = "DONE", error = { kind = "auth", status = 401 } } } } },
  { name = "401 without credentials: auth at once", opts = { client_id = false, client_secret = false },
    steps = { { nil, SEND }, { status(401), { action = "DONE", error = { kind = "auth" } } } } },
  { name = "a token error ends the call with it", opts = { access_token = false }, steps = {
    { nil, { action = "TOKEN" } },
    { { error = core.error("reconsent", "gone") }, { action = "DONE", error = { kind = "reconsent" } } } } },
  { name = "read_only refuses a write without sending", opts = { read_only = true }, call = NOTE,
    steps = { { nil, { action = "DONE", error = { kind = "read_only" } } } } },
  { name = "read_only still reads", opts = { read_only = true }, steps = { { nil, SEND } } },
  { name = "201 with Resource-ID: the id", call = NOTE, steps = { { nil, SEND },
    { status(201, { ["resource-id"] = "4242" }), { value = 4242 } } } },
  { name = "201 with a Location of the right shape on the API origin", call = NOTE, steps = { { nil, SEND },
    { status(201, { location = BASE .. "/v2/conversations/77/threads/88" }), { value = 88 } } } },
  { name = "201 with a relative Location", call = NOTE, steps = { { nil, SEND },
    { status(201, { location = "/v2/conversations/77/threads/89/" }), { value = 89 } } } },
  { name = "201 with a Location on another host: protocol", call = NOTE, steps = { { nil, SEND },
    { status(201, { location = "http://evil.test/v2/conversations/77/threads/88" }),
      { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "201 with a Location of another resource: protocol", call = NOTE, steps = { { nil, SEND },
    { status(201, { location = BASE .. "/v2/users/5" }), { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "update_tags: 204 is true", call = { "update_tags", 77, { "a" } }, steps = { { nil, SEND },
    { status(204), { value = true } } } },
  { name = "update_tags: 200 with JSON is true", call = { "update_tags", 77, {} }, steps = { { nil, SEND },
    { status(200, JSON, "{}"), { value = true } } } },
  { name = "update_tags: an HTML page with 200 is protocol", call = { "update_tags", 77, {} },
    steps = {
    { nil, SEND }, { status(200, { ["content-type"] = "text/html" }, "<html>ok</html>"),
      { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "a redirect is an answer, not followed", steps = { { nil, SEND },
    { status(302, { location = "http://elsewhere.test/" }),
      { action = "DONE", error = { kind = "protocol", status = 302 } } } } },
  { name = "a list item whose id is not an integer: protocol", steps = { { nil, SEND },
    { status(200, JSON, '{"_embedded":{"users":[{"id":1.5}]}}'),
      { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "_embedded.<key> that is not an array: protocol", steps = { { nil, SEND },
    { status(200, JSON, '{"_embedded":{"users":"x"}}'), { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "a non-JSON 200: protocol", steps = { { nil, SEND },
    { status(200, JSON, "<html>"), { action = "DONE", error = { kind = "protocol" } } } } },
  { name = "pacing: a count of 0 sends one probe", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "0" }, PAGE), DONE } },
    after = function(eng)
      local c1, c2 = eng:call("list_users"), eng:call("list_users")
      assert.equal("SEND", c1:step{ now = T0 + 5 }.action) -- the probe
      assert.equal("WAIT", c2:step{ now = T0 + 5 }.action) -- waits for what the probe learns
    end },
  { name = "pacing: a 429's reset makes later calls wait for it", steps = { { nil, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "5" }), wait(5) } },
    after = function(eng)
      local a = eng:call("list_users"):step{ now = T0 + 3 }
      assert.equal("WAIT", a.action)
      assert.equal("rate_limit", a.reason)
      assert.is_true(math.abs(a.seconds - 4) < 1e-6, tostring(a.seconds))
      assert.equal("SEND", eng:call("list_users"):step{ now = T0 + 7.5 }.action) -- a new window
    end },
  { name = "pacing: requests in flight count against the remaining budget", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "2" }, PAGE), DONE } },
    after = function(eng)
      local a, b, c = eng:call("list_users"), eng:call("list_users"), eng:call("list_users")
      assert.equal("SEND", a:step{ now = T0 + 3 }.action)
      assert.equal("SEND", b:step{ now = T0 + 3 }.action)
      assert.equal("WAIT", c:step{ now = T0 + 3 }.action)
      assert.equal(2, eng:rate().inflight)
    end },
  { name = "pacing: answers that arrive out of order never raise the count", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "3" }, PAGE), DONE } },
    after = function(eng)
      local a, b, c = eng:call("list_users"), eng:call("list_users"), eng:call("list_users")
      for _, k in ipairs { a, b, c } do assert.equal("SEND", k:step{ now = T0 + 3 }.action) end
      local function left(n)
        return status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = n }, PAGE)
      end
      for _, kn in ipairs { { c, "0" }, { b, "1" }, { a, "2" } } do -- the server answered a, b, c
        local out = left(kn[2])
        out.now = T0 + 4
        assert.equal("DONE", kn[1]:step(out).action)
      end
      assert.equal(0, eng:rate().remaining)
      -- kept in a local: a call collected while in flight gives its probe (and budget) back
      local probe = eng:call("list_users")
      assert.equal("SEND", probe:step{ now = T0 + 4 }.action) -- the probe
      assert.equal("WAIT", eng:call("list_users"):step{ now = T0 + 4 }.action)
    end },
  { name = "pacing: the probe's answer sets the count afresh (the window reset unseen)", steps = {
    { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "0" }, PAGE), DONE } },
    after = function(eng)
      local probe = eng:call("list_users")
      assert.equal("SEND", probe:step{ now = T0 + 5 }.action)
      assert.equal("DONE", probe:step{ now = T0 + 5, status = 200, headers = {
        ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "19" }, body = PAGE }.action)
      assert.equal(19, eng:rate().remaining)
      assert.equal("SEND", eng:call("list_users"):step{ now = T0 + 5 }.action)
      assert.equal("SEND", eng:call("list_users"):step{ now = T0 + 5 }.action)
    end },
  { name = "pacing: a rise beyond what overtaken answers explain is a new window", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "5" }, PAGE), DONE } },
    after = function(eng)
      local function answer(n)
        local k = eng:call("list_users")
        assert.equal("SEND", k:step{ now = T0 + 3 }.action)
        k:step{ now = T0 + 3, status = 200, headers = { ["content-type"] = "application/json",
          ["x-ratelimit-remaining-minute"] = n }, body = PAGE }
        return eng:rate().remaining
      end
      assert.equal(5, answer("12")) -- could be an answer overtaken by 7 of ours: kept low
      assert.equal(199, answer("199")) -- no answer of ours is overtaken by 194 others
    end },
  { name = "pacing: a write costs 2", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "1" }, PAGE), DONE } },
    after = function(eng)
      eng:set_rate{ reset_at = T0 + 30 }
      local a = eng:call("add_note", 1, "x"):step{ now = T0 + 3 }
      assert.equal("WAIT", a.action)
      assert.equal("SEND", eng:call("list_users"):step{ now = T0 + 3 }.action)
    end },
  { name = "pacing: a malformed count is ignored", steps = { { nil, SEND },
    { status(200, { ["content-type"] = "application/json", ["x-ratelimit-remaining-minute"] = "n/a" }, PAGE), DONE } },
    after = function(eng) assert.equal("SEND", eng:call("list_users"):step{ now = T0 + 3 }.action) end },
  { name = "pacing: a reset beyond the budget ends the call", steps = { { nil, SEND },
    { status(429, { ["x-ratelimit-retry-after"] = "300" }), DONE } },
    after = function(eng)
      local a = eng:call("list_users"):step{ now = T0 + 3 }
      assert.equal("rate_limited", a.error.kind)
      assert.is_true(a.error.retry_after > 120)
    end },
}

describe("engine state machine", function()
  for _, s in ipairs(scenarios) do
    it(s.name, function()
      local eng = run(s)
      if s.after then s.after(eng) end
    end)
  end

  it("refuses an outcome that does not answer the last action", function()
    local call = engine():call("list_users")
    assert.equal("SEND", call:step{ now = T0 }.action)
    assert.has_error(function() call:step{ now = T0, token = TOKEN.token } end)
    assert.has_error(function() call:step{} end) -- no clock
  end)

  it("prints a SEND without headers or body (they may hold secrets)", function()
    local a = engine{ access_token = "s3cr3t-token" }:call("add_note", 1, "x"):step{ now = T0 }
    assert.equal("Bearer s3cr3t-token", a.headers.Authorization)
    assert.is_true(a.fresh_connection)
    local line = tostring(a)
    assert.equal("SEND POST " .. BASE .. "/v2/conversations/1/notes", line)
  end)

  it("refuses CR or LF in header values", function()
    assert.error_matches(function() engine{ user_agent = "x\r\nX-Evil: 1" } end,
      "option 'user_agent' must not contain CR or LF", 1, true)
    assert.error_matches(function() engine{ access_token = "t\nX-Evil: 1" } end,
      "option 'access_token' or 'refresh_token' must not contain CR or LF", 1, true)
    local eng = engine()
    assert.error_matches(function() eng:set_token{ access_token = "a\r\nb" } end,
      "bad argument #1 to 'set_token' (a token value holds CR or LF)", 1, true)
    local req = eng:grant_request(T0)
    local tok, err = eng:grant_answer{ now = T0, status = 200, headers = JSON,
      body = '{"access_token":"a\\r\\nX-Evil: 1","expires_in":7200}' }
    assert.is_nil(tok)
    assert.equal("protocol", err.kind)
    assert.equal("POST", req.method)
  end)

  it("checks base_url in the core, and strips a trailing /v2", function()
    for _, bad in ipairs { "http://", "ftp://x", "http://u:p@h", "http://h/?access_token=x", "http://h/#f", "h" } do
      assert.error_matches(function() core.engine.new{ access_token = "t", base_url = bad } end,
        "bad argument #1 to 'new' (option 'base_url' must be an http(s) URL", 1, true, bad)
    end
    for _, good in ipairs { "http://h:8/v2", "http://h:8/v2/", "http://h:8/" } do
      local a = core.engine.new{ access_token = "t", base_url = good }:call("list_users"):step{ now = T0 }
      assert.equal("http://h:8/v2/users", a.url, good)
    end
    local eng = core.engine.new{ client_id = "i", client_secret = "s", base_url = "https://h/v2/" }
    assert.equal("https://h/v2/oauth2/token", eng:grant_request(T0).url)
  end)

  describe("tokens", function()
    it("a lost refresh answer may be re-sent once; a refused refresh token is never sent again", function()
      local eng = engine{ refresh_token = "r1" }
      local req = eng:grant_request(T0)
      assert.truthy(req.body:find("grant_type=refresh_token", 1, true))
      local _, err = eng:grant_answer{ now = T0, transport = "network" }
      assert.is_true(err.resend)
      _, err = eng:grant_answer{ now = T0, transport = "network" }
      assert.is_nil(err.resend)
      _, err = eng:grant_answer{ now = T0, status = 400, headers = JSON,
        body = '{"error":"invalid_grant","error_description":"used"}' }
      assert.equal("reconsent", err.kind)
      local again, e2 = eng:grant_request(T0)
      assert.is_nil(again)
      assert.equal("reconsent", e2.kind)
      eng:set_token{ access_token = "a2", refresh_token = "r2" } -- another process rotated it
      assert.truthy(eng:grant_request(T0).body:find("refresh_token=r2", 1, true))
    end)

    it("adopts a grant answer with its lifetime and bumps the generation", function()
      local eng = engine{ access_token = false }
      local g = eng:generation()
      eng:grant_request(T0)
      local tok = eng:grant_answer{ now = T0, status = 200, headers = JSON,
        body = '{"access_token":"new","refresh_token":"r","token_type":"bearer","expires_in":172800}' }
      assert.equal("new", tok.access_token)
      assert.equal(T0 + 172800, tok.expires_at)
      assert.equal(T0, tok.obtained_at)
      assert.is_true(eng:generation() > g)
      assert.is_false(eng:due(nil, T0 + 1000))
      assert.is_true(eng:due(nil, T0 + 172800 - 59))
    end)
  end)

  describe("pages", function()
    local function page(next, items, total)
      local links = next and (',"_links":{"next":{"href":"' .. next .. '"}}') or ""
      return { status = 200, headers = JSON, body = '{"_embedded":{"users":[' .. items .. ']},"page":{"totalPages":'
        .. (total or 3) .. '}' .. links .. "}" }
    end
    local function drive(call, out)
      assert.equal("SEND", call:step{ now = T0 }.action)
      out.now = T0
      return call:step(out)
    end
    local function walk(p, answers)
      local got, err = {}, nil
      for _, ans in ipairs(answers) do
        local call, cerr = p:next_call()
        if not call then err = cerr; break end
        local items, aerr = p:accept(call, drive(call, ans))
        if not items then err = aerr; break end
        for _, it in ipairs(items) do got[#got + 1] = it.id end
      end
      return got, err
    end

    it("follows relative and absolute next links on the API origin, skipping ids seen", function()
      local p = engine():pager("list_users", {})
      local got, err = walk(p, { page("/v2/users?page=2", '{"id":1},{"id":2}'),
        page(BASE .. "/v2/users?page=3", '{"id":2},{"id":3}'), page(nil, '{"id":4}') })
      assert.is_nil(err)
      assert.same({ 1, 2, 3, 4 }, got)
      assert.is_nil(p:next_call())
    end)

    it("refuses a next link to another host", function()
      local _, err = walk(engine():pager("list_users", {}), { page("http://evil.test/v2/users?page=2", '{"id":1}') })
      assert.equal("protocol", err.kind)
      assert.truthy(err.message:find("leaves the API host", 1, true))
    end)

    it("refuses a next link back to a page already read", function()
      local _, err = walk(engine():pager("list_users", {}), { page("/v2/users?page=2", '{"id":1}'),
        page("/v2/users", '{"id":2}') })
      assert.equal("protocol", err.kind)
    end)

    it("bounds a walk by totalPages + 10", function()
      local answers = {}
      for i = 1, 30 do answers[i] = page("/v2/users?page=" .. (i + 1), '{"id":' .. i .. "}", 1) end
      local got, err = walk(engine():pager("list_users", {}), answers)
      assert.equal("protocol", err.kind)
      assert.equal(11, #got)
    end)

    it("plans a parallel walk from totalPages and ends at the first empty page", function()
      local p = engine():pager("list_users", {})
      local call = p:next_call()
      local items, pg = p:accept(call, drive(call, page(nil, '{"id":1}', 1e9)))
      assert.equal(1, #items)
      assert.is_true(p:parallel(pg))
      assert.equal(2, p:next_page(2))
      assert.equal(3, p:next_page(2))
      assert.is_nil(p:next_page(2)) -- window full: at most 2 ahead of the join
      local c2 = p:page_call(2)
      assert.is_true(p:accept_page(2, c2, drive(c2, page(nil, "", 1e9))))
      local got, finished = p:take()
      assert.same({}, got)
      assert.is_true(finished)
      assert.is_nil(p:next_page(2))
    end)
  end)
end)
