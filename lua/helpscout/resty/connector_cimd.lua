-- helpscout.resty.connector_cimd: OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-
-- metadata-document; MCP 2025-11-25 client registration): a client_id that is an https URL names
-- a JSON document, fetched by the connector, that plays the part of a registration. Internal to
-- helpscout.resty.connector; on only with `client_metadata = true` (the metadata says so).
--
-- Invariants:
-- * Fetched only over https with the certificate verified (helpscout.resty.http: SNI, verify;
--   nginx's lua_ssl_trusted_certificate), without following redirects, 200 only, at most 5 KiB,
--   5 s; never from a loopback, private or link-local address literal or `localhost` (SSRF) unless
--   `client_metadata_private` is set (closed networks, tests).
-- * Accepted only when the document's client_id is the URL itself, its redirect_uris pass the
--   registration rules, and it asks for no client authentication (public clients only).
-- * Kept in the shared dict for the document's Cache-Control max-age (60 s to a day; 5 min when
--   it says nothing); a failure is not cached.
local cjson = require "cjson.safe"
local http = require "helpscout.resty.http"
local chttp = require "helpscout.resty.connector_http"

local type, tonumber, ipairs, tostring, pcall, min, max = type, tonumber, ipairs, tostring, pcall, math.min,
  math.max

local _M = { MAX_BYTES = 5120, TIMEOUT = 5 }

local PRIVATE = { "^127%.", "^10%.", "^192%.168%.", "^172%.1[6-9]%.", "^172%.2%d%.", "^172%.3[01]%.",
  "^169%.254%.", "^0%.", "^%[", "^localhost$", "%.localhost$" }

function _M.is_url(id) return type(id) == "string" and id:sub(1, 8) == "https://" end

-- The host of a usable client_id URL, or nil, why.
local function check_url(id)
  if #id > 2000 or id:find("[%s%c#]") then return nil, "not a plain https URL" end
  local authority, path = id:match("^https://([^/?]+)(/[^?]*)")
  if not authority or path == "/" then return nil, "an https URL with a path is required" end
  if authority:find("@", 1, true) then return nil, "credentials in the URL" end
  if path:find("/%.%.?/") or path:find("/%.%.?$") then return nil, "dot segments in the path" end
  return (authority:gsub(":%d+$", "")):lower()
end

local function private(host)
  for _, p in ipairs(PRIVATE) do if host:find(p) then return true end end
  return false
end

local function cache_ttl(headers)
  local age = tonumber(((headers and headers["cache-control"]) or ""):match("max%-age=(%d+)") or "")
  if not age then return 300 end
  return max(60, min(age, 86400))
end

-- The document's client, or nil, why.
local function validate(doc, id, parse_uri)
  if type(doc) ~= "table" then return nil, "not a JSON object" end
  if doc.client_id ~= id then return nil, "its client_id is not its own URL" end
  local method = doc.token_endpoint_auth_method
  if doc.client_secret ~= nil or (method ~= nil and method ~= "none") then
    return nil, "only public clients (token_endpoint_auth_method none) are accepted"
  end
  local uris = doc.redirect_uris
  if type(uris) ~= "table" or #uris == 0 or #uris > 10 then return nil, "redirect_uris: 1 to 10 URIs expected" end
  for _, u in ipairs(uris) do
    if not parse_uri(u) then return nil, "a redirect URI is not https, loopback http or a private-use scheme" end
  end
  local name = type(doc.client_name) == "string" and doc.client_name:sub(1, 200) or nil
  return { client_id = id, redirect_uris = uris, client_name = name, token_endpoint_auth_method = "none",
    metadata_document = true }
end

-- client(c, id, parse_uri) -> the client record, or nil, why (for the person or the client to read).
function _M.client(c, id, parse_uri)
  local host, why = check_url(id)
  if not host then return nil, why end
  if private(host) and not c.o.client_metadata_private then
    return nil, "a loopback or private address is not fetched"
  end
  local key = chttp.hash(id)
  local cached = c.st:get("cimd", key)
  if cached then return cached end
  -- pcall: Debian's lua-resty-core asserts inside sslhandshake on some failed verifications
  local done, out = pcall(http.request, { method = "GET", url = id, headers = { Accept = "application/json" },
    fresh_connection = true, timeout = _M.TIMEOUT, connect_timeout = _M.TIMEOUT, max_body = _M.MAX_BYTES })
  if not done then out = { transport = "tls" } end
  if out.transport then return nil, "it could not be fetched over verified TLS (" .. tostring(out.transport) .. ")" end
  if out.status ~= 200 then return nil, "it answered HTTP " .. tostring(out.status) end
  local client
  client, why = validate(cjson.decode(out.body or ""), id, parse_uri)
  if not client then return nil, why end
  c.st:set("cimd", key, client, cache_ttl(out.headers))
  return client
end

return _M
