/*
 * fuzz_json.c — libFuzzer target over the JSON decoder and the response path (make fuzz).
 *
 * Built with clang -fsanitize=fuzzer,address,undefined together with the csrc sources and a
 * static liblua5.4 (never the module). One Lua state lives for the whole run. Each input is:
 *  1. decoded by hs_json_decode straight from libFuzzer's buffer (exact size, so ASan sees any
 *     read past the end), with and without a projection; the C contract is checked: exactly one
 *     value pushed, or exactly one string on failure;
 *  2. handed to fuzz/harness.lua (core.json_decode / json_encode round trip, projection against
 *     a Lua projection of the full decode, and the engine's interpretation of the bytes as a
 *     response body). The harness raises on a contract break; any raise here aborts the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lualib.h>
#include "../csrc/hs.h"

int luaopen_helpscout_core(lua_State *L);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static lua_State *L;
static int fields = 0, harness = 0, drift = 0; /* registry references */

/* Printed at exit: a part of the harness that the core's API did not let it run. */
static void report_drift(void) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, drift);
  if (lua_pcall(L, 0, 1, 0) == 0 && lua_isstring(L, -1))
    fprintf(stderr, "fuzz_json: response path not exercised: %s\n", lua_tostring(L, -1));
  lua_settop(L, 0);
}

static void die(const char *what) {
  fprintf(stderr, "fuzz_json: contract break: %s\n", what);
  abort();
}

/* The private cjson instance hs_module.c may still take at luaopen: a stub (not linked here). */
static const char stub[] =
    "package.preload.cjson = function() return { new = function() return { decode = "
    "function() error('cjson stub') end } end } end";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_dostring(L, stub)) die(lua_tostring(L, -1));
  luaL_requiref(L, "helpscout.core", luaopen_helpscout_core, 0);
  lua_pop(L, 1);
  if (luaL_dofile(L, "fuzz/harness.lua")) die(lua_tostring(L, -1));
  lua_getfield(L, -1, "check");
  harness = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, -1, "fields");
  fields = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, -1, "drift");
  drift = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  atexit(report_drift);
  return 0;
}

static void c_contract(const char *s, size_t n, const char *embedded, int proj) {
  int ok;
  lua_settop(L, 0);
  if (proj) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, fields);
    ok = hs_json_decode_fields(L, s, n, 1, embedded);
    if (lua_gettop(L) != 2) die("decode_fields left the stack unbalanced");
  } else {
    ok = hs_json_decode(L, s, n);
    if (lua_gettop(L) != 1) die("decode left the stack unbalanced");
  }
  if (!ok && lua_type(L, -1) != LUA_TSTRING) die("a failed decode pushed no message");
  lua_settop(L, 0);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  const char *s = (const char *)data;
  c_contract(s, size, NULL, 0);
  c_contract(s, size, "conversations", 1);
  c_contract(s, size, NULL, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, harness);
  lua_pushlstring(L, s, size);
  if (lua_pcall(L, 1, 0, 0)) die(lua_tostring(L, -1));
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0); /* frees match mallocs, so libFuzzer's leak check stays quiet */
  return 0;
}
