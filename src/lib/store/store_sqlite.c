/* store_sqlite.c: the SQLite backend of the store (WAL, versioned schema, prepared
 * statements). SQLite errors are translated here, and only here, into TMFINV_ESTORE
 * with a message naming the file. */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char *const statement_sql[ST_COUNT] = {
    [ST_STATE] = "SELECT id, content_hash, removed FROM instance WHERE definition = ?1 AND key = ?2",
    [ST_GET] = "SELECT id, definition, key, source, status, removed, removed_reason, created, modified, run_id,"
               " content_hash, fields, raw FROM instance WHERE definition = ?1 AND key = ?2",
    [ST_PUT] = "INSERT INTO instance (id, definition, key, source, status, removed, removed_reason, created,"
               " modified, run_id, content_hash, fields, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
               " ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET definition = ?2, key = ?3, source = ?4,"
               " status = ?5, removed = ?6, removed_reason = ?7, created = ?8, modified = ?9, run_id = ?10,"
               " content_hash = ?11, fields = ?12, raw = ?13",
    [ST_HISTORY_ADD] = "INSERT INTO history (instance_id, run_id, time, field, before, after)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_SEEN_MARK] = "INSERT OR IGNORE INTO temp.seen (definition, key) VALUES (?1, ?2)",
    /* The TMF id comes from the index instance_by_tmf_id (no parse of raw): `+key` keeps
     * the planner off the (definition, key) index, which would make it parse raw. */
    [ST_WRITTEN_BY_ID] = "SELECT 1 FROM instance WHERE definition = ?1 AND json_extract(raw, '$.id') = ?3"
                         " AND +key = ?2",
    [ST_WRITTEN_BY_NO_ID] = "SELECT json_type(raw, '$.id') IS NOT 'text' FROM instance WHERE definition = ?1"
                            " AND key = ?2",
    [ST_REPORT_ADD] = "INSERT OR IGNORE INTO report (run_id, source, kind, page, definition, key, item_id, field, reason,"
                      " time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
};

int store_sqlite_fail(sqlite_store *s, const char *what)
{
    return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int store_sqlite_exec(sqlite_store *s, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        int rc = tmfinv_error_set(TMFINV_ESTORE, "store %s: %s", s->path, err ? err : "error");

        sqlite3_free(err);
        return rc;
    }
    return 0;
}

sqlite3_stmt *store_sqlite_stmt(sqlite_store *s, int which)
{
    sqlite3_stmt *st = s->st[which];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

char *store_sqlite_column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);

    return v ? strdup((const char *)v) : NULL;
}

static void sqlite_close(tmfinv_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    int i;

    for (i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (i = 0; i < COUNT_CACHE; i++)
        free(s->counts[i].key);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static int migrate(sqlite_store *s)
{
    sqlite3_stmt *st = NULL;
    int version = 0, rc, i;
    char sql[64];

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the schema version");
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: schema version %d is newer than this tmfinv knows (%d)",
                                s->path, version, SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return 0;
    if ((rc = store_sqlite_exec(s, "BEGIN IMMEDIATE")) < 0)
        return rc;
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

static const tmfinv_store_ops sqlite_ops;

int tmfinv_store_sqlite_open(const char *path, tmfinv_store **out)
{
    sqlite_store *s = calloc(1, sizeof(*s));
    int rc = 0, i;

    if (!s || !(s->path = strdup(path))) {
        free(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = store_sqlite_fail(s, "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = store_sqlite_exec(s, "PRAGMA journal_mode = WAL")) < 0 || (rc = store_sqlite_exec(s, "PRAGMA synchronous = NORMAL")) < 0 ||
        (rc = store_sqlite_exec(s, "PRAGMA foreign_keys = ON")) < 0 ||
        /* Bounded caches (KiB): big enough to keep index pages of a large inventory hot,
         * small enough that memory does not grow with it. */
        (rc = store_sqlite_exec(s, "PRAGMA cache_size = -24000")) < 0 || (rc = store_sqlite_exec(s, "PRAGMA temp.cache_size = -8000")) < 0 ||
        /* Checkpoint the WAL every ~32 MB rather than every 4 MB: fewer syncs. */
        (rc = store_sqlite_exec(s, "PRAGMA wal_autocheckpoint = 8000")) < 0 ||
        (rc = migrate(s)) < 0)
        goto out;
    if ((rc = store_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS seen (definition TEXT NOT NULL, key TEXT NOT NULL,"
                      " PRIMARY KEY (definition, key)) WITHOUT ROWID")) < 0)
        goto out;
    for (i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
            SQLITE_OK) {
            rc = store_sqlite_fail(s, "preparing statements");
            goto out;
        }
out:
    if (rc < 0) {
        sqlite_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

static int sqlite_exec_tx(tmfinv_store *base, const char *what)
{
    return store_sqlite_exec((sqlite_store *)base, what);
}

/* Builds an instance from a row laid out as in ST_GET. */
int store_sqlite_row_instance(sqlite_store *s, sqlite3_stmt *st, tmfinv_instance **out)
{
    tmfinv_instance *inst = calloc(1, sizeof(*inst));
    const char *fields;

    if (!inst)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    (void)snprintf(inst->id, sizeof(inst->id), "%s", (const char *)sqlite3_column_text(st, 0));
    inst->definition = store_sqlite_column_dup(st, 1);
    inst->key = store_sqlite_column_dup(st, 2);
    inst->source = store_sqlite_column_dup(st, 3);
    inst->status = store_sqlite_column_dup(st, 4);
    inst->removed = sqlite3_column_int(st, 5);
    inst->removed_reason = store_sqlite_column_dup(st, 6);
    (void)snprintf(inst->created, sizeof(inst->created), "%s", (const char *)sqlite3_column_text(st, 7));
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", (const char *)sqlite3_column_text(st, 8));
    inst->run_id = sqlite3_column_int64(st, 9);
    (void)snprintf(inst->content_hash, sizeof(inst->content_hash), "%s", (const char *)sqlite3_column_text(st, 10));
    fields = (const char *)sqlite3_column_text(st, 11);
    inst->fields = fields ? cJSON_Parse(fields) : cJSON_CreateObject();
    inst->raw = store_sqlite_column_dup(st, 12);
    if (!inst->definition || !inst->key || !inst->source || !inst->fields || !inst->raw) {
        tmfinv_instance_free(inst);
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: unreadable instance row", s->path);
    }
    *out = inst;
    return 0;
}

/* Calls fn for each row of `st` (laid out as in ST_GET) as an instance; stops when fn
 * returns non-zero (that value is returned). Does not finalize `st`. */
int store_sqlite_each_instance(sqlite_store *s, sqlite3_stmt *st, int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    int rc = 0, step;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_instance *inst = NULL;

        if ((rc = store_sqlite_row_instance(s, st, &inst)) < 0)
            return rc;
        rc = fn(inst, ctx);
        tmfinv_instance_free(inst);
        if (rc)
            return rc;
    }
    return step == SQLITE_DONE ? 0 : store_sqlite_fail(s, "querying");
}

static int sqlite_get(tmfinv_store *base, const char *definition, const char *key, tmfinv_instance **out)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_GET);
    int rc;

    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return TMFINV_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(s, "reading an instance");
    rc = store_sqlite_row_instance(s, st, out);
    sqlite3_reset(st);
    return rc;
}

static int sqlite_state(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash,
                        int *removed)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_STATE);
    int rc;

    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return TMFINV_ENOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return store_sqlite_fail(s, "reading an instance");
    (void)snprintf(id, 40, "%s", (const char *)sqlite3_column_text(st, 0));
    (void)snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 1));
    *removed = sqlite3_column_int(st, 2);
    sqlite3_reset(st);
    return 0;
}

static int sqlite_put(tmfinv_store *base, const tmfinv_instance *inst)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_PUT);
    char *fields = cJSON_PrintUnformatted(inst->fields);
    int rc = 0;

    if (!fields)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    store_sqlite_bind_text(st, 1, inst->id);
    store_sqlite_bind_text(st, 2, inst->definition);
    store_sqlite_bind_text(st, 3, inst->key);
    store_sqlite_bind_text(st, 4, inst->source);
    store_sqlite_bind_text(st, 5, inst->status);
    sqlite3_bind_int(st, 6, inst->removed);
    store_sqlite_bind_text(st, 7, inst->removed_reason);
    store_sqlite_bind_text(st, 8, inst->created);
    store_sqlite_bind_text(st, 9, inst->modified);
    sqlite3_bind_int64(st, 10, inst->run_id);
    store_sqlite_bind_text(st, 11, inst->content_hash);
    sqlite3_bind_text(st, 12, fields, -1, SQLITE_TRANSIENT);
    store_sqlite_bind_text(st, 13, inst->raw);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing an instance");
    sqlite3_reset(st);
    free(fields);
    return rc;
}

static int sqlite_history_add(tmfinv_store *base, const char *instance_id, int64_t run_id, const char *time,
                              const char *field, const char *before, const char *after)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_HISTORY_ADD);
    int rc = 0;

    store_sqlite_bind_text(st, 1, instance_id);
    sqlite3_bind_int64(st, 2, run_id);
    store_sqlite_bind_text(st, 3, time);
    store_sqlite_bind_text(st, 4, field);
    store_sqlite_bind_text(st, 5, before);
    store_sqlite_bind_text(st, 6, after);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing history");
    sqlite3_reset(st);
    return rc;
}

/* Adds column i of a row to `o` as JSON: parsed when it holds JSON text, else as text. */
void store_sqlite_add_json_column(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    cJSON *parsed = v ? cJSON_Parse(v) : NULL;

    if (parsed)
        cJSON_AddItemToObject(o, name, parsed);
    else if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

void store_sqlite_add_text_column(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);

    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static int sqlite_history(tmfinv_store *base, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, "SELECT run_id, time, field, before, after FROM history WHERE instance_id = ?1"
                                  " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading history");
    store_sqlite_bind_text(st, 1, instance_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 0));
        store_sqlite_add_text_column(o, "time", st, 1);
        store_sqlite_add_text_column(o, "field", st, 2);
        store_sqlite_add_json_column(o, "before", st, 3);
        store_sqlite_add_json_column(o, "after", st, 4);
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = store_sqlite_fail(s, "reading history");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_seen_reset(tmfinv_store *base)
{
    return store_sqlite_exec((sqlite_store *)base, "DELETE FROM temp.seen");
}

static int sqlite_seen_mark(tmfinv_store *base, const char *definition, const char *key, int *first)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_SEEN_MARK);
    int rc = 0;

    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "marking a key seen");
    else
        *first = sqlite3_changes(s->db) > 0;
    sqlite3_reset(st);
    return rc;
}

static int sqlite_sweep(tmfinv_store *base, const char *source, const char *definition, int64_t run_id,
                        const char *time, int64_t *removed)
{
    static const char *const sql[2] = {
        "INSERT INTO history (instance_id, run_id, time, field, before, after)"
        " SELECT id, ?3, ?4, '@removed', 'false', 'true' FROM instance"
        " WHERE source = ?1 AND definition = ?2 AND removed = 0 AND NOT EXISTS"
        " (SELECT 1 FROM temp.seen WHERE seen.definition = instance.definition AND seen.key = instance.key)",
        "UPDATE instance SET removed = 1, removed_reason = 'not seen in a complete sync', modified = ?4,"
        " run_id = ?3 WHERE source = ?1 AND definition = ?2 AND removed = 0 AND NOT EXISTS"
        " (SELECT 1 FROM temp.seen WHERE seen.definition = instance.definition AND seen.key = instance.key)",
    };
    sqlite_store *s = (sqlite_store *)base;
    int i, rc = 0;

    for (i = 0; i < 2 && rc == 0; i++) {
        sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
            return store_sqlite_fail(s, "removing unseen instances");
        store_sqlite_bind_text(st, 1, source);
        store_sqlite_bind_text(st, 2, definition);
        sqlite3_bind_int64(st, 3, run_id);
        store_sqlite_bind_text(st, 4, time);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store_sqlite_fail(s, "removing unseen instances");
        else if (i == 1)
            *removed = sqlite3_changes(s->db);
        sqlite3_finalize(st);
    }
    return rc;
}

static int sqlite_sweep_count(tmfinv_store *base, const char *source, const char *definition, int64_t *active,
                              int64_t *unseen)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM temp.seen"
                                  " WHERE seen.definition = instance.definition AND seen.key = instance.key)), 0)"
                                  " FROM instance WHERE source = ?1 AND definition = ?2 AND removed = 0",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "counting unseen instances");
    store_sqlite_bind_text(st, 1, source);
    store_sqlite_bind_text(st, 2, definition);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *active = sqlite3_column_int64(st, 0);
        *unseen = sqlite3_column_int64(st, 1);
    } else
        rc = store_sqlite_fail(s, "counting unseen instances");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_written_by(tmfinv_store *base, const char *definition, const char *key, const char *tmf_id,
                             int *same)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, tmf_id ? ST_WRITTEN_BY_ID : ST_WRITTEN_BY_NO_ID);
    int rc = 0, step;

    store_sqlite_bind_text(st, 1, definition);
    store_sqlite_bind_text(st, 2, key);
    if (tmf_id)
        store_sqlite_bind_text(st, 3, tmf_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *same = sqlite3_column_int(st, 0);
    else if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading an instance");
    else if (!tmf_id)
        rc = TMFINV_ENOTFOUND;
    else {
        /* No instance with that TMF id: another item wrote it, or there is none. */
        char id[40], hash[65];
        int removed;

        sqlite3_reset(st);
        if ((rc = sqlite_state(base, definition, key, id, hash, &removed)) == 0)
            *same = 0;
    }
    sqlite3_reset(st);
    return rc;
}

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

static int sqlite_query(tmfinv_store *base, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                        void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc;

    rc = prepare_query(s, q, "SELECT id, definition, key, source, status, removed, removed_reason, created,"
                             " modified, run_id, content_hash, fields, raw FROM instance", 1, &st);
    if (rc < 0)
        return rc;
    rc = store_sqlite_each_instance(s, st, fn, ctx);
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_count(tmfinv_store *base, const tmfinv_query *q, int64_t *count)
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

static int sqlite_summary(tmfinv_store *base, int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(s->db, "SELECT definition, status, removed, count(*) FROM instance"
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
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_version(tmfinv_store *base, uint64_t version[2])
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_DATA_VERSION);
    int rc = 0;

    if (sqlite3_step(st) == SQLITE_ROW) {
        version[0] = (uint64_t)sqlite3_column_int64(st, 0);
        version[1] = (uint64_t)sqlite3_total_changes64(s->db);
    } else
        rc = store_sqlite_fail(s, "reading the data version");
    sqlite3_reset(st);
    return rc;
}

static int sqlite_run_begin(tmfinv_store *base, const char *started, const char *kind, int64_t *run_id)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "INSERT INTO run (kind, started) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "recording a run");
    store_sqlite_bind_text(st, 1, kind);
    store_sqlite_bind_text(st, 2, started);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording a run");
    else
        *run_id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_run_end(tmfinv_store *base, int64_t run_id, const char *ended, int complete)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "UPDATE run SET ended = ?2, complete = ?3 WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return store_sqlite_fail(s, "recording a run");
    sqlite3_bind_int64(st, 1, run_id);
    store_sqlite_bind_text(st, 2, ended);
    sqlite3_bind_int(st, 3, complete);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording a run");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_run_source_put(tmfinv_store *base, int64_t run_id, const tmfinv_run_source *rs)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    char *failed = rs->failed_pages ? cJSON_PrintUnformatted(rs->failed_pages) : NULL;
    char by_status[256];
    int rc = 0, i = 2;

    (void)snprintf(by_status, sizeof(by_status), "{\"429\":%lld,\"500\":%lld,\"502\":%lld,\"503\":%lld,"
                   "\"504\":%lld,\"other\":%lld}", (long long)rs->retries_by_status[0],
                   (long long)rs->retries_by_status[1], (long long)rs->retries_by_status[2],
                   (long long)rs->retries_by_status[3], (long long)rs->retries_by_status[4],
                   (long long)rs->retries_by_status[5]);

    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO run_source (run_id, source, pages, items, created,"
                                  " updated, unchanged, removed, dropped, duplicates, empty_keys, excluded,"
                                  " rejected, failed, complete, error, failed_pages, requests, retries,"
                                  " retries_by_status, token_fetches, writes) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                                  " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                           -1, &st, NULL) != SQLITE_OK) {
        free(failed);
        return store_sqlite_fail(s, "recording a run");
    }
    sqlite3_bind_int64(st, 1, run_id);
    store_sqlite_bind_text(st, i++, rs->source);
    sqlite3_bind_int64(st, i++, rs->pages);
    sqlite3_bind_int64(st, i++, rs->items);
    sqlite3_bind_int64(st, i++, rs->created);
    sqlite3_bind_int64(st, i++, rs->updated);
    sqlite3_bind_int64(st, i++, rs->unchanged);
    sqlite3_bind_int64(st, i++, rs->removed);
    sqlite3_bind_int64(st, i++, rs->dropped);
    sqlite3_bind_int64(st, i++, rs->duplicates);
    sqlite3_bind_int64(st, i++, rs->empty_keys);
    sqlite3_bind_int64(st, i++, rs->excluded);
    sqlite3_bind_int64(st, i++, rs->rejected);
    sqlite3_bind_int64(st, i++, rs->failed);
    sqlite3_bind_int(st, i++, rs->complete);
    store_sqlite_bind_text(st, i++, rs->error);
    store_sqlite_bind_text(st, i++, failed);
    sqlite3_bind_int64(st, i++, rs->requests);
    sqlite3_bind_int64(st, i++, rs->retries);
    store_sqlite_bind_text(st, i++, by_status);
    sqlite3_bind_int64(st, i++, rs->token_fetches);
    sqlite3_bind_int64(st, i++, rs->writes);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording a run");
    sqlite3_finalize(st);
    free(failed);
    return rc;
}

static int sqlite_runs(tmfinv_store *base, int64_t limit, int (*fn)(const cJSON *, void *), void *ctx)
{
    int64_t total;

    return store_sqlite_runs_page(base, 0, 0, limit, &total, fn, ctx);
}

static int sqlite_report_add(tmfinv_store *base, const tmfinv_report *r, const char *time, int *added)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_REPORT_ADD);
    int rc = 0;

    sqlite3_bind_int64(st, 1, r->run_id);
    store_sqlite_bind_text(st, 2, r->source);
    store_sqlite_bind_text(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->page);
    store_sqlite_bind_text(st, 5, r->definition);
    store_sqlite_bind_text(st, 6, r->key);
    store_sqlite_bind_text(st, 7, r->item_id);
    store_sqlite_bind_text(st, 8, r->field);
    store_sqlite_bind_text(st, 9, r->reason);
    store_sqlite_bind_text(st, 10, time);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording a report");
    else if (added)
        *added = sqlite3_changes(s->db) > 0;
    sqlite3_reset(st);
    return rc;
}

static int sqlite_reports(tmfinv_store *base, const char *kind, int (*fn)(const cJSON *, void *), void *ctx)
{
    static const char *const names[] = {"run", "source", "kind", "page", "definition", "key", "itemId", "field",
                                        "reason", "time"};
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step, i;

    if (sqlite3_prepare_v2(s->db, "SELECT run_id, source, kind, page, definition, key, item_id, field, reason, time"
                                  " FROM report WHERE ?1 IS NULL OR kind = ?1 ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        return store_sqlite_fail(s, "reading reports");
    store_sqlite_bind_text(st, 1, kind);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        for (i = 0; i < 10; i++) {
            if (i == 0 || i == 3)
                cJSON_AddNumberToObject(o, names[i], (double)sqlite3_column_int64(st, i));
            else
                store_sqlite_add_text_column(o, names[i], st, i);
        }
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    return rc;
}

static const tmfinv_store_ops sqlite_ops = {
    .close = sqlite_close,
    .exec_tx = sqlite_exec_tx,
    .get = sqlite_get,
    .put = sqlite_put,
    .state = sqlite_state,
    .history_add = sqlite_history_add,
    .history = sqlite_history,
    .seen_reset = sqlite_seen_reset,
    .seen_mark = sqlite_seen_mark,
    .sweep = sqlite_sweep,
    .sweep_count = sqlite_sweep_count,
    .written_by = sqlite_written_by,
    .query = sqlite_query,
    .count = sqlite_count,
    .summary = sqlite_summary,
    .version = sqlite_version,
    .run_begin = sqlite_run_begin,
    .run_end = sqlite_run_end,
    .run_source_put = sqlite_run_source_put,
    .runs = sqlite_runs,
    .report_add = sqlite_report_add,
    .reports = sqlite_reports,
    .om = &store_sqlite_om_ops,
    .tmf = &store_sqlite_tmf_ops,
};

