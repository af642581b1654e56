/* store_pg.c: the PostgreSQL backend of the store (docs/postgresql.md): open and close, the
 * sync's reads and writes through prepared statements, the keys seen in a run and the sweep,
 * runs and reports. The SQLite backend (store_sqlite.c) is the reference: same results. */
#include "store_pg_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tmfinv_store_pg_location(const char *location)
{
    return location && (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0);
}

static void pg_close(tmfinv_store *base)
{
    pg_store *s = (pg_store *)base;

    (void)store_pg_end_open_run(s);
    store_pg_batch_free(s);
    if (s->conn)
        PQfinish(s->conn);
    free(s->url);
    free(s);
}

static const tmfinv_store_ops pg_ops;

int tmfinv_store_pg_open(const char *url, const tmfinv_store_options *opt, tmfinv_store **out)
{
    pg_store *s = calloc(1, sizeof(*s));
    int rc;

    if (!s || !(s->url = strdup(url))) {
        free(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    s->base.ops = &pg_ops;
    s->busy_timeout_ms = opt->busy_timeout_ms;
    if ((rc = store_pg_connect(s)) < 0) {
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

/* ---- rows -------------------------------------------------------------------------------- */

static char *dup_column(const PGresult *r, int row, int c)
{
    const char *v = store_pg_text(r, row, c);

    return v ? strdup(v) : NULL;
}

int store_pg_row_instance(pg_store *s, const PGresult *r, int row, tmfinv_instance **out)
{
    tmfinv_instance *inst = calloc(1, sizeof(*inst));
    const char *fields, *v;

    if (!inst)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    (void)snprintf(inst->id, sizeof(inst->id), "%s", (v = store_pg_text(r, row, 0)) ? v : "");
    inst->definition = dup_column(r, row, 1);
    inst->key = dup_column(r, row, 2);
    inst->source = dup_column(r, row, 3);
    inst->status = dup_column(r, row, 4);
    inst->removed = (int)store_pg_int(r, row, 5);
    inst->removed_reason = dup_column(r, row, 6);
    (void)snprintf(inst->created, sizeof(inst->created), "%s", (v = store_pg_text(r, row, 7)) ? v : "");
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", (v = store_pg_text(r, row, 8)) ? v : "");
    inst->run_id = store_pg_int(r, row, 9);
    (void)snprintf(inst->content_hash, sizeof(inst->content_hash), "%s", (v = store_pg_text(r, row, 10)) ? v : "");
    fields = store_pg_text(r, row, 11);
    inst->fields = fields ? cJSON_Parse(fields) : cJSON_CreateObject();
    inst->raw = dup_column(r, row, 12);
    if (PQnfields(r) > 13 && store_pg_text(r, row, 13) && !(inst->stale = dup_column(r, row, 13))) {
        tmfinv_instance_free(inst);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (!inst->definition || !inst->key || !inst->source || !inst->fields || !inst->raw) {
        tmfinv_instance_free(inst);
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: unreadable instance row", s->url);
    }
    *out = inst;
    return 0;
}

void store_pg_add_text(cJSON *o, const char *name, const PGresult *r, int row, int c)
{
    const char *v = store_pg_text(r, row, c);

    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

void store_pg_add_json(cJSON *o, const char *name, const PGresult *r, int row, int c)
{
    const char *v = store_pg_text(r, row, c);
    cJSON *parsed = v ? cJSON_Parse(v) : NULL;

    if (parsed)
        cJSON_AddItemToObject(o, name, parsed);
    else if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* ---- instances --------------------------------------------------------------------------- */

/* Runs prepared statement `which` of `a` (definition and key first) that reads or writes
 * nothing of the batched rows but the instance (definition, key): the batch is written first
 * only when that instance is in it. */
int store_pg_keyed(pg_store *s, const char *sql, int which, const pg_args *a, int by_ref, const char *what,
                   PGresult **out)
{
    int rc = 0, pending;

    if (a->n < 2 || !a->v[0] || !a->v[1])
        pending = 1;
    else
        pending = by_ref ? store_pg_batch_pending_ref(s, a->v[0], a->v[1]) : store_pg_batch_pending(s, a->v[0], a->v[1]);
    if (pending && (rc = store_pg_batch_flush(s)) < 0)
        return rc;
    s->batch_hold = 1;
    rc = store_pg_query(s, sql, which, a, what, out);
    s->batch_hold = 0;
    return rc;
}

static int keyed(pg_store *s, int which, const pg_args *a, const char *what, PGresult **out)
{
    return store_pg_keyed(s, NULL, which, a, 0, what, out);
}

/* Runs prepared statement `which` with (definition, key); *out gets the result. */
static int by_key(pg_store *s, int which, const char *definition, const char *key, const char *what, PGresult **out)
{
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, key);
    rc = keyed(s, which, &a, what, out);
    store_pg_args_free(&a);
    return rc;
}

static int pg_get(tmfinv_store *base, const char *definition, const char *key, tmfinv_instance **out)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    int rc;

    if ((rc = by_key(s, PG_GET, definition, key, "reading an instance", &r)) < 0)
        return rc;
    rc = PQntuples(r) == 0 ? TMFINV_ENOTFOUND : store_pg_row_instance(s, r, 0, out);
    PQclear(r);
    return rc;
}

int store_pg_state_local(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash,
                         int *removed, int *stale, int *local)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    int rc;

    if ((rc = by_key(s, PG_STATE, definition, key, "reading an instance", &r)) < 0)
        return rc;
    if (PQntuples(r) == 0) {
        rc = TMFINV_ENOTFOUND;
    } else {
        (void)snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
        (void)snprintf(hash, 65, "%s", PQgetvalue(r, 0, 1));
        *removed = (int)store_pg_int(r, 0, 2);
        *stale = (int)store_pg_int(r, 0, 3);
        *local = (int)store_pg_int(r, 0, 4);
    }
    PQclear(r);
    return rc;
}

static int pg_state(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash, int *removed,
                    int *stale)
{
    int local;

    return store_pg_state_local(base, definition, key, id, hash, removed, stale, &local);
}

static int pg_put(tmfinv_store *base, const tmfinv_instance *inst)
{
    pg_store *s = (pg_store *)base;
    char *fields = cJSON_PrintUnformatted(inst->fields);
    pg_args a = {0};
    int rc;

    if (!fields)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (s->read_only) {
        free(fields);
        return store_pg_refuse(s, "write an instance");
    }
    if (s->in_write) {
        /* A sync's page: written with the others of the batch (store_pg_batch.c). */
        char removed[8], run_id[24];
        const char *values[14];

        (void)snprintf(removed, sizeof(removed), "%d", inst->removed);
        (void)snprintf(run_id, sizeof(run_id), "%lld", (long long)inst->run_id);
        values[0] = inst->id, values[1] = inst->definition, values[2] = inst->key, values[3] = inst->source;
        values[4] = inst->status, values[5] = removed, values[6] = inst->removed_reason;
        values[7] = inst->created, values[8] = inst->modified, values[9] = run_id;
        values[10] = inst->content_hash, values[11] = fields, values[12] = inst->raw, values[13] = inst->stale;
        rc = store_pg_batch_put(s, values);
        free(fields);
        return rc;
    }
    store_pg_args_text(&a, inst->id);
    store_pg_args_text(&a, inst->definition);
    store_pg_args_text(&a, inst->key);
    store_pg_args_text(&a, inst->source);
    store_pg_args_text(&a, inst->status);
    store_pg_args_int(&a, inst->removed);
    store_pg_args_text(&a, inst->removed_reason);
    store_pg_args_text(&a, inst->created);
    store_pg_args_text(&a, inst->modified);
    store_pg_args_int(&a, inst->run_id);
    store_pg_args_text(&a, inst->content_hash);
    store_pg_args_text(&a, fields);
    store_pg_args_text(&a, inst->raw);
    store_pg_args_text(&a, inst->stale);
    rc = store_pg_query(s, NULL, PG_PUT, &a, "writing an instance", NULL);
    store_pg_args_free(&a);
    free(fields);
    return rc;
}

/* ---- history ----------------------------------------------------------------------------- */

static int pg_history_add(tmfinv_store *base, const char *instance_id, int64_t run_id, const char *actor,
                          const char *time, const char *field, const char *before, const char *after)
{
    pg_store *s = (pg_store *)base;
    pg_args a = {0};
    int rc;

    if (s->in_write) {
        char run[24];
        const char *values[7] = {instance_id, run, time, field, before, after, actor};

        (void)snprintf(run, sizeof(run), "%lld", (long long)run_id);
        return store_pg_batch_history(s, values);
    }
    store_pg_args_text(&a, instance_id);
    store_pg_args_int(&a, run_id);
    store_pg_args_text(&a, time);
    store_pg_args_text(&a, field);
    store_pg_args_text(&a, before);
    store_pg_args_text(&a, after);
    store_pg_args_text(&a, actor);
    rc = store_pg_query(s, NULL, PG_HISTORY_ADD, &a, "writing history", NULL);
    store_pg_args_free(&a);
    return rc;
}

static int pg_history(tmfinv_store *base, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, instance_id);
    rc = store_pg_query(s, "SELECT run_id, time, field, before, after, actor FROM history WHERE instance_id = $1"
                           " ORDER BY id", 0, &a, "reading history", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(o, "run", (double)store_pg_int(r, i, 0));
        store_pg_add_text(o, "time", r, i, 1);
        store_pg_add_text(o, "field", r, i, 2);
        store_pg_add_json(o, "before", r, i, 3);
        store_pg_add_json(o, "after", r, i, 4);
        store_pg_add_text(o, "actor", r, i, 5);
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    PQclear(r);
    return rc;
}

/* ---- keys seen and the sweep ------------------------------------------------------------- */

static int pg_seen_reset(tmfinv_store *base)
{
    pg_store *s = (pg_store *)base;

    if (s->read_only)
        return store_pg_refuse(s, "record the keys seen");
    return store_pg_exec(s, "DELETE FROM seen", "forgetting the keys seen");
}

static int pg_seen_mark(tmfinv_store *base, const char *definition, const char *key, int *first)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    if (s->read_only)
        return store_pg_refuse(s, "record the keys seen");
    /* The seen keys are no instance: the batch may wait. */
    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, key);
    s->batch_hold = 1;
    rc = store_pg_query(s, NULL, PG_SEEN_MARK, &a, "marking a key seen", &r);
    s->batch_hold = 0;
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    *first = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return 0;
}

/* The active instances of (source $1, definition $2) whose key was not seen in this run. */
#define UNSEEN " FROM instance WHERE source = $1 AND definition = $2 AND removed = 0 AND NOT EXISTS" \
               " (SELECT 1 FROM seen WHERE seen.definition = instance.definition AND seen.key = instance.key)"

static int pg_sweep(tmfinv_store *base, const char *source, const char *definition, int64_t run_id, const char *time,
                    int64_t *removed)
{
    static const char *const sql[2] = {
        "INSERT INTO history (instance_id, run_id, time, field, before, after)"
        " SELECT id, $3, $4, '@removed', 'false', 'true'" UNSEEN " ORDER BY key",
        "UPDATE instance SET removed = 1, removed_reason = 'not seen in a complete sync', modified = $4,"
        " run_id = $3 WHERE id IN (SELECT id" UNSEEN ")",
    };
    pg_store *s = (pg_store *)base;
    pg_args a = {0};
    int rc = 0;

    store_pg_args_text(&a, source);
    store_pg_args_text(&a, definition);
    store_pg_args_int(&a, run_id);
    store_pg_args_text(&a, time);
    for (int i = 0; i < 2 && rc == 0; i++) {
        PGresult *r = NULL;

        if ((rc = store_pg_query(s, sql[i], 0, &a, "removing unseen instances", &r)) == 0) {
            if (i == 1)
                *removed = strtoll(PQcmdTuples(r), NULL, 10);
            PQclear(r);
        }
    }
    store_pg_args_free(&a);
    return rc;
}

static int pg_sweep_count(tmfinv_store *base, const char *source, const char *definition, int64_t *active,
                          int64_t *unseen)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, source);
    store_pg_args_text(&a, definition);
    rc = store_pg_query(s, "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM seen"
                           " WHERE seen.definition = instance.definition AND seen.key = instance.key))"
                           " FROM instance WHERE source = $1 AND definition = $2 AND removed = 0",
                        0, &a, "counting unseen instances", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    *active = store_pg_int(r, 0, 0);
    *unseen = store_pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

static int pg_written_by(tmfinv_store *base, const char *definition, const char *key, const char *tmf_id, int *same)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, key);
    if (tmf_id)
        store_pg_args_text(&a, tmf_id);
    rc = keyed(s, tmf_id ? PG_WRITTEN_BY_ID : PG_WRITTEN_BY_NO_ID, &a, "reading an instance", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    if (PQntuples(r) > 0) {
        *same = (int)store_pg_int(r, 0, 0);
    } else if (!tmf_id) {
        rc = TMFINV_ENOTFOUND;
    } else {
        /* No instance with that TMF id: another item wrote it, or there is none. */
        char id[40], hash[65];
        int removed, stale;

        if ((rc = pg_state(base, definition, key, id, hash, &removed, &stale)) == 0)
            *same = 0;
    }
    PQclear(r);
    return rc;
}

/* What changed since: the snapshot's text (xmin:xmax:in-progress ids) changes whenever any
 * transaction of the database begins writing or ends, through this connection or another one
 * (SQLite: data_version); the second half counts this handle's own writes. */
static int pg_version(tmfinv_store *base, uint64_t version[2])
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    uint64_t h = 1469598103934665603ULL;
    int rc = store_pg_query(s, "SELECT pg_current_snapshot()::text", 0, NULL, "reading the data version", &r);

    if (rc < 0)
        return rc;
    for (const unsigned char *p = (const unsigned char *)PQgetvalue(r, 0, 0); *p; p++)
        h = (h ^ *p) * 1099511628211ULL; /* FNV-1a */
    PQclear(r);
    version[0] = h;
    version[1] = s->writes;
    return 0;
}

/* ---- runs -------------------------------------------------------------------------------- */

static int pg_run_begin(tmfinv_store *base, const char *started, const char *kind, int64_t *run_id)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    char process[64];
    int rc;

    if (s->read_only)
        return store_pg_refuse(s, "record a sync run");
    if ((rc = store_pg_end_open_run(s)) < 0)
        return rc;
    store_pg_process_id(process, sizeof(process));
    store_pg_args_text(&a, kind);
    store_pg_args_text(&a, started);
    store_pg_args_text(&a, process);
    rc = store_pg_query(s, "INSERT INTO run (kind, started, process) VALUES ($1, $2, $3) RETURNING id", 0, &a,
                        "recording a run", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    *run_id = s->open_run = store_pg_int(r, 0, 0);
    s->writes++;
    PQclear(r);
    return 0;
}

static int pg_run_end(tmfinv_store *base, int64_t run_id, const char *ended, int complete)
{
    pg_store *s = (pg_store *)base;
    pg_args a = {0};
    int rc;

    store_pg_args_int(&a, run_id);
    store_pg_args_text(&a, ended);
    store_pg_args_int(&a, complete);
    rc = store_pg_query(s, "UPDATE run SET ended = $2, complete = $3 WHERE id = $1", 0, &a, "recording a run", NULL);
    store_pg_args_free(&a);
    if (rc == 0 && run_id == s->open_run)
        s->open_run = 0;
    return rc;
}

static int pg_run_source_put(tmfinv_store *base, int64_t run_id, const tmfinv_run_source *rs)
{
    pg_store *s = (pg_store *)base;
    char *failed = rs->failed_pages ? cJSON_PrintUnformatted(rs->failed_pages) : NULL;
    const int64_t counts[] = {rs->pages,    rs->items,    rs->created,    rs->updated,  rs->unchanged,
                              rs->removed,  rs->dropped,  rs->duplicates, rs->empty_keys, rs->excluded,
                              rs->rejected, rs->failed};
    char by_status[256];
    pg_args a = {0};
    int rc;

    (void)snprintf(by_status, sizeof(by_status), "{\"429\":%lld,\"500\":%lld,\"502\":%lld,\"503\":%lld,"
                   "\"504\":%lld,\"other\":%lld}", (long long)rs->retries_by_status[0],
                   (long long)rs->retries_by_status[1], (long long)rs->retries_by_status[2],
                   (long long)rs->retries_by_status[3], (long long)rs->retries_by_status[4],
                   (long long)rs->retries_by_status[5]);
    store_pg_args_int(&a, run_id);
    store_pg_args_text(&a, rs->source);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        store_pg_args_int(&a, counts[i]);
    store_pg_args_int(&a, rs->complete);
    store_pg_args_text(&a, rs->error);
    store_pg_args_text(&a, failed);
    store_pg_args_int(&a, rs->requests);
    store_pg_args_int(&a, rs->retries);
    store_pg_args_text(&a, by_status);
    store_pg_args_int(&a, rs->token_fetches);
    store_pg_args_int(&a, rs->writes);
    rc = store_pg_query(s, "INSERT INTO run_source (run_id, source, pages, items, created, updated, unchanged,"
                           " removed, dropped, duplicates, empty_keys, excluded, rejected, failed, complete, error,"
                           " failed_pages, requests, retries, retries_by_status, token_fetches, writes) VALUES ($1,"
                           " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
                           " $21, $22) ON CONFLICT (run_id, source) DO UPDATE SET pages = $3, items = $4,"
                           " created = $5, updated = $6, unchanged = $7, removed = $8, dropped = $9,"
                           " duplicates = $10, empty_keys = $11, excluded = $12, rejected = $13, failed = $14,"
                           " complete = $15, error = $16, failed_pages = $17, requests = $18, retries = $19,"
                           " retries_by_status = $20, token_fetches = $21, writes = $22",
                        0, &a, "recording a run", NULL);
    store_pg_args_free(&a);
    free(failed);
    return rc;
}

static int pg_runs(tmfinv_store *base, int64_t limit, int (*fn)(const cJSON *, void *), void *ctx)
{
    int64_t total;

    return store_pg_runs_page(base, 0, 0, limit, &total, fn, ctx);
}

/* ---- reports ----------------------------------------------------------------------------- */

static int pg_report_add(tmfinv_store *base, const tmfinv_report *rep, const char *time, int *added)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_int(&a, rep->run_id);
    store_pg_args_text(&a, rep->source);
    store_pg_args_text(&a, rep->kind);
    store_pg_args_int(&a, rep->page);
    store_pg_args_text(&a, rep->definition);
    store_pg_args_text(&a, rep->key);
    store_pg_args_text(&a, rep->item_id);
    store_pg_args_text(&a, rep->field);
    store_pg_args_text(&a, rep->reason);
    store_pg_args_text(&a, time);
    s->batch_hold = 1; /* reports are no instance nor history: the batch may wait */
    rc = store_pg_query(s, NULL, PG_REPORT_ADD, &a, "recording a report", &r);
    s->batch_hold = 0;
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    if (added)
        *added = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return 0;
}

static int pg_reports(tmfinv_store *base, const char *kind, int (*fn)(const cJSON *, void *), void *ctx)
{
    const tmfinv_store_om_ops *om = &store_pg_om_ops;
    int64_t total;

    return om->reports_page(base, kind, 0, 0, &total, fn, ctx);
}

static const tmfinv_store_ops pg_ops = {
    .close = pg_close,
    .tx = store_pg_tx,
    .read_only = store_pg_read_only,
    .get = pg_get,
    .put = pg_put,
    .state = pg_state,
    .history_add = pg_history_add,
    .history = pg_history,
    .seen_reset = pg_seen_reset,
    .seen_mark = pg_seen_mark,
    .sweep = pg_sweep,
    .sweep_count = pg_sweep_count,
    .written_by = pg_written_by,
    .query = store_pg_query_instances,
    .count = store_pg_count,
    .summary = store_pg_summary,
    .version = pg_version,
    .run_begin = pg_run_begin,
    .run_end = pg_run_end,
    .run_source_put = pg_run_source_put,
    .runs = pg_runs,
    .report_add = pg_report_add,
    .reports = pg_reports,
    .om = &store_pg_om_ops,
    .tmf = &store_pg_tmf_ops,
    .refs = &store_pg_refs_ops,
    .hist = &store_pg_history_ops,
    .graph = &store_pg_graph_ops,
    .outbox = &store_pg_outbox_ops,
};
