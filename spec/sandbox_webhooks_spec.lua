-- Webhooks sent by the sandbox for its writes (issue 9): a LuaSocket receiver in this process
-- checks the event header and the signature with helpscout.core's sys (HMAC-SHA1, base64), sees
-- retries after a failure (at least once: the same bytes again), and the sandbox keeps serving
-- requests while a receiver hangs; the queue is bounded; GET /_sandbox/webhooks never shows the
-- secret.
local socket = require "socket"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound
local cjson = require "cjson.safe"
local sys = require("helpscout.core").sys
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, client_token = rawhttp.request, rawhttp.client_token
local SECRET = "whsec-spec-secret-7f3a"

local function I(n) return string.format("%d", n) end

-- A receiver on 127.0.0.1:0; next(status) accepts one delivery, answers status and returns it.
local function receiver()
  local srv = assert(socket.bind("127.0.0.1", 0))
  local _, port = srv:getsockname()
  local r = { srv = srv, url = "http://127.0.0.1:" .. port .. "/hooks/help-scout" }
  function r.next(status, timeout)
    srv:settimeout(timeout or 5)
    local c = srv:accept()
    if not c then return nil end
    c:settimeout(5)
    local line = assert(c:receive("*l"))
    local headers = {}
    while true do
      local h = assert(c:receive("*l"))
      if h == "" then break end
      local k, v = h:match("^([^:]+):%s*(.*)$")
      headers[k:lower()] = v
    end
    local body = assert(c:receive(tonumber(headers["content-length"])))
    c:send(("HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"):format(status or 200))
    c:close()
    return { line = line, headers = headers, body = body, json = cjson.decode(body) }
  end
  function r.close() srv:close() end
  return r
end

local function signed(d)
  return d.headers["x-helpscout-signature"] == sys.base64(sys.hmac_sha1(SECRET, d.body))
end

describe("sandbox webhooks", function()
  local sb, tok, rx

  setup(function()
    rx = receiver()
    sb = sandbox.start { seed = 42, webhook_url = rx.url, webhook_secret = SECRET }
    tok = client_token(sb)
  end)
  teardown(function()
    if sb then sb:stop() end
    if rx then rx.close() end
  end)

  local function some_conversation()
    return request(sb, "GET", "/v2/conversations?status=all", { token = tok }).json._embedded.conversations[1]
  end
  local function post(path, body) return request(sb, "POST", path, { token = tok, body = body }) end

  it("signs and sends convo.note.created, convo.agent.reply.created, convo.tags, convo.created", function()
    local conv = some_conversation()
    local base = "/v2/conversations/" .. I(conv.id)
    assert.equal(201, post(base .. "/notes", { text = "Webhook note" }).status)
    local d = assert(rx.next(200))
    assert.equal("POST /hooks/help-scout HTTP/1.1", d.line)
    assert.equal("convo.note.created", d.headers["x-helpscout-event"])
    assert.matches("^application/json", d.headers["content-type"])
    assert.is_true(signed(d))
    assert.equal(conv.id, d.json.id)
    assert.equal("note", d.json._embedded.threads[1].type)
    assert.equal("Webhook note", d.json._embedded.threads[1].body)

    assert.equal(201, post(base .. "/reply", { text = "Hi", customer = { id = conv.primaryCustomer.id },
      draft = true }).status)
    assert.equal(201, post(base .. "/reply", { text = "Hello", customer = { id = conv.primaryCustomer.id } }).status)
    d = assert(rx.next(200)) -- the draft sent nothing: the next delivery is the reply
    assert.equal("convo.agent.reply.created", d.headers["x-helpscout-event"])
    assert.is_true(signed(d))
    assert.equal(204, request(sb, "PUT", base .. "/tags", { token = tok, body = { tags = { "hooked" } } }).status)
    d = assert(rx.next(200))
    assert.equal("convo.tags", d.headers["x-helpscout-event"])
    assert.equal("hooked", d.json.tags[1].tag)
    local res = post("/v2/conversations", { subject = "New via API", customer = { email = "hook@example.test" },
      mailboxId = 4821, type = "email", status = "active", threads = { { type = "customer", text = "Help" } } })
    assert.equal(201, res.status)
    d = assert(rx.next(200))
    assert.equal("convo.created", d.headers["x-helpscout-event"])
    assert.equal(res.headers["resource-id"], I(d.json.id))
    assert.is_true(signed(d))
    -- a bad write sends nothing
    assert.equal(400, post(base .. "/notes", { text = "" }).status)
    assert.is_nil(rx.next(200, 0.5))
    local list = sb:webhooks()
    assert.equal(4, #list)
    for _, w in ipairs(list) do
      assert.equal("delivered", w.status)
      assert.equal(1, w.attempts)
      assert.equal(200, w.last_result)
    end
    local _, raw = sb:request("GET", "/_sandbox/webhooks")
    local _, cfg = sb:request("GET", "/_sandbox/config")
    assert.is_nil((cjson.encode(raw) .. cjson.encode(cfg)):find(SECRET, 1, true))
    assert.is_true(cfg.webhook_secret_set)
  end)

  it("retries a failed delivery with the same bytes (at least once)", function()
    sb:control("DELETE", "webhooks")
    local conv = some_conversation()
    assert.equal(201, post("/v2/conversations/" .. I(conv.id) .. "/notes", { text = "retry me" }).status)
    local first = assert(rx.next(503))
    local t0 = socket.gettime()
    local second = assert(rx.next(200))
    assert.is_true(socket.gettime() - t0 >= 0.3, "retried without backoff")
    assert.equal(first.body, second.body)
    assert.is_true(signed(second))
    socket.sleep(0.1)
    local w = sb:webhooks()[1]
    assert.equal("delivered", w.status)
    assert.equal(2, w.attempts)
  end)

  it("keeps serving while a receiver hangs, then times the attempt out", function()
    local hang = assert(socket.bind("127.0.0.1", 0)) -- listens, never answers
    local _, port = hang:getsockname()
    sb:config { webhook_url = "http://127.0.0.1:" .. port .. "/" }
    sb:control("DELETE", "webhooks")
    local conv = some_conversation()
    assert.equal(201, post("/v2/conversations/" .. I(conv.id) .. "/notes", { text = "into the void" }).status)
    local times = timing.sample(10, function()
      assert.equal(200, request(sb, "GET", "/v2/mailboxes", { token = tok }).status)
    end)
    -- behind the hanging delivery a request would wait its whole timeout (seconds)
    local p80 = timing.percentile(times, 0.8)
    assert.is_true(p80 < timing.bound(0.25), "requests waited " .. p80 .. " s behind a webhook (80th percentile)")
    socket.sleep(2.2)
    local w = sb:webhooks()[1]
    assert.equal("timeout", w.last_result)
    assert.is_true(w.status == "retrying" or w.status == "sending")
    hang:close()
    sb:config { webhook_url = rx.url }
  end)

  it("bounds the queue, dropping the oldest waiting delivery", function()
    local dead = assert(socket.bind("127.0.0.1", 0))
    local _, port = dead:getsockname()
    dead:close() -- connections are refused
    sb:config { webhook_url = "http://127.0.0.1:" .. port .. "/" }
    sb:control("DELETE", "webhooks")
    local conv = some_conversation()
    local path = "/v2/conversations/" .. I(conv.id) .. "/tags"
    for i = 1, 110 do
      assert.equal(204, request(sb, "PUT", path, { token = tok, body = { tags = { "t" .. i } } }).status)
    end
    local raw = sb:control("GET", "webhooks")
    local dropped, refused = 0, 0
    for _, w in ipairs(raw.deliveries) do
      if w.status == "dropped" then dropped = dropped + 1 end
      if w.last_result == "connection refused" then refused = refused + 1 end
    end
    assert.equal(110, #raw.deliveries)
    assert.is_true(raw.queued <= 100)
    assert.is_true(dropped >= 9, "dropped " .. dropped)
    assert.is_true(refused >= 1)
    sb:control("DELETE", "webhooks")
    sb:config { webhook_url = rx.url }
  end)

  it("sends nothing without a URL and a secret, and refuses bad configuration", function()
    local quiet = sandbox.start { seed = 42 }
    local ok, err = pcall(function()
      local t = client_token(quiet)
      local c = request(quiet, "GET", "/v2/conversations", { token = t }).json._embedded.conversations[1]
      assert.equal(201, request(quiet, "POST", "/v2/conversations/" .. I(c.id) .. "/notes",
        { token = t, body = { text = "x" } }).status)
      assert.equal(0, #quiet:webhooks())
      for _, bad in ipairs { { webhook_url = "ftp://x/" }, { webhook_secret = "" }, { webhook_secret = 5 } } do
        assert.equal(400, (quiet:request("POST", "/_sandbox/config", bad)))
      end
    end)
    quiet:stop()
    assert(ok, err)
  end)
end)
