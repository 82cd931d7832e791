/*
 * hs_client.c — the client userdata: options, the nine tool methods, and the request loop that
 * joins token, pacing, driver and retry policy.
 *
 * Born closed, closed once: the userdata is zeroed and gets its metatable before any C resource
 * is taken, and close/__gc/__close share one idempotent function. Every buffer a request needs
 * lives here, so a Lua error raised at any point leaks nothing. on_token is kept in the
 * userdata's user value (not the registry), so a callback that captures the client does not keep
 * it alive forever.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hs.h"

/* ---- small utilities ---- */

double hs_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double hs_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hs_sleep(double secs) {
  struct timespec ts, rem;
  if (!(secs > 0)) return;
  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

double hs_random(hs_client *c) { /* xorshift64*, per client: no global state */
  uint64_t x = c->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  c->rng = x;
  return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

char *hs_strdup(const char *s) {
  size_t n;
  char *p;
  if (!s) return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* Frees a string that may hold a secret, zeroing it first. */
void hs_secfree(char **p) {
  if (*p) {
    volatile char *v = *p;
    while (*v) *v++ = 0;
    free(*p);
    *p = NULL;
  }
}

/* ---- pacing ---- */

/* Delay before sending q: only when the last answer said fewer requests are left in the window
 * than q costs (writes count 2). The reset time is known after a 429 (Retry-After); otherwise
 * wait one second and let the server's next answer say more. The fast path is one comparison. */
void hs_pace(hs_client *c, const hs_req *q, double *delay) {
  long cost = q->write ? 2 : 1;
  double now;
  *delay = 0;
  if (q->token || c->rl_remaining < 0 || c->rl_remaining >= cost) return;
  now = hs_now();
  if (c->rl_reset_at > 0) {
    if (c->rl_reset_at > now) *delay = c->rl_reset_at - now;
    if (*delay > 60) *delay = 60;
  } else {
    *delay = 1.0;
  }
  c->rl_remaining = -1;
  c->rl_reset_at = 0;
}

void hs_note_rate(hs_client *c, const hs_resp *r) {
  double ra;
  if (r->transport != HS_TX_OK) return;
  /* only a plain count: a malformed value must not read as "0 left" and stall every request */
  if (isdigit((unsigned char)r->remaining[0])) c->rl_remaining = strtol(r->remaining, NULL, 10);
  ra = hs_resp_retry_after(r);
  if (r->status == 429) {
    c->rl_remaining = 0;
    c->rl_reset_at = ra >= 0 ? hs_now() + ra : 0;
  } else if (r->xretry_after[0] && ra >= 0) {
    c->rl_reset_at = hs_now() + ra;
  }
}

/* ---- the request loop ---- */

static int can_renew(const hs_client *c) { return c->client_id && c->client_secret; }

int hs_run(lua_State *L, hs_client *c, hs_req *q) {
  int attempt = 0, replayed = 0;
  double waited = 0; /* retry waits in this call: together at most HS_MAX_SERVER_WAIT */
  for (;;) {
    double delay;
    hs_decision d;
    if (!q->token && !hs_token_ensure(L, c, 0)) return 0;
    hs_pace(c, q, &delay);
    hs_sleep(delay);
    hs_curl_perform(c, q, &c->resp);
    hs_note_rate(c, &c->resp);
    if (!q->token && c->resp.transport == HS_TX_OK && c->resp.status == 401 && !replayed &&
        can_renew(c)) {
      /* the token expired or was revoked: renew once, then replay */
      replayed = 1;
      if (!hs_token_ensure(L, c, 1)) return 0;
      continue;
    }
    d = hs_decide(q, &c->resp, attempt, c->retries, hs_random(c));
    if (!d.retry || waited + d.wait > HS_MAX_SERVER_WAIT) return 1;
    waited += d.wait;
    hs_sleep(d.wait);
    attempt++;
  }
}

/* ---- userdata ---- */

hs_client *hs_check_client(lua_State *L, int idx) {
  hs_client *c = luaL_checkudata(L, idx, HS_CLIENT_MT);
  if (c->closed) luaL_argerror(L, idx, "the client is closed");
  if (c->in_callback) luaL_argerror(L, idx, "the client cannot be used from its own on_token");
  c->self = hs_absindex(L, idx);
  return c;
}

static void free_req(hs_req *q) {
  hs_buf_free(&q->url);
  hs_buf_wipe(&q->body); /* token bodies carry secrets */
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
    free_req(&s->req);
    hs_resp_free(&s->resp);
  }
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = NULL;
  if (c->easy) curl_easy_cleanup(c->easy);
  c->easy = NULL;
  curl_slist_free_all(c->hdrs);
  c->hdrs = NULL;
  free(c->base_url);
  free(c->client_id);
  free(c->user_agent);
  free(c->token_type);
  c->base_url = c->client_id = c->user_agent = c->token_type = NULL;
  hs_secfree(&c->client_secret);
  hs_secfree(&c->access_token);
  hs_secfree(&c->refresh_token);
  free_req(&c->req);
  free_req(&c->treq);
  hs_resp_free(&c->resp);
  hs_buf_wipe(&c->auth);
}

/* close/__gc/__close. Refused while on_token runs: the request that triggered the renewal still
 * uses the client's handles and buffers (a collection cannot happen then: the call holds the
 * userdata on its stack). */
static int l_close(lua_State *L) {
  hs_client *c = luaL_checkudata(L, 1, HS_CLIENT_MT);
  if (c->in_callback) return luaL_error(L, "helpscout: the client cannot be closed from its own on_token");
  hs_client_close(c);
  return 0;
}

static int l_tostring(lua_State *L) {
  hs_client *c = luaL_checkudata(L, 1, HS_CLIENT_MT);
  if (c->closed) lua_pushliteral(L, "helpscout.Client (closed)");
  else lua_pushfstring(L, "helpscout.Client (%s)", c->base_url);
  return 1;
}

static const char *const client_opts[] = {
  "client_id", "client_secret", "access_token", "refresh_token", "token_type", "expires_at",
  "on_token", "base_url", "timeout", "connect_timeout", "retries", "read_only", "user_agent", NULL};

static void opt_error(lua_State *L, int arg, const char *fmt, const char *key, const char *what) {
  lua_pushfstring(L, fmt, key, what);
  luaL_argerror(L, arg, lua_tostring(L, -1));
}

static const char *opt_string(lua_State *L, int opts, const char *key) {
  const char *s;
  lua_getfield(L, opts, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (lua_type(L, -1) != LUA_TSTRING || hs_rawlen(L, -1) == 0)
    opt_error(L, opts, "option '%s' must be a non-empty string, got %s", key,
              lua_type(L, -1) == LUA_TSTRING ? "an empty string" : luaL_typename(L, -1));
  s = lua_tostring(L, -1);
  lua_pop(L, 1); /* still referenced by the options table */
  return s;
}

static double opt_number(lua_State *L, int opts, const char *key, double def, double lo, double hi) {
  double d;
  lua_getfield(L, opts, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return def;
  }
  if (lua_type(L, -1) != LUA_TNUMBER)
    opt_error(L, opts, "option '%s' must be a number, got %s", key, luaL_typename(L, -1));
  d = (double)lua_tonumber(L, -1);
  if (!(d >= lo && d <= hi)) {
    lua_pushfstring(L, "option '%s' is out of range [%f, %f]", key, (lua_Number)lo,
                    (lua_Number)hi);
    luaL_argerror(L, opts, lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  return d;
}

static void seed(hs_client *c) {
  int fd = open("/dev/urandom", O_RDONLY);
  uint64_t s = 0;
  if (fd >= 0) {
    if (read(fd, &s, sizeof s) != (ssize_t)sizeof s) s = 0;
    close(fd);
  }
  if (!s) s = (uint64_t)(hs_epoch() * 1e6) ^ (uint64_t)(uintptr_t)c ^ (uint64_t)getpid();
  c->rng = s ? s : 0x9E3779B97F4A7C15ULL;
}

/* core.new(opts) -> client. Raises on unknown options, wrong types, or no way to get a token. */
hs_client *hs_client_new(lua_State *L, int opts) {
  hs_client *c;
  const char *s_id, *s_secret, *s_access, *s_refresh, *s_type, *s_base, *s_ua;
  double expires_at, timeout, ctimeout, retries;
  int read_only = 0, i;
  char ua[64];
  size_t blen;

  opts = hs_absindex(L, opts);
  luaL_checktype(L, opts, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    int ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; client_opts[i]; i++)
        if (strcmp(client_opts[i], lua_tostring(L, -2)) == 0) ok = 1;
    if (!ok) {
      luaL_Buffer b;
      const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : luaL_typename(L, -2);
      luaL_buffinit(L, &b);
      for (i = 0; client_opts[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, client_opts[i]);
      }
      luaL_pushresult(&b);
      opt_error(L, opts, "unknown option '%s'; valid: %s", k, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  s_id = opt_string(L, opts, "client_id");
  s_secret = opt_string(L, opts, "client_secret");
  s_access = opt_string(L, opts, "access_token");
  s_refresh = opt_string(L, opts, "refresh_token");
  s_type = opt_string(L, opts, "token_type");
  s_base = opt_string(L, opts, "base_url");
  s_ua = opt_string(L, opts, "user_agent");
  expires_at = opt_number(L, opts, "expires_at", 0, 0, 1e12);
  timeout = opt_number(L, opts, "timeout", 30, 0.001, 86400);
  ctimeout = opt_number(L, opts, "connect_timeout", 10, 0.001, 86400);
  retries = opt_number(L, opts, "retries", 3, 0, 10);
  if (retries != floor(retries)) opt_error(L, opts, "option '%s' must be %s", "retries", "an integer");
  lua_getfield(L, opts, "read_only");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
    opt_error(L, opts, "option '%s' must be a boolean, got %s", "read_only", luaL_typename(L, -1));
  read_only = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, opts, "on_token");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TFUNCTION)
    opt_error(L, opts, "option '%s' must be a function, got %s", "on_token", luaL_typename(L, -1));
  if (!s_base) s_base = HS_DEFAULT_BASE;
  if (strncmp(s_base, "http://", 7) != 0 && strncmp(s_base, "https://", 8) != 0)
    opt_error(L, opts, "option '%s' must be an http(s) URL, got '%s'", "base_url", s_base);
  if (!s_access && !(s_id && s_secret))
    luaL_argerror(L, opts, "client_id and client_secret (or an access_token) are required");
  if (s_refresh && !(s_id && s_secret))
    luaL_argerror(L, opts, "a refresh_token needs client_id and client_secret");

  /* All arguments are checked: now take resources, userdata first. */
  c = hs_newuserdata(L, sizeof *c);
  memset(c, 0, sizeof *c);
  c->closed = 1; /* until fully built: __gc frees whatever was taken */
  luaL_getmetatable(L, HS_CLIENT_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, -3); /* on_token or nil */
  lua_setfield(L, -2, "on_token");
  hs_setuservalue(L, -2);
  lua_remove(L, -2); /* on_token */
  c->closed = 0;
  c->rl_remaining = -1;
  c->expires_at = s_access ? expires_at : 0;
  c->timeout_ms = (long)(timeout * 1000);
  c->connect_timeout_ms = (long)(ctimeout * 1000);
  c->retries = (int)retries;
  c->read_only = read_only;
  seed(c);
  snprintf(ua, sizeof ua, "lua-helpscout/%s", HS_VERSION);
  c->base_url = hs_strdup(s_base);
  c->user_agent = hs_strdup(s_ua ? s_ua : ua);
  if (!c->base_url || !c->user_agent) luaL_error(L, "helpscout: out of memory");
  blen = strlen(c->base_url);
  while (blen > 0 && c->base_url[blen - 1] == '/') c->base_url[--blen] = '\0';
  if ((s_id && !(c->client_id = hs_strdup(s_id))) ||
      (s_secret && !(c->client_secret = hs_strdup(s_secret))) ||
      (s_access && !(c->access_token = hs_strdup(s_access))) ||
      (s_refresh && !(c->refresh_token = hs_strdup(s_refresh))) ||
      !(c->token_type = hs_strdup(s_type ? s_type : "bearer")))
    luaL_error(L, "helpscout: out of memory");
  if (c->access_token) {
    hs_badds(L, &c->auth, "Authorization: Bearer ");
    hs_badds(L, &c->auth, c->access_token);
  }
  c->easy = curl_easy_init();
  if (!c->easy || hs_curl_setup(c, c->easy, &c->resp) != 0)
    luaL_error(L, "helpscout: could not initialise libcurl");
  c->self = lua_gettop(L);
  return c;
}

static int l_new(lua_State *L) {
  hs_client_new(L, 1);
  return 1;
}

/* hs:<tool>(...) — one C function for the nine tools; upvalue 1 is the tool's index. Raises on
 * bad arguments; returns the tool's results or nil, err. */
static int l_tool(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  const hs_tool *t = &hs_tools[lua_tointeger(L, lua_upvalueindex(1))];
  int arg = 2, opts = 0, body = 0;
  long long id = 0;
  if (t->id_arg) id = hs_check_id(L, arg++);
  if (t->body_arg) body = arg;
  else {
    opts = arg;
    hs_check_opts(L, opts, t);
  }
  lua_settop(L, arg);
  hs_req_init(&c->req, t);
  if (body) hs_build_body(L, &c->req.body, t, body);
  hs_build_url(L, &c->req.url, c->base_url, t, id, opts, 0);
  if (t->write && c->read_only) {
    lua_pushnil(L);
    hs_push_error(L, "read_only", 0, "the client is read-only; write tools are disabled", &c->req,
                  0);
    return 2;
  }
  if (!hs_run(L, c, &c->req)) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return hs_interpret(L, t, &c->req, &c->resp);
}

/* hs:token() -> a copy of the current token (fetching one first if there is none), or nil, err */
static int l_token(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  if (!hs_token_ensure(L, c, 0)) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  hs_token_push(L, c);
  return 1;
}

int hs_client_open(lua_State *L) {
  static const luaL_Reg meta[] = {
    {"__gc", l_close}, {"__tostring", l_tostring},
#if LUA_VERSION_NUM >= 504
    {"__close", l_close},
#endif
    {NULL, NULL}};
  static const luaL_Reg methods[] = {
    {"close", l_close}, {"token", l_token}, {"each", hs_l_each},
    {"pages", hs_l_pages}, {"fetch_all", hs_l_fetch_all}, {NULL, NULL}};
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
