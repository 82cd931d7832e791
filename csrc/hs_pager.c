/*
 * hs_pager.c — engine: the paging rules, for every driver. A walk follows the API's
 * _links.next.href only on the API's own origin (absolute, or a path relative to it), never to a
 * page already read, and reads at most totalPages (of the first page) + HS_WALK_MARGIN pages, or
 * HS_WALK_CAP when the API gives no totalPages; ids already yielded are skipped; a malformed page
 * is a protocol error. A parallel walk (fetch_all) asks for pages by number up to the first
 * page's totalPages (a claim, clamped), at most `window` pages ahead of the join, and ends at the
 * first empty page: memory and requests follow the data, not the claim. Items are joined in page
 * order.
 *
 * State: the hs_pager struct, plus Lua tables in the userdata's user value (ids seen, URLs
 * visited, pages held until they can be joined). No I/O: drivers ask for requests and hand back
 * answers.
 */
#include <string.h>
#include "hs.h"

enum { UV_ENGINE = 1, UV_OPTS, UV_SEEN, UV_VISITED, UV_HELD };

hs_pager *hs_pager_check(lua_State *L, int idx) { return luaL_checkudata(L, idx, HS_PAGER_MT); }

static void uv_get(lua_State *L, int p, int which) {
  hs_getuservalue(L, p);
  lua_rawgeti(L, -1, which);
  lua_remove(L, -2);
}

/* Pushes a pager for list tool t with the options at opts (checked; raises). */
hs_pager *hs_pager_new(lua_State *L, int eng, const hs_tool *t, int opts, int call_opts,
                       const hs_field *extra, int nextra) {
  hs_engine *e = hs_engine_check(L, eng);
  hs_pager *pg;
  int i;
  eng = hs_absindex(L, eng);
  opts = hs_absindex(L, opts);
  call_opts = hs_absindex(L, call_opts);
  hs_check_opts(L, opts, t);
  pg = hs_new_object(L, sizeof *pg, HS_PAGER_MT);
  if (hs_call_options(L, call_opts, t, &pg->projbuf, extra, nextra)) pg->proj = &pg->projbuf;
  lua_createtable(L, 5, 0);
  lua_pushvalue(L, eng);
  lua_rawseti(L, -2, UV_ENGINE);
  lua_newtable(L); /* a copy: the caller may change its table while the walk runs */
  if (lua_istable(L, opts)) {
    lua_pushnil(L);
    while (lua_next(L, opts)) lua_pushvalue(L, -2), lua_insert(L, -2), lua_rawset(L, -4);
  }
  lua_rawseti(L, -2, UV_OPTS);
  for (i = UV_SEEN; i <= UV_HELD; i++) lua_newtable(L), lua_rawseti(L, -2, i);
  hs_setuservalue(L, -2);
  pg->tool = t;
  pg->first = 1;
  if (lua_istable(L, opts)) {
    lua_getfield(L, opts, "page");
    if (hs_is_int(L, -1)) pg->first = hs_to_int(L, -1) < 1 ? 1 : hs_to_int(L, -1);
    if (pg->first > HS_MAX_PAGE) pg->first = HS_MAX_PAGE;
    lua_pop(L, 1);
  }
  pg->bound = HS_WALK_CAP;
  hs_build_url(L, &pg->next, e->base_url, t, 0, opts, 0);
  return pg;
}

static int pager_gc(lua_State *L) {
  hs_buf_free(&hs_pager_check(L, 1)->next);
  return 0;
}

/* 1 when the URL at the top is in the set `visited` (marks it otherwise). */
static int revisits(lua_State *L, int visited) {
  int seen;
  lua_pushvalue(L, -1);
  lua_rawget(L, visited);
  seen = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (seen) return 1;
  lua_pushvalue(L, -1);
  lua_pushboolean(L, 1);
  lua_rawset(L, visited);
  return 0;
}

static int walk_error(lua_State *L, const hs_req *q, const char *msg) {
  hs_push_req_error(L, "protocol", 0, msg, q, 0);
  return 0;
}

int hs_pager_next_req(lua_State *L, int p, hs_req *q) {
  hs_pager *pg = hs_pager_check(L, p);
  if (pg->next.n == 0) return 0;
  if (pg->read >= pg->bound) {
    hs_buf_reset(&pg->next);
    return walk_error(L, q, "the walk goes on beyond the page count the API gave (or the cap)") - 1;
  }
  hs_req_init(q, pg->tool);
  q->proj = pg->proj;
  hs_buf_reset(&q->url);
  hs_badd(L, &q->url, pg->next.p, pg->next.n);
  uv_get(L, p, UV_VISITED);
  lua_pushlstring(L, pg->next.p, pg->next.n);
  revisits(L, lua_gettop(L) - 1);
  lua_pop(L, 2);
  hs_buf_reset(&pg->next); /* an error ends the walk */
  pg->read++;
  return 1;
}

/* 1 when the item at the top is a table whose id is already in `seen` (adds it otherwise) */
static int seen_before(lua_State *L, int seen) {
  int dup;
  if (lua_type(L, -1) != LUA_TTABLE) return 0;
  lua_getfield(L, -1, "id");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushvalue(L, -1);
  lua_rawget(L, seen);
  dup = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (dup) {
    lua_pop(L, 1);
    return 1;
  }
  lua_pushboolean(L, 1);
  lua_rawset(L, seen);
  return 0;
}

/* Appends to the array `out` the items of the array `items` not seen before. */
static void dedupe_into(lua_State *L, int items, int seen, int out) {
  size_t i, n = hs_rawlen(L, items), k = hs_rawlen(L, out);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, items, (int)i);
    if (seen_before(L, seen)) lua_pop(L, 1);
    else lua_rawseti(L, out, (int)++k);
  }
}

/* The next href at the top becomes an absolute URL on the API origin (or nil); 0 when it leads
 * elsewhere (the href is left for the message). */
static int on_origin(lua_State *L, const hs_engine *e) {
  size_t olen = strlen(e->origin), n;
  const char *href;
  if (lua_isnil(L, -1)) return 1;
  href = lua_tolstring(L, -1, &n);
  if (href[0] == '/' && href[1] != '/') {
    lua_pushstring(L, e->origin);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return 1;
  }
  return n > olen && strncmp(href, e->origin, olen) == 0 && href[olen] == '/';
}


static long long total_pages(lua_State *L, int page) {
  double d;
  lua_getfield(L, page, "totalPages");
  d = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : -1;
  lua_pop(L, 1);
  if (!(d >= 0)) return -1; /* absent, or NaN */
  return d > (double)HS_MAX_PAGE ? HS_MAX_PAGE : (long long)d;
}

int hs_pager_accept(lua_State *L, int p, const hs_engine *e, const hs_req *q, const hs_resp *r) {
  hs_pager *pg = hs_pager_check(L, p);
  int top = lua_gettop(L), items, page;
  long long total;
  if (!hs_interpret_page(L, pg->tool, q, r)) {
    hs_error_redact_engine(L, -1, e, q); /* a server may echo a credential */
    return 0;
  }
  items = top + 1, page = top + 2;
  if (pg->read == 1 && (total = total_pages(L, page)) >= 0)
    pg->bound = total + HS_WALK_MARGIN;
  if (!on_origin(L, e)) {
    lua_pushfstring(L, "next link leaves the API host: %s", lua_tostring(L, -1));
    walk_error(L, q, lua_tostring(L, -1));
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 0;
  }
  if (!lua_isnil(L, -1)) {
    uv_get(L, p, UV_VISITED);
    lua_pushvalue(L, -2);
    if (revisits(L, lua_gettop(L) - 1)) {
      lua_settop(L, top);
      return walk_error(L, q, "next link leads back to a page already read");
    }
    lua_pop(L, 2);
    hs_badds(L, &pg->next, lua_tostring(L, -1));
  }
  lua_pop(L, 1); /* next */
  lua_newtable(L);
  uv_get(L, p, UV_SEEN);
  dedupe_into(L, items, lua_gettop(L), lua_gettop(L) - 1);
  lua_pop(L, 1);
  lua_replace(L, items);
  return 2;
}

/* After page `first` was accepted: 1 when its totalPages allows a parallel walk by number. */
int hs_pager_parallel(lua_State *L, int p, int page) {
  hs_pager *pg = hs_pager_check(L, p);
  long long total = total_pages(L, page);
  if (total <= pg->first) return 0;
  pg->last = total;
  pg->started = pg->joined = pg->first;
  hs_buf_reset(&pg->next);
  return 1;
}

long long hs_pager_next_page(hs_pager *pg, long long window) {
  if (pg->started >= pg->last || pg->started + 1 - pg->joined > window) return 0;
  return ++pg->started;
}

void hs_pager_page_req(lua_State *L, int p, const hs_engine *e, hs_req *q, long long n) {
  hs_pager *pg = hs_pager_check(L, p);
  int top = lua_gettop(L);
  uv_get(L, p, UV_OPTS);
  hs_req_init(q, pg->tool);
  q->proj = pg->proj;
  hs_build_url(L, &q->url, e->base_url, pg->tool, 0, top + 1, n);
  lua_settop(L, top);
}

/* Accepts page n of a parallel walk: 1 (held until it can be joined), or 0 with the error. */
int hs_pager_accept_page(lua_State *L, int p, long long n, const hs_req *q, const hs_resp *r) {
  hs_pager *pg = hs_pager_check(L, p);
  int top = lua_gettop(L);
  if (n > pg->last) return 1; /* started before an earlier page turned out empty */
  if (!hs_interpret_page(L, pg->tool, q, r)) return 0;
  lua_settop(L, top + 1); /* items */
  if (hs_rawlen(L, -1) == 0 && n < pg->last) pg->last = n; /* the data ends here */
  uv_get(L, p, UV_HELD);
  lua_insert(L, -2);
  lua_rawseti(L, -2, (int)(n - pg->first));
  lua_settop(L, top);
  return 1;
}

/* Appends the items of every page that can now be joined in order to the array at out (ids
 * already seen skipped); 1 when the walk is complete. */
int hs_pager_take(lua_State *L, int p, int out) {
  hs_pager *pg = hs_pager_check(L, p);
  int top = lua_gettop(L), held, seen;
  out = hs_absindex(L, out);
  uv_get(L, p, UV_HELD);
  uv_get(L, p, UV_SEEN);
  held = top + 1, seen = top + 2;
  while (pg->joined < pg->last) {
    lua_rawgeti(L, held, (int)(pg->joined + 1 - pg->first));
    if (lua_isnil(L, -1)) break;
    dedupe_into(L, lua_gettop(L), seen, out);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_rawseti(L, held, (int)(pg->joined + 1 - pg->first));
    pg->joined++;
  }
  lua_settop(L, top);
  return pg->joined >= pg->last;
}

/* ---- the pager as a Lua object (eng:pager), for drivers written in Lua ---- */

static hs_engine *pager_engine(lua_State *L, int p) {
  hs_engine *e;
  uv_get(L, p, UV_ENGINE);
  e = hs_engine_check(L, -1);
  lua_pop(L, 1);
  return e;
}

/* A finished call of this pager: its DONE must be ok, else nil, err is pushed (returns 0). */
static hs_lcall *done_call(lua_State *L, int call, int done) {
  hs_lcall *c = luaL_checkudata(L, call, HS_CALL_MT);
  luaL_checktype(L, done, LUA_TTABLE);
  if (c->k.done < 0) luaL_argerror(L, call, "the call is not done");
  lua_getfield(L, done, "ok");
  if (lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    return c;
  }
  lua_pushnil(L);
  lua_getfield(L, done, "error");
  return NULL;
}

/* The call at the top refers to the pager's projection: its user value keeps the pager alive. */
static void keep_pager(lua_State *L, int p) {
  hs_getuservalue(L, -1);
  lua_pushvalue(L, p);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 1);
}

/* p:next_call() -> call for the next page of a sequential walk, nil at the end, or nil, err
 * (the walk went beyond its bound) */
static int l_next_call(lua_State *L) {
  hs_pager *pg = hs_pager_check(L, 1);
  hs_lcall *c;
  lua_settop(L, 1);
  if (pg->next.n == 0) return 0;
  uv_get(L, 1, UV_ENGINE);
  c = hs_lcall_new(L, 2, pg->tool);
  c->paged = 1;
  keep_pager(L, 1);
  if (hs_pager_next_req(L, 1, &c->k.req) < 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

/* p:accept(call, done) -> new items, page | nil, err */
static int l_accept(lua_State *L) {
  hs_lcall *c;
  lua_settop(L, 3);
  if (!(c = done_call(L, 2, 3))) return 2;
  if (hs_pager_accept(L, 1, pager_engine(L, 1), &c->k.req, &c->r)) return 2;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* p:parallel(page) -> true when a walk by page number may go on from the accepted first page */
static int l_parallel(lua_State *L) {
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_pushboolean(L, hs_pager_parallel(L, 1, 2));
  return 1;
}

/* p:next_page(window) -> the next page number to start, or nil (none now, or the walk is over) */
static int l_next_page(lua_State *L) {
  long long n = hs_pager_next_page(hs_pager_check(L, 1), (long long)luaL_checkinteger(L, 2));
  if (!n) return 0;
  lua_pushnumber(L, (lua_Number)n);
  return 1;
}

/* p:page_call(n) -> the call for page n */
static int l_page_call(lua_State *L) {
  hs_pager *pg = hs_pager_check(L, 1);
  long long n = (long long)luaL_checknumber(L, 2);
  hs_lcall *c;
  lua_settop(L, 2);
  uv_get(L, 1, UV_ENGINE);
  c = hs_lcall_new(L, 3, pg->tool);
  c->paged = 1;
  keep_pager(L, 1);
  hs_pager_page_req(L, 1, pager_engine(L, 1), &c->k.req, n);
  return 1;
}

/* p:accept_page(n, call, done) -> true | nil, err */
static int l_accept_page(lua_State *L) {
  long long n = (long long)luaL_checknumber(L, 2);
  hs_lcall *c;
  lua_settop(L, 4);
  if (!(c = done_call(L, 3, 4))) return 2;
  if (hs_pager_accept_page(L, 1, n, &c->k.req, &c->r)) {
    lua_pushboolean(L, 1);
    return 1;
  }
  hs_error_redact_engine(L, -1, pager_engine(L, 1), &c->k.req);
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* p:take(into?) -> items joinable now (in page order, ids deduplicated), finished; with `into`
 * (a table) they are appended to it and it is returned (no table per call) */
static int l_take(lua_State *L) {
  int finished;
  lua_settop(L, 2);
  if (lua_isnil(L, 2)) {
    lua_pop(L, 1);
    lua_newtable(L);
  } else luaL_checktype(L, 2, LUA_TTABLE);
  finished = hs_pager_take(L, 1, 2);
  lua_pushboolean(L, finished);
  return 2;
}

/* eng:pager(tool, opts?, call_opts?) -> pager (list tools; call_opts: {fields =}) */
static int l_pager(lua_State *L) {
  hs_engine_check(L, 1);
  lua_settop(L, 4);
  hs_pager_new(L, 1, hs_tool_check(L, 2, 1), 3, 4, NULL, 0);
  return 1;
}

/* Creates the pager's metatable and adds `pager` to the engine's methods (after
 * hs_engine_open: the engine knows nothing of paging). */
void hs_pager_open(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"next_call", l_next_call}, {"accept", l_accept}, {"parallel", l_parallel},
    {"next_page", l_next_page}, {"page_call", l_page_call}, {"accept_page", l_accept_page},
    {"take", l_take}, {NULL, NULL}};
  if (luaL_newmetatable(L, HS_PAGER_MT)) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, pager_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, HS_ENGINE_MT);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, l_pager);
  lua_setfield(L, -2, "pager");
  lua_pop(L, 2);
}
