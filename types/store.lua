---@meta
-- LuaLS type definitions for the token stores (helpscout.store, doc/tokens.md). Written by hand;
-- spec/types_spec.lua fails when a store's functions and these declarations differ.

---@class helpscout.Token
---@field access_token string
---@field refresh_token string?
---@field token_type string
---@field expires_at number?   epoch seconds
---@field obtained_at number?  epoch seconds

-- A store: one Help Scout connection's token, lock and rate budget (the `default` connection for
-- the store itself, any other through `connection(id)`), plus the connect flow's states.
---@class helpscout.Store
local Store = {}
---@return helpscout.Token? token  nil when the store is empty
---@return helpscout.Error? err
function Store:load() end
---@param token helpscout.Token
---@return boolean? ok, helpscout.Error? err
function Store:save(token) end
---@param fn fun(): ...
---@return any ...  fn's results, or nil, err on timeout or failure
function Store:lock(fn) end
-- Deletes the connection's record (a logout; a corrupt record too): true also when there was none.
---@return boolean? ok, helpscout.Error? err
function Store:remove() end
---@param cost integer  1 for a read, 2 for a write
---@param now number    epoch seconds
---@return number wait  seconds to wait before sending (0: go)
---@return helpscout.Error? err
function Store:spend(cost, now) end
---@param o {remaining: integer?, reset_at: number?, now: number}
---@return boolean ok
function Store:observe(o) end
---@param id string  1-128 characters of letters, digits and . _ @ -
---@param opts {budget: string?}?
---@return helpscout.StoreView
function Store:connection(id, opts) end
---@return string[]? ids  the connections' ids, never tokens
---@return helpscout.Error? err
function Store:connections() end
---@param state string
---@param record table
---@param ttl number  seconds
---@return boolean? ok, helpscout.Error? err
function Store:put_state(state, record, ttl) end
---@param state string
---@return table? record  the record, once: a state is single-use
---@return helpscout.Error? err
function Store:take_state(state) end

-- The documents of hs:changes (doc/changes.md, *The store API it uses*): a named JSON document
-- per connection (the cursor), written only while `lease` still holds.
---@param name string
---@return table? doc, helpscout.Error? err
function Store:get_doc(name) end
---@param name string
---@param doc table
---@param lease helpscout.Lease?
---@return boolean? ok
---@return helpscout.Error? err  err.lost when the lease no longer holds
function Store:put_doc(name, doc, lease) end
-- One consumer per name across processes and hosts.
---@param name string
---@param ttl number  seconds
---@return helpscout.Lease? lease
---@return helpscout.Error? err  kind "busy" when another consumer holds it
function Store:lease(name, ttl) end

---@class helpscout.Lease
---@field renew fun(self): boolean?, helpscout.Error?
---@field release fun(self)

-- The store of one connection (`store:connection(id)`): the same methods, on that connection.
---@class helpscout.StoreView : helpscout.Store

---@class helpscout.RedisStore : helpscout.Store
local RedisStore = {}
-- Closes the store's connection to Redis (outside nginx: LuaSocket).
function RedisStore:close() end

---@class helpscout.store
local store = {}
-- One Lua state's store (a client's default).
---@return helpscout.Store
function store.memory() end
-- The processes of one host: a 0600 JSON file replaced by atomic renames, flock(2) locking.
---@param path string
---@param opts {lock_timeout: number?, budget_timeout: number?}?
---@return helpscout.Store
function store.file(path, opts) end
-- Several hosts: the token, lock and budget in Redis (RESP2 over a LuaSocket-shaped socket).
---@param opts {host: string?, port: integer?, key: string?, password: string?, db: integer?, timeout: number?, lock_timeout: number?, lock_ttl: number?, socket: function?, sleep: function?}?
---@return helpscout.RedisStore
function store.redis(opts) end

return store
