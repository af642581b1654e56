/* store_sqlite_query.c: the SQLite backend's typed queries behind the CLI (query, count,
 * summary): a WHERE clause built from the filters, every value bound as a parameter. */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds the WHERE clause of a query and binds it; `st` is NULL on the first pass. */
int store_sqlite_query_where(const tmfinv_query *q, tmfinv_buf *sql, sqlite3_stmt *st)
{
    int n = 0;
    size_t i;

    if (!st && tmfinv_buf_puts(sql, " WHERE 1") < 0)
        return TMFINV_ENOMEM;
    if (q->definition) {
        if (st)
            store_sqlite_bind_text(st, ++n, q->definition);
        else if (tmfinv_buf_printf(sql, " AND definition = ?%d", ++n) < 0)
            return TMFINV_ENOMEM;
    }
    if (q->key) {
        if (st)
            store_sqlite_bind_text(st, ++n, q->key);
        else if (tmfinv_buf_printf(sql, " AND key = ?%d", ++n) < 0)
            return TMFINV_ENOMEM;
    }
    if (q->key_prefix && *q->key_prefix) {
        /* key >= prefix AND key < the prefix with its last byte one higher: a range of the
         * (definition, removed, key) index, whatever the number of instances. In UTF-8 no byte
         * is 0xFF, so the last byte can always be raised. */
        if (st) {
            size_t len = strlen(q->key_prefix);
            char small[256], *upper = len < sizeof(small) ? small : malloc(len + 1);

            store_sqlite_bind_text(st, ++n, q->key_prefix);
            if (upper) {
                memcpy(upper, q->key_prefix, len + 1);
                upper[len - 1] = (char)((unsigned char)upper[len - 1] + 1);
                sqlite3_bind_text(st, ++n, upper, (int)len, SQLITE_TRANSIENT);
                if (upper != small)
                    free(upper);
            } else {
                /* Out of memory: an empty range rather than the wrong rows. */
                store_sqlite_bind_text(st, ++n, q->key_prefix);
            }
        } else if (tmfinv_buf_printf(sql, " AND key >= ?%d AND key < ?%d", n + 1, n + 2) < 0)
            return TMFINV_ENOMEM;
        else
            n += 2;
    }
    if (q->id) {
        if (st)
            store_sqlite_bind_text(st, ++n, q->id);
        else if (tmfinv_buf_printf(sql, " AND id = ?%d", ++n) < 0)
            return TMFINV_ENOMEM;
    }
    if (!q->include_removed && !st && tmfinv_buf_puts(sql, " AND removed = 0") < 0)
        return TMFINV_ENOMEM;
    for (i = 0; i < q->n_where; i++) {
        const tmfinv_where *w = &q->where[i];

        if (st) {
            n++;
            if (strcmp(w->field, "@name") != 0)
                store_sqlite_bind_text(st, n, w->field);
            n++;
            if (cJSON_IsObject(w->value)) {
                /* A characteristic: NAME and VALUE (as text) of one element. */
                store_sqlite_bind_text(st, n, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->value, "name")));
                store_sqlite_bind_text(st, ++n,
                                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->value, "value")));
                continue;
            }
            if (cJSON_IsString(w->value))
                store_sqlite_bind_text(st, n, w->value->valuestring);
            else if (cJSON_IsNumber(w->value))
                sqlite3_bind_double(st, n, w->value->valuedouble);
            else if (cJSON_IsBool(w->value))
                sqlite3_bind_int(st, n, cJSON_IsTrue(w->value));
            else
                sqlite3_bind_null(st, n);
            continue;
        }
        n += 2;
        if (cJSON_IsObject(w->value)) {
            /* A characteristic field: an element whose name is NAME and whose value, written
             * as text (a JSON string as it is, a number in decimal), is VALUE. */
            n++;
            if (tmfinv_buf_printf(sql, " AND EXISTS (SELECT 1 FROM json_each(instance.fields, '$.\"' || ?%d || '\"')"
                                       " WHERE json_each.type = 'object' AND json_extract(json_each.value, '$.name') = ?%d"
                                       " AND (CASE json_type(json_each.value, '$.value') WHEN 'true' THEN 'true'"
                                       " WHEN 'false' THEN 'false' ELSE CAST(json_extract(json_each.value, '$.value')"
                                       " AS TEXT) END) = ?%d)",
                                  n - 2, n - 1, n) < 0)
                return TMFINV_ENOMEM;
            continue;
        }
        if (w->is_list) {
            if (tmfinv_buf_printf(sql, " AND EXISTS (SELECT 1 FROM json_each(instance.fields, '$.\"' || ?%d || '\"')"
                                       " WHERE json_each.value = ?%d)", n - 1, n) < 0)
                return TMFINV_ENOMEM;
        } else if (strcmp(w->field, "status") == 0) {
            if (tmfinv_buf_printf(sql, " AND (?%d IS NOT NULL) AND status = ?%d", n - 1, n) < 0)
                return TMFINV_ENOMEM;
        } else if (tmfinv_buf_printf(sql, " AND json_extract(fields, '$.\"' || ?%d || '\"') = ?%d", n - 1, n) < 0)
            return TMFINV_ENOMEM;
    }
    return 0;
}

static int prepare_query(sqlite_store *s, const tmfinv_query *q, const char *select, int paged, sqlite3_stmt **out)
{
    tmfinv_buf sql;
    int rc;

    for (size_t i = 0; i < q->n_where; i++)
        if (strchr(q->where[i].field, '"'))
            return tmfinv_error_set(TMFINV_EINVALID, "bad field name '%s'", q->where[i].field);
    tmfinv_buf_init(&sql, 1 << 20);
    if (tmfinv_buf_puts(&sql, select) < 0 || store_sqlite_query_where(q, &sql, NULL) < 0 ||
        (paged && tmfinv_buf_puts(&sql, " ORDER BY definition, key") < 0) ||
        (paged && q->limit > 0 && tmfinv_buf_printf(&sql, " LIMIT %lld", (long long)q->limit) < 0) ||
        (paged && q->offset > 0 && tmfinv_buf_printf(&sql, "%s OFFSET %lld", q->limit > 0 ? "" : " LIMIT -1",
                                                     (long long)q->offset) < 0)) {
        tmfinv_buf_free(&sql);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (sqlite3_prepare_v2(s->db, sql.data, -1, out, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, "querying");
        tmfinv_buf_free(&sql);
        return rc;
    }
    tmfinv_buf_free(&sql);
    (void)store_sqlite_query_where(q, NULL, *out);
    return 0;
}

int store_sqlite_query(tmfinv_store *base, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                       void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc;

    rc = prepare_query(s, q, "SELECT id, definition, key, source, status, removed, removed_reason, created,"
                             " modified, run_id, content_hash, fields, raw, stale FROM instance", 1, &st);
    if (rc < 0)
        return rc;
    rc = store_sqlite_each_instance(s, st, fn, ctx);
    sqlite3_finalize(st);
    return rc;
}

int store_sqlite_count(tmfinv_store *base, const tmfinv_query *q, int64_t *count)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc;

    rc = prepare_query(s, q, "SELECT count(*) FROM instance", 0, &st);
    if (rc < 0)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "counting");
    sqlite3_finalize(st);
    return rc;
}

int store_sqlite_summary(tmfinv_store *base, int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, "SELECT definition, status, removed, count(*), count(stale) FROM instance"
                                  " GROUP BY definition, removed, status ORDER BY definition, removed, status",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "summarising");
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        store_sqlite_add_text_column(o, "definition", st, 0);
        store_sqlite_add_text_column(o, "status", st, 1);
        cJSON_AddBoolToObject(o, "removed", sqlite3_column_int(st, 2));
        cJSON_AddNumberToObject(o, "count", (double)sqlite3_column_int64(st, 3));
        cJSON_AddNumberToObject(o, "stale", (double)sqlite3_column_int64(st, 4));
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    return rc;
}
