-- bin/helpscout-mcp as a process: newline-delimited JSON-RPC on stdin, answers on stdout (and
-- nothing else), logs on stderr, a clean exit when stdin closes. Bad input of every kind gets a
-- JSON-RPC error or an isError result and the server keeps serving. The SDK client's view of the
-- same server is spec/mcp/client.mjs (make test-mcp).
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"
local json = require "helpscout.tools.json"

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
      req(3, "initialize", { protocolVersion = "2020-01-01" }) }
    local m = by_id(msgs)
    assert.equal("2025-06-18", m[1].result.protocolVersion)
    assert.equal("2025-03-26", m[2].result.protocolVersion)
    assert.equal("2025-11-25", m[3].result.protocolVersion)
  end)

  it("answers bad input with JSON-RPC errors or isError, keeps serving, sends nothing", function()
    local huge = call("big", "add_note", { conversation_id = 5, text = ("x"):rep(1100 * 1024) })
    local msgs, code, _, err = serve { "{not json", "[1,2,3]", '{"id":7,"method":"ping"}', req(8, "no/such"),
      req(9, "tools/call", { arguments = {} }), call(10, "no_such_tool"), call(11, "list_conversations",
      { status = "sideways" }), call(12, "add_note", { conversation_id = "12/../users", text = "x" }), huge,
      call(13, "list_users", "a string"), "", req(14, "ping") }
    assert.equal(0, code)
    local m = by_id(msgs)
    assert.equal(-32700, msgs[1].error.code)
    assert.equal(-32600, msgs[2].error.code)
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
    local msgs = serve({ req(1, "tools/list"), call(2, "add_note", { conversation_id = 5, text = "x" }) }, {},
      { HELPSCOUT_READ_ONLY = "1" })
    local m = by_id(msgs)
    assert.equal(9, #m[1].result.tools)
    assert.equal("read_only", m[2].result.structuredContent.error.kind)
    msgs = serve({ call(1, "add_note", { conversation_id = 2407000001, text = "x" }) }, { "--dry-run" })
    assert.equal("/v2/conversations/2407000001/notes", msgs[1].result.structuredContent.dry_run.path)
    msgs = serve({ call(1, "list_conversations", { mailbox = 5307 }) }, { "--mailboxes", "4821,6142" })
    assert.equal("forbidden", msgs[1].result.structuredContent.error.kind)
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
    local msgs, _, out, err = serve({ call(1, "list_users") }, {},
      { HELPSCOUT_CLIENT_ID = false, HELPSCOUT_CLIENT_SECRET = false })
    os.remove(tmp .. "/config/helpscout/token.json")
    assert.is_false(msgs[1].result.isError)
    assert.is_nil(out:find(token, 1, true))
    assert.is_nil(err:find(token, 1, true))
    msgs = serve({ call(1, "list_users") }, {}, { HELPSCOUT_CLIENT_ID = false, HELPSCOUT_CLIENT_SECRET = false })
    assert.is_true(msgs[1].result.isError)
    assert.equal("auth", msgs[1].result.structuredContent.error.kind)
  end)
end)
