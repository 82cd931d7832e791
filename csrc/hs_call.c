/*
 * hs_call.c — engine: one call as a state machine, and pacing. A call (a tool invocation, or one
 * page of an iterator) is fed outcomes and answers actions (DESIGN §3):
 *
 *   START/WAITED/TOKEN ─► ready: token missing or due? ─► TOKEN
 *                                 budget spent?         ─► WAIT (rate_limit) | DONE (rate)
 *                                 else                  ─► SEND
 *   RESPONSE ─► 401 with an older token than now held   ─► SEND again (another renewed it)
 *               401, first time                         ─► TOKEN (rejected), then one replay
 *               retryable (hs_decide) within the budget  ─► WAIT (retry) ─► ready
 *               else                                     ─► DONE
 *
 * No clock, no socket, no Lua: time and randomness are inputs, so every decision is testable
 * with plain tables (spec/engine_spec.lua). Pacing state is the engine's, shared by every call of
 * one client (fetch_all's slots included): requests in flight count against the remaining budget,
 * and once it is spent exactly one request (the probe) may go out to learn from its 429 when the
 * window resets — only X-RateLimit-Retry-After tells — while the others wait for that.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "hs.h"

enum { K_IDLE, K_SENT, K_TOKEN, K_WAIT, K_DONE };
#define PROBE_POLL 0.01   /* how often a call waiting on answers in flight looks again */
#define PROBE_SPACING 1.0 /* a 429 that names no reset: probe again after this long */
#define STALE_RISE (2 * HS_MAX_CONCURRENCY) /* the most an overtaken answer's count can be high */

void hs_call_init(hs_call *k, const hs_tool *t) {
  k->tool = t;
  k->attempt = k->replayed = k->sent_gen = k->in_flight = k->fresh_token = k->probe = 0;
  k->state = K_IDLE;
  k->done = -1;
  k->cost = t && t->write ? 2 : 1;
  k->waited = k->rate_wait = 0;
}

/* Seconds to wait before this call may send (0: go now; *probe set when it goes as the probe). */
static double pace(hs_engine *e, const hs_call *k, double now, int *probe) {
  hs_rate *r = &e->rate;
  *probe = 0;
  if (k->req.token) return 0;
  if (r->reset_at > 0 && now >= r->reset_at) { /* a new window: the old count means nothing */
    r->remaining = -1;
    r->reset_at = 0;
  }
  if (r->remaining < 0 || r->remaining - r->inflight >= k->cost) return 0;
  if (r->reset_at > now) return r->reset_at - now;
  if (r->remaining >= k->cost) return PROBE_POLL; /* answers in flight will say more */
  if (r->probing) return PROBE_POLL;
  *probe = 1;
  return 0;
}

/* Learns from an answer. Answers of concurrent requests arrive in any order, and within a window
 * the count only falls: an answer overtaken by later ones of ours names a count higher than the
 * truth by at most what those cost (STALE_RISE bounds it), and taking it would let requests out
 * into 429s. So an answer lowers the known count, and sets it afresh only when the count is
 * unknown (a new window), when it answers the probe (sent once the count was spent), or when it
 * rises by more than an overtaken answer can (a window that reset unseen: the count must not
 * stay low, it is shared with other processes through a store). */
static void note_rate(hs_engine *e, hs_call *k, const hs_resp *r, double now) {
  hs_rate *rt = &e->rate;
  double ra;
  int probe = k->probe;
  long n;
  if (k->in_flight) {
    rt->inflight -= k->cost;
    if (rt->inflight < 0) rt->inflight = 0;
    k->in_flight = 0;
  }
  if (probe) rt->probing = k->probe = 0;
  if (r->transport != HS_TX_OK || k->req.token) return;
  /* only a plain count: a malformed value must not read as "0 left" and stall every request */
  if (isdigit((unsigned char)r->remaining[0])) {
    n = strtol(r->remaining, NULL, 10);
    rt->seen = n; /* the latest answer's count as it is, for a budget shared with others */
    if (rt->remaining < 0 || probe || n < rt->remaining || n > rt->remaining + STALE_RISE)
      rt->remaining = n;
  }
  ra = hs_resp_retry_after(r);
  if (r->status == 429) {
    rt->remaining = 0;
    rt->reset_at = now + (ra >= 0 ? ra : PROBE_SPACING);
  } else if (r->xretry_after[0] && ra >= 0) {
    rt->reset_at = now + ra;
  }
}

void hs_call_abandon(hs_engine *e, hs_call *k) {
  if (k->in_flight) {
    e->rate.inflight -= k->cost;
    if (e->rate.inflight < 0) e->rate.inflight = 0;
  }
  if (k->probe) e->rate.probing = 0;
  k->in_flight = k->probe = 0;
  k->state = K_DONE;
}

static void done(hs_call *k, hs_action *a, int how) {
  k->state = K_DONE;
  k->done = how;
  a->type = HS_DONE;
  a->done = how;
}

static void wait(hs_call *k, hs_action *a, double secs, const char *reason) {
  k->state = K_WAIT;
  a->type = HS_WAIT;
  a->seconds = secs;
  a->reason = reason;
}

static void token(hs_engine *e, hs_call *k, hs_action *a, const char *need, int gen) {
  (void)e;
  k->state = K_TOKEN;
  a->type = HS_TOKEN;
  a->reason = need;
  a->generation = gen;
}

/* The call may go out as soon as it has a usable token and the budget allows. */
static void ready(hs_engine *e, hs_call *k, double now, hs_action *a) {
  double w;
  int probe;
  if (!k->req.token && (!e->tok.access || (!k->fresh_token && hs_can_renew(e) &&
                                           hs_token_due(&e->tok, now)))) {
    token(e, k, a, e->tok.access ? "due" : "missing", e->tok.gen);
    return;
  }
  w = pace(e, k, now, &probe);
  if (w > e->max_wait) {
    k->rate_wait = w;
    done(k, a, HS_DONE_RATE);
    return;
  }
  if (w > 0) {
    wait(k, a, w, "rate_limit");
    return;
  }
  e->rate.inflight += k->cost;
  if (probe) e->rate.probing = k->probe = 1;
  k->in_flight = 1;
  k->sent_gen = e->tok.gen;
  k->state = K_SENT;
  a->type = HS_SEND;
}

static void answered(hs_engine *e, hs_call *k, const hs_resp *r, double now, double rnd,
                     hs_action *a) {
  hs_decision d;
  note_rate(e, k, r, now);
  if (!k->req.token && r->transport == HS_TX_OK && r->status == 401 && hs_can_renew(e)) {
    if (k->sent_gen != e->tok.gen) { /* sent with a token that another call already replaced */
      ready(e, k, now, a);
      return;
    }
    if (!k->replayed) {
      k->replayed = 1;
      token(e, k, a, "rejected", k->sent_gen);
      return;
    }
  }
  d = hs_decide(&k->req, r, k->attempt, e->retries, rnd);
  if (d.retry && k->waited + d.wait <= e->max_wait) {
    k->waited += d.wait;
    k->attempt++;
    if (d.wait > 0) wait(k, a, d.wait, "retry");
    else ready(e, k, now, a);
    return;
  }
  done(k, a, HS_DONE_RESP);
}

void hs_call_step(hs_engine *e, hs_call *k, int input, const hs_resp *r, double now, double rnd,
                  hs_action *a) {
  memset(a, 0, sizeof *a);
  switch (input) {
  case HS_IN_START:
    if (k->tool && k->tool->write && e->read_only && !k->req.token) {
      done(k, a, HS_DONE_READ_ONLY);
      return;
    }
    ready(e, k, now, a);
    return;
  case HS_IN_RESPONSE: answered(e, k, r, now, rnd, a); return;
  case HS_IN_TOKEN: k->fresh_token = 1; /* fall through */
  case HS_IN_WAITED: ready(e, k, now, a); return;
  default: done(k, a, HS_DONE_TOKEN_ERROR); return;
  }
}

/* Which inputs a call in its current state accepts (for drivers written in Lua). */
int hs_call_expects(const hs_call *k, int input) {
  switch (k->state) {
  case K_IDLE: return input == HS_IN_START;
  case K_SENT: return input == HS_IN_RESPONSE;
  case K_TOKEN: return input == HS_IN_TOKEN || input == HS_IN_TOKEN_ERROR;
  case K_WAIT: return input == HS_IN_WAITED;
  default: return 0;
  }
}

int hs_call_results(lua_State *L, hs_engine *e, hs_call *k, const hs_action *a, hs_resp *r) {
  switch (a->done) {
  case HS_DONE_READ_ONLY:
    lua_pushnil(L);
    hs_push_req_error(L, "read_only", 0, "the client is read-only; write tools are disabled",
                      &k->req, 0);
    return 2;
  case HS_DONE_RATE:
    lua_pushnil(L);
    hs_push_req_error(L, "rate_limited", 0, "the rate limit window resets later than the longest "
                      "wait of one call", &k->req, 1);
    lua_pushnumber(L, (lua_Number)k->rate_wait);
    lua_setfield(L, -2, "retry_after");
    return 2;
  default: {
    int n = hs_interpret(L, k->tool, &k->req, r, e->origin);
    if (n == 2 && lua_isnil(L, -2)) hs_error_redact_engine(L, -1, e, &k->req); /* an echo */
    return n;
  }
  }
}
