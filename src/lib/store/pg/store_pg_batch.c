/* store_pg_batch.c: the PostgreSQL backend's batched writes. Inside a write transaction (a
 * sync's page) the instances put and the history rows added are kept here and written as one
 * multi-row upsert and one multi-row insert: at the commit, before any read that could see
 * them, or when a batch is full. A round trip to the server costs far more than a row, and
 * the interface writes one row per call.
 *
 * Why it gives the same results: a read of an instance by (definition, key) writes the
 * pending rows first when one of them is that instance; every other read, and every write that
 * is not batched, writes them first; a rollback forgets them; the history rows keep their
 * order. An error of a batched row is reported at the statement that writes the batch (the
 * commit at the latest), and the transaction is rolled back as it would have been. */
#include "store_pg_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdlib.h>
#include <string.h>

#define PUT_COLUMNS 14
#define HISTORY_COLUMNS 7
#define BATCH_ROWS 500 /* rows of one statement at most (7000 parameters; libpq's limit is 65535) */

struct pg_batch {
    pg_args puts;               /* PUT_COLUMNS values per pending instance */
    pg_args tmf_ids;            /* per pending instance: the TMF id of its item (a JSON string), or NULL */
    pg_args history;            /* HISTORY_COLUMNS values per pending history row */
};

static struct pg_batch *batch_of(pg_store *s)
{
    if (!s->batch)
        s->batch = calloc(1, sizeof(*s->batch));
    return s->batch;
}

void store_pg_batch_free(pg_store *s)
{
    if (s->batch) {
        store_pg_args_free(&s->batch->puts);
        store_pg_args_free(&s->batch->tmf_ids);
        store_pg_args_free(&s->batch->history);
        free(s->batch);
        s->batch = NULL;
    }
}

void store_pg_batch_forget(pg_store *s)
{
    if (s->batch) {
        store_pg_args_free(&s->batch->puts);
        store_pg_args_free(&s->batch->tmf_ids);
        store_pg_args_free(&s->batch->history);
    }
}

/* "INSERT … VALUES ($1, …), (…) …" for `rows` rows of `columns` values, then `tail`. */
static int rows_sql(tmfinv_buf *sql, const char *head, int rows, int columns, const char *tail)
{
    int rc = tmfinv_buf_puts(sql, head), p = 1;

    for (int r = 0; r < rows && rc == 0; r++) {
        rc = tmfinv_buf_puts(sql, r ? ", (" : " (");
        for (int c = 0; c < columns && rc == 0; c++)
            rc = tmfinv_buf_printf(sql, c ? ", $%d" : "$%d", p++);
        if (rc == 0)
            rc = tmfinv_buf_puts(sql, ")");
    }
    if (rc == 0)
        rc = tmfinv_buf_puts(sql, tail);
    return rc < 0 ? tmfinv_error_set(TMFINV_ENOMEM, "out of memory") : 0;
}

/* Writes the pending rows of `a` (columns values each) with head/tail, then forgets them. */
static int write_rows(pg_store *s, pg_args *a, int columns, const char *head, const char *tail, const char *what)
{
    tmfinv_buf sql;
    int rows = a->n / columns, rc;

    if (rows == 0)
        return 0;
    tmfinv_buf_init(&sql, 1 << 20);
    if ((rc = rows_sql(&sql, head, rows, columns, tail)) == 0)
        rc = store_pg_query(s, sql.data, 0, a, what, NULL);
    tmfinv_buf_free(&sql);
    store_pg_args_free(a);
    return rc;
}

int store_pg_batch_flush(pg_store *s)
{
    int rc, hold = s->batch_hold;

    if (!s->batch)
        return 0;
    s->batch_hold = 1; /* its own statements must not write the batch again */
    rc = write_rows(s, &s->batch->puts, PUT_COLUMNS,
                    "INSERT INTO instance (id, definition, key, source, status, removed, removed_reason, created,"
                    " modified, run_id, content_hash, fields, raw, stale) VALUES",
                    " ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition, key = EXCLUDED.key,"
                    " source = EXCLUDED.source, status = EXCLUDED.status, removed = EXCLUDED.removed,"
                    " removed_reason = EXCLUDED.removed_reason, created = EXCLUDED.created,"
                    " modified = EXCLUDED.modified, run_id = EXCLUDED.run_id, content_hash = EXCLUDED.content_hash,"
                    " fields = EXCLUDED.fields, raw = EXCLUDED.raw, stale = EXCLUDED.stale",
                    "writing instances");
    store_pg_args_free(&s->batch->tmf_ids);
    if (rc == 0)
        rc = write_rows(s, &s->batch->history, HISTORY_COLUMNS,
                        "INSERT INTO history (instance_id, run_id, time, field, before, after, actor) VALUES", "",
                        "writing history");
    s->batch_hold = hold;
    if (rc < 0)
        store_pg_batch_forget(s);
    return rc;
}

int store_pg_batch_pending(pg_store *s, const char *definition, const char *key)
{
    const pg_args *p = s->batch ? &s->batch->puts : NULL;

    if (!p)
        return 0;
    for (int i = 0; i + PUT_COLUMNS <= p->n; i += PUT_COLUMNS)
        if (strcmp(p->v[i + 1], definition) == 0 && strcmp(p->v[i + 2], key) == 0)
            return 1;
    return 0;
}

int store_pg_batch_tmf_id(pg_store *s, const char *definition, const char *key, const char **tmf_id)
{
    const pg_args *p = s->batch ? &s->batch->puts : NULL;
    int found = 0;

    if (!p)
        return 0;
    /* The last pending row of the instance is what the store will hold. */
    for (int i = 0, row = 0; i + PUT_COLUMNS <= p->n; i += PUT_COLUMNS, row++)
        if (strcmp(p->v[i + 1], definition) == 0 && strcmp(p->v[i + 2], key) == 0) {
            *tmf_id = row < s->batch->tmf_ids.n ? s->batch->tmf_ids.v[row] : NULL;
            found = 1;
        }
    return found;
}

int store_pg_batch_pending_ref(pg_store *s, const char *definition, const char *ref)
{
    const pg_args *p = s->batch ? &s->batch->puts : NULL;

    if (!p)
        return 0;
    for (int i = 0, row = 0; i + PUT_COLUMNS <= p->n; i += PUT_COLUMNS, row++) {
        const char *tmf_id = row < s->batch->tmf_ids.n ? s->batch->tmf_ids.v[row] : NULL;

        if (strcmp(p->v[i + 1], definition) == 0 &&
            (strcmp(p->v[i + 2], ref) == 0 || (tmf_id && strcmp(tmf_id, ref) == 0)))
            return 1;
    }
    return 0;
}

int store_pg_batch_put(pg_store *s, const char *const values[PUT_COLUMNS])
{
    struct pg_batch *b = batch_of(s);
    int rc;

    if (!b)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    /* One row per instance in a statement (an upsert may not touch a row twice). */
    for (int i = 0; i + PUT_COLUMNS <= b->puts.n; i += PUT_COLUMNS)
        if (strcmp(b->puts.v[i], values[0]) == 0) {
            if ((rc = store_pg_batch_flush(s)) < 0)
                return rc;
            break;
        }
    for (int c = 0; c < PUT_COLUMNS; c++)
        store_pg_args_copy(&b->puts, values[c]);
    {
        /* The TMF id as the store reads it ((raw::jsonb) ->> 'id' of a JSON string), for
         * store_pg_batch_pending_ref(). */
        cJSON *raw = values[12] ? cJSON_Parse(values[12]) : NULL;

        store_pg_args_copy(&b->tmf_ids, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(raw, "id")));
        cJSON_Delete(raw);
    }
    if (b->puts.failed || b->tmf_ids.failed) {
        store_pg_batch_forget(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return b->puts.n / PUT_COLUMNS >= BATCH_ROWS ? store_pg_batch_flush(s) : 0;
}

int store_pg_batch_history(pg_store *s, const char *const values[HISTORY_COLUMNS])
{
    struct pg_batch *b = batch_of(s);

    if (!b)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (int c = 0; c < HISTORY_COLUMNS; c++)
        store_pg_args_copy(&b->history, values[c]);
    if (b->history.failed) {
        store_pg_batch_forget(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return b->history.n / HISTORY_COLUMNS >= BATCH_ROWS ? store_pg_batch_flush(s) : 0;
}
