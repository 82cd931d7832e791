-- hs:changes (helpscout.changes) in one process against the sandbox, and the stores' documents
-- and leases it keeps its cursors with (memory, file, Redis). The multi-process proof is
-- spec/changes_proof_spec.lua.
local helpscout = require "helpscout"
local store = require "helpscout.store"
local sandbox = require "support.sandbox"
local redis = require "support.redis"
local H = require "store_helper"
local sys = require("helpscout.core").sys

local sb, rs, dir
setup(function()
  sb = sandbox.start{ rate_limit = 0 }
  rs = redis.start()
  dir = H.tmpdir("changes1")
end)
teardown(function() sb:stop(); rs:stop(); H.rmtree(dir) end)

local n = 0
local function client(st)
  return helpscout.new{ base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret,
    store = st or store.memory() }
end

local function collect(hs, opts)
  local out = {}
  for conv in hs:changes(opts) do out[#out + 1] = conv end
  return out
end

local function lists() return #sb:log{ method = "GET", path = "/v2/conversations" } end

describe("hs:changes", function()
  before_each(function() sb:reset(); sb:config{ rate_limit = 0 }; n = n + 1 end)

  it("starts at since, then yields only what changed, each change once", function()
    local hs = client()
    local first = collect(hs, { name = "t", since = 0 })
    assert.is_true(#first > 100)
    assert.same({}, collect(hs, { name = "t" }))
    local id = first[1].id
    assert(hs:add_note(id, "a note"))
    assert(hs:update_tags(first[2].id, { "billing" }))
    local got = collect(hs, { name = "t" })
    local ids = {}
    for _, c in ipairs(got) do ids[#ids + 1] = c.id end
    table.sort(ids)
    local want = { id, first[2].id }
    table.sort(want)
    assert.same(want, ids)
    assert.same({}, collect(hs, { name = "t" }))
  end)

  it("starts now by default: nothing older than the first run", function()
    local hs = client()
    assert.same({}, collect(hs, { name = "fresh" }))
    local all = assert(hs:list_conversations{ status = "all" })
    assert(hs:add_note(all[3].id, "after the start"))
    local got = collect(hs, { name = "fresh" })
    assert.equal(1, #got)
    assert.equal(all[3].id, got[1].id)
  end)

  it("two changes of one conversation in the same second are two changes", function()
    local hs = client()
    collect(hs, { name = "same", since = 0 })
    local c = assert(hs:list_conversations{ status = "all" })[1]
    assert(hs:add_note(c.id, "one"))
    assert.equal(1, #collect(hs, { name = "same" }))
    assert(hs:update_tags(c.id, { "vip" })) -- most likely within the same second
    local got = collect(hs, { name = "same" })
    assert.equal(1, #got)
    assert.equal("vip", got[1].tags[1].tag)
  end)

  it("a body that raises gets the same conversation again; one that returned never does", function()
    local hs = client()
    collect(hs, { name = "r", since = 0 })
    local all = assert(hs:list_conversations{ status = "all" })
    assert(hs:add_note(all[1].id, "x"))
    assert(hs:add_note(all[2].id, "y"))
    local handled = {}
    local ok = pcall(function()
      for conv in hs:changes{ name = "r" } do
        if #handled == 1 then error("boom") end
        handled[#handled + 1] = conv.id
      end
    end)
    assert.is_false(ok)
    collectgarbage() -- (LuaJIT: the abandoned run's lease goes with it; Lua 5.4 closed it already)
    local again = collect(hs, { name = "r" })
    assert.equal(1, #again)
    assert.are_not.equal(handled[1], again[1].id)
  end)

  it("one consumer per name: a second run of a held name is refused with kind busy", function()
    local hs = client(store.file(dir .. "/busy" .. n .. ".json"))
    collect(hs, { name = "b", since = 0 })
    local all = assert(hs:list_conversations{ status = "all" })
    assert(hs:add_note(all[1].id, "x"))
    local it, _, _, run = hs:changes{ name = "b" }
    assert.is_table(it())
    local inner = { pcall(hs.changes, hs, { name = "b" }) }
    run:close()
    assert.is_table(assert(hs:changes{ name = "b" })()) -- closed: the name is free, the item comes again
    assert.is_false(inner[1])
    assert.equal("busy", inner[2].kind)
    collectgarbage()
  end)

  it("costs one list request per poll when nothing changed", function()
    local hs = client()
    collect(hs, { name = "c" })
    local before = lists()
    for _ = 1, 3 do collect(hs, { name = "c" }) end
    assert.equal(3, lists() - before)
  end)

  it("costs one page per 25 changed conversations (plus the overlap re-read) when many changed", function()
    local hs = client()
    collect(hs, { name = "m" })
    local ids = {}
    for items in hs:pages("list_conversations", { status = "all" }) do
      for _, c in ipairs(items) do ids[#ids + 1] = c.id end
      if #ids >= 60 then break end
    end
    for i = 1, 60 do assert(hs:add_note(ids[i], "n" .. i)) end
    local before = lists()
    assert.equal(60, #collect(hs, { name = "m" }))
    assert.equal(3, lists() - before) -- ceil(60 / 25)
  end)

  it("a full pass every overlap/2 finds what clock skew hid from the short passes", function()
    local st = store.memory()
    local hs = client(st)
    collect(hs, { name = "skew" })
    local all = assert(hs:list_conversations{ status = "all" })
    assert(hs:add_note(all[1].id, "while our clock ran 3 s ahead"))
    local doc = assert(st:get_doc("changes.skew"))
    doc.cursor = doc.cursor + 3 -- as if the previous pass had started 3 s later than the server's clock
    assert(st:put_doc("changes.skew", doc))
    assert.same({}, collect(hs, { name = "skew" })) -- the short pass reaches back 1 s only
    doc = assert(st:get_doc("changes.skew"))
    doc.full_at = doc.full_at - 60 -- the last full pass is overlap/2 old: the next one reaches back
    assert(st:put_doc("changes.skew", doc))
    local got = collect(hs, { name = "skew" })
    assert.equal(1, #got)
    assert.equal(all[1].id, got[1].id)
  end)

  it("keeps the fields asked for plus what a version needs", function()
    local hs = client()
    collect(hs, { name = "f", since = 0 })
    local all = assert(hs:list_conversations{ status = "all" })
    assert(hs:add_note(all[1].id, "x"))
    local got = collect(hs, { name = "f", fields = { "id", "subject" } })
    assert.equal(1, #got)
    assert.is_nil(got[1].preview)
    assert.is_string(got[1].subject)
    assert.is_number(got[1].threads)
  end)

  it("refuses bad options with errors naming 'changes'", function()
    local hs = client()
    local cases = {
      { {}, "option 'name'" },
      { { name = "a b" }, "option 'name'" },
      { { name = "x", since = "yesterday" }, "option 'since'" },
      { { name = "x", colour = 1 }, "unknown option 'colour'" },
      { { name = "x", overlap = 0 }, "option 'overlap'" },
      { { name = "x", mailbox = {} }, "option 'mailbox'" },
    }
    for _, c in ipairs(cases) do
      local ok, e = pcall(hs.changes, hs, c[1])
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'changes'", e, 1, true)
      assert.matches(c[2], e, 1, true)
    end
    local bare = helpscout.new{ base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret }
    local ok, e = pcall(bare.changes, bare, { name = "x" })
    assert.is_false(ok)
    assert.matches("needs a store", e, 1, true)
  end)

  it("raises the API's error (a loop never ends silently short) and frees the name", function()
    local hs = client()
    collect(hs, { name = "e" })
    sb:fault{ method = "GET", path = "/v2/conversations", status = 400, count = 1 }
    local ok, e = pcall(collect, hs, { name = "e" })
    assert.is_false(ok)
    assert.equal("validation", e.kind)
    assert.same({}, collect(hs, { name = "e" }))
  end)
end)

-- The stores' documents and leases.
local function stores()
  return {
    memory = function() return store.memory() end,
    file = function() return store.file(dir .. "/docs" .. n .. ".json") end,
    redis = function() return store.redis{ port = rs.port, key = "docs" .. n } end,
  }
end

for kind, make in pairs(stores()) do
  describe(kind .. " store documents and leases", function()
    before_each(function() n = n + 1 end)

    it("keeps documents per connection and name", function()
      local s = make()
      assert.is_nil((s:get_doc("a")))
      assert.is_true(s:put_doc("a", { x = 1, list = { 1, 2 } }))
      assert.same({ x = 1, list = { 1, 2 } }, s:get_doc("a"))
      local c = s:connection("alice")
      assert.is_nil((c:get_doc("a")))
      assert.is_true(c:put_doc("a", { y = 2 }))
      assert.same({ y = 2 }, c:get_doc("a"))
      assert.same({ x = 1, list = { 1, 2 } }, s:get_doc("a"))
      assert.has_error(function() s:put_doc("a b", {}) end)
      assert.has_error(function() s:put_doc("a", "text") end)
    end)

    it("gives a name's lease to one holder at a time; put_doc under a released lease is refused", function()
      local s = make()
      local l1 = assert(s:lease("n", 30))
      local l2, e = s:lease("n", 30)
      assert.is_nil(l2)
      assert.equal("busy", e.kind)
      assert.is_true(s:put_doc("n", { v = 1 }, l1))
      assert.is_true(l1:renew())
      l1:release()
      local ok, e2 = s:put_doc("n", { v = 2 }, l1)
      assert.is_nil(ok)
      assert.is_true(e2.lost)
      assert.same({ v = 1 }, s:get_doc("n"))
      local l3 = assert(s:lease("n", 30))
      l3:release()
    end)
  end)
end

describe("hs:changes on a Redis store: the lease lives as long as the loop does", function()
  it("is renewed by a slow but live loop, and lost by one slower than lease_ttl (which then raises)", function()
    sb:reset()
    local st = store.redis{ port = rs.port, key = "live" .. n }
    local hs = client(st)
    collect(hs, { name = "slow" })
    local all = assert(hs:list_conversations{ status = "all" })
    for i = 1, 4 do assert(hs:add_note(all[i].id, "x" .. i)) end
    local seen = 0
    for _ in hs:changes{ name = "slow", lease_ttl = 1 } do -- 4 bodies of 0.4 s: 1.6 s > the ttl
      seen = seen + 1
      sys.sleep(0.4)
    end
    assert.equal(4, seen)
    assert(hs:add_note(all[5].id, "y"))
    assert(hs:add_note(all[6].id, "z"))
    local ok, e = pcall(function()
      for _ in hs:changes{ name = "slow", lease_ttl = 1 } do sys.sleep(1.3) end
    end)
    assert.is_false(ok)
    assert.is_true(e.lost)
    assert.equal(2, #collect(hs, { name = "slow" })) -- the one in flight was not recorded: both again
  end)
end)

describe("redis leases", function()
  it("wait out a live holder on another host (its ttl) and take over a dead one on this host at once", function()
    local s = store.redis{ port = rs.port, key = "hosts" }
    local lkey = "hosts:lease:n"
    assert(s.conn:call("SET", lkey, "elsewhere.example/1/00ff", "PX", "800")) -- another host's holder
    local l, e = s:lease("n", 30)
    assert.is_nil(l)
    assert.equal("busy", e.kind)
    assert.matches("elsewhere.example/1", e.message, 1, true)
    assert.is_nil(e.message:find("00ff", 1, true)) -- never its token
    sys.sleep(0.9)
    l = assert(s:lease("n", 30))
    l:release()
    -- a holder on this host whose process is gone (a pid that cannot be running)
    assert(s.conn:call("SET", lkey, sys.hostname() .. "/999999999/00ff", "PX", "60000"))
    l = assert(s:lease("n", 30))
    l:release()
  end)

  it("expire after their ttl when the holder stops renewing; the old holder can no longer write", function()
    local s = store.redis{ port = rs.port, key = "ttl" }
    local l1 = assert(s:lease("n", 1))
    sys.sleep(1.2)
    local l2 = assert(s:lease("n", 30))
    local ok, e = s:put_doc("n", { v = 1 }, l1)
    assert.is_nil(ok)
    assert.is_true(e.lost)
    assert.is_nil(l1:renew())
    assert.is_true(s:put_doc("n", { v = 2 }, l2))
    l2:release()
  end)
end)

describe("helpscout watch --once", function()
  local function watch(argv)
    local path = dir .. "/watch.out"
    local cmd = ("HELPSCOUT_CLIENT_ID=%s HELPSCOUT_CLIENT_SECRET=%s lua5.4 %s watch %s --base-url %s >%s 2>&1; echo $?")
      :format(H.shq(sb.client_id), H.shq(sb.client_secret), H.shq(os.getenv("PWD") .. "/bin/helpscout"), argv,
        H.shq(sb.url), H.shq(path))
    local p = io.popen(cmd)
    local rc = tonumber(p:read("*l"))
    p:close()
    return rc, H.read(path) or ""
  end

  it("prints what changed once (JSON lines), resumes from its cursor, and needs --name", function()
    sb:reset()
    local store_path = H.shq(dir .. "/watch-store.json")
    local rc, out = watch("--once --json --since 2000-01-01T00:00:00Z --name w --store " .. store_path)
    assert.equal(0, rc)
    local lines = 0
    for line in out:gmatch("[^\n]+") do
      assert.matches('^{.*"id":%d+', line)
      lines = lines + 1
    end
    assert.is_true(lines > 100)
    rc, out = watch("--once --json --name w --store " .. store_path)
    assert.equal(0, rc)
    assert.equal("", out)
    rc, out = watch("--once")
    assert.equal(2, rc)
    assert.matches("--name", out, 1, true)
  end)
end)

