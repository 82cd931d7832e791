-- `make demo-connector`: examples/connector.conf in a real nginx (on 127.0.0.1:8091 when free)
-- against the offline sandbox with two accounts, then examples/connector_demo.mjs walks the
-- official MCP SDK client through the whole flow, narrating each step. Run from the checkout root
-- (the Makefile sets the paths).
local support = require "connector.support"
local socket = require "socket"

local function free(port)
  local s = socket.bind("127.0.0.1", port)
  if not s then return false end
  s:close()
  return true
end

local env = support.start{ port = free(8091) and 8091 or nil, sandbox = { seed = 42, accounts = 2 } }
io.write(("connector %s (examples/connector.conf), sandbox %s\n"):format(env.url, env.sb.url))
io.flush()
local ok = os.execute(("CONNECTOR_URL=%s SANDBOX_URL=%s node examples/connector_demo.mjs"):format(env.url, env.sb.url))
env:stop()
os.exit((ok == true or ok == 0) and 0 or 1)
