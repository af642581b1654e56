/* store_sqlite.c: the SQLite backend of the store (WAL, versioned schema, prepared
 * statements, the sync's writes and the run records). SQLite errors are translated into
 * TMFINV_ESTORE with a message naming the file in one place, store_sqlite_conn.c. */
#include "store_sqlite_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const statement_sql[ST_COUNT] = {
    [ST_STATE] = "SELECT id, content_hash, removed, stale IS NOT NULL, source = '" TMFINV_SOURCE_LOCAL "'"
                 " FROM instance WHERE definition = ?1 AND key = ?2",
    [ST_GET] = "SELECT id, definition, key, source, status, removed, removed_reason, created, modified, run_id,"
               " content_hash, fields, raw, stale FROM instance WHERE definition = ?1 AND key = ?2",
    [ST_PUT] = "INSERT INTO instance (id, definition, key, source, status, removed, removed_reason, created,"
               " modified, run_id, content_hash, fields, raw, stale) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
               " ?10, ?11, ?12, ?13, ?14) ON CONFLICT (id) DO UPDATE SET definition = ?2, key = ?3, source = ?4,"
               " status = ?5, removed = ?6, removed_reason = ?7, created = ?8, modified = ?9, run_id = ?10,"
               " content_hash = ?11, fields = ?12, raw = ?13, stale = ?14",
    /* Only what a re-evaluation changes: an UPSERT of the whole row rewrites every index entry. */
    [ST_PUT_FIELDS] = "UPDATE instance SET fields = ?2, modified = ?3, run_id = ?4 WHERE id = ?1",
    [ST_HISTORY_ADD] = "INSERT INTO history (instance_id, run_id, time, field, before, after, actor)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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

    (void)store_sqlite_end_open_run(s);
    store_sqlite_disconnect(s);
    for (int i = 0; i < COUNT_CACHE; i++)
        free(s->counts[i].key);
    free(s->path);
    free(s);
}

static const tmfinv_store_ops sqlite_ops;

/* Switches a read-write connection to WAL. On a store another process is creating at this
 * moment SQLite can answer SQLITE_BUSY at once, without calling the busy handler (the
 * journal mode needs the file to itself), so the switch is tried again, every 10 ms, for
 * up to the busy timeout. */
static int use_wal(sqlite_store *s)
{
    int64_t start = tmfinv_time_monotonic_ms();
    int rc;

    while ((rc = store_sqlite_exec(s, "PRAGMA journal_mode = WAL")) < 0 && (s->last_code & 0xff) == SQLITE_BUSY &&
           tmfinv_time_monotonic_ms() - start < s->busy_timeout_ms)
        (void)sqlite3_sleep(10);
    return rc;
}

/* Opens the connection in `mode` and makes it ready: pragmas, schema, statements. */
static int setup(sqlite_store *s, store_sqlite_mode mode)
{
    int rc, i;

    if ((rc = store_sqlite_connect(s, mode)) < 0)
        return rc;
    /* Pages of 16 KiB for a new store (an existing one keeps its own: the pragma does nothing
     * once the file has pages): an instance's row is ~3 KB, which left ~1 KB of each 4 KiB
     * page empty; five rows to a page leave a tenth of that. Before WAL, which writes the
     * file's header. */
    if (mode == STORE_SQLITE_READ_WRITE && (rc = store_sqlite_exec(s, "PRAGMA page_size = 16384")) < 0)
        return rc;
    /* A read-only connection keeps the journal mode the writers chose (WAL). */
    if ((mode == STORE_SQLITE_READ_WRITE && (rc = use_wal(s)) < 0) ||
        (rc = store_sqlite_exec(s, "PRAGMA synchronous = NORMAL")) < 0 ||
        (rc = store_sqlite_exec(s, "PRAGMA foreign_keys = ON")) < 0 ||
        /* Bounded caches (KiB): big enough to keep index pages of a large inventory hot,
         * small enough that memory does not grow with it. */
        (rc = store_sqlite_exec(s, "PRAGMA cache_size = -24000")) < 0 || (rc = store_sqlite_exec(s, "PRAGMA temp.cache_size = -8000")) < 0 ||
        /* Checkpoint the WAL every 8000 pages (~32 MB at 4 KiB, ~128 MB at 16 KiB) rather
         * than every 1000: fewer syncs. */
        (rc = store_sqlite_exec(s, "PRAGMA wal_autocheckpoint = 8000")) < 0 ||
        (rc = store_sqlite_migrate(s)) < 0)
        return rc;
    if ((rc = store_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS seen (definition TEXT NOT NULL, key TEXT NOT NULL,"
                      " PRIMARY KEY (definition, key)) WITHOUT ROWID")) < 0)
        return rc;
    for (i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
            SQLITE_OK)
            return store_sqlite_fail(s, "preparing statements");
    /* Read-write was asked, but the file itself is read-only (its directory is not). */
    if (sqlite3_db_readonly(s->db, "main") == 1)
        s->read_only = 1;
    return 0;
}

int tmfinv_store_sqlite_open(const char *path, const tmfinv_store_options *opt, tmfinv_store **out)
{
    sqlite_store *s = calloc(1, sizeof(*s));
    store_sqlite_mode mode = STORE_SQLITE_READ_WRITE;
    int rc;

    if (!s || !(s->path = strdup(path))) {
        free(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    s->base.ops = &sqlite_ops;
    s->busy_timeout_ms = opt->busy_timeout_ms;
    /* Read-write first; a store this process may only read is opened read-only, so that
     * the reading commands work on it (WAL needs a -shm it can share with writers, or,
     * when none can be made and no -wal exists, the file as immutable). */
    while ((rc = setup(s, mode)) < 0 && mode != STORE_SQLITE_IMMUTABLE && store_sqlite_may_read_only(s, mode)) {
        store_sqlite_disconnect(s);
        mode = mode == STORE_SQLITE_READ_WRITE ? STORE_SQLITE_READ_ONLY : STORE_SQLITE_IMMUTABLE;
    }
    if (rc < 0) {
        sqlite_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
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
    /* Every query of instances selects `stale` last (ST_GET's layout). */
    if (sqlite3_column_count(st) > 13 && sqlite3_column_type(st, 13) != SQLITE_NULL &&
        !(inst->stale = store_sqlite_column_dup(st, 13))) {
        tmfinv_instance_free(inst);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
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
                        int *removed, int *stale)
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
    *stale = sqlite3_column_int(st, 3);
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
    store_sqlite_bind_text(st, 14, inst->stale);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing an instance");
    sqlite3_reset(st);
    free(fields);
    return rc;
}

static int sqlite_put_fields(tmfinv_store *base, const tmfinv_instance *inst)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = store_sqlite_stmt(s, ST_PUT_FIELDS);
    char *fields = cJSON_PrintUnformatted(inst->fields);
    int rc = 0;

    if (!fields)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    store_sqlite_bind_text(st, 1, inst->id);
    sqlite3_bind_text(st, 2, fields, -1, SQLITE_TRANSIENT);
    store_sqlite_bind_text(st, 3, inst->modified);
    sqlite3_bind_int64(st, 4, inst->run_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing an instance's fields");
    else if (sqlite3_changes(s->db) != 1)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "instance %s not found", inst->id);
    sqlite3_reset(st);
    free(fields);
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
        int removed, stale;

        sqlite3_reset(st);
        if ((rc = sqlite_state(base, definition, key, id, hash, &removed, &stale)) == 0)
            *same = 0;
    }
    sqlite3_reset(st);
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

/* The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat),
 * or -1 when it cannot be read (no such process, no /proc). */
static long long process_start(long pid)
{
    char path[64], buf[1024];
    const char *p;
    long long start = -1;
    size_t n;
    FILE *f;

    (void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count from its last ')'. */
    if (!(p = strrchr(buf, ')')))
        return -1;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (p && sscanf(p, " %lld", &start) != 1)
        start = -1;
    return start;
}

void store_sqlite_process_id(long pid, char *buf, size_t size)
{
    (void)snprintf(buf, size, "%ld:%lld", pid, process_start(pid));
}

int store_sqlite_process_alive(const char *process)
{
    long pid;
    long long start;
    char now[64];

    if (!process || sscanf(process, "%ld:%lld", &pid, &start) != 2 || pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    /* Same pid and same start time: the same process, not a later one given its pid. */
    store_sqlite_process_id(pid, now, sizeof(now));
    return start < 0 || strcmp(now, process) == 0;
}

static int sqlite_run_begin(tmfinv_store *base, const char *started, const char *kind, int64_t *run_id)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    char process[64];
    int rc = 0;

    if (s->read_only)
        return store_sqlite_refuse(s, "record a sync run");
    if ((rc = store_sqlite_end_open_run(s)) < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO run (kind, started, process) VALUES (?1, ?2, ?3)", -1, &st, NULL) !=
        SQLITE_OK)
        return store_sqlite_fail(s, "recording a run");
    store_sqlite_bind_text(st, 1, kind);
    store_sqlite_bind_text(st, 2, started);
    store_sqlite_process_id(getpid(), process, sizeof(process));
    store_sqlite_bind_text(st, 3, process);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "recording a run");
    else
        *run_id = s->open_run = sqlite3_last_insert_rowid(s->db);
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
    else if (run_id == s->open_run)
        s->open_run = 0;
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
    .tx = store_sqlite_tx,
    .read_only = store_sqlite_read_only,
    .get = sqlite_get,
    .put = sqlite_put,
    .put_fields = sqlite_put_fields,
    .state = sqlite_state,
    .history_add = store_sqlite_history_add,
    .history = store_sqlite_history,
    .seen_reset = sqlite_seen_reset,
    .seen_mark = sqlite_seen_mark,
    .sweep = sqlite_sweep,
    .sweep_count = sqlite_sweep_count,
    .written_by = sqlite_written_by,
    .query = store_sqlite_query,
    .count = store_sqlite_count,
    .summary = store_sqlite_summary,
    .version = sqlite_version,
    .run_begin = sqlite_run_begin,
    .run_end = sqlite_run_end,
    .run_source_put = sqlite_run_source_put,
    .runs = sqlite_runs,
    .report_add = sqlite_report_add,
    .reports = sqlite_reports,
    .om = &store_sqlite_om_ops,
    .tmf = &store_sqlite_tmf_ops,
    .refs = &store_sqlite_refs_ops,
    .hist = &store_sqlite_history_ops,
    .graph = &store_sqlite_graph_ops,
    .outbox = &store_sqlite_outbox_ops,
};

