/* store_pg_notyet.c: the operations the PostgreSQL backend does not have yet (docs/postgresql.md,
 * "What does not work yet"): impact's graph and the outbox of events (the TMF API's lists are
 * in store_pg_tmf.c; the changes feed and retention: store_pg_history.c, whose table is here).
 * Each fails with one line naming what is missing, never with a wrong answer. The outbox says that no receiver is registered,
 * so that a sync writes no events (none can be registered here: registering fails). */
#include "store_pg_int.h"

#include "store_events.h"
#include "store_graph.h"

#include "tmfinv_error.h"

const tmfinv_store_history_ops store_pg_history_ops = {
    .changes = store_pg_changes,
    .purge_step = store_pg_purge_step,
    .purge_count = store_pg_purge_count,
};

/* ---- impact's graph ---------------------------------------------------------------------- */

#define NO_IMPACT "impact (the graph of references)"

static int graph_index(tmfinv_store *s, const struct tmfinv_graph_field *fields, size_t n, int *built)
{
    (void)s, (void)fields, (void)n, (void)built;
    return store_pg_not_yet(NO_IMPACT);
}

static int graph_begin(tmfinv_store *s, struct tmfinv_graph_session **out)
{
    (void)s, (void)out;
    return store_pg_not_yet(NO_IMPACT);
}

static void graph_end(tmfinv_store *s, struct tmfinv_graph_session *g)
{
    (void)s, (void)g;
}

static int graph_get(tmfinv_store *s, struct tmfinv_graph_session *g, const char *id, int full,
                     struct tmfinv_graph_node *out)
{
    (void)s, (void)g, (void)id, (void)full, (void)out;
    return store_pg_not_yet(NO_IMPACT);
}

static int graph_find(tmfinv_store *s, struct tmfinv_graph_session *g, const char *definition, const char *ref,
                      struct tmfinv_graph_node *out)
{
    (void)s, (void)g, (void)definition, (void)ref, (void)out;
    return store_pg_not_yet(NO_IMPACT);
}

static int graph_referrers(tmfinv_store *s, struct tmfinv_graph_session *g, const char *ref,
                           int (*fn)(struct tmfinv_graph_node *, const char *, void *), void *ctx)
{
    (void)s, (void)g, (void)ref, (void)fn, (void)ctx;
    return store_pg_not_yet(NO_IMPACT);
}

const tmfinv_store_graph_ops store_pg_graph_ops = {
    .index = graph_index,
    .begin = graph_begin,
    .end = graph_end,
    .get = graph_get,
    .find = graph_find,
    .referrers = graph_referrers,
};

/* ---- the outbox of events ---------------------------------------------------------------- */

#define NO_EVENTS "events (webhooks, hubs, the outbox)"

/* No receiver can be registered on this backend yet: a write makes no event. */
static int outbox_enabled(tmfinv_store *s, int *on)
{
    (void)s;
    *on = 0;
    return 0;
}

static int outbox_definition_of(tmfinv_store *s, const char *instance_id, char *out, size_t size)
{
    (void)s, (void)instance_id, (void)out, (void)size;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_add(tmfinv_store *s, const char *instance_id, const char *type, const char *fields, int64_t run_id,
                      const char *actor, const char *time)
{
    (void)s, (void)instance_id, (void)type, (void)fields, (void)run_id, (void)actor, (void)time;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id, const char *time)
{
    (void)s, (void)source, (void)definition, (void)run_id, (void)time;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_receiver_put(tmfinv_store *s, const struct tmfinv_receiver *r)
{
    (void)s, (void)r;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_receiver_delete(tmfinv_store *s, const char *name)
{
    (void)s, (void)name;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_receivers(tmfinv_store *s, const char *name, int (*fn)(const struct tmfinv_receiver *, void *),
                            void *ctx)
{
    (void)s, (void)name, (void)fn, (void)ctx;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_next(tmfinv_store *s, int64_t after, int64_t limit, int exact,
                       int (*fn)(const struct tmfinv_event *, void *), void *ctx)
{
    (void)s, (void)after, (void)limit, (void)exact, (void)fn, (void)ctx;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_advance(tmfinv_store *s, const char *receiver, int64_t cursor, int64_t delivered)
{
    (void)s, (void)receiver, (void)cursor, (void)delivered;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_dead_add(tmfinv_store *s, const char *receiver, int64_t event_id, int64_t tries, const char *error,
                           const char *first_try, const char *last_try)
{
    (void)s, (void)receiver, (void)event_id, (void)tries, (void)error, (void)first_try, (void)last_try;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_dead_letters(tmfinv_store *s, const char *state, const char *receiver, int64_t offset, int64_t limit,
                               int64_t *total, int (*fn)(const struct tmfinv_dead_letter *, void *), void *ctx)
{
    (void)s, (void)state, (void)receiver, (void)offset, (void)limit, (void)total, (void)fn, (void)ctx;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_dead_retry(tmfinv_store *s, int64_t id, int64_t *count)
{
    (void)s, (void)id, (void)count;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_dead_done(tmfinv_store *s, int64_t id)
{
    (void)s, (void)id;
    return store_pg_not_yet(NO_EVENTS);
}

static int outbox_dead_failed(tmfinv_store *s, int64_t id, const char *error, const char *time)
{
    (void)s, (void)id, (void)error, (void)time;
    return store_pg_not_yet(NO_EVENTS);
}

/* No event is ever written here: none to purge (so that purge and serve's retention work). */
static int outbox_purge(tmfinv_store *s, const char *before, int64_t batch, int64_t *purged)
{
    (void)s, (void)before, (void)batch;
    *purged = 0;
    return 0;
}

const tmfinv_store_outbox_ops store_pg_outbox_ops = {
    .enabled = outbox_enabled,
    .definition_of = outbox_definition_of,
    .add = outbox_add,
    .sweep = outbox_sweep,
    .receiver_put = outbox_receiver_put,
    .receiver_delete = outbox_receiver_delete,
    .receivers = outbox_receivers,
    .next = outbox_next,
    .advance = outbox_advance,
    .dead_add = outbox_dead_add,
    .dead_letters = outbox_dead_letters,
    .dead_retry = outbox_dead_retry,
    .dead_done = outbox_dead_done,
    .dead_failed = outbox_dead_failed,
    .purge = outbox_purge,
};
