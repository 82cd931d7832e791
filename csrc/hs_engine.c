/*
 * hs_engine.c — engine configuration, and core.engine: the sans-I/O engine as Lua objects for
 * drivers written in Lua (the OpenResty cosocket driver) and for the table-driven specs. The
 * libcurl client uses the same C functions directly (hs_client.c); nothing here does I/O.
 *
 *   eng = core.engine.new(opts)         an engine: configuration, token and pacing state
 *   call = eng:call(tool, ...)          one call; action = call:step(outcome)
 *   eng:token() / set_token(t) / generation() / due(t?, now) / need_token(now) /
 *   grant_request(now, code?) /
 *   grant_answer(outcome) / rate() / set_rate(t); eng:pager(tool, opts) comes from hs_pager.c
 *
 * doc/engine.md is the contract of these tables.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hs.h"

const hs_field hs_engine_opts[] = {HS_ENGINE_OPTS};
const int hs_nengine_opts = (int)(sizeof hs_engine_opts / sizeof hs_engine_opts[0]);

double hs_random(hs_engine *e) { /* xorshift64*, per engine: no global state */
  uint64_t x = e->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  e->rng = x;
  return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void seed(hs_engine *e) {
  int fd = open("/dev/urandom", O_RDONLY);
  uint64_t s = 0;
  if (fd >= 0) {
    if (read(fd, &s, sizeof s) != (ssize_t)sizeof s) s = 0;
    close(fd);
  }
  if (!s) s = (uint64_t)(uintptr_t)e ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ULL;
  e->rng = s;
}

/* Length of "http(s)://host[:port]" when s is http(s)://host[:port][/path] with no credentials,
 * query or fragment; 0 otherwise. */
static size_t base_origin(const char *s) {
  size_t skip = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
  const char *h = s + skip, *p = h;
  if (!skip || strpbrk(s, "?#@ \t\r\n")) return 0;
  while (*p && *p != '/') p++;
  if (p == h || *h == ':') return 0;
  return (size_t)(p - s);
}

static void opt_fail(lua_State *L, int opts, const char *msg) { hs_argerror(L, opts, msg); }

/* base_url without trailing slashes and without a trailing "/v2" (the API root is the origin). */
static char *normal_base(lua_State *L, int opts, const char *s, char **origin) {
  size_t olen = base_origin(s), n = strlen(s);
  char *b;
  if (!olen)
    opt_fail(L, opts, "option 'base_url' must be an http(s) URL: http(s)://host[:port][/path], "
             "no credentials, query or fragment");
  b = hs_strdup(s);
  *origin = b ? hs_strdup(s) : NULL;
  if (!b || !*origin) luaL_error(L, "helpscout: out of memory");
  (*origin)[olen] = '\0';
  while (n > olen && b[n - 1] == '/') b[--n] = '\0';
  if (n >= olen + 3 && strcmp(b + n - 3, "/v2") == 0) b[n -= 3] = '\0';
  while (n > olen && b[n - 1] == '/') b[--n] = '\0';
  return b;
}

static char *dup_opt(lua_State *L, int opts, const char *key, const char *def) {
  const char *s = hs_opt_string(L, opts, key);
  char *p;
  if (!s) s = def;
  if (!s) return NULL;
  if (hs_has_crlf(s)) {
    lua_pushfstring(L, "option '%s' must not contain CR or LF", key);
    opt_fail(L, opts, lua_tostring(L, -1));
  }
  if (!(p = hs_strdup(s))) luaL_error(L, "helpscout: out of memory");
  return p;
}

/* Reads the engine's options from the (already checked) table at opts into e. */
void hs_engine_config(lua_State *L, hs_engine *e, int opts, int have_store) {
  const char *access = hs_opt_string(L, opts, "access_token");
  const char *refresh = hs_opt_string(L, opts, "refresh_token");
  const char *msg;
  char ua[64];
  int creds = hs_opt_string(L, opts, "client_id") && hs_opt_string(L, opts, "client_secret");
  if (!access && !creds && !have_store)
    opt_fail(L, opts, "client_id and client_secret (or an access_token) are required");
  if (refresh && !creds) opt_fail(L, opts, "a refresh_token needs client_id and client_secret");
  snprintf(ua, sizeof ua, "lua-helpscout/%s", HS_VERSION);
  e->base_url = normal_base(L, opts, hs_opt_string(L, opts, "base_url") ?
                            hs_opt_string(L, opts, "base_url") : HS_DEFAULT_BASE, &e->origin);
  e->client_id = dup_opt(L, opts, "client_id", NULL);
  e->client_secret = dup_opt(L, opts, "client_secret", NULL);
  e->user_agent = dup_opt(L, opts, "user_agent", ua);
  e->retries = (int)hs_opt_number(L, opts, "retries", 3);
  e->max_wait = hs_opt_number(L, opts, "max_wait", HS_MAX_SERVER_WAIT);
  e->read_only = hs_opt_number(L, opts, "read_only", 0) != 0;
  e->rate.remaining = e->rate.seen = -1;
  seed(e);
  msg = hs_token_set(&e->tok, access, refresh, hs_opt_string(L, opts, "token_type"),
                     access ? hs_opt_number(L, opts, "expires_at", 0) : 0,
                     access ? hs_opt_number(L, opts, "obtained_at", 0) : 0);
  if (msg) opt_fail(L, opts, "option 'access_token' or 'refresh_token' must not contain CR or LF");
}

void hs_engine_free(hs_engine *e) {
  free(e->base_url);
  free(e->origin);
  free(e->client_id);
  free(e->user_agent);
  e->base_url = e->origin = e->client_id = e->user_agent = NULL;
  hs_secfree(&e->client_secret);
  hs_token_free(&e->tok);
  hs_req_free(&e->treq);
  hs_resp_free(&e->tresp);
}

/* ---- Lua objects ---- */

hs_engine *hs_engine_check(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, HS_ENGINE_MT);
}

static int engine_gc(lua_State *L) {
  hs_engine_free(luaL_checkudata(L, 1, HS_ENGINE_MT));
  return 0;
}

/* Pushes an engine userdata configured from the checked options at opts. */
hs_engine *hs_engine_new(lua_State *L, int opts, int have_store) {
  hs_engine *e;
  opts = hs_absindex(L, opts);
  e = hs_new_object(L, sizeof *e, HS_ENGINE_MT);
  hs_engine_config(L, e, opts, have_store);
  return e;
}

/* core.engine.new(opts) -> engine. Raises on bad options like helpscout.new. */
static int l_engine_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  hs_check_fields(L, 1, hs_engine_opts, hs_nengine_opts, "option", 0);
  hs_engine_new(L, 1, 0);
  return 1;
}

static void set_s(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* The Authorization value q carries: the bearer token, except on the token endpoint. */
const char *hs_req_auth(const hs_engine *e, const hs_req *q) {
  return q->grant ? NULL : e->tok.auth.p;
}

/* A SEND action for q as a table: what to write, exactly (doc/engine.md). */
void hs_send_push(lua_State *L, const hs_engine *e, const hs_req *q) {
  lua_createtable(L, 0, 8);
  set_s(L, "action", "SEND");
  set_s(L, "method", q->method);
  lua_pushlstring(L, q->url.p ? q->url.p : "", q->url.n);
  lua_setfield(L, -2, "url");
  lua_createtable(L, 0, 4);
  set_s(L, "Accept", "application/hal+json, application/json");
  set_s(L, "User-Agent", e->user_agent);
  if (q->ctype) set_s(L, "Content-Type", q->ctype);
  if (hs_req_auth(e, q)) set_s(L, "Authorization", hs_req_auth(e, q));
  lua_setfield(L, -2, "headers");
  if (q->body.p && q->ctype) {
    lua_pushlstring(L, q->body.p, q->body.n);
    lua_setfield(L, -2, "body");
  }
  lua_pushboolean(L, strcmp(q->method, "POST") == 0);
  lua_setfield(L, -2, "fresh_connection");
  lua_pushboolean(L, q->write);
  lua_setfield(L, -2, "write");
  lua_pushinteger(L, (lua_Integer)hs_req_cost(q)); /* what a shared budget is charged */
  lua_setfield(L, -2, "cost");
  lua_pushboolean(L, q->idempotent);
  lua_setfield(L, -2, "idempotent");
  luaL_getmetatable(L, HS_ACTION_MT);
  lua_setmetatable(L, -2);
}

/* Reads a response or transport fact from the outcome table at idx into r. */
void hs_outcome_read(lua_State *L, int idx, hs_resp *r) {
  size_t n;
  const char *s;
  idx = hs_absindex(L, idx);
  hs_resp_reset(r);
  lua_getfield(L, idx, "transport");
  if (!lua_isnil(L, -1)) r->transport = luaL_checkoption(L, -1, NULL, hs_tx_names);
  lua_pop(L, 1);
  lua_getfield(L, idx, "message");
  if (lua_isstring(L, -1)) strncpy(r->errmsg, lua_tostring(L, -1), sizeof r->errmsg - 1);
  lua_pop(L, 1);
  lua_getfield(L, idx, "status");
  if (r->transport == HS_TX_OK) {
    if (!hs_is_int(L, -1) || lua_tonumber(L, -1) < 100 || lua_tonumber(L, -1) > 999)
      luaL_error(L, "outcome: status must be an HTTP status (or transport a fact)");
    r->status = (long)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "headers");
  if (lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
        size_t nl, vn;
        const char *k = lua_tolstring(L, -2, &nl), *v = lua_tolstring(L, -1, &vn);
        hs_resp_set_header(r, k, nl, v, vn);
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "body");
  s = lua_tolstring(L, -1, &n);
  if (s && hs_buf_add(&r->body, s, n)) luaL_error(L, "helpscout: out of memory");
  lua_pop(L, 1);
}

static double outcome_now(lua_State *L, int idx, double *rnd) {
  double now;
  lua_getfield(L, idx, "now");
  if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "outcome: 'now' (epoch seconds) is required");
  now = (double)lua_tonumber(L, -1);
  lua_getfield(L, idx, "rnd");
  *rnd = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : 0.5;
  if (!(*rnd >= 0 && *rnd < 1)) *rnd = 0.5;
  lua_pop(L, 2);
  return now;
}

static int outcome_input(lua_State *L, int idx, const hs_lcall *c) {
  if (!c->started) return HS_IN_START;
  lua_getfield(L, idx, "error");
  if (!lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return HS_IN_TOKEN_ERROR;
  }
  lua_getfield(L, idx, "token");
  lua_getfield(L, idx, "status");
  lua_getfield(L, idx, "transport");
  if (!lua_isnil(L, -1) || !lua_isnil(L, -2)) {
    lua_pop(L, 4);
    return HS_IN_RESPONSE;
  }
  if (!lua_isnil(L, -3)) {
    lua_pop(L, 4);
    return HS_IN_TOKEN;
  }
  lua_pop(L, 4);
  return HS_IN_WAITED;
}

static void push_done(lua_State *L, int eng, hs_lcall *c, const hs_action *a, int outcome) {
  hs_engine *e = hs_engine_check(L, eng);
  int top = lua_gettop(L), n, i;
  if (a->done == HS_DONE_TOKEN_ERROR) {
    lua_getfield(L, outcome, "error");
    lua_pushnil(L);
    lua_insert(L, -2);
  } else if (!(c->paged && a->done == HS_DONE_RESP && c->r.transport == HS_TX_OK &&
               c->r.status >= 200 && c->r.status <= 299)) {
    hs_call_results(L, e, &c->k, a, &c->r);
  } /* else a pager's page: p:accept / p:accept_page decode it (once) */
  n = lua_gettop(L) - top;
  lua_createtable(L, n, 3);
  set_s(L, "action", "DONE");
  if (n == 2 && lua_isnil(L, top + 1) && lua_istable(L, top + 2)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "ok");
    lua_pushvalue(L, top + 2);
    lua_setfield(L, -2, "error");
  } else {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ok");
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    for (i = 1; i <= n; i++) {
      lua_pushvalue(L, top + i);
      lua_rawseti(L, -2, i);
    }
  }
  if (n > 0) lua_replace(L, top + 1);
  lua_settop(L, top + 1);
}

void hs_action_push(lua_State *L, hs_engine *e, hs_call *k, const hs_action *a) {
  if (a->type == HS_SEND) {
    hs_send_push(L, e, &k->req);
    return;
  }
  lua_createtable(L, 0, 3);
  if (a->type == HS_WAIT) {
    set_s(L, "action", "WAIT");
    lua_pushnumber(L, (lua_Number)a->seconds);
    lua_setfield(L, -2, "seconds");
    set_s(L, "reason", a->reason);
  } else {
    set_s(L, "action", "TOKEN");
    set_s(L, "need", a->need);
    lua_pushinteger(L, a->generation);
    lua_setfield(L, -2, "generation");
  }
  luaL_getmetatable(L, HS_ACTION_MT);
  lua_setmetatable(L, -2);
}

/* call:step(outcome) -> action. Raises when the outcome does not fit the call's state. */
static int l_step(lua_State *L) {
  hs_lcall *c = luaL_checkudata(L, 1, HS_CALL_MT);
  hs_engine *e;
  hs_action a;
  double now, rnd;
  int input;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  hs_getuservalue(L, 1);
  lua_rawgeti(L, -1, 1);
  lua_replace(L, 3); /* 3: the engine */
  e = hs_engine_check(L, 3);
  now = outcome_now(L, 2, &rnd);
  input = outcome_input(L, 2, c);
  if (!hs_call_expects(&c->k, input))
    return luaL_error(L, "call:step: this outcome does not answer the last action (or the call is done)");
  if (input == HS_IN_RESPONSE) hs_outcome_read(L, 2, &c->r);
  if (input == HS_IN_TOKEN) {
    lua_getfield(L, 2, "token");
    lua_getfield(L, -1, "access_token");
    if (lua_isstring(L, -1) && (!e->tok.access || strcmp(e->tok.access, lua_tostring(L, -1))))
      hs_token_from_table(L, &e->tok, -2);
    lua_pop(L, 2);
  }
  c->started = 1;
  hs_call_step(e, &c->k, input, &c->r, now, rnd, &a);
  if (a.type == HS_DONE) push_done(L, 3, c, &a, 2);
  else hs_action_push(L, e, &c->k, &a);
  return 1;
}

static int call_gc(lua_State *L) {
  hs_lcall *c = luaL_checkudata(L, 1, HS_CALL_MT);
  hs_engine *e;
  hs_getuservalue(L, 1);
  e = lua_istable(L, -1) ? (lua_rawgeti(L, -1, 1), lua_touserdata(L, -1)) : NULL;
  if (e && c->started) hs_call_abandon(e, &c->k); /* a SEND never answered frees its budget */
  hs_req_free(&c->k.req);
  hs_resp_free(&c->r);
  return 0;
}

hs_lcall *hs_lcall_new(lua_State *L, int eng, const hs_tool *t) {
  hs_lcall *c;
  eng = hs_absindex(L, eng);
  c = hs_new_object(L, sizeof *c, HS_CALL_MT);
  lua_createtable(L, 1, 0); /* a table: LuaJIT's userdata environments can hold nothing else */
  lua_pushvalue(L, eng);
  lua_rawseti(L, -2, 1);
  hs_setuservalue(L, -2);
  hs_call_init(&c->k, t);
  c->paged = 0;
  return c;
}

/* eng:call(tool, ...) -> call. Raises on bad arguments exactly like hs:<tool>(...). */
static int l_call(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  const hs_tool *t = hs_tool_check(L, 2, 0);
  hs_lcall *c;
  int callopts = t->body ? 0 : 4 + (t->id ? 1 : 0);
  lua_settop(L, 3 + (t->id ? 1 : 0) + (t->body ? 0 : 1)); /* [id,] body | opts, call options */
  c = hs_lcall_new(L, 1, t);
  hs_build_call(L, &c->k.req, e->base_url, t, 3);
  if (callopts && hs_call_options(L, callopts, t, &c->proj, NULL, 0)) c->k.req.proj = &c->proj;
  return 1;
}

/* eng:need_token(now) -> "missing" | "due" | nil: must a token be got before a request goes out
 * (the rule of every driver, hs:token() included) */
static int l_need_token(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  const char *need = hs_need_token(e, (double)luaL_checknumber(L, 2));
  if (!need) return 0;
  lua_pushstring(L, need);
  return 1;
}

/* eng:token() -> a copy of the current token, or nil */
static int l_token(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  if (!e->tok.access && !e->tok.refresh) return 0;
  hs_token_push(L, &e->tok);
  return 1;
}

/* eng:set_token(t) -> generation. Raises on a malformed token (CR/LF in a value included). */
static int l_set_token(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  hs_token_from_table(L, &e->tok, 2);
  lua_pushinteger(L, e->tok.gen);
  return 1;
}

static int l_generation(lua_State *L) {
  lua_pushinteger(L, hs_engine_check(L, 1)->tok.gen);
  return 1;
}

/* eng:due(t?, now) -> true when t (default: the current token) is missing or due at now */
static int l_due(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  double now = (double)luaL_checknumber(L, 3);
  hs_token t;
  int due;
  if (lua_isnil(L, 2)) {
    lua_pushboolean(L, hs_token_due(&e->tok, now));
    return 1;
  }
  memset(&t, 0, sizeof t);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 2, "access_token");
  lua_getfield(L, 2, "expires_at");
  lua_getfield(L, 2, "obtained_at");
  t.access = lua_isstring(L, -3) ? (char *)lua_tostring(L, -3) : NULL;
  t.expires_at = lua_type(L, -2) == LUA_TNUMBER ? (double)lua_tonumber(L, -2) : 0;
  t.obtained_at = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : 0;
  due = hs_token_due(&t, now);
  lua_pushboolean(L, due);
  return 1;
}

/* eng:grant_request(now, code?) -> SEND action, or nil, err (auth / reconsent) */
static int l_grant_request(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  const char *code = luaL_optstring(L, 3, NULL);
  lua_settop(L, 3);
  if (!hs_token_request(L, e, &e->treq, code)) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  hs_send_push(L, e, &e->treq);
  return 1;
}

/* eng:grant_answer(outcome) -> token (adopted), or nil, err (err.resend: send it once more) */
static int l_grant_answer(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  double rnd, now;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  if (!e->treq.grant) return luaL_error(L, "grant_answer: no grant_request to answer");
  now = outcome_now(L, 2, &rnd);
  /* the libcurl client's send leaves the answer in e->tresp (it never becomes a Lua string:
   * it holds tokens) and says so with held = the engine itself; any other outcome is read */
  lua_getfield(L, 2, "held");
  if (lua_touserdata(L, -1) != (void *)e) hs_outcome_read(L, 2, &e->tresp);
  lua_pop(L, 1);
  if (!hs_token_answer(L, e, &e->treq, &e->tresp, now)) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

/* eng:rate() -> {remaining =, reset_at =, inflight =, seen =} (seen: the latest answer's own
 * count; remaining: the engine's pacing view); eng:set_rate{remaining =, reset_at =}
 * lets a shared budget (a store's) inform this engine's pacing. */
void hs_rate_push(lua_State *L, const hs_engine *e) {
  lua_createtable(L, 0, 4);
  if (e->rate.remaining >= 0) lua_pushinteger(L, e->rate.remaining), lua_setfield(L, -2, "remaining");
  if (e->rate.reset_at > 0) lua_pushnumber(L, e->rate.reset_at), lua_setfield(L, -2, "reset_at");
  lua_pushinteger(L, e->rate.inflight);
  lua_setfield(L, -2, "inflight");
  if (e->rate.seen >= 0) lua_pushinteger(L, e->rate.seen), lua_setfield(L, -2, "seen");
}

static int l_rate(lua_State *L) {
  hs_rate_push(L, hs_engine_check(L, 1));
  return 1;
}

/* core.limits: the engine's numbers that drivers written in Lua need (they have none of their
 * own): max_wait, max_concurrency, concurrency (fetch_all's default), timeout, connect_timeout,
 * and timeout_min/timeout_max (the range of both timeout options) */
void hs_limits_push(lua_State *L) {
  lua_createtable(L, 0, 7);
  lua_pushnumber(L, HS_MAX_SERVER_WAIT);
  lua_setfield(L, -2, "max_wait");
  lua_pushinteger(L, HS_MAX_CONCURRENCY);
  lua_setfield(L, -2, "max_concurrency");
  lua_pushinteger(L, HS_DEFAULT_CONCURRENCY);
  lua_setfield(L, -2, "concurrency");
  lua_pushnumber(L, HS_DEFAULT_TIMEOUT);
  lua_setfield(L, -2, "timeout");
  lua_pushnumber(L, HS_DEFAULT_CONNECT_TIMEOUT);
  lua_setfield(L, -2, "connect_timeout");
  lua_pushnumber(L, HS_TIMEOUT_MIN);
  lua_setfield(L, -2, "timeout_min");
  lua_pushnumber(L, HS_TIMEOUT_MAX);
  lua_setfield(L, -2, "timeout_max");
}

static int l_set_rate(lua_State *L) {
  hs_engine *e = hs_engine_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 2, "remaining");
  if (hs_is_int(L, -1)) e->rate.remaining = (long)lua_tonumber(L, -1);
  lua_getfield(L, 2, "reset_at");
  if (lua_type(L, -1) == LUA_TNUMBER) e->rate.reset_at = (double)lua_tonumber(L, -1);
  return 0;
}


/* tostring(action): one line, never a header or a body (they may hold secrets) */
static int l_action_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "action");
  lua_getfield(L, 1, "method");
  lua_getfield(L, 1, "url");
  lua_getfield(L, 1, "seconds");
  lua_getfield(L, 1, "need");
  if (lua_isstring(L, -3)) lua_pushfstring(L, "%s %s %s", lua_tostring(L, -5), lua_tostring(L, -4),
                                           lua_tostring(L, -3));
  else if (lua_isnumber(L, -2)) lua_pushfstring(L, "%s %f", lua_tostring(L, -5), lua_tonumber(L, -2));
  else lua_pushfstring(L, "%s %s", lua_tostring(L, -5), lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
  return 1;
}

static void new_mt(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc) {
  if (luaL_newmetatable(L, name)) {
    if (methods) {
      lua_newtable(L);
      luaL_setfuncs(L, methods, 0);
      lua_setfield(L, -2, "__index");
    }
    if (gc) {
      lua_pushcfunction(L, gc);
      lua_setfield(L, -2, "__gc");
    }
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}

void hs_engine_open(lua_State *L) {
  static const luaL_Reg engine_methods[] = {
    {"call", l_call}, {"token", l_token}, {"set_token", l_set_token},
    {"generation", l_generation}, {"due", l_due}, {"need_token", l_need_token}, {"grant_request", l_grant_request},
    {"grant_answer", l_grant_answer}, {"rate", l_rate}, {"set_rate", l_set_rate}, {NULL, NULL}};
  static const luaL_Reg call_methods[] = {{"step", l_step}, {NULL, NULL}};
  new_mt(L, HS_ENGINE_MT, engine_methods, engine_gc);
  new_mt(L, HS_CALL_MT, call_methods, call_gc);
  new_mt(L, HS_ACTION_MT, NULL, NULL);
  luaL_getmetatable(L, HS_ACTION_MT);
  lua_pushcfunction(L, l_action_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_engine_new);
  lua_setfield(L, -2, "new");
}
