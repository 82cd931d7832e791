-- helpscout.cli.httpd: the smallest HTTP/1.1 server the CLI needs (the OAuth callback of
-- `auth login`, the webhooks of `listen`), on 127.0.0.1 over LuaSocket: one request per
-- connection, answered and closed. Request bodies are capped (MAX_BODY); a slow or broken client
-- is dropped after IO_TIMEOUT seconds without stopping the server.
--   server, err = httpd.listen(port)
--   ok, err = httpd.serve(server, handler, stop, timeout)   handler(req) -> status, body
--     req = {method, path, query (string), headers (lower-case names), body}
--     stop() is asked after every request; timeout: seconds without a finished flow (nil: none)
local socket = require "socket"

local tonumber, tostring, format, lower, concat = tonumber, tostring, string.format, string.lower, table.concat

local _M = {}

local MAX_BODY = 1024 * 1024
local IO_TIMEOUT = 10
local REASON = { [200] = "OK", [400] = "Bad Request", [401] = "Unauthorized", [404] = "Not Found",
  [405] = "Method Not Allowed", [413] = "Payload Too Large" }

function _M.listen(port)
  local server, err = socket.bind("127.0.0.1", port)
  if not server then return nil, format("cannot listen on 127.0.0.1:%s: %s", tostring(port), tostring(err)) end
  return server
end

-- The request on c, or nil and the status to answer (nil: just close).
local function read_request(c)
  local line = c:receive("*l")
  if not line then return nil end
  local method, target = line:match("^(%u+) (%S+) HTTP/1%.[01]$")
  if not method then return nil, 400 end
  local headers = {}
  while true do
    local h = c:receive("*l")
    if not h then return nil end
    if h == "" then break end
    local name, value = h:match("^([^:]+):%s*(.-)%s*$")
    if name then headers[lower(name)] = value end
  end
  local len = tonumber(headers["content-length"] or "0")
  if not len or len < 0 then return nil, 400 end
  if len > MAX_BODY then return nil, 413 end
  local body = len > 0 and c:receive(len) or ""
  if not body then return nil end
  local path, query = target:match("^([^?]*)%??(.*)$")
  return { method = method, path = path, query = query, headers = headers, body = body }
end

local function answer(c, status, body)
  body = body or ""
  local ctype = body:find("^<!doctype") and "text/html; charset=utf-8" or "text/plain; charset=utf-8"
  c:send(concat { format("HTTP/1.1 %d %s\r\n", status, REASON[status] or "Error"),
    "Content-Type: ", ctype, "\r\nContent-Length: ", #body, "\r\nConnection: close\r\n\r\n", body })
end

function _M.serve(server, handler, stop, timeout)
  local deadline = timeout and socket.gettime() + timeout
  server:settimeout(1)
  while true do
    if deadline and socket.gettime() > deadline then
      server:close()
      return nil, "timed out waiting for the callback"
    end
    local c = server:accept()
    if c then
      c:settimeout(IO_TIMEOUT)
      local req, status = read_request(c)
      if req then answer(c, handler(req)) elseif status then answer(c, status, "bad request\n") end
      c:close()
      if stop() then server:close(); return true end
    end
  end
end

return _M
