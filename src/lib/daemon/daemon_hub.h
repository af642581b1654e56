/* daemon_hub.h: push from the sources' TMF hubs inside `serve` (private to the daemon).
 *
 * For each source with `hub = true`: a secret made at start (32 random bytes, hex) that the
 * callback URL carries, the subscription at the source's hub, and a bounded queue of the
 * events received, which the sync thread — the daemon's single writer — applies in arrival
 * order between runs (tmfinv_sync_apply_pushed). Subscription ids are kept in a state file
 * beside the store (STORE-hub.json, 0600, written by rename) so that a restart after a crash
 * deletes the subscription it left behind. */
#ifndef TMFINV_DAEMON_HUB_H
#define TMFINV_DAEMON_HUB_H

#include "config.h"
#include "store.h"
#include "sync.h"

#include <cjson/cJSON.h>

#define DAEMON_HUB_QUEUE_MAX 10000  /* events waiting to be applied; past it the source gets 503 */
#define DAEMON_HUB_CALLBACK_PATH "/api/v1/sources/%s/events?secret=%s"

typedef struct daemon_hub daemon_hub;

/* Prepares the hub state of every source of `cfg` with hub = true (secrets made here);
 * `wake(wake_ctx)` is called when an event is queued. */
int daemon_hub_new(const tmfinv_config *cfg, void (*wake)(void *), void *wake_ctx, daemon_hub **out);
void daemon_hub_free(daemon_hub *h);

/* Sync thread, at start: deletes the subscriptions the state file names (a previous process),
 * then subscribes every hub source. With `renew` (each full reconcile): subscribes anew, then
 * deletes the previous subscription (an overlap, never a gap; a 404 there says the source had
 * forgotten it). Failures are logged; the next full reconcile tries again. */
void daemon_hub_subscribe(daemon_hub *h, const tmfinv_config *cfg, int renew, tmfinv_log_fn log, void *log_ctx);

/* Sync thread, at a clean stop: deletes every subscription made and empties the state file. */
void daemon_hub_unsubscribe(daemon_hub *h, const tmfinv_config *cfg, tmfinv_log_fn log, void *log_ctx);

/* Queues an event for source `source` when `secret` is its callback's (compared in constant
 * time). Takes `item` in every case. TMFINV_ENOTFOUND: no such hub source (or no secret
 * given), TMFINV_EREFUSED: wrong secret, TMFINV_ELIMIT: the queue is full. */
int daemon_hub_push(daemon_hub *h, const char *source, const char *secret, int deleted, cJSON *item);

/* 1 when events wait. */
int daemon_hub_pending(daemon_hub *h);

/* Sync thread: applies every queued event, in order, one push run per run of consecutive
 * events of one source. */
void daemon_hub_drain(daemon_hub *h, tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                      const tmfinv_sync_options *opt);

#endif
