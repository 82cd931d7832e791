/*
 * hs_client.c — the libcurl client: a userdata that executes the engine's actions. SEND goes
 * through libcurl (hs_curl.c), WAIT sleeps, TOKEN runs helpscout.renew (the single-flight rule,
 * written once in Lua for every driver) with a send function bound to this client, DONE returns.
 * No retry, token or paging rule lives here.
 *
 * Born closed, closed once: the userdata is zeroed and gets its metatable before any C resource
 * is taken; close/__gc/__close share one idempotent function. The engine, on_token and the store
 * live in the userdata's user value, so a callback that captures the client does not keep it
 * alive forever. A busy client (a call in progress) refuses to be re-entered — from on_token, a
 * store, or a finalizer — with a clear error instead of corrupting the call in flight.
 */
#include <stdlib.h>
#include <string.h>
#include "hs.h"

static const hs_field client_opts[] = {
  HS_ENGINE_OPTS,
  {.name = "timeout", .type = HS_T_NUMBER, .min = 0.001, .max = 86400},
  {.name = "connect_timeout", .type = HS_T_NUMBER, .min = 0.001, .max = 86400},
  {.name = "on_token", .type = HS_T_FUNCTION},
  {.name = "store", .type = HS_T_ANY},
};
#define NCLIENT_OPTS ((int)(sizeof client_opts / sizeof client_opts[0]))

hs_client *hs_check_client(lua_State *L, int idx) {
  hs_client *c = luaL_checkudata(L, idx, HS_CLIENT_MT);
  if (c->closed) luaL_argerror(L, idx, "the client is closed");
  if (c->busy)
    luaL_argerror(L, idx, "the client is busy: a call is in progress (re-entered from on_token, "
                  "a store or a finalizer)");
  return c;
}

void hs_client_close(hs_client *c) {
  int i;
  if (c->closed) return;
  c->closed = 1;
  for (i = 0; i < HS_MAX_CONCURRENCY; i++) {
    hs_slot *s = &c->slots[i];
    if (s->easy) {
      if (c->multi) curl_multi_remove_handle(c->multi, s->easy);
      curl_easy_cleanup(s->easy);
      s->easy = NULL;
    }
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    hs_req_free(&s->call.req);
    hs_resp_free(&s->resp);
  }
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = NULL;
  if (c->easy) curl_easy_cleanup(c->easy);
  c->easy = NULL;
  curl_slist_free_all(c->hdrs);
  c->hdrs = NULL;
  hs_req_free(&c->call.req);
  hs_req_free(&c->sreq);
  hs_resp_free(&c->resp);
  c->e = NULL; /* the engine userdata frees itself */
}

/* close/__gc/__close. Refused while a call runs (its handles and buffers are in use; a
 * collection cannot happen then: the call holds the userdata on its stack). */
static int l_close(lua_State *L) {
  hs_client *c = luaL_checkudata(L, 1, HS_CLIENT_MT);
  if (c->busy) return luaL_error(L, "helpscout: the client cannot be closed while a call is in progress");
  hs_client_close(c);
  return 0;
}

static int l_tostring(lua_State *L) {
  hs_client *c = luaL_checkudata(L, 1, HS_CLIENT_MT);
  if (c->closed) lua_pushliteral(L, "helpscout.Client (closed)");
  else lua_pushfstring(L, "helpscout.Client (%s)", c->e->base_url);
  return 1;
}

static void check_store(lua_State *L, int opts) {
  static const char *const methods[] = {"load", "save", "lock", NULL};
  int i;
  lua_getfield(L, opts, "store");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  for (i = 0; methods[i]; i++) {
    if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TUSERDATA) {
      lua_getfield(L, -1, methods[i]);
      if (lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        continue;
      }
      lua_pop(L, 1);
    }
    luaL_argerror(L, opts, "option 'store' must be a store (an object with load, save and lock)");
  }
  lua_pop(L, 1);
}

/* Pushes a new client for the options at opts (checked here). Raises on bad options. */
static hs_client *client_new(lua_State *L, int opts) {
  hs_client *c;
  int have_store;
  opts = hs_absindex(L, opts);
  luaL_checktype(L, opts, LUA_TTABLE);
  hs_check_fields(L, opts, client_opts, NCLIENT_OPTS, "option", 0);
  check_store(L, opts);
  lua_getfield(L, opts, "store");
  have_store = !lua_isnil(L, -1);
  lua_pop(L, 1);
  c = hs_newuserdata(L, sizeof *c);
  memset(c, 0, sizeof *c);
  c->closed = 1; /* until fully built: __gc frees whatever was taken */
  luaL_getmetatable(L, HS_CLIENT_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 3);
  lua_getfield(L, opts, "on_token");
  lua_setfield(L, -2, "on_token");
  lua_getfield(L, opts, "store");
  lua_setfield(L, -2, "store");
  c->e = hs_engine_new(L, opts, have_store);
  lua_setfield(L, -2, "engine");
  hs_setuservalue(L, -2);
  c->closed = 0;
  lua_getfield(L, opts, "store");
  if (!lua_isnil(L, -1)) {
    lua_getfield(L, -1, "spend");
    lua_getfield(L, -2, "observe");
    c->budget = lua_isfunction(L, -1) && lua_isfunction(L, -2);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  c->timeout_ms = (long)(hs_opt_number(L, opts, "timeout", 30) * 1000);
  c->connect_timeout_ms = (long)(hs_opt_number(L, opts, "connect_timeout", 10) * 1000);
  c->easy = curl_easy_init();
  if (!c->easy || hs_curl_setup(c, c->easy, &c->resp) != 0)
    luaL_error(L, "helpscout: could not initialise libcurl");
  return c;
}

static int l_new(lua_State *L) {
  lua_settop(L, 1);
  client_new(L, 1);
  return 1;
}

/* ---- executing actions ---- */

static const char *static_method(const char *m) {
  return strcmp(m, "POST") == 0 ? "POST" : strcmp(m, "PUT") == 0 ? "PUT" : "GET";
}

/* Pushes the outcome of the transfer in r, as doc/engine.md describes it. */
static void push_outcome(lua_State *L, const hs_resp *r) {
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, (lua_Number)hs_epoch());
  lua_setfield(L, -2, "now");
  if (r->transport != HS_TX_OK) {
    lua_pushstring(L, hs_tx_names[r->transport]);
    lua_setfield(L, -2, "transport");
    lua_pushstring(L, r->errmsg);
    lua_setfield(L, -2, "message");
    return;
  }
  lua_pushinteger(L, (lua_Integer)r->status);
  lua_setfield(L, -2, "status");
  lua_createtable(L, 0, 6);
#define H(name, field) if (r->field[0]) lua_pushstring(L, r->field), lua_setfield(L, -2, name)
  H("content-type", ctype);
  H("resource-id", resource_id);
  H("location", location);
  H("retry-after", retry_after);
  H("x-ratelimit-retry-after", xretry_after);
  H("x-ratelimit-remaining-minute", remaining);
#undef H
  lua_setfield(L, -2, "headers");
  lua_pushlstring(L, r->body.p ? r->body.p : "", r->body.n);
  lua_setfield(L, -2, "body");
}

/* send(action) -> outcome: executes one SEND action table on the client's easy handle. The
 * function a renewal gets; it decides nothing (upvalue 1: the client). */
static int l_send(lua_State *L) {
  hs_client *c = luaL_checkudata(L, lua_upvalueindex(1), HS_CLIENT_MT);
  hs_req *q = &c->sreq;
  const char *auth = NULL, *s;
  size_t n;
  if (c->closed) return luaL_error(L, "helpscout: the client is closed");
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "method");
  q->method = static_method(luaL_checkstring(L, -1));
  q->idempotent = strcmp(q->method, "POST") != 0;
  lua_getfield(L, 1, "url");
  s = luaL_checklstring(L, -1, &n);
  hs_buf_reset(&q->url);
  hs_badd(L, &q->url, s, n);
  lua_getfield(L, 1, "body");
  s = lua_tolstring(L, -1, &n);
  hs_buf_wipe(&q->body);
  if (s) hs_badd(L, &q->body, s, n);
  lua_getfield(L, 1, "headers");
  q->ctype = NULL;
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "Content-Type");
    if (lua_isstring(L, -1)) {
      strncpy(c->sctype, lua_tostring(L, -1), sizeof c->sctype - 1);
      q->ctype = c->sctype;
    }
    lua_getfield(L, -2, "Authorization");
    auth = lua_tostring(L, -1);
  }
  q->token = auth == NULL;
  hs_curl_perform(c, q, auth, &c->resp);
  hs_buf_wipe(&q->body); /* a grant body carries the client secret */
  push_outcome(L, &c->resp);
  hs_buf_wipe(&c->resp.body); /* a grant answer carries tokens */
  return 1;
}

/* Pushes module[field] (a rule written once in Lua for every driver), required on first use and
 * kept in the registry under key. Raises when the module cannot be loaded. */
static void push_rule(lua_State *L, const char *key, const char *module, const char *field) {
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  lua_call(L, 1, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, key);
  lua_getfield(L, -1, field);
  lua_remove(L, -2);
}

/* Runs helpscout.renew.run(engine, store, action, send, on_token) for a TOKEN action. 1 ok; 0
 * with the error pushed. An error raised inside (on_token failing) is raised again from here,
 * after the client is usable again: the new token is already adopted. */
int hs_renew(lua_State *L, int client, hs_client *c, const hs_action *a) {
  int top = lua_gettop(L);
  push_rule(L, HS_RENEW_KEY, "helpscout.renew", "run");
  hs_getuservalue(L, client);
  lua_getfield(L, -1, "engine");
  lua_getfield(L, -2, "store");
  hs_action_push(L, c->e, &c->call, a);
  lua_pushvalue(L, client);
  lua_pushcclosure(L, l_send, 1);
  lua_getfield(L, top + 2, "on_token");
  lua_remove(L, top + 2);
  if (lua_pcall(L, 5, 2, 0) != 0) {
    c->busy = 0;
    lua_error(L);
  }
  if (lua_type(L, -2) == LUA_TTABLE) {
    lua_settop(L, top);
    return 1;
  }
  lua_remove(L, -2);
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    hs_error_push(L, "auth", 0, "the token renewal failed without saying why", NULL, NULL, 0);
  }
  return 0;
}

void hs_budget(lua_State *L, int client, hs_client *c, const char *what, long cost) {
  int top = lua_gettop(L), gate = strcmp(what, "gate") == 0;
  if (!c->budget) return;
  push_rule(L, HS_BUDGET_KEY, "helpscout.store.budget", what); /* gate(store, cost) or share */
  hs_getuservalue(L, client);
  lua_getfield(L, -1, "store");
  lua_replace(L, -2);
  if (gate) {
    lua_pushinteger(L, cost);
    lua_pcall(L, 2, 0, 0);
  } else {
    hs_getuservalue(L, client);
    lua_getfield(L, -1, "engine");
    lua_replace(L, -2);
    lua_getfield(L, -1, "rate");
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) == 0) {
      lua_pushnumber(L, (lua_Number)hs_epoch());
      lua_pcall(L, 3, 0, 0);
    }
  }
  lua_settop(L, top); /* a budget is an optimisation: its failures never fail the call */
}

int hs_client_run(lua_State *L, int client, hs_client *c, hs_call *k, hs_action *a) {
  int input = HS_IN_START, ok = 1;
  for (;;) {
    hs_call_step(c->e, k, input, &c->resp, hs_epoch(), hs_random(c->e), a);
    if (input == HS_IN_RESPONSE && c->resp.transport == HS_TX_OK) hs_budget(L, client, c, "share", 0);
    switch (a->type) {
    case HS_SEND:
      hs_budget(L, client, c, "gate", k->cost);
      hs_curl_perform(c, &k->req, hs_req_auth(c->e, &k->req), &c->resp);
      input = HS_IN_RESPONSE;
      break;
    case HS_WAIT:
      hs_sleep(a->seconds);
      input = HS_IN_WAITED;
      break;
    case HS_TOKEN:
      ok = hs_renew(L, client, c, a);
      input = ok ? HS_IN_TOKEN : HS_IN_TOKEN_ERROR;
      break;
    default: return ok;
    }
  }
}

/* hs:<tool>(...) — one C function for the nine tools; upvalue 1 is the tool's index. Raises on
 * bad arguments; returns the tool's results or nil, err. */
static int l_tool(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  const hs_tool *t = &hs_tools[lua_tointeger(L, lua_upvalueindex(1))];
  hs_action a;
  int ok;
  hs_call_init(&c->call, t);
  hs_build_call(L, &c->call.req, c->e->base_url, t, 2);
  if (!t->body && hs_call_options(L, t->id ? 4 : 3, t, &c->proj, NULL, 0))
    c->call.req.proj = &c->proj;
  c->busy = 1;
  ok = hs_client_run(L, 1, c, &c->call, &a);
  c->busy = 0;
  if (!ok) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return hs_call_results(L, c->e, &c->call, &a, &c->resp);
}

/* hs:token() -> a copy of the current token (fetching one first if there is none), or nil, err */
static int l_token(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  hs_action a;
  int ok = 1;
  lua_settop(L, 1);
  if (!c->e->tok.access || (hs_can_renew(c->e) && hs_token_due(&c->e->tok, hs_epoch()))) {
    memset(&a, 0, sizeof a);
    a.type = HS_TOKEN;
    a.reason = c->e->tok.access ? "due" : "missing";
    a.generation = c->e->tok.gen;
    c->busy = 1;
    ok = hs_renew(L, 1, c, &a);
    c->busy = 0;
  }
  if (!ok) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  hs_token_push(L, &c->e->tok);
  return 1;
}

static const hs_field exchange_opts[] = {
  {.name = "client_id", .type = HS_T_STRING, .flags = HS_REQUIRED | HS_NONEMPTY},
  {.name = "client_secret", .type = HS_T_STRING, .flags = HS_REQUIRED | HS_NONEMPTY},
  {.name = "code", .type = HS_T_STRING, .flags = HS_REQUIRED | HS_NONEMPTY},
  HS_STRING_OPT("base_url"), HS_STRING_OPT("user_agent"),
  {.name = "timeout", .type = HS_T_NUMBER, .min = 0.001, .max = 86400},
  {.name = "connect_timeout", .type = HS_T_NUMBER, .min = 0.001, .max = 86400},
};

/* core.exchange_code{client_id=, client_secret=, code=, base_url=?, timeout=?, connect_timeout=?,
 * user_agent=?} -> token table, or nil, err. A code is single use: never re-sent. */
int hs_l_exchange_code(lua_State *L) {
  hs_client *c;
  int ok;
  const char *code;
  luaL_checktype(L, 1, LUA_TTABLE);
  hs_check_fields(L, 1, exchange_opts, (int)(sizeof exchange_opts / sizeof exchange_opts[0]),
                  "option", 1);
  lua_settop(L, 1);
  lua_getfield(L, 1, "code"); /* 2: kept referenced while the copy below lacks it */
  code = lua_tostring(L, 2);
  lua_newtable(L); /* 3: the client's options */
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (strcmp(lua_tostring(L, -2), "code") == 0) lua_pop(L, 1);
    else lua_pushvalue(L, -2), lua_insert(L, -2), lua_rawset(L, 3);
  }
  c = client_new(L, 3); /* 4 */
  ok = hs_token_request(L, c->e, &c->e->treq, code);
  if (ok) {
    hs_curl_perform(c, &c->e->treq, NULL, &c->resp);
    hs_buf_wipe(&c->e->treq.body);
    ok = hs_token_answer(L, c->e, &c->e->treq, &c->resp, hs_epoch());
  }
  hs_client_close(c);
  if (!ok) {
    hs_error_redact_one(L, -1, code); /* the body that held it was wiped before the answer */
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

/* hs:changes(opts) -> helpscout.changes.iterate(hs, <the client's store>, opts): the iterator is
 * written once in Lua for both drivers; C only hands it the store kept in the uservalue. */
static int l_changes(lua_State *L) {
  hs_check_client(L, 1);
  lua_settop(L, 2);
  push_rule(L, "helpscout.changes", "helpscout.changes", "iterate");
  lua_pushvalue(L, 1);
  hs_getuservalue(L, 1);
  lua_getfield(L, -1, "store");
  lua_remove(L, -2);
  lua_pushvalue(L, 2);
  lua_call(L, 3, 4);
  return 4;
}

int hs_client_open(lua_State *L) {
  static const luaL_Reg meta[] = {
    {"__gc", l_close}, {"__tostring", l_tostring},
#if LUA_VERSION_NUM >= 504
    {"__close", l_close},
#endif
    {NULL, NULL}};
  static const luaL_Reg methods[] = {
    {"close", l_close}, {"token", l_token}, {"changes", l_changes},
    {NULL, NULL}}; /* + each, pages, fetch_all: hs_iter.c */
  int i;
  if (luaL_newmetatable(L, HS_CLIENT_MT)) {
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    for (i = 0; i < hs_ntools; i++) {
      lua_pushinteger(L, i);
      lua_pushcclosure(L, l_tool, 1);
      lua_setfield(L, -2, hs_tools[i].name);
    }
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, HS_CLIENT_MT);
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  return 1;
}
