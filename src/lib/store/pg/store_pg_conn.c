/* store_pg_conn.c: the PostgreSQL backend's connection. Connecting (libpq URI), the session's
 * settings, transactions (a writer takes the store's write lock, as SQLite's BEGIN IMMEDIATE
 * does), the schema and its migrations under a transaction-scoped lock, and the translation of
 * libpq's errors into one-line messages that name the store. */
#include "store_pg_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- parameters ------------------------------------------------------------------------- */

static void args_push(pg_args *a, const char *v, char *owned)
{
    if (a->failed)
        goto fail;
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 16;
        const char **v2 = realloc(a->v, (size_t)cap * sizeof(*v2));
        char **o2;

        if (!v2)
            goto fail;
        a->v = v2;
        if (!(o2 = realloc(a->owned, (size_t)cap * sizeof(*o2))))
            goto fail;
        a->owned = o2;
        a->cap = cap;
    }
    a->v[a->n] = v;
    a->owned[a->n] = owned;
    a->n++;
    return;
fail:
    a->failed = 1;
    free(owned);
}

void store_pg_args_text(pg_args *a, const char *v)
{
    args_push(a, v, NULL);
}

void store_pg_args_copy(pg_args *a, const char *v)
{
    char *copy = v ? strdup(v) : NULL;

    if (v && !copy)
        a->failed = 1;
    else
        args_push(a, copy, copy);
}

void store_pg_args_int(pg_args *a, int64_t v)
{
    char buf[32], *copy;

    (void)snprintf(buf, sizeof(buf), "%lld", (long long)v);
    if (!(copy = strdup(buf)))
        a->failed = 1;
    else
        args_push(a, copy, copy);
}

void store_pg_args_double(pg_args *a, double v)
{
    char buf[40], *copy;

    (void)snprintf(buf, sizeof(buf), "%.17g", v);
    if (!(copy = strdup(buf)))
        a->failed = 1;
    else
        args_push(a, copy, copy);
}

void store_pg_args_free(pg_args *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

/* ---- errors ------------------------------------------------------------------------------ */

/* The first line of a libpq message, without its "ERROR:  " prefix, into buf. */
static void first_line(const char *msg, char *buf, size_t size)
{
    size_t n;

    if (!msg || !*msg)
        msg = "unknown error";
    if (strncmp(msg, "ERROR:  ", 8) == 0)
        msg += 8;
    else if (strncmp(msg, "FATAL:  ", 8) == 0)
        msg += 8;
    n = strcspn(msg, "\n");
    (void)snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), msg);
}

int store_pg_fail(pg_store *s, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char msg[512];

    first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn), msg, sizeof(msg));
    if (!r && s->conn && PQstatus(s->conn) == CONNECTION_BAD)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: connection lost: %s", s->url, what ? what : "querying",
                                msg);
    if (state && strcmp(state, "55P03") == 0) /* lock_not_available: lock_timeout passed */
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: waited %.1f s for another writer's lock ([store]"
                                " busy_timeout = %g s)%s%s", s->url, (double)s->busy_timeout_ms / 1000.0,
                                (double)s->busy_timeout_ms / 1000.0, what ? ": " : "", what ? what : "");
    if (state && strcmp(state, "25006") == 0) /* read_only_sql_transaction: a standby */
        return store_pg_refuse(s, what ? what : "write");
    return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: %s", s->url, what ? what : "querying", msg);
}

int store_pg_refuse(pg_store *s, const char *what)
{
    return tmfinv_error_set(TMFINV_EREFUSED, "store %s is read-only (the server is a standby in recovery):"
                            " cannot %s", s->url, what);
}

int store_pg_not_yet(const char *what)
{
    return tmfinv_error_set(TMFINV_ERROR, "%s is not available on the PostgreSQL store yet (docs/postgresql.md)",
                            what);
}

/* ---- statements -------------------------------------------------------------------------- */

/* After a statement failed on a lost connection (a server restart, a failover, a killed
 * backend): connects again, so that the next call works. The failed call still fails (its
 * transaction is gone: what it had written is not there, a run in it ends incomplete); the
 * rows batched for it are forgotten with it. A connection that cannot be made yet is tried
 * again after the next failure. The last error stays the failed statement's. */
static void reconnect_if_lost(pg_store *s)
{
    char saved[512];

    if (s->reconnecting || (s->conn && PQstatus(s->conn) != CONNECTION_BAD))
        return;
    (void)snprintf(saved, sizeof(saved), "%s", tmfinv_error_last());
    s->reconnecting = 1;
    s->in_write = 0;
    store_pg_batch_forget(s);
    if (s->conn)
        PQfinish(s->conn);
    s->conn = NULL;
    (void)store_pg_connect(s);
    s->reconnecting = 0;
    (void)tmfinv_error_set(TMFINV_ESTORE, "%s", saved);
}

int store_pg_query(pg_store *s, const char *sql, int which, const pg_args *a, const char *what, PGresult **out)
{
    PGresult *r;
    ExecStatusType st;
    char name[32];

    if (a && a->failed)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    /* The batched rows go first, so that this statement sees them (store_pg_batch.c). */
    if (s->batch && !s->batch_hold) {
        int rc = store_pg_batch_flush(s);

        if (rc < 0)
            return rc;
    }
    if (sql && !a) {
        /* The simple protocol: several statements at once (migrations, transactions). */
        r = PQexec(s->conn, sql);
    } else if (sql) {
        r = PQexecParams(s->conn, sql, a ? a->n : 0, NULL, a ? a->v : NULL, NULL, NULL, 0);
    } else {
        (void)snprintf(name, sizeof(name), "tmfinv_%d", which);
        r = PQexecPrepared(s->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
    }
    if (!r) {
        int rc = store_pg_fail(s, NULL, what);

        reconnect_if_lost(s);
        return rc;
    }
    st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = store_pg_fail(s, r, what);

        PQclear(r);
        reconnect_if_lost(s);
        return rc;
    }
    if (st == PGRES_COMMAND_OK && PQcmdTuples(r)[0] && strcmp(PQcmdTuples(r), "0") != 0)
        s->writes++;
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

int store_pg_exec(pg_store *s, const char *sql, const char *what)
{
    return store_pg_query(s, sql, 0, NULL, what, NULL);
}

const char *store_pg_text(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

int64_t store_pg_int(const PGresult *r, int row, int c)
{
    const char *v = store_pg_text(r, row, c);

    return v ? strtoll(v, NULL, 10) : 0;
}

/* ---- transactions and runs --------------------------------------------------------------- */

int store_pg_tx(tmfinv_store *base, tmfinv_store_tx what)
{
    pg_store *s = (pg_store *)base;
    int rc;

    switch (what) {
    case TMFINV_TX_READ:
        /* One snapshot for the whole transaction: a count and its page agree. */
        return store_pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a read transaction");
    case TMFINV_TX_WRITE:
        /* The store's write lock now, as SQLite's BEGIN IMMEDIATE: writers take turns, so a
         * transaction that reads then writes never meets another writer half-way. EXCLUSIVE
         * on the schema table conflicts only with itself and the migration's lock: readers
         * never wait. Transaction-scoped: it ends with the transaction, whatever happens to
         * the process or the connection (no session advisory lock). */
        if (s->read_only)
            return store_pg_refuse(s, "start a write transaction");
        if ((rc = store_pg_exec(s, "BEGIN", "starting a write transaction")) < 0)
            return rc;
        if ((rc = store_pg_exec(s, "LOCK TABLE tmfinv_schema IN EXCLUSIVE MODE", "starting a write transaction")) < 0)
            (void)store_pg_exec(s, "ROLLBACK", NULL);
        else
            s->in_write = 1;
        return rc;
    case TMFINV_TX_COMMIT:
        s->in_write = 0;
        /* The batch first (store_pg_query does); when it fails, nothing of the transaction
         * stays. */
        if ((rc = store_pg_exec(s, "COMMIT", "committing")) < 0 && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
            (void)store_pg_exec(s, "ROLLBACK", NULL);
        return rc;
    case TMFINV_TX_ROLLBACK:
        s->in_write = 0;
        store_pg_batch_forget(s);
        return store_pg_exec(s, "ROLLBACK", "rolling back");
    }
    return tmfinv_error_set(TMFINV_ERROR, "store %s: unknown transaction request", s->url);
}

int store_pg_read_only(const tmfinv_store *base)
{
    return ((const pg_store *)base)->read_only;
}

int store_pg_end_open_run(pg_store *s)
{
    pg_args a = {0};
    char now[32];
    int rc;

    if (!s->open_run || !s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return 0;
    /* A run is never left "not ended": whoever began it failed before ending it. */
    tmfinv_time_now(now, sizeof(now));
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        s->in_write = 0;
        store_pg_batch_forget(s);
        (void)store_pg_exec(s, "ROLLBACK", NULL);
    }
    store_pg_args_int(&a, s->open_run);
    store_pg_args_text(&a, now);
    rc = store_pg_query(s, "UPDATE run SET ended = $2, complete = 0 WHERE id = $1 AND ended IS NULL", 0, &a,
                        "ending an unfinished run", NULL);
    store_pg_args_free(&a);
    if (rc == 0)
        s->open_run = 0;
    return rc;
}

/* The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), -1
 * when unknown. The same form as the SQLite backend's, so that `runs` reads alike. */
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
    if (!(p = strrchr(buf, ')')))
        return -1;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (p && sscanf(p, " %lld", &start) != 1)
        start = -1;
    return start;
}

void store_pg_process_id(char *buf, size_t size)
{
    long pid = (long)getpid();

    (void)snprintf(buf, size, "%ld:%lld", pid, process_start(pid));
}

int store_pg_process_alive(const char *process)
{
    long pid;
    long long start;
    char now[64];

    if (!process || sscanf(process, "%ld:%lld", &pid, &start) != 2 || pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    (void)snprintf(now, sizeof(now), "%ld:%lld", pid, process_start(pid));
    return start < 0 || strcmp(now, process) == 0;
}

/* ---- schema ------------------------------------------------------------------------------ */

/* Each entry migrates the schema from version i to i + 1; never edit a released one. The
 * tables are the SQLite schema's at its version 10 (store_sqlite_schema.c) in PostgreSQL's
 * words: text columns compared and ordered as bytes (COLLATE "C", SQLite's BINARY), so that
 * every order is the SQLite backend's; JSON kept as text, as the source sent it (jsonb would
 * reorder keys), and cast to jsonb where a query looks inside. */
static const char *const pg_migrations[] = {
    /* 0 -> 1: instances, history, runs, reports, the references noted as changed. */
    "CREATE TABLE instance ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  definition text COLLATE \"C\" NOT NULL,"
    "  key text COLLATE \"C\" NOT NULL,"
    "  source text COLLATE \"C\" NOT NULL,"
    "  status text COLLATE \"C\","
    "  removed integer NOT NULL DEFAULT 0,"
    "  removed_reason text,"
    "  created text COLLATE \"C\" NOT NULL,"
    "  modified text COLLATE \"C\" NOT NULL,"
    "  run_id bigint,"
    "  content_hash text NOT NULL,"
    "  fields text NOT NULL,"
    "  raw text NOT NULL,"
    "  stale text,"
    "  UNIQUE (definition, key));"
    "CREATE INDEX instance_by_status ON instance (definition, removed, status);"
    "CREATE INDEX instance_by_source ON instance (source, definition, removed);"
    "CREATE INDEX instance_active ON instance (definition, removed, key);"
    "CREATE INDEX instance_by_tmf_id ON instance (definition, ((raw::jsonb) ->> 'id'));"
    "CREATE INDEX instance_removed_since ON instance (modified) WHERE removed = 1;"
    "CREATE TABLE history ("
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  instance_id text COLLATE \"C\" NOT NULL,"
    "  run_id bigint,"
    "  time text COLLATE \"C\" NOT NULL,"
    "  field text COLLATE \"C\" NOT NULL,"
    "  before text,"
    "  after text,"
    "  actor text,"
    "  earlier_purged integer NOT NULL DEFAULT 0);"
    "CREATE INDEX history_by_field ON history (instance_id, field, time);"
    "CREATE INDEX history_by_time ON history (time);"
    "CREATE TABLE run ("
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  kind text NOT NULL,"
    "  started text NOT NULL,"
    "  ended text,"
    "  complete integer,"
    "  process text);"
    "CREATE TABLE run_source ("
    "  run_id bigint NOT NULL,"
    "  source text COLLATE \"C\" NOT NULL,"
    "  pages bigint, items bigint, created bigint, updated bigint, unchanged bigint,"
    "  removed bigint, dropped bigint, duplicates bigint, empty_keys bigint, excluded bigint,"
    "  rejected bigint, failed bigint, complete integer, error text, failed_pages text,"
    "  requests bigint NOT NULL DEFAULT 0, retries bigint NOT NULL DEFAULT 0, retries_by_status text,"
    "  token_fetches bigint NOT NULL DEFAULT 0, writes bigint NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run_id, source));"
    "CREATE TABLE report ("
    "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  run_id bigint,"
    "  source text,"
    "  kind text NOT NULL,"
    "  page bigint,"
    "  definition text,"
    "  key text,"
    "  item_id text,"
    "  field text,"
    "  reason text,"
    "  time text NOT NULL);"
    "CREATE INDEX report_by_kind ON report (kind, id);"
    "CREATE UNIQUE INDEX report_once ON report (source, kind, coalesce(definition, ''), coalesce(key, ''),"
    " coalesce(item_id, ''), coalesce(field, ''), coalesce(reason, ''));"
    "CREATE TABLE ref_pending (definition text COLLATE \"C\" NOT NULL, ref text COLLATE \"C\" NOT NULL,"
    " PRIMARY KEY (definition, ref));",
};
#define PG_SCHEMA_VERSION ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

/* The schema version into *version (0: a database without tmfinv's tables). */
static int schema_version(pg_store *s, int *version)
{
    PGresult *r = NULL;
    int rc = store_pg_query(s, "SELECT coalesce(max(version), 0) FROM tmfinv_schema", 0, NULL,
                            "reading the schema version", &r);

    if (rc < 0)
        return rc;
    *version = (int)store_pg_int(r, 0, 0);
    PQclear(r);
    if (*version > PG_SCHEMA_VERSION)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: schema version %d is newer than this tmfinv knows (%d)",
                                s->url, *version, PG_SCHEMA_VERSION);
    return 0;
}

/* The table that holds the schema version (and whose lock is the store's write lock). Two
 * processes creating it at the same moment can both pass IF NOT EXISTS, and one then fails on
 * the catalog's unique index (23505), finds the table (42P07) or its row type (42710) made: it
 * is there, try again. */
static int ensure_schema_table(pg_store *s)
{
    int rc = 0;

    for (int tries = 0; tries < 20; tries++) {
        PGresult *r = PQexec(s->conn, "CREATE TABLE IF NOT EXISTS tmfinv_schema (version integer NOT NULL)");
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

        if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            return 0;
        }
        if (!state || (strcmp(state, "23505") != 0 && strcmp(state, "42P07") != 0 && strcmp(state, "42710") != 0)) {
            rc = store_pg_fail(s, r, "creating the schema");
            PQclear(r);
            return rc;
        }
        PQclear(r);
        (void)usleep(10000);
    }
    return tmfinv_error_set(TMFINV_ESTORE, "store %s: creating the schema: another process kept creating it", s->url);
}

int store_pg_migrate(pg_store *s)
{
    char sql[96];
    int version = 0, rc, i = 0;

    if (!s->read_only && (rc = ensure_schema_table(s)) < 0)
        return rc;
    if ((rc = schema_version(s, &version)) < 0 || version == PG_SCHEMA_VERSION)
        return rc;
    if (s->read_only)
        return tmfinv_error_set(TMFINV_EREFUSED, "store %s is read-only (a standby) and at schema version %d; this"
                                " tmfinv needs %d: run it once on the primary", s->url, version, PG_SCHEMA_VERSION);
    /* One transaction under the schema table's ACCESS EXCLUSIVE lock, released at its end:
     * every other process starting now waits here, then finds the schema made. */
    if ((rc = store_pg_exec(s, "BEGIN", "migrating")) < 0)
        return rc;
    if ((rc = store_pg_exec(s, "LOCK TABLE tmfinv_schema IN ACCESS EXCLUSIVE MODE", "migrating")) < 0 ||
        (rc = schema_version(s, &version)) < 0 || version == PG_SCHEMA_VERSION) {
        (void)store_pg_exec(s, rc < 0 ? "ROLLBACK" : "COMMIT", NULL);
        return rc;
    }
    for (i = version; i < PG_SCHEMA_VERSION; i++)
        if ((rc = store_pg_exec(s, pg_migrations[i], "migrating")) < 0)
            goto out;
    (void)snprintf(sql, sizeof(sql), "DELETE FROM tmfinv_schema; INSERT INTO tmfinv_schema VALUES (%d)",
                   PG_SCHEMA_VERSION);
    rc = store_pg_exec(s, sql, "migrating");
out:
    if (rc < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        (void)store_pg_exec(s, "ROLLBACK", NULL);
        return tmfinv_error_set(TMFINV_ESTORE, "%s (migrating to schema version %d)", msg, i + 1);
    }
    return store_pg_exec(s, "COMMIT", "migrating");
}

/* ---- connecting -------------------------------------------------------------------------- */

static const char *const statement_sql[PG_COUNT] = {
    [PG_STATE] = "SELECT id, content_hash, removed, (stale IS NOT NULL)::int, (source = '" TMFINV_SOURCE_LOCAL "')::int"
                 " FROM instance WHERE definition = $1 AND key = $2",
    [PG_GET] = "SELECT id, definition, key, source, status, removed, removed_reason, created, modified, run_id,"
               " content_hash, fields, raw, stale FROM instance WHERE definition = $1 AND key = $2",
    [PG_PUT] = "INSERT INTO instance (id, definition, key, source, status, removed, removed_reason, created,"
               " modified, run_id, content_hash, fields, raw, stale) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
               " $10, $11, $12, $13, $14) ON CONFLICT (id) DO UPDATE SET definition = $2, key = $3, source = $4,"
               " status = $5, removed = $6, removed_reason = $7, created = $8, modified = $9, run_id = $10,"
               " content_hash = $11, fields = $12, raw = $13, stale = $14",
    [PG_HISTORY_ADD] = "INSERT INTO history (instance_id, run_id, time, field, before, after, actor)"
                       " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [PG_SEEN_MARK] = "INSERT INTO seen (definition, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [PG_REPORT_ADD] = "INSERT INTO report (run_id, source, kind, page, definition, key, item_id, field, reason, time)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    /* A TMF id is a JSON string (SQLite's json_extract(raw, '$.id') = ?3 never equals a number);
     * instance_by_tmf_id serves the lookup. */
    [PG_WRITTEN_BY_ID] = "SELECT 1 FROM instance WHERE definition = $1 AND (raw::jsonb) ->> 'id' = $3"
                         " AND jsonb_typeof((raw::jsonb) -> 'id') = 'string' AND key = $2",
    [PG_WRITTEN_BY_NO_ID] = "SELECT (jsonb_typeof((raw::jsonb) -> 'id') IS DISTINCT FROM 'string')::int FROM instance"
                            " WHERE definition = $1 AND key = $2",
    [PG_REF_ACTIVE] = "SELECT (EXISTS (SELECT 1 FROM instance WHERE definition = $1 AND key = $2 AND removed = 0)"
                      " OR EXISTS (SELECT 1 FROM instance WHERE definition = $1 AND (raw::jsonb) ->> 'id' = $2"
                      " AND jsonb_typeof((raw::jsonb) -> 'id') = 'string' AND removed = 0))::int",
};

/* libpq prints the server's notices ("relation ... already exists, skipping") on stderr by
 * default; library code never prints. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int store_pg_connect(pg_store *s)
{
    PGresult *r = NULL;
    char sql[96], msg[512];
    int rc;

    /* Defaults the URL may override (libpq: a later value wins, the URL comes last): a server
     * that does not answer fails the open in 10 s rather than the system's TCP timeout, and
     * the sessions are named in pg_stat_activity. */
    static const char *const keywords[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *values[] = {"10", "tmfinv", s->url, NULL};

    s->conn = PQconnectdbParams(keywords, values, 1);
    if (!s->conn)
        return tmfinv_error_set(TMFINV_ENOMEM, "store %s: out of memory", s->url);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        first_line(PQerrorMessage(s->conn), msg, sizeof(msg));
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: cannot connect: %s", s->url, msg);
    }
    (void)PQsetNoticeProcessor(s->conn, quiet_notice, NULL);
    if (PQsetClientEncoding(s->conn, "UTF8") != 0)
        return store_pg_fail(s, NULL, "setting the client encoding");
    /* The busy timeout: how long a statement waits for a lock another writer holds. */
    (void)snprintf(sql, sizeof(sql), "SET lock_timeout = %lld", (long long)s->busy_timeout_ms);
    if ((rc = store_pg_exec(s, sql, "setting the lock timeout")) < 0)
        return rc;
    if ((rc = store_pg_query(s, "SELECT pg_is_in_recovery()::int", 0, NULL, "connecting", &r)) < 0)
        return rc;
    s->read_only = store_pg_int(r, 0, 0) != 0;
    PQclear(r);
    if ((rc = store_pg_migrate(s)) < 0)
        return rc;
    /* The keys seen in this run (seen_mark, sweep): per connection, as SQLite's temp.seen. A
     * standby cannot create tables; it never syncs. */
    if (!s->read_only &&
        (rc = store_pg_exec(s, "CREATE TEMP TABLE IF NOT EXISTS seen (definition text COLLATE \"C\" NOT NULL,"
                               " key text COLLATE \"C\" NOT NULL, PRIMARY KEY (definition, key))",
                            "creating the table of keys seen")) < 0)
        return rc;
    for (int i = 0; i < PG_COUNT; i++) {
        char name[32];

        if (s->read_only && (i == PG_SEEN_MARK))
            continue;
        (void)snprintf(name, sizeof(name), "tmfinv_%d", i);
        r = PQprepare(s->conn, name, statement_sql[i], 0, NULL);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = store_pg_fail(s, r, "preparing statements");
            PQclear(r);
            return rc;
        }
        PQclear(r);
    }
    return 0;
}
