/*
 * hs_module.c — luaopen_helpscout_core: registration, the private cjson instance, and
 * core.engine, the sans-I/O engine as Lua functions for drivers written in Lua (the OpenResty
 * cosocket driver cannot run libcurl; it calls build → sends bytes → interpret/decide).
 *
 * core = { new, tools, authorize_url, exchange_code, VERSION, Error (the error metatable),
 *          engine = { build, interpret, decide } }
 */
#include <string.h>
#include "hs.h"

#define HS_SCRATCH_MT "helpscout.Scratch"

typedef struct scratch {
  hs_req q;
  hs_resp r;
} scratch;

static int scratch_gc(lua_State *L) {
  scratch *s = luaL_checkudata(L, 1, HS_SCRATCH_MT);
  hs_buf_free(&s->q.url);
  hs_buf_wipe(&s->q.body);
  hs_resp_free(&s->r);
  return 0;
}

/* A userdata holding an hs_req and an hs_resp: freed by the GC, so raising leaks nothing. */
static scratch *new_scratch(lua_State *L) {
  scratch *s = lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s);
  luaL_getmetatable(L, HS_SCRATCH_MT);
  lua_setmetatable(L, -2);
  return s;
}

/* engine.build(tool, base_url, [id,] opts|body) -> {method, url, body?, content_type?, write,
 * idempotent}. Raises on bad arguments exactly like the client methods. */
static int l_build(lua_State *L) {
  const hs_tool *t = hs_tool_check(L, 1, 0);
  const char *base = luaL_checkstring(L, 2);
  int arg = 3, opts = 0, body = 0;
  long long id = 0;
  scratch *s;
  if (t->id_arg) id = hs_check_id(L, arg++);
  if (t->body_arg) body = arg;
  else {
    opts = arg;
    hs_check_opts(L, opts, t);
  }
  lua_settop(L, arg); /* the scratch must not sit where an absent argument is looked for */
  s = new_scratch(L);
  hs_req_init(&s->q, t);
  if (body) hs_build_body(L, &s->q.body, t, body);
  hs_build_url(L, &s->q.url, base, t, id, opts, 0);
  lua_createtable(L, 0, 6);
  lua_pushstring(L, t->method);
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, s->q.url.p, s->q.url.n);
  lua_setfield(L, -2, "url");
  if (t->body != HS_BODY_NONE) {
    lua_pushlstring(L, s->q.body.p ? s->q.body.p : "", s->q.body.n);
    lua_setfield(L, -2, "body");
    lua_pushstring(L, s->q.ctype);
    lua_setfield(L, -2, "content_type");
  }
  lua_pushboolean(L, t->write);
  lua_setfield(L, -2, "write");
  lua_pushboolean(L, s->q.idempotent);
  lua_setfield(L, -2, "idempotent");
  return 1;
}

static void header(lua_State *L, int headers, const char *lname, const char *cname, char *dst,
                   size_t cap) {
  lua_getfield(L, headers, lname);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, headers, cname);
  }
  if (lua_isstring(L, -1)) {
    strncpy(dst, lua_tostring(L, -1), cap - 1);
    dst[cap - 1] = '\0';
  }
  lua_pop(L, 1);
}

/* Fills s from (req, status, headers, body, transport) at stack indices i..i+4. */
static void fill(lua_State *L, scratch *s, int i) {
  static const char *const tx[] = {"ok", "timeout", "network", "noconnect", "truncated", "toobig",
                                   "connect_timeout", NULL}; /* enum hs_transport order */
  size_t n;
  const char *str;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_getfield(L, i, "method");
  str = luaL_optstring(L, -1, "GET");
  s->q.method = strcmp(str, "POST") == 0 ? "POST" : strcmp(str, "PUT") == 0 ? "PUT" : "GET";
  lua_pop(L, 1);
  s->q.idempotent = strcmp(s->q.method, "POST") != 0;
  lua_getfield(L, i, "url");
  str = lua_tolstring(L, -1, &n);
  if (str) hs_badd(L, &s->q.url, str, n);
  lua_pop(L, 1);
  lua_getfield(L, i, "token");
  s->q.token = lua_toboolean(L, -1);
  lua_pop(L, 1);
  hs_resp_reset(&s->r);
  s->r.status = (long)luaL_optinteger(L, i + 1, 0);
  if (lua_istable(L, i + 2)) {
    header(L, i + 2, "content-type", "Content-Type", s->r.ctype, sizeof s->r.ctype);
    header(L, i + 2, "resource-id", "Resource-ID", s->r.resource_id, sizeof s->r.resource_id);
    header(L, i + 2, "location", "Location", s->r.location, sizeof s->r.location);
    header(L, i + 2, "retry-after", "Retry-After", s->r.retry_after, sizeof s->r.retry_after);
    header(L, i + 2, "x-ratelimit-retry-after", "X-RateLimit-Retry-After", s->r.xretry_after,
           sizeof s->r.xretry_after);
    header(L, i + 2, "x-ratelimit-remaining-minute", "X-RateLimit-Remaining-Minute",
           s->r.remaining, sizeof s->r.remaining);
  }
  str = luaL_optlstring(L, i + 3, "", &n);
  hs_badd(L, &s->r.body, str, n);
  s->r.transport = luaL_checkoption(L, i + 4, "ok", tx);
}

/* engine.interpret(tool, req, status, headers, body[, transport]) -> the tool's results, or
 * nil, err (same values as the client methods). */
static int l_interpret(lua_State *L) {
  const hs_tool *t = hs_tool_check(L, 1, 0);
  scratch *s;
  lua_settop(L, 6);
  s = new_scratch(L);
  fill(L, s, 2);
  return hs_interpret(L, t, &s->q, &s->r);
}

/* engine.decide(req, status, headers, body, transport, attempt, retries, rnd) ->
 * retry (boolean), wait (seconds), retry_after (seconds or nil) */
static int l_decide(lua_State *L) {
  scratch *s;
  hs_decision d;
  int attempt = (int)luaL_checkinteger(L, 6), retries = (int)luaL_checkinteger(L, 7);
  double rnd = (double)luaL_optnumber(L, 8, 0.5);
  lua_settop(L, 8);
  s = new_scratch(L);
  fill(L, s, 1);
  d = hs_decide(&s->q, &s->r, attempt, retries, rnd);
  lua_pushboolean(L, d.retry);
  lua_pushnumber(L, (lua_Number)d.wait);
  if (d.retry_after >= 0) lua_pushnumber(L, (lua_Number)d.retry_after);
  else lua_pushnil(L);
  return 3;
}

void hs_engine_open(lua_State *L) {
  static const luaL_Reg fns[] = {
    {"build", l_build}, {"interpret", l_interpret}, {"decide", l_decide}, {NULL, NULL}};
  if (luaL_newmetatable(L, HS_SCRATCH_MT)) {
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_setfuncs(L, fns, 0);
}

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
  hs_client_open(L);
  lua_setfield(L, -2, "new");
  hs_tools_push(L);
  lua_setfield(L, -2, "tools");
  lua_pushcfunction(L, hs_l_authorize_url);
  lua_setfield(L, -2, "authorize_url");
  lua_pushcfunction(L, hs_l_exchange_code);
  lua_setfield(L, -2, "exchange_code");
  lua_pushliteral(L, HS_VERSION);
  lua_setfield(L, -2, "VERSION");
  hs_push_error_mt(L);
  lua_setfield(L, -2, "Error");
  hs_engine_open(L);
  lua_setfield(L, -2, "engine");
  hs_json_open(L); /* core.json_decode, core.json_encode, core.array */
  return 1;
}
