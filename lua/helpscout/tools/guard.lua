-- helpscout.tools.guard: the safety rules of the agent tools, each in one place.
--   err(kind, message, fields)      the one error constructor of helpscout.tools
--   allowlist(o) / allowed(o, id)   the mailbox allowlist
--   scope(spec, a, o)               refuses or narrows a call's mailbox before anything is sent
--   conversation_mailbox(hs, id)    learns a conversation's mailbox with one GET (never a write)
--   SENDS / send_rule(name, a, o)   the send rule: every path that e-mails a customer, made safe
--   emails(name, a), send_text()     ... whether a call e-mails; the description sentence
--   scoped_client(hs, o)            a client stand-in for triage.customer_summary that applies scope
-- Invariant: a refusal is decided before any request is built, so nothing reaches Help Scout.
local core = require "helpscout.core"
local json = require "helpscout.json"

local type, ipairs, pairs, tostring, tonumber, error, floor = type, ipairs, pairs, tostring, tonumber, error,
  math.floor
local unpack = table.unpack or unpack
local concat, sort = table.concat, table.sort

local _M = {}

-- The one error constructor: the engine's registry (doc/engine.md). Kinds used here: invalid,
-- read_only, forbidden.
_M.err = core.error
local err = _M.err

-- The allowlist as a set plus its sorted list, or nil when every mailbox is allowed.
function _M.allowlist(o)
  local m = o.mailboxes
  if m == nil then return nil end
  local set, list = {}, {}
  for _, id in ipairs(m) do
    if not set[id] then set[id] = true; list[#list + 1] = id end
  end
  sort(list)
  return { set = set, list = list }
end

local function ids_of(v)
  if type(v) == "number" then return { v } end
  if type(v) == "string" then
    local out = {}
    for d in v:gmatch("%d+") do out[#out + 1] = tonumber(d) end
    return out
  end
  return v
end

local function outside(al, id)
  return err("forbidden", ("mailbox %s is outside the allowed mailboxes (%s)"):format(
    tostring(floor(tonumber(id) or 0)), concat(al.list, ", ")), { mailbox_id = id })
end

function _M.allowed(o, id)
  local al = _M.allowlist(o)
  if not al then return true end
  if al.set[tonumber(id)] then return true end
  return nil, outside(al, id)
end

-- Narrows or refuses the mailbox of a call (flat args `a`, changed in place) before sending.
-- A `mailbox` parameter must lie inside the allowlist; when absent it becomes the allowlist (a
-- single id where the API takes one). A `mailboxId` body field must be inside it.
function _M.scope(spec, a, o)
  local al = _M.allowlist(o)
  if not al then return true end
  if a.mailboxId ~= nil and not al.set[a.mailboxId] then return nil, outside(al, a.mailboxId) end
  for _, p in ipairs(spec.params or {}) do
    if p.name == "mailbox" then
      if a.mailbox ~= nil then
        for _, id in ipairs(ids_of(a.mailbox)) do
          if not al.set[id] then return nil, outside(al, id) end
        end
      elseif p.csv or p.type == "array" then
        a.mailbox = json.array { unpack(al.list) }
      elseif #al.list == 1 then
        a.mailbox = al.list[1]
      else
        return nil, err("invalid", "pass mailbox: one of the allowed mailboxes (" .. concat(al.list, ", ") .. ")",
          { errors = { { path = "mailbox", message = "is required when several mailboxes are allowed" } } })
      end
    end
  end
  return true
end

-- One GET (no threads) to learn where a conversation lives; the caller refuses outside mailboxes.
function _M.conversation_mailbox(hs, id)
  local conv, e = hs:get_conversation(id, { embed = "" })
  if not conv then return nil, e end
  return conv.mailboxId, conv
end

-- Checks the mailbox of a conversation-addressed call (no-op without an allowlist).
function _M.check_conversation(hs, id, o)
  if not _M.allowlist(o) then return true end
  local mb, conv = _M.conversation_mailbox(hs, id)
  if not mb then return nil, conv end
  local ok, e = _M.allowed(o, mb)
  if not ok then return nil, e end
  return true, conv
end

-- The send rule (DESIGN §5 "The send rule"), as data: every way a tool call can make Help Scout
-- e-mail a customer, and how the call is made safe when sending is not both allowed by the
-- catalogue (allow_send) and asked for by the call (send = true). Nothing is refused: a reply
-- becomes a draft, a new conversation's reply threads become drafts (a draft conversation), an
-- auto-reply is turned off. An imported write e-mails nothing and is left alone.
_M.SENDS = {
  reply = { { what = "the reply", safe = "saved as a draft",
    fix = function(a, send) a.draft = not send end } },
  create_conversation = {
    { what = "its reply threads", safe = "saved as drafts",
      fix = function(a, send)
        for _, th in ipairs(type(a.threads) == "table" and a.threads or {}) do
          if type(th) == "table" and th.type == "reply" then th.draft = not send or nil end
        end
      end },
    { what = "the inbox auto-reply (autoReply, with a customer thread)", safe = "turned off",
      fix = function(a, send) if not send and a.autoReply then a.autoReply = false end end },
  },
}

-- Would this call e-mail anyone, once the rule applied (flat args a)?
function _M.emails(name, a)
  if not _M.SENDS[name] or a.imported == true then return false end
  if name == "reply" then return a.draft ~= true end
  for _, th in ipairs(type(a.threads) == "table" and a.threads or {}) do
    if type(th) == "table" and th.type == "reply" and th.draft ~= true then return true end
  end
  if a.autoReply == true then
    for _, th in ipairs(a.threads or {}) do
      if type(th) == "table" and th.type == "customer" then return true end
    end
  end
  return false
end

-- Applies the rule to the flat args of a call of tool `name` (in place; `send` is removed).
-- Returns nil for a tool that never e-mails, else {send = true when e-mail may go out, refused =
-- true when the call asked to send and the catalogue does not allow it}.
function _M.send_rule(name, a, o)
  local rules = _M.SENDS[name]
  if not rules then return nil end
  local asked = a.send == true
  local send = o.allow_send == true and asked
  a.send = nil
  if a.imported ~= true or name == "reply" then
    for _, r in ipairs(rules) do r.fix(a, send) end
  end
  return { send = send, refused = asked and not send }
end

-- The sentence a tool's description carries about e-mail, from the same rule.
function _M.send_text(name, allow_send)
  local rules = _M.SENDS[name]
  if not rules then return nil end
  local parts = {}
  for _, r in ipairs(rules) do parts[#parts + 1] = r.what .. " " .. r.safe end
  local safe = concat(parts, "; ")
  if allow_send then
    return "E-mails the customer only when send=true (this server allows sending); otherwise nothing is " ..
      "e-mailed: " .. safe .. ". imported=true never e-mails."
  end
  return "Never e-mails anyone on this server (sending is not allowed; send is ignored): " .. safe .. "."
end

-- Stand-in client for helpers that page through list tools themselves (triage.customer_summary
-- calls hs:pages): each walk goes through scope(); a customer search under several allowed
-- mailboxes walks them one after another. Like hs:pages, it raises on a refusal.
local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

local function chain(hs, name, a, mailboxes, call)
  local i, f, s, v = 0, nil, nil, nil
  return function()
    while true do
      if f then
        local items, page = f(s, v)
        v = items
        if items ~= nil then return items, page end
      end
      i = i + 1
      if i > #mailboxes then return nil end
      local q = copy(a)
      q.mailbox = mailboxes[i]
      f, s, v = hs:pages(name, q, call)
    end
  end
end

function _M.scoped_client(hs, o, specs)
  local proxy = {}
  function proxy.pages(_, name, p, call) -- call: per-call options ({fields =}), passed through
    local a = copy(p)
    local al = _M.allowlist(o)
    if name == "list_customers" and al and #al.list > 1 and a.mailbox == nil then
      return chain(hs, name, a, al.list, call)
    end
    local ok, e = _M.scope(specs[name], a, o)
    if not ok then error(e, 0) end
    return hs:pages(name, a, call)
  end
  return proxy
end

return _M
