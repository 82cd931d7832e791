---@meta
-- LuaLS type definitions for helpscout.webhook (doc/tokens.md, *Webhooks*). Written by hand;
-- spec/types_spec.lua fails when the module's functions and these declarations differ.

---@class helpscout.webhook
local webhook = {}
-- Whether `signature` (the X-HelpScout-Signature header) is the Base64 HMAC-SHA1 of the raw
-- body under `secret`, compared in constant time; never raises.
---@param body string
---@param signature string?
---@param secret string
---@return boolean
function webhook.verify(body, signature, secret) end
-- Verifies, then decodes a delivery: the event (X-HelpScout-Event) and the JSON body.
---@param headers table  request headers (any case)
---@param body string
---@param secret string
---@return {event: string, data: table}? event
---@return helpscout.Error? err  kind "auth" (signature missing or wrong: answer 401) or "invalid"
function webhook.parse(headers, body, secret) end

return webhook
