-- helpscout.resty.connector_consent: the connector's own consent page, shown by /authorize before
-- it sends the person to Help Scout. The connector is a proxy with ONE Help Scout app for any
-- number of dynamically registered MCP clients (MCP security best practices, "confused deputy"):
-- Help Scout's consent names the connector, never the MCP client, and may be skipped for a person
-- who approved the app before. So the person approves *this client* (its name, where the code
-- goes) here first. Internal to helpscout.resty.connector.
--
-- Invariants:
-- * The page's form carries a random, single-use consent token; the pending request lives
--   server-side under its hash (10 minutes). The answer must come from the browser the page was
--   shown to: a second random value in a SameSite=Strict, HttpOnly cookie (`__Host-`, Secure when
--   the connector is https) whose hash the record keeps — a consent token fetched by someone else
--   (the client itself) and posted from the person's browser carries no matching cookie.
-- * The page cannot be framed (CSP frame-ancestors 'none', X-Frame-Options DENY) and escapes
--   everything the client chose (its name, its redirect URI).
local chttp = require "helpscout.resty.connector_http"

local ngx = ngx -- luacheck: ignore
local type, pairs, tostring = type, pairs, tostring

local _M = { TTL = 600 }

local function cookie_name(c) return c.url:match("^https://") and "__Host-hsc_consent" or "hsc_consent" end

local function html_escape(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
    ["'"] = "&#39;" }))
end

local PAGE = [[<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Connect Help Scout</title></head>
<body style="font-family:sans-serif;max-width:34em;margin:3em auto">
<h1>Connect your Help Scout account?</h1>
<p><strong>%s</strong> asks to use the Help Scout tools of <strong>%s</strong> as you.</p>
<p>After you allow it here and at Help Scout, it is sent back to <code>%s</code>.
Allow it only if you started this from that application.</p>
<form method="post" action="/authorize">
<input type="hidden" name="consent" value="%s">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>
]]

local HEADERS = { ["Content-Type"] = "text/html; charset=utf-8", ["X-Frame-Options"] = "DENY",
  ["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    .. "frame-ancestors 'none'", ["Referrer-Policy"] = "no-referrer" }

-- Shows the consent page for a checked authorization request (`pending`, for the client `client`).
function _M.ask(c, client, pending)
  local token, secret = chttp.token(), chttp.token()
  local ok, e = c.st:set("consent", chttp.hash(token), { pending = pending, browser = chttp.hash(secret) }, _M.TTL)
  if not ok then
    ngx.log(ngx.ERR, "helpscout connector: cannot keep a consent: ", e)
    return chttp.answer(503, "The connector cannot take authorizations right now.\n")
  end
  local cookie = ("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict"):format(cookie_name(c), secret, _M.TTL)
  if c.url:match("^https://") then cookie = cookie .. "; Secure" end
  local headers = { ["Set-Cookie"] = cookie }
  for k, v in pairs(HEADERS) do headers[k] = v end
  local name = client.client_name or client.client_id
  return chttp.answer(200, PAGE:format(html_escape(name), html_escape(c.name), html_escape(pending.redirect_uri),
    html_escape(token)), headers)
end

-- The person's answer (form fields a): the pending request and "allow" | "deny", or nil, why.
function _M.answer(c, a)
  if type(a.consent) ~= "string" or #a.consent > 100 then return nil, "no consent to answer" end
  local key = chttp.hash(a.consent)
  local rec = c.st:get("consent", key)
  if not rec then return nil, "this consent page expired or was answered already" end
  local first = c.st:spend("consent", key, _M.TTL)
  if not first then return nil, "this consent page was answered already" end
  local secret = ngx.var["cookie_" .. cookie_name(c)]
  ngx.header["Set-Cookie"] = ("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"):format(cookie_name(c))
    .. (c.url:match("^https://") and "; Secure" or "")
  if type(secret) ~= "string" or not chttp.equal(chttp.hash(secret), rec.browser) then
    return nil, "this consent was not answered from the browser it was shown in"
  end
  if a.decision ~= "allow" and a.decision ~= "deny" then return nil, "no decision" end
  return rec.pending, a.decision
end

return _M
