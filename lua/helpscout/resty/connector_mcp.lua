-- helpscout.resty.connector_mcp: MCP over Streamable HTTP at the connector's /mcp, dual-era:
-- 2025-11-25 (and the older initialize-based versions) with sessions, 2026-07-28 without.
-- It only frames helpscout.mcp's protocol core (one place for initialize, server/discover,
-- tools/list, tools/call, progress, cancellation and JSON-RPC errors); internal to
-- helpscout.resty.connector.
--
--   POST   one JSON-RPC message: a request is answered with one JSON object, or with an SSE stream
--          (progress notifications, then the response) when the core notifies before it answers
--          and the client accepts text/event-stream; a notification or response is answered 202.
--          A request whose body names 2026-07-28 in _meta (or that sends MCP-Protocol-Version:
--          2026-07-28) is served without a session: Mcp-Session-Id is ignored and never minted;
--          MCP-Protocol-Version, Mcp-Method and Mcp-Name (tools/call; =?base64?…?= decoded) must
--          match the body, else 400 HeaderMismatch (-32020); its JSON-RPC errors carry HTTP
--          statuses (-32601: 404; -32022, -32602, -32600: 400); cancellation is hanging up.
--   GET    405 (no server-initiated stream: the tools never send unsolicited messages).
--   DELETE ends the (2025-11-25) session named by Mcp-Session-Id.
--
-- Refusals: a foreign Origin 403 (before anything else), no or bad bearer token 401, a body over
-- the cap 413, an unsupported MCP-Protocol-Version 400 (a supported one other than the session's is
-- served, as the official SDK's server and conformance suite expect), a legacy request without
-- Mcp-Session-Id 400, an unknown session (or one of another connection) 404, more than
-- `concurrency` requests of one connection at once 429. Every refusal with a body carries a
-- JSON-RPC error (without an id unless the request's is known).
--
-- Invariants: a session belongs to the connection whose token created it; its state (the core's
-- s.state) lives in the shared dict, so any worker serves any request; a 2026-07-28 request reads
-- and writes no session state; nothing blocks the worker (the tools run on helpscout.resty's
-- cosockets); a cancellation (notifications/cancelled in a session, or the client closing the
-- connection) is seen by the running call between pages.
local mcp = require "helpscout.mcp"
local json = require "helpscout.json"
local auth = require "helpscout.resty.connector_auth"
local chttp = require "helpscout.resty.connector_http"

local ngx = ngx -- luacheck: ignore
local type, pcall, tostring, error, pairs, ipairs = type, pcall, tostring, error, pairs, ipairs

local _M = {}

-- 2026-07-28: the HTTP status of a JSON-RPC error answer (others: 200)
local MODERN_STATUS = { [mcp.NO_METHOD] = 404, [mcp.BAD_PARAMS] = 400, [mcp.INVALID] = 400, [mcp.PARSE] = 400,
  [mcp.HEADER_MISMATCH] = 400, [mcp.MISSING_CAPABILITY] = 400, [mcp.UNSUPPORTED_VERSION] = 400 }
-- 2026-07-28: the methods whose Mcp-Name header mirrors params.name (or params.uri)
local NAMED = { ["tools/call"] = "name", ["prompts/get"] = "name", ["resources/read"] = "uri" }

local function rpc_refusal(status, code, message, headers, id)
  local body = json.encode{ jsonrpc = "2.0", id = id == nil and json.null or id, error = { code = code,
    message = message } }
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return chttp.answer(status, body, h)
end

local function origin_ok(c)
  local o = ngx.var.http_origin
  return o == nil or c.origins[o:lower()] == true
end

-- The session record of the request, or nil after answering.
local function session_of(c, g, msg)
  local sid = chttp.header("mcp-session-id")
  if not sid then
    rpc_refusal(400, -32600, "Bad Request: Mcp-Session-Id header is required (initialize first)")
    return nil
  end
  local s = #sid <= 128 and c.st:get("sess", sid)
  if not s or s.connection ~= g.connection then
    rpc_refusal(404, -32001, "Session not found")
    return nil
  end
  s.id = sid
  if type(msg) == "table" and msg.method == "notifications/cancelled" and type(msg.params) == "table" then
    c.st:cancel(sid, msg.params.requestId)
  end
  return s
end

local function log(level, text)
  ngx.log(level == "error" and ngx.ERR or ngx.NOTICE, "helpscout connector mcp: ", text)
end

local function core_session(c, g, state)
  return mcp.session{ catalogue = c:catalogue_for(g), client = function() return c:client_for(g) end,
    state = state, log = log }
end

-- A request among msg (one message or a batch) expects an answer.
local function has_request(msg)
  if msg.method ~= nil and msg.id ~= nil then return true end
  for _, m in ipairs(msg) do
    if type(m) == "table" and m.method ~= nil and m.id ~= nil then return true end
  end
  return false
end

local function save_session(c, s, core_state)
  if not s.id then return end
  s.state = core_state
  local id = s.id
  s.id = nil
  c.st:set("sess", id, s, c.o.session_ttl)
end

-- The answer of one request: JSON, or an SSE stream once the core sends a notification first.
-- status_of: the HTTP status of a JSON-RPC error response (a 2026-07-28 request), or nil (200).
local function run_request(c, s, core, msg, sse_ok, status_of)
  local streaming, aborted = false, false
  pcall(ngx.on_abort, function() aborted = true end)
  local function event(m)
    if not streaming then
      streaming = true
      ngx.status = 200
      ngx.header["Content-Type"] = "text/event-stream"
      ngx.header["Cache-Control"] = "no-store"
      ngx.header["X-Accel-Buffering"] = "no"
    end
    ngx.print("event: message\ndata: ", json.encode(m), "\n\n")
    ngx.flush(true)
  end
  local resp = core:handle(msg, {
    notify = sse_ok and event or function() end,
    cancelled = function() return aborted or (s.id ~= nil and c.st:is_cancelled(s.id, msg.id)) end })
  save_session(c, s, core.state)
  if streaming then -- the handler returns: nginx ends the stream
    if resp then event(resp) end
    return
  end
  if not resp then return chttp.send(202, "") end -- cancelled: nothing to say
  local status = status_of and resp.error and status_of[resp.error.code] or 200
  return chttp.send(status, json.encode(resp), { ["Content-Type"] = "application/json" })
end

local function initialize(c, g, msg)
  local core = core_session(c, g, {})
  local resp = core:handle(msg, { notify = function() end, cancelled = function() return false end })
  local pv = type(resp) == "table" and type(resp.result) == "table" and resp.result.protocolVersion
  local headers = { ["Content-Type"] = "application/json" }
  if pv then -- initialize only ever negotiates a version with sessions
    local sid = chttp.token()
    local ok, e = c.st:set("sess", sid, { connection = g.connection, client_id = g.client_id, protocol = pv,
      state = core.state }, c.o.session_ttl)
    if not ok then
      ngx.log(ngx.ERR, "helpscout connector: cannot keep a session: ", e)
      return rpc_refusal(503, -32603, "the session could not be stored")
    end
    headers["Mcp-Session-Id"] = sid
  end
  return chttp.answer(200, json.encode(resp), headers)
end

-- Runs one request under the per-connection concurrency cap.
local function capped(c, g, s, core, msg, sse_ok, status_of)
  if not c.st:busy(g.connection, 1, c.o.concurrency) then
    return rpc_refusal(429, -32000, "Too Many Requests: this connection already has " .. c.o.concurrency
      .. " requests running", { ["Retry-After"] = "1" })
  end
  local ok, e = pcall(run_request, c, s, core, msg, sse_ok, status_of)
  c.st:busy(g.connection, -1, c.o.concurrency)
  if not ok then error(e, 0) end
end

-- A header value as sent, or decoded from the =?base64?…?= form (nil when that does not decode).
local function header_value(v)
  local b64 = type(v) == "string" and v:match("^=%?base64%?(.*)%?=$")
  if b64 then return ngx.decode_base64(b64) end
  return v
end

-- Why the headers of a 2026-07-28 request do not match its body, or nil.
local function mismatch(msg, pv, mv)
  if pv == nil then return "the MCP-Protocol-Version header is required" end
  if pv ~= mv then return "MCP-Protocol-Version does not match _meta io.modelcontextprotocol/protocolVersion" end
  local method = chttp.header("mcp-method")
  if method == nil then return "the Mcp-Method header is required" end
  if method ~= msg.method then return "Mcp-Method does not match the body's method" end
  local field = NAMED[msg.method]
  if not field then return nil end
  local raw = chttp.header("mcp-name")
  if raw == nil then return "the Mcp-Name header is required for " .. msg.method end
  local name = header_value(raw)
  if name == nil then return "Mcp-Name is not valid Base64 in its =?base64?...?= form" end
  local want = type(msg.params) == "table" and msg.params[field]
  if name ~= want then return "Mcp-Name does not match the body's params." .. field end
  return nil
end

-- A 2026-07-28 message: no session; headers checked against the body; errors with their statuses.
local function modern_post(c, g, msg, pv, mv, sse_ok)
  if type(msg) ~= "table" or msg[1] ~= nil then
    return rpc_refusal(400, mcp.INVALID, "Bad Request: the body must be one JSON-RPC message")
  end
  if msg.id == nil or msg.method == nil then return chttp.answer(202, "") end -- no notification defined
  local id = (type(msg.id) == "string" or type(msg.id) == "number") and msg.id or nil
  if mv == nil then
    return rpc_refusal(400, mcp.BAD_PARAMS, "missing required _meta io.modelcontextprotocol/protocolVersion",
      nil, id)
  end
  local why = mismatch(msg, pv, mv)
  if why then return rpc_refusal(400, mcp.HEADER_MISMATCH, "Header mismatch: " .. why, nil, id) end
  return capped(c, g, {}, core_session(c, g, {}), msg, sse_ok, MODERN_STATUS)
end

local function post(c, g)
  local ctype = (ngx.var.content_type or ""):lower()
  if not ctype:find("application/json", 1, true) then
    return rpc_refusal(415, -32600, "Unsupported Media Type: Content-Type must be application/json")
  end
  local accept = (ngx.var.http_accept or "*/*"):lower()
  local sse_ok = accept:find("text/event-stream", 1, true) ~= nil
  if not (accept:find("application/json", 1, true) or accept:find("*/*", 1, true) or sse_ok) then
    return rpc_refusal(406, -32600, "Not Acceptable: Accept must list application/json and text/event-stream")
  end
  local pv = chttp.header("mcp-protocol-version")
  local body, berr = chttp.body(c.o.max_body)
  if not body then
    if berr == "too_large" then
      return rpc_refusal(413, -32600, "Payload Too Large: the body cap is " .. c.o.max_body .. " bytes")
    end
    return rpc_refusal(400, -32700, "the body could not be read")
  end
  local msg, eresp = mcp.decode(body, { max_bytes = c.o.max_body })
  if not msg then return chttp.answer(400, json.encode(eresp), { ["Content-Type"] = "application/json" }) end
  if msg.method == "initialize" and msg.id ~= nil then return initialize(c, g, msg) end
  local mv = mcp.modern(msg)
  if mv ~= nil or mcp.MODERN[pv] then return modern_post(c, g, msg, pv, mv, sse_ok) end
  if pv ~= nil and not mcp.PROTOCOLS[pv] then -- (one naming its version in _meta got the core's -32022)
    return rpc_refusal(400, -32600, "Bad Request: unsupported MCP-Protocol-Version " .. tostring(pv):sub(1, 40))
  end
  local s = session_of(c, g, msg)
  if not s then return end
  local core = core_session(c, g, s.state)
  if not has_request(msg) then -- notifications or responses: accepted
    core:handle(msg, { notify = function() end, cancelled = function() return false end })
    save_session(c, s, core.state)
    return chttp.answer(202, "")
  end
  return capped(c, g, s, core, msg, sse_ok)
end

local function delete(c, g)
  local sid = chttp.header("mcp-session-id")
  if not sid then return rpc_refusal(400, -32600, "Bad Request: Mcp-Session-Id header is required") end
  local s = #sid <= 128 and c.st:get("sess", sid)
  if not s or s.connection ~= g.connection then return rpc_refusal(404, -32001, "Session not found") end
  c.st:delete("sess", sid)
  return chttp.answer(200, "")
end

-- CORS for the allowed browser origins (a request without Origin needs none).
local function cors()
  local o = ngx.var.http_origin
  if o == nil then return end
  ngx.header["Access-Control-Allow-Origin"] = o
  ngx.header["Access-Control-Expose-Headers"] = "Mcp-Session-Id, WWW-Authenticate"
  ngx.header["Vary"] = "Origin"
  if ngx.req.get_method() == "OPTIONS" then
    return chttp.answer(204, "", { ["Access-Control-Allow-Methods"] = "POST, DELETE",
      ["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, "
        .. "Mcp-Method, Mcp-Name",
      ["Access-Control-Max-Age"] = "600" })
  end
end

function _M.serve(c)
  if not origin_ok(c) then return rpc_refusal(403, -32000, "Forbidden: Origin not allowed") end
  cors()
  local g = auth.bearer(c)
  if not g then return end
  local _, why = c:connection_record(g.connection)
  if why == "missing" or why == "dead" then return auth.reauthorize(c, why) end
  local method = ngx.req.get_method()
  if method == "POST" then return post(c, g) end
  if method == "DELETE" then return delete(c, g) end
  return chttp.answer(405, "", { Allow = "POST, DELETE" })
end

return _M
