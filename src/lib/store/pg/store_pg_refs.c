/* store_pg_refs.c: the PostgreSQL backend of references restricted to active instances
 * (store.h; the SQLite backend's store_sqlite_refs.c): the lookup of an active instance by key
 * or TMF id, and the list of references whose instance became or stopped being active (table
 * ref_pending), with the batch of the page in mind (store_pg_batch.c). */
#include "store_pg_int.h"

#include "tmfinv_error.h"

/* ---- references restricted to active instances ------------------------------------------- */

/* The active instances of (source $1, definition $2) whose key was not seen in this run. */
#define UNSEEN_SQL " FROM instance WHERE source = $1 AND definition = $2 AND removed = 0 AND NOT EXISTS" \
                   " (SELECT 1 FROM seen WHERE seen.definition = instance.definition AND seen.key = instance.key)"

static int pg_ref_active(tmfinv_store *base, const char *definition, const char *ref, int *active)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, ref);
    rc = store_pg_keyed(s, NULL, PG_REF_ACTIVE, &a, 1, "looking up a reference", &r);
    store_pg_args_free(&a);
    if (rc == 0) {
        *active = store_pg_int(r, 0, 0) != 0;
        PQclear(r);
    }
    return rc;
}

static int pg_ref_reset(tmfinv_store *base)
{
    return store_pg_exec((pg_store *)base, "DELETE FROM ref_pending", "forgetting the changed references");
}

/* A key and the TMF id (a JSON string) of the same rows, into ref_pending. */
static int pg_ref_note(tmfinv_store *base, const char *definition, const char *key)
{
    pg_store *s = (pg_store *)base;
    const char *tmf_id = NULL;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, key);
    if (store_pg_batch_tmf_id(s, definition, key, &tmf_id)) {
        /* The instance is in the batch (written just now): its TMF id from there, so that
         * the batch may wait. */
        store_pg_args_copy(&a, tmf_id);
        s->batch_hold = 1;
        rc = store_pg_query(s, "INSERT INTO ref_pending (definition, ref) SELECT $1, $2 UNION SELECT $1, $3"
                               " WHERE $3::text IS NOT NULL ON CONFLICT DO NOTHING",
                            0, &a, "noting a changed reference", NULL);
        s->batch_hold = 0;
        store_pg_args_free(&a);
        return rc;
    }
    rc = store_pg_keyed(s, "INSERT INTO ref_pending (definition, ref) SELECT $1, $2 UNION SELECT definition,"
                           " (raw::jsonb) ->> 'id' FROM instance WHERE definition = $1 AND key = $2"
                           " AND jsonb_typeof((raw::jsonb) -> 'id') = 'string' ON CONFLICT DO NOTHING",
                        0, &a, 0, "noting a changed reference", NULL);
    store_pg_args_free(&a);
    return rc;
}

static int pg_ref_note_unseen(tmfinv_store *base, const char *source, const char *definition)
{
    pg_store *s = (pg_store *)base;
    pg_args a = {0};
    int rc;

    store_pg_args_text(&a, source);
    store_pg_args_text(&a, definition);
    rc = store_pg_query(s, "INSERT INTO ref_pending (definition, ref) SELECT definition, key" UNSEEN_SQL
                           " UNION SELECT definition, (raw::jsonb) ->> 'id'" UNSEEN_SQL
                           " AND jsonb_typeof((raw::jsonb) -> 'id') = 'string' ON CONFLICT DO NOTHING",
                        0, &a, "noting the references of unseen instances", NULL);
    store_pg_args_free(&a);
    return rc;
}

static int pg_ref_noted(tmfinv_store *base, int64_t *count)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    int rc = store_pg_query(s, "SELECT count(*) FROM ref_pending", 0, NULL, "counting changed references", &r);

    if (rc == 0) {
        *count = store_pg_int(r, 0, 0);
        PQclear(r);
    }
    return rc;
}

static int pg_ref_dependents(tmfinv_store *base, const char *definition, const char *json_path,
                             const char *referenced, int (*fn)(const char *, void *), void *ctx)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    pg_args a = {0};
    int rc;

    /* The candidates first (the whole list is read before fn runs, so fn may rewrite the
     * instances): every string anywhere under the path (SQLite's json_tree; the path's form,
     * $."name", is also a jsonpath), compared with the references noted. */
    store_pg_args_text(&a, definition);
    store_pg_args_text(&a, json_path);
    store_pg_args_text(&a, referenced);
    rc = store_pg_query(s, "SELECT DISTINCT i.key FROM instance i, jsonb_path_query(i.raw::jsonb,"
                           " ('lax ' || $2 || '.**')::jsonpath) t WHERE i.definition = $1 AND jsonb_typeof(t) ="
                           " 'string' AND EXISTS (SELECT 1 FROM ref_pending c WHERE c.definition = $3"
                           " AND c.ref = t #>> '{}') ORDER BY i.key",
                        0, &a, "finding the instances that reference changed ones", &r);
    store_pg_args_free(&a);
    if (rc < 0)
        return rc;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        rc = fn(PQgetvalue(r, i, 0), ctx);
    PQclear(r);
    return rc;
}

const tmfinv_store_refs_ops store_pg_refs_ops = {
    .active = pg_ref_active,
    .reset = pg_ref_reset,
    .note = pg_ref_note,
    .note_unseen = pg_ref_note_unseen,
    .noted = pg_ref_noted,
    .dependents = pg_ref_dependents,
};
