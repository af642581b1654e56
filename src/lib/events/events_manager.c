/* events_manager.c: the delivery's manager thread (webhooks registered, one thread per
 * receiver started and stopped as hub subscriptions come and go, retention of delivered
 * events), start, stop and the per-receiver metrics (see events_deliver.c for a receiver's
 * thread). */
#include "events_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_log.h"
#include "tmfinv_misc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the manager: webhooks registered, one thread per receiver ---- */

typedef struct names {
    char (*name)[160];
    size_t n;
} names;

static int keep_name(const tmfinv_receiver *r, void *ctx)
{
    names *l = ctx;
    char (*grown)[160] = realloc(l->name, (l->n + 1) * sizeof(*grown));

    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    l->name = grown;
    (void)snprintf(grown[l->n++], 160, "%s", r->name);
    return 0;
}

/* Stops and frees the workers whose receiver is gone (all: every one). They leave the list
 * under the lock (the metrics read it) and are joined after it: a worker may be waiting for
 * the lock to count a delivery. */
static void reap(tmfinv_events *ev, int all)
{
    worker *done[MAX_RECEIVERS];
    size_t k = 0, n = 0;

    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n_workers; i++) {
        worker *w = ev->workers[i];

        if (all || w->gone) {
            w->stop = 1;
            done[n++] = w;
        } else
            ev->workers[k++] = w;
    }
    ev->n_workers = k;
    pthread_mutex_unlock(&ev->lock);
    for (size_t i = 0; i < n; i++) {
        if (done[i]->started)
            pthread_join(done[i]->thread, NULL);
        free(done[i]);
    }
}

static int register_webhooks(tmfinv_events *ev, tmfinv_store *store)
{
    const tmfinv_config *cfg = NULL;
    const tmfinv_model *m = NULL;
    void *held = ev->o.acquire(ev->o.ctx, &cfg, &m);
    char now[32];
    int rc = 0;

    tmfinv_time_now(now, sizeof(now));
    for (size_t i = 0; i < cfg->n_webhooks && rc == 0; i++) {
        char name[160];
        tmfinv_receiver r = {.name = name, .kind = "webhook", .created = now};

        (void)snprintf(name, sizeof(name), "webhook:%s", cfg->webhooks[i].name);
        rc = tmfinv_store_receiver_put(store, &r);
    }
    ev->o.release(ev->o.ctx, held);
    return rc;
}

static int sync_receivers(tmfinv_events *ev, tmfinv_store *store)
{
    const tmfinv_config *cfg = NULL;
    const tmfinv_model *m = NULL;
    void *held = ev->o.acquire(ev->o.ctx, &cfg, &m);
    names l = {0};
    int rc = 0;

    /* Registered again only when the configuration changed (SIGHUP). */
    if (cfg != ev->registered)
        rc = register_webhooks(ev, store);
    if (rc == 0)
        ev->registered = cfg;
    if (rc == 0)
        rc = tmfinv_store_receivers(store, NULL, keep_name, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        int known = 0;

        if (strncmp(l.name[i], "webhook:", 8) == 0) {
            for (size_t k = 0; k < cfg->n_webhooks; k++)
                known |= strcmp(cfg->webhooks[k].name, l.name[i] + 8) == 0;
            if (!known) {
                /* A webhook taken out of the configuration: its undelivered events go with
                 * it, said in the log (never silently). */
                events_say(ev, TMFINV_LOG_WARN, "events: %s is no longer configured: unregistered with its undelivered "
                    "events and dead letters", l.name[i]);
                (void)tmfinv_store_receiver_delete(store, l.name[i]);
                continue;
            }
        }
        known = 0;
        for (size_t k = 0; k < ev->n_workers; k++)
            known |= strcmp(ev->workers[k]->name, l.name[i]) == 0 && !ev->workers[k]->gone;
        if (!known && ev->n_workers < MAX_RECEIVERS) {
            worker *w = calloc(1, sizeof(*w));

            if (!w)
                break;
            (void)snprintf(w->name, sizeof(w->name), "%s", l.name[i]);
            w->ev = ev;
            pthread_mutex_lock(&ev->lock);
            ev->workers[ev->n_workers++] = w;
            pthread_mutex_unlock(&ev->lock);
            w->started = pthread_create(&w->thread, NULL, events_worker_main, w) == 0;
        }
    }
    /* A receiver unregistered meanwhile (a hub subscription deleted): its thread stops, even
     * in the middle of an event's back-off. */
    for (size_t k = 0; rc == 0 && k < ev->n_workers; k++) {
        int listed = 0;

        for (size_t i = 0; i < l.n && !listed; i++)
            listed = strcmp(ev->workers[k]->name, l.name[i]) == 0;
        if (!listed)
            ev->workers[k]->gone = 1;
    }
    if (rc < 0)
        events_say(ev, TMFINV_LOG_WARN, "events: %s", tmfinv_error_last());
    free(l.name);
    ev->o.release(ev->o.ctx, held);
    reap(ev, 0);
    return rc;
}

/* Retention: delivered events go with the history rows of their age ([store] history_days),
 * in small transactions so that a sync waits for one at most; undelivered ones stay. */
static void purge(tmfinv_events *ev, tmfinv_store *store)
{
    tmfinv_purge p;
    int64_t total = 0;
    int rc;

    tmfinv_store_purge_init(&p, ev->o.history_days, ev->o.history_days);
    rc = tmfinv_store_outbox_purge_all(store, p.history_before, &ev->stop, &total);
    if (rc < 0)
        events_say(ev, TMFINV_LOG_WARN, "events: purge: %s", tmfinv_error_last());
    else if (total > 0)
        events_say(ev, TMFINV_LOG_INFO, "events: purge: %lld delivered events older than %s", (long long)total,
            p.history_before);
}

static void *manager_main(void *arg)
{
    tmfinv_events *ev = arg;
    tmfinv_store_options so = {.busy_timeout_ms = ev->o.busy_timeout_ms};
    tmfinv_store *store = NULL;

    if (tmfinv_store_open_with(ev->store_path, &so, &store) < 0) {
        events_say(ev, TMFINV_LOG_ERROR, "events: cannot start: %s", tmfinv_error_last());
        return NULL;
    }
    int64_t next_purge = 0;

    while (!ev->stop) {
        (void)sync_receivers(ev, store);
        if (ev->o.history_days > 0 && tmfinv_time_monotonic_ms() >= next_purge) {
            purge(ev, store);
            next_purge = tmfinv_time_monotonic_ms() + 600000;
        }
        if (events_nap(ev, NULL, 1000))
            break;
    }
    tmfinv_store_close(store);
    return NULL;
}

int tmfinv_events_start(const tmfinv_events_options *o, tmfinv_events **out)
{
    tmfinv_events *ev = calloc(1, sizeof(*ev));

    if (!ev)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    ev->o = *o;
    if (ev->o.poll_ms <= 0)
        ev->o.poll_ms = 200;
    ev->store_path = strdup(o->store_path);
    ev->base_url = strdup(o->base_url ? o->base_url : "");
    pthread_mutex_init(&ev->lock, NULL);
    if (!ev->store_path || !ev->base_url) {
        tmfinv_events_stop(ev);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    /* The webhooks are registered before the sync starts (daemon.c starts it after this), so
     * that the first run's changes are already their events. */
    {
        tmfinv_store_options so = {.busy_timeout_ms = o->busy_timeout_ms};
        tmfinv_store *store = NULL;
        int rc;

        if ((rc = tmfinv_store_open_with(ev->store_path, &so, &store)) < 0 || (rc = register_webhooks(ev, store)) < 0) {
            tmfinv_store_close(store);
            tmfinv_events_stop(ev);
            return rc;
        }
        tmfinv_store_close(store);
    }
    if (pthread_create(&ev->manager, NULL, manager_main, ev) != 0) {
        tmfinv_events_stop(ev);
        return tmfinv_error_set(TMFINV_ENOMEM, "cannot start the event delivery thread");
    }
    ev->manager_started = 1;
    *out = ev;
    return 0;
}

void tmfinv_events_stop(tmfinv_events *ev)
{
    if (!ev)
        return;
    ev->stop = 1;
    if (ev->manager_started)
        pthread_join(ev->manager, NULL);
    reap(ev, 1);
    pthread_mutex_destroy(&ev->lock);
    free(ev->store_path);
    free(ev->base_url);
    free(ev);
}

const double events_latency_bounds[EVENTS_N_BUCKETS] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300};

/* Receiver names are webhook names (checked) or "hub:UUID": nothing to escape in a label.
 * Nothing is printed without a receiver. */
int tmfinv_events_metrics(tmfinv_events *ev, tmfinv_buf *b)
{
    static const char *const help[][3] = {
        {"tmfinv_events_delivered_total", "Events delivered to a receiver (since serve started).", "counter"},
        {"tmfinv_events_retried_total", "Deliveries tried again after a failure.", "counter"},
        {"tmfinv_events_dead_total", "Events that became dead letters.", "counter"},
        {"tmfinv_events_queue_depth", "Events after the receiver's cursor, not looked at yet.", "gauge"},
        {"tmfinv_events_delivery_latency_seconds", "Time from a change to its delivery.", "histogram"},
    };
    int rc = 0;

    if (!ev)
        return 0;
    pthread_mutex_lock(&ev->lock);
    for (size_t k = 0; ev->n_workers && k < sizeof(help) / sizeof(help[0]) && rc == 0; k++) {
        rc = tmfinv_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", help[k][0], help[k][1], help[k][0], help[k][2]);
        for (size_t i = 0; i < ev->n_workers && rc == 0; i++) {
            const worker *w = ev->workers[i];
            int64_t cumulative = 0;

            if (k < 4) {
                int64_t v = k == 0 ? w->delivered : k == 1 ? w->retried : k == 2 ? w->dead : w->pending;

                rc = tmfinv_buf_printf(b, "%s{receiver=\"%s\"} %lld\n", help[k][0], w->name, (long long)v);
                continue;
            }
            for (size_t j = 0; j < EVENTS_N_BUCKETS && rc == 0; j++) {
                cumulative += w->latency_buckets[j];
                rc = tmfinv_buf_printf(b, "%s_bucket{receiver=\"%s\",le=\"%g\"} %lld\n", help[k][0], w->name,
                                       events_latency_bounds[j], (long long)cumulative);
            }
            if (rc == 0)
                rc = tmfinv_buf_printf(b, "%s_bucket{receiver=\"%s\",le=\"+Inf\"} %lld\n%s_sum{receiver=\"%s\"} %.6f\n"
                                       "%s_count{receiver=\"%s\"} %lld\n", help[k][0], w->name,
                                       (long long)w->latency_count, help[k][0], w->name, w->latency_sum, help[k][0],
                                       w->name, (long long)w->latency_count);
        }
    }
    pthread_mutex_unlock(&ev->lock);
    return rc;
}
