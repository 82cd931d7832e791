-- luarocks --lua-version=5.4 make --deps-mode=none rockspec/helpscout-scm-1.rockspec
-- (offline; on Debian, lua-cjson comes from the lua-cjson package, which is not a rock). The
-- offline sandbox is a rock of its own: rockspec/helpscout-sandbox-scm-1.rockspec. The generated
-- lists are written by spec/support/gen-rockspec.lua (`make rockspec`).
rockspec_format = "3.0"
package = "helpscout"
version = "scm-1"
source = {
  url = "git+file:///dev/null",  -- built from a checkout with `luarocks make`
}
description = {
  summary = "Help Scout Mailbox API 2.0 client for Lua, in C on libcurl, with triage helpers",
  detailed = [[
The nine Help Scout tools as Lua functions (C core on libcurl and lua-cjson), OAuth 2.0 with
rotating refresh tokens, retries that never send a write twice, rate-limit pacing, page
iterators; plus token stores, an OpenResty driver, agent tools and an MCP server, triage helpers
and a CLI. The offline Help Scout sandbox is the separate rock helpscout-sandbox.
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
  -- The C core through the Makefile (`make rock`: one object per file in build/rock, LuaRocks'
  -- CFLAGS, LIBFLAG and LUA_INCDIR; `make rock-install` puts core.so in the rock). The Lua
  -- modules are listed below: LuaRocks' builtin type would copy all of lua/, sandbox included.
  type = "make",
  build_target = "rock",
  variables = {  -- both passes: the install pass must not see other flags and rebuild
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
  },
  install_target = "rock-install",
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
  },
  install = {
    lua = {
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
      ["helpscout.json"] = "lua/helpscout/json.lua",
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
      ["helpscout.tools.json"] = "lua/helpscout/tools/json.lua",
      ["helpscout.tools.schema"] = "lua/helpscout/tools/schema.lua",
      ["helpscout.tools.shape"] = "lua/helpscout/tools/shape.lua",
      ["helpscout.triage"] = "lua/helpscout/triage.lua",
      ["helpscout.triage.common"] = "lua/helpscout/triage/common.lua",
      ["helpscout.triage.drafts"] = "lua/helpscout/triage/drafts.lua",
      ["helpscout.triage.fields"] = "lua/helpscout/triage/fields.lua",
      ["helpscout.triage.html"] = "lua/helpscout/triage/html.lua",
      ["helpscout.triage.lang"] = "lua/helpscout/triage/lang.lua",
      ["helpscout.triage.lang.de"] = "lua/helpscout/triage/lang/de.lua",
      ["helpscout.triage.lang.en"] = "lua/helpscout/triage/lang/en.lua",
      ["helpscout.triage.lang.es"] = "lua/helpscout/triage/lang/es.lua",
      ["helpscout.triage.lang.fold"] = "lua/helpscout/triage/lang/fold.lua",
      ["helpscout.triage.lang.fr"] = "lua/helpscout/triage/lang/fr.lua",
      ["helpscout.triage.lang.it"] = "lua/helpscout/triage/lang/it.lua",
      ["helpscout.triage.lang.ja"] = "lua/helpscout/triage/lang/ja.lua",
      ["helpscout.triage.lang.list"] = "lua/helpscout/triage/lang/list.lua",
      ["helpscout.triage.lang.nl"] = "lua/helpscout/triage/lang/nl.lua",
      ["helpscout.triage.lang.pt"] = "lua/helpscout/triage/lang/pt.lua",
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
    bin = {
      ["helpscout"] = "bin/helpscout",
      ["helpscout-mcp"] = "bin/helpscout-mcp",
    },
  },
}
