/* sim_hub.h: the simulator's TMF hub (TMF638/TMF639 v4 `…/hub`): subscriptions, and the
 * events that take one epoch to the next, POSTed to every subscriber from a thread of their
 * own so that serving never waits for a subscriber.
 *
 * When the epoch advances (POST /_sim/epoch), the hub compares the two snapshots of each
 * collection that has subscribers and POSTs, in a fixed order, one event per difference:
 * walking the previous snapshot in collection order, a Delete event for an item gone (the item
 * as it was served) and a StateChange event for a status change (AttributeValueChange for any
 * other change), then a Create event for each new item in collection order; every event holds
 * the item as it is now served. --hub-drop and --hub-duplicate drop or send twice some
 * deliveries, decided by a hash of (seed, epoch, event, subscription). */
#ifndef SIM_HUB_H
#define SIM_HUB_H

#include "sim_data.h"
#include "sim_json.h"

#include <stddef.h>
#include <stdint.h>

#define SIM_HUB_MAX_SUBSCRIPTIONS 64u
#define SIM_HUB_CALLBACK_MAX 2048u      /* bytes of a callback URL */
#define SIM_HUB_QUERY_MAX 1024u         /* bytes of a subscription's query */

struct sim_hub_options {
    uint32_t drop_ppb;          /* --hub-drop: probability a delivery is not made */
    uint32_t duplicate_ppb;     /* --hub-duplicate: probability a delivery is made twice */
};

/* Renders an item as the server serves it (the server's --bad-items included). */
typedef void (*sim_hub_render_fn)(void *ctx, const struct sim_epoch *snapshot, const struct sim_item *item,
                  struct sim_buf *buf);

struct sim_hub;

/* Creates the hub and its delivery thread. `model` and `render_ctx` are borrowed and must
 * outlive the hub. Returns 0 and sets *out, or -1 (out of memory, no thread). */
int sim_hub_create(struct sim_model *model, const struct sim_hub_options *options, sim_hub_render_fn render,
           void *render_ctx, struct sim_hub **out);
/* Stops the delivery thread (events not yet delivered are dropped) and frees the hub.
 * Accepts NULL. */
void sim_hub_destroy(struct sim_hub *hub);

/* POST …/hub of collection `coll` at `path` with an EventSubscriptionInput body. Writes the
 * answer body (EventSubscription, or a TMF Error) into `out` and returns the status: 201, or
 * 400 for a bad body (callback missing, not http(s), too long), 409 when the hub is full. */
unsigned sim_hub_subscribe(struct sim_hub *hub, enum sim_collection coll, const char *path, const char *body,
               size_t len, struct sim_buf *out);
/* DELETE …/hub/{id}: 204 when the subscription of `coll` existed (now gone), else 404. */
unsigned sim_hub_unsubscribe(struct sim_hub *hub, enum sim_collection coll, const char *id);

/* Advances the model one epoch and queues the events of the step for the subscribers. Same
 * results as sim_model_advance. Advances through the hub are serialised. */
long sim_hub_advance(struct sim_hub *hub);

/* GET /_sim/hub: {"subscriptions":[{id, callback, query, path}], "pending", "delivered",
 * "failed", "dropped", "duplicated", "events"} into `out`. */
void sim_hub_describe(struct sim_hub *hub, struct sim_buf *out);

#endif
