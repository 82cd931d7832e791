-- "Find a customer by email and summarize their recent conversations."
--   lua5.4 examples/customer_summary.lua EMAIL
local helpscout = require "helpscout"
local triage = require "helpscout.triage"

local email = arg and arg[1]
if not email then
  io.stderr:write("usage: customer_summary.lua EMAIL\n")
  os.exit(2)
end

local hs = helpscout.new()
local s, err = triage.customer_summary(hs, email, { limit = 20 })
if not s then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

print(("%s <%s> (customer %d)"):format(s.customer.name, s.email, s.customer.id))
print(s.text)
print()
for _, c in ipairs(s.conversations) do
  print(("  #%-6s %-8s %-16s %s  %s"):format(tostring(c.number), c.status, c.topic, c.last_contact or "-", c.subject))
end
