-- Mailboxes: list, one mailbox, its folders (with live counts) and its custom fields.
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"

local ipairs = ipairs
local arr = json.array

local _M = {}

local PAGE = { { "page", "page", nil, 1 } }

local function list(S, req, ctx)
  return render.hal_page(S, req, "mailboxes", S.store.mailboxes, 50, ctx.q.page, ctx.params, render.mailbox_json)
end

local function get(S, req, ctx)
  local base = wire.base_url(S, req)
  return wire.hal_text(render.mailbox_json(base, ctx.mailbox, render.cache_for(S, base)))
end

local function folders(S, req, ctx)
  local store = S.store
  return render.hal_page(S, req, "folders", ctx.mailbox.folders, 50, 1, ctx.params, function(_, f)
    local n = 0
    for _, conv in ipairs(store.conversations) do if render.folder_of(store, conv) == f.id then n = n + 1 end end
    return json.encode { id = f.id, name = f.name, type = f.type, totalCount = n, activeCount = n,
      updatedAt = data.iso(store.now) }
  end)
end

-- The seeded custom fields: each account's first mailbox (4821 in account 1) has one dropdown,
-- the others none; ids moved by the account's offset.
local function fields(S, _, ctx)
  local list_ = arr()
  if ctx.mailbox.plan_field then
    local o = S.store.off.field
    list_[1] = { id = 8801 + o, name = "Plan", type = "DROPDOWN", order = 1, required = false,
      options = arr { { id = 33075 + o, order = 1, label = "Starter" }, { id = 33076 + o, order = 2, label = "Growth" },
        { id = 33077 + o, order = 3, label = "Pro" } } }
  end
  return wire.hal(200, { _embedded = { fields = list_ },
    page = { size = 50, totalElements = #list_, totalPages = 1, number = 1 } })
end

_M.routes = {
  { "GET", "/v2/mailboxes", list, params = PAGE },
  { "GET", "/v2/mailboxes/{mailboxId}", get },
  { "GET", "/v2/mailboxes/{mailboxId}/folders", folders },
  { "GET", "/v2/mailboxes/{mailboxId}/fields", fields },
}

return _M
