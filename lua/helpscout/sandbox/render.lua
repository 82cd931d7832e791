-- Rendering of the sandbox's records as Help Scout JSON, and the one cache of what it renders.
-- Records are data.lua's (epoch times, ids of related objects); the output is the wire format of
-- shared/helpscout-api.md. Everything that turns a record into bytes lives here, so the cache and
-- what it caches cannot drift apart.
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"
local wire = require "helpscout.sandbox.wire"

local pairs, ipairs = pairs, ipairs
local ceil, min = math.ceil, math.min
local lower, find, match, sub = string.lower, string.find, string.match, string.sub
local concat, sort = table.concat, table.sort
local arr, raw = json.array, json.raw
local url_encode = wire.url_encode

local _M = {}

local function iso(t) return t and data.iso(t) or nil end
-- Render cache ---------------------------------------------------------------------------------
-- Encoded JSON fragments of conversations (plain and with embedded threads), threads, customers,
-- users and mailboxes, kept per base URL (absolute _links carry the request's Host). Pages are
-- assembled from fragments, byte for byte what encoding the rendered tables would give.
-- The cache hangs off the store, so /_sandbox/reset (a new store) drops it. Invariants:
--  * every write to a conversation calls changed_conv(S, conv) BEFORE it changes anything (the
--    router does it for every route declaring writes = "conversation"), which drops that
--    conversation's fragments, the fragments of all its threads (they show the conversation's
--    assignee and customer) and the sort orders;
--  * creating a conversation (writes = "all"), a customer or a tag (data.lua bumps store.registry,
--    the router compares it around every write) calls changed_all(S), which drops everything;
--  * customers, users and mailboxes are never modified after creation;
--  * a conversation's fragment embeds customerWaitingSince.friendly, which depends on the clock:
--    the entry keeps the text it was rendered with and is rendered again when that differs.
-- S.cfg.render_cache == false (POST /_sandbox/config) bypasses the cache: every fragment is encoded
-- afresh, which is how the specs check that cached output equals uncached output.

local MAX_BASES = 8

-- Returns the fragment tables for base, or nil when the cache is off.
local function cache_for(S, base)
  if S.cfg.render_cache == false then return nil end
  local store = S.store
  local rc = store.render_cache
  if not rc then rc = { bases = {}, n = 0 }; store.render_cache = rc end
  local c = rc.bases[base]
  if not c then
    if rc.n >= MAX_BASES then rc.bases, rc.n = {}, 0 end
    c = { conv = {}, conv_threads = {}, thread = {}, customer = {}, user = {}, mailbox = {} }
    rc.bases[base] = c
    rc.n = rc.n + 1
  end
  return c
end

-- Drops every cached fragment and sort order.
local function changed_all(S)
  S.store.render_cache = nil
  S.store.sorted = nil
end

-- Drops what depends on conv (its fragments, its threads' fragments, the sort orders).
local function changed_conv(S, conv)
  local store = S.store
  store.sorted = nil
  local rc = store.render_cache
  if not rc then return end
  for _, c in pairs(rc.bases) do
    c.conv[conv], c.conv_threads[conv] = nil, nil
    for _, th in ipairs(conv.threads) do c.thread[th] = nil end
  end
end
_M.changed_conv, _M.changed_all = changed_conv, changed_all
_M.cache_for = cache_for

-- Rendering --------------------------------------------------------------------------------------

local function user_person(u)
  if not u then return nil end
  return { id = u.id, type = "user", first = u.firstName, last = u.lastName, email = u.email }
end

local function customer_person(c)
  if not c then return nil end
  return { id = c.id, type = "customer", first = c.firstName, last = c.lastName,
    email = c.emails[1] and c.emails[1].value or nil }
end

local function folder_of(store, conv)
  local mb = store.mailbox_by_id[conv.mailboxId]
  if not mb then return nil end
  local k
  if conv.state == "draft" then k = 6
  elseif conv.status == "spam" then k = 5
  elseif conv.status == "closed" then k = 4
  elseif conv.assignee_id then k = 3
  else k = 1 end
  return mb.folders[k].id
end

local function tag_objects(store, names)
  local out = arr()
  for _, n in ipairs(names) do
    local t = store.tags[lower(n)]
    if t then out[#out + 1] = { id = t.id, color = t.color, tag = t.tag } end
  end
  return out
end

local function copy_array(t)
  local out = arr()
  for i, v in ipairs(t or {}) do out[i] = v end
  return out
end

local function render_thread(S, base, conv, th)
  local store = S.store
  local cust = store.customer_by_id[th.customer_id or conv.customer_id]
  local t = {
    id = th.id, type = th.type, status = th.status or "nochange", state = th.state,
    source = th.source or { type = th.by_user and "web" or "email", via = th.by_user and "user" or "customer" },
    customer = cust and { id = cust.id, first = cust.firstName, last = cust.lastName,
      email = cust.emails[1] and cust.emails[1].value } or nil,
    createdAt = iso(th.createdAt), savedReplyId = 0,
    _embedded = { attachments = arr() }, _links = {},
  }
  if th.type == "lineitem" then
    t.action = { type = "default", text = th.action_text, associatedEntities = {} }
  else
    t.body = th.body
    t.to = copy_array(th.to)
    t.cc = copy_array(th.cc)
    t.bcc = copy_array(th.bcc)
  end
  for i, a in ipairs(th.attachments or {}) do
    t._embedded.attachments[i] = { id = a.id, filename = a.fileName, mimeType = a.mimeType, size = a.size,
      state = "valid",
      _links = { web = { href = base .. "/v2/conversations/" .. conv.id .. "/attachments/" .. (a.id or i) } } }
  end
  if th.by_user then
    local u = store.user_by_id[th.by_user]
    t.createdBy = user_person(u)
    t._links.createdByUser = { href = base .. "/v2/users/" .. th.by_user }
  elseif cust then
    t.createdBy = customer_person(cust)
    t._links.createdByCustomer = { href = base .. "/v2/customers/" .. cust.id }
  end
  if cust then t._links.customer = { href = base .. "/v2/customers/" .. cust.id } end
  local assigned = th.assigned_to or (th.type == "message" and conv.assignee_id)
  if assigned and store.user_by_id[assigned] then
    t.assignedTo = user_person(store.user_by_id[assigned])
    t._links.assignedTo = { href = base .. "/v2/users/" .. assigned }
  end
  return t
end

local function thread_json(S, base, conv, th, cache)
  local text = cache and cache.thread[th]
  if text then return text end
  text = json.encode(render_thread(S, base, conv, th))
  if cache then cache.thread[th] = text end
  return text
end

-- now: the clock for customerWaitingSince.friendly; cache: thread fragments (or nil).
local function render_conversation(S, base, conv, embed_threads, now, cache)
  local store = S.store
  local cust = store.customer_by_id[conv.customer_id]
  local c = {
    id = conv.id, number = conv.number, threads = #conv.threads, type = conv.type,
    folderId = folder_of(store, conv), status = conv.status, state = conv.state, subject = conv.subject,
    preview = conv.preview, mailboxId = conv.mailboxId, createdAt = iso(conv.createdAt),
    userUpdatedAt = iso(conv.userUpdatedAt),
    customerWaitingSince = { time = iso(conv.waitingSince), friendly = data.friendly(conv.waitingSince, now or S:now()),
      latestReplyFrom = conv.latestReplyFrom },
    source = { type = conv.source.type, via = conv.source.via },
    tags = tag_objects(store, conv.tags), cc = copy_array(conv.cc), bcc = copy_array(conv.bcc),
    primaryCustomer = customer_person(cust), customFields = arr(),
    _links = {
      self = { href = base .. "/v2/conversations/" .. conv.id },
      mailbox = { href = base .. "/v2/mailboxes/" .. conv.mailboxId },
      threads = { href = base .. "/v2/conversations/" .. conv.id .. "/threads" },
      web = { href = "https://secure.helpscout.net/conversation/" .. conv.id .. "/" .. conv.number },
    },
  }
  for i, f in ipairs(conv.customFields or {}) do
    c.customFields[i] = { id = f.id, name = f.name, value = f.value, text = f.text }
  end
  if cust then c._links.primaryCustomer = { href = base .. "/v2/customers/" .. cust.id } end
  if conv.created_by.kind == "customer" then
    c.createdBy = customer_person(store.customer_by_id[conv.created_by.id])
    c._links.createdByCustomer = { href = base .. "/v2/customers/" .. conv.created_by.id }
  else
    c.createdBy = user_person(store.user_by_id[conv.created_by.id])
    c._links.createdByUser = { href = base .. "/v2/users/" .. conv.created_by.id }
  end
  if conv.assignee_id then
    c.assignee = user_person(store.user_by_id[conv.assignee_id])
    c._links.assignee = { href = base .. "/v2/users/" .. conv.assignee_id }
  end
  if conv.status == "closed" then
    c.closedAt = iso(conv.closedAt)
    c.closedBy = conv.closedBy or 0
    if conv.closedBy and store.user_by_id[conv.closedBy] then
      local u = store.user_by_id[conv.closedBy]
      c.closedByUser = { id = u.id, type = "user", first = u.firstName, last = u.lastName, email = u.email }
      c._links.closedBy = { href = base .. "/v2/users/" .. u.id }
    end
  end
  if embed_threads then
    local list, n = {}, 0
    local th = conv.threads
    for i = #th, 1, -1 do n = n + 1; list[n] = thread_json(S, base, conv, th[i], cache) end
    c._embedded = { threads = raw("[" .. concat(list, ",", 1, n) .. "]") }
  end
  return c
end

-- The encoded conversation (cached per base, checked against the clock-dependent friendly text).
local function conversation_json(S, base, conv, embed_threads, now, cache)
  local friendly = data.friendly(conv.waitingSince, now)
  local slot = cache and (embed_threads and cache.conv_threads or cache.conv)
  local e = slot and slot[conv]
  if e and e.friendly == friendly then return e.text end
  local text = json.encode(render_conversation(S, base, conv, embed_threads, now, cache))
  if slot then slot[conv] = { text = text, friendly = friendly } end
  return text
end

local function render_mailbox(base, mb)
  return { id = mb.id, name = mb.name, slug = mb.slug, email = mb.email, createdAt = iso(mb.createdAt),
    updatedAt = iso(mb.updatedAt), _links = {
      self = { href = base .. "/v2/mailboxes/" .. mb.id },
      folders = { href = base .. "/v2/mailboxes/" .. mb.id .. "/folders" },
      fields = { href = base .. "/v2/mailboxes/" .. mb.id .. "/fields" } } }
end

-- A customer's contact lists (the _embedded of a customer and the sub-resources /emails, /phones,
-- /chats, /social-profiles, /websites), keyed as in _embedded.
local CONTACT_LISTS = { emails = "emails", phones = "phones", chats = "chats", social_profiles = "social_profiles",
  websites = "websites" }

local function contact_list(c, key)
  local out = arr()
  for i, x in ipairs(c[CONTACT_LISTS[key]] or {}) do out[i] = { id = x.id, value = x.value, type = x.type } end
  return out
end
_M.contact_list = contact_list

-- A customer's address object (nil when the customer has none).
function _M.address(base, c)
  local a = c.address
  if not a then return nil end
  local lines = arr()
  for i, l in ipairs(a.lines) do lines[i] = l end
  return { id = a.id, city = a.city, state = a.state, postalCode = a.postalCode, country = a.country,
    lines = lines, createdAt = iso(a.createdAt), updatedAt = iso(a.updatedAt),
    _links = { self = { href = base .. "/v2/customers/" .. c.id .. "/address" } } }
end

local function render_customer(base, c)
  local e = {}
  for key in pairs(CONTACT_LISTS) do e[key] = contact_list(c, key) end
  local self = base .. "/v2/customers/" .. c.id
  return { id = c.id, firstName = c.firstName, lastName = c.lastName, gender = c.gender,
    jobTitle = c.jobTitle, location = c.location, organization = c.organization, photoType = c.photoType,
    photoUrl = c.photoUrl or "", age = c.age, background = c.background,
    createdAt = iso(c.createdAt), updatedAt = iso(c.updatedAt), _embedded = e,
    _links = { self = { href = self }, emails = { href = self .. "/emails" }, phones = { href = self .. "/phones" },
      chats = { href = self .. "/chats" }, ["social-profiles"] = { href = self .. "/social-profiles" },
      websites = { href = self .. "/websites" }, address = { href = self .. "/address" } } }
end

local function render_user(base, u)
  local initials = sub(u.firstName, 1, 1) .. sub(u.lastName, 1, 1)
  if find(initials, "[\128-\255]") then initials = "" end
  return { id = u.id, firstName = u.firstName, lastName = u.lastName, email = u.email, role = u.role,
    timezone = u.timezone, photoUrl = "", createdAt = iso(u.createdAt), updatedAt = iso(u.updatedAt),
    type = "user", mention = lower(match(u.email, "^[^@]+")), initials = initials, jobTitle = u.jobTitle,
    phone = u.phone, alternateEmails = arr(), _links = { self = { href = base .. "/v2/users/" .. u.id } } }
end

-- Encoded customer, user or mailbox (kind "customer", "user", "mailbox"), from the cache when on.
local function object_json(kind, render, base, obj, cache)
  local slot = cache and cache[kind]
  local text = slot and slot[obj]
  if text then return text end
  text = json.encode(render(base, obj))
  if slot then slot[obj] = text end
  return text
end

local function customer_json(base, c, cache) return object_json("customer", render_customer, base, c, cache) end
local function user_json(base, u, cache) return object_json("user", render_user, base, u, cache) end
local function mailbox_json(base, mb, cache) return object_json("mailbox", render_mailbox, base, mb, cache) end

-- HAL page of items (already filtered and sorted). params: ordered {name, value} list.
-- item_json(base, item, cache) returns the encoded item; cache is cache_for(S, base) (or nil).
local function hal_page(S, req, key, items, size, page_no, params, item_json)
  local base = wire.base_url(S, req)
  local total = #items
  local pages = ceil(total / size)
  local kept = {}
  for _, p in ipairs(params) do
    if p[1] ~= "page" then kept[#kept + 1] = url_encode(p[1]) .. "=" .. url_encode(p[2]) end
  end
  local prefix = base .. req.path .. "?" .. concat(kept, "&") .. (#kept > 0 and "&" or "") .. "page="
  local links = {
    self = { href = prefix .. page_no }, first = { href = prefix .. 1 },
    page = { href = base .. req.path .. (#kept > 0 and ("?" .. concat(kept, "&") .. "{&page}") or "{?page}"),
      templated = true },
  }
  if pages > 0 then links.last = { href = prefix .. pages } end
  if page_no < pages then links.next = { href = prefix .. (page_no + 1) } end
  if page_no > 1 and pages > 0 then links.previous = { href = prefix .. min(page_no - 1, pages) } end
  local body = { _links = links,
    page = { size = size, totalElements = total, totalPages = pages, number = total == 0 and 0 or page_no } }
  local first = (page_no - 1) * size + 1
  if total > 0 and first <= total then
    local cache = cache_for(S, base)
    local list, n = {}, 0
    for i = first, min(total, first + size - 1) do n = n + 1; list[n] = item_json(base, items[i], cache) end
    body._embedded = { [key] = raw("[" .. concat(list, ",", 1, n) .. "]") }
  end
  return wire.hal(200, body)
end

_M.folder_of, _M.thread_json, _M.conversation_json = folder_of, thread_json, conversation_json
_M.customer_json, _M.user_json, _M.mailbox_json, _M.hal_page = customer_json, user_json, mailbox_json, hal_page

-- Sort orders ------------------------------------------------------------------------------------

-- Sorts items in place by keyfn (ascending, or descending when desc), ties broken by id: a total
-- order, so filtering a sorted list gives what sorting the filtered list would.
function _M.sort_items(items, keyfn, desc)
  local keys = {}
  for _, it in ipairs(items) do keys[it] = keyfn(it) end
  sort(items, function(a, b)
    local ka, kb = keys[a], keys[b]
    if ka ~= kb then
      if desc then return ka > kb end
      return ka < kb
    end
    if desc then return a.id > b.id end
    return a.id < b.id
  end)
end

-- All of list (a store array) in (keyfn, desc) order under name key, kept on the store until
-- changed_conv/changed_all; nil when the render cache is off. Callers only read the result.
function _M.sorted(S, key, list, keyfn, desc)
  if S.cfg.render_cache == false then return nil end
  local store = S.store
  local sorted = store.sorted
  if not sorted then sorted = {}; store.sorted = sorted end
  local out = sorted[key]
  if not out then
    out = {}
    for i, x in ipairs(list) do out[i] = x end
    _M.sort_items(out, keyfn, desc)
    sorted[key] = out
  end
  return out
end

return _M
