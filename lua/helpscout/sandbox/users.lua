-- Users: list (email, mailbox filters), one user, /v2/users/me (the token's resource owner).
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"

local ipairs, lower = ipairs, string.lower

local _M = {}

local function in_mailbox(u, mailbox)
  for _, m in ipairs(u.mailboxes) do if m == mailbox then return true end end
  return false
end

local function list(S, req, ctx)
  local q = ctx.q
  local email = q.email and lower(q.email)
  local items = {}
  for _, u in ipairs(S.store.users) do
    if not (email and lower(u.email) ~= email) and not (q.mailbox and not in_mailbox(u, q.mailbox)) then
      items[#items + 1] = u
    end
  end
  return render.hal_page(S, req, "users", items, 50, q.page, ctx.params, render.user_json)
end

local function get(S, req, ctx)
  local base = wire.base_url(S, req)
  return wire.hal_text(render.user_json(base, ctx.user, render.cache_for(S, base)))
end

_M.routes = {
  { "GET", "/v2/users", list, params = { { "page", "page", nil, 1 }, { "mailbox", "int" }, { "email", "string" } } },
  { "GET", "/v2/users/{userId}", get },
}

return _M
