-- One worker process of the connections proofs (spec/connections_proof_spec.lua): `clients`
-- clients (helpscout.new{store =, connection =}, each on its own store object, as separate parts
-- of an application would be) of one connection make `calls` rounds of hs:list_mailboxes()
-- against the sandbox, one client after the other. Prints one JSON line: every call's result
-- kind ("ok" or the error's kind) and the time it ended (core.sys.now, epoch seconds).
--   lua5.4 spec/connections_proof_worker.lua '<json config>'
local cjson = require "cjson"
local core = require "helpscout.core"
local store = require "helpscout.store"
local helpscout = require "helpscout"

local cfg = cjson.decode(arg[1])

local function new_store()
  local s = cfg.store
  if s.kind == "redis" then return store.redis{ port = s.port, key = s.key } end
  return store.file(s.path)
end

local clients = {}
for i = 1, cfg.clients do
  clients[i] = helpscout.new{ store = new_store(), connection = cfg.connection, client_id = cfg.client_id,
    client_secret = cfg.client_secret, base_url = cfg.url, retries = 1 }
end
io.write('{"ready":true}\n')
io.flush()

local calls = {}
for _ = 1, cfg.calls do
  for i, hs in ipairs(clients) do
    local items, err = hs:list_mailboxes()
    calls[#calls + 1] = { client = i, kind = items and "ok" or tostring(err and err.kind),
      message = not items and err and tostring(err.message) or nil, t = core.sys.now() }
  end
  if cfg.pause then core.sys.sleep(cfg.pause) end
end
io.write(cjson.encode{ calls = calls }, "\n")
