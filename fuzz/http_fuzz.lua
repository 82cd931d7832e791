-- make fuzz (second target): the HTTP/1.1 response rules of helpscout.resty.http
-- (http.read_response) under LuaJIT, on inputs mutated from seed responses (byte flips, inserts,
-- deletes, splices, repeated runs, dictionary tokens), each fed through a fake cosocket in random
-- piece sizes. Checked for every input:
-- * read_response never raises; it answers a response {status 200..999, headers, body string}
--   and a boolean, or nil and a transport fact {transport = one of FACTS, message = string};
-- * the body is at most the cap, the head at most MAX_HEADERS fields (lists counted per value);
-- * the result does not depend on how the bytes were split into pieces (three splits compared);
-- * a source that never ends (the input repeated) is cut by the deadline: a fact, never a hang.
--   luajit fuzz/http_fuzz.lua SECONDS [SEED]        (fuzz/run.sh runs it)
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local http = require "helpscout.resty.http"

local SECONDS = tonumber(arg[1]) or 10
local SEED = tonumber(arg[2]) or os.time()
local CAP = 4096
local FACTS = { timeout = true, network = true, truncated = true, toobig = true }

local random, char, sub, rep, concat = math.random, string.char, string.sub, string.rep, table.concat
math.randomseed(SEED)

local SEEDS = {
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nResource-ID: 9\r\n"
    .. "Content-Length: 0\r\n\r\n",
  "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
  "HTTP/1.1 429 Too Many\r\nRetry-After: 1\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n",
  "HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\nuntil the close",
  "HTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
}
local TOKENS = { "\r\n", "\n", "\r", ":", " ", "\t", ";", "0", "-1", "ffffffff", "1.5", "0x10",
  "Content-Length: ", "Transfer-Encoding: chunked", "Connection: close", "HTTP/1.1 ", "100 ",
  "101 ", "HTTP/1.0 ", "\r\n\r\n", "\0", "\255" }

local function mutate(s)
  for _ = 1, random(1, 6) do
    local op, pos = random(1, 6), random(1, #s + 1)
    if op == 1 then s = sub(s, 1, pos - 1) .. char(random(0, 255)) .. sub(s, pos + 1)
    elseif op == 2 then s = sub(s, 1, pos - 1) .. TOKENS[random(#TOKENS)] .. sub(s, pos)
    elseif op == 3 then s = sub(s, 1, pos - 1) .. sub(s, pos + random(1, 8))
    elseif op == 4 then
      local other = SEEDS[random(#SEEDS)]
      s = sub(s, 1, pos - 1) .. sub(other, random(1, #other))
    elseif op == 5 then s = sub(s, 1, pos - 1) .. rep(sub(s, pos, pos + random(0, 3)), random(2, 300)) .. sub(s, pos)
    else s = sub(s, 1, pos - 1) end
  end
  return s
end

-- A fake cosocket over `input` in pieces: sizes from `split`; "closed" at the end (or, with
-- `endless`, the input again forever). Its clock moves 1 ms per receive.
local function source(input, split, endless)
  local pos, t = 1, 0
  local sock = {}
  function sock.settimeout() end
  function sock.receiveany(_, max)
    t = t + 0.001
    if pos > #input then
      if not endless then return nil, "closed" end
      pos = 1
    end
    local n = math.min(max, split(), #input - pos + 1)
    local piece = sub(input, pos, pos + n - 1)
    pos = pos + n
    return piece
  end
  return sock, function() return t end
end

local function splitter(kind)
  if kind == 1 then return function() return 65536 end end
  if kind == 2 then return function() return 1 end end
  return function() return random(1, 17) end
end

local function fail(input, why)
  local f = io.open(".tmp/fuzz/http_crash.bin", "wb")
  if f then f:write(input) f:close() end
  io.stderr:write(("http fuzz: %s (seed %d; input in .tmp/fuzz/http_crash.bin)\n"):format(why, SEED))
  os.exit(1)
end

-- The result as one comparable string; checks the invariants.
local function run(input, kind, endless)
  local sock, now = source(input, splitter(kind), endless)
  local ok, res, extra = pcall(http.read_response, sock, "GET", CAP, endless and 5 or 1e9, now)
  if not ok then fail(input, "read_response raised: " .. tostring(res)) end
  if res == nil then
    if type(extra) ~= "table" or not FACTS[extra.transport] or type(extra.message) ~= "string" then
      fail(input, "a failure that is not a transport fact")
    end
    return "fact " .. extra.transport
  end
  if type(res.status) ~= "number" or res.status < 200 or res.status > 999 then fail(input, "bad status") end
  if type(res.body) ~= "string" or #res.body > CAP then fail(input, "body over the cap") end
  local fields = 0
  for k, v in pairs(res.headers) do
    if type(k) ~= "string" then fail(input, "header name not a string") end
    fields = fields + (type(v) == "table" and #v or 1)
  end
  if fields > http.MAX_HEADERS then fail(input, "more header fields than the cap") end
  if type(extra) ~= "boolean" then fail(input, "reusable is not a boolean") end
  return ("%d %d %s %s"):format(res.status, fields, tostring(extra), res.body)
end

local runs, t_end = 0, os.clock() + SECONDS
while os.clock() < t_end do
  local input = mutate(SEEDS[random(#SEEDS)])
  local a, b, c = run(input, 1), run(input, 2), run(input, 3)
  -- "reusable" may differ by split only in whether bytes after the answer had arrived yet
  local strip = function(s) return (s:gsub("^(%d+ %d+) %a+", "%1")) end
  if strip(a) ~= strip(b) or strip(a) ~= strip(c) then
    fail(input, "the result depends on the split: " .. concat({ a, b, c }, " | "):sub(1, 300))
  end
  run(input, 3, true)
  runs = runs + 1
end
print(("make fuzz: http parser, %d inputs x 4 feeds in %ds (seed %d), no failure"):format(runs, SECONDS, SEED))
