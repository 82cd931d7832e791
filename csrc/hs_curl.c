/*
 * hs_curl.c — the libcurl driver: moves the bytes of an hs_req into an hs_resp.
 *
 * Callbacks append to buffers owned by the client userdata and never touch Lua. One easy handle
 * per client is reused (keep-alive); hs_iter.c (fetch_all) runs extra easy handles under a multi
 * handle for parallel pages with the same prepare/done functions.
 *
 * POST safety: libcurl silently re-sends a request once when a *reused* connection turns out to
 * be dead before any answer arrived. For an API write that could send a reply twice (the first
 * copy may have been processed). Every POST therefore uses CURLOPT_FRESH_CONNECT: a connection
 * that was never used before is never retried by libcurl, so a POST reaches the server at most
 * once per attempt of ours, and our policy (hs_response.c) decides whether another attempt is
 * safe. GET and PUT reuse connections. "Expect:" is cleared so no body ever waits on
 * 100-continue.
 */
#include <stdlib.h>
#include <string.h>
#include "hs.h"

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  hs_resp *r = ud;
  size_t n = size * nmemb;
  if (r->body.n + n > HS_MAX_BODY) {
    r->transport = HS_TX_TOOBIG;
    return 0;
  }
  if (hs_buf_add(&r->body, ptr, n) != 0) return 0;
  return n;
}

/* A head over HS_MAX_HEAD bytes or HS_MAX_HEADERS fields ends the transfer (toobig). */
static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  hs_resp *r = ud;
  size_t n = size * nitems;
  r->head_bytes += n;
  if (n > 2 && memcmp(buf, "HTTP/", 5 < n ? 5 : n) != 0) r->head_fields++;
  if (r->head_bytes > HS_MAX_HEAD || r->head_fields > HS_MAX_HEADERS) {
    r->transport = HS_TX_TOOBIG;
    return 0;
  }
  hs_resp_header(r, buf, n);
  return n;
}

/* Options that never change for a handle. 0 ok, -1 failure. */
int hs_curl_setup(hs_client *c, CURL *h, hs_resp *resp) {
  CURLcode rc = CURLE_OK;
#define SET(opt, v) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, v)
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_ERRORBUFFER, resp->errmsg);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, resp);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, resp);
  SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
  SET(CURLOPT_USERAGENT, c->e->user_agent);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  SET(CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
#undef SET
  return rc == CURLE_OK ? 0 : -1;
}

/* Per-request options and headers; *hdrs is owned by the caller's struct and replaced here. */
int hs_curl_prepare(CURL *h, const char *auth, const hs_req *q, hs_resp *resp,
                    struct curl_slist **hdrs) {
  struct curl_slist *l = NULL, *t;
  int post = strcmp(q->method, "POST") == 0, get = strcmp(q->method, "GET") == 0;
  CURLcode rc = CURLE_OK;
  hs_resp_reset(resp);
  curl_slist_free_all(*hdrs);
  *hdrs = NULL;
#define APPEND(s) \
  do { \
    t = curl_slist_append(l, s); \
    if (!t) goto oom; \
    l = t; \
  } while (0)
  APPEND("Accept: application/hal+json, application/json");
  APPEND("Expect:");
  if (q->ctype) {
    char ct[96];
    strcpy(ct, "Content-Type: ");
    strncat(ct, q->ctype, sizeof ct - strlen(ct) - 1);
    APPEND(ct);
  }
  if (auth) {
    char *line = malloc(strlen(auth) + 16);
    if (!line) goto oom;
    strcpy(line, "Authorization: ");
    strcat(line, auth);
    t = curl_slist_append(l, line);
    memset(line, 0, strlen(line)); /* the slist keeps its own copy */
    free(line);
    if (!t) goto oom;
    l = t;
  }
#undef APPEND
  *hdrs = l;
#define SET(opt, v) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, v)
  SET(CURLOPT_URL, q->url.p);
  SET(CURLOPT_HTTPHEADER, l);
  SET(CURLOPT_FRESH_CONNECT, post ? 1L : 0L);
  SET(CURLOPT_FOLLOWLOCATION, 0L); /* redirects are answers, not instructions (DESIGN §4) */
  if (get) {
    SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
    SET(CURLOPT_HTTPGET, 1L);
  } else {
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDSIZE, (long)q->body.n);
    SET(CURLOPT_POSTFIELDS, q->body.p ? q->body.p : "");
    SET(CURLOPT_CUSTOMREQUEST, post ? (char *)NULL : (char *)q->method);
  }
#undef SET
  return rc == CURLE_OK ? 0 : -1;
oom:
  curl_slist_free_all(l);
  return -1;
}

/* 1 when libcurl says this transfer never completed a TCP handshake AND never handed a byte of
 * the request to the socket; 0 otherwise (or when it cannot tell).
 *
 * Why both: each alone implies that the server cannot have processed the request, but each has a
 * corner where it might lie in the unsafe direction, and requiring both can only make us
 * stricter. CURLINFO_CONNECT_TIME_T is 0 until the TCP connect completes, but it is also stamped
 * (possibly as 0 µs) when a kept-alive connection is reused — a POST never reuses one
 * (CURLOPT_FRESH_CONNECT), yet a clock quirk must not turn a sent request into "never sent".
 * CURLINFO_REQUEST_SIZE counts the request bytes libcurl wrote to the connection (headers and
 * body, reset per transfer), so 0 means nothing left us — but it is only meaningful on protocol
 * paths that count, so it does not stand alone either. CURLINFO_PRIMARY_PORT was rejected: it is
 * known as soon as an address is tried, before any handshake completes. The cost of requiring
 * both: a timeout in the TLS handshake (TCP connected, nothing sent) stays a plain timeout and a
 * POST is not retried — strict, never unsafe. */
static int never_sent(CURL *h) {
  long request_bytes = -1;
#if LIBCURL_VERSION_NUM >= 0x073d00 /* 7.61.0 */
  curl_off_t connect_us = -1;
  if (curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us) != CURLE_OK || connect_us != 0)
    return 0;
#else
  double connect_s = -1;
  if (curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect_s) != CURLE_OK || connect_s != 0)
    return 0;
#endif
  if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes) != CURLE_OK) return 0;
  return request_bytes == 0;
}

/* Classifies the outcome of a finished transfer into resp (facts only: what the policy makes of
 * them is hs_response.c's business). Used by both the easy and the multi driver. */
void hs_curl_done(CURL *h, CURLcode rc, hs_resp *resp) {
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_OK) {
    resp->status = status;
    resp->transport = HS_TX_OK;
    return;
  }
  resp->status = 0;
  if (resp->transport == HS_TX_TOOBIG) {
    strcpy(resp->errmsg, resp->head_bytes > HS_MAX_HEAD || resp->head_fields > HS_MAX_HEADERS
                             ? "response head too large (header bytes or fields over the cap)"
                             : "response body too large");
    return;
  }
  if (!resp->errmsg[0]) {
    strncpy(resp->errmsg, curl_easy_strerror(rc), CURL_ERROR_SIZE - 1);
    resp->errmsg[CURL_ERROR_SIZE - 1] = '\0';
  }
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    resp->transport = never_sent(h) ? HS_TX_CONNECT_TIMEOUT : HS_TX_TIMEOUT;
    break;
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: resp->transport = HS_TX_NOCONNECT; break;
  case CURLE_PARTIAL_FILE: resp->transport = HS_TX_TRUNCATED; break;
  default: resp->transport = HS_TX_NETWORK; break;
  }
}

/* One request on the client's reused easy handle, with the Authorization value auth (or none).
 * The header list (it carries the bearer token) is freed as soon as the transfer is over. */
void hs_curl_perform(hs_client *c, const hs_req *q, const char *auth, hs_resp *resp) {
  CURLcode rc;
  if (hs_curl_prepare(c->easy, auth, q, resp, &c->hdrs) != 0) {
    resp->transport = HS_TX_NETWORK;
    strcpy(resp->errmsg, "could not prepare the request (out of memory)");
  } else {
    rc = curl_easy_perform(c->easy);
    hs_curl_done(c->easy, rc, resp);
  }
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  curl_slist_free_all(c->hdrs);
  c->hdrs = NULL;
}
