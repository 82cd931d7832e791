-- hs:changes in nginx (helpscout.resty.changes): a timer-driven poller in each of two workers
-- (the name's lease lets one poll at a time) and signed webhooks from the sandbox feeding the same
-- handler. Webhooks are lost on purpose (the sandbox stops sending them for a third of the run and
-- the receiver drops every 4th delivery after answering 200): the poller delivers what they
-- missed, and every version of every changed conversation reaches the handler exactly once.
local nginx = require "support.nginx"
local sandbox = require "support.sandbox"
local helpscout = require "helpscout"
local changes = require "helpscout.changes"
local sys = require("helpscout.core").sys

local SECRET = "wh-secret-changes-1"
local SECONDS = tonumber(os.getenv("HS_CHANGES_SECONDS")) or 6

describe("changes in nginx: poller and webhooks", function()
  local ng, sb

  setup(function()
    sb = sandbox.start{ rate_limit = 0 }
    local since = changes.iso(os.time() - 1)
    ng = nginx.start{
      workers = 2,
      http = ([[
        lua_shared_dict hs 1m; lua_shared_dict got 4m;
        init_worker_by_lua_block {
          local p = require("helpscout.resty").changes_poller{ name = "proof", interval = 0.5, since = %q,
            client = { base_url = %q, client_id = %q, client_secret = %q, shdict = "hs" },
            handle = function(conv, via)
              local d = ngx.shared.got
              local n = d:incr("n", 1, 0)
              d:set("h:" .. n, via .. " " .. conv.id .. " " .. require("helpscout.changes").version(conv))
            end }
          package.loaded["spec.poller"] = p
          assert(p:start())
        }
      ]]):format(since, sb.url, sb.client_id, sb.client_secret),
      server = ([[
        location = /hook { content_by_lua_block {
          local drop = ngx.shared.got:incr("hooks", 1, 0) %% 4 == 0
          require("helpscout.resty").webhook_handler{ secret = %q, handle = function(event, data)
            if not drop then package.loaded["spec.poller"]:offer(data) end
          end }()
        } }
      ]]):format(SECRET),
    }
  end)
  teardown(function()
    if ng then ng:stop() end
    if sb then sb:stop() end
  end)

  it("a shared dict lease: busy while its worker lives, taken over at once when it is gone", function()
    local r = ng:run([[
      local st = require("helpscout.resty").store.shdict("hs")
      local l1 = assert(st:lease("probe", 30))
      local l2, e = st:lease("probe", 30)
      local busy = e and e.kind
      assert(st:put_doc("probe", { v = 1 }, l1))
      l1:release()
      ngx.shared.hs:set("helpscout:lease:probe", "999999999:1:0.000000", 30) -- a worker that is gone
      local l3 = st:lease("probe", 30)
      local took = l3 ~= nil
      if l3 then l3:release() end
      return { busy = busy, second = l2 ~= nil, took = took, doc = st:get_doc("probe").v }
    ]])
    assert.same({ busy = "busy", second = false, took = true, doc = 1 }, r)
  end)

  it("handles every change once, by webhook or by the poller", function()
    local hs = helpscout.new{ base_url = sb.url, client_id = sb.client_id, client_secret = sb.client_secret }
    local ids = {}
    for _, c in ipairs(assert(hs:list_conversations{ status = "all" })) do ids[#ids + 1] = c.id end
    sb:config{ webhook_url = ng.url .. "/hook", webhook_secret = SECRET }
    local written, writes = {}, 0
    local start = sys.now()
    local off_from, off_to = start + SECONDS / 3, start + 2 * SECONDS / 3
    local hooks_on = true
    while sys.now() < start + SECONDS do
      local now = sys.now()
      local want_on = not (now >= off_from and now < off_to)
      if want_on ~= hooks_on then
        sb:config{ webhook_url = want_on and (ng.url .. "/hook") or false }
        hooks_on = want_on
      end
      local id = ids[math.random(#ids)]
      local ok = math.random(2) == 1 and hs:add_note(id, "note " .. writes)
        or hs:update_tags(id, { "billing", "w" .. writes }) -- a tag set never seen before: no A-B-A
      assert.truthy(ok)
      written[id], writes = true, writes + 1
      sys.sleep(0.05)
    end
    sys.sleep(3) -- the last poll (every 0.5 s) and webhook retries
    local got = ng:run([[
      local d, out = ngx.shared.got, {}
      for i = 1, d:get("n") or 0 do out[i] = d:get("h:" .. i) end
      return { list = out, hooks = d:get("hooks") or 0 }
    ]])
    local count, via, lost, dup = {}, { poll = 0, webhook = 0 }, {}, {}
    for _, line in ipairs(got.list) do
      local how, id, version = line:match("^(%S+) (%d+) (.*)$")
      local k = id .. "|" .. version
      count[k] = (count[k] or 0) + 1
      via[how] = via[how] + 1
      if count[k] > 1 then dup[#dup + 1] = line end
    end
    local nwritten = 0
    for id in pairs(written) do
      nwritten = nwritten + 1
      local conv = assert(hs:get_conversation(id))
      if not count[id .. "|" .. changes.version(conv)] then lost[#lost + 1] = id end
    end
    print(("\nnginx changes: %d writes to %d conversations, %d webhooks received, handled %d by webhook, "
      .. "%d by the poller"):format(writes, nwritten, got.hooks, via.webhook, via.poll))
    if #lost > 0 or #dup > 0 then
      for i, line in ipairs(got.list) do
        for _, d in ipairs(dup) do if line:match("^%S+ (%d+)") == d:match("^%S+ (%d+)") then print(i, line) end end
      end
      print(ng:log_tail(40))
    end
    assert.same({}, lost)
    assert.same({}, dup)
    assert.is_true(via.webhook > 0 and via.poll > 0)
  end)
end)
