/* store.c: dispatch of the store interface (store.h) to the chosen backend. */
#include "store_events.h"
#include "store_int.h"
#include "pg/store_pg.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int tmfinv_store_open_with(const char *location, const tmfinv_store_options *opt, tmfinv_store **out)
{
    tmfinv_store_options o = {.busy_timeout_ms = TMFINV_STORE_BUSY_TIMEOUT_MS};

    if (opt && opt->busy_timeout_ms > 0)
        o.busy_timeout_ms = opt->busy_timeout_ms;
    /* A libpq URI selects PostgreSQL ([store] url, docs/postgresql.md); anything else is a file. */
    if (tmfinv_store_pg_location(location))
        return tmfinv_store_pg_open(location, &o, out);
    return tmfinv_store_sqlite_open(location, &o, out);
}

int tmfinv_store_open(const char *location, tmfinv_store **out)
{
    return tmfinv_store_open_with(location, NULL, out);
}

int tmfinv_store_read_only(const tmfinv_store *s)
{
    return s->ops->read_only(s);
}

void tmfinv_store_close(tmfinv_store *s)
{
    if (s) {
        tmfinv_store_outbox_close(s);
        s->ops->close(s);
    }
}

int tmfinv_store_begin(tmfinv_store *s) { return s->ops->tx(s, TMFINV_TX_WRITE); }
int tmfinv_store_begin_write(tmfinv_store *s) { return s->ops->tx(s, TMFINV_TX_WRITE); }
int tmfinv_store_begin_read(tmfinv_store *s) { return s->ops->tx(s, TMFINV_TX_READ); }
/* The events of the transaction's writes go in before it commits (outbox.c). */
int tmfinv_store_commit(tmfinv_store *s)
{
    int rc = tmfinv_store_outbox_commit(s);

    return rc < 0 ? rc : s->ops->tx(s, TMFINV_TX_COMMIT);
}

int tmfinv_store_rollback(tmfinv_store *s)
{
    tmfinv_store_outbox_rollback(s);
    return s->ops->tx(s, TMFINV_TX_ROLLBACK);
}

int tmfinv_store_get(tmfinv_store *s, const char *definition, const char *key, tmfinv_instance **out)
{
    return s->ops->get(s, definition, key, out);
}

int tmfinv_store_state(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                       int *removed, int *stale)
{
    int ignored;

    return s->ops->state(s, definition, key, id, hash, removed, stale ? stale : &ignored);
}

int tmfinv_store_put(tmfinv_store *s, const tmfinv_instance *inst)
{
    int rc = s->ops->put(s, inst);

    return rc < 0 ? rc : tmfinv_store_outbox_put(s, inst);
}

int tmfinv_store_put_fields(tmfinv_store *s, const tmfinv_instance *inst)
{
    int rc = s->ops->put_fields ? s->ops->put_fields(s, inst) : s->ops->put(s, inst);

    return rc < 0 ? rc : tmfinv_store_outbox_put(s, inst);
}

int tmfinv_store_history_add(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *time,
                             const char *field, const char *before, const char *after)
{
    int rc = s->ops->history_add(s, instance_id, run_id, NULL, time, field, before, after);

    return rc < 0 ? rc : tmfinv_store_outbox_history(s, instance_id, run_id, NULL, time, field, before, after);
}

int tmfinv_store_history_add_by(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *actor,
                                const char *time, const char *field, const char *before, const char *after)
{
    int rc = s->ops->history_add(s, instance_id, run_id, actor, time, field, before, after);

    return rc < 0 ? rc : tmfinv_store_outbox_history(s, instance_id, run_id, actor, time, field, before, after);
}

int tmfinv_store_changes(tmfinv_store *s, const tmfinv_changes_query *q, int64_t *total,
                         int (*fn)(const cJSON *, void *), void *ctx)
{
    return s->ops->hist->changes(s, q, total, fn, ctx);
}

int64_t store_clock_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A batch of a purge has just committed at `started` (store_clock_us): wait as long as it held
 * the write lock (1 ms to 250 ms). A writer waiting for the lock (a sync) polls at intervals
 * of its own (SQLite's busy handler sleeps 1 ms, 2, 5, ... up to 100 ms), so batches taken
 * back to back would leave it a free lock only by chance: under the sanitizers a sync with a
 * 1 s busy_timeout lost that race three times in four against a purge of 120k rows. Free half
 * the time, it finds the lock free at nearly every poll; the purge takes at most twice as long. */
void store_purge_yield(int64_t started)
{
    int64_t us = store_clock_us() - started;
    struct timespec ts;

    us = us < 1000 ? 1000 : us > 250000 ? 250000 : us;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)us * 1000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int tmfinv_store_purge_step(tmfinv_store *s, tmfinv_purge *p, int *done)
{
    int64_t started = store_clock_us();
    int rc = s->ops->hist->purge_step(s, p, done);

    if (rc == 0 && !*done)
        store_purge_yield(started);
    return rc;
}

int tmfinv_store_purge_count(tmfinv_store *s, tmfinv_purge *p)
{
    return s->ops->hist->purge_count(s, p);
}

int tmfinv_store_history(tmfinv_store *s, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx)
{
    return s->ops->history(s, instance_id, fn, ctx);
}

int tmfinv_store_seen_reset(tmfinv_store *s) { return s->ops->seen_reset(s); }

int tmfinv_store_seen_mark(tmfinv_store *s, const char *definition, const char *key, int *first)
{
    return s->ops->seen_mark(s, definition, key, first);
}

int tmfinv_store_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id,
                       const char *time, int64_t *removed)
{
    /* The Delete events first: the sweep's condition still selects the instances it removes. */
    int rc = tmfinv_store_outbox_sweep(s, source, definition, run_id, time);

    return rc < 0 ? rc : s->ops->sweep(s, source, definition, run_id, time, removed);
}

int tmfinv_store_sweep_count(tmfinv_store *s, const char *source, const char *definition, int64_t *active,
                             int64_t *unseen)
{
    return s->ops->sweep_count(s, source, definition, active, unseen);
}

int tmfinv_store_written_by(tmfinv_store *s, const char *definition, const char *key, const char *tmf_id,
                            int *same)
{
    return s->ops->written_by(s, definition, key, tmf_id, same);
}

int tmfinv_store_query(tmfinv_store *s, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                       void *ctx)
{
    return s->ops->query(s, q, fn, ctx);
}

int tmfinv_store_count(tmfinv_store *s, const tmfinv_query *q, int64_t *count)
{
    return s->ops->count(s, q, count);
}

int tmfinv_store_summary(tmfinv_store *s, int (*fn)(const cJSON *, void *), void *ctx)
{
    return s->ops->summary(s, fn, ctx);
}

int tmfinv_store_version(tmfinv_store *s, uint64_t version[2])
{
    return s->ops->version(s, version);
}

int tmfinv_store_run_begin(tmfinv_store *s, const char *started, const char *kind, int64_t *run_id)
{
    return s->ops->run_begin(s, started, kind, run_id);
}

int tmfinv_store_run_end(tmfinv_store *s, int64_t run_id, const char *ended, int complete)
{
    return s->ops->run_end(s, run_id, ended, complete);
}

int tmfinv_store_run_source_put(tmfinv_store *s, int64_t run_id, const tmfinv_run_source *rs)
{
    return s->ops->run_source_put(s, run_id, rs);
}

int tmfinv_store_runs(tmfinv_store *s, int64_t limit, int (*fn)(const cJSON *, void *), void *ctx)
{
    return s->ops->runs(s, limit, fn, ctx);
}

int tmfinv_store_report_add(tmfinv_store *s, const tmfinv_report *r, const char *time, int *added)
{
    return s->ops->report_add(s, r, time, added);
}

int tmfinv_store_reports(tmfinv_store *s, const char *kind, int (*fn)(const cJSON *, void *), void *ctx)
{
    return s->ops->reports(s, kind, fn, ctx);
}

/* ---- object-model API queries (api_om.c) ---- */

#include "tmfinv_error.h"

/* The backend's object-model table, or NULL with the error set. */
static const tmfinv_store_om_ops *om_ops(const tmfinv_store *s)
{
    const tmfinv_store_om_ops *ops = s ? s->ops->om : NULL;

    if (!ops)
        (void)tmfinv_error_set(TMFINV_ERROR, "this store backend has no object-model queries");
    return ops;
}

int tmfinv_store_instances_page(tmfinv_store *s, const tmfinv_instances_page_query *pq, int64_t *total,
                                int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    return ops ? ops->instances_page(s, pq, total, fn, ctx) : TMFINV_ERROR;
}

int tmfinv_store_table_indexes(tmfinv_store *s, const tmfinv_store_column *cols, size_t n, int *created,
                               int *dropped)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    if (created)
        *created = 0;
    if (dropped)
        *dropped = 0;
    if (!ops)
        return TMFINV_ERROR;
    return ops->table_indexes ? ops->table_indexes(s, cols, n, created, dropped) : 0;
}

int tmfinv_store_reports_page(tmfinv_store *s, const char *kind, int64_t offset, int64_t limit, int64_t *total,
                              int (*fn)(const cJSON *, void *), void *ctx)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    return ops ? ops->reports_page(s, kind, offset, limit, total, fn, ctx) : TMFINV_ERROR;
}

int tmfinv_store_runs_page(tmfinv_store *s, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                           int (*fn)(const cJSON *, void *), void *ctx)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    return ops ? ops->runs_page(s, id, offset, limit, total, fn, ctx) : TMFINV_ERROR;
}

int tmfinv_store_source_totals(tmfinv_store *s, tmfinv_source_totals **out, size_t *n)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    return ops ? ops->source_totals(s, out, n) : TMFINV_ERROR;
}

int tmfinv_store_last_complete(tmfinv_store *s, double *unix_seconds)
{
    const tmfinv_store_om_ops *ops = om_ops(s);

    return ops ? ops->last_complete(s, unix_seconds) : TMFINV_ERROR;
}

/* ---- TMF API queries (api_tmf.c) ---- */

#include "tmfinv_error.h"

/* The backend's TMF query table, or NULL with the error set. */
static const tmfinv_store_tmf_ops *tmf_ops(const tmfinv_store *s)
{
    const tmfinv_store_tmf_ops *ops = s ? s->ops->tmf : NULL;

    if (!ops)
        (void)tmfinv_error_set(TMFINV_ERROR, "this store backend has no TMF API queries");
    return ops;
}

int tmfinv_store_tmf_count(tmfinv_store *s, const tmfinv_tmf_query *q, int64_t *count)
{
    const tmfinv_store_tmf_ops *ops = tmf_ops(s);

    return ops ? ops->count(s, q, count) : TMFINV_ERROR;
}

int tmfinv_store_tmf_list(tmfinv_store *s, const tmfinv_tmf_query *q,
                          int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    const tmfinv_store_tmf_ops *ops = tmf_ops(s);

    return ops ? ops->list(s, q, fn, ctx) : TMFINV_ERROR;
}

int tmfinv_store_state_local(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                             int *removed, int *stale, int *local)
{
    const tmfinv_store_tmf_ops *ops = tmf_ops(s);

    return ops ? ops->state_local(s, definition, key, id, hash, removed, stale, local) : TMFINV_ERROR;
}

int tmfinv_store_tmf_find(tmfinv_store *s, const char *const *definitions, size_t n_definitions,
                          const char *tmf_id, int include_removed, tmfinv_instance **out)
{
    const tmfinv_store_tmf_ops *ops = tmf_ops(s);

    return ops ? ops->find(s, definitions, n_definitions, tmf_id, include_removed, out) : TMFINV_ERROR;
}

