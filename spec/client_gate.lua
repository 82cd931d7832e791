-- Test helper for spec/client_retry_spec.lua (a script, not a spec): a plain TCP forwarder that
-- listens on 127.0.0.1:LISTEN_PORT and relays every connection to 127.0.0.1:TARGET_PORT (the
-- sandbox). Started in the background after a delay, it gives a port that first refuses
-- connections (nothing listens) and later reaches the very same sandbox, tokens and all.
--   lua5.4 spec/client_gate.lua LISTEN_PORT TARGET_PORT [LIFETIME_SECS]
-- Prints one line when listening; exits after LIFETIME_SECS (default 30) whatever happens.
local socket = require "socket"

local lport, tport = tonumber(arg[1]), tonumber(arg[2])
local deadline = socket.gettime() + (tonumber(arg[3]) or 30)
local srv = assert(socket.bind("127.0.0.1", lport))
srv:settimeout(0)
io.stdout:write("gate listening on ", lport, "\n")
io.stdout:flush()

local peer, watched = {}, { srv }

local function forget(s)
  for i = #watched, 1, -1 do
    if watched[i] == s then table.remove(watched, i) end
  end
  peer[s] = nil
  s:close()
end

while socket.gettime() < deadline do
  local ready = socket.select(watched, nil, 0.2)
  for _, s in ipairs(ready) do
    if s == srv then
      local c = srv:accept()
      if c then
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
