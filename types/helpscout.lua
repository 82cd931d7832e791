---@meta
-- LuaLS type definitions for lua-helpscout (editor completion only; not loaded at run time).

---@class helpscout.Token
---@field access_token string
---@field refresh_token string?
---@field token_type string
---@field expires_at number   epoch seconds

---@class helpscout.Error
---@field kind "auth"|"reconsent"|"forbidden"|"not_found"|"validation"|"rate_limited"|"server"|"timeout"|"network"|"protocol"|"read_only"
---@field status integer?
---@field message string
---@field retry_after number?
---@field log_ref string?
---@field errors table[]?
---@field method string?
---@field url string?
---@field retryable boolean

---@class helpscout.Page
---@field size integer
---@field totalElements integer
---@field totalPages integer
---@field number integer

---@class helpscout.Options
---@field client_id string?
---@field client_secret string?
---@field access_token string?
---@field refresh_token string?
---@field expires_at number?
---@field on_token fun(token: helpscout.Token)?
---@field base_url string?
---@field timeout number?
---@field connect_timeout number?
---@field retries integer?
---@field read_only boolean?
---@field user_agent string?
---@field token_type string?

---@class helpscout.Client
local Client = {}

---@return table[]? items, helpscout.Page|helpscout.Error page_or_err
function Client:list_mailboxes(opts) end
---@return table[]? items, helpscout.Page|helpscout.Error page_or_err
function Client:list_conversations(opts) end
---@param id integer
---@return table? conversation, helpscout.Error? err
function Client:get_conversation(id, opts) end
---@return table[]? items, helpscout.Page|helpscout.Error page_or_err
function Client:list_customers(opts) end
---@return table[]? items, helpscout.Page|helpscout.Error page_or_err
function Client:list_users(opts) end
---@param conversation_id integer
---@param note string|table
---@return integer? thread_id, helpscout.Error? err
function Client:add_note(conversation_id, note) end
---@param conversation_id integer
---@param tags string[]
---@return boolean? ok, helpscout.Error? err
function Client:update_tags(conversation_id, tags) end
---@param conversation_id integer
---@param reply table
---@return integer? thread_id, helpscout.Error? err
function Client:reply(conversation_id, reply) end
---@param conv table
---@return integer? conversation_id, helpscout.Error? err
function Client:create_conversation(conv) end
---@param tool "list_mailboxes"|"list_conversations"|"list_customers"|"list_users"
---@return fun(): table
function Client:each(tool, opts) end
---@param tool "list_mailboxes"|"list_conversations"|"list_customers"|"list_users"
---@return fun(): table[], helpscout.Page
function Client:pages(tool, opts) end
---@param tool "list_mailboxes"|"list_conversations"|"list_customers"|"list_users"
---@param fetch_opts {concurrency: integer?}?
---@return table[]? items, helpscout.Error? err
function Client:fetch_all(tool, opts, fetch_opts) end
---@return helpscout.Token?
function Client:token() end
function Client:close() end

---@class helpscout
---@field VERSION string
---@field tools table[]     the engine's table of the nine tools
---@field Error table       metatable shared by every error object
---@field engine table      sans-I/O engine: build, interpret, decide (for Lua drivers)
local helpscout = {}

---@return boolean
function helpscout.is_error(v) end

---@param opts helpscout.Options?
---@return helpscout.Client
function helpscout.new(opts) end
---@param opts {client_id: string, state: string?, authorize_base: string?}
---@return string url, string state
function helpscout.authorize_url(opts) end
---@param opts {client_id: string?, client_secret: string?, code: string, base_url: string?}
---@return helpscout.Token? token, helpscout.Error? err
function helpscout.exchange_code(opts) end

return helpscout
