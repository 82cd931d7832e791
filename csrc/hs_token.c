/*
 * hs_token.c — engine: tokens. Whether a token is due, the grant request, adopting the answer
 * (or mapping it to "reconsent"), and the OAuth helpers. No I/O: drivers send the request this
 * file builds and hand back what came of it; the single-flight renewal around it (store, lock,
 * reload) is helpscout.renew, the one place of that rule for every driver.
 *
 * Rules (DESIGN §3/§4, helpscout-api.md §2.4): a token is due when now >= expires_at -
 * min(60, lifetime / 4); unknown expiry means "use it until a 401". Refresh tokens are single use:
 * after invalid_request/invalid_grant the refresh token is dead and is never sent again. A grant
 * answer lost in transit may be sent once more (err.resend); a client-credentials grant is
 * idempotent and may be re-sent like any GET. Token values holding CR or LF are refused: they
 * would inject headers.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hs.h"

int hs_token_due(const hs_token *t, double now) {
  double life, margin;
  if (!t->access) return 1;
  if (t->expires_at <= 0) return 0;
  life = t->obtained_at > 0 ? t->expires_at - t->obtained_at : 0;
  margin = life > 0 && life / 4 < 60 ? life / 4 : 60;
  return now >= t->expires_at - margin;
}

int hs_can_renew(const hs_engine *e) { return e->client_id && e->client_secret; }

static int replace(char **dst, const char *src) {
  char *p = hs_strdup(src);
  if (!p) return -1;
  hs_secfree(dst);
  *dst = p;
  return 0;
}

const char *hs_token_set(hs_token *t, const char *access, const char *refresh, const char *type,
                         double expires_at, double obtained_at) {
  if ((access && hs_has_crlf(access)) || (refresh && hs_has_crlf(refresh)) ||
      (type && hs_has_crlf(type)))
    return "a token value holds CR or LF";
  if (access && replace(&t->access, access)) return "out of memory";
  if (refresh && replace(&t->refresh, refresh)) return "out of memory";
  if (refresh) t->refresh_dead = 0;
  if (type && replace(&t->type, type)) return "out of memory";
  t->expires_at = expires_at > 0 ? expires_at : 0;
  t->obtained_at = obtained_at > 0 ? obtained_at : 0;
  hs_buf_wipe(&t->auth);
  if (t->access && (hs_buf_add(&t->auth, "Bearer ", 7) || hs_buf_add(&t->auth, t->access,
                                                                      strlen(t->access))))
    return "out of memory";
  t->gen++;
  return NULL;
}

void hs_token_free(hs_token *t) {
  hs_secfree(&t->access);
  hs_secfree(&t->refresh);
  free(t->type);
  t->type = NULL;
  hs_buf_wipe(&t->auth);
}

static void set_num(lua_State *L, const char *k, double v) {
  if (v <= 0) return;
  lua_pushnumber(L, (lua_Number)v);
  lua_setfield(L, -2, k);
}

void hs_token_push(lua_State *L, const hs_token *t) {
  lua_createtable(L, 0, 5);
  if (t->access) lua_pushstring(L, t->access), lua_setfield(L, -2, "access_token");
  if (t->refresh) lua_pushstring(L, t->refresh), lua_setfield(L, -2, "refresh_token");
  lua_pushstring(L, t->type ? t->type : "bearer");
  lua_setfield(L, -2, "token_type");
  set_num(L, "expires_at", t->expires_at);
  set_num(L, "obtained_at", t->obtained_at);
}

static const hs_field token_fields[] = {
  {.name = "access_token", .type = HS_T_STRING, .flags = HS_NONEMPTY},
  {.name = "refresh_token", .type = HS_T_STRING, .flags = HS_NONEMPTY},
  {.name = "token_type", .type = HS_T_STRING},
  {.name = "expires_at", .type = HS_T_NUMBER},
  {.name = "obtained_at", .type = HS_T_NUMBER},
  {.name = "expires_in", .type = HS_T_NUMBER},
  {.name = "scope", .type = HS_T_ANY},
};

/* Adopts the token table at idx (the shape of hs:token(), as a store keeps it); raises. */
int hs_token_from_table(lua_State *L, hs_token *t, int idx) {
  const char *msg;
  idx = hs_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  hs_check_fields(L, idx, token_fields, (int)(sizeof token_fields / sizeof token_fields[0]),
                  "token field", 0);
  msg = hs_token_set(t, hs_opt_string(L, idx, "access_token"), hs_opt_string(L, idx, "refresh_token"),
                     hs_opt_string(L, idx, "token_type"), hs_opt_number(L, idx, "expires_at", 0),
                     hs_opt_number(L, idx, "obtained_at", 0));
  if (msg) return luaL_argerror(L, idx, msg);
  return 1;
}

static void form_field(lua_State *L, hs_buf *b, const char *k, const char *v) {
  if (b->n) hs_baddc(L, b, '&');
  hs_badds(L, b, k);
  hs_baddc(L, b, '=');
  hs_baddurlenc(L, b, v, strlen(v));
}

/* The grant: authorization_code when code is given, refresh_token when one is known, else
 * client_credentials. 0 with an error pushed when no grant can be made. */
int hs_token_request(lua_State *L, hs_engine *e, hs_req *q, const char *code) {
  const char *grant = code ? "authorization_code" : e->tok.refresh ? "refresh_token"
                                                                   : "client_credentials";
  q->method = "POST";
  q->write = 0;
  q->token = 1;
  q->idempotent = strcmp(grant, "client_credentials") == 0;
  q->ctype = "application/x-www-form-urlencoded";
  hs_buf_reset(&q->url);
  hs_badds(L, &q->url, e->base_url);
  hs_badds(L, &q->url, HS_TOKEN_PATH);
  hs_buf_wipe(&q->body);
  if (!hs_can_renew(e)) {
    hs_push_req_error(L, "auth", 0, "the access token was rejected or expired and no client "
                      "credentials are configured to get a new one", q, 0);
    return 0;
  }
  if (!code && e->tok.refresh && e->tok.refresh_dead) {
    hs_push_req_error(L, "reconsent", 0, "the refresh token was refused; the user must "
                      "authorize the app again", q, 0);
    return 0;
  }
  form_field(L, &q->body, "grant_type", grant);
  if (code) form_field(L, &q->body, "code", code);
  else if (e->tok.refresh) form_field(L, &q->body, "refresh_token", e->tok.refresh);
  form_field(L, &q->body, "client_id", e->client_id);
  form_field(L, &q->body, "client_secret", e->client_secret);
  return 1;
}

/* A failed grant: the error at the top gets its kind (auth, reconsent) and `resend`. */
static void grant_failed(lua_State *L, hs_engine *e, const hs_req *q, const hs_resp *r) {
  int refresh = q->body.p && strstr(q->body.p, "grant_type=refresh_token") != NULL;
  int lost = r->transport == HS_TX_TIMEOUT || r->transport == HS_TX_NETWORK ||
             r->transport == HS_TX_TRUNCATED;
  int resend = hs_resp_resend(q, r) || (refresh && lost);
  hs_push_resp_error(L, q, r);
  hs_error_redact_engine(L, -1, e, q); /* tokens, secret, code: a server may echo them */
  if (r->transport == HS_TX_OK && r->status >= 400 && r->status < 500 && r->status != 429) {
    const char *kind = "auth";
    lua_getfield(L, -1, "oauth_error");
    if (refresh && r->status == 400 && lua_isstring(L, -1) &&
        (strcmp(lua_tostring(L, -1), "invalid_request") == 0 ||
         strcmp(lua_tostring(L, -1), "invalid_grant") == 0)) {
      kind = "reconsent";
      e->tok.refresh_dead = 1;
    }
    lua_pop(L, 1);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    resend = 0;
  }
  /* one re-send for a single-use grant; a client-credentials grant as often as retries allow */
  if (resend && e->tok.resends < (q->idempotent ? e->retries : 1)) {
    e->tok.resends++;
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "resend");
  }
}

int hs_token_answer(lua_State *L, hs_engine *e, const hs_req *q, hs_resp *r, double now) {
  int top = lua_gettop(L), ok;
  const char *msg = NULL;
  if (r->transport != HS_TX_OK || r->status < 200 || r->status > 299) {
    grant_failed(L, e, q, r);
    return 0;
  }
  ok = hs_json_decode(L, r->body.p ? r->body.p : "", r->body.n) && lua_type(L, -1) == LUA_TTABLE;
  if (ok) {
    lua_getfield(L, -1, "access_token");
    lua_getfield(L, -2, "refresh_token");
    lua_getfield(L, -3, "token_type");
    lua_getfield(L, -4, "expires_in");
    ok = lua_type(L, -4) == LUA_TSTRING && hs_rawlen(L, -4) > 0;
    if (ok) {
      double in = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : 0;
      double at = now; /* not rounded: a 2 s token must live 1.5 s, not 0.5 to 1.5 */
      msg = hs_token_set(&e->tok, lua_tostring(L, -4),
                         lua_type(L, -3) == LUA_TSTRING && hs_rawlen(L, -3) ? lua_tostring(L, -3)
                                                                             : NULL,
                         lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "bearer",
                         in > 0 && in < 1e10 ? at + in : 0, in > 0 ? at : 0);
    }
  }
  hs_buf_wipe(&r->body); /* it held the new tokens */
  lua_settop(L, top);
  if (!ok || msg) {
    hs_push_req_error(L, "protocol", r->status, msg ? "the token endpoint answered a token with "
                      "CR or LF in it" : "the token endpoint answered without an access_token",
                      q, 0);
    return 0;
  }
  e->tok.resends = 0;
  hs_token_push(L, &e->tok);
  return 1;
}

/* ---- OAuth helpers ---- */

static const hs_field authorize_fields[] = {
  {.name = "client_id", .type = HS_T_STRING, .flags = HS_REQUIRED | HS_NONEMPTY},
  {.name = "state", .type = HS_T_STRING, .flags = HS_NONEMPTY},
  {.name = "authorize_base", .type = HS_T_STRING, .flags = HS_NONEMPTY},
};

/* core.authorize_url{client_id=, state=?, authorize_base=?} -> url, state. A missing state is
 * generated: 16 bytes from /dev/urandom, hex (128 bits); the callback must compare it. */
int hs_l_authorize_url(lua_State *L) {
  static const char hex[] = "0123456789abcdef";
  const char *id, *state, *base;
  char gen[33];
  hs_buf b = {NULL, 0, 0};
  luaL_checktype(L, 1, LUA_TTABLE);
  hs_check_fields(L, 1, authorize_fields, 3, "option", 1);
  id = hs_opt_string(L, 1, "client_id");
  state = hs_opt_string(L, 1, "state");
  base = hs_opt_string(L, 1, "authorize_base");
  if (!base) base = HS_AUTHORIZE_BASE;
  if (!state) {
    unsigned char raw[16];
    int fd = open("/dev/urandom", O_RDONLY), i;
    ssize_t got = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)sizeof raw) return luaL_error(L, "helpscout: cannot read /dev/urandom");
    for (i = 0; i < 16; i++) {
      gen[2 * i] = hex[raw[i] >> 4];
      gen[2 * i + 1] = hex[raw[i] & 15];
    }
    gen[32] = '\0';
    state = gen;
  }
  if (hs_buf_add(&b, base, strlen(base)) || hs_buf_add(&b, strchr(base, '?') ? "&" : "?", 1) ||
      hs_buf_add(&b, "client_id=", 10) || hs_buf_urlenc(&b, id, strlen(id)) ||
      hs_buf_add(&b, "&state=", 7) || hs_buf_urlenc(&b, state, strlen(state))) {
    hs_buf_free(&b);
    return luaL_error(L, "helpscout: out of memory");
  }
  lua_pushlstring(L, b.p, b.n);
  hs_buf_free(&b);
  lua_pushstring(L, state);
  return 2;
}
