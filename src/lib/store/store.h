/* store.h: the narrow interface between tmfinv and its storage.
 *
 * Everything the sync engine and the CLI keep goes through these functions: instances
 * (with their field values, the source JSON and a content hash), field history, sync
 * runs and their per-source figures, and reports of skipped or rejected items. The
 * SQLite implementation (store_sqlite.c) is the default; a PostgreSQL one fills the
 * same operations table (store_int.h). All functions return 0 or a negative
 * TMFINV_E* code with a message (tmfinv_error_last()). */
#ifndef TMFINV_STORE_H
#define TMFINV_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tmfinv_store tmfinv_store;

typedef struct tmfinv_instance {
    char id[40];            /* UUID */
    char *definition;
    char *key;
    char *source;           /* the source that last wrote it */
    char *status;           /* value of the definition's status field, NULL when none */
    int removed;            /* 1: soft-removed (kept with its data) */
    char *removed_reason;
    char created[32];
    char modified[32];
    int64_t run_id;         /* the run that last changed it */
    char content_hash[65];  /* SHA-256 of `raw` */
    cJSON *fields;          /* field name to value; owned */
    char *raw;              /* the item as the source sent it (JSON text) */
    char *stale;            /* NULL: current; else why the source's last version of it could not be
                             * stored (rejected), so this one is no longer what the source says */
} tmfinv_instance;

/* Frees an instance returned by the store (NULL is fine). */
void tmfinv_instance_free(tmfinv_instance *inst);

/* The instance as JSON, the shape shared by `show --json`, `query --json` and /api/v1:
 * {id, definition, key, status, removed, removedReason?, stale, staleReason?, source,
 * created, modified, fields}. New object (cJSON_Delete it), NULL when out of memory. */
cJSON *tmfinv_instance_json(const tmfinv_instance *inst);

/* A filter on a field: `value` (typed JSON, borrowed) equals the field's value, or is
 * an element of it for list fields. Field "status" and "key" use the columns. */
typedef struct tmfinv_where {
    const char *field;
    const cJSON *value;
    int is_list;
} tmfinv_where;

typedef struct tmfinv_query {
    const char *definition;     /* NULL: any */
    const char *key;            /* NULL: any */
    const char *key_prefix;     /* keys starting with these bytes (a range of the key index); NULL: any */
    const char *id;             /* NULL: any */
    const tmfinv_where *where;
    size_t n_where;
    int include_removed;
    int64_t limit;              /* 0: no limit */
    int64_t offset;
} tmfinv_query;

/* Per-source figures of one sync run. */
typedef struct tmfinv_run_source {
    const char *source;
    int64_t pages, items, created, updated, unchanged, removed, dropped, duplicates, empty_keys, excluded,
        rejected, failed;
    int64_t requests;           /* HTTP requests, tries included */
    int64_t retries;            /* requests that were tries again */
    int64_t retries_by_status[6]; /* 429, 500, 502, 503, 504, other */
    int64_t token_fetches;      /* OAuth2 tokens fetched */
    int64_t writes;             /* rows written for instances, history and reports */
    int complete;
    const char *error;          /* why the source stopped, NULL when it did not */
    cJSON *failed_pages;        /* array of {page, url, status, error}; borrowed */
} tmfinv_run_source;

/* A report of an item that was not stored as sent. */
typedef struct tmfinv_report {
    int64_t run_id;
    const char *source;
    const char *kind;           /* "rejected", "duplicate", "empty_key", "unknown_value" */
    int64_t page;
    const char *definition;
    const char *key;
    const char *item_id;        /* the item's TMF id, when it has one */
    const char *field;
    const char *reason;
} tmfinv_report;

/* How a store is opened. */
typedef struct tmfinv_store_options {
    int64_t busy_timeout_ms;    /* longest wait for another writer's lock; 0: the default */
} tmfinv_store_options;

#define TMFINV_STORE_BUSY_TIMEOUT_MS 30000 /* [store] busy_timeout's default */

/* Opens (creating and migrating when needed) the store at `location`: a file path
 * for SQLite. `opt` may be NULL (defaults). Fails with TMFINV_ESTORE naming the file
 * and the problem.
 *
 * A store the process may only read (file, directory or file system read-only) is
 * opened read-only: every reading function works, and every write, write transaction
 * and run fails with TMFINV_EREFUSED and a one-line message naming the store. A
 * read-only store must already be at this tmfinv's schema version. */
int tmfinv_store_open_with(const char *location, const tmfinv_store_options *opt, tmfinv_store **out);
int tmfinv_store_open(const char *location, tmfinv_store **out); /* with the defaults */
void tmfinv_store_close(tmfinv_store *s);

/* 1 when the store was opened read-only (see tmfinv_store_open_with). */
int tmfinv_store_read_only(const tmfinv_store *s);

/* Transactions. tmfinv_store_begin() starts a WRITE transaction: it takes the write lock
 * at once (SQLite: BEGIN IMMEDIATE), waiting while another connection or process writes,
 * so that a transaction that reads then writes can never fail half-way on a concurrent
 * writer. A lock held by another writer past the busy timeout fails with TMFINV_ESTORE:
 * "store PATH: waited N s for another writer's lock ([store] busy_timeout = T s): WHAT".
 * Every function that writes outside a transaction waits the same way.
 * tmfinv_store_begin_read() starts a READ transaction: a snapshot that sees no write
 * committed after it began and never waits for writers (WAL); do not write in it. */
int tmfinv_store_begin(tmfinv_store *s);
int tmfinv_store_begin_read(tmfinv_store *s);
int tmfinv_store_commit(tmfinv_store *s);
int tmfinv_store_rollback(tmfinv_store *s);

/* Reads the instance of `definition` with `key` into *out (free with
 * tmfinv_instance_free()); TMFINV_ENOTFOUND when there is none. */
int tmfinv_store_get(tmfinv_store *s, const char *definition, const char *key, tmfinv_instance **out);

/* Reads only what decides whether an item changed: the instance's id (at least 40
 * bytes), content hash (65 bytes), removed flag and whether it is stale (`stale` may be
 * NULL). TMFINV_ENOTFOUND when none. */
int tmfinv_store_state(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                       int *removed, int *stale);

/* The source name of instances owned by tmfinv itself, created through the TMF API
 * (POST): no source can be called so (source names are letters, digits, '-', '_', '.'),
 * so no sync ever writes or sweeps them (docs/object-model.md, "Local instances"). */
#define TMFINV_SOURCE_LOCAL "@local"

/* tmfinv_store_state(), and *local = 1 when the instance is owned by tmfinv (source
 * TMFINV_SOURCE_LOCAL), 0 when a source wrote it; one read, for the sync's every item. */
int tmfinv_store_state_local(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                             int *removed, int *stale, int *local);

/* Inserts or replaces an instance (identified by its id). */
int tmfinv_store_put(tmfinv_store *s, const tmfinv_instance *inst);

/* Like tmfinv_store_put() for an existing instance of which only `fields`, `modified` and
 * `run_id` changed (the re-evaluation of references): the rest of its row, and the indexes
 * over it, are left as they are. */
int tmfinv_store_put_fields(tmfinv_store *s, const tmfinv_instance *inst);

/* Records a change of `field` of an instance: before/after as JSON text (NULL: absent). */
int tmfinv_store_history_add(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *time,
                             const char *field, const char *before, const char *after);

/* Records a change made by someone rather than by a sync run: `actor` says who
 * ("cli:USER" for `tmfinv set`, "api:TOKEN-NAME" for PATCH; never a secret), run_id is 0.
 * tmfinv_store_history_add() records a run's change (no actor). */
int tmfinv_store_history_add_by(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *actor,
                                const char *time, const char *field, const char *before, const char *after);

/* Calls fn for each history entry of an instance, oldest first, as a JSON object
 * {run, time, field, before, after, actor} (actor null for a run's change). */
int tmfinv_store_history(tmfinv_store *s, const char *instance_id, int (*fn)(const cJSON *entry, void *ctx),
                         void *ctx);

/* ---- the changes feed, timelines and retention (history.c, store_sqlite_history.c) ---- */

/* Which changes (history rows) to list; every filter is AND-ed. */
typedef struct tmfinv_changes_query {
    int64_t after;              /* only changes whose id is above this (a cursor); 0: from the first */
    const char *since;          /* only changes at or after this time, in the stored form
                                 * (tmfinv_store_parse_time()); NULL: any */
    int64_t since_run;          /* only changes recorded since run N began; 0: any */
    const char *definition;     /* NULL: any */
    const char *field;          /* NULL: any */
    const char *instance_id;    /* NULL: any */
    int64_t offset;
    int64_t limit;              /* 0: no limit */
} tmfinv_changes_query;

/* The changes matching q, oldest first (by id, the order they were recorded in): their
 * count (offset and limit ignored) into *total unless total is NULL, then fn for each of
 * the page as {id, instance, key, definition, field, before, after, time, run, actor}
 * (run null for a change made by `set` or PATCH, actor null for a run's; before and after
 * JSON values, null when absent) plus `earlierPurged: true` on the oldest change kept of a
 * field whose older changes retention purged. fn returns non-zero to stop (returned).
 * since_run naming no run fails with TMFINV_ENOTFOUND. Run it in a read transaction so
 * that the count and the page agree. */
int tmfinv_store_changes(tmfinv_store *s, const tmfinv_changes_query *q, int64_t *total,
                         int (*fn)(const cJSON *change, void *ctx), void *ctx);

/* Reads a time given by a user into the stored form "YYYY-MM-DDTHH:MM:SS.mmmZ" (out: at
 * least 32 bytes): an RFC 3339 date-time (any offset), a date YYYY-MM-DD (midnight UTC),
 * or an age N followed by s, m, h or d ("90m": 90 minutes ago). TMFINV_EINVALID otherwise. */
int tmfinv_store_parse_time(const char *text, char *out);

/* The timeline of one field of `inst` ("@removed" and "@stale" too): the intervals of its
 * value, oldest first, from its history, as {instance, definition, key, field, complete,
 * intervals: [{value, from, to}]} (*out: new, cJSON_Delete it). The first interval starts
 * when the instance was created; the last one has `to` null. When retention purged older
 * changes of the field, the timeline starts at the oldest change kept and `complete` is
 * false. */
int tmfinv_store_timeline(tmfinv_store *s, const tmfinv_instance *inst, const char *field, cJSON **out);

#define TMFINV_PURGE_BATCH 1000 /* rows at most per purge transaction */

/* A purge of what retention no longer keeps, done in small transactions: instances removed
 * (and not written since) before `removed_before`, with all their history; history rows
 * older than `history_before`, except the newest of them for each instance and field (so
 * that each timeline still starts with the value the field had then). */
typedef struct tmfinv_purge {
    char history_before[32];    /* stored time form */
    char removed_before[32];
    int64_t batch;              /* rows at most per transaction */
    int64_t instances;          /* removed instances purged (or that would be: count) */
    int64_t instance_changes;   /* ... and their history rows */
    int64_t changes;            /* other history rows purged */
    int64_t transactions;
    int phase;                  /* private to the backend: where the purge is */
    char cursor_time[32];
    int64_t cursor_id;
} tmfinv_purge;

/* Prepares a purge for [store] history_days and removed_days (both >= 1) from now. */
void tmfinv_store_purge_init(tmfinv_purge *p, int history_days, int removed_days);

/* One transaction of the purge (at most p->batch rows); *done is 1 once nothing is left.
 * Another writer (a sync) waits for one small transaction at most. */
int tmfinv_store_purge_step(tmfinv_store *s, tmfinv_purge *p, int *done);

/* What the purge would remove, without removing it, into p's counts. */
int tmfinv_store_purge_count(tmfinv_store *s, tmfinv_purge *p);

/* Forgets the keys seen so far (start of a run). */
int tmfinv_store_seen_reset(tmfinv_store *s);

/* Marks `key` of `definition` seen in this run; *first is 1 when it was not seen before. */
int tmfinv_store_seen_mark(tmfinv_store *s, const char *definition, const char *key, int *first);

/* Marks removed every active instance of `definition` written by `source` whose key
 * was not seen in this run, recording the change. The count goes to *removed. */
int tmfinv_store_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id,
                       const char *time, int64_t *removed);

/* What tmfinv_store_sweep() would do, without doing it: the active instances of
 * `definition` written by `source` into *active, and how many of them were not seen in
 * this run (would be removed) into *unseen. */
int tmfinv_store_sweep_count(tmfinv_store *s, const char *source, const char *definition, int64_t *active,
                             int64_t *unseen);

/* Whether the instance of `definition` with `key` was last written by the item whose
 * TMF id is `tmf_id` (NULL: an item without a text id): *same is 1 when it was, 0 when
 * another item wrote it. TMFINV_ENOTFOUND when there is no such instance. */
int tmfinv_store_written_by(tmfinv_store *s, const char *definition, const char *key, const char *tmf_id,
                            int *same);

/* Calls fn for every instance matching q, ordered by definition then key. fn returns
 * non-zero to stop (that value is returned). The instance is borrowed. */
int tmfinv_store_query(tmfinv_store *s, const tmfinv_query *q, int (*fn)(const tmfinv_instance *inst, void *ctx),
                       void *ctx);

/* Counts the instances matching q. */
int tmfinv_store_count(tmfinv_store *s, const tmfinv_query *q, int64_t *count);

/* Calls fn once per (definition, status, removed) group with its instance count, as
 * {definition, status, removed, count, stale} (stale: how many of them are stale),
 * ordered by definition, removed, status. */
int tmfinv_store_summary(tmfinv_store *s, int (*fn)(const cJSON *group, void *ctx), void *ctx);

/* A value that changes whenever the store's content may have changed, by this
 * connection or another one (SQLite: data_version and total_changes); for caches. */
int tmfinv_store_version(tmfinv_store *s, uint64_t version[2]);

/* Starts a run record; its id goes to *run_id. */
int tmfinv_store_run_begin(tmfinv_store *s, const char *started, const char *kind, int64_t *run_id);

/* Ends a run record. */
int tmfinv_store_run_end(tmfinv_store *s, int64_t run_id, const char *ended, int complete);

/* Writes (inserts or replaces) the figures of one source in a run. */
int tmfinv_store_run_source_put(tmfinv_store *s, int64_t run_id, const tmfinv_run_source *rs);

/* Calls fn for each run, newest first (at most `limit`, 0 for all), as a JSON object
 * {id, started, ended, complete, kind, sources: [...]}. */
int tmfinv_store_runs(tmfinv_store *s, int64_t limit, int (*fn)(const cJSON *run, void *ctx), void *ctx);

/* Adds a report unless the same one (source, kind, definition, key, item, field,
 * reason) is already there; *added tells which (may be NULL). */
int tmfinv_store_report_add(tmfinv_store *s, const tmfinv_report *r, const char *time, int *added);

/* Calls fn for each report of `kind` (NULL: all kinds), oldest first, as a JSON object. */
int tmfinv_store_reports(tmfinv_store *s, const char *kind, int (*fn)(const cJSON *report, void *ctx), void *ctx);

/* ---- object-model API queries (api_om.c) ---- */

/* One sort key of an instance list: "key", "status", "created", "modified", "id",
 * "source", or the name of a field (letters, digits and '_' only). */
typedef struct tmfinv_instances_sort {
    const char *field;
    int descending;
} tmfinv_instances_sort;

enum { TMFINV_REMOVED_NO = 0, TMFINV_REMOVED_ONLY = 1, TMFINV_REMOVED_ANY = -1 };

/* A page of instances: the filters of `q` (definition, key, id, where, offset, limit;
 * limit 0: no limit; q.include_removed is ignored), which instances by their removed
 * flag, and the order (then by definition and key, so that pages are stable). */
typedef struct tmfinv_instances_page_query {
    tmfinv_query q;
    int removed;                        /* TMFINV_REMOVED_* */
    const tmfinv_instances_sort *sort;  /* borrowed */
    size_t n_sort;
    int64_t count_cap;                  /* > 0: count at most count_cap + 1 matches */
} tmfinv_instances_page_query;

/* Counts the instances matching pq (ignoring offset and limit) into *total, then calls
 * fn for each instance of the page, in order; fn returns non-zero to stop (that value
 * is returned). The instance is borrowed. A bad sort field fails with TMFINV_EINVALID.
 * With pq->count_cap > 0 the count stops at count_cap + 1 (*total > count_cap: more than
 * count_cap match). Ties of the sort keys are ordered by definition and key in the
 * direction of the last sort key (so that one index serves "-modified"). Run it inside a
 * transaction so that the count and the page agree. */
int tmfinv_store_instances_page(tmfinv_store *s, const tmfinv_instances_page_query *pq, int64_t *total,
                                int (*fn)(const tmfinv_instance *inst, void *ctx), void *ctx);

/* A field of a definition the dashboard's table sorts and filters on (a column). */
typedef struct tmfinv_store_column {
    const char *definition;
    const char *field;              /* letters, digits and '_' only */
} tmfinv_store_column;

/* Makes the store's indexes of table columns exactly `cols`: creates the missing ones and
 * drops those of columns no longer listed, in one write transaction (at 1M instances a new
 * index takes seconds: it reads every row). *created and *dropped (either may be NULL) get
 * how many. A backend without such indexes does nothing. */
int tmfinv_store_table_indexes(tmfinv_store *s, const tmfinv_store_column *cols, size_t n, int *created,
                               int *dropped);

/* Reports of `kind` (NULL: all kinds), oldest first: the count into *total, then fn for
 * each of the page [offset, offset + limit) (limit 0: no limit), as tmfinv_store_reports(). */
int tmfinv_store_reports_page(tmfinv_store *s, const char *kind, int64_t offset, int64_t limit, int64_t *total,
                              int (*fn)(const cJSON *report, void *ctx), void *ctx);

/* Runs newest first (only run `id` when id > 0): the count into *total, then fn for each
 * of the page, each as tmfinv_store_runs() gives it. */
int tmfinv_store_runs_page(tmfinv_store *s, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                           int (*fn)(const cJSON *run, void *ctx), void *ctx);

/* The figures of one source summed over every run that scanned it (for /metrics). */
typedef struct tmfinv_source_totals {
    char *source;
    int64_t runs_complete;      /* finished runs in which the source was complete */
    int64_t runs_incomplete;    /* ... incomplete because of failed pages only */
    int64_t runs_error;         /* ... incomplete with an error (source stopped, scan not trusted) */
    int64_t pages, items, created, updated, unchanged, removed, dropped, duplicates, empty_keys, excluded,
        rejected, failed_pages, requests, retries;
    int64_t retries_by_status[6]; /* 429, 500, 502, 503, 504, other */
    double last_success_unix;   /* end of the last finished run in which it was complete; 0: never */
    double last_duration_s;     /* duration of the last finished run that scanned it; -1: none */
} tmfinv_source_totals;

/* Sums the figures of every source in the store, in SQL (one row per source). On
 * success *out is a new array of *n entries ordered by source name (free with
 * tmfinv_source_totals_free()). */
int tmfinv_store_source_totals(tmfinv_store *s, tmfinv_source_totals **out, size_t *n);
void tmfinv_source_totals_free(tmfinv_source_totals *totals, size_t n);

/* The end of the newest complete run, as Unix seconds into *unix_seconds (0: none). Also
 * the check that the store answers (/readyz). */
int tmfinv_store_last_complete(tmfinv_store *s, double *unix_seconds);

/* ---- TMF API queries (api_tmf.c) ---- */

/* Comparison of a TMF attribute filter. */
typedef enum tmfinv_tmf_op {
    TMFINV_TMF_EQ,  /* attr=v, attr.eq=v */
    TMFINV_TMF_GT,  /* attr.gt=v */
    TMFINV_TMF_GTE, /* attr.gte=v */
    TMFINV_TMF_LT,  /* attr.lt=v */
    TMFINV_TMF_LTE  /* attr.lte=v */
} tmfinv_tmf_op;

/* One filter on the items of a TMF collection (the `raw` JSON as the source sent it).
 * `path` is a dotted attribute path whose steps match [A-Za-z@_][A-Za-z0-9@_]* (the
 * caller validates it; the store refuses anything else with TMFINV_EINVALID). Through
 * arrays on the way and at the end, any element may match. The filter holds when any
 * of `values` compares true: EQ compares strings exactly, numbers numerically (when the
 * value is a number) and booleans with "true"/"false"; the ordering operators compare
 * RFC 3339 date-times as instants (when the value is one), else numbers numerically
 * (when the value is a number), else strings by their bytes. */
typedef struct tmfinv_tmf_filter {
    const char *path;
    tmfinv_tmf_op op;
    int on_status;              /* EQ on the stored status column instead of `path` */
    const char *const *values;  /* borrowed; OR-ed */
    size_t n_values;
} tmfinv_tmf_filter;

/* One sort key: the value at `path` (objects only; an array on the way gives none), or
 * the stored status column. Missing values sort first ascending. */
typedef struct tmfinv_tmf_sort {
    const char *path;
    int descending;
    int on_status;
} tmfinv_tmf_sort;

typedef struct tmfinv_tmf_query {
    const char *const *definitions; /* the collection: instances of these definitions */
    size_t n_definitions;
    const tmfinv_tmf_filter *filters; /* AND-ed */
    size_t n_filters;
    const tmfinv_tmf_sort *sort;    /* then by definition and key, the index order */
    size_t n_sort;
    int include_removed;
    int64_t offset;
    int64_t limit;                  /* 0: no limit */
} tmfinv_tmf_query;

/* Counts the instances matching q (offset and limit ignored) into *count. */
int tmfinv_store_tmf_count(tmfinv_store *s, const tmfinv_tmf_query *q, int64_t *count);

/* Calls fn for each instance of the page of q, in order; fn returns non-zero to stop
 * (that value is returned). The instance is borrowed. Run it and the count in one
 * transaction (tmfinv_store_begin) so that both see the same snapshot. */
int tmfinv_store_tmf_list(tmfinv_store *s, const tmfinv_tmf_query *q,
                          int (*fn)(const tmfinv_instance *inst, void *ctx), void *ctx);

/* Reads the instance of one of `definitions` whose item has TMF id `tmf_id` (the `id`
 * inside raw, compared as text), removed ones only when include_removed; the first
 * by definition and key when several do. *out as tmfinv_store_get(); TMFINV_ENOTFOUND
 * when none. A scan of the definitions' rows: try the instance UUID and the key first. */
int tmfinv_store_tmf_find(tmfinv_store *s, const char *const *definitions, size_t n_definitions,
                          const char *tmf_id, int include_removed, tmfinv_instance **out);

/* The same as tmfinv_store_begin() (a write transaction), named for callers that also
 * start read transactions. */
int tmfinv_store_begin_write(tmfinv_store *s);

/* ---- references restricted to active instances (sync_refs.c, store_refs.c) ---- */

/* *active = 1 when an active (not removed) instance of `definition` has the key `ref` or
 * was stored from an item whose TMF id is `ref`, else 0. One indexed lookup each way
 * (the (definition, key) key and instance_by_tmf_id). */
int tmfinv_store_ref_active(tmfinv_store *s, const char *definition, const char *ref, int *active);

/* Forgets the references noted as changed: called in the transaction that re-evaluated the
 * instances referencing them. The list is in the store (schema 8), so that the notes of a run
 * killed before that transaction are taken up by the next run. */
int tmfinv_store_ref_reset(tmfinv_store *s);

/* Notes that the instance of `definition` with `key` became active or stopped being active in
 * this run: by its key and by the TMF id of its stored item. */
int tmfinv_store_ref_note(tmfinv_store *s, const char *definition, const char *key);

/* Notes the active instances of `definition` written by `source` that were not seen in this
 * scan (what tmfinv_store_sweep() is about to remove), by key and TMF id. */
int tmfinv_store_ref_note_unseen(tmfinv_store *s, const char *source, const char *definition);

/* How many references are noted (0: nothing to re-evaluate). */
int tmfinv_store_ref_noted(tmfinv_store *s, int64_t *count);

/* Calls fn with the key of every instance of `definition` (removed ones too) whose item holds, as a
 * string anywhere under the JSON path `json_path` (SQLite form, "$.\"supportingService\""),
 * a reference noted for `referenced`, in key order; fn returns non-zero to stop (that value
 * is returned) and may write instances. The candidates are a superset: fn decides. */
int tmfinv_store_ref_dependents(tmfinv_store *s, const char *definition, const char *json_path,
                                const char *referenced, int (*fn)(const char *key, void *ctx), void *ctx);

/* The order of this run's notes and writes (a sequence the sync counts), so that
 * tmfinv_store_ref_dependents() leaves out an instance written in this run after the last
 * note of every reference it holds: its write already saw them as they are now.
 * tmfinv_store_ref_order_note(): the instance of `definition` with `key` (by key and TMF id)
 * was just noted at `seq`; tmfinv_store_ref_order_written(): the instance of `definition`
 * with `key` had its references restricted at `seq` and was written;
 * tmfinv_store_ref_order_clear(): forgets both (start of a run). A reference with no order
 * (noted by an earlier run, or by a sweep) always counts. 0 and nothing done when the backend
 * does not keep the order (every candidate is then re-evaluated). */
int tmfinv_store_ref_order_note(tmfinv_store *s, const char *definition, const char *key, int64_t seq);
int tmfinv_store_ref_order_written(tmfinv_store *s, const char *definition, const char *key, int64_t seq);
int tmfinv_store_ref_order_clear(tmfinv_store *s);

#endif
