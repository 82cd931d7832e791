-- helpscout.tools.shape: outputs shaped for a model's context window.
--   slim(kind, obj)         the few fields an agent needs (SLIM tables below), nothing else
--   slim_schema(kind)       the JSON Schema of slim(kind, ...), derived from the same table
--   cap(result, key, max)   the result trimmed to at most max bytes of JSON, plus how far it got
--   render(result)          the text content: a compact table for item lists, else JSON
--   encode_cont / decode_cont   the continuation token a model passes back to resume
--
-- Invariant: a SLIM table is the only description of a slim object; both the projection and its
-- schema are read from it, so they cannot drift.
local json = require "helpscout.json"
local schema = require "helpscout.tools.schema"
local triage = require "helpscout.triage"

local type, ipairs, pairs, tostring, tonumber, floor = type, ipairs, pairs, tostring, tonumber, math.floor
local concat, format, char, byte = table.concat, string.format, string.char, string.byte

local _M = {}

---------------------------------------------------------------------------------------------
-- Untrusted content: customer-written text reaches a model between OPEN and CLOSE (never a
-- marker inside: those are removed), with control characters (C0 but \n and \t, DEL, C1) and
-- bidirectional overrides (U+202A-U+202E, U+2066-U+2069) and marks (U+200E, U+200F, U+061C) removed.
_M.OPEN, _M.CLOSE = "<data>", "</data>"

local INVISIBLE = { "[%z\1-\8\11-\31\127]", "\194[\128-\159]", "\226\128[\170-\174]",
  "\226\129[\166-\169]", "\226\128[\142\143]", "\216\156" }

function _M.clean(s)
  if type(s) ~= "string" then return s end
  for i = 1, #INVISIBLE do s = s:gsub(INVISIBLE[i], "") end
  return s
end

-- Every string of an API object cleaned (detail mode: the objects as they are, less what no
-- reader sees: control and bidi characters). Changed in place; returns the object.
function _M.clean_deep(v, depth)
  depth = depth or 0
  if type(v) ~= "table" or depth > 32 then return v end
  for k, x in pairs(v) do
    if type(x) == "string" then v[k] = _M.clean(x) elseif type(x) == "table" then _M.clean_deep(x, depth + 1) end
  end
  return v
end

local MARKER = "<%s*/?%s*[dD][aA][tT][aA]%s*>"

function _M.untrusted(s)
  if type(s) ~= "string" then return s end
  s = _M.clean(s)
  local n
  repeat s, n = s:gsub(MARKER, "") until n == 0
  return _M.OPEN .. s .. _M.CLOSE
end
local untrusted = _M.untrusted

local function cap_text(s, n)
  if type(s) ~= "string" then return nil end
  s = s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #s <= n then return s end
  local cut = n
  while cut > 0 and byte(s, cut + 1) and byte(s, cut + 1) >= 0x80 and byte(s, cut + 1) < 0xC0 do cut = cut - 1 end
  return s:sub(1, cut) .. "…"
end
_M.cap_text = cap_text

-- "First Last <email>" (or whichever parts exist)
local function person(p)
  if type(p) ~= "table" then return nil end
  local name = triage.person_name(p)
  local email = type(p.email) == "string" and p.email or nil
  if name and email and name ~= email then return name .. " <" .. email .. ">" end
  return name or email
end
_M.person = person

local function tag_names(c)
  local out = json.array {}
  for _, t in ipairs(type(c.tags) == "table" and c.tags or {}) do
    local n = type(t) == "table" and (t.tag or t.name) or t
    if type(n) == "string" then out[#out + 1] = n end
  end
  return out
end

local function first_email(c)
  if type(c.email) == "string" then return c.email end
  local e = type(c._embedded) == "table" and c._embedded.emails
  if type(e) == "table" and type(e[1]) == "table" then return e[1].value end
  return nil
end

local function full_name(c)
  local n = triage.person_name { first = c.firstName, last = c.lastName }
  return n
end

-- kind -> fields {name, type, get = function(obj) | from = "apiField", description}
local SLIM = {
  conversation = {
    { name = "id", type = "integer", required = true },
    { name = "number", type = "integer" },
    { name = "subject", type = "string", get = function(c) return untrusted(cap_text(c.subject, 120)) end },
    { name = "status", type = "string" },
    { name = "mailbox_id", type = "integer", from = "mailboxId" },
    { name = "customer", type = "string", get = function(c) return untrusted(person(c.primaryCustomer)) end },
    { name = "assignee", type = "string", get = function(c) return person(c.assignee) end },
    { name = "waiting_since", type = "string", format = "date-time", get = function(c)
      return type(c.customerWaitingSince) == "table" and c.customerWaitingSince.time or nil end },
    { name = "tags", type = "array", items = { type = "string" }, get = tag_names },
    { name = "threads", type = "integer", description = "number of threads" },
    -- no `preview`: Help Scout makes it from the raw HTML, hidden text included
  },
  mailbox = {
    { name = "id", type = "integer", required = true },
    { name = "name", type = "string" },
    { name = "email", type = "string" },
  },
  customer = {
    { name = "id", type = "integer", required = true },
    { name = "name", type = "string", get = function(c) return untrusted(full_name(c)) end },
    { name = "email", type = "string", get = first_email },
    { name = "organization", type = "string", get = function(c) return untrusted(cap_text(c.organization, 60)) end },
  },
  user = {
    { name = "id", type = "integer", required = true },
    { name = "name", type = "string", get = full_name },
    { name = "email", type = "string" },
    { name = "role", type = "string" },
  },
}
_M.SLIM = SLIM

-- The _embedded key of a list tool -> slim kind.
_M.KIND_OF = { conversations = "conversation", mailboxes = "mailbox", customers = "customer", users = "user" }

function _M.slim(kind, obj)
  if type(obj) ~= "table" then return obj end
  local out = {}
  for _, f in ipairs(SLIM[kind]) do
    local v
    if f.get then v = f.get(obj) else v = obj[f.from or f.name] end
    if f.type == "integer" and type(v) == "number" then v = floor(v) end
    if f.type == "array" and type(v) == "table" and #v == 0 then v = nil end
    if v ~= nil and v ~= json.null then out[f.name] = v end
  end
  return out
end

function _M.slim_schema(kind)
  local s = schema.object_schema(SLIM[kind], true)
  s.title = "slim " .. kind
  return s
end

---------------------------------------------------------------------------------------------
-- Continuation tokens: base64url of the JSON {t = tool, a = args, s = skip | o = text offset}.

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local k = b and (c and 4 or 3) or 2
    for j = 1, k do
      local d = floor(n / 64 ^ (4 - j)) % 64
      out[#out + 1] = B64:sub(d + 1, d + 1)
    end
  end
  return concat(out)
end

local function unb64(s)
  if type(s) ~= "string" or s:find("[^%w%-_]") then return nil end
  local out, bits, n = {}, 0, 0
  for i = 1, #s do
    local d = B64:find(s:sub(i, i), 1, true) - 1
    n = n * 64 + d; bits = bits + 6
    if bits >= 8 then
      bits = bits - 8
      local v = floor(n / 2 ^ bits)
      out[#out + 1] = char(v)
      n = n - v * 2 ^ bits
    end
  end
  return concat(out)
end

function _M.encode_cont(tool, args, pos)
  local a = {}
  for k, v in pairs(args) do if k ~= "continuation" then a[k] = v end end
  return b64(json.encode { t = tool, a = a, s = pos.skip, o = pos.offset })
end

-- -> {tool, args, skip, offset} or nil
function _M.decode_cont(token)
  local raw = unb64(token)
  local t = raw and json.decode(raw)
  if type(t) ~= "table" or type(t.t) ~= "string" or type(t.a) ~= "table" then return nil end
  local skip, offset = tonumber(t.s), tonumber(t.o)
  if (skip and skip < 0) or (offset and offset < 0) then return nil end
  return { tool = t.t, args = t.a, skip = skip and floor(skip), offset = offset and floor(offset) }
end

---------------------------------------------------------------------------------------------
-- The size cap. `key` names what may be cut: an array of the result (items after the first
-- `skip` are dropped from the end until the JSON fits) or a string (cut at a UTF-8 boundary).
-- Returns the result (changed in place) and a position {skip=} / {offset=} to resume from, or nil
-- when everything fits.

local function size(v) return #json.encode(v) end

local function cap_array(result, key, max, skip)
  local all = result[key]
  local total = #all
  local lo, hi = 0, total - skip
  local function take(n)
    local a = json.array {}
    for i = 1, n do a[i] = all[skip + i] end
    result[key] = a
  end
  take(hi)
  if size(result) <= max then return result, nil end
  while lo < hi do  -- largest n that fits
    local mid = floor((lo + hi + 1) / 2)
    take(mid)
    if size(result) <= max then lo = mid else hi = mid - 1 end
  end
  take(lo)
  return result, { skip = skip + lo }, total
end

local function cap_string(result, key, max, offset)
  local s = result[key]
  s = s:sub(offset + 1)
  result[key] = s
  local over = size(result) - max
  if over <= 0 then return result, nil end
  local keep = #s - over - 16
  if keep < 0 then keep = 0 end
  while keep > 0 and byte(s, keep + 1) and byte(s, keep + 1) >= 0x80 and byte(s, keep + 1) < 0xC0 do
    keep = keep - 1
  end
  result[key] = s:sub(1, keep)
  return result, { offset = offset + keep }, #s
end

function _M.cap(result, key, max, pos)
  pos = pos or {}
  local v = result[key]
  if type(v) == "table" then return cap_array(result, key, max, pos.skip or 0) end
  if type(v) == "string" then return cap_string(result, key, max, pos.offset or 0) end
  return result, nil
end

_M.size = size

---------------------------------------------------------------------------------------------
-- Text rendering: lists of slim objects as a header line and one line per item (what a model
-- reads); every other result as its JSON.

local function cell(v)
  if type(v) == "table" then return concat(v, ",") end
  if v == nil then return "" end
  return (tostring(v):gsub("[\t\n]", " "))
end

local function render_items(result, kind)
  local fields = SLIM[kind]
  local head = {}
  for i, f in ipairs(fields) do head[i] = f.name end
  local lines = { concat(head, "\t") }
  for _, it in ipairs(result.items) do
    local row = {}
    for i, f in ipairs(fields) do row[i] = cell(it[f.name]) end
    lines[#lines + 1] = concat(row, "\t")
  end
  local p = result.page
  if type(p) == "table" then
    lines[#lines + 1] = format("page %s of %s (%s in all)", tostring(p.number), tostring(p.totalPages),
      tostring(p.totalElements))
  end
  if result.continuation then
    lines[#lines + 1] = "more: call again with continuation=" .. result.continuation
  end
  return concat(lines, "\n")
end

function _M.render(result, kind)
  if kind and type(result.items) == "table" then return render_items(result, kind) end
  if type(result.transcript) == "string" then
    local tail = result.continuation and ("\n(more: call again with continuation=" .. result.continuation .. ")") or ""
    return result.transcript .. tail
  end
  return json.encode(result)
end

return _M
