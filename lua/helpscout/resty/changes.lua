-- helpscout.resty.changes: hs:changes inside nginx (doc/changes.md). One handler, two feeds:
-- a timer-driven poller (every worker arms a timer; the name's lease lets one of them poll at a
-- time) and webhooks (a delivery names a conversation; it is fetched under the same lease and
-- handled unless that version was handled already). A webhook that arrives while a pass runs, or
-- one Help Scout never delivered, is the poller's: each change reaches the handler once.
--
--   -- init_worker_by_lua_block:
--   poller = require("helpscout.resty").changes_poller{ name = "tagger", interval = 10,
--     client = { shdict = "helpscout", client_id = ..., client_secret = ... },
--     handle = function(conv, via) ... end }        -- via: "poll" or "webhook"
--   poller:start()
--   -- content_by_lua_block of the webhook location:
--   resty.webhook_handler{ secret = ..., handle = function(event, data) poller:offer(data) end }()
local changes = require "helpscout.changes"
local options = require "helpscout.options"

local ngx = ngx -- luacheck: ignore
local type, pcall, setmetatable, tostring, error = type, pcall, setmetatable, tostring, error

local _M = {}
local mt = { __index = _M }

local OPTS = {
  name = { type = "string" }, client = { type = "table" }, handle = { type = "function" },
  interval = { type = "number", min = 0.05, default = 10 }, status = { type = "string" },
  mailbox = { type = "any" }, since = { type = "any" }, overlap = { type = "number", min = 1 },
  lease_ttl = { type = "number", min = 1 }, fields = { type = "table" },
}

function _M.new(opts)
  local o = options.check(OPTS, opts, "changes_poller", 1, 3)
  if not o.client or not o.handle then
    error("bad argument #1 to 'changes_poller' (options 'client' (resty.new options) and 'handle' required)", 2)
  end
  local why = require("helpscout.store.common").id_problem(o.name)
  if why then
    error("bad argument #1 to 'changes_poller' (option 'name': " .. why:gsub("a connection id", "a name") .. ")", 2)
  end
  local copts = { name = o.name, status = o.status, mailbox = o.mailbox, since = o.since, overlap = o.overlap,
    lease_ttl = o.lease_ttl, fields = o.fields }
  return setmetatable({ o = o, copts = copts, stats = { poll = 0, webhook = 0, passes = 0, busy = 0 } }, mt)
end

local function client(self) return require("helpscout.resty").new(self.o.client) end

-- One pass (from the timer): every change not handled yet, in order. Another worker (or host)
-- polling the name is not an error: this tick is skipped.
function _M:poll()
  local hs = client(self)
  local ok, it, _, _, run = pcall(hs.changes, hs, self.copts)
  if not ok then
    if type(it) == "table" and it.kind == "busy" then self.stats.busy = self.stats.busy + 1; return true end
    return nil, it
  end
  local handle, stats = self.o.handle, self.stats
  local okb, e = pcall(function()
    for conv in it do
      handle(conv, "poll")
      stats.poll = stats.poll + 1
    end
  end)
  run:close()
  stats.passes = stats.passes + 1
  if not okb then return nil, e end
  return true
end

-- A webhook's conversation (its data table, or an id): handled now unless a pass is running
-- (then the pass will see it) or that version was handled already. Never raises on a busy name.
function _M:offer(data)
  local id = type(data) == "table" and data.id or data
  if type(id) ~= "number" then return nil, "a webhook without a conversation id" end
  local hs = client(self)
  local ok, err = changes.offer(hs, hs.store, self.copts, id, function(conv)
    self.o.handle(conv, "webhook")
    self.stats.webhook = self.stats.webhook + 1
  end)
  if ok == nil and type(err) == "table" and err.kind == "busy" then return false, "left to the poller" end
  return ok, err
end

-- start() from init_worker_by_lua*: a timer in this worker every `interval` seconds.
function _M:start()
  local function tick(premature)
    if premature then return end
    local ok, e = self:poll()
    if not ok then ngx.log(ngx.ERR, "helpscout changes '", self.o.name, "': ", tostring(e)) end
  end
  local ok, e = ngx.timer.every(self.o.interval, tick)
  if not ok then return nil, e end
  return true
end

return _M
