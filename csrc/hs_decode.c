/*
 * hs_decode.c — the JSON decoder: one pass from response bytes to Lua values (DESIGN §3).
 *
 * What it builds:
 *  * numbers: an integral value with |v| < 2^53 is a Lua integer whatever its spelling (12, -0,
 *    1.0, 1e2; under LuaJIT a double, exact); anything else a float. A number that overflows a
 *    double (1e400) is an error.
 *  * null: dropped inside objects (absent and null mean the same to the API; a later null also
 *    removes an earlier duplicate key), kept in arrays as the lightuserdata NULL (cjson.null) so
 *    positions hold; a top-level null is that sentinel too.
 *  * arrays: every one, empty or not, carries the shared metatable HS_ARRAY_MT (core.array), so
 *    re-encoding keeps [].
 *  * duplicate keys: the last one wins (as cjson).
 * What it refuses (an error, never a partial value): anything outside RFC 8259's grammar (NaN,
 * Infinity, hex, 01, 1., .5, +1, trailing commas or garbage, raw control characters in strings,
 * bad escapes), invalid UTF-8 (overlongs, surrogates, > U+10FFFF), lone or reversed UTF-16
 * surrogate escapes (the result must be valid UTF-8), nesting deeper than HS_JSON_MAX_DEPTH.
 * \u0000 is accepted (Lua strings hold NUL).
 *
 * Errors unwind with lua_error inside a lua_pcall this file makes itself, so the C entry points
 * never raise: they return 0 with the message pushed. Everything allocated outside Lua (the
 * scratch buffer for escaped strings) is owned by the caller's C frame and freed after the pcall.
 *
 * Speed (bench/decode_bench.lua): tables are pre-sized from the last table built at the same
 * place (same depth, same key string — interned, so its address is its identity); strings
 * without escapes are pushed straight from the input; skipped members (projection) are
 * validated without building anything. A cache of key strings (reusing the Lua string pushed
 * for the same key bytes earlier in the document) was measured and dropped: Lua 5.4 interns
 * short strings cheaply enough that the cache cost 3% more instructions per page.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hs.h"

#define HINTS 128      /* pre-size cache slots (direct-mapped) */
#define MAX_SAFE 9007199254740992.0 /* 2^53 */

typedef struct hint {
  const void *key;
  int depth, narr, nrec;
} hint;

typedef struct dec {
  lua_State *L;
  const unsigned char *start, *p, *end;
  int depth;
  int mt; /* stack index of the array metatable */
  hs_buf tmp; /* escaped strings and long numbers */
  const hs_proj *proj; /* NULL: no projection; else node 0 applies to the top value */
  hint hints[HINTS];
} dec;

/* 0: a byte that may sit in a string as it is; 1: '"'; 2: '\\'; 3: control; 4: non-ASCII. */
static const unsigned char strcls[256] = {
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};

static void value(dec *d, int pn, const void *hkey, int emit);

static void fail(dec *d, const char *what) {
  luaL_error(d->L, "invalid JSON at byte %d: %s", (int)(d->p - d->start), what);
}

static void grow(dec *d, const void *s, size_t n) {
  if (hs_buf_add(&d->tmp, s, n) != 0) luaL_error(d->L, "not enough memory");
}

static void skip_ws(dec *d) {
  while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
    d->p++;
}

static int peek_slow(dec *d) {
  skip_ws(d);
  if (d->p >= d->end) fail(d, "unexpected end of input");
  return *d->p;
}

/* The next byte after whitespace; fails at the end of the input. Inline: compact JSON has no
 * whitespace, so the first test usually answers. */
static inline int peek(dec *d) {
  if (d->p < d->end && *d->p > ' ') return *d->p;
  return peek_slow(d);
}

static hint *hint_for(dec *d, const void *key) {
  size_t h = (((size_t)key >> 4) ^ ((size_t)key >> 11) ^ (size_t)d->depth * 31u) % HINTS;
  hint *e = &d->hints[h];
  if (e->key != key || e->depth != d->depth) {
    e->key = key;
    e->depth = d->depth;
    e->narr = e->nrec = 0;
  }
  return e;
}

static void enter(dec *d) {
  if (++d->depth > HS_JSON_MAX_DEPTH) fail(d, "nested too deeply");
  luaL_checkstack(d->L, 6, "helpscout: JSON nested too deeply");
}

/* ---- strings ---- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Four hex digits after "\u" at d->p (which points at the 'u'); advances past them. */
static unsigned hex4(dec *d) {
  unsigned v = 0;
  int i;
  if (d->end - d->p < 5) fail(d, "truncated \\u escape");
  for (i = 1; i <= 4; i++) {
    int h = hexval(d->p[i]);
    if (h < 0) fail(d, "bad \\u escape");
    v = v << 4 | (unsigned)h;
  }
  d->p += 5;
  return v;
}

static size_t utf8_put(unsigned char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | cp >> 6);
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | cp >> 18);
  o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* One escape at d->p (the backslash). Surrogates must come as a high/low pair. */
static void escape(dec *d, int build) {
  unsigned char out[4];
  size_t n = 1;
  unsigned cp;
  if (d->end - d->p < 2) fail(d, "truncated escape");
  switch (d->p[1]) {
  case '"': out[0] = '"'; break;
  case '\\': out[0] = '\\'; break;
  case '/': out[0] = '/'; break;
  case 'b': out[0] = '\b'; break;
  case 'f': out[0] = '\f'; break;
  case 'n': out[0] = '\n'; break;
  case 'r': out[0] = '\r'; break;
  case 't': out[0] = '\t'; break;
  case 'u':
    d->p++;
    cp = hex4(d);
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail(d, "lone low surrogate escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned lo;
      if (d->end - d->p < 2 || d->p[0] != '\\' || d->p[1] != 'u')
        fail(d, "lone high surrogate escape");
      d->p++;
      lo = hex4(d);
      if (lo < 0xDC00 || lo > 0xDFFF) fail(d, "lone high surrogate escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (build) grow(d, out, utf8_put(out, cp));
    return;
  default: fail(d, "bad escape");
  }
  d->p += 2;
  if (build) grow(d, out, n);
}

/* The first byte at or after p that is not plain string content (strcls != 0), or end. Eight
 * bytes at a time while none of them is '"', '\\', a control or a non-ASCII byte (the usual
 * "has a zero byte" bit tricks: exact about whether such a byte exists, which is all we ask). */
static const unsigned char *plain_run(const unsigned char *p, const unsigned char *end) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (end - p >= 8) {
    uint64_t v, q, b;
    memcpy(&v, p, 8);
    q = v ^ (ones * '"');
    b = v ^ (ones * '\\');
    if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v) | v) & highs) break;
    p += 8;
  }
  while (p < end && strcls[*p] == 0) p++;
  return p;
}

/* The string at d->p (the opening quote), validated; with build, its bytes are returned (in the
 * input when it has no escapes, else in d->tmp). Without build, returns NULL. */
static const char *string(dec *d, size_t *len, int build) {
  const unsigned char *s = ++d->p, *p = plain_run(s, d->end);
  if (p < d->end && *p == '"') {
    d->p = p + 1;
    *len = (size_t)(p - s);
    return (const char *)s;
  }
  if (build) {
    hs_buf_reset(&d->tmp);
    grow(d, s, (size_t)(p - s));
  }
  for (;;) {
    const unsigned char *run = p;
    p = plain_run(p, d->end);
    if (build && p > run) grow(d, run, (size_t)(p - run));
    d->p = p;
    if (p >= d->end) fail(d, "unterminated string");
    switch (strcls[*p]) {
    case 1:
      d->p = p + 1;
      if (!build) return NULL;
      *len = d->tmp.n;
      return d->tmp.p ? d->tmp.p : "";
    case 2: escape(d, build); break;
    case 3: fail(d, "control character in string"); break;
    default: {
      size_t k = hs_utf8_len(p, (size_t)(d->end - p));
      if (!k) fail(d, "invalid UTF-8 in string");
      if (build) grow(d, p, k);
      d->p += k;
    }
    }
    p = d->p;
  }
}

/* ---- numbers ---- */

static const double exact_p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on the token, in the C locale's notation whatever the process locale is. */
static double slow_number(dec *d, const unsigned char *s, size_t n) {
  const char *dp = localeconv()->decimal_point;
  char *q;
  hs_buf_reset(&d->tmp);
  grow(d, s, n);
  grow(d, "", 1);
  if (dp && dp[0] && dp[0] != '.' && !dp[1] && (q = strchr(d->tmp.p, '.'))) *q = dp[0];
  return strtod(d->tmp.p, NULL);
}

static void push_number(dec *d, double v, int emit) {
  if (!isfinite(v)) fail(d, "number out of range");
  if (!emit) return;
  if (v == floor(v) && fabs(v) < MAX_SAFE) lua_pushinteger(d->L, (lua_Integer)v);
  else lua_pushnumber(d->L, (lua_Number)v);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; digits are gathered into m (at most 19
 * significant ones) so the common cases need no strtod: exact integers, and Clinger's fast path
 * (m <= 2^53, |exponent| <= 22) for decimals. */
static void number(dec *d, int emit) {
  const unsigned char *s = d->p, *p = s, *e = d->end;
  unsigned long long m = 0;
  int sig = 0, lost = 0, exp10 = 0, ex = 0, exneg = 0, neg = 0, simple = 1;
  if (*p == '-') neg = 1, p++;
  if (p >= e || *p < '0' || *p > '9') fail(d, "invalid number");
  if (*p == '0') {
    p++;
    if (p < e && *p >= '0' && *p <= '9') fail(d, "leading zero in number");
  } else {
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
      if (sig < 19) m = m * 10 + (unsigned)(*p - '0'), sig++;
      else lost = 1, exp10++;
    }
  }
  if (p < e && *p == '.') {
    simple = 0;
    if (++p >= e || *p < '0' || *p > '9') fail(d, "invalid number (digit expected after '.')");
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
      if (m == 0 && *p == '0') exp10--;
      else if (sig < 19) m = m * 10 + (unsigned)(*p - '0'), sig++, exp10--;
      else lost = 1;
    }
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    simple = 0;
    p++;
    if (p < e && (*p == '+' || *p == '-')) exneg = *p++ == '-';
    if (p >= e || *p < '0' || *p > '9') fail(d, "invalid number (digit expected in exponent)");
    for (; p < e && *p >= '0' && *p <= '9'; p++)
      if (ex < 100000) ex = ex * 10 + (*p - '0');
  }
  d->p = p;
  if (simple && !lost && m < (unsigned long long)MAX_SAFE) {
    if (emit) lua_pushinteger(d->L, neg ? -(lua_Integer)m : (lua_Integer)m);
    return;
  }
  exp10 += exneg ? -ex : ex;
  if (!lost && m <= (unsigned long long)MAX_SAFE && exp10 >= -22 && exp10 <= 22) {
    double v = (double)m;
    v = exp10 < 0 ? v / exact_p10[-exp10] : v * exact_p10[exp10];
    push_number(d, neg ? -v : v, emit);
    return;
  }
  push_number(d, slow_number(d, s, (size_t)(p - s)), emit);
}

/* ---- literals, arrays, objects ---- */

static void literal(dec *d, const char *word, size_t n) {
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0) fail(d, "invalid value");
  d->p += n;
}

/* Each item of an array gets the same projection node (arrays are transparent to paths). */
static void array(dec *d, int pn, const void *hkey, int emit) {
  lua_State *L = d->L;
  hint *h = NULL;
  int t = 0, i = 0;
  enter(d);
  d->p++;
  if (emit) {
    h = hint_for(d, hkey);
    lua_createtable(L, h->narr, 0);
    t = lua_gettop(L);
    lua_pushvalue(L, d->mt);
    lua_setmetatable(L, t);
  }
  if (peek(d) == ']') d->p++;
  else for (;;) {
    value(d, pn, hkey, emit);
    if (emit) lua_rawseti(L, t, ++i);
    if (peek(d) == ',') d->p++;
    else if (*d->p == ']') { d->p++; break; }
    else fail(d, "expected ',' or ']' in array");
  }
  if (h) h->narr = i;
  d->depth--;
}

/* The projection child of node pn named s[0..n), or -2 when the member is not wanted; -1 when
 * every member is wanted (no projection here). */
static int proj_child(const dec *d, int pn, const char *s, size_t n) {
  const hs_proj *pj = d->proj;
  int k;
  if (pn < 0) return -1;
  for (k = pj->node[pn].kids; k >= 0; k = pj->node[k].next)
    if (pj->node[k].len == n && memcmp(pj->names + pj->node[k].name, s, n) == 0)
      return pj->node[k].all ? -1 : k;
  return -2;
}

/* A null member: nothing is stored, and an earlier duplicate of the key is removed (as cjson
 * plus the drop rule would leave it). The key is at the top; it is popped. */
static void null_member(dec *d, int t) {
  lua_State *L = d->L;
  lua_pushvalue(L, -1);
  lua_rawget(L, t);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 2);
    return;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_rawset(L, t);
}

/* One "key": value member of the object at stack index t (0 when not emitting). Returns 1 when
 * a value was stored. */
static int member(dec *d, int pn, int t, int emit) {
  size_t n;
  const char *k;
  int child, keep;
  if (*d->p != '"') fail(d, "expected a string key");
  k = string(d, &n, emit);
  child = emit ? proj_child(d, pn, k, n) : -1;
  keep = emit && child != -2;
  if (peek(d) != ':') fail(d, "expected ':' after key");
  d->p++;
  if (peek(d) == 'n') {
    literal(d, "null", 4);
    if (keep) {
      lua_pushlstring(d->L, k, n);
      null_member(d, t);
    }
    return 0;
  }
  if (!keep) {
    value(d, -1, NULL, 0);
    return 0;
  }
  lua_pushlstring(d->L, k, n);
  value(d, child, lua_tostring(d->L, -1), 1);
  lua_rawset(d->L, t);
  return 1;
}

static void object(dec *d, int pn, const void *hkey, int emit) {
  hint *h = NULL;
  int t = 0, n = 0;
  enter(d);
  d->p++;
  if (emit) {
    h = hint_for(d, hkey);
    lua_createtable(d->L, 0, h->nrec);
    t = lua_gettop(d->L);
  }
  if (peek(d) == '}') d->p++;
  else for (;;) {
    n += member(d, pn, t, emit);
    if (peek(d) == ',') {
      d->p++;
      peek(d);
    } else if (*d->p == '}') {
      d->p++;
      break;
    } else fail(d, "expected ',' or '}' in object");
  }
  if (h) h->nrec = n;
  d->depth--;
}

/* One value at d->p (after whitespace); with emit it is pushed, else only validated. pn: the
 * projection node filtering this value's members (-1: all); hkey: the key it sits under. */
static void value(dec *d, int pn, const void *hkey, int emit) {
  size_t n;
  const char *s;
  switch (peek(d)) {
  case '{': object(d, pn, hkey, emit); return;
  case '[': array(d, pn, hkey, emit); return;
  case '"':
    s = string(d, &n, emit);
    if (emit) lua_pushlstring(d->L, s, n);
    return;
  case 't': literal(d, "true", 4); if (emit) lua_pushboolean(d->L, 1); return;
  case 'f': literal(d, "false", 5); if (emit) lua_pushboolean(d->L, 0); return;
  case 'n': literal(d, "null", 4); if (emit) lua_pushlightuserdata(d->L, NULL); return;
  case '-': case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9': number(d, emit); return;
  default: fail(d, "unexpected character");
  }
}

/* ---- projection ---- */

/* The child of parent named s[0..n), added when missing; -1 when the tree is full. */
static int proj_add(hs_proj *pj, int parent, const char *s, size_t n) {
  int k;
  for (k = pj->node[parent].kids; k >= 0; k = pj->node[k].next)
    if (pj->node[k].len == n && memcmp(pj->names + pj->node[k].name, s, n) == 0) return k;
  if (pj->count >= HS_PROJ_NODES || n > sizeof pj->names - pj->used) return -1;
  k = pj->count++;
  memcpy(pj->names + pj->used, s, n);
  pj->node[k].name = (unsigned short)pj->used;
  pj->node[k].len = (unsigned short)n;
  pj->node[k].kids = -1;
  pj->node[k].all = 0;
  pj->node[k].next = pj->node[parent].kids;
  pj->node[parent].kids = (short)k;
  pj->used += n;
  return k;
}

/* Adds one dotted path under node at; NULL, or what is wrong with it. */
static const char *proj_path(hs_proj *pj, int at, const char *s, size_t n) {
  const char *end = s + n;
  if (n == 0) return "an empty path";
  for (;;) {
    const char *dot = memchr(s, '.', (size_t)(end - s));
    size_t seg = (size_t)((dot ? dot : end) - s);
    if (seg == 0) return "an empty name in a path";
    if (pj->node[at].all) return NULL; /* a shorter path already keeps all of it */
    if ((at = proj_add(pj, at, s, seg)) < 0) return "more than the projection holds";
    if (!dot) break;
    s = dot + 1;
  }
  pj->node[at].all = 1;
  return NULL;
}

/* The fixed part of the tree (hs.h): _links and page kept, and with embedded the items'
 * node under _embedded. Returns the node the user's paths hang from. */
static int proj_root(hs_proj *pj, const char *embedded) {
  int at = 0;
  memset(pj, 0, sizeof *pj);
  pj->count = 1;
  pj->node[0].kids = -1;
  proj_path(pj, 0, "_links", 6);
  proj_path(pj, 0, "page", 4);
  if (embedded) {
    at = proj_add(pj, 0, "_embedded", 9);
    at = proj_add(pj, at, embedded, strlen(embedded));
  }
  return at;
}

int hs_proj_compile(lua_State *L, int fields_idx, const char *embedded, hs_proj *pj) {
  int i, len, at = proj_root(pj, embedded);
  fields_idx = hs_absindex(L, fields_idx);
  if (lua_type(L, fields_idx) != LUA_TTABLE) {
    lua_pushliteral(L, "fields is not a table");
    return 0;
  }
  if (at < 0) {
    lua_pushliteral(L, "the embedded key is too long");
    return 0;
  }
  len = (int)hs_rawlen(L, fields_idx);
  for (i = 1; i <= len; i++) {
    size_t n;
    const char *s, *why;
    lua_rawgeti(L, fields_idx, i);
    s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    lua_pop(L, 1); /* the table still holds the string */
    if (!s) {
      lua_pushfstring(L, "fields[%d] is not a string", i);
      return 0;
    }
    if ((why = proj_path(pj, at, s, n))) {
      lua_pushfstring(L, "fields[%d] ('%s') is %s", i, s, why);
      return 0;
    }
  }
  return 1;
}

/* ---- entry points ---- */

/* 1 when the value at idx is a decoded JSON array: the decoder gives every one HS_ARRAY_MT (the
 * encoder and the page checks ask this, not the table's keys). */
int hs_json_is_array(lua_State *L, int idx) {
  int yes;
  if (!lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, HS_ARRAY_MT);
  yes = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return yes;
}

static int protected_decode(lua_State *L) {
  dec *d = lua_touserdata(L, 1);
  d->L = L;
  lua_getfield(L, LUA_REGISTRYINDEX, HS_ARRAY_MT);
  if (!lua_istable(L, -1)) return luaL_error(L, "helpscout: the array metatable is missing");
  d->mt = lua_gettop(L);
  value(d, d->proj ? 0 : -1, NULL, 1);
  skip_ws(d);
  if (d->p != d->end) fail(d, "trailing characters after the value");
  return 1;
}

int hs_json_decode_proj(lua_State *L, const char *s, size_t n, const hs_proj *proj) {
  dec *d = malloc(sizeof *d); /* big (the hint cache): off the C stack */
  int rc;
  if (!d) {
    lua_pushliteral(L, "not enough memory");
    return 0;
  }
  memset(d, 0, sizeof *d);
  d->start = d->p = (const unsigned char *)s;
  d->end = d->p + n;
  d->proj = proj;
  lua_pushcfunction(L, protected_decode);
  lua_pushlightuserdata(L, d);
  rc = lua_pcall(L, 1, 1, 0);
  hs_buf_free(&d->tmp);
  free(d);
  return rc == 0;
}

int hs_json_decode(lua_State *L, const char *s, size_t n) {
  return hs_json_decode_proj(L, s, n, NULL);
}

int hs_json_decode_fields(lua_State *L, const char *s, size_t n, int fields_idx,
                          const char *embedded) {
  hs_proj pj;
  if (!hs_proj_compile(L, fields_idx, embedded, &pj)) return 0;
  return hs_json_decode_proj(L, s, n, &pj);
}
