/*
 * hs_module.c — luaopen_helpscout_core: registration and the private cjson instance.
 *
 * core = { new, schema, authorize_url, exchange_code, check_options, VERSION,
 *          error, is_error, kinds, Error,         -- the one error registry (hs_error.c)
 *          engine = { new } }                     -- the sans-I/O engine (hs_engine.c)
 */
#include <string.h>
#include "hs.h"

/* Takes a private cjson instance (cjson.new()) and keeps its decode function in the registry. */
static void json_open(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  if (lua_isfunction(L, -1)) {
    lua_call(L, 0, 1);
    lua_remove(L, -2);
  } else lua_pop(L, 1);
  lua_getfield(L, -1, "decode");
  if (!lua_isfunction(L, -1)) luaL_error(L, "helpscout: cjson has no decode function");
  lua_setfield(L, LUA_REGISTRYINDEX, HS_DECODE_KEY);
  lua_pop(L, 1);
}

HS_EXPORT int luaopen_helpscout_core(lua_State *L);

HS_EXPORT int luaopen_helpscout_core(lua_State *L) {
  static int curl_ready = 0; /* libcurl's own process-wide state, initialised once */
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "helpscout: curl_global_init failed");
    curl_ready = 1;
  }
  json_open(L);
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
  hs_pager_open(L);
  hs_sys_open(L);
  lua_setfield(L, -2, "sys");
  hs_json_open(L); /* core.json_decode, core.json_encode, core.array */
  return 1;
}
