-- The connector's Streamable HTTP framing of the MCP core (examples/connector.conf in a real
-- nginx with two workers, the sandbox as Help Scout): sessions, JSON and SSE answers, 202 for
-- notifications, cancellation, the per-connection concurrency cap, and the refusals (Origin,
-- unknown session, protocol version, body cap, media types); a 2026-07-28 client served without
-- a session, its header checks and its errors' statuses.
local support = require "connector.support"
local socket = require "socket"
local mime = require "mime" -- (luasocket) standard Base64
local cjson = require "cjson.safe"

local PV = "2025-11-25"

local function init_msg(version)
  return { jsonrpc = "2.0", id = 1, method = "initialize", params = { protocolVersion = version or PV,
    capabilities = {}, clientInfo = { name = "spec", version = "1" } } }
end

-- Sends a POST /mcp on a raw socket and returns it unread (for requests that must overlap).
local function open_post(port, token, msg, headers)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(30)
  local body = cjson.encode(msg)
  local lines = { "POST /mcp HTTP/1.1", "Host: 127.0.0.1:" .. port, "Authorization: Bearer " .. token,
    "Content-Type: application/json", "Accept: application/json, text/event-stream",
    "Content-Length: " .. #body, "Connection: close" }
  for k, v in pairs(headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  assert(c:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. body))
  return c
end

-- Reads a whole response from a socket opened by open_post: status, headers, raw body.
local function read_all(c)
  local status = tonumber((assert(c:receive("*l"))):match("^HTTP/1%.%d (%d+)"))
  local headers = {}
  while true do
    local h = assert(c:receive("*l"))
    if h == "" then break end
    local k, v = h:match("^([^:]+):%s*(.*)$")
    headers[k:lower()] = v
  end
  local body = c:receive("*a") or ""
  c:close()
  return status, headers, body
end

-- The JSON-RPC messages of an SSE body (chunked framing tolerated: data lines are whole).
local function sse_messages(body)
  local out = {}
  for data in body:gmatch("data: ([^\r\n]+)") do out[#out + 1] = cjson.decode(data) end
  return out
end

describe("connector /mcp", function()
  local env, token, sid

  setup(function()
    -- /_percon/mcp: the same deployment (url, dict) with tools chosen per connection
    env = support.start{ sandbox = { seed = 42 }, env = { HELPSCOUT_CONNECTOR_ORIGINS = "https://app.example" },
      locations = [[
    location = /_percon/mcp { content_by_lua_block {
      PERCON = PERCON or require("helpscout.resty.connector").new{ url = os.getenv("HELPSCOUT_CONNECTOR_URL"),
        shdict = "helpscout", tools = function(connection, grant)
          return { read_only = connection:match("^hs%-") ~= nil and grant.client_id ~= nil }
        end }
      PERCON:mcp()
    } }
]] }
    local code, verifier, client = env:authorize()
    token = env:exchange(code, verifier, client).json.access_token
  end)
  teardown(function() if env then env:stop() end end)

  local function hdr(extra)
    local h = { ["Mcp-Session-Id"] = sid, ["MCP-Protocol-Version"] = PV }
    for k, v in pairs(extra or {}) do h[k] = v end
    return h
  end

  local function call(msg, extra) return env:rpc(token, msg, hdr(extra)) end

  it("initialize: 200 JSON with an Mcp-Session-Id; notifications/initialized: 202 without a body", function()
    local res = env:rpc(token, init_msg())
    assert.equal(200, res.status)
    assert.matches("^application/json", res.headers["content-type"])
    sid = res.headers["mcp-session-id"]
    assert.matches("^[%w%-_]+$", sid)
    assert.equal(PV, res.json.result.protocolVersion)
    assert.equal("helpscout-mcp", res.json.result.serverInfo.name)
    local n = call({ jsonrpc = "2.0", method = "notifications/initialized" })
    assert.equal(202, n.status)
    assert.equal("", n.body)
  end)

  it("negotiates an older version the core knows", function()
    local res = env:rpc(token, init_msg("2025-06-18"))
    assert.equal("2025-06-18", res.json.result.protocolVersion)
  end)

  it("serves a session from any worker (its state lives in the shared dict)", function()
    for i = 1, 6 do
      local res = call({ jsonrpc = "2.0", id = 10 + i, method = "ping" })
      assert.equal(200, res.status)
      assert.same({}, res.json.result)
    end
    local res = call({ jsonrpc = "2.0", id = 20, method = "tools/list" })
    assert.equal(13, #res.json.result.tools)
  end)

  it("answers a tools/call as JSON when nothing is notified first", function()
    local res = call({ jsonrpc = "2.0", id = 21, method = "tools/call", params = { name = "list_mailboxes",
      arguments = {} } })
    assert.equal(200, res.status)
    assert.matches("^application/json", res.headers["content-type"])
    assert.is_false(res.json.result.isError)
    assert.equal(3, #res.json.result.structuredContent.items)
  end)

  it("streams progress notifications and then the response as SSE", function()
    local c = open_post(env.port, token, { jsonrpc = "2.0", id = 22, method = "tools/call", params = {
      name = "triage_inbox", arguments = { limit = 120 }, _meta = { progressToken = "p1" } } }, hdr())
    local status, headers, body = read_all(c)
    assert.equal(200, status)
    assert.matches("^text/event%-stream", headers["content-type"])
    local msgs = sse_messages(body)
    assert.is_true(#msgs >= 2, body:sub(1, 300))
    assert.equal("notifications/progress", msgs[1].method)
    assert.equal("p1", msgs[1].params.progressToken)
    assert.equal(22, msgs[#msgs].id)
    assert.is_false(msgs[#msgs].result.isError)
  end)

  it("a cancelled call gets no response; the cancellation goes through another request", function()
    env.sb:fault{ path = "/v2/conversations", action = "delay", delay = 0.6, count = 3 }
    local c = open_post(env.port, token, { jsonrpc = "2.0", id = 23, method = "tools/call", params = {
      name = "triage_inbox", arguments = { limit = 200 } } }, hdr())
    socket.sleep(0.3)
    local n = call({ jsonrpc = "2.0", method = "notifications/cancelled", params = { requestId = 23 } })
    assert.equal(202, n.status)
    local status, _, body = read_all(c)
    assert.equal(202, status)
    assert.equal("", body)
  end)

  it("a client that hangs up cancels its running call: no further page is fetched", function()
    env.sb:fault{ path = "/v2/conversations", action = "delay", delay = 0.5, count = 2 }
    env.sb:clear_log()
    local c = open_post(env.port, token, { jsonrpc = "2.0", id = 24, method = "tools/call", params = {
      name = "triage_inbox", arguments = { limit = 200 } } }, hdr())
    socket.sleep(0.2)
    c:close()
    socket.sleep(1.5)
    local pages = env.sb:log{ method = "GET", path = "/v2/conversations" }
    -- (the same call run to the end fetches 8 pages of 25)
    assert.is_true(#pages >= 1 and #pages <= 2, tostring(#pages) .. " pages fetched")
  end)

  it("caps concurrent requests per connection (429 with Retry-After)", function()
    env.sb:fault{ path = "/v2/users", action = "delay", delay = 1.5, count = 4 }
    local socks = {}
    for i = 1, 4 do
      socks[i] = open_post(env.port, token, { jsonrpc = "2.0", id = 30 + i, method = "tools/call",
        params = { name = "list_users", arguments = {} } }, hdr())
    end
    socket.sleep(0.4)
    local res = call({ jsonrpc = "2.0", id = 39, method = "ping" })
    assert.equal(429, res.status)
    assert.equal("1", res.headers["retry-after"])
    for i = 1, 4 do assert.equal(200, (read_all(socks[i]))) end
    assert.equal(200, call({ jsonrpc = "2.0", id = 40, method = "ping" }).status)
  end)

  it("refuses a foreign Origin with 403 before anything else; its own origin is fine", function()
    local res = env:rpc(token, init_msg(), { Origin = "http://evil.example.com" })
    assert.equal(403, res.status)
    assert.equal(-32000, res.json.error.code)
    assert.equal(403, env:rpc(nil, init_msg(), { Origin = "http://127.0.0.1:1" }).status)
    assert.equal(200, env:rpc(token, init_msg(), { Origin = env.url }).status)
    local listed = env:rpc(token, init_msg(), { Origin = "https://APP.example" }) -- HELPSCOUT_CONNECTOR_ORIGINS
    assert.equal(200, listed.status)
    assert.equal("https://APP.example", listed.headers["access-control-allow-origin"])
  end)

  it("answers a CORS preflight from its own origin, and exposes Mcp-Session-Id to it", function()
    local res = env:request("OPTIONS", "/mcp", { headers = { Origin = env.url,
      ["Access-Control-Request-Method"] = "POST", ["Access-Control-Request-Headers"] = "authorization" } })
    assert.equal(204, res.status)
    assert.equal(env.url, res.headers["access-control-allow-origin"])
    assert.matches("Authorization", res.headers["access-control-allow-headers"], 1, true)
    local init = env:rpc(token, init_msg(), { Origin = env.url })
    assert.matches("Mcp-Session-Id", init.headers["access-control-expose-headers"], 1, true)
    assert.equal(403, env:request("OPTIONS", "/mcp", { headers = { Origin = "https://evil.example" } }).status)
  end)

  it("refuses an unknown session with 404 and a request without one with 400", function()
    assert.equal(404, call({ jsonrpc = "2.0", id = 41, method = "ping" }, { ["Mcp-Session-Id"] = "nope" }).status)
    local res = env:rpc(token, { jsonrpc = "2.0", id = 42, method = "ping" })
    assert.equal(400, res.status)
  end)

  it("refuses an unsupported MCP-Protocol-Version with 400", function()
    local res = call({ jsonrpc = "2.0", id = 43, method = "ping" }, { ["MCP-Protocol-Version"] = "1999-01-01" })
    assert.equal(400, res.status)
    assert.equal(-32600, res.json.error.code)
  end)

  it("refuses a 2 MB body with 413 (and a JSON-RPC error)", function()
    local big = cjson.encode{ jsonrpc = "2.0", id = 44, method = "tools/call", params = { name = "add_note",
      arguments = { conversation_id = 1, text = string.rep("x", 2 * 1024 * 1024) } } }
    local res = call(big)
    assert.equal(413, res.status)
    assert.equal(-32600, res.json.error.code)
  end)

  it("refuses another media type (415), malformed JSON (400, -32700) and GET (405)", function()
    assert.equal(415, call("x", { ["Content-Type"] = "text/plain" }).status)
    local res = call("{not json")
    assert.equal(400, res.status)
    assert.equal(-32700, res.json.error.code)
    res = env:request("GET", "/mcp", { headers = { Authorization = "Bearer " .. token, Accept = "text/event-stream" } })
    assert.equal(405, res.status)
    assert.matches("POST", res.headers.allow)
  end)

  it("takes the tools per connection when `tools` is a function of the connection", function()
    local h = { Authorization = "Bearer " .. token, Accept = "application/json, text/event-stream",
      ["Content-Type"] = "application/json", ["Mcp-Session-Id"] = sid, ["MCP-Protocol-Version"] = PV }
    local res = env:request("POST", "/_percon/mcp", { headers = h,
      body = cjson.encode{ jsonrpc = "2.0", id = 50, method = "tools/list" } })
    assert.equal(200, res.status)
    local names = {}
    for _, t in ipairs(res.json.result.tools) do names[t.name] = true end
    assert.is_true(names.list_users)
    assert.is_nil(names.reply)
    assert.equal(13, #call({ jsonrpc = "2.0", id = 51, method = "tools/list" }).json.result.tools)
  end)

  describe("a 2026-07-28 client (stateless: no initialize, no session)", function()
    local MPV = "2026-07-28"

    local function mreq(id, method, params, meta)
      params = params or {}
      params._meta = { ["io.modelcontextprotocol/protocolVersion"] = MPV,
        ["io.modelcontextprotocol/clientInfo"] = { name = "spec", version = "1" },
        ["io.modelcontextprotocol/clientCapabilities"] = {} }
      for k, v in pairs(meta or {}) do params._meta[k] = v end
      return { jsonrpc = "2.0", id = id, method = method, params = params }
    end

    -- The request metadata headers a 2026-07-28 client sends (extra: overrides; false drops one).
    local function mhdr(msg, extra)
      local h = { ["MCP-Protocol-Version"] = MPV, ["Mcp-Method"] = msg.method,
        ["Mcp-Name"] = msg.method == "tools/call" and msg.params.name or nil }
      for k, v in pairs(extra or {}) do h[k] = v or nil end
      return h
    end

    local function mcall(msg, extra) return env:rpc(token, msg, mhdr(msg, extra)) end

    it("server/discover: its versions, capabilities and identity, and no Mcp-Session-Id", function()
      local res = mcall(mreq(1, "server/discover"))
      assert.equal(200, res.status)
      assert.is_nil(res.headers["mcp-session-id"])
      local r = res.json.result
      assert.equal("complete", r.resultType)
      assert.equal(MPV, r.supportedVersions[1])
      assert.truthy(table.concat(r.supportedVersions, " "):find(PV, 1, true))
      assert.is_table(r.capabilities.tools)
      assert.equal("helpscout-mcp", r._meta["io.modelcontextprotocol/serverInfo"].name)
      assert.equal("private", r.cacheScope)
      assert.is_true(r.ttlMs >= 0)
    end)

    it("tools/list and tools/call without a session id, on any worker (a stray Mcp-Session-Id is ignored)", function()
      for i = 1, 4 do
        local res = mcall(mreq(10 + i, "tools/list"), i % 2 == 0 and { ["Mcp-Session-Id"] = "nope" } or nil)
        assert.equal(200, res.status)
        assert.is_nil(res.headers["mcp-session-id"])
        assert.equal(13, #res.json.result.tools)
        assert.equal("complete", res.json.result.resultType)
        assert.is_number(res.json.result.ttlMs)
      end
      local res = mcall(mreq(20, "tools/call", { name = "list_mailboxes", arguments = {} }))
      assert.equal(200, res.status)
      assert.matches("^application/json", res.headers["content-type"])
      assert.is_nil(res.headers["mcp-session-id"])
      assert.equal(20, res.json.id)
      assert.equal("complete", res.json.result.resultType)
      assert.is_false(res.json.result.isError)
      assert.equal(3, #res.json.result.structuredContent.items)
      -- Mcp-Name in the Base64 sentinel form is decoded before the comparison
      local b64 = mcall(mreq(21, "tools/call", { name = "list_users", arguments = {} }),
        { ["Mcp-Name"] = "=?base64?" .. (mime.b64("list_users")) .. "?=" })
      assert.equal(200, b64.status)
      assert.is_false(b64.json.result.isError)
    end)

    it("streams progress then the result as SSE", function()
      local msg = mreq(22, "tools/call", { name = "triage_inbox", arguments = { limit = 120 } },
        { progressToken = "m1" })
      local c = open_post(env.port, token, msg, mhdr(msg))
      local status, headers, body = read_all(c)
      assert.equal(200, status)
      assert.matches("^text/event%-stream", headers["content-type"])
      local msgs = sse_messages(body)
      assert.equal("notifications/progress", msgs[1].method)
      assert.equal("m1", msgs[1].params.progressToken)
      assert.equal(22, msgs[#msgs].id)
      assert.equal("complete", msgs[#msgs].result.resultType)
    end)

    it("refuses headers that do not match the body with 400 HeaderMismatch (-32020)", function()
      local list = mreq(30, "tools/list")
      local callm = mreq(31, "tools/call", { name = "list_users", arguments = {} })
      for name, case in pairs {
        ["no MCP-Protocol-Version"] = { list, { ["MCP-Protocol-Version"] = false } },
        ["no Mcp-Method"] = { list, { ["Mcp-Method"] = false } },
        ["another Mcp-Method"] = { list, { ["Mcp-Method"] = "tools/call" } },
        ["no Mcp-Name"] = { callm, { ["Mcp-Name"] = false } },
        ["another Mcp-Name"] = { callm, { ["Mcp-Name"] = "reply" } },
        ["an Mcp-Name whose Base64 does not decode"] = { callm, { ["Mcp-Name"] = "=?base64?***?=" } },
        ["the right name Base64-encoded for another one"] = { callm,
          { ["Mcp-Name"] = "=?base64?" .. mime.b64("reply") .. "?=" } },
        ["a version header unlike _meta"] = { list, { ["MCP-Protocol-Version"] = PV } },
      } do
        local res = mcall(case[1], case[2])
        assert.equal(400, res.status, name)
        assert.equal(-32020, res.json.error.code, name)
        assert.equal(case[1].id, res.json.id, name)
      end
    end)

    it("answers an unsupported version 400 -32022 with the versions it supports", function()
      local msg = mreq(40, "tools/list")
      msg.params._meta["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
      local res = mcall(msg, { ["MCP-Protocol-Version"] = "2099-01-01" })
      assert.equal(400, res.status)
      assert.equal(-32022, res.json.error.code)
      assert.equal("2099-01-01", res.json.error.data.requested)
      assert.equal(MPV, res.json.error.data.supported[1])
    end)

    it("refuses a request without its required _meta (400 -32602) and a removed method (404 -32601)", function()
      local msg = mreq(41, "tools/list")
      msg.params._meta["io.modelcontextprotocol/clientCapabilities"] = nil
      local res = mcall(msg)
      assert.equal(400, res.status)
      assert.equal(-32602, res.json.error.code)
      res = env:rpc(token, { jsonrpc = "2.0", id = 42, method = "tools/list" },
        { ["MCP-Protocol-Version"] = MPV, ["Mcp-Method"] = "tools/list" })
      assert.equal(400, res.status)
      assert.equal(-32602, res.json.error.code)
      res = mcall(mreq(43, "ping"))
      assert.equal(404, res.status)
      assert.equal(-32601, res.json.error.code)
    end)

    it("leaves 2025-11-25 clients their sessions alongside", function()
      local res = env:rpc(token, init_msg())
      assert.equal(PV, res.json.result.protocolVersion)
      assert.matches("^[%w%-_]+$", res.headers["mcp-session-id"])
      assert.equal(401, env:rpc(nil, mreq(44, "tools/list"), mhdr(mreq(44, "tools/list"))).status)
    end)
  end)

  it("DELETE ends the session: afterwards it is 404", function()
    local s = env:rpc(token, init_msg()).headers["mcp-session-id"]
    local del = { Authorization = "Bearer " .. token, ["Mcp-Session-Id"] = s }
    local res = env:request("DELETE", "/mcp", { headers = del })
    assert.equal(200, res.status)
    assert.equal(404, env:rpc(token, { jsonrpc = "2.0", id = 45, method = "ping" }, { ["Mcp-Session-Id"] = s }).status)
    res = env:request("DELETE", "/mcp", { headers = del })
    assert.equal(404, res.status)
  end)
end)

describe("connector.new", function()
  it("raises a clear argument error for bad options", function()
    local env = support.start{ sandbox = { seed = 4 }, locations = [[
    location = /_new_errors { content_by_lua_block {
      local connector = require "helpscout.resty.connector"
      local out = {}
      for _, o in ipairs { { shdict = "helpscout", url = "ftp://x" }, { url = "https://a.example" },
        { url = "https://a.example", shdict = "nope" }, { url = "https://a.example", shdict = "helpscout", bogus = 1 },
        { url = "https://a.example/path", shdict = "helpscout" } } do
        local ok, e = pcall(connector.new, o)
        out[#out + 1] = ok and "ok" or tostring(e)
      end
      ngx.say(table.concat(out, "\n"))
    } }
]] }
    local res = env:request("GET", "/_new_errors")
    env:stop()
    local lines = {}
    for l in res.body:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(5, #lines, res.body)
    assert.matches("bad argument #1 to 'connector' %(option 'url'", lines[1])
    assert.matches("option 'shdict' is required", lines[2])
    assert.matches("no lua_shared_dict named 'nope'", lines[3])
    assert.matches("unknown option 'bogus'", lines[4])
    assert.matches("option 'url'", lines[5])
  end)
end)

describe("connector tools switches (per deployment, from the environment)", function()
  it("HELPSCOUT_READ_ONLY=yes hides the write tools from tools/list", function()
    local env = support.start{ sandbox = { seed = 3 }, env = { HELPSCOUT_READ_ONLY = "yes" } }
    local ok, e = pcall(function()
      local code, verifier, client = env:authorize()
      local token = env:exchange(code, verifier, client).json.access_token
      local sid = env:rpc(token, init_msg()).headers["mcp-session-id"]
      local h = { ["Mcp-Session-Id"] = sid }
      env:rpc(token, { jsonrpc = "2.0", method = "notifications/initialized" }, h)
      local names = {}
      local list = env:rpc(token, { jsonrpc = "2.0", id = 2, method = "tools/list" }, h).json.result
      for _, t in ipairs(list.tools) do names[t.name] = true end
      assert.is_true(names.list_conversations)
      assert.is_nil(names.reply)
      assert.is_nil(names.add_note)
    end)
    env:stop()
    assert(ok, e)
  end)
end)
