-- Throughput of hs:list_conversations inside nginx (helpscout.resty on cosockets, one worker,
-- one request after another over a keep-alive connection) against the libcurl client in plain
-- Lua (the same N pages, one after another), both against the same sandbox on 127.0.0.1. Also
-- N pages with 4 in flight: fetch_all on light threads in nginx, on curl multi in plain Lua.
-- Prints the times and the ratios from one run on this machine (the sandbox serves one request
-- at a time, so 4 in flight measures the drivers' overhead, not parallel speed-up).
--   lua5.4 bench/resty_bench.lua [N]      (make bench runs it; needs `make build-jit`)
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local sandbox = require "support.sandbox"
local nginx = require "support.nginx"
local helpscout = require "helpscout"

local N = tonumber(arg and arg[1]) or 300

-- Runs inside nginx: N sequential pages, then the first N pages with 4 in flight; seconds each.
local IN_NGINX = [[
  local a = ...
  local hs = require("helpscout.resty").new{ client_id = a.id, client_secret = a.secret,
    base_url = a.url, retries = 0 }
  local function now() ngx.update_time(); return ngx.now() end
  for i = 1, 20 do assert(hs:list_conversations{ status = "all", page = (i - 1) % a.pages + 1 }) end
  local t0 = now()
  for i = 1, a.n do assert(hs:list_conversations{ status = "all", page = (i - 1) % a.pages + 1 }) end
  local seq = now() - t0
  t0 = now()
  local rounds = 0
  while rounds * a.pages < a.n do
    assert(hs:fetch_all("list_conversations", { status = "all" }, { concurrency = 4 }))
    rounds = rounds + 1
  end
  return { seq = seq, par = now() - t0, par_pages = rounds * a.pages }
]]

local sb = sandbox.start{ seed = 42 }
local ng = nginx.start{ workers = 1, log_level = "warn" }
local ok, err = pcall(function()
  local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret,
    base_url = sb.url, retries = 0 }
  local _, page = assert(hs:list_conversations{ status = "all" })
  local pages = page.totalPages
  for i = 1, 20 do assert(hs:list_conversations{ status = "all", page = (i - 1) % pages + 1 }) end
  local t0 = socket.gettime()
  for i = 1, N do assert(hs:list_conversations{ status = "all", page = (i - 1) % pages + 1 }) end
  local t_curl = (socket.gettime() - t0) / N
  t0 = socket.gettime()
  local rounds = 0
  while rounds * pages < N do
    assert(hs:fetch_all("list_conversations", { status = "all" }, { concurrency = 4 }))
    rounds = rounds + 1
  end
  local t_curl_par = (socket.gettime() - t0) / (rounds * pages)
  hs:close()

  local r = ng:run(IN_NGINX, { id = sb.client_id, secret = sb.client_secret, url = sb.url, n = N,
    pages = pages }, 300)
  local t_resty, t_par = r.seq / N, r.par / r.par_pages

  print(("list_conversations, %d pages of 25 against the sandbox on 127.0.0.1"):format(N))
  print(("  libcurl client, plain %s, one by one  : %7.3f ms/request"):format(_VERSION, t_curl * 1e3))
  print(("  helpscout.resty in nginx, one by one     : %7.3f ms/request"):format(t_resty * 1e3))
  print(("  libcurl client fetch_all, 4 in flight    : %7.3f ms/page"):format(t_curl_par * 1e3))
  print(("  helpscout.resty fetch_all, 4 in flight   : %7.3f ms/page"):format(t_par * 1e3))
  print(("  ratio resty / libcurl (one by one)       : %.2f"):format(t_resty / t_curl))
  print(("  ratio resty / libcurl (fetch_all)        : %.2f"):format(t_par / t_curl_par))
end)
ng:stop()
sb:stop()
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
