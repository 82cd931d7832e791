-- "List active Help Scout conversations, group them by topic, and suggest which need attention
-- first."   lua5.4 examples/triage_active.lua [limit]
-- Needs HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET (and HELPSCOUT_BASE_URL for the sandbox).
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

local limit = tonumber(arg and arg[1]) or 10
local hs = helpscout.new()

local convs, err = hs:fetch_all("list_conversations", { status = "active", embed = "threads" }, { concurrency = 4 })
if not convs then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local groups = triage.group_by_topic(convs)
local ranked = triage.rank(convs, { limit = limit })

print(("%d active conversations\n"):format(#convs))
print("Needs attention first:")
for i, r in ipairs(ranked) do
  local c = r.conversation
  print(("%2d. [%3d %-6s] #%s %s\n      %s"):format(i, r.score, r.level, tostring(c.number),
    c.subject or "", table.concat(r.reasons, "; ")))
end

print("\nBy topic:")
for _, g in ipairs(groups) do
  print(("  %-40s %4d   %s"):format(g.label, g.count, table.concat(g.keywords, ", ")))
end
