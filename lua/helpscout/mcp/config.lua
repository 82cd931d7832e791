-- helpscout.mcp.config: bin/helpscout-mcp's configuration from HELPSCOUT_* variables and flags
-- (flags win), and its Help Scout client.
--
--   local c, msg = config.parse(argv, os.getenv)   -- nil, message on a bad flag or variable
--   config.switch(value, name) -> true | false | nil (unset); nil, message when not a clear yes/no
--
-- Switches fail closed: only a clear yes/no (1/0, true/false, yes/no, on/off, any case) is
-- accepted; anything else is a startup error naming the variable, so "off" never enables.
local json = require "helpscout.tools.json"

local type, tonumber, pairs = type, tonumber, pairs

local _M = {}

_M.USAGE = [[
usage: helpscout-mcp [--read-only] [--allow-send] [--mailboxes ID,ID] [--max-output BYTES]
                     [--dry-run] [--token-file PATH] [--connection ID]
An MCP server on stdin/stdout for the Help Scout Mailbox API (see doc/agents.md).
  --read-only         hide and refuse every write tool        (HELPSCOUT_READ_ONLY=yes)
  --allow-send        let a call that passes send=true e-mail a customer (a reply, a new
                      conversation's reply thread, an auto-reply); otherwise nothing is
                      e-mailed: replies are drafts              (HELPSCOUT_ALLOW_SEND=yes)
  --mailboxes LIST    only these mailbox ids, for reads and writes (HELPSCOUT_MAILBOXES)
  --max-output BYTES  size cap of one tool answer, default 16384 (HELPSCOUT_MAX_OUTPUT)
  --dry-run           writes describe their request and send nothing; reads work
                                                              (HELPSCOUT_DRY_RUN=yes)
  --token-file PATH   token saved by `helpscout auth login`   (HELPSCOUT_TOKEN_FILE; default
                      $XDG_CONFIG_HOME/helpscout/token.json)
  --connection ID     the connection of the token file to act as (`helpscout auth login
                      --connection ID`; default "default")     (HELPSCOUT_CONNECTION)
Switches take 1/0, true/false, yes/no, on/off (any case); any other value is refused.
Credentials otherwise: HELPSCOUT_CLIENT_ID, HELPSCOUT_CLIENT_SECRET; API root: HELPSCOUT_BASE_URL.
]]

local YES = { ["1"] = true, ["true"] = true, yes = true, on = true }
local NO = { ["0"] = false, ["false"] = false, no = false, off = false }

-- A switch's value: true, false, nil when unset or empty; nil, message when not a clear yes/no.
function _M.switch(value, name)
  if value == nil or value == "" then return nil end
  local v = value:lower():match("^%s*(.-)%s*$")
  if YES[v] then return true end
  if NO[v] == false then return false end
  return nil, ("%s must be one of 1/0, true/false, yes/no, on/off (got %q)"):format(name, value:sub(1, 40))
end

local SWITCHES = { read_only = "HELPSCOUT_READ_ONLY", allow_send = "HELPSCOUT_ALLOW_SEND",
  dry_run = "HELPSCOUT_DRY_RUN" }
local VALUES = { mailboxes = "HELPSCOUT_MAILBOXES", max_output = "HELPSCOUT_MAX_OUTPUT",
  token_file = "HELPSCOUT_TOKEN_FILE", connection = "HELPSCOUT_CONNECTION" }
local FLAGS = { ["--read-only"] = "read_only", ["--allow-send"] = "allow_send", ["--dry-run"] = "dry_run" }
local VALUED = { ["--mailboxes"] = "mailboxes", ["--max-output"] = "max_output", ["--token-file"] = "token_file",
  ["--connection"] = "connection" }

local function from_env(getenv)
  local c = {}
  for key, var in pairs(SWITCHES) do
    local v, msg = _M.switch(getenv(var), var)
    if msg then return nil, msg end
    c[key] = v or false
  end
  for key, var in pairs(VALUES) do
    local v = getenv(var)
    if v ~= nil and v ~= "" then c[key] = v end
  end
  return c
end

-- argv, getenv -> config {read_only, allow_send, dry_run, mailboxes, max_output, token_file,
-- connection}, or
-- nil, message (nil, nil for --help)
function _M.parse(argv, getenv)
  local c, msg = from_env(getenv or os.getenv)
  if not c then return nil, msg end
  local i = 1
  while argv[i] do
    local a = argv[i]
    local name, value = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if FLAGS[name] and not value then c[FLAGS[name]] = true
    elseif VALUED[name] then
      if not value then i = i + 1; value = argv[i] end
      if value == nil then return nil, name .. " needs a value" end
      c[VALUED[name]] = value
    elseif a == "--help" or a == "-h" then return nil, nil
    else return nil, "unknown argument " .. a end
    i = i + 1
  end
  if c.connection ~= nil then
    local why = require("helpscout.store.common").id_problem(c.connection)
    if why then return nil, "--connection (HELPSCOUT_CONNECTION): " .. why end
  end
  if c.max_output ~= nil then
    c.max_output = tonumber(c.max_output)
    if not c.max_output or c.max_output < 2048 or c.max_output % 1 ~= 0 then
      return nil, "--max-output (HELPSCOUT_MAX_OUTPUT) needs a whole number of bytes >= 2048"
    end
  end
  return c
end

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

local function default_token_file()
  local base = env("XDG_CONFIG_HOME") or (env("HOME") and env("HOME") .. "/.config")
  return base and (base .. "/helpscout/token.json") or nil
end

-- The longest wait (rate limit, retries) one tool call sleeps through: well under a client's usual
-- request timeout (60 s in the MCP SDKs); a longer one is answered at once as kind rate_limited
-- with retry_after (the engine's option max_wait).
_M.MAX_WAIT = 20

-- The client: the token file of `helpscout auth login` when present (through the file store, which
-- persists rotated refresh tokens; without that store only its access token is used, never its
-- refresh token), else the HELPSCOUT_* client credentials. A named connection always acts through
-- the token file's store: without a login it answers "not connected", never the app's credentials.
function _M.client_factory(token_file, connection)
  return function()
    local helpscout = require "helpscout"
    local path = token_file or default_token_file()
    if connection and connection ~= "default" then
      if not path then return nil, require("helpscout.core").error("auth", "no token file for the connection") end
      return helpscout.new { store = helpscout.store.file(path), connection = connection, max_wait = _M.MAX_WAIT }
    end
    local f = path and io.open(path, "r")
    if f then
      local text = f:read("*a")
      f:close()
      if type(helpscout.store) == "table" and helpscout.store.file then
        return helpscout.new { store = helpscout.store.file(path), max_wait = _M.MAX_WAIT }
      end
      local t = json.decode(text)
      if type(t) == "table" and type(t.access_token) == "string" then
        return helpscout.new { access_token = t.access_token, expires_at = tonumber(t.expires_at),
          max_wait = _M.MAX_WAIT }
      end
    end
    return helpscout.new { max_wait = _M.MAX_WAIT }
  end
end

return _M
