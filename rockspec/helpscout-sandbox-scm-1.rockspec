-- luarocks --lua-version=5.4 make --deps-mode=none rockspec/helpscout-sandbox-scm-1.rockspec
-- The offline Help Scout sandbox (helpscout.sandbox.*, bin/helpscout-sandbox), for tests and
-- demos; the library rock (rockspec/helpscout-scm-1.rockspec) does not ship it. The module list
-- is written by spec/support/gen-rockspec.lua (`make rockspec`).
rockspec_format = "3.0"
package = "helpscout-sandbox"
version = "scm-1"
source = {
  url = "git+file:///dev/null",  -- built from a checkout with `luarocks make`
}
description = {
  summary = "An offline Help Scout Mailbox API 2.0 server for tests and demos of lua-helpscout",
  detailed = [[
HTTP/1.1 on 127.0.0.1 with the OAuth token endpoint, seeded mailboxes, users, customers and
conversations, writes kept in memory, HAL paging, vnd.error bodies, token expiry, rate limits,
fault injection, several accounts and an outbox.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "helpscout",
  "luasocket",
  "lua-cjson",
}
build = {
  -- nothing to compile; LuaRocks' builtin type would copy all of lua/, the library included
  type = "none",
  install = {
    lua = {
      -- BEGIN Lua modules (spec/support/gen-rockspec.lua)
      ["helpscout.sandbox.api"] = "lua/helpscout/sandbox/api.lua",
      ["helpscout.sandbox.check"] = "lua/helpscout/sandbox/check.lua",
      ["helpscout.sandbox.control"] = "lua/helpscout/sandbox/control.lua",
      ["helpscout.sandbox.conversations"] = "lua/helpscout/sandbox/conversations.lua",
      ["helpscout.sandbox.corpus"] = "lua/helpscout/sandbox/corpus.lua",
      ["helpscout.sandbox.corpus_lang"] = "lua/helpscout/sandbox/corpus_lang.lua",
      ["helpscout.sandbox.customers"] = "lua/helpscout/sandbox/customers.lua",
      ["helpscout.sandbox.data"] = "lua/helpscout/sandbox/data.lua",
      ["helpscout.sandbox.http"] = "lua/helpscout/sandbox/http.lua",
      ["helpscout.sandbox"] = "lua/helpscout/sandbox/init.lua",
      ["helpscout.sandbox.json"] = "lua/helpscout/sandbox/json.lua",
      ["helpscout.sandbox.mailboxes"] = "lua/helpscout/sandbox/mailboxes.lua",
      ["helpscout.sandbox.oauth"] = "lua/helpscout/sandbox/oauth.lua",
      ["helpscout.sandbox.outbox"] = "lua/helpscout/sandbox/outbox.lua",
      ["helpscout.sandbox.query"] = "lua/helpscout/sandbox/query.lua",
      ["helpscout.sandbox.render"] = "lua/helpscout/sandbox/render.lua",
      ["helpscout.sandbox.reqlog"] = "lua/helpscout/sandbox/reqlog.lua",
      ["helpscout.sandbox.threads"] = "lua/helpscout/sandbox/threads.lua",
      ["helpscout.sandbox.users"] = "lua/helpscout/sandbox/users.lua",
      ["helpscout.sandbox.webhooks"] = "lua/helpscout/sandbox/webhooks.lua",
      ["helpscout.sandbox.wire"] = "lua/helpscout/sandbox/wire.lua",
      -- END Lua modules
    },
    bin = {
      ["helpscout-sandbox"] = "bin/helpscout-sandbox",
    },
  },
}
