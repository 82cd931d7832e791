/*
 * hs.h — the one internal header of helpscout.core.
 *
 * Layers (DESIGN.md §3), each file calling only files of its own layer or the layers above it
 * in this list (no circle; spec/support/check-deps.lua checks it and draws it, doc/engine.md):
 *   base     hs_buf.c (Lua-free buffers, URL encoding), hs_error.c (the kind registry, the one
 *            error constructor, argument errors under the public name), hs_sys.c (core.sys:
 *            crypto, files, clocks).
 *   schema   hs_tools.c (the tool table as data), hs_opts.c (the one option checker).
 *   json     hs_decode.c (decoder, projection), hs_json.c (encoder; it asks the schema which
 *            body fields are arrays).
 *   engine   hs_request.c (arguments -> hs_req), hs_response.c (hs_resp -> results or errors, the
 *            retry rule), hs_token.c (due?, grant request, adopt), hs_call.c (the call state
 *            machine, pacing, need_token, cost), hs_engine.c (configuration, core.engine for
 *            Lua), hs_pager.c (paging rules and window). Sans-I/O: time and randomness are
 *            inputs, no socket is ever touched.
 *   drivers  hs_curl.c (bytes of an hs_req into an hs_resp; easy and multi handles),
 *            hs_client.c (the userdata that executes actions; the only C -> Lua calls:
 *            helpscout.renew, helpscout.store.budget and helpscout.changes, see push_rule),
 *            hs_iter.c
 *            (each/pages, and fetch_all's multi loop).
 *   module   hs_module.c (luaopen).
 *
 * Invariants: all memory a request needs is owned by a userdata (never by a C stack frame), so a
 * Lua error raised anywhere leaks nothing; curl callbacks never touch Lua; no Lua stack index is
 * kept in a struct; only luaopen_helpscout_core is exported.
 */
#ifndef HS_H
#define HS_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "compat.h"

#define HS_EXPORT __attribute__((visibility("default")))
#define HS_VERSION "0.2.0"
#define HS_CLIENT_MT "helpscout.Client"
#define HS_ENGINE_MT "helpscout.Engine"
#define HS_CALL_MT "helpscout.Call"
#define HS_PAGER_MT "helpscout.Pager"
#define HS_ERROR_MT "helpscout.Error"
#define HS_ACTION_MT "helpscout.Action"
#define HS_RENEW_KEY "helpscout.renew"
#define HS_BUDGET_KEY "helpscout.store.budget"
#define HS_DEFAULT_BASE "https://api.helpscout.net"
#define HS_AUTHORIZE_BASE "https://secure.helpscout.net/authentication/authorizeClientApplication"
#define HS_TOKEN_PATH "/v2/oauth2/token"
#define HS_MAX_CONCURRENCY 8
#define HS_MAX_BODY (64u * 1024u * 1024u) /* a response larger than this is a protocol error */
#define HS_MAX_HEAD (64u * 1024u) /* header bytes of one response (1xx heads included) */
#define HS_MAX_HEADERS 100u       /* header fields of one response (1xx heads included) */
#define HS_MAX_SERVER_WAIT 120.0 /* longest retry waiting (one or summed) inside one call */
#define HS_WALK_MARGIN 10        /* a next-link walk reads at most totalPages + this many pages */
#define HS_WALK_CAP 100000       /* ... or this many when the API gives no totalPages */
#define HS_MAX_PAGE 2147483647LL /* pages are Lua array keys */

/* ---- growable byte buffer, hs_buf.c (always NUL-terminated when p != NULL) ---- */
typedef struct hs_buf {
  char *p;
  size_t n, cap;
} hs_buf;

int hs_buf_add(hs_buf *b, const void *s, size_t n); /* 0 ok, -1 out of memory */
void hs_buf_reset(hs_buf *b);
void hs_buf_free(hs_buf *b);
void hs_buf_wipe(hs_buf *b); /* zero, then free: for buffers that held secrets */
int hs_buf_urlenc(hs_buf *b, const char *s, size_t n); /* RFC 3986; 0 ok, -1 out of memory */
/* The same, raising a Lua memory error instead of returning -1. */
void hs_badd(lua_State *L, hs_buf *b, const void *s, size_t n);
void hs_badds(lua_State *L, hs_buf *b, const char *s);
void hs_baddc(lua_State *L, hs_buf *b, char ch);
void hs_baddint(lua_State *L, hs_buf *b, long long v);
void hs_baddurlenc(lua_State *L, hs_buf *b, const char *s, size_t n);
char *hs_strdup(const char *s);
void hs_secfree(char **p); /* zero, free, NULL: for strings that held secrets */
int hs_has_crlf(const char *s); /* 1 when s holds CR or LF (header injection) */
void *hs_new_object(lua_State *L, size_t n, const char *mt); /* zeroed, metatable set */

/* ---- errors, hs_error.c: one registry of kinds, one constructor ---- */
int hs_kind_retryable(const char *kind); /* -1: unknown kind */
/* Pushes an error table. retryable < 0: the kind's default. method/url may be NULL. */
void hs_error_push(lua_State *L, const char *kind, long status, const char *msg,
                   const char *method, const char *url, int retryable);
void hs_error_open(lua_State *L); /* creates the metatable */
/* Argument errors: luaL_argerror, except under core.named, where the public name, the user's
 * argument number and position come from the caller (hs_error.c). Every checker uses these. */
int hs_argerror(lua_State *L, int arg, const char *msg);
const char *hs_argtypename(lua_State *L, int arg); /* "no value" past the user's arguments */
void hs_checktype(lua_State *L, int arg, int t);
const char *hs_checkstring(lua_State *L, int arg);
/* Calls the function below the top nargs values (lua_pcall) with argument errors naming fname,
 * argument k reported as k - shift, positioned `level` frames above f (1: f's caller). Leaves
 * nres results (LUA_MULTRET: all); raises again what f raised, after restoring the context. */
int hs_named_call(lua_State *L, const char *fname, int shift, int level, int nargs, int nres);
/* Redaction of an error built from a server's answer (the error at idx): every occurrence of a
 * credential in message, log_ref and errors[i]'s strings becomes "[redacted]". _engine: the
 * engine's access and refresh tokens and client secret, and a grant request's form values (either
 * may be NULL); _one: one secret (an authorization code). */
struct hs_engine;
struct hs_req;
void hs_error_redact_engine(lua_State *L, int idx, const struct hs_engine *e, const struct hs_req *q);
void hs_error_redact_one(lua_State *L, int idx, const char *secret);
void hs_error_export(lua_State *L); /* sets error, is_error, named, kinds, Error on the table at -1 */

/* ---- the tool table as a schema (hs_tools.c) ---- */
enum hs_ftype { HS_T_STRING, HS_T_INTEGER, HS_T_NUMBER, HS_T_BOOLEAN, HS_T_OBJECT, HS_T_ARRAY,
                HS_T_FUNCTION, HS_T_ANY };
#define HS_REQUIRED 1u  /* must be present (body fields) */
#define HS_NULLABLE 2u  /* may be cjson.null: sent as JSON null */
#define HS_CSV 4u       /* an array that also takes one scalar or a CSV string */
#define HS_DATE 8u      /* a string in yyyy-MM-ddTHH:mm:ssZ */
#define HS_NONEMPTY 16u /* strings: not ""; arrays: at least one item */
#define HS_OPEN 32u     /* objects: keys beyond `fields` are allowed (passed through) */

typedef struct hs_field hs_field;
struct hs_field {
  const char *name;
  int type;                 /* enum hs_ftype */
  unsigned flags;
  const char *desc;
  const char *const *enums; /* descriptive; the API validates values (helpscout-api.md §11.24) */
  const hs_field *items;    /* HS_T_ARRAY: the element */
  const hs_field *fields;   /* HS_T_OBJECT: members (NULL: free-form) */
  int nfields;
  double min, max;          /* HS_T_NUMBER/INTEGER options: range when min < max */
};

enum hs_result { HS_RES_PAGE, HS_RES_OBJECT, HS_RES_ID, HS_RES_TRUE };

typedef struct hs_tool {
  const char *name, *title, *desc;
  int write;
  const char *method;
  const char *path;       /* template, e.g. "/v2/conversations/{conversation_id}/notes" */
  const hs_field *id;     /* positional id argument, or NULL */
  const hs_field *body;   /* positional body argument (write tools), or NULL */
  const char *shorthand;  /* a string body means {shorthand = s} (a note's text) */
  const char *wrap;       /* the body is sent as {wrap: <value>} (tags) */
  const hs_field *params; /* the opts table of read tools (query parameters) */
  int nparams;
  const char *embedded;   /* _embedded key of list tools, or NULL */
  int result;             /* enum hs_result */
  const char *default_embed;
  const char *created_path; /* HS_RES_ID: the Location path shape; "#" is digits, the last the id */
  int internal;             /* a client method only (whoami): not in core.schema, not an agent tool */
} hs_tool;

extern const hs_tool hs_tools[];
extern const int hs_ntools;
const hs_tool *hs_tool_find(const char *name);
const hs_tool *hs_tool_check(lua_State *L, int arg, int want_list); /* raises */
int hs_array_key(const char *key); /* 1 when a body field of that name is an array on the wire */
void hs_schema_push(lua_State *L); /* core.schema */

/* ---- options and fields, hs_opts.c: the one checker ---- */
/* Checks the table at arg against fields (known names, types, ranges; required ones present when
 * `required`); raises like luaL_argerror. noun: "option" or "field". */
void hs_check_fields(lua_State *L, int arg, const hs_field *fs, int n, const char *noun,
                     int required);
void hs_check_value(lua_State *L, int arg, int idx, const hs_field *f, const char *noun);
int hs_value_ok(lua_State *L, int idx, const hs_field *f); /* no raise */
int hs_is_int(lua_State *L, int idx);
long long hs_to_int(lua_State *L, int idx);
int hs_is_null(lua_State *L, int idx);
const char *hs_opt_string(lua_State *L, int opts, const char *key); /* NULL when absent */
double hs_opt_number(lua_State *L, int opts, const char *key, double def);
void hs_push_names(lua_State *L, const hs_field *fs, int n); /* "a, b, c" */
int hs_l_check_options(lua_State *L); /* core.check_options(spec, opts, fname) */

/* ---- requests and responses ---- */
typedef struct hs_req {
  const char *method; /* static string */
  int write;          /* counts 2 against the rate limit */
  int idempotent;     /* GET/PUT, and the client-credentials grant */
  int grant;          /* the token endpoint's grant: form body, no bearer, not paced, cost 0 */
  hs_buf url;         /* absolute */
  hs_buf body;
  const char *ctype;  /* body content type or NULL */
  const struct hs_proj *proj; /* decode only these fields (per-call option `fields`), or NULL */
} hs_req;

/* What the driver saw on the wire (facts only; hs_response.c turns them into kinds and retries).
 * HS_TX_TIMEOUT: the time ran out once the request may have left (in part or whole).
 * HS_TX_CONNECT_TIMEOUT: the time ran out before the connection opened: no byte of the request
 * was sent. HS_TX_NOCONNECT: the connection was refused or the host not found. */
enum hs_transport { HS_TX_OK, HS_TX_TIMEOUT, HS_TX_NETWORK, HS_TX_NOCONNECT, HS_TX_TRUNCATED,
                    HS_TX_TOOBIG, HS_TX_CONNECT_TIMEOUT };
extern const char *const hs_tx_names[]; /* enum order, NULL-terminated */

typedef struct hs_resp {
  long status;
  int transport; /* enum hs_transport */
  char errmsg[CURL_ERROR_SIZE];
  char ctype[128], resource_id[48], location[1024];
  char retry_after[48], xretry_after[48], remaining[48];
  size_t head_bytes, head_fields; /* counted against HS_MAX_HEAD, HS_MAX_HEADERS */
  hs_buf body;
} hs_resp;

void hs_resp_reset(hs_resp *r);
void hs_resp_free(hs_resp *r);
void hs_resp_header(hs_resp *r, const char *line, size_t n); /* one raw header line */
void hs_resp_set_header(hs_resp *r, const char *name, size_t nl, const char *v, size_t vn);

/* hs_request.c: argument checking and request building; everything raises on bad arguments. */
long long hs_check_id(lua_State *L, int arg);
void hs_check_opts(lua_State *L, int arg, const hs_tool *t);
void hs_build_url(lua_State *L, hs_buf *url, const char *base, const hs_tool *t, long long id,
                  int opts, long long page_override);
void hs_build_body(lua_State *L, hs_buf *out, const hs_tool *t, int arg);
void hs_req_init(hs_req *r, const hs_tool *t);
void hs_req_free(hs_req *r);
/* Checks arguments first.. of tool t, builds its request into q. Raises on bad arguments. */
void hs_build_call(lua_State *L, hs_req *q, const char *base_url, const hs_tool *t, int first);
/* The per-call options table at arg ({fields = {...}}; more keys in `extra`, e.g. fetch_all's
 * concurrency): compiled into *p; 1 when a projection was given. Raises on bad options. */
int hs_call_options(lua_State *L, int arg, const hs_tool *t, struct hs_proj *p,
                    const hs_field *extra, int nextra);

/* ---- JSON: hs_json.c (encoder, core.json_*), hs_decode.c (decoder) ----
 * Decoded values: integral numbers with |v| < 2^53 are integers; null members of objects are
 * dropped, nulls in arrays are the lightuserdata NULL (cjson.null); every array carries the one
 * metatable HS_ARRAY_MT (core.array), which the encoder honours ([] even when empty). Invalid
 * JSON (RFC 8259 grammar, UTF-8, surrogate pairs, depth <= HS_JSON_MAX_DEPTH, finite numbers)
 * is an error; the decoders never raise: 1 = value pushed, 0 = message pushed.
 * Projection (hs_json_decode_fields): `fields` (stack index) is an array of dotted paths
 * ("id", "customer.email", "tags.tag"). Only object members named by a path are built; a path
 * that ends at a member keeps its whole value; arrays are transparent (each item is projected
 * by the rest of the path); scalars are kept as they are wherever a path reaches them. With
 * `embedded` (a list tool's _embedded key, e.g. "conversations") the paths apply to each item of
 * _embedded.<embedded> and only `page`, `_links` and that array are kept at the top; with
 * embedded == NULL they apply to the top object, whose `_links` and `page` are always kept.
 * Skipped members are validated, never built. */
#define HS_ARRAY_MT "helpscout.array"
#define HS_JSON_MAX_DEPTH 1000
void hs_json_encode(lua_State *L, hs_buf *out, int idx, const char *key, int arg);
int hs_json_decode(lua_State *L, const char *s, size_t n); /* 1: value pushed; 0: message pushed */
int hs_json_is_array(lua_State *L, int idx); /* 1 when the value at idx carries HS_ARRAY_MT */
int hs_json_decode_fields(lua_State *L, const char *s, size_t n, int fields_idx,
                          const char *embedded);
/* The same in two steps, for a call that checks `fields` when it is made and decodes later:
 * hs_proj is self-contained (names copied, offsets not pointers), so it may live in a call's
 * struct and be copied; no Lua stack index is kept. Compile: 1 ok, 0 message pushed (not a
 * table, an entry not a string, an empty name, more than HS_PROJ_NODES names or
 * HS_PROJ_CHARS bytes of names). hs_json_decode_proj(L, s, n, NULL) is hs_json_decode. */
#define HS_PROJ_NODES 128
#define HS_PROJ_CHARS 2048
typedef struct hs_proj_node {
  unsigned short name, len; /* offset and length in names */
  short kids, next;         /* first child, next sibling; -1: none */
  unsigned char all;        /* a path ends here: keep the whole value */
} hs_proj_node;
typedef struct hs_proj {
  int count;
  size_t used;
  hs_proj_node node[HS_PROJ_NODES];
  char names[HS_PROJ_CHARS];
} hs_proj;
int hs_proj_compile(lua_State *L, int fields_idx, const char *embedded, hs_proj *p);
int hs_json_decode_proj(lua_State *L, const char *s, size_t n, const hs_proj *p);
size_t hs_utf8_len(const unsigned char *s, size_t left); /* valid sequence length at s, or 0 */
void hs_json_open(lua_State *L); /* core.json_decode, core.json_encode, core.array into the table at -1 */

/* hs_response.c: results, errors and the retry rule */
typedef struct hs_decision {
  int retry;
  double wait;        /* seconds */
  double retry_after; /* server-provided, or -1 */
} hs_decision;

const char *hs_status_kind(long status);
double hs_resp_retry_after(const hs_resp *r); /* X-RateLimit-Retry-After, then Retry-After; -1 */
int hs_resp_retryable(const hs_req *q, const hs_resp *r); /* may the caller try again */
int hs_resp_resend(const hs_req *q, const hs_resp *r);    /* may the engine send it again */
hs_decision hs_decide(const hs_req *q, const hs_resp *r, int attempt, int retries, double rnd);
/* Pushes the tool's results for r; returns their number (nil, err on failure). origin: the API's
 * scheme://host[:port] (a Location must be on it). */
int hs_interpret(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r,
                 const char *origin);
/* List pages: pushes items, page, next href (or nil) and returns 1; or pushes the error, returns 0 */
int hs_interpret_page(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r);
void hs_push_resp_error(lua_State *L, const hs_req *q, const hs_resp *r);
void hs_push_req_error(lua_State *L, const char *kind, long status, const char *msg,
                       const hs_req *q, int retryable);

/* ---- tokens, hs_token.c ---- */
typedef struct hs_token {
  char *access, *refresh, *type;
  double expires_at, obtained_at; /* epoch seconds; 0 unknown */
  int gen;          /* bumps whenever the token changes */
  int refresh_dead; /* the refresh token was refused: never sent again */
  int resends;      /* lost grant answers re-sent in the current renewal */
  hs_buf auth;      /* "Bearer <access>" */
} hs_token;

typedef struct hs_rate {
  long remaining;    /* from X-RateLimit-Remaining-Minute; -1 unknown */
  double reset_at;   /* epoch seconds when the window resets; 0 unknown */
  long inflight;     /* cost of requests sent and not answered yet */
  int probing;       /* one request is out to learn the reset from its 429 */
  long seen;         /* the count the latest answer named (-1: none yet) */
} hs_rate;

typedef struct hs_engine {
  char *base_url, *origin, *client_id, *client_secret, *user_agent; /* origin: scheme://host[:port] */
  int retries, read_only;
  double max_wait; /* longest wait (rate pacing, or retries summed) one call sleeps through */
  hs_token tok;
  hs_rate rate;
  uint64_t rng;
  hs_req treq;   /* the grant request of the renewal in progress */
  hs_resp tresp; /* and its answer, when it came through Lua */
} hs_engine;

int hs_token_due(const hs_token *t, double now);
int hs_can_renew(const hs_engine *e);
/* Sets the token from strings (NULL keeps nothing); returns NULL or a message (CR/LF). */
const char *hs_token_set(hs_token *t, const char *access, const char *refresh, const char *type,
                         double expires_at, double obtained_at);
void hs_token_free(hs_token *t);
void hs_token_push(lua_State *L, const hs_token *t); /* a copy as a Lua table */
/* Builds the grant request into q; 1, or 0 with an error pushed (no credentials, dead refresh). */
int hs_token_request(lua_State *L, hs_engine *e, hs_req *q, const char *code);
/* Adopts a grant answer; 1 with the token table pushed, or 0 with an error pushed. */
int hs_token_answer(lua_State *L, hs_engine *e, hs_req *q, hs_resp *r, double now);
int hs_token_from_table(lua_State *L, hs_token *t, int idx); /* raises on bad values */

/* ---- engine: configuration and the call state machine (hs_engine.c, hs_call.c) ---- */
void hs_engine_config(lua_State *L, hs_engine *e, int opts, int have_store); /* raises */
void hs_engine_free(hs_engine *e);
double hs_random(hs_engine *e); /* [0, 1) */
/* The engine's options, as a list macro so that the client's list extends it without a copy. */
#define HS_STRING_OPT(n) {.name = n, .type = HS_T_STRING, .flags = HS_NONEMPTY}
#define HS_ENGINE_OPTS \
  HS_STRING_OPT("client_id"), HS_STRING_OPT("client_secret"), HS_STRING_OPT("access_token"), \
  HS_STRING_OPT("refresh_token"), HS_STRING_OPT("token_type"), \
  {.name = "expires_at", .type = HS_T_NUMBER, .min = 0, .max = 1e12}, \
  {.name = "obtained_at", .type = HS_T_NUMBER, .min = 0, .max = 1e12}, \
  HS_STRING_OPT("base_url"), HS_STRING_OPT("user_agent"), \
  {.name = "retries", .type = HS_T_INTEGER, .min = 0, .max = 10}, \
  {.name = "max_wait", .type = HS_T_NUMBER, .min = 0, .max = HS_MAX_SERVER_WAIT}, \
  {.name = "read_only", .type = HS_T_BOOLEAN}
extern const hs_field hs_engine_opts[];
extern const int hs_nengine_opts;

enum hs_input { HS_IN_START, HS_IN_RESPONSE, HS_IN_WAITED, HS_IN_TOKEN, HS_IN_TOKEN_ERROR };
enum hs_act { HS_SEND, HS_WAIT, HS_TOKEN, HS_DONE };
enum hs_done { HS_DONE_RESP, HS_DONE_READ_ONLY, HS_DONE_TOKEN_ERROR, HS_DONE_RATE };

typedef struct hs_action {
  int type;           /* enum hs_act */
  double seconds;     /* WAIT */
  const char *reason; /* WAIT: "retry" | "rate_limit" (the Lua action's reason) */
  const char *need;   /* TOKEN: "missing" | "due" | "rejected" */
  int generation;     /* TOKEN */
  int done;           /* DONE: enum hs_done */
} hs_action;

/* One call's state. Invariants the state machine (hs_call.c) relies on:
 *   attempt     retries used so far (hs_decide's budget); replayed: the one replay after a 401
 *               was spent; sent_gen: the token generation the last SEND carried (a 401 for an
 *               older generation is answered by sending again, not by renewing).
 *   in_flight   the SEND's cost is counted in e->rate.inflight until it is answered or
 *               abandoned (hs_call_abandon): every path out of K_SENT clears it exactly once.
 *   fresh_token set by a TOKEN input: the call sends once with what the renewal gave even if
 *               that token is still "due" (a renewal that kept a due token because the store
 *               failed, or a lifetime shorter than the margin) — without it the call would ask
 *               for a TOKEN again, forever. Only a missing token asks again.
 *   probe       this call is the one request sent to learn the window reset from its 429.
 *   cost        what the SEND counts against the rate budget (hs_req_cost), set when it is
 *               ready to go; the same value is taken back when it is answered or abandoned.
 *   state       K_* in hs_call.c; done: enum hs_done once DONE (-1 before). */
typedef struct hs_call {
  const hs_tool *tool;
  hs_req req;
  int attempt, replayed, sent_gen, in_flight, fresh_token, probe, state, done;
  long cost;
  double waited, rate_wait; /* rate_wait: DONE_RATE's retry_after */
} hs_call;

/* The engine's answers the drivers ask for instead of deciding (DESIGN §3: no driver has a
 * rule or a number of its own). */
const char *hs_need_token(const hs_engine *e, double now); /* "missing" | "due" | NULL */
long hs_req_cost(const hs_req *q); /* against the rate budget: writes 2, reads 1, grants 0 */
#define HS_WRITE_COST 2
#define HS_DEFAULT_CONCURRENCY 4 /* fetch_all's workers when not told */
#define HS_PAGE_AHEAD 2          /* a parallel walk starts at most this many pages per worker
                                    ahead of the join (memory follows the data) */
#define HS_DEFAULT_TIMEOUT 30.0  /* seconds: one whole attempt, connect to last byte */
#define HS_DEFAULT_CONNECT_TIMEOUT 10.0
#define HS_TIMEOUT_MIN 0.001 /* the range of the options timeout and connect_timeout */
#define HS_TIMEOUT_MAX 86400.0
void hs_limits_push(lua_State *L); /* core.limits: these numbers, for drivers written in Lua */
void hs_rate_push(lua_State *L, const hs_engine *e); /* eng:rate()'s table */

void hs_call_init(hs_call *k, const hs_tool *t);
/* One step of the state machine; r is the response for HS_IN_RESPONSE (else ignored). */
void hs_call_step(hs_engine *e, hs_call *k, int input, const hs_resp *r, double now, double rnd,
                  hs_action *a);
void hs_call_abandon(hs_engine *e, hs_call *k); /* a SEND that will never be answered */
int hs_call_expects(const hs_call *k, int input);
/* Pushes a DONE's values (hs_interpret, or the read_only / rate error); returns their number. */
int hs_call_results(lua_State *L, hs_engine *e, hs_call *k, const hs_action *a, hs_resp *r);
void hs_action_push(lua_State *L, hs_engine *e, hs_call *k, const hs_action *a);
void hs_engine_open(lua_State *L); /* pushes core.engine */
typedef struct hs_lcall { /* a call as a Lua object (core.engine): the call and its last answer */
  hs_call k;
  hs_resp r;
  int started;
  int paged; /* a pager's call: a 2xx DONE carries no results (accept decodes the page once) */
  hs_proj proj;
} hs_lcall;
hs_lcall *hs_lcall_new(lua_State *L, int eng, const hs_tool *t); /* pushes it */
hs_engine *hs_engine_new(lua_State *L, int opts, int have_store); /* pushes the userdata */
void hs_outcome_read(lua_State *L, int idx, hs_resp *r); /* a Lua outcome table -> r */
void hs_send_push(lua_State *L, const hs_engine *e, const hs_req *q); /* a SEND action */
const char *hs_req_auth(const hs_engine *e, const hs_req *q); /* its Authorization, or NULL */
hs_engine *hs_engine_check(lua_State *L, int idx);

/* ---- paging rules, hs_pager.c ---- */
typedef struct hs_pager {
  const hs_tool *tool;
  hs_buf next;         /* the next URL of a sequential walk ("" when the walk is over) */
  long long first;     /* the page number the walk started at */
  long long last;      /* parallel walk: the last page worth asking for */
  long long started, joined; /* parallel walk: highest page started / joined in order */
  long long read, bound;     /* pages read; pages a walk may read */
  int conc;                  /* fetch_all's workers (its option concurrency) */
  struct hs_proj *proj;      /* the walk's projection (&projbuf), or NULL */
  hs_proj projbuf;
} hs_pager;
/* The pager userdata's user value: {engine =, opts =, seen = ids, visited = urls, held = pages} */
hs_pager *hs_pager_new(lua_State *L, int eng, const hs_tool *t, int opts, int call_opts,
                       const hs_field *extra, int nextra); /* pushes it; raises */
hs_pager *hs_pager_check(lua_State *L, int idx);
/* Sequential walk: the next URL into q: 1; 0 when the walk is over; -1 with the error pushed
 * when it would go beyond its bound. */
int hs_pager_next_req(lua_State *L, int p, hs_req *q);
/* Accepts the answer r to the request q of a sequential walk: pushes the new items and the page
 * (returns 2), or the error (returns 0). */
int hs_pager_accept(lua_State *L, int p, const hs_engine *e, const hs_req *q, const hs_resp *r);
/* Parallel walk (after page `first` was accepted): */
int hs_pager_parallel(lua_State *L, int p, int page); /* 1: the page count allows it */
long long hs_pager_window(const hs_pager *pg); /* pages ahead of the join: HS_PAGE_AHEAD * conc */
long long hs_pager_next_page(hs_pager *pg, long long window); /* 0: none to start now */
extern const hs_field hs_fetch_opts[]; /* fetch_all's options beyond `fields`: concurrency */
#define HS_NFETCH_OPTS 1
void hs_pager_page_req(lua_State *L, int p, const hs_engine *e, hs_req *q, long long n);
int hs_pager_accept_page(lua_State *L, int p, long long n, const hs_req *q, const hs_resp *r);
int hs_pager_take(lua_State *L, int p, int out); /* appends joinable items to out; 1 when done */
void hs_pager_open(lua_State *L); /* the pager's metatable, and eng:pager */

/* ---- drivers ---- */
typedef struct hs_slot {
  CURL *easy;
  struct curl_slist *hdrs;
  hs_call call;
  hs_resp resp;
  long long page;
  int state;
  double not_before;
} hs_slot;

typedef struct hs_client {
  int closed, busy;
  int budget;       /* the store shares a rate budget (spend/observe): see hs_budget */
  hs_engine *e;     /* owned by the engine userdata in the client's user value */
  CURL *easy;
  CURLM *multi;
  struct curl_slist *hdrs;
  long timeout_ms, connect_timeout_ms;
  hs_call call;
  hs_resp resp;
  hs_proj proj;    /* the current call's projection */
  hs_slot slots[HS_MAX_CONCURRENCY];
} hs_client;

hs_client *hs_check_client(lua_State *L, int idx); /* raises when closed or busy */
int hs_client_open(lua_State *L);                   /* pushes core.new */
void hs_client_close(hs_client *c);                 /* idempotent */
/* Executes actions for call k until DONE (hs_client.c). Leaves the DONE action in *a. 1 ok; 0
 * with a token error pushed. */
int hs_client_run(lua_State *L, int client, hs_client *c, hs_call *k, hs_action *a);
int hs_renew(lua_State *L, int client, hs_client *c, const hs_action *a); /* 1 ok, 0 err pushed */
/* The store's shared rate budget (helpscout.store.budget): "gate" before a SEND of cost, "share"
 * after a response. No-ops unless the store has one. Never raises. */
void hs_budget(lua_State *L, int client, hs_client *c, const char *what, long cost);

int hs_curl_setup(hs_client *c, CURL *h, hs_resp *resp);
int hs_curl_prepare(CURL *h, const char *auth, const hs_req *q, hs_resp *resp,
                    struct curl_slist **hdrs);
void hs_curl_done(CURL *h, CURLcode rc, hs_resp *resp);
void hs_curl_perform(hs_client *c, const hs_req *q, const char *auth, hs_resp *resp);

/* ---- iterators (hs_iter.c) ---- */
int hs_l_each(lua_State *L);
int hs_l_pages(lua_State *L);
int hs_l_fetch_all(lua_State *L);
void hs_iter_open(lua_State *L); /* adds them to the client's methods */

/* ---- OAuth helpers (hs_token.c) ---- */
int hs_l_authorize_url(lua_State *L);
int hs_l_exchange_code(lua_State *L);

/* ---- core.sys: crypto and file primitives for the Lua layer (hs_sys.c) ---- */
int hs_sys_open(lua_State *L); /* pushes the table */
double hs_monotonic(void); /* monotonic seconds: deadlines inside one process */
double hs_epoch(void);     /* wall-clock epoch seconds: core.sys.epoch, every engine input */
void hs_sleep(double secs);

#endif
