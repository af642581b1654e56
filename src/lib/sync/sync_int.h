/* sync_int.h: what the sync's files share and nobody else sees (sync.c: runs, sources,
 * pages and the rules for one item; sync_write.c: what one item writes — reports,
 * history, removals, stale marks, unknown values; sync_push.c: items a source pushed). */
#ifndef TMFINV_SYNC_INT_H
#define TMFINV_SYNC_INT_H

#include "fetch.h"
#include "sync.h"

typedef struct sync_ctx {
    tmfinv_store *store;
    const tmfinv_model *model;
    const tmfinv_sync_options *opt;
    int64_t deadline_ms;
    int incremental;            /* this source's scan is an incremental refresh */
    int interrupted;            /* stopped or out of time: no further source is scanned */
    const tmfinv_source_config *src;
    tmfinv_log_fn log;
    void *log_ctx;
    int64_t run_id;
    int64_t page;               /* 1-based number of the page being applied */
    int fatal;                  /* the source could not be read at all */
    int64_t moved;              /* items seen twice in this scan: the collection moved under us */
    int64_t unidentified;       /* items that could not be keyed: their instances cannot be told gone */
    int64_t deferred;           /* items not written: a page had failed and another item wrote the instance */
    int64_t announced;          /* the source's last X-Total-Count, -1: none */
    int first_page_empty;       /* page 1 came back as [] */
    int withheld;               /* the removals of this source's scan were withheld */
    int position;               /* 1-based position of the item being applied in its page */
    char *print;                /* reused buffer the items are printed into (saves a malloc per item) */
    size_t print_size;
    tmfinv_run_source rs;
    char now[32];
    int64_t source_started_ms;  /* monotonic, when this source's scan began (for progress) */
    char **unknown_seen;        /* "definition\037field\037value" reported in this run */
    size_t n_unknown_seen;
    const tmfinv_definition *def; /* the definition of the item being applied */
    int refs_used;              /* the model has active_only reference fields (sync_refs.c) */
    int64_t ref_seq;            /* sequence of this run's reference notes and restricting writes */
    int64_t filtered_seq;       /* ref_seq of the last sync_refs_filter, 0: it restricted nothing */
    int group_open;             /* a group commit's write transaction is open (sync_page.c) */
    int group_pages;            /* whole pages applied in it */
    int64_t group_started_ms;   /* monotonic, when it began */
    tmfinv_run_source group_saved; /* the source's figures when it began (restored on rollback) */
    int pushed;                 /* items pushed by the source's hub (sync_push.c): an item never
                                 * overwrites an instance another TMF id wrote (first occurrence) */
} sync_ctx;

/* One line for the operator through c->log. */
void sync_say(sync_ctx *c, tmfinv_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records a report of `kind` about `item` (may be NULL) of the page being applied. */
int sync_report(sync_ctx *c, const char *kind, const tmfinv_definition *d, const char *key, const cJSON *item,
                const char *field, const char *reason);

/* Records each field whose value differs between `before` and `after`. */
int sync_record_changes(sync_ctx *c, const char *instance_id, const cJSON *before, const cJSON *after);

/* Marks an existing active instance removed, for `reason`. */
int sync_remove_instance(sync_ctx *c, tmfinv_instance *inst, const char *reason);

/* Copies the local fields, and the initial fields of an existing instance, into `values`. */
int sync_preserve(const tmfinv_definition *d, const tmfinv_instance *old, cJSON *values);

/* Prints `item` compactly into c->print. */
int sync_print_item(sync_ctx *c, const cJSON *item);

/* Defers an item that may not be the first of its key once a page failed (*deferred). */
int sync_defer_if_foreign(sync_ctx *c, const tmfinv_definition *d, const char *key, const cJSON *item,
                          int *deferred);

/* Marks the last stored version of a rejected item's instance stale (old may be NULL). */
int sync_mark_stale(sync_ctx *c, const tmfinv_definition *d, const char *key, tmfinv_instance *old,
                    const char *field, const char *why);

/* tmfinv_unknown_fn for c->def: reports an undeclared value once per run. */
int sync_report_unknown(void *ctx, const tmfinv_field *f, const char *value);

/* Applies one item of c->src under every rule of a scan (classification, key, exclusion,
 * status rules, map and validate, owners, unknown values, stale marks, references), inside
 * the caller's transaction; sync_push.c applies pushed items with it. */
int sync_apply_item(sync_ctx *c, const cJSON *item);

/* Group commit (sync_page.c): sync_apply_page() applies one whole page inside the open group,
 * beginning one when none is open (a failure rolls the whole group back: whole pages only);
 * sync_group_next(), after each page, commits the group when it holds enough pages, is old
 * enough, or the fetcher's next page has not arrived; sync_group_flush() commits it with the
 * source's figures (before any other transaction of the run); sync_group_abort() rolls it
 * back. Each is a no-op when no group is open. */
int sync_apply_page(sync_ctx *c, const cJSON *items);
int sync_group_next(sync_ctx *c, tmfinv_fetcher *fetcher);
int sync_group_flush(sync_ctx *c);
void sync_group_abort(sync_ctx *c);

/* 1 when source `s` feeds definition `d`. */
int sync_feeds(const tmfinv_source_config *s, const tmfinv_definition *d);

/* References restricted to active instances (sync_refs.c). At the start of a run: */
int sync_refs_begin(sync_ctx *c);

/* Keeps in the active_only fields of `values` (mapped for `d`) only the references that
 * resolve to an active instance. */
int sync_refs_filter(sync_ctx *c, const tmfinv_definition *d, cJSON *values);

/* After writing the instance of `d` with `key` whose values sync_refs_filter() restricted:
 * records the order of that write (sync_refs.c). */
int sync_refs_written(sync_ctx *c, const tmfinv_definition *d, const char *key);

/* Notes the instance of `d` with `key`, written in this run (call it after the write), whose
 * active state went from was_active to is_active, when some active_only field references `d`. */
int sync_refs_note(sync_ctx *c, const tmfinv_definition *d, const char *key, int was_active, int is_active);

/* Notes the instances of `d` that the sweep of `source` is about to remove. */
int sync_refs_note_unseen(sync_ctx *c, const char *source, const tmfinv_definition *d);

/* At the end of a run: re-evaluates, in one transaction, the instances that reference one
 * noted in this run; nothing when none was. */
int sync_refs_finish(sync_ctx *c);

/* Frees what the run's context holds and ends the run in the store: complete or not when rc
 * is 0; a failed run (rc < 0) is ended incomplete and rc returned with its own message. */
int sync_run_end(sync_ctx *c, int rc, int complete);

#endif
