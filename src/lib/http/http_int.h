/* http_int.h: what http.c (the connection layer: sockets, libmicrohttpd, TLS, connection
 * limits) and http_router.c (the request layer: decoding, roles, routing, cache,
 * metrics) share. Private to src/lib/http. */
#ifndef TMFINV_HTTP_INT_H
#define TMFINV_HTTP_INT_H

#include "http.h"

#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdint.h>

#define HTTP_MAX_ROUTES 64
#define HTTP_N_BUCKETS 13

typedef struct http_token {
    char name[64];
    int roles;
    char hash[65];
} http_token;

typedef struct http_route_stats {
    _Atomic uint64_t by_status[600];   /* requests by HTTP status */
    _Atomic uint64_t buckets[HTTP_N_BUCKETS + 1];
    _Atomic uint64_t sum_us;
} http_route_stats;

/* One accepted connection, from accept() until libmicrohttpd reports it closed. */
typedef struct http_conn {
    int fd;                     /* -1: free slot */
    struct sockaddr_storage addr;
    int over;                   /* admitted past a limit: its request gets a 503 */
    const char *over_reason;
    _Atomic int64_t deadline_ms; /* monotonic; the request must be in by then; 0: none (being answered) */
    int cut;                    /* shut down for passing its deadline */
    int known;                  /* libmicrohttpd reported it started: it will report its end */
} http_conn;

struct tmfinv_http_server {
    tmfinv_http_config cfg;
    struct MHD_Daemon *mhd;
    const tmfinv_http_route *routes[HTTP_MAX_ROUTES];
    size_t n_routes;
    http_route_stats stats[HTTP_MAX_ROUTES + 1]; /* the last one: requests that matched no route */
    http_token *tokens;
    size_t n_tokens;
    int has_tokens;
    void *app;
    unsigned port;
    int tls;
    pthread_key_t store_key;
    pthread_key_t cache_key;
    int keys_made;
    _Atomic uint64_t generation;
    char *store_path;
    /* the connection layer (http.c) */
    int listen_fd;
    pthread_t acceptor;
    int acceptor_started;
    _Atomic int stopping;
    pthread_mutex_t conns_lock; /* guards conns and the counts */
    int conns_lock_made;
    http_conn *conns;
    size_t n_slots;             /* max_connections + overflow */
    size_t n_admitted;          /* within the limits */
    size_t n_over;              /* admitted only to be answered 503 */
    char *tls_cert_pem;
    char *tls_key_pem;
    char **cors_origins;        /* http_cors.c */
    size_t n_cors_origins;
};

/* The answer cache (http_cache.c), one per server thread. */
typedef struct http_answer_cache http_answer_cache;

/* This thread's cache, created on first use; NULL when out of memory. */
http_answer_cache *http_thread_cache(tmfinv_http_server *s);

/* Fills `res` from the cache when it holds an answer for `key` at this version: 1, else 0. */
int http_cache_get(http_answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                   tmfinv_http_response *res);

/* Keeps a copy of `res` for `key` (answers over 1 MiB are not kept). */
void http_cache_put(http_answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                    const tmfinv_http_response *res);

/* The thread-key destructor. */
void http_cache_free(void *p);

/* Sets up everything but the connection layer (http_router.c). */
int http_router_init(tmfinv_http_server *s, const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                     const size_t *table_sizes, size_t n_tables, void *app);

/* Frees what http_router_init() set up. */
void http_router_free(tmfinv_http_server *s);

int64_t http_now_us(void);

/* The methods the routes allow on `path`, as "GET, HEAD, PATCH" (HEAD wherever GET is);
 * "" when no route has that path (http_router.c). */
void http_path_methods(tmfinv_http_server *s, const char *path, char *out, size_t size);

/* CORS (http_cors.c). Copies cfg's origins into the server. */
int http_cors_init(tmfinv_http_server *s, const tmfinv_http_config *cfg);
void http_cors_free(tmfinv_http_server *s);

/* Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) from a listed
 * origin for a path some route has: 204 and the Access-Control-Allow-* headers, no token
 * needed. 1 when `res` was filled, else 0 (the request goes on as any other). */
int http_cors_preflight(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, const char *path,
                        tmfinv_http_response *res);

/* Adds the CORS headers of a real request from a listed origin to `res`, once the answer
 * is final (never to what the answer cache keeps, so a cached answer carries no origin). */
void http_cors_headers(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, tmfinv_http_response *res);

#endif
