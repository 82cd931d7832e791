-- helpscout.mcp: the Model Context Protocol core (JSON-RPC 2.0 messages in, responses out),
-- transport-agnostic, exposing helpscout.tools. Dual-era: the initialize-based revisions
-- 2025-11-25 (2025-06-18 and 2025-03-26 negotiated too) and the stateless revision 2026-07-28.
-- The stdio server (bin/helpscout-mcp) is helpscout.mcp.stdio, a framing over this core; the
-- HTTP connector is another.
--
--   local mcp = require "helpscout.mcp"
--   local msg, errresp = mcp.decode(text, { max_bytes = 1048576 })  -- size cap before decoding
--   local s = mcp.session{ tools = {read_only = true}, client = function() return hs end,
--                          state = {}, log = function(level, text) end }
--   local resp = s:handle(msg, { notify = function(m) end, cancelled = function() return false end })
--   mcp.new(opts):run()   -- the stdio server (helpscout.mcp.stdio.new)
--
-- Legacy methods: initialize, ping, tools/list, tools/call, logging/setLevel;
-- notifications/initialized and notifications/cancelled. Lifecycle: before initialize only ping
-- is answered. A request whose params._meta names io.modelcontextprotocol/protocolVersion is a
-- 2026-07-28 ("modern") request (initialize never is: it selects the legacy era): it is served on
-- its own, whatever the session's state — server/discover, tools/list, tools/call (results carry
-- resultType, the serverInfo in _meta, and list/discover results ttlMs and cacheScope); an
-- unsupported version is -32022 with data.supported, a missing clientCapabilities -32602;
-- io.modelcontextprotocol/logLevel in _meta opts that one request into notifications/message.
-- mcp.modern(msg) tells a framing which era a message belongs to.
-- A tool failure is a result with isError = true and the structured error; protocol faults
-- (malformed JSON, unknown method or tool, bad params, an oversized message, a batch where the
-- negotiated version has none) are JSON-RPC errors, carrying the request's id whenever it can be
-- recovered from the raw text. `state` is a plain table (initialized, protocol, client, log_level)
-- the caller may keep between messages; the session itself keeps only the catalogue and the Help
-- Scout client.
local json = require "helpscout.json"
local tools = require "helpscout.tools"
local core = require "helpscout.core"

local type, tostring, tonumber, pcall, setmetatable, ipairs, getmetatable, next, error = type, tostring,
  tonumber, pcall, setmetatable, ipairs, getmetatable, next, error
local find, sub, match, format, floor = string.find, string.sub, string.match, string.format, math.floor
local concat, byte = table.concat, string.byte
local QUOTE, BACKSLASH, OPEN_OBJ, CLOSE_OBJ, OPEN_ARR, CLOSE_ARR = byte('"\\{}[]', 1, 6)

local _M = {
  PROTOCOL = "2025-11-25",   -- the newest initialize-era version: what initialize answers by default
  -- newest first; also a set: PROTOCOLS[v] == true for a supported version
  PROTOCOLS = { "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26",
    ["2026-07-28"] = true, ["2025-11-25"] = true, ["2025-06-18"] = true, ["2025-03-26"] = true },
  -- the stateless versions (no initialize, no session; version and capabilities in each request)
  MODERN = { ["2026-07-28"] = true },
  MAX_BYTES = 1024 * 1024,   -- a message longer than this is refused (-32600)
  LIST_TTL_MS = 300000,      -- 2026-07-28 caching hint of tools/list and server/discover results
  -- JSON-RPC error codes (the last three: 2026-07-28)
  PARSE = -32700, INVALID = -32600, NO_METHOD = -32601, BAD_PARAMS = -32602, INTERNAL = -32603,
  HEADER_MISMATCH = -32020, MISSING_CAPABILITY = -32021, UNSUPPORTED_VERSION = -32022,
}
local PARSE, INVALID, NO_METHOD, BAD_PARAMS, INTERNAL = _M.PARSE, _M.INVALID, _M.NO_METHOD, _M.BAD_PARAMS,
  _M.INTERNAL

-- The oldest version that still has JSON-RPC batches (2025-06-18 removed them).
local LAST_BATCH = "2025-03-26"

-- RFC 5424 levels, as MCP's logging uses them, least severe first.
local LEVELS = { "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency" }
local LEVEL_RANK = {}
for i, l in ipairs(LEVELS) do LEVEL_RANK[l] = i end

---------------------------------------------------------------------------------------------
-- Decoding: the size cap first, lone surrogates to U+FFFD, the id recovered from bad text

local function valid_id(id)
  return type(id) == "string" or (type(id) == "number" and id == floor(id))
end

-- Index of the quote closing the string that opens at `s`, or nil.
local function string_end(text, s)
  local pos = s + 1
  while true do
    local q = find(text, '"', pos, true)
    if not q then return nil end
    local bs = q - 1
    while sub(text, bs, bs) == "\\" do bs = bs - 1 end
    if (q - 1 - bs) % 2 == 0 then return q end
    pos = q + 1
  end
end

-- The value after `"id"` ending at `e` (a key: a colon follows), when it is a valid id.
local function id_after(text, e)
  local n = match(text, "^%s*:%s*(-?%d+)%s*[,}]", e + 1)
  if n then return tonumber(n) end
  local s = match(text, '^%s*:%s*"([^"\\]*)"%s*[,}]', e + 1)
  return s
end

-- The top-level "id" of a message that may not decode (or that stops short): a scan of the
-- brackets and strings from the start, looking at depth 1 only (a nested "id" is not the id).
local function scan_id(text)
  if not find(text, "^%s*{") then return nil end
  local depth, pos = 0, 1
  while true do
    local s = find(text, '[{}%[%]"]', pos)
    if not s then return nil end
    local c = sub(text, s, s)
    if c == '"' then
      local e = string_end(text, s)
      if not e then return nil end
      if depth == 1 and e == s + 3 and sub(text, s, e) == '"id"' then
        local id = id_after(text, e)
        if id ~= nil then return id end
      end
      pos = e + 1
    else
      depth = depth + ((c == "{" or c == "[") and 1 or -1)
      if depth <= 0 then return nil end
      pos = s + 1
    end
  end
end

-- Index of the quote opening the string whose closing quote is at `e`, or nil: the previous
-- quote not escaped (a string holds no unescaped quote, so the pairing is certain backwards too).
local function string_start(text, e)
  local i = e - 1
  while i >= 1 do
    if byte(text, i) == QUOTE then
      local bs = i - 1
      while byte(text, bs) == BACKSLASH do bs = bs - 1 end
      if (i - 1 - bs) % 2 == 0 then return i end
    end
    i = i - 1
  end
  return nil
end

-- The same scan backwards from the end, for an id written after a long value (the tail of a
-- message too large to keep whole).
local function scan_id_back(text)
  if not find(text, "}%s*$") then return nil end
  local depth, i = 0, #text
  while i >= 1 do
    local c = byte(text, i)
    if c == QUOTE then
      local s = string_start(text, i)
      if not s then return nil end
      if depth == 1 and i == s + 3 and sub(text, s, i) == '"id"' then
        local id = id_after(text, i)
        if id ~= nil then return id end
      end
      i = s
    elseif c == CLOSE_OBJ or c == CLOSE_ARR then
      depth = depth + 1
    elseif c == OPEN_OBJ or c == OPEN_ARR then
      depth = depth - 1
      if depth <= 0 then return nil end
    end
    i = i - 1
  end
  return nil
end

-- The id of a request we cannot decode, from its text (or its head and tail when too large).
function _M.recover_id(head, tail)
  local id = scan_id(head)
  if id == nil then id = scan_id_back(sub(tail or head, -65536)) end
  return id
end

-- A lone UTF-16 surrogate escape (\uD800-\uDFFF not in a high+low pair) becomes \uFFFD.
local function fix_surrogates(text)
  if not find(text, "\\[uU][dD][89a-fA-F]") then return text end
  local out, n, pos = {}, 0, 1
  while true do
    local s, e, bs, hex = find(text, "(\\+)[uU]([dD][89a-fA-F]%x%x)", pos)
    if not s then break end
    local keep = e
    if #bs % 2 == 1 then
      local high = find(hex, "^[dD][89abAB]")
      if high and find(sub(text, e + 1, e + 6), "^\\[uU][dD][c-fC-F]%x%x$") then
        keep = e + 6
      else
        n = n + 1; out[n] = sub(text, pos, e - 6) .. "\\uFFFD"
        pos = e + 1
        keep = nil
      end
    end
    if keep then
      n = n + 1; out[n] = sub(text, pos, keep)
      pos = keep + 1
    end
  end
  n = n + 1; out[n] = sub(text, pos)
  return concat(out)
end

local function err_response(id, code, message, data)
  return { jsonrpc = "2.0", id = id == nil and json.null or id, error = { code = code, message = message,
    data = data } }
end
_M.error_response = err_response

-- The answer to a message longer than the cap, from its head and tail (what a framing kept).
function _M.too_large(head, tail, max)
  return err_response(_M.recover_id(head, tail), INVALID,
    format("request too large: a message longer than %d bytes", max or _M.MAX_BYTES))
end

local function is_array(v)
  return type(v) == "table" and (v[1] ~= nil or (getmetatable(v) == core.array and next(v) == nil))
end

-- mcp.decode(text, {max_bytes}) -> msg (a table, or an array for a batch), or nil, error_response
-- (nil, nil for a blank line: nothing to answer)
function _M.decode(text, opts)
  if type(text) ~= "string" then
    error("bad argument #1 to 'helpscout.mcp.decode' (string expected, got " .. type(text) .. ")", 2)
  end
  local max = opts and opts.max_bytes or _M.MAX_BYTES
  if #text > max then return nil, _M.too_large(sub(text, 1, 65536), sub(text, -65536), max) end
  if not find(text, "%S") then return nil, nil end
  local msg = json.decode(fix_surrogates(text))
  if msg == nil then return nil, err_response(_M.recover_id(text), PARSE, "parse error: not JSON") end
  if type(msg) ~= "table" then
    return nil, err_response(nil, INVALID, "invalid request: a JSON-RPC 2.0 object with a method expected")
  end
  return msg
end

---------------------------------------------------------------------------------------------
-- The session

local INSTRUCTIONS = "Help Scout tools. Lists return slim objects (pass detail=true for full ones); a cut " ..
  "answer carries a continuation to pass back. Start with triage_inbox for what needs attention."

local Session = {}
Session.__index = Session

-- mcp.session{tools = catalogue options | catalogue = a helpscout.tools catalogue, client =
-- function -> hs (made on first use), state = {}, log = function(level, text)} -> session
function _M.session(opts)
  opts = opts or {}
  local cat = opts.catalogue or tools.new(opts.tools)
  return setmetatable({ cat = cat, make_client = opts.client, state = opts.state or {}, logfn = opts.log,
    instructions = (cat.instructions and cat:instructions()) or INSTRUCTIONS }, Session)
end

-- Logs to the caller's log function, and to the client (notifications/message) at or above the
-- level it asked for: with logging/setLevel (legacy), or in the running request's _meta (2026-07-28);
-- nothing before it asks.
function Session:log(level, text)
  if self.logfn then pcall(self.logfn, level, text) end
  local want = self.state.log_level
  if self.req then want = self.req.level end
  if want and self.out and LEVEL_RANK[level] >= (LEVEL_RANK[want] or 99) then
    self.out.notify { jsonrpc = "2.0", method = "notifications/message", params = { level = level,
      logger = "helpscout", data = text } }
  end
end

function Session:client()
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

local function progress_fn(out, token)
  if token == nil then return nil end
  local last = -1
  return function(done, total, message)
    if done <= last then return end
    last = done
    out.notify { jsonrpc = "2.0", method = "notifications/progress", params = { progressToken = token,
      progress = done, total = total, message = message } }
  end
end

local M = {}

local function server_info()
  return { name = "helpscout-mcp", title = "Help Scout", version = tostring(core.VERSION) }
end
local function capabilities() return { tools = { listChanged = false }, logging = {} } end

function M.initialize(self, params)
  if type(params) ~= "table" then return nil, BAD_PARAMS, "initialize needs params" end
  local want = params.protocolVersion
  local st = self.state
  -- initialize selects the legacy era: a stateless version asked for here gets the newest legacy one
  local legacy = type(want) == "string" and _M.PROTOCOLS[want] and not _M.MODERN[want]
  st.protocol = legacy and want or _M.PROTOCOL
  st.initialized = true
  if type(params.clientInfo) == "table" then
    st.client = { name = tostring(params.clientInfo.name or ""), version = tostring(params.clientInfo.version or "") }
  end
  return { protocolVersion = st.protocol, capabilities = capabilities(), serverInfo = server_info(),
    instructions = self.instructions }
end

local function versions()
  local v = json.array {}
  for i, p in ipairs(_M.PROTOCOLS) do v[i] = p end
  return v
end

function M.discover(self)
  return { supportedVersions = versions(), capabilities = capabilities(), instructions = self.instructions }
end

function M.ping() return {} end

function M.tools_list(self) return { tools = self.cat:list() } end

function M.set_level(self, params)
  local level = type(params) == "table" and params.level
  if not LEVEL_RANK[level] then
    return nil, BAD_PARAMS, "logging/setLevel needs params.level, one of " .. concat(LEVELS, ", ")
  end
  self.state.log_level = level
  return {}
end

function M.tools_call(self, params, _, out)
  if type(params) ~= "table" or type(params.name) ~= "string" then
    return nil, BAD_PARAMS, "tools/call needs params.name"
  end
  if not self.cat.by_name[params.name] then return nil, BAD_PARAMS, "unknown tool: " .. params.name end
  local args = params.arguments
  if args == json.null then args = nil end
  local meta = type(params._meta) == "table" and params._meta or {}
  local hs, cerr = self:client()
  if cerr then self:log("error", "client: " .. cerr) end
  local result, e = self.cat:call(hs, params.name, args, { progress = progress_fn(out, meta.progressToken),
    cancelled = out.cancelled })
  if out.cancelled() then
    self:log("info", params.name .. ": cancelled by the client")
    return nil
  end
  if result then
    return { content = json.array { { type = "text", text = self.cat:render(params.name, result) } },
      structuredContent = result, isError = false }
  end
  local se = tools.error_result(e)
  self:log("warning", params.name .. " failed: " .. error_text(se.error))
  return { content = json.array { { type = "text", text = error_text(se.error) } }, structuredContent = se,
    isError = true }
end

local METHODS = { initialize = M.initialize, ping = M.ping, ["tools/list"] = M.tools_list,
  ["tools/call"] = M.tools_call, ["logging/setLevel"] = M.set_level }
-- answered before initialize
local EARLY = { initialize = true, ping = true }
-- 2026-07-28: no initialize, ping or logging/setLevel; server/discover; list results cacheable
-- (private: the tools depend on the person's connection and grant)
local MODERN_METHODS = { ["server/discover"] = M.discover, ["tools/list"] = M.tools_list,
  ["tools/call"] = M.tools_call }
local CACHE_SCOPE = { ["server/discover"] = "private", ["tools/list"] = "private" }
local PV_KEY, CAPS_KEY = "io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities"
local LEVEL_KEY, INFO_KEY = "io.modelcontextprotocol/logLevel", "io.modelcontextprotocol/serverInfo"

local NO_OUT = { notify = function() end, cancelled = function() return false end }

local function invalid(id, why)
  return err_response(valid_id(id) and id or nil, INVALID,
    "invalid request: " .. (why or "a JSON-RPC 2.0 object with a method expected"))
end

-- mcp.modern(msg) -> the protocol version a 2026-07-28-style request names in its _meta (any
-- value, checked by the core), or nil for a legacy message (initialize is always legacy).
function _M.modern(msg)
  if type(msg) ~= "table" or msg.method == "initialize" or type(msg.params) ~= "table" then return nil end
  local meta = msg.params._meta
  if type(meta) ~= "table" then return nil end
  local v = meta[PV_KEY]
  if v == json.null then return nil end
  return v
end

-- Runs fn for msg: the response table, or nil (cancelled).
function Session:run(fn, msg, out)
  local ok, result, code, message = pcall(fn, self, msg.params, msg.id, out)
  if not ok then
    self:log("error", format("internal error in %s: %s", msg.method, tostring(result)))
    return err_response(msg.id, INTERNAL, "internal error")
  end
  if result == nil and code == nil then return nil end  -- cancelled: no response
  if result == nil then return err_response(msg.id, code, message) end
  return { jsonrpc = "2.0", id = msg.id, result = result }
end

-- A 2026-07-28 request: checked and served on its own (no session state read or written).
function Session:modern(msg, out, v)
  if type(v) ~= "string" then return err_response(msg.id, BAD_PARAMS, "_meta " .. PV_KEY .. " must be a string") end
  if not _M.MODERN[v] then
    return err_response(msg.id, _M.UNSUPPORTED_VERSION, "Unsupported protocol version",
      { supported = versions(), requested = v })
  end
  local meta = msg.params._meta
  if type(meta[CAPS_KEY]) ~= "table" then
    return err_response(msg.id, BAD_PARAMS, "missing required _meta " .. CAPS_KEY)
  end
  local level = meta[LEVEL_KEY]
  if level ~= nil and not LEVEL_RANK[level] then
    return err_response(msg.id, BAD_PARAMS, "_meta " .. LEVEL_KEY .. " must be one of " .. concat(LEVELS, ", "))
  end
  local fn = MODERN_METHODS[msg.method]
  if not fn then return err_response(msg.id, NO_METHOD, "method not found: " .. msg.method) end
  local prev = self.req
  self.req = { level = level }
  local ok, resp = pcall(self.run, self, fn, msg, out)
  self.req = prev
  if not ok then error(resp, 0) end
  if resp and resp.result then
    local r = resp.result
    r.resultType = "complete"
    r._meta = { [INFO_KEY] = server_info() }
    if CACHE_SCOPE[msg.method] then r.ttlMs, r.cacheScope = _M.LIST_TTL_MS, CACHE_SCOPE[msg.method] end
  end
  return resp
end

-- One message (not a batch).
function Session:one(msg, out, in_batch)
  if type(msg) ~= "table" or is_array(msg) then return invalid(nil) end
  if msg.method == nil and msg.id ~= nil and (msg.result ~= nil or msg.error ~= nil) then return nil end
  if msg.jsonrpc ~= "2.0" or type(msg.method) ~= "string" then return invalid(msg.id) end
  if msg.id == nil then
    if msg.method == "notifications/initialized" then self.state.initialized = true end
    return nil  -- a notification: nothing to answer (a cancellation is the framing's business)
  end
  if not valid_id(msg.id) then return invalid(nil, "the id must be a string or an integer") end
  local v = _M.modern(msg)
  if v ~= nil then
    if in_batch then return invalid(msg.id, "a 2026-07-28 request cannot be part of a batch") end
    return self:modern(msg, out, v)
  end
  local fn = METHODS[msg.method]
  if not fn then return err_response(msg.id, NO_METHOD, "method not found: " .. msg.method) end
  if not self.state.initialized and not EARLY[msg.method] then
    return invalid(msg.id, "the session is not initialized: send initialize first (only ping before it)")
  end
  if in_batch and msg.method == "initialize" then return invalid(msg.id, "initialize cannot be part of a batch") end
  return self:run(fn, msg, out)
end

-- s:handle(msg, out) -> the response (a table; an array for a batch), or nil when there is
-- nothing to answer. out.notify(m) sends notifications before the response; out.cancelled() ->
-- true once the client cancelled this request.
function Session:handle(msg, out)
  out = out or NO_OUT
  if not out.notify or not out.cancelled then
    out = { notify = out.notify or NO_OUT.notify, cancelled = out.cancelled or NO_OUT.cancelled }
  end
  local prev = self.out
  self.out = out
  local ok, resp = pcall(function()
    if not is_array(msg) then return self:one(msg, out) end
    local proto = self.state.protocol or _M.PROTOCOL
    if proto > LAST_BATCH then
      return invalid(nil, "batches are not part of protocol " .. proto .. ": send one message at a time")
    end
    if msg[1] == nil then return invalid(nil, "an empty batch") end
    local all = json.array {}
    for _, m in ipairs(msg) do all[#all + 1] = self:one(m, out, true) end
    return #all > 0 and all or nil
  end)
  self.out = prev
  if not ok then
    if self.logfn then pcall(self.logfn, "error", "dropped a message: " .. tostring(resp)) end
    return err_response(type(msg) == "table" and valid_id(msg.id) and msg.id or nil, INTERNAL, "internal error")
  end
  return resp
end

---------------------------------------------------------------------------------------------
-- The stdio server and bin/helpscout-mcp (helpscout.mcp.stdio, helpscout.mcp.config)

function _M.new(opts) return require("helpscout.mcp.stdio").new(opts) end
function _M.main(argv) return require("helpscout.mcp.stdio").main(argv) end
function _M.config(argv, getenv) return require("helpscout.mcp.config").parse(argv, getenv) end
function _M.client_factory(token_file, connection)
  return require("helpscout.mcp.config").client_factory(token_file, connection)
end
_M.LEVELS = LEVELS

return _M
