-- Per-request time of hs:list_conversations against the sandbox over loopback, beside plain curl
-- fetching the same URLs with the same headers: (a) one curl process for all URLs (keep-alive,
-- the best curl can do) and (b) one curl process per URL. Prints the times and the ratios from
-- one run on this machine. The token goes to curl through a mode-600 config file that is removed
-- afterwards; it is never printed.
--   lua5.4 bench/client_bench.lua [N]      (make bench runs it)
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
local socket = require "socket"
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local N = tonumber(arg and arg[1]) or 300
local NPROC = math.min(N, 60) -- separate curl processes are slow; fewer of them suffice

local sb = sandbox.start{ seed = 42 }
local ok, err = pcall(function()
  local hs = helpscout.new{ client_id = sb.client_id, client_secret = sb.client_secret,
    base_url = sb.url, retries = 0 }
  local _, page = assert(hs:list_conversations{ status = "all" })
  local pages = page.totalPages
  local function opts(i) return { status = "all", page = (i - 1) % pages + 1 } end
  local urls = {}
  for i = 1, N do
    urls[i] = ("%s/v2/conversations?status=all&page=%d"):format(sb.url, (i - 1) % pages + 1)
  end
  for i = 1, 20 do assert(hs:list_conversations(opts(i))) end -- warm up both sides

  local t0 = socket.gettime()
  for i = 1, N do assert(hs:list_conversations(opts(i))) end
  local t_client = (socket.gettime() - t0) / N

  local cfg = os.tmpname()
  local function write_cfg(list)
    local f = assert(io.open(cfg, "w"))
    f:write(('header = "Authorization: Bearer %s"\n'):format(hs:token().access_token))
    f:write('header = "Accept: application/hal+json, application/json"\n')
    for _, u in ipairs(list) do f:write(('url = "%s"\noutput = "/dev/null"\n'):format(u)) end
    f:close()
  end
  os.execute("chmod 600 " .. cfg)
  write_cfg(urls)
  t0 = socket.gettime()
  assert(os.execute("curl -s -f -K " .. cfg))
  local t_curl1 = (socket.gettime() - t0) / N

  t0 = socket.gettime()
  for i = 1, NPROC do
    write_cfg({ urls[i] })
    assert(os.execute("curl -s -f -K " .. cfg))
  end
  local t_curlN = (socket.gettime() - t0) / NPROC
  os.remove(cfg)

  -- The part of the client's time that curl does not do: decoding the JSON into Lua tables.
  -- Timed on the same pages, without I/O, with a private cjson instance (as the core uses).
  local bodies = {}
  for p = 1, pages do
    local out = {}
    http.request{ url = urls[p], sink = ltn12.sink.table(out),
      headers = { authorization = "Bearer " .. hs:token().access_token } }
    bodies[p] = table.concat(out)
  end
  local decode = cjson.new().decode
  t0 = socket.gettime()
  for i = 1, N do decode(bodies[(i - 1) % pages + 1]) end
  local t_decode = (socket.gettime() - t0) / N
  hs:close()

  print(("list_conversations, %d requests against the sandbox on 127.0.0.1 (%s)"):format(N, _VERSION))
  print(("  lua-helpscout (easy handle, keep-alive) : %7.3f ms/request"):format(t_client * 1e3))
  print(("  curl, one process for all URLs          : %7.3f ms/request"):format(t_curl1 * 1e3))
  print(("  curl, one process per URL (%d runs)     : %7.3f ms/request"):format(NPROC, t_curlN * 1e3))
  print(("  cjson.decode of the same pages (no I/O)  : %7.3f ms/request"):format(t_decode * 1e3))
  print(("  client overhead beyond curl + decode     : %7.3f ms/request"):format((t_client - t_curl1 - t_decode) * 1e3))
  print(("  ratio client / curl keep-alive           : %.2f"):format(t_client / t_curl1))
  print(("  ratio client / (curl keep-alive + decode): %.2f"):format(t_client / (t_curl1 + t_decode)))
  print(("  ratio client / curl per process          : %.2f"):format(t_client / t_curlN))
end)
sb:stop()
if not ok then io.stderr:write(tostring(err), "\n"); os.exit(1) end
