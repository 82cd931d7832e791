/*
 * hs_buf.c — growable byte buffers and the one URL encoder (RFC 3986: unreserved bytes kept,
 * everything else %XX). The hs_buf_* functions touch no Lua state and report out-of-memory as -1;
 * the hs_badd* wrappers raise a Lua memory error instead, for code that runs under a Lua call.
 * Invariant: a buffer with p != NULL is always NUL-terminated, and n + 1 <= cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hs.h"

int hs_buf_add(hs_buf *b, const void *s, size_t n) {
  if (n > (size_t)-1 / 2 - b->n) return -1; /* no size below can wrap around */
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *p;
    while (cap < b->n + n + 1) cap *= 2;
    p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}


void hs_buf_reset(hs_buf *b) {
  b->n = 0;
  if (b->p) b->p[0] = '\0';
}

void hs_buf_free(hs_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

void hs_buf_wipe(hs_buf *b) {
  if (b->p) {
    volatile char *v = b->p;
    size_t i;
    for (i = 0; i < b->cap; i++) v[i] = 0;
  }
  hs_buf_free(b);
}

void hs_badd(lua_State *L, hs_buf *b, const void *s, size_t n) {
  if (hs_buf_add(b, s, n) != 0) luaL_error(L, "helpscout: out of memory");
}

void hs_badds(lua_State *L, hs_buf *b, const char *s) { hs_badd(L, b, s, strlen(s)); }

void hs_baddc(lua_State *L, hs_buf *b, char ch) { hs_badd(L, b, &ch, 1); }

void hs_baddint(lua_State *L, hs_buf *b, long long v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  hs_badd(L, b, tmp, (size_t)n);
}

int hs_buf_urlenc(hs_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    char e[3];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      if (hs_buf_add(b, &ch, 1) != 0) return -1;
      continue;
    }
    e[0] = '%';
    e[1] = hex[ch >> 4];
    e[2] = hex[ch & 15];
    if (hs_buf_add(b, e, 3) != 0) return -1;
  }
  return 0;
}

void hs_baddurlenc(lua_State *L, hs_buf *b, const char *s, size_t n) {
  if (hs_buf_urlenc(b, s, n) != 0) luaL_error(L, "helpscout: out of memory");
}

char *hs_strdup(const char *s) {
  size_t n;
  char *p;
  if (!s) return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

void hs_secfree(char **p) {
  if (*p) {
    volatile char *v = *p;
    while (*v) *v++ = 0;
    free(*p);
    *p = NULL;
  }
}

int hs_has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

/* A zeroed full userdata of n bytes with the metatable named mt (born with its metatable, so a
 * __gc runs whatever happens next). */
void *hs_new_object(lua_State *L, size_t n, const char *mt) {
  void *p = lua_newuserdata(L, n);
  memset(p, 0, n);
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
  return p;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
size_t hs_utf8_len(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  size_t need, i;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (left < need + 1) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (i = 2; i <= need; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return need + 1;
}
