/*
 * hs_opts.c — the one checker for option tables and body fields. Client options, exchange_code,
 * fetch_all's options, tool parameters and nested body fields are all hs_field arrays, checked
 * here and nowhere else; core.check_options lends the same checker to the Lua layer.
 *
 * Programmer errors raise with luaL_argerror text that names the bad key and, for unknown keys,
 * the valid ones: "bad argument #2 to 'list_conversations' (unknown option 'statuss'; valid: ...)".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "hs.h"

int hs_is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

int hs_is_int(lua_State *L, int idx) {
  double d;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  if (hs_isinteger(L, idx)) return 1;
  d = (double)lua_tonumber(L, idx);
  return d == floor(d) && fabs(d) < 9.2e18;
}

long long hs_to_int(lua_State *L, int idx) {
  if (hs_isinteger(L, idx)) return (long long)lua_tointeger(L, idx);
  return (long long)lua_tonumber(L, idx); /* integral and in range: checked by hs_is_int */
}

void hs_push_names(lua_State *L, const hs_field *fs, int n) {
  int i, top = lua_gettop(L);
  lua_pushliteral(L, "");
  for (i = 0; i < n; i++) {
    if (i) lua_pushliteral(L, ", ");
    lua_pushstring(L, fs[i].name);
  }
  lua_concat(L, lua_gettop(L) - top);
}

static const char *expect_name(const hs_field *f) {
  switch (f->type) {
  case HS_T_STRING:
    if (f->flags & HS_DATE) return "a date string (yyyy-MM-ddTHH:mm:ssZ)";
    return f->flags & HS_NONEMPTY ? "a non-empty string" : "a string";
  case HS_T_INTEGER: return "an integer";
  case HS_T_NUMBER: return "a number";
  case HS_T_BOOLEAN: return "a boolean";
  case HS_T_FUNCTION: return "a function";
  case HS_T_OBJECT: return "a table";
  case HS_T_ARRAY:
    if (f->flags & HS_CSV) return "an integer, an array of integers or a CSV string";
    if (f->items && f->items->type == HS_T_STRING) return "an array of strings";
    if (f->items && f->items->type == HS_T_INTEGER) return "an array of integers";
    return "an array of tables";
  default: return "a value";
  }
}

/* 1 when the table at idx has exactly the keys 1..#t (an empty table is an array). */
static int is_array(lua_State *L, int idx) {
  size_t n = hs_rawlen(L, idx), count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return 0;
    }
    count++;
  }
  return count == n;
}

static int shallow_ok(lua_State *L, int idx, const hs_field *f) {
  int t = lua_type(L, idx);
  if ((f->flags & HS_NULLABLE) && hs_is_null(L, idx)) return 1;
  switch (f->type) {
  case HS_T_STRING: return t == LUA_TSTRING && !((f->flags & HS_NONEMPTY) && hs_rawlen(L, idx) == 0);
  case HS_T_INTEGER: return hs_is_int(L, idx);
  case HS_T_NUMBER: return t == LUA_TNUMBER;
  case HS_T_BOOLEAN: return t == LUA_TBOOLEAN;
  case HS_T_FUNCTION: return t == LUA_TFUNCTION;
  case HS_T_OBJECT: return t == LUA_TTABLE;
  case HS_T_ARRAY:
    if ((f->flags & HS_CSV) && (t == LUA_TSTRING || hs_is_int(L, idx))) return 1;
    return t == LUA_TTABLE && is_array(L, idx);
  default: return t != LUA_TNIL;
  }
}

/* 1 when the value at idx fits f, items of arrays included (no raise; nested objects unchecked) */
int hs_value_ok(lua_State *L, int idx, const hs_field *f) {
  size_t i, n;
  idx = hs_absindex(L, idx);
  if (!shallow_ok(L, idx, f)) return 0;
  if (f->type != HS_T_ARRAY || !f->items || lua_type(L, idx) != LUA_TTABLE) return 1;
  n = hs_rawlen(L, idx);
  for (i = 1; i <= n; i++) {
    int ok;
    lua_rawgeti(L, idx, (int)i);
    ok = shallow_ok(L, -1, f->items);
    lua_pop(L, 1);
    if (!ok) return 0;
  }
  return 1;
}

static void range_check(lua_State *L, int arg, int idx, const hs_field *f, const char *noun) {
  double d;
  if (!(f->min < f->max) || lua_type(L, idx) != LUA_TNUMBER) return;
  d = (double)lua_tonumber(L, idx);
  if (d >= f->min && d <= f->max) return;
  { /* %.15g: the same text under every Lua (lua_pushfstring's %f is not) */
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.15g", f->min);
    snprintf(hi, sizeof hi, "%.15g", f->max);
    lua_pushfstring(L, "%s '%s' is out of range [%s, %s]", noun, f->name, lo, hi);
  }
  hs_argerror(L, arg, lua_tostring(L, -1));
}

/* Checks the value at idx against f (recursively for arrays and objects); raises at arg. */
void hs_check_value(lua_State *L, int arg, int idx, const hs_field *f, const char *noun) {
  idx = hs_absindex(L, idx);
  if (!shallow_ok(L, idx, f)) {
    const char *got = idx == arg ? hs_argtypename(L, idx) : luaL_typename(L, idx);
    lua_pushfstring(L, "%s '%s' must be %s, got %s", noun, f->name ? f->name : "item",
                    expect_name(f), lua_type(L, idx) == LUA_TSTRING && hs_rawlen(L, idx) == 0
                                         ? "an empty string" : got);
    hs_argerror(L, arg, lua_tostring(L, -1));
  }
  range_check(L, arg, idx, f, noun);
  if (lua_type(L, idx) != LUA_TTABLE) return;
  if (f->type == HS_T_OBJECT && f->fields) {
    /* nested members are checked like top-level ones, under the field's own noun */
    if (!(f->flags & HS_OPEN)) hs_check_fields(L, idx, f->fields, f->nfields, "field", 1);
  } else if (f->type == HS_T_ARRAY) {
    size_t i, n = hs_rawlen(L, idx);
    if ((f->flags & HS_NONEMPTY) && n == 0) {
      lua_pushfstring(L, "%s '%s' must not be empty", noun, f->name);
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    if (!hs_value_ok(L, idx, f)) {
      lua_pushfstring(L, "%s '%s' must be %s", noun, f->name, expect_name(f));
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    for (i = 1; f->items && f->items->type == HS_T_OBJECT && f->items->fields &&
                !(f->items->flags & HS_OPEN) && i <= n; i++) {
      lua_rawgeti(L, idx, (int)i);
      hs_check_fields(L, lua_gettop(L), f->items->fields, f->items->nfields, "field", 1);
      lua_pop(L, 1);
    }
  }
}

static const hs_field *find(const hs_field *fs, int n, const char *k) {
  int i;
  for (i = 0; i < n; i++)
    if (strcmp(fs[i].name, k) == 0) return &fs[i];
  return NULL;
}

void hs_check_fields(lua_State *L, int arg, const hs_field *fs, int n, const char *noun,
                     int required) {
  int i;
  arg = hs_absindex(L, arg);
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    const hs_field *f = lua_type(L, -2) == LUA_TSTRING ? find(fs, n, lua_tostring(L, -2)) : NULL;
    if (!f) {
      hs_push_names(L, fs, n);
      lua_pushfstring(L, "unknown %s '%s'; valid: %s", noun,
                      lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : luaL_typename(L, -3),
                      lua_tostring(L, -1));
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    hs_check_value(L, arg, -1, f, noun);
    lua_pop(L, 1);
  }
  for (i = 0; required && i < n; i++) {
    if (!(fs[i].flags & HS_REQUIRED)) continue;
    lua_getfield(L, arg, fs[i].name);
    if (lua_isnil(L, -1)) {
      lua_pushfstring(L, "missing required %s '%s'", noun, fs[i].name);
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* Reads a checked option: NULL when absent. The string stays referenced by the options table. */
const char *hs_opt_string(lua_State *L, int opts, const char *key) {
  const char *s;
  lua_getfield(L, opts, key);
  s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return s;
}

double hs_opt_number(lua_State *L, int opts, const char *key, double def) {
  double d = def;
  lua_getfield(L, opts, key);
  if (lua_type(L, -1) == LUA_TNUMBER) d = (double)lua_tonumber(L, -1);
  else if (lua_type(L, -1) == LUA_TBOOLEAN) d = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return d;
}

static int type_code(lua_State *L, const char *name) {
  static const char *const names[] = {"string", "integer", "number", "boolean", "table",
                                      "array", "function", "any", NULL};
  static const int codes[] = {HS_T_STRING, HS_T_INTEGER, HS_T_NUMBER, HS_T_BOOLEAN, HS_T_OBJECT,
                              HS_T_ARRAY, HS_T_FUNCTION, HS_T_ANY};
  int i;
  for (i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0) return codes[i];
  return luaL_error(L, "check_options: unknown type '%s'", name);
}

/* The check itself: (spec, opts) -> a copy of opts, raising at argument #2. */
static int check_options(lua_State *L) {
  int n = 0, i = 0;
  hs_field *fs;
  hs_checktype(L, 2, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) n++, lua_pop(L, 1);
  fs = lua_newuserdata(L, sizeof(hs_field) * (size_t)(n ? n : 1));
  memset(fs, 0, sizeof(hs_field) * (size_t)(n ? n : 1));
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    int e = lua_gettop(L);
    const char *ty = "any";
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TTABLE)
      return luaL_error(L, "check_options: spec entries are name = {type = ...}");
    fs[i].name = lua_tostring(L, -2);
    lua_getfield(L, e, "type");
    if (lua_isstring(L, -1)) ty = lua_tostring(L, -1);
    fs[i].type = type_code(L, ty);
    lua_pop(L, 1);
    /* a bound alone is a half-open range (range_check applies when min < max) */
    fs[i].min = hs_opt_number(L, e, "min", -HUGE_VAL);
    fs[i].max = hs_opt_number(L, e, "max", HUGE_VAL);
    if (fs[i].min == -HUGE_VAL && fs[i].max == HUGE_VAL) fs[i].min = fs[i].max = 0;
    if (hs_opt_number(L, e, "nonempty", 0)) fs[i].flags |= HS_NONEMPTY;
    if (hs_opt_number(L, e, "required", 0)) fs[i].flags |= HS_REQUIRED;
    i++;
    lua_pop(L, 1);
  }
  hs_check_fields(L, 2, fs, n, "option", 1);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  return 1;
}

/* core.check_options(spec, opts?, fname?) -> a copy of opts. spec = {name = {type =, min =,
 * max =, nonempty =, required =}} with types string, integer, number, boolean, table, array,
 * function, any. With fname, raises "bad argument #1 to 'fname' (unknown option 'x'; valid: ...)"
 * at the caller of the function that asked (level 3), so the message points at the user's line:
 * the checker is told the name and the argument (hs_named_call); nothing is rewritten. */
int hs_l_check_options(lua_State *L) {
  const char *fname = luaL_optstring(L, 3, NULL);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 3);
  if (lua_isnil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  lua_pushcfunction(L, check_options);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  if (!fname) {
    lua_call(L, 2, 1);
    return 1;
  }
  /* seen from check_options: 1 is this function, 2 its caller, 3 that one's caller, 4 the user */
  return hs_named_call(L, fname, 1, 4, 2, 1);
}
