-- The /v2 router of the sandbox. Every operation is a row of the route table
--   { method, pattern, handler, params = query spec, body = body spec, writes = "conversation" | "all" }
-- gathered from the resource modules. Policy lives here, once, for every row:
--  1. the token endpoint is answered before anything else (no auth, no rate limit);
--  2. every other request is authenticated (it then acts as its token's account and user: S.store,
--     S.account, S.owner_id), then rate limited per account (GET/HEAD cost 1, writes 2);
--  3. path ids are checked (400), the method (405 with Allow), the path's objects loaded (404);
--  4. the query and the body are checked against the row's specs (check.lua: 400 / 415);
--  5. a row that writes drops the cached renderings it touches before its handler runs, and all of
--     them when the handler grew a shared registry (a new customer or tag: store.registry moved);
--  6. the handler runs with ctx = { q, params, body, conversation | mailbox | customer | user };
--     the rate-limit headers are added to whatever it answers;
--  7. a write that succeeded and reported ctx.event = { name, conversation } queues its webhook.
-- handle(S, req) returns an http.lua response table.
local render = require "helpscout.sandbox.render"
local wire = require "helpscout.sandbox.wire"
local check = require "helpscout.sandbox.check"
local oauth = require "helpscout.sandbox.oauth"
local webhooks = require "helpscout.sandbox.webhooks"

local ipairs, tonumber = ipairs, tonumber
local ceil, max = math.ceil, math.max
local format, match, gsub = string.format, string.match, string.gsub
local concat = table.concat
local fail = wire.fail

local _M = {}

local TOKEN_PATH = "/v2/oauth2/token"

-- The route table -------------------------------------------------------------------------------

local ROUTES = {}
for _, name in ipairs { "mailboxes", "conversations", "threads", "customers", "users" } do
  for _, r in ipairs(require("helpscout.sandbox." .. name).routes) do ROUTES[#ROUTES + 1] = r end
end
_M.ROUTES = ROUTES

-- Path parameter -> { ctx key, store index, accepts "me" }
local PATH_PARAMS = {
  conversationId = { "conversation", "conversation_by_id" },
  mailboxId = { "mailbox", "mailbox_by_id" },
  customerId = { "customer", "customer_by_id" },
  userId = { "user", "user_by_id", me = true },
}

-- Paths, in table order: { lpattern, names = {param...}, methods = {GET = route}, allow = "GET, POST" },
-- bucketed by their first segment after /v2/ (a request is matched against its bucket only).
local PATHS, BUCKETS = {}, {}
do
  local by_pattern = {}
  for _, r in ipairs(ROUTES) do
    local p = by_pattern[r[2]]
    if not p then
      local names = {}
      local lp = gsub(r[2], "[%-%.%+%*%?%^%$%%%[%]%(%)]", "%%%0")
      lp = "^" .. gsub(lp, "{(%w+)}", function(n) names[#names + 1] = n; return "([^/]+)" end) .. "$"
      assert(#names <= 2, "a route pattern has at most two parameters")
      for _, n in ipairs(names) do assert(PATH_PARAMS[n], "unknown path parameter " .. n) end
      p = { lp, names = names, methods = {}, allow = {} }
      by_pattern[r[2]] = p
      PATHS[#PATHS + 1] = p
      local seg = assert(match(r[2], "^/v2/([^/{]+)"), "a route pattern starts with /v2/<name>")
      BUCKETS[seg] = BUCKETS[seg] or {}
      BUCKETS[seg][#BUCKETS[seg] + 1] = p
    end
    p.methods[r[1]] = r
    p.allow[#p.allow + 1] = r[1]
  end
  for _, p in ipairs(PATHS) do p.allow = concat(p.allow, ", ") end
end

-- Routing ----------------------------------------------------------------------------------------

local function path_id(S, s, name)
  if not match(s, "^%d+$") or #s > 15 then
    fail(wire.bad_request(S, { wire.field_error(name, "Invalid identifier", s, "InvalidId", "Path") }, "Bad request"))
  end
  return tonumber(s)
end

-- The object a path parameter names (ctx[key] = object), or fail: 400 for a bad id, 404.
local function load(S, name, s, ctx, check_only)
  local pp = PATH_PARAMS[name]
  local id = (pp.me and s == "me") and S.owner_id or path_id(S, s, name)
  if check_only then return end
  ctx[pp[1]] = S.store[pp[2]][id] or fail(wire.not_found(S))
end

local function find_path(p)
  for _, path in ipairs(BUCKETS[match(p, "^/v2/([^/]+)")] or PATHS) do
    local a, b = match(p, path[1])
    if a then
      if not path.names[1] then return path end -- a pattern without captures matches as a whole
      return path, a, b
    end
  end
end

-- Runs route r: invalidation around writes (rule 5), the handler, its webhook (rule 7).
local function run(S, r, req, ctx)
  local writes = r.writes
  if not writes then return r[3](S, req, ctx) end
  if writes == "all" then render.changed_all(S) else render.changed_conv(S, ctx.conversation) end
  local registry = S.store.registry
  local res = r[3](S, req, ctx)
  if S.store.registry ~= registry then render.changed_all(S) end
  if ctx.event and res.status >= 200 and res.status < 300 then webhooks.emit(S, ctx.event) end
  return res
end

local route = wire.protect(function(S, req)
  local path, a, b = find_path(req.path)
  if not path then fail(wire.not_found(S)) end
  local names, ctx = path.names, {}
  if a then load(S, names[1], a, ctx, true) end
  if b then load(S, names[2], b, ctx, true) end
  local r = path.methods[req.method] or fail(wire.method_not_allowed(S, path.allow))
  if a then load(S, names[1], a, ctx) end
  if b then load(S, names[2], b, ctx) end
  ctx.q, ctx.params = check.query(S, req.query_string, r.params or {})
  if r.body then ctx.body = check.body(S, req, r.body) end
  return run(S, r, req, ctx)
end)

-- Rate limit -------------------------------------------------------------------------------------

-- Charges the request to the fixed window; returns the headers to add, or fails with the 429.
local function rate_limit(S, req)
  local limit = S.cfg.rate_limit
  if not limit or limit <= 0 then return nil end
  local now = S:now()
  local rl = S.rate[S.account]
  if not rl then rl = {}; S.rate[S.account] = rl end
  if not rl.start or now >= rl.start + S.cfg.rate_window then rl.start, rl.used = now, 0 end
  local cost = (req.method == "GET" or req.method == "HEAD") and 1 or 2
  if rl.used + cost > limit then
    local wait = max(1, ceil(rl.start + S.cfg.rate_window - now))
    fail { status = 429, headers = { { "Content-Type", "application/json" },
      { "X-RateLimit-Limit-Minute", format("%d", limit) },
      { "X-RateLimit-Remaining-Minute", format("%d", max(0, limit - rl.used)) },
      { "X-RateLimit-Retry-After", format("%d", wait) } }, body = '{"message":"API rate limit exceeded"}' }
  end
  rl.used = rl.used + cost
  return { { "X-RateLimit-Limit-Minute", format("%d", limit) },
    { "X-RateLimit-Remaining-Minute", format("%d", limit - rl.used) } }
end

-- Handles one /v2 request (token endpoint included).
_M.handle = wire.protect(function(S, req)
  if req.path == TOKEN_PATH then return oauth.token(S, req) end
  oauth.authenticate(S, req)
  local rl_headers = rate_limit(S, req)
  local res = route(S, req)
  if rl_headers then
    res.headers = res.headers or {}
    for _, h in ipairs(rl_headers) do res.headers[#res.headers + 1] = h end
  end
  return res
end)

return _M
