-- helpscout.changes: every conversation that changed since a named, durable cursor, each change
-- once (DESIGN.md §5 `hs:changes`, doc/changes.md). Driver-neutral: it needs a client (anything
-- with list_conversations: the libcurl client or helpscout.resty) and the client's store (a
-- connection's view: get_doc, put_doc, lease; helpscout.store.common).
--
--   for conv in hs:changes{ name = "tagger" } do ... end
--
-- How (one place each):
-- * Reading: GET /v2/conversations sortField=modifiedAt, sortOrder=asc, modifiedSince = the
--   cursor minus `overlap` seconds, always page 1 (keyset paging: a page that comes back full moves
--   the lower bound to its last modifiedAt, so conversations that move while we read are never
--   skipped; only a full page inside one second falls back to the next page number).
-- * A change is a conversation's version: (id, modifiedAt) plus a fingerprint of threads, status,
--   tags and assignee (two writes in one second still differ). Versions already handled inside the
--   overlap window are skipped; a version older than the one handled is stale and skipped too.
-- * Commit: a conversation is recorded as handled (the cursor document saved under the lease)
--   when the iterator is called again, i.e. when the loop body returned. A raise, a break or a
--   crash leaves it unrecorded: the next run delivers it again (at most that one).
-- * One consumer per name: the store's lease (helpscout.store.common), renewed as the loop runs;
--   a holder that lost it (its ttl passed) cannot commit (the iterator raises).
-- * Pacing: every request goes through the client, i.e. through the shared rate budget.
local core = require "helpscout.core"
local options = require "helpscout.options"
local htime = require "helpscout.time"

local type, pairs, ipairs, error, tostring, tonumber, setmetatable = type, pairs, ipairs, error,
  tostring, tonumber, setmetatable
local concat, sort, remove = table.concat, table.sort, table.remove
local floor = math.floor

local _M = {}

local OPTIONS = {
  name = { type = "string" },                              -- required (checked as a connection id)
  since = { type = "any" },                                -- ISO 8601 (API form) or epoch seconds
  status = { type = "string", default = "all" },
  mailbox = { type = "any" },                              -- id or CSV of ids
  fields = { type = "table" },                             -- projection (id, modifiedAt, ... added)
  overlap = { type = "number", min = 1, default = 10 },    -- seconds re-read behind the cursor
  lease_ttl = { type = "number", min = 1, default = 30 },  -- seconds a dead holder keeps the name
}
_M.OPTIONS = OPTIONS

local DOC = "changes."
local VERSION_FIELDS = { "id", "modifiedAt", "threads", "status", "tags", "assignee.id" }

local function iso(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", floor(t)) end
_M.iso = iso

local function epoch_of(v, what)
  if type(v) == "number" and v == v and v >= 0 and v < 1e11 then return floor(v) end
  local t = htime.parse_api(v)
  if t then return t end
  error(("bad argument #1 to 'changes' (option '%s': yyyy-MM-ddTHH:mm:ssZ or epoch seconds expected)")
    :format(what), 4)
end

-- The version of a conversation: what makes two reads of it the same change.
function _M.version(conv)
  local tags = {}
  for i, t in ipairs(type(conv.tags) == "table" and conv.tags or {}) do
    tags[i] = type(t) == "table" and tostring(t.tag or t.id) or tostring(t)
  end
  sort(tags)
  local a = type(conv.assignee) == "table" and conv.assignee.id or ""
  return concat({ tostring(conv.modifiedAt), tostring(conv.threads or ""), tostring(conv.status or ""),
    tostring(a), concat(tags, ",") }, "|")
end

local function projection(fields)
  if not fields then return nil end
  local out, have = {}, {}
  for i, f in ipairs(fields) do out[i] = f; have[f] = true end
  for _, f in ipairs(VERSION_FIELDS) do if not have[f] then out[#out + 1] = f end end
  return { fields = out }
end

local function check(opts)
  local o = options.check(OPTIONS, opts, "changes", 1, 4)
  local why = require("helpscout.store.common").id_problem(o.name)
  if why then error("bad argument #1 to 'changes' (option 'name': " .. why:gsub("a connection id", "a name") .. ")", 3) end
  if o.since ~= nil then o.since = epoch_of(o.since, "since") end
  if o.mailbox ~= nil and type(o.mailbox) ~= "number" and type(o.mailbox) ~= "string" then
    error("bad argument #1 to 'changes' (option 'mailbox': an id or a CSV of ids expected)", 3)
  end
  return o
end

-- A run of one name: its lease, its cursor document, the page being delivered.
local Run = {}
Run.__index = Run

-- The cursor document: { cursor = epoch of the newest handled modifiedAt, seen = { [id] = {at, version} } }.
local function load_doc(self, store, o)
  local doc, err = store:get_doc(DOC .. o.name)
  if err then return nil, err end
  if type(doc) ~= "table" or type(doc.cursor) ~= "number" then
    doc = { cursor = o.since or floor(core.sys.now()), seen = {} }
  end
  if type(doc.seen) ~= "table" then doc.seen = {} end
  self.doc = doc
  return true
end

local function query(self)
  local o = self.o
  return { status = o.status, mailbox = o.mailbox, sortField = "modifiedAt", sortOrder = "asc",
    modifiedSince = iso(self.low), page = self.page > 1 and self.page or nil }
end

-- Fetches the next page into self.queue (unhandled versions only); sets self.done at the end.
local function fetch(self)
  local items, page = self.hs:list_conversations(query(self), self.proj)
  if not items then return nil, page end
  self.requests = self.requests + 1
  local seen, last = self.doc.seen, nil
  for _, conv in ipairs(items) do
    local at = htime.parse_api(conv.modifiedAt)
    if type(conv.id) ~= "number" or not at then
      return nil, core.error("protocol", "a conversation without an id or an API-form modifiedAt")
    end
    local s = seen[tostring(conv.id)]
    if not (s and (s[2] == _M.version(conv) or s[1] > at)) then self.queue[#self.queue + 1] = conv end
    last = at
  end
  local size = type(page) == "table" and tonumber(page.size) or 25
  if #items < size or (type(page) == "table" and tonumber(page.totalPages) and
      (tonumber(page.number) or 1) >= tonumber(page.totalPages)) then
    self.done = true
  elseif last - 1 > self.low then
    -- keyset: the next read starts a second before this page's last (modifiedSince may be exclusive)
    self.low, self.page = last - 1, 1
  else
    self.page = self.page + 1     -- a full page inside one second: the next page number
  end
  return true
end

-- Records conv as handled: the cursor moves to its modifiedAt, versions older than the overlap
-- window are forgotten, the document is saved under the lease.
local function commit(self, conv)
  local doc, at = self.doc, htime.parse_api(conv.modifiedAt)
  doc.seen[tostring(conv.id)] = { at, _M.version(conv) }
  if at > doc.cursor then doc.cursor = at end
  local horizon = doc.cursor - self.o.overlap
  for id, s in pairs(doc.seen) do if s[1] < horizon then doc.seen[id] = nil end end
  local ok, err = self.store:put_doc(DOC .. self.o.name, doc, self.lease)
  if not ok then return nil, err end
  self.handled = self.handled + 1
  return true
end

function Run:close()
  if self.lease then self.lease:release() end
  self.closed = true
end
Run.__close = Run.close

-- The iterator's step: commit what the body returned from, then the next unhandled version.
function Run:step()
  if self.closed then return nil end
  local ok, err = true, nil
  if self.inflight then
    ok, err = commit(self, self.inflight)
    self.inflight = nil
  end
  if ok and core.sys.now() - self.renewed > self.o.lease_ttl / 3 then
    ok, err = self.lease:renew()
    self.renewed = core.sys.now()
  end
  while ok and #self.queue == 0 and not self.done do ok, err = fetch(self) end
  if not ok then
    self:close()
    error(err, 0) -- iterators raise (DESIGN.md §4): a loop never ends silently short
  end
  if #self.queue == 0 then
    self:close()
    return nil
  end
  self.inflight = remove(self.queue, 1)
  return self.inflight
end

-- open(hs, store, opts) -> run (or nil, err: the name is busy, the store failed).
function _M.open(hs, store, opts)
  local o = check(opts)
  if type(store) ~= "table" or type(store.lease) ~= "function" then
    error("bad argument #1 to 'changes' (the client needs a store that keeps documents and leases: "
      .. "helpscout.new{store = ...}; the cursor lives there)", 3)
  end
  local lease, err = store:lease(DOC .. o.name, o.lease_ttl)
  if not lease then return nil, err end
  local self = setmetatable({ hs = hs, store = store, o = o, lease = lease, queue = {}, page = 1,
    proj = projection(o.fields), requests = 0, handled = 0, renewed = core.sys.now() }, Run)
  local ok, lerr = load_doc(self, store, o)
  if not ok then
    lease:release()
    return nil, lerr
  end
  self.low = self.doc.cursor - o.overlap
  return self
end

-- iterate(hs, store, opts) -> iterator, nil, nil, run (the run closes on break or raise under
-- Lua 5.4's generic for; run:close() elsewhere). Raises when the name is busy or the store fails.
function _M.iterate(hs, store, opts)
  local run, err = _M.open(hs, store, opts)
  if not run then error(err, 2) end
  return function() return run:step() end, nil, nil, run
end

return _M
