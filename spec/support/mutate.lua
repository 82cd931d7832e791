-- make mutate: deliberate bugs, one at a time, each against the specs that must catch it (issue 21).
-- For every mutant: a scratch copy of the tree (.tmp/mutate/<name>, the build included), the `from`
-- text replaced by `to` (exact text, first occurrence), the C core rebuilt when csrc/ changed, and
-- its specs run under lua5.4 (a spec entry may carry busted options: "spec/x_spec.lua --filter=y").
-- non-zero when a mutant survives, when its `from` text is no longer in the file (so a list that
-- no longer matches the code cannot pass silently) or when the unmutated specs do not pass first.
--   lua5.4 spec/support/mutate.lua [name ...]          (make mutate; MUTANTS="a b" for a subset)
local MUTANTS = {
  { name = "post-retry", file = "csrc/hs_response.c",
    why = "a POST whose answer was lost is re-sent (it may have been processed)",
    from = "  case HS_TX_TRUNCATED: return q->idempotent;",
    to = "  case HS_TX_TRUNCATED: return 1;",
    specs = { "spec/client_retry_spec.lua" } },
  { name = "state-check", file = "lua/helpscout/oauth.lua",
    why = "the OAuth callback accepts a state it never issued (or one already used)",
    from = 'local rec = type(q.state) == "string" and store:take_state(q.state)',
    to = 'local rec = type(q.state) == "string" and (store:take_state(q.state) or {})',
    specs = { "spec/oauth_flow_spec.lua" } },
  { name = "other-user", file = "lua/helpscout/oauth.lua",
    why = "a connection is silently re-pointed at another Help Scout user",
    from = "if existing and existing.user_id and existing.user_id ~= user.id and not o.replace then",
    to = "if false then",
    specs = { "spec/oauth_flow_spec.lua" } },
  { name = "principal", file = "lua/helpscout/oauth.lua",
    why = "a connect flow started by one person is completed by another",
    from = "if rec.principal ~= nil and not (type(principal)",
    to = "if false and not (type(principal)",
    specs = { "spec/oauth_flow_spec.lua" } },
  { name = "not-connected", file = "lua/helpscout/renew.lua",
    why = "a person's connection without consent falls back to the operator's client-credentials token",
    from = "return store.consent_only and not",
    to = "return false and not",
    specs = { "spec/resty_connections_spec.lua" } },
  { name = "draft-rule", file = "lua/helpscout/tools/guard.lua",
    why = "a reply is sent by default instead of saved as a draft",
    from = "fix = function(a, send) a.draft = not send end } },",
    to = "fix = function(a, send) a.draft = false end } },",
    specs = { "spec/tools_spec.lua", "spec/mcp/send_rule_spec.lua" } },
  { name = "send-rule", file = "lua/helpscout/tools/guard.lua",
    why = "a reply asking to send is sent although the catalogue does not allow sending",
    from = "  local send = o.allow_send == true and asked\n",
    to = "  local send = asked\n",
    specs = { "spec/tools_spec.lua", "spec/mcp/send_rule_spec.lua" } },
  { name = "pager-end", file = "csrc/hs_pager.c",
    why = "a parallel walk goes on past the first empty page",
    from = "if (hs_rawlen(L, -1) == 0 && n < pg->last) pg->last = n;",
    to = "if (0 && hs_rawlen(L, -1) == 0 && n < pg->last) pg->last = n;",
    specs = { "spec/client_iter_spec.lua" } },
  { name = "constant-time-compare", file = "csrc/hs_sys.c",
    why = "sys.equal (signatures, OAuth state) compares only a prefix",
    from = "  if (na == nb) same = CRYPTO_memcmp(a, b, na) == 0;",
    to = "  if (na == nb) same = CRYPTO_memcmp(a, b, na / 2) == 0;",
    specs = { "spec/store_sys_spec.lua", "spec/webhook_spec.lua" } },
  { name = "crlf-refusal", file = "csrc/hs_buf.c",
    why = "CR or LF reaches a header value",
    from = 'int hs_has_crlf(const char *s) { return strpbrk(s, "\\r\\n") != NULL; }',
    to = "int hs_has_crlf(const char *s) { return s == NULL; }",
    specs = { "spec/client_contract_spec.lua", "spec/engine_spec.lua" } },
  { name = "single-flight", file = "lua/helpscout/renew.lua",
    why = "under the lock, a token another process saved is adopted and then granted again",
    from = "    if not eng:due(stored, now()) and not (dead(stored) and action.need == \"rejected\") then "
      .. "return stored end\n",
    to = "",
    specs = { "spec/renew_single_flight_spec.lua" } },
  { name = "shared-dead-mark", file = "lua/helpscout/renew.lua",
    why = "a refresh token refused for one client is sent again by every other client of the store",
    from = "  rec.dead = true\n",
    to = "  rec.dead = nil\n",
    specs = { "spec/renew_spec.lua", "spec/renew_single_flight_spec.lua" } },
  { name = "lock-takeover", file = "lua/helpscout/store/redis.lua",
    why = "a renewal holder killed mid-flight stalls every caller for the lock's whole TTL",
    from = "return host == HOST and tonumber(pid) and not sys.alive(tonumber(pid))",
    to = "return false",
    specs = { "spec/store_redis_spec.lua" } },
  { name = "dead-refresh", file = "csrc/hs_token.c",
    why = "a refresh token the server refused is sent again",
    from = "if (!code && e->tok.refresh && e->tok.refresh_dead) {",
    to = "if (!code && e->tok.refresh && e->tok.refresh_dead && 0) {",
    specs = { "spec/engine_spec.lua", "spec/renew_spec.lua" } },
  { name = "redaction", file = "csrc/hs_error.c",
    why = "an error keeps a credential the server echoed",
    from = "  if (lua_type(L, idx) != LUA_TTABLE || hs_rawlen(L, t) == 0) return;",
    to = "  return;",
    specs = { "spec/redaction_spec.lua" } },
}

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function sh(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end
local function read(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
local function write(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

local root = os.getenv("PWD")
local scratch = root .. "/.tmp/mutate"

-- a fresh copy of the tree: tracked and untracked files (not ignored ones), plus the build
local function copy(dir)
  sh("rm -rf " .. shq(dir) .. " && mkdir -p " .. shq(dir))
  assert(sh(("cd %s && { git ls-files -co --exclude-standard; find build -type f 2>/dev/null; } | "
    .. "tar -cf - -T - 2>/dev/null | (cd %s && tar -xpf -)"):format(shq(root), shq(dir))),
    "could not copy the tree to " .. dir)
  if read(root .. "/node_modules/.package-lock.json") then sh(("ln -s %s %s"):format(shq(root .. "/node_modules"),
    shq(dir .. "/node_modules"))) end
end

-- true when the spec passed; false, "hung" when it was stopped after SPEC_TIMEOUT s (default 300:
-- a spec that hangs under a mutant is caught too, CI stops it)
local function run_spec(dir, spec, log)
  local r, _, code = os.execute(("cd %s && timeout %d make -s test-54 BUSTED_ARGS=%s >%s 2>&1"):format(
    shq(dir), tonumber(os.getenv("SPEC_TIMEOUT")) or 300, shq(spec), shq(log)))
  if r == true or r == 0 then return true end
  return false, (code == 124 or r == 124 * 256) and "hung" or nil
end
local function logname(spec) return (spec:gsub("%W", "_")) .. ".log"
end

local wanted = {}
for i = 1, #arg do wanted[arg[i]] = true end
for m in (os.getenv("MUTANTS") or ""):gmatch("%S+") do wanted[m] = true end
local list = {}
for _, m in ipairs(MUTANTS) do if next(wanted) == nil or wanted[m.name] then list[#list + 1] = m end end

-- first: every mutant's text is found, and the unmutated specs pass (else "caught" means nothing)
local bad = 0
for _, m in ipairs(list) do
  local src = read(root .. "/" .. m.file)
  if not src or not src:find(m.from, 1, true) then
    io.write(("mutate: %s: its `from` text is not in %s (re-point it to the code)\n"):format(m.name, m.file))
    bad = bad + 1
  end
end
if bad > 0 then os.exit(1) end

local base = scratch .. "/_base"
copy(base)
assert(sh(("cd %s && make -s build build-jit >/dev/null 2>&1"):format(shq(base))), "the unmutated tree does not build")
local baseline = {}
for _, m in ipairs(list) do
  for _, spec in ipairs(m.specs) do
    if baseline[spec] == nil then
      baseline[spec] = run_spec(base, spec, base .. "/" .. logname(spec))
      if not baseline[spec] then
        io.write(("mutate: %s fails without any mutant (see %s/%s)\n"):format(spec, base, logname(spec)))
        bad = bad + 1
      end
    end
  end
end
if bad > 0 then os.exit(1) end

local rows = {}
local survived = 0
for _, m in ipairs(list) do
  local dir = scratch .. "/" .. m.name
  copy(dir)
  local path = dir .. "/" .. m.file
  local src = read(path)
  local a, b = src:find(m.from, 1, true)
  write(path, src:sub(1, a - 1) .. m.to .. src:sub(b + 1))
  local built = sh(("cd %s && make -s build build-jit >%s/build.log 2>&1"):format(shq(dir), shq(dir)))
  local caught_by = {}
  for _, spec in ipairs(m.specs) do
    local ok, how = false, nil
    if built then ok, how = run_spec(dir, spec, dir .. "/" .. logname(spec)) end
    rows[#rows + 1] = { m.name, spec, built and (ok and "no" or how == "hung" and "yes (hung, stopped)" or "yes")
      or "BUILD FAILED" }
    if built and not ok then caught_by[#caught_by + 1] = spec end
    io.write(("  %-22s %-36s %s\n"):format(m.name, spec, rows[#rows][3])); io.flush()
  end
  if #caught_by == 0 then survived = survived + 1 else sh("rm -rf " .. shq(dir)) end
end

io.write("\n| mutant | what it breaks | spec | caught |\n|---|---|---|---|\n")
local why = {}
for _, m in ipairs(MUTANTS) do why[m.name] = m.why end
for _, r in ipairs(rows) do io.write(("| %s | %s | %s | %s |\n"):format(r[1], why[r[1]], r[2], r[3])) end
io.write(("\nmake mutate: %d mutants, %d caught, %d survived\n"):format(#list, #list - survived, survived))
if survived == 0 then sh("rm -rf " .. shq(scratch)) end
os.exit(survived == 0 and 0 or 1)
