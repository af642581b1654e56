/* events.h: instance events delivered to webhooks and TMF hub subscribers (docs/events.md).
 *
 * Layering: the outbox is written by the store (store_events.h) in the transaction of each
 * change; this folder sits above sync and below http, daemon and api: it renders an outbox
 * row as the TMF v4 notification (the entity as the TMF API serves it, from the model and a
 * base URL: no call into the api layer), matches receivers' filters, and delivers in
 * threads of its own that `serve` starts (tmfinv_events_start). */
#ifndef TMFINV_EVENTS_H
#define TMFINV_EVENTS_H

#include "config.h"
#include "model.h"
#include "store_events.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The TMF entity of an event's snapshot as GET serves it: the item as stored, local and
 * initial fields written at their plain source path, `id` (the instance UUID when the item
 * has none), `href` = base + the collection's path + "/" + id. New object in *out. */
int tmfinv_events_entity(const tmfinv_model *m, const char *definition, const char *instance_id, const char *raw,
                         const cJSON *values, const char *base, cJSON **out);

/* The TMF notification of event e: {eventId, eventTime, eventType, [fieldPath], event:
 * {service|resource: entity}}. New object in *out; its eventType into type (>= 64 bytes). */
int tmfinv_events_render(const tmfinv_model *m, const tmfinv_event *e, const char *base, cJSON **out, char *type,
                         size_t type_size);

/* "Service" or "Resource" + "CreateEvent" ... for an outbox type and the definition's API. */
int tmfinv_events_type_name(const char *api, const char *type, char *out, size_t size);

/* A hub subscription's query: "eventType=A,B" and "PATH=VALUE" terms joined by '&' (PATH a
 * dotted path into the entity). TMFINV_EINVALID naming the term when malformed. */
int tmfinv_events_query_check(const char *query);

/* Whether a rendered notification matches a hub query (NULL: everything). */
int tmfinv_events_query_match(const char *query, const char *event_type, const cJSON *entity);

/* A dead letter {id, receiver, eventId, state, tries, error, firstTry, lastTry} and a
 * receiver {name, kind, api?, callback?, query?, created, cursor, delivered, pending, dead}
 * as JSON (events_json.c); NULL when out of memory. */
cJSON *tmfinv_events_dead_json(const tmfinv_dead_letter *d);
cJSON *tmfinv_events_receiver_json(const tmfinv_receiver *r);

/* HMAC-SHA256 of body with secret, as "sha256=<hex>" (out: at least 72 bytes). */
int tmfinv_events_sign(const char *secret, const char *body, size_t len, char *out, size_t size);

/* ---- delivery (events_deliver.c) ---- */

typedef struct tmfinv_events tmfinv_events;

typedef struct tmfinv_events_options {
    const char *store_path;
    int64_t busy_timeout_ms;
    /* The current configuration and model, held until release (SIGHUP swaps them). */
    void *(*acquire)(void *ctx, const tmfinv_config **cfg, const tmfinv_model **model);
    void (*release)(void *ctx, void *held);
    void *ctx;
    void (*log)(void *ctx, int level, const char *line); /* level: a tmfinv_log_level */
    const char *base_url;       /* for hrefs: "http://127.0.0.1:8080" */
    int poll_ms;                /* how often a receiver looks for new events; 0: 200 */
    int history_days;           /* delivered events older than this are purged; 0: never */
} tmfinv_events_options;

/* Registers the configuration's webhooks in the store and starts delivering to every
 * receiver, each in its own thread. */
int tmfinv_events_start(const tmfinv_events_options *o, tmfinv_events **out);

/* Stops every delivery (a POST in flight is cut at once; its event stays undelivered and
 * is delivered after a restart) and frees it. */
void tmfinv_events_stop(tmfinv_events *ev);

/* Appends the per-receiver metrics in the Prometheus text format to buf. */
struct tmfinv_buf;
int tmfinv_events_metrics(tmfinv_events *ev, struct tmfinv_buf *buf);

#endif
