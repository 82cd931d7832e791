/*
 * hs_pager.c — page iterators (hs:each, hs:pages) as C closures, and hs:fetch_all over a libcurl
 * multi handle.
 *
 * Iterators follow the API's _links.next.href (only to the same scheme://host:port as base_url),
 * stop when it is absent, skip ids already yielded, and raise the error table on any failure, so
 * a loop never ends silently short (like io.lines). Iterator state lives in a Lua table upvalue.
 *
 * fetch_all fetches the first page on the client's easy handle, then pages 2..totalPages on up to
 * `concurrency` easy handles kept in the client (keep-alive across calls), each page with the same
 * retry and token policy as a single request; results are joined in page order as pages arrive,
 * deduplicated by id. totalPages is a server's claim: at most 2·concurrency pages are started
 * ahead of the join, and the walk ends at the first empty page, so memory and requests follow
 * the real data, not the claim. Handles still in the multi after an aborted call are removed at the start of the next one
 * or at close.
 */
#include <limits.h>
#include <string.h>
#include "hs.h"

#define HS_MAX_PAGE ((long long)INT_MAX) /* pages are Lua array keys in `held` */

enum { SLOT_IDLE, SLOT_WAITING, SLOT_RUNNING };

/* Length of "scheme://host[:port]" at the start of url. */
static size_t origin_len(const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return 0;
  p += 3;
  while (*p && *p != '/' && *p != '?' && *p != '#') p++;
  return (size_t)(p - url);
}

/* GETs `url` (a full URL string) with the client's policy; pushes items, page, next (3 values) or
 * the error table (1 value, return 0). */
static int fetch_url(lua_State *L, hs_client *c, const hs_tool *t, const char *url, size_t n) {
  hs_req_init(&c->req, t);
  hs_buf_reset(&c->req.url);
  hs_badd(L, &c->req.url, url, n);
  if (!hs_run(L, c, &c->req)) return 0;
  return hs_interpret_page(L, t, &c->req, &c->resp);
}

/* Replaces the next href at the top with an absolute URL on the API's origin; returns 1, or 0
 * with the error table pushed above it. */
static int check_next(lua_State *L, hs_client *c) {
  size_t olen = origin_len(c->base_url), n;
  const char *href;
  if (lua_isnil(L, -1)) return 1;
  href = lua_tolstring(L, -1, &n);
  if (href[0] == '/') {
    lua_pushlstring(L, c->base_url, olen);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return 1;
  }
  if (n >= olen && strncmp(href, c->base_url, olen) == 0 &&
      (href[olen] == '\0' || href[olen] == '/' || href[olen] == '?'))
    return 1;
  lua_pushfstring(L, "next link leaves the API host: %s", href);
  hs_push_error(L, "protocol", 0, lua_tostring(L, -1), &c->req, 0);
  lua_remove(L, -2);
  return 0;
}

/* 1 when the item at the top is a table whose id is already in the set `seen` (the id is added
 * otherwise); items without an id are never duplicates. Leaves the stack as it was. */
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

/* Appends to the array `out` the items of the array `items` not seen before (see seen_before). */
static void dedupe_into(lua_State *L, int items, int seen, int out) {
  size_t i, n = hs_rawlen(L, items), k = hs_rawlen(L, out);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, items, (int)i);
    if (seen_before(L, seen)) {
      lua_pop(L, 1);
      continue;
    }
    lua_rawseti(L, out, (int)++k);
  }
}

/* 1 when the URL at the top is in the set `visited` (marks it otherwise). A next link back to a
 * page already read would make a walk that yields nothing new and never ends. */
static int revisits(lua_State *L, int visited) {
  lua_pushvalue(L, -1);
  lua_rawget(L, visited);
  if (lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    return 1;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  lua_pushboolean(L, 1);
  lua_rawset(L, visited);
  return 0;
}

/* Upvalues: 1 client, 2 state {url=, items=, i=, seen=, visited=}, 3 tool index, 4 mode (0 each,
 * 1 pages) */
static int iter(lua_State *L) {
  hs_client *c;
  const hs_tool *t = &hs_tools[lua_tointeger(L, lua_upvalueindex(3))];
  int pages = (int)lua_tointeger(L, lua_upvalueindex(4)), st, seen, visited;
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  c = hs_check_client(L, 1);
  lua_pushvalue(L, lua_upvalueindex(2));
  st = 2;
  lua_getfield(L, st, "seen");
  seen = 3;
  lua_getfield(L, st, "visited");
  visited = 4;
  for (;;) {
    if (!pages) {
      lua_getfield(L, st, "items");
      if (lua_type(L, -1) == LUA_TTABLE) {
        lua_Integer i = 0;
        lua_getfield(L, st, "i");
        i = lua_tointeger(L, -1) + 1;
        lua_pop(L, 1);
        lua_pushinteger(L, i);
        lua_setfield(L, st, "i");
        lua_rawgeti(L, -1, (int)i);
        if (!lua_isnil(L, -1)) {
          if (seen_before(L, seen)) {
            lua_pop(L, 2);
            continue;
          }
          return 1;
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    lua_getfield(L, st, "url");
    if (lua_isnil(L, -1)) return 0; /* no next link: done (also after an error) */
    {
      size_t n;
      const char *url = lua_tolstring(L, -1, &n);
      lua_pushnil(L);
      lua_setfield(L, st, "url"); /* an error ends the walk */
      revisits(L, visited);
      if (!fetch_url(L, c, t, url, n)) lua_error(L);
    }
    /* stack: ..., url, items, page, next */
    if (!check_next(L, c)) lua_error(L);
    if (!lua_isnil(L, -1) && revisits(L, visited)) {
      hs_push_error(L, "protocol", 0, "next link leads back to a page already read", &c->req, 0);
      lua_error(L);
    }
    lua_setfield(L, st, "url");
    if (pages) {
      lua_newtable(L);
      dedupe_into(L, lua_gettop(L) - 2, seen, lua_gettop(L));
      lua_replace(L, -3);
      return 2;
    }
    lua_pop(L, 1); /* page */
    lua_setfield(L, st, "items");
    lua_pushinteger(L, 0);
    lua_setfield(L, st, "i");
    lua_pop(L, 1); /* url */
  }
}

static int make_iter(lua_State *L, int pages) {
  hs_client *c = hs_check_client(L, 1);
  const hs_tool *t = hs_tool_check(L, 2, 1);
  hs_check_opts(L, 3, t);
  hs_build_url(L, &c->req.url, c->base_url, t, 0, 3, 0);
  lua_settop(L, 3);
  lua_pushvalue(L, 1);
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, c->req.url.p, c->req.url.n);
  lua_setfield(L, -2, "url");
  lua_newtable(L);
  lua_setfield(L, -2, "seen");
  lua_newtable(L);
  lua_setfield(L, -2, "visited");
  lua_pushinteger(L, (lua_Integer)(t - hs_tools));
  lua_pushinteger(L, pages);
  lua_pushcclosure(L, iter, 4);
  return 1;
}

/* hs:each(tool, opts?) -> iterator over every item of every page; raises the error table. */
int hs_l_each(lua_State *L) { return make_iter(L, 0); }

/* hs:pages(tool, opts?) -> iterator of items, page per page; raises the error table. */
int hs_l_pages(lua_State *L) { return make_iter(L, 1); }

/* ---- fetch_all ---- */

static void abort_slots(hs_client *c) {
  int i;
  for (i = 0; i < HS_MAX_CONCURRENCY; i++) {
    hs_slot *s = &c->slots[i];
    if (s->easy && c->multi) curl_multi_remove_handle(c->multi, s->easy);
    if (s->easy) curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    s->state = SLOT_IDLE;
  }
}

/* Fetches pages first..last over the multi handle and appends their items to `out` in page order
 * (deduplicated through `seen`) as soon as they are contiguous. Memory does not depend on what
 * totalPages claims: a page is only started while fewer than 2·conc pages are waiting to be
 * joined (they wait in `held`, keyed by page - first + 1). The walk ends at the first empty page:
 * every later page is empty too. 1, or 0 with the error table pushed. */
static int run_multi(lua_State *L, hs_client *c, const hs_tool *t, int opts, long long first,
                     long long last, int conc, int held, int seen, int out) {
  long long next = first, joined = first, window = 2LL * conc;
  int i, replayed = 0;
  if (!c->multi && !(c->multi = curl_multi_init())) luaL_error(L, "helpscout: curl_multi_init failed");
  abort_slots(c);
  for (i = 0; i < conc; i++) {
    hs_slot *s = &c->slots[i];
    if (!s->easy) {
      s->easy = curl_easy_init();
      if (!s->easy || hs_curl_setup(c, s->easy, &s->resp) != 0)
        luaL_error(L, "helpscout: could not initialise libcurl");
    }
  }
  if (!hs_token_ensure(L, c, 0)) return 0;
  while (joined <= last) {
    double now = hs_now(), wait = 1.0;
    int running = 0, queued;
    CURLMsg *msg;
    for (i = 0; i < conc; i++) {
      hs_slot *s = &c->slots[i];
      if (s->state == SLOT_WAITING && s->page > last) s->state = SLOT_IDLE; /* past the end */
      if (s->state == SLOT_IDLE && next <= last && next - joined < window) {
        hs_req_init(&s->req, t);
        hs_build_url(L, &s->req.url, c->base_url, t, 0, opts, next);
        s->page = next++;
        s->attempt = 0;
        s->waited = 0;
        s->not_before = now;
        s->state = SLOT_WAITING;
      }
      if (s->state == SLOT_WAITING && s->not_before <= now) {
        double delay;
        hs_pace(c, &s->req, &delay);
        if (delay > 0) {
          s->not_before = now + delay;
          continue;
        }
        if (!hs_token_ensure(L, c, 0)) goto fail;
        if (hs_curl_prepare(c, s->easy, &s->req, &s->resp, &s->hdrs) != 0 ||
            curl_multi_add_handle(c->multi, s->easy) != CURLM_OK) {
          luaL_error(L, "helpscout: could not start a transfer");
        }
        s->token_gen = c->token_gen;
        s->state = SLOT_RUNNING;
      }
    }
    curl_multi_perform(c->multi, &running);
    while ((msg = curl_multi_info_read(c->multi, &queued)) != NULL) {
      hs_slot *s = NULL;
      hs_decision d;
      if (msg->msg != CURLMSG_DONE) continue;
      for (i = 0; i < conc; i++)
        if (c->slots[i].easy == msg->easy_handle) s = &c->slots[i];
      if (!s) continue;
      hs_curl_done(s->easy, msg->data.result, &s->resp); /* msg is invalid after removal */
      curl_multi_remove_handle(c->multi, s->easy);
      curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
      curl_slist_free_all(s->hdrs);
      s->hdrs = NULL;
      hs_note_rate(c, &s->resp);
      now = hs_now();
      s->state = SLOT_WAITING;
      s->not_before = now;
      if (s->page > last) { /* started before an earlier page turned out empty */
        s->state = SLOT_IDLE;
        continue;
      }
      if (s->resp.transport == HS_TX_OK && s->resp.status == 401 && c->client_id &&
          c->client_secret) {
        if (s->token_gen != c->token_gen) continue; /* sent with an older token: resend */
        if (!replayed) {
          replayed = 1;
          if (!hs_token_ensure(L, c, 1)) goto fail;
          continue;
        }
      }
      d = hs_decide(&s->req, &s->resp, s->attempt, c->retries, hs_random(c));
      if (d.retry && s->waited + d.wait <= HS_MAX_SERVER_WAIT) {
        s->waited += d.wait;
        s->attempt++;
        s->not_before = now + d.wait;
        continue;
      }
      if (!hs_interpret_page(L, t, &s->req, &s->resp)) goto fail;
      lua_pop(L, 2); /* next, page */
      s->state = SLOT_IDLE;
      if (hs_rawlen(L, -1) == 0 && s->page < last) last = s->page; /* the data ends here */
      lua_rawseti(L, held, (int)(s->page - first + 1));
      while (joined <= last) {
        lua_rawgeti(L, held, (int)(joined - first + 1));
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        dedupe_into(L, lua_gettop(L), seen, out);
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_rawseti(L, held, (int)(joined - first + 1));
        joined++;
      }
    }
    if (joined > last) break;
    now = hs_now();
    for (i = 0; i < conc; i++) {
      hs_slot *s = &c->slots[i];
      if (s->state == SLOT_IDLE && next <= last && next - joined < window) wait = 0;
      if (s->state == SLOT_WAITING && s->not_before - now < wait) wait = s->not_before - now;
    }
    if (wait < 0) wait = 0;
    if (running) curl_multi_poll(c->multi, NULL, 0, (int)(wait * 1000), NULL);
    else hs_sleep(wait);
  }
  abort_slots(c); /* transfers of pages past an empty one may still be running */
  return 1;
fail:
  abort_slots(c);
  return 0;
}

/* hs:fetch_all(tool, opts?, {concurrency = 1..8 (default 4)}) -> every item in page order, ids
 * deduplicated; or nil, err. */
int hs_l_fetch_all(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  const hs_tool *t = hs_tool_check(L, 2, 1);
  long long first = 1, total = 0;
  size_t nitems;
  int conc = 4, out, seen, held;
  hs_check_opts(L, 3, t);
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "concurrency") != 0)
        luaL_argerror(L, 4, "unknown option; valid: concurrency");
      if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 1 ||
          lua_tonumber(L, -1) > HS_MAX_CONCURRENCY ||
          lua_tonumber(L, -1) != (lua_Number)(int)lua_tonumber(L, -1))
        luaL_argerror(L, 4, "option 'concurrency' must be an integer from 1 to 8");
      conc = (int)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, 3);
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "page"); /* an integer (checked); only its position matters here */
    if (!lua_isnil(L, -1)) {
      double d = (double)lua_tonumber(L, -1);
      first = d < 1 ? 1 : d > HS_MAX_PAGE ? HS_MAX_PAGE : (long long)d;
    }
    lua_pop(L, 1);
  }
  lua_newtable(L);
  out = 4;
  lua_newtable(L);
  seen = 5;
  lua_newtable(L);
  held = 6;
  hs_build_url(L, &c->req.url, c->base_url, t, 0, 3, 0); /* the first page as asked */
  lua_pushlstring(L, c->req.url.p, c->req.url.n);
  {
    size_t n;
    const char *url = lua_tolstring(L, -1, &n);
    if (!fetch_url(L, c, t, url, n)) goto fail;
  }
  /* stack: out, seen, held, url, items, page, next */
  nitems = hs_rawlen(L, 8);
  dedupe_into(L, 8, seen, out);
  lua_getfield(L, 9, "totalPages");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    /* a claim, not a size to allocate: clamped, and the walk stops at the first empty page */
    double d = (double)lua_tonumber(L, -1);
    total = !(d >= 0) ? 0 : d > HS_MAX_PAGE ? HS_MAX_PAGE : (long long)d;
  }
  lua_pop(L, 1);
  if (total > first) {
    lua_settop(L, 6);
    if (nitems > 0 && !run_multi(L, c, t, 3, first + 1, total, conc, held, seen, out)) goto fail;
  } else {
    /* no page count: walk the next links one by one (`held` is the set of URLs read) */
    lua_pushvalue(L, 7);
    revisits(L, held);
    lua_pop(L, 1);
    for (;;) {
      size_t n;
      const char *url;
      if (!check_next(L, c)) goto fail;
      if (lua_isnil(L, -1)) break;
      if (revisits(L, held)) {
        hs_push_error(L, "protocol", 0, "next link leads back to a page already read", &c->req, 0);
        goto fail;
      }
      lua_replace(L, 7); /* next becomes the url */
      lua_settop(L, 7);
      url = lua_tolstring(L, 7, &n);
      if (!fetch_url(L, c, t, url, n)) goto fail;
      dedupe_into(L, 8, seen, out);
    }
  }
  lua_settop(L, out);
  return 1;
fail:
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}
