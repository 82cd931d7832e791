-- "List active Help Scout conversations, group them by topic, and suggest which need attention
-- first."   lua5.4 examples/triage_active.lua [limit]
-- Needs HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET (and HELPSCOUT_BASE_URL for the sandbox).
-- The report is triage.report's, the same data `helpscout triage --json` prints and the agent
-- tools return; this script only renders it.
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

local limit = tonumber(arg and arg[1]) or 10
local hs = helpscout.new()

local convs, err = hs:fetch_all("list_conversations", { status = "active", embed = "threads" },
  { concurrency = 4, fields = triage.FIELDS }) -- decode only what triage reads
if not convs then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local report = triage.report(convs, { limit = limit })

print(("%d active conversations\n"):format(report.total))
print("Needs attention first:")
for i, a in ipairs(report.attention) do
  print(("%2d. [%3d %-6s] #%s %s\n      %s"):format(i, a.score, a.level, tostring(a.number),
    a.subject, table.concat(a.reasons, "; ")))
end

print("\nBy topic:")
for _, g in ipairs(report.groups) do
  print(("  %-40s %4d   %s"):format(g.label, g.count, table.concat(g.keywords, ", ")))
end
