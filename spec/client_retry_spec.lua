-- Retry policy, proven by counting the requests the sandbox received: GET and PUT retry
-- transient failures; a POST is never sent twice unless the server certainly did not process it
-- (429, a connection that never opened; a 503 is returned with retryable = true); waits honour the rate-limit
-- headers; the client paces itself from X-RateLimit-Remaining-Minute.
local H = require "client_helper"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound

describe("client retries", function()
  local sb, hs, conv, cust

  setup(function()
    sb = H.start{ seed = 51 }
    local c = H.client(sb)
    conv, cust = H.some_conversation(c)
    c:close()
  end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb, { retries = 2, timeout = 1 })
    assert(hs:token())
    sb:clear_log()
  end)
  after_each(function() hs:close() end)

  local notes = "/v2/conversations/%d/notes"
  local function path(fmt) return fmt:format(conv) end
  local function threads_of(id)
    local c = assert(hs:get_conversation(id))
    return #c._embedded.threads
  end

  it("GET retries a 500 and succeeds", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 500 }
    assert.is_table((hs:list_users()))
    assert.equal(2, H.count(sb, "GET", "/v2/users"))
  end)

  it("GET retries a dropped connection, a timeout and a truncated body", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "drop" }
    assert.is_table((hs:list_users()))
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "delay", delay = 1.5 }
    assert.is_table((hs:list_users()))
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "truncate" }
    assert.is_table((hs:list_users()))
    assert.equal(6, H.count(sb, "GET", "/v2/users"))
  end)

  it("GET gives up after `retries` retries", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 10, action = "status", status = 503 }
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("server", err.kind)
    assert.is_true(err.retryable)
    assert.equal(3, H.count(sb, "GET", "/v2/users"))
  end)

  it("PUT retries a dropped connection", function()
    sb:fault{ method = "PUT", path = "/v2/conversations/" .. conv .. "/tags", count = 1, action = "drop" }
    assert.is_true(hs:update_tags(conv, { "x" }))
    assert.equal(2, H.count(sb, "PUT", "/v2/conversations/" .. conv .. "/tags"))
  end)

  it("POST is not retried after a 500 (processed by the server)", function()
    local before = threads_of(conv)
    sb:clear_log()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "status", status = 500, process = true }
    local tid, err = hs:add_note(conv, "once")
    assert.is_nil(tid)
    assert.equal("server", err.kind)
    assert.is_false(err.retryable)
    assert.equal(1, H.count(sb, "POST", path(notes)))
    assert.equal(before + 1, threads_of(conv))
  end)

  it("POST is not retried after a timeout", function()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "delay", delay = 2, process = true }
    local tid, err = hs:add_note(conv, "slow")
    assert.is_nil(tid)
    assert.equal("timeout", err.kind)
    assert.is_false(err.retryable)
    assert.equal(1, H.count(sb, "POST", path(notes)))
  end)

  it("POST on a reused keep-alive connection that drops is sent once (libcurl does not resend)", function()
    -- warm a keep-alive connection first: without a fresh connection for POSTs, libcurl would
    -- silently resend the request on a reused connection that died
    assert.is_table((hs:list_users()))
    assert.is_table((hs:list_users()))
    sb:fault{ method = "POST", path = "/v2/conversations/" .. conv .. "/reply", count = 1,
      action = "drop", process = true }
    local tid, err = hs:reply(conv, { customer = { id = cust }, text = "only once", draft = true })
    assert.is_nil(tid)
    assert.equal("network", err.kind)
    assert.is_false(err.retryable)
    assert.equal(1, H.count(sb, "POST", "/v2/conversations/" .. conv .. "/reply"))
    for i = 1, 3 do
      sb:fault{ method = "POST", path = path(notes), count = 1, action = i == 3 and "truncate" or "drop",
        process = true }
      hs:add_note(conv, "drop " .. i)
    end
    assert.equal(3, H.count(sb, "POST", path(notes)))
  end)

  it("POST is retried after a 429 and the wait honours X-RateLimit-Retry-After", function()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "status", status = 429,
      headers = { ["X-RateLimit-Retry-After"] = "1", ["Retry-After"] = "5" } }
    local t0 = H.now()
    local tid = assert(hs:add_note(conv, "after 429"))
    local dt = H.now() - t0
    assert.is_true(dt >= 0.95, "waited " .. dt)
    assert.is_true(dt < timing.bound(3), "waited " .. dt)
    assert.is_true(H.is_integer(tid))
    assert.equal(2, H.count(sb, "POST", path(notes)))
  end)

  it("falls back to Retry-After", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 429,
      headers = { ["Retry-After"] = "1" } }
    local t0 = H.now()
    assert.is_table((hs:list_users()))
    assert.is_true(H.now() - t0 >= 0.95)
  end)

  it("POST is not sent again after a 503 with Retry-After: returned, retryable", function()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "status", status = 503,
      headers = { ["Retry-After"] = "0" } }
    local id, err = hs:add_note(conv, "after 503")
    assert.is_nil(id)
    assert.equal(503, err.status)
    assert.is_true(err.retryable)
    assert.equal(0, err.retry_after)
    assert.equal(1, H.count(sb, "POST", path(notes)))
  end)

  it("POST is retried when the connection never opened, and the write happens exactly once", function()
    -- A port where nothing listens yet; a forwarder to this same sandbox starts listening on it
    -- ~0.6 s later. The client already holds a valid token (no token request goes to the closed
    -- port, which would otherwise be retried first and leave the POST's own first attempt to
    -- luck): its very first connection is the POST, and it is refused.
    local tok = assert(hs:token())
    local port = H.free_port()
    local gate = H.gate(port, sb.port, 0.6)
    local late = H.client(sb, { base_url = "http://127.0.0.1:" .. port, client_id = false,
      client_secret = false, access_token = tok.access_token, retries = 10, connect_timeout = 2 })
    local before = threads_of(conv)
    sb:clear_log()
    local t0 = H.now()
    local tid, err = late:add_note(conv, "through a port that opened late")
    local dt = H.now() - t0
    late:close()
    local listened = gate:stop()
    assert.is_nil(err)
    assert.is_true(H.is_integer(tid))
    assert.truthy(listened, "the forwarder never listened")
    assert.is_true(dt >= 0.4, "the first attempt was not refused (took " .. dt .. " s)")
    assert.equal(1, H.count(sb, "POST", path(notes)))
    assert.equal(before + 1, threads_of(conv))
  end)

  -- A client for a port whose TCP handshakes never complete (see H.stalled_port): it holds a
  -- valid token, so the POST is its very first connection (no token request goes there first).
  local function stalled_client(port, o)
    local tok = assert(hs:token())
    local opts = { base_url = "http://127.0.0.1:" .. port, client_id = false, client_secret = false,
      access_token = tok.access_token, connect_timeout = 0.3, timeout = 5 }
    for k, v in pairs(o) do opts[k] = v end
    return H.client(sb, opts)
  end

  it("POST is retried when the connection never completed (connect timeout)", function()
    local port, close = H.stalled_port()
    -- retries = 0: one attempt, one connect timeout
    local one = stalled_client(port, { retries = 0 })
    local t0 = H.now()
    local tid, err = one:add_note(conv, "never connected")
    local dt1 = H.now() - t0
    one:close()
    -- retries = 2: three attempts, three connect timeouts (plus jittered waits under 1.5 s)
    local three = stalled_client(port, { retries = 2 })
    t0 = H.now()
    local tid3, err3 = three:add_note(conv, "never connected")
    local dt3 = H.now() - t0
    three:close()
    close()
    assert.is_nil(tid)
    assert.equal("timeout", err.kind)
    assert.is_true(err.retryable)
    assert.is_true(dt1 >= 0.25 and dt1 < timing.bound(0.9), "one attempt took " .. dt1 .. " s")
    assert.is_nil(tid3)
    assert.equal("timeout", err3.kind)
    assert.is_true(err3.retryable)
    assert.is_true(dt3 >= 0.85, "three attempts took only " .. dt3 .. " s")
    assert.is_true(dt3 < timing.bound(4), "three attempts took " .. dt3 .. " s")
    assert.equal(0, H.count(sb, "POST", path(notes)))
  end)

  it("POST retried over a connect timeout is written exactly once when the port opens", function()
    local port = H.free_port()
    local gate = H.stalled_gate(port, sb.port, 1.0) -- listening, but no handshake for 1 s
    local late = stalled_client(port, { retries = 10 })
    local before = threads_of(conv)
    sb:clear_log()
    local t0 = H.now()
    local tid, err = late:add_note(conv, "through a port that stalled")
    local dt = H.now() - t0
    late:close()
    gate:stop()
    assert.is_nil(err)
    assert.is_true(H.is_integer(tid))
    assert.is_true(dt >= 0.9, "no connect timed out first (took " .. dt .. " s)")
    assert.equal(1, H.count(sb, "POST", path(notes)))
    assert.equal(before + 1, threads_of(conv))
  end)

  it("POST that timed out after the request went out is sent once, even with retries left", function()
    local before = threads_of(conv)
    sb:clear_log()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "delay", delay = 1.5, process = true }
    local many = H.client(sb, { retries = 5, timeout = 0.5, connect_timeout = 0.3 })
    local t0 = H.now()
    local tid, err = many:add_note(conv, "slow, once")
    local dt = H.now() - t0
    many:close()
    assert.is_nil(tid)
    assert.equal("timeout", err.kind)
    assert.is_false(err.retryable)
    -- (the log's count below is the rule; the time says the delayed answer was not awaited)
    assert.is_true(dt < timing.bound(1.4), "took " .. dt .. " s")
    local posts = sb:log{ method = "POST", path = path(notes) }
    assert.equal(1, #posts)
    assert.equal(before + 1, threads_of(conv))
  end)

  it("the engine's policy takes the same facts from any driver", function()
    local engine = require("helpscout.core").engine
    local eng = engine.new{ access_token = "t", base_url = sb.url, retries = 2 }
    -- feeds a transport fact to a fresh call of tool; returns the next action
    local function after(tool, fact, ...)
      local call = eng:call(tool, ...)
      assert.equal("SEND", call:step{ now = 1000 }.action)
      return call:step{ now = 1000, rnd = 0, transport = fact }
    end
    assert.equal("SEND", after("add_note", "connect_timeout", 1234, "x").action)
    assert.equal("SEND", after("add_note", "noconnect", 1234, "x").action)
    local done = after("add_note", "timeout", 1234, "x")
    assert.equal("DONE", done.action)
    assert.equal("timeout", done.error.kind)
    assert.is_false(done.error.retryable)
    assert.equal("SEND", after("list_users", "timeout").action)
    local call = eng:call("add_note", 1234, "x")
    call:step{ now = 1000 }
    call:step{ now = 1000, rnd = 0, transport = "connect_timeout" }
    call:step{ now = 1000, rnd = 0, transport = "connect_timeout" }
    done = call:step{ now = 1000, rnd = 0, transport = "connect_timeout" }
    assert.equal("DONE", done.action)
    assert.equal("timeout", done.error.kind)
    assert.is_true(done.error.retryable)
  end)

  it("fetch_all (parallel driver) classifies a connect timeout the same way", function()
    -- the first page goes through the gate's first connection; then its queue is full for 10 s,
    -- so every later page's connection times out while connecting
    local all = { status = "all" }
    local _, pg = hs:list_conversations(all)
    assert.is_true(pg.totalPages > 1, "the seed has a single page")
    local port = H.free_port()
    local gate = H.stalled_gate(port, sb.port, 10, 1)
    local c = stalled_client(port, { retries = 1 })
    local t0 = H.now()
    local items, err = c:fetch_all("list_conversations", all, { concurrency = 2 })
    local dt = H.now() - t0
    c:close()
    gate:stop()
    assert.is_nil(items)
    assert.equal("timeout", err.kind)
    assert.is_true(err.retryable)
    assert.is_truthy(err.message:find("onnect", 1, true), err.message)
    assert.is_true(dt >= 0.55, "two attempts took only " .. dt .. " s")
    assert.is_true(dt < timing.bound(4), "took " .. dt .. " s")
  end)

  it("paces itself from X-RateLimit-Remaining-Minute instead of hitting 429", function()
    sb:config{ rate_limit = 6, rate_window = 1 }
    local t0 = H.now()
    for _ = 1, 10 do assert.is_table((hs:list_users())) end
    local dt = H.now() - t0
    local limited = 0
    for _, r in ipairs(sb:log{ method = "GET", path = "/v2/users" }) do
      if r.status == 429 then limited = limited + 1 end
    end
    assert.is_true(limited <= 1, limited .. " requests were throttled")
    assert.is_true(dt >= 0.5, "took " .. dt)
    sb:config{ rate_limit = 0 }
  end)
  it("ignores a malformed X-RateLimit-Remaining-Minute instead of pausing", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 200,
      headers = { ["Content-Type"] = "application/hal+json", ["X-RateLimit-Remaining-Minute"] = "n/a" },
      body = '{"_embedded":{"users":[]},"page":{"size":50,"totalElements":0,"totalPages":0,"number":0}}' }
    local times = {}
    for i = 1, 5 do
      if i > 1 then sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 200,
        headers = { ["Content-Type"] = "application/hal+json", ["X-RateLimit-Remaining-Minute"] = "n/a" },
        body = '{"_embedded":{"users":[]},"page":{"size":50,"totalElements":0,"totalPages":0,"number":0}}' } end
      assert.is_table((hs:list_users()))
      local t0 = H.now()
      assert.is_table((hs:list_users()))
      times[i] = H.now() - t0
    end
    local dt = timing.median(times)
    assert.is_true(dt < timing.bound(0.5), "paused " .. dt .. " s (median of 5)")
  end)
end)
