/* store_events.h: the outbox of instance events, their receivers and dead letters
 * (docs/events.md).
 *
 * Every write of an instance that changes it records, in the SAME transaction as the
 * change, one row per event in the outbox: the dispatcher (outbox.c) collects the history
 * rows a writer records for an instance and, when the instance is written
 * (tmfinv_store_put) or at the latest when the transaction commits, turns them into events
 * whose snapshot is the instance's row after the change. A complete scan's sweep writes one
 * Delete event per removed instance in one statement. Events are only written while at
 * least one receiver is registered (a webhook of the configuration, registered by `serve`,
 * or a hub subscription): nobody listening, nothing kept. All functions return 0 or a
 * negative TMFINV_E* code with a message. */
#ifndef TMFINV_STORE_EVENTS_H
#define TMFINV_STORE_EVENTS_H

#include "model.h"
#include "store.h"

#include <stdint.h>

/* The kinds of event, as the outbox and the configuration's `events =` name them. */
#define TMFINV_EVENT_CREATE "create"
#define TMFINV_EVENT_CHANGE "change"    /* AttributeValueChange: fields other than the status */
#define TMFINV_EVENT_STATE "state"      /* StateChange: the definition's status field */
#define TMFINV_EVENT_DELETE "delete"

/* One event of the outbox: what changed, and the instance's row after the change. */
typedef struct tmfinv_event {
    int64_t id;                 /* the outbox's order; also the eventId */
    const char *time;
    const char *type;           /* TMFINV_EVENT_* */
    const char *instance_id;
    const char *definition;
    const char *key;
    const char *fields;         /* JSON array of the changed fields' names (change, state); NULL */
    int64_t run_id;             /* 0: not made by a run */
    const char *actor;          /* NULL: a run's */
    const char *raw;            /* the item as stored after the change */
    const char *values;         /* the instance's field values (JSON object) after the change */
    const char *status;         /* NULL: none */
    int removed;
} tmfinv_event;

/* A receiver of events: a configured webhook ("webhook:NAME") or a hub subscription
 * ("hub:UUID"). Its cursor is the id of the last event it was given or skipped. */
typedef struct tmfinv_receiver {
    const char *name;
    const char *kind;           /* "webhook" or "hub" */
    const char *api;            /* hub: "tmf638" or "tmf639"; NULL for webhooks */
    const char *callback;       /* hub: the subscriber's callback */
    const char *query;          /* hub: the subscription's query; NULL: none */
    const char *created;
    int64_t cursor;
    int64_t delivered;          /* events delivered since it was registered */
    int64_t pending;            /* events after the cursor (any receiver's filter aside) */
    int64_t dead;               /* dead letters */
} tmfinv_receiver;

/* The status field of each definition of `m` is what tells a StateChange from an
 * AttributeValueChange: writers (sync, set, the TMF API) give their model before writing.
 * Without one, every field change is an AttributeValueChange. Copies the names. */
int tmfinv_store_events_model(tmfinv_store *s, const tmfinv_model *m);

/* Registers (or updates) a receiver; a new one starts after the newest event (it gets the
 * events of changes made from now on). */
int tmfinv_store_receiver_put(tmfinv_store *s, const tmfinv_receiver *r);

/* Unregisters a receiver, its cursor and its dead letters. TMFINV_ENOTFOUND when none. */
int tmfinv_store_receiver_delete(tmfinv_store *s, const char *name);

/* Calls fn for each receiver (by name), with its pending and dead counts; fn returns
 * non-zero to stop. `name` NULL: all, else only that one (TMFINV_ENOTFOUND when none). */
int tmfinv_store_receivers(tmfinv_store *s, const char *name, int (*fn)(const tmfinv_receiver *r, void *ctx),
                           void *ctx);

/* Calls fn for at most `limit` events whose id is above `after`, in order. */
int tmfinv_store_outbox_next(tmfinv_store *s, int64_t after, int64_t limit,
                             int (*fn)(const tmfinv_event *e, void *ctx), void *ctx);

/* Reads the event `id` (fn called once); TMFINV_ENOTFOUND when purged or never written. */
int tmfinv_store_outbox_get(tmfinv_store *s, int64_t id, int (*fn)(const tmfinv_event *e, void *ctx), void *ctx);

/* Moves a receiver's cursor forward to `cursor` (never back), adding `delivered`. */
int tmfinv_store_receiver_advance(tmfinv_store *s, const char *receiver, int64_t cursor, int64_t delivered);

/* Dead letters: an event a receiver never took (state "dead"), or one asked to be retried
 * (state "retry", delivered before the receiver's queue). */
typedef struct tmfinv_dead_letter {
    int64_t id;                 /* the dead letter's id (for --retry) */
    const char *receiver;
    int64_t event_id;
    const char *state;          /* "dead" or "retry" */
    int64_t tries;
    const char *error;          /* the last failure, one line */
    const char *first_try;
    const char *last_try;
} tmfinv_dead_letter;

/* Records that `receiver` never took event `event_id` (after `tries` tries). */
int tmfinv_store_dead_add(tmfinv_store *s, const char *receiver, int64_t event_id, int64_t tries,
                          const char *error, const char *first_try, const char *last_try);

/* Calls fn for each dead letter in `state` (NULL: any) of `receiver` (NULL: any), oldest
 * first, from offset, at most limit (0: all); the count goes to *total unless NULL. */
int tmfinv_store_dead_letters(tmfinv_store *s, const char *state, const char *receiver, int64_t offset,
                              int64_t limit, int64_t *total, int (*fn)(const tmfinv_dead_letter *d, void *ctx),
                              void *ctx);

/* Asks for dead letter `id` (0: every dead letter) to be delivered again: *count of them. */
int tmfinv_store_dead_retry(tmfinv_store *s, int64_t id, int64_t *count);

/* Forgets a dead letter once it was delivered, or records a new failure of it. */
int tmfinv_store_dead_done(tmfinv_store *s, int64_t id);
int tmfinv_store_dead_failed(tmfinv_store *s, int64_t id, const char *error, const char *time);

/* Purges at most `batch` events older than `before` (stored time form) that every receiver
 * is past and that are no dead letter: *purged of them. Undelivered events are kept. */
int tmfinv_store_outbox_purge(tmfinv_store *s, const char *before, int64_t batch, int64_t *purged);

/* The same, for every such event, in transactions of TMFINV_PURGE_BATCH rows each (so that a
 * sync waits for one at most), until none is left or *stop (may be NULL) is set: *purged
 * adds their number. What earlier transactions purged stays purged after a failure. */
int tmfinv_store_outbox_purge_all(tmfinv_store *s, const char *before, const volatile int *stop, int64_t *purged);

/* ---- for the dispatcher (store.c) ---- */

/* Hooks of the dispatcher: after a history row, after a put, before a commit, at a
 * rollback, before a sweep, at close. */
int tmfinv_store_outbox_history(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *actor,
                                const char *time, const char *field, const char *before, const char *after);
int tmfinv_store_outbox_put(tmfinv_store *s, const tmfinv_instance *inst);
int tmfinv_store_outbox_commit(tmfinv_store *s);
void tmfinv_store_outbox_rollback(tmfinv_store *s);
int tmfinv_store_outbox_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id,
                              const char *time);
void tmfinv_store_outbox_close(tmfinv_store *s);

#endif
