-- Test helper for spec/client_retry_spec.lua (a script, not a spec): a plain TCP forwarder that
-- listens on 127.0.0.1:LISTEN_PORT and relays every connection to 127.0.0.1:TARGET_PORT (the
-- sandbox). Started in the background after a delay, it gives a port that first refuses
-- connections (nothing listens) and later reaches the very same sandbox, tokens and all.
--   lua5.4 spec/client_gate.lua LISTEN_PORT TARGET_PORT [LIFETIME_SECS [STALL_SECS [PASS]]]
-- With STALL_SECS the port stalls for that long once PASS connections (default 0) have been
-- forwarded: it keeps listening, but no TCP handshake completes. The listen backlog is 0 and the
-- gate fills it with one connection of its own that it does not accept, so Linux drops every
-- further SYN (a full accept queue) and connects time out instead of being refused. Afterwards it
-- accepts its own filler first (queued before any dropped SYN), closes it and forwards as usual.
-- Prints one line when listening; exits after LIFETIME_SECS (default 30) whatever happens.
local socket = require "socket"

local lport, tport = tonumber(arg[1]), tonumber(arg[2])
local deadline = socket.gettime() + (tonumber(arg[3]) or 30)
local stall, pass = tonumber(arg[4]), tonumber(arg[5]) or 0
local srv = assert(socket.bind("127.0.0.1", lport, stall and 0 or 32))
srv:settimeout(0)

local peer, watched = {}, { srv }
local filler, stall_until, accepted = nil, nil, 0

local function block()
  filler = socket.tcp()
  filler:settimeout(2)
  assert(filler:connect("127.0.0.1", lport))
  table.remove(watched, 1) -- srv: readable while the filler waits in its queue
  stall_until = socket.gettime() + stall
end

local function unblock()
  srv:settimeout(2)
  local own = assert(srv:accept())
  srv:settimeout(0)
  own:close()
  filler:close()
  filler = nil
  table.insert(watched, 1, srv)
end

if stall and pass == 0 then block() end
io.stdout:write("gate listening on ", lport, "\n")
io.stdout:flush()

local function forget(s)
  for i = #watched, 1, -1 do
    if watched[i] == s then table.remove(watched, i) end
  end
  peer[s] = nil
  s:close()
end

while socket.gettime() < deadline do
  if filler and socket.gettime() >= stall_until then unblock() end
  local ready = socket.select(watched, nil, filler and 0.02 or 0.2)
  for _, s in ipairs(ready) do
    if s == srv then
      local c = srv:accept()
      if c then
        accepted = accepted + 1
        if stall and accepted == pass then block() end
        local t = socket.tcp()
        t:settimeout(2)
        if t:connect("127.0.0.1", tport) then
          c:settimeout(0)
          t:settimeout(0)
          peer[c], peer[t] = t, c
          watched[#watched + 1] = c
          watched[#watched + 1] = t
        else
          c:close()
          t:close()
        end
      end
    elseif peer[s] then
      local data, err, partial = s:receive(65536)
      data = data or partial
      local other = peer[s]
      if data and #data > 0 then
        other:settimeout(2)
        other:send(data)
        other:settimeout(0)
      end
      if err == "closed" then
        forget(s)
        forget(other)
      end
    end
  end
end
