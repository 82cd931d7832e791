-- helpscout.triage.fields: the members of API objects triage reads, as field projections for
-- the client's per-call option `fields` (README "Per-call options"). A caller fetching data only
-- for triage asks for these and the decoder skips everything else (cc, bcc, source, custom
-- fields, _links of threads, ...):
--   hs:fetch_all("list_conversations", { status = "active", embed = "threads" },
--                { concurrency = 4, fields = triage.FIELDS })
--   conversation   a conversation with its threads embedded: what group_by_topic, priority and
--                  rank, transcript and messages, draft_reply, report and customer_summary read
--   customer       a customer of list_customers: what customer_summary reads
-- One list per object, so that every reader's needs are decided here: a module that starts
-- reading another member adds it here (spec/triage_fields_spec.lua compares every output on
-- projected and full data; a member read but not listed shows up there as a difference).
local ipairs = ipairs

local _M = {}

-- A person (customer, user, thread author): person_name, first_name, the names topics skip.
local PERSON = { "first", "firstName", "last", "lastName", "email" }

local function with(list, prefix, members)
  for _, m in ipairs(members) do list[#list + 1] = prefix .. "." .. m end
  return list
end

local conversation = {
  "id", "number", "subject", "status", "preview", "mailboxId",
  "threads", "threadCount",                              -- priority: long conversations
  "createdAt", "updatedAt", "userUpdatedAt",             -- waits, last contact, activity
  "customerWaitingSince.time", "customerWaitingSince.latestReplyFrom",
  "tags",                                                -- objects {tag=} or {name=}, or strings
  "primaryCustomer.id", "assignee.id", "createdBy.type",
  -- threads: who wrote what, when (priority, topics, transcript, drafts)
  "_embedded.threads.id", "_embedded.threads.type", "_embedded.threads.state",
  "_embedded.threads.body", "_embedded.threads.createdAt", "_embedded.threads.action.text",
  "_embedded.threads.createdBy.id", "_embedded.threads.createdBy.type", "_embedded.threads.customer.id",
  "_embedded.threads._embedded.attachments.filename", "_embedded.threads._embedded.attachments.fileName",
}
for _, who in ipairs { "primaryCustomer", "assignee", "createdBy", "_embedded.threads.createdBy",
  "_embedded.threads.customer" } do
  with(conversation, who, PERSON)
end
_M.conversation = conversation

-- customer_summary: the e-mails it matches, the record's name and details
local customer = { "id", "organization", "jobTitle", "location", "createdAt", "_embedded.emails.value" }
for _, m in ipairs(PERSON) do customer[#customer + 1] = m end
_M.customer = customer

return _M
