---@meta
-- LuaLS type definitions for helpscout.resty, the client on nginx cosockets (doc/resty.md).
-- Written by hand; spec/types_spec.lua fails when the module's or a client's functions and these
-- declarations differ. The tools are helpscout.Api's (types/helpscout.lua, from core.schema).

---@class helpscout.resty.Options : helpscout.Options
---@field shdict string?     a lua_shared_dict's name: shorthand for store = resty.store.shdict(name)
---@field keepalive number?  seconds an idle connection stays in nginx's pool (60)
---@field pool_size integer? connections kept per origin and worker (32)
---@field connection string?
---@field budget string?

-- The same methods as the libcurl client (the nine tools, each, pages, fetch_all on light
-- threads, token, whoami); no close: nginx owns the connections.
---@class helpscout.resty.Client : helpscout.Api

---@class helpscout.resty
---@field VERSION string
local resty = {}

---@class helpscout.resty.store
resty.store = {}
-- A store in a lua_shared_dict: token, lock and rate budget shared by every worker.
---@param name string
---@param opts table?
---@return helpscout.Store
function resty.store.shdict(name, opts) end

-- Does no I/O: any phase may call it.
---@param opts helpscout.resty.Options?
---@return helpscout.resty.Client
function resty.new(opts) end
-- The connect flow (doc/resty.md): `start{connection =, data =}` redirects to Help Scout's
-- consent, `callback()` (also calling the handler itself) completes it at
-- /oauth/callback/help-scout.
---@class helpscout.resty.OAuthHandler
---@field start fun(args: {connection: string?, data: table?}?)
---@field callback fun()

---@param opts {client_id: string?, client_secret: string?, redirect_uri: string?, authorize_url: string?, store: helpscout.Store?, shdict: string?, principal: fun(): string?, allow: (string[]|fun(user: table): boolean)?, replace: boolean?, connection: (string|fun(user: table, data: table?): string)?, secure_cookie: boolean?, on_token: fun(token: helpscout.Token, info: table)?, done: fun(token: helpscout.Token, info: table)?, timeout: number?, connect_timeout: number?}
---@return helpscout.resty.OAuthHandler
function resty.oauth_handler(opts) end
-- Verifies and dispatches webhooks; see doc/resty.md.
---@param opts {secret: string, handle: fun(event: string, data: table, body: string)}  handle raising answers 500 (Help Scout retries)
---@return fun() handler
function resty.webhook_handler(opts) end
-- hs:changes in every worker (doc/changes.md): start() from init_worker_by_lua* arms a timer per
-- worker (the name's lease lets one poll at a time), offer(data) from a webhook handler feeds the
-- same handle.
---@class helpscout.resty.ChangesPoller
---@field start fun(self)
---@field offer fun(self, data: table)

---@param opts {name: string, client: helpscout.resty.Options, handle: fun(conv: table, via: string), interval: number?, status: string?, mailbox: (integer|string)?, since: (string|integer)?}
---@return helpscout.resty.ChangesPoller
function resty.changes_poller(opts) end
-- Raises when the current nginx phase has no cosockets, naming `fname` and the phase.
---@param fname string
function resty.check_phase(fname) end
---@param kind string
---@param message string
---@param fields table?
---@return helpscout.Error
function resty.error(kind, message, fields) end

return resty
