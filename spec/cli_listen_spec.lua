-- helpscout listen under load and abuse: a slow client does not delay another's webhook (the
-- connections are served concurrently), over-long lines and heads are answered 431, bodies over
-- 1 MiB 413, connections past the cap 503, a silent connection dropped after 5 s; the secret
-- comes from the environment or a file and `--secret` on the command line is refused with a
-- message naming both (and never echoed).
local proc = require "support.proc"
local socket = require "socket"
local sys = require("helpscout.core").sys

local SLACK = tonumber(os.getenv("HS_TIME_SLACK") or 1)
local SECRET = "whsec-listen-789"
local shq = proc.shq

local function sign(body) return sys.base64(sys.hmac_sha1(SECRET, body)) end

-- One raw request on a new connection: the status (nil when the connection just closed).
local function raw(port, bytes)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(5)
  c:send(bytes)
  local line = c:receive("*l")
  c:close()
  return line and tonumber(line:match("^HTTP/1%.1 (%d%d%d)"))
end

local function webhook(body)
  return ("POST / HTTP/1.1\r\nHost: x\r\nX-HelpScout-Event: convo.created\r\nX-HelpScout-Signature: %s\r\n"
    .. "Content-Length: %d\r\n\r\n%s"):format(sign(body), #body, body)
end

local function wait_port(port)
  for _ = 1, 100 do
    local c = socket.connect("127.0.0.1", port)
    if c then c:close() return true end
    socket.sleep(0.05)
  end
  return false
end

describe("helpscout listen", function()
  local port, pipe, out

  setup(function()
    port = proc.free_port()
    out = os.tmpname()
    pipe = assert(io.popen(("exec env HELPSCOUT_WEBHOOK_SECRET=%s lua5.4 bin/helpscout listen --port %d --limit 2 "
      .. ">%s 2>&1"):format(shq(SECRET), port, shq(out))))
    assert.is_true(wait_port(port), "listen did not start")
  end)
  teardown(function()
    if pipe then pipe:close() end
    os.remove(out)
  end)

  it("answers a webhook at once while a slow client holds a connection", function()
    local slow = assert(socket.connect("127.0.0.1", port))
    slow:send("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ") -- and then nothing
    local t0 = socket.gettime()
    assert.equal(200, raw(port, webhook('{"id":1}')))
    local dt = socket.gettime() - t0
    slow:close()
    assert.is_true(dt < 0.5 * SLACK, ("took %.2f s"):format(dt))
  end)

  it("caps lines, heads and bodies", function()
    assert.equal(431, raw(port, "POST / HTTP/1.1\r\nX-Long: " .. ("a"):rep(9000) .. "\r\n\r\n"))
    assert.equal(431, raw(port, "POST / HTTP/1.1\r\n" .. ("X-H: v\r\n"):rep(3000) .. "\r\n"))
    assert.equal(413, raw(port, "POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"))
    assert.equal(400, raw(port, "POST / HTTP/1.1\r\nContent-Length: 1.5\r\n\r\n"))
  end)

  it("answers 503 past the connection cap; drops silent connections after 5 s, freeing the slots", function()
    local idle, t0 = {}, socket.gettime()
    for i = 1, 32 do
      idle[i] = assert(socket.connect("127.0.0.1", port))
      idle[i]:send("P")
    end
    socket.sleep(0.3)
    assert.equal(503, raw(port, webhook('{"id":2}')))
    idle[1]:settimeout(8 * SLACK)
    local data, err = idle[1]:receive("*a") -- the listener closes it, unanswered
    local dt = socket.gettime() - t0
    assert.is_true(data == "" or err == "closed", tostring(err))
    assert.is_true(dt > 4.5 and dt < 6.5 * SLACK, ("dropped after %.2f s"):format(dt))
    socket.sleep(0.3)
    assert.equal(200, raw(port, webhook('{"id":3}')))
    for _, c in ipairs(idle) do c:close() end
  end)

  it("refuses --secret on the command line, naming the alternatives, never echoing it", function()
    local p = assert(io.popen("lua5.4 bin/helpscout listen --secret s3cr3t-value --port 1 2>&1; echo \"__rc=$?\""))
    local all = p:read("*a")
    p:close()
    assert.not_equal("0", all:match("__rc=(%d+)"))
    assert.matches("HELPSCOUT_WEBHOOK_SECRET", all)
    assert.matches("%-%-secret%-file", all)
    assert.is_nil(all:find("s3cr3t-value", 1, true))
  end)
end)
