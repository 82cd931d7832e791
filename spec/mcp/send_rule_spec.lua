-- The send rule, table-driven (issue 15): every write tool × allow_send on/off × send true/absent ×
-- draft/imported/autoReply variants, through helpscout.tools and through bin/helpscout-mcp. The
-- witness is the sandbox's outbox (GET /_sandbox/outbox): it must hold exactly the e-mails the
-- rule allows, and none at all on a server that does not allow sending.
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local tools = require "helpscout.tools"
local json = require "helpscout.json"

local sb, hs, conv_id, tmp

-- The variants: the call's arguments and what Help Scout e-mails for it when the call is allowed
-- to send (a list of `why`); when it is not allowed, nothing is e-mailed.
local function thread(kind, extra)
  local t = { type = kind, text = "Hello from the spec", customer = { email = "rule@customer.test" } }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

local function create(threads, extra)
  local a = { mailboxId = 4821, subject = "Send rule", customer = { email = "rule@customer.test" }, type = "email",
    status = "active", threads = threads }
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

local VARIANTS = {
  { name = "reply", tool = "reply", args = function() return { conversation_id = conv_id, text = "Thanks" } end,
    sends = { "reply" } },
  { name = "reply imported", tool = "reply", sends = {},
    args = function() return { conversation_id = conv_id, text = "Old", imported = true } end },
  { name = "create: customer thread", tool = "create_conversation", sends = {},
    args = function() return create { thread("customer") } end },
  { name = "create: reply thread", tool = "create_conversation", sends = { "new_conversation" },
    args = function() return create { thread("reply") } end },
  { name = "create: reply thread, imported", tool = "create_conversation", sends = {},
    args = function() return create({ thread("reply") }, { imported = true }) end },
  { name = "create: customer thread, autoReply", tool = "create_conversation", sends = { "auto_reply" },
    args = function() return create({ thread("customer") }, { autoReply = true }) end },
  { name = "create: customer + reply threads, autoReply", tool = "create_conversation",
    sends = { "new_conversation", "auto_reply" },
    args = function() return create({ thread("customer"), thread("reply") }, { autoReply = true }) end },
  { name = "note", tool = "add_note", sends = {},
    args = function() return { conversation_id = conv_id, text = "a note" } end },
  { name = "tags", tool = "update_tags", sends = {},
    args = function() return { conversation_id = conv_id, tags = { "rule" } } end },
}

-- What the outbox must hold for one call: the variant's e-mails only when allowed and asked.
local function expected(v, allow, send)
  if allow and send then return v.sends end
  return {}
end

local function whys(box)
  local out = {}
  for i, e in ipairs(box) do out[i] = e.why end
  table.sort(out)
  return out
end

local function sorted(t)
  local c = {}
  for i, x in ipairs(t) do c[i] = x end
  table.sort(c)
  return c
end

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

setup(function()
  sb = sandbox.start()
  hs = helpscout.new { base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret }
  local r = assert(tools.call(hs, "list_conversations", { mailbox = 4821, status = "active" }))
  conv_id = r.items[1].id
  tmp = os.tmpname()
end)

teardown(function()
  if hs then hs:close() end
  if sb then sb:stop() end
  if tmp then os.remove(tmp) end
end)

describe("the send rule through helpscout.tools", function()
  local calls = 0
  for _, allow in ipairs { false, true } do
    for _, send in ipairs { false, true } do
      for _, v in ipairs(VARIANTS) do
        it(("%s, allow_send=%s, send=%s"):format(v.name, tostring(allow), tostring(send)), function()
          sb:clear_outbox()
          local args = v.args()
          if send then args.send = true end
          if v.tool ~= "reply" and v.tool ~= "create_conversation" then args.send = nil end
          local r, e = tools.call(hs, v.tool, args, { allow_send = allow })
          assert.is_nil(e)
          assert.is_table(r)
          local box = sb:outbox()
          assert.same(sorted(expected(v, allow, send)), whys(box))
          if r.emailed ~= nil then assert.equal(#box > 0, r.emailed) end
          for _, mail in ipairs(box) do
            assert.equal(r.id, v.tool == "reply" and mail.thread_id or mail.conversation_id)
          end
          calls = calls + 1
        end)
      end
    end
  end
  it("made at least 30 calls", function() assert.truthy(calls >= 30, calls) end)

  it("annotates exactly the tools that can e-mail as destructive, and says so in their descriptions", function()
    for _, allow in ipairs { false, true } do
      for _, t in ipairs(tools.list { allow_send = allow }) do
        local mails = t.name == "reply" or t.name == "create_conversation"
        assert.equal(t.name == "update_tags" or (mails and allow), t.annotations.destructiveHint, t.name)
        if mails then
          assert.truthy(t.inputSchema.properties.send, t.name)
          assert.is_nil(t.inputSchema.properties.draft)
          assert.truthy(t.description:find(allow and "only when send=true" or "Never e%-mails"), t.description)
          assert.is_nil(t.description:find("unless draft", 1, true))
        end
      end
    end
  end)

  it("describes the same rule in a dry run", function()
    local r = assert(tools.call(hs, "create_conversation", (function()
      local a = create({ thread("reply") }, { autoReply = true }); a.dry_run = true; a.send = true; return a end)()))
    assert.equal(true, r.dry_run.body.threads[1].draft)
    assert.equal(false, r.dry_run.body.autoReply)
    assert.truthy(r.dry_run.note:find("nothing would be e-mailed", 1, true))
  end)
end)

describe("the send rule through bin/helpscout-mcp", function()
  local interp = jit and "luajit" or "lua5.4"

  -- Runs every variant with and without send=true through one server process; returns the
  -- results by request id.
  local function run(env)
    local lines = { json.encode { jsonrpc = "2.0", id = 0, method = "initialize",
      params = { protocolVersion = "2025-11-25", capabilities = {}, clientInfo = { name = "rule", version = "1" } } } }
    local ids = {}
    for _, send in ipairs { false, true } do
      for _, v in ipairs(VARIANTS) do
        local args = v.args()
        if send and (v.tool == "reply" or v.tool == "create_conversation") then args.send = true end
        ids[#ids + 1] = { v = v, send = send }
        lines[#lines + 1] = json.encode { jsonrpc = "2.0", id = #ids, method = "tools/call",
          params = { name = v.tool, arguments = args } }
      end
    end
    local f = assert(io.open(tmp, "wb"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    local pre = { "HELPSCOUT_BASE_URL=" .. shq(sb.url), "HELPSCOUT_CLIENT_ID=" .. shq(sb.client_id),
      "HELPSCOUT_CLIENT_SECRET=" .. shq(sb.client_secret), "HOME=/nonexistent", "XDG_CONFIG_HOME=/nonexistent" }
    for k, val in pairs(env) do pre[#pre + 1] = k .. "=" .. shq(val) end
    local p = assert(io.popen(("env %s %s bin/helpscout-mcp < %s 2>/dev/null"):format(table.concat(pre, " "), interp,
      shq(tmp))))
    local out = p:read("*a")
    p:close()
    local by = {}
    for line in out:gmatch("[^\n]+") do
      local m = json.decode(line)
      if m and m.id then by[m.id] = m end
    end
    return ids, by
  end

  local function check(env, allow)
    sb:clear_outbox()
    local ids, by = run(env)
    local want = {}
    for i, c in ipairs(ids) do
      local r = by[i]
      assert.is_table(r, c.v.name)
      assert.is_false(r.result.isError, c.v.name)
      for _, why in ipairs(expected(c.v, allow, c.send)) do want[#want + 1] = why end
    end
    assert.same(sorted(want), whys(sb:outbox()))
    return #ids
  end

  it("e-mails nothing on a default server, whatever the calls ask", function()
    assert.equal(18, check({}, false))
    assert.same({}, sb:outbox())
  end)

  it("e-mails nothing with HELPSCOUT_ALLOW_SEND=off (or 0, no, false)", function()
    for _, v in ipairs { "off", "0", "No", "FALSE" } do check({ HELPSCOUT_ALLOW_SEND = v }, false) end
  end)

  it("e-mails exactly what the rule allows with HELPSCOUT_ALLOW_SEND=On and with --allow-send", function()
    check({ HELPSCOUT_ALLOW_SEND = "On" }, true)
    assert.truthy(#sb:outbox() >= 4)
  end)
end)

describe("the send rule in the CLI's create", function()
  local interp = "lua5.4"  -- bin/helpscout loads build/5.4

  local function cli(flags, env)
    local pre = { "HELPSCOUT_BASE_URL=" .. shq(sb.url), "HELPSCOUT_CLIENT_ID=" .. shq(sb.client_id),
      "HELPSCOUT_CLIENT_SECRET=" .. shq(sb.client_secret), "HOME=/nonexistent", "XDG_CONFIG_HOME=/nonexistent" }
    for k, val in pairs(env or {}) do pre[#pre + 1] = k .. "=" .. shq(val) end
    local p = assert(io.popen(("env %s %s bin/helpscout create --mailbox 4821 --subject S --customer c@x.test "
      .. "--text Hi %s > %s 2>&1; echo $?"):format(table.concat(pre, " "), interp, flags, shq(tmp))))
    local code = tonumber(p:read("*a"):match("%d+"))
    p:close()
    local f = io.open(tmp, "rb")
    local text = f and f:read("*a") or ""
    if f then f:close() end
    return code, text
  end

  it("e-mails an outbound conversation only with --send and HELPSCOUT_ALLOW_SEND=yes", function()
    sb:clear_outbox()
    local code, text = cli("--outbound")
    assert.equal(2, code, text)
    for _, v in ipairs { "", "off", "0" } do
      code, text = cli("--outbound --send", { HELPSCOUT_ALLOW_SEND = v })
      assert.equal(2, code, text)
      assert.truthy(text:find("HELPSCOUT_ALLOW_SEND", 1, true), text)
    end
    code, text = cli("--outbound --send", { HELPSCOUT_ALLOW_SEND = "maybe" })
    assert.equal(2, code)
    assert.truthy(text:find("HELPSCOUT_ALLOW_SEND", 1, true), text)
    assert.equal(0, (cli("--outbound --draft", { HELPSCOUT_ALLOW_SEND = "yes" })))
    assert.equal(0, (cli("")))
    assert.same({}, sb:outbox())
    code, text = cli("--outbound --send", { HELPSCOUT_ALLOW_SEND = "yes" })
    assert.equal(0, code, text)
    assert.same({ "new_conversation" }, whys(sb:outbox()))
  end)
end)
