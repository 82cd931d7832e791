-- luarocks make --deps-mode=none rockspec/helpscout-scm-1.rockspec
-- (offline; on Debian, lua-cjson comes from the lua-cjson package, which is not a rock)
rockspec_format = "3.0"
package = "helpscout"
version = "scm-1"
source = {
  url = "git+file:///dev/null",  -- built from a checkout with `luarocks make`
}
description = {
  summary = "Help Scout Mailbox API 2.0 client for Lua, in C on libcurl, with triage helpers and an offline sandbox",
  detailed = [[
The nine Help Scout tools as Lua functions (C core on libcurl and lua-cjson), OAuth 2.0 with
rotating refresh tokens, retries that never send a write twice, rate-limit pacing, page
iterators; plus triage helpers, a CLI and an offline Help Scout-compatible sandbox server.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
external_dependencies = {
  -- library only: Debian keeps curl.h under /usr/include/<multiarch>, which the compiler searches
  -- by itself but LuaRocks' header check does not (so a header check would fail there)
  CURL = { library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["helpscout.core"] = {
      sources = {
        "csrc/hs_buf.c",
        "csrc/hs_call.c",
        "csrc/hs_client.c",
        "csrc/hs_curl.c",
        "csrc/hs_decode.c",
        "csrc/hs_engine.c",
        "csrc/hs_error.c",
        "csrc/hs_iter.c",
        "csrc/hs_json.c",
        "csrc/hs_module.c",
        "csrc/hs_opts.c",
        "csrc/hs_pager.c",
        "csrc/hs_request.c",
        "csrc/hs_response.c",
        "csrc/hs_sys.c",
        "csrc/hs_token.c",
        "csrc/hs_tools.c",
      },
      defines = { "_POSIX_C_SOURCE=200809L" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
      libraries = { "curl", "crypto" },
    },
    -- BEGIN Lua modules (spec/support/gen-rockspec.lua)
    ["helpscout.changes"] = "lua/helpscout/changes.lua",
    ["helpscout.cli.api"] = "lua/helpscout/cli/api.lua",
    ["helpscout.cli.args"] = "lua/helpscout/cli/args.lua",
    ["helpscout.cli.auth"] = "lua/helpscout/cli/auth.lua",
    ["helpscout.cli.httpd"] = "lua/helpscout/cli/httpd.lua",
    ["helpscout.cli"] = "lua/helpscout/cli/init.lua",
    ["helpscout.cli.jobs"] = "lua/helpscout/cli/jobs.lua",
    ["helpscout.cli.out"] = "lua/helpscout/cli/out.lua",
    ["helpscout.cli.watch"] = "lua/helpscout/cli/watch.lua",
    ["helpscout"] = "lua/helpscout/init.lua",
    ["helpscout.mcp"] = "lua/helpscout/mcp.lua",
    ["helpscout.mcp.config"] = "lua/helpscout/mcp/config.lua",
    ["helpscout.mcp.stdio"] = "lua/helpscout/mcp/stdio.lua",
    ["helpscout.oauth"] = "lua/helpscout/oauth.lua",
    ["helpscout.options"] = "lua/helpscout/options.lua",
    ["helpscout.renew"] = "lua/helpscout/renew.lua",
    ["helpscout.resty"] = "lua/helpscout/resty.lua",
    ["helpscout.resty.changes"] = "lua/helpscout/resty/changes.lua",
    ["helpscout.resty.connector"] = "lua/helpscout/resty/connector.lua",
    ["helpscout.resty.connector_auth"] = "lua/helpscout/resty/connector_auth.lua",
    ["helpscout.resty.connector_cimd"] = "lua/helpscout/resty/connector_cimd.lua",
    ["helpscout.resty.connector_consent"] = "lua/helpscout/resty/connector_consent.lua",
    ["helpscout.resty.connector_http"] = "lua/helpscout/resty/connector_http.lua",
    ["helpscout.resty.connector_mcp"] = "lua/helpscout/resty/connector_mcp.lua",
    ["helpscout.resty.connector_state"] = "lua/helpscout/resty/connector_state.lua",
    ["helpscout.resty.handlers"] = "lua/helpscout/resty/handlers.lua",
    ["helpscout.resty.http"] = "lua/helpscout/resty/http.lua",
    ["helpscout.resty.shdict"] = "lua/helpscout/resty/shdict.lua",
    ["helpscout.sandbox.api"] = "lua/helpscout/sandbox/api.lua",
    ["helpscout.sandbox.check"] = "lua/helpscout/sandbox/check.lua",
    ["helpscout.sandbox.control"] = "lua/helpscout/sandbox/control.lua",
    ["helpscout.sandbox.conversations"] = "lua/helpscout/sandbox/conversations.lua",
    ["helpscout.sandbox.corpus"] = "lua/helpscout/sandbox/corpus.lua",
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
    ["helpscout.store"] = "lua/helpscout/store.lua",
    ["helpscout.store.budget"] = "lua/helpscout/store/budget.lua",
    ["helpscout.store.common"] = "lua/helpscout/store/common.lua",
    ["helpscout.store.file"] = "lua/helpscout/store/file.lua",
    ["helpscout.store.memory"] = "lua/helpscout/store/memory.lua",
    ["helpscout.store.redis"] = "lua/helpscout/store/redis.lua",
    ["helpscout.store.resp"] = "lua/helpscout/store/resp.lua",
    ["helpscout.time"] = "lua/helpscout/time.lua",
    ["helpscout.tools"] = "lua/helpscout/tools.lua",
    ["helpscout.tools.guard"] = "lua/helpscout/tools/guard.lua",
    ["helpscout.tools.jobs"] = "lua/helpscout/tools/jobs.lua",
    ["helpscout.json"] = "lua/helpscout/json.lua",
    ["helpscout.tools.json"] = "lua/helpscout/tools/json.lua",
    ["helpscout.tools.schema"] = "lua/helpscout/tools/schema.lua",
    ["helpscout.tools.shape"] = "lua/helpscout/tools/shape.lua",
    ["helpscout.triage"] = "lua/helpscout/triage.lua",
    ["helpscout.triage.common"] = "lua/helpscout/triage/common.lua",
    ["helpscout.triage.drafts"] = "lua/helpscout/triage/drafts.lua",
    ["helpscout.triage.fields"] = "lua/helpscout/triage/fields.lua",
    ["helpscout.triage.html"] = "lua/helpscout/triage/html.lua",
    ["helpscout.triage.lexicon"] = "lua/helpscout/triage/lexicon.lua",
    ["helpscout.triage.priority"] = "lua/helpscout/triage/priority.lua",
    ["helpscout.triage.report"] = "lua/helpscout/triage/report.lua",
    ["helpscout.triage.summary"] = "lua/helpscout/triage/summary.lua",
    ["helpscout.triage.text"] = "lua/helpscout/triage/text.lua",
    ["helpscout.triage.topics"] = "lua/helpscout/triage/topics.lua",
    ["helpscout.triage.topics.clusters"] = "lua/helpscout/triage/topics/clusters.lua",
    ["helpscout.triage.topics.corpus"] = "lua/helpscout/triage/topics/corpus.lua",
    ["helpscout.triage.topics.features"] = "lua/helpscout/triage/topics/features.lua",
    ["helpscout.triage.topics.groups"] = "lua/helpscout/triage/topics/groups.lua",
    ["helpscout.triage.topics.lexicon"] = "lua/helpscout/triage/topics/lexicon.lua",
    ["helpscout.triage.topics.refine"] = "lua/helpscout/triage/topics/refine.lua",
    ["helpscout.triage.topics.vocab"] = "lua/helpscout/triage/topics/vocab.lua",
    ["helpscout.triage.transcript"] = "lua/helpscout/triage/transcript.lua",
    ["helpscout.webhook"] = "lua/helpscout/webhook.lua",
    -- END Lua modules
  },
  install = {
    bin = {
      ["helpscout"] = "bin/helpscout",
      ["helpscout-sandbox"] = "bin/helpscout-sandbox",
      ["helpscout-mcp"] = "bin/helpscout-mcp",
    },
  },
}
