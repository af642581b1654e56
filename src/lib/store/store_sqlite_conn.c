/* store_sqlite_conn.c: the SQLite backend's connection. Opening read-write or, when this
 * process may only read the store, read-only; waiting for another writer's lock up to the
 * busy timeout (and saying how long it waited when that is not enough); transactions;
 * ending a run its caller left open; and the translation of SQLite's errors into one-line
 * messages that name the store. */
#include "store_sqlite_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------------------------ */

/* The message of `code` (an extended SQLite result code) for WHAT, set as the last error. */
static int sqlite_error(sqlite_store *s, int code, const char *what, const char *message)
{
    int primary = code & 0xff;

    s->last_code = code;
    if (code == SQLITE_BUSY_SNAPSHOT)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: another writer changed the store during this"
                                " read transaction", s->path, what ? what : "writing");
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        double waited = (double)(s->busy_waited_ms > 0 ? s->busy_waited_ms : s->busy_timeout_ms) / 1000.0;

        s->busy_waited_ms = 0;
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: waited %.1f s for another writer's lock ([store]"
                                " busy_timeout = %g s)%s%s", s->path, waited, (double)s->busy_timeout_ms / 1000.0,
                                what ? ": " : "", what ? what : "");
    }
    if (s->read_only && (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM))
        return store_sqlite_refuse(s, what ? what : "write");
    if (what)
        return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s: %s", s->path, what, message);
    return tmfinv_error_set(TMFINV_ESTORE, "store %s: %s", s->path, message);
}

int store_sqlite_fail(sqlite_store *s, const char *what)
{
    return sqlite_error(s, sqlite3_extended_errcode(s->db), what, sqlite3_errmsg(s->db));
}

int store_sqlite_refuse(sqlite_store *s, const char *what)
{
    return tmfinv_error_set(TMFINV_EREFUSED, "store %s is read-only for this process (no write access to the"
                            " file or its directory): cannot %s", s->path, what);
}

/* Runs `sql` (no results); on failure the message says `what` (NULL: SQLite's message). */
static int exec_as(sqlite_store *s, const char *sql, const char *what)
{
    char *err = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        int rc = sqlite_error(s, sqlite3_extended_errcode(s->db), what, err ? err : sqlite3_errmsg(s->db));

        sqlite3_free(err);
        return rc;
    }
    return 0;
}

int store_sqlite_exec(sqlite_store *s, const char *sql)
{
    return exec_as(s, sql, NULL);
}

/* ---- waiting for a lock ------------------------------------------------------------------ */

/* SQLite's busy handler: called while another connection holds a lock this one needs
 * (`count`: calls so far for this lock). Sleeps a little longer each time, up to the busy
 * timeout in all; returns 0 (give up: SQLITE_BUSY) once that has passed. Our own
 * handler rather than sqlite3_busy_timeout() so that the message can say how long. */
static int busy_wait(void *ctx, int count)
{
    static const int delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    sqlite_store *s = ctx;
    int64_t now = tmfinv_time_monotonic_ms(), left;
    int delay;

    if (count == 0)
        s->busy_since_ms = now;
    s->busy_waited_ms = now - s->busy_since_ms;
    left = s->busy_timeout_ms - s->busy_waited_ms;
    if (left <= 0)
        return 0;
    delay = count < (int)(sizeof(delays_ms) / sizeof(delays_ms[0])) ? delays_ms[count] : 100;
    (void)sqlite3_sleep(delay < left ? delay : (int)left);
    return 1;
}

/* ---- opening ----------------------------------------------------------------------------- */

/* "file:PATH?QUERY" with PATH percent-encoded where a URI needs it; NULL when out of memory. */
static char *file_uri(const char *path, const char *query)
{
    tmfinv_buf b;

    tmfinv_buf_init(&b, 3 * strlen(path) + strlen(query) + 16);
    if (tmfinv_buf_puts(&b, "file:") < 0)
        goto fail;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("/-._~", *p);

        if ((plain ? tmfinv_buf_append(&b, (const char *)p, 1) : tmfinv_buf_printf(&b, "%%%02X", *p)) < 0)
            goto fail;
    }
    if (tmfinv_buf_printf(&b, "?%s", query) < 0)
        goto fail;
    return tmfinv_buf_steal(&b);
fail:
    tmfinv_buf_free(&b);
    return NULL;
}

int store_sqlite_connect(sqlite_store *s, store_sqlite_mode mode)
{
    static const char *const queries[] = {[STORE_SQLITE_READ_ONLY] = "mode=ro",
                                          [STORE_SQLITE_IMMUTABLE] = "mode=ro&immutable=1"};
    char *uri = NULL;
    int rc = 0;

    if (mode == STORE_SQLITE_READ_WRITE) {
        rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    } else {
        if (!(uri = file_uri(s->path, queries[mode])))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
        free(uri);
    }
    if (rc != SQLITE_OK)
        return s->db ? store_sqlite_fail(s, "cannot open")
                     : tmfinv_error_set(TMFINV_ENOMEM, "store %s: out of memory", s->path);
    (void)sqlite3_extended_result_codes(s->db, 1);
    (void)sqlite3_busy_handler(s->db, busy_wait, s);
    s->read_only = mode != STORE_SQLITE_READ_WRITE;
    return 0;
}

void store_sqlite_disconnect(sqlite_store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    for (size_t i = 0; i < sizeof(s->refs_st) / sizeof(s->refs_st[0]); i++) {
        sqlite3_finalize(s->refs_st[i]);
        s->refs_st[i] = NULL;
    }
    for (int i = 0; i < 2; i++) {
        sqlite3_finalize(s->outbox_st[i]);
        s->outbox_st[i] = NULL;
    }
    sqlite3_close(s->db);
    s->db = NULL;
}

int store_sqlite_may_read_only(const sqlite_store *s, store_sqlite_mode tried)
{
    int primary = s->last_code & 0xff;
    struct stat st;
    tmfinv_buf wal;
    int ok;

    if (primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN && primary != SQLITE_PERM)
        return 0;
    if (tried == STORE_SQLITE_READ_WRITE)
        return access(s->path, R_OK) == 0; /* an existing file we may read */
    if (tried != STORE_SQLITE_READ_ONLY)
        return 0;
    /* Read-only without a -shm we may create: only immutable works, and only when no
     * -wal holds commits the file lacks (a writer would keep its -wal while it runs). */
    tmfinv_buf_init(&wal, strlen(s->path) + 8);
    ok = tmfinv_buf_printf(&wal, "%s-wal", s->path) == 0 && (stat(wal.data, &st) != 0 || st.st_size == 0);
    tmfinv_buf_free(&wal);
    return ok;
}

/* ---- transactions and runs --------------------------------------------------------------- */

int store_sqlite_tx(tmfinv_store *base, tmfinv_store_tx what)
{
    sqlite_store *s = (sqlite_store *)base;

    switch (what) {
    case TMFINV_TX_READ:
        return exec_as(s, "BEGIN", "starting a read transaction");
    case TMFINV_TX_WRITE:
        /* IMMEDIATE: the write lock now, waiting for it here, rather than at the first
         * write of a transaction that has already read: that upgrade cannot wait (the
         * snapshot it read may be stale) and fails at once with "database is locked". */
        if (s->read_only)
            return store_sqlite_refuse(s, "start a write transaction");
        return exec_as(s, "BEGIN IMMEDIATE", "starting a write transaction");
    case TMFINV_TX_COMMIT:
        return exec_as(s, "COMMIT", "committing");
    case TMFINV_TX_ROLLBACK:
        return exec_as(s, "ROLLBACK", "rolling back");
    }
    return tmfinv_error_set(TMFINV_ERROR, "store %s: unknown transaction request", s->path);
}

int store_sqlite_read_only(const tmfinv_store *base)
{
    return ((const sqlite_store *)base)->read_only;
}

int store_sqlite_end_open_run(sqlite_store *s)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    int rc = 0;

    if (!s->open_run || !s->db)
        return 0;
    /* A run is never left "not ended": whoever began it failed before ending it (a lock
     * held past the busy timeout, an error), so it ends here, incomplete. */
    tmfinv_time_now(now, sizeof(now));
    if (sqlite3_get_autocommit(s->db) == 0)
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(s->db, "UPDATE run SET ended = ?2, complete = 0 WHERE id = ?1 AND ended IS NULL", -1, &st,
                           NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "ending an unfinished run");
    sqlite3_bind_int64(st, 1, s->open_run);
    store_sqlite_bind_text(st, 2, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "ending an unfinished run");
    else
        s->open_run = 0;
    sqlite3_finalize(st);
    return rc;
}
