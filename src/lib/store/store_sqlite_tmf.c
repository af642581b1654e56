/* store_sqlite_tmf.c: the SQLite backend's queries behind the TMF638/TMF639 API: filters
 * and sorts turned into SQL with bound values, counts remembered per store version. */
#include "store_sqlite_tmf_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- TMF API queries (api_tmf.c) ---- */

#include "tmfinv_misc.h"

#include <ctype.h>
#include <stdarg.h>

#define TMF_COLUMNS "id, definition, key, source, status, removed, removed_reason, created, modified, run_id," \
                    " content_hash, fields, raw, stale"
#define TMF_MAX_STEPS STORE_TMF_MAX_STEPS
#define TMF_MAX_BINDS 30000  /* below SQLite's default limit of 32766 host parameters */

/* A host parameter of a statement being built. */
typedef struct tmf_bind {
    enum { TMF_BIND_TEXT, TMF_BIND_DOUBLE, TMF_BIND_INT64, TMF_BIND_NULL } kind;
    char *text;             /* owned */
    double number;
    int64_t integer;
} tmf_bind;

/* A statement being built: its text and its parameters, numbered from 1 in order. */
typedef struct tmf_sql {
    tmfinv_buf text;
    tmf_bind *binds;
    size_t n_binds, cap_binds;
} tmf_sql;

static void tmf_sql_init(tmf_sql *b)
{
    memset(b, 0, sizeof(*b));
    tmfinv_buf_init(&b->text, 4 * 1024 * 1024);
}

static void tmf_sql_free(tmf_sql *b)
{
    for (size_t i = 0; i < b->n_binds; i++)
        free(b->binds[i].text);
    free(b->binds);
    tmfinv_buf_free(&b->text);
}

/* Adds a parameter; its number (1-based) into *n. `text` is copied. */
static int tmf_bind_add(tmf_sql *b, int kind, const char *text, double number, int64_t integer, int *n)
{
    tmf_bind *p;

    if (b->n_binds >= TMF_MAX_BINDS)
        return tmfinv_error_set(TMFINV_ELIMIT, "a query with more than %d values", TMF_MAX_BINDS);
    if (b->n_binds == b->cap_binds) {
        size_t cap = b->cap_binds ? b->cap_binds * 2 : 32;
        tmf_bind *grown = realloc(b->binds, cap * sizeof(*grown));

        if (!grown)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        b->binds = grown;
        b->cap_binds = cap;
    }
    p = &b->binds[b->n_binds];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->number = number;
    p->integer = integer;
    if (text && !(p->text = strdup(text)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *n = (int)++b->n_binds;
    return 0;
}

static int tmf_text(tmf_sql *b, const char *text, int *n)
{
    return tmf_bind_add(b, TMF_BIND_TEXT, text, 0, 0, n);
}

static int tmf_puts(tmf_sql *b, const char *s)
{
    return tmfinv_buf_puts(&b->text, s) < 0 ? tmfinv_error_set(TMFINV_ENOMEM, "query too long") : 0;
}

static int tmf_printf(tmf_sql *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int tmf_printf(tmf_sql *b, const char *fmt, ...)
{
    char chunk[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(chunk, sizeof(chunk), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(chunk))
        return tmfinv_error_set(TMFINV_ELIMIT, "query fragment too long");
    return tmf_puts(b, chunk);
}

/* Binds the JSON path '$."s1"."s2"…' of `steps` (names already checked: no quote can
 * occur in them). */
static int tmf_json_path(tmf_sql *b, char *const *steps, size_t n_steps, int *n)
{
    char path[1024];
    size_t at = 1;

    path[0] = '$';
    path[1] = '\0';
    for (size_t i = 0; i < n_steps; i++) {
        int w = snprintf(path + at, sizeof(path) - at, ".\"%s\"", steps[i]);

        if (w < 0 || (size_t)w >= sizeof(path) - at)
            return tmfinv_error_set(TMFINV_EINVALID, "attribute path too long");
        at += (size_t)w;
    }
    return tmf_text(b, path, n);
}

static const char *tmf_op_sql(tmfinv_tmf_op op)
{
    switch (op) {
    case TMFINV_TMF_GT: return ">";
    case TMFINV_TMF_GTE: return ">=";
    case TMFINV_TMF_LT: return "<";
    case TMFINV_TMF_LTE: return "<=";
    default: return "=";
    }
}

/* Binds `values` as one JSON array (strings, or numbers when `numbers`), so that any
 * number of values costs one parameter and one subquery, never a chain of ORs (SQLite's
 * expression depth is limited to 1000). Its number into *n. */
static int tmf_values(tmf_sql *b, const char *const *values, size_t n_values, int numbers, int *n)
{
    cJSON *array = cJSON_CreateArray();
    char *text = NULL;
    int rc = 0;

    for (size_t i = 0; array && i < n_values; i++) {
        cJSON *v = NULL;
        double number;

        if (!numbers)
            v = cJSON_CreateString(values[i]);
        else if (tmfinv_parse_double(values[i], &number) == 0)
            v = cJSON_CreateNumber(number);
        else
            continue;
        if (!v || !cJSON_AddItemToArray(array, v)) {
            cJSON_Delete(v);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == 0 && (!array || !(text = cJSON_PrintUnformatted(array))))
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (rc == 0)
        rc = tmf_text(b, text, n);
    free(text);
    cJSON_Delete(array);
    return rc;
}

/* 1 when `v` reads as a finite number. */
static int tmf_is_number(const char *v)
{
    double number;

    return tmfinv_parse_double(v, &number) == 0;
}

/* The test of the values found at the end of the path (alias l<level>: json_each's
 * columns `value` and `type`) against the filter's values, any of which may match.
 * Equality: IN over the values as a JSON array. Ordering: "greater than any value" is
 * "greater than the least" (and so on), per kind of value: date-times as instants,
 * numbers numerically, other text by bytes; the bound is computed once by SQLite. */
static int tmf_leaf(tmf_sql *b, const tmfinv_tmf_filter *f, int level)
{
    const char *agg = f->op == TMFINV_TMF_GT || f->op == TMFINV_TMF_GTE ? "min" : "max";
    const char *cmp = tmf_op_sql(f->op);
    const char **group = NULL;
    int rc = 0, n;

    if ((rc = tmf_puts(b, "(0")) < 0)
        return rc;
    if (f->op == TMFINV_TMF_EQ) {
        int has_true = 0, has_false = 0, has_number = 0;

        for (size_t i = 0; i < f->n_values; i++) {
            has_true |= strcmp(f->values[i], "true") == 0;
            has_false |= strcmp(f->values[i], "false") == 0;
            has_number |= tmf_is_number(f->values[i]);
        }
        if ((rc = tmf_values(b, f->values, f->n_values, 0, &n)) < 0 ||
            (rc = tmf_printf(b, " OR (l%d.type = 'text' AND l%d.value IN (SELECT value FROM json_each(?%d)))", level,
                             level, n)) < 0)
            return rc;
        if (has_number && ((rc = tmf_values(b, f->values, f->n_values, 1, &n)) < 0 ||
                           (rc = tmf_printf(b, " OR (l%d.type IN ('integer', 'real') AND l%d.value IN"
                                               " (SELECT value FROM json_each(?%d)))", level, level, n)) < 0))
            return rc;
        if (has_true && (rc = tmf_printf(b, " OR l%d.type = 'true'", level)) < 0)
            return rc;
        if (has_false && (rc = tmf_printf(b, " OR l%d.type = 'false'", level)) < 0)
            return rc;
        return tmf_puts(b, ")");
    }
    if (!(group = calloc(f->n_values + 1, sizeof(*group))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (int kind = 0; kind < 3 && rc == 0; kind++) {
        size_t k = 0;

        /* kind 0: date-times, 1: other numbers, 2: other text (the first reading wins). */
        for (size_t i = 0; i < f->n_values; i++) {
            int is_datetime = tmfinv_is_datetime(f->values[i]), is_number = !is_datetime && tmf_is_number(f->values[i]);

            if ((kind == 0 && is_datetime) || (kind == 1 && is_number) || (kind == 2 && !is_datetime && !is_number))
                group[k++] = f->values[i];
        }
        if (k == 0)
            continue;
        if ((rc = tmf_values(b, group, k, kind == 1, &n)) < 0)
            break;
        if (kind == 0)
            /* julianday() reads RFC 3339 with 'Z' or an offset: instants compare rightly
             * whatever zone each side is written in. The GLOB keeps it off other text. */
            rc = tmf_printf(b, " OR (l%d.type = 'text' AND l%d.value GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][Tt]*'"
                               " AND julianday(l%d.value) %s (SELECT %s(julianday(value)) FROM json_each(?%d)))",
                            level, level, level, cmp, agg, n);
        else if (kind == 1)
            rc = tmf_printf(b, " OR (l%d.type IN ('integer', 'real') AND l%d.value %s (SELECT %s(value) FROM"
                               " json_each(?%d)))", level, level, cmp, agg, n);
        else
            rc = tmf_printf(b, " OR (l%d.type = 'text' AND l%d.value %s (SELECT %s(value) FROM json_each(?%d)))",
                            level, level, cmp, agg, n);
    }
    free(group);
    return rc < 0 ? rc : tmf_puts(b, ")");
}

/* One filter as one EXISTS over a join of expansions, one per step: at each step the
 * member of the container (an object), and when the member is an array, each of its
 * elements. A join rather than nested subqueries, so that the SQL does not deepen with
 * the path (nesting overflowed SQLite's parser at 9 steps). */
static int tmf_filter(tmf_sql *b, const tmfinv_tmf_filter *f)
{
    char copy[512], *steps[TMF_MAX_STEPS];
    size_t n_steps, i;
    int rc, n;

    if (f->on_status) {
        if ((rc = tmf_values(b, f->values, f->n_values, 0, &n)) < 0)
            return rc;
        return tmf_printf(b, " AND status IN (SELECT value FROM json_each(?%d))", n);
    }
    if ((rc = store_tmf_steps(f->path, copy, sizeof(copy), steps, &n_steps)) < 0)
        return rc;
    if ((rc = tmf_puts(b, " AND EXISTS (SELECT 1 FROM ")) < 0)
        return rc;
    for (i = 0; i < n_steps; i++) {
        char container[32], guard[48];

        if (i == 0) {
            (void)snprintf(container, sizeof(container), "instance.raw");
            (void)snprintf(guard, sizeof(guard), "0");
        } else {
            (void)snprintf(container, sizeof(container), "l%zu.value", i);
            (void)snprintf(guard, sizeof(guard), "l%zu.type <> 'object'", i);
        }
        if ((rc = tmf_json_path(b, &steps[i], 1, &n)) < 0)
            return rc;
        /* The container is read as JSON only when it is an object (the value of a string
         * element is plain text); an array member is expanded, anything else is wrapped
         * in a one-element array so that json_each yields it as it is. */
        rc = tmf_printf(b, "%sjson_each(CASE WHEN %s THEN NULL WHEN json_type(%s, ?%d) = 'array' THEN %s -> ?%d"
                           " ELSE '[' || (%s -> ?%d) || ']' END) AS l%zu",
                        i ? ", " : "", guard, container, n, container, n, container, n, i + 1);
        if (rc < 0)
            return rc;
    }
    if ((rc = tmf_puts(b, " WHERE ")) < 0 || (rc = tmf_leaf(b, f, (int)n_steps)) < 0)
        return rc;
    return tmf_puts(b, ")");
}

/* FROM and WHERE of a TMF query. */
static int tmf_where(tmf_sql *b, const tmfinv_tmf_query *q)
{
    int rc, n;

    if ((rc = tmf_puts(b, " FROM instance WHERE definition IN (NULL")) < 0)
        return rc;
    for (size_t i = 0; i < q->n_definitions; i++)
        if ((rc = tmf_text(b, q->definitions[i], &n)) < 0 || (rc = tmf_printf(b, ", ?%d", n)) < 0)
            return rc;
    if ((rc = tmf_puts(b, ")")) < 0 || (!q->include_removed && (rc = tmf_puts(b, " AND removed = 0")) < 0))
        return rc;
    for (size_t i = 0; i < q->n_filters; i++)
        if ((rc = tmf_filter(b, &q->filters[i])) < 0)
            return rc;
    return 0;
}

static int tmf_prepare(sqlite_store *s, tmf_sql *b, sqlite3_stmt **out)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, b->text.data, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "querying");
    for (size_t i = 0; i < b->n_binds; i++) {
        const tmf_bind *p = &b->binds[i];
        int at = (int)i + 1;

        if (p->kind == TMF_BIND_TEXT)
            sqlite3_bind_text(st, at, p->text, -1, SQLITE_STATIC);
        else if (p->kind == TMF_BIND_DOUBLE)
            sqlite3_bind_double(st, at, p->number);
        else if (p->kind == TMF_BIND_INT64)
            sqlite3_bind_int64(st, at, p->integer);
        else
            sqlite3_bind_null(st, at);
    }
    *out = st;
    return 0;
}

/* The SQL of `b` and its values as one string (new, in *key; NULL when too long). */
static int tmf_memo_key(const tmf_sql *b, char **key)
{
    tmfinv_buf k;

    *key = NULL;
    tmfinv_buf_init(&k, 64 * 1024);
    if (tmfinv_buf_append(&k, b->text.data, b->text.len) < 0)
        goto too_long;
    for (size_t i = 0; i < b->n_binds; i++) {
        const tmf_bind *p = &b->binds[i];
        int rc = p->kind == TMF_BIND_TEXT     ? tmfinv_buf_printf(&k, "\037t%zu:%s", strlen(p->text), p->text)
                 : p->kind == TMF_BIND_DOUBLE ? tmfinv_buf_printf(&k, "\037d%.17g", p->number)
                 : p->kind == TMF_BIND_INT64  ? tmfinv_buf_printf(&k, "\037i%lld", (long long)p->integer)
                                              : tmfinv_buf_puts(&k, "\037n");

        if (rc < 0)
            goto too_long;
    }
    *key = tmfinv_buf_steal(&k);
    return *key ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
too_long:
    tmfinv_buf_free(&k);
    return 0;
}

/* The key order of q as rowids (store_sqlite_tmf_order.c): 1 with them in *rowids and
 * *n, 0 when q is paged with OFFSET instead: it has sort keys, selects too many, or is a
 * page near the start that no list remembers. A list costs one scan of what the query
 * selects; near the start, OFFSET reads fewer rows (a shallow filtered page stops after
 * its matches; its count may come from an index, as `status` does), which matters while
 * a sync changes the store version at every page. */
static int tmf_order_of(sqlite_store *s, const tmfinv_tmf_query *q, const int64_t **rowids, size_t *n)
{
    sqlite3_stmt *st = NULL;
    tmf_sql b;
    char *key = NULL;
    uint64_t version[2];
    int rc;

    if (q->n_sort > 0)
        return 0;
    tmf_sql_init(&b);
    if ((rc = tmf_puts(&b, "SELECT rowid")) < 0 || (rc = tmf_where(&b, q)) < 0 ||
        (rc = tmf_puts(&b, " ORDER BY definition, key")) < 0 || (rc = s->base.ops->version(&s->base, version)) < 0 ||
        (rc = tmf_memo_key(&b, &key)) < 0 || !key)
        goto out;
    if ((rc = tmf_order_find(s, key, version, rowids, n)) != 0 || q->offset < ORDER_MIN_OFFSET)
        goto out;
    if ((rc = tmf_prepare(s, &b, &st)) < 0)
        goto out;
    rc = tmf_order_build(s, st, key, version, rowids, n);
out:
    sqlite3_finalize(st);
    free(key);
    tmf_sql_free(&b);
    return rc;
}

/* Calls fn for the rows of the page [q->offset, q->offset + q->limit) of `rowids`. */
static int tmf_page_of(sqlite_store *s, const tmfinv_tmf_query *q, const int64_t *rowids, size_t n,
                       int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    size_t from = q->offset > 0 ? (size_t)q->offset : 0, to = n;
    int rc = 0;

    if (q->limit > 0 && from < n && (size_t)q->limit < n - from)
        to = from + (size_t)q->limit;
    if (from >= to)
        return 0;
    if (sqlite3_prepare_v2(s->db, "SELECT " TMF_COLUMNS " FROM instance WHERE rowid = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "querying");
    for (size_t i = from; rc == 0 && i < to; i++) {
        sqlite3_bind_int64(st, 1, rowids[i]);
        rc = store_sqlite_each_instance(s, st, fn, ctx);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_tmf_count(tmfinv_store *base, const tmfinv_tmf_query *q, int64_t *count)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    tmf_sql b;
    char *key = NULL;
    uint64_t version[2];
    int rc;

    const int64_t *rowids;
    size_t n_rowids;

    tmf_sql_init(&b);
    if ((rc = tmf_order_of(s, q, &rowids, &n_rowids)) != 0) {
        if (rc > 0)
            *count = (int64_t)n_rowids;
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    if ((rc = tmf_puts(&b, "SELECT count(*)")) < 0 || (rc = tmf_where(&b, q)) < 0)
        goto out;
    /* Paging through a collection asks the same count again and again: remember it
     * while the store has not changed. The key is the SQL and its values. */
    if ((rc = base->ops->version(base, version)) < 0 || (rc = tmf_memo_key(&b, &key)) < 0)
        goto out;
    for (int i = 0; key && i < COUNT_CACHE; i++)
        if (s->counts[i].key && strcmp(s->counts[i].key, key) == 0 && s->counts[i].version[0] == version[0] &&
            s->counts[i].version[1] == version[1]) {
            *count = s->counts[i].count;
            goto out;
        }
    if ((rc = tmf_prepare(s, &b, &st)) < 0)
        goto out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        count_memo *m = &s->counts[s->next_count++ % COUNT_CACHE];

        *count = sqlite3_column_int64(st, 0);
        if (key) {
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
    tmf_sql_free(&b);
    return rc;
}

static int tmf_order(tmf_sql *b, const tmfinv_tmf_query *q);

static int sqlite_tmf_list(tmfinv_store *base, const tmfinv_tmf_query *q, int (*fn)(const tmfinv_instance *, void *),
                           void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    const int64_t *rowids;
    size_t n_rowids;
    tmf_sql b;
    int rc, n;

    tmf_sql_init(&b);
    if ((rc = tmf_order_of(s, q, &rowids, &n_rowids)) != 0) {
        if (rc > 0)
            rc = tmf_page_of(s, q, rowids, n_rowids, fn, ctx);
        goto out;
    }
    /* The page is chosen on rowids only (from the covering index when there is no filter
     * on the JSON), then its few rows are read and put in order again: skipping `offset`
     * rows never reads their large columns. */
    if ((rc = tmf_puts(&b, "SELECT " TMF_COLUMNS " FROM instance WHERE rowid IN (SELECT rowid")) < 0 ||
        (rc = tmf_where(&b, q)) < 0 || (rc = tmf_order(&b, q)) < 0 ||
        (rc = tmf_bind_add(&b, TMF_BIND_INT64, NULL, 0, q->limit > 0 ? q->limit : -1, &n)) < 0 ||
        (rc = tmf_printf(&b, " LIMIT ?%d", n)) < 0 ||
        (rc = tmf_bind_add(&b, TMF_BIND_INT64, NULL, 0, q->offset > 0 ? q->offset : 0, &n)) < 0 ||
        (rc = tmf_printf(&b, " OFFSET ?%d)", n)) < 0 || (rc = tmf_order(&b, q)) < 0 ||
        (rc = tmf_prepare(s, &b, &st)) < 0)
        goto out;
    rc = store_sqlite_each_instance(s, st, fn, ctx);
out:
    sqlite3_finalize(st);
    tmf_sql_free(&b);
    return rc;
}

/* " ORDER BY" with the query's sort keys, then definition and key. */
static int tmf_order(tmf_sql *b, const tmfinv_tmf_query *q)
{
    int rc, n;

    if ((rc = tmf_puts(b, " ORDER BY ")) < 0)
        return rc;
    for (size_t i = 0; i < q->n_sort; i++) {
        const tmfinv_tmf_sort *k = &q->sort[i];

        if (k->on_status)
            rc = tmf_printf(b, "status %s, ", k->descending ? "DESC" : "ASC");
        else {
            char copy[512], *steps[TMF_MAX_STEPS];
            size_t n_steps;

            if ((rc = store_tmf_steps(k->path, copy, sizeof(copy), steps, &n_steps)) < 0 ||
                (rc = tmf_json_path(b, steps, n_steps, &n)) < 0)
                return rc;
            rc = tmf_printf(b, "json_extract(raw, ?%d) %s, ", n, k->descending ? "DESC" : "ASC");
        }
        if (rc < 0)
            return rc;
    }
    return tmf_puts(b, "definition, key");
}

static int sqlite_tmf_find(tmfinv_store *base, const char *const *definitions, size_t n_definitions,
                           const char *tmf_id, int include_removed, tmfinv_instance **out)
{
    /* Cheapest first: the instance UUID (primary key), then the key when the key is
     * the TMF id ((definition, key) index) — both in one statement (SQLite's multi-index
     * OR; the UUID's row first), so that the usual lookup prepares one statement —, then
     * the instance_by_tmf_id index. */
    static const char *const how[][2] = {
        {" AND (id = ?1 OR key = ?1 AND json_extract(raw, '$.id') = ?1)", "id <> ?1, "},
        {" AND json_extract(raw, '$.id') = ?1", ""},
    };
    sqlite_store *s = (sqlite_store *)base;
    int rc = TMFINV_ENOTFOUND;

    for (size_t k = 0; k < sizeof(how) / sizeof(how[0]) && rc == TMFINV_ENOTFOUND; k++) {
        sqlite3_stmt *st = NULL;
        tmf_sql b;
        int n, step;

        tmf_sql_init(&b);
        if ((rc = tmf_puts(&b, "SELECT " TMF_COLUMNS " FROM instance WHERE definition IN (NULL")) < 0 ||
            (rc = tmf_text(&b, tmf_id, &n)) < 0)
            goto next;
        for (size_t i = 0; i < n_definitions; i++)
            if ((rc = tmf_text(&b, definitions[i], &n)) < 0 || (rc = tmf_printf(&b, ", ?%d", n)) < 0)
                goto next;
        /* `+`: with `removed` or the ORDER BY usable by the (definition, removed, ...)
         * indexes, SQLite scanned the whole collection for the third way (0.2-1 s at 100k
         * items) rather than seek instance_by_tmf_id; the row or two found are sorted. */
        if ((rc = tmf_printf(&b, ")%s%s ORDER BY %s+definition, +key LIMIT 1", include_removed ? "" : " AND +removed = 0",
                             how[k][0], how[k][1])) < 0 ||
            (rc = tmf_prepare(s, &b, &st)) < 0)
            goto next;
        step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = store_sqlite_row_instance(s, st, out);
        else if (step == SQLITE_DONE)
            rc = TMFINV_ENOTFOUND;
        else
            rc = store_sqlite_fail(s, "reading an instance");
    next:
        sqlite3_finalize(st);
        tmf_sql_free(&b);
    }
    return rc;
}

/* The sync's read of one instance's state (store_sqlite.c's ST_STATE, whose fifth column
 * tells a local instance), here beside the other reads the TMF API's writes need. */
static int sqlite_state_local(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash,
                              int *removed, int *stale, int *local)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_STATE);
    int rc = 0, step;

    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        rc = TMFINV_ENOTFOUND;
    else if (step != SQLITE_ROW)
        rc = store_sqlite_fail(s, "reading an instance");
    else {
        (void)snprintf(id, 40, "%s", (const char *)sqlite3_column_text(st, 0));
        (void)snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 1));
        *removed = sqlite3_column_int(st, 2);
        *stale = sqlite3_column_int(st, 3);
        *local = sqlite3_column_int(st, 4);
    }
    sqlite3_reset(st);
    return rc;
}

const tmfinv_store_tmf_ops store_sqlite_tmf_ops = {
    .count = sqlite_tmf_count,
    .list = sqlite_tmf_list,
    .find = sqlite_tmf_find,
    .state_local = sqlite_state_local,
};


