/*
 * hs_module.c — luaopen_helpscout_core: registration. JSON is the core's own (hs_decode.c,
 * hs_json.c): the core no longer calls lua-cjson.
 *
 * core = { new, schema, authorize_url, exchange_code, check_options, VERSION,
 *          error, is_error, kinds, Error,         -- the one error registry (hs_error.c)
 *          engine = { new },                      -- the sans-I/O engine (hs_engine.c)
 *          limits,                                -- the engine's numbers, for Lua drivers
 *          json_decode, json_encode, array,       -- JSON (hs_decode.c, hs_json.c)
 *          sys }                                  -- crypto, files, clocks (hs_sys.c)
 */
#include <string.h>
#include "hs.h"

HS_EXPORT int luaopen_helpscout_core(lua_State *L);

HS_EXPORT int luaopen_helpscout_core(lua_State *L) {
  static int curl_ready = 0; /* libcurl's own process-wide state, initialised once */
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "helpscout: curl_global_init failed");
    curl_ready = 1;
  }
  hs_error_open(L);
  lua_newtable(L);
  hs_error_export(L);
  hs_client_open(L);
  lua_setfield(L, -2, "new");
  hs_iter_open(L);
  hs_schema_push(L);
  lua_setfield(L, -2, "schema");
  lua_pushcfunction(L, hs_l_authorize_url);
  lua_setfield(L, -2, "authorize_url");
  lua_pushcfunction(L, hs_l_exchange_code);
  lua_setfield(L, -2, "exchange_code");
  lua_pushcfunction(L, hs_l_check_options);
  lua_setfield(L, -2, "check_options");
  lua_pushliteral(L, HS_VERSION);
  lua_setfield(L, -2, "VERSION");
  hs_engine_open(L);
  lua_setfield(L, -2, "engine");
  hs_limits_push(L);
  lua_setfield(L, -2, "limits");
  hs_pager_open(L);
  hs_sys_open(L);
  lua_setfield(L, -2, "sys");
  hs_json_open(L); /* core.json_decode, core.json_encode, core.array */
  return 1;
}
