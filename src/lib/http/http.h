/* http.h: tmfinv's HTTP server — libmicrohttpd behind a small router.
 *
 * The server owns the listening socket, a pool of threads, limits on everything a
 * client can grow (URL, headers, body, connections, time), bearer-token roles, one log
 * line per request, and per-route request counters and latency histograms for
 * /metrics. Handlers are plain functions registered in route tables; each request gets
 * the store connection of the thread serving it. libmicrohttpd is used here and only
 * here. */
#ifndef TMFINV_HTTP_H
#define TMFINV_HTTP_H

#include "store.h"
#include "tmfinv_buf.h"
#include "tmfinv_log.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tmfinv_http_server tmfinv_http_server;

enum { TMFINV_ROLE_NONE = 0, TMFINV_ROLE_READ = 1, TMFINV_ROLE_WRITE = 2 };

typedef struct tmfinv_http_param {
    char *name;
    char *value;
} tmfinv_http_param;

typedef struct tmfinv_http_request {
    const char *method;         /* "GET", "PATCH", ... */
    const char *path;           /* decoded path, without the query */
    const char *raw_query;      /* the query string as sent (no '?'), "" when none */
    tmfinv_http_param *query;   /* decoded query parameters, in order */
    size_t n_query;
    const char *body;           /* NUL-terminated; "" when none */
    size_t body_len;
    const char *content_type;   /* NULL when none */
    const char *accept;         /* NULL when none */
    const char *if_none_match;  /* the If-None-Match header, NULL when none */
    int roles;                  /* TMFINV_ROLE_* bits the client holds */
    const char *principal;      /* token name, or "anonymous" without a tokens file */
    char *path_params[4];       /* captured {…} segments of the route, decoded */
    size_t n_path_params;
    tmfinv_store *store;        /* this thread's store connection; NULL only for open routes (role 0)
                                 * when the store cannot be opened */
    void *app;                  /* what the server was created with */
    const char *base;           /* "http://host:port" as the client reached us (Host header) */
} tmfinv_http_request;

typedef struct tmfinv_http_header {
    char name[64];
    char *value;
} tmfinv_http_header;

typedef struct tmfinv_http_response {
    int status;
    tmfinv_buf body;
    char content_type[96];
    tmfinv_http_header headers[16];
    size_t n_headers;
} tmfinv_http_response;

/* A handler fills `res` (status, body, headers) and returns 0; a negative return
 * becomes a 500 with a TMF Error body that says nothing of the internals. */
typedef int (*tmfinv_http_handler)(tmfinv_http_request *req, tmfinv_http_response *res);

typedef struct tmfinv_http_route {
    const char *method;         /* "GET", "POST", "PATCH", ... */
    const char *pattern;        /* "/tmf-api/serviceInventory/v4/service/{id}"; a trailing '/' is ignored */
    int role;                   /* TMFINV_ROLE_READ or TMFINV_ROLE_WRITE; 0: open (health) */
    tmfinv_http_handler fn;
    const char *name;           /* route name in logs and metrics */
    int cache;                  /* GET answers may be reused while the store has not changed */
} tmfinv_http_route;

typedef struct tmfinv_http_config {
    const char *listen;         /* "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 picks one */
    const char *tokens_file;    /* NULL: every client has both roles, loopback only */
    const char *store_path;     /* opened once per server thread, read-write */
    int threads;                /* worker threads */
    int max_connections;
    int timeout_s;              /* idle clients are dropped after this */
    int request_timeout_s;      /* whole request (headers and body) within this; 0: 10 s */
    int max_client_connections; /* connections from one IP address; 0: 32 */
    size_t max_body;            /* bytes */
    size_t max_url;             /* bytes of the request target */
    int max_headers;
    const char *tls_cert;       /* PEM certificate chain file: HTTPS; NULL: plain HTTP */
    const char *tls_key;        /* PEM private key file, with tls_cert */
    int plaintext;              /* plain HTTP beyond loopback is allowed (a TLS proxy in front) */
    char *const *cors_origins;  /* browser origins given CORS headers, exactly as Origin spells them
                                 * (copied); none: no CORS header is ever sent */
    size_t n_cors_origins;
    /* One line per request, as fields: route (its name, "-" when none matched), method,
     * target (secret-looking query values masked), status, ms, client, principal. NULL: none. */
    void (*log)(void *ctx, const tmfinv_log_field *fields, size_t n);
    void *log_ctx;
} tmfinv_http_config;

/* Starts a server with the given routes (borrowed; must outlive it) and `app` for the
 * handlers. Refuses to listen elsewhere than on loopback without a tokens file, and
 * without TLS unless cfg->plaintext. Fails with TMFINV_EINVALID (bad listen address,
 * bad tokens file: file and line named; TLS files unreadable or refused) or TMFINV_EIO
 * (cannot bind). */
int tmfinv_http_start(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                      const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out);

/* A server that does not listen: routes, tokens, limits, cache and metrics only, for
 * tmfinv_http_handle() (fuzzing and tests). cfg->listen is not used. Free with
 * tmfinv_http_stop(). */
int tmfinv_http_new(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                    const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out);

/* A request as the connection layer collected it, nothing decoded yet. */
typedef struct tmfinv_http_raw_request {
    const char *method;
    const char *target;         /* the request target as sent (path and query); NULL when too long */
    const tmfinv_http_param *headers; /* in order, names as sent */
    size_t n_headers;
    const char *body;           /* n bytes (NUL-terminated); NULL when none */
    size_t body_len;
    int body_too_large;         /* the body passed max_body and was not kept */
    const char *unavailable;    /* not NULL: answer 503 with this reason (a connection limit) */
    int64_t started_us;         /* monotonic time the request began; 0: now */
    const char *client;         /* the peer's address for the log; NULL: unknown */
} tmfinv_http_raw_request;

/* The per-request logic after the connection layer: decodes and checks the target
 * (400 for a NUL or invalid UTF-8 in the path or a query parameter, naming it), checks
 * limits and roles, routes, runs the handler (or reuses a cached answer), records the
 * metrics and writes the log line. `res` is filled (free it with
 * tmfinv_http_response_free()); for HEAD it holds the body GET would send, which the
 * connection layer does not send. Returns 0, or TMFINV_ENOMEM when not even an error
 * answer could be built. */
int tmfinv_http_handle(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, tmfinv_http_response *res);

void tmfinv_http_response_free(tmfinv_http_response *res);

/* "https" when the server speaks TLS, else "http". */
const char *tmfinv_http_scheme(const tmfinv_http_server *s);


/* The port actually listened on. */
unsigned tmfinv_http_port(const tmfinv_http_server *s);

/* Stops accepting, finishes or drops what is in flight, and frees the server. */
void tmfinv_http_stop(tmfinv_http_server *s);

/* Makes every cached answer stale (the configuration changed). */
void tmfinv_http_invalidate(tmfinv_http_server *s);

/* Appends the server's own metrics in Prometheus text format: requests by route and
 * status, and a latency histogram per route. A NULL server (a daemon whose server is not
 * started) appends nothing. */
int tmfinv_http_metrics(tmfinv_http_server *s, tmfinv_buf *out);

/* ---- helpers for handlers ---------------------------------------------------------- */

/* The first value of query parameter `name`, or NULL. */
const char *tmfinv_http_query(const tmfinv_http_request *req, const char *name);

/* 0 when every query parameter of req is in `allowed` (NULL-terminated), else
 * TMFINV_EINVALID with the message naming the first other one. */
int tmfinv_http_query_only(const tmfinv_http_request *req, const char *const *allowed);

/* Adds a response header (value copied). */
int tmfinv_http_header_add(tmfinv_http_response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a JSON body from `json` (not freed) with `status` and
 * Content-Type application/json;charset=utf-8. */
int tmfinv_http_json(tmfinv_http_response *res, int status, const cJSON *json);

/* Sets a TMF Error body {code, reason, message, status} with `status`. */
int tmfinv_http_error(tmfinv_http_response *res, int status, const char *code, const char *reason,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parses the request body as one JSON value (nothing but whitespace after it) whose
 * strings and member names are valid UTF-8 without NUL; *out is new (cJSON_Delete()).
 * On a bad body answers 400 naming the problem (and the field) and returns
 * TMFINV_EINVALID; TMFINV_ENOMEM when no answer could be built. */
int tmfinv_http_body_json(const tmfinv_http_request *req, tmfinv_http_response *res, cJSON **out);

/* SHA-256 hex of a token, as stored in the tokens file. */
void tmfinv_http_token_hash(const char *token, char hex[65]);

#endif
