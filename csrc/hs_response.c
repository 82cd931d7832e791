/*
 * hs_response.c — engine: what a response means. Header capture, status → error kind, the error
 * object, the retry policy, and turning 2xx bodies into the Lua results of each tool.
 *
 * Retry policy (DESIGN.md §4): idempotent requests (GET, PUT) retry network errors, timeouts,
 * truncated bodies, 429 and 5xx; a POST is sent again only when the server certainly did not
 * process it: a 429, or a connection that never opened — refused (HS_TX_NOCONNECT) or timed out
 * before the handshake completed (HS_TX_CONNECT_TIMEOUT; the driver reports that only when it
 * knows no byte of the request left the client, see hs_curl.c). A 503 to a POST is returned,
 * never re-sent (a server may answer 503 after processing it), with retryable = true and its
 * retry_after: the caller decides. A timeout once the request may have gone out stays kind
 * "timeout" but is not retried for a POST. Waits are exponential with full jitter
 * (0.5 s · 2^attempt, capped at 8 s) unless the server names a wait (X-RateLimit-Retry-After, then
 * Retry-After); a named wait longer than HS_MAX_SERVER_WAIT is not slept through: the call returns
 * kind "rate_limited" with retry_after set. The request loops (hs_client.c, hs_pager.c) also stop
 * retrying once the waits of one call would add up to more than HS_MAX_SERVER_WAIT.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hs.h"

const char *const hs_tx_names[] = {"ok", "timeout", "network", "noconnect", "truncated",
                                    "toobig", "connect_timeout", NULL};

void hs_resp_reset(hs_resp *r) {
  r->status = 0;
  r->transport = HS_TX_OK;
  r->errmsg[0] = r->ctype[0] = r->resource_id[0] = r->location[0] = '\0';
  r->retry_after[0] = r->xretry_after[0] = r->remaining[0] = '\0';
  r->head_bytes = r->head_fields = 0;
  hs_buf_reset(&r->body);
}

void hs_resp_free(hs_resp *r) { hs_buf_free(&r->body); }

static void keep(char *dst, size_t cap, const char *v, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

/* Keeps the value of the headers that matter (names in any case); others are ignored. */
void hs_resp_set_header(hs_resp *r, const char *line, size_t nl, const char *v, size_t vn) {
#define IS(name) (nl == sizeof(name) - 1 && strncasecmp(line, name, nl) == 0)
  if (IS("content-type")) keep(r->ctype, sizeof r->ctype, v, vn);
  else if (IS("resource-id")) keep(r->resource_id, sizeof r->resource_id, v, vn);
  else if (IS("location")) keep(r->location, sizeof r->location, v, vn);
  else if (IS("retry-after")) keep(r->retry_after, sizeof r->retry_after, v, vn);
  else if (IS("x-ratelimit-retry-after")) keep(r->xretry_after, sizeof r->xretry_after, v, vn);
  else if (IS("x-ratelimit-remaining-minute")) keep(r->remaining, sizeof r->remaining, v, vn);
#undef IS
}

/* One raw header line (no NUL, CRLF included). A status line starts a new header block (after an
 * interim 1xx), so earlier values are forgotten. */
void hs_resp_header(hs_resp *r, const char *line, size_t n) {
  const char *colon, *v, *end = line + n;
  if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    r->ctype[0] = r->resource_id[0] = r->location[0] = '\0';
    r->retry_after[0] = r->xretry_after[0] = r->remaining[0] = '\0';
    return;
  }
  colon = memchr(line, ':', n);
  if (!colon) return;
  v = colon + 1;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  hs_resp_set_header(r, line, (size_t)(colon - line), v, (size_t)(end - v));
}

const char *hs_status_kind(long status) {
  switch (status) {
  case 401: return "auth";
  case 403: return "forbidden";
  case 404: return "not_found";
  case 429: return "rate_limited";
  default: break;
  }
  if (status >= 500) return "server";
  if (status >= 400) return "validation"; /* 400, 409, 412, 413, 415, 423 and unknown 4xx */
  return "protocol";                      /* an unexpected 1xx/2xx/3xx */
}

static double parse_secs(const char *s) {
  char *end;
  double d;
  if (!s[0]) return -1;
  d = strtod(s, &end);
  if (end == s || !isfinite(d) || d < 0) return -1;
  return d;
}

double hs_resp_retry_after(const hs_resp *r) {
  double d = parse_secs(r->xretry_after);
  return d >= 0 ? d : parse_secs(r->retry_after);
}

/* 1 when trying again may help (the error's `retryable`). */
int hs_resp_retryable(const hs_req *q, const hs_resp *r) {
  switch (r->transport) {
  case HS_TX_NOCONNECT:
  case HS_TX_CONNECT_TIMEOUT: return 1; /* nothing reached the server */
  case HS_TX_TIMEOUT:
  case HS_TX_NETWORK:
  case HS_TX_TRUNCATED: return q->idempotent;
  case HS_TX_TOOBIG: return 0;
  default: break;
  }
  if (r->status == 429) return 1; /* throttled requests are not processed */
  if (r->status >= 500) return q->idempotent || r->status == 503;
  return 0;
}

/* 1 when the engine may send the request again by itself: hs_resp_retryable, except that a
 * non-idempotent request goes out again only when it certainly was not processed. */
int hs_resp_resend(const hs_req *q, const hs_resp *r) {
  if (q->idempotent) return hs_resp_retryable(q, r);
  if (r->transport == HS_TX_NOCONNECT || r->transport == HS_TX_CONNECT_TIMEOUT) return 1;
  return r->transport == HS_TX_OK && r->status == 429;
}

hs_decision hs_decide(const hs_req *q, const hs_resp *r, int attempt, int retries, double rnd) {
  hs_decision d;
  double cap;
  d.retry = 0;
  d.wait = 0;
  d.retry_after = r->transport == HS_TX_OK ? hs_resp_retry_after(r) : -1;
  if (!hs_resp_resend(q, r) || attempt >= retries) return d;
  if (d.retry_after >= 0) {
    if (d.retry_after > HS_MAX_SERVER_WAIT) return d;
    d.wait = d.retry_after;
  } else {
    cap = 0.5 * pow(2.0, attempt);
    if (cap > 8.0) cap = 8.0;
    d.wait = rnd * cap;
  }
  d.retry = 1;
  return d;
}

/* ---- errors ---- */

void hs_push_req_error(lua_State *L, const char *kind, long status, const char *msg,
                       const hs_req *q, int retryable) {
  hs_error_push(L, kind, status, msg, q ? q->method : NULL, q ? q->url.p : NULL, retryable);
}

static const char *tx_kind(int tx) {
  switch (tx) {
  case HS_TX_TIMEOUT:
  case HS_TX_CONNECT_TIMEOUT: return "timeout";
  case HS_TX_TRUNCATED:
  case HS_TX_TOOBIG: return "protocol";
  default: return "network";
  }
}

/* Copies string field `from` of the table at -1 into field `to` of the table at -2. */
static void copy_field(lua_State *L, const char *from, const char *to, int type) {
  lua_getfield(L, -1, from);
  if (lua_type(L, -1) == type) lua_setfield(L, -3, to);
  else lua_pop(L, 1);
}

void hs_push_resp_error(lua_State *L, const hs_req *q, const hs_resp *r) {
  int retry = hs_resp_retryable(q, r);
  double ra;
  if (r->transport != HS_TX_OK) {
    const char *m = r->errmsg[0] ? r->errmsg : "transfer failed";
    if (r->transport == HS_TX_TRUNCATED) m = "response body truncated";
    if (r->transport == HS_TX_TOOBIG && !r->errmsg[0]) m = "response body too large";
    hs_push_req_error(L, tx_kind(r->transport), 0, m, q, retry);
    return;
  }
  lua_pushfstring(L, "HTTP %d", (int)r->status);
  hs_push_req_error(L, hs_status_kind(r->status), r->status, lua_tostring(L, -1), q, retry);
  lua_remove(L, -2);
  ra = hs_resp_retry_after(r);
  if (ra >= 0) {
    lua_pushnumber(L, (lua_Number)ra);
    lua_setfield(L, -2, "retry_after");
  }
  if (r->body.n == 0 || !hs_json_decode(L, r->body.p, r->body.n)) {
    if (r->body.n) lua_pop(L, 1); /* the decoder's message: a non-JSON error body */
    return;
  }
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  if (q->grant) {
    /* OAuth-style: {"error": "...", "error_description": "..."} (helpscout-api.md §2.4) */
    lua_getfield(L, -1, "error");
    lua_getfield(L, -2, "error_description");
    if (lua_type(L, -2) == LUA_TSTRING) {
      if (lua_type(L, -1) == LUA_TSTRING)
        lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
      else lua_pushvalue(L, -2);
      lua_setfield(L, -5, "message");
      lua_pushvalue(L, -2);
      lua_setfield(L, -5, "oauth_error");
    }
    lua_pop(L, 3);
    return;
  }
  copy_field(L, "message", "message", LUA_TSTRING);
  copy_field(L, "logRef", "log_ref", LUA_TSTRING);
  lua_getfield(L, -1, "_embedded");
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_getfield(L, -1, "errors");
    if (lua_type(L, -1) == LUA_TTABLE) lua_setfield(L, -4, "errors");
    else lua_pop(L, 1);
  }
  lua_pop(L, 2);
}

/* ---- results ---- */

static int push_protocol(lua_State *L, const hs_req *q, const char *msg, long status) {
  lua_pushnil(L);
  hs_push_req_error(L, "protocol", status, msg, q, 0);
  return 2;
}

/* Decodes the body into a table at the top; returns 0 with nil, err pushed when it is not one. */
static int decode_table(lua_State *L, const hs_req *q, const hs_resp *r) {
  if (!hs_json_decode_proj(L, r->body.p ? r->body.p : "", r->body.n, q->proj)) {
    lua_pushfstring(L, "invalid JSON in response (%s): %s", r->ctype[0] ? r->ctype : "no type",
                    lua_tostring(L, -1));
    lua_remove(L, -2);
    push_protocol(L, q, lua_tostring(L, -1), r->status);
    lua_remove(L, -3);
    return 0;
  }
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    push_protocol(L, q, "response is not a JSON object", r->status);
    return 0;
  }
  return 1;
}

/* The id in s[0..n): decimal digits only, 1..2^53 (exact as a double, so the same id under
 * LuaJIT); 0 when it is anything else ("12abc", "", an overflowing number). */
static long long parse_id(const char *s, size_t n) {
  long long v = 0;
  size_t i;
  if (n == 0 || n > 16) return 0;
  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v > 0 && v <= 9007199254740992LL ? v : 0;
}

/* The id in a Location on the API's own origin (absolute, or a path relative to it) whose path
 * has the tool's shape (t->created_path: "#" stands for digits; the last "#" is the id). A query,
 * a fragment and trailing slashes are ignored. 0 for anything else: a foreign host, another
 * resource, junk. */
static long long location_id(const char *loc, const char *origin, const char *shape) {
  size_t olen = origin ? strlen(origin) : 0, end;
  const char *p = loc, *id = NULL;
  size_t idn = 0;
  if (!shape) return 0;
  if (p[0] != '/') {
    if (!olen || strncasecmp(p, origin, olen) != 0 || p[olen] != '/') return 0;
    p += olen;
  }
  end = strcspn(p, "?#");
  while (end > 0 && p[end - 1] == '/') end--;
  while (*shape && end > 0) {
    if (*shape == '#') {
      size_t n = 0;
      while (n < end && isdigit((unsigned char)p[n])) n++;
      if (n == 0) return 0;
      id = p, idn = n;
      p += n, end -= n, shape++;
    } else if (*shape++ == *p) {
      p++, end--;
    } else return 0;
  }
  if (*shape || end) return 0;
  return parse_id(id, idn);
}

/* 1 when every item of the array at idx is a table whose id, if any, is an integer (a NaN or a
 * fraction cannot be deduplicated, addressed or trusted). */
static int ids_ok(lua_State *L, int idx) {
  size_t i, n = hs_rawlen(L, idx);
  for (i = 1; i <= n; i++) {
    int ok;
    lua_rawgeti(L, idx, (int)i);
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      return 0;
    }
    lua_getfield(L, -1, "id");
    ok = lua_isnil(L, -1) || hs_is_int(L, -1);
    lua_pop(L, 2);
    if (!ok) return 0;
  }
  return 1;
}

/* Pushes items (the _embedded.<key> array, or a new empty table when _embedded or the key is
 * absent: helpscout-api.md §5), page (or an empty table) and _links.next.href (or nil) for the
 * decoded page at the top, which is removed; returns 1. When the key holds something other than
 * an array (a JSON object is a table too: only a decoded array counts), the page is malformed: returns 0 with the stack as it was (a walk must not go on as if
 * the page were empty). */
static int split_page(lua_State *L, const hs_tool *t) {
  int top = lua_gettop(L);
  lua_getfield(L, top, "_embedded");
  if (lua_type(L, -1) == LUA_TTABLE) lua_getfield(L, -1, t->embedded);
  else lua_pushnil(L);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
  } else if (lua_type(L, -1) != LUA_TTABLE || !hs_json_is_array(L, -1)) {
    lua_settop(L, top);
    return 0;
  }
  lua_remove(L, -2);
  if (!ids_ok(L, lua_gettop(L))) {
    lua_settop(L, top);
    return 0;
  }
  lua_getfield(L, top, "page");
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
  lua_getfield(L, top, "_links");
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_getfield(L, -1, "next");
    if (lua_type(L, -1) == LUA_TTABLE) lua_getfield(L, -1, "href");
    else lua_pushnil(L);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      lua_pushnil(L);
    }
    lua_remove(L, -2); /* next */
    lua_remove(L, -2); /* _links */
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
  lua_remove(L, top);
  return 1;
}

static int bad_page(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r) {
  lua_pop(L, 1); /* the decoded page */
  lua_pushfstring(L, "_embedded.%s is not an array of objects with integer ids", t->embedded);
  push_protocol(L, q, lua_tostring(L, -1), r->status);
  lua_remove(L, -3);
  return 0;
}

int hs_interpret_page(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r) {
  if (r->transport != HS_TX_OK || r->status < 200 || r->status > 299) {
    hs_push_resp_error(L, q, r);
    return 0;
  }
  if (!decode_table(L, q, r) || (!split_page(L, t) && !bad_page(L, t, q, r))) {
    lua_remove(L, -2); /* the nil */
    return 0;
  }
  return 1;
}

/* 1 when the body of a 2xx answer to a write is empty or well-formed JSON: a body cut short or
 * garbage means the answer did not come through whole, so its success cannot be trusted. */
static int write_body_ok(lua_State *L, const hs_resp *r) {
  if (r->body.n == 0) return 1;
  if (!hs_json_decode(L, r->body.p, r->body.n)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pop(L, 1);
  return 1;
}

/* 1 when a 2xx answer to update_tags means success: 204, or 200 with an empty body or a JSON
 * type and well-formed JSON (an HTML page with 200 is some proxy talking, not the API). */
static int tags_ok(lua_State *L, const hs_resp *r) {
  if (r->status == 204) return 1;
  if (r->status != 200) return 0;
  return r->body.n == 0 || (strstr(r->ctype, "json") != NULL && write_body_ok(L, r));
}

static int push_id(lua_State *L, long long id) {
#if LUA_VERSION_NUM >= 503
  lua_pushinteger(L, (lua_Integer)id);
#else
  lua_pushnumber(L, (lua_Number)id); /* lua_Integer is ptrdiff_t: 32 bits on some targets */
#endif
  return 1;
}

/* Pushes the Lua results of tool t for response r; returns their number (nil, err on failure). */
int hs_interpret(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r,
                 const char *origin) {
  long long id;
  if (r->transport != HS_TX_OK || r->status < 200 || r->status > 299) {
    lua_pushnil(L);
    hs_push_resp_error(L, q, r);
    return 2;
  }
  switch (t->result) {
  case HS_RES_PAGE:
    if (!decode_table(L, q, r)) return 2;
    if (!split_page(L, t)) {
      bad_page(L, t, q, r);
      return 2;
    }
    lua_pop(L, 1);
    return 2;
  case HS_RES_OBJECT:
    if (!decode_table(L, q, r)) return 2;
    return 1;
  case HS_RES_ID:
    if (!write_body_ok(L, r))
      return push_protocol(L, q, "created, but the answer's body is not well-formed JSON "
                           "(cut short or garbage)", r->status);
    id = parse_id(r->resource_id, strlen(r->resource_id));
    if (!id && r->location[0]) id = location_id(r->location, origin, t->created_path);
    if (!id) return push_protocol(L, q, "created, but no usable Resource-ID header (or Location) "
                                  "in the answer", r->status);
    return push_id(L, id);
  default:
    if (!tags_ok(L, r))
      return push_protocol(L, q, "unexpected answer to a tag update (expected 204, or 200 with "
                           "well-formed JSON)", r->status);
    lua_pushboolean(L, 1);
    return 1;
  }
}
