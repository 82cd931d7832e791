-- helpscout.store.file(path[, opts]): tokens in JSON files shared by the processes of one host,
-- one file per connection (DESIGN.md §4). The connection "default" is the file `path` itself (as
-- before connections); connection `id` is "<path>.d/<id>.token"; states of the connect flow are
-- "<path>.d/.states/<hash>".
-- Files are written 0600 by an atomic rename (core.sys.write_file: readers see the old or the new
-- record, never a part) in directories created 0700; the cross-process lock of a connection is
-- flock(2) on "<its file>.lock" (core.sys.lock), released by the kernel the moment its holder
-- dies, so a killed renewal never stalls the others. A file that is not a record is an error of
-- kind "store" and is never overwritten: save refuses it too.
-- Every file (record, .lock, .budget, .budget.lock, states) is opened O_NOFOLLOW and must be a
-- regular file of this user (a planted symlink is refused, never followed); the token
-- directory must belong to this user.
local core = require "helpscout.core"
local cjson = require "cjson.safe"
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"

local setmetatable, type, error, os_remove, os_rename = setmetatable, type, error, os.remove, os.rename
local sort, ipairs = table.sort, ipairs
local sys = core.sys

local _M = {}
local mt = { __index = _M }
common.rooted(_M)

local OPTIONS = {
  lock_timeout = { type = "number", min = 0, default = 40 },   -- seconds to wait for the lock
  budget_timeout = { type = "number", min = 0, default = 5 },  -- seconds to wait for the budget
}
local ENOENT = 2
local SUFFIX = ".token"

function _M.new(path, opts)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'file' (path must be a non-empty string)", 2)
  end
  local o = common.options(OPTIONS, opts, "file")
  local dir = path:match("^(.*)/[^/]*$")
  if dir == "" then dir = "/" end
  return setmetatable({ path = path, dir = dir or ".", cdir = path .. ".d", opts = o }, mt)
end

-- The record file of a connection and the directory it lives in.
local function file_of(self, id)
  if id == common.DEFAULT then return self.path, self.dir end
  return self.cdir .. "/" .. id .. SUFFIX, self.cdir
end

-- mkdir -p dir with 0700 for what it creates; an existing directory writable by others is
-- refused, and the token directory itself must belong to the effective user.
local function ensure_dir(dir)
  local prefix = dir:sub(1, 1) == "/" and "" or nil
  local parts = {}
  for part in dir:gmatch("[^/]+") do parts[#parts + 1] = part end
  for i, part in ipairs(parts) do
    prefix = prefix and prefix .. "/" .. part or part
    local ok, err = sys.mkdir(prefix, 448, i == #parts) -- 0700
    if not ok then return common.fail("token directory: " .. err) end
  end
  return true
end

-- read() -> content | false (no file) | nil, err. O_NOFOLLOW, a regular file of this user.
local function read(path)
  local s, msg, code = sys.read_file(path)
  if not s then
    if code == ENOENT then return false end
    return common.fail("cannot read the token file: " .. msg)
  end
  return s
end

local function corrupt(path, why)
  return common.fail(("token file %s is corrupt (%s); it was left as it is: fix or remove it")
    :format(path, why), { path = path })
end

function _M:load_conn(id)
  local path = file_of(self, id)
  local s, err = read(path)
  if not s then return nil, err end
  local tok, why = common.decode(s)
  if not tok then return corrupt(path, why) end
  return tok
end

function _M:save_conn(id, t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  local path, dir = file_of(self, id)
  local ok, err = ensure_dir(dir)
  if not ok then return nil, err end
  local s
  s, err = read(path)
  if s == nil then return nil, err end
  if s and not common.decode(s) then return corrupt(path, "not a JSON token object") end
  ok, err = sys.write_file(path, common.encode(tok), 384) -- 0600
  if not ok then return common.fail("cannot save the token: " .. err) end
  return true
end

-- remove_conn(id): the connection's record file is deleted (a corrupt one too: a logout).
function _M:remove_conn(id)
  local path = file_of(self, id)
  local ok, msg, code = os_remove(path)
  if not ok and code ~= ENOENT then return common.fail("cannot remove the token file: " .. tostring(msg)) end
  return true
end

local function acquire(path, timeout)
  local lock, err = sys.lock(path, timeout)
  if lock then return lock end
  if err == "timeout" then
    return common.fail(("timed out after %gs waiting for the lock %s"):format(timeout, path), { timeout = true })
  end
  return common.fail("token lock: " .. err)
end

function _M:lock_conn(id, fn)
  local path, dir = file_of(self, id)
  return common.with_lock(function()
    local ok, err = ensure_dir(dir)
    if not ok then return nil, err end
    return acquire(path .. ".lock", self.opts.lock_timeout)
  end, function(l) l:unlock() end, fn)
end

-- connections() -> sorted ids of the connections that have a record (a missing directory is none).
function _M:connections()
  local ids = {}
  if read(self.path) then ids[1] = common.DEFAULT end
  for _, name in ipairs(sys.list_dir(self.cdir) or {}) do
    local id = name:sub(1, -#SUFFIX - 1)
    if name:sub(-#SUFFIX) == SUFFIX and not common.id_problem(id) then ids[#ids + 1] = id end
  end
  sort(ids)
  return ids
end

-- Runs op on the budget state kept in "<file>.budget" under its own short lock (never the token
-- lock: a renewal in flight must not stall pacing). A broken budget never stops a call: 0, err.
local function with_budget(self, key, op, x, y, now)
  local base, dir = self.path, self.dir
  if key ~= common.DEFAULT then base, dir = self.cdir .. "/" .. key, self.cdir end
  local ok, err = ensure_dir(dir)
  local lock
  if ok then lock, err = acquire(base .. ".budget.lock", self.opts.budget_timeout) end
  if not lock then return 0, err end
  local s = read(base .. ".budget")
  local st = s and cjson.decode(s)
  if type(st) ~= "table" then st = {} end
  local wait = budget.apply(st, op, x, y, now)
  local _, werr = sys.write_file(base .. ".budget", cjson.encode(st), 384, false) -- 0600, no fsync: advice
  lock:unlock()
  if werr then return wait, common.error("store", "rate budget: " .. werr) end
  return wait
end

function _M:spend_key(key, cost, now)
  budget.check_spend(cost, now)
  return with_budget(self, key, "spend", cost, nil, now)
end

function _M:observe_key(key, o)
  budget.check_observe(o)
  local _, err = with_budget(self, key, "observe", o.remaining, o.reset_at, o.now)
  if err then return nil, err end
  return true
end

-- States: one file each; taking one renames it away first (rename is atomic: one taker wins).
function _M:put_state(state, record, ttl)
  local path = self.cdir .. "/.states/" .. common.put_key(state)
  local s = common.encode_state(record, ttl)
  local ok, err = ensure_dir(self.cdir .. "/.states")
  if not ok then return nil, err end
  ok, err = sys.write_file(path, s, 384)
  if not ok then return common.fail("cannot keep the state: " .. err) end
  return true
end

function _M:take_state(state)
  local k = common.state_key(state)
  if not k then return nil end
  local path = self.cdir .. "/.states/" .. k
  local taken = path .. ".taken" .. common.random_hex(8)
  if not os_rename(path, taken) then return nil end
  local s = read(taken)
  os_remove(taken)
  return common.decode_state(s or nil)
end

-- Documents and leases (helpscout.store.common): "<path>.d/<id>.docs/<name>.json", written by
-- atomic rename; a lease is flock(2) on "<name>.lease" beside it (released by the kernel when its
-- holder dies, so a kill -9 hands the name over at once; renew() has nothing to extend).
local function doc_dir(self, id) return self.cdir .. "/" .. id .. ".docs" end

function _M:get_doc_conn(id, name)
  common.check_doc(name, "get_doc")
  local path = doc_dir(self, id) .. "/" .. name .. ".json"
  local s, err = read(path)
  if s == nil then return nil, err end
  return common.decode_doc(s or nil, path)
end

function _M:put_doc_conn(id, name, doc, lease)
  local s = common.check_doc(name, "put_doc", doc)
  if lease and (lease.released or not lease.lock) then return common.lost(name) end
  local dir = doc_dir(self, id)
  local ok, err = ensure_dir(dir)
  if not ok then return nil, err end
  ok, err = sys.write_file(dir .. "/" .. name .. ".json", s, 384)
  if not ok then return common.fail("cannot save the document: " .. err) end
  return true
end

function _M:lease_conn(id, name, ttl)
  common.check_doc(name, "lease")
  common.check_ttl(ttl)
  local dir = doc_dir(self, id)
  local ok, err = ensure_dir(dir)
  if not ok then return nil, err end
  local base = dir .. "/" .. name
  local lock, why = sys.lock(base .. ".lease", 0)
  if not lock then
    if why ~= "timeout" then return common.fail("lease: " .. why) end
    return common.busy(name, read(base .. ".holder") or nil)
  end
  local holder = ("%s/%d"):format(sys.hostname() or "?", sys.pid())
  sys.write_file(base .. ".holder", holder, 384) -- who holds it, for the busy message only
  local lease = common.new_lease(name, holder, function() return true end, function(l) l.lock:unlock() end)
  lease.lock = lock
  return lease
end

return _M
