-- Conversations: list (filters, search, sort), one conversation, create, tags.
-- Handlers receive checked input (api.lua runs the route's query and body specs first) and the
-- conversation of the path; the router has already authenticated, rate limited and dropped the
-- cached renderings a write touches.
local data = require "helpscout.sandbox.data"
local query = require "helpscout.sandbox.query"
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"
local check = require "helpscout.sandbox.check"
local outbox = require "helpscout.sandbox.outbox"

local pairs, ipairs, type, tonumber, tostring = pairs, ipairs, type, tonumber, tostring
local floor = math.floor
local lower, find, match = string.lower, string.find, string.match

local _M = {}

local CONV_STATUS = { "active", "all", "closed", "open", "pending", "spam" }
local CONV_SORT = { "createdAt", "customerEmail", "customerName", "mailboxid", "modifiedAt", "number", "score",
  "status", "subject", "waitingSince" }

-- Search fields -----------------------------------------------------------------------------------

local function thread_text(th)
  if not th.text_lc then th.text_lc = lower(data.html_to_text(th.body or "")) end
  return th.text_lc
end

local function conv_emails(store, conv)
  local emails = {}
  local cust = store.customer_by_id[conv.customer_id]
  if cust then for _, e in ipairs(cust.emails) do emails[#emails + 1] = lower(e.value) end end
  for _, e in ipairs(conv.cc) do emails[#emails + 1] = lower(e) end
  for _, e in ipairs(conv.bcc) do emails[#emails + 1] = lower(e) end
  for _, th in ipairs(conv.threads) do
    for _, l in ipairs { th.to or {}, th.cc or {}, th.bcc or {} } do
      for _, e in ipairs(l) do emails[#emails + 1] = lower(e) end
    end
  end
  return emails
end

local function user_matches(u, v)
  v = lower(v)
  if v == "unassigned" then return u == nil end
  if not u then return false end
  return v == lower(u.firstName) or v == lower(u.lastName) or v == lower(u.email)
    or v == lower(u.firstName .. " " .. u.lastName) or v == lower(match(u.email, "^[^@]+"))
end

local function number_field(key)
  return function(_, conv, node) return query.any(node, function(v) return tonumber(v) == conv[key] end) end
end

-- field -> test(S, conv, node): does conv match the search term node?
local SEARCH = {
  email = function(S, conv, node)
    local emails = conv_emails(S.store, conv)
    return query.any(node, function(v)
      v = lower(v)
      for _, e in ipairs(emails) do
        if e == v or (not find(v, "@", 1, true) and find(e, v, 1, true)) then return true end
      end
      return false
    end)
  end,
  tag = function(_, conv, node)
    return query.any(node, function(v)
      v = lower(v)
      for _, t in ipairs(conv.tags) do if lower(t) == v then return true end end
      return false
    end)
  end,
  subject = function(_, conv, node)
    local s = lower(conv.subject or "")
    return query.any(node, function(v)
      for w in lower(v):gmatch("%S+") do if not find(s, w, 1, true) then return false end end
      return true
    end)
  end,
  body = function(_, conv, node)
    return query.any(node, function(v)
      v = lower(v)
      for _, th in ipairs(conv.threads) do if find(thread_text(th), v, 1, true) then return true end end
      return false
    end)
  end,
  customerids = number_field("customer_id"),
  number = number_field("number"),
  id = number_field("id"),
  mailboxid = number_field("mailboxId"),
  mailbox = function(S, conv, node)
    local mb = S.store.mailbox_by_id[conv.mailboxId]
    return query.any(node, function(v) return mb and lower(mb.name) == lower(v) or tonumber(v) == conv.mailboxId end)
  end,
  status = function(_, conv, node) return query.any(node, function(v) return lower(v) == conv.status end) end,
  assigned = function(S, conv, node)
    local u = conv.assignee_id and S.store.user_by_id[conv.assignee_id]
    return query.any(node, function(v) return user_matches(u, v) end)
  end,
  replyuserids = function(_, conv, node)
    return query.any(node, function(v)
      for _, th in ipairs(conv.threads) do
        if th.type == "message" and th.by_user == tonumber(v) then return true end
      end
      return false
    end)
  end,
  attachments = function(_, conv, node)
    local has = false
    for _, th in ipairs(conv.threads) do if th.attachments and #th.attachments > 0 then has = true end end
    return query.any(node, function(v) return (lower(v) == "true") == has end)
  end,
  modifiedat = function(S, conv, node) return query.time_match(node, conv.modifiedAt, S:now()) end,
  createdat = function(S, conv, node) return query.time_match(node, conv.createdAt, S:now()) end,
}
local SEARCH_FIELDS = {}
for k in pairs(SEARCH) do SEARCH_FIELDS[k] = true end

local function conv_test(S, conv)
  return function(field, node)
    local test = SEARCH[field]
    return test ~= nil and test(S, conv, node)
  end
end

-- Sort keys ---------------------------------------------------------------------------------------

local function field_key(key) return function() return function(c) return c[key] end end end

-- sortField -> fn(store) -> keyfn(conv); createdAt (and score) by default
local SORT_KEYS = {
  customerEmail = function(store)
    return function(c)
      local cu = store.customer_by_id[c.customer_id]
      return cu and lower(cu.emails[1] and cu.emails[1].value or "") or ""
    end
  end,
  customerName = function(store)
    return function(c)
      local cu = store.customer_by_id[c.customer_id]
      return cu and lower((cu.firstName or "") .. " " .. (cu.lastName or "")) or ""
    end
  end,
  mailboxid = field_key("mailboxId"), modifiedAt = field_key("modifiedAt"), number = field_key("number"),
  status = field_key("status"), waitingSince = field_key("waitingSince"),
  subject = function() return function(c) return lower(c.subject or "") end end,
}

local function sort_key(S, field)
  return (SORT_KEYS[field] or field_key("createdAt"))(S.store)
end

-- List ---------------------------------------------------------------------------------------------

local LIST_PARAMS = {
  { "page", "page", nil, 1 },
  { "status", "enum", CONV_STATUS, "active" },
  { "sortField", "enum", CONV_SORT, "createdAt" },
  { "sortOrder", "enum", { "asc", "desc" }, "desc" },
  { "embed", "enum", { "threads" } },
  { "mailbox", "ints" },
  { "folder", "int" },
  { "assigned_to", "int" },
  { "number", "int" },
  { "modifiedSince", "date" },
  { "tag", "tags" },
  { "customFieldsByIds", "custom_fields" },
  { "query", "query", SEARCH_FIELDS },
}

local function status_ok(want, st)
  return want == "all" or st == want or (want == "open" and (st == "active" or st == "pending"))
end

local function has_tag(conv, tags)
  for _, t in ipairs(conv.tags) do if tags[lower(t)] then return true end end
  return false
end

local function has_fields(conv, cf)
  for _, c in ipairs(cf) do
    local hit = false
    for _, f in ipairs(conv.customFields or {}) do
      if f.id == c[1] and (f.value == c[2] or lower(f.text or "") == lower(c[2])) then hit = true end
    end
    if not hit then return false end
  end
  return true
end

-- Does conv pass every filter of q (the checked LIST_PARAMS)?
local function matches(S, conv, q)
  return status_ok(q.status, conv.status)
    and not (q.mailbox and not q.mailbox[conv.mailboxId])
    and not (q.folder and render.folder_of(S.store, conv) ~= q.folder)
    and not (q.assigned_to and conv.assignee_id ~= q.assigned_to)
    and not (q.number and conv.number ~= q.number)
    and not (q.modifiedSince and conv.modifiedAt < q.modifiedSince)
    and not (q.tag and not has_tag(conv, q.tag))
    and not (q.customFieldsByIds and not has_fields(conv, q.customFieldsByIds))
    and not (q.query and not query.match(q.query, conv_test(S, conv)))
end

-- The conversations q selects, in q's order.
local function select_conversations(S, q)
  local desc = q.sortOrder == "desc"
  local keyfn = sort_key(S, q.sortField)
  local presorted = render.sorted(S, q.sortField .. (desc and " desc" or " asc"), S.store.conversations, keyfn, desc)
  local only_status = not (q.mailbox or q.folder or q.assigned_to or q.number or q.modifiedSince or q.tag
    or q.customFieldsByIds or q.query)
  local items, n = {}, 0
  if presorted and only_status then
    -- the common page (fetch_all, triage): a status filter over the cached order
    if q.status == "all" then return presorted end -- read only from here on
    local want = q.status
    for i = 1, #presorted do
      local conv = presorted[i]
      if status_ok(want, conv.status) then n = n + 1; items[n] = conv end
    end
    return items
  end
  for _, conv in ipairs(presorted or S.store.conversations) do
    if matches(S, conv, q) then n = n + 1; items[n] = conv end
  end
  if not presorted then render.sort_items(items, keyfn, desc) end
  return items
end

local function list(S, req, ctx)
  local q = ctx.q
  local with_threads = q.embed == "threads"
  local now = S:now()
  return render.hal_page(S, req, "conversations", select_conversations(S, q), 25, q.page, ctx.params,
    function(base, conv, cache) return render.conversation_json(S, base, conv, with_threads, now, cache) end)
end

local function get(S, req, ctx)
  local base = wire.base_url(S, req)
  return wire.hal_text(render.conversation_json(S, base, ctx.conversation, ctx.q.embed == "threads", S:now(),
    render.cache_for(S, base)))
end

-- Create -------------------------------------------------------------------------------------------

local THREAD_TYPES = { "customer", "reply", "note", "chat", "phone" }

local THREAD_BODY = {
  { "type", "enum", THREAD_TYPES, required = true },
  { "text", "text" },
  { "customer", "customer", when = function(t) return t.type ~= "note" end },
  { "cc", "strings" }, { "bcc", "strings" }, { "draft", "bool" }, { "user", "user" },
  { "createdAt", "date" }, { "attachments", "attachments" },
}

local CREATE_BODY = {
  { "subject", "text" },
  { "customer", "customer", required = true },
  { "mailboxId", "mailbox", required = true },
  { "type", "enum", { "email", "chat", "phone" }, required = true },
  { "status", "enum", { "active", "closed", "pending" }, required = true },
  { "user", "user" }, { "assignTo", "user" }, { "imported", "bool" }, { "autoReply", "bool" },
  { "tags", "strings" }, { "createdAt", "date" }, { "closedAt", "date" },
  { "threads", "list", THREAD_BODY },
}

-- One thread record from its checked spec v (t = v.src); threads arrive newest first.
local function new_thread(S, conv, v, cust, user, created_at)
  local store, t = S.store, v.src
  local tcust = v.customer and v.customer() or cust
  local kind = t.type == "reply" and "message" or t.type
  local th = { id = data.new_thread_id(store, v.attachments), type = kind, body = t.text,
    createdAt = v.createdAt or created_at,
    state = (kind == "message" and t.draft == true) and "draft" or "published", attachments = v.attachments,
    customer_id = tcust.id, cc = t.cc or {}, bcc = t.bcc or {}, source = { type = "api", via = "user" } }
  if kind == "customer" or kind == "chat" or kind == "phone" then
    th.source = { type = kind == "customer" and "email" or kind, via = "customer" }
    th.to = { store.mailbox_by_id[conv.mailboxId].email }
  else
    th.by_user = v.user or user
    if kind == "message" then th.to = { tcust.emails[1].value } end
  end
  return th
end

-- Derived fields of a new conversation: creator, state, waitingSince, latestReplyFrom, preview.
local function summarise(conv, cust, created_at)
  local oldest = conv.threads[1]
  if oldest.by_user then
    conv.created_by = { kind = "user", id = oldest.by_user }
    conv.source.via = "user"
  else
    conv.created_by = { kind = "customer", id = cust.id }
    conv.source = { type = "api", via = "customer" }
  end
  local all_draft = true
  conv.waitingSince = created_at
  for _, th in ipairs(conv.threads) do
    if th.state == "published" then all_draft = false end
    if th.type == "customer" then conv.waitingSince = th.createdAt end
  end
  if all_draft then conv.state = "draft" end
  local newest
  for i = #conv.threads, 1, -1 do
    local th = conv.threads[i]
    if th.state == "published" and th.type ~= "note" then newest = th; break end
  end
  conv.latestReplyFrom = (newest and newest.by_user) and "user" or "customer"
  conv.preview = data.preview((newest or conv.threads[#conv.threads]).body)
end

local function custom_fields(fields)
  if type(fields) ~= "table" then return nil end
  local out = {}
  for _, f in ipairs(fields) do
    if type(f) == "table" and check.is_int(f.id) then
      out[#out + 1] = { id = check.to_int(f.id), name = "Field " .. floor(f.id),
        value = tostring(f.value), text = tostring(f.value) }
    end
  end
  return out
end

local function create(S, req, ctx)
  local v, store = ctx.body, S.store
  local body = v.src
  local cust = v.customer()
  local now = S:now()
  local created_at = (body.imported == true and v.createdAt) or now
  local user = v.user or S.owner_id
  store.next_conversation_id = store.next_conversation_id + 1013
  store.next_number = store.next_number + 3
  local conv = { id = store.next_conversation_id, number = store.next_number, type = body.type,
    status = body.status, state = "published", subject = body.subject, mailboxId = v.mailboxId,
    customer_id = cust.id, createdAt = created_at, modifiedAt = now, userUpdatedAt = now, tags = {},
    cc = {}, bcc = {}, threads = {}, source = { type = "api", via = "user" }, assignee_id = v.assignTo,
    customFields = custom_fields(body.fields) }
  -- threads arrive newest first: build them oldest first so ids grow with time
  for i = #v.threads, 1, -1 do
    conv.threads[#conv.threads + 1] = new_thread(S, conv, v.threads[i], cust, user, created_at)
  end
  summarise(conv, cust, created_at)
  if conv.status == "closed" then
    conv.closedAt = data.parse_date(body.closedAt or "") or now
    conv.closedBy = user
  end
  for _, t in ipairs(body.tags or {}) do conv.tags[#conv.tags + 1] = data.tag_for(store, t) end
  store.conversations[#store.conversations + 1] = conv
  store.conversation_by_id[conv.id] = conv
  outbox.created(S, conv, body)
  ctx.event = { "convo.created", conv }
  return wire.created(S, req, conv.id, "/v2/conversations/" .. conv.id)
end

-- Tags ---------------------------------------------------------------------------------------------

local function update_tags(S, _, ctx)
  local conv = ctx.conversation
  local names, seen = {}, {}
  for _, t in ipairs(ctx.body.tags) do
    t = match(t, "^%s*(.-)%s*$")
    local k = lower(t)
    if t ~= "" and not seen[k] then
      seen[k] = true
      names[#names + 1] = data.tag_for(S.store, t)
    end
  end
  conv.tags = names
  data.touch(conv, S:now())
  ctx.event = { "convo.tags", conv }
  return wire.no_content()
end

_M.routes = {
  { "GET", "/v2/conversations", list, params = LIST_PARAMS },
  { "POST", "/v2/conversations", create, body = CREATE_BODY, writes = "all" },
  { "GET", "/v2/conversations/{conversationId}", get, params = { { "embed", "enum", { "threads" } } } },
  { "PUT", "/v2/conversations/{conversationId}/tags", update_tags,
    body = { { "tags", "strings", required = true } }, writes = "conversation" },
}

return _M
