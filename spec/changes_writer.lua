-- The writer of the hs:changes proof (spec/changes_proof_spec.lua): for cfg.seconds, changes
-- random conversations among cfg.ids as fast as the sandbox answers (a note, sometimes with a new
-- status, or a new tag set). Prints one JSON line at the end: {writes =, failed =}.
local cjson = require "cjson"
local helpscout = require "helpscout"
local sys = require("helpscout.core").sys

local cfg = cjson.decode(arg[1])
local hs = helpscout.new{ base_url = cfg.url, client_id = cfg.client_id, client_secret = cfg.client_secret }
local STATUS = { "active", "pending", "closed" }
local TAGS = { "billing", "refund", "vip", "bug", "later" }
math.randomseed(cfg.seed or os.time())
local writes, failed = 0, 0
local deadline = sys.now() + cfg.seconds
while sys.now() < deadline do
  local id = cfg.ids[math.random(#cfg.ids)]
  local ok, err
  local r = math.random(3)
  if r == 1 then
    ok, err = hs:add_note(id, { text = "proof note " .. writes })
  elseif r == 2 then
    ok, err = hs:add_note(id, { text = "status change " .. writes, status = STATUS[math.random(#STATUS)] })
  else
    local tags = { "w" .. writes } -- a tag set never seen before: two states are never equal (no A-B-A)
    for _, t in ipairs(TAGS) do if math.random(2) == 1 then tags[#tags + 1] = t end end
    ok, err = hs:update_tags(id, tags)
  end
  if ok then writes = writes + 1 else failed = failed + 1; io.stderr:write(tostring(err), "\n") end
  sys.sleep(cfg.pause or 0.02)
end
print(cjson.encode({ writes = writes, failed = failed }))
