/* store_pg_query.c: the PostgreSQL backend's queries: the CLI's (query, count, summary), the
 * TMF API's entity by id, and the object-model API's (pages of instances, reports and runs,
 * per-source totals). Every value is a parameter; JSON is
 * stored as text and read as jsonb, with SQLite's comparison rules written out where the two
 * differ (SQLite's json_extract gives SQL values: a boolean is 1 or 0, a string never equals a
 * number). */
#include "store_pg_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text SQLite gives a JSON number when it compares it with a text column (REAL 5.0 is
 * "5.0", INTEGER 5 is "5"); cJSON keeps only doubles, so an integral value is taken as an
 * integer, as SQLite's JSON parser does for "5". */
static void number_text(double v, char *buf, size_t size)
{
    if (v >= -9.2e18 && v <= 9.2e18 && (double)(long long)v == v)
        (void)snprintf(buf, size, "%lld", (long long)v);
    else
        (void)snprintf(buf, size, "%.15g", v);
}

/* The UTF-8 encoding of code point c into out (4 bytes at least); its length. */
static size_t utf8_put(unsigned c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The smallest string above every string that begins with `prefix` (valid UTF-8): the prefix
 * with its last code point raised by one (past the surrogates), after dropping the trailing
 * U+10FFFF it cannot raise. NULL when nothing is left (no upper bound) or out of memory. */
static char *prefix_upper(const char *prefix)
{
    size_t len = strlen(prefix);
    char *out = malloc(len + 5);

    if (!out)
        return NULL;
    memcpy(out, prefix, len + 1);
    while (len > 0) {
        size_t start = len - 1;
        unsigned c;

        while (start > 0 && ((unsigned char)out[start] & 0xC0) == 0x80)
            start--;
        c = (unsigned char)out[start];
        if (c >= 0xF0)
            c &= 0x07;
        else if (c >= 0xE0)
            c &= 0x0F;
        else if (c >= 0xC0)
            c &= 0x1F;
        for (size_t i = start + 1; i < len; i++)
            c = (c << 6) | ((unsigned char)out[i] & 0x3F);
        if (c < 0x10FFFF) {
            c = c + 1 == 0xD800 ? 0xE000 : c + 1;
            len = start + utf8_put(c, out + start);
            out[len] = '\0';
            return out;
        }
        len = start;
    }
    free(out);
    return NULL;
}

/* Appends the WHERE clause of q to sql with its values in a: the SQLite backend's
 * store_sqlite_query_where(), condition for condition. */
static int query_where(const tmfinv_query *q, tmfinv_buf *sql, pg_args *a)
{
    int rc = tmfinv_buf_puts(sql, " WHERE true");

    if (rc == 0 && q->definition) {
        store_pg_args_text(a, q->definition);
        rc = tmfinv_buf_printf(sql, " AND definition = $%d", a->n);
    }
    if (rc == 0 && q->key) {
        store_pg_args_text(a, q->key);
        rc = tmfinv_buf_printf(sql, " AND key = $%d", a->n);
    }
    if (rc == 0 && q->key_prefix && *q->key_prefix) {
        /* A range of the key index, as on SQLite: key >= prefix and below the next string
         * after every key the prefix begins. SQLite raises the last byte; PostgreSQL takes
         * only valid UTF-8, so here the last code point is raised (UTF-8 orders as code
         * points), and one that cannot be is dropped first. No upper bound when none is left. */
        char *upper = prefix_upper(q->key_prefix);

        store_pg_args_text(a, q->key_prefix);
        rc = tmfinv_buf_printf(sql, " AND key >= $%d", a->n);
        if (rc == 0 && upper) {
            store_pg_args_copy(a, upper);
            rc = tmfinv_buf_printf(sql, " AND key < $%d", a->n);
        }
        free(upper);
    }
    if (rc == 0 && q->id) {
        store_pg_args_text(a, q->id);
        rc = tmfinv_buf_printf(sql, " AND id = $%d", a->n);
    }
    if (rc == 0 && !q->include_removed)
        rc = tmfinv_buf_puts(sql, " AND removed = 0");
    for (size_t i = 0; i < q->n_where && rc == 0; i++) {
        const tmfinv_where *w = &q->where[i];
        int f;

        if (strcmp(w->field, "@name") == 0) {
            /* SQLite binds no name for it: its path is NULL and nothing matches. */
            rc = tmfinv_buf_puts(sql, " AND false");
            continue;
        }
        /* The column (no field name: an unused parameter would have no type). */
        if (strcmp(w->field, "status") == 0 && !w->is_list && !cJSON_IsObject(w->value)) {
            char num[40];

            if (!cJSON_IsString(w->value) && !cJSON_IsNumber(w->value) && !cJSON_IsBool(w->value)) {
                rc = tmfinv_buf_puts(sql, " AND false");
                continue;
            }
            /* SQLite compares a bound number or boolean with the column as text. */
            if (cJSON_IsNumber(w->value))
                number_text(w->value->valuedouble, num, sizeof(num));
            store_pg_args_copy(a, cJSON_IsString(w->value)   ? w->value->valuestring
                                  : cJSON_IsNumber(w->value) ? num
                                  : cJSON_IsTrue(w->value)   ? "1"
                                                             : "0");
            rc = tmfinv_buf_printf(sql, " AND status = $%d", a->n);
            continue;
        }
        store_pg_args_text(a, w->field);
        f = a->n;
        if (cJSON_IsObject(w->value)) {
            /* A characteristic: an element whose name is NAME and whose value, as text, is VALUE. */
            store_pg_args_text(a, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->value, "name")));
            store_pg_args_text(a, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->value, "value")));
            rc = tmfinv_buf_printf(sql, " AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof("
                                        "(fields::jsonb) -> $%d) WHEN 'array' THEN (fields::jsonb) -> $%d ELSE"
                                        " '[]'::jsonb END) e WHERE jsonb_typeof(e) = 'object' AND e ->> 'name' = $%d"
                                        " AND e ->> 'value' = $%d)", f, f, a->n - 1, a->n);
            continue;
        }
        if (cJSON_IsString(w->value) || cJSON_IsNumber(w->value) || cJSON_IsBool(w->value)) {
            char num[40], lhs[48];
            const char *cast = cJSON_IsString(w->value) ? "text" : cJSON_IsNumber(w->value) ? "numeric" : "boolean";

            if (cJSON_IsNumber(w->value))
                number_text(w->value->valuedouble, num, sizeof(num));
            store_pg_args_copy(a, cJSON_IsString(w->value)   ? w->value->valuestring
                                  : cJSON_IsNumber(w->value) ? num
                                  : cJSON_IsTrue(w->value)   ? "true"
                                                             : "false");
            if (w->is_list) {
                /* SQLite's json_each: the elements of an array, or the value itself. */
                (void)snprintf(lhs, sizeof(lhs), "e");
                rc = tmfinv_buf_printf(sql, " AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof("
                                            "(fields::jsonb) -> $%d) WHEN 'array' THEN (fields::jsonb) -> $%d ELSE"
                                            " jsonb_build_array((fields::jsonb) -> $%d) END) e WHERE ", f, f, f);
            } else {
                (void)snprintf(lhs, sizeof(lhs), "(fields::jsonb) -> $%d", f);
                rc = tmfinv_buf_puts(sql, " AND (");
            }
            /* A boolean is 1 or 0 to SQLite: true also equals the number 1. */
            if (rc == 0 && cJSON_IsBool(w->value))
                rc = tmfinv_buf_printf(sql, "%s IN (to_jsonb($%d::boolean), to_jsonb($%d::boolean::int))", lhs,
                                       a->n, a->n);
            else if (rc == 0)
                rc = tmfinv_buf_printf(sql, "%s = to_jsonb($%d::%s)", lhs, a->n, cast);
            if (rc == 0)
                rc = tmfinv_buf_puts(sql, ")");
            continue;
        }
        rc = tmfinv_buf_printf(sql, " AND $%d::text IS NULL", f); /* null equals nothing, as on SQLite */
    }
    return rc < 0 ? TMFINV_ENOMEM : 0;
}

/* Builds `select` + the WHERE clause of q (+ ORDER BY definition, key and the page when
 * paged), with its parameters. */
static int build_query(const tmfinv_query *q, const char *select, int paged, tmfinv_buf *sql, pg_args *a)
{
    tmfinv_buf_init(sql, 1 << 20);
    if (tmfinv_buf_puts(sql, select) < 0 || query_where(q, sql, a) < 0 ||
        (paged && tmfinv_buf_puts(sql, " ORDER BY definition, key") < 0) ||
        (paged && q->limit > 0 && tmfinv_buf_printf(sql, " LIMIT %lld", (long long)q->limit) < 0) ||
        (paged && q->offset > 0 && tmfinv_buf_printf(sql, " OFFSET %lld", (long long)q->offset) < 0))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

#define INSTANCE_COLUMNS "SELECT id, definition, key, source, status, removed, removed_reason, created, modified," \
                         " run_id, content_hash, fields, raw, stale FROM instance"

/* Calls fn for each row of r as an instance; stops when fn returns non-zero. */
static int each_instance(pg_store *s, const PGresult *r, int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    int rc = 0;

    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        tmfinv_instance *inst = NULL;

        if ((rc = store_pg_row_instance(s, r, i, &inst)) < 0)
            return rc;
        rc = fn(inst, ctx);
        tmfinv_instance_free(inst);
    }
    return rc;
}

/* Runs the query of sql/a and calls fn for each instance. */
static int run_instances(pg_store *s, tmfinv_buf *sql, pg_args *a, int (*fn)(const tmfinv_instance *, void *),
                         void *ctx)
{
    PGresult *r = NULL;
    int rc = store_pg_query(s, sql->data, 0, a, "querying", &r);

    if (rc == 0) {
        rc = each_instance(s, r, fn, ctx);
        PQclear(r);
    }
    return rc;
}

/* Runs a query of one integer into *out. */
static int run_count(pg_store *s, const char *sql, pg_args *a, int64_t *out)
{
    PGresult *r = NULL;
    int rc = store_pg_query(s, sql, 0, a, "counting", &r);

    if (rc == 0) {
        *out = store_pg_int(r, 0, 0);
        PQclear(r);
    }
    return rc;
}

static int check_fields(const tmfinv_query *q)
{
    for (size_t i = 0; i < q->n_where; i++)
        if (strchr(q->where[i].field, '"'))
            return tmfinv_error_set(TMFINV_EINVALID, "bad field name '%s'", q->where[i].field);
    return 0;
}

int store_pg_query_instances(tmfinv_store *base, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                             void *ctx)
{
    pg_store *s = (pg_store *)base;
    tmfinv_buf sql;
    pg_args a = {0};
    int rc;

    if ((rc = check_fields(q)) < 0)
        return rc;
    if ((rc = build_query(q, INSTANCE_COLUMNS, 1, &sql, &a)) == 0)
        rc = run_instances(s, &sql, &a, fn, ctx);
    tmfinv_buf_free(&sql);
    store_pg_args_free(&a);
    return rc;
}

int store_pg_count(tmfinv_store *base, const tmfinv_query *q, int64_t *count)
{
    pg_store *s = (pg_store *)base;
    tmfinv_buf sql;
    pg_args a = {0};
    int rc;

    if ((rc = check_fields(q)) < 0)
        return rc;
    if ((rc = build_query(q, "SELECT count(*) FROM instance", 0, &sql, &a)) == 0)
        rc = run_count(s, sql.data, &a, count);
    tmfinv_buf_free(&sql);
    store_pg_args_free(&a);
    return rc;
}

int store_pg_summary(tmfinv_store *base, int (*fn)(const cJSON *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    int rc;

    /* NULLS FIRST: SQLite's order for a definition's instances without status. */
    if ((rc = store_pg_query(s, "SELECT definition, status, removed, count(*), count(stale) FROM instance"
                                " GROUP BY definition, removed, status ORDER BY definition, removed, status NULLS FIRST",
                             0, NULL, "summarising", &r)) < 0)
        return rc;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        store_pg_add_text(o, "definition", r, i, 0);
        store_pg_add_text(o, "status", r, i, 1);
        cJSON_AddBoolToObject(o, "removed", (int)store_pg_int(r, i, 2));
        cJSON_AddNumberToObject(o, "count", (double)store_pg_int(r, i, 3));
        cJSON_AddNumberToObject(o, "stale", (double)store_pg_int(r, i, 4));
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    PQclear(r);
    return rc;
}

/* ---- the TMF API: an entity by its id ----------------------------------------------------- */

/* As the SQLite backend: the instance UUID, or the key when the item's TMF id is the key (the
 * UUID's row first), then the TMF id of the item (a JSON string) through instance_by_tmf_id;
 * the first by definition and key. */
int store_pg_tmf_find(tmfinv_store *base, const char *const *definitions, size_t n_definitions, const char *tmf_id,
                      int include_removed, tmfinv_instance **out)
{
    static const char *const how[][2] = {
        {" AND (id = $1 OR key = $1 AND (raw::jsonb) ->> 'id' = $1 AND jsonb_typeof((raw::jsonb) -> 'id') = 'string')",
         "id <> $1, "},
        {" AND (raw::jsonb) ->> 'id' = $1 AND jsonb_typeof((raw::jsonb) -> 'id') = 'string'", ""},
    };
    pg_store *s = (pg_store *)base;
    int rc = TMFINV_ENOTFOUND;

    for (size_t k = 0; k < sizeof(how) / sizeof(how[0]) && rc == TMFINV_ENOTFOUND; k++) {
        PGresult *r = NULL;
        tmfinv_buf sql;
        pg_args a = {0};

        tmfinv_buf_init(&sql, 1 << 20);
        store_pg_args_text(&a, tmf_id);
        rc = tmfinv_buf_puts(&sql, INSTANCE_COLUMNS " WHERE definition IN (NULL");
        for (size_t i = 0; i < n_definitions && rc == 0; i++) {
            store_pg_args_text(&a, definitions[i]);
            rc = tmfinv_buf_printf(&sql, ", $%d", a.n);
        }
        if (rc == 0)
            rc = tmfinv_buf_printf(&sql, ")%s%s ORDER BY %sdefinition, key LIMIT 1",
                                   include_removed ? "" : " AND removed = 0", how[k][0], how[k][1]);
        if (rc < 0)
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        else if ((rc = store_pg_query(s, sql.data, 0, &a, "reading an instance", &r)) == 0) {
            rc = PQntuples(r) == 0 ? TMFINV_ENOTFOUND : store_pg_row_instance(s, r, 0, out);
            PQclear(r);
        }
        tmfinv_buf_free(&sql);
        store_pg_args_free(&a);
    }
    return rc;
}

/* ---- object-model API queries ------------------------------------------------------------ */

/* Appends " ORDER BY …" for pq, then definition and key. A field sorts as SQLite sorts
 * json_extract's values: missing or null first, then numbers (booleans as 1 and 0) by value,
 * then strings (and objects or arrays as their text) by their bytes. */
static int om_order_by(const tmfinv_instances_page_query *pq, tmfinv_buf *sql)
{
    static const char *const columns[] = {"key", "status", "created", "modified", "id", "source", "definition"};
    const char *last = pq->n_sort && pq->sort[pq->n_sort - 1].descending ? "DESC" : "ASC";

    if (tmfinv_buf_puts(sql, " ORDER BY ") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pq->n_sort; i++) {
        const char *f = pq->sort[i].field, *dir = pq->sort[i].descending ? "DESC" : "ASC";
        const char *nulls = pq->sort[i].descending ? "NULLS LAST" : "NULLS FIRST";
        size_t c, n = strlen(f);
        int rc = 0;

        for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
            if (strcmp(f, columns[c]) == 0)
                break;
        if (c < sizeof(columns) / sizeof(columns[0]))
            rc = tmfinv_buf_printf(sql, "%s %s %s, ", columns[c], dir, nulls);
        else if (n == 0 || n > 128 ||
                 strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
            return tmfinv_error_set(TMFINV_EINVALID, "cannot sort on '%.128s'", f);
        else
            rc = tmfinv_buf_printf(sql,
                                   "CASE jsonb_typeof((fields::jsonb) -> '%s') WHEN 'number' THEN 1 WHEN 'boolean'"
                                   " THEN 1 WHEN 'string' THEN 2 WHEN 'object' THEN 2 WHEN 'array' THEN 2 ELSE 0 END"
                                   " %s, CASE jsonb_typeof((fields::jsonb) -> '%s') WHEN 'number' THEN"
                                   " ((fields::jsonb) ->> '%s')::numeric WHEN 'boolean' THEN"
                                   " ((fields::jsonb) ->> '%s')::boolean::int END %s, CASE WHEN jsonb_typeof("
                                   "(fields::jsonb) -> '%s') IN ('string', 'object', 'array') THEN"
                                   " (fields::jsonb) ->> '%s' END COLLATE \"C\" %s, ",
                                   f, dir, f, f, f, dir, f, f, dir);
        if (rc < 0)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    /* Ties by definition and key in the direction of the last sort key (store.h). */
    if (tmfinv_buf_printf(sql, "definition %s, key %s", last, last) < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

static int om_build(const tmfinv_instances_page_query *pq, const char *select, int paged, tmfinv_buf *sql,
                    pg_args *a)
{
    tmfinv_query q = pq->q;
    int rc;

    if ((rc = check_fields(&q)) < 0)
        return rc;
    q.include_removed = pq->removed != TMFINV_REMOVED_NO;
    tmfinv_buf_init(sql, 1 << 20);
    if (tmfinv_buf_puts(sql, select) < 0 || query_where(&q, sql, a) < 0 ||
        (pq->removed == TMFINV_REMOVED_ONLY && tmfinv_buf_puts(sql, " AND removed = 1") < 0))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (!paged)
        return 0;
    if ((rc = om_order_by(pq, sql)) < 0)
        return rc;
    if ((q.limit > 0 && tmfinv_buf_printf(sql, " LIMIT %lld", (long long)q.limit) < 0) ||
        (q.offset > 0 && tmfinv_buf_printf(sql, " OFFSET %lld", (long long)q.offset) < 0))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

static int pg_instances_page(tmfinv_store *base, const tmfinv_instances_page_query *pq, int64_t *total,
                             int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    tmfinv_buf sql;
    pg_args a = {0};
    int rc;

    /* With a cap, the count stops at cap + 1 matches (store.h: "more than cap"). */
    if (pq->count_cap > 0)
        rc = om_build(pq, "SELECT count(*) FROM (SELECT 1 FROM instance", 0, &sql, &a);
    else
        rc = om_build(pq, "SELECT count(*) FROM instance", 0, &sql, &a);
    if (rc == 0 && pq->count_cap > 0 &&
        tmfinv_buf_printf(&sql, " LIMIT %lld) capped", (long long)pq->count_cap + 1) < 0)
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (rc == 0)
        rc = run_count(s, sql.data, &a, total);
    tmfinv_buf_free(&sql);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    if ((rc = om_build(pq, INSTANCE_COLUMNS, 1, &sql, &a)) == 0)
        rc = run_instances(s, &sql, &a, fn, ctx);
    tmfinv_buf_free(&sql);
    store_pg_args_free(&a);
    return rc;
}

static int pg_reports_page(tmfinv_store *base, const char *kind, int64_t offset, int64_t limit, int64_t *total,
                           int (*fn)(const cJSON *, void *), void *ctx)
{
    static const char *const names[] = {"run", "source", "kind", "page", "definition", "key", "itemId", "field",
                                        "reason", "time"};
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, kind);
    if ((rc = run_count(s, "SELECT count(*) FROM report WHERE $1::text IS NULL OR kind = $1", &a, total)) < 0)
        goto out;
    store_pg_args_int(&a, limit > 0 ? limit : INT64_MAX);
    store_pg_args_int(&a, offset > 0 ? offset : 0);
    if ((rc = store_pg_query(s, "SELECT run_id, source, kind, page, definition, key, item_id, field, reason, time"
                                " FROM report WHERE $1::text IS NULL OR kind = $1 ORDER BY id LIMIT $2 OFFSET $3",
                             0, &a, "reading reports", &r)) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        for (int c = 0; c < 10; c++) {
            if (c == 0 || c == 3)
                cJSON_AddNumberToObject(o, names[c], (double)store_pg_int(r, i, c));
            else
                store_pg_add_text(o, names[c], r, i, c);
        }
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    PQclear(r);
out:
    store_pg_args_free(&a);
    return rc;
}

/* The sources of run `run_id` as tmfinv_store_runs() writes them, added to `sources`. */
static int om_run_sources(pg_store *s, int64_t run_id, cJSON *sources)
{
    static const char *const counters[] = {"pages", "items", "created", "updated", "unchanged", "removed",
                                           "dropped", "duplicates", "emptyKeys", "excluded", "rejected",
                                           "failedPages"};
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_int(&a, run_id);
    rc = store_pg_query(s, "SELECT source, pages, items, created, updated, unchanged, removed, dropped,"
                           " duplicates, empty_keys, excluded, rejected, failed, complete, error,"
                           " failed_pages, requests, retries, retries_by_status, token_fetches, writes"
                           " FROM run_source WHERE run_id = $1 ORDER BY source", 0, &a, "reading runs", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            PQclear(r);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        cJSON_AddItemToArray(sources, o);
        store_pg_add_text(o, "name", r, i, 0);
        for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++)
            cJSON_AddNumberToObject(o, counters[c], (double)store_pg_int(r, i, (int)c + 1));
        cJSON_AddBoolToObject(o, "complete", (int)store_pg_int(r, i, 13));
        store_pg_add_text(o, "error", r, i, 14);
        store_pg_add_json(o, "failed", r, i, 15);
        cJSON_AddNumberToObject(o, "requests", (double)store_pg_int(r, i, 16));
        cJSON_AddNumberToObject(o, "retries", (double)store_pg_int(r, i, 17));
        store_pg_add_json(o, "retriesByStatus", r, i, 18);
        cJSON_AddNumberToObject(o, "tokenFetches", (double)store_pg_int(r, i, 19));
        cJSON_AddNumberToObject(o, "writes", (double)store_pg_int(r, i, 20));
    }
    PQclear(r);
    return 0;
}

int store_pg_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                       int (*fn)(const cJSON *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_int(&a, id);
    if ((rc = run_count(s, "SELECT count(*) FROM run WHERE $1::bigint <= 0 OR id = $1", &a, total)) < 0)
        goto out;
    store_pg_args_int(&a, limit > 0 ? limit : INT64_MAX);
    store_pg_args_int(&a, offset > 0 ? offset : 0);
    if ((rc = store_pg_query(s, "SELECT id, kind, started, ended, complete, process FROM run WHERE $1::bigint <= 0"
                                " OR id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", 0, &a, "reading runs", &r)) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        cJSON *run = cJSON_CreateObject(), *sources = cJSON_CreateArray();

        if (!run || !sources) {
            cJSON_Delete(run);
            cJSON_Delete(sources);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(run, "id", (double)store_pg_int(r, i, 0));
        store_pg_add_text(run, "kind", r, i, 1);
        store_pg_add_text(run, "started", r, i, 2);
        store_pg_add_text(run, "ended", r, i, 3);
        if (PQgetisnull(r, i, 4))
            cJSON_AddNullToObject(run, "complete");
        else
            cJSON_AddBoolToObject(run, "complete", (int)store_pg_int(r, i, 4));
        /* Not ended: going on while the process that began it lives (on this machine), else
         * interrupted. */
        cJSON_AddBoolToObject(run, "running", PQgetisnull(r, i, 3) && store_pg_process_alive(store_pg_text(r, i, 5)));
        cJSON_AddItemToObject(run, "sources", sources);
        if ((rc = om_run_sources(s, store_pg_int(r, i, 0), sources)) == 0)
            rc = fn(run, ctx);
        cJSON_Delete(run);
    }
    PQclear(r);
out:
    store_pg_args_free(&a);
    return rc;
}

/* Unix seconds of a stored time ("YYYY-MM-DDTHH:MM:SS.mmmZ"), SQLite's julianday arithmetic. */
#define EPOCH(x) "extract(epoch FROM (" x ")::timestamptz)"

static int pg_source_totals(tmfinv_store *base, tmfinv_source_totals **out, size_t *n_out)
{
    static const char sql[] =
        "SELECT rs.source,"
        " count(*) FILTER (WHERE r.ended IS NOT NULL AND rs.complete = 1),"
        " count(*) FILTER (WHERE r.ended IS NOT NULL AND rs.complete = 0 AND rs.error IS NULL),"
        " count(*) FILTER (WHERE r.ended IS NOT NULL AND rs.complete = 0 AND rs.error IS NOT NULL),"
        " coalesce(sum(rs.pages), 0), coalesce(sum(rs.items), 0), coalesce(sum(rs.created), 0),"
        " coalesce(sum(rs.updated), 0), coalesce(sum(rs.unchanged), 0), coalesce(sum(rs.removed), 0),"
        " coalesce(sum(rs.dropped), 0), coalesce(sum(rs.duplicates), 0), coalesce(sum(rs.empty_keys), 0),"
        " coalesce(sum(rs.excluded), 0), coalesce(sum(rs.rejected), 0), coalesce(sum(rs.failed), 0),"
        " coalesce(sum(rs.requests), 0), coalesce(sum(rs.retries), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> '429')::bigint), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> '500')::bigint), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> '502')::bigint), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> '503')::bigint), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> '504')::bigint), 0),"
        " coalesce(sum((rs.retries_by_status::jsonb ->> 'other')::bigint), 0),"
        " (SELECT " EPOCH("max(r2.ended)") " FROM run_source x JOIN run r2 ON r2.id = x.run_id"
        "   WHERE x.source = rs.source AND x.complete = 1 AND r2.ended IS NOT NULL),"
        " (SELECT " EPOCH("r3.ended") " - " EPOCH("r3.started") " FROM run_source y JOIN run r3"
        "   ON r3.id = y.run_id WHERE y.source = rs.source AND r3.ended IS NOT NULL ORDER BY r3.id DESC LIMIT 1)"
        " FROM run_source rs JOIN run r ON r.id = rs.run_id GROUP BY rs.source ORDER BY rs.source";
    pg_store *s = (pg_store *)base;
    tmfinv_source_totals *totals = NULL;
    PGresult *r = NULL;
    size_t n = 0;
    int rc;

    if ((rc = store_pg_query(s, sql, 0, NULL, "summing runs", &r)) < 0)
        return rc;
    if (PQntuples(r) > 0 && !(totals = calloc((size_t)PQntuples(r), sizeof(*totals)))) {
        PQclear(r);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    for (int i = 0; i < PQntuples(r); i++) {
        tmfinv_source_totals *t = &totals[n];
        int c = 1;

        if (!(t->source = strdup(PQgetvalue(r, i, 0)))) {
            tmfinv_source_totals_free(totals, n);
            PQclear(r);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        n++;
        {
            int64_t *const figures[] = {&t->runs_complete, &t->runs_incomplete, &t->runs_error, &t->pages,
                                        &t->items,         &t->created,         &t->updated,    &t->unchanged,
                                        &t->removed,       &t->dropped,         &t->duplicates, &t->empty_keys,
                                        &t->excluded,      &t->rejected,        &t->failed_pages, &t->requests,
                                        &t->retries};

            for (size_t k = 0; k < sizeof(figures) / sizeof(figures[0]); k++)
                *figures[k] = store_pg_int(r, i, c++);
        }
        for (int k = 0; k < 6; k++)
            t->retries_by_status[k] = store_pg_int(r, i, c++);
        t->last_success_unix = PQgetisnull(r, i, c) ? 0 : strtod(PQgetvalue(r, i, c), NULL);
        c++;
        t->last_duration_s = PQgetisnull(r, i, c) ? -1 : strtod(PQgetvalue(r, i, c), NULL);
    }
    PQclear(r);
    *out = totals;
    *n_out = n;
    return 0;
}

static int pg_last_complete(tmfinv_store *base, double *unix_seconds)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    int rc = store_pg_query(s, "SELECT " EPOCH("max(ended)") " FROM run WHERE complete = 1 AND ended IS NOT NULL",
                            0, NULL, "reading runs", &r);

    if (rc < 0)
        return rc;
    *unix_seconds = PQgetisnull(r, 0, 0) ? 0 : strtod(PQgetvalue(r, 0, 0), NULL);
    PQclear(r);
    return 0;
}

const tmfinv_store_om_ops store_pg_om_ops = {
    .instances_page = pg_instances_page,
    .reports_page = pg_reports_page,
    .runs_page = store_pg_runs_page,
    .source_totals = pg_source_totals,
    .last_complete = pg_last_complete,
};
