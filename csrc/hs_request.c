/*
 * hs_request.c — engine: argument checking and request building from the tool table.
 *
 * Every check here runs before any request (and before any C resource is taken), and raises a
 * luaL_argerror-style error: programmer errors are not operational failures. Names and types are
 * checked; values (enums, date formats) are left to the API, which answers with kind
 * "validation". Required body fields are checked client-side: a write that cannot succeed is never
 * sent, and it costs nothing against the rate limit.
 */
#include <math.h>
#include <string.h>
#include "hs.h"

long long hs_check_id(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    if (hs_isinteger(L, arg)) {
      long long v = (long long)lua_tointeger(L, arg);
      if (v > 0) return v;
    } else {
      double d = (double)lua_tonumber(L, arg);
      if (d == floor(d) && d >= 1.0 && d < 9.2e18) return (long long)d;
    }
  }
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_pushvalue(L, arg);
    lua_pushfstring(L, "id must be a positive integer, got %s", lua_tostring(L, -1));
  } else {
    lua_pushfstring(L, "id must be a positive integer, got %s", luaL_typename(L, arg));
  }
  luaL_argerror(L, arg, lua_tostring(L, -1));
  return 0;
}

static int is_int(lua_State *L, int idx) {
  double d;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  if (hs_isinteger(L, idx)) return 1;
  d = (double)lua_tonumber(L, idx);
  return d == floor(d) && fabs(d) < 9.2e18;
}

static long long to_int(lua_State *L, int idx) {
  if (hs_isinteger(L, idx)) return (long long)lua_tointeger(L, idx);
  return (long long)lua_tonumber(L, idx);
}

/* 1 when the table at idx is a (possibly empty) array whose items all satisfy want. */
static int is_array_of(lua_State *L, int idx, int want) {
  size_t n = hs_rawlen(L, idx), count = 0;
  idx = hs_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int ok = lua_type(L, -2) == LUA_TNUMBER;
    if (want == LUA_TNUMBER) ok = ok && is_int(L, -1);
    else ok = ok && lua_type(L, -1) == want;
    lua_pop(L, 1);
    if (!ok) {
      lua_pop(L, 1);
      return 0;
    }
    count++;
  }
  return count == n;
}

static const char *expect_name(int type) {
  switch (type) {
  case HS_T_STRING: return "a string";
  case HS_T_DATE: return "a date string (yyyy-MM-ddTHH:mm:ssZ)";
  case HS_T_INTEGER: return "an integer";
  case HS_T_BOOLEAN: return "a boolean";
  case HS_T_INTEGERS: return "an integer, an array of integers or a CSV string";
  case HS_T_OBJECT: return "a table";
  case HS_T_STRINGS: return "an array of strings";
  default: return "an array of tables";
  }
}

static int type_ok(lua_State *L, int idx, const hs_param *p) {
  int t = lua_type(L, idx);
  if ((p->flags & HS_NULLABLE) && hs_is_null(L, idx)) return 1;
  switch (p->type) {
  case HS_T_STRING:
  case HS_T_DATE: return t == LUA_TSTRING;
  case HS_T_INTEGER: return is_int(L, idx);
  case HS_T_BOOLEAN: return t == LUA_TBOOLEAN;
  case HS_T_INTEGERS:
    return is_int(L, idx) || t == LUA_TSTRING || (t == LUA_TTABLE && is_array_of(L, idx, LUA_TNUMBER));
  case HS_T_OBJECT: return t == LUA_TTABLE;
  case HS_T_STRINGS: return t == LUA_TTABLE && is_array_of(L, idx, LUA_TSTRING);
  default: return t == LUA_TTABLE && is_array_of(L, idx, LUA_TTABLE);
  }
}

/* Checks the table at arg against params: known names, right types, required present. */
static void check_table(lua_State *L, int arg, const hs_param *ps, int n, const char *noun,
                        int required) {
  int i;
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    const hs_param *p = NULL;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -2);
      for (i = 0; i < n; i++)
        if (strcmp(ps[i].name, k) == 0) p = &ps[i];
    }
    if (!p) {
      lua_pushvalue(L, -2);
      hs_push_valid_names(L, ps, n);
      lua_pushfstring(L, "unknown %s '%s'; valid: %s", noun,
                      lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : luaL_typename(L, -2),
                      lua_tostring(L, -1));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    if (!type_ok(L, -1, p)) {
      lua_pushfstring(L, "%s '%s' must be %s, got %s", noun, p->name, expect_name(p->type),
                      luaL_typename(L, -1));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  if (!required) return;
  for (i = 0; i < n; i++) {
    if (!(ps[i].flags & HS_REQUIRED)) continue;
    lua_getfield(L, arg, ps[i].name);
    if (lua_isnil(L, -1)) {
      lua_pushfstring(L, "missing required %s '%s'", noun, ps[i].name);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    if (ps[i].type == HS_T_OBJECTS && hs_rawlen(L, -1) == 0) {
      lua_pushfstring(L, "%s '%s' must not be empty", noun, ps[i].name);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

void hs_check_opts(lua_State *L, int arg, const hs_tool *t) {
  if (lua_isnoneornil(L, arg)) return;
  luaL_checktype(L, arg, LUA_TTABLE);
  check_table(L, arg, t->params, t->nparams, "option", 0);
}

static void add_query_value(lua_State *L, hs_buf *url, int idx, const hs_param *p) {
  size_t n;
  const char *s;
  if (p->type == HS_T_INTEGER || (p->type == HS_T_INTEGERS && lua_type(L, idx) == LUA_TNUMBER)) {
    hs_baddint(L, url, to_int(L, idx));
  } else if (p->type == HS_T_BOOLEAN) {
    hs_badds(L, url, lua_toboolean(L, idx) ? "true" : "false");
  } else if (p->type == HS_T_INTEGERS && lua_type(L, idx) == LUA_TTABLE) {
    size_t i, len = hs_rawlen(L, idx);
    for (i = 1; i <= len; i++) {
      if (i > 1) hs_badds(L, url, "%2C");
      lua_rawgeti(L, idx, (int)i);
      hs_baddint(L, url, to_int(L, -1));
      lua_pop(L, 1);
    }
  } else {
    s = lua_tolstring(L, idx, &n);
    hs_baddurlenc(L, url, s, n);
  }
}

/* Builds base + path (+ "?query") into url. opts is a stack index or 0; page_override > 0 replaces
 * the page option. The id is printed as an integer, never concatenated from a decoded number. */
void hs_build_url(lua_State *L, hs_buf *url, const char *base, const hs_tool *t, long long id,
                  int opts, long long page_override) {
  const char *p = t->path, *brace;
  int i, first = 1;
  hs_buf_reset(url);
  hs_badds(L, url, base);
  while ((brace = strchr(p, '{')) != NULL) {
    hs_badd(L, url, p, (size_t)(brace - p));
    hs_baddint(L, url, id);
    p = strchr(brace, '}') + 1;
  }
  hs_badds(L, url, p);
  if (opts && lua_isnoneornil(L, opts)) opts = 0;
  for (i = 0; i < t->nparams; i++) {
    const hs_param *prm = &t->params[i];
    int have = 0;
    if (strcmp(prm->name, "page") == 0 && page_override > 0) {
      hs_baddc(L, url, first ? '?' : '&');
      hs_badds(L, url, "page=");
      hs_baddint(L, url, page_override);
      first = 0;
      continue;
    }
    if (opts) {
      lua_getfield(L, opts, prm->name);
      have = !lua_isnil(L, -1);
    }
    if (!have && t->default_embed && strcmp(prm->name, "embed") == 0) {
      if (opts) lua_pop(L, 1);
      lua_pushstring(L, t->default_embed);
      have = 1;
    }
    if (have && !(lua_type(L, -1) == LUA_TSTRING && hs_rawlen(L, -1) == 0)) {
      hs_baddc(L, url, first ? '?' : '&');
      hs_badds(L, url, prm->name);
      hs_baddc(L, url, '=');
      add_query_value(L, url, lua_gettop(L), prm);
      first = 0;
    }
    if (opts || have) lua_pop(L, 1);
  }
}

void hs_build_body(lua_State *L, hs_buf *out, const hs_tool *t, int arg) {
  hs_buf_reset(out);
  switch (t->body) {
  case HS_BODY_NOTE:
    if (lua_type(L, arg) == LUA_TSTRING) {
      hs_badds(L, out, "{\"text\":");
      hs_json_encode(L, out, arg, "text", arg);
      hs_baddc(L, out, '}');
      return;
    }
    if (lua_type(L, arg) != LUA_TTABLE) {
      lua_pushfstring(L, "note must be a string or a table, got %s", luaL_typename(L, arg));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    check_table(L, arg, t->params, t->nparams, "field", 1);
    hs_json_encode(L, out, arg, NULL, arg);
    return;
  case HS_BODY_TAGS:
    if (lua_type(L, arg) != LUA_TTABLE || !is_array_of(L, arg, LUA_TSTRING)) {
      lua_pushfstring(L, "tags must be an array of strings, got %s",
                      lua_type(L, arg) == LUA_TTABLE ? "another table" : luaL_typename(L, arg));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    hs_badds(L, out, "{\"tags\":");
    hs_json_encode(L, out, arg, "tags", arg);
    hs_baddc(L, out, '}');
    return;
  case HS_BODY_OBJECT:
    luaL_checktype(L, arg, LUA_TTABLE);
    check_table(L, arg, t->params, t->nparams, "field", 1);
    hs_json_encode(L, out, arg, NULL, arg);
    return;
  default: return;
  }
}

void hs_req_init(hs_req *q, const hs_tool *t) {
  q->method = t->method;
  q->write = t->write;
  q->idempotent = strcmp(t->method, "POST") != 0;
  q->token = 0;
  q->ctype = t->body != HS_BODY_NONE ? "application/json; charset=UTF-8" : NULL;
  hs_buf_reset(&q->body);
}
