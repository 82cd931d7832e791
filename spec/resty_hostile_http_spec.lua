-- Both drivers (the libcurl client and helpscout.resty in a real nginx) against a misbehaving
-- HTTP server on loopback (spec/support/hostile_http.py, a separate process): bytes trickled one
-- a second, malformed chunks, a 30 MiB header line, 200,000 header fields, endless 1xx answers,
-- a reset mid-body, garbage answers to reads and writes, a page whose items are an object,
-- self-signed and wrong-name TLS. Every call ends within timeout x attempts (+ the retry wait)
-- + 1 s with nil, err and never raises; interim 1xx answers are skipped; the nginx worker stays
-- under 64 MB and answers an unrelated request in under 5 ms (median) meanwhile.
local nginx = require "support.nginx"
local proc = require "support.proc"
local helpscout = require "helpscout"
local socket = require "socket"
local cjson = require "cjson"

local SLACK = tonumber(os.getenv("HS_TIME_SLACK") or 1)

local function sh(cmd) assert(os.execute(cmd .. " >/dev/null 2>&1"), cmd) end

-- A test CA, a certificate it signs for another name, and a self-signed one for 127.0.0.1.
local function certificates(dir)
  local req = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
  sh(req .. ("-subj /CN=hs-test-ca -keyout %s/ca.key -out %s/ca.pem"):format(dir, dir))
  sh(req .. ("-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s/self.key -out %s/self.pem")
    :format(dir, dir))
  sh(("openssl req -newkey rsa:2048 -nodes -subj /CN=other.example -keyout %s/wrong.key -out %s/wrong.csr")
    :format(dir, dir))
  local ext = dir .. "/wrong.ext"
  local f = assert(io.open(ext, "w"))
  f:write("subjectAltName=DNS:other.example\n")
  f:close()
  sh(("openssl x509 -req -in %s/wrong.csr -CA %s/ca.pem -CAkey %s/ca.key -CAcreateserial -days 2 "
    .. "-extfile %s -out %s/wrong.pem"):format(dir, dir, dir, ext, dir))
  return dir .. "/ca.pem"
end

-- name, mode (the server's fault), tool and arguments, timeout, retries
local CASES = {
  { "trickled head, two attempts", "trickle_head", "list_users", {}, 3, 1 },
  { "trickled body", "trickle_body", "list_users", {}, 3, 0 },
  { "chunk size not hex", "chunk_nothex", "list_users", {}, 2, 0 },
  { "chunk size of 20 hex digits", "chunk_huge", "list_users", {}, 2, 0 },
  { "negative chunk size", "chunk_negative", "list_users", {}, 2, 0 },
  { "fractional chunk size", "chunk_fraction", "list_users", {}, 2, 0 },
  { "chunk without its CRLF", "chunk_nocrlf", "list_users", {}, 2, 0 },
  { "chunk longer than announced", "chunk_overrun", "list_users", {}, 2, 0 },
  { "one 30 MiB header line", "huge_header", "list_users", {}, 2, 0 },
  { "200,000 header fields", "many_headers", "list_users", {}, 2, 0 },
  { "endless 100 Continue", "endless_interim", "list_users", {}, 2, 0 },
  { "reset mid-body", "reset", "list_users", {}, 2, 0 },
  { "garbage page", "garbage", "list_users", {}, 2, 0 },
  { "garbage answer to a note", "garbage", "add_note", { 5, "hello" }, 2, 0 },
  { "garbage answer to a tag update", "garbage", "update_tags", { 5, { "a" } }, 2, 0 },
  { "items that are an object", "object_page", "list_users", {}, 2, 0 },
  { "self-signed certificate", "tls_self", "list_users", {}, 2, 0 },
  { "certificate for another name", "tls_wrongname", "list_users", {}, 2, 0 },
}

-- The longest a case may take: every attempt's timeout, the longest first retry wait, 1 s.
local function budget(c) return (c[5] * (c[6] + 1) + (c[6] > 0 and 0.5 or 0) + 1) * SLACK end

local function base_url(ports, mode)
  local scheme = mode:find("^tls_") and "https" or "http"
  return ("%s://127.0.0.1:%d"):format(scheme, ports[mode])
end

local function options(c, ports)
  return { access_token = "hostile-test-token", base_url = base_url(ports, c[2]), timeout = c[5],
    connect_timeout = 2, retries = c[6] }
end

-- Inside nginx: runs every case on its own timer; results go to the shared dict "hostile".
local START = [[
  local cases = (...)[1]
  local dict = ngx.shared.hostile
  dict:flush_all()
  for i, c in ipairs(cases) do
    ngx.timer.at(0, function()
      local resty = require "helpscout.resty"
      ngx.update_time()
      local t0 = ngx.now()
      local ok, v, e = pcall(function()
        local hs = resty.new(c.opts)
        return hs[c.tool](hs, unpack(c.args))
      end)
      ngx.update_time()
      local r = { elapsed = ngx.now() - t0, raised = not ok and tostring(v) or nil,
        value = ok and v ~= nil or nil }
      if ok and e then r.err = { kind = e.kind, message = e.message, retryable = e.retryable } end
      dict:set(i, require("cjson").encode(r))
    end)
  end
  return ngx.worker.pid()
]]

local COLLECT = [[
  local n = ...
  local out, missing = {}, {}
  for i = 1, n do
    local s = ngx.shared.hostile:get(i)
    out[i] = s and require("cjson").decode(s) or false -- a dense array for the JSON answer
    if not s then missing[#missing + 1] = i end
  end
  return { results = out, missing = missing }
]]

local function rss_kb(pid)
  local f = io.open(("/proc/%d/status"):format(pid))
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

-- One GET of /ping on a new connection: seconds.
local function ping(port)
  local t0 = socket.gettime()
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(5)
  c:send("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
  local all = c:receive("*a")
  c:close()
  assert(all and all:find("pong", 1, true), "no answer from /ping")
  return socket.gettime() - t0
end

local function median(xs)
  table.sort(xs)
  return xs[math.floor((#xs + 1) / 2)]
end

local function check(c, r)
  local what = c[1] .. ": " .. cjson.encode(r)
  assert.is_nil(r.raised, what)
  assert.is_nil(r.value, what)
  assert.is_table(r.err, what)
  assert.is_string(r.err.message, what)
  assert.is_true(r.elapsed <= budget(c), what .. " (budget " .. budget(c) .. " s)")
end

describe("hostile HTTP server", function()
  local dir, server, server_pid, ports, ca

  setup(function()
    local p = io.popen("mkdir -p .tmp && mktemp -d \"$PWD/.tmp/hostile-http.XXXXXX\"")
    dir = p:read("*l")
    p:close()
    ca = certificates(dir)
    ports = {}
    local args = {}
    for _, c in ipairs(CASES) do
      if not ports[c[2]] then
        ports[c[2]] = proc.free_port()
        args[#args + 1] = c[2] .. "=" .. ports[c[2]]
      end
    end
    ports.interim = proc.free_port()
    args[#args + 1] = "interim=" .. ports.interim
    server = assert(io.popen(("exec python3 spec/support/hostile_http.py %d %s %s"):format(proc.self_pid(),
      proc.shq(dir), table.concat(args, " "))))
    local line = server:read("*l") or ""
    server_pid = tonumber(line:match("^ready (%d+)$"))
    assert.is_number(server_pid, "the hostile server did not start")
  end)

  teardown(function()
    if server_pid then os.execute("kill " .. server_pid) end
    if server then server:close() end
    if dir then os.execute("rm -rf " .. proc.shq(dir)) end
  end)

  it("the libcurl client: nil, err within the budget, never a raise", function()
    for _, c in ipairs(CASES) do
      local t0 = socket.gettime()
      local ok, v, e = pcall(function()
        local hs = helpscout.new(options(c, ports))
        return hs[c[3]](hs, table.unpack(c[4]))
      end)
      local r = { elapsed = socket.gettime() - t0, raised = not ok and tostring(v) or nil,
        value = ok and v ~= nil or nil }
      if ok and e then r.err = { kind = e.kind, message = e.message, retryable = e.retryable } end
      check(c, r)
    end
  end)

  it("the libcurl client skips interim 1xx answers", function()
    local hs = helpscout.new{ access_token = "t", base_url = "http://127.0.0.1:" .. ports.interim, retries = 0 }
    local items, page = hs:list_users()
    assert.is_table(items, tostring(page))
    assert.equal(1, items[1].id)
  end)

  describe("helpscout.resty in nginx", function()
    local ng
    setup(function()
      ng = nginx.start{ workers = 1,
        http = "lua_shared_dict hostile 1m; lua_ssl_trusted_certificate " .. ca .. "; lua_ssl_verify_depth 2;",
        server = "location = /ping { content_by_lua_block { ngx.say('pong') } }" }
    end)
    teardown(function() if ng then ng:stop() end end)

    it("nil, err within the budget, never a raise; the worker stays small and responsive", function()
      local cases = {}
      for i, c in ipairs(CASES) do cases[i] = { tool = c[3], args = c[4], opts = options(c, ports) } end
      local pid = ng:run(START, { cases })
      local t0, res, lat, rss = socket.gettime(), nil, {}, 0
      local limit = 0
      for _, c in ipairs(CASES) do limit = math.max(limit, budget(c)) end
      while socket.gettime() - t0 < limit + 5 * SLACK do
        lat[#lat + 1] = ping(ng.port)
        rss = math.max(rss, rss_kb(pid) or 0)
        res = ng:run(COLLECT, #CASES)
        if #res.missing == 0 then break end
        socket.sleep(0.05)
      end
      local late = {}
      for _, i in ipairs(res.missing) do late[#late + 1] = CASES[i][1] end
      assert.equal("", table.concat(late, ", "), "cases that did not end in time\n" .. ng:log_tail(20))
      for i, c in ipairs(CASES) do check(c, res.results[i]) end
      assert.is_true(rss > 0 and rss < 64 * 1024, "worker RSS " .. rss .. " kB")
      assert.is_true(#lat >= 5, "too few pings")
      local m = median(lat)
      assert.is_true(m < 0.005 * SLACK, ("median unrelated request %.1f ms"):format(m * 1000))
      assert.same({}, ng:log_grep("%[alert%]"))
      io.write(("\n[hostile] worker RSS %d kB, median unrelated request %.2f ms over %d\n"):format(rss, m * 1000, #lat))
    end)

    it("skips interim 1xx answers", function()
      local r = ng:run([[
        local hs = require("helpscout.resty").new{ access_token = "t", base_url = ..., retries = 0 }
        local items, page = hs:list_users()
        return { items = items, err = not items and tostring(page) or nil }
      ]], "http://127.0.0.1:" .. ports.interim)
      assert.is_nil(r.err)
      assert.equal(1, r.items[1].id)
    end)
  end)
end)
