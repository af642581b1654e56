/* store_sqlite_refs.c: the SQLite backend of references restricted to active instances
 * (store.h): the lookup of an active instance by key or TMF id, and the list of references
 * whose instance became or stopped being active (table ref_pending, schema 8: written in the
 * transaction of the page that changed the instance, emptied in the one that re-evaluated
 * what references it, so that a run killed in between leaves the list to the next run). */
#include "store_sqlite_int.h"

#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum { REF_ACTIVE, REF_NOTE, REF_ORDER_NOTE, REF_ORDER_WRITTEN };

/* The connection's temporary tables: the candidates of one definition, and the order of this
 * run's notes (ref_order: the sequence of the last note of a reference) and of the writes
 * that restricted references (ref_written). They are temporary because the order only means
 * something within the run that counted it; a note without an order counts whenever it was
 * made. */
static int ensure_tables(sqlite_store *s)
{
    return store_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS ref_todo (key TEXT PRIMARY KEY) WITHOUT ROWID;"
                                "CREATE TEMP TABLE IF NOT EXISTS ref_order (definition TEXT NOT NULL, ref TEXT NOT NULL,"
                                " seq INTEGER NOT NULL, PRIMARY KEY (definition, ref)) WITHOUT ROWID;"
                                "CREATE TEMP TABLE IF NOT EXISTS ref_written (definition TEXT NOT NULL, key TEXT NOT NULL,"
                                " seq INTEGER NOT NULL, PRIMARY KEY (definition, key)) WITHOUT ROWID");
}

/* One of this file's statements, prepared at first use and kept until the connection closes. */
static sqlite3_stmt *statement(sqlite_store *s, int which)
{
    static const char *const sql[4] = {
        /* Each side uses an index: (definition, key) is unique; instance_by_tmf_id is on
         * (definition, json_extract(raw, '$.id')), the TMF id, so no row's raw is parsed. The
         * unary + keeps SQLite off the indexes on (definition, removed, ...): without
         * statistics it preferred them, reading every active instance of the definition for
         * each reference (a first load of 100k items never finished). */
        [REF_ACTIVE] = "SELECT EXISTS (SELECT 1 FROM instance WHERE definition = ?1 AND key = ?2 AND removed = 0)"
                       " OR EXISTS (SELECT 1 FROM instance WHERE definition = ?1 AND json_extract(raw, '$.id') = ?2"
                       " AND +removed = 0)",
        [REF_NOTE] = "INSERT OR IGNORE INTO ref_pending (definition, ref) VALUES (?1, ?2)"
                     " UNION ALL SELECT definition, json_extract(raw, '$.id') FROM instance WHERE definition = ?1"
                     " AND key = ?2 AND json_type(raw, '$.id') = 'text'",
        /* The same two references as REF_NOTE, with the sequence of this note. */
        [REF_ORDER_NOTE] = "INSERT OR REPLACE INTO temp.ref_order (definition, ref, seq) VALUES (?1, ?2, ?3)"
                           " UNION ALL SELECT definition, json_extract(raw, '$.id'), ?3 FROM instance"
                           " WHERE definition = ?1 AND key = ?2 AND json_type(raw, '$.id') = 'text'",
        [REF_ORDER_WRITTEN] = "INSERT OR REPLACE INTO temp.ref_written (definition, key, seq) VALUES (?1, ?2, ?3)",
    };

    if (!s->refs_st[which]) {
        if (ensure_tables(s) < 0)
            return NULL;
        if (sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->refs_st[which], NULL) !=
            SQLITE_OK) {
            (void)store_sqlite_fail(s, "preparing a reference lookup");
            return NULL;
        }
    }
    sqlite3_reset(s->refs_st[which]);
    sqlite3_clear_bindings(s->refs_st[which]);
    return s->refs_st[which];
}

static int sqlite_ref_active(tmfinv_store *base, const char *definition, const char *ref, int *active)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = statement(s, REF_ACTIVE);
    int rc = 0;

    if (!st)
        return TMFINV_ESTORE;
    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, ref);
    if (sqlite3_step(st) == SQLITE_ROW)
        *active = sqlite3_column_int(st, 0) != 0;
    else
        rc = store_sqlite_fail(s, "looking up a reference");
    sqlite3_reset(st);
    return rc;
}

/* Runs statement `which` with ?1 = definition, ?2 = key, ?3 = seq. */
static int order_put(sqlite_store *s, int which, const char *definition, const char *key, int64_t seq)
{
    sqlite3_stmt *st = statement(s, which);
    int rc = 0;

    if (!st)
        return TMFINV_ESTORE;
    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    sqlite3_bind_int64(st, 3, seq);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording the order of a reference");
    sqlite3_reset(st);
    return rc;
}

static int sqlite_ref_order_note(tmfinv_store *base, const char *definition, const char *key, int64_t seq)
{
    return order_put((sqlite_store *)base, REF_ORDER_NOTE, definition, key, seq);
}

static int sqlite_ref_order_written(tmfinv_store *base, const char *definition, const char *key, int64_t seq)
{
    return order_put((sqlite_store *)base, REF_ORDER_WRITTEN, definition, key, seq);
}

static int sqlite_ref_order_clear(tmfinv_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc = ensure_tables(s);

    return rc < 0 ? rc : store_sqlite_exec(s, "DELETE FROM temp.ref_order; DELETE FROM temp.ref_written");
}

static int sqlite_ref_reset(tmfinv_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc = ensure_tables(s);

    return rc < 0 ? rc
                  : store_sqlite_exec(s, "DELETE FROM ref_pending; DELETE FROM temp.ref_todo;"
                                         " DELETE FROM temp.ref_order; DELETE FROM temp.ref_written");
}

static int sqlite_ref_note(tmfinv_store *base, const char *definition, const char *key)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = statement(s, REF_NOTE);
    int rc = 0;

    if (!st)
        return TMFINV_ESTORE;
    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "noting a changed reference");
    sqlite3_reset(st);
    return rc;
}

/* Runs `sql` with ?1 = a, ?2 = b (text) to its end. */
static int run2(sqlite_store *s, const char *sql, const char *a, const char *b, const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, what);
    store_sqlite_bind_text(st, 1, a);
    store_sqlite_bind_text(st, 2, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, what);
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_ref_note_unseen(tmfinv_store *base, const char *source, const char *definition)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc = ensure_tables(s);

    /* The same rows tmfinv_store_sweep() removes, by key and by TMF id. */
    if (rc == 0)
        rc = run2(s, "INSERT OR IGNORE INTO ref_pending (definition, ref) SELECT definition, key FROM instance"
                     " WHERE source = ?1 AND definition = ?2 AND removed = 0 AND NOT EXISTS (SELECT 1 FROM temp.seen"
                     " WHERE seen.definition = instance.definition AND seen.key = instance.key)"
                     " UNION ALL SELECT definition, json_extract(raw, '$.id') FROM instance"
                     " WHERE source = ?1 AND definition = ?2 AND removed = 0 AND json_type(raw, '$.id') = 'text'"
                     " AND NOT EXISTS (SELECT 1 FROM temp.seen"
                     " WHERE seen.definition = instance.definition AND seen.key = instance.key)",
                  source, definition, "noting the references of unseen instances");
    /* A reference the sweep changes may also have been noted earlier in this run: its order
     * goes, so that it counts for every instance holding it. */
    if (rc == 0)
        rc = run2(s, "DELETE FROM temp.ref_order WHERE definition = ?2 AND ref IN (SELECT key FROM instance"
                     " WHERE source = ?1 AND definition = ?2 AND removed = 0 AND NOT EXISTS (SELECT 1 FROM temp.seen"
                     " WHERE seen.definition = instance.definition AND seen.key = instance.key)"
                     " UNION ALL SELECT json_extract(raw, '$.id') FROM instance"
                     " WHERE source = ?1 AND definition = ?2 AND removed = 0 AND json_type(raw, '$.id') = 'text'"
                     " AND NOT EXISTS (SELECT 1 FROM temp.seen"
                     " WHERE seen.definition = instance.definition AND seen.key = instance.key))",
                  source, definition, "forgetting the order of the references of unseen instances");
    return rc;
}

static int sqlite_ref_noted(tmfinv_store *base, int64_t *count)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = ensure_tables(s);

    if (rc < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM ref_pending", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "counting changed references");
    if (sqlite3_step(st) == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "counting changed references");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_ref_dependents(tmfinv_store *base, const char *definition, const char *json_path,
                                 const char *referenced, int (*fn)(const char *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc, step;

    if ((rc = ensure_tables(s)) < 0 || (rc = store_sqlite_exec(s, "DELETE FROM temp.ref_todo")) < 0)
        return rc;
    /* The candidates first, into a table of their own, so that fn may rewrite the instances
     * while they are read. json_tree parses each row of the definition once (removed ones too:
     * what they hold must not depend on when they were written); only the strings under the
     * path are compared, each through the primary key of ref_pending. A reference does not
     * count for an instance written in this run after its last note (ref_written, ref_order):
     * that write restricted it as it is now. */
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO temp.ref_todo (key) SELECT i.key FROM instance i,"
                                  " json_tree(i.raw, ?2) t WHERE i.definition = ?1"
                                  " AND t.type = 'text' AND EXISTS (SELECT 1 FROM ref_pending c"
                                  " WHERE c.definition = ?3 AND c.ref = t.atom)"
                                  " AND NOT EXISTS (SELECT 1 FROM temp.ref_written w, temp.ref_order o"
                                  " WHERE w.definition = ?1 AND w.key = i.key AND o.definition = ?3"
                                  " AND o.ref = t.atom AND o.seq < w.seq)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "finding the instances that reference changed ones");
    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, json_path);
    store_sqlite_bind_text(st, 3, referenced);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "finding the instances that reference changed ones");
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT key FROM temp.ref_todo ORDER BY key", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the instances that reference changed ones");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);

        if (key && (rc = fn(key, ctx)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading the instances that reference changed ones");
    sqlite3_finalize(st);
    return rc;
}

const tmfinv_store_refs_ops store_sqlite_refs_ops = {
    .active = sqlite_ref_active,
    .reset = sqlite_ref_reset,
    .note = sqlite_ref_note,
    .note_unseen = sqlite_ref_note_unseen,
    .noted = sqlite_ref_noted,
    .dependents = sqlite_ref_dependents,
    .order_note = sqlite_ref_order_note,
    .order_written = sqlite_ref_order_written,
    .order_clear = sqlite_ref_order_clear,
};
