/* store_sqlite_om.c: the SQLite backend's queries behind the object-model API (/api/v1):
 * pages of instances, reports and runs, per-source totals. */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- object-model API queries (api_om.c) ---- */

/* Pages of instances are built so that SQLite can answer the dashboard's table from an
 * index at any size (bench/README.md, "Dashboard table pages"; decision 81):
 * - the definition is written into the SQL as a literal besides its bound parameter, so
 *   that the partial indexes of the table's columns (tmfinv_store_table_indexes: ON
 *   instance (removed, json_extract(fields, '$."F"'), key) WHERE definition = 'D') apply;
 * - a filter or a sort on a field with a plain name writes json_extract(fields, '$."F"')
 *   literally, the very expression of those indexes (a path built from a parameter never
 *   matches an index);
 * - ties are ordered by definition and key in the direction of the last sort key, so that
 *   an index ending with the key serves "-modified" or "-F" read backwards;
 * - the page is chosen as rowids first (the sorter, when one is needed, carries the sort
 *   key and the rowid, not whole rows), then its rows are read by rowid. */

/* Bound parameters of the field filters om writes itself, above those of
 * store_sqlite_query_where (at most 4 + 3 per filter; requests have at most 256). */
#define OM_PARAM_BASE 1000

/* 1 when `name` may be written into SQL as it is: 1 to 128 letters, digits or '_'. */
static int om_plain_name(const char *name)
{
    size_t n = strlen(name);

    return n > 0 && n <= 128 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* 1 when om writes the filter w itself: one scalar field with a plain name. */
static int om_own_filter(const tmfinv_where *w)
{
    return !w->is_list && !cJSON_IsObject(w->value) && strcmp(w->field, "status") != 0 && om_plain_name(w->field);
}

/* Appends " ORDER BY …" for pq: its sort keys, then definition and key (unique) in the
 * direction of the last sort key, so that paging is stable. Field names are written into
 * the SQL, hence the strict check. */
static int om_order_by(const tmfinv_instances_page_query *pq, tmfinv_buf *sql)
{
    static const char *const columns[] = {"key", "status", "created", "modified", "id", "source", "definition"};
    const char *last = pq->n_sort && pq->sort[pq->n_sort - 1].descending ? "DESC" : "ASC";

    if (tmfinv_buf_puts(sql, " ORDER BY ") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pq->n_sort; i++) {
        const char *f = pq->sort[i].field, *dir = pq->sort[i].descending ? "DESC" : "ASC";
        size_t c;
        int rc = 0;

        for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
            if (strcmp(f, columns[c]) == 0)
                break;
        if (c < sizeof(columns) / sizeof(columns[0]))
            rc = tmfinv_buf_printf(sql, "%s %s, ", columns[c], dir);
        else if (!om_plain_name(f))
            return tmfinv_error_set(TMFINV_EINVALID, "cannot sort on '%.128s'", f);
        else
            rc = tmfinv_buf_printf(sql, "json_extract(fields, '$.\"%s\"') %s, ", f, dir);
        if (rc < 0)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (tmfinv_buf_printf(sql, "definition %s, key %s", last, last) < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

/* Binds the value of an own filter (om_own_filter) to parameter n. */
static void om_bind_value(sqlite3_stmt *st, int n, const cJSON *v)
{
    if (cJSON_IsString(v))
        store_sqlite_bind_text(st, n, v->valuestring);
    else if (cJSON_IsNumber(v))
        sqlite3_bind_double(st, n, v->valuedouble);
    else if (cJSON_IsBool(v))
        sqlite3_bind_int(st, n, cJSON_IsTrue(v));
    else
        sqlite3_bind_null(st, n);
}

typedef enum om_shape {
    OM_COUNT,           /* SELECT count(*) of every match */
    OM_COUNT_CAPPED,    /* count(*) of at most pq->count_cap + 1 matches */
    OM_ROWIDS           /* the page's rowids, in order */
} om_shape;

/* Prepares the statement of `shape` for pq into *out. */
static int om_prepare(sqlite_store *s, const tmfinv_instances_page_query *pq, om_shape shape, sqlite3_stmt **out)
{
    tmfinv_query q = pq->q;
    tmfinv_where *rest = NULL;
    tmfinv_buf sql;
    char *literal = NULL;
    size_t n_rest = 0;
    int rc = 0;

    for (size_t i = 0; i < q.n_where; i++)
        if (strchr(q.where[i].field, '"'))
            return tmfinv_error_set(TMFINV_EINVALID, "bad field name '%s'", q.where[i].field);
    tmfinv_buf_init(&sql, 1 << 20);
    if (q.n_where && !(rest = calloc(q.n_where, sizeof(*rest)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    /* The filters om does not write itself go to the CLI's WHERE builder. */
    for (size_t i = 0; i < q.n_where; i++)
        if (!om_own_filter(&q.where[i]))
            rest[n_rest++] = q.where[i];
    q.where = rest;
    q.n_where = n_rest;
    q.include_removed = pq->removed != TMFINV_REMOVED_NO;
    if (pq->q.definition && !(literal = sqlite3_mprintf(" AND definition = %Q", pq->q.definition))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (tmfinv_buf_puts(&sql, shape == OM_ROWIDS ? "SELECT rowid FROM instance"
                              : shape == OM_COUNT ? "SELECT count(*) FROM instance"
                                                  : "SELECT count(*) FROM (SELECT 1 FROM instance") < 0 ||
        store_sqlite_query_where(&q, &sql, NULL) < 0 || (literal && tmfinv_buf_puts(&sql, literal) < 0) ||
        (pq->removed == TMFINV_REMOVED_ONLY && tmfinv_buf_puts(&sql, " AND removed = 1") < 0)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < pq->q.n_where; i++)
        if (om_own_filter(&pq->q.where[i]) &&
            tmfinv_buf_printf(&sql, " AND json_extract(fields, '$.\"%s\"') = ?%d", pq->q.where[i].field,
                              OM_PARAM_BASE + (int)i) < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
    if (shape == OM_COUNT_CAPPED &&
        tmfinv_buf_printf(&sql, " LIMIT %lld)", (long long)(pq->count_cap > 0 ? pq->count_cap + 1 : -1)) < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (shape == OM_ROWIDS) {
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
    for (size_t i = 0; i < pq->q.n_where; i++)
        if (om_own_filter(&pq->q.where[i]))
            om_bind_value(*out, OM_PARAM_BASE + (int)i, pq->q.where[i].value);
out:
    sqlite3_free(literal);
    free(rest);
    tmfinv_buf_free(&sql);
    return rc;
}

/* The rowids of pq's page, in order, into a new array *ids of *n (free() it). */
static int om_page_rowids(sqlite_store *s, const tmfinv_instances_page_query *pq, int64_t **ids, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int64_t *list = NULL;
    size_t count = 0, cap = 0;
    int rc, step;

    if ((rc = om_prepare(s, pq, OM_ROWIDS, &st)) < 0)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t grown_cap = cap ? 2 * cap : 64;
            int64_t *grown = realloc(list, grown_cap * sizeof(*grown));

            if (!grown) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            list = grown;
            cap = grown_cap;
        }
        list[count++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "querying");
out:
    sqlite3_finalize(st);
    if (rc < 0) {
        free(list);
        return rc;
    }
    *ids = list;
    *n = count;
    return 0;
}

/* The memo key of pq's count: its SQL and its values (NULL, and 0, when too long to keep). */
static int om_memo_key(const char *sql, const tmfinv_instances_page_query *pq, char **key)
{
    const char *texts[] = {pq->q.definition, pq->q.key, pq->q.key_prefix, pq->q.id};
    tmfinv_buf k;

    *key = NULL;
    tmfinv_buf_init(&k, 64 * 1024);
    if (tmfinv_buf_puts(&k, sql) < 0)
        goto too_long;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if ((texts[i] ? tmfinv_buf_printf(&k, "\037t%zu:%s", strlen(texts[i]), texts[i])
                      : tmfinv_buf_puts(&k, "\037n")) < 0)
            goto too_long;
    for (size_t i = 0; i < pq->q.n_where; i++) {
        char *v = cJSON_PrintUnformatted(pq->q.where[i].value);
        int rc = v ? tmfinv_buf_printf(&k, "\037w%zu:%s=%s", strlen(pq->q.where[i].field), pq->q.where[i].field, v)
                   : -1;

        cJSON_free(v);
        if (rc < 0)
            goto too_long;
    }
    *key = tmfinv_buf_steal(&k);
    return *key ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
too_long:
    tmfinv_buf_free(&k);
    return 0;
}

/* pq's count into *count. Paging through a table asks the same count again and again:
 * it is remembered (with the TMF API's, s->counts) while the store has not changed. */
static int om_count_matches(sqlite_store *s, const tmfinv_instances_page_query *pq, int64_t *count)
{
    sqlite3_stmt *st = NULL;
    uint64_t version[2];
    char *key = NULL;
    int rc;

    if ((rc = om_prepare(s, pq, pq->count_cap > 0 ? OM_COUNT_CAPPED : OM_COUNT, &st)) < 0)
        return rc;
    if ((rc = s->base.ops->version(&s->base, version)) < 0 || (rc = om_memo_key(sqlite3_sql(st), pq, &key)) < 0)
        goto out;
    for (int i = 0; key && i < COUNT_CACHE; i++)
        if (s->counts[i].key && strcmp(s->counts[i].key, key) == 0 && s->counts[i].version[0] == version[0] &&
            s->counts[i].version[1] == version[1]) {
            *count = s->counts[i].count;
            goto out;
        }
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        if (key) {
            count_memo *m = &s->counts[s->next_count++ % COUNT_CACHE];

            free(m->key);
            m->key = key;
            key = NULL;
            m->version[0] = version[0];
            m->version[1] = version[1];
            m->count = *count;
        }
    } else
        rc = store_sqlite_fail(s, "counting");
out:
    free(key);
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_instances_page(tmfinv_store *base, const tmfinv_instances_page_query *pq, int64_t *total,
                                 int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int64_t count = 0, *ids = NULL;
    size_t n_ids = 0;
    int rc;

    if ((rc = om_count_matches(s, pq, &count)) < 0)
        return rc;
    *total = count;
    /* An exact count at or below the offset: no row to look for (limit 0 asks for the
     * total with an offset past every row, which SQLite would otherwise step through). */
    if (pq->count_cap <= 0 && pq->q.offset >= count)
        return 0;
    if ((rc = om_page_rowids(s, pq, &ids, &n_ids)) < 0)
        return rc;
    if (n_ids && sqlite3_prepare_v2(s->db, "SELECT id, definition, key, source, status, removed, removed_reason,"
                                           " created, modified, run_id, content_hash, fields, raw, stale"
                                           " FROM instance WHERE rowid = ?1", -1, &st, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "querying");
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < n_ids; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        rc = store_sqlite_each_instance(s, st, fn, ctx);
    }
out:
    sqlite3_finalize(st);
    free(ids);
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

/* ---- indexes of the table's columns ---- */

#define OM_COLUMN_INDEX_PREFIX "instance_col:"

/* The name of the index of column c ("instance_col:D:F"), from sqlite3_mprintf. */
static char *om_column_index_name(const tmfinv_store_column *c)
{
    return sqlite3_mprintf(OM_COLUMN_INDEX_PREFIX "%s:%s", c->definition, c->field);
}

/* Index names are compared as SQLite compares them: ASCII letters case-insensitively. */
static int om_listed(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (sqlite3_stricmp(names[i], name) == 0)
            return 1;
    return 0;
}

static int sqlite_table_indexes(tmfinv_store *base, const tmfinv_store_column *cols, size_t n, int *created,
                                int *dropped)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    char **wanted = NULL, **existing = NULL, *sql = NULL;
    size_t n_existing = 0, cap = 0;
    int rc = 0, step, in_tx = 0, made = 0, gone = 0;

    for (size_t i = 0; i < n; i++)
        if (!om_plain_name(cols[i].field))
            return tmfinv_error_set(TMFINV_EINVALID, "cannot index field '%.128s' of %.128s", cols[i].field,
                                    cols[i].definition);
    if (n && !(wanted = calloc(n, sizeof(*wanted)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!(wanted[i] = om_column_index_name(&cols[i]))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
    if ((rc = store_sqlite_exec(s, "BEGIN IMMEDIATE")) < 0)
        goto out;
    in_tx = 1;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance'"
                                  " AND substr(name, 1, 13) = '" OM_COLUMN_INDEX_PREFIX "'", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "reading the table's indexes");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n_existing == cap) {
            size_t grown_cap = cap ? 2 * cap : 16;
            char **grown = realloc(existing, grown_cap * sizeof(*grown));

            if (!grown) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            existing = grown;
            cap = grown_cap;
        }
        if (!(existing[n_existing] = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0)))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        n_existing++;
    }
    if (step != SQLITE_DONE) {
        rc = store_sqlite_fail(s, "reading the table's indexes");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; i < n_existing; i++) {
        if (om_listed(wanted, n, existing[i]))
            continue;
        if (!(sql = sqlite3_mprintf("DROP INDEX \"%w\"", existing[i]))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = store_sqlite_exec(s, sql)) < 0)
            goto out;
        sqlite3_free(sql);
        sql = NULL;
        gone++;
    }
    for (size_t i = 0; i < n; i++) {
        /* The same column listed twice is made once. */
        if (om_listed(existing, n_existing, wanted[i]) || om_listed(wanted, i, wanted[i]))
            continue;
        /* (removed, value, key): an equality filter on the value is a range in key order, a
         * sort on it (then by key, either way) a walk; partial, so that only the rows of
         * the definition pay for it. */
        if (!(sql = sqlite3_mprintf("CREATE INDEX \"%w\" ON instance (removed, json_extract(fields, '$.\"%s\"'), key)"
                                    " WHERE definition = %Q", wanted[i], cols[i].field, cols[i].definition))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = store_sqlite_exec(s, sql)) < 0)
            goto out;
        sqlite3_free(sql);
        sql = NULL;
        made++;
    }
    in_tx = 0;
    rc = store_sqlite_exec(s, "COMMIT");
out:
    /* An error SQLite rolled back itself (a full disk, no memory) leaves no transaction:
     * a ROLLBACK then would replace its message with "no transaction is active". */
    if (in_tx && !sqlite3_get_autocommit(s->db))
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    for (size_t i = 0; wanted && i < n; i++)
        sqlite3_free(wanted[i]);
    for (size_t i = 0; i < n_existing; i++)
        sqlite3_free(existing[i]);
    free(wanted);
    free(existing);
    if (rc == 0) {
        if (created)
            *created = made;
        if (dropped)
            *dropped = gone;
    }
    return rc;
}

const tmfinv_store_om_ops store_sqlite_om_ops = {
    .instances_page = sqlite_instances_page,
    .reports_page = sqlite_reports_page,
    .runs_page = store_sqlite_runs_page,
    .source_totals = sqlite_source_totals,
    .last_complete = sqlite_last_complete,
    .table_indexes = sqlite_table_indexes,
};



