/* store_sqlite_history.c: the SQLite backend's history — recording a change (with who made
 * it when no run did), an instance's history, the changes feed (filters, offset and an id
 * cursor) and retention's purge in small transactions (docs/decisions.md, "Retention"). */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_sqlite_history_add(tmfinv_store *base, const char *instance_id, int64_t run_id, const char *actor,
                             const char *time, const char *field, const char *before, const char *after)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_HISTORY_ADD);
    int rc = 0;

    store_sqlite_bind_text(st, 1, instance_id);
    sqlite3_bind_int64(st, 2, run_id);
    store_sqlite_bind_text(st, 3, time);
    store_sqlite_bind_text(st, 4, field);
    store_sqlite_bind_text(st, 5, before);
    store_sqlite_bind_text(st, 6, after);
    store_sqlite_bind_text(st, 7, actor);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing history");
    sqlite3_reset(st);
    return rc;
}

int store_sqlite_history(tmfinv_store *base, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, "SELECT run_id, time, field, before, after, actor FROM history"
                                  " WHERE instance_id = ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading history");
    store_sqlite_bind_text(st, 1, instance_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 0));
        store_sqlite_add_text_column(o, "time", st, 1);
        store_sqlite_add_text_column(o, "field", st, 2);
        store_sqlite_add_json_column(o, "before", st, 3);
        store_sqlite_add_json_column(o, "after", st, 4);
        store_sqlite_add_text_column(o, "actor", st, 5);
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = store_sqlite_fail(s, "reading history");
    sqlite3_finalize(st);
    return rc;
}

/* ---- the changes feed ---------------------------------------------------------------- */

/* The start time of run `id` into `out` (32 bytes); TMFINV_ENOTFOUND when there is none. */
static int run_started(sqlite_store *s, int64_t id, char *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, "SELECT started FROM run WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading a run");
    sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        (void)snprintf(out, 32, "%s", (const char *)sqlite3_column_text(st, 0));
    else if (step == SQLITE_DONE)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no run %lld", (long long)id);
    else
        rc = store_sqlite_fail(s, "reading a run");
    sqlite3_finalize(st);
    return rc;
}

/* Appends the FROM and WHERE clauses of q (only the filters it sets, so that the planner
 * can use the index each needs: the rowid for the cursor and for since (its first id from
 * history_by_time), history_by_field for an instance, the instance's definition for a
 * definition (checked with EXPLAIN QUERY PLAN, docs/ARCHITECTURE.md).
 * Parameters: ?1 after, ?2 since, ?3 definition, ?4 field, ?5 instance. */
static int changes_where(const tmfinv_changes_query *q, const char *since, tmfinv_buf *sql)
{
    int rc = tmfinv_buf_puts(sql, " FROM history h JOIN instance i ON i.id = h.instance_id WHERE h.id > ?1");

    /* Every change at or after `since` has an id at least the smallest of them (found in
     * history_by_time): a range of the rowid, so a recent `since` never reads the old rows. */
    if (rc == 0 && since)
        rc = tmfinv_buf_puts(sql, " AND h.id >= (SELECT min(id) FROM history INDEXED BY history_by_time"
                                  " WHERE time >= ?2) AND h.time >= ?2");
    if (rc == 0 && q->definition)
        rc = tmfinv_buf_puts(sql, " AND i.definition = ?3");
    if (rc == 0 && q->field)
        rc = tmfinv_buf_puts(sql, " AND h.field = ?4");
    if (rc == 0 && q->instance_id)
        rc = tmfinv_buf_puts(sql, " AND h.instance_id = ?5");
    return rc < 0 ? tmfinv_error_set(TMFINV_ENOMEM, "out of memory") : 0;
}

static void changes_bind(sqlite3_stmt *st, const tmfinv_changes_query *q, const char *since)
{
    sqlite3_bind_int64(st, 1, q->after > 0 ? q->after : 0);
    store_sqlite_bind_text(st, 2, since);
    store_sqlite_bind_text(st, 3, q->definition);
    store_sqlite_bind_text(st, 4, q->field);
    store_sqlite_bind_text(st, 5, q->instance_id);
}

/* One change as JSON from a row (id, instance, key, definition, field, before, after,
 * time, run, actor, earlier_purged); NULL when out of memory. */
static cJSON *change_json(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    int64_t run = sqlite3_column_int64(st, 8);

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
    store_sqlite_add_text_column(o, "instance", st, 1);
    store_sqlite_add_text_column(o, "key", st, 2);
    store_sqlite_add_text_column(o, "definition", st, 3);
    store_sqlite_add_text_column(o, "field", st, 4);
    store_sqlite_add_json_column(o, "before", st, 5);
    store_sqlite_add_json_column(o, "after", st, 6);
    store_sqlite_add_text_column(o, "time", st, 7);
    if (run > 0)
        cJSON_AddNumberToObject(o, "run", (double)run);
    else
        cJSON_AddNullToObject(o, "run");
    store_sqlite_add_text_column(o, "actor", st, 9);
    if (sqlite3_column_int(st, 10))
        cJSON_AddTrueToObject(o, "earlierPurged");
    return o;
}

static int sqlite_changes(tmfinv_store *base, const tmfinv_changes_query *q, int64_t *total,
                          int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    tmfinv_buf sql;
    char since[32] = "";
    const char *from = q->since;
    int rc = 0, step;

    tmfinv_buf_init(&sql, 4096);
    /* Since a run: from its start, whichever is later when both are given. */
    if (q->since_run > 0) {
        if ((rc = run_started(s, q->since_run, since)) < 0)
            goto out;
        if (!from || strcmp(since, from) > 0)
            from = since;
    }
    if (total) {
        if ((rc = tmfinv_buf_puts(&sql, "SELECT count(*)")) < 0 || (rc = changes_where(q, from, &sql)) < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
            rc = store_sqlite_fail(s, "counting changes");
            goto out;
        }
        changes_bind(st, q, from);
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = store_sqlite_fail(s, "counting changes");
            goto out;
        }
        *total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        tmfinv_buf_reset(&sql);
    }
    if (tmfinv_buf_puts(&sql, "SELECT h.id, h.instance_id, i.key, i.definition, h.field, h.before, h.after, h.time,"
                              " h.run_id, h.actor, h.earlier_purged") < 0 ||
        (rc = changes_where(q, from, &sql)) < 0 ||
        tmfinv_buf_puts(&sql, " ORDER BY h.id LIMIT ?6 OFFSET ?7") < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "reading changes");
        goto out;
    }
    changes_bind(st, q, from);
    sqlite3_bind_int64(st, 6, q->limit > 0 ? q->limit : -1);
    sqlite3_bind_int64(st, 7, q->offset > 0 ? q->offset : 0);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = change_json(st);

        rc = o ? fn(o, ctx) : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading changes");
out:
    sqlite3_finalize(st);
    tmfinv_buf_free(&sql);
    return rc;
}

/* ---- retention ----------------------------------------------------------------------- */

enum { PURGE_REMOVED, PURGE_HISTORY, PURGE_DONE };

/* A history row may go when it is older than the cutoff (?1) and a later row (by time, then
 * id) of the same instance and field is older than the cutoff too: the newest old row stays,
 * so that the value the field had at the cutoff, and since when, is still known. The later
 * row is one seek in history_by_field (instance_id, field, time). */
#define PURGEABLE_ROW                                                                                         \
    "h.time < ?1 AND EXISTS (SELECT 1 FROM history n WHERE n.instance_id = h.instance_id AND n.field = h.field" \
    " AND n.time >= h.time AND n.time < ?1 AND (n.time > h.time OR n.id > h.id))"

#define REMOVED_INSTANCE "removed = 1 AND modified < ?1"

/* Runs `sql` with the text ?1 and the integers ?2, ?3 bound (those it has); the rows it
 * changed into *changed (may be NULL). */
static int run_sql(sqlite_store *s, const char *sql, const char *text, int64_t a, int64_t b, int64_t *changed,
                   const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc = 0, n;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, what);
    n = sqlite3_bind_parameter_count(st);
    if (n >= 1)
        store_sqlite_bind_text(st, 1, text);
    if (n >= 2)
        sqlite3_bind_int64(st, 2, a);
    if (n >= 3)
        sqlite3_bind_int64(st, 3, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, what);
    else if (changed)
        *changed = sqlite3_changes64(s->db);
    sqlite3_finalize(st);
    return rc;
}

/* One batch of removed instances (and their history); *left is 0 once none is left. */
static int purge_removed(sqlite_store *s, tmfinv_purge *p, int *left)
{
    int64_t picked = 0, rows = 0, gone = 0;
    int rc;

    if ((rc = store_sqlite_exec(s, "DELETE FROM temp.purge_instance")) < 0 ||
        (rc = run_sql(s, "INSERT INTO temp.purge_instance (id) SELECT id FROM instance WHERE " REMOVED_INSTANCE
                         " LIMIT ?2", p->removed_before, p->batch, 0, &picked, "purging removed instances")) < 0 ||
        (rc = run_sql(s, "DELETE FROM history WHERE instance_id IN (SELECT id FROM temp.purge_instance)", NULL, 0, 0,
                      &rows, "purging removed instances")) < 0 ||
        (rc = run_sql(s, "DELETE FROM instance WHERE id IN (SELECT id FROM temp.purge_instance)", NULL, 0, 0, &gone,
                      "purging removed instances")) < 0)
        return rc;
    p->instances += gone;
    p->instance_changes += rows;
    *left = picked == p->batch;
    return 0;
}

/* One batch of old history rows, continuing after p's cursor (time, id) in the order of
 * history_by_time, so that the rows kept are not read again at each batch. */
static int purge_history(sqlite_store *s, tmfinv_purge *p, int *left)
{
    sqlite3_stmt *st = NULL;
    int64_t picked = 0, gone = 0;
    int rc;

    if ((rc = store_sqlite_exec(s, "DELETE FROM temp.purge_row")) < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO temp.purge_row (id, instance_id, field, time)"
                                  " SELECT h.id, h.instance_id, h.field, h.time FROM history h"
                                  " WHERE h.time >= ?2 AND (h.time > ?2 OR h.id > ?3) AND " PURGEABLE_ROW
                                  " ORDER BY h.time, h.id LIMIT ?4", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "purging history");
    store_sqlite_bind_text(st, 1, p->history_before);
    store_sqlite_bind_text(st, 2, p->cursor_time);
    sqlite3_bind_int64(st, 3, p->cursor_id);
    sqlite3_bind_int64(st, 4, p->batch);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "purging history");
    else
        picked = sqlite3_changes64(s->db);
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        return rc;
    /* The row each field keeps says that older ones were purged (its timeline is not
     * complete any more). */
    if ((rc = run_sql(s, "UPDATE history SET earlier_purged = 1 WHERE id IN (SELECT (SELECT n.id FROM history n"
                         " WHERE n.instance_id = b.instance_id AND n.field = b.field AND n.time < ?1"
                         " ORDER BY n.time DESC, n.id DESC LIMIT 1) FROM (SELECT DISTINCT instance_id, field"
                         " FROM temp.purge_row) b)", p->history_before, 0, 0, NULL, "purging history")) < 0 ||
        (rc = run_sql(s, "DELETE FROM history WHERE id IN (SELECT id FROM temp.purge_row)", NULL, 0, 0, &gone,
                      "purging history")) < 0)
        return rc;
    if (picked > 0) {
        if (sqlite3_prepare_v2(s->db, "SELECT time, id FROM temp.purge_row ORDER BY time DESC, id DESC LIMIT 1", -1,
                               &st, NULL) != SQLITE_OK)
            return store_sqlite_fail(s, "purging history");
        if (sqlite3_step(st) == SQLITE_ROW) {
            (void)snprintf(p->cursor_time, sizeof(p->cursor_time), "%s", (const char *)sqlite3_column_text(st, 0));
            p->cursor_id = sqlite3_column_int64(st, 1);
        } else
            rc = store_sqlite_fail(s, "purging history");
        sqlite3_finalize(st);
    }
    p->changes += gone;
    *left = picked == p->batch;
    return rc;
}

static int sqlite_purge_step(tmfinv_store *base, tmfinv_purge *p, int *done)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc, left = 0;

    if (s->read_only)
        return store_sqlite_refuse(s, "purge");
    if (p->phase == PURGE_DONE) {
        *done = 1;
        return 0;
    }
    if ((rc = store_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS purge_instance (id TEXT PRIMARY KEY)")) < 0 ||
        (rc = store_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS purge_row (id INTEGER PRIMARY KEY,"
                                   " instance_id TEXT, field TEXT, time TEXT)")) < 0 ||
        (rc = store_sqlite_tx(base, TMFINV_TX_WRITE)) < 0)
        return rc;
    rc = p->phase == PURGE_REMOVED ? purge_removed(s, p, &left) : purge_history(s, p, &left);
    if (rc < 0) {
        (void)store_sqlite_tx(base, TMFINV_TX_ROLLBACK);
        return rc;
    }
    if ((rc = store_sqlite_tx(base, TMFINV_TX_COMMIT)) < 0)
        return rc;
    p->transactions++;
    if (!left)
        p->phase++;
    *done = p->phase == PURGE_DONE;
    return 0;
}

/* The single count of `sql` (?1 bound to `text`, ?2 to `other`) into *out. */
static int count_sql(sqlite_store *s, const char *sql, const char *text, const char *other, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "counting what a purge would remove");
    store_sqlite_bind_text(st, 1, text);
    if (sqlite3_bind_parameter_count(st) >= 2)
        store_sqlite_bind_text(st, 2, other);
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "counting what a purge would remove");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_purge_count(tmfinv_store *base, tmfinv_purge *p)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc;

    if ((rc = count_sql(s, "SELECT count(*) FROM instance WHERE " REMOVED_INSTANCE, p->removed_before, NULL,
                        &p->instances)) < 0 ||
        (rc = count_sql(s, "SELECT count(*) FROM history WHERE instance_id IN (SELECT id FROM instance WHERE "
                           REMOVED_INSTANCE ")", p->removed_before, NULL, &p->instance_changes)) < 0)
        return rc;
    return count_sql(s, "SELECT count(*) FROM history h WHERE " PURGEABLE_ROW " AND h.instance_id NOT IN"
                        " (SELECT id FROM instance WHERE removed = 1 AND modified < ?2)", p->history_before,
                     p->removed_before, &p->changes);
}

const tmfinv_store_history_ops store_sqlite_history_ops = {
    .changes = sqlite_changes,
    .purge_step = sqlite_purge_step,
    .purge_count = sqlite_purge_count,
};
