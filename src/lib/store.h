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
} tmfinv_instance;

/* Frees an instance returned by the store (NULL is fine). */
void tmfinv_instance_free(tmfinv_instance *inst);

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
    const char *kind;           /* "rejected", "duplicate", "empty_key" */
    int64_t page;
    const char *definition;
    const char *key;
    const char *item_id;        /* the item's TMF id, when it has one */
    const char *field;
    const char *reason;
} tmfinv_report;

/* Opens (creating and migrating when needed) the store at `location`: a file path
 * for SQLite. Fails with TMFINV_ESTORE naming the file and the problem. */
int tmfinv_store_open(const char *location, tmfinv_store **out);
void tmfinv_store_close(tmfinv_store *s);

int tmfinv_store_begin(tmfinv_store *s);
int tmfinv_store_commit(tmfinv_store *s);
int tmfinv_store_rollback(tmfinv_store *s);

/* Reads the instance of `definition` with `key` into *out (free with
 * tmfinv_instance_free()); TMFINV_ENOTFOUND when there is none. */
int tmfinv_store_get(tmfinv_store *s, const char *definition, const char *key, tmfinv_instance **out);

/* Reads only what decides whether an item changed: the instance's id (at least 40
 * bytes), content hash (65 bytes) and removed flag. TMFINV_ENOTFOUND when none. */
int tmfinv_store_state(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                       int *removed);

/* Inserts or replaces an instance (identified by its id). */
int tmfinv_store_put(tmfinv_store *s, const tmfinv_instance *inst);

/* Records a change of `field` of an instance: before/after as JSON text (NULL: absent). */
int tmfinv_store_history_add(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *time,
                             const char *field, const char *before, const char *after);

/* Calls fn for each history entry of an instance, oldest first, as a JSON object. */
int tmfinv_store_history(tmfinv_store *s, const char *instance_id, int (*fn)(const cJSON *entry, void *ctx),
                         void *ctx);

/* Forgets the keys seen so far (start of a run). */
int tmfinv_store_seen_reset(tmfinv_store *s);

/* Marks `key` of `definition` seen in this run; *first is 1 when it was not seen before. */
int tmfinv_store_seen_mark(tmfinv_store *s, const char *definition, const char *key, int *first);

/* Marks removed every active instance of `definition` written by `source` whose key
 * was not seen in this run, recording the change. The count goes to *removed. */
int tmfinv_store_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id,
                       const char *time, int64_t *removed);

/* Calls fn for every instance matching q, ordered by definition then key. fn returns
 * non-zero to stop (that value is returned). The instance is borrowed. */
int tmfinv_store_query(tmfinv_store *s, const tmfinv_query *q, int (*fn)(const tmfinv_instance *inst, void *ctx),
                       void *ctx);

/* Counts the instances matching q. */
int tmfinv_store_count(tmfinv_store *s, const tmfinv_query *q, int64_t *count);

/* Calls fn once per (definition, status, removed) group with its instance count, as
 * {definition, status, removed, count}, ordered by definition, removed, status. */
int tmfinv_store_summary(tmfinv_store *s, int (*fn)(const cJSON *group, void *ctx), void *ctx);

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

#endif
