-- Threads of a conversation: list (newest first), notes and replies.
-- Handlers receive the checked body and the conversation of the path (api.lua); the router has
-- dropped the conversation's cached renderings before a write handler runs.
local data = require "helpscout.sandbox.data"
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"
local outbox = require "helpscout.sandbox.outbox"

local insert, sort = table.insert, table.sort

local _M = {}

local STATUS_WRITE = { "active", "all", "closed", "open", "pending", "spam" }

local function list(S, req, ctx)
  local conv = ctx.conversation
  local items = {}
  for i = #conv.threads, 1, -1 do items[#items + 1] = conv.threads[i] end
  sort(items, function(a, b)
    if a.createdAt ~= b.createdAt then return a.createdAt > b.createdAt end
    return a.id > b.id
  end)
  return render.hal_page(S, req, "threads", items, 25, ctx.q.page, ctx.params, function(base, th, cache)
    return render.thread_json(S, base, conv, th, cache)
  end)
end

-- Sets conv's status as a write asks ("all" and nil leave it; "open" means active).
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

local function thread_created(S, req, conv, th)
  return wire.created(S, req, th.id, "/v2/conversations/" .. conv.id .. "/threads/" .. th.id)
end

local NOTE_BODY = {
  { "text", "text" }, { "user", "user" }, { "status", "enum", STATUS_WRITE }, { "imported", "bool" },
  { "createdAt", "date" }, { "attachments", "attachments" },
}

local function add_note(S, req, ctx)
  local conv, v = ctx.conversation, ctx.body
  local user = v.user or S.owner_id
  local status = v.status
  local th = { id = data.new_thread_id(S.store, v.attachments), type = "note", by_user = user, state = "published",
    body = v.text, createdAt = (v.imported == true and v.createdAt) or S:now(),
    status = status and status ~= "all" and status or nil, attachments = v.attachments,
    source = { type = "api", via = "user" } }
  insert(conv.threads, th)
  apply_status(S, conv, status, user)
  data.touch(conv, S:now())
  ctx.event = { "convo.note.created", conv }
  return thread_created(S, req, conv, th)
end

local REPLY_BODY = {
  { "customer", "customer", required = true }, { "text", "text" }, { "user", "user" }, { "assignTo", "user" },
  { "status", "enum", STATUS_WRITE }, { "draft", "bool" }, { "imported", "bool" }, { "cc", "strings" },
  { "bcc", "strings" }, { "createdAt", "date" }, { "attachments", "attachments" },
}

local function reply(S, req, ctx)
  local conv, v = ctx.conversation, ctx.body
  local cust = v.customer()
  local user = v.user or S.owner_id
  local draft = v.draft == true
  local now = S:now()
  local th = { id = data.new_thread_id(S.store, v.attachments), type = "message", by_user = user,
    state = draft and "draft" or "published", body = v.text, customer_id = cust.id, to = { cust.emails[1].value },
    cc = v.cc or {}, bcc = v.bcc or {}, createdAt = (v.imported == true and v.createdAt) or now,
    attachments = v.attachments, source = { type = "api", via = "user" } }
  insert(conv.threads, th)
  if not draft then
    apply_status(S, conv, v.status or "active", user)
    th.status = conv.status
    if v.assignTo then conv.assignee_id = v.assignTo end
    conv.latestReplyFrom = "user"
    conv.preview = data.preview(v.text)
    ctx.event = { "convo.agent.reply.created", conv }
  end
  outbox.reply(S, conv, th, v)
  data.touch(conv, now)
  return thread_created(S, req, conv, th)
end

_M.routes = {
  { "GET", "/v2/conversations/{conversationId}/threads", list, params = { { "page", "page", nil, 1 } } },
  { "POST", "/v2/conversations/{conversationId}/notes", add_note, body = NOTE_BODY, writes = "conversation" },
  { "POST", "/v2/conversations/{conversationId}/reply", reply, body = REPLY_BODY, writes = "conversation" },
}

return _M
