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
#define PROJ_MAX 128   /* projection tree nodes */
#define MAX_SAFE 9007199254740992.0 /* 2^53 */

typedef struct pnode {
  const char *name;
  size_t len;
  int kids; /* first child, -1: none */
  int next; /* next sibling, -1: none */
  int all;  /* keep the whole value (a path ends here) */
} pnode;

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
  const pnode *proj; /* NULL: no projection */
  int root;          /* projection node applied to the top value, -1: keep all */
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
  int k;
  if (pn < 0) return -1;
  for (k = d->proj[pn].kids; k >= 0; k = d->proj[k].next)
    if (d->proj[k].len == n && memcmp(d->proj[k].name, s, n) == 0)
      return d->proj[k].all ? -1 : k;
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

static int proj_add(pnode *pj, int *count, int parent, const char *s, size_t n) {
  int k;
  for (k = pj[parent].kids; k >= 0; k = pj[k].next)
    if (pj[k].len == n && memcmp(pj[k].name, s, n) == 0) return k;
  if (*count >= PROJ_MAX) return -1;
  k = (*count)++;
  pj[k].name = s;
  pj[k].len = n;
  pj[k].kids = -1;
  pj[k].all = 0;
  pj[k].next = pj[parent].kids;
  pj[parent].kids = k;
  return k;
}

/* Adds one dotted path under node at; NULL, or what is wrong with it. */
static const char *proj_path(pnode *pj, int *count, int at, const char *s, size_t n) {
  const char *end = s + n;
  if (n == 0) return "an empty path";
  for (;;) {
    const char *dot = memchr(s, '.', (size_t)(end - s));
    size_t seg = (size_t)((dot ? dot : end) - s);
    if (seg == 0) return "an empty name in a path";
    if (pj[at].all) return NULL; /* a shorter path already keeps all of it */
    if ((at = proj_add(pj, count, at, s, seg)) < 0) return "too many fields";
    if (!dot) break;
    s = dot + 1;
  }
  pj[at].all = 1;
  return NULL;
}

/* Builds the tree from the array of paths at idx (strings stay alive in that table) under the
 * root as described in hs.h; returns NULL, or what is wrong (naming the entry) pushed. */
static const char *proj_compile(lua_State *L, int idx, const char *embedded, pnode *pj,
                                int *root) {
  int count = 1, at, i, len = (int)hs_rawlen(L, idx);
  memset(pj, 0, sizeof *pj);
  pj[0].kids = -1;
  *root = 0;
  if (proj_path(pj, &count, 0, "_links", 6) || proj_path(pj, &count, 0, "page", 4))
    return lua_pushfstring(L, "too many fields");
  at = 0;
  if (embedded) {
    at = proj_add(pj, &count, 0, "_embedded", 9);
    at = proj_add(pj, &count, at, embedded, strlen(embedded));
  }
  for (i = 1; i <= len; i++) {
    size_t n;
    const char *s, *why;
    lua_rawgeti(L, idx, i);
    s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    lua_pop(L, 1); /* the table still holds the string */
    if (!s) return lua_pushfstring(L, "fields[%d] is not a string", i);
    if ((why = proj_path(pj, &count, at, s, n)))
      return lua_pushfstring(L, "fields[%d] ('%s') is %s", i, s, why);
  }
  return NULL;
}

/* ---- entry points ---- */

static int protected_decode(lua_State *L) {
  dec *d = lua_touserdata(L, 1);
  d->L = L;
  lua_getfield(L, LUA_REGISTRYINDEX, HS_ARRAY_MT);
  if (!lua_istable(L, -1)) return luaL_error(L, "helpscout: the array metatable is missing");
  d->mt = lua_gettop(L);
  value(d, d->root, NULL, 1);
  skip_ws(d);
  if (d->p != d->end) fail(d, "trailing characters after the value");
  return 1;
}

static int run(lua_State *L, const char *s, size_t n, const pnode *proj, int root) {
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
  d->root = root;
  lua_pushcfunction(L, protected_decode);
  lua_pushlightuserdata(L, d);
  rc = lua_pcall(L, 1, 1, 0);
  hs_buf_free(&d->tmp);
  free(d);
  return rc == 0;
}

int hs_json_decode(lua_State *L, const char *s, size_t n) {
  return run(L, s, n, NULL, -1);
}

int hs_json_decode_fields(lua_State *L, const char *s, size_t n, int fields_idx,
                          const char *embedded) {
  pnode pj[PROJ_MAX];
  int root;
  fields_idx = hs_absindex(L, fields_idx);
  if (lua_type(L, fields_idx) != LUA_TTABLE) {
    lua_pushliteral(L, "fields is not a table");
    return 0;
  }
  if (proj_compile(L, fields_idx, embedded, pj, &root)) return 0;
  return run(L, s, n, pj, root);
}

int hs_json_fields_check(lua_State *L, int fields_idx) {
  pnode pj[PROJ_MAX];
  int root;
  if (lua_type(L, fields_idx) != LUA_TTABLE) {
    lua_pushliteral(L, "fields is not a table");
    return 0;
  }
  return proj_compile(L, hs_absindex(L, fields_idx), NULL, pj, &root) == NULL;
}
