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

local function shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function self_pid()
  local f = io.open("/proc/self/stat", "r")
  if not f then return nil end
  local pid = f:read("*n")
  f:close()
  return pid
end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function is_root()
  local p = io.popen("id -u")
  local uid = p and p:read("*l")
  if p then p:close() end
  return uid == "0"
end

-- The generated nginx.conf. opts.http: lines in the http block; opts.server: lines in the server
-- block; opts.workers (default 1); opts.log_level (default "info").
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
    "    listen 127.0.0.1:" .. port .. ";",
    "    location = /_run { content_by_lua_block { require('support.nginx').serve_run() } }",
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

-- rawhttp.request against this nginx (opts: headers, body, timeout, conn).
function M:request(method, path, opts)
  return rawhttp.request({ port = self.port }, method, path, opts)
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

return M
