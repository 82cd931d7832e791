-- helpscout.cli.watch: `helpscout watch --name N`, hs:changes as a command (doc/changes.md). Prints
-- every conversation that changed since the named cursor (a table line each, or JSON lines with
-- --json), then polls again every --interval seconds; --once for cron. The cursor and the
-- one-consumer lease live in the store: the token file's (after `auth login`), else
-- "<config dir>/helpscout/watch.json" beside it, or --store (a path, or redis://host:port[/key]).
-- Another consumer holding the name is not an error: this one waits its turn.
local core = require "helpscout.core"
local args = require "helpscout.cli.args"

local type, tostring, tonumber, pcall, error, ipairs, pairs = type, tostring, tonumber, pcall, error, ipairs, pairs
local format = string.format
local getenv = os.getenv

local _M = {}

-- This command's own flags (added to the shared table the parser reads).
local OWN = {
  name = { value = "N", help = "the cursor's name: one consumer per name, resumable" },
  interval = { value = "S", help = "seconds between polls (default 10)" },
  once = { help = "one poll, then exit (for cron)" },
  since = { value = "ISO", help = "where a new cursor starts (default: now)" },
  store = { value = "PATH|URL", help = "the cursor's store: a file path or redis://host:port[/key]" },
  ["lease-ttl"] = { value = "S", help = "seconds a dead consumer keeps the name on Redis (default 30)" },
}
for k, v in pairs(OWN) do if args.FLAGS[k] == nil then args.FLAGS[k] = v end end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The store of the cursor (and of the token when it is the token file's).
local function open_store(ctx, opts)
  local store = require "helpscout.store"
  local s = opts.store
  if s then
    local host, port, key = s:match("^redis://([^:/]+):?(%d*)/?(.*)$")
    if host then
      return store.redis { host = host, port = tonumber(port) or 6379, key = key ~= "" and key or nil }
    end
    return store.file(s)
  end
  local path = require("helpscout.cli").token_file(ctx.opts)
  if exists(path) then return store.file(path), true end
  return store.file((path:match("^(.*)/[^/]*$") or ".") .. "/watch.json")
end

local function client(ctx, opts)
  local st, is_token_file = open_store(ctx, opts)
  local o = { base_url = ctx.opts["base-url"], store = st }
  if not is_token_file then
    o.client_id, o.client_secret = getenv("HELPSCOUT_CLIENT_ID"), getenv("HELPSCOUT_CLIENT_SECRET")
    if (o.client_id or "") == "" or (o.client_secret or "") == "" then
      if not opts.store or not st:load() then
        ctx.fail("missing credentials: set HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET, or log in with "
          .. "`helpscout auth login`")
      end
      o.client_id, o.client_secret = nil, nil
    end
  end
  local ok, hs = pcall(require("helpscout").new, o)
  if not ok then ctx.fail(hs) end
  return hs
end

local function tag_names(conv)
  local out = {}
  for i, t in ipairs(type(conv.tags) == "table" and conv.tags or {}) do out[i] = type(t) == "table" and t.tag or t end
  return out
end

-- One line per change: JSON (the fields an automation keys on, plus the change's version).
local function emit(ctx, conv)
  if ctx.json then
    ctx:write_json({ id = conv.id, number = conv.number, status = conv.status, subject = conv.subject,
      mailboxId = conv.mailboxId, threads = conv.threads, tags = require("helpscout.cli.out").array(tag_names(conv)),
      userUpdatedAt = conv.userUpdatedAt, version = require("helpscout.changes").version(conv) })
  else
    ctx:write(format("%-12s %-8s %-24s %s", tostring(conv.id), tostring(conv.status),
      table.concat(tag_names(conv), ","), tostring(conv.subject or "")))
  end
  ctx.stdout:flush()
end

-- One poll: every change, each printed once. Returns "busy" when another consumer has the name.
local function poll(ctx, hs, copts)
  local ok, it, _, _, run = pcall(hs.changes, hs, copts)
  if not ok then
    if type(it) == "table" and it.kind == "busy" then return "busy" end
    error(it, 0)
  end
  local okb, e = pcall(function() for conv in it do emit(ctx, conv) end end)
  run:close()
  if not okb then error(e, 0) end
  return run.handled
end

local function cmd_watch(ctx, opts)
  if not opts.name then args.usage_error("watch needs --name N (the cursor's name)", "watch") end
  local interval = tonumber(opts.interval or 10)
  if not interval or interval <= 0 then args.usage_error("--interval needs a positive number of seconds", "watch") end
  local ttl = tonumber(opts["lease-ttl"] or 30)
  if not ttl or ttl < 1 then args.usage_error("--lease-ttl needs seconds >= 1", "watch") end
  if opts.since and not require("helpscout.time").parse_api(opts.since) then
    args.usage_error("--since needs yyyy-MM-ddTHH:mm:ssZ, got '" .. opts.since .. "'", "watch")
  end
  local hs = client(ctx, opts)
  local copts = { name = opts.name, status = opts.status, mailbox = opts.mailbox, since = opts.since,
    lease_ttl = ttl }
  local said_busy = false
  while true do
    local res = poll(ctx, hs, copts)
    if res == "busy" and not said_busy then
      ctx.stderr:write("helpscout: '", opts.name, "' is being watched by another consumer; waiting\n")
      said_busy = true
    elseif res ~= "busy" then
      said_busy = false
    end
    if opts.once then
      if res == "busy" then ctx.fail("'" .. opts.name .. "' is being watched by another consumer") end
      return 0
    end
    core.sys.sleep(res == "busy" and math.min(interval, 1) or interval)
  end
end

_M[1] = { name = "watch", group = "Jobs",
  summary = "print every conversation that changed since the named cursor, once (hs:changes)",
  details = "Resumable: the cursor lives in the store (the token file's, or --store). Two watchers "
    .. "with one --name share the work: one polls at a time, each change is printed once.",
  flags = { "name", "status", { "mailbox", kind = "id" }, "interval", "once", "since", "store", "lease-ttl" },
  run = cmd_watch }

return _M
