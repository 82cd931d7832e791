-- helpscout.resty.connector_mcp: MCP over Streamable HTTP (2025-11-25) at the connector's /mcp.
-- It only frames helpscout.mcp's protocol core (one place for initialize, tools/list, tools/call,
-- progress, cancellation and JSON-RPC errors); internal to helpscout.resty.connector.
--
--   POST   one JSON-RPC message: a request is answered with one JSON object, or with an SSE stream
--          (progress notifications, then the response) when the core notifies before it answers
--          and the client accepts text/event-stream; a notification or response is answered 202.
--   GET    405 (no server-initiated stream: the tools never send unsolicited messages).
--   DELETE ends the session named by Mcp-Session-Id.
--
-- Refusals: a foreign Origin 403 (before anything else), no or bad bearer token 401, a body over
-- the cap 413, an unsupported MCP-Protocol-Version 400 (a supported one other than the session's is
-- served, as the official SDK's server and conformance suite expect), a request without Mcp-Session-Id 400, an
-- unknown session (or one of another connection) 404, more than `concurrency` requests of one
-- connection at once 429. Every refusal with a body carries a JSON-RPC error without an id.
--
-- Invariants: a session belongs to the connection whose token created it; its state (the core's
-- s.state) lives in the shared dict, so any worker serves any request; nothing blocks the worker
-- (the tools run on helpscout.resty's cosockets); a cancellation (notifications/cancelled, or the
-- client closing the connection) is seen by the running call between pages.
local mcp = require "helpscout.mcp"
local json = require "helpscout.tools.json"
local auth = require "helpscout.resty.connector_auth"
local chttp = require "helpscout.resty.connector_http"

local ngx = ngx -- luacheck: ignore
local type, pcall, tostring, error, pairs, ipairs = type, pcall, tostring, error, pairs, ipairs

local _M = {}

local SESSIONLESS = { ["2026-07-28"] = true } -- revisions without protocol sessions

local function rpc_refusal(status, code, message, headers)
  local body = json.encode{ jsonrpc = "2.0", id = json.null, error = { code = code, message = message } }
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return chttp.answer(status, body, h)
end

local function origin_ok(c)
  local o = ngx.var.http_origin
  return o == nil or c.origins[o:lower()] == true
end

-- The session record of the request, or nil after answering.
local function session_of(c, g, msg, pv)
  local sid = chttp.header("mcp-session-id")
  if not sid then
    if pv and SESSIONLESS[pv] and mcp.PROTOCOLS[pv] then return { protocol = pv, state = {}, fresh = true } end
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
  if s.fresh or not s.id then return end
  s.state = core_state
  local id = s.id
  s.id = nil
  c.st:set("sess", id, s, c.o.session_ttl)
end

-- The answer of one request: JSON, or an SSE stream once the core sends a notification first.
local function run_request(c, s, core, msg, sse_ok)
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
  return chttp.send(200, json.encode(resp), { ["Content-Type"] = "application/json" })
end

local function initialize(c, g, msg)
  local core = core_session(c, g, {})
  local resp = core:handle(msg, { notify = function() end, cancelled = function() return false end })
  local pv = type(resp) == "table" and type(resp.result) == "table" and resp.result.protocolVersion
  local headers = { ["Content-Type"] = "application/json" }
  if pv and not SESSIONLESS[pv] then
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
  if pv ~= nil and not mcp.PROTOCOLS[pv] then
    return rpc_refusal(400, -32600, "Bad Request: unsupported MCP-Protocol-Version " .. tostring(pv):sub(1, 40))
  end
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
  local s = session_of(c, g, msg, pv)
  if not s then return end
  local core = core_session(c, g, s.state)
  if not has_request(msg) then -- notifications or responses: accepted
    core:handle(msg, { notify = function() end, cancelled = function() return false end })
    save_session(c, s, core.state)
    return chttp.answer(202, "")
  end
  if not c.st:busy(g.connection, 1, c.o.concurrency) then
    return rpc_refusal(429, -32000, "Too Many Requests: this connection already has " .. c.o.concurrency
      .. " requests running", { ["Retry-After"] = "1" })
  end
  local ok, e = pcall(run_request, c, s, core, msg, sse_ok)
  c.st:busy(g.connection, -1, c.o.concurrency)
  if not ok then error(e, 0) end
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
      ["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version",
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
