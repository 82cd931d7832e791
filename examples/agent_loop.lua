-- A scripted agent in Lua: it lists the tools of helpscout.tools and calls them by name with JSON
-- arguments, the way a model does through bin/helpscout-mcp, feeding what one answer says into
-- the next call. Replace `plan` with your model's choices.
--   lua5.4 examples/agent_loop.lua            (HELPSCOUT_* as for the CLI; the sandbox works)
-- Safe by default: the reply at the end is saved as a draft (send is not allowed here), and the
-- catalogue below only sees mailbox ids you list in HELPSCOUT_MAILBOXES (if set).
local helpscout = require "helpscout"
local tools = require "helpscout.tools"
local json = require "helpscout.json"

local hs = helpscout.new()
local cat = tools.new { mailboxes = os.getenv("HELPSCOUT_MAILBOXES"), max_output = 16384 }

print("tools:")
for _, t in ipairs(cat:list()) do
  print(("  %-24s %s%s"):format(t.name, t.annotations.readOnlyHint and "" or "[writes] ", t.title))
end

-- One step: a tool name and its arguments as JSON text (what a model emits).
local function step(name, args_json)
  local args = assert(json.decode(args_json), "arguments must be JSON")
  print(("\n>>> %s %s"):format(name, args_json))
  local result, err = cat:call(hs, name, args)
  if not result then
    print("error: " .. tostring(err))   -- kind, message, retry_after: the model decides what next
    return nil
  end
  print(cat:render(name, result))
  return result
end

-- The plan: triage, look at the most pressing conversation, draft a reply, save it (as a draft).
local report = step("triage_inbox", '{"limit": 100, "top": 3}')
local first = report and report.attention[1]
if not first then return end
step("conversation_transcript", ('{"conversation_id": %d, "max_chars": 400}'):format(first.id))
local sug = step("suggest_replies", ('{"conversation_id": %d}'):format(first.id))
local d = sug and sug.drafts[1]
if not d then return end
local saved = step("reply", json.encode { conversation_id = d.conversation_id, text = d.text, send = true })
if saved then print(saved.draft and "\n(saved as a draft: nothing was e-mailed)" or "\n(sent)") end
