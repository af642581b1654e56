/* store_pg_history.c: the PostgreSQL backend's changes feed (store.h, tmfinv_store_changes; the
 * timelines are built on it by history.c): the history rows matching the filters given, oldest
 * first by id, as the SQLite backend gives them (store_sqlite_history.c). Only the filters set
 * go into the SQL, each as a parameter. */
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
