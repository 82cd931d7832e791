-- The JSON decoder (csrc/hs_decode.c) against lua-cjson plus the core's rules, the encoder, and
-- field projection against a plain Lua projection of the full decode. Inputs: every page of the
-- sandbox's list endpoints, the committed fuzz corpus (fuzz/corpus), and hand-written edge cases.
-- Rules (hs.h): integral numbers with |v| < 2^53 are integers, null members of objects are
-- dropped, nulls in arrays are cjson.null, arrays carry core.array; invalid JSON is nil, message.
local core = require "helpscout.core"
local cjson = require "cjson"
local sandbox = require "support.sandbox"
local json_pages = require "support.json_pages"

local ref_decode = cjson.new().decode
local MAX_SAFE = 9007199254740992
local mtype = math.type -- nil under LuaJIT, where every number is a double

local function is_int(v)
  if mtype then return mtype(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

-- cjson's value with the rules applied (what the decoder must build).
local function rules(v)
  if type(v) == "number" then
    if v == math.floor(v) and math.abs(v) < MAX_SAFE then
      return math.tointeger and math.tointeger(v) or v
    end
    return v
  end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do
    if not (x == cjson.null and type(k) == "string") then out[k] = rules(x) end
  end
  return out
end

-- Compares the decoder's value a with the reference b; returns nil or where they differ.
local function diff(a, b, path)
  path = path or "$"
  if type(a) ~= type(b) then return path .. ": " .. type(a) .. " vs " .. type(b) end
  if type(a) == "number" then
    if a ~= b or is_int(a) ~= is_int(b) then return path .. ": " .. tostring(a) .. " vs " .. tostring(b) end
    return nil
  end
  if type(a) ~= "table" then
    if a ~= b then return path .. ": " .. tostring(a) .. " vs " .. tostring(b) end
    return nil
  end
  if getmetatable(a) == core.array then
    for k in pairs(b) do
      if type(k) ~= "number" then return path .. ": an array where the reference has key " .. k end
    end
  elseif getmetatable(a) ~= nil then
    return path .. ": unexpected metatable"
  end
  for k, x in pairs(a) do
    local d = diff(x, b[k], path .. "." .. tostring(k))
    if d then return d end
  end
  for k in pairs(b) do
    if a[k] == nil then return path .. "." .. tostring(k) .. ": missing" end
  end
  return nil
end

local function agree(s)
  local mine, err = core.json_decode(s)
  assert(mine ~= nil, "decoder refused: " .. tostring(err))
  local d = diff(mine, rules(ref_decode(s)))
  assert(d == nil, d)
  return mine
end

-- Every array in v carries core.array, every object none (checked on the decoder's own output).
local function count_arrays(v, n)
  n = n or 0
  if type(v) ~= "table" then return n end
  if getmetatable(v) == core.array then n = n + 1 end
  for _, x in pairs(v) do n = count_arrays(x, n) end
  return n
end

-- The reference projection (hs.h): a tree of names; `all` keeps a whole value.
local ref = require "support.json_ref" -- the reference projection (hs.h), shared with the fuzz harness
local tree, project = ref.tree, ref.project

local FIELDS = { "id", "number", "subject", "status", "customer.email", "waitingSince", "tags" }

describe("core.json_decode", function()
  describe("hand-written edge cases", function()
    local cases = {
      { "[]", "[]" }, { "{}", "{}" }, { " \t\r\n[ 1 , 2 ]\n ", "[1,2]" },
      { "-0", "0" }, { "1e2", "100" }, { "1.5e2", "150" }, { "1E+2", "100" }, { "1e-2", "0.01" },
      { "0.1", "0.1" }, { "-1.25", "-1.25" }, { "1e-400", "0" }, { "2.5E-3", "0.0025" },
      { "9007199254740991", "9007199254740991" }, { "-9007199254740991", "-9007199254740991" },
      { "9007199254740992", "9007199254740992" },
      { "123456789012345678901234567890", "1.2345678901234568e+29" },
      { '"\\u00e9\\u4e2d\\ud83d\\ude00"', '"é中😀"' }, { '"é中😀"', '"é中😀"' },
      { '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\"\\\\/\\b\\f\\n\\r\\t"' },
      { '"\\u0000x"', '"\\u0000x"' }, { '{"é":{"a":[{}]}}', '{"é":{"a":[{}]}}' },
      { '{"a":1,"a":2}', '{"a":2}' }, { '{"a":1,"a":null}', "{}" }, { '{"a":null}', "{}" },
      { "[null,1,null]", "[null,1,null]" }, { "[[],{},[[]]]", "[[],{},[[]]]" },
      { "true", "true" }, { "false", "false" }, { '""', '""' },
    }
    for _, c in ipairs(cases) do
      it("decodes " .. c[1], function()
        local v, err = core.json_decode(c[1])
        assert.is_nil(err)
        assert.are.equal(c[2], core.json_encode(v))
        assert.is_nil(diff(v, rules(ref_decode(c[1]))))
      end)
    end

    it("makes integers of integral numbers below 2^53, floats from there", function()
      assert.is_true(is_int(core.json_decode("9007199254740991")))
      assert.is_true(is_int(core.json_decode("-9007199254740991")))
      assert.is_true(is_int(core.json_decode("1.0")))
      assert.is_true(is_int(core.json_decode("[2407563901]")[1]))
      if mtype then
        assert.are.equal("float", mtype(core.json_decode("9007199254740992")))
        assert.are.equal("float", mtype(core.json_decode("9007199254740993")))
        assert.are.equal("float", mtype(core.json_decode("1.5")))
      end
      assert.are.equal(2 ^ 64, core.json_decode("18446744073709551616"))
    end)

    it("returns cjson.null for a top-level null and keeps array positions", function()
      assert.are.equal(cjson.null, core.json_decode("null"))
      local a = core.json_decode("[null,2,null]")
      assert.are.equal(3, #a)
      assert.are.equal(cjson.null, a[3])
    end)

    it("tags every array, empty or not, with core.array and no object", function()
      local v = core.json_decode('{"a":[],"b":[1,[2]],"c":{"d":[{}]}}')
      assert.are.equal(core.array, getmetatable(v.a))
      assert.are.equal(core.array, getmetatable(v.b[2]))
      assert.are.equal(core.array, getmetatable(v.c.d))
      assert.is_nil(getmetatable(v))
      assert.is_nil(getmetatable(v.c.d[1]))
      assert.are.equal(4, count_arrays(v))
    end)

    local bad = {
      "", "  ", "01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "NaN", "Infinity",
      "-Infinity", "0x10", "1e400", "-1e400", "[1,]", '{"a":1,}', '{"a"}', "{a:1}", "{'a':1}",
      "[1 2]", '"abc', "[1]]", "true false", "tru", "nul", "[", "{", '{"a":', "[1,",
      '"\t"', '"\1"', '"\255"', '"\192\175"', '"\237\160\128"', '"\244\144\128\128"', '"\226\130"',
      '"\\x"', '"\\u12"', '"\\u12g4"', '"\\ud83d"', '"\\ude00"', '"\\ud83d\\u0041"',
      '"\\ud83dx"', "\239\187\191{}", "{} x", "[]\0", "/* */ 1",
    }
    for _, s in ipairs(bad) do
      it(("refuses %q with a message"):format(s), function()
        local ok, v, err = pcall(core.json_decode, s)
        assert.is_true(ok)
        assert.is_nil(v)
        assert.matches("^invalid JSON at byte %d+: ", err)
      end)
    end

    it("nests to 1000 levels and refuses 1001", function()
      local deep = ("["):rep(1000) .. ("]"):rep(1000)
      assert.is_nil(diff(core.json_decode(deep), rules(ref_decode(deep))))
      local obj = ('{"a":'):rep(1000) .. "1" .. ("}"):rep(1000)
      assert.are.equal(1, select(2, pcall(function()
        local v = core.json_decode(obj)
        for _ = 1, 1000 do v = v.a end
        return v
      end)))
      local v, err = core.json_decode("[" .. deep .. "]")
      assert.is_nil(v)
      assert.matches("nested too deeply", err)
      assert.is_nil(core.json_decode(('{"a":'):rep(1001) .. "1" .. ("}"):rep(1001)))
    end)

    it("decodes numbers the same whatever the C locale's decimal point", function()
      local old = os.setlocale(nil, "numeric")
      os.setlocale("de_DE.UTF-8", "numeric") -- when installed: strtod wants "1,5" there
      local ok, v = pcall(core.json_decode, "[1.2345678901234567890123, 0.1e-30]")
      os.setlocale(old, "numeric")
      assert.is_true(ok)
      assert.are.equal(1.2345678901234567, v[1])
      assert.are.equal(0.1e-30, v[2])
    end)

    it("refuses every truncation of a document, never raising", function()
      local doc = '{"a":[1,-2.5e3,"x\\u00e9\\ud83d\\ude00",true,false,null,{"b":{}}],"c":"é"}'
      agree(doc)
      for i = 0, #doc - 1 do
        local ok, v, err = pcall(core.json_decode, doc:sub(1, i))
        assert.is_true(ok)
        assert.is_nil(v, doc:sub(1, i))
        assert.is_string(err)
      end
    end)

    it("raises only on bad arguments", function()
      assert.has_error(function() core.json_decode() end)
      assert.has_error(function() core.json_decode("{}", 1) end)
      local ok, err = pcall(core.json_decode, "{}", { 1 })
      assert.is_false(ok)
      assert.matches("bad argument #2 to .*%(fields%[1%] is not a string%)", err)
      assert.has_error(function() core.json_decode("{}", { "a..b" }) end)
      assert.has_error(function() core.json_decode("{}", { "" }) end)
      local many = {}
      for i = 1, 200 do many[i] = "f" .. i end
      assert.has_error(function() core.json_decode("{}", many) end)
      assert.has_error(function() core.json_decode("{}", { ("x"):rep(3000) }) end)
      assert.is_table(core.json_decode("{}", { ("x"):rep(1000), "a.b.c.d.e.f.g" }))
    end)
  end)

  describe("the fuzz corpus", function()
    local files = {}
    local p = assert(io.popen("ls fuzz/corpus"))
    for f in p:lines() do files[#files + 1] = f end
    p:close()

    it("has seeds", function() assert.is_true(#files >= 20) end)
    for _, f in ipairs(files) do
      it(f, function()
        local fh = assert(io.open("fuzz/corpus/" .. f, "rb"))
        local s = fh:read("*a")
        fh:close()
        if f:match("^bad_") then
          local ok, v, err = pcall(core.json_decode, s)
          assert.is_true(ok)
          assert.is_nil(v)
          assert.is_string(err)
        else
          local v = agree(s)
          assert.is_nil(diff(core.json_decode(core.json_encode(v)), v))
        end
      end)
    end
  end)

  describe("every sandbox page", function()
    local sb, pages
    setup(function()
      sb = sandbox.start{ seed = 42, rate_limit = 0 }
      pages = json_pages.fetch(sb)
    end)
    teardown(function() if sb then sb:stop() end end)

    it("decodes like cjson plus the rules", function()
      assert.is_true(#pages >= 40)
      for _, pg in ipairs(pages) do
        local ok, err = pcall(agree, pg.body)
        assert(ok, pg.path .. ": " .. tostring(err))
      end
    end)

    it("re-encodes to the same value, [] kept", function()
      for _, pg in ipairs(pages) do
        local v = core.json_decode(pg.body)
        local again = core.json_encode(v)
        assert.is_nil(diff(core.json_decode(again), v), pg.path)
        assert.is_nil(diff(core.json_decode(again), rules(ref_decode(again))), pg.path)
      end
      local items = core.json_decode(pages[1].body)._embedded.conversations
      local cc = items[1].cc
      assert.are.equal(core.array, getmetatable(cc))
      assert.matches('"cc":%[', core.json_encode(items[1]))
    end)

    it("projects list pages like a projection of the full decode", function()
      local sets = { FIELDS, { "id" }, {}, { "customer", "customer.email" }, { "_links.web" },
                     { "threads.body", "tags.tag", "x.y.z" }, { "_embedded.threads.id" } }
      for _, pg in ipairs(pages) do
        for _, fields in ipairs(sets) do
          local emb = pg.name ~= "conversation" and pg.name or nil
          local got, err = core.json_decode(pg.body, fields, emb)
          assert(got, err)
          local want = project(core.json_decode(pg.body), tree(fields, emb))
          local d = diff(got, want)
          assert(d == nil, pg.path .. " " .. table.concat(fields, ",") .. ": " .. tostring(d))
        end
      end
    end)

    it("gives the client's results tagged arrays, so re-encoding keeps []", function()
      local hs = require("helpscout").new{ client_id = sb.client_id, client_secret = sb.client_secret,
        base_url = sb.url, retries = 0 }
      local items = assert(hs:list_conversations{ status = "all" })
      local conv = assert(hs:get_conversation(items[1].id))
      assert.is_true(is_int(conv.id))
      assert.are.equal(core.array, getmetatable(conv.cc))
      assert.are.equal(core.array, getmetatable(conv._embedded.threads))
      assert.matches('"cc":%[', core.json_encode(conv))
      assert.is_nil(diff(core.json_decode(core.json_encode(items)), items))
      hs:close()
    end)

    it("keeps page and _links on projected list pages", function()
      local v = core.json_decode(pages[1].body, { "id" }, "conversations")
      assert.are.equal(1, v.page.number)
      assert.is_string(v._links.self.href)
      local item = v._embedded.conversations[1]
      assert.is_true(is_int(item.id))
      assert.is_nil(item.subject)
      assert.are.same({ "id" }, (function() local k = {} for n in pairs(item) do k[#k + 1] = n end return k end)())
    end)

    it("refuses a page with invalid bytes in a skipped member", function()
      local body = pages[1].body:gsub('"subject":"', '"subject":"\\q', 1)
      assert.is_nil(core.json_decode(body, { "id" }, "conversations"))
      assert.is_nil(core.json_decode(body))
    end)
  end)
end)

describe("core.json_encode", function()
  it("encodes a core.array table as an array, [] when empty", function()
    assert.are.equal("[]", core.json_encode(setmetatable({}, core.array)))
    assert.are.equal('{"a":[]}', core.json_encode({ a = setmetatable({}, core.array) }))
    assert.are.equal("{}", core.json_encode({}))
    assert.are.equal("[1,2,3]", core.json_encode({ 1, 2, 3 }))
  end)

  it("prints integers as integers and floats in their shortest exact form", function()
    assert.are.equal("[9007199254740992,0.1,1.5,-3,1e+300]",
      core.json_encode(core.json_decode("[9007199254740993,0.1,1.5,-3,1e300]")))
    assert.are.equal("0.1", core.json_encode(0.1))
    assert.are.equal("100", core.json_encode(100))
    if mtype then assert.are.equal("9007199254740993", core.json_encode(9007199254740993)) end
  end)

  it("raises on what JSON cannot carry", function()
    assert.has_error(function() core.json_encode({ f = print }) end)
    assert.has_error(function() core.json_encode(0 / 0) end)
    assert.has_error(function() core.json_encode(math.huge) end)
    assert.has_error(function() core.json_encode("\255") end)
    assert.has_error(function() core.json_encode({ 1, nil, 3 }) end)
    assert.has_error(function() core.json_encode(setmetatable({ a = 1 }, core.array)) end)
    local cyc = {}
    cyc.self = cyc
    assert.has_error(function() core.json_encode(cyc) end)
  end)
end)
