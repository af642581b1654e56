/* sync.h: the sync engine — pages from each source through the rules of the object
 * model into the store.
 *
 * For each source: fetch pages in order; per page, in one transaction: classify each
 * item, check its key (empty: skipped and reported), de-duplicate (first occurrence in
 * page order wins), exclude types, apply status rules, map and validate, then create,
 * update or leave unchanged (content hash), preserving local and initial fields. After
 * a complete scan, instances of the source not seen are marked removed, when the scan is
 * evidence enough (see tmfinv_sync_run()); after an incomplete one nothing is removed.
 * Once a page has failed, an item does not overwrite an instance that an item with
 * another TMF id wrote (it is reported as a deferred duplicate). Every run and its
 * figures are recorded. */
#ifndef TMFINV_SYNC_H
#define TMFINV_SYNC_H

#include "config.h"
#include "model.h"
#include "store.h"
#include "tmfinv_log.h"

#include <signal.h>


/* Receives one line for the operator (no trailing newline); secrets never appear in it. */
typedef void (*tmfinv_log_fn)(void *ctx, tmfinv_log_level level, const char *line);

typedef struct tmfinv_sync_result {
    int64_t run_id;
    int complete;       /* every source scanned without a failed page */
    int errors;         /* sources that could not be read at all */
    int interrupted;    /* stopped (signal) or out of time (deadline) */
    int withheld;       /* sources whose removals were withheld for want of evidence */
    int64_t started_ms; /* tmfinv_time_monotonic_ms() when the run's start time was taken */
} tmfinv_sync_result;

/* Where the scan of one source stands, for a progress display. */
typedef struct tmfinv_sync_progress {
    const char *source;
    int64_t pages;          /* pages applied */
    int64_t items;          /* items read from them */
    int64_t retries;        /* requests tried again so far */
    int64_t total;          /* items the source announces (X-Total-Count), -1: unknown */
    double elapsed_s;       /* since the scan of this source began */
    int done;               /* the scan of this source is over */
} tmfinv_sync_progress;

typedef struct tmfinv_sync_options {
    int incremental;                /* refresh: sources with incremental_params fetch only changes */
    int allow_mass_remove;          /* the operator confirms removals the evidence rules would withhold */
    volatile sig_atomic_t *stop;    /* set by a signal handler: stop between pages */
    tmfinv_log_fn log;
    void *log_ctx;
    /* Called after each page (applied or failed) and when a source's scan ends; NULL: none. */
    void (*progress)(void *ctx, const tmfinv_sync_progress *p);
    void *progress_ctx;
} tmfinv_sync_options;

/* Loads the model of every source of `cfg` (their profiles merged). */
int tmfinv_sync_load_model(const tmfinv_config *cfg, tmfinv_model **out);

/* Runs one sync of every source: full, or with opt->incremental a refresh (sources
 * configured with incremental_params fetch only recent changes and remove nothing;
 * the others scan in full). A complete full scan removes the instances it did not see
 * only with evidence: unless opt->allow_mass_remove, it removes nothing, and the source
 * is incomplete with the reason as its error, when its first page was empty, when it
 * got fewer items than the source's last X-Total-Count, or when it would remove more
 * than the source's max_remove_fraction of its active instances. Returns 0 when the
 * run was carried out (see result for completeness), or a negative code when the
 * store failed. */
int tmfinv_sync_run(tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                    const tmfinv_sync_options *opt, tmfinv_sync_result *result);

/* One item a source pushed (an event of its TMF hub). */
typedef struct tmfinv_pushed_item {
    int deleted;            /* a Delete event: the item is gone at the source */
    const cJSON *item;      /* the entity as the event holds it (borrowed) */
} tmfinv_pushed_item;

/* Applies the items source `source` pushed, in order, in one run of kind "push" and one
 * transaction, under exactly the rules of a scan (sync_push.c): each item as the scan's
 * per-item code applies it; a deleted item removes the active instance of its
 * definition and key that this source wrote, with the reason "deleted at the source (hub
 * event)". An item the store already holds as sent changes nothing. Nothing is swept.
 * Returns 0 (result->run_id set), TMFINV_ENOTFOUND when `source` is not configured, or a
 * negative code when the store failed (the run is then ended incomplete). */
int tmfinv_sync_apply_pushed(tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                             const char *source, const tmfinv_pushed_item *items, size_t n,
                             const tmfinv_sync_options *opt, tmfinv_sync_result *result);

#endif
