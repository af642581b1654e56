/* sync_push.c: items a source pushed (events of its TMF hub) applied under exactly the rules
 * of a scan: each through the scan's own per-item code (sync_apply_item), in one run of kind
 * "push" per batch, one transaction, figures in run_source like a scan's. What a push never
 * does is sweep: only a complete full scan tells what is gone, or a Delete event for one item.
 *
 * An item whose key's instance another item (another TMF id) wrote is deferred, as after a
 * failed page: the scan keeps the first occurrence of a key, which a push cannot tell.
 * Each item is applied with the scan's "seen" marks reset first: two events of one item in a
 * batch (two epochs, or a duplicate) are two successive states, the later one wins, where a
 * scan would keep the first occurrence of a key. */
#include "sync.h"
#include "sync_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_DELETE_REASON "deleted at the source (hub event)"

/* A Delete event: the active instance of the item's definition and key, written by this
 * source, is removed. An item that cannot be classified or keyed, an instance already
 * removed, created through the API or written by another source: nothing. */
static int apply_delete(sync_ctx *c, const cJSON *item)
{
    const tmfinv_definition *d = cJSON_IsObject(item) ? tmfinv_model_classify(c->model, c->src->api, item) : NULL;
    tmfinv_instance *old = NULL;
    char *key = NULL, old_id[40], old_hash[65];
    int rc = 0, removed = 0, stale = 0, local = 0;

    if (!d || !sync_feeds(c->src, d)) {
        c->rs.excluded++;
        goto out;
    }
    rc = tmfinv_definition_key(d, item, &key);
    if (rc == TMFINV_EINVALID || (rc == 0 && !key)) {
        /* No key: no instance to name; the next full scan decides. */
        c->rs.empty_keys++;
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = tmfinv_store_state_local(c->store, d->name, key, old_id, old_hash, &removed, &stale, &local);
    if (rc == TMFINV_ENOTFOUND || (rc == 0 && (removed || local))) {
        c->rs.unchanged++;
        rc = 0;
        goto out;
    }
    if (rc < 0 || (rc = tmfinv_store_get(c->store, d->name, key, &old)) < 0)
        goto out;
    if (!old->source || strcmp(old->source, c->src->name) != 0) {
        c->rs.unchanged++;
        goto out;
    }
    {
        /* The instance holds another item of the same key (a duplicate the scan took first):
         * that one is not gone. */
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        int same = 1;

        rc = tmfinv_store_written_by(c->store, d->name, key,
                                     cJSON_IsString(id) && *id->valuestring ? id->valuestring : NULL, &same);
        if (rc < 0 && rc != TMFINV_ENOTFOUND)
            goto out;
        rc = 0;
        if (!same) {
            c->rs.unchanged++;
            goto out;
        }
    }
    if ((rc = sync_remove_instance(c, old, PUSH_DELETE_REASON)) == 0)
        c->rs.removed++;
out:
    free(key);
    tmfinv_instance_free(old);
    return rc;
}

/* Applies the batch in one transaction. */
static int apply_batch(sync_ctx *c, const tmfinv_pushed_item *items, size_t n)
{
    int rc;

    tmfinv_time_now(c->now, sizeof(c->now));
    if ((rc = tmfinv_store_begin(c->store)) < 0)
        return rc;
    c->page = 1;
    c->position = 0;
    for (size_t i = 0; i < n; i++) {
        c->rs.items++;
        c->position++;
        if ((rc = tmfinv_store_seen_reset(c->store)) < 0 ||
            (rc = items[i].deleted ? apply_delete(c, items[i].item) : sync_apply_item(c, items[i].item)) < 0)
            goto out;
    }
    c->rs.pages = 1;
    c->rs.complete = 1;
    rc = tmfinv_store_run_source_put(c->store, c->run_id, &c->rs);
out:
    if (rc < 0) {
        (void)tmfinv_store_rollback(c->store);
        return rc;
    }
    return tmfinv_store_commit(c->store);
}

int tmfinv_sync_apply_pushed(tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                             const char *source, const tmfinv_pushed_item *items, size_t n,
                             const tmfinv_sync_options *opt, tmfinv_sync_result *result)
{
    sync_ctx c = {.store = store, .model = model, .opt = opt, .log = opt->log, .log_ctx = opt->log_ctx};
    int64_t started = tmfinv_time_monotonic_ms();
    int rc = 0;

    memset(result, 0, sizeof(*result));
    for (size_t i = 0; i < cfg->n_sources && !c.src; i++)
        if (strcmp(cfg->sources[i].name, source) == 0)
            c.src = &cfg->sources[i];
    if (!c.src)
        return tmfinv_error_set(TMFINV_ENOTFOUND, "no source '%s'", source);
    c.announced = -1;
    c.pushed = 1;
    c.rs.source = c.src->name;
    if (!(c.rs.failed_pages = cJSON_CreateArray()))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    tmfinv_time_now(c.now, sizeof(c.now));
    if ((rc = tmfinv_store_run_begin(store, c.now, "push", &c.run_id)) < 0) {
        cJSON_Delete(c.rs.failed_pages);
        return rc;
    }
    result->run_id = c.run_id;
    if ((rc = sync_refs_begin(&c)) == 0 && (rc = apply_batch(&c, items, n)) == 0)
        rc = sync_refs_finish(&c);
    if (rc == 0)
        sync_say(&c, TMFINV_LOG_INFO,
                 "source '%s': push of %zu events applied in %.3f s (run %lld): %lld created, %lld updated, "
                 "%lld unchanged, %lld removed, %lld not kept, %lld excluded, %lld rejected",
                 c.src->name, n, (double)(tmfinv_time_monotonic_ms() - started) / 1000.0, (long long)c.run_id,
                 (long long)c.rs.created, (long long)c.rs.updated, (long long)c.rs.unchanged, (long long)c.rs.removed,
                 (long long)c.rs.dropped, (long long)c.rs.excluded, (long long)c.rs.rejected);
    cJSON_Delete(c.rs.failed_pages);
    result->complete = rc == 0;
    return sync_run_end(&c, rc, 1);
}
