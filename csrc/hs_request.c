/*
 * hs_request.c — engine: argument checking and request building from the tool table.
 *
 * Every check here runs before any request (and before any C resource is taken), and raises a
 * luaL_argerror-style error: programmer errors are not operational failures. Names, types,
 * array-ness and required-ness come from the table (hs_opts.c checks them); values (enums, date
 * formats) are left to the API, which answers with kind "validation". A write that cannot succeed
 * is never sent, and costs nothing against the rate limit.
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
    lua_pushvalue(L, arg);
    lua_pushfstring(L, "id must be a positive integer, got %s", lua_tostring(L, -1));
  } else {
    lua_pushfstring(L, "id must be a positive integer, got %s", hs_argtypename(L, arg));
  }
  hs_argerror(L, arg, lua_tostring(L, -1));
  return 0;
}

void hs_check_opts(lua_State *L, int arg, const hs_tool *t) {
  if (lua_isnoneornil(L, arg)) return;
  hs_checktype(L, arg, LUA_TTABLE);
  hs_check_fields(L, arg, t->params, t->nparams, "option", 0);
}

static void add_query_value(lua_State *L, hs_buf *url, int idx, const hs_field *p) {
  size_t n;
  const char *s;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    hs_baddint(L, url, hs_to_int(L, idx));
  } else if (lua_type(L, idx) == LUA_TBOOLEAN) {
    hs_badds(L, url, lua_toboolean(L, idx) ? "true" : "false");
  } else if (lua_type(L, idx) == LUA_TTABLE) { /* an array of integers, sent as CSV */
    size_t i, len = hs_rawlen(L, idx);
    for (i = 1; i <= len; i++) {
      if (i > 1) hs_badds(L, url, "%2C");
      lua_rawgeti(L, idx, (int)i);
      hs_baddint(L, url, hs_to_int(L, -1));
      lua_pop(L, 1);
    }
  } else {
    s = lua_tolstring(L, idx, &n);
    hs_baddurlenc(L, url, s, n);
  }
  (void)p;
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
    const hs_field *prm = &t->params[i];
    int page = strcmp(prm->name, "page") == 0;
    if (page && page_override > 0) lua_pushinteger(L, (lua_Integer)page_override);
    else if (opts) lua_getfield(L, opts, prm->name);
    else lua_pushnil(L);
    if (lua_isnil(L, -1) && t->default_embed && strcmp(prm->name, "embed") == 0) {
      lua_pop(L, 1);
      lua_pushstring(L, t->default_embed);
    }
    /* an empty string leaves the parameter out (embed = "" drops the default) */
    if (!lua_isnil(L, -1) && !(lua_type(L, -1) == LUA_TSTRING && hs_rawlen(L, -1) == 0)) {
      hs_baddc(L, url, first ? '?' : '&');
      hs_badds(L, url, prm->name);
      hs_baddc(L, url, '=');
      add_query_value(L, url, lua_gettop(L), prm);
      first = 0;
    }
    lua_pop(L, 1);
  }
}

/* {"key":<the value at arg>} */
static void encode_wrapped(lua_State *L, hs_buf *out, const char *key, int arg) {
  hs_badds(L, out, "{\"");
  hs_badds(L, out, key);
  hs_badds(L, out, "\":");
  hs_json_encode(L, out, arg, key, arg);
  hs_baddc(L, out, '}');
}

void hs_build_body(lua_State *L, hs_buf *out, const hs_tool *t, int arg) {
  const hs_field *b = t->body;
  hs_buf_reset(out);
  if (!b) return;
  if (t->shorthand && lua_type(L, arg) == LUA_TSTRING) {
    encode_wrapped(L, out, t->shorthand, arg);
    return;
  }
  if (lua_type(L, arg) != LUA_TTABLE) {
    lua_pushfstring(L, "%s must be %s, got %s", b->name,
                    t->shorthand ? "a string or a table" : b->type == HS_T_ARRAY
                    ? "an array of strings" : "a table", hs_argtypename(L, arg));
    hs_argerror(L, arg, lua_tostring(L, -1));
  }
  if (b->type == HS_T_ARRAY) {
    if (!hs_value_ok(L, arg, b)) {
      lua_pushfstring(L, "%s must be an array of strings, got another table", b->name);
      hs_argerror(L, arg, lua_tostring(L, -1));
    }
  } else {
    hs_check_fields(L, arg, b->fields, b->nfields, "field", 1);
  }
  if (t->wrap) encode_wrapped(L, out, t->wrap, arg);
  else hs_json_encode(L, out, arg, NULL, arg);
}

void hs_req_init(hs_req *q, const hs_tool *t) {
  q->method = t->method;
  q->write = t->write;
  q->idempotent = strcmp(t->method, "POST") != 0;
  q->grant = 0;
  q->ctype = t->body ? "application/json; charset=UTF-8" : NULL;
  q->proj = NULL;
  hs_buf_reset(&q->body);
}

void hs_req_free(hs_req *q) {
  hs_buf_free(&q->url);
  hs_buf_wipe(&q->body); /* token bodies carry secrets */
}

/* Arguments first.. of tool t: [id,] body | opts. Checked, then built into q. */
void hs_build_call(lua_State *L, hs_req *q, const char *base_url, const hs_tool *t, int first) {
  int arg = first, opts = 0, body = 0;
  long long id = 0;
  if (t->id) id = hs_check_id(L, arg++);
  if (t->body) body = arg;
  else {
    opts = arg;
    hs_check_opts(L, opts, t);
  }
  hs_req_init(q, t);
  if (body) hs_build_body(L, &q->body, t, body);
  hs_build_url(L, &q->url, base_url, t, id, opts, 0);
}

static const hs_field f_path = {.type = HS_T_STRING, .flags = HS_NONEMPTY};
static const hs_field call_fields[] = {
  {.name = "fields", .type = HS_T_ARRAY, .items = &f_path,
   .desc = "decode only these fields: {\"id\", \"subject\", \"customer.email\", ...}"},
};

int hs_call_options(lua_State *L, int arg, const hs_tool *t, struct hs_proj *p,
                    const hs_field *extra, int nextra) {
  hs_field all[8];
  int n = 0, i;
  if (lua_isnoneornil(L, arg)) return 0;
  hs_checktype(L, arg, LUA_TTABLE);
  all[n++] = call_fields[0];
  for (i = 0; i < nextra && n < 8; i++) all[n++] = extra[i];
  hs_check_fields(L, arg, all, n, "option", 0);
  lua_getfield(L, arg, "fields");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (t->result != HS_RES_PAGE && t->result != HS_RES_OBJECT)
    hs_argerror(L, arg, "option 'fields' applies to read tools only");
  if (!hs_proj_compile(L, lua_gettop(L), t->embedded, p)) hs_argerror(L, arg, lua_tostring(L, -1));
  lua_pop(L, 1);
  return 1;
}
