-- The sandbox's outbox: every e-mail Help Scout would have sent to a customer for the API's
-- writes, so a test can assert what was (or was not) e-mailed. The rule, in one place (Help Scout
-- semantics; doc/sandbox.md "Outbox"):
--   * a reply (POST /v2/conversations/{id}/reply) that is neither draft nor imported: why "reply";
--   * a created conversation (POST /v2/conversations) that is not imported: each of its `reply`
--     threads that is not a draft, why "new_conversation";
--   * the same with autoReply = true and a `customer` thread: one auto-reply to the customer of
--     its oldest customer thread, why "auto_reply".
-- Notes, customer, chat and phone threads are never e-mailed. Bounded (oldest dropped).
local json = require "helpscout.sandbox.json"
local data = require "helpscout.sandbox.data"

local ipairs, remove = ipairs, table.remove

local _M = {}

local LIMIT = 10000

local function copy(list)
  local out = json.array()
  for i, v in ipairs(list or {}) do out[i] = v end
  return out
end

-- Records one e-mail of thread th (its to/cc/bcc) of conversation conv, sent for reason why.
local function add(S, conv, th, why, to)
  local box = S.outbox
  if #box >= LIMIT then remove(box, 1) end
  box[#box + 1] = { to = to or (th.to and th.to[1]), cc = copy(th.cc), bcc = copy(th.bcc),
    conversation_id = conv.id, thread_id = th.id, why = why, at = data.iso(S:now()), account = S.account or 1 }
end

-- A reply thread th was added to conv (v: its checked body).
function _M.reply(S, conv, th, v)
  if th.state == "draft" or v.imported == true then return end
  add(S, conv, th, "reply")
end

-- Conversation conv was created from the checked body (body: its source object).
function _M.created(S, conv, body)
  if body.imported == true then return end
  local first_customer
  for _, th in ipairs(conv.threads) do -- oldest first
    if th.type == "message" and th.state ~= "draft" then add(S, conv, th, "new_conversation") end
    if th.type == "customer" and not first_customer then first_customer = th end
  end
  if body.autoReply == true and first_customer then
    local cust = S.store.customer_by_id[first_customer.customer_id]
    local email = cust and cust.emails[1] and cust.emails[1].value
    if email then add(S, conv, { id = first_customer.id }, "auto_reply", email) end
  end
end

-- GET /_sandbox/outbox
function _M.list(S)
  local out = json.array()
  for i, e in ipairs(S.outbox) do out[i] = e end
  return { emails = out }
end

return _M
