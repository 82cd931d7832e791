-- helpscout.cli: the `helpscout` command (bin/helpscout is a small wrapper around main()).
--   cli.main(argv, io_opts?) -> exit status (0 ok, 1 failure, 2 usage error)
-- Every command is a spec (cli/api.lua, cli/jobs.lua, cli/auth.lua): its flags, positionals,
-- help and run function; parsing, --help and usage errors come from the specs (cli/args.lua).
-- Tables for people, --json for machines (cli/out.lua). Errors: the error's one-line text on
-- stderr (never a secret: errors carry none). Writes that e-mail a customer need an explicit
-- --send; replies are drafts with --draft.
local args = require "helpscout.cli.args"
local out = require "helpscout.cli.out"

local type, ipairs, tostring, pcall, error, require = type, ipairs, tostring, pcall, error, require
local format, setmetatable = string.format, setmetatable
local getenv = os.getenv

local _M = {}

local GROUPS = { "Jobs", "Tools", "Auth and webhooks" }
local FOOTER = [[
Credentials: HELPSCOUT_CLIENT_ID and HELPSCOUT_CLIENT_SECRET, or the token file that
`helpscout auth login` saved (--token-file; used by every command when it holds the connection).
One token file keeps several connections (one Help Scout user's login each): --connection ID.
Exit status: 0 success, 1 failure (the error's one-line text on stderr), 2 usage error.]]

-- Every command spec by name ("auth login" for sub-commands), in help order.
local function registry()
  local cmds, order = {}, 0
  for _, modname in ipairs { "helpscout.cli.jobs", "helpscout.cli.api", "helpscout.cli.auth", "helpscout.cli.watch" } do
    for _, spec in ipairs(require(modname)) do
      order = order + 1
      spec.order = order
      cmds[spec.name] = spec
      local parent, sub = spec.name:match("^(%S+) (%S+)$")
      if parent then
        local p = cmds[parent]
        if not p then
          p = { name = parent, group = spec.group, sub = {}, sub_names = {}, hidden = true, order = order }
          cmds[parent] = p
        end
        p.sub[sub] = spec
        p.sub_names[#p.sub_names + 1] = sub
        spec.parent = parent
      end
    end
  end
  return cmds
end

---------------------------------------------------------------------------------------------
-- The context a command runs in: options, output, the client, paging with progress.

local Ctx = {}
Ctx.__index = Ctx

local function is_tty(fd)
  local ok = os.execute("[ -t " .. fd .. " ]")
  return ok == true or ok == 0
end

local function new_ctx(opts, io_opts)
  local ctx = setmetatable({ opts = opts, stdout = io_opts.stdout or io.stdout,
    stderr = io_opts.stderr or io.stderr, json = opts.json and true or false }, Ctx)
  if opts.quiet then ctx.show_progress = false
  elseif opts.progress then ctx.show_progress = true
  else ctx.show_progress = is_tty(2) end
  return ctx
end

function Ctx:write(s) self.stdout:write(s, "\n") end
function Ctx:write_json(v) self.stdout:write(out.json(v), "\n") end

-- A failure: exit 1 with this one line on stderr.
function Ctx.fail(msg) error({ failure = tostring(msg) }, 0) end

-- res, or a failure carrying the error's one-line text.
function Ctx.check(res, err, ...)
  if res == nil then Ctx.fail(err) end
  return res, err, ...
end

function Ctx:progress(msg)
  if not self.show_progress then return end
  self.stderr:write("\r", msg, "\027[K")
  self.stderr:flush()
  self.progress_shown = true
end

function Ctx:progress_done()
  if not self.progress_shown then return end
  self.stderr:write("\r\027[K")
  self.stderr:flush()
  self.progress_shown = false
end

function Ctx:client()
  if not self.hs then self.hs = require("helpscout.cli.auth").client(self) end
  return self.hs
end

-- Runs fn(); an error raised inside (an iterator's error table, a failure) becomes a failure.
local function guarded(ctx, fn)
  local ok, e = pcall(fn)
  ctx:progress_done()
  if ok then return end
  if type(e) == "table" and e.failure then error(e, 0) end
  Ctx.fail(e)
end

-- Items of a list tool, and the last page object: one page (want_all and limit absent); up to
-- `limit` items page by page (hs:pages, stopping as soon as it has them); or every page with
-- hs:fetch_all (in parallel). Progress goes to stderr. fields: decode only these members of
-- each item (the client's per-call option), nil for everything.
function Ctx:list(tool, params, want_all, limit, fields)
  local hs = self:client()
  local call = fields and { fields = fields } or nil
  if not want_all and not limit then return Ctx.check(hs[tool](hs, params, call)) end
  local items, last = {}, nil
  if limit then
    guarded(self, function()
      local n = 0
      for page_items, page in hs:pages(tool, params, call) do
        n, last = n + 1, page
        for _, it in ipairs(page_items) do
          items[#items + 1] = it
          if #items >= limit then return end
        end
        self:progress(format("fetched %d/%s pages (%d items)…", n,
          type(page) == "table" and out.str(page.totalPages) or "?", #items))
      end
    end)
    return out.array(items), last
  end
  self:progress(format("fetching every page of %s (4 at a time)…", tool))
  local all, err = hs:fetch_all(tool, params, { concurrency = 4, fields = fields })
  self:progress_done()
  return out.array(Ctx.check(all, err)), nil
end

---------------------------------------------------------------------------------------------

local function report_error(stderr, e)
  if args.is_usage(e) then
    local more = e.cmd and (" or 'helpscout " .. e.cmd .. " --help'") or ""
    stderr:write("helpscout: ", e.msg, "\nTry 'helpscout --help'", more, ".\n")
    return 2
  end
  local msg = type(e) == "table" and e.failure or tostring(e)
  msg = tostring(msg):gsub("[\r\n]+", " ")
  if not msg:find("^helpscout:") then msg = "helpscout: " .. msg end
  stderr:write(msg, "\n")
  return 1
end

function _M.main(argv, io_opts)
  io_opts = io_opts or {}
  local stdout, stderr = io_opts.stdout or io.stdout, io_opts.stderr or io.stderr
  local argl = {}
  for i = 1, #(argv or {}) do argl[i] = argv[i] end
  local cmds = registry()
  local ok, res = pcall(function()
    local spec, opts, pos = args.parse(argl, cmds)
    if opts.help and spec and spec.sub then stdout:write(args.sub_help(spec, cmds)); return 0 end
    if opts.help and spec then stdout:write(args.command_help(spec)); return 0 end
    if opts.help or (spec and spec.name == "help") then stdout:write(args.usage(cmds, GROUPS, FOOTER)); return 0 end
    if not spec then args.usage_error("no command given") end
    local rc = spec.run(new_ctx(opts, io_opts), opts, pos)
    stdout:flush()
    return rc
  end)
  if ok then return res or 0 end
  return report_error(stderr, res)
end

-- The token file path: --token-file, else $XDG_CONFIG_HOME/helpscout/token.json (XDG default
-- ~/.config).
function _M.token_file(opts)
  if opts and opts["token-file"] then return opts["token-file"] end
  local base = getenv("XDG_CONFIG_HOME")
  if not base or base == "" then base = (getenv("HOME") or ".") .. "/.config" end
  return base .. "/helpscout/token.json"
end

_M.Ctx = Ctx
_M.registry = registry
_M.GROUPS = GROUPS
return _M
