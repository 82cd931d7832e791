-- bin/helpscout-mcp as a process: newline-delimited JSON-RPC on stdin, answers on stdout (and
-- nothing else), logs on stderr, a clean exit when stdin closes. Bad input of every kind gets a
-- JSON-RPC error or an isError result and the server keeps serving. The SDK client's view of the
-- same server is spec/mcp/client.mjs (make test-mcp).
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local json = require "helpscout.json"

local sb, tmp
local interp = jit and "luajit" or "lua5.4"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

-- Runs the server over `lines` (strings, or tables encoded as JSON); returns the decoded stdout
-- messages, the exit status, the raw stdout and the stderr text.
local function serve(lines, flags, env)
  local input = {}
  for i, l in ipairs(lines) do input[i] = type(l) == "table" and json.encode(l) or l end
  write(tmp .. "/in", table.concat(input, "\n") .. "\n")
  local vars = { HELPSCOUT_BASE_URL = sb.url, HELPSCOUT_CLIENT_ID = sb.client_id,
    HELPSCOUT_CLIENT_SECRET = sb.client_secret, XDG_CONFIG_HOME = tmp .. "/config", HOME = tmp }
  for k, v in pairs(env or {}) do vars[k] = v end
  local pre = {}
  for k, v in pairs(vars) do pre[#pre + 1] = k .. "=" .. shq(v == false and "" or v) end
  local cmd = ("env %s %s bin/helpscout-mcp %s < %s > %s 2> %s; echo $?"):format(table.concat(pre, " "), interp,
    table.concat(flags or {}, " "), shq(tmp .. "/in"), shq(tmp .. "/out"), shq(tmp .. "/err"))
  local p = assert(io.popen(cmd, "r"))
  local code = tonumber(p:read("*a"):match("%d+"))
  p:close()
  local out = slurp(tmp .. "/out")
  local msgs = {}
  for line in out:gmatch("[^\n]+") do
    msgs[#msgs + 1] = assert(json.decode(line), "stdout line is not JSON: " .. line)
  end
  return msgs, code, out, slurp(tmp .. "/err")
end

local function req(id, method, params) return { jsonrpc = "2.0", id = id, method = method, params = params } end
local function call(id, name, args) return req(id, "tools/call", { name = name, arguments = args or {} }) end
local function init(id, version)
  return req(id or "init", "initialize", { protocolVersion = version or "2025-11-25", capabilities = {},
    clientInfo = { name = "spec", version = "1" } })
end

-- A 2026-07-28 request: version and capabilities in _meta (meta: more keys; false drops one).
local MODERN = "2026-07-28"
local function mreq(id, method, params, meta)
  params = params or {}
  params._meta = { ["io.modelcontextprotocol/protocolVersion"] = MODERN,
    ["io.modelcontextprotocol/clientCapabilities"] = {} }
  for k, v in pairs(meta or {}) do params._meta[k] = v or nil end
  return req(id, method, params)
end

local function by_id(msgs)
  local t = {}
  for _, m in ipairs(msgs) do if m.id ~= nil and m.id ~= json.null then t[m.id] = m end end
  return t
end

setup(function()
  sb = sandbox.start()
  tmp = os.tmpname()
  os.remove(tmp)
  os.execute("mkdir -p " .. shq(tmp .. "/config"))
end)

teardown(function()
  if sb then sb:stop() end
  if tmp then os.execute("rm -rf " .. shq(tmp)) end
end)

describe("helpscout-mcp", function()
  before_each(function() sb:clear_log() end)

  it("initializes, lists and calls tools, and exits 0 when stdin closes", function()
    local msgs, code = serve { req(1, "initialize", { protocolVersion = "2025-11-25", capabilities = {},
      clientInfo = { name = "spec", version = "1" } }), { jsonrpc = "2.0", method = "notifications/initialized" },
      req(2, "ping"), req(3, "tools/list"), call(4, "list_users") }
    assert.equal(0, code)
    assert.equal(4, #msgs)
    local m = by_id(msgs)
    assert.equal("2025-11-25", m[1].result.protocolVersion)
    assert.is_table(m[1].result.capabilities.tools)
    assert.same({}, m[2].result)
    assert.equal(13, #m[3].result.tools)
    assert.is_false(m[4].result.isError)
    assert.truthy(#m[4].result.structuredContent.items > 0)
    assert.equal("text", m[4].result.content[1].type)
  end)

  it("negotiates 2025-06-18 and 2025-03-26, and answers an unknown version with its own", function()
    local msgs = serve { req(1, "initialize", { protocolVersion = "2025-06-18" }),
      req(2, "initialize", { protocolVersion = "2025-03-26" }),
      req(3, "initialize", { protocolVersion = "2020-01-01" }), req(4, "initialize", { protocolVersion = MODERN }) }
    local m = by_id(msgs)
    assert.equal("2025-06-18", m[1].result.protocolVersion)
    assert.equal("2025-03-26", m[2].result.protocolVersion)
    assert.equal("2025-11-25", m[3].result.protocolVersion)
    -- initialize selects the legacy era (2026-07-28 has no initialize): the newest legacy version
    assert.equal("2025-11-25", m[4].result.protocolVersion)
  end)

  it("serves a 2026-07-28 client with no initialize: server/discover, tools/list, tools/call", function()
    local msgs, code = serve { mreq(1, "server/discover"), mreq(2, "tools/list"),
      mreq(3, "tools/call", { name = "list_users", arguments = {} }), mreq(4, "ping") }
    assert.equal(0, code)
    local m = by_id(msgs)
    assert.equal(MODERN, m[1].result.supportedVersions[1])
    assert.equal("complete", m[2].result.resultType)
    assert.equal(13, #m[2].result.tools)
    assert.equal("complete", m[3].result.resultType)
    assert.is_false(m[3].result.isError)
    assert.equal(-32601, m[4].error.code) -- ping is not part of 2026-07-28
  end)

  it("answers bad input with JSON-RPC errors or isError, keeps serving, sends nothing", function()
    local huge = call("big", "add_note", { conversation_id = 5, text = ("x"):rep(1100 * 1024) })
    local msgs, code, _, err = serve { init(), "{not json", "[1,2,3]", '{"id":7,"method":"ping"}', req(8, "no/such"),
      req(9, "tools/call", { arguments = {} }), call(10, "no_such_tool"), call(11, "list_conversations",
      { status = "sideways" }), call(12, "add_note", { conversation_id = "12/../users", text = "x" }), huge,
      call(13, "list_users", "a string"), "", req(14, "ping") }
    assert.equal(0, code)
    local m = by_id(msgs)
    assert.equal(-32700, msgs[2].error.code)
    assert.equal(-32600, msgs[3].error.code)
    assert.equal(-32600, m[7].error.code)
    assert.equal(-32601, m[8].error.code)
    assert.equal(-32602, m[9].error.code)
    assert.equal(-32602, m[10].error.code)
    for _, id in ipairs { 11, 12, 13 } do
      assert.is_true(m[id].result.isError, id)
      assert.equal("invalid", m[id].result.structuredContent.error.kind, id)
    end
    assert.equal(-32600, m.big.error.code)
    assert.same({}, m[14].result)
    assert.equal(0, #sb:log { method = "POST" })
    assert.truthy(err:find("stdin closed", 1, true))
  end)

  it("takes its safety settings from flags and HELPSCOUT_* variables", function()
    local msgs = serve({ init(), req(1, "tools/list"), call(2, "add_note", { conversation_id = 5, text = "x" }) }, {},
      { HELPSCOUT_READ_ONLY = "1" })
    local m = by_id(msgs)
    assert.equal(9, #m[1].result.tools)
    assert.equal("read_only", m[2].result.structuredContent.error.kind)
    msgs = serve({ init(), call(1, "add_note", { conversation_id = 2407000001, text = "x" }), call(2, "list_users") },
      { "--dry-run" })
    assert.equal("/v2/conversations/2407000001/notes", by_id(msgs)[1].result.structuredContent.dry_run.path)
    assert.truthy(#by_id(msgs)[2].result.structuredContent.items > 0)  -- reads keep working
    assert.equal(0, #sb:log { method = "POST", path = "/v2/conversations/2407000001/notes" })
    msgs = serve({ init(), call(1, "list_conversations", { mailbox = 5307 }) }, { "--mailboxes", "4821,6142" })
    assert.equal("forbidden", by_id(msgs)[1].result.structuredContent.error.kind)
    assert.equal(0, #sb:log { path = "/v2/conversations" })
  end)

  it("prints usage for --help and refuses unknown flags, with nothing on stdout", function()
    local _, code, out, err = serve({}, { "--help" })
    assert.equal(0, code)
    assert.equal("", out)
    assert.truthy(err:find("--read-only", 1, true))
    local msgs
    msgs, code, out = serve({}, { "--bogus" })
    assert.equal(2, code)
    assert.equal(0, #msgs)
    assert.equal("", out)
    msgs, code = serve({}, { "--max-output", "10" })
    assert.equal(0, #msgs)
    assert.equal(2, code)
  end)

  it("uses the token file of `helpscout auth login`, and never prints the token", function()
    local token = rawhttp.client_token(sb)
    os.execute("mkdir -p " .. shq(tmp .. "/config/helpscout"))
    write(tmp .. "/config/helpscout/token.json", json.encode { access_token = token, token_type = "bearer",
      expires_at = os.time() + 3600, obtained_at = os.time() })
    os.execute("chmod 600 " .. shq(tmp .. "/config/helpscout/token.json"))
    local msgs, _, out, err = serve({ init(), call(1, "list_users") }, {},
      { HELPSCOUT_CLIENT_ID = false, HELPSCOUT_CLIENT_SECRET = false })
    os.remove(tmp .. "/config/helpscout/token.json")
    assert.is_false(by_id(msgs)[1].result.isError)
    assert.is_nil(out:find(token, 1, true))
    assert.is_nil(err:find(token, 1, true))
    msgs = serve({ init(), call(1, "list_users") }, {},
      { HELPSCOUT_CLIENT_ID = false, HELPSCOUT_CLIENT_SECRET = false })
    assert.is_true(by_id(msgs)[1].result.isError)
    assert.equal("auth", by_id(msgs)[1].result.structuredContent.error.kind)
  end)
end)

-- The protocol core without a transport: what the stdio server and the HTTP connector share.
describe("helpscout.mcp core", function()
  local mcp = require "helpscout.mcp"
  local helpscout = require "helpscout"

  local function session(state, tools_opts)
    return mcp.session { tools = tools_opts, state = state or {}, client = function()
      return helpscout.new { base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret }
    end }
  end

  local function initialized(version)
    local s = session()
    local r = s:handle(req(1, "initialize", { protocolVersion = version or "2025-11-25" }))
    assert.equal(version or "2025-11-25", r.result.protocolVersion)
    return s
  end

  it("decodes with lone surrogates as U+FFFD, keeps pairs and escaped backslashes", function()
    local m = assert(mcp.decode('{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"\\ud800-","b":"\\udc00",'
      .. '"c":"\\ud83d\\ude00","d":"\\\\ud800","e":"\\ud800\\ud800"}}'))
    assert.equal("\239\191\189-", m.params.a)
    assert.equal("\239\191\189", m.params.b)
    assert.equal("\240\159\152\128", m.params.c)
    assert.equal("\\ud800", m.params.d)
    assert.equal("\239\191\189\239\191\189", m.params.e)
    assert.same({ nil, nil }, { mcp.decode("  ") })
  end)

  it("answers undecodable text with the id recovered from it, never a nested id", function()
    local _, e = mcp.decode('{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{oops}')
    assert.equal(-32700, e.error.code)
    assert.equal(41, e.id)
    _, e = mcp.decode('{"params":{"arguments":{"id":5}},"id":"abc","method":"x",}')
    assert.equal("abc", e.id)
    _, e = mcp.decode('{"params":{"id":5},"method":"x" "jsonrpc":"2.0"}')
    assert.equal(json.null, e.id)
    _, e = mcp.decode('{"a":"\255","id":3}')
    assert.equal(3, e.id)
  end)

  it("checks the size cap before decoding; the id comes from the head or the tail", function()
    local big = ("x"):rep(2000)
    local _, e = mcp.decode('{"id":7,"jsonrpc":"2.0","params":{"t":"' .. big .. '"}}', { max_bytes = 1000 })
    assert.equal(-32600, e.error.code)
    assert.equal(7, e.id)
    assert.truthy(e.error.message:find("1000", 1, true))
    _, e = mcp.decode('{"jsonrpc":"2.0","params":{"t":"' .. big .. '","id":1},"id":"tail","method":"m"}',
      { max_bytes = 1000 })
    assert.equal("tail", e.id)
    -- not JSON at all, and too large: the cap answers (the text is never decoded)
    _, e = mcp.decode(("{"):rep(5000), { max_bytes = 1000 })
    assert.equal(-32600, e.error.code)
  end)

  it("enforces the lifecycle: only ping before initialize", function()
    local s = session()
    local r = s:handle(req(1, "tools/list"))
    assert.equal(-32600, r.error.code)
    assert.equal(1, r.id)
    assert.truthy(r.error.message:find("initialize", 1, true))
    assert.same({}, s:handle(req(2, "ping")).result)
    assert.equal(-32601, s:handle(req(3, "no/such")).error.code)
    assert.equal(-32600, s:handle(call(4, "list_users")).error.code)
    assert.is_nil(s.state.protocol)
    s:handle(req(5, "initialize", { protocolVersion = "2025-06-18", clientInfo = { name = "c", version = "9" } }))
    assert.equal("2025-06-18", s.state.protocol)
    assert.equal("c", s.state.client.name)
    assert.equal(13, #s:handle(req(6, "tools/list")).result.tools)
  end)

  it("keeps its state in the caller's table: a new session over it is still initialized", function()
    local state = {}
    session(state):handle(req(1, "initialize", { protocolVersion = "2025-03-26" }))
    local r = session(state):handle(req(2, "tools/list"))
    assert.is_table(r.result.tools)
    assert.equal("2025-03-26", state.protocol)
  end)

  it("answers a batch per element under 2025-03-26 and refuses it where batching was removed", function()
    local s = initialized("2025-03-26")
    local r = s:handle(json.array { req(1, "ping"), { jsonrpc = "2.0", method = "notifications/initialized" },
      req(2, "no/such"), 5, req(3, "initialize", { protocolVersion = "2025-03-26" }) })
    assert.equal(4, #r)
    assert.same({}, r[1].result)
    assert.equal(-32601, r[2].error.code)
    assert.equal(-32600, r[3].error.code)
    assert.equal(-32600, r[4].error.code)
    assert.equal(3, r[4].id)
    assert.is_nil(s:handle(json.array { { jsonrpc = "2.0", method = "notifications/initialized" } }))
    assert.equal(-32600, s:handle(json.array {}).error.code)
    for _, v in ipairs { "2025-06-18", "2025-11-25" } do
      r = initialized(v):handle(json.array { req(1, "ping") })
      assert.equal(-32600, r.error.code, v)
      assert.equal(json.null, r.id)
      assert.truthy(r.error.message:find("batch", 1, true))
    end
  end)

  it("sends notifications/message at the level the client set, and only after it set one", function()
    local s = initialized()
    local sent = {}
    local out = { notify = function(m) sent[#sent + 1] = m end, cancelled = function() return false end }
    s:handle(call(1, "get_conversation", { conversation_id = 1 }), out)
    assert.equal(0, #sent)
    assert.equal(-32602, s:handle(req(2, "logging/setLevel", { level = "loud" })).error.code)
    assert.same({}, s:handle(req(3, "logging/setLevel", { level = "warning" })).result)
    local r = s:handle(call(4, "get_conversation", { conversation_id = 1 }), out)
    assert.is_true(r.result.isError)
    assert.equal(1, #sent)
    assert.equal("notifications/message", sent[1].method)
    assert.equal("warning", sent[1].params.level)
    assert.truthy(sent[1].params.data:find("get_conversation", 1, true))
    s:handle(req(5, "logging/setLevel", { level = "error" }))
    s:handle(call(6, "get_conversation", { conversation_id = 1 }), out)
    assert.equal(1, #sent)
  end)

  describe("2026-07-28 requests", function()
    it("are served statelessly: no initialize needed, the session's state untouched", function()
      local s = session()
      local d = s:handle(mreq(1, "server/discover"))
      assert.equal(1, d.id)
      local r = d.result
      assert.equal("complete", r.resultType)
      assert.same(mcp.PROTOCOLS[1], r.supportedVersions[1])
      for _, v in ipairs { "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26" } do
        assert.is_true(mcp.PROTOCOLS[v], v)
        assert.truthy(table.concat(r.supportedVersions, " "):find(v, 1, true), v)
      end
      assert.same({ listChanged = false }, r.capabilities.tools)
      assert.equal("helpscout-mcp", r._meta["io.modelcontextprotocol/serverInfo"].name)
      assert.is_string(r._meta["io.modelcontextprotocol/serverInfo"].version)
      assert.equal("private", r.cacheScope)
      assert.equal(mcp.LIST_TTL_MS, r.ttlMs)
      local list = s:handle(mreq(2, "tools/list")).result
      assert.equal(13, #list.tools)
      assert.equal("complete", list.resultType)
      assert.equal("private", list.cacheScope)
      local c = s:handle(mreq(3, "tools/call", { name = "list_users", arguments = {} })).result
      assert.equal("complete", c.resultType)
      assert.is_false(c.isError)
      assert.is_nil(c.ttlMs)
      assert.equal("helpscout-mcp", c._meta["io.modelcontextprotocol/serverInfo"].name)
      local bad = s:handle(mreq(4, "get_conversation", nil)) -- not a method
      assert.equal(-32601, bad.error.code)
      assert.is_nil(s.state.initialized)
      assert.is_nil(s.state.protocol)
      -- a legacy request on the same session still needs initialize
      assert.equal(-32600, s:handle(req(5, "tools/list")).error.code)
    end)

    it("answer an unsupported version -32022 with the versions supported and the one asked", function()
      local s = session()
      for _, v in ipairs { "2099-01-01", "2025-11-25" } do
        local r = s:handle(mreq(1, "tools/list", nil, { ["io.modelcontextprotocol/protocolVersion"] = v }))
        assert.equal(-32022, r.error.code, v)
        assert.equal(v, r.error.data.requested)
        assert.equal("2026-07-28", r.error.data.supported[1])
        assert.equal(1, r.id)
      end
      local r = s:handle(mreq(2, "tools/list", nil, { ["io.modelcontextprotocol/protocolVersion"] = 7 }))
      assert.equal(-32602, r.error.code)
    end)

    it("refuse a missing clientCapabilities (-32602) and the legacy-only methods (-32601)", function()
      local s = initialized()
      local r = s:handle(mreq(1, "tools/list", nil, { ["io.modelcontextprotocol/clientCapabilities"] = false }))
      assert.equal(-32602, r.error.code)
      assert.truthy(r.error.message:find("clientCapabilities", 1, true))
      for _, m in ipairs { "ping", "logging/setLevel" } do
        assert.equal(-32601, s:handle(mreq(2, m, { level = "debug" })).error.code, m)
      end
      -- initialize always selects the legacy era, whatever its _meta says
      r = s:handle(mreq(3, "initialize", { protocolVersion = "2026-07-28" }))
      assert.equal("2025-11-25", r.result.protocolVersion)
    end)

    it("send notifications/message only for a request whose _meta sets logLevel", function()
      local s = session()
      local sent = {}
      local out = { notify = function(m) sent[#sent + 1] = m end, cancelled = function() return false end }
      local r = s:handle(mreq(1, "tools/call", { name = "get_conversation", arguments = { conversation_id = 1 } }), out)
      assert.is_true(r.result.isError)
      assert.equal(0, #sent)
      s:handle(mreq(2, "tools/call", { name = "get_conversation", arguments = { conversation_id = 1 } },
        { ["io.modelcontextprotocol/logLevel"] = "warning" }), out)
      assert.equal(1, #sent)
      assert.equal("warning", sent[1].params.level)
      s:handle(mreq(3, "tools/call", { name = "get_conversation", arguments = { conversation_id = 1 } },
        { ["io.modelcontextprotocol/logLevel"] = "error" }), out)
      assert.equal(1, #sent)
      assert.is_nil(s.state.log_level) -- per request, not kept
      r = s:handle(mreq(4, "tools/list", nil, { ["io.modelcontextprotocol/logLevel"] = "loud" }))
      assert.equal(-32602, r.error.code)
    end)

    it("are not part of a batch", function()
      local r = initialized("2025-03-26"):handle(json.array { mreq(1, "tools/list"), req(2, "ping") })
      assert.equal(-32600, r[1].error.code)
      assert.equal(1, r[1].id)
      assert.same({}, r[2].result)
      assert.equal("2026-07-28", mcp.modern(mreq(3, "tools/list")))
      assert.is_nil(mcp.modern(mreq(4, "initialize")))
      assert.is_nil(mcp.modern(req(5, "tools/list")))
    end)
  end)

  it("gives no response to a request the client cancelled", function()
    local s = initialized()
    sb:clear_log()
    local r = s:handle(call(1, "list_users"), { notify = function() end, cancelled = function() return true end })
    assert.is_nil(r)
  end)
end)

describe("helpscout-mcp robustness", function()
  it("answers a lone surrogate and a 1 MB argument, the latter quickly, with their ids", function()
    local now = require("helpscout.core").sys.epoch
    local big = call("big", "add_note", { conversation_id = 5, text = ("y"):rep(1024 * 1024) })
    local msgs = serve { init(), '{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"list_users",'
      .. '"arguments":{"page":"\\ud800"}}}', big, req("after", "ping") }
    local m = by_id(msgs)
    assert.is_true(m.s.result.isError)
    assert.equal("invalid", m.s.result.structuredContent.error.kind)
    assert.equal(-32600, m.big.error.code)
    assert.same({}, m.after.result)
    -- the whole process (start, 1 MB read, answer, exit): median of 3 under a second
    local times = {}
    for i = 1, 3 do
      local t0 = now()
      msgs = serve { init(), big }
      times[i] = now() - t0
      assert.equal("big", msgs[2].id)
    end
    table.sort(times)
    assert.truthy(times[2] < 1 * tonumber(os.getenv("HS_TIME_SLACK") or 1), times[2])
  end)

  it("refuses a switch that is not a clear yes/no, naming the variable; off never enables", function()
    for _, v in ipairs { "2", "maybe", "enable", "yes please" } do
      local msgs, code, out, err = serve({ init() }, {}, { HELPSCOUT_ALLOW_SEND = v })
      assert.equal(2, code, v)
      assert.equal(0, #msgs)
      assert.equal("", out)
      assert.truthy(err:find("HELPSCOUT_ALLOW_SEND", 1, true), v)
    end
    local _, code, _, err = serve({ init() }, {}, { HELPSCOUT_READ_ONLY = "nope" })
    assert.equal(2, code)
    assert.truthy(err:find("HELPSCOUT_READ_ONLY", 1, true))
    for v, want in pairs { off = "false", OFF = "false", No = "false", ["0"] = "false", On = "true", YES = "true",
      ["1"] = "true", TRUE = "true" } do
      _, code, _, err = serve({ init() }, {}, { HELPSCOUT_ALLOW_SEND = v })
      assert.equal(0, code, v)
      assert.truthy(err:find("allow_send=" .. want, 1, true), v)
    end
  end)
end)

describe("helpscout-mcp and the rate limit", function()
  it("answers a wait longer than a client's timeout at once, as rate_limited with retry_after", function()
    local now = require("helpscout.core").sys.epoch
    sb:fault { path = "/v2/users", status = 429, count = 5, headers = { ["X-RateLimit-Retry-After"] = "45" },
      body = '{"message":"API rate limit exceeded"}' }
    local t0 = now()
    local msgs = serve { init(), call(1, "list_users") }
    local took = now() - t0
    sb:control("DELETE", "faults")
    local r = by_id(msgs)[1].result
    assert.is_true(r.isError)
    assert.equal("rate_limited", r.structuredContent.error.kind)
    assert.equal(45, r.structuredContent.error.retry_after)
    assert.is_true(r.structuredContent.error.retryable)
    assert.truthy(took < 10, took)
  end)
end)

describe("the client option max_wait (what helpscout-mcp sets)", function()
  local helpscout = require "helpscout"
  local now = require("helpscout.core").sys.epoch

  local function client(max_wait)
    return helpscout.new { base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret,
      max_wait = max_wait }
  end

  it("returns a wait longer than max_wait at once, and sleeps through a shorter one", function()
    local hs = client(1)
    assert(hs:list_users())  -- token first
    sb:fault { path = "/v2/users", status = 429, count = 1, headers = { ["X-RateLimit-Retry-After"] = "2" } }
    local t0 = now()
    local r, e = hs:list_users()
    assert.is_nil(r)
    assert.equal("rate_limited", e.kind)
    assert.equal(2, e.retry_after)
    assert.truthy(now() - t0 < 1.5 * tonumber(os.getenv("HS_TIME_SLACK") or 1))
    hs:close()
    sb:control("DELETE", "faults")
    hs = client(5)
    assert(hs:list_users())
    sb:fault { path = "/v2/users", status = 429, count = 1, headers = { ["X-RateLimit-Retry-After"] = "2" } }
    t0 = now()
    assert(hs:list_users())
    assert.truthy(now() - t0 >= 1.9)
    hs:close()
    sb:control("DELETE", "faults")
  end)

  it("refuses a max_wait over 120 or below 0", function()
    for _, v in ipairs { 121, -1, "x" } do
      assert.has_error(function() client(v) end)
    end
  end)
end)

describe("helpscout-mcp --connection", function()
  it("refuses a bad connection id at startup, naming the option", function()
    local _, code, out, err = serve({ init() }, { "--connection", shq("../x") })
    assert.not_equal(0, code)
    assert.equal("", out)
    assert.matches("%-%-connection %(HELPSCOUT_CONNECTION%): a connection id may hold", err)
  end)

  it("acts as a named connection of the token file; one never logged in is not connected", function()
    local store = require "helpscout.store"
    local path = tmp .. "/conn/token.json"
    local st = store.file(path)
    -- a real login for "work": a code from the sandbox's consent, exchanged, saved as the connection
    local tok = assert(require("helpscout").exchange_code{ client_id = sb.client_id, client_secret = sb.client_secret,
      base_url = sb.url, code = sb:authorize(sb.client_id, "s-conn-0123456789abcdef").code })
    assert(st:connection("work"):save(tok))
    local msgs = by_id(serve({ init(), { jsonrpc = "2.0", method = "notifications/initialized" },
      call(2, "list_mailboxes") }, { "--connection", "work" }, { HELPSCOUT_TOKEN_FILE = path }))
    assert.is_false(msgs[2].result.isError or false)
    msgs = by_id(serve({ init(), { jsonrpc = "2.0", method = "notifications/initialized" },
      call(2, "list_mailboxes") }, {}, { HELPSCOUT_TOKEN_FILE = path, HELPSCOUT_CONNECTION = "nobody" }))
    assert.is_true(msgs[2].result.isError)
    assert.equal("auth", msgs[2].result.structuredContent.error.kind)
    assert.matches("not connected", msgs[2].result.structuredContent.error.message)
  end)
end)
