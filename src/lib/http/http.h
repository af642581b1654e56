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
    int timeout_s;              /* idle or slow clients are dropped after this */
    size_t max_body;            /* bytes */
    size_t max_url;             /* bytes of the request target */
    int max_headers;
    void (*log)(void *ctx, const char *line); /* one line per request; NULL: none */
    void *log_ctx;
} tmfinv_http_config;

/* Starts a server with the given routes (borrowed; must outlive it) and `app` for the
 * handlers. Refuses to listen elsewhere than on loopback without a tokens file. Fails
 * with TMFINV_EINVALID (bad listen address, bad tokens file: file and line named) or
 * TMFINV_EIO (cannot bind). */
int tmfinv_http_start(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                      const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out);


/* The port actually listened on. */
unsigned tmfinv_http_port(const tmfinv_http_server *s);

/* Stops accepting, finishes or drops what is in flight, and frees the server. */
void tmfinv_http_stop(tmfinv_http_server *s);

/* Makes every cached answer stale (the configuration changed). */
void tmfinv_http_invalidate(tmfinv_http_server *s);

/* Appends the server's own metrics in Prometheus text format: requests by route and
 * status, and a latency histogram per route. */
int tmfinv_http_metrics(tmfinv_http_server *s, tmfinv_buf *out);

/* ---- helpers for handlers ---------------------------------------------------------- */

/* The first value of query parameter `name`, or NULL. */
const char *tmfinv_http_query(const tmfinv_http_request *req, const char *name);

/* Adds a response header (value copied). */
int tmfinv_http_header_add(tmfinv_http_response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a JSON body from `json` (not freed) with `status` and
 * Content-Type application/json;charset=utf-8. */
int tmfinv_http_json(tmfinv_http_response *res, int status, const cJSON *json);

/* Sets a TMF Error body {code, reason, message, status} with `status`. */
int tmfinv_http_error(tmfinv_http_response *res, int status, const char *code, const char *reason,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* SHA-256 hex of a token, as stored in the tokens file. */
void tmfinv_http_token_hash(const char *token, char hex[65]);

#endif
