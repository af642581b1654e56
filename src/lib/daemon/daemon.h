/* daemon.h: `tmfinv serve` — one process running the sync schedule in a thread and the
 * HTTP API in a pool of threads, over one store.
 *
 * The configuration and the model are held in a reference-counted runtime that SIGHUP
 * replaces (a bad new configuration is refused and the old one kept). The sync thread
 * runs a full sync at start, refreshes every [sync] interval, reconciles every
 * full_interval, and runs a full sync at once when asked (POST /api/v1/sync). Handlers
 * reach all of this through the tmfinv_daemon they get as `req->app`. */
#ifndef TMFINV_DAEMON_H
#define TMFINV_DAEMON_H

#include "config.h"
#include "http.h"
#include "model.h"
#include "sync.h"

#include <signal.h>

typedef struct tmfinv_daemon tmfinv_daemon;

/* A configuration and the model loaded from it; shared, read-only. */
typedef struct tmfinv_runtime {
    tmfinv_config *cfg;
    tmfinv_model *model;
    int refs;               /* guarded by the daemon */
} tmfinv_runtime;

typedef struct tmfinv_daemon_status {
    int running;                    /* a sync run is in progress */
    int64_t runs;                   /* runs finished since start */
    int64_t last_run_id;
    int last_complete;              /* the last finished run was complete */
    int64_t last_complete_unix;     /* end of the last complete run of this process, 0: none */
    double last_duration_s;
} tmfinv_daemon_status;

/* Loads the configuration at `path` and its model; logs go to `log`. */
int tmfinv_daemon_new(const char *path, tmfinv_log_fn log, void *log_ctx, tmfinv_daemon **out);

/* Where the HTTP request log goes (with log_ctx), one call per request: debug for probes
 * and scrapes (/healthz, /readyz, /metrics), else info. Set before tmfinv_daemon_start();
 * NULL (the default): no request log. */
typedef void (*tmfinv_daemon_request_log_fn)(void *ctx, tmfinv_log_level level, const tmfinv_log_field *fields,
                                             size_t n);
void tmfinv_daemon_set_request_log(tmfinv_daemon *d, tmfinv_daemon_request_log_fn fn);

/* Starts the HTTP server (route tables as for tmfinv_http_start) and the sync thread. */
int tmfinv_daemon_start(tmfinv_daemon *d, const tmfinv_http_route *const *tables, const size_t *sizes, size_t n);

/* Stops the sync (between pages) and the HTTP server, and frees the daemon. */
void tmfinv_daemon_stop(tmfinv_daemon *d);

/* Reads the configuration again; on success the new one is used by the next requests
 * and runs. On failure (message set) the old one stays. The listen address and the
 * store path only change with a restart (logged). */
int tmfinv_daemon_reload(tmfinv_daemon *d);

/* The current runtime, held until tmfinv_daemon_release(). */
tmfinv_runtime *tmfinv_daemon_acquire(tmfinv_daemon *d);
void tmfinv_daemon_release(tmfinv_daemon *d, tmfinv_runtime *rt);

/* Asks for a full sync now. 0 when it will start, TMFINV_EREFUSED when one is running. */
int tmfinv_daemon_request_sync(tmfinv_daemon *d);

void tmfinv_daemon_status_get(tmfinv_daemon *d, tmfinv_daemon_status *out);

/* An event a source's hub pushed for `source` (hub = true), with the callback's `secret`:
 * queued and applied by the sync thread in arrival order (daemon_hub.h). Takes `item`.
 * TMFINV_ENOTFOUND: no hub source of that name; TMFINV_EREFUSED: wrong secret;
 * TMFINV_ELIMIT: too many events wait. */
int tmfinv_daemon_push(tmfinv_daemon *d, const char *source, const char *secret, int deleted, cJSON *item);

/* The event delivery (for its metrics; NULL before start). */
struct tmfinv_events;
struct tmfinv_events *tmfinv_daemon_events(tmfinv_daemon *d);

/* The HTTP server (for its metrics) and the port it listens on. */
tmfinv_http_server *tmfinv_daemon_http(tmfinv_daemon *d);

#endif
