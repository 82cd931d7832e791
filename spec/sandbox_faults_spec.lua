-- Sandbox fault injection and request log over real HTTP (LuaSocket client): each fault action
-- (status, drop, delay, garbage, truncate), matching by method and path prefix, counts,
-- process=true, clearing; the log's content and its redaction of secrets.
local socket = require "socket"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound
local cjson = require "cjson.safe"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local function I(n) return string.format("%d", n) end

local request, token = rawhttp.request, rawhttp.client_token

describe("sandbox faults and request log", function()
  local sb, tok, conv

  setup(function()
    sb = sandbox.start { seed = 42 }
    tok = token(sb)
    conv = request(sb, "GET", "/v2/conversations", { token = tok }).json._embedded.conversations[1]
  end)

  teardown(function() if sb then sb:stop() end end)

  before_each(function() sb:request("DELETE", "/_sandbox/faults") end)

  local function get(path) return request(sb, "GET", path, { token = tok }) end

  it("answers a given status for the next N matching requests, then normally", function()
    sb:fault { method = "GET", path = "/v2/mailboxes", status = 503, count = 2,
      headers = { ["Retry-After"] = "3" } }
    local a = get("/v2/mailboxes")
    assert.equal(503, a.status)
    assert.equal("3", a.headers["retry-after"])
    assert.matches("vnd.error", a.headers["content-type"], 1, true)
    assert.equal(200, get("/v2/users").status) -- other paths unaffected
    assert.equal(503, get("/v2/mailboxes").status)
    assert.equal(200, get("/v2/mailboxes").status)
  end)

  it("matches by method and by path prefix with '*', and uses a given body", function()
    sb:fault { method = "POST", path = "/v2/conversations/*", status = 429, count = 1,
      headers = { ["X-RateLimit-Retry-After"] = "1" }, body = '{"message":"slow down"}' }
    assert.equal(200, get("/v2/conversations/" .. I(conv.id)).status) -- GET does not match
    local res = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/notes",
      { token = tok, body = { text = "not stored" } })
    assert.equal(429, res.status)
    assert.equal("1", res.headers["x-ratelimit-retry-after"])
    assert.equal("slow down", res.json.message)
    local threads = get("/v2/conversations/" .. I(conv.id) .. "/threads").json._embedded.threads
    for _, t in ipairs(threads) do assert.are_not.equal("not stored", t.body) end
  end)

  it("drops the connection after reading the request, and still logs it", function()
    sb:clear_log()
    sb:fault { method = "*", path = "/v2/users", action = "drop" }
    local res, err = get("/v2/users")
    assert.is_nil(res)
    assert.equal("closed", err)
    local log = sb:log { path = "/v2/users" }
    assert.equal(1, #log)
    assert.equal("GET", log[1].method)
    assert.equal("drop", log[1].fault)
    assert.equal(200, get("/v2/users").status)
  end)

  it("delays a response without blocking other connections", function()
    sb:fault { method = "GET", path = "/v2/mailboxes", action = "delay", delay = 1.0 }
    local slow = assert(socket.connect("127.0.0.1", sb.port))
    slow:settimeout(5)
    local t0 = socket.gettime()
    slow:send("GET /v2/mailboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. tok .. "\r\n\r\n")
    socket.sleep(0.1)
    -- another connection is served at once
    local fast = get("/v2/users")
    assert.equal(200, fast.status)
    assert.is_true(socket.gettime() - t0 < timing.bound(0.8))
    assert.equal("HTTP/1.1 200 OK", slow:receive("*l"))
    assert.is_true(socket.gettime() - t0 >= 0.95)
    slow:close()
  end)

  it("delays then answers a status when both are given", function()
    sb:fault { method = "GET", path = "/v2/users", action = "delay", delay = 0.3, status = 504 }
    local t0 = socket.gettime()
    local res = get("/v2/users")
    assert.equal(504, res.status)
    assert.is_true(socket.gettime() - t0 >= 0.28)
  end)

  it("with before=true delays first and carries the request out only if the client is still there", function()
    local path = "/v2/conversations/" .. I(conv.id) .. "/notes"
    local function note_bodies()
      local out = {}
      for _, t in ipairs(get("/v2/conversations/" .. I(conv.id) .. "/threads").json._embedded.threads) do
        out[t.body or ""] = true
      end
      return out
    end
    -- the client goes away during the delay: nothing is carried out, the log says so
    sb:clear_log()
    sb:fault { method = "POST", path = path, action = "delay", delay = 0.5, before = true }
    local body = cjson.encode { text = "never carried out" }
    local gone = assert(socket.connect("127.0.0.1", sb.port))
    gone:send("POST " .. path .. " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " .. tok
      .. "\r\nContent-Type: application/json\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body)
    socket.sleep(0.1)
    assert.is_nil(note_bodies()["never carried out"]) -- not processed before the delay
    gone:close()
    socket.sleep(0.7)
    assert.is_nil(note_bodies()["never carried out"])
    local log = sb:log { method = "POST", path = path }
    assert.equal(1, #log)
    assert.same({ "delay", 0, true }, { log[1].fault, log[1].status, log[1].gone })
    -- a client that waits gets the real answer after the delay, and the write is done then
    sb:fault { method = "POST", path = path, action = "delay", delay = 0.4, before = true }
    local t0 = socket.gettime()
    local res = request(sb, "POST", path, { token = tok, body = { text = "carried out late" } })
    assert.equal(201, res.status)
    assert.is_true(socket.gettime() - t0 >= 0.38)
    assert.is_true(note_bodies()["carried out late"])
    -- with a status: the status after the delay, nothing carried out
    sb:fault { method = "POST", path = path, action = "delay", delay = 0.1, before = true, status = 503 }
    assert.equal(503, request(sb, "POST", path, { token = tok, body = { text = "refused late" } }).status)
    assert.is_nil(note_bodies()["refused late"])
    -- before is for delays only
    assert.equal(400, (sb:request("POST", "/_sandbox/faults", { path = path, status = 500, before = true })))
  end)

  it("returns a non-JSON body with garbage", function()
    sb:fault { method = "GET", path = "/v2/conversations", action = "garbage" }
    local res = get("/v2/conversations")
    assert.equal(200, res.status)
    assert.matches("text/html", res.headers["content-type"], 1, true)
    assert.is_nil(res.json)
    assert.is_true(#res.body > 0)
  end)

  it("truncates: Content-Length larger than the body, then closes", function()
    sb:fault { method = "GET", path = "/v2/conversations", action = "truncate" }
    local res = get("/v2/conversations")
    assert.equal(200, res.status)
    assert.equal("closed", res.read_error)
    assert.is_true(#res.body < tonumber(res.headers["content-length"]))
    assert.is_nil(res.json)
  end)

  it("with process=true carries the write out before failing (response lost)", function()
    sb:fault { method = "POST", path = "/v2/conversations/" .. I(conv.id) .. "/notes", status = 500,
      process = true }
    local res = request(sb, "POST", "/v2/conversations/" .. I(conv.id) .. "/notes",
      { token = tok, body = { text = "processed despite the 500" } })
    assert.equal(500, res.status)
    local threads = get("/v2/conversations/" .. I(conv.id) .. "/threads").json._embedded.threads
    assert.equal("processed despite the 500", threads[1].body)
  end)

  it("validates fault specs and clears them with DELETE", function()
    local status = sb:request("POST", "/_sandbox/faults", { path = "/v2/users", action = "explode" })
    assert.equal(400, status)
    status = sb:request("POST", "/_sandbox/faults", { path = "/v2/users", action = "status" })
    assert.equal(400, status)
    sb:fault { path = "/v2/users", status = 500, count = 5 }
    sb:request("DELETE", "/_sandbox/faults")
    assert.equal(200, get("/v2/users").status)
  end)

  describe("request log", function()
    it("records method, path, query, headers and body, in order, without control requests", function()
      sb:clear_log()
      get("/v2/conversations?status=all&tag=vip&page=2")
      request(sb, "PUT", "/v2/conversations/" .. I(conv.id) .. "/tags", { token = tok, body = { tags = { "vip" } } })
      sb:request("GET", "/_sandbox/health")
      local log = sb:log()
      assert.equal(2, #log)
      assert.is_true(log[1].seq < log[2].seq)
      assert.equal("GET", log[1].method)
      assert.equal("/v2/conversations", log[1].path)
      assert.same({ status = "all", tag = "vip", page = "2" }, log[1].query)
      assert.equal(200, log[1].status)
      assert.equal("PUT", log[2].method)
      assert.equal(204, log[2].status)
      assert.equal('{"tags":["vip"]}', log[2].body)
      assert.same({ tags = { "vip" } }, log[2].json)
      assert.equal("application/json", log[2].headers["content-type"])
      assert.is_number(log[2].time)
    end)

    it("redacts the Authorization header and token-request secrets", function()
      sb:clear_log()
      local auth = sb:authorize()
      local body = "grant_type=authorization_code&code=" .. auth.code .. "&client_id=" .. sb.client_id ..
        "&client_secret=" .. sb.client_secret
      local res = request(sb, "POST", "/v2/oauth2/token",
        { body = body, headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
      assert.equal(200, res.status)
      local rt = res.json.refresh_token
      local res2 = request(sb, "POST", "/v2/oauth2/token", { body = { grant_type = "refresh_token",
        refresh_token = rt, client_id = sb.client_id, client_secret = sb.client_secret } })
      assert.equal(200, res2.status)
      get("/v2/mailboxes")
      local _, raw = sb:request("GET", "/_sandbox/log")
      local dump = cjson.encode(raw)
      for _, secret in ipairs { sb.client_secret, auth.code, rt, tok, res.json.access_token,
        res2.json.refresh_token } do
        assert.is_nil(dump:find(secret, 1, true))
      end
      local log = sb:log()
      assert.equal(3, #log)
      assert.equal("/v2/oauth2/token", log[1].path)
      assert.equal("authorization_code", log[1].json.grant_type)
      assert.equal("[redacted]", log[1].json.client_secret)
      assert.equal("[redacted]", log[1].json.code)
      assert.equal(sb.client_id, log[1].json.client_id)
      assert.equal("[redacted]", log[2].json.refresh_token)
      assert.equal("Bearer [redacted]", log[3].headers.authorization)
    end)

    it("is cleared by DELETE and by reset", function()
      get("/v2/users")
      sb:clear_log()
      assert.equal(0, #sb:log())
      get("/v2/users")
      assert.equal(1, #sb:log())
    end)
  end)
end)
