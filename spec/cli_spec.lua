-- luacheck: no max line length
-- bin/helpscout as a subprocess against the sandbox: output, exit codes, the write guard, errors.
local sandbox = require "support.sandbox"
local cjson = require "cjson"

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

describe("bin/helpscout", function()
  local sb
  local tmp = os.tmpname()

  setup(function() sb = sandbox.start { seed = 42 } end)
  teardown(function()
    if sb then sb:stop() end
    os.remove(tmp)
  end)

  local function replies()
    local out = {}
    for _, r in ipairs(sb:log { method = "POST" }) do
      if r.path:find("/reply$") then out[#out + 1] = r end
    end
    return out
  end

  -- runs the CLI; returns exit status, stdout, stderr
  local function run(args, env)
    env = env or {}
    local e = {
      "HELPSCOUT_BASE_URL=" .. shq(env.base_url or sb.url),
      "HELPSCOUT_CLIENT_ID=" .. shq(env.client_id or "sandbox-client-id"),
      "HELPSCOUT_CLIENT_SECRET=" .. shq(env.client_secret or "sandbox-client-secret"),
      "XDG_CONFIG_HOME=" .. shq(tmp .. ".config"), -- no token file of the machine's own login
    }
    local quoted = {}
    for i, a in ipairs(args) do quoted[i] = shq(a) end
    local cmd = ("env %s lua5.4 bin/helpscout %s 2>%s; echo \"__rc=$?\""):format(table.concat(e, " "),
      table.concat(quoted, " "), shq(tmp))
    local p = assert(io.popen(cmd, "r"))
    local out = p:read("*a")
    p:close()
    local rc = tonumber(out:match("__rc=(%d+)%s*$"))
    out = out:gsub("__rc=%d+%s*$", "")
    local f = io.open(tmp, "r")
    local err = f and f:read("*a") or ""
    if f then f:close() end
    return rc, out, err
  end

  it("prints help and exits 0", function()
    local rc, out = run { "--help" }
    assert.are.equal(0, rc)
    assert.truthy(out:find("Usage: helpscout", 1, true))
    assert.truthy(out:find("triage", 1, true) and out:find("customer EMAIL", 1, true))
  end)

  it("exits 2 on usage errors with a hint", function()
    for _, args in ipairs { {}, { "frobnicate" }, { "mailboxes", "--nope" }, { "conversation", "abc" },
      { "conversations", "--page" }, { "note", "1" }, { "mailboxes", "--status", "all" } } do
      local rc, out, err = run(args)
      assert.are.equal(2, rc, table.concat(args, " "))
      assert.are.equal("", out)
      assert.truthy(err:find("^helpscout: ") and err:find("Try 'helpscout %-%-help'"), err)
    end
  end)

  it("refuses a bad --connection id as a usage error naming the rule, on every command", function()
    local long = ("a"):rep(10 * 1024)
    for _, id in ipairs { "../x", "a/b", "a..b", "", long, ".hidden", "a b" } do
      for _, args in ipairs { { "mailboxes", "--connection", id }, { "--connection=" .. id, "auth", "status" },
        { "auth", "logout", "--connection", id } } do
        local rc, out, err = run(args)
        assert.are.equal(2, rc, id:sub(1, 20))
        assert.are.equal("", out)
        assert.truthy(err:find("option --connection: a connection id ", 1, true), err)
        assert.is_true(#err < 400)
      end
    end
  end)

  it("fails with one line for a connection that never logged in (no fall back to client credentials)", function()
    sb:clear_log()
    local rc, out, err = run { "mailboxes", "--connection", "alice" }
    assert.are.equal(1, rc)
    assert.are.equal("", out)
    assert.truthy(err:find("connection 'alice' has no token", 1, true) and err:find("auth login --connection alice", 1, true), err)
    assert.are.equal(0, #sb:log())
  end)

  it("lists mailboxes as an aligned table and as JSON", function()
    local rc, out = run { "mailboxes", "--json" }
    assert.are.equal(0, rc)
    local doc = cjson.decode(out)
    assert.is_true(#doc.items > 0)
    local rc2, table_out = run { "mailboxes" }
    assert.are.equal(0, rc2)
    local lines = {}
    for l in table_out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.truthy(lines[1]:find("^%s*ID%s+NAME%s+EMAIL"))
    assert.are.equal(#doc.items + 1, #lines)
    for _, mb in ipairs(doc.items) do assert.truthy(table_out:find(mb.name, 1, true)) end
    -- columns line up: "NAME" starts at the same column as each name
    local col = lines[1]:find("NAME", 1, true)
    assert.are.equal(col, lines[2]:find(doc.items[1].name, 1, true))
  end)

  it("pages through conversations with --all / --limit and shows progress when asked", function()
    local rc, out, err = run { "conversations", "--status", "all", "--limit", "60", "--json", "--progress" }
    assert.are.equal(0, rc)
    local doc = cjson.decode(out)
    assert.are.equal(60, #doc.items)
    assert.truthy(err:find("fetched 1/%d+ pages"), err)
    assert.truthy(err:find("\r", 1, true))
    local rc2, _, err2 = run { "conversations", "--status", "all", "--limit", "30", "--json" }
    assert.are.equal(0, rc2)
    assert.are.equal("", err2) -- not a terminal, no --progress: no progress line
  end)

  it("shows one conversation as a transcript", function()
    local _, out = run { "conversations", "--json" }
    local conv = cjson.decode(out).items[1]
    local rc, text = run { "conversation", string.format("%d", conv.id) }
    assert.are.equal(0, rc)
    assert.truthy(text:find(conv.subject, 1, true))
    assert.truthy(text:find("Customer ", 1, true))
    assert.truthy(text:find("priority %d+ %(%a+%)"))
  end)

  it("runs the triage job: every active conversation in one group, most urgent first", function()
    local rc, out = run { "triage", "--json", "--limit", "5" }
    assert.are.equal(0, rc)
    local r = cjson.decode(out)
    local _, all = run { "conversations", "--all", "--json" }
    local active = cjson.decode(all).items
    assert.are.equal(#active, r.total)
    local n = 0
    for _, g in ipairs(r.groups) do n = n + g.count; assert.are.equal(g.count, #g.conversation_ids) end
    assert.are.equal(r.total, n)
    assert.are.equal(5, #r.attention)
    for i = 2, #r.attention do assert.is_true(r.attention[i - 1].score >= r.attention[i].score) end
    local rc2, human = run { "triage" }
    assert.are.equal(0, rc2)
    assert.truthy(human:find("Needs attention first", 1, true) and human:find("By topic", 1, true))
  end)

  it("refuses to send a reply without --send, saves drafts with --draft", function()
    local _, out = run { "conversations", "--json" }
    local id = string.format("%d", cjson.decode(out).items[1].id)
    sb:clear_log()
    local rc, o, err = run { "reply", id, "Hello there" }
    assert.are.equal(2, rc)
    assert.are.equal("", o)
    assert.truthy(err:find("refusing to e-mail the customer", 1, true))
    assert.are.equal(0, #replies())
    rc = run { "reply", id, "Hello there", "--draft" }
    assert.are.equal(0, rc)
    local posts = sb:log { method = "POST", path = "/v2/conversations/" .. id .. "/reply" }
    assert.are.equal(1, #posts)
    assert.is_true(posts[1].json.draft)
    assert.truthy(posts[1].json.text:find("Hello there", 1, true))
  end)

  it("drafts replies without writing anything unless --save", function()
    sb:clear_log()
    local rc, out = run { "drafts", "--limit", "2" }
    assert.are.equal(0, rc)
    assert.are.equal(2, select(2, out:gsub("\n=== ", "")) + (out:find("^=== ") and 1 or 0))
    assert.truthy(out:find("Hi ", 1, true))
    assert.are.equal(0, #replies())
    rc, out = run { "drafts", "--limit", "2", "--save", "--json" }
    assert.are.equal(0, rc)
    local doc = cjson.decode(out)
    assert.are.equal(2, #doc.drafts)
    local posts = replies()
    assert.are.equal(2, #posts)
    for i, p in ipairs(posts) do
      assert.is_true(p.json.draft)
      assert.are.equal(doc.drafts[i].saved_thread_id ~= nil, true)
    end
  end)

  it("summarises a customer by e-mail and fails cleanly for an unknown one", function()
    local _, out = run { "conversations", "--json" }
    local conv = cjson.decode(out).items[1]
    local email = conv.primaryCustomer.email
    local rc, text = run { "customer", email:upper() }
    assert.are.equal(0, rc)
    assert.truthy(text:find("Customer: ", 1, true))
    assert.truthy(text:find(conv.subject, 1, true))
    local rc2, o2, err2 = run { "customer", "nobody-at-all@nowhere.invalid" }
    assert.are.equal(1, rc2)
    assert.are.equal("", o2)
    assert.truthy(err2:find("^helpscout: not_found: no customer with e%-mail nobody%-at%-all@nowhere%.invalid\n$"), err2)
  end)

  it("adds notes, replaces tags and creates conversations", function()
    local _, out = run { "conversations", "--json" }
    local id = string.format("%d", cjson.decode(out).items[1].id)
    local rc, o = run { "note", id, "Called the customer" }
    assert.are.equal(0, rc)
    assert.truthy(o:find("^note %d+ added to conversation " .. id))
    rc = run { "tags", id, "billing", "vip" }
    assert.are.equal(0, rc)
    local _, conv = run { "conversation", id, "--json" }
    local tags = {}
    for _, t in ipairs(cjson.decode(conv).tags) do tags[#tags + 1] = t.tag end
    table.sort(tags)
    assert.are.same({ "billing", "vip" }, tags)
    local _, mbs = run { "mailboxes", "--json" }
    local mb = string.format("%d", cjson.decode(mbs).items[1].id)
    local rc3, o3 = run { "create", "--mailbox", mb, "--subject", "CLI test", "--customer", "cli@example.test",
      "--text", "Hello from the CLI" }
    assert.are.equal(0, rc3)
    assert.truthy(o3:find("^conversation %d+ created"))
  end)

  it("fails with exit 1 and one line, without printing the secret, on bad credentials", function()
    local secret = "not-the-right-secret-123"
    local rc, out, err = run({ "mailboxes" }, { client_secret = secret })
    assert.are.equal(1, rc)
    assert.are.equal("", out)
    assert.truthy(err:find("^helpscout: "))
    assert.are.equal(1, select(2, err:gsub("\n", "")))
    assert.is_nil(err:find(secret, 1, true))
    local rc2, _, err2 = run({ "mailboxes" }, { base_url = "http://127.0.0.1:1" })
    assert.are.equal(1, rc2)
    assert.are.equal(1, select(2, err2:gsub("\n", "")))
  end)
  it("prints one command's help from its spec, and checks values against it", function()
    local rc, out = run { "reply", "--help" }
    assert.are.equal(0, rc)
    assert.truthy(out:find("^Usage: helpscout reply ID TEXT %-%-draft | %-%-send"), out)
    assert.truthy(out:find("\n  %-%-draft +save as a draft"), out)
    assert.truthy(out:find("Global options", 1, true))
    -- every command named in the main help has its own help
    local _, all = run { "--help" }
    for name in all:gmatch("\n  (%l+)") do
      local rc2, o2 = run { name, "--help" }
      assert.are.equal(0, rc2, name)
      assert.truthy(o2:find("Usage: helpscout " .. name, 1, true), name)
    end
    for _, a in ipairs { { "customers", "--mailbox", "abc" }, { "conversations", "--page", "2x" },
      { "tags", "1" }, { "customer", "not-an-email" }, { "conversation", "1", "2" }, { "tools", "x" },
      { "conversations", "--limit", "0" }, { "auth" }, { "listen", "--port", "1" } } do
      local rc3, o3, e3 = run(a)
      assert.are.equal(2, rc3, table.concat(a, " "))
      assert.are.equal("", o3)
      assert.truthy(e3:find("Try 'helpscout %-%-help' or 'helpscout " .. a[1] .. " %-%-help'"), e3)
    end
  end)

  it("keeps empty arrays as [] in --json output", function()
    local rc, out = run { "conversations", "--json", "--status", "all" }
    assert.are.equal(0, rc)
    assert.truthy(out:find('"cc":[]', 1, true), "no empty cc array in the output")
    assert.is_nil(out:find('"cc":{}', 1, true))
    local rc2, out2 = run { "triage", "--json", "--limit", "0" }
    assert.are.equal(0, rc2)
    assert.truthy(out2:find('"attention":[]', 1, true), out2:sub(1, 200))
  end)

  it("aligns table columns by display width (CJK, emoji, combining marks)", function()
    local _, mbs = run { "mailboxes", "--json" }
    local mb = string.format("%d", cjson.decode(mbs).items[1].id)
    local email = "yamada.cjk@example.test"
    assert.are.equal(0, (run { "create", "--mailbox", mb, "--subject", "請求書 🎉 Rechnung", "--customer", email,
      "--first-name", "山田", "--last-name", "太郎 🍣", "--text", "こんにちは" }))
    local rc, out = run { "customers", "--email", email }
    assert.are.equal(0, rc)
    local head, row = out:match("^([^\n]+)\n([^\n]+)")
    assert.truthy(row:find("山田 太郎 🍣", 1, true), out)
    -- the EMAIL column starts at the same display column in the header and in the row
    local width = require("helpscout.cli.out").width
    local function col(line, s) return width(line:sub(1, line:find(s, 1, true) - 1)) end
    assert.are.equal(col(head, "EMAIL"), col(row, email))
  end)
end)
