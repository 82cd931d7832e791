-- "Read the latest open conversations and draft suggested replies for each."
--   lua5.4 examples/draft_replies.lua [count] [--save]
-- Prints the drafts; with --save they are stored as draft threads (reply{draft=true}), never sent.
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

local count, save = 5, false
for _, a in ipairs(arg or {}) do
  if a == "--save" then save = true else count = tonumber(a) or count end
end

local hs = helpscout.new()
local convs, err = hs:list_conversations { status = "active", embed = "threads", sortField = "createdAt",
  sortOrder = "desc" }
if not convs then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

for i = 1, math.min(count, #convs) do
  local conv = convs[i]
  local text, meta = triage.draft_reply(conv)
  print(("=== #%s %s (%s)"):format(tostring(conv.number), conv.subject or "", meta.topic or "general"))
  print(text)
  if save and meta.customer then
    local id, e = hs:reply(conv.id, { customer = meta.customer, text = meta.html, draft = true })
    if not id then
      io.stderr:write(tostring(e), "\n")
      os.exit(1)
    end
    print(("[saved as draft thread %d]"):format(id))
  end
  print()
end
