/* store_sqlite_int.h: what the files of the SQLite backend share (private to src/lib/store):
 * the handle, its prepared statements and the helpers that translate SQLite's errors.
 * store_sqlite.c: open, schema, migrations and the sync's writes; store_sqlite_conn.c: the
 * connection (read-write or read-only, busy waits, transactions, error messages);
 * store_sqlite_query.c: the CLI's queries; store_sqlite_om.c and store_sqlite_tmf.c: the
 * object-model and TMF API queries; store_sqlite_history.c: history, the changes feed and
 * retention. */
#ifndef TMFINV_STORE_SQLITE_INT_H
#define TMFINV_STORE_SQLITE_INT_H

#include "store_int.h"

#include "tmfinv_buf.h"

#include <sqlite3.h>

enum {
    ST_STATE,
    ST_GET,
    ST_PUT,
    ST_HISTORY_ADD,
    ST_SEEN_MARK,
    ST_REPORT_ADD,
    ST_DATA_VERSION,
    ST_WRITTEN_BY_ID,
    ST_WRITTEN_BY_NO_ID,
    ST_PUT_FIELDS,
    ST_COUNT
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
    int read_only;              /* opened for reading only: writes are refused */
    int last_code;              /* extended SQLite code of the last error translated */
    int64_t busy_timeout_ms;    /* longest wait for another writer's lock */
    int64_t busy_since_ms;      /* monotonic start of the current wait for a lock */
    int64_t busy_waited_ms;     /* how long the last wait lasted (for the message) */
    int64_t open_run;           /* a run begun on this handle and not ended yet, 0: none */
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *refs_st[4];   /* store_sqlite_refs.c's, prepared at first use */
    sqlite3_stmt *outbox_st[2]; /* store_sqlite_outbox.c's, prepared at first use */
    count_memo counts[COUNT_CACHE];
    unsigned next_count;        /* round-robin slot for the next memo */
} sqlite_store;

/* Sets and returns TMFINV_ESTORE with "store PATH: WHAT: sqlite's message", or for a
 * lock another writer held past the busy timeout "store PATH: waited N s for another
 * writer's lock ([store] busy_timeout = T s): WHAT", or TMFINV_EREFUSED when a read-only
 * store was asked to write. */
int store_sqlite_fail(sqlite_store *s, const char *what);

/* Runs SQL without results; TMFINV_ESTORE with the message on failure. */
int store_sqlite_exec(sqlite_store *s, const char *sql);

/* Sets and returns TMFINV_EREFUSED: "store PATH is read-only for this process ...: cannot WHAT". */
int store_sqlite_refuse(sqlite_store *s, const char *what);

/* ---- the connection (store_sqlite_conn.c) ---- */

typedef enum store_sqlite_mode {
    STORE_SQLITE_READ_WRITE,    /* the normal way: created when missing */
    STORE_SQLITE_READ_ONLY,     /* SQLite URI mode=ro: WAL with a -shm shared with writers */
    STORE_SQLITE_IMMUTABLE      /* mode=ro&immutable=1: no -shm can be made and no -wal exists */
} store_sqlite_mode;

/* Opens s->db on s->path in `mode`, with the busy handler (s->busy_timeout_ms) set. */
int store_sqlite_connect(sqlite_store *s, store_sqlite_mode mode);

/* Finalizes the prepared statements and closes s->db (both may be absent). */
void store_sqlite_disconnect(sqlite_store *s);

/* 1 when the last error of a connection opened in `tried` mode says that this process
 * may not write the store (and may read it), so that the next mode is worth a try. */
int store_sqlite_may_read_only(const sqlite_store *s, store_sqlite_mode tried);

/* The operations table's tx and read_only. */
int store_sqlite_tx(tmfinv_store *base, tmfinv_store_tx what);
int store_sqlite_read_only(const tmfinv_store *base);

/* Ends, incomplete, the run begun on this handle and not ended (none: nothing to do). */
int store_sqlite_end_open_run(sqlite_store *s);

/* "PID:START" for process `pid` (START: its start time in clock ticks since boot, -1 when
 * unknown) into buf; 1 when the process so named is alive (the same pid and start time). */
void store_sqlite_process_id(long pid, char *buf, size_t size);
int store_sqlite_process_alive(const char *process);

/* The prepared statement `which`, reset and with its bindings cleared. */
sqlite3_stmt *store_sqlite_stmt(sqlite_store *s, int which);

/* Binds `v` as text, or NULL when v is NULL (copied: SQLITE_TRANSIENT). */
void store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);

/* A malloc'd copy of column i, or NULL when it is NULL (or out of memory). */
char *store_sqlite_column_dup(sqlite3_stmt *st, int i);

/* Builds an instance from a row laid out as in ST_GET; the caller frees it with
 * tmfinv_instance_free(). */
int store_sqlite_row_instance(sqlite_store *s, sqlite3_stmt *st, tmfinv_instance **out);

/* Calls fn for each row of `st` (laid out as in ST_GET) as an instance; stops when fn
 * returns non-zero (that value is returned). Does not finalize `st`. */
int store_sqlite_each_instance(sqlite_store *s, sqlite3_stmt *st, int (*fn)(const tmfinv_instance *, void *),
                               void *ctx);

/* Appends the WHERE clause of q to sql and, when st is not NULL, binds its values. */
int store_sqlite_query_where(const tmfinv_query *q, tmfinv_buf *sql, sqlite3_stmt *st);

/* The operations table's query, count and summary (store_sqlite_query.c). */
int store_sqlite_query(tmfinv_store *base, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                       void *ctx);
int store_sqlite_count(tmfinv_store *base, const tmfinv_query *q, int64_t *count);
int store_sqlite_summary(tmfinv_store *base, int (*fn)(const cJSON *, void *), void *ctx);

/* Adds column i (JSON text) to o as parsed JSON under `name` (null when NULL). */
void store_sqlite_add_json_column(cJSON *o, const char *name, sqlite3_stmt *st, int i);

/* Adds column i to o as a string under `name` (null when NULL). */
void store_sqlite_add_text_column(cJSON *o, const char *name, sqlite3_stmt *st, int i);

/* One page of runs (all when id is 0), newest first, as store_int.h's runs_page. */
int store_sqlite_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                           int (*fn)(const cJSON *, void *), void *ctx);

/* The operations table's history_add and history (store_sqlite_history.c). */
int store_sqlite_history_add(tmfinv_store *base, const char *instance_id, int64_t run_id, const char *actor,
                             const char *time, const char *field, const char *before, const char *after);
int store_sqlite_history(tmfinv_store *base, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx);

extern const tmfinv_store_history_ops store_sqlite_history_ops; /* store_sqlite_history.c */
extern const tmfinv_store_om_ops store_sqlite_om_ops;   /* store_sqlite_om.c */
extern const tmfinv_store_tmf_ops store_sqlite_tmf_ops; /* store_sqlite_tmf.c */
extern const tmfinv_store_refs_ops store_sqlite_refs_ops; /* store_sqlite_refs.c */
extern const tmfinv_store_graph_ops store_sqlite_graph_ops; /* store_sqlite_graph.c */
extern const tmfinv_store_outbox_ops store_sqlite_outbox_ops; /* store_sqlite_outbox.c */

/* Brings the store to this tmfinv's schema version (store_sqlite_schema.c): the migrations
 * not yet applied, in one write transaction; refused on a read-only connection and on a store
 * of a newer version. */
int store_sqlite_migrate(sqlite_store *s);

#endif
