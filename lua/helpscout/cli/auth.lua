-- helpscout.cli.auth: the client every command uses, and (later) the auth commands.
local _M = {}

-- The client for a command: credentials from HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET.
function _M.client(ctx)
  local helpscout = require "helpscout"
  local id, secret = os.getenv("HELPSCOUT_CLIENT_ID"), os.getenv("HELPSCOUT_CLIENT_SECRET")
  if not id or id == "" or not secret or secret == "" then
    ctx.fail("missing credentials: set HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET")
  end
  local ok, hs = pcall(helpscout.new, { base_url = ctx.opts["base-url"] })
  if not ok then ctx.fail(hs) end
  return hs
end

return _M
