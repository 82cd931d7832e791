-- Writes the seed corpus fuzz/corpus/ (committed): a few sandbox pages of each list endpoint and
-- single conversations, single items cut out of them, and hand-written edge cases. Files named
-- bad_* must be refused by the decoder (spec/json_spec.lua checks both kinds).
--   lua5.4 fuzz/make_corpus.lua        (from the repository root, after make build)
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local sandbox = require "support.sandbox"
local json_pages = require "support.json_pages"
local core = require "helpscout.core"

local dir = "fuzz/corpus/"
local function write(name, s)
  local f = assert(io.open(dir .. name, "wb"))
  f:write(s)
  f:close()
end

local sb = sandbox.start{ seed = 7, rate_limit = 0 }
local ok, pages = pcall(json_pages.fetch, sb, 1)
sb:stop()
assert(ok, pages)
for i, pg in ipairs(pages) do
  write(("page_%02d_%s%s.json"):format(i, pg.name, pg.tag and "_" .. pg.tag or ""), pg.body)
  local v = core.json_decode(pg.body)
  local items = v._embedded and v._embedded[pg.name]
  if items and items[1] then write(("item_%02d_%s.json"):format(i, pg.name), core.json_encode(items[1])) end
end

local good = {
  "[]", "{}", "-0", "1e2", "1.5E-7", "9007199254740993", "123456789012345678901234567890",
  '"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/"', '"é中😀"', '{"a":1,"a":null,"b":[null,{}]}',
  ('['):rep(200) .. (']'):rep(200), '{"page":{"number":1},"_links":{},"_embedded":{"conversations":[]}}',
  '{"error":"invalid_grant","error_description":"Refresh token is invalid"}',
  '{"message":"Validation error","logRef":"abc","_embedded":{"errors":[{"path":"text","message":"may not be empty"}]}}',
  '{"access_token":"t","refresh_token":"r","token_type":"bearer","expires_in":7200}',
}
for i, s in ipairs(good) do write(("edge_%02d.json"):format(i), s) end
local bad = {
  "01", "1.", "NaN", "Infinity", "[1,]", '{"a":1,}', '"\\ud83d"', '"\\ude00"', '"\255"',
  '"\192\175"', "1e400", "[1] x", '"\t"', ('['):rep(1001) .. (']'):rep(1001), '{"a"', "",
}
for i, s in ipairs(bad) do write(("bad_%02d.json"):format(i), s) end
