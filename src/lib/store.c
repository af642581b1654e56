/* store.c: dispatch of the store interface (store.h) to the chosen backend. */
#include "store_int.h"

#include <stdlib.h>

int tmfinv_store_open(const char *location, tmfinv_store **out)
{
    /* Only SQLite for now; a "postgresql://" location will select libpq here. */
    return tmfinv_store_sqlite_open(location, out);
}

void tmfinv_store_close(tmfinv_store *s)
{
    if (s)
        s->ops->close(s);
}

void tmfinv_instance_free(tmfinv_instance *inst)
{
    if (!inst)
        return;
    free(inst->definition);
    free(inst->key);
    free(inst->source);
    free(inst->status);
    free(inst->removed_reason);
    cJSON_Delete(inst->fields);
    free(inst->raw);
    free(inst);
}

int tmfinv_store_begin(tmfinv_store *s) { return s->ops->exec_tx(s, "BEGIN"); }
int tmfinv_store_commit(tmfinv_store *s) { return s->ops->exec_tx(s, "COMMIT"); }
int tmfinv_store_rollback(tmfinv_store *s) { return s->ops->exec_tx(s, "ROLLBACK"); }

int tmfinv_store_get(tmfinv_store *s, const char *definition, const char *key, tmfinv_instance **out)
{
    return s->ops->get(s, definition, key, out);
}

int tmfinv_store_state(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                       int *removed)
{
    return s->ops->state(s, definition, key, id, hash, removed);
}

int tmfinv_store_put(tmfinv_store *s, const tmfinv_instance *inst)
{
    return s->ops->put(s, inst);
}

int tmfinv_store_history_add(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *time,
                             const char *field, const char *before, const char *after)
{
    return s->ops->history_add(s, instance_id, run_id, time, field, before, after);
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
    return s->ops->sweep(s, source, definition, run_id, time, removed);
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
