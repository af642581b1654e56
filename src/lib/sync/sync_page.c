/* sync_page.c: applying a scan's pages to the store, several whole pages per write
 * transaction (group commit; see sync_int.h). A page is never split across transactions:
 * a group begins before a page's first item and ends after a page's last, with the
 * source's figures of exactly the pages it holds, so a kill -9 leaves whole pages only
 * (what the next run converges from, as with one page per transaction). A transaction's
 * commit costs the same whatever it holds (WAL frames of the same hot index pages, an
 * fdatasync at checkpoints), so fewer of them is what this buys. */
#include "sync_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

/* A group ends after this many pages or this long after it began, whichever comes first, and
 * whenever the next page has not arrived yet: the write lock is never held while waiting for
 * the network, and a writer beside the sync (the API) waits at most about this long. */
#define GROUP_MAX_PAGES 64
#define GROUP_MAX_MS 250

int sync_apply_page(sync_ctx *c, const cJSON *items)
{
    const cJSON *item;
    int rc;

    tmfinv_time_now(c->now, sizeof(c->now));
    if (!c->group_open) {
        if ((rc = tmfinv_store_begin(c->store)) < 0)
            return rc;
        c->group_open = 1;
        c->group_pages = 0;
        c->group_started_ms = tmfinv_time_monotonic_ms();
        c->group_saved = c->rs;
    }
    c->position = 0;
    cJSON_ArrayForEach(item, items) {
        c->rs.items++;
        c->position++;
        if ((rc = sync_apply_item(c, item)) < 0) {
            sync_group_abort(c);
            return rc;
        }
    }
    c->rs.pages++;
    c->group_pages++;
    return 0;
}

int sync_group_flush(sync_ctx *c)
{
    int rc;

    if (!c->group_open)
        return 0;
    if ((rc = tmfinv_store_run_source_put(c->store, c->run_id, &c->rs)) < 0) {
        sync_group_abort(c);
        return rc;
    }
    c->group_open = 0;
    c->group_pages = 0;
    return tmfinv_store_commit(c->store);
}

void sync_group_abort(sync_ctx *c)
{
    if (!c->group_open)
        return;
    c->rs = c->group_saved;
    (void)tmfinv_store_rollback(c->store);
    c->group_open = 0;
    c->group_pages = 0;
}

int sync_group_next(sync_ctx *c, tmfinv_fetcher *fetcher)
{
    if (!c->group_open)
        return 0;
    if (c->group_pages >= GROUP_MAX_PAGES || tmfinv_time_monotonic_ms() - c->group_started_ms >= GROUP_MAX_MS ||
        !tmfinv_fetcher_ready(fetcher))
        return sync_group_flush(c);
    return 0;
}
