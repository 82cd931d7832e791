-- helpscout.store: where tokens live across processes and hosts (DESIGN.md §4).
--
--   local store = require "helpscout.store"
--   store.memory()                         -- one Lua state (the default of a client)
--   store.file(path[, {lock_timeout=}])    -- processes of one host: JSON 0600, flock
--   store.redis{host=, port=, key=, password=, db=, socket=, sleep=, timeout=, lock_timeout=, lock_ttl=}
--
-- Every store: load() -> token | nil[, err]; save(token) -> true | nil, err; lock(fn) -> fn's
-- results | nil, err; spend(cost, now) -> seconds to wait (0: go; a write costs 2);
-- observe{remaining=, reset_at=, now=} -> true | nil, err. Failures are errors of kind "store".
-- The single-flight renewal over these methods is helpscout.renew.
local _M = {}

function _M.memory() return require("helpscout.store.memory").new() end
function _M.file(path, opts) return require("helpscout.store.file").new(path, opts) end
function _M.redis(opts) return require("helpscout.store.redis").new(opts) end

return _M
