-- helpscout.changes: every conversation that changed since a named, durable cursor, each change
-- once (DESIGN.md §5 `hs:changes`, doc/changes.md). Driver-neutral: it needs a client (anything
-- with list_conversations: the libcurl client or helpscout.resty) and the client's store (a
-- connection's view: get_doc, put_doc, lease; helpscout.store.common).
--
--   for conv in hs:changes{ name = "tagger" } do ... end
--
-- How (one place each):
-- * Reading: GET /v2/conversations sortField=modifiedAt, sortOrder=asc, modifiedSince = the
--   cursor minus 1 s, page after page (a "pass"); every overlap/2 seconds a full pass reaches back
--   `overlap` seconds instead (what clock skew or index lag hid from the short passes, up to
--   overlap/2, is found there, at the cost of re-reading the window). Conversations carry no modifiedAt
--   on the wire, so the cursor is a time of our own: the clock at the start of the last complete,
--   stable pass. A pass is unstable when a conversation read earlier in it shows up again (it
--   moved to the end while we paged, so one item may have slid past a page boundary) or the total
--   shrank: the cursor then stays and another pass reads the window again (at most 3 per run).
-- * A change is a conversation's version: a fingerprint of userUpdatedAt, threads, status, tags,
--   assignee, subject, mailbox, customFields and closedAt. Versions already handled inside the
--   window (2 x overlap behind the cursor: overlap covers clock skew and index lag) are skipped;
--   a conversation changed twice between two reads is one change (you see its latest state).
-- * Commit: a conversation is recorded as handled (the cursor document saved under the lease)
--   when the iterator is called again, i.e. when the loop body returned. A raise, a break or a
--   crash leaves it unrecorded: the next run delivers it again (at most that one).
-- * One consumer per name: the store's lease (helpscout.store.common), renewed as the loop runs;
--   a holder that lost it (its ttl passed) cannot commit (the iterator raises).
-- * Pacing: every request goes through the client, i.e. through the shared rate budget.
local core = require "helpscout.core"
local options = require "helpscout.options"
local htime = require "helpscout.time"

local type, pairs, ipairs, error, tostring, tonumber, setmetatable, getmetatable, rawget = type, pairs, ipairs, error,
  tostring, tonumber, setmetatable, getmetatable, rawget
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
local VERSION_FIELDS = { "id", "userUpdatedAt", "threads", "status", "tags", "assignee", "subject", "mailboxId",
  "customFields", "closedAt" }
local MAX_PASSES = 3

local function iso(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", floor(t)) end
_M.iso = iso

local function epoch_of(v, what)
  if type(v) == "number" and v == v and v >= 0 and v < 1e11 then return floor(v) end
  local t = htime.parse_api(v)
  if t then return t end
  error(("bad argument #1 to 'changes' (option '%s': yyyy-MM-ddTHH:mm:ssZ or epoch seconds expected)")
    :format(what), 4)
end

local function str(v) return v == nil and "" or tostring(v) end

-- The version of a conversation: what makes two reads of it the same change.
function _M.version(conv)
  local tags, cf = {}, {}
  for i, t in ipairs(type(conv.tags) == "table" and conv.tags or {}) do
    tags[i] = type(t) == "table" and str(t.tag or t.id) or str(t)
  end
  sort(tags)
  for i, f in ipairs(type(conv.customFields) == "table" and conv.customFields or {}) do
    cf[i] = type(f) == "table" and str(f.id) .. "=" .. str(f.value) or str(f)
  end
  sort(cf)
  local a = type(conv.assignee) == "table" and conv.assignee.id
  return concat({ str(conv.userUpdatedAt), str(conv.threads), str(conv.status), str(a), str(conv.subject),
    str(conv.mailboxId), str(conv.closedAt), concat(tags, ","), concat(cf, ",") }, "|")
end

-- What the cursor document keeps of a version: 16 characters of a keyed SHA-1 (96 bits).
local function digest(conv)
  return core.sys.base64(core.sys.hmac_sha1("helpscout-changes", _M.version(conv))):sub(1, 16)
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
  if why then
    error("bad argument #1 to 'changes' (option 'name': " .. why:gsub("a connection id", "a name") .. ")", 4)
  end
  if o.since ~= nil then o.since = epoch_of(o.since, "since") end
  if o.mailbox ~= nil and type(o.mailbox) ~= "number" and type(o.mailbox) ~= "string" then
    error("bad argument #1 to 'changes' (option 'mailbox': an id or a CSV of ids expected)", 4)
  end
  return o
end

-- A run of one name: its lease, its cursor document, the pass being read.
local Run = {}
Run.__index = Run

-- The cursor document: { cursor = epoch seconds (our clock), seen = { [id] = { pass time, digest of
-- the version } } }.
local function load_doc(self, store, o)
  local doc, err = store:get_doc(DOC .. o.name)
  if err then return nil, err end
  if type(doc) ~= "table" or type(doc.cursor) ~= "number" then
    doc = { cursor = o.since or floor(core.sys.now()), seen = {}, fresh = true }
  end
  if type(doc.seen) ~= "table" then doc.seen = {} end
  self.doc = doc
  return true
end

local function new_pass(self)
  local doc = self.doc
  self.passes = self.passes + 1
  self.t0 = core.sys.now()
  if self.passes == 1 then -- a re-pass after an unstable one reads the same window
    self.full = doc.fresh or type(doc.full_at) ~= "number" or self.t0 - doc.full_at >= self.o.overlap / 2
  end
  self.low = doc.fresh and doc.cursor or doc.cursor - (self.full and self.o.overlap or 1)
  self.page, self.total, self.ids, self.unstable, self.done = 1, nil, {}, false, false
end

local function query(self)
  local o = self.o
  return { status = o.status, mailbox = o.mailbox, sortField = "modifiedAt", sortOrder = "asc",
    modifiedSince = iso(self.low), page = self.page > 1 and self.page or nil }
end

-- Reads the pass's next page into self.queue (unhandled versions only); sets self.done at its end.
local function fetch(self)
  local items, page = self.hs:list_conversations(query(self), self.proj)
  if not items then return nil, page end
  self.requests = self.requests + 1
  local seen, ids = self.doc.seen, self.ids
  local total = type(page) == "table" and tonumber(page.totalElements)
  if total and self.total and total < self.total then self.unstable = true end
  self.total = total or self.total
  for _, conv in ipairs(items) do
    if math.type and math.type(conv.id) ~= "integer" or type(conv.id) ~= "number" then
      return nil, core.error("protocol", "a conversation without an integer id")
    end
    local k = tostring(conv.id)
    if ids[k] then self.unstable = true end
    ids[k] = true
    local s, v = seen[k], digest(conv)
    if not (s and s[2] == v) then self.queue[#self.queue + 1] = conv end
  end
  local size = type(page) == "table" and tonumber(page.size) or 25
  local pages = type(page) == "table" and tonumber(page.totalPages)
  if #items < size or (pages and (tonumber(page.number) or self.page) >= pages) then
    self.done = true
  else
    self.page = self.page + 1
  end
  return true
end

local function save(self)
  local ok, err = self.store:put_doc(DOC .. self.o.name, self.doc, self.lease)
  if not ok then return nil, err end
  return true
end

-- Records conv as handled (the body returned): its version joins the document, saved under the lease.
local function commit(self, conv)
  self.doc.seen[tostring(conv.id)] = { self.t0, digest(conv) }
  local ok, err = save(self)
  if ok then self.handled = self.handled + 1 end
  return ok, err
end

-- The end of a pass: a stable one moves the cursor to its start and forgets versions that can no
-- longer come back; an unstable one starts another pass over the same window.
local function finish_pass(self)
  local doc = self.doc
  if self.unstable and self.passes < MAX_PASSES then
    new_pass(self)
    return true
  end
  if not self.unstable then
    doc.cursor, doc.fresh = floor(self.t0), nil
    if self.full then doc.full_at = floor(self.t0) end
    local horizon = doc.cursor - 2 * self.o.overlap
    for id, s in pairs(doc.seen) do if s[1] < horizon then doc.seen[id] = nil end end
  end
  self.finished = true
  return save(self)
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
  while ok and #self.queue == 0 and not self.finished do
    if self.done then ok, err = finish_pass(self) else ok, err = fetch(self) end
  end
  if not ok then
    self:close()
    error(err, 0) -- iterators raise (DESIGN.md §4): a loop never ends silently short
  end
  if #self.queue == 0 then
    self:close()
    return nil
  end
  local conv = remove(self.queue, 1)
  local s = self.doc.seen[tostring(conv.id)]
  if s and s[2] == digest(conv) then return self:step() end -- read twice in this pass
  self.inflight = conv
  return conv
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
    proj = projection(o.fields), requests = 0, handled = 0, passes = 0, renewed = core.sys.now() }, Run)
  local ok, lerr = load_doc(self, store, o)
  if not ok then
    lease:release()
    return nil, lerr
  end
  new_pass(self)
  local newproxy = rawget(_G, "newproxy") -- LuaJIT/5.1: tables have no __gc; a proxy closes the run
  if newproxy then
    self.gc = newproxy(true)
    getmetatable(self.gc).__gc = function() self:close() end
  end
  return self
end

-- The status and mailbox filters of opts, for a conversation offered from outside a pass.
local function wanted(o, conv)
  local st, want = conv.status, o.status
  if want ~= "all" and st ~= want and not (want == "open" and (st == "active" or st == "pending")) then
    return false
  end
  if o.mailbox == nil then return true end
  for m in tostring(o.mailbox):gmatch("%d+") do if tonumber(m) == conv.mailboxId then return true end end
  return false
end

-- offer(hs, store, opts, id, fn) -> true (fn(conv) ran: a new version), false (already handled, or
-- outside the filters), or nil, err (kind "busy": a pass is running and will see it; or the fetch
-- failed). For webhooks: the conversation is fetched under the name's lease (its current state,
-- never a stale payload), handled once, and recorded so that the next pass skips it. fn raising
-- leaves it unrecorded (raised again here).
function _M.offer(hs, store, opts, id, fn)
  local o = check(opts)
  if type(id) ~= "number" then error("bad argument #4 to 'offer' (conversation id expected)", 2) end
  local lease, err = store:lease(DOC .. o.name, o.lease_ttl)
  if not lease then return nil, err end
  local self = setmetatable({ hs = hs, store = store, o = o, lease = lease, handled = 0 }, Run)
  local ok, res, e2 = pcall(function()
    local lok, lerr = load_doc(self, store, o)
    if not lok then return nil, lerr end
    local conv, cerr = hs:get_conversation(id)
    if not conv then return nil, cerr end
    local s = self.doc.seen[tostring(conv.id)]
    if not wanted(o, conv) or (s and s[2] == digest(conv)) then return false end
    fn(conv)
    self.t0 = core.sys.now()
    local cok, cerr2 = commit(self, conv)
    if not cok then return nil, cerr2 end
    return true
  end)
  self:close()
  if not ok then error(res, 0) end
  return res, e2
end

-- iterate(hs, store, opts) -> iterator, nil, nil, run (the run closes on break or raise under
-- Lua 5.4's generic for; run:close() elsewhere). Raises when the name is busy or the store fails.
function _M.iterate(hs, store, opts)
  local run, err = _M.open(hs, store, opts)
  if not run then error(err, 2) end
  return function() return run:step() end, nil, nil, run
end

return _M
