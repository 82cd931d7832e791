-- One worker process of the multi-process token proof (spec/store_proof_spec.lua): makes calls
-- against the sandbox for `seconds`, sharing one token store with its siblings, and prints its
-- counts as one JSON line. Modes:
--   client: helpscout.new{store=} and hs:list_mailboxes() (the real engine and driver);
--   engine: a Lua driver: helpscout.renew over core.engine.new and LuaSocket, TOKEN when missing
--           or due and once more on a 401, then replay (doc/engine.md's call state machine).
--   lua5.4 spec/store_proof_worker.lua '<json config>'
local cjson = require "cjson"
local core = require "helpscout.core"
local store = require "helpscout.store"
local now, sleep = core.sys.epoch, core.sys.sleep

local cfg = cjson.decode(arg[1])
local s = cfg.store.kind == "redis" and store.redis{ port = cfg.store.port, key = cfg.store.key }
  or store.file(cfg.store.path)
-- The control: the same file store without its lock (what on_token writing a file amounts to).
if cfg.store.kind == "nolock" then s.lock = function(_, fn) return fn() end end
local st = { calls = 0, ok = 0, failed = 0, reconsent = 0, kinds = {}, grants = 0 }

local function fail(err)
  local kind = type(err) == "table" and err.kind or tostring(err)
  st.failed = st.failed + 1
  st.kinds[kind] = (st.kinds[kind] or 0) + 1
  if kind == "reconsent" then st.reconsent = st.reconsent + 1 end
end

local function client_call()
  local hs = cfg.hs
  if not hs then
    hs = require("helpscout").new{ client_id = cfg.client_id, client_secret = cfg.client_secret,
      base_url = cfg.url, store = s, on_token = function() st.grants = st.grants + 1 end }
    cfg.hs = hs
  end
  local items, err = hs:list_mailboxes()
  if items then st.ok = st.ok + 1 else fail(err) end
end

local http = require "socket.http"
local R = require "renew_helper"
local renew = require "helpscout.renew"
local eng = R.engine{ url = cfg.url, client_id = cfg.client_id, client_secret = cfg.client_secret }
local send0 = R.sender()
local function send(req) st.grants = st.grants + 1; return send0(req) end

local function token(need)
  return renew.run(eng, s, { action = "TOKEN", need = need }, send)
end

local function get()
  local _, status = http.request { url = cfg.url .. "/v2/mailboxes",
    headers = { authorization = "Bearer " .. eng:token().access_token }, sink = function() return 1 end }
  return status
end

local function engine_call()
  local _, err
  if eng:due(nil, now()) then _, err = token(eng:token() and "due" or "missing") end
  if err then return fail(err) end
  local status = get()
  if status == 401 then
    _, err = token("rejected")
    if err then return fail(err) end
    status = get()
  end
  if status == 200 then st.ok = st.ok + 1 else fail("status " .. tostring(status)) end
end

local call = cfg.mode == "client" and client_call or engine_call
local deadline = now() + cfg.seconds
while now() < deadline do
  st.calls = st.calls + 1
  call()
  sleep(cfg.pause or 0.02)
end
io.write(cjson.encode(st), "\n")
