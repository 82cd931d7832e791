-- "Tag every new or changed billing conversation, once" (doc/changes.md).
--   lua5.4 examples/tag_billing.lua [store path [since]]   (run from cron, or in a loop)
-- Needs HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET (and HELPSCOUT_BASE_URL for the sandbox).
-- The cursor lives in the store (default ./tag_billing.json): a second run sees only what changed
-- since, a crash resumes at the conversation in flight, and two copies never tag the same one twice.
-- The first run starts now (or at `since`, e.g. 2024-01-01T00:00:00Z, for a backfill).
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

local hs = helpscout.new{ store = helpscout.store.file(arg and arg[1] or "tag_billing.json") }

local function has_tag(conv, name)
  for _, t in ipairs(conv.tags or {}) do if t.tag == name then return true end end
  return false
end

local seen, tagged = 0, 0
local ok, err = pcall(function()
  for conv in hs:changes{ name = "billing-tagger", status = "active", since = arg and arg[2] } do
    seen = seen + 1
    if triage.group_by_topic({ conv })[1].topic == "billing" and not has_tag(conv, "billing") then
      local tags = { "billing" }
      for _, t in ipairs(conv.tags or {}) do tags[#tags + 1] = t.tag end
      assert(hs:update_tags(conv.id, tags)) -- raising here: this conversation comes again next run
      tagged = tagged + 1
    end
  end
end)
if not ok then
  if type(err) == "table" and err.kind == "busy" then
    print("another copy is running; nothing to do")
    os.exit(0)
  end
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(("%d changed conversations, %d tagged billing"):format(seen, tagged))
