/* store_sqlite.c: the SQLite backend of the store (WAL, versioned schema, prepared
 * statements). SQLite errors are translated here, and only here, into TMFINV_ESTORE
 * with a message naming the file. */
#include "store_int.h"

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

enum {
    ST_STATE,
    ST_GET,
    ST_PUT,
    ST_HISTORY_ADD,
    ST_SEEN_MARK,
    ST_REPORT_ADD,
    ST_DATA_VERSION,
    ST_COUNT
};

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
    [ST_REPORT_ADD] = "INSERT OR IGNORE INTO report (run_id, source, kind, page, definition, key, item_id, field, reason,"
                      " time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
};

#define COUNT_CACHE 8

/* A count remembered for a query (its SQL and values) at a store version. */
typedef struct count_memo {
    char *key;
    uint64_t version[2];
    int64_t count;
} count_memo;

typedef struct sqlite_store {
    tmfinv_store base;
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_COUNT];
    count_memo counts[COUNT_CACHE];
    unsigned next_count;        /* round-robin slot for the next memo */
} sqlite_store;

static int fail(sqlite_store *s, const char *what)
{
    return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(sqlite_store *s, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        int rc = tmfinv_error_set(TMFINV_ESTORE, "store %s: %s", s->path, err ? err : "error");

        sqlite3_free(err);
        return rc;
    }
    return 0;
}

static sqlite3_stmt *stmt(sqlite_store *s, int which)
{
    sqlite3_stmt *st = s->st[which];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *column_dup(sqlite3_stmt *st, int i)
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
        return fail(s, "reading the schema version");
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: schema version %d is newer than this tmfinv knows (%d)",
                                s->path, version, SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return 0;
    if ((rc = exec(s, "BEGIN IMMEDIATE")) < 0)
        return rc;
    for (i = version; i < SCHEMA_VERSION; i++)
        if ((rc = exec(s, migrations[i])) < 0)
            goto out;
    (void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
    rc = exec(s, sql);
out:
    if (rc < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        (void)exec(s, "ROLLBACK");
        return tmfinv_error_set(TMFINV_ESTORE, "%s (migrating to schema version %d)", msg, i + 1);
    }
    return exec(s, "COMMIT");
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
        rc = fail(s, "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = exec(s, "PRAGMA journal_mode = WAL")) < 0 || (rc = exec(s, "PRAGMA synchronous = NORMAL")) < 0 ||
        (rc = exec(s, "PRAGMA foreign_keys = ON")) < 0 ||
        /* Bounded caches (KiB): big enough to keep index pages of a large inventory hot,
         * small enough that memory does not grow with it. */
        (rc = exec(s, "PRAGMA cache_size = -24000")) < 0 || (rc = exec(s, "PRAGMA temp.cache_size = -8000")) < 0 ||
        /* Checkpoint the WAL every ~32 MB rather than every 4 MB: fewer syncs. */
        (rc = exec(s, "PRAGMA wal_autocheckpoint = 8000")) < 0 ||
        (rc = migrate(s)) < 0)
        goto out;
    if ((rc = exec(s, "CREATE TEMP TABLE IF NOT EXISTS seen (definition TEXT NOT NULL, key TEXT NOT NULL,"
                      " PRIMARY KEY (definition, key)) WITHOUT ROWID")) < 0)
        goto out;
    for (i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
            SQLITE_OK) {
            rc = fail(s, "preparing statements");
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
    return exec((sqlite_store *)base, what);
}

/* Builds an instance from a row laid out as in ST_GET. */
static int row_instance(sqlite_store *s, sqlite3_stmt *st, tmfinv_instance **out)
{
    tmfinv_instance *inst = calloc(1, sizeof(*inst));
    const char *fields;

    if (!inst)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    (void)snprintf(inst->id, sizeof(inst->id), "%s", (const char *)sqlite3_column_text(st, 0));
    inst->definition = column_dup(st, 1);
    inst->key = column_dup(st, 2);
    inst->source = column_dup(st, 3);
    inst->status = column_dup(st, 4);
    inst->removed = sqlite3_column_int(st, 5);
    inst->removed_reason = column_dup(st, 6);
    (void)snprintf(inst->created, sizeof(inst->created), "%s", (const char *)sqlite3_column_text(st, 7));
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", (const char *)sqlite3_column_text(st, 8));
    inst->run_id = sqlite3_column_int64(st, 9);
    (void)snprintf(inst->content_hash, sizeof(inst->content_hash), "%s", (const char *)sqlite3_column_text(st, 10));
    fields = (const char *)sqlite3_column_text(st, 11);
    inst->fields = fields ? cJSON_Parse(fields) : cJSON_CreateObject();
    inst->raw = column_dup(st, 12);
    if (!inst->definition || !inst->key || !inst->source || !inst->fields || !inst->raw) {
        tmfinv_instance_free(inst);
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: unreadable instance row", s->path);
    }
    *out = inst;
    return 0;
}

/* Calls fn for each row of `st` (laid out as in ST_GET) as an instance; stops when fn
 * returns non-zero (that value is returned). Does not finalize `st`. */
static int each_instance(sqlite_store *s, sqlite3_stmt *st, int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    int rc = 0, step;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_instance *inst = NULL;

        if ((rc = row_instance(s, st, &inst)) < 0)
            return rc;
        rc = fn(inst, ctx);
        tmfinv_instance_free(inst);
        if (rc)
            return rc;
    }
    return step == SQLITE_DONE ? 0 : fail(s, "querying");
}

static int sqlite_get(tmfinv_store *base, const char *definition, const char *key, tmfinv_instance **out)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_GET);
    int rc;

    bind_text(st, 1, definition);
    bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return TMFINV_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return fail(s, "reading an instance");
    rc = row_instance(s, st, out);
    sqlite3_reset(st);
    return rc;
}

static int sqlite_state(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash,
                        int *removed)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_STATE);
    int rc;

    bind_text(st, 1, definition);
    bind_text(st, 2, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return TMFINV_ENOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return fail(s, "reading an instance");
    (void)snprintf(id, 40, "%s", (const char *)sqlite3_column_text(st, 0));
    (void)snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 1));
    *removed = sqlite3_column_int(st, 2);
    sqlite3_reset(st);
    return 0;
}

static int sqlite_put(tmfinv_store *base, const tmfinv_instance *inst)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_PUT);
    char *fields = cJSON_PrintUnformatted(inst->fields);
    int rc = 0;

    if (!fields)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    bind_text(st, 1, inst->id);
    bind_text(st, 2, inst->definition);
    bind_text(st, 3, inst->key);
    bind_text(st, 4, inst->source);
    bind_text(st, 5, inst->status);
    sqlite3_bind_int(st, 6, inst->removed);
    bind_text(st, 7, inst->removed_reason);
    bind_text(st, 8, inst->created);
    bind_text(st, 9, inst->modified);
    sqlite3_bind_int64(st, 10, inst->run_id);
    bind_text(st, 11, inst->content_hash);
    sqlite3_bind_text(st, 12, fields, -1, SQLITE_TRANSIENT);
    bind_text(st, 13, inst->raw);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "writing an instance");
    sqlite3_reset(st);
    free(fields);
    return rc;
}

static int sqlite_history_add(tmfinv_store *base, const char *instance_id, int64_t run_id, const char *time,
                              const char *field, const char *before, const char *after)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_HISTORY_ADD);
    int rc = 0;

    bind_text(st, 1, instance_id);
    sqlite3_bind_int64(st, 2, run_id);
    bind_text(st, 3, time);
    bind_text(st, 4, field);
    bind_text(st, 5, before);
    bind_text(st, 6, after);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "writing history");
    sqlite3_reset(st);
    return rc;
}

/* Adds column i of a row to `o` as JSON: parsed when it holds JSON text, else as text. */
static void add_json_column(cJSON *o, const char *name, sqlite3_stmt *st, int i)
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

static void add_text_column(cJSON *o, const char *name, sqlite3_stmt *st, int i)
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
        return fail(s, "reading history");
    bind_text(st, 1, instance_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        cJSON_AddNumberToObject(o, "run", (double)sqlite3_column_int64(st, 0));
        add_text_column(o, "time", st, 1);
        add_text_column(o, "field", st, 2);
        add_json_column(o, "before", st, 3);
        add_json_column(o, "after", st, 4);
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = fail(s, "reading history");
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_seen_reset(tmfinv_store *base)
{
    return exec((sqlite_store *)base, "DELETE FROM temp.seen");
}

static int sqlite_seen_mark(tmfinv_store *base, const char *definition, const char *key, int *first)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_SEEN_MARK);
    int rc = 0;

    bind_text(st, 1, definition);
    bind_text(st, 2, key);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "marking a key seen");
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
            return fail(s, "removing unseen instances");
        bind_text(st, 1, source);
        bind_text(st, 2, definition);
        sqlite3_bind_int64(st, 3, run_id);
        bind_text(st, 4, time);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, "removing unseen instances");
        else if (i == 1)
            *removed = sqlite3_changes(s->db);
        sqlite3_finalize(st);
    }
    return rc;
}

/* Builds the WHERE clause of a query and binds it; `st` is NULL on the first pass. */
static int query_where(const tmfinv_query *q, tmfinv_buf *sql, sqlite3_stmt *st)
{
    int n = 0;
    size_t i;

    if (!st && tmfinv_buf_puts(sql, " WHERE 1") < 0)
        return TMFINV_ENOMEM;
    if (q->definition) {
        if (st)
            bind_text(st, ++n, q->definition);
        else if (tmfinv_buf_printf(sql, " AND definition = ?%d", ++n) < 0)
            return TMFINV_ENOMEM;
    }
    if (q->key) {
        if (st)
            bind_text(st, ++n, q->key);
        else if (tmfinv_buf_printf(sql, " AND key = ?%d", ++n) < 0)
            return TMFINV_ENOMEM;
    }
    if (q->id) {
        if (st)
            bind_text(st, ++n, q->id);
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
                bind_text(st, n, w->field);
            n++;
            if (cJSON_IsString(w->value))
                bind_text(st, n, w->value->valuestring);
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
    if (tmfinv_buf_puts(&sql, select) < 0 || query_where(q, &sql, NULL) < 0 ||
        (paged && tmfinv_buf_puts(&sql, " ORDER BY definition, key") < 0) ||
        (paged && q->limit > 0 && tmfinv_buf_printf(&sql, " LIMIT %lld", (long long)q->limit) < 0) ||
        (paged && q->offset > 0 && tmfinv_buf_printf(&sql, "%s OFFSET %lld", q->limit > 0 ? "" : " LIMIT -1",
                                                     (long long)q->offset) < 0)) {
        tmfinv_buf_free(&sql);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (sqlite3_prepare_v2(s->db, sql.data, -1, out, NULL) != SQLITE_OK) {
        rc = fail(s, "querying");
        tmfinv_buf_free(&sql);
        return rc;
    }
    tmfinv_buf_free(&sql);
    (void)query_where(q, NULL, *out);
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
    rc = each_instance(s, st, fn, ctx);
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
        rc = fail(s, "counting");
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
        return fail(s, "summarising");
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();

        if (!o) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        add_text_column(o, "definition", st, 0);
        add_text_column(o, "status", st, 1);
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
    sqlite3_stmt *st = stmt(s, ST_DATA_VERSION);
    int rc = 0;

    if (sqlite3_step(st) == SQLITE_ROW) {
        version[0] = (uint64_t)sqlite3_column_int64(st, 0);
        version[1] = (uint64_t)sqlite3_total_changes64(s->db);
    } else
        rc = fail(s, "reading the data version");
    sqlite3_reset(st);
    return rc;
}

static int sqlite_run_begin(tmfinv_store *base, const char *started, const char *kind, int64_t *run_id)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, "INSERT INTO run (kind, started) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
        return fail(s, "recording a run");
    bind_text(st, 1, kind);
    bind_text(st, 2, started);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "recording a run");
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
        return fail(s, "recording a run");
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, ended);
    sqlite3_bind_int(st, 3, complete);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "recording a run");
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
        return fail(s, "recording a run");
    }
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, i++, rs->source);
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
    bind_text(st, i++, rs->error);
    bind_text(st, i++, failed);
    sqlite3_bind_int64(st, i++, rs->requests);
    sqlite3_bind_int64(st, i++, rs->retries);
    bind_text(st, i++, by_status);
    sqlite3_bind_int64(st, i++, rs->token_fetches);
    sqlite3_bind_int64(st, i++, rs->writes);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "recording a run");
    sqlite3_finalize(st);
    free(failed);
    return rc;
}

static int sqlite_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                            int (*fn)(const cJSON *, void *), void *ctx);

static int sqlite_runs(tmfinv_store *base, int64_t limit, int (*fn)(const cJSON *, void *), void *ctx)
{
    int64_t total;

    return sqlite_runs_page(base, 0, 0, limit, &total, fn, ctx);
}

static int sqlite_report_add(tmfinv_store *base, const tmfinv_report *r, const char *time, int *added)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = stmt(s, ST_REPORT_ADD);
    int rc = 0;

    sqlite3_bind_int64(st, 1, r->run_id);
    bind_text(st, 2, r->source);
    bind_text(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->page);
    bind_text(st, 5, r->definition);
    bind_text(st, 6, r->key);
    bind_text(st, 7, r->item_id);
    bind_text(st, 8, r->field);
    bind_text(st, 9, r->reason);
    bind_text(st, 10, time);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fail(s, "recording a report");
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
        return fail(s, "reading reports");
    bind_text(st, 1, kind);
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
                add_text_column(o, names[i], st, i);
        }
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Defined with their queries further down. */
static const tmfinv_store_om_ops sqlite_om_ops;
static const tmfinv_store_tmf_ops sqlite_tmf_ops;

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
    .om = &sqlite_om_ops,
    .tmf = &sqlite_tmf_ops,
};

/* ---- object-model API queries (api_om.c) ---- */

/* Appends " ORDER BY …" for pq: its sort keys, then definition and key (unique), so
 * that paging is stable. Field names are written into the SQL, hence the strict check. */
static int om_order_by(const tmfinv_instances_page_query *pq, tmfinv_buf *sql)
{
    static const char *const columns[] = {"key", "status", "created", "modified", "id", "source", "definition"};

    if (tmfinv_buf_puts(sql, " ORDER BY ") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < pq->n_sort; i++) {
        const char *f = pq->sort[i].field, *dir = pq->sort[i].descending ? "DESC" : "ASC";
        size_t c, n = strlen(f);
        int rc = 0;

        for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
            if (strcmp(f, columns[c]) == 0)
                break;
        if (c < sizeof(columns) / sizeof(columns[0]))
            rc = tmfinv_buf_printf(sql, "%s %s, ", columns[c], dir);
        else if (n == 0 || n > 128 ||
                 strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
            return tmfinv_error_set(TMFINV_EINVALID, "cannot sort on '%.128s'", f);
        else
            rc = tmfinv_buf_printf(sql, "json_extract(fields, '$.\"%s\"') %s, ", f, dir);
        if (rc < 0)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (tmfinv_buf_puts(sql, "definition, key") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

/* Prepares `select` + the WHERE clause of pq (+ ORDER BY and LIMIT when `paged`) into *out. */
static int om_prepare(sqlite_store *s, const tmfinv_instances_page_query *pq, const char *select, int paged,
                      sqlite3_stmt **out)
{
    tmfinv_query q = pq->q;
    tmfinv_buf sql;
    int rc = 0;

    for (size_t i = 0; i < q.n_where; i++)
        if (strchr(q.where[i].field, '"'))
            return tmfinv_error_set(TMFINV_EINVALID, "bad field name '%s'", q.where[i].field);
    q.include_removed = pq->removed != TMFINV_REMOVED_NO;
    tmfinv_buf_init(&sql, 1 << 20);
    if (tmfinv_buf_puts(&sql, select) < 0 || query_where(&q, &sql, NULL) < 0 ||
        (pq->removed == TMFINV_REMOVED_ONLY && tmfinv_buf_puts(&sql, " AND removed = 1") < 0)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (paged) {
        if ((rc = om_order_by(pq, &sql)) < 0)
            goto out;
        if (tmfinv_buf_printf(&sql, " LIMIT %lld OFFSET %lld", q.limit > 0 ? (long long)q.limit : -1LL,
                              q.offset > 0 ? (long long)q.offset : 0LL) < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (sqlite3_prepare_v2(s->db, sql.data, -1, out, NULL) != SQLITE_OK) {
        rc = fail(s, "querying");
        goto out;
    }
    (void)query_where(&q, NULL, *out);
out:
    tmfinv_buf_free(&sql);
    return rc;
}

static int sqlite_instances_page(tmfinv_store *base, const tmfinv_instances_page_query *pq, int64_t *total,
                                 int (*fn)(const tmfinv_instance *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int64_t count = 0;
    int rc;

    if ((rc = om_prepare(s, pq, "SELECT count(*) FROM instance", 0, &st)) < 0)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int64(st, 0);
    else
        rc = fail(s, "counting");
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        return rc;
    *total = count;
    if ((rc = om_prepare(s, pq, "SELECT id, definition, key, source, status, removed, removed_reason, created,"
                                " modified, run_id, content_hash, fields, raw FROM instance", 1, &st)) < 0)
        return rc;
    rc = each_instance(s, st, fn, ctx);
    sqlite3_finalize(st);
    return rc;
}

/* Runs `sql` (one integer result) with ?1, when it has one, bound to `text` or else `number`. */
static int om_count(sqlite_store *s, const char *sql, const char *text, int64_t number, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, "counting");
    if (sqlite3_bind_parameter_count(st) > 0) {
        if (text)
            bind_text(st, 1, text);
        else
            sqlite3_bind_int64(st, 1, number);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = fail(s, "counting");
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
        return fail(s, "reading reports");
    bind_text(st, 1, kind);
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
                add_text_column(o, names[i], st, i);
        }
        rc = fn(o, ctx);
        cJSON_Delete(o);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fail(s, "reading reports");
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
        add_text_column(o, "name", src, 0);
        for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
            cJSON_AddNumberToObject(o, counters[i], (double)sqlite3_column_int64(src, (int)i + 1));
        cJSON_AddBoolToObject(o, "complete", sqlite3_column_int(src, 13));
        add_text_column(o, "error", src, 14);
        add_json_column(o, "failed", src, 15);
        cJSON_AddNumberToObject(o, "requests", (double)sqlite3_column_int64(src, 16));
        cJSON_AddNumberToObject(o, "retries", (double)sqlite3_column_int64(src, 17));
        add_json_column(o, "retriesByStatus", src, 18);
        cJSON_AddNumberToObject(o, "tokenFetches", (double)sqlite3_column_int64(src, 19));
        cJSON_AddNumberToObject(o, "writes", (double)sqlite3_column_int64(src, 20));
    }
    return step == SQLITE_DONE ? 0 : fail(s, "reading runs");
}

static int sqlite_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                            int (*fn)(const cJSON *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL, *src = NULL;
    int64_t count = 0;
    int rc, step = SQLITE_DONE;

    if ((rc = om_count(s, "SELECT count(*) FROM run WHERE ?1 <= 0 OR id = ?1", NULL, id, &count)) < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT id, kind, started, ended, complete FROM run WHERE ?1 <= 0 OR id = ?1"
                                  " ORDER BY id DESC LIMIT ?2 OFFSET ?3", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT source, pages, items, created, updated, unchanged, removed, dropped,"
                                  " duplicates, empty_keys, excluded, rejected, failed, complete, error,"
                                  " failed_pages, requests, retries, retries_by_status, token_fetches, writes"
                                  " FROM run_source WHERE run_id = ?1 ORDER BY source", -1, &src,
                           NULL) != SQLITE_OK) {
        rc = fail(s, "reading runs");
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
        add_text_column(run, "kind", st, 1);
        add_text_column(run, "started", st, 2);
        add_text_column(run, "ended", st, 3);
        if (sqlite3_column_type(st, 4) == SQLITE_NULL)
            cJSON_AddNullToObject(run, "complete");
        else
            cJSON_AddBoolToObject(run, "complete", sqlite3_column_int(st, 4));
        cJSON_AddItemToObject(run, "sources", sources);
        if ((rc = om_run_sources(s, src, sqlite3_column_int64(st, 0), sources)) == 0)
            rc = fn(run, ctx);
        cJSON_Delete(run);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = fail(s, "reading runs");
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
        return fail(s, "summing runs");
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
        if (!(t->source = column_dup(st, 0))) {
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
        rc = fail(s, "summing runs");
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
        return fail(s, "reading runs");
    if (sqlite3_step(st) == SQLITE_ROW)
        *unix_seconds = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 0);
    else
        rc = fail(s, "reading runs");
    sqlite3_finalize(st);
    return rc;
}

static const tmfinv_store_om_ops sqlite_om_ops = {
    .instances_page = sqlite_instances_page,
    .reports_page = sqlite_reports_page,
    .runs_page = sqlite_runs_page,
    .source_totals = sqlite_source_totals,
    .last_complete = sqlite_last_complete,
};



/* ---- TMF API queries (api_tmf.c) ---- */

#include "tmfinv_misc.h"

#include <ctype.h>
#include <stdarg.h>

#define TMF_COLUMNS "id, definition, key, source, status, removed, removed_reason, created, modified, run_id," \
                    " content_hash, fields, raw"
#define TMF_MAX_STEPS 16     /* steps of an attribute path */
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

/* Splits an attribute path into its steps (pointers into `copy`, a modifiable copy of
 * the path); TMFINV_EINVALID unless every step matches [A-Za-z@_][A-Za-z0-9@_]*. */
static int tmf_steps(const char *path, char *copy, size_t size, char **steps, size_t *n_steps)
{
    size_t n = 0;
    char *p;

    if (snprintf(copy, size, "%s", path) >= (int)size)
        return tmfinv_error_set(TMFINV_EINVALID, "attribute path too long");
    for (p = copy;;) {
        char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);

        if (n >= TMF_MAX_STEPS)
            return tmfinv_error_set(TMFINV_EINVALID, "attribute path with more than %d steps", TMF_MAX_STEPS);
        if (len == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '@' || p[0] == '_') ||
            strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@_") != len)
            return tmfinv_error_set(TMFINV_EINVALID, "bad attribute path '%.100s'", path);
        steps[n++] = p;
        if (!dot)
            break;
        *dot = '\0';
        p = dot + 1;
    }
    *n_steps = n;
    return 0;
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

/* The test of one level's values (alias l<level>, columns v: the value, t: its JSON
 * type) against the filter's values, OR-ed. */
static int tmf_leaf(tmf_sql *b, const tmfinv_tmf_filter *f, int level)
{
    int rc = 0, n;

    if ((rc = tmf_puts(b, "(0")) < 0)
        return rc;
    for (size_t i = 0; i < f->n_values && rc == 0; i++) {
        const char *v = f->values[i];
        double number;
        int is_number = tmfinv_parse_double(v, &number) == 0;

        if (f->op == TMFINV_TMF_EQ) {
            if ((rc = tmf_text(b, v, &n)) < 0 ||
                (rc = tmf_printf(b, " OR (l%d.t = 'text' AND l%d.v = ?%d)", level, level, n)) < 0)
                break;
            if (is_number && ((rc = tmf_bind_add(b, TMF_BIND_DOUBLE, NULL, number, 0, &n)) < 0 ||
                              (rc = tmf_printf(b, " OR (l%d.t IN ('integer', 'real') AND l%d.v = ?%d)", level,
                                               level, n)) < 0))
                break;
            if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
                rc = tmf_printf(b, " OR l%d.t = '%s'", level, v[0] == 't' ? "true" : "false");
        } else if (tmfinv_is_datetime(v)) {
            /* julianday() reads RFC 3339 with 'Z' or an offset: instants compare rightly
             * whatever zone each side is written in. The GLOB keeps it off other text. */
            if ((rc = tmf_text(b, v, &n)) < 0)
                break;
            rc = tmf_printf(b, " OR (l%d.t = 'text' AND l%d.v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][Tt]*'"
                               " AND julianday(l%d.v) %s julianday(?%d))", level, level, level, tmf_op_sql(f->op), n);
        } else if (is_number) {
            if ((rc = tmf_bind_add(b, TMF_BIND_DOUBLE, NULL, number, 0, &n)) < 0)
                break;
            rc = tmf_printf(b, " OR (l%d.t IN ('integer', 'real') AND l%d.v %s ?%d)", level, level,
                            tmf_op_sql(f->op), n);
        } else {
            if ((rc = tmf_text(b, v, &n)) < 0)
                break;
            rc = tmf_printf(b, " OR (l%d.t = 'text' AND l%d.v %s ?%d)", level, level, tmf_op_sql(f->op), n);
        }
    }
    return rc < 0 ? rc : tmf_puts(b, ")");
}

/* One filter as an EXISTS over nested expansions: at each step, the member of the
 * container; an array there stands for each of its elements. */
static int tmf_filter(tmf_sql *b, const tmfinv_tmf_filter *f)
{
    char copy[512], *steps[TMF_MAX_STEPS];
    size_t n_steps, i;
    int rc, n;

    if (f->on_status) {
        if ((rc = tmf_puts(b, " AND status IN (NULL")) < 0)
            return rc;
        for (i = 0; i < f->n_values; i++)
            if ((rc = tmf_text(b, f->values[i], &n)) < 0 || (rc = tmf_printf(b, ", ?%d", n)) < 0)
                return rc;
        return tmf_puts(b, ")");
    }
    if ((rc = tmf_steps(f->path, copy, sizeof(copy), steps, &n_steps)) < 0)
        return rc;
    if ((rc = tmf_puts(b, " AND ")) < 0)
        return rc;
    for (i = 0; i < n_steps; i++) {
        char container[32];

        if (i == 0)
            (void)snprintf(container, sizeof(container), "instance.raw");
        else
            (void)snprintf(container, sizeof(container), "l%zu.v", i);
        if ((rc = tmf_json_path(b, &steps[i], 1, &n)) < 0)
            return rc;
        rc = tmf_printf(b, "EXISTS (SELECT 1 FROM (SELECT e.value AS v, e.type AS t FROM json_each(%s, ?%d) AS e"
                           " WHERE json_type(%s, ?%d) = 'array' UNION ALL SELECT json_extract(%s, ?%d),"
                           " json_type(%s, ?%d) WHERE json_type(%s, ?%d) <> 'array') AS l%zu WHERE ",
                        container, n, container, n, container, n, container, n, container, n, i + 1);
        if (rc < 0)
            return rc;
        if (i + 1 < n_steps && (rc = tmf_printf(b, "l%zu.t = 'object' AND ", i + 1)) < 0)
            return rc;
    }
    if ((rc = tmf_leaf(b, f, (int)n_steps)) < 0)
        return rc;
    for (i = 0; i < n_steps; i++)
        if ((rc = tmf_puts(b, ")")) < 0)
            return rc;
    return 0;
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
        return fail(s, "querying");
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

static int sqlite_tmf_count(tmfinv_store *base, const tmfinv_tmf_query *q, int64_t *count)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    tmf_sql b;
    char *key = NULL;
    uint64_t version[2];
    int rc;

    tmf_sql_init(&b);
    if ((rc = tmf_puts(&b, "SELECT count(*)")) < 0 || (rc = tmf_where(&b, q)) < 0)
        goto out;
    /* Paging through a collection asks the same count again and again: remember it
     * while the store has not changed. The key is the SQL and its values. */
    if ((rc = sqlite_version(base, version)) < 0 || (rc = tmf_memo_key(&b, &key)) < 0)
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
        rc = fail(s, "counting");
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
    tmf_sql b;
    int rc, n;

    tmf_sql_init(&b);
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
    rc = each_instance(s, st, fn, ctx);
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

            if ((rc = tmf_steps(k->path, copy, sizeof(copy), steps, &n_steps)) < 0 ||
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
     * the TMF id ((definition, key) index), then a scan of the collection. */
    static const char *const how[] = {
        " AND id = ?1",
        " AND key = ?1 AND json_extract(raw, '$.id') = ?1",
        " AND json_extract(raw, '$.id') = ?1",
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
        if ((rc = tmf_printf(&b, ")%s%s ORDER BY definition, key LIMIT 1", include_removed ? "" : " AND removed = 0",
                             how[k])) < 0 ||
            (rc = tmf_prepare(s, &b, &st)) < 0)
            goto next;
        step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = row_instance(s, st, out);
        else if (step == SQLITE_DONE)
            rc = TMFINV_ENOTFOUND;
        else
            rc = fail(s, "reading an instance");
    next:
        sqlite3_finalize(st);
        tmf_sql_free(&b);
    }
    return rc;
}

static int sqlite_tmf_begin_write(tmfinv_store *base)
{
    return exec((sqlite_store *)base, "BEGIN IMMEDIATE");
}

static const tmfinv_store_tmf_ops sqlite_tmf_ops = {
    .count = sqlite_tmf_count,
    .list = sqlite_tmf_list,
    .find = sqlite_tmf_find,
    .begin_write = sqlite_tmf_begin_write,
};


