/*
 * hs_json.c — the JSON encoder (request bodies and core.json_encode) and the Lua-visible JSON
 * functions; the decoder is hs_decode.c.
 *
 * Encoder: driven by the value and a few schema facts rather than by guesswork — a table with
 * the array metatable (core.array, what the decoder gives every array) is always an array, so
 * decoded [] re-encodes as []; in request bodies, fields the tool table marks as arrays
 * (hs_array_key: tags, cc, ...) always encode as arrays too, so an empty Lua table becomes [];
 * integers are printed as integers (never %.14g); strings must be valid UTF-8 and are escaped,
 * so the output is always valid JSON or the call raises.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hs.h"

#define HS_JSONBUF_MT "helpscout.JsonBuffer"

/* ---- encoder ---- */

/* Which keys are arrays on the wire comes from the tool table (hs_array_key). */
static int is_array_key(const char *key) { return hs_array_key(key); }

static void enc_string(lua_State *L, hs_buf *out, const char *s, size_t n, const char *key,
                       int arg) {
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  hs_baddc(L, out, '"');
  while (i < n) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x80) {
      size_t k = hs_utf8_len((const unsigned char *)s + i, n - i);
      if (!k) {
        lua_pushfstring(L, "field '%s' is not valid UTF-8", key ? key : "?");
        hs_argerror(L, arg, lua_tostring(L, -1));
      }
      hs_badd(L, out, s + i, k);
      i += k;
      continue;
    }
    switch (ch) {
    case '"': hs_badd(L, out, "\\\"", 2); break;
    case '\\': hs_badd(L, out, "\\\\", 2); break;
    case '\n': hs_badd(L, out, "\\n", 2); break;
    case '\r': hs_badd(L, out, "\\r", 2); break;
    case '\t': hs_badd(L, out, "\\t", 2); break;
    case '\b': hs_badd(L, out, "\\b", 2); break;
    case '\f': hs_badd(L, out, "\\f", 2); break;
    default:
      if (ch < 0x20) {
        char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        hs_badd(L, out, e, 6);
      } else {
        hs_baddc(L, out, (char)ch);
      }
    }
    i++;
  }
  hs_baddc(L, out, '"');
}

/* The shortest of %.15g..%.17g that reads back as d, with '.' whatever the locale says. */
static int shortest(char *tmp, size_t cap, double d) {
  int prec, n = 0, i;
  for (prec = 15; prec <= 17; prec++) {
    n = snprintf(tmp, cap, "%.*g", prec, d);
    if (strtod(tmp, NULL) == d) break;
  }
  for (i = 0; i < n; i++)
    if (tmp[i] == ',') tmp[i] = '.';
  return n;
}

static void enc_number(lua_State *L, hs_buf *out, int idx, const char *key, int arg) {
  char tmp[64];
  int n;
  if (hs_isinteger(L, idx)) {
    n = snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, idx));
  } else {
    double d = (double)lua_tonumber(L, idx);
    if (!isfinite(d)) {
      lua_pushfstring(L, "field '%s' is not a finite number", key ? key : "?");
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    if (d == floor(d) && fabs(d) < 9.2e18) n = snprintf(tmp, sizeof tmp, "%lld", (long long)d);
    else n = shortest(tmp, sizeof tmp, d);
  }
  hs_badd(L, out, tmp, (size_t)n);
}

/* Counts the table's keys; *arr = 1 when they are exactly 1..n. Raises on mixed keys. */
static size_t table_shape(lua_State *L, int idx, int *arr, const char *key, int arg) {
  size_t count = 0, len = hs_rawlen(L, idx);
  int strs = 0, nums = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    if (lua_type(L, -2) == LUA_TSTRING) strs = 1;
    else if (lua_type(L, -2) == LUA_TNUMBER) nums = 1;
    else {
      lua_pushfstring(L, "field '%s' has a %s key", key ? key : "?", luaL_typename(L, -2));
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  if (nums && (strs || count != len)) {
    lua_pushfstring(L, "field '%s' mixes array and object keys (or has holes)", key ? key : "?");
    hs_argerror(L, arg, lua_tostring(L, -1));
  }
  *arr = nums;
  return count;
}

/* Encodes the value at idx; `key` is the field name it sits under (NULL at the top). With bykey,
 * the request-body rule applies too (array_keys are arrays). Raises an argument error for
 * argument `arg` on anything JSON cannot carry. */
static void enc_value(lua_State *L, hs_buf *out, int idx, const char *key, int depth, int arg,
                      int bykey) {
  idx = hs_absindex(L, idx);
  if (depth > HS_JSON_MAX_DEPTH) {
    lua_pushfstring(L, "field '%s' is nested too deeply (cycle?)", key ? key : "?");
    hs_argerror(L, arg, lua_tostring(L, -1));
  }
  luaL_checkstack(L, 6, "helpscout: JSON too deep");
  switch (lua_type(L, idx)) {
  case LUA_TNIL: hs_badds(L, out, "null"); return;
  case LUA_TBOOLEAN: hs_badds(L, out, lua_toboolean(L, idx) ? "true" : "false"); return;
  case LUA_TNUMBER: enc_number(L, out, idx, key, arg); return;
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    enc_string(L, out, s, n, key, arg);
    return;
  }
  case LUA_TLIGHTUSERDATA:
    if (hs_is_null(L, idx)) {
      hs_badds(L, out, "null");
      return;
    }
    break;
  case LUA_TTABLE: {
    int arr, tagged = hs_json_is_array(L, idx) || (bykey && is_array_key(key));
    size_t n = table_shape(L, idx, &arr, key, arg), i;
    if (tagged && n > 0 && !arr) {
      lua_pushfstring(L, "field '%s' must be an array", key ? key : "?");
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    if (arr || (n == 0 && tagged)) {
      hs_baddc(L, out, '[');
      for (i = 1; i <= n; i++) {
        if (i > 1) hs_baddc(L, out, ',');
        lua_rawgeti(L, idx, (int)i);
        enc_value(L, out, -1, NULL, depth + 1, arg, bykey); /* items are not the array field itself */
        lua_pop(L, 1);
      }
      hs_baddc(L, out, ']');
      return;
    }
    hs_baddc(L, out, '{');
    i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      size_t kn;
      const char *k = lua_tolstring(L, -2, &kn); /* keys are strings (table_shape) */
      if (i++) hs_baddc(L, out, ',');
      enc_string(L, out, k, kn, k, arg);
      hs_baddc(L, out, ':');
      enc_value(L, out, -1, k, depth + 1, arg, bykey);
      lua_pop(L, 1);
    }
    hs_baddc(L, out, '}');
    return;
  }
  default: break;
  }
  lua_pushfstring(L, "field '%s' cannot be sent as JSON (%s)", key ? key : "?",
                  luaL_typename(L, idx));
  hs_argerror(L, arg, lua_tostring(L, -1));
}

/* Encodes the value at idx; `arg` is the argument number blamed in error messages. */
void hs_json_encode(lua_State *L, hs_buf *out, int idx, const char *key, int arg) {
  enc_value(L, out, idx, key, 0, arg, 1);
}

/* ---- Lua-visible ---- */

static int jsonbuf_gc(lua_State *L) {
  hs_buf_free(lua_touserdata(L, 1));
  return 0;
}

/* core.json_encode(v) -> JSON text. Raises on what JSON cannot carry (functions, NaN, mixed
 * or holey tables, invalid UTF-8, nesting beyond HS_JSON_MAX_DEPTH or a cycle). The buffer is a
 * userdata, so raising leaks nothing. */
static int l_json_encode(lua_State *L) {
  hs_buf *b;
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  b = lua_newuserdata(L, sizeof *b);
  memset(b, 0, sizeof *b);
  luaL_getmetatable(L, HS_JSONBUF_MT);
  lua_setmetatable(L, 2);
  enc_value(L, b, 1, NULL, 0, 1, 0); /* no key rule: only core.array makes an array */
  lua_pushlstring(L, b->p ? b->p : "", b->n);
  hs_buf_free(b);
  return 1;
}

/* core.json_decode(s [, fields [, embedded]]) -> value | nil, message. Raises only on bad
 * arguments (s not a string, fields not an array of dotted paths); see hs.h for projection. */
static int l_json_decode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *embedded = luaL_optstring(L, 3, NULL);
  int ok;
  if (lua_isnoneornil(L, 2)) ok = hs_json_decode(L, s, n);
  else {
    hs_proj pj;
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!hs_proj_compile(L, 2, embedded, &pj)) return hs_argerror(L, 2, lua_tostring(L, -1));
    ok = hs_json_decode_proj(L, s, n, &pj);
  }
  if (ok) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

void hs_json_open(lua_State *L) {
  if (luaL_newmetatable(L, HS_JSONBUF_MT)) {
    lua_pushcfunction(L, jsonbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, HS_ARRAY_MT);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, HS_ARRAY_MT);
  }
  lua_setfield(L, -2, "array");
  lua_pushcfunction(L, l_json_decode);
  lua_setfield(L, -2, "json_decode");
  lua_pushcfunction(L, l_json_encode);
  lua_setfield(L, -2, "json_encode");
}
