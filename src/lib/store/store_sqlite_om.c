/* store_sqlite_om.c: the SQLite backend's queries behind the object-model API (/api/v1):
 * pages of instances, reports and runs, per-source totals. */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- object-model API queries (api_om.c) ---- */

/* Appends " ORDER BY …" for pq: its sort keys, then definition and key (unique), so
 * that paging is stable. Field names are written into the SQL, hence the strict check. */
static int om_order_by(const tmfinv_instances_page_query *pq, tmfinv_buf *sql)
{
    static const char *const columns[] = {"key", "status", "created", "modified", "id", "source", "definition"};

    if (tmfinv_buf_puts(sql, " ORDER BY ") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pq->n_sort; i++) {
        const char *f = pq->sort[i].field, *dir = pq->sort[i].descending ? "DESC" : "ASC";
        size_t c, n = strlen(f);
        int rc = 0;

        for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
            if (strcmp(f, columns[c]) == 0)
                break;
        if (c < sizeof(columns) / sizeof(columns[0]))
            rc = tmfinv_buf_printf(sql, "%s %s, ", columns[c], dir);
        else if (n == 0 || n > 128 ||
                 strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
            return tmfinv_error_set(TMFINV_EINVALID, "cannot sort on '%.128s'", f);
        else
            rc = tmfinv_buf_printf(sql, "json_extract(fields, '$.\"%s\"') %s, ", f, dir);
        if (rc < 0)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (tmfinv_buf_puts(sql, "definition, key") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

/* Prepares `select` + the WHERE clause of pq (+ ORDER BY and LIMIT when `paged`) into *out. */
static int om_prepare(sqlite_store *s, const tmfinv_instances_page_query *pq, const char *select, int paged,
                      sqlite3_stmt **out)
{
    tmfinv_query q = pq->q;
    tmfinv_buf sql;
    int rc = 0;

    for (size_t i = 0; i < q.n_where; i++)
        if (strchr(q.where[i].field, '"'))
            return tmfinv_error_set(TMFINV_EINVALID, "bad field name '%s'", q.where[i].field);
    q.include_removed = pq->removed != TMFINV_REMOVED_NO;
    tmfinv_buf_init(&sql, 1 << 20);
    if (tmfinv_buf_puts(&sql, select) < 0 || store_sqlite_query_where(&q, &sql, NULL) < 0 ||
        (pq->removed == TMFINV_REMOVED_ONLY && tmfinv_buf_puts(&sql, " AND removed = 1") < 0)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (paged) {
        if ((rc = om_order_by(pq, &sql)) < 0)
            goto out;
        if (tmfinv_buf_printf(&sql, " LIMIT %lld OFFSET %lld", q.limit > 0 ? (long long)q.limit : -1LL,
                              q.offset > 0 ? (long long)q.offset : 0LL) < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (sqlite3_prepare_v2(s->db, sql.data, -1, out, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "querying");
        goto out;
    }
    (void)store_sqlite_query_where(&q, NULL, *out);
out:
    tmfinv_buf_free(&sql);
    return rc;
}

static int sqlite_instances_page(tmfinv_store *base, const tmfinv_instances_page_query *pq, int64_t *total,
                                 int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int64_t count = 0;
    int rc;

    if ((rc = om_prepare(s, pq, "SELECT count(*) FROM instance", 0, &st)) < 0)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "counting");
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        return rc;
    *total = count;
    if ((rc = om_prepare(s, pq, "SELECT id, definition, key, source, status, removed, removed_reason, created,"
                                " modified, run_id, content_hash, fields, raw, stale FROM instance", 1, &st)) < 0)
        return rc;
    rc = store_sqlite_each_instance(s, st, fn, ctx);
    sqlite3_finalize(st);
    return rc;
}

/* Runs `sql` (one integer result) with ?1, when it has one, bound to `text` or else `number`. */
static int om_count(sqlite_store *s, const char *sql, const char *text, int64_t number, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "counting");
    if (sqlite3_bind_parameter_count(st) > 0) {
        if (text)
            store_sqlite_bind_text(st, 1, text);
        else
            sqlite3_bind_int64(st, 1, number);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "counting");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_reports_page(tmfinv_store *base, const char *kind, int64_t offset, int64_t limit, int64_t *total,
                               int (*fn)(const cJSON *, void *), void *ctx)
{
    static const char *const names[] = {"run", "source", "kind", "page", "definition", "key", "itemId", "field",
                                        "reason", "time"};
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int64_t count = 0;
    int rc, step = SQLITE_DONE;

    if (kind)
        rc = om_count(s, "SELECT count(*) FROM report WHERE kind = ?1", kind, 0, &count);
    else
        rc = om_count(s, "SELECT count(*) FROM report", NULL, 0, &count);
    if (rc < 0)
        return rc;
    *total = count;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id, source, kind, page, definition, key, item_id, field, reason, time"
                                  " FROM report WHERE ?1 IS NULL OR kind = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading reports");
    store_sqlite_bind_text(st, 1, kind);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int64(st, 3, offset > 0 ? offset : 0);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < 10; i++) {
            if (i == 0 || i == 3)
                cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
            else
                store_sqlite_add_text_column(o, names[i], st, i);
        }
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading reports");
    sqlite3_finalize(st);
    return rc;
}

/* The sources of run `run_id` as tmfinv_store_runs() writes them, added to `sources`. */
static int om_run_sources(sqlite_store *s, sqlite3_stmt *src, int64_t run_id, cJSON *sources)
{
    static const char *const counters[] = {"pages", "items", "created", "updated", "unchanged", "removed",
                                           "dropped", "duplicates", "emptyKeys", "excluded", "rejected",
                                           "failedPages"};
    int step;

    sqlite3_reset(src);
    sqlite3_bind_int64(src, 1, run_id);
    while ((step = sqlite3_step(src)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();

        if (!o)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cJSON_AddItemToArray(sources, o);
        store_sqlite_add_text_column(o, "name", src, 0);
        for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
            cJSON_AddNumberToObject(o, counters[i], (double)sqlite3_column_int64(src, (int)i + 1));
        cJSON_AddBoolToObject(o, "complete", sqlite3_column_int(src, 13));
        store_sqlite_add_text_column(o, "error", src, 14);
        store_sqlite_add_json_column(o, "failed", src, 15);
        cJSON_AddNumberToObject(o, "requests", (double)sqlite3_column_int64(src, 16));
        cJSON_AddNumberToObject(o, "retries", (double)sqlite3_column_int64(src, 17));
        store_sqlite_add_json_column(o, "retriesByStatus", src, 18);
        cJSON_AddNumberToObject(o, "tokenFetches", (double)sqlite3_column_int64(src, 19));
        cJSON_AddNumberToObject(o, "writes", (double)sqlite3_column_int64(src, 20));
    }
    return step == SQLITE_DONE ? 0 : store_sqlite_fail(s, "reading runs");
}

int store_sqlite_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                            int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL, *src = NULL;
    int64_t count = 0;
    int rc, step = SQLITE_DONE;

    if ((rc = om_count(s, "SELECT count(*) FROM run WHERE ?1 <= 0 OR id = ?1", NULL, id, &count)) < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT id, kind, started, ended, complete, process FROM run WHERE ?1 <= 0 OR id = ?1"
                                  " ORDER BY id DESC LIMIT ?2 OFFSET ?3", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT source, pages, items, created, updated, unchanged, removed, dropped,"
                                  " duplicates, empty_keys, excluded, rejected, failed, complete, error,"
                                  " failed_pages, requests, retries, retries_by_status, token_fetches, writes"
                                  " FROM run_source WHERE run_id = ?1 ORDER BY source", -1, &src,
                           NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "reading runs");
        goto out;
    }
    *total = count;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int64(st, 3, offset > 0 ? offset : 0);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *run = cJSON_CreateObject(), *sources = cJSON_CreateArray();

        if (!run || !sources) {
            cJSON_Delete(run);
            cJSON_Delete(sources);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(run, "id", (double)sqlite3_column_int64(st, 0));
        store_sqlite_add_text_column(run, "kind", st, 1);
        store_sqlite_add_text_column(run, "started", st, 2);
        store_sqlite_add_text_column(run, "ended", st, 3);
        if (sqlite3_column_type(st, 4) == SQLITE_NULL)
            cJSON_AddNullToObject(run, "complete");
        else
            cJSON_AddBoolToObject(run, "complete", sqlite3_column_int(st, 4));
        /* Not ended: going on while the process that began it lives, else interrupted. */
        cJSON_AddBoolToObject(run, "running", sqlite3_column_type(st, 3) == SQLITE_NULL &&
                                                  store_sqlite_process_alive((const char *)sqlite3_column_text(st, 5)));
        cJSON_AddItemToObject(run, "sources", sources);
        if ((rc = om_run_sources(s, src, sqlite3_column_int64(st, 0), sources)) == 0)
            rc = fn(run, ctx);
        cJSON_Delete(run);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading runs");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(src);
    return rc;
}

static int sqlite_source_totals(tmfinv_store *base, tmfinv_source_totals **out, size_t *n_out)
{
    /* Outcomes count finished runs only, so that a counter never goes back when a run in
     * progress ends; the other figures include the run in progress (they only grow). */
    static const char sql[] =
        "SELECT rs.source,"
        " coalesce(sum(r.ended IS NOT NULL AND rs.complete = 1), 0),"
        " coalesce(sum(r.ended IS NOT NULL AND rs.complete = 0 AND rs.error IS NULL), 0),"
        " coalesce(sum(r.ended IS NOT NULL AND rs.complete = 0 AND rs.error IS NOT NULL), 0),"
        " coalesce(sum(rs.pages), 0), coalesce(sum(rs.items), 0), coalesce(sum(rs.created), 0),"
        " coalesce(sum(rs.updated), 0), coalesce(sum(rs.unchanged), 0), coalesce(sum(rs.removed), 0),"
        " coalesce(sum(rs.dropped), 0), coalesce(sum(rs.duplicates), 0), coalesce(sum(rs.empty_keys), 0),"
        " coalesce(sum(rs.excluded), 0), coalesce(sum(rs.rejected), 0), coalesce(sum(rs.failed), 0),"
        " coalesce(sum(rs.requests), 0), coalesce(sum(rs.retries), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"429\"')), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"500\"')), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"502\"')), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"503\"')), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"504\"')), 0),"
        " coalesce(sum(json_extract(rs.retries_by_status, '$.\"other\"')), 0),"
        " (SELECT (julianday(max(r2.ended)) - 2440587.5) * 86400.0 FROM run_source x JOIN run r2 ON r2.id = x.run_id"
        "   WHERE x.source = rs.source AND x.complete = 1 AND r2.ended IS NOT NULL),"
        " (SELECT (julianday(r3.ended) - julianday(r3.started)) * 86400.0 FROM run_source y JOIN run r3"
        "   ON r3.id = y.run_id WHERE y.source = rs.source AND r3.ended IS NOT NULL ORDER BY r3.id DESC LIMIT 1)"
        " FROM run_source rs JOIN run r ON r.id = rs.run_id GROUP BY rs.source ORDER BY rs.source";
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    tmfinv_source_totals *totals = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "summing runs");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_source_totals *t;
        int c = 1;

        if (n == cap) {
            size_t grown_cap = cap ? 2 * cap : 8;
            tmfinv_source_totals *grown = realloc(totals, grown_cap * sizeof(*grown));

            if (!grown) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            totals = grown;
            cap = grown_cap;
        }
        t = &totals[n];
        memset(t, 0, sizeof(*t));
        if (!(t->source = store_sqlite_column_dup(st, 0))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        n++;
        {
            /* In the order of the columns of `sql`. */
            int64_t *const figures[] = {&t->runs_complete, &t->runs_incomplete, &t->runs_error, &t->pages,
                                        &t->items,         &t->created,         &t->updated,    &t->unchanged,
                                        &t->removed,       &t->dropped,         &t->duplicates, &t->empty_keys,
                                        &t->excluded,      &t->rejected,        &t->failed_pages, &t->requests,
                                        &t->retries};

            for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
                *figures[i] = sqlite3_column_int64(st, c++);
        }
        for (int i = 0; i < 6; i++)
            t->retries_by_status[i] = sqlite3_column_int64(st, c++);
        t->last_success_unix = sqlite3_column_type(st, c) == SQLITE_NULL ? 0 : sqlite3_column_double(st, c);
        c++;
        t->last_duration_s = sqlite3_column_type(st, c) == SQLITE_NULL ? -1 : sqlite3_column_double(st, c);
    }
    if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "summing runs");
out:
    sqlite3_finalize(st);
    if (rc < 0) {
        tmfinv_source_totals_free(totals, n);
        return rc;
    }
    *out = totals;
    *n_out = n;
    return 0;
}

static int sqlite_last_complete(tmfinv_store *base, double *unix_seconds)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT (julianday(max(ended)) - 2440587.5) * 86400.0 FROM run"
                                  " WHERE complete = 1 AND ended IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading runs");
    if (sqlite3_step(st) == SQLITE_ROW)
        *unix_seconds = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 0);
    else
        rc = store_sqlite_fail(s, "reading runs");
    sqlite3_finalize(st);
    return rc;
}

const tmfinv_store_om_ops store_sqlite_om_ops = {
    .instances_page = sqlite_instances_page,
    .reports_page = sqlite_reports_page,
    .runs_page = store_sqlite_runs_page,
    .source_totals = sqlite_source_totals,
    .last_complete = sqlite_last_complete,
};



