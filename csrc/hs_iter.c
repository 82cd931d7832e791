/*
 * hs_iter.c — the libcurl client's iterators: hs:each and hs:pages (C closures over a pager) and
 * hs:fetch_all (pages in parallel over a libcurl multi handle). They execute the engine's
 * actions and ask the pager (hs_pager.c) which page comes next; no paging, retry or token rule
 * lives here. Iterators raise the error table (a loop never ends silently short).
 */
#include <string.h>
#include "hs.h"

enum { SLOT_IDLE, SLOT_WAITING, SLOT_RUNNING };

/* Runs the pager's next sequential page on the client's easy handle. Pushes the new items and
 * the page (2), nothing when the walk is over (0), or the error (-1). */
static int next_page(lua_State *L, int client, hs_client *c, int p) {
  hs_pager *pg = hs_pager_check(L, p);
  hs_action a;
  int ok;
  hs_call_init(&c->call, pg->tool);
  ok = hs_pager_next_req(L, p, &c->call.req);
  if (ok <= 0) return ok;
  c->busy = 1;
  ok = hs_client_run(L, client, c, &c->call, &a);
  c->busy = 0;
  if (!ok) return -1;
  if (a.done != HS_DONE_RESP) {
    hs_call_results(L, c->e, &c->call, &a, &c->resp);
    lua_remove(L, -2);
    return -1;
  }
  return hs_pager_accept(L, p, c->e, &c->call.req, &c->resp) ? 2 : -1;
}

/* Upvalues: 1 client, 2 pager, 3 state {items =, i =}, 4 mode (0 each, 1 pages) */
static int iter(lua_State *L) {
  int pages = (int)lua_tointeger(L, lua_upvalueindex(4)), rc;
  hs_client *c;
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  c = hs_check_client(L, 1);
  lua_pushvalue(L, lua_upvalueindex(2)); /* 2: pager */
  lua_pushvalue(L, lua_upvalueindex(3)); /* 3: state */
  for (;;) {
    if (!pages) {
      lua_Integer i;
      lua_getfield(L, 3, "items");
      lua_getfield(L, 3, "i");
      i = lua_tointeger(L, -1) + 1;
      lua_pop(L, 1);
      if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, (int)i);
        if (!lua_isnil(L, -1)) {
          lua_pushinteger(L, i);
          lua_setfield(L, 3, "i");
          return 1;
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    rc = next_page(L, 1, c, 2);
    if (rc == 0) return 0;
    if (rc < 0) return lua_error(L);
    if (pages) return 2;
    lua_pop(L, 1); /* page */
    lua_setfield(L, 3, "items");
    lua_pushinteger(L, 0);
    lua_setfield(L, 3, "i");
  }
}

static int make_iter(lua_State *L, int pages) {
  const hs_tool *t;
  hs_check_client(L, 1);
  t = hs_tool_check(L, 2, 1);
  lua_settop(L, 4);
  hs_getuservalue(L, 1);
  lua_getfield(L, -1, "engine");
  lua_replace(L, -2); /* 5: engine */
  hs_pager_new(L, 5, t, 3, 4, NULL, 0); /* 6 */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 6);
  lua_newtable(L);
  lua_pushinteger(L, pages);
  lua_pushcclosure(L, iter, 4);
  return 1;
}

/* hs:each(tool, opts?, {fields =}?) -> iterator over every item of every page; raises the error
 * table. */
int hs_l_each(lua_State *L) { return make_iter(L, 0); }

/* hs:pages(tool, opts?, {fields =}?) -> iterator of items, page per page; raises the error table. */
int hs_l_pages(lua_State *L) { return make_iter(L, 1); }

/* ---- fetch_all ---- */

static void release(hs_client *c, hs_slot *s) {
  if (s->easy && c->multi && s->state == SLOT_RUNNING) curl_multi_remove_handle(c->multi, s->easy);
  if (s->easy) curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  curl_slist_free_all(s->hdrs);
  s->hdrs = NULL;
  if (s->state != SLOT_IDLE) hs_call_abandon(c->e, &s->call);
  s->state = SLOT_IDLE;
}

static void release_all(hs_client *c) {
  int i;
  for (i = 0; i < HS_MAX_CONCURRENCY; i++) release(c, &c->slots[i]);
}

static void open_slots(lua_State *L, hs_client *c, int conc) {
  int i;
  if (!c->multi && !(c->multi = curl_multi_init())) luaL_error(L, "helpscout: curl_multi_init failed");
  release_all(c);
  for (i = 0; i < conc; i++) {
    hs_slot *s = &c->slots[i];
    if (s->easy) continue;
    s->easy = curl_easy_init();
    if (!s->easy || hs_curl_setup(c, s->easy, &s->resp) != 0)
      luaL_error(L, "helpscout: could not initialise libcurl");
  }
}

/* Feeds `input` to the slot's call and executes what comes back until the slot waits on the
 * network or the clock, or its page is done. 1 ok; 0 with the error pushed. */
static int drive(lua_State *L, int client, hs_client *c, int p, hs_slot *s, int input, int out) {
  hs_action a;
  for (;;) {
    hs_call_step(c->e, &s->call, input, &s->resp, hs_epoch(), hs_random(c->e), &a);
    if (input == HS_IN_RESPONSE && s->resp.transport == HS_TX_OK) hs_budget(L, client, c, "share", 0);
    switch (a.type) {
    case HS_SEND: {
      const char *auth = hs_req_auth(c->e, &s->call.req);
      hs_budget(L, client, c, "gate", s->call.cost);
      if (hs_curl_prepare(s->easy, auth, &s->call.req, &s->resp, &s->hdrs) != 0 ||
          curl_multi_add_handle(c->multi, s->easy) != CURLM_OK)
        luaL_error(L, "helpscout: could not start a transfer");
      s->state = SLOT_RUNNING;
      return 1;
    }
    case HS_WAIT:
      s->state = SLOT_WAITING;
      s->not_before = hs_epoch() + a.seconds;
      return 1;
    case HS_TOKEN: input = hs_renew(L, client, c, &a) ? HS_IN_TOKEN : HS_IN_TOKEN_ERROR; break;
    default:
      s->state = SLOT_IDLE;
      if (input == HS_IN_TOKEN_ERROR) return 0;
      if (a.done != HS_DONE_RESP) {
        hs_call_results(L, c->e, &s->call, &a, &s->resp);
        lua_remove(L, -2);
        return 0;
      }
      if (!hs_pager_accept_page(L, p, s->page, &s->call.req, &s->resp)) {
        hs_error_redact_engine(L, -1, c->e, &s->call.req);
        return 0;
      }
      hs_pager_take(L, p, out);
      return 1;
    }
  }
}

/* Starts pages on idle slots and wakes waiting ones; returns the seconds until the next wake-up. */
static double tick(lua_State *L, int client, hs_client *c, int p, int conc, int out, int *err) {
  hs_pager *pg = hs_pager_check(L, p);
  double now = hs_epoch(), next = 1.0;
  int i;
  for (i = 0; i < conc && !*err; i++) {
    hs_slot *s = &c->slots[i];
    long long n;
    if (s->state == SLOT_IDLE && (n = hs_pager_next_page(pg, 2LL * conc)) > 0) {
      hs_call_init(&s->call, pg->tool);
      hs_pager_page_req(L, p, c->e, &s->call.req, n);
      s->page = n;
      *err = !drive(L, client, c, p, s, HS_IN_START, out);
    } else if (s->state == SLOT_WAITING && s->not_before <= now) {
      *err = !drive(L, client, c, p, s, HS_IN_WAITED, out);
    }
    if (s->state == SLOT_WAITING && s->not_before - now < next) next = s->not_before - now;
  }
  return next < 0 ? 0 : next;
}

/* Pages first+1..last over the multi handle, joined into `out` in order. 1, or 0 with the error */
static int run_multi(lua_State *L, int client, hs_client *c, int p, int conc, int out) {
  int err = 0, running, queued, i;
  open_slots(L, c, conc);
  while (!err && !hs_pager_take(L, p, out)) {
    double wait = tick(L, client, c, p, conc, out, &err);
    CURLMsg *msg;
    if (err) break;
    curl_multi_perform(c->multi, &running);
    while (!err && (msg = curl_multi_info_read(c->multi, &queued)) != NULL) {
      hs_slot *s = NULL;
      if (msg->msg != CURLMSG_DONE) continue;
      for (i = 0; i < conc; i++)
        if (c->slots[i].easy == msg->easy_handle) s = &c->slots[i];
      if (!s) continue;
      hs_curl_done(s->easy, msg->data.result, &s->resp); /* msg is invalid after removal */
      curl_multi_remove_handle(c->multi, s->easy);
      curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
      curl_slist_free_all(s->hdrs);
      s->hdrs = NULL;
      s->state = SLOT_WAITING;
      err = !drive(L, client, c, p, s, HS_IN_RESPONSE, out);
      wait = 0;
    }
    if (err || hs_pager_take(L, p, out)) break;
    if (running) curl_multi_poll(c->multi, NULL, 0, (int)(wait * 1000), NULL);
    else if (wait > 0) hs_sleep(wait);
  }
  release_all(c); /* transfers of pages past an empty one may still be running */
  return !err;
}

static const hs_field fetch_opts[] = {
  {.name = "concurrency", .type = HS_T_INTEGER, .min = 1, .max = HS_MAX_CONCURRENCY},
};

static int fetch_all(lua_State *L, hs_client *c) {
  int rc, out = 6, p = 5;
  int conc = lua_istable(L, 4) ? (int)hs_opt_number(L, 4, "concurrency", 4) : 4;
  lua_newtable(L); /* 6: out */
  rc = next_page(L, 1, c, p);
  if (rc < 0) return 0;
  if (rc == 0) return 1;
  lua_pushnil(L);
  while (lua_next(L, -3)) lua_rawseti(L, out, (int)hs_rawlen(L, out) + 1); /* first page */
  if (hs_rawlen(L, -2) > 0 && hs_pager_parallel(L, p, lua_gettop(L))) {
    lua_settop(L, out);
    c->busy = 1;
    rc = run_multi(L, 1, c, p, conc, out);
    c->busy = 0;
    return rc;
  }
  lua_settop(L, out);
  while ((rc = next_page(L, 1, c, p)) > 0) { /* no page count: the next links, one by one */
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, -2)) lua_rawseti(L, out, (int)hs_rawlen(L, out) + 1);
    lua_pop(L, 1);
  }
  return rc == 0;
}

/* hs:fetch_all(tool, opts?, {concurrency = 1..8 (default 4), fields =}) -> every item in page
 * order, ids deduplicated; or nil, err. */
int hs_l_fetch_all(lua_State *L) {
  hs_client *c = hs_check_client(L, 1);
  const hs_tool *t = hs_tool_check(L, 2, 1);
  lua_settop(L, 4);
  hs_getuservalue(L, 1);
  lua_getfield(L, -1, "engine");
  lua_replace(L, -2);
  hs_pager_new(L, 5, t, 3, 4, fetch_opts, 1); /* checks {concurrency =, fields =} too */
  lua_replace(L, 5); /* 5: pager (the engine stays referenced by it) */
  if (fetch_all(L, c)) {
    lua_settop(L, 6);
    return 1;
  }
  c->busy = 0;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* Adds each, pages and fetch_all to the client's methods (after hs_client_open). */
void hs_iter_open(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"each", hs_l_each}, {"pages", hs_l_pages}, {"fetch_all", hs_l_fetch_all}, {NULL, NULL}};
  luaL_getmetatable(L, HS_CLIENT_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 2);
}
