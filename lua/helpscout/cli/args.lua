-- helpscout.cli.args: command lines parsed against the command specs, and the help and usage
-- errors generated from the same specs (so they cannot drift from what is accepted).
-- A command spec:
--   { name = "note", group = "Tools", summary = "add a note to a conversation",
--     args = { {name = "ID", kind = "id", what = "conversation ID"}, {name = "TEXT", kind = "text"} },
--     rest = {name = "TAG"} (more positionals of one kind), syntax = "ID TAG... | ID --clear" (shown
--     instead of the generated one), flags = {"status", "user"}, run = function(ctx, opts, pos) }
-- Flags are declared once in FLAGS (value placeholder, kind, help) and named by commands; a
-- command may override the help of one: { "limit", help = "..." }.
--   cmd, opts, pos = args.parse(argv, commands)   raises a usage error (args.is_usage(e))
local type, ipairs, pairs, tostring, tonumber, error, setmetatable, getmetatable =
  type, ipairs, pairs, tostring, tonumber, error, setmetatable, getmetatable
local floor, max = math.floor, math.max
local concat, sort = table.concat, table.sort
local rep = string.rep

local _M = {}

local UsageError = {}
function _M.usage_error(msg, cmd)
  error(setmetatable({ msg = msg, cmd = cmd }, UsageError), 0)
end
local usage_error = _M.usage_error
function _M.is_usage(e) return type(e) == "table" and getmetatable(e) == UsageError end

-- Every flag: value = placeholder for flags that take one (nil: a boolean), kind = how the value
-- is checked ("int", "id": a positive integer; "connection": a connection id; default: any
-- string), many = repeatable.
local FLAGS = {
  json = { help = "machine-readable output" },
  ["base-url"] = { value = "URL", help = "API base URL (default: $HELPSCOUT_BASE_URL or https://api.helpscout.net)" },
  ["token-file"] = { value = "PATH", help = "token file of `helpscout auth login` (default: "
    .. "$XDG_CONFIG_HOME/helpscout/token.json), used when it exists" },
  connection = { value = "ID", kind = "connection", help = "the connection (one Help Scout user's "
    .. "login) in the token file to act as (default: default)" },
  progress = { help = "show paging progress on stderr even when it is not a terminal" },
  quiet = { help = "never show progress" },
  help = { help = "this help" },
  status = { value = "S", help = "conversation status (active, pending, closed, spam, all)" },
  mailbox = { value = "ID", help = "mailbox id" },
  tag = { value = "T", many = true, help = "a tag (repeatable)" },
  query = { value = "Q", help = "search query, e.g. '(email:\"a@b.c\")'" },
  ["assigned-to"] = { value = "ID", kind = "int", help = "assigned user id" },
  sort = { value = "FIELD", help = "sort field (createdAt, modifiedAt, number, ...)" },
  order = { value = "asc|desc", help = "sort order" },
  page = { value = "N", kind = "int", help = "page number" },
  all = { help = "every page" },
  limit = { value = "N", kind = "int", help = "at most N items" },
  now = { value = "ISO", help = "the time to measure waits from (default: now)" },
  email = { value = "E", help = "e-mail address" },
  ["first-name"] = { value = "N", help = "first name" },
  ["last-name"] = { value = "N", help = "last name" },
  user = { value = "ID", kind = "int", help = "the Help Scout user acting" },
  draft = { help = "save as a draft (nothing is e-mailed)" },
  send = { help = "send it to the customer" },
  save = { help = "store the suggestions as draft threads (never sent)" },
  clear = { help = "remove every tag" },
  subject = { value = "S", help = "subject" },
  customer = { value = "EMAIL", help = "customer e-mail" },
  text = { value = "T", help = "first message" },
  type = { value = "email|chat|phone", help = "conversation type" },
  outbound = { help = "the agent writes first (needs --draft)" },
  port = { value = "N", kind = "int", help = "port on 127.0.0.1" },
  secret = { value = "S", help = "refused: the secret would show in ps (use --secret-file)" },
  ["secret-file"] = { value = "FILE", help = "file whose first line is the webhook secret" },
  ["no-browser"] = { help = "print the consent URL only (one line on stdout)" },
  allow = { value = "WHO", many = true, help = "only these Help Scout users may log in: e-mails or "
    .. "@domains (repeatable or comma-separated)" },
  replace = { help = "let another Help Scout user take over the connection" },
}
_M.FLAGS = FLAGS

-- Global options, accepted before or after the command.
_M.GLOBAL = { "json", "base-url", "token-file", "connection", "progress", "quiet", "help" }

local function flag_def(cmd, name)
  for _, f in ipairs(cmd and cmd.flags or {}) do
    if type(f) == "table" and f[1] == name then
      local d = {}
      for k, v in pairs(FLAGS[name]) do d[k] = v end
      for k, v in pairs(f) do if k ~= 1 then d[k] = v end end
      return d
    end
    if f == name then return FLAGS[name] end
  end
  for _, g in ipairs(_M.GLOBAL) do if g == name then return FLAGS[name] end end
  return nil
end

local function flag_names(cmd)
  local out = {}
  for _, f in ipairs(cmd and cmd.flags or {}) do out[#out + 1] = type(f) == "table" and f[1] or f end
  return out
end

local function check_value(name, def, v, cmd)
  if def.kind == "connection" then
    local why = require("helpscout.store.common").id_problem(v)
    if why then
      usage_error("option --" .. name .. ": " .. why .. ", got '" .. v:sub(1, 40):gsub("%c", "?") .. "'", cmd)
    end
    return v
  end
  if def.kind == "int" or def.kind == "id" then
    local n = tonumber(v)
    if not n or n ~= floor(n) or (def.kind == "id" and n <= 0) then
      usage_error("option --" .. name .. " needs " .. (def.kind == "id" and "a positive integer" or "an integer")
        .. ", got '" .. tostring(v) .. "'", cmd)
    end
    return floor(n)
  end
  return v
end

-- One "--name[=value]" at argv[i] into opts; returns the next index. Whether the flag applies
-- to the command is checked once the command (and sub-command) is known.
local function take_flag(argv, i, opts, cmd)
  local a = argv[i]
  local name, val = a:match("^%-%-([^=]+)=(.*)$")
  name = name or a:sub(3)
  local def = FLAGS[name]
  if not def then usage_error("unknown option --" .. name, cmd) end
  if def.value then
    if val == nil then
      i = i + 1
      val = argv[i]
      if val == nil then usage_error("option --" .. name .. " needs a value", cmd) end
    end
    val = check_value(name, def, val, cmd)
    if def.many then
      opts[name] = opts[name] or {}
      opts[name][#opts[name] + 1] = val
    else
      opts[name] = val
    end
  else
    if val ~= nil then usage_error("option --" .. name .. " takes no value", cmd) end
    opts[name] = true
  end
  return i + 1
end

-- Positionals checked against the command's args (and rest).
local function check_positionals(cmd, pos)
  for k, a in ipairs(cmd.args or {}) do
    local v = pos[k]
    if v == nil or v == "" then
      if not a.optional then usage_error(cmd.name .. " needs " .. a.name, cmd.name) end
    elseif a.kind == "id" then
      local n = tonumber(v)
      if not n or n ~= floor(n) or n <= 0 then
        usage_error((a.what or a.name) .. " must be a positive integer, got '" .. v .. "'", cmd.name)
      end
      pos[k] = floor(n)
    elseif a.kind == "email" and not v:find("@", 1, true) then
      usage_error(cmd.name .. " needs an " .. a.name .. " address, got '" .. v .. "'", cmd.name)
    end
  end
  local nargs = #(cmd.args or {})
  if not cmd.rest and #pos > nargs then
    if nargs == 0 then usage_error("'" .. cmd.name .. "' takes no argument '" .. pos[1] .. "'", cmd.name) end
    usage_error("too many arguments for '" .. cmd.name .. "' (quote text that has spaces)", cmd.name)
  end
end

-- The spec a command line names: a command, or "cmd sub" when the command has sub-commands
-- and the first positional names one of them.
local function resolve(cmds, cmd, pos)
  local spec = cmd and cmds[cmd]
  if spec and spec.sub and pos[1] and spec.sub[pos[1]] then
    return cmds[cmd .. " " .. table.remove(pos, 1)]
  end
  return spec
end

-- argv -> command spec (nil when none was given), opts, positionals. Raises usage errors.
function _M.parse(argv, cmds)
  local opts, pos, cmd = {}, {}, nil
  local i, n = 1, #argv
  while i <= n do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, n do pos[#pos + 1] = argv[j] end
      break
    elseif a == "-h" then
      opts.help = true; i = i + 1
    elseif a:sub(1, 2) == "--" and #a > 2 then
      i = take_flag(argv, i, opts, cmd)
    elseif not cmd then
      if not cmds[a] or cmds[a].parent then usage_error("unknown command '" .. a .. "'") end
      cmd = a; i = i + 1
    else
      pos[#pos + 1] = a; i = i + 1
    end
  end
  local spec = resolve(cmds, cmd, pos)
  if not spec then return nil, opts, pos end
  if spec.sub and not opts.help then
    usage_error(spec.name .. " needs one of: " .. concat(spec.sub_names, ", "), spec.name)
  end
  for name, v in pairs(opts) do
    local def = flag_def(spec, name)
    if not def then usage_error("option --" .. name .. " does not apply to '" .. spec.name .. "'", spec.name) end
    -- a command may check a value more strictly than the shared flag ({"mailbox", kind = "int"})
    if def.kind and def.kind ~= FLAGS[name].kind and type(v) ~= "table" then
      opts[name] = check_value(name, def, tostring(v), spec.name)
    end
  end
  if not opts.help and not spec.sub then check_positionals(spec, pos) end
  return spec, opts, pos
end

---------------------------------------------------------------------------------------------
-- Help text, generated from the specs

local function flag_syntax(cmd, name)
  local def = flag_def(cmd, name)
  local s = "--" .. name .. (def.value and (" " .. def.value) or "")
  return def.many and ("[" .. s .. "]...") or ("[" .. s .. "]")
end

-- Units (words, or "[--flag V]" groups kept whole) joined by spaces and wrapped to `width`
-- columns: the first line starts with `first`, the next ones with `indent` blanks.
local function wrap_units(first, units, width, indent)
  local lines, line = {}, first
  for _, u in ipairs(units) do
    if line:find("%S") and #line + 1 + #u > width then
      lines[#lines + 1] = line
      line = rep(" ", indent) .. u
    else
      line = line:find("%S") and (line .. " " .. u) or (line .. u)
    end
  end
  lines[#lines + 1] = line
  return concat(lines, "\n")
end

local function words(text)
  local out = {}
  for w in text:gmatch("%S+") do out[#out + 1] = w end
  return out
end

local function flag_lines(cmd, names)
  local rows, w = {}, 0
  for _, f in ipairs(names) do
    local def = flag_def(cmd, f)
    local left = f == "help" and "-h, --help" or ("--" .. f .. (def.value and (" " .. def.value) or ""))
    rows[#rows + 1] = { left, def.help or "" }
    w = max(w, #left)
  end
  local out = {}
  for i, r in ipairs(rows) do
    out[i] = wrap_units("  " .. r[1] .. rep(" ", w - #r[1] + 1), words(r[2]), 96, w + 4)
  end
  return concat(out, "\n")
end

-- "note ID TEXT [--status S] [--user ID]" as units for wrapping.
local function synopsis_units(cmd)
  local parts = { cmd.name }
  if cmd.syntax then
    parts[2] = cmd.syntax
  else
    for _, a in ipairs(cmd.args or {}) do parts[#parts + 1] = a.optional and ("[" .. a.name .. "]") or a.name end
    if cmd.rest then parts[#parts + 1] = cmd.rest.name .. "..." end
  end
  for _, f in ipairs(flag_names(cmd)) do
    -- flags the hand-written syntax already shows are not repeated
    if not (cmd.syntax and cmd.syntax:find("%-%-" .. f:gsub("%-", "%%-") .. "%f[^%w%-]")) then
      parts[#parts + 1] = flag_syntax(cmd, f)
    end
  end
  return parts
end

function _M.synopsis(cmd)
  return concat(synopsis_units(cmd), " ")
end

-- The whole help: commands by group, then the global options.
function _M.usage(cmds, groups, footer)
  local out = { "Usage: helpscout [global options] <command> [options]", "" }
  for _, g in ipairs(groups) do
    out[#out + 1] = g
    local names = {}
    for name, c in pairs(cmds) do if c.group == g and not c.hidden then names[#names + 1] = name end end
    sort(names, function(a, b) return cmds[a].order < cmds[b].order end)
    for _, name in ipairs(names) do
      local c = cmds[name]
      out[#out + 1] = wrap_units("  ", synopsis_units(c), 96, 8)
      out[#out + 1] = wrap_units(rep(" ", 27), words(c.summary), 96, 27)
    end
    if #names == 0 then out[#out] = nil else out[#out + 1] = "" end
  end
  out[#out + 1] = "Global options"
  out[#out + 1] = flag_lines(nil, _M.GLOBAL)
  out[#out + 1] = ""
  out[#out + 1] = footer
  return concat(out, "\n") .. "\n"
end

-- A command with sub-commands (auth): each sub-command's synopsis and summary.
function _M.sub_help(spec, cmds)
  local out = { "Usage: helpscout " .. spec.name .. " " .. concat(spec.sub_names, "|") .. " [options]", "" }
  for _, sub in ipairs(spec.sub_names) do
    local c = cmds[spec.name .. " " .. sub]
    out[#out + 1] = wrap_units("  ", synopsis_units(c), 96, 8)
    out[#out + 1] = wrap_units(rep(" ", 27), words(c.summary), 96, 27)
  end
  out[#out + 1] = ""
  out[#out + 1] = "'helpscout " .. spec.name .. " SUBCOMMAND --help' shows one sub-command's options."
  return concat(out, "\n") .. "\n"
end

-- One command's help: synopsis, what it does, its options.
function _M.command_help(cmd)
  local out = { wrap_units("Usage: helpscout", synopsis_units(cmd), 96, 8), "",
    wrap_units("", words(cmd.summary), 96, 0) }
  if cmd.details then out[#out + 1] = ""; out[#out + 1] = wrap_units("", words(cmd.details), 96, 0) end
  local names = flag_names(cmd)
  if #names > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "Options"
    out[#out + 1] = flag_lines(cmd, names)
  end
  out[#out + 1] = ""
  out[#out + 1] = "Global options"
  out[#out + 1] = flag_lines(nil, _M.GLOBAL)
  return concat(out, "\n") .. "\n"
end

return _M
