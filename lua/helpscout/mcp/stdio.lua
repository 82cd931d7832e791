-- helpscout.mcp.stdio: the MCP server over stdio (newline-delimited JSON-RPC 2.0), a framing over
-- helpscout.mcp's protocol core; bin/helpscout-mcp runs main().
--
--   local server = require("helpscout.mcp.stdio").new{ tools = {read_only = true}, client = function() return hs end }
--   os.exit(server:run())          -- until stdin closes
--
-- Input is read in chunks of up to 64 KiB (one read(2) each, core.sys.read) and cut into lines;
-- a line longer than the cap is not kept: its head and tail are, for the id of the error that
-- answers it. Nothing but JSON-RPC messages is ever written to stdout; logs go to stderr.
-- Invariants: one request runs at a time; while a tool pulls pages, the input is polled between
-- pages so a cancellation for it is seen (other lines are queued and served afterwards, and a
-- queued request that is cancelled is never started); a cancelled request gets no response.
local mcp = require "helpscout.mcp"
local config = require "helpscout.mcp.config"
local json = require "helpscout.tools.json"
local core = require "helpscout.core"

local type, tostring, pcall, setmetatable = type, tostring, pcall, setmetatable
local find, sub, format = string.find, string.sub, string.format
local remove, concat = table.remove, table.concat

local _M = {}

local CHUNK = 65536
local KEEP = 65536   -- head and tail kept of an oversized line

---------------------------------------------------------------------------------------------
-- Lines from a file descriptor

local Reader = {}
Reader.__index = Reader

function _M.reader(fd, max)
  return setmetatable({ fd = fd, max = max, buf = "", pos = 1, pending = {}, plen = 0 }, Reader)
end

function Reader:keep(s)
  if self.over then
    self.tail = sub(self.tail .. s, -KEEP)
    self.plen = self.plen + #s
    return
  end
  self.pending[#self.pending + 1] = s
  self.plen = self.plen + #s
  if self.plen > self.max then
    local all = concat(self.pending)
    self.over, self.head, self.tail, self.pending = true, sub(all, 1, KEEP), sub(all, -KEEP), {}
  end
end

-- The line made of what was kept and `last`: a string, or {head, tail, size} when too long.
function Reader:finish(last)
  local line
  if self.over then
    line = { head = self.head, tail = sub(self.tail .. last, -KEEP), size = self.plen + #last }
  elseif self.plen > 0 then
    self.pending[#self.pending + 1] = last
    line = concat(self.pending)
  else
    line = last
  end
  self.pending, self.plen, self.over, self.head, self.tail = {}, 0, nil, nil, nil
  if type(line) == "string" and #line > self.max then
    line = { head = sub(line, 1, KEEP), tail = sub(line, -KEEP), size = #line }
  end
  return line
end

-- reader:line(timeout) -> a line (string, or a table for an oversized one); nil, "timeout" when
-- no whole line arrived within timeout seconds (nil: wait); nil, "eof" at the end of input.
function Reader:line(timeout)
  while true do
    local nl = find(self.buf, "\n", self.pos, true)
    if nl then
      local piece = sub(self.buf, self.pos, nl - 1)
      self.pos = nl + 1
      return self:finish(piece)
    end
    if self.pos <= #self.buf then self:keep(sub(self.buf, self.pos)) end
    self.buf, self.pos = "", 1
    if self.eof then
      if self.plen > 0 then return self:finish("") end
      return nil, "eof"
    end
    local data, e = core.sys.read(self.fd, CHUNK, timeout)
    if data == nil then
      self.eof = true
      if e ~= "eof" then self.read_error = e end
    elseif data == "" then
      return nil, "timeout"
    else
      self.buf = data
    end
  end
end

-- Lines from a Lua file (no polling): for embedding with io.lines-like inputs.
local FileReader = {}
FileReader.__index = FileReader

function FileReader:line(timeout)
  if timeout then return nil, "timeout" end
  local l = self.file:read("*l")
  if l == nil then return nil, "eof" end
  if #l > self.max then return { head = sub(l, 1, KEEP), tail = sub(l, -KEEP), size = #l } end
  return l
end

---------------------------------------------------------------------------------------------
-- The server

local Server = {}
Server.__index = Server

-- opts: tools (helpscout.tools options), client (function -> hs | nil, err: made on first use),
-- input (a file descriptor, default 0, or a Lua file: then no polling), output, log (files;
-- default stdout, stderr), max_bytes (default mcp.MAX_BYTES)
function _M.new(opts)
  opts = opts or {}
  local max = opts.max_bytes or mcp.MAX_BYTES
  local input = opts.input or 0
  local reader = type(input) == "number" and _M.reader(input, max)
    or setmetatable({ file = input, max = max }, FileReader)
  local self = setmetatable({ debug = os.getenv("HELPSCOUT_MCP_DEBUG") ~= nil, reader = reader, max = max,
    output = opts.output or io.stdout, logf = opts.log or io.stderr, queue = {} }, Server)
  self.session = mcp.session { tools = opts.tools, catalogue = opts.catalogue, client = opts.client,
    state = opts.state, log = function(level, text) self:log("%s: %s", level, text) end }
  self.out = { notify = function(m) self:send(m) end, cancelled = function() return self:check_input() end }
  return self
end

function Server:log(fmt, ...)
  self.logf:write("helpscout-mcp: ", format(fmt, ...), "\n")
  self.logf:flush()
end

function Server:send(msg)
  if msg.jsonrpc == nil and msg[1] == nil then msg.jsonrpc = "2.0" end
  self.output:write(json.encode(msg), "\n")
  self.output:flush()
end

-- The next line: queued ones first, then the input (waiting for it).
function Server:next_line()
  if #self.queue > 0 then return remove(self.queue, 1) end
  return self.reader:line(nil)
end

local function cancel_of(line)
  if type(line) ~= "string" or not find(line, "notifications/cancelled", 1, true) then return nil end
  local m = json.decode(line)
  return type(m) == "table" and m.method == "notifications/cancelled" and type(m.params) == "table"
    and m.params.requestId or nil
end

-- A cancelled request still waiting in the queue is never started.
function Server:drop_queued(id)
  for i = #self.queue, 1, -1 do
    local l = self.queue[i]
    local m = type(l) == "string" and find(l, '"id"', 1, true) and json.decode(l)
    if type(m) == "table" and m.id == id and m.method then
      remove(self.queue, i)
      self:log("request %s cancelled before it started", tostring(id))
    end
  end
end

-- Between pages of a long pull: read what is waiting; a cancellation of the running request
-- sets the flag, anything else waits in the queue.
function Server:check_input()
  if self.cancelled then return true end
  while true do
    local line = self.reader:line(0)
    if line == nil then break end
    local cancel = cancel_of(line)
    if cancel ~= nil and cancel == self.running then
      self.cancelled = true
      self:log("request %s cancelled", tostring(self.running))
    elseif cancel ~= nil then
      self:drop_queued(cancel)
    else
      self.queue[#self.queue + 1] = line
    end
  end
  return self.cancelled or false
end

-- Serves one line (or an oversized line's head and tail).
function Server:serve(line)
  if type(line) == "table" then return self:send(mcp.too_large(line.head, line.tail, self.max)) end
  local msg, errresp = mcp.decode(line, { max_bytes = self.max })
  if not msg then
    if errresp then self:send(errresp) end
    return
  end
  if self.debug and type(msg.method) == "string" then self:log("<- %s %s", tostring(msg.id), msg.method) end
  self.running, self.cancelled = type(msg) == "table" and msg.id or nil, false
  local resp = self.session:handle(msg, self.out)
  self.running = nil
  if resp and not self.cancelled then self:send(resp) end
end

-- Serves until stdin closes; returns the exit status (0).
function Server:run()
  while true do
    local line = self:next_line()
    if line == nil then break end
    local ok, e = pcall(self.serve, self, line)
    if not ok then self:log("dropped a line: %s", tostring(e)) end
  end
  if self.reader.read_error then self:log("input: %s", self.reader.read_error) end
  self:log("stdin closed; exiting")
  return 0
end

---------------------------------------------------------------------------------------------
-- bin/helpscout-mcp

_M.USAGE = config.USAGE

function _M.main(argv)
  local c, msg = config.parse(argv or {}, os.getenv)
  if not c then
    io.stderr:write(msg and ("helpscout-mcp: " .. msg .. "\n") or "", config.USAGE)
    return msg and 2 or 0
  end
  local ok, server = pcall(_M.new, { tools = { read_only = c.read_only, allow_send = c.allow_send,
    dry_run = c.dry_run, mailboxes = c.mailboxes, max_output = c.max_output },
    client = config.client_factory(c.token_file, c.connection) })
  if not ok then
    io.stderr:write("helpscout-mcp: ", tostring(server), "\n")
    return 2
  end
  server:log("ready (read_only=%s, allow_send=%s, dry_run=%s, mailboxes=%s)", tostring(c.read_only),
    tostring(c.allow_send), tostring(c.dry_run), tostring(c.mailboxes or "all"))
  return server:run()
end

return _M
