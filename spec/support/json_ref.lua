-- The reference projection of hs.h's `fields` semantics, in plain Lua, for the checks that
-- compare the decoder's projected decode with a projection of its full decode: spec/json_spec.lua
-- (require "support.json_ref") and the fuzz harness (dofile, from the checkout's root).
--   local ref = require "support.json_ref"
--   ref.project(value, ref.tree(fields, embedded))
local core = require "helpscout.core"

local ipairs, pairs, type, getmetatable, setmetatable = ipairs, pairs, type, getmetatable, setmetatable

local M = {}

-- A tree of names; `all` keeps a whole value. `_links` and `page` are always kept; with
-- `embedded` the fields apply to each item of _embedded.<embedded>.
function M.tree(fields, embedded)
  local root = { kids = {} }
  local function add(at, path)
    for name in path:gmatch("[^.]+") do
      if at.all then return end
      at.kids[name] = at.kids[name] or { kids = {} }
      at = at.kids[name]
    end
    at.all = true
  end
  add(root, "_links"); add(root, "page")
  local base = root
  if embedded then
    root.kids._embedded = root.kids._embedded or { kids = {} }
    root.kids._embedded.kids[embedded] = { kids = {} }
    base = root.kids._embedded.kids[embedded]
  end
  for _, f in ipairs(fields) do add(base, f) end
  return root
end

-- v with only the members the tree names; arrays are transparent.
function M.project(v, node)
  if node.all or type(v) ~= "table" then return v end
  if getmetatable(v) == core.array then
    local out = setmetatable({}, core.array)
    for i = 1, #v do out[i] = M.project(v[i], node) end
    return out
  end
  local out = {}
  for k, x in pairs(v) do
    if node.kids[k] then out[k] = M.project(x, node.kids[k]) end
  end
  return out
end

return M
