/* store_pg_tmf.c: the PostgreSQL backend's lists of the TMF638/TMF639 API (count and list):
 * store_sqlite_tmf.c's SQL, condition for condition, on `raw` read as jsonb. Every value is a
 * parameter (a filter's values as one JSON array); only checked numbers and fixed text are
 * written into the SQL. SQLite's rules are written out where the two engines differ: its
 * json_each types ('text', 'integer', 'real', 'true', ...), julianday()'s reading of a
 * date-time, and json_extract's order (NULL, then numbers, then text by bytes). Pages use
 * plain LIMIT and OFFSET (no remembered key order as on SQLite). */
#include "store_pg_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMF_MAX_STEPS STORE_TMF_MAX_STEPS
#define TMF_MAX_PARAMS 30000   /* below libpq's limit of 65535 parameters */

#define TMF_COLUMNS "SELECT id, definition, key, source, status, removed, removed_reason, created, modified," \
                    " run_id, content_hash, fields, raw, stale"

/* What SQLite's julianday() reads, as far as a TMF filter can reach it (the value begins with
 * 'YYYY-MM-DDT'): date, 'T' then any 'T's and spaces, optionally hours (00-24), minutes,
 * seconds (00-59) with any fraction, then an optional zone ('Z' or +-HH:MM up to 14:59)
 * between optional spaces. Anything else is NULL to SQLite, and here matches nothing. */
#define JD_RE                                                                                             \
    "^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T[T[:space:]]*(?:([01][0-9]|2[0-4]):([0-5][0-9])" \
    "(?::([0-5][0-9](?:[.][0-9]+)?))?[[:space:]]*(?:[Zz]|([+-])(0[0-9]|1[0-4]):([0-5][0-9]))?[[:space:]]*)?$"

/* SQLite's computeJD() in milliseconds (its iJD) over the groups m of JD_RE, with y and mo the
 * year and month moved as it moves them (January and February count as months 13 and 14 of
 * the year before). Day 31 of a short month rolls over as on SQLite; comparing iJD orders
 * exactly as comparing julianday()'s iJD / 86400000.0. */
#define JD_MS                                                                                                    \
    "((36525 * (y + 4716) / 100 + 306001 * (mo + 1) / 10000 + m[3]::int + 2 - y / 100 + y / 100 / 4)::bigint" \
    " * 86400000 - 131716800000 + coalesce(m[4]::bigint, 0) * 3600000 + coalesce(m[5]::bigint, 0) * 60000"   \
    " + floor(coalesce(m[6]::numeric, 0) * 1000 + 0.5)::bigint - CASE m[7] WHEN '+' THEN 1 WHEN '-' THEN -1"  \
    " ELSE 0 END * (coalesce(m[8]::bigint, 0) * 60 + coalesce(m[9]::bigint, 0)) * 60000)"

/* JD_RE's groups of the text t: by position when t has the usual form (a regular expression
 * without groups is some ten times faster in PostgreSQL than one that captures), else by
 * JD_RE; the same groups either way. */
#define JD_CANON                                                                                  \
    "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-4]):[0-5][0-9]:[0-5][0-9]"  \
    "([.][0-9]+)?([Zz]|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
#define JD_GROUPS                                                                                          \
    "CASE WHEN t ~ '" JD_CANON "' THEN ARRAY[substr(t, 1, 4), substr(t, 6, 2), substr(t, 9, 2), substr(t, 12,"  \
    " 2), substr(t, 15, 2), substr(t, 18, length(t) - CASE WHEN right(t, 1) IN ('Z', 'z') THEN 18 ELSE 23 END),"   \
    " CASE WHEN right(t, 1) NOT IN ('Z', 'z') THEN substr(t, length(t) - 5, 1) END, CASE WHEN right(t, 1) NOT IN" \
    " ('Z', 'z') THEN substr(t, length(t) - 4, 2) END, CASE WHEN right(t, 1) NOT IN ('Z', 'z') THEN right(t, 2)"  \
    " END] ELSE regexp_match(t, '" JD_RE "') END"

/* The instant of the text expression %s in ms, NULL when julianday() would give NULL. */
#define JD_OF(TEXT)                                                                                  \
    "(SELECT " JD_MS " FROM (SELECT m, m[1]::int - (m[2]::int <= 2)::int AS y, m[2]::int + 12 *"     \
    " (m[2]::int <= 2)::int AS mo FROM regexp_match(" TEXT ", '" JD_RE "') AS m) AS d)"

/* The text of the json %s without whitespace outside its strings. */
#define JSON_MIN "regexp_replace(%s::text, '(\"(?:[^\"\\\\]|\\\\.)*\")|[[:space:]]+', '\\1', 'g')"

typedef struct tmf_sql {
    tmfinv_buf text;
    pg_args a;
    int failed;        /* out of memory on the way */
} tmf_sql;

static void tmf_puts(tmf_sql *b, const char *s)
{
    if (!b->failed && tmfinv_buf_puts(&b->text, s) < 0)
        b->failed = 1;
}

static void tmf_printf(tmf_sql *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tmf_printf(tmf_sql *b, const char *fmt, ...)
{
    char chunk[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(chunk, sizeof(chunk), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(chunk))
        b->failed = 1;
    else
        tmf_puts(b, chunk);
}

/* Adds a parameter (copied); its number. */
static int tmf_param(tmf_sql *b, const char *v)
{
    store_pg_args_copy(&b->a, v);
    return b->a.n;
}

static int tmf_is_number(const char *v)
{
    double number;

    return tmfinv_parse_double(v, &number) == 0;
}

/* Binds `values` as one JSON array (strings, or the finite numbers among them when
 * `numbers`); its parameter number. */
static int tmf_values(tmf_sql *b, const char *const *values, size_t n_values, int numbers)
{
    cJSON *array = cJSON_CreateArray();
    char *text = NULL;
    int n = 0;

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
            b->failed = 1;
            break;
        }
    }
    if (!array || !(text = cJSON_PrintUnformatted(array)))
        b->failed = 1;
    else
        n = tmf_param(b, text);
    free(text);
    cJSON_Delete(array);
    return n;
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

/* The test of the values found at the end of the path (l<level>.v, jsonb) against the
 * filter's values: store_sqlite_tmf.c's tmf_leaf(), where SQLite's 'text' is a jsonb string,
 * 'integer' and 'real' a number, 'true' and 'false' a boolean. */
static int tmf_leaf(tmf_sql *b, const tmfinv_tmf_filter *f, int level)
{
    const char *agg = f->op == TMFINV_TMF_GT || f->op == TMFINV_TMF_GTE ? "min" : "max";
    const char *cmp = tmf_op_sql(f->op);
    const char **group = NULL;
    int n;

    tmf_puts(b, "(false");
    if (f->op == TMFINV_TMF_EQ) {
        int has_true = 0, has_false = 0, has_number = 0;

        for (size_t i = 0; i < f->n_values; i++) {
            has_true |= strcmp(f->values[i], "true") == 0;
            has_false |= strcmp(f->values[i], "false") == 0;
            has_number |= tmf_is_number(f->values[i]);
        }
        n = tmf_values(b, f->values, f->n_values, 0);
        tmf_printf(b, " OR (jsonb_typeof(l%d.v) = 'string' AND (l%d.v #>> '{}') IN (SELECT t FROM"
                      " jsonb_array_elements_text($%d::text::jsonb) AS e(t)))", level, level, n);
        if (has_number) {
            n = tmf_values(b, f->values, f->n_values, 1);
            tmf_printf(b, " OR (jsonb_typeof(l%d.v) = 'number' AND (l%d.v #>> '{}')::numeric IN (SELECT t::numeric"
                          " FROM jsonb_array_elements_text($%d::text::jsonb) AS e(t)))", level, level, n);
        }
        if (has_true)
            tmf_printf(b, " OR l%d.v = 'true'::jsonb", level);
        if (has_false)
            tmf_printf(b, " OR l%d.v = 'false'::jsonb", level);
        tmf_puts(b, ")");
        return 0;
    }
    if (!(group = calloc(f->n_values + 1, sizeof(*group))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (int kind = 0; kind < 3; kind++) {
        size_t k = 0;

        /* kind 0: date-times, 1: other numbers, 2: other text (the first reading wins). */
        for (size_t i = 0; i < f->n_values; i++) {
            int is_datetime = tmfinv_is_datetime(f->values[i]), is_number = !is_datetime && tmf_is_number(f->values[i]);

            if ((kind == 0 && is_datetime) || (kind == 1 && is_number) || (kind == 2 && !is_datetime && !is_number))
                group[k++] = f->values[i];
        }
        if (k == 0)
            continue;
        n = tmf_values(b, group, k, kind == 1);
        if (kind == 0) {
            /* Instants, whatever zone each side is written in (SQLite's julianday()); the
             * value's m, y and mo come from tmf_filter()'s subquery d. */
            tmf_printf(b, " OR (jsonb_typeof(l%d.v) = 'string' AND " JD_MS, level);
            tmf_printf(b, " %s (SELECT %s(", cmp, agg);
            tmf_puts(b, JD_OF("e.t"));
            tmf_printf(b, ") FROM jsonb_array_elements_text($%d::text::jsonb) AS e(t)))", n);
        } else if (kind == 1)
            tmf_printf(b, " OR (jsonb_typeof(l%d.v) = 'number' AND (l%d.v #>> '{}')::numeric %s (SELECT %s(t::numeric)"
                          " FROM jsonb_array_elements_text($%d::text::jsonb) AS e(t)))", level, level, cmp, agg, n);
        else
            tmf_printf(b, " OR (jsonb_typeof(l%d.v) = 'string' AND (l%d.v #>> '{}') COLLATE \"C\" %s (SELECT %s(t"
                          " COLLATE \"C\") FROM jsonb_array_elements_text($%d::text::jsonb) AS e(t)))",
                       level, level, cmp, agg, n);
    }
    free(group);
    tmf_puts(b, ")");
    return 0;
}

/* One filter as one EXISTS over a join of expansions, one per step: at each step the member
 * of the container when it is an object, and when the member is an array, each of its
 * elements (anything else as it is; a missing member yields nothing, a JSON null itself). */
static int tmf_filter(tmf_sql *b, const tmfinv_tmf_filter *f)
{
    char copy[512], *steps[TMF_MAX_STEPS];
    size_t n_steps;
    int rc, n;

    if (f->on_status) {
        n = tmf_values(b, f->values, f->n_values, 0);
        tmf_printf(b, " AND status IN (SELECT t FROM jsonb_array_elements_text($%d::text::jsonb) AS e(t))", n);
        return 0;
    }
    if ((rc = store_tmf_steps(f->path, copy, sizeof(copy), steps, &n_steps)) < 0)
        return rc;
    /* raw is parsed once a row (l0), and each member read once (m<i>): PostgreSQL does not
     * share an expression written twice, and OFFSET 0 keeps these subqueries from being
     * merged into the expressions that use them. */
    tmf_puts(b, " AND EXISTS (SELECT 1 FROM (SELECT instance.raw::jsonb AS v OFFSET 0) AS l0");
    for (size_t i = 0; i < n_steps; i++) {
        n = tmf_param(b, steps[i]);
        tmf_printf(b, ", LATERAL (SELECT CASE WHEN jsonb_typeof(l%zu.v) = 'object' THEN l%zu.v -> $%d::text END AS v"
                      " OFFSET 0) AS m%zu, jsonb_array_elements(CASE WHEN m%zu.v IS NULL THEN NULL WHEN"
                      " jsonb_typeof(m%zu.v) = 'array' THEN m%zu.v ELSE jsonb_build_array(m%zu.v) END) AS l%zu(v)",
                   i, i, n, i + 1, i + 1, i + 1, i + 1, i + 1, i + 1);
    }
    for (size_t i = 0; f->op != TMFINV_TMF_EQ && i < f->n_values; i++)
        if (tmfinv_is_datetime(f->values[i])) {
            /* The groups of a date-time at the end of the path, read once (tmf_leaf()). */
            tmf_printf(b, ", LATERAL (SELECT m, m[1]::int - (m[2]::int <= 2)::int AS y, m[2]::int + 12 *"
                          " (m[2]::int <= 2)::int AS mo FROM (SELECT " JD_GROUPS " AS m FROM (SELECT CASE WHEN"
                          " jsonb_typeof(l%zu.v) = 'string' THEN l%zu.v #>> '{}' END AS t OFFSET 0) AS tt OFFSET 0)"
                          " AS r OFFSET 0) AS d", n_steps, n_steps);
            break;
        }
    tmf_puts(b, " WHERE ");
    if ((rc = tmf_leaf(b, f, (int)n_steps)) < 0)
        return rc;
    tmf_puts(b, ")");
    return 0;
}

/* The text[] literal of a checked attribute path's steps, each quoted (a step may read NULL). */
static int tmf_path_array(const char *path, char *out, size_t size)
{
    char copy[512], *steps[TMF_MAX_STEPS];
    size_t n_steps, at = 1;
    int rc;

    if ((rc = store_tmf_steps(path, copy, sizeof(copy), steps, &n_steps)) < 0)
        return rc;
    out[0] = '{';
    for (size_t s = 0; s < n_steps; s++) {
        int w = snprintf(out + at, size - at, "%s\"%s\"", s ? "," : "", steps[s]);

        if (w < 0 || (size_t)w >= size - at)
            return tmfinv_error_set(TMFINV_EINVALID, "attribute path too long");
        at += (size_t)w;
    }
    if (at + 2 > size)
        return tmfinv_error_set(TMFINV_EINVALID, "attribute path too long");
    out[at] = '}';
    out[at + 1] = '\0';
    return 0;
}

/* FROM and WHERE of a TMF query; with `sorted`, each sort key's value as k<i>.v (json: an
 * object keeps its members' order, as json_extract() gives it), read once a row. */
static int tmf_where(tmf_sql *b, const tmfinv_tmf_query *q, int sorted)
{
    int rc;

    tmf_puts(b, " FROM instance");
    for (size_t i = 0; sorted && i < q->n_sort; i++) {
        char path[600];

        if (q->sort[i].on_status)
            continue;
        if ((rc = tmf_path_array(q->sort[i].path, path, sizeof(path))) < 0)
            return rc;
        tmf_printf(b, ", LATERAL (SELECT (instance.raw::json) #> $%d::text[] AS v OFFSET 0) AS k%zu",
                   tmf_param(b, path), i);
    }
    tmf_puts(b, " WHERE definition IN (NULL");
    for (size_t i = 0; i < q->n_definitions; i++)
        tmf_printf(b, ", $%d", tmf_param(b, q->definitions[i]));
    tmf_puts(b, ")");
    if (!q->include_removed)
        tmf_puts(b, " AND removed = 0");
    for (size_t i = 0; i < q->n_filters; i++)
        if ((rc = tmf_filter(b, &q->filters[i])) < 0)
            return rc;
    return 0;
}

/* " ORDER BY" the query's sort keys, then definition and key. A path sorts as SQLite sorts
 * json_extract()'s values: missing or null first, then numbers (booleans as 1 and 0) by
 * value, then strings (objects and arrays as their text) by their bytes. */
static int tmf_order(tmf_sql *b, const tmfinv_tmf_query *q)
{
    tmf_puts(b, " ORDER BY ");
    for (size_t i = 0; i < q->n_sort; i++) {
        const tmfinv_tmf_sort *k = &q->sort[i];
        const char *dir = k->descending ? "DESC" : "ASC";
        char x[32];

        if (k->on_status) {
            tmf_printf(b, "status %s %s, ", dir, k->descending ? "NULLS LAST" : "NULLS FIRST");
            continue;
        }
        (void)snprintf(x, sizeof(x), "k%zu.v", i);
        tmf_printf(b, "CASE json_typeof(%s) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2"
                      " WHEN 'object' THEN 2 WHEN 'array' THEN 2 ELSE 0 END %s, ", x, dir);
        tmf_printf(b, "CASE json_typeof(%s) WHEN 'number' THEN (%s #>> '{}')::numeric WHEN 'boolean' THEN"
                      " (%s #>> '{}')::boolean::int END %s, ", x, x, x, dir);
        /* An object or array as SQLite's text of it: the source's text without the blanks
         * between tokens (a string is kept whole, escapes included). */
        tmf_printf(b, "CASE json_typeof(%s) WHEN 'string' THEN %s #>> '{}' WHEN 'object' THEN " JSON_MIN
                      " WHEN 'array' THEN " JSON_MIN " END COLLATE \"C\" %s, ", x, x, x, x, dir);
    }
    tmf_puts(b, "definition, key");
    return 0;
}

/* Runs b; *out the result (PQclear it). */
static int tmf_run(pg_store *s, tmf_sql *b, const char *what, PGresult **out)
{
    if (b->failed || b->a.failed)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (b->a.n > TMF_MAX_PARAMS)
        return tmfinv_error_set(TMFINV_ELIMIT, "a query with more than %d values", TMF_MAX_PARAMS);
    return store_pg_query(s, b->text.data, 0, &b->a, what, out);
}

static int pg_tmf_count(tmfinv_store *base, const tmfinv_tmf_query *q, int64_t *count)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    tmf_sql b = {0};
    int rc;

    tmfinv_buf_init(&b.text, 4 * 1024 * 1024);
    tmf_puts(&b, "SELECT count(*)");
    if ((rc = tmf_where(&b, q, 0)) < 0 || (rc = tmf_run(s, &b, "counting", &r)) < 0)
        goto out;
    *count = store_pg_int(r, 0, 0);
out:
    PQclear(r);
    tmfinv_buf_free(&b.text);
    store_pg_args_free(&b.a);
    return rc;
}

static int pg_tmf_list(tmfinv_store *base, const tmfinv_tmf_query *q, int (*fn)(const tmfinv_instance *, void *),
                       void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    tmf_sql b = {0};
    int rc;

    tmfinv_buf_init(&b.text, 4 * 1024 * 1024);
    tmf_puts(&b, TMF_COLUMNS);
    if ((rc = tmf_where(&b, q, 1)) < 0 || (rc = tmf_order(&b, q)) < 0)
        goto out;
    if (q->limit > 0)
        tmf_printf(&b, " LIMIT %lld", (long long)q->limit);
    if (q->offset > 0)
        tmf_printf(&b, " OFFSET %lld", (long long)q->offset);
    if ((rc = tmf_run(s, &b, "querying", &r)) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        tmfinv_instance *inst = NULL;

        if ((rc = store_pg_row_instance(s, r, i, &inst)) < 0)
            break;
        rc = fn(inst, ctx);
        tmfinv_instance_free(inst);
    }
out:
    PQclear(r);
    tmfinv_buf_free(&b.text);
    store_pg_args_free(&b.a);
    return rc;
}

const tmfinv_store_tmf_ops store_pg_tmf_ops = {
    .count = pg_tmf_count,
    .list = pg_tmf_list,
    .find = store_pg_tmf_find,
    .state_local = store_pg_state_local,
};
