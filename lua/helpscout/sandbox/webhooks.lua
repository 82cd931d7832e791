-- Webhooks sent by the sandbox for its writes (helpscout-api.md §14): with cfg.webhook_url and
-- cfg.webhook_secret set, a write route that reports an event (ctx.event = { name, conversation })
-- queues one POST of the conversation JSON (threads embedded) with X-HelpScout-Event and
-- X-HelpScout-Signature = base64(HMAC-SHA1(secret, raw body)), computed by helpscout.core's sys.
--
-- Invariants:
--  * delivery never blocks request handling: one delivery at a time, on a non-blocking socket
--    watched by the server's own select loop (http.lua watch/timer); an attempt that has not seen
--    a status line within ATTEMPT_TIMEOUT seconds fails;
--  * a non-2xx answer, a refused or dropped connection or a timeout is retried with exponential
--    backoff up to MAX_ATTEMPTS: delivery is at least once (a receiver may see duplicates, with the
--    same bytes and signature: the body is rendered and signed once, when queued);
--  * the queue is bounded (MAX_QUEUE): when full, the oldest waiting delivery is dropped and says so;
--  * GET /_sandbox/webhooks shows the last MAX_RECORDS deliveries (event, conversation, status,
--    attempts, last result); never the secret, the signature or the URL.
local socket = require "socket"
local json = require "helpscout.sandbox.json"
local render = require "helpscout.sandbox.render"

local ipairs, tonumber, tostring, pcall, require = ipairs, tonumber, tostring, pcall, require
local format, match, min = string.format, string.match, math.min
local concat, remove = table.concat, table.remove

local _M = {}

local MAX_QUEUE, MAX_RECORDS, MAX_ATTEMPTS = 100, 200, 6
local ATTEMPT_TIMEOUT, BACKOFF, MAX_BACKOFF = 2, 0.5, 30

-- The sandbox's webhook state (S.webhooks), fresh at start and on reset.
function _M.new()
  return { queue = {}, records = {}, seq = 0, busy = false }
end

local sys -- helpscout.core's sys, loaded on first use: the sandbox needs the C core only for this
local function signer()
  if sys == nil then
    local ok, core = pcall(require, "helpscout.core")
    sys = ok and core.sys or false
  end
  return sys
end

local function record(W, d)
  W.records[#W.records + 1] = d
  if #W.records > MAX_RECORDS then remove(W.records, 1) end
end

local function parse_url(url)
  local host, port, path = match(url, "^http://([^/:]+):?(%d*)(.*)$")
  if not host then return nil end
  return host, tonumber(port) or 80, path ~= "" and path or "/"
end

local schedule -- forward

local function finish(S, d, ok, result)
  local W = S.webhooks
  d.last_result = result
  W.busy = false
  if ok then d.status = "delivered"
  elseif d.attempts >= MAX_ATTEMPTS then d.status = "failed"
  else
    d.status = "retrying"
    d.due = socket.gettime() + min(MAX_BACKOFF, BACKOFF * 2 ^ (d.attempts - 1))
    W.queue[#W.queue + 1] = d
  end
  schedule(S)
end

-- One attempt of delivery d: connect, send, read the status line, all without blocking.
local function attempt(S, d)
  local server = S.server
  d.attempts = d.attempts + 1
  local host, port = parse_url(d.url)
  if not host then
    d.attempts = MAX_ATTEMPTS -- permanent: no retry can help
    return finish(S, d, false, "unsupported URL (http://host[:port]/path only)")
  end
  local sock = socket.tcp()
  sock:settimeout(0)
  local done = false
  local function stop(ok, result)
    if done then return end
    done = true
    server:unwatch(sock)
    sock:close()
    finish(S, d, ok, result)
  end
  local _, err = sock:connect(host, port)
  if err and err ~= "timeout" then return stop(false, err) end
  server:timer(socket.gettime() + ATTEMPT_TIMEOUT, function() stop(false, "timeout") end)
  local sent, inbuf = 0, ""
  local function on_readable()
    local data, rerr, partial = sock:receive(4096)
    inbuf = inbuf .. (data or partial or "")
    local status = tonumber(match(inbuf, "^HTTP/1%.%d (%d%d%d)"))
    if status then return stop(status >= 200 and status < 300, status) end
    if rerr == "closed" then stop(false, "connection closed without a status line") end
  end
  server:watch(sock, "w", function()
    local last, serr, partial = sock:send(d.request, sent + 1)
    sent = last or partial or sent
    if serr and serr ~= "timeout" then return stop(false, serr) end
    if sent >= #d.request then server:watch(sock, "r", on_readable) end
  end)
end

-- Starts the next due delivery, or sets a timer for it.
function schedule(S)
  local W, server = S.webhooks, S.server
  if W.busy or not server or #W.queue == 0 then return end
  local now, next_i = socket.gettime(), 1
  for i, d in ipairs(W.queue) do if d.due < W.queue[next_i].due then next_i = i end end
  local d = W.queue[next_i]
  if d.due > now then
    if not W.wake or W.wake > d.due or W.wake <= now then
      W.wake = d.due
      server:timer(d.due, function() W.wake = nil; schedule(S) end)
    end
    return
  end
  remove(W.queue, next_i)
  W.busy = true
  d.status = "sending"
  attempt(S, d)
end

-- The HTTP request bytes of one delivery.
local function build_request(url, event, body, signature)
  local host, port, path = parse_url(url)
  return concat({ "POST " .. (path or "/") .. " HTTP/1.1", "Host: " .. tostring(host) .. ":" .. tostring(port),
    "User-Agent: helpscout-sandbox", "Content-Type: application/json", "X-HelpScout-Event: " .. event,
    "X-HelpScout-Signature: " .. signature, "Content-Length: " .. #body, "Connection: close", "", body }, "\r\n")
end

-- Queues the webhook of event { name, conversation } when webhooks are configured.
function _M.emit(S, event)
  local cfg, W = S.cfg, S.webhooks
  if not (cfg.webhook_url and cfg.webhook_secret) then return end
  local name, conv = event[1], event[2]
  W.seq = W.seq + 1
  local d = { id = W.seq, event = name, conversation_id = conv.id, account = S.account, attempts = 0, status = "queued",
    url = cfg.webhook_url, due = socket.gettime(), created_at = S:now() }
  record(W, d)
  local crypto = signer()
  if not crypto then
    d.status, d.last_result = "failed", "helpscout.core (for HMAC-SHA1) is not available"
    return
  end
  local base = S.url or ("http://" .. S.host .. ":" .. tostring(S.port))
  local body = render.conversation_json(S, base, conv, true, S:now(), nil)
  d.request = build_request(cfg.webhook_url, name, body, crypto.base64(crypto.hmac_sha1(cfg.webhook_secret, body)))
  if #W.queue >= MAX_QUEUE then
    local dropped = remove(W.queue, 1)
    dropped.status, dropped.last_result = "dropped", "queue full"
  end
  W.queue[#W.queue + 1] = d
  schedule(S)
end

-- The deliveries for GET /_sandbox/webhooks (oldest first).
function _M.list(S)
  local out = json.array()
  for i, d in ipairs(S.webhooks.records) do
    out[i] = { id = d.id, event = d.event, conversation_id = d.conversation_id, account = d.account, status = d.status,
      attempts = d.attempts, last_result = d.last_result, created_at = format("%.3f", d.created_at) }
  end
  return { deliveries = out, queued = #S.webhooks.queue }
end

return _M
