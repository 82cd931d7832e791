-- Customers: list (filters, search, sort), one customer, and its contact sub-resources (emails,
-- phones, chats, social profiles, websites, address) served from the seeded data.
local data = require "helpscout.sandbox.data"
local query = require "helpscout.sandbox.query"
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"

local pairs, ipairs = pairs, ipairs
local lower, find, match, gsub = string.lower, string.find, string.match, string.gsub

local _M = {}

-- Search fields -----------------------------------------------------------------------------------

local function email_test(domain_only)
  return function(_, c, node)
    return query.any(node, function(v)
      v = lower(v)
      for _, e in ipairs(c.emails) do
        local ev = lower(e.value)
        if ev == v then return true end
        if (domain_only or not find(v, "@", 1, true)) and match(ev, "@(.*)$") == v then return true end
      end
      return false
    end)
  end
end

local function name_test(key)
  return function(_, c, node) return query.any(node, function(v) return lower(c[key] or "") == lower(v) end) end
end

-- field -> test(S, customer, node)
local SEARCH = {
  email = email_test(false), emaildomain = email_test(true),
  firstname = name_test("firstName"), lastname = name_test("lastName"),
  phone = function(_, c, node)
    return query.any(node, function(v)
      local want = gsub(v, "[^%d]", "")
      for _, p in ipairs(c.phones) do
        if want ~= "" and find(gsub(p.value, "[^%d]", ""), want, 1, true) then return true end
      end
      return false
    end)
  end,
  modifiedat = function(S, c, node) return query.time_match(node, c.updatedAt, S:now()) end,
  createdat = function(S, c, node) return query.time_match(node, c.createdAt, S:now()) end,
  modifiedsince = function(_, c, node)
    return query.any(node, function(v) local t = data.parse_date(v); return t ~= nil and c.updatedAt >= t end)
  end,
}
local SEARCH_FIELDS = {}
for k in pairs(SEARCH) do SEARCH_FIELDS[k] = true end

local function cust_test(S, c)
  return function(field, node)
    local test = SEARCH[field]
    return test ~= nil and test(S, c, node)
  end
end

-- List ---------------------------------------------------------------------------------------------

local LIST_PARAMS = {
  { "page", "page", nil, 1 },
  { "mailbox", "int" },
  { "modifiedSince", "date" },
  { "sortField", "enum", { "createdAt", "firstName", "lastName", "modifiedAt", "score" }, "createdAt" },
  { "sortOrder", "enum", { "asc", "desc" }, "desc" },
  { "query", "query", SEARCH_FIELDS },
  { "firstName", "string" },
  { "lastName", "string" },
}

local SORT_KEYS = {
  firstName = function(c) return lower(c.firstName or "") end,
  lastName = function(c) return lower(c.lastName or "") end,
  modifiedAt = function(c) return c.updatedAt end,
}
local function by_created(c) return c.createdAt end

local function in_mailbox(S, mailbox)
  local set = {}
  for _, conv in ipairs(S.store.conversations) do
    if conv.mailboxId == mailbox then set[conv.customer_id] = true end
  end
  return set
end

local function list(S, req, ctx)
  local q = ctx.q
  local inside = q.mailbox and in_mailbox(S, q.mailbox)
  local first, last = q.firstName and lower(q.firstName), q.lastName and lower(q.lastName)
  local items = {}
  for _, c in ipairs(S.store.customers) do
    if not (inside and not inside[c.id])
      and not (first and lower(c.firstName or "") ~= first)
      and not (last and lower(c.lastName or "") ~= last)
      and not (q.modifiedSince and c.updatedAt < q.modifiedSince)
      and not (q.query and not query.match(q.query, cust_test(S, c))) then
      items[#items + 1] = c
    end
  end
  render.sort_items(items, SORT_KEYS[q.sortField] or by_created, q.sortOrder == "desc")
  return render.hal_page(S, req, "customers", items, 50, q.page, ctx.params, render.customer_json)
end

local function get(S, req, ctx)
  local base = wire.base_url(S, req)
  return wire.hal_text(render.customer_json(base, ctx.customer, render.cache_for(S, base)))
end

-- Sub-resources (the _links a customer advertises) ---------------------------------------------

-- GET /v2/customers/{id}/<path>: { _embedded = { <key> = [...] }, _links = { self } }
local function contacts(key)
  return function(S, req, ctx)
    local self = wire.base_url(S, req) .. req.path
    return wire.hal(200, { _embedded = { [key] = render.contact_list(ctx.customer, key) },
      _links = { self = { href = self } } })
  end
end

local function address(S, req, ctx)
  local a = render.address(wire.base_url(S, req), ctx.customer)
  if not a then return wire.not_found(S) end
  return wire.hal(200, a)
end

_M.routes = {
  { "GET", "/v2/customers", list, params = LIST_PARAMS },
  { "GET", "/v2/customers/{customerId}", get },
  { "GET", "/v2/customers/{customerId}/emails", contacts("emails") },
  { "GET", "/v2/customers/{customerId}/phones", contacts("phones") },
  { "GET", "/v2/customers/{customerId}/chats", contacts("chats") },
  { "GET", "/v2/customers/{customerId}/social-profiles", contacts("social_profiles") },
  { "GET", "/v2/customers/{customerId}/websites", contacts("websites") },
  { "GET", "/v2/customers/{customerId}/address", address },
}

return _M
