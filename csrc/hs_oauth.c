/*
 * hs_oauth.c — OAuth 2.0 against POST {base_url}/v2/oauth2/token (helpscout-api.md §2).
 *
 * Grants: client_credentials when no refresh token is configured, refresh_token otherwise,
 * authorization_code for exchange_code. Bodies are form-encoded (§2.7). Tokens are fetched
 * lazily and renewed shortly before expires_at: 60 s early, or a quarter of the token's lifetime
 * when that is shorter. A rotated refresh token replaces the old one at once (the old one is
 * dead) and the new token goes to on_token. If on_token raises, the error is re-raised from the
 * call that triggered the renewal ("helpscout: on_token failed: ..."): the client keeps and uses
 * the new token, but the caller must learn that it was not persisted.
 *
 * Token endpoint errors are OAuth-style JSON. A rejected refresh token (400 invalid_request or
 * invalid_grant during a refresh grant) is kind "reconsent": the user must authorize again. Bad
 * client credentials (invalid_client, 401) are kind "auth". Secrets and tokens never enter an
 * error, and request bodies that carried them are wiped after use.
 */
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "hs.h"

static void form_field(lua_State *L, hs_buf *b, const char *k, const char *v) {
  if (b->n) hs_baddc(L, b, '&');
  hs_badds(L, b, k);
  hs_baddc(L, b, '=');
  hs_baddurlenc(L, b, v, strlen(v));
}

void hs_token_push(lua_State *L, const hs_client *c) {
  lua_createtable(L, 0, 4);
  if (c->access_token) {
    lua_pushstring(L, c->access_token);
    lua_setfield(L, -2, "access_token");
  }
  if (c->refresh_token) {
    lua_pushstring(L, c->refresh_token);
    lua_setfield(L, -2, "refresh_token");
  }
  lua_pushstring(L, c->token_type ? c->token_type : "bearer");
  lua_setfield(L, -2, "token_type");
  if (c->expires_at > 0) {
#if LUA_VERSION_NUM >= 503
    if (c->expires_at == floor(c->expires_at)) lua_pushinteger(L, (lua_Integer)c->expires_at);
    else
#endif
      lua_pushnumber(L, (lua_Number)c->expires_at);
    lua_setfield(L, -2, "expires_at");
  }
}

static int replace(char **dst, const char *src) {
  char *p = hs_strdup(src);
  if (!p) return -1;
  hs_secfree(dst);
  *dst = p;
  return 0;
}

/* Adopts the decoded token response at the top of the stack (popped). 0 when it has no token. */
static int adopt(lua_State *L, hs_client *c) {
  lua_getfield(L, -1, "access_token");
  if (lua_type(L, -1) != LUA_TSTRING || hs_rawlen(L, -1) == 0) {
    lua_pop(L, 2);
    return 0;
  }
  if (replace(&c->access_token, lua_tostring(L, -1))) luaL_error(L, "helpscout: out of memory");
  lua_pop(L, 1);
  lua_getfield(L, -1, "refresh_token");
  if (lua_type(L, -1) == LUA_TSTRING && hs_rawlen(L, -1) > 0 &&
      replace(&c->refresh_token, lua_tostring(L, -1)))
    luaL_error(L, "helpscout: out of memory");
  lua_pop(L, 1);
  lua_getfield(L, -1, "token_type");
  if (lua_type(L, -1) == LUA_TSTRING && replace(&c->token_type, lua_tostring(L, -1)))
    luaL_error(L, "helpscout: out of memory");
  lua_pop(L, 1);
  lua_getfield(L, -1, "expires_in");
  if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) > 0) {
    c->lifetime = (double)lua_tonumber(L, -1);
    c->expires_at = floor(hs_epoch()) + floor(c->lifetime);
  } else {
    c->lifetime = 0;
    c->expires_at = 0; /* unknown: used until a 401 */
  }
  lua_pop(L, 2);
  hs_buf_wipe(&c->auth);
  hs_badds(L, &c->auth, "Authorization: Bearer ");
  hs_badds(L, &c->auth, c->access_token);
  c->token_gen++;
  return 1;
}

/* on_token runs under lua_pcall with c->in_callback set, so it cannot re-enter or close the client
 * whose request is in flight (hs_check_client and close refuse); the flag is always cleared. */
static void call_on_token(lua_State *L, hs_client *c) {
  int rc;
  hs_getuservalue(L, c->self);
  lua_getfield(L, -1, "on_token");
  lua_remove(L, -2);
  if (lua_type(L, -1) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return;
  }
  hs_token_push(L, c);
  c->in_callback = 1;
  rc = lua_pcall(L, 1, 0, 0);
  c->in_callback = 0;
  if (rc != 0) {
    lua_pushfstring(L, "helpscout: on_token failed: %s",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
    lua_error(L);
  }
}

/* Runs one grant; 1 on success (state updated, on_token called), 0 with an error pushed. */
int hs_grant(lua_State *L, hs_client *c, const char *grant, const char *code) {
  hs_req *q = &c->treq;
  int top, ok;
  int refresh = strcmp(grant, "refresh_token") == 0;
  if (!c->client_id || !c->client_secret) {
    hs_buf_reset(&q->url);
    hs_badds(L, &q->url, c->base_url);
    hs_badds(L, &q->url, HS_TOKEN_PATH);
    q->method = "POST";
    hs_push_error(L, "auth", 0, "the access token was rejected and no client credentials are "
                  "configured to get a new one", q, 0);
    return 0;
  }
  q->method = "POST";
  q->write = 0;
  q->token = 1;
  /* Re-sending a client-credentials grant is harmless; a refresh or code grant is single-use. */
  q->idempotent = strcmp(grant, "client_credentials") == 0;
  q->ctype = "application/x-www-form-urlencoded";
  hs_buf_reset(&q->url);
  hs_badds(L, &q->url, c->base_url);
  hs_badds(L, &q->url, HS_TOKEN_PATH);
  hs_buf_wipe(&q->body);
  form_field(L, &q->body, "grant_type", grant);
  if (refresh) form_field(L, &q->body, "refresh_token", c->refresh_token);
  if (code) form_field(L, &q->body, "code", code);
  form_field(L, &q->body, "client_id", c->client_id);
  form_field(L, &q->body, "client_secret", c->client_secret);
  hs_run(L, c, q);
  hs_buf_wipe(&q->body);
  if (c->resp.transport != HS_TX_OK || c->resp.status < 200 || c->resp.status > 299) {
    hs_push_resp_error(L, q, &c->resp);
    if (c->resp.transport == HS_TX_OK && c->resp.status >= 400 && c->resp.status < 500 &&
        c->resp.status != 429) {
      const char *kind = "auth";
      lua_getfield(L, -1, "oauth_error");
      if (refresh && c->resp.status == 400 && lua_isstring(L, -1) &&
          (strcmp(lua_tostring(L, -1), "invalid_request") == 0 ||
           strcmp(lua_tostring(L, -1), "invalid_grant") == 0))
        kind = "reconsent";
      lua_pop(L, 1);
      lua_pushstring(L, kind);
      lua_setfield(L, -2, "kind");
    }
    return 0;
  }
  top = lua_gettop(L);
  ok = hs_json_decode(L, c->resp.body.p ? c->resp.body.p : "", c->resp.body.n) &&
       lua_type(L, -1) == LUA_TTABLE && adopt(L, c);
  hs_buf_wipe(&c->resp.body); /* it held the new tokens */
  if (!ok) {
    lua_settop(L, top); /* the decoded value or the decoder's message, never the caller's values */
    hs_push_error(L, "protocol", c->resp.status, "the token endpoint answered without an "
                  "access_token", q, 0);
    return 0;
  }
  call_on_token(L, c);
  return 1;
}

int hs_token_ensure(lua_State *L, hs_client *c, int force) {
  if (!force && c->access_token) {
    double margin = c->lifetime > 0 && c->lifetime / 4 < 60 ? c->lifetime / 4 : 60;
    if (c->expires_at <= 0 || hs_epoch() < c->expires_at - margin) return 1;
    if (!c->client_id || !c->client_secret) return 1; /* cannot renew: let the API decide */
  }
  return hs_grant(L, c, c->refresh_token ? "refresh_token" : "client_credentials", NULL);
}

/* ---- module functions ---- */

static void check_keys(lua_State *L, int arg, const char *const *valid) {
  int i;
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    int ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; valid[i]; i++)
        if (strcmp(valid[i], lua_tostring(L, -2)) == 0) ok = 1;
    if (!ok) {
      int top = lua_gettop(L);
      lua_pushfstring(L, "unknown option '%s'; valid: ",
                      lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
      for (i = 0; valid[i]; i++) {
        lua_pushstring(L, valid[i]);
        if (valid[i + 1]) lua_pushliteral(L, ", ");
      }
      lua_concat(L, lua_gettop(L) - top);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

static const char *field_string(lua_State *L, int arg, const char *k, int required) {
  const char *s;
  lua_getfield(L, arg, k);
  if (lua_isnil(L, -1) && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (lua_type(L, -1) != LUA_TSTRING || hs_rawlen(L, -1) == 0) {
    lua_pushfstring(L, "option '%s' must be a non-empty string, got %s", k,
                    lua_type(L, -1) == LUA_TSTRING ? "an empty string" : luaL_typename(L, -1));
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

static void urlenc_lbuf(luaL_Buffer *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      luaL_addchar(b, (char)ch);
    } else {
      luaL_addchar(b, '%');
      luaL_addchar(b, hex[ch >> 4]);
      luaL_addchar(b, hex[ch & 15]);
    }
  }
}

/* core.authorize_url{client_id=, state=?, authorize_base=?} -> url, state. A missing state is
 * generated: 16 bytes from /dev/urandom, hex (128 bits); the callback must compare it. */
int hs_l_authorize_url(lua_State *L) {
  static const char *const valid[] = {"client_id", "state", "authorize_base", NULL};
  static const char hex[] = "0123456789abcdef";
  const char *id, *state, *base;
  char gen[33];
  luaL_Buffer b;
  check_keys(L, 1, valid);
  id = field_string(L, 1, "client_id", 1);
  state = field_string(L, 1, "state", 0);
  base = field_string(L, 1, "authorize_base", 0);
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
  luaL_buffinit(L, &b);
  luaL_addstring(&b, base);
  luaL_addstring(&b, strchr(base, '?') ? "&client_id=" : "?client_id=");
  urlenc_lbuf(&b, id);
  luaL_addstring(&b, "&state=");
  urlenc_lbuf(&b, state);
  luaL_pushresult(&b);
  lua_pushstring(L, state);
  return 2;
}

/* core.exchange_code{client_id=, client_secret=, code=, base_url=?, timeout=?, connect_timeout=?,
 * user_agent=?} -> token table, or nil, err. */
int hs_l_exchange_code(lua_State *L) {
  static const char *const valid[] = {"client_id", "client_secret", "code", "base_url", "timeout",
                                      "connect_timeout", "user_agent", NULL};
  static const char *const copied[] = {"client_id", "client_secret", "base_url", "timeout",
                                       "connect_timeout", "user_agent", NULL};
  const char *code;
  hs_client *c;
  int i, ok;
  check_keys(L, 1, valid);
  field_string(L, 1, "client_id", 1);
  field_string(L, 1, "client_secret", 1);
  code = field_string(L, 1, "code", 1);
  lua_settop(L, 1);
  lua_newtable(L);
  for (i = 0; copied[i]; i++) {
    lua_getfield(L, 1, copied[i]);
    lua_setfield(L, 2, copied[i]);
  }
  c = hs_client_new(L, 2); /* at index 3 */
  ok = hs_grant(L, c, "authorization_code", code);
  if (ok) hs_token_push(L, c);
  hs_client_close(c);
  if (!ok) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}
