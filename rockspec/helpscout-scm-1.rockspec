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
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["helpscout.core"] = {
      sources = {
        "csrc/hs_client.c",
        "csrc/hs_curl.c",
        "csrc/hs_json.c",
        "csrc/hs_module.c",
        "csrc/hs_oauth.c",
        "csrc/hs_pager.c",
        "csrc/hs_request.c",
        "csrc/hs_response.c",
        "csrc/hs_tools.c",
      },
      defines = { "_POSIX_C_SOURCE=200809L" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
      libraries = { "curl" },
    },
    ["helpscout.cli"] = "lua/helpscout/cli.lua",
    ["helpscout"] = "lua/helpscout/init.lua",
    ["helpscout.sandbox.api"] = "lua/helpscout/sandbox/api.lua",
    ["helpscout.sandbox.corpus"] = "lua/helpscout/sandbox/corpus.lua",
    ["helpscout.sandbox.data"] = "lua/helpscout/sandbox/data.lua",
    ["helpscout.sandbox.http"] = "lua/helpscout/sandbox/http.lua",
    ["helpscout.sandbox"] = "lua/helpscout/sandbox/init.lua",
    ["helpscout.sandbox.json"] = "lua/helpscout/sandbox/json.lua",
    ["helpscout.sandbox.query"] = "lua/helpscout/sandbox/query.lua",
    ["helpscout.time"] = "lua/helpscout/time.lua",
    ["helpscout.resty"] = "lua/helpscout/resty.lua",
    ["helpscout.resty.http"] = "lua/helpscout/resty/http.lua",
    ["helpscout.resty.shdict"] = "lua/helpscout/resty/shdict.lua",
    ["helpscout.resty.handlers"] = "lua/helpscout/resty/handlers.lua",
    ["helpscout.triage"] = "lua/helpscout/triage.lua",
    ["helpscout.triage.lexicon"] = "lua/helpscout/triage/lexicon.lua",
    ["helpscout.triage.text"] = "lua/helpscout/triage/text.lua",
    ["helpscout.triage.topics"] = "lua/helpscout/triage/topics.lua",
  },
  install = {
    bin = {
      ["helpscout"] = "bin/helpscout",
      ["helpscout-sandbox"] = "bin/helpscout-sandbox",
    },
  },
}
