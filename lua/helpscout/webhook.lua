-- helpscout.webhook: incoming Help Scout webhooks (helpscout-api.md §14, DESIGN.md §4).
--
--   local webhook = require "helpscout.webhook"
--   webhook.verify(raw_body, headers["X-HelpScout-Signature"], secret)  -- true | false
--   local ev, err = webhook.parse(headers, raw_body, secret)             -- {event=, data=} | nil, err
--
-- The signature is base64(HMAC-SHA1(secret, raw body)), computed by libcrypto (core.sys) and
-- compared in constant time over the decoded 20 bytes. Nothing here raises on what a sender
-- controls: a missing, empty or malformed signature, a wrong body or an empty secret is `false`
-- (verify) or `nil, err` (parse). No secret or signature ever appears in an error.
local core = require "helpscout.core"

local type, pairs = type, pairs
local lower = string.lower
local sys = core.sys

local _M = {}

local new_error = core.error     -- the one error constructor
local decode = core.json_decode  -- integral numbers as integers, arrays tagged

local SIG_BYTES = 20

-- verify(body, signature, secret) -> true | false; never raises.
function _M.verify(body, signature, secret)
  if type(body) ~= "string" or type(signature) ~= "string" or type(secret) ~= "string"
    or secret == "" or signature == "" then
    return false
  end
  local given = sys.unbase64(signature)
  if not given or #given ~= SIG_BYTES then return false end
  return sys.equal(sys.hmac_sha1(secret, body), given)
end

-- The value of header name (lower case) in any letter case; nil when absent, false when the
-- header was sent more than once with different values (a list, as ngx.req.get_headers gives).
local function header(headers, name)
  local found
  for k, v in pairs(headers) do
    if type(k) == "string" and lower(k) == name then
      if type(v) == "table" then
        if #v ~= 1 then return false end
        v = v[1]
      end
      if type(v) ~= "string" or (found ~= nil and found ~= v) then return false end
      found = v
    end
  end
  return found
end

-- parse(headers, body, secret) -> {event = name, data = decoded body} or nil, err.
-- err.kind: "auth" (signature missing or wrong: answer 401), "invalid" (anything else malformed).
function _M.parse(headers, body, secret)
  if type(headers) ~= "table" then return nil, new_error("invalid", "webhook headers must be a table") end
  if type(body) ~= "string" then return nil, new_error("invalid", "webhook body must be a string") end
  if type(secret) ~= "string" or secret == "" then
    return nil, new_error("invalid", "webhook secret is empty or not a string")
  end
  if not _M.verify(body, header(headers, "x-helpscout-signature"), secret) then
    return nil, new_error("auth", "webhook signature is missing or does not match the body")
  end
  local event = header(headers, "x-helpscout-event")
  if not event or event == "" then
    return nil, new_error("invalid", "webhook has no X-HelpScout-Event header")
  end
  local data = decode(body)
  if type(data) ~= "table" or not body:match("^%s*{") then
    return nil, new_error("invalid", "webhook body is not a JSON object")
  end
  return { event = event, data = data }
end

return _M
