-- helpscout.store.file(path[, opts]): a token in a JSON file shared by the processes of one host.
-- The file is written 0600 by an atomic rename (core.sys.write_file: readers see the old or the
-- new token, never a part) in a directory created 0700 that must belong to this user; every file
-- (token, .lock, .budget, .budget.lock) is opened O_NOFOLLOW and must be a regular file of
-- this user (a planted symlink is refused, never followed); the cross-process lock is flock(2) on
-- "<path>.lock" (core.sys.lock), released by the kernel if its holder dies. A file that is not a
-- token is an error of kind "store" and is never overwritten: save refuses it too.
local core = require "helpscout.core"
local cjson = require "cjson.safe"
local common = require "helpscout.store.common"
local budget = require "helpscout.store.budget"

local setmetatable, type, error, ipairs = setmetatable, type, error, ipairs
local sys = core.sys

local _M = {}
local mt = { __index = _M }

local OPTIONS = {
  lock_timeout = { type = "number", min = 0, default = 40 },   -- seconds to wait for the lock
  budget_timeout = { type = "number", min = 0, default = 5 },  -- seconds to wait for the budget
}
local ENOENT = 2

function _M.new(path, opts)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'file' (path must be a non-empty string)", 2)
  end
  local o = common.options(OPTIONS, opts, "file")
  local dir = path:match("^(.*)/[^/]*$")
  if dir == "" then dir = "/" end
  return setmetatable({ path = path, dir = dir or ".", opts = o }, mt)
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

function _M:load()
  local s, err = read(self.path)
  if not s then return nil, err end
  local tok, why = common.decode(s)
  if not tok then return corrupt(self.path, why) end
  return tok
end

function _M:save(t)
  local tok, why = common.token(t)
  if not tok then return nil, common.error("invalid", "cannot save: " .. why) end
  local ok, err = ensure_dir(self.dir)
  if not ok then return nil, err end
  local s
  s, err = read(self.path)
  if s == nil then return nil, err end
  if s and not common.decode(s) then return corrupt(self.path, "not a JSON token object") end
  ok, err = sys.write_file(self.path, common.encode(tok), 384) -- 0600
  if not ok then return common.fail("cannot save the token: " .. err) end
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

function _M:lock(fn)
  return common.with_lock(function()
    local ok, err = ensure_dir(self.dir)
    if not ok then return nil, err end
    return acquire(self.path .. ".lock", self.opts.lock_timeout)
  end, function(l) l:unlock() end, fn)
end

-- Runs op on the budget state kept in "<path>.budget" under its own short lock (never the token
-- lock: a renewal in flight must not stall pacing). A broken budget never stops a call: 0, err.
local function with_budget(self, op, x, y, now)
  local ok, err = ensure_dir(self.dir)
  local lock
  if ok then lock, err = acquire(self.path .. ".budget.lock", self.opts.budget_timeout) end
  if not lock then return 0, err end
  local s = read(self.path .. ".budget")
  local st = s and cjson.decode(s)
  if type(st) ~= "table" then st = {} end
  local wait = budget.apply(st, op, x, y, now)
  local _, werr = sys.write_file(self.path .. ".budget", cjson.encode(st), 384, false) -- 0600, no fsync
  lock:unlock()
  if werr then return wait, common.error("store", "rate budget: " .. werr) end
  return wait
end

function _M:spend(cost, now)
  budget.check_spend(cost, now)
  return with_budget(self, "spend", cost, nil, now)
end

function _M:observe(o)
  budget.check_observe(o)
  local _, err = with_budget(self, "observe", o.remaining, o.reset_at, o.now)
  if err then return nil, err end
  return true
end

return _M
