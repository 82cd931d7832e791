-- helpscout.mcp: a Model Context Protocol server over stdio (newline-delimited JSON-RPC 2.0)
-- exposing helpscout.tools. Protocol 2025-11-25; 2025-06-18 and 2025-03-26 are negotiated too.
--
--   local mcp = require "helpscout.mcp"
--   local server = mcp.new{ tools = {read_only = true, mailboxes = {4821}}, client = function() return hs end }
--   os.exit(server:run())          -- until stdin closes
--
-- Methods: initialize, ping, tools/list, tools/call; notifications/initialized and
-- notifications/cancelled. A tool failure is a result with isError = true and the structured
-- error; protocol faults (malformed JSON, unknown method or tool, bad params, an oversized line)
-- are JSON-RPC errors. Nothing but JSON-RPC messages is ever written to stdout; logs go to stderr.
-- Invariants: one request runs at a time; while a tool pulls pages, stdin is polled between pages
-- so a cancellation for it is seen (other lines are queued and served afterwards); a cancelled
-- request gets no response.
local json = require "helpscout.tools.json"
local tools = require "helpscout.tools"
local core = require "helpscout.core"

local type, tostring, tonumber, pcall, setmetatable, ipairs = type, tostring, tonumber, pcall, setmetatable, ipairs
local remove, format, floor = table.remove, string.format, math.floor

local _M = {
  PROTOCOL = "2025-11-25",
  PROTOCOLS = { ["2025-11-25"] = true, ["2025-06-18"] = true, ["2025-03-26"] = true },
  MAX_LINE = 1024 * 1024,   -- a request line longer than this is refused (-32600)
}

local PARSE, INVALID, NO_METHOD, BAD_PARAMS = -32700, -32600, -32601, -32602

local INSTRUCTIONS = "Help Scout tools. Lists return slim objects (pass detail=true for full ones); a cut " ..
  "answer carries a continuation to pass back. reply saves a draft unless sending is allowed and send=true. " ..
  "Start with triage_inbox for what needs attention."

local Server = {}
Server.__index = Server

-- opts: tools (helpscout.tools options), client (function -> hs | nil, err: made on first use),
-- input, output, log (files; default stdin, stdout, stderr), poll (function -> true when input
-- is waiting, or nil: no polling)
function _M.new(opts)
  opts = opts or {}
  local self = setmetatable({ debug = os.getenv("HELPSCOUT_MCP_DEBUG") ~= nil, cat = tools.new(opts.tools),
    make_client = opts.client, input = opts.input or io.stdin, output = opts.output or io.stdout,
    logf = opts.log or io.stderr, poll = opts.poll, queue = {} }, Server)
  return self
end

function Server:log(fmt, ...)
  self.logf:write("helpscout-mcp: ", format(fmt, ...), "\n")
  self.logf:flush()
end

function Server:send(msg)
  msg.jsonrpc = "2.0"
  self.output:write(json.encode(msg), "\n")
  self.output:flush()
end

function Server:reply(id, result) self:send { id = id, result = result } end

function Server:fail(id, code, message)
  self:send { id = id == nil and json.null or id, error = { code = code, message = message } }
end

---------------------------------------------------------------------------------------------
-- Input: queued lines first, then stdin.

function Server:read_line()
  if #self.queue > 0 then return remove(self.queue, 1) end
  if self.eof then return nil end
  local line = self.input:read("*l")
  if line == nil then self.eof = true end
  return line
end

-- A cancelled request still waiting in the queue is never started.
function Server:drop_queued(id)
  for i = #self.queue, 1, -1 do
    local m = json.decode(self.queue[i])
    if type(m) == "table" and m.id == id then
      remove(self.queue, i)
      self:log("request %s cancelled before it started", tostring(id))
    end
  end
end

-- Between pages of a long pull: read what is waiting; a cancellation of the running request
-- sets the flag, anything else waits in the queue.
function Server:check_input()
  while self.poll and not self.eof and self.poll() do
    local line = self.input:read("*l")
    if line == nil then self.eof = true; break end
    local msg = json.decode(line)
    local cancel = type(msg) == "table" and msg.method == "notifications/cancelled" and type(msg.params) == "table"
      and msg.params.requestId
    if cancel ~= nil and cancel == self.running then
      self.cancelled = true
      self:log("request %s cancelled", tostring(self.running))
    elseif cancel then
      self:drop_queued(cancel)
    else
      self.queue[#self.queue + 1] = line
    end
  end
  return self.cancelled
end

---------------------------------------------------------------------------------------------
-- Methods

local M = {}

function M.initialize(self, params)
  local want = type(params) == "table" and params.protocolVersion
  self.protocol = _M.PROTOCOLS[want] and want or _M.PROTOCOL
  return { protocolVersion = self.protocol, capabilities = { tools = { listChanged = false } },
    serverInfo = { name = "helpscout-mcp", title = "Help Scout", version = tostring(core.VERSION) },
    instructions = INSTRUCTIONS }
end

function M.ping() return {} end

function M.tools_list(self) return { tools = self.cat:list() } end

function Server:client()
  if self.hs then return self.hs end
  if not self.make_client then return nil end
  local ok, hs, e = pcall(self.make_client)
  if not ok then return nil, tostring(hs) end
  self.hs = hs
  return hs, e
end

local function error_text(e)
  local s = "error: " .. tostring(e.kind) .. ": " .. tostring(e.message)
  if e.retry_after then s = s .. format(" (retry after %s s)", tostring(e.retry_after)) end
  for _, f in ipairs(e.errors or {}) do s = s .. "\n  " .. tostring(f.path or "") .. ": " .. tostring(f.message) end
  return s
end

local function progress_fn(self, token)
  if token == nil then return nil end
  local last = -1
  return function(done, total, message)
    if done <= last then return end
    last = done
    self:send { method = "notifications/progress", params = { progressToken = token, progress = done,
      total = total, message = message } }
  end
end

function M.tools_call(self, params, id)
  if type(params) ~= "table" or type(params.name) ~= "string" then
    return nil, BAD_PARAMS, "tools/call needs params.name"
  end
  local entry = self.cat.by_name[params.name]
  if not entry then return nil, BAD_PARAMS, "unknown tool: " .. params.name end
  local args = params.arguments
  if args == json.null then args = nil end
  local meta = type(params._meta) == "table" and params._meta or {}
  local hs, cerr = self:client()
  if cerr then self:log("client: %s", cerr) end
  self.running, self.cancelled = id, false
  local result, e = self.cat:call(hs, params.name, args, { progress = progress_fn(self, meta.progressToken),
    cancelled = function() return self:check_input() end })
  self.running = nil
  if self.cancelled then return nil end
  if result then
    return { content = json.array { { type = "text", text = self.cat:render(params.name, result) } },
      structuredContent = result, isError = false }
  end
  local se = tools.error_result(e)
  self:log("%s failed: %s", params.name, tostring(e))
  return { content = json.array { { type = "text", text = error_text(se.error) } }, structuredContent = se,
    isError = true }
end

local METHODS = { initialize = M.initialize, ping = M.ping, ["tools/list"] = M.tools_list,
  ["tools/call"] = M.tools_call }

---------------------------------------------------------------------------------------------
-- One line

local function valid_id(id)
  return type(id) == "string" or (type(id) == "number" and id == floor(id))
end

function Server:notification(msg)
  -- initialized, cancelled (of nothing running), roots/list_changed...: nothing to answer
  if msg.method == "notifications/initialized" then self.initialized = true end
end

function Server:handle(line)
  if line:match("^%s*$") then return end
  local msg = json.decode(line)
  if #line > _M.MAX_LINE then
    local id = type(msg) == "table" and valid_id(msg.id) and msg.id or nil
    return self:fail(id, INVALID, format("request too large: a line longer than %d bytes", _M.MAX_LINE))
  end
  if msg == nil then return self:fail(nil, PARSE, "parse error: not JSON") end
  if type(msg) ~= "table" or msg[1] ~= nil or msg.jsonrpc ~= "2.0" or type(msg.method) ~= "string" then
    if type(msg) == "table" and msg.method == nil and (msg.result ~= nil or msg.error ~= nil) then return end
    local id = type(msg) == "table" and valid_id(msg.id) and msg.id or nil
    return self:fail(id, INVALID, "invalid request: a JSON-RPC 2.0 object with a method expected")
  end
  if msg.id == nil then return self:notification(msg) end
  if not valid_id(msg.id) then return self:fail(nil, INVALID, "invalid request id") end
  if self.debug then self:log("<- %s %s", tostring(msg.id), msg.method) end
  local fn = METHODS[msg.method]
  if not fn then return self:fail(msg.id, NO_METHOD, "method not found: " .. msg.method) end
  local ok, result, code, message = pcall(fn, self, msg.params, msg.id)
  if not ok then
    self:log("internal error in %s: %s", msg.method, tostring(result))
    return self:fail(msg.id, -32603, "internal error")
  end
  if result == nil and code == nil then return end  -- cancelled: no response
  if result == nil then return self:fail(msg.id, code, message) end
  self:reply(msg.id, result)
end

-- Serves until stdin closes; returns the exit status (0).
function Server:run()
  while true do
    local line = self:read_line()
    if line == nil then break end
    local ok, e = pcall(self.handle, self, line)
    if not ok then self:log("dropped a line: %s", tostring(e)) end
  end
  self:log("stdin closed; exiting")
  return 0
end

---------------------------------------------------------------------------------------------
-- stdin polling with LuaSocket's select (optional): stdin is made unbuffered so that what select
-- reports is all there is (a buffered line would hide behind a quiet descriptor).

function _M.stdin_poller()
  local ok, socket = pcall(require, "socket")
  if not ok or not socket.select then return nil end
  io.stdin:setvbuf("no")
  local fd0 = { getfd = function() return 0 end, dirty = function() return false end }
  return function()
    local r = socket.select({ fd0 }, nil, 0)
    return r and #r > 0
  end
end

---------------------------------------------------------------------------------------------
-- bin/helpscout-mcp: configuration from HELPSCOUT_* and flags (flags win)

_M.USAGE = [[
usage: helpscout-mcp [--read-only] [--allow-send] [--mailboxes ID,ID] [--max-output BYTES]
                     [--dry-run] [--token-file PATH]
An MCP server on stdin/stdout for the Help Scout Mailbox API (see doc/agents.md).
  --read-only         hide and refuse every write tool        (HELPSCOUT_READ_ONLY=1)
  --allow-send        let reply e-mail when a call passes send=true; otherwise replies are
                      drafts                                  (HELPSCOUT_ALLOW_SEND=1)
  --mailboxes LIST    only these mailbox ids, for reads and writes (HELPSCOUT_MAILBOXES)
  --max-output BYTES  size cap of one tool answer, default 16384 (HELPSCOUT_MAX_OUTPUT)
  --dry-run           describe requests, send nothing         (HELPSCOUT_DRY_RUN=1)
  --token-file PATH   token saved by `helpscout auth login`   (HELPSCOUT_TOKEN_FILE; default
                      $XDG_CONFIG_HOME/helpscout/token.json)
Credentials otherwise: HELPSCOUT_CLIENT_ID, HELPSCOUT_CLIENT_SECRET; API root: HELPSCOUT_BASE_URL.
]]

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

local function truthy(v) return v ~= nil and v ~= "0" and v:lower() ~= "false" and v:lower() ~= "no" end

local FLAGS = { ["--read-only"] = "read_only", ["--allow-send"] = "allow_send", ["--dry-run"] = "dry_run" }
local VALUED = { ["--mailboxes"] = "mailboxes", ["--max-output"] = "max_output", ["--token-file"] = "token_file" }

-- argv -> config {read_only, allow_send, dry_run, mailboxes, max_output, token_file} or nil, message
function _M.config(argv)
  local c = { read_only = truthy(env("HELPSCOUT_READ_ONLY")), allow_send = truthy(env("HELPSCOUT_ALLOW_SEND")),
    dry_run = truthy(env("HELPSCOUT_DRY_RUN")), mailboxes = env("HELPSCOUT_MAILBOXES"),
    max_output = env("HELPSCOUT_MAX_OUTPUT"), token_file = env("HELPSCOUT_TOKEN_FILE") }
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
  if c.max_output ~= nil then
    c.max_output = tonumber(c.max_output)
    if not c.max_output or c.max_output < 2048 then return nil, "--max-output needs a number of bytes >= 2048" end
  end
  return c
end

local function default_token_file()
  local base = env("XDG_CONFIG_HOME") or (env("HOME") and env("HOME") .. "/.config")
  return base and (base .. "/helpscout/token.json") or nil
end

-- The client: the token file of `helpscout auth login` when present (through the file store, which
-- persists rotated refresh tokens; without that store only its access token is used, never its
-- refresh token), else the HELPSCOUT_* client credentials.
function _M.client_factory(token_file)
  return function()
    local helpscout = require "helpscout"
    local path = token_file or default_token_file()
    local f = path and io.open(path, "r")
    if f then
      local text = f:read("*a")
      f:close()
      if type(helpscout.store) == "table" and helpscout.store.file then
        return helpscout.new { store = helpscout.store.file(path) }
      end
      local t = json.decode(text)
      if type(t) == "table" and type(t.access_token) == "string" then
        return helpscout.new { access_token = t.access_token, expires_at = tonumber(t.expires_at) }
      end
    end
    return helpscout.new {}
  end
end

function _M.main(argv)
  local c, msg = _M.config(argv or {})
  if not c then
    io.stderr:write(msg and ("helpscout-mcp: " .. msg .. "\n") or "", _M.USAGE)
    return msg and 2 or 0
  end
  local ok, server = pcall(_M.new, { tools = { read_only = c.read_only or nil, allow_send = c.allow_send or nil,
    dry_run = c.dry_run or nil, mailboxes = c.mailboxes, max_output = c.max_output },
    client = _M.client_factory(c.token_file), poll = _M.stdin_poller() })
  if not ok then
    io.stderr:write("helpscout-mcp: ", tostring(server), "\n")
    return 2
  end
  server:log("ready (read_only=%s, allow_send=%s, mailboxes=%s)", tostring(c.read_only), tostring(c.allow_send),
    tostring(c.mailboxes or "all"))
  return server:run()
end

return _M
