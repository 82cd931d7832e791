-- Hand-written Help Scout objects shaped like helpscout-api.md §7.2/§8.2/§8.3 (threads in
-- conv._embedded.threads, newest first as the API returns them; tags are {tag=...}).
local M = {}

local seq = 5000
local function tid() seq = seq + 1; return seq end

M.customer = { id = 99120033, type = "customer", first = "Pat", last = "Lee", email = "pat@customer.test" }
M.agent = { id = 7701, type = "user", first = "Dana", last = "Ito", email = "dana@example.com" }

function M.thread(kind, body, at, extra)
  local t = {
    id = tid(), type = kind, status = "nochange", state = "published", body = body,
    createdAt = at, source = { type = "email", via = kind == "customer" and "customer" or "user" },
    _embedded = { attachments = {} },
  }
  if kind == "customer" then
    t.createdBy = { id = M.customer.id, type = "customer", first = "Pat", last = "Lee", email = M.customer.email }
    t.customer = { id = M.customer.id, first = "Pat", last = "Lee", email = M.customer.email }
  else
    t.createdBy = { id = M.agent.id, type = "user", first = "Dana", last = "Ito", email = M.agent.email }
  end
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

-- threads given oldest first; stored newest first like the API
function M.conv(fields, threads)
  local c = {
    id = 2407781234, number = 51872, threads = #(threads or {}), type = "email", folderId = 1300021,
    status = "active", state = "published", subject = "Question", preview = "…", mailboxId = 4821,
    createdBy = { id = M.customer.id, type = "customer", email = M.customer.email },
    createdAt = "2024-05-02T09:12:44Z", userUpdatedAt = "2024-05-02T09:12:44Z",
    source = { type = "email", via = "customer" }, tags = {}, cc = {}, bcc = {},
    primaryCustomer = M.customer, customFields = {},
    _embedded = { threads = {} },
  }
  for k, v in pairs(fields or {}) do c[k] = v end
  local th = threads or {}
  for i = #th, 1, -1 do c._embedded.threads[#c._embedded.threads + 1] = th[i] end
  return c
end

return M
