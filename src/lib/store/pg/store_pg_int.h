/* store_pg_int.h: what the files of the PostgreSQL backend share (private to src/lib/store/pg):
 * the handle, its prepared statements, statement parameters and the helpers that translate
 * libpq's errors. store_pg_conn.c: connecting, errors, transactions, the schema and its
 * migrations; store_pg.c: the sync's reads and writes, runs and reports; store_pg_batch.c:
 * a page's rows sent as multi-row statements; store_pg_query.c: the CLI's and the
 * object-model API's queries; store_pg_tmf.c: the TMF API's lists; store_pg_refs.c,
 * store_pg_history.c: references, the changes feed and retention; store_pg_notyet.c: the
 * operations not available yet (docs/postgresql.md).
 * The SQLite backend is the reference: every operation gives the same results. */
#ifndef TMFINV_STORE_PG_INT_H
#define TMFINV_STORE_PG_INT_H

#include "store_int.h"
#include "store_pg.h"

#include <libpq-fe.h>
#include <stdint.h>

/* The prepared statements (named "tmfinv_N", prepared once per connection after migrating). */
enum {
    PG_STATE,
    PG_GET,
    PG_PUT,
    PG_HISTORY_ADD,
    PG_SEEN_MARK,
    PG_REPORT_ADD,
    PG_WRITTEN_BY_ID,
    PG_WRITTEN_BY_NO_ID,
    PG_REF_ACTIVE,
    PG_COUNT
};

typedef struct pg_store {
    tmfinv_store base;
    PGconn *conn;
    char *url;                  /* the location as configured (never holds a password) */
    int read_only;              /* a standby (in recovery): writes are refused */
    int64_t busy_timeout_ms;    /* lock_timeout: longest wait for another writer's lock */
    int64_t open_run;           /* a run begun on this handle and not ended yet, 0: none */
    uint64_t writes;            /* statements that wrote through this handle (version()) */
    int in_write;               /* inside a write transaction: puts and history rows are batched */
    int batch_hold;             /* a statement that must not write the batch first (see below) */
    int reconnecting;           /* connecting again after a lost connection (store_pg_conn.c) */
    struct pg_batch *batch;     /* the pending rows (store_pg_batch.c) */
} pg_store;

/* Parameters of one statement, as text (libpq's text format; NULL: SQL NULL). */
typedef struct pg_args {
    const char **v;
    char **owned;               /* the texts this list made (numbers), freed with it */
    int n, cap;
    int failed;                 /* out of memory on the way */
} pg_args;

void store_pg_args_text(pg_args *a, const char *v);
void store_pg_args_copy(pg_args *a, const char *v); /* a copy the list owns */
void store_pg_args_int(pg_args *a, int64_t v);
void store_pg_args_double(pg_args *a, double v);
void store_pg_args_free(pg_args *a);

/* Sets and returns the error of a failed statement (r may be NULL: the connection's error):
 * TMFINV_ESTORE "store URL: WHAT: message", or for a lock not granted within the busy timeout
 * "store URL: waited N s for another writer's lock ([store] busy_timeout = T s): WHAT", or
 * TMFINV_EREFUSED on a read-only (standby) server. */
int store_pg_fail(pg_store *s, const PGresult *r, const char *what);

/* Runs `sql` with `a`'s parameters (a may be NULL), or the prepared statement `which` when sql
 * is NULL. On success returns 0 and *out (when out is not NULL: PQclear it), else the error. */
int store_pg_query(pg_store *s, const char *sql, int which, const pg_args *a, const char *what, PGresult **out);

/* Runs SQL without parameters or results. */
int store_pg_exec(pg_store *s, const char *sql, const char *what);

/* Sets and returns TMFINV_ERROR: "WHAT is not available on the PostgreSQL store yet". */
int store_pg_not_yet(const char *what);

/* Sets and returns TMFINV_EREFUSED for a write on a read-only (standby) server. */
int store_pg_refuse(pg_store *s, const char *what);

/* Batched writes (store_pg_batch.c). Every statement through store_pg_query() first writes
 * the pending rows, unless batch_hold is set: the reads by (definition, key) set it once
 * store_pg_batch_pending() said none of the pending rows is theirs (or after a flush). */
int store_pg_batch_put(pg_store *s, const char *const values[14]);
int store_pg_batch_history(pg_store *s, const char *const values[7]);
int store_pg_batch_pending(pg_store *s, const char *definition, const char *key);
int store_pg_batch_pending_ref(pg_store *s, const char *definition, const char *ref); /* by key or TMF id */
/* 1 when the instance (definition, key) is pending, its item's TMF id into *tmf_id (NULL: none). */
int store_pg_batch_tmf_id(pg_store *s, const char *definition, const char *key, const char **tmf_id);
/* Runs sql (or prepared statement `which` when sql is NULL) whose parameters begin with
 * (definition, key) and which reads nothing batched but that instance: the batch is written
 * first only when it holds that instance (by key, or by TMF id when by_ref). */
int store_pg_keyed(pg_store *s, const char *sql, int which, const pg_args *a, int by_ref, const char *what,
                   PGresult **out);
int store_pg_batch_flush(pg_store *s);
void store_pg_batch_forget(pg_store *s);
void store_pg_batch_free(pg_store *s);

/* Brings the database to this tmfinv's schema version (store_pg_conn.c). */
int store_pg_migrate(pg_store *s);

/* The operations table's tx and read_only (store_pg_conn.c). */
int store_pg_tx(tmfinv_store *base, tmfinv_store_tx what);
int store_pg_read_only(const tmfinv_store *base);

/* Connects to s->url and makes the connection ready: settings, schema, temporary tables,
 * prepared statements. */
int store_pg_connect(pg_store *s);

/* Ends, incomplete, the run begun on this handle and not ended (none: nothing to do). */
int store_pg_end_open_run(pg_store *s);

/* Column c of row r, NULL when SQL NULL; and as a number (0 when NULL). */
const char *store_pg_text(const PGresult *r, int row, int c);
int64_t store_pg_int(const PGresult *r, int row, int c);

/* An instance from row `row` of r laid out as PG_GET's columns (free with tmfinv_instance_free). */
int store_pg_row_instance(pg_store *s, const PGresult *r, int row, tmfinv_instance **out);

/* Adds column c of row `row` to o under name: as text or null; parsed JSON (text when it does not parse). */
void store_pg_add_text(cJSON *o, const char *name, const PGresult *r, int row, int c);
void store_pg_add_json(cJSON *o, const char *name, const PGresult *r, int row, int c);

/* "PID:START" of this process and whether such a process is alive here (runs' `running`). */
void store_pg_process_id(char *buf, size_t size);
int store_pg_process_alive(const char *process);

/* The CLI's queries and the tables of operations (store_pg_query.c). */
int store_pg_query_instances(tmfinv_store *base, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *),
                             void *ctx);
int store_pg_count(tmfinv_store *base, const tmfinv_query *q, int64_t *count);
int store_pg_summary(tmfinv_store *base, int (*fn)(const cJSON *, void *), void *ctx);
int store_pg_runs_page(tmfinv_store *base, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                       int (*fn)(const cJSON *, void *), void *ctx);
int store_pg_tmf_find(tmfinv_store *base, const char *const *definitions, size_t n_definitions, const char *tmf_id,
                      int include_removed, tmfinv_instance **out);
int store_pg_state_local(tmfinv_store *base, const char *definition, const char *key, char *id, char *hash,
                         int *removed, int *stale, int *local);
int store_pg_changes(tmfinv_store *base, const tmfinv_changes_query *q, int64_t *total,
                     int (*fn)(const cJSON *, void *), void *ctx); /* store_pg_history.c */
int store_pg_purge_step(tmfinv_store *base, tmfinv_purge *p, int *done);
int store_pg_purge_count(tmfinv_store *base, tmfinv_purge *p);
extern const tmfinv_store_om_ops store_pg_om_ops;
extern const tmfinv_store_tmf_ops store_pg_tmf_ops;
extern const tmfinv_store_refs_ops store_pg_refs_ops;
extern const tmfinv_store_history_ops store_pg_history_ops;
extern const tmfinv_store_graph_ops store_pg_graph_ops;
extern const tmfinv_store_outbox_ops store_pg_outbox_ops;


#endif
