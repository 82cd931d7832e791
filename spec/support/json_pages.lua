-- Test helper: every page of every list endpoint of a running sandbox, as the raw bytes the
-- server sent (for spec/json_spec.lua, bench/decode_bench.lua and fuzz/make_corpus.lua).
--   local pages = require("support.json_pages").fetch(sb)   -- array of { name =, path =, body = }
local rawhttp = require "support.rawhttp"
local cjson = require "cjson"

local M = {}

-- The list endpoints and their _embedded keys (the tool table's `embedded`).
M.lists = {
  { name = "conversations", path = "/v2/conversations?status=all" },
  { name = "conversations", path = "/v2/conversations?status=all&embed=threads", tag = "threads" },
  { name = "customers", path = "/v2/customers" },
  { name = "users", path = "/v2/users" },
  { name = "mailboxes", path = "/v2/mailboxes" },
}

local function get(sb, token, path)
  local res = assert(rawhttp.request(sb, "GET", path, { token = token }))
  assert(res.status == 200, path .. ": HTTP " .. tostring(res.status))
  return res.body
end

-- All pages of all lists (max_pages caps each list), then a few single conversations.
function M.fetch(sb, max_pages)
  local token = rawhttp.client_token(sb)
  local out = {}
  for _, l in ipairs(M.lists) do
    local n, total = 1, 1
    while n <= total and n <= (max_pages or math.huge) do
      local path = l.path .. (l.path:find("?", 1, true) and "&" or "?") .. "page=" .. n
      local body = get(sb, token, path)
      total = tonumber(body:match('"totalPages"%s*:%s*(%d+)')) or 1
      out[#out + 1] = { name = l.name, path = path, body = body, tag = l.tag }
      n = n + 1
    end
  end
  local first = cjson.decode(out[1].body)._embedded.conversations
  for i = 1, math.min(5, #first) do
    local path = ("/v2/conversations/%d?embed=threads"):format(first[i].id)
    out[#out + 1] = { name = "conversation", path = path, body = get(sb, token, path) }
  end
  return out
end

return M
