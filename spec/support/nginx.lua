-- Test helper: starts a real Debian nginx with the lua module (OpenResty's ngx_http_lua, on
-- LuaJIT) on 127.0.0.1 with a generated configuration, for the helpscout.resty specs.
--
--   local nginx = require "support.nginx"
--   local ng = nginx.start{ workers = 1, http = "lua_shared_dict hs 1m;",
--                           server = "location = /x { content_by_lua_block { ngx.say('x') } }" }
--   ng.url, ng.port                -- "http://127.0.0.1:PORT"
--   local res = ng:request("GET", "/x")   -- rawhttp result: status, headers, body, json
--   local v = ng:run("return 1 + ...", 2) -- a Lua chunk run in a content handler: 3
--   ng:log_tail(40)                -- the last lines of its error_log (show them when a spec fails)
--   ng:stop()
--
-- The checkout's lua/ and spec/ come first on lua_package_path, build/jit/?.so (`make build-jit`)
-- first on lua_package_cpath, then Debian's /usr/share/lua/5.1 (resty/core.lua, needed by the
-- lua module) and the defaults. A watchdog stops nginx when the test process is gone.
local proc = require "support.proc"
local socket = require "socket"
local cjson = require "cjson.safe"
local rawhttp = require "support.rawhttp"

local M = {}
local mt = { __index = M }

M.modules = "/usr/lib/nginx/modules"
M.binary = os.getenv("HS_NGINX") or "/usr/sbin/nginx"

local function root()
  local src = debug.getinfo(1, "S").source:sub(2)
  local dir = src:match("^(.*)/spec/support/[^/]+$")
  if dir and dir:sub(1, 1) ~= "/" then dir = os.getenv("PWD") .. "/" .. dir end
  return dir or os.getenv("PWD")
end

local shq = proc.shq

local self_pid = proc.self_pid

local free_port = proc.free_port

local function is_root()
  local p = io.popen("id -u")
  local uid = p and p:read("*l")
  if p then p:close() end
  return uid == "0"
end

-- The generated nginx.conf. opts.http: lines in the http block; opts.server: lines in the server
-- block; opts.workers (default 1); opts.log_level (default "info"); opts.reuseport (spread
-- connections over the workers).
local function config(dir, port, opts)
  local r = root()
  local lines = {
    is_root() and "user root root;" or "",
    "load_module " .. M.modules .. "/ndk_http_module.so;",
    "load_module " .. M.modules .. "/ngx_http_lua_module.so;",
    "worker_processes " .. (opts.workers or 1) .. ";",
    "pid " .. dir .. "/nginx.pid;",
    "error_log " .. dir .. "/error.log " .. (opts.log_level or "info") .. ";",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off; tcp_nopush off; tcp_nodelay on; keepalive_requests 100000;",
    "  client_body_temp_path " .. dir .. "/body; proxy_temp_path " .. dir .. "/proxy;",
    "  fastcgi_temp_path " .. dir .. "/fastcgi; uwsgi_temp_path " .. dir .. "/uwsgi;",
    "  scgi_temp_path " .. dir .. "/scgi;",
    "  client_body_buffer_size 1m; client_max_body_size 8m;",
    ('  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;%s/spec/?.lua;/usr/share/lua/5.1/?.lua;'
      .. '/usr/share/lua/5.1/?/init.lua;;";'):format(r, r, r),
    ('  lua_package_cpath "%s/build/jit/?.so;;";'):format(r),
    "  lua_socket_log_errors off;",
    opts.http or "",
    "  server {",
    "    listen 127.0.0.1:" .. port .. (opts.reuseport and " reuseport" or "") .. ";",
    "    location = /_run { content_by_lua_block { require('support.nginx').serve_run() } }",
    "    location = /_call { content_by_lua_block { require('support.nginx').serve_call() } }",
    opts.server or "",
    "  }",
    "}",
  }
  return table.concat(lines, "\n") .. "\n"
end

local function wait_listening(port, seconds)
  local deadline = socket.gettime() + seconds
  while socket.gettime() < deadline do
    local c = socket.tcp()
    c:settimeout(0.2)
    if c:connect("127.0.0.1", port) then c:close(); return true end
    c:close()
    socket.sleep(0.05)
  end
  return false
end

-- Runs nginx in the foreground under a small shell watchdog (in the background): when the test
-- process (or nginx) goes away the watchdog stops the other.
local function launch(dir)
  local parent = self_pid() or 0
  local script = table.concat({
    "%s -p %s -c %s -g 'daemon off; master_process on;' 2>>%s &",
    "n=$!; echo $n > %s",
    "while kill -0 %d 2>/dev/null && kill -0 $n 2>/dev/null; do sleep 1; done",
    "kill -QUIT $n 2>/dev/null",
  }, "\n"):format(shq(M.binary), shq(dir), shq(dir .. "/nginx.conf"), shq(dir .. "/error.log"),
    shq(dir .. "/master.pid"), parent)
  local f = assert(io.open(dir .. "/run.sh", "w"))
  f:write(script)
  f:close()
  os.execute("sh " .. shq(dir .. "/run.sh") .. " >/dev/null 2>&1 &")
end

function M.start(opts)
  opts = opts or {}
  proc.need(M.binary, "the resty specs run a real nginx with the lua module (make deps)")
  local p = assert(io.popen("mktemp -d /tmp/hs-nginx.XXXXXX"))
  local dir = assert(p:read("*l"))
  p:close()
  os.execute("chmod 755 " .. shq(dir))
  local port = opts.port or free_port()
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(config(dir, port, opts))
  f:close()
  local self = setmetatable({ dir = dir, port = port, url = "http://127.0.0.1:" .. port }, mt)
  launch(dir)
  if not wait_listening(port, 10) then
    local tail = self:log_tail(30)
    self:stop()
    error("nginx did not start on port " .. port .. ":\n" .. tail, 2)
  end
  return self
end

function M:master_pid()
  local f = io.open(self.dir .. "/master.pid", "r")
  if not f then return nil end
  local pid = f:read("*n")
  f:close()
  return pid
end

function M:stop()
  if self.stopped then return end
  self.stopped = true
  local pid = self:master_pid()
  if pid then
    os.execute("kill -QUIT " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      local ok = os.execute("kill -0 " .. pid .. " 2>/dev/null")
      if ok ~= true and ok ~= 0 then break end -- 5.4: true/nil; 5.1: 0/status
      socket.sleep(0.05)
    end
  end
  if not os.getenv("HS_KEEP_NGINX") then os.execute("rm -rf " .. shq(self.dir)) end
end

function M:log_tail(n)
  local f = io.open(self.dir .. "/error.log", "r")
  if not f then return "(no error.log)" end
  local lines = {}
  for line in f:lines() do
    lines[#lines + 1] = line
    if #lines > (n or 40) then table.remove(lines, 1) end
  end
  f:close()
  return table.concat(lines, "\n")
end

-- Lines of the error_log that match a Lua pattern (e.g. "%[error%]"), or contain `pat` as plain
-- text when `plain` is true.
function M:log_grep(pat, plain)
  local out = {}
  local f = io.open(self.dir .. "/error.log", "r")
  if not f then return out end
  for line in f:lines() do if line:find(pat, 1, plain) then out[#out + 1] = line end end
  f:close()
  return out
end

-- The payload of a chunked body.
local function dechunk(s)
  local out, pos = {}, 1
  while true do
    local size, data_at = s:match("^(%x+)[^\r\n]*\r\n()", pos)
    if not size or tonumber(size, 16) == 0 then break end
    out[#out + 1] = s:sub(data_at, data_at + tonumber(size, 16) - 1)
    pos = data_at + tonumber(size, 16) + 2
  end
  return table.concat(out)
end

-- rawhttp.request against this nginx (opts: headers, body, timeout, conn); chunked bodies
-- are decoded (rawhttp reads them raw, up to the close).
function M:request(method, path, opts)
  local res, err = rawhttp.request({ port = self.port }, method, path, opts)
  if res and (res.headers["transfer-encoding"] or ""):find("chunked", 1, true) then
    res.body = dechunk(res.body)
    res.json = cjson.decode(res.body)
  end
  return res, err
end

-- Runs a Lua chunk in a content handler of this nginx: `...` is the decoded JSON argument;
-- the chunk's first return value comes back JSON-decoded (an error raises here with nginx's
-- error_log tail).
function M:run(code, arg, timeout)
  local res, err = self:request("POST", "/_run",
    { body = cjson.encode({ code = code, arg = arg == nil and cjson.null or arg }), timeout = timeout })
  if not res then error("nginx /_run: " .. tostring(err) .. "\n" .. self:log_tail(20), 2) end
  if res.status ~= 200 then
    error(("nginx /_run answered %s: %s\n%s"):format(res.status, res.body, self:log_tail(20)), 2)
  end
  local decoded = res.json
  if decoded == nil then return nil end
  return decoded.value
end

-- Inside nginx: the handler of /_run (only ever configured by this helper, on 127.0.0.1).
function M.serve_run()
  local ngx = ngx -- luacheck: ignore
  ngx.req.read_body()
  local req = cjson.decode(ngx.req.get_body_data() or "")
  local fn, cerr = loadstring(req.code, "=run") -- luacheck: ignore
  if not fn then ngx.status = 500; ngx.header["Content-Length"] = #cerr; ngx.print(cerr); return end
  local arg = req.arg
  if arg == cjson.null then arg = nil end
  local ok, v = xpcall(function() return fn(arg) end, debug.traceback)
  if not ok then v = tostring(v); ngx.status = 500; ngx.header["Content-Length"] = #v; ngx.print(v); return end
  if type(v) == "table" and getmetatable(v) and getmetatable(v).__tostring then
    local t = {}
    for k, x in pairs(v) do t[k] = x end
    t.tostring = tostring(v)
    v = t
  end
  ngx.header["Content-Type"] = "application/json"
  local body, eerr = cjson.encode({ value = v == nil and cjson.null or v })
  if not body then ngx.status = 500; ngx.say("cannot encode result: " .. eerr); return end
  ngx.header["Content-Length"] = #body -- rawhttp reads Content-Length bodies, not chunked ones
  ngx.print(body)
end

-- ---------------------------------------------------------------------------------------------
-- A remote helpscout.resty client: ng:client(opts) returns an object with the client's methods
-- whose every call runs inside nginx (one worker: the client lives in that worker's Lua VM)
-- and comes back as plain data: error tables get core.Error again, integral numbers become
-- integers (as the core's decoder gives them), nil holes survive. So the libcurl client's
-- specs can run unchanged against the cosocket driver. Iterators run to the end inside nginx
-- and replay here, raising the error where the loop raised it.

local function to_wire(v)
  if v == nil then return cjson.null end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = to_wire(x) end
  local mt_ = getmetatable(v)
  if mt_ and mt_.__tostring then out.__error = true end
  return out
end

local function from_wire(v, Error)
  if v == cjson.null then return nil end
  if type(v) == "number" and math.tointeger then return math.tointeger(v) or v end
  if type(v) ~= "table" then return v end
  for k, x in pairs(v) do v[k] = from_wire(x, Error) end
  if v.__error then v.__error = nil; setmetatable(v, Error) end
  return v
end

local function pack_wire(...)
  local n, out = select("#", ...), {}
  for i = 1, n do out[i] = to_wire((select(i, ...))) end
  return { n = n, values = out }
end

-- Inside nginx: /_call {op = "new", opts} | {op = "call", id, method, n, args} |
-- {op = "next", id} (the next values of an iterator started by "call" each/pages).
-- on_token = "record": the client's tokens are returned with the next answer (`tokens`).
local clients, recorded = {}, {}

local function new_client(opts)
  local id = #clients + 1
  if opts and opts.on_token == "record" then
    recorded[id] = {}
    opts.on_token = function(t) recorded[id][#recorded[id] + 1] = to_wire(t) end
  end
  clients[id] = require("helpscout.resty").new(opts)
  return id
end

local function serve(req, args)
  local unpack_ = table.unpack or unpack -- luacheck: ignore 113
  if req.op == "new" then return pack_wire(new_client(args[1])) end
  local hs = clients[req.id]
  if req.op == "next" then return pack_wire(hs.iter()) end
  if req.method == "each" or req.method == "pages" then
    hs.iter = hs[req.method](hs, unpack_(args, 1, req.n))
    return pack_wire(true)
  end
  return pack_wire(hs[req.method](hs, unpack_(args, 1, req.n)))
end

function M.serve_call()
  local ngx = ngx -- luacheck: ignore
  ngx.req.read_body()
  local req = cjson.decode(ngx.req.get_body_data() or "")
  local args = {}
  for i = 1, req.n or 0 do if req.args[i] ~= cjson.null then args[i] = req.args[i] end end
  local _, res = xpcall(function() return serve(req, args) end,
    function(e) return { raised = to_wire(e), traceback = debug.traceback() } end)
  local rec = req.id and recorded[req.id]
  if rec and #rec > 0 then res.tokens = rec; recorded[req.id] = {} end
  local body = cjson.encode(res)
  ngx.header["Content-Length"] = #body
  ngx.print(body)
end

function M:call(op, id, method, ...)
  local n, args = select("#", ...), {}
  for i = 1, n do args[i] = to_wire((select(i, ...))) end
  local body = assert(cjson.encode{ op = op, id = id, method = method, n = n, args = args })
  local res, err = self:request("POST", "/_call", { body = body, timeout = 60 })
  if not res or not res.json then
    error(("nginx /_call %s: %s\n%s"):format(tostring(method), tostring(err or res.body), self:log_tail(20)), 3)
  end
  return res.json
end

-- The answer of one remote call as Lua values (raises what the call raised).
local function results(res, Error, on_token)
  for _, t in ipairs(res.tokens or {}) do on_token(from_wire(t, Error)) end
  if res.raised ~= nil then
    local e = from_wire(res.raised, Error)
    if type(e) == "string" then e = e:gsub("^[^\n]-:%d+: ", "") end
    error(e, type(e) == "string" and 3 or 0)
  end
  return (table.unpack or unpack)(from_wire(res.values, Error), 1, res.n) -- luacheck: ignore 113
end

function M:client(opts)
  local o, on_token = {}, nil
  for k, v in pairs(opts or {}) do
    if k == "on_token" and type(v) == "function" then on_token, v = v, "record"
    elseif type(v) == "function" then error("remote resty client: option '" .. k .. "' cannot cross into nginx", 2) end
    o[k] = v
  end
  local Error = require("helpscout.core").Error
  local id = results(self:call("new", nil, nil, o), Error)
  local ng = self
  return setmetatable({ close = function() end }, { __index = function(_, method)
    return function(_, ...)
      local res = ng:call("call", id, method, ...)
      if method ~= "each" and method ~= "pages" then return results(res, Error, on_token) end
      results(res, Error, on_token)
      return function() return results(ng:call("next", id), Error, on_token) end
    end
  end })
end

return M
