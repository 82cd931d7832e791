/*
 * hs_error.c — the one registry of error kinds and the one constructor of error tables, used by
 * the C core and (through core.error) by every Lua module: triage, tools, stores, resty.
 *
 * An error is a plain table with the shared metatable "helpscout.Error" (core.Error): kind,
 * status, message, retry_after, log_ref, errors, method, url, retryable. __tostring renders one
 * line and never a secret: urls are printed as their path only, and no header is ever stored.
 *
 * Redaction: the constructor knows no secret, so the places that build an error from a server's
 * answer pass the ones they know (hs_error_redact_engine: the engine's tokens and client secret,
 * the grant request's form values; hs_error_redact_one: an authorization code). Every occurrence in
 * message, log_ref and the string members of errors[i] (message, rejectedValue, path, ...) becomes
 * "[redacted]": a server that echoes a credential cannot carry it into an error, its tostring, a
 * log line or a tool's output.
 */
#include <string.h>
#include "hs.h"

typedef struct hs_kind {
  const char *name;
  int retryable; /* the default; a constructor may say otherwise for one error */
  const char *desc;
} hs_kind;

static const hs_kind kinds[] = {
  {"auth", 0, "credentials or token refused"},
  {"reconsent", 0, "the refresh token was refused: the user must authorize again"},
  {"forbidden", 0, "the token's user may not do this"},
  {"not_found", 0, "no such resource"},
  {"validation", 0, "the API refused the request's values"},
  {"rate_limited", 1, "throttled; see retry_after"},
  {"server", 1, "the API failed (5xx)"},
  {"timeout", 1, "no answer in time"},
  {"network", 1, "the connection failed"},
  {"protocol", 0, "the answer is not what the API promises"},
  {"read_only", 0, "a write on a read-only client"},
  {"store", 1, "the token store failed"},
  {"invalid", 0, "bad input to a helper"},
  {"busy", 0, "the client is already running a call"},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

int hs_kind_retryable(const char *kind) {
  int i;
  for (i = 0; i < NKINDS; i++)
    if (strcmp(kinds[i].name, kind) == 0) return kinds[i].retryable;
  return -1;
}

static void set_s(lua_State *L, const char *k, const char *v) {
  if (!v || !v[0]) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

void hs_error_push(lua_State *L, const char *kind, long status, const char *msg,
                   const char *method, const char *url, int retryable) {
  lua_createtable(L, 0, 10);
  set_s(L, "kind", kind);
  if (status > 0) {
    lua_pushinteger(L, (lua_Integer)status);
    lua_setfield(L, -2, "status");
  }
  set_s(L, "message", msg ? msg : kind);
  set_s(L, "method", method);
  set_s(L, "url", url);
  if (retryable < 0) retryable = hs_kind_retryable(kind) > 0;
  lua_pushboolean(L, retryable);
  lua_setfield(L, -2, "retryable");
  luaL_getmetatable(L, HS_ERROR_MT);
  lua_setmetatable(L, -2);
}

/* ---- redaction ---- */

#define REDACTED "[redacted]"
#define REDACT_MIN 6 /* shorter "secrets" (test stand-ins) would mangle ordinary words */

/* Appends s[0..n) to the secrets table at t when it is long enough to be one. */
static void add_secret(lua_State *L, int t, const char *s, size_t n) {
  if (!s || n < REDACT_MIN) return;
  lua_pushlstring(L, s, n);
  lua_rawseti(L, t, (int)hs_rawlen(L, t) + 1);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Adds the decoded values of a form body (k=v&k=v) to the secrets at t, but grant_type and
 * client_id: everything else in a grant request is a credential (code, refresh_token, secret). */
static void add_form_values(lua_State *L, int t, const char *p, size_t n) {
  const char *end = p + n;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
    const char *stop = amp ? amp : end;
    eq = memchr(p, '=', (size_t)(stop - p));
    if (eq && !(eq - p == 10 && strncmp(p, "grant_type", 10) == 0) &&
        !(eq - p == 9 && strncmp(p, "client_id", 9) == 0)) {
      luaL_Buffer b;
      const char *v = eq + 1;
      luaL_buffinit(L, &b);
      while (v < stop) {
        int hi, lo;
        if (*v == '%' && stop - v >= 3 && (hi = hexval(v[1])) >= 0 && (lo = hexval(v[2])) >= 0) {
          luaL_addchar(&b, (char)(hi * 16 + lo));
          v += 3;
        } else {
          luaL_addchar(&b, *v == '+' ? ' ' : *v);
          v++;
        }
      }
      luaL_pushresult(&b);
      if (hs_rawlen(L, -1) >= REDACT_MIN) lua_rawseti(L, t, (int)hs_rawlen(L, t) + 1);
      else lua_pop(L, 1);
    }
    p = stop + 1;
  }
}

/* Replaces the secrets (table at t) in the string field k of the table at obj, if any. */
static void redact_field(lua_State *L, int obj, int t, const char *k) {
  int i, n = (int)hs_rawlen(L, t);
  lua_getfield(L, obj, k);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    return;
  }
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    luaL_gsub(L, lua_tostring(L, -2), lua_tostring(L, -1), REDACTED);
    lua_replace(L, -3);
    lua_pop(L, 1);
  }
  lua_setfield(L, obj, k);
}

/* Redacts the string members of each item of errors (a server's _embedded.errors). */
static void redact_items(lua_State *L, int err, int t) {
  int i;
  lua_getfield(L, err, "errors");
  if (lua_type(L, -1) == LUA_TTABLE) {
    int errs = lua_gettop(L), n = (int)hs_rawlen(L, errs);
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, errs, i);
      if (lua_type(L, -1) == LUA_TTABLE) {
        int item = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, item)) {
          lua_pop(L, 1);
          if (lua_type(L, -1) == LUA_TSTRING) {
            lua_pushvalue(L, -1);
            redact_field(L, item, t, lua_tostring(L, -1));
            lua_pop(L, 1);
          }
        }
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* Redacts the error at idx with the secrets table at t. */
static void redact_with(lua_State *L, int idx, int t) {
  if (lua_type(L, idx) != LUA_TTABLE || hs_rawlen(L, t) == 0) return;
  redact_field(L, idx, t, "message");
  redact_field(L, idx, t, "log_ref");
  redact_items(L, idx, t);
}

void hs_error_redact_engine(lua_State *L, int idx, const hs_engine *e, const hs_req *q) {
  int t;
  idx = hs_absindex(L, idx);
  lua_newtable(L);
  t = lua_gettop(L);
  if (e) {
    if (e->tok.access) add_secret(L, t, e->tok.access, strlen(e->tok.access));
    if (e->tok.refresh) add_secret(L, t, e->tok.refresh, strlen(e->tok.refresh));
    if (e->client_secret) add_secret(L, t, e->client_secret, strlen(e->client_secret));
  }
  if (q && q->token && q->body.p) add_form_values(L, t, q->body.p, q->body.n);
  redact_with(L, idx, t);
  lua_pop(L, 1);
}

void hs_error_redact_one(lua_State *L, int idx, const char *secret) {
  int t;
  idx = hs_absindex(L, idx);
  lua_newtable(L);
  t = lua_gettop(L);
  if (secret) add_secret(L, t, secret, strlen(secret));
  redact_with(L, idx, t);
  lua_pop(L, 1);
}

/* Pushes " [METHOD /path]" for the error at 1 (the url's path only), or nothing; returns count */
static int push_where(lua_State *L) {
  const char *url, *p;
  lua_getfield(L, 1, "method");
  lua_getfield(L, 1, "url");
  url = lua_tostring(L, -1);
  if (!url || !lua_isstring(L, -2)) {
    lua_pop(L, 2);
    return 0;
  }
  p = strstr(url, "://");
  p = p ? strchr(p + 3, '/') : url;
  lua_pushfstring(L, " [%s %s]", lua_tostring(L, -2), p ? p : "/");
  lua_replace(L, -3);
  lua_pop(L, 1);
  return 1;
}

/* Pushes "; path: msg, path: msg" for up to 5 field errors, or nothing; returns count */
static int push_field_errors(lua_State *L) {
  int i, n = 0, errs;
  lua_getfield(L, 1, "errors");
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  errs = lua_gettop(L);
  for (i = 1; i <= 5; i++) {
    lua_rawgeti(L, errs, i);
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      break;
    }
    lua_getfield(L, -1, "path");
    lua_getfield(L, -2, "message");
    lua_pushfstring(L, "%s %s: %s", i == 1 ? ";" : ",",
                    lua_isstring(L, -2) ? lua_tostring(L, -2) : "?",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "invalid");
    lua_replace(L, -4);
    lua_pop(L, 2);
    n++;
  }
  lua_remove(L, errs);
  return n;
}

/* __tostring: helpscout: <kind> (<status>) <message>[; path: msg, ...] [<METHOD> <path>]
 * log_ref=<ref>. Pieces are pushed and concatenated once. */
static int l_tostring(lua_State *L) {
  int base;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  base = lua_gettop(L);
  lua_pushliteral(L, "helpscout: ");
  lua_getfield(L, 1, "kind");
  if (!lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "error");
  }
  lua_getfield(L, 1, "status");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    lua_Number s = lua_tonumber(L, -1); /* printed as a number: never cast an unchecked float */
    if (s == (lua_Number)(long)s && s > -1e9 && s < 1e9) lua_pushfstring(L, " (%d)", (int)s);
    else lua_pushfstring(L, " (%f)", s);
  } else lua_pushliteral(L, "");
  lua_remove(L, -2);
  lua_getfield(L, 1, "message");
  if (lua_isstring(L, -1)) lua_pushfstring(L, " %s", lua_tostring(L, -1));
  else lua_pushliteral(L, "");
  lua_remove(L, -2);
  push_field_errors(L);
  push_where(L);
  lua_getfield(L, 1, "log_ref");
  if (lua_isstring(L, -1)) {
    lua_pushfstring(L, " log_ref=%s", lua_tostring(L, -1));
    lua_replace(L, -2);
  } else lua_pop(L, 1);
  lua_concat(L, lua_gettop(L) - base);
  return 1;
}

/* core.error(kind, message, fields?) -> error table. Raises on an unknown kind. Fields are
 * copied (status, retry_after, log_ref, errors, method, url, retryable, and any other key). */
static int l_error(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  const char *msg = luaL_optstring(L, 2, NULL);
  if (hs_kind_retryable(kind) < 0) {
    lua_pushfstring(L, "unknown error kind '%s'", kind);
    return luaL_argerror(L, 1, lua_tostring(L, -1));
  }
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  hs_error_push(L, kind, 0, msg, NULL, NULL, -1);
  if (lua_istable(L, 3)) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "kind") == 0) {
        lua_pop(L, 1);
        continue;
      }
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
  }
  return 1;
}

/* core.is_error(v) -> true when v carries the shared error metatable */
static int l_is_error(lua_State *L) {
  int ok = 0;
  if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, HS_ERROR_MT);
    ok = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, ok);
  return 1;
}

void hs_error_open(lua_State *L) {
  if (luaL_newmetatable(L, HS_ERROR_MT)) {
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, HS_ERROR_MT);
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}

void hs_error_export(lua_State *L) {
  int i;
  lua_pushcfunction(L, l_error);
  lua_setfield(L, -2, "error");
  lua_pushcfunction(L, l_is_error);
  lua_setfield(L, -2, "is_error");
  luaL_getmetatable(L, HS_ERROR_MT);
  lua_setfield(L, -2, "Error");
  lua_createtable(L, 0, NKINDS);
  for (i = 0; i < NKINDS; i++) {
    lua_createtable(L, 0, 2);
    lua_pushboolean(L, kinds[i].retryable);
    lua_setfield(L, -2, "retryable");
    lua_pushstring(L, kinds[i].desc);
    lua_setfield(L, -2, "description");
    lua_setfield(L, -2, kinds[i].name);
  }
  lua_setfield(L, -2, "kinds");
}
