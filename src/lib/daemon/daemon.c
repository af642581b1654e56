/* daemon.c: the serve daemon (see daemon.h). */
#include "daemon.h"
#include "daemon_hub.h"
#include "daemon_events.h"

#include "fetch.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tmfinv_daemon {
    char *path;
    tmfinv_log_fn log;
    tmfinv_daemon_request_log_fn request_log;
    void *log_ctx;
    pthread_mutex_t lock;       /* guards runtime, refs, status, wake */
    pthread_cond_t wake;        /* the sync thread sleeps on it */
    tmfinv_runtime *runtime;
    tmfinv_http_server *http;
    tmfinv_store *store;        /* the sync thread's connection */
    pthread_t thread;
    int thread_started;
    volatile sig_atomic_t stop; /* read by the engine between pages */
    int sync_requested;
    int reloaded;               /* the schedule must be computed again from the new config */
    tmfinv_daemon_status status;
    daemon_hub *hub;            /* push from the sources' hubs (daemon_hub.c) */
    tmfinv_events *events;      /* delivery of the outbox (daemon_events.c) */
};

static void say(tmfinv_daemon *d, tmfinv_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(tmfinv_daemon *d, tmfinv_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (d->log)
        d->log(d->log_ctx, level, line);
}

/* Wakes the sync thread: a hub event is queued. */
static void hub_wake(void *ctx)
{
    tmfinv_daemon *d = ctx;

    pthread_mutex_lock(&d->lock);
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
}

static void runtime_free(tmfinv_runtime *rt)
{
    if (!rt)
        return;
    tmfinv_model_free(rt->model);
    tmfinv_config_free(rt->cfg);
    free(rt);
}

static int runtime_load(const char *path, tmfinv_runtime **out)
{
    tmfinv_runtime *rt = calloc(1, sizeof(*rt));
    int rc;

    if (!rt)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((rc = tmfinv_config_load(path, &rt->cfg)) < 0 || (rc = tmfinv_sync_load_model(rt->cfg, &rt->model)) < 0) {
        runtime_free(rt);
        return rc;
    }
    rt->refs = 1;
    *out = rt;
    return 0;
}

tmfinv_runtime *tmfinv_daemon_acquire(tmfinv_daemon *d)
{
    tmfinv_runtime *rt;

    pthread_mutex_lock(&d->lock);
    rt = d->runtime;
    rt->refs++;
    pthread_mutex_unlock(&d->lock);
    return rt;
}

void tmfinv_daemon_release(tmfinv_daemon *d, tmfinv_runtime *rt)
{
    int last;

    pthread_mutex_lock(&d->lock);
    last = --rt->refs == 0;
    pthread_mutex_unlock(&d->lock);
    if (last)
        runtime_free(rt);
}

int tmfinv_daemon_new(const char *path, tmfinv_log_fn log, void *log_ctx, tmfinv_daemon **out)
{
    tmfinv_daemon *d = calloc(1, sizeof(*d));
    pthread_condattr_t attr;
    int rc;

    if (!d || !(d->path = strdup(path))) {
        free(d);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    d->log = log;
    d->log_ctx = log_ctx;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    if ((rc = runtime_load(path, &d->runtime)) == 0) {
        tmfinv_store_options so = {.busy_timeout_ms = (int64_t)d->runtime->cfg->store_busy_timeout_s * 1000};

        rc = tmfinv_store_open_with(d->runtime->cfg->store_path, &so, &d->store);
    }
    if (rc == 0)
        rc = daemon_hub_new(d->runtime->cfg, hub_wake, d, &d->hub);
    if (rc < 0) {
        tmfinv_daemon_stop(d);
        return rc;
    }
    *out = d;
    return 0;
}

static void sync_log(void *ctx, tmfinv_log_level level, const char *line)
{
    tmfinv_daemon *d = ctx;

    if (d->log)
        d->log(d->log_ctx, level, line);
}

/* One run with the current runtime. */
/* Runs one sync; *started (may be NULL) gets the monotonic time its start was recorded at,
 * or is left alone when the run could not begin. */
static void run_sync(tmfinv_daemon *d, int incremental, int64_t *started_at)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
    tmfinv_sync_options opt = {.incremental = incremental, .stop = &d->stop, .log = sync_log, .log_ctx = d};
    tmfinv_sync_result result;
    int64_t started = tmfinv_time_monotonic_ms();
    int rc;

    pthread_mutex_lock(&d->lock);
    d->status.running = 1;
    pthread_mutex_unlock(&d->lock);
    rc = tmfinv_sync_run(d->store, rt->model, rt->cfg, &opt, &result);
    if (started_at && result.started_ms > 0)
        *started_at = result.started_ms;
    if (rc < 0)
        say(d, TMFINV_LOG_ERROR, "sync: %s", tmfinv_error_last());
    else
        say(d, result.complete ? TMFINV_LOG_INFO : TMFINV_LOG_WARN, "run %lld: %s", (long long)result.run_id,
            result.errors ? "FAILED (a source could not be read; nothing removed)"
            : result.interrupted ? "INTERRUPTED (nothing removed)"
            : result.complete ? "complete" : "INCOMPLETE (nothing removed)");
    pthread_mutex_lock(&d->lock);
    d->status.running = 0;
    d->status.runs++;
    d->status.last_duration_s = (double)(tmfinv_time_monotonic_ms() - started) / 1000.0;
    if (rc == 0) {
        d->status.last_run_id = result.run_id;
        d->status.last_complete = result.complete;
        if (result.complete)
            d->status.last_complete_unix = (int64_t)time(NULL);
    }
    pthread_mutex_unlock(&d->lock);
    tmfinv_daemon_release(d, rt);
}

/* Applies the events the sources' hubs pushed, on this thread (the single writer), so a push
 * never interleaves with a scan's pages: one arriving during a run waits for its end. */
static void apply_pushes(tmfinv_daemon *d)
{
    tmfinv_runtime *rt;
    tmfinv_sync_options opt = {.stop = &d->stop, .log = sync_log, .log_ctx = d};

    if (!daemon_hub_pending(d->hub))
        return;
    rt = tmfinv_daemon_acquire(d);
    daemon_hub_drain(d->hub, d->store, rt->model, rt->cfg, &opt);
    tmfinv_daemon_release(d, rt);
}

/* Subscribes the hub sources (renew: at a full reconcile, see daemon_hub.h). */
static void hub_subscribe(tmfinv_daemon *d, int renew)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(d);

    daemon_hub_subscribe(d->hub, rt->cfg, renew, sync_log, d);
    tmfinv_daemon_release(d, rt);
}

/* Retention between runs ([store] history_days, removed_days): the purge in small
 * transactions on the sync thread's connection, so it never runs beside a sync; a stop or a
 * sync request ends it early (the rest goes after the next run). */
static void purge_between_runs(tmfinv_daemon *d)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
    tmfinv_purge p;
    int done = 0, rc = 0, asked = 0;

    tmfinv_store_purge_init(&p, rt->cfg->store_history_days, rt->cfg->store_removed_days);
    tmfinv_daemon_release(d, rt);
    while (!done && !d->stop && !asked && (rc = tmfinv_store_purge_step(d->store, &p, &done)) == 0) {
        pthread_mutex_lock(&d->lock);
        asked = d->sync_requested || daemon_hub_pending(d->hub);
        pthread_mutex_unlock(&d->lock);
    }
    if (rc < 0)
        say(d, TMFINV_LOG_WARN, "purge: %s", tmfinv_error_last());
    else if (p.instances || p.changes)
        say(d, TMFINV_LOG_INFO, "purge: %lld instances removed before %s (with %lld changes) and %lld changes older "
            "than %s%s", (long long)p.instances, p.removed_before, (long long)p.instance_changes,
            (long long)p.changes, p.history_before, done ? "" : "; the rest after the next run");
}

/* Waits until `until_ms` (monotonic), a sync request or stop. 1 when a sync was requested. */
static int wait_until(tmfinv_daemon *d, int64_t until_ms)
{
    int requested = 0;

    pthread_mutex_lock(&d->lock);
    while (!d->stop && !d->sync_requested && !d->reloaded && !daemon_hub_pending(d->hub)) {
        int64_t now = tmfinv_time_monotonic_ms();
        struct timespec ts;

        if (now >= until_ms)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (until_ms - now) / 1000;
        ts.tv_nsec += (long)((until_ms - now) % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->wake, &d->lock, &ts);
    }
    requested = d->sync_requested;
    d->sync_requested = 0;
    d->reloaded = 0;
    pthread_mutex_unlock(&d->lock);
    return requested;
}

/* Finds the newest run that is a complete full sync; stops the walk there. */
static int find_last_full(const cJSON *run, void *ctx)
{
    double *ended_unix = ctx;
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "kind"));
    const char *ended = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "ended"));
    struct tm tm;
    int ms = 0;

    if (!kind || strcmp(kind, "full") != 0 || !ended || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "complete")))
        return 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(ended, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ended_unix = (double)timegm(&tm) + ms / 1000.0;
    return 1;
}

/* How long ago (ms) the last complete full sync recorded in the store ended; -1 when there
 * is none (or the store cannot say: then a full sync is the safe start). */
static int64_t last_full_age_ms(tmfinv_daemon *d)
{
    double ended = -1;
    struct timespec now;

    if (tmfinv_store_runs(d->store, 0, find_last_full, &ended) < 0 || ended < 0)
        return -1;
    clock_gettime(CLOCK_REALTIME, &now);
    ended = ((double)now.tv_sec + now.tv_nsec / 1e9 - ended) * 1000.0;
    return ended < 0 ? 0 : (int64_t)ended;
}

static void *sync_thread(void *arg)
{
    tmfinv_daemon *d = arg;
    int64_t last_full, last_run, age;
    tmfinv_runtime *first = tmfinv_daemon_acquire(d);
    int full_interval_s = first->cfg->full_interval_s;

    tmfinv_daemon_release(d, first);
    /* Subscribed before the first run, so that no change made during it is missed. */
    hub_subscribe(d, 0);
    last_full = last_run = tmfinv_time_monotonic_ms();
    /* The schedule survives a restart: a full sync younger than full_interval (from the
     * store) is not done again; a refresh brings the mirror up to date and the next full
     * sync comes when that one's interval is up. */
    age = last_full_age_ms(d);
    if (age >= 0 && age < (int64_t)full_interval_s * 1000) {
        last_full -= age;
        say(d, TMFINV_LOG_INFO, "last complete full sync ended %lld s ago (full_interval %d s): refresh now, "
            "full sync in %lld s", (long long)(age / 1000), full_interval_s,
            (long long)(((int64_t)full_interval_s * 1000 - age) / 1000));
        run_sync(d, 1, &last_run);
    } else {
        run_sync(d, 0, &last_run);
        last_full = last_run;
    }
    apply_pushes(d);
    purge_between_runs(d);
    while (!d->stop) {
        tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
        int64_t next_refresh = last_run + (int64_t)rt->cfg->interval_s * 1000;
        int64_t next_full = last_full + (int64_t)rt->cfg->full_interval_s * 1000;
        int requested, full;

        tmfinv_daemon_release(d, rt);
        requested = wait_until(d, next_refresh < next_full ? next_refresh : next_full);
        if (d->stop)
            break;
        apply_pushes(d);
        /* Woken early by a reload: compute the times again from the new intervals. */
        if (!requested && tmfinv_time_monotonic_ms() < (next_refresh < next_full ? next_refresh : next_full))
            continue;
        full = requested || tmfinv_time_monotonic_ms() >= next_full;
        last_run = tmfinv_time_monotonic_ms();
        if (full && !requested)
            hub_subscribe(d, 1);
        /* The next run is due `interval` after this one's recorded start, not after the
         * moment it was decided: on a loaded machine the thread may wait in between (a
         * start 0.3 s after the one before was seen under the sanitizers). */
        run_sync(d, !full, &last_run);
        if (full)
            last_full = last_run;
        apply_pushes(d);
        purge_between_runs(d);
    }
    {
        tmfinv_runtime *rt = tmfinv_daemon_acquire(d);

        /* A clean stop: the sources stop sending (events queued but not applied are left to
         * the next start's full reconcile). */
        daemon_hub_unsubscribe(d->hub, rt->cfg, sync_log, d);
        tmfinv_daemon_release(d, rt);
    }
    return NULL;
}

void tmfinv_daemon_set_request_log(tmfinv_daemon *d, tmfinv_daemon_request_log_fn fn)
{
    d->request_log = fn;
}

/* The request log: probes and scrapes come every few seconds, so they are debug lines and
 * do not bury the rest. */
static void http_log(void *ctx, const tmfinv_log_field *fields, size_t n)
{
    tmfinv_daemon *d = ctx;
    const char *route = n && fields[0].value ? fields[0].value : "-";
    int probe = strcmp(route, "healthz") == 0 || strcmp(route, "readyz") == 0 || strcmp(route, "metrics") == 0;

    if (d->request_log)
        d->request_log(d->log_ctx, probe ? TMFINV_LOG_DEBUG : TMFINV_LOG_INFO, fields, n);
}

int tmfinv_daemon_start(tmfinv_daemon *d, const tmfinv_http_route *const *tables, const size_t *sizes, size_t n)
{
    tmfinv_runtime *rt = d->runtime;
    tmfinv_http_config hc = {
        .listen = rt->cfg->http.listen,
        .tokens_file = rt->cfg->http.tokens_file,
        .store_path = rt->cfg->store_path,
        .threads = rt->cfg->http.threads,
        .max_connections = rt->cfg->http.max_connections,
        .timeout_s = rt->cfg->http.timeout_s,
        .request_timeout_s = rt->cfg->http.request_timeout_s,
        .max_client_connections = rt->cfg->http.max_client_connections,
        .tls_cert = rt->cfg->http.tls_cert,
        .tls_key = rt->cfg->http.tls_key,
        .plaintext = rt->cfg->http.plaintext,
        .cors_origins = rt->cfg->http.cors_origins,
        .n_cors_origins = rt->cfg->http.n_cors_origins,
        .max_body = (size_t)rt->cfg->http.max_body,
        .max_url = (size_t)rt->cfg->http.max_url,
        .max_headers = rt->cfg->http.max_headers,
        .log = http_log,
        .log_ctx = d,
    };
    int rc;

    if ((rc = tmfinv_fetch_global_init()) < 0)
        return rc;
    for (size_t i = 0; i < rt->cfg->n_sources; i++)
        if (rt->cfg->sources[i].insecure)
            say(d, TMFINV_LOG_WARN, "source '%s': TLS verification is OFF (insecure = true)", rt->cfg->sources[i].name);
    if ((rc = tmfinv_http_start(&hc, tables, sizes, n, d, &d->http)) < 0)
        return rc;
    if ((rc = daemon_events_start(d, d->log, d->log_ctx, &d->events)) < 0)
        return rc;
    if (rt->cfg->n_sources == 0)
        say(d, TMFINV_LOG_WARN, "%s: no [source NAME] section: serving the store without syncing", rt->cfg->path);
    else {
        if (pthread_create(&d->thread, NULL, sync_thread, d) != 0)
            return tmfinv_error_set(TMFINV_ERROR, "cannot start the sync thread: %s", strerror(errno));
        d->thread_started = 1;
    }
    return 0;
}

void tmfinv_daemon_stop(tmfinv_daemon *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    if (d->thread_started)
        pthread_join(d->thread, NULL);
    tmfinv_events_stop(d->events);
    tmfinv_http_stop(d->http);
    daemon_hub_free(d->hub);
    tmfinv_store_close(d->store);
    if (d->runtime)
        tmfinv_daemon_release(d, d->runtime);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d->path);
    free(d);
}

/* 1 when two lists of strings differ (in content or order). */
static int strv_differ(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 1;
    return 0;
}

int tmfinv_daemon_reload(tmfinv_daemon *d)
{
    tmfinv_runtime *fresh = NULL, *old;
    int rc;

    if ((rc = runtime_load(d->path, &fresh)) < 0)
        return rc;
    pthread_mutex_lock(&d->lock);
    old = d->runtime;
    d->runtime = fresh;
    d->reloaded = 1;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->lock);
    if (d->http)
        tmfinv_http_invalidate(d->http);
    if (strcmp(old->cfg->http.listen, fresh->cfg->http.listen) != 0 ||
        strcmp(old->cfg->store_path, fresh->cfg->store_path) != 0 ||
        (old->cfg->http.tokens_file == NULL) != (fresh->cfg->http.tokens_file == NULL) ||
        (old->cfg->http.tls_cert == NULL) != (fresh->cfg->http.tls_cert == NULL) ||
        strv_differ(old->cfg->http.cors_origins, old->cfg->http.n_cors_origins, fresh->cfg->http.cors_origins,
                    fresh->cfg->http.n_cors_origins))
        say(d, TMFINV_LOG_WARN, "reload: [http] listen, tokens_file, tls_cert, tls_key, cors_origins and [store] path "
                                "take effect at the next restart");
    tmfinv_daemon_release(d, old);
    return 0;
}

int tmfinv_daemon_request_sync(tmfinv_daemon *d)
{
    int rc = 0;

    pthread_mutex_lock(&d->lock);
    if (d->status.running || d->sync_requested || !d->thread_started)
        rc = d->thread_started ? TMFINV_EREFUSED : TMFINV_EINVALID;
    else {
        d->sync_requested = 1;
        pthread_cond_broadcast(&d->wake);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

void tmfinv_daemon_status_get(tmfinv_daemon *d, tmfinv_daemon_status *out)
{
    pthread_mutex_lock(&d->lock);
    *out = d->status;
    pthread_mutex_unlock(&d->lock);
}

int tmfinv_daemon_push(tmfinv_daemon *d, const char *source, const char *secret, int deleted, cJSON *item)
{
    if (!d->hub) {
        cJSON_Delete(item);
        return tmfinv_error_set(TMFINV_ENOTFOUND, "no hub source '%s'", source);
    }
    return daemon_hub_push(d->hub, source, secret, deleted, item);
}

tmfinv_http_server *tmfinv_daemon_http(tmfinv_daemon *d)
{
    return d->http;
}

tmfinv_events *tmfinv_daemon_events(tmfinv_daemon *d)
{
    return d->events;
}
