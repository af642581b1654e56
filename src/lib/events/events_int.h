/* events_int.h: what the delivery's files share (events_deliver.c: one receiver's thread;
 * events_manager.c: the manager, start, stop and metrics). Private to src/lib/events. */
#ifndef TMFINV_EVENTS_INT_H
#define TMFINV_EVENTS_INT_H

#include "events.h"

#include <pthread.h>
#include <stdint.h>

#define BATCH 100
#define MAX_RECEIVERS 256
#define EVENTS_N_BUCKETS 9

/* The upper bounds of the delivery latency histogram, in seconds (events_manager.c). */
extern const double events_latency_bounds[EVENTS_N_BUCKETS];

typedef struct worker {
    char name[160];
    pthread_t thread;
    int started;
    volatile int stop;
    volatile int gone;          /* the receiver was unregistered */
    struct tmfinv_events *ev;
    /* metrics, under ev->lock */
    int64_t delivered, retried, dead, pending;
    double latency_sum;
    int64_t latency_count;
    int64_t latency_buckets[EVENTS_N_BUCKETS]; /* deliveries per latency bucket (not cumulative) */
    uint64_t rng;               /* the back-off's jitter (xorshift), seeded per thread */
} worker;

struct tmfinv_events {
    tmfinv_events_options o;
    char *store_path, *base_url;
    pthread_mutex_t lock;
    pthread_t manager;
    int manager_started;
    volatile int stop;
    worker *workers[MAX_RECEIVERS];
    size_t n_workers;
    const tmfinv_config *registered; /* the configuration whose webhooks are registered */
};

/* A line for the process log at `level` (a tmfinv_log_level). */
void events_say(tmfinv_events *ev, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sleeps ms milliseconds, or less when asked to stop (ev, or w when not NULL); 1 when stopping. */
int events_nap(tmfinv_events *ev, const worker *w, int64_t ms);

/* One receiver's thread (arg: its worker). */
void *events_worker_main(void *arg);

#endif
