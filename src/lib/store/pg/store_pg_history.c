/* store_pg_history.c: the PostgreSQL backend's changes feed (store.h, tmfinv_store_changes; the
 * timelines are built on it by history.c) and retention's purge: the history rows matching the
 * filters given, oldest first by id, and the purge in small transactions, as the SQLite backend
 * does them (store_sqlite_history.c). Only the filters set go into the SQL, each a parameter. */
#include "store_pg_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <string.h>

/* The start time of run `id` into out (32 bytes); TMFINV_ENOTFOUND when there is none. */
static int run_started(pg_store *s, int64_t id, char *out)
{
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_int(&a, id);
    rc = store_pg_query(s, "SELECT started FROM run WHERE id = $1", 0, &a, "reading a run", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    if (PQntuples(r) == 0)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no run %lld", (long long)id);
    else
        (void)snprintf(out, 32, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* Appends the FROM and WHERE clauses of q, its values into a. */
static int changes_where(const tmfinv_changes_query *q, const char *since, tmfinv_buf *sql, pg_args *a)
{
    int rc;

    store_pg_args_int(a, q->after > 0 ? q->after : 0);
    rc = tmfinv_buf_printf(sql, " FROM history h JOIN instance i ON i.id = h.instance_id WHERE h.id > $%d", a->n);
    if (rc == 0 && since) {
        store_pg_args_text(a, since);
        rc = tmfinv_buf_printf(sql, " AND h.time >= $%d", a->n);
    }
    if (rc == 0 && q->definition) {
        store_pg_args_text(a, q->definition);
        rc = tmfinv_buf_printf(sql, " AND i.definition = $%d", a->n);
    }
    if (rc == 0 && q->field) {
        store_pg_args_text(a, q->field);
        rc = tmfinv_buf_printf(sql, " AND h.field = $%d", a->n);
    }
    if (rc == 0 && q->instance_id) {
        store_pg_args_text(a, q->instance_id);
        rc = tmfinv_buf_printf(sql, " AND h.instance_id = $%d", a->n);
    }
    return rc < 0 ? tmfinv_error_set(TMFINV_ENOMEM, "out of memory") : 0;
}

/* One change as JSON from row `row` (id, instance, key, definition, field, before, after,
 * time, run, actor, earlier_purged); NULL when out of memory. */
static cJSON *change_json(const PGresult *r, int row)
{
    cJSON *o = cJSON_CreateObject();
    int64_t run = store_pg_int(r, row, 8);

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)store_pg_int(r, row, 0));
    store_pg_add_text(o, "instance", r, row, 1);
    store_pg_add_text(o, "key", r, row, 2);
    store_pg_add_text(o, "definition", r, row, 3);
    store_pg_add_text(o, "field", r, row, 4);
    store_pg_add_json(o, "before", r, row, 5);
    store_pg_add_json(o, "after", r, row, 6);
    store_pg_add_text(o, "time", r, row, 7);
    if (run > 0)
        cJSON_AddNumberToObject(o, "run", (double)run);
    else
        cJSON_AddNullToObject(o, "run");
    store_pg_add_text(o, "actor", r, row, 9);
    if (store_pg_int(r, row, 10))
        cJSON_AddTrueToObject(o, "earlierPurged");
    return o;
}

int store_pg_changes(tmfinv_store *base, const tmfinv_changes_query *q, int64_t *total,
                     int (*fn)(const cJSON *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    tmfinv_buf sql;
    pg_args a = {0};
    char since[32] = "";
    const char *from = q->since;
    int rc = 0;

    tmfinv_buf_init(&sql, 4096);
    /* Since a run: from its start, whichever is later when both are given. */
    if (q->since_run > 0) {
        if ((rc = run_started(s, q->since_run, since)) < 0)
            goto out;
        if (!from || strcmp(since, from) > 0)
            from = since;
    }
    if (total) {
        if (tmfinv_buf_puts(&sql, "SELECT count(*)") < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = changes_where(q, from, &sql, &a)) < 0 ||
            (rc = store_pg_query(s, sql.data, 0, &a, "counting changes", &r)) < 0)
            goto out;
        *total = store_pg_int(r, 0, 0);
        PQclear(r);
        r = NULL;
        tmfinv_buf_reset(&sql);
        store_pg_args_free(&a);
    }
    if (tmfinv_buf_puts(&sql, "SELECT h.id, h.instance_id, i.key, i.definition, h.field, h.before, h.after, h.time,"
                              " h.run_id, h.actor, h.earlier_purged") < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = changes_where(q, from, &sql, &a)) < 0)
        goto out;
    if (tmfinv_buf_puts(&sql, " ORDER BY h.id") < 0 ||
        (q->limit > 0 && tmfinv_buf_printf(&sql, " LIMIT %lld", (long long)q->limit) < 0) ||
        (q->offset > 0 && tmfinv_buf_printf(&sql, " OFFSET %lld", (long long)q->offset) < 0)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_pg_query(s, sql.data, 0, &a, "reading changes", &r)) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        cJSON *o = change_json(r, i);

        rc = o ? fn(o, ctx) : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cJSON_Delete(o);
    }
out:
    PQclear(r);
    store_pg_args_free(&a);
    tmfinv_buf_free(&sql);
    return rc;
}

/* ---- retention ----------------------------------------------------------------------- */

/* The phases of a purge (p->phase), as on SQLite: removed instances, then old history rows. */
enum { PURGE_REMOVED, PURGE_HISTORY, PURGE_DONE };

/* A history row may go when it is older than the cutoff ($1) and a later row (by time, then id)
 * of the same instance and field is older than the cutoff too: the newest old row stays. */
#define PURGEABLE_ROW                                                                                         \
    "h.time < $1 AND EXISTS (SELECT 1 FROM history n WHERE n.instance_id = h.instance_id AND n.field = h.field" \
    " AND n.time >= h.time AND n.time < $1 AND (n.time > h.time OR n.id > h.id))"

#define REMOVED_INSTANCE "removed = 1 AND modified < $1"

/* One batch of removed instances with their history: one statement, its CTEs sharing one
 * snapshot. *left is 0 once none is left. */
static int purge_removed(pg_store *s, tmfinv_purge *p, int *left)
{
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, p->removed_before);
    store_pg_args_int(&a, p->batch);
    rc = store_pg_query(s, "WITH picked AS (SELECT id FROM instance WHERE " REMOVED_INSTANCE " LIMIT $2),"
                           " h AS (DELETE FROM history WHERE instance_id IN (SELECT id FROM picked) RETURNING 1),"
                           " i AS (DELETE FROM instance WHERE id IN (SELECT id FROM picked) RETURNING 1)"
                           " SELECT (SELECT count(*) FROM picked), (SELECT count(*) FROM h), (SELECT count(*) FROM i)",
                        0, &a, "purging removed instances", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    p->instance_changes += store_pg_int(r, 0, 1);
    p->instances += store_pg_int(r, 0, 2);
    *left = store_pg_int(r, 0, 0) == p->batch;
    PQclear(r);
    return 0;
}

/* One batch of old history rows after p's cursor (time, id); the row each field keeps is
 * marked earlier_purged (its timeline is no longer complete). */
static int purge_history(pg_store *s, tmfinv_purge *p, int *left)
{
    PGresult *r = NULL;
    pg_args a = {0};
    int64_t picked;
    int rc;

    store_pg_args_text(&a, p->history_before);
    store_pg_args_text(&a, p->cursor_time);
    store_pg_args_int(&a, p->cursor_id);
    store_pg_args_int(&a, p->batch);
    rc = store_pg_query(s, "WITH picked AS (SELECT h.id, h.instance_id, h.field, h.time FROM history h"
                           " WHERE h.time >= $2 AND (h.time > $2 OR h.id > $3) AND " PURGEABLE_ROW
                           " ORDER BY h.time, h.id LIMIT $4),"
                           " marked AS (UPDATE history SET earlier_purged = 1 WHERE id IN (SELECT (SELECT n.id"
                           " FROM history n WHERE n.instance_id = b.instance_id AND n.field = b.field AND n.time < $1"
                           " ORDER BY n.time DESC, n.id DESC LIMIT 1) FROM (SELECT DISTINCT instance_id, field"
                           " FROM picked) b) RETURNING 1),"
                           " gone AS (DELETE FROM history WHERE id IN (SELECT id FROM picked) RETURNING 1),"
                           " last AS (SELECT time, id FROM picked ORDER BY time DESC, id DESC LIMIT 1)"
                           " SELECT (SELECT count(*) FROM picked), (SELECT count(*) FROM gone),"
                           " (SELECT time FROM last), (SELECT id FROM last)",
                        0, &a, "purging history", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    picked = store_pg_int(r, 0, 0);
    p->changes += store_pg_int(r, 0, 1);
    if (picked > 0 && store_pg_text(r, 0, 2)) {
        (void)snprintf(p->cursor_time, sizeof(p->cursor_time), "%s", store_pg_text(r, 0, 2));
        p->cursor_id = store_pg_int(r, 0, 3);
    }
    *left = picked == p->batch;
    PQclear(r);
    return 0;
}

int store_pg_purge_step(tmfinv_store *base, tmfinv_purge *p, int *done)
{
    pg_store *s = (pg_store *)base;
    int rc, left = 0;

    if (s->read_only)
        return store_pg_refuse(s, "purge");
    if (p->phase == PURGE_DONE) {
        *done = 1;
        return 0;
    }
    if ((rc = store_pg_tx(base, TMFINV_TX_WRITE)) < 0)
        return rc;
    rc = p->phase == PURGE_REMOVED ? purge_removed(s, p, &left) : purge_history(s, p, &left);
    if (rc < 0) {
        (void)store_pg_tx(base, TMFINV_TX_ROLLBACK);
        return rc;
    }
    if ((rc = store_pg_tx(base, TMFINV_TX_COMMIT)) < 0)
        return rc;
    p->transactions++;
    if (!left)
        p->phase++;
    *done = p->phase == PURGE_DONE;
    return 0;
}

/* The count of `sql` ($1 = a, $2 = b when given) into *out. */
static int count_sql(pg_store *s, const char *sql, const char *x, const char *y, int64_t *out)
{
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, x);
    if (y)
        store_pg_args_text(&a, y);
    rc = store_pg_query(s, sql, 0, &a, "counting what a purge would remove", &r);
    store_pg_args_free(&a);
    if (rc == 0) {
        *out = store_pg_int(r, 0, 0);
        PQclear(r);
    }
    return rc;
}

int store_pg_purge_count(tmfinv_store *base, tmfinv_purge *p)
{
    pg_store *s = (pg_store *)base;
    int rc;

    if ((rc = count_sql(s, "SELECT count(*) FROM instance WHERE " REMOVED_INSTANCE, p->removed_before, NULL,
                        &p->instances)) < 0 ||
        (rc = count_sql(s, "SELECT count(*) FROM history WHERE instance_id IN (SELECT id FROM instance WHERE "
                           REMOVED_INSTANCE ")", p->removed_before, NULL, &p->instance_changes)) < 0)
        return rc;
    return count_sql(s, "SELECT count(*) FROM history h WHERE " PURGEABLE_ROW " AND h.instance_id NOT IN"
                        " (SELECT id FROM instance WHERE removed = 1 AND modified < $2)", p->history_before,
                     p->removed_before, &p->changes);
}
