-- Retry policy, proven by counting the requests the sandbox received: GET and PUT retry
-- transient failures; a POST is never sent twice unless the server certainly did not process it
-- (429, 503 with Retry-After, a connection that never opened); waits honour the rate-limit
-- headers; the client paces itself from X-RateLimit-Remaining-Minute.
local H = require "client_helper"

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
    assert.is_true(dt < 3, "waited " .. dt)
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

  it("POST is retried after a 503 with Retry-After", function()
    sb:fault{ method = "POST", path = path(notes), count = 1, action = "status", status = 503,
      headers = { ["Retry-After"] = "0" } }
    assert.is_true(H.is_integer(assert(hs:add_note(conv, "after 503"))))
    assert.equal(2, H.count(sb, "POST", path(notes)))
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
    assert.is_table((hs:list_users()))
    local t0 = H.now()
    assert.is_table((hs:list_users()))
    local dt = H.now() - t0
    assert.is_true(dt < 0.5, "paused " .. dt .. " s")
  end)
end)
