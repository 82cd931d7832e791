-- Test helper: a minimal HTTP/1.1 client on a raw LuaSocket socket, for specs that must see the
-- sandbox's bytes exactly (status lines, headers, truncated bodies, dropped connections) without
-- going through the client under test.
local socket = require "socket"
local cjson = require "cjson.safe"

local M = {}

-- A minimal HTTP/1.1 client on a raw socket. opts: headers, body, token, conn (reuse, keep-alive),
-- version, timeout (seconds, default 10). Returns { status, headers (lower-case), body, json,
-- read_error } or nil and an error.
function M.request(sb, method, path, opts)
  opts = opts or {}
  local c = opts.conn
  if not c then
    c = assert(socket.connect("127.0.0.1", sb.port))
    c:settimeout(opts.timeout or 10)
  end
  local lines = { method .. " " .. path .. " " .. (opts.version or "HTTP/1.1"), "Host: 127.0.0.1:" .. sb.port }
  if opts.token then lines[#lines + 1] = "Authorization: Bearer " .. opts.token end
  local body = opts.body
  if type(body) == "table" then
    body = cjson.encode(body)
    lines[#lines + 1] = "Content-Type: application/json"
  end
  for k, v in pairs(opts.headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  if body then lines[#lines + 1] = "Content-Length: " .. #body end
  if not opts.conn then lines[#lines + 1] = "Connection: close" end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  c:send(table.concat(lines, "\r\n"))
  local status_line, err = c:receive("*l")
  if not status_line then
    if not opts.conn then c:close() end
    return nil, err
  end
  local res = { status = tonumber(status_line:match("^HTTP/1%.%d (%d+)")), headers = {}, status_line = status_line }
  while true do
    local h = assert(c:receive("*l"))
    if h == "" then break end
    local k, v = h:match("^([^:]+):%s*(.*)$")
    res.headers[k:lower()] = v
  end
  local len = tonumber(res.headers["content-length"] or "")
  if len and len > 0 then
    local data, rerr, partial = c:receive(len)
    res.body = data or partial
    res.read_error = rerr
  elseif not len and res.status ~= 204 then
    res.body = c:receive("*a")
  else
    res.body = ""
  end
  res.json = res.body ~= "" and cjson.decode(res.body) or nil
  if not opts.conn then c:close() end
  return res
end

function M.form(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = k .. "=" .. v:gsub("[^%w%-_%.]", function(ch)
    return string.format("%%%02X", ch:byte())
  end) end
  return table.concat(parts, "&")
end

function M.token_request(sb, fields, as_json)
  if as_json then return M.request(sb, "POST", "/v2/oauth2/token", { body = fields }) end
  return M.request(sb, "POST", "/v2/oauth2/token",
    { body = M.form(fields), headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
end

function M.client_token(sb)
  local res = M.token_request(sb, { grant_type = "client_credentials", client_id = sb.client_id,
    client_secret = sb.client_secret })
  assert(res.status == 200, "token: " .. tostring(res.status))
  return res.json.access_token
end

return M
