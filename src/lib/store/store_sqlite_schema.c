/* store_sqlite_schema.c: the SQLite backend's schema — the append-only list of migrations
 * and how a store is brought to this tmfinv's version at open (see store_sqlite_int.h). */
#include "store_sqlite_int.h"

#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdio.h>

/* Each entry migrates the schema from version i to i + 1. Never edit a released one. */
static const char *const migrations[] = {
    /* 0 -> 1: instances, history, runs, reports. */
    "CREATE TABLE instance ("
    "  id TEXT PRIMARY KEY,"
    "  definition TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  status TEXT,"
    "  removed INTEGER NOT NULL DEFAULT 0,"
    "  removed_reason TEXT,"
    "  created TEXT NOT NULL,"
    "  modified TEXT NOT NULL,"
    "  run_id INTEGER,"
    "  content_hash TEXT NOT NULL,"
    "  fields TEXT NOT NULL,"
    "  raw TEXT NOT NULL,"
    "  UNIQUE (definition, key));"
    "CREATE INDEX instance_by_status ON instance (definition, removed, status);"
    "CREATE INDEX instance_by_source ON instance (source, definition, removed);"
    "CREATE INDEX instance_by_key ON instance (key);"
    "CREATE TABLE history ("
    "  id INTEGER PRIMARY KEY,"
    "  instance_id TEXT NOT NULL,"
    "  run_id INTEGER,"
    "  time TEXT NOT NULL,"
    "  field TEXT NOT NULL,"
    "  before TEXT,"
    "  after TEXT);"
    "CREATE INDEX history_by_instance ON history (instance_id, id);"
    "CREATE TABLE run ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  started TEXT NOT NULL,"
    "  ended TEXT,"
    "  complete INTEGER);"
    "CREATE TABLE run_source ("
    "  run_id INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  pages INTEGER, items INTEGER, created INTEGER, updated INTEGER, unchanged INTEGER,"
    "  removed INTEGER, dropped INTEGER, duplicates INTEGER, empty_keys INTEGER, excluded INTEGER,"
    "  rejected INTEGER, failed INTEGER, complete INTEGER, error TEXT, failed_pages TEXT,"
    "  PRIMARY KEY (run_id, source));"
    "CREATE TABLE report ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER,"
    "  source TEXT,"
    "  kind TEXT NOT NULL,"
    "  page INTEGER,"
    "  definition TEXT,"
    "  key TEXT,"
    "  item_id TEXT,"
    "  field TEXT,"
    "  reason TEXT,"
    "  time TEXT NOT NULL);"
    "CREATE INDEX report_by_kind ON report (kind, id);",
    /* 1 -> 2: fetch figures per source; one report per distinct problem, so that an
     * unchanged resync writes no rows. */
    "ALTER TABLE run_source ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE run_source ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE run_source ADD COLUMN retries_by_status TEXT;"
    "ALTER TABLE run_source ADD COLUMN token_fetches INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE run_source ADD COLUMN writes INTEGER NOT NULL DEFAULT 0;"
    "DELETE FROM report WHERE id NOT IN (SELECT min(id) FROM report GROUP BY source, kind, coalesce(definition, ''),"
    " coalesce(key, ''), coalesce(item_id, ''), coalesce(field, ''), coalesce(reason, ''));"
    "CREATE UNIQUE INDEX report_once ON report (source, kind, coalesce(definition, ''), coalesce(key, ''),"
    " coalesce(item_id, ''), coalesce(field, ''), coalesce(reason, ''));",
    /* 2 -> 3: lookups by key go through (definition, key); one index less to write per row. */
    "DROP INDEX instance_by_key;",
    /* 3 -> 4: the API pages active instances in key order from a covering index, and finds
     * an instance by the TMF id the source gave it. */
    "CREATE INDEX instance_active ON instance (definition, removed, key);"
    "CREATE INDEX instance_by_tmf_id ON instance (definition, json_extract(raw, '$.id'));",
    /* 4 -> 5: the process that carries out a run ("PID:START", see store_sqlite_process_id()),
     * so that a reader tells a run going on from one whose process died before ending it. */
    "ALTER TABLE run ADD COLUMN process TEXT;",
    /* 5 -> 6: an instance whose source's last version was rejected is stale (the reason;
     * NULL: current), so that it is never served as current without saying so. */
    "ALTER TABLE instance ADD COLUMN stale TEXT;",
    /* 6 -> 7: who made a change that no run made (`set`, PATCH); the oldest row kept of a
     * field whose older rows retention purged; an instance's rows by field and time (the
     * timeline, and retention's "newest old row" in one seek; it replaces (instance_id, id));
     * the changes feed by time; removed instances by age for retention (a partial index:
     * active instances cost nothing). */
    "ALTER TABLE history ADD COLUMN actor TEXT;"
    "ALTER TABLE history ADD COLUMN earlier_purged INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX history_by_instance;"
    "CREATE INDEX history_by_field ON history (instance_id, field, time);"
    "CREATE INDEX history_by_time ON history (time);"
    "CREATE INDEX instance_removed_since ON instance (modified) WHERE removed = 1;",
    /* 7 -> 8: the references whose instance became or stopped being active, noted in the
     * transaction of the page that changed it and forgotten in the one that re-evaluated the
     * instances referencing them (sync_refs.c), so that a run killed in between leaves them
     * to the next run and the store converges. */
    "CREATE TABLE ref_pending (definition TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (definition, ref))"
    " WITHOUT ROWID;",
    /* 8 -> 9: the outbox of instance events, written in the transaction of the change, with
     * the instance's row after it (store_events.h, docs/events.md); the receivers (webhooks,
     * hub subscriptions) with their cursor; the events a receiver never took (dead letters).
     * IF NOT EXISTS: a store a test turns back into an older version replays it. */
    "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, time TEXT NOT NULL, type TEXT NOT NULL,"
    " instance_id TEXT NOT NULL, definition TEXT NOT NULL, key TEXT NOT NULL, fields TEXT, run_id INTEGER,"
    " actor TEXT, raw TEXT NOT NULL, field_values TEXT NOT NULL, status TEXT, removed INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS receiver (name TEXT PRIMARY KEY, kind TEXT NOT NULL, api TEXT, callback TEXT, query TEXT,"
    " created TEXT NOT NULL, cursor INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS dead_letter (id INTEGER PRIMARY KEY, receiver TEXT NOT NULL, event_id INTEGER NOT NULL,"
    " state TEXT NOT NULL, tries INTEGER NOT NULL, error TEXT, first_try TEXT, last_try TEXT,"
    " UNIQUE (receiver, event_id));"
    "CREATE INDEX IF NOT EXISTS dead_letter_by_event ON dead_letter (event_id);",
    /* 9 -> 10: impact's index of references (store_sqlite_graph.c): the fields it holds
     * (filled by the first impact, from the definitions), one row per value of them, and the
     * instances written since it was last brought up to date — noted by triggers, so that
     * every writer keeps the list without knowing of it, and a write costs one appended id
     * rather than index rows (decision 76). IF NOT EXISTS: a store a test turned back to an
     * older version replays it safely. */
    "CREATE TABLE IF NOT EXISTS edge_field (definition TEXT NOT NULL, field TEXT NOT NULL,"
    " PRIMARY KEY (definition, field)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS edge (ref TEXT NOT NULL, src TEXT NOT NULL, field TEXT NOT NULL,"
    " PRIMARY KEY (ref, src, field)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS edge_by_src ON edge (src);"
    "CREATE TABLE IF NOT EXISTS edge_dirty (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    /* NOT EXISTS rather than OR IGNORE: a trigger's conflict clause gives way to the one of
     * the statement that fired it (the upsert's ABORT), so an id noted twice would fail the write. */
    "CREATE TRIGGER IF NOT EXISTS edge_on_insert AFTER INSERT ON instance"
    " WHEN EXISTS (SELECT 1 FROM edge_field) AND NOT EXISTS (SELECT 1 FROM edge_dirty WHERE id = new.id)"
    " BEGIN INSERT INTO edge_dirty (id) VALUES (new.id); END;"
    "CREATE TRIGGER IF NOT EXISTS edge_on_update AFTER UPDATE OF fields, definition ON instance"
    " WHEN (old.fields IS NOT new.fields OR old.definition IS NOT new.definition)"
    " AND EXISTS (SELECT 1 FROM edge_field) AND NOT EXISTS (SELECT 1 FROM edge_dirty WHERE id = new.id)"
    " BEGIN INSERT INTO edge_dirty (id) VALUES (new.id); END;"
    "CREATE TRIGGER IF NOT EXISTS edge_on_delete AFTER DELETE ON instance"
    " WHEN EXISTS (SELECT 1 FROM edge_field) AND NOT EXISTS (SELECT 1 FROM edge_dirty WHERE id = old.id)"
    " BEGIN INSERT INTO edge_dirty (id) VALUES (old.id); END;",
    /* 10 -> 11: nothing now. Its first form (indexes (definition, removed, modified, key) and
     * (definition, removed, status, key), never released) drew SQLite's planner away from
     * instance_by_tmf_id in the sync's reference lookup (definition = ? AND json_extract(raw,
     * '$.id') = ? AND removed = 0: a scan of the definition per reference); 11 -> 12 replaces
     * its instance_by_modified (a store that took it keeps its wider instance_by_status). */
    "SELECT 1;",
    /* 11 -> 12: the dashboard's table sorted by modified (newest first or oldest) is a walk
     * of an index ending with the key (the tie-breaker) and `removed` (checked in the index),
     * not a sort of every instance of the definition (bench/README.md, "Dashboard table
     * pages"; decision 81). `removed` last, not second: with one equality column usable
     * (definition) it never outranks instance_by_tmf_id. The indexes of the table's field
     * columns are made by `serve` from the definitions (tmfinv_store_table_indexes). */
    "DROP INDEX IF EXISTS instance_by_modified;"
    "CREATE INDEX instance_by_modified ON instance (definition, modified, key, removed);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The schema version of the store into *version. */
static int schema_version(sqlite_store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the schema version");
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        rc = store_sqlite_fail(s, "reading the schema version");
    sqlite3_finalize(st);
    if (rc == 0 && *version > SCHEMA_VERSION)
        rc = tmfinv_error_set(TMFINV_ESTORE, "store %s: schema version %d is newer than this tmfinv knows (%d)",
                              s->path, *version, SCHEMA_VERSION);
    return rc;
}

int store_sqlite_migrate(sqlite_store *s)
{
    int version = 0, rc, i = 0;
    char sql[64];

    if ((rc = schema_version(s, &version)) < 0 || version == SCHEMA_VERSION)
        return rc;
    if (s->read_only)
        return tmfinv_error_set(TMFINV_EREFUSED, "store %s is read-only for this process and at schema version %d;"
                                " this tmfinv needs %d: run it once with write access to the store", s->path,
                                version, SCHEMA_VERSION);
    if ((rc = store_sqlite_exec(s, "BEGIN IMMEDIATE")) < 0)
        return rc;
    /* Again under the write lock: another process may have migrated while this one
     * waited for it (two commands started at once on a new store). */
    if ((rc = schema_version(s, &version)) < 0 || version == SCHEMA_VERSION) {
        (void)store_sqlite_exec(s, rc < 0 ? "ROLLBACK" : "COMMIT");
        return rc;
    }
    for (i = version; i < SCHEMA_VERSION; i++)
        if ((rc = store_sqlite_exec(s, migrations[i])) < 0)
            goto out;
    (void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
    rc = store_sqlite_exec(s, sql);
out:
    if (rc < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        (void)store_sqlite_exec(s, "ROLLBACK");
        return tmfinv_error_set(TMFINV_ESTORE, "%s (migrating to schema version %d)", msg, i + 1);
    }
    return store_sqlite_exec(s, "COMMIT");
}
