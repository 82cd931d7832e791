-- The /v2 surface of the sandbox: OAuth token endpoint, bearer auth, rate limit, and the Help
-- Scout operations (mailboxes, conversations, threads, notes, replies, tags, customers, users)
-- per shared/helpscout-api.md. handle(S, req) returns an http.lua response table.
-- S is the sandbox instance (init.lua): S.store (data.lua), S.cfg, S.tokens, S.refresh, S.codes.
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"
local query = require "helpscout.sandbox.query"

local pairs, ipairs, type, tonumber, tostring = pairs, ipairs, type, tonumber, tostring
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
local format, lower, find, match, gsub, sub = string.format, string.lower, string.find, string.match,
  string.gsub, string.sub
local concat, sort, insert = table.concat, table.sort, table.insert
local arr, null, raw = json.array, json.null, json.raw

local _M = {}

local HAL = "application/hal+json;charset=UTF-8"
local VND = "application/vnd.error+json"
local ERR_DOC = "http://developer.helpscout.net/mailbox-api/overview/errors"

-- Helpers ----------------------------------------------------------------------------------------

local function url_decode(s)
  s = gsub(s, "+", " ")
  return (gsub(s, "%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
_M.url_decode = url_decode

local function url_encode(s)
  return (gsub(s, "[^%w%-%._~]", function(c) return format("%%%02X", c:byte()) end))
end

-- Parses a query string into an ordered list of {name, value} and a map name -> last value.
local function parse_qs(qs)
  local list, map = {}, {}
  if qs and qs ~= "" then
    for pair in qs:gmatch("[^&]+") do
      local k, v = match(pair, "^([^=]*)=?(.*)$")
      k, v = url_decode(k), url_decode(v)
      list[#list + 1] = { k, v }
      map[k] = v
    end
  end
  return list, map
end
_M.parse_qs = parse_qs

local function is_int(v) return type(v) == "number" and v == floor(v) and v > -9e15 and v < 9e15 end
local function to_int(v) return (math.tointeger and math.tointeger(v)) or v end

local function log_ref(S)
  S.log_ref_seq = (S.log_ref_seq or 0) + 1
  return format("%08x-%04x-4%03x-a%03x-%012x#%d", S.boot_id % 4294967296, S.log_ref_seq % 65536,
    S.log_ref_seq % 4096, S.boot_id % 4096, S.log_ref_seq * 7919, S.log_ref_seq)
end

local function vnd(S, status, message, errors, extra_headers)
  local body = { logRef = log_ref(S), message = message,
    _links = { about = { href = ERR_DOC } } }
  if errors then body._embedded = { errors = arr(errors) } end
  local headers = { { "Content-Type", VND } }
  for _, h in ipairs(extra_headers or {}) do headers[#headers + 1] = h end
  return { status = status, headers = headers, body = json.encode(body) }
end
_M.vnd = vnd

local ANCHORS = { NotEmpty = true, EnumValue = true, Type = true, MalformedDate = true, Range = true,
  InvalidId = true, NotNull = true, Email = true, Size = true, Query = true }

local function field_error(path, message, rejected, anchor, source)
  local e = { path = path, message = message, source = source or "JSON",
    _links = { about = { href = ERR_DOC .. "#" .. (ANCHORS[anchor] and anchor or "Validation") } } }
  if rejected ~= nil and type(rejected) ~= "table" then e.rejectedValue = rejected end
  return e
end

local function bad_request(S, errors, message)
  return vnd(S, 400, message or "Validation error", errors)
end

local function hal(status, body, headers)
  local h = { { "Content-Type", HAL } }
  for _, x in ipairs(headers or {}) do h[#h + 1] = x end
  return { status = status, headers = h, body = json.encode(body) }
end

-- A 200 HAL response whose body is already-encoded JSON text.
local function hal_text(text)
  return { status = 200, headers = { { "Content-Type", HAL } }, body = text }
end

local function base_url(S, req)
  local host = req.headers.host
  if not host or host == "" then host = S.host .. ":" .. S.port end
  return "http://" .. host
end

local function iso(t) return t and data.iso(t) or nil end

local function enum_set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local function enum_msg(list)
  local q = {}
  for i, v in ipairs(list) do q[i] = "'" .. v .. "'" end
  return "Expected one of these: " .. concat(q, ", ")
end

-- Render cache ---------------------------------------------------------------------------------
-- Encoded JSON fragments of conversations (plain and with embedded threads), threads, customers,
-- users and mailboxes, kept per base URL (absolute _links carry the request's Host). Pages are
-- assembled from fragments, byte for byte what encoding the rendered tables would give.
-- The cache hangs off the store, so /_sandbox/reset (a new store) drops it. Invariants:
--  * every write to a conversation calls changed_conv(S, conv) BEFORE it changes anything (route()
--    does it for notes, reply and tags), which drops that conversation's fragments, the fragments
--    of all its threads (they show the conversation's assignee and customer) and the sort orders;
--  * creating a conversation, a customer or a tag calls changed_all(S), which drops everything;
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

local function render_customer(base, c)
  local e = { emails = arr(), phones = arr(), chats = arr(), social_profiles = arr(), websites = arr() }
  for i, x in ipairs(c.emails) do e.emails[i] = { id = x.id, value = x.value, type = x.type } end
  for i, x in ipairs(c.phones) do e.phones[i] = { id = x.id, value = x.value, type = x.type } end
  if c.website then e.websites[1] = { id = c.emails[1].id + 900000, value = c.website } end
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
  local base = base_url(S, req)
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
  return hal(200, body)
end

-- Query parameter validation ---------------------------------------------------------------------

local function qerr(S, name, message, value, anchor)
  return bad_request(S, { field_error(name, message, value, anchor or "Validation", "Query") })
end

-- The `query` parameter parsed and checked against the fields a list supports: ast (nil when
-- absent) or nil, error response.
local function param_query(S, map, fields)
  if not map.query or map.query == "" then return nil end
  local ast, perr = query.parse(map.query)
  if not ast then return nil, qerr(S, "query", "Invalid query: " .. perr, map.query, "Query") end
  local bad = query.check_fields(ast, fields)
  if bad then return nil, qerr(S, "query", "Unsupported search field '" .. bad .. "'", map.query, "Query") end
  return ast
end

local function param_int(S, map, name)
  local v = map[name]
  if v == nil or v == "" then return nil end
  if not match(v, "^%d+$") or #v > 15 then
    return nil, qerr(S, name, "Invalid number", v, "Range")
  end
  return tonumber(v)
end

local function param_page(S, map)
  local p, err = param_int(S, map, "page")
  if err then return nil, err end
  if p and p < 1 then return nil, qerr(S, "page", "must be greater than or equal to 1", map.page, "Range") end
  return p or 1
end

local function param_enum(S, map, name, list, default)
  local v = map[name]
  if v == nil or v == "" then return default end
  if not enum_set(list)[v] then return nil, qerr(S, name, enum_msg(list), v, "EnumValue") end
  return v
end

local function param_date(S, map, name)
  local v = map[name]
  if v == nil or v == "" then return nil end
  local t = data.parse_date(v)
  if not t then
    return nil, qerr(S, name, "Malformed date, expected format yyyy-MM-dd'T'HH:mm:ss'Z'", v, "MalformedDate")
  end
  return t
end

-- Conversations list -----------------------------------------------------------------------------

local CONV_STATUS = { "active", "all", "closed", "open", "pending", "spam" }
local CONV_SORT = { "createdAt", "customerEmail", "customerName", "mailboxid", "modifiedAt", "number", "score",
  "status", "subject", "waitingSince" }
local CONV_QUERY_FIELDS = enum_set { "email", "tag", "subject", "customerids", "number", "id", "assigned",
  "body", "mailbox", "mailboxid", "modifiedat", "createdat", "attachments", "replyuserids", "status" }

local function thread_text(th)
  if not th.text_lc then th.text_lc = lower(data.html_to_text(th.body or "")) end
  return th.text_lc
end

local function conv_test(S, conv)
  local store = S.store
  return function(field, node)
    if field == "email" then
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
      return query.any(node, function(v)
        v = lower(v)
        for _, e in ipairs(emails) do
          if e == v or (not find(v, "@", 1, true) and find(e, v, 1, true)) then return true end
        end
        return false
      end)
    elseif field == "tag" then
      return query.any(node, function(v)
        v = lower(v)
        for _, t in ipairs(conv.tags) do if lower(t) == v then return true end end
        return false
      end)
    elseif field == "subject" then
      local s = lower(conv.subject or "")
      return query.any(node, function(v)
        for w in lower(v):gmatch("%S+") do if not find(s, w, 1, true) then return false end end
        return true
      end)
    elseif field == "body" then
      return query.any(node, function(v)
        v = lower(v)
        for _, th in ipairs(conv.threads) do if find(thread_text(th), v, 1, true) then return true end end
        return false
      end)
    elseif field == "customerids" then
      return query.any(node, function(v) return tonumber(v) == conv.customer_id end)
    elseif field == "number" then
      return query.any(node, function(v) return tonumber(v) == conv.number end)
    elseif field == "id" then
      return query.any(node, function(v) return tonumber(v) == conv.id end)
    elseif field == "mailboxid" then
      return query.any(node, function(v) return tonumber(v) == conv.mailboxId end)
    elseif field == "mailbox" then
      local mb = store.mailbox_by_id[conv.mailboxId]
      return query.any(node, function(v) return mb and lower(mb.name) == lower(v) or tonumber(v) == conv.mailboxId end)
    elseif field == "status" then
      return query.any(node, function(v) return lower(v) == conv.status end)
    elseif field == "assigned" then
      local u = conv.assignee_id and store.user_by_id[conv.assignee_id]
      return query.any(node, function(v)
        v = lower(v)
        if v == "unassigned" then return u == nil end
        if not u then return false end
        return v == lower(u.firstName) or v == lower(u.lastName) or v == lower(u.email)
          or v == lower(u.firstName .. " " .. u.lastName) or v == lower(match(u.email, "^[^@]+"))
      end)
    elseif field == "replyuserids" then
      return query.any(node, function(v)
        for _, th in ipairs(conv.threads) do
          if th.type == "message" and th.by_user == tonumber(v) then return true end
        end
        return false
      end)
    elseif field == "attachments" then
      local has = false
      for _, th in ipairs(conv.threads) do if th.attachments and #th.attachments > 0 then has = true end end
      return query.any(node, function(v) return (lower(v) == "true") == has end)
    elseif field == "modifiedat" then
      return query.time_match(node, conv.modifiedAt, S:now())
    elseif field == "createdat" then
      return query.time_match(node, conv.createdAt, S:now())
    end
    return false
  end
end

local function sort_key_conv(S, field)
  local store = S.store
  if field == "customerEmail" then
    return function(c)
      local cu = store.customer_by_id[c.customer_id]
      return cu and lower(cu.emails[1] and cu.emails[1].value or "") or ""
    end
  elseif field == "customerName" then
    return function(c)
      local cu = store.customer_by_id[c.customer_id]
      return cu and lower((cu.firstName or "") .. " " .. (cu.lastName or "")) or ""
    end
  elseif field == "mailboxid" then return function(c) return c.mailboxId end
  elseif field == "modifiedAt" then return function(c) return c.modifiedAt end
  elseif field == "number" then return function(c) return c.number end
  elseif field == "status" then return function(c) return c.status end
  elseif field == "subject" then return function(c) return lower(c.subject or "") end
  elseif field == "waitingSince" then return function(c) return c.waitingSince end
  end
  return function(c) return c.createdAt end
end

local function sort_items(items, keyfn, desc)
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

-- Every conversation in (field, desc) order, kept on the store until changed_conv/changed_all; nil
-- when the render cache is off. The order is total (ties broken by id), so filtering this list
-- gives what sorting the filtered list would.
local function sorted_conversations(S, field, desc)
  if S.cfg.render_cache == false then return nil end
  local store = S.store
  local sorted = store.sorted
  if not sorted then sorted = {}; store.sorted = sorted end
  local key = field .. (desc and " desc" or " asc")
  local list = sorted[key]
  if not list then
    list = {}
    for i, conv in ipairs(store.conversations) do list[i] = conv end
    sort_items(list, sort_key_conv(S, field), desc)
    sorted[key] = list
  end
  return list
end

local function csv_ints(S, map, name)
  local v = map[name]
  if v == nil or v == "" then return nil end
  local set = {}
  for part in v:gmatch("[^,]+") do
    part = match(part, "^%s*(.-)%s*$")
    if not match(part, "^%d+$") then return nil, qerr(S, name, "Invalid number", v, "Range") end
    set[tonumber(part)] = true
  end
  return set
end

local function list_conversations(S, req)
  local params, map = parse_qs(req.query_string)
  local page, err = param_page(S, map)
  if err then return err end
  local status; status, err = param_enum(S, map, "status", CONV_STATUS, "active")
  if err then return err end
  local sort_field; sort_field, err = param_enum(S, map, "sortField", CONV_SORT, "createdAt")
  if err then return err end
  local sort_order; sort_order, err = param_enum(S, map, "sortOrder", { "asc", "desc" }, "desc")
  if err then return err end
  local embed; embed, err = param_enum(S, map, "embed", { "threads" }, nil)
  if err then return err end
  local mailboxes; mailboxes, err = csv_ints(S, map, "mailbox")
  if err then return err end
  local folder; folder, err = param_int(S, map, "folder")
  if err then return err end
  local assigned_to; assigned_to, err = param_int(S, map, "assigned_to")
  if err then return err end
  local number; number, err = param_int(S, map, "number")
  if err then return err end
  local since; since, err = param_date(S, map, "modifiedSince")
  if err then return err end
  local tags
  if map.tag and map.tag ~= "" then
    tags = {}
    for t in map.tag:gmatch("[^,]+") do tags[lower(match(t, "^%s*(.-)%s*$"))] = true end
  end
  local cf
  if map.customFieldsByIds and map.customFieldsByIds ~= "" then
    if not mailboxes then
      return qerr(S, "customFieldsByIds", "customFieldsByIds requires the mailbox parameter", map.customFieldsByIds)
    end
    cf = {}
    for _, p in ipairs(params) do
      if p[1] == "customFieldsByIds" then
        for id, val in p[2]:gmatch("(%d+):([^,]*)") do cf[#cf + 1] = { tonumber(id), val } end
      end
    end
  end
  local ast; ast, err = param_query(S, map, CONV_QUERY_FIELDS)
  if err then return err end
  local items = {}
  local presorted = sorted_conversations(S, sort_field, sort_order == "desc")
  local only_status = not (mailboxes or folder or assigned_to or number or since or tags or cf or ast)
  if presorted and only_status then
    -- the common page (fetch_all, triage): a status filter over the cached order
    if status == "all" then items = presorted -- read only from here on
    else
      local n, want = 0, status
      for i = 1, #presorted do
        local conv = presorted[i]
        local st = conv.status
        if st == want or (want == "open" and (st == "active" or st == "pending")) then n = n + 1; items[n] = conv end
      end
    end
  else
    for _, conv in ipairs(presorted or S.store.conversations) do
      local ok
      if status == "all" then ok = true
      elseif status == "open" then ok = conv.status == "active" or conv.status == "pending"
      else ok = conv.status == status end
      if ok and mailboxes and not mailboxes[conv.mailboxId] then ok = false end
      if ok and folder and folder_of(S.store, conv) ~= folder then ok = false end
      if ok and assigned_to and conv.assignee_id ~= assigned_to then ok = false end
      if ok and number and conv.number ~= number then ok = false end
      if ok and since and conv.modifiedAt < since then ok = false end
      if ok and tags then
        local hit = false
        for _, t in ipairs(conv.tags) do if tags[lower(t)] then hit = true end end
        ok = hit
      end
      if ok and cf then
        for _, c in ipairs(cf) do
          local hit = false
          for _, f in ipairs(conv.customFields or {}) do
            if f.id == c[1] and (f.value == c[2] or lower(f.text or "") == lower(c[2])) then hit = true end
          end
          if not hit then ok = false end
        end
      end
      if ok and ast and not query.match(ast, conv_test(S, conv)) then ok = false end
      if ok then items[#items + 1] = conv end
    end
  end
  if not presorted then sort_items(items, sort_key_conv(S, sort_field), sort_order == "desc") end
  local with_threads = embed == "threads"
  local now = S:now()
  return hal_page(S, req, "conversations", items, 25, page, params, function(base, conv, cache)
    return conversation_json(S, base, conv, with_threads, now, cache)
  end)
end

local function get_conversation(S, req, conv)
  local _, map = parse_qs(req.query_string)
  local embed, err = param_enum(S, map, "embed", { "threads" }, nil)
  if err then return err end
  local base = base_url(S, req)
  return hal_text(conversation_json(S, base, conv, embed == "threads", S:now(), cache_for(S, base)))
end

local function list_threads(S, req, conv)
  local params, map = parse_qs(req.query_string)
  local page, err = param_page(S, map)
  if err then return err end
  local items = {}
  for i = #conv.threads, 1, -1 do items[#items + 1] = conv.threads[i] end
  sort(items, function(a, b)
    if a.createdAt ~= b.createdAt then return a.createdAt > b.createdAt end
    return a.id > b.id
  end)
  return hal_page(S, req, "threads", items, 25, page, params, function(base, th, cache)
    return thread_json(S, base, conv, th, cache)
  end)
end

-- Customers, users, mailboxes --------------------------------------------------------------------

local CUST_QUERY_FIELDS = enum_set { "email", "firstname", "lastname", "emaildomain", "phone", "modifiedat",
  "createdat", "modifiedsince" }

local function cust_test(S, c)
  return function(field, node)
    if field == "email" or field == "emaildomain" then
      return query.any(node, function(v)
        v = lower(v)
        for _, e in ipairs(c.emails) do
          local ev = lower(e.value)
          if ev == v then return true end
          if (field == "emaildomain" or not find(v, "@", 1, true)) and match(ev, "@(.*)$") == v then return true end
        end
        return false
      end)
    elseif field == "firstname" then
      return query.any(node, function(v) return lower(c.firstName or "") == lower(v) end)
    elseif field == "lastname" then
      return query.any(node, function(v) return lower(c.lastName or "") == lower(v) end)
    elseif field == "phone" then
      return query.any(node, function(v)
        local want = gsub(v, "[^%d]", "")
        for _, p in ipairs(c.phones) do
          if want ~= "" and find(gsub(p.value, "[^%d]", ""), want, 1, true) then return true end
        end
        return false
      end)
    elseif field == "modifiedat" then return query.time_match(node, c.updatedAt, S:now())
    elseif field == "createdat" then return query.time_match(node, c.createdAt, S:now())
    elseif field == "modifiedsince" then
      return query.any(node, function(v) local t = data.parse_date(v); return t ~= nil and c.updatedAt >= t end)
    end
    return false
  end
end

local function list_customers(S, req)
  local params, map = parse_qs(req.query_string)
  local page, err = param_page(S, map)
  if err then return err end
  local mailbox; mailbox, err = param_int(S, map, "mailbox")
  if err then return err end
  local since; since, err = param_date(S, map, "modifiedSince")
  if err then return err end
  local sort_field; sort_field, err = param_enum(S, map, "sortField",
    { "createdAt", "firstName", "lastName", "modifiedAt", "score" }, "createdAt")
  if err then return err end
  local sort_order; sort_order, err = param_enum(S, map, "sortOrder", { "asc", "desc" }, "desc")
  if err then return err end
  local ast; ast, err = param_query(S, map, CUST_QUERY_FIELDS)
  if err then return err end
  local in_mailbox
  if mailbox then
    in_mailbox = {}
    for _, conv in ipairs(S.store.conversations) do
      if conv.mailboxId == mailbox then in_mailbox[conv.customer_id] = true end
    end
  end
  local first, last = map.firstName, map.lastName
  local items = {}
  for _, c in ipairs(S.store.customers) do
    local ok = true
    if in_mailbox and not in_mailbox[c.id] then ok = false end
    if ok and first and first ~= "" and lower(c.firstName or "") ~= lower(first) then ok = false end
    if ok and last and last ~= "" and lower(c.lastName or "") ~= lower(last) then ok = false end
    if ok and since and c.updatedAt < since then ok = false end
    if ok and ast and not query.match(ast, cust_test(S, c)) then ok = false end
    if ok then items[#items + 1] = c end
  end
  local keyfn
  if sort_field == "firstName" then keyfn = function(c) return lower(c.firstName or "") end
  elseif sort_field == "lastName" then keyfn = function(c) return lower(c.lastName or "") end
  elseif sort_field == "modifiedAt" then keyfn = function(c) return c.updatedAt end
  else keyfn = function(c) return c.createdAt end end
  sort_items(items, keyfn, sort_order == "desc")
  return hal_page(S, req, "customers", items, 50, page, params, customer_json)
end

local function list_users(S, req)
  local params, map = parse_qs(req.query_string)
  local page, err = param_page(S, map)
  if err then return err end
  local mailbox; mailbox, err = param_int(S, map, "mailbox")
  if err then return err end
  local items = {}
  for _, u in ipairs(S.store.users) do
    local ok = true
    if map.email and map.email ~= "" and lower(u.email) ~= lower(map.email) then ok = false end
    if ok and mailbox then
      local hit = false
      for _, m in ipairs(u.mailboxes) do if m == mailbox then hit = true end end
      ok = hit
    end
    if ok then items[#items + 1] = u end
  end
  return hal_page(S, req, "users", items, 50, page, params, user_json)
end

local function list_mailboxes(S, req)
  local params, map = parse_qs(req.query_string)
  local page, err = param_page(S, map)
  if err then return err end
  return hal_page(S, req, "mailboxes", S.store.mailboxes, 50, page, params, mailbox_json)
end

-- Writes -----------------------------------------------------------------------------------------

local function decode_body(S, req)
  local ct = lower(req.headers["content-type"] or "")
  if ct ~= "" and not find(ct, "json", 1, true) then
    return nil, vnd(S, 415, "Unsupported Media Type: expected application/json")
  end
  if not req.body or not find(req.body, "%S") then
    return nil, bad_request(S, { field_error("", "Request body is empty", nil, "NotEmpty") },
      "Error parsing request body into JSON")
  end
  local body = json.decode(req.body)
  if type(body) ~= "table" then
    return nil, bad_request(S, { field_error("", "Invalid JSON", nil, "Validation") },
      "Error parsing request body into JSON")
  end
  return body
end

local function nonempty_string(v) return type(v) == "string" and find(v, "%S") ~= nil end

local function is_null(v) return v == nil or v == null end

local function check_string_array(errors, body, name)
  local v = body[name]
  if is_null(v) then return end
  if type(v) ~= "table" then
    errors[#errors + 1] = field_error(name, "must be an array of strings", v, "Type")
    return
  end
  for i, x in pairs(v) do
    if type(i) ~= "number" or type(x) ~= "string" then
      errors[#errors + 1] = field_error(name, "must be an array of strings", nil, "Type")
      return
    end
  end
end

local function check_bool(errors, body, name)
  local v = body[name]
  if not is_null(v) and type(v) ~= "boolean" then
    errors[#errors + 1] = field_error(name, "must be a boolean", v, "Type")
  end
end

local function check_user(S, errors, body, name)
  local v = body[name]
  if is_null(v) then return nil end
  if not is_int(v) then errors[#errors + 1] = field_error(name, "must be an integer", v, "Type"); return nil end
  v = to_int(v)
  if not S.store.user_by_id[v] then
    errors[#errors + 1] = field_error(name, "Unknown user id", v, "InvalidId")
    return nil
  end
  return v
end

local function check_date(errors, body, name)
  local v = body[name]
  if is_null(v) then return nil end
  local t = data.parse_date(v)
  if not t then
    errors[#errors + 1] = field_error(name, "Malformed date, expected format yyyy-MM-dd'T'HH:mm:ss'Z'", v,
      "MalformedDate")
  end
  return t
end

local function check_attachments(errors, body, prefix)
  local v = body.attachments
  if is_null(v) then return nil end
  if type(v) ~= "table" then
    errors[#errors + 1] = field_error(prefix .. "attachments", "must be an array", nil, "Type")
    return nil
  end
  local out = {}
  for i, a in ipairs(v) do
    local p = prefix .. "attachments[" .. (i - 1) .. "]."
    if type(a) ~= "table" then
      errors[#errors + 1] = field_error(p:sub(1, -2), "must be an object", nil, "Type")
    else
      for _, f in ipairs { "fileName", "mimeType", "data" } do
        if not nonempty_string(a[f]) then
          errors[#errors + 1] = field_error(p .. f, "may not be empty", nil, "NotEmpty")
        end
      end
      local size = type(a.data) == "string" and floor(#a.data * 3 / 4) or 0
      out[#out + 1] = { fileName = a.fileName, mimeType = a.mimeType, size = size }
    end
  end
  return out
end

local STATUS_WRITE = { "active", "all", "closed", "open", "pending", "spam" }

local function check_status(errors, body, name, list)
  local v = body[name]
  if is_null(v) then return nil end
  if type(v) ~= "string" or not enum_set(list)[v] then
    errors[#errors + 1] = field_error(name, enum_msg(list), v, "EnumValue")
    return nil
  end
  return v
end

-- Validates a customer object; returns a resolver fn(S) -> customer record.
local function check_customer(S, errors, v, path)
  if is_null(v) then errors[#errors + 1] = field_error(path, "may not be null", nil, "NotNull"); return nil end
  if type(v) ~= "table" then errors[#errors + 1] = field_error(path, "must be an object", nil, "Type"); return nil end
  if not is_null(v.id) then
    if not is_int(v.id) then
      errors[#errors + 1] = field_error(path .. ".id", "must be an integer", v.id, "Type")
      return nil
    end
    local c = S.store.customer_by_id[to_int(v.id)]
    if not c then
      errors[#errors + 1] = field_error(path .. ".id", "Customer not found", v.id, "InvalidId")
      return nil
    end
    return function() return c end
  end
  if is_null(v.email) then
    errors[#errors + 1] = field_error(path .. ".email", "Customer must have an id or an email", nil, "NotEmpty")
    return nil
  end
  if type(v.email) ~= "string" or not match(v.email, "^[^@%s]+@[^@%s]+%.[^@%s]+$") then
    errors[#errors + 1] = field_error(path .. ".email", "Invalid email address", v.email, "Email")
    return nil
  end
  for _, f in ipairs { "firstName", "lastName" } do
    if not is_null(v[f]) and (type(v[f]) ~= "string" or #v[f] < 1 or #v[f] > 40) then
      errors[#errors + 1] = field_error(path .. "." .. f, "size must be between 1 and 40", v[f], "Size")
    end
  end
  return function()
    local store = S.store
    local c = store.customer_by_email[lower(v.email)]
    if c then return c end
    store.next_customer_id = store.next_customer_id + 37
    store.next_customer_sub_id = store.next_customer_sub_id + 3
    local now = S:now()
    c = { id = store.next_customer_id, firstName = type(v.firstName) == "string" and v.firstName or nil,
      lastName = type(v.lastName) == "string" and v.lastName or nil,
      emails = { { id = store.next_customer_sub_id, value = v.email, type = "work" } }, phones = {},
      organization = type(v.organization) == "string" and v.organization or nil,
      jobTitle = type(v.jobTitle) == "string" and v.jobTitle or nil,
      location = type(v.location) == "string" and v.location or nil,
      background = type(v.background) == "string" and v.background or nil,
      gender = type(v.gender) == "string" and v.gender or "unknown",
      photoType = type(v.photoType) == "string" and v.photoType or "unknown",
      photoUrl = type(v.photoUrl) == "string" and v.photoUrl or nil,
      age = type(v.age) == "string" and v.age or nil, createdAt = now, updatedAt = now }
    if type(v.phone) == "string" then
      c.phones[1] = { id = store.next_customer_sub_id + 1, value = v.phone, type = "work" }
    end
    changed_all(S)
    store.customers[#store.customers + 1] = c
    store.customer_by_id[c.id] = c
    store.customer_by_email[lower(v.email)] = c
    return c
  end
end

local function new_thread_id(S, attachments)
  local store = S.store
  store.next_thread_id = store.next_thread_id + 7
  for i, a in ipairs(attachments or {}) do a.id = store.next_thread_id * 10 + i end
  return store.next_thread_id
end

local function apply_status(S, conv, status, user)
  if not status or status == "all" then return end
  if status == "open" then status = "active" end
  conv.status = status
  if status == "closed" then
    conv.closedAt = S:now()
    conv.closedBy = user
  else
    conv.closedAt, conv.closedBy = nil, nil
  end
end

local function touch(S, conv)
  local now = S:now()
  conv.modifiedAt = now
  conv.userUpdatedAt = now
end

local function created(S, req, id, location_path)
  local headers = { { "Resource-ID", tostring(id) }, { "Location", base_url(S, req) .. location_path } }
  return { status = 201, headers = headers, body = "" }
end

local function add_note(S, req, conv)
  local body, err = decode_body(S, req)
  if not body then return err end
  local errors = {}
  if not nonempty_string(body.text) then
    errors[#errors + 1] = field_error("text", "may not be empty", body.text, "NotEmpty")
  end
  local user = check_user(S, errors, body, "user")
  local status = check_status(errors, body, "status", STATUS_WRITE)
  check_bool(errors, body, "imported")
  local at = check_date(errors, body, "createdAt")
  local atts = check_attachments(errors, body, "")
  if #errors > 0 then return bad_request(S, errors) end
  user = user or S.owner_id
  local th = { id = new_thread_id(S, atts), type = "note", by_user = user, state = "published", body = body.text,
    createdAt = (body.imported == true and at) or S:now(), status = status and status ~= "all" and status or nil,
    attachments = atts, source = { type = "api", via = "user" } }
  insert(conv.threads, th)
  apply_status(S, conv, status, user)
  touch(S, conv)
  return created(S, req, th.id, "/v2/conversations/" .. conv.id .. "/threads/" .. th.id)
end

local function reply(S, req, conv)
  local body, err = decode_body(S, req)
  if not body then return err end
  local errors = {}
  local resolve = check_customer(S, errors, body.customer, "customer")
  if not nonempty_string(body.text) then
    errors[#errors + 1] = field_error("text", "may not be empty", body.text, "NotEmpty")
  end
  local user = check_user(S, errors, body, "user")
  local assign = check_user(S, errors, body, "assignTo")
  local status = check_status(errors, body, "status", STATUS_WRITE)
  check_bool(errors, body, "draft")
  check_bool(errors, body, "imported")
  check_string_array(errors, body, "cc")
  check_string_array(errors, body, "bcc")
  local at = check_date(errors, body, "createdAt")
  local atts = check_attachments(errors, body, "")
  if #errors > 0 then return bad_request(S, errors) end
  local cust = resolve()
  user = user or S.owner_id
  local draft = body.draft == true
  local now = S:now()
  local th = { id = new_thread_id(S, atts), type = "message", by_user = user, state = draft and "draft" or "published",
    body = body.text, customer_id = cust.id, to = { cust.emails[1].value }, cc = body.cc or {}, bcc = body.bcc or {},
    createdAt = (body.imported == true and at) or now, attachments = atts, source = { type = "api", via = "user" } }
  insert(conv.threads, th)
  if not draft then
    apply_status(S, conv, status or "active", user)
    th.status = conv.status
    if assign then conv.assignee_id = assign end
    conv.latestReplyFrom = "user"
    conv.preview = data.preview(body.text)
  end
  touch(S, conv)
  return created(S, req, th.id, "/v2/conversations/" .. conv.id .. "/threads/" .. th.id)
end

local function update_tags(S, req, conv)
  local body, err = decode_body(S, req)
  if not body then return err end
  local errors = {}
  if is_null(body.tags) then
    errors[#errors + 1] = field_error("tags", "may not be null", nil, "NotNull")
  else
    check_string_array(errors, body, "tags")
  end
  if #errors > 0 then return bad_request(S, errors) end
  local store = S.store
  local names, seen = {}, {}
  for _, t in ipairs(body.tags) do
    t = match(t, "^%s*(.-)%s*$")
    local k = lower(t)
    if t ~= "" and not seen[k] then
      seen[k] = true
      if not store.tags[k] then
        changed_all(S)
        store.next_tag_id = store.next_tag_id + 3
        store.tags[k] = { id = store.next_tag_id, tag = t, color = "#929499" }
      end
      names[#names + 1] = store.tags[k].tag
    end
  end
  conv.tags = names
  touch(S, conv)
  return { status = 204, headers = {}, body = "" }
end

local THREAD_TYPES = { "customer", "reply", "note", "chat", "phone" }
local CONV_TYPES = { "email", "chat", "phone" }

local function create_conversation(S, req)
  local body, err = decode_body(S, req)
  if not body then return err end
  local store = S.store
  local errors = {}
  if not nonempty_string(body.subject) then
    errors[#errors + 1] = field_error("subject", "may not be empty", body.subject, "NotEmpty")
  end
  local resolve = check_customer(S, errors, body.customer, "customer")
  if is_null(body.mailboxId) then
    errors[#errors + 1] = field_error("mailboxId", "may not be null", nil, "NotNull")
  elseif not is_int(body.mailboxId) then
    errors[#errors + 1] = field_error("mailboxId", "must be an integer", body.mailboxId, "Type")
  elseif not store.mailbox_by_id[to_int(body.mailboxId)] then
    errors[#errors + 1] = field_error("mailboxId", "Mailbox not found", body.mailboxId, "InvalidId")
  end
  if is_null(body.type) then
    errors[#errors + 1] = field_error("type", "may not be null", nil, "NotNull")
  else
    check_status(errors, body, "type", CONV_TYPES)
  end
  if is_null(body.status) then
    errors[#errors + 1] = field_error("status", "may not be null", nil, "NotNull")
  else
    check_status(errors, body, "status", { "active", "closed", "pending" })
  end
  local user = check_user(S, errors, body, "user")
  local assign
  if body.assignTo ~= null then assign = check_user(S, errors, body, "assignTo") end
  check_bool(errors, body, "imported")
  check_bool(errors, body, "autoReply")
  check_string_array(errors, body, "tags")
  local at = check_date(errors, body, "createdAt")
  check_date(errors, body, "closedAt")
  local threads = body.threads
  local thread_specs = {}
  if is_null(threads) or type(threads) ~= "table" or #threads == 0 then
    errors[#errors + 1] = field_error("threads", "must contain at least one thread", nil, "NotEmpty")
  else
    for i, t in ipairs(threads) do
      local p = "threads[" .. (i - 1) .. "]"
      if type(t) ~= "table" then
        errors[#errors + 1] = field_error(p, "must be an object", nil, "Type")
      else
        local spec = { src = t }
        if is_null(t.type) then
          errors[#errors + 1] = field_error(p .. ".type", "may not be null", nil, "NotNull")
        elseif not enum_set(THREAD_TYPES)[t.type] then
          errors[#errors + 1] = field_error(p .. ".type", enum_msg(THREAD_TYPES), t.type, "EnumValue")
        end
        if not nonempty_string(t.text) then
          errors[#errors + 1] = field_error(p .. ".text", "may not be empty", t.text, "NotEmpty")
        end
        if t.type ~= "note" and not is_null(t.customer) then
          spec.resolve = check_customer(S, errors, t.customer, p .. ".customer")
        end
        local sub_errors = {}
        check_string_array(sub_errors, t, "cc")
        check_string_array(sub_errors, t, "bcc")
        check_bool(sub_errors, t, "draft")
        spec.user = check_user(S, sub_errors, t, "user")
        spec.at = check_date(sub_errors, t, "createdAt")
        spec.attachments = check_attachments(sub_errors, t, "")
        for _, e in ipairs(sub_errors) do e.path = p .. "." .. e.path; errors[#errors + 1] = e end
        thread_specs[#thread_specs + 1] = spec
      end
    end
  end
  if #errors > 0 then return bad_request(S, errors) end
  local cust = resolve()
  local now = S:now()
  local created_at = (body.imported == true and at) or now
  user = user or S.owner_id
  store.next_conversation_id = store.next_conversation_id + 1013
  store.next_number = store.next_number + 3
  local conv = { id = store.next_conversation_id, number = store.next_number, type = body.type,
    status = body.status, state = "published", subject = body.subject, mailboxId = to_int(body.mailboxId),
    customer_id = cust.id, createdAt = created_at, modifiedAt = now, userUpdatedAt = now, tags = {},
    cc = {}, bcc = {}, threads = {}, source = { type = "api", via = "user" } }
  if assign then conv.assignee_id = assign end
  -- threads arrive newest first: build them oldest first so ids grow with time
  local has_customer, all_draft = false, true
  for i = #thread_specs, 1, -1 do
    local spec = thread_specs[i]
    local t = spec.src
    local tcust = spec.resolve and spec.resolve() or cust
    local kind = t.type == "reply" and "message" or t.type
    local th = { id = new_thread_id(S, spec.attachments), type = kind, body = t.text, createdAt = spec.at or created_at,
      state = (kind == "message" and t.draft == true) and "draft" or "published", attachments = spec.attachments,
      customer_id = tcust.id, cc = t.cc or {}, bcc = t.bcc or {}, source = { type = "api", via = "user" } }
    if kind == "customer" or kind == "chat" or kind == "phone" then
      th.source = { type = kind == "customer" and "email" or kind, via = "customer" }
      th.to = { store.mailbox_by_id[conv.mailboxId].email }
      if kind == "customer" then has_customer = true end
    else
      th.by_user = spec.user or user
      if kind == "message" then th.to = { tcust.emails[1].value } end
    end
    if th.state == "published" then all_draft = false end
    conv.threads[#conv.threads + 1] = th
  end
  local oldest = conv.threads[1]
  if oldest.by_user then
    conv.created_by = { kind = "user", id = oldest.by_user }
    conv.source.via = "user"
  else
    conv.created_by = { kind = "customer", id = cust.id }
    conv.source = { type = "api", via = "customer" }
  end
  if all_draft then conv.state = "draft" end
  conv.waitingSince = created_at
  if has_customer then
    for _, th in ipairs(conv.threads) do if th.type == "customer" then conv.waitingSince = th.createdAt end end
  end
  local newest
  for i = #conv.threads, 1, -1 do
    local th = conv.threads[i]
    if th.state == "published" and th.type ~= "note" then newest = th; break end
  end
  conv.latestReplyFrom = (newest and newest.by_user) and "user" or "customer"
  conv.preview = data.preview((newest or conv.threads[#conv.threads]).body)
  if conv.status == "closed" then
    conv.closedAt = data.parse_date(body.closedAt or "") or now
    conv.closedBy = user
  end
  for _, t in ipairs(body.tags or {}) do
    local k = lower(t)
    if not store.tags[k] then
      store.next_tag_id = store.next_tag_id + 3
      store.tags[k] = { id = store.next_tag_id, tag = t, color = "#929499" }
    end
    conv.tags[#conv.tags + 1] = store.tags[k].tag
  end
  if type(body.fields) == "table" then
    conv.customFields = {}
    for _, f in ipairs(body.fields) do
      if type(f) == "table" and is_int(f.id) then
        conv.customFields[#conv.customFields + 1] = { id = to_int(f.id), name = "Field " .. floor(f.id),
          value = tostring(f.value), text = tostring(f.value) }
      end
    end
  end
  store.conversations[#store.conversations + 1] = conv
  store.conversation_by_id[conv.id] = conv
  return created(S, req, conv.id, "/v2/conversations/" .. conv.id)
end

-- OAuth ------------------------------------------------------------------------------------------

local function oauth_json(status, body, extra)
  local h = { { "Content-Type", "application/json;charset=UTF-8" }, { "Cache-Control", "no-store" } }
  for _, x in ipairs(extra or {}) do h[#h + 1] = x end
  return { status = status, headers = h, body = json.encode(body) }
end

local function b64decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  s = gsub(s, "[^%w%+/=]", "")
  local out, bits, nbits = {}, 0, 0
  for i = 1, #s do
    local c = sub(s, i, i)
    if c == "=" then break end
    local v = find(alphabet, c, 1, true) - 1
    bits = bits * 64 + v
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      local byte = floor(bits / 2 ^ nbits)
      out[#out + 1] = string.char(byte)
      bits = bits - byte * 2 ^ nbits
    end
  end
  return concat(out)
end

-- Parses the token request: JSON or form body, plus query params; returns a field map or nil.
function _M.token_fields(req)
  local _, fields = parse_qs(req.query_string)
  local ct = lower(req.headers["content-type"] or "")
  local body = req.body or ""
  if find(ct, "json", 1, true) then
    if find(body, "%S") then
      local t = json.decode(body)
      if type(t) ~= "table" then return nil end
      for k, v in pairs(t) do
        if type(v) == "string" or type(v) == "number" then fields[k] = type(v) == "number" and format("%d", v) or v end
      end
    end
  else
    local _, f = parse_qs(body)
    for k, v in pairs(f) do fields[k] = v end
  end
  local auth = req.headers.authorization
  if auth then
    local b = match(auth, "^[Bb]asic%s+(%S+)")
    if b then
      local id, secret = match(b64decode(b), "^([^:]*):(.*)$")
      if id then
        fields.client_id = fields.client_id or url_decode(id)
        fields.client_secret = fields.client_secret or url_decode(secret)
      end
    end
  end
  return fields
end

local function issue(S, with_refresh)
  local access = S:random_token(32)
  local ttl = S.cfg.token_ttl
  S.tokens[access] = { expires_at = S:now() + ttl }
  local res = { access_token = access, token_type = "bearer", expires_in = ttl }
  if with_refresh then
    local rt = S:random_token(36, true)
    S.refresh[rt] = { used = false }
    res.refresh_token = rt
  end
  return oauth_json(200, res)
end

local function token_endpoint(S, req)
  if req.method ~= "POST" then
    return oauth_json(405, { error = "invalid_request", error_description = "Use POST" }, { { "Allow", "POST" } })
  end
  local f = _M.token_fields(req)
  if not f then return oauth_json(400, { error = "invalid_request", error_description = "Malformed JSON body" }) end
  local grant = f.grant_type
  if not grant or grant == "" then
    return oauth_json(400, { error = "invalid_request", error_description = "Missing grant_type" })
  end
  if grant ~= "client_credentials" and grant ~= "authorization_code" and grant ~= "refresh_token" then
    return oauth_json(400, { error = "unsupported_grant_type", error_description = "Unsupported grant type" })
  end
  if f.client_id ~= S.cfg.client_id or f.client_secret ~= S.cfg.client_secret then
    return oauth_json(401, { error = "invalid_client", error_description = "Bad client credentials" })
  end
  if grant == "client_credentials" then return issue(S, false) end
  if grant == "authorization_code" then
    local code = f.code and S.codes[f.code]
    if not code or code.client_id ~= f.client_id then
      return oauth_json(400, { error = "invalid_grant", error_description = "Invalid authorization code" })
    end
    S.codes[f.code] = nil
    return issue(S, true)
  end
  local rt = f.refresh_token and S.refresh[f.refresh_token]
  if not rt or rt.used then
    return oauth_json(400, { error = "invalid_request", error_description = "Invalid refresh_token" })
  end
  rt.used = true
  return issue(S, true)
end

-- Auth and rate limit ----------------------------------------------------------------------------

local function authenticate(S, req)
  local auth = req.headers.authorization
  local why
  if not auth or auth == "" then why = "Missing access token"
  else
    local tok = match(auth, "^[Bb]earer%s+(%S+)%s*$")
    local t = tok and S.tokens[tok]
    if not t then why = "The access token is invalid"
    elseif S:now() >= t.expires_at then why = "The access token has expired" end
  end
  if why then
    local res = vnd(S, 401, "Authentication required", { { message = why } },
      { { "WWW-Authenticate", 'Bearer realm="helpscout-sandbox"' } })
    return res
  end
end

local function rate_limit(S, req)
  local limit = S.cfg.rate_limit
  if not limit or limit <= 0 then return nil, nil end
  local now = S:now()
  local rl = S.rate
  if not rl.start or now >= rl.start + S.cfg.rate_window then rl.start, rl.used = now, 0 end
  local cost = (req.method == "GET" or req.method == "HEAD") and 1 or 2
  if rl.used + cost > limit then
    local wait = max(1, ceil(rl.start + S.cfg.rate_window - now))
    local headers = { { "Content-Type", "application/json" },
      { "X-RateLimit-Limit-Minute", format("%d", limit) },
      { "X-RateLimit-Remaining-Minute", format("%d", max(0, limit - rl.used)) },
      { "X-RateLimit-Retry-After", format("%d", wait) } }
    return nil, { status = 429, headers = headers, body = '{"message":"API rate limit exceeded"}' }
  end
  rl.used = rl.used + cost
  return { { "X-RateLimit-Limit-Minute", format("%d", limit) },
    { "X-RateLimit-Remaining-Minute", format("%d", limit - rl.used) } }
end

-- Routing ----------------------------------------------------------------------------------------

local function not_found(S) return vnd(S, 404, "Resource not found") end

local function method_not_allowed(S, allow)
  return vnd(S, 405, "Method not allowed", nil, { { "Allow", allow } })
end

local function path_id(S, s, name)
  if not match(s, "^%d+$") or #s > 15 then
    return nil, bad_request(S, { field_error(name, "Invalid identifier", s, "InvalidId", "Path") }, "Bad request")
  end
  return tonumber(s)
end

local function route(S, req)
  local m, p = req.method, req.path
  if p == "/v2/mailboxes" then
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    return list_mailboxes(S, req)
  end
  local rest = match(p, "^/v2/mailboxes/([^/]+)(.*)$")
  if rest then
    local sid, tail = match(p, "^/v2/mailboxes/([^/]+)(.*)$")
    local id, err = path_id(S, sid, "mailboxId")
    if not id then return err end
    local mb = S.store.mailbox_by_id[id]
    if not mb then return not_found(S) end
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    if tail == "" then
      local base = base_url(S, req)
      return hal_text(mailbox_json(base, mb, cache_for(S, base)))
    end
    if tail == "/folders" then
      local params = parse_qs(req.query_string)
      return hal_page(S, req, "folders", mb.folders, 50, 1, params, function(_, f)
        local n = 0
        for _, conv in ipairs(S.store.conversations) do if folder_of(S.store, conv) == f.id then n = n + 1 end end
        return json.encode { id = f.id, name = f.name, type = f.type, totalCount = n, activeCount = n,
          updatedAt = iso(S.store.now) }
      end)
    end
    if tail == "/fields" then
      local fields = arr()
      if mb.id == 4821 then
        fields[1] = { id = 8801, name = "Plan", type = "DROPDOWN", order = 1, required = false,
          options = arr { { id = 33075, order = 1, label = "Starter" }, { id = 33076, order = 2, label = "Growth" },
            { id = 33077, order = 3, label = "Pro" } } }
      end
      return hal(200, { _embedded = { fields = fields },
        page = { size = 50, totalElements = #fields, totalPages = 1, number = 1 } })
    end
    return not_found(S)
  end
  if p == "/v2/conversations" then
    if m == "GET" then return list_conversations(S, req) end
    if m == "POST" then
      changed_all(S)
      return create_conversation(S, req)
    end
    return method_not_allowed(S, "GET, POST")
  end
  local sid, tail = match(p, "^/v2/conversations/([^/]+)(.*)$")
  if sid then
    local id, err = path_id(S, sid, "conversationId")
    if not id then return err end
    local conv = S.store.conversation_by_id[id]
    if tail == "" then
      if m ~= "GET" then return method_not_allowed(S, "GET") end
      if not conv then return not_found(S) end
      return get_conversation(S, req, conv)
    elseif tail == "/threads" then
      if m ~= "GET" then return method_not_allowed(S, "GET") end
      if not conv then return not_found(S) end
      return list_threads(S, req, conv)
    elseif tail == "/notes" then
      if m ~= "POST" then return method_not_allowed(S, "POST") end
      if not conv then return not_found(S) end
      changed_conv(S, conv)
      return add_note(S, req, conv)
    elseif tail == "/reply" then
      if m ~= "POST" then return method_not_allowed(S, "POST") end
      if not conv then return not_found(S) end
      changed_conv(S, conv)
      return reply(S, req, conv)
    elseif tail == "/tags" then
      if m ~= "PUT" then return method_not_allowed(S, "PUT") end
      if not conv then return not_found(S) end
      changed_conv(S, conv)
      return update_tags(S, req, conv)
    end
    return not_found(S)
  end
  if p == "/v2/customers" then
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    return list_customers(S, req)
  end
  sid = match(p, "^/v2/customers/([^/]+)$")
  if sid then
    local id, err = path_id(S, sid, "customerId")
    if not id then return err end
    local c = S.store.customer_by_id[id]
    if not c then return not_found(S) end
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    local base = base_url(S, req)
    return hal_text(customer_json(base, c, cache_for(S, base)))
  end
  if p == "/v2/users" then
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    return list_users(S, req)
  end
  sid = match(p, "^/v2/users/([^/]+)$")
  if sid then
    if m ~= "GET" then return method_not_allowed(S, "GET") end
    local u
    if sid == "me" then u = S.store.user_by_id[S.owner_id]
    else
      local id, err = path_id(S, sid, "userId")
      if not id then return err end
      u = S.store.user_by_id[id]
    end
    if not u then return not_found(S) end
    local base = base_url(S, req)
    return hal_text(user_json(base, u, cache_for(S, base)))
  end
  return not_found(S)
end

-- Handles one /v2 request (token endpoint included).
function _M.handle(S, req)
  if req.path == "/v2/oauth2/token" then return token_endpoint(S, req) end
  local res = authenticate(S, req)
  if res then return res end
  local rl_headers, limited = rate_limit(S, req)
  if limited then return limited end
  res = route(S, req)
  if rl_headers then
    res.headers = res.headers or {}
    for _, h in ipairs(rl_headers) do res.headers[#res.headers + 1] = h end
  end
  return res
end

return _M
