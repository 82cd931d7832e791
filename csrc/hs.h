/*
 * hs.h — the one internal header of helpscout.core.
 *
 * Layers (DESIGN.md §3):
 *   engine  (hs_tools.c, hs_request.c, hs_response.c, hs_json.c, parts of hs_oauth.c): knows the
 *           protocol, never a socket. It turns Lua arguments into an hs_req (URL, body, cost) and
 *           an hs_resp (status, the few headers that matter, body) into Lua results or an error
 *           table, and decides retries and waits.
 *   drivers (hs_curl.c): move bytes for an hs_req into an hs_resp — a reused easy handle for one
 *           request at a time, a multi handle for parallel pages. A Lua cosocket driver can call
 *           the same engine through core.engine (hs_module.c).
 *   client  (hs_client.c, hs_oauth.c, hs_pager.c): the userdata that owns the buffers, the token
 *           state and the handles, and runs the request loop.
 *
 * Invariants: all memory a request needs is owned by the client userdata (never by a C stack
 * frame), so a Lua error raised anywhere leaks nothing; curl callbacks never touch Lua; only
 * luaopen_helpscout_core is exported.
 */
#ifndef HS_H
#define HS_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "compat.h"

#define HS_EXPORT __attribute__((visibility("default")))
#define HS_VERSION "0.1.0"
#define HS_CLIENT_MT "helpscout.Client"
#define HS_ERROR_MT "helpscout.Error"
#define HS_DECODE_KEY "helpscout.json_decode"
#define HS_DEFAULT_BASE "https://api.helpscout.net"
#define HS_AUTHORIZE_BASE "https://secure.helpscout.net/authentication/authorizeClientApplication"
#define HS_TOKEN_PATH "/v2/oauth2/token"
#define HS_MAX_CONCURRENCY 8
#define HS_MAX_BODY (64u * 1024u * 1024u) /* a response larger than this is a protocol error */
#define HS_MAX_SERVER_WAIT 120.0 /* longest retry waiting (one or summed) inside one call */

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
void hs_baddurlenc(lua_State *L, hs_buf *b, const char *s, size_t n); /* RFC 3986 unreserved kept */

/* ---- the tool table (hs_tools.c) ---- */
enum hs_ptype {
  HS_T_STRING, HS_T_INTEGER, HS_T_BOOLEAN, HS_T_INTEGERS, HS_T_DATE, HS_T_OBJECT,
  HS_T_STRINGS, /* array of strings */
  HS_T_OBJECTS  /* array of objects */
};
#define HS_REQUIRED 1u
#define HS_NULLABLE 2u /* may be cjson.null: sent as JSON null */

typedef struct hs_param {
  const char *name;
  int type;
  unsigned flags;
  const char *const *enums; /* descriptive; the API validates values (helpscout-api.md §11.24) */
  const char *desc;
} hs_param;

enum hs_body { HS_BODY_NONE, HS_BODY_OBJECT, HS_BODY_NOTE, HS_BODY_TAGS };
enum hs_result { HS_RES_PAGE, HS_RES_OBJECT, HS_RES_ID, HS_RES_TRUE };

typedef struct hs_tool {
  const char *name, *title, *desc;
  int write;
  const char *method;
  const char *path;     /* template, e.g. "/v2/conversations/{conversation_id}/notes" */
  const char *id_arg;   /* positional id argument name, or NULL */
  const char *body_arg; /* positional body argument name (write tools), or NULL */
  int body;             /* enum hs_body */
  const hs_param *params;
  int nparams;
  const char *embedded; /* _embedded key of list tools, or NULL */
  int result;           /* enum hs_result */
  const char *default_embed;
} hs_tool;

extern const hs_tool hs_tools[];
extern const int hs_ntools;
const hs_tool *hs_tool_find(const char *name);
const hs_tool *hs_tool_check(lua_State *L, int arg, int want_list); /* raises */
void hs_tools_push(lua_State *L); /* the public array describing the tools */
void hs_push_valid_names(lua_State *L, const hs_param *ps, int n); /* "a, b, c" */

/* ---- requests and responses (engine) ---- */
typedef struct hs_req {
  const char *method; /* static string */
  int write;          /* counts 2 against the rate limit */
  int idempotent;     /* GET/PUT, and the client-credentials grant */
  int token;          /* token endpoint: form body, no bearer */
  hs_buf url;         /* absolute */
  hs_buf body;
  const char *ctype;  /* body content type or NULL */
} hs_req;

/* What the driver saw on the wire (facts only; hs_response.c turns them into kinds and retries).
 * HS_TX_TIMEOUT: the time ran out once the request may have left (in part or whole).
 * HS_TX_CONNECT_TIMEOUT: the time ran out before the connection opened: no byte of the request
 * was sent. HS_TX_NOCONNECT: the connection was refused or the host not found. */
enum hs_transport { HS_TX_OK, HS_TX_TIMEOUT, HS_TX_NETWORK, HS_TX_NOCONNECT, HS_TX_TRUNCATED,
                    HS_TX_TOOBIG, HS_TX_CONNECT_TIMEOUT };

typedef struct hs_resp {
  long status;
  int transport; /* enum hs_transport */
  char errmsg[CURL_ERROR_SIZE];
  char ctype[128], resource_id[48], location[1024];
  char retry_after[48], xretry_after[48], remaining[48];
  int in_headers; /* header callback state: a status line was seen */
  hs_buf body;
} hs_resp;

void hs_resp_reset(hs_resp *r);
void hs_resp_free(hs_resp *r);
void hs_resp_header(hs_resp *r, const char *line, size_t n); /* one raw header line */

/* hs_request.c: argument checking and request building; everything raises on bad arguments. */
long long hs_check_id(lua_State *L, int arg);
void hs_check_opts(lua_State *L, int arg, const hs_tool *t);
void hs_build_url(lua_State *L, hs_buf *url, const char *base, const hs_tool *t, long long id,
                  int opts, long long page_override);
void hs_build_body(lua_State *L, hs_buf *out, const hs_tool *t, int arg);
void hs_req_init(hs_req *r, const hs_tool *t);

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
 * Skipped members are validated, never built. At most 128 path names. */
#define HS_ARRAY_MT "helpscout.array"
#define HS_JSON_MAX_DEPTH 1000
void hs_json_encode(lua_State *L, hs_buf *out, int idx, const char *key, int arg);
int hs_json_decode(lua_State *L, const char *s, size_t n); /* 1: value pushed; 0: message pushed */
int hs_json_decode_fields(lua_State *L, const char *s, size_t n, int fields_idx,
                          const char *embedded);
int hs_json_fields_check(lua_State *L, int fields_idx); /* 1 ok; 0 message pushed */
int hs_is_null(lua_State *L, int idx);
size_t hs_utf8_len(const unsigned char *s, size_t left); /* valid sequence length at s, or 0 */
void hs_json_open(lua_State *L); /* core.json_decode, core.json_encode, core.array into the table at -1 */

/* hs_response.c: results, errors and policy */
typedef struct hs_decision {
  int retry;
  double wait;        /* seconds */
  double retry_after; /* server-provided, or -1 */
} hs_decision;

const char *hs_status_kind(long status);
double hs_resp_retry_after(const hs_resp *r); /* X-RateLimit-Retry-After, then Retry-After; -1 */
int hs_resp_retryable(const hs_req *q, const hs_resp *r);
hs_decision hs_decide(const hs_req *q, const hs_resp *r, int attempt, int retries, double rnd);
int hs_interpret(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r);
int hs_interpret_page(lua_State *L, const hs_tool *t, const hs_req *q, const hs_resp *r);
void hs_push_error(lua_State *L, const char *kind, long status, const char *msg, const hs_req *q,
                   int retryable);
void hs_push_resp_error(lua_State *L, const hs_req *q, const hs_resp *r);
int hs_push_error_mt(lua_State *L);
void hs_error_open(lua_State *L);

/* ---- the client (hs_client.c) ---- */
typedef struct hs_slot {
  CURL *easy;
  struct curl_slist *hdrs;
  hs_req req;
  hs_resp resp;
  long long page;
  int attempt, state, token_gen;
  double not_before, waited;
} hs_slot;

typedef struct hs_client {
  int closed;
  int in_callback; /* on_token is running: the client's buffers are in use, so no re-entry */
  int self; /* stack index of the userdata in the current call (set by hs_check_client) */
  CURL *easy;
  CURLM *multi;
  struct curl_slist *hdrs;
  char *base_url, *client_id, *client_secret, *user_agent;
  char *access_token, *refresh_token, *token_type;
  double expires_at, lifetime; /* epoch seconds (0 unknown); token lifetime (0 unknown) */
  int token_gen;
  long timeout_ms, connect_timeout_ms;
  int retries, read_only;
  hs_req req, treq; /* API request, token request */
  hs_resp resp;
  hs_buf auth;      /* "Authorization: Bearer ..." */
  long rl_remaining;
  double rl_reset_at; /* monotonic seconds, 0 unknown */
  uint64_t rng;
  char errbuf[CURL_ERROR_SIZE];
  hs_slot slots[HS_MAX_CONCURRENCY];
} hs_client;

hs_client *hs_check_client(lua_State *L, int idx); /* raises when closed */
int hs_client_open(lua_State *L);                   /* pushes the metatable-filling functions */
hs_client *hs_client_new(lua_State *L, int opts);   /* pushes the userdata */
void hs_client_close(hs_client *c);                 /* idempotent */
double hs_now(void);                                /* monotonic seconds */
double hs_epoch(void);                              /* wall clock seconds */
void hs_sleep(double secs);
double hs_random(hs_client *c);                     /* [0, 1) */
void hs_pace(hs_client *c, const hs_req *q, double *delay);
void hs_note_rate(hs_client *c, const hs_resp *r);
/* Runs q through token, pacing, the driver and the retry policy until c->resp holds a final
 * answer. Returns 1, or 0 with an error table pushed (token failures). */
int hs_run(lua_State *L, hs_client *c, hs_req *q);
char *hs_strdup(const char *s);
void hs_secfree(char **p);

/* ---- drivers (hs_curl.c) ---- */
int hs_curl_setup(hs_client *c, CURL *h, hs_resp *resp);
int hs_curl_prepare(hs_client *c, CURL *h, const hs_req *q, hs_resp *resp,
                    struct curl_slist **hdrs);
void hs_curl_done(CURL *h, CURLcode rc, hs_resp *resp);
void hs_curl_perform(hs_client *c, const hs_req *q, hs_resp *resp);

/* ---- OAuth (hs_oauth.c) ---- */
int hs_token_ensure(lua_State *L, hs_client *c, int force); /* 1 ok, 0 err pushed */
void hs_token_push(lua_State *L, const hs_client *c);
int hs_grant(lua_State *L, hs_client *c, const char *grant, const char *code);
int hs_l_authorize_url(lua_State *L);
int hs_l_exchange_code(lua_State *L);

/* ---- iterators (hs_pager.c) ---- */
int hs_l_each(lua_State *L);
int hs_l_pages(lua_State *L);
int hs_l_fetch_all(lua_State *L);

/* ---- engine entry points for other drivers (hs_module.c) ---- */
void hs_engine_open(lua_State *L);

#endif
