/* sync.c: the sync engine (see sync.h): runs, sources, pages and the rules for one item;
 * what applying an item writes besides the instance is in sync_write.c. */
#include "sync.h"
#include "sync_int.h"

#include "fetch.h"
#include "store_events.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sync_ctx, the state of a run, is in sync_int.h (sync_write.c uses it too). */

/* Tells opt->progress where the scan of the current source stands. */
static void report_progress(sync_ctx *c, const tmfinv_fetcher *fetcher, int done)
{
    tmfinv_sync_progress p;
    tmfinv_fetch_stats stats;

    if (!c->opt->progress)
        return;
    memset(&stats, 0, sizeof(stats));
    if (fetcher)
        tmfinv_fetcher_stats(fetcher, &stats);
    p.source = c->src->name;
    p.pages = c->rs.pages;
    p.items = c->rs.items;
    p.retries = fetcher ? stats.retries : c->rs.retries;
    p.total = c->announced;
    p.elapsed_s = (double)(tmfinv_time_monotonic_ms() - c->source_started_ms) / 1000.0;
    p.done = done;
    c->opt->progress(c->opt->progress_ctx, &p);
}

void sync_say(sync_ctx *c, tmfinv_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!c->log)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, level, line);
}

static int feeds(const tmfinv_source_config *s, const tmfinv_definition *d);

/* Moves definition k of loaded profile `from` into `model` (tmfinv_model_merge's checks). */
static int take_definition(tmfinv_model *model, tmfinv_model *from, size_t k)
{
    tmfinv_model *one = calloc(1, sizeof(*one));

    if (!one || !(one->definitions = calloc(1, sizeof(*one->definitions)))) {
        free(one);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    one->definitions[one->n_definitions++] = from->definitions[k];
    from->definitions[k] = NULL;
    return tmfinv_model_merge(model, one);
}

/* Each source's profile gives the definitions that source feeds (docs/configuration.md,
 * `profile`): sources may use different profiles as long as no definition two of them feed
 * is defined differently. A definition nobody feeds comes from the first profile that has
 * it, so that it can still be queried. Definitions keep the order of their profile file
 * (an earlier definition takes an item first). */
int tmfinv_sync_load_model(const tmfinv_config *cfg, tmfinv_model **out)
{
    size_t n = cfg->n_sources ? cfg->n_sources : 1, most = 0, i, k;
    tmfinv_model *model = NULL, **loaded = NULL;
    char **paths = NULL;
    int rc = 0, pass;

    model = calloc(1, sizeof(*model));
    loaded = calloc(n, sizeof(*loaded));
    paths = calloc(n, sizeof(*paths));
    if (!model || !loaded || !paths) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    /* With no source configured, the default profile still gives the definitions. */
    for (i = 0; i < n; i++) {
        const char *profile = cfg->n_sources ? cfg->sources[i].profile : "ses";

        if ((rc = tmfinv_model_profile_path(profile, &paths[i])) == 0)
            rc = tmfinv_model_load(paths[i], &loaded[i]);
        if (rc < 0) {
            char msg[768];

            (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
            if (cfg->n_sources)
                rc = tmfinv_error_set(rc, "%s:%d: [source %s] profile = '%s': %s", cfg->path,
                                      cfg->sources[i].profile_line, cfg->sources[i].name, profile, msg);
            goto out;
        }
        if (loaded[i]->n_definitions > most)
            most = loaded[i]->n_definitions;
    }
    for (i = 0; i < cfg->n_sources; i++) {
        const tmfinv_source_config *s = &cfg->sources[i];

        for (size_t j = 0; j < s->n_definitions; j++) {
            const tmfinv_definition *d = tmfinv_model_find(loaded[i], s->definitions[j]);

            if (!d || strcmp(d->api, s->api) != 0) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s: [source %s] definitions: '%s' is not a definition of %s",
                                      cfg->path, s->name, s->definitions[j], s->api);
                goto out;
            }
        }
    }
    /* Pass 0 the definitions sources feed, pass 1 the others; by place in the profile. */
    for (pass = 0; pass < 2; pass++)
        for (k = 0; k < most; k++)
            for (i = 0; i < n; i++) {
                const tmfinv_definition *d = k < loaded[i]->n_definitions ? loaded[i]->definitions[k] : NULL;
                const tmfinv_definition *have;
                int fed = d && cfg->n_sources && feeds(&cfg->sources[i], d);

                if (!d || fed != !pass)
                    continue;
                have = tmfinv_model_find(model, d->name);
                if (have && (pass == 1 || strcmp(have->fingerprint, d->fingerprint) == 0))
                    continue;
                if ((rc = take_definition(model, loaded[i], k)) < 0) {
                    char msg[768];
                    size_t j = 0;

                    /* Only a fed definition can conflict: the first source feeding it added it. */
                    while (have && j < i && !feeds(&cfg->sources[j], have))
                        j++;
                    (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
                    if (rc == TMFINV_EINVALID && have && j < i)
                        rc = tmfinv_error_set(rc, "%s:%d: [source %s] profile = '%s' (%s) and %s:%d: [source %s] "
                                              "profile = '%s' (%s): %s",
                                              cfg->path, cfg->sources[j].profile_line, cfg->sources[j].name,
                                              cfg->sources[j].profile, paths[j], cfg->path,
                                              cfg->sources[i].profile_line, cfg->sources[i].name,
                                              cfg->sources[i].profile, paths[i], msg);
                    goto out;
                }
            }
    *out = model;
    model = NULL;
out:
    for (i = 0; loaded && i < n; i++)
        tmfinv_model_free(loaded[i]);
    for (i = 0; paths && i < n; i++)
        free(paths[i]);
    free(loaded);
    free(paths);
    tmfinv_model_free(model);
    return rc;
}

/* 1 when this source feeds definition d. */
static int feeds(const tmfinv_source_config *s, const tmfinv_definition *d)
{
    if (strcmp(d->api, s->api) != 0)
        return 0;
    if (!s->definitions)
        return 1;
    for (size_t i = 0; i < s->n_definitions; i++)
        if (strcmp(s->definitions[i], d->name) == 0)
            return 1;
    return 0;
}

static int is_excluded(const sync_ctx *c, const tmfinv_definition *d, const cJSON *item, const char **type)
{
    const cJSON *v;

    if (!c->src->has_exclude_types)
        return tmfinv_definition_excluded(d, item, type);
    *type = NULL;
    v = d->type_path ? tmfinv_path_first(d->type_path, item) : cJSON_GetObjectItemCaseSensitive(item, "@type");
    if (!cJSON_IsString(v))
        return 0;
    *type = v->valuestring;
    /* Compared as the definition's profile says (case, white space, type synonyms). */
    return tmfinv_definition_type_listed(d, v->valuestring, c->src->exclude_types, c->src->n_exclude_types);
}

/* Applies one item (see the order of rules in sync.h). */
static int apply_item(sync_ctx *c, const cJSON *item)
{
    const tmfinv_definition *d = tmfinv_model_classify(c->model, c->src->api, item);
    tmfinv_instance *old = NULL, *inst = NULL;
    cJSON *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    char *key = NULL, hash[65], old_id[40], old_hash[65];
    const char *type, *status;
    int rc = 0, first, keep, exists = 0, old_removed = 0, old_stale = 0, deferred = 0, local = 0;
    char reason[256];

    if (!cJSON_IsObject(item)) {
        /* Not an object at all: nothing to classify or key it by. */
        char why_text[128];

        c->rs.rejected++;
        c->unidentified++;
        (void)snprintf(why_text, sizeof(why_text), "item %d of the page is %s, not an object", c->position,
                       cJSON_IsArray(item) ? "an array" : cJSON_IsString(item) ? "a string" : "not a JSON object");
        rc = sync_report(c, "rejected", NULL, NULL, item, "", why_text);
        goto out;
    }
    {
        /* The same item (same TMF id) twice in one scan: it moved between pages while we
         * read (offset paging over a changing table), so others may have been missed. */
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");

        if (cJSON_IsString(id) && *id->valuestring) {
            if ((rc = tmfinv_store_seen_mark(c->store, "@item", id->valuestring, &first)) < 0)
                goto out;
            if (!first) {
                c->moved++;
                goto out;
            }
        }
    }
    if (!d || !feeds(c->src, d)) {
        c->rs.excluded++;
        goto out;
    }
    if ((rc = tmfinv_definition_key(d, item, &key)) == TMFINV_EINVALID) {
        char why_text[256];

        (void)snprintf(why_text, sizeof(why_text), "%s", tmfinv_error_last());
        c->rs.rejected++;
        c->unidentified++;
        rc = sync_report(c, "rejected", d, NULL, item, d->fields[d->key_field].name, why_text);
        goto out;
    }
    if (rc < 0)
        goto out;
    if (!key) {
        c->rs.empty_keys++;
        rc = sync_report(c, "empty_key", d, NULL, item, d->fields[d->key_field].name, "empty or missing key");
        goto out;
    }
    if ((rc = tmfinv_store_seen_mark(c->store, d->name, key, &first)) < 0)
        goto out;
    if (!first) {
        c->rs.duplicates++;
        rc = sync_report(c, "duplicate", d, key, item, d->fields[d->key_field].name,
                         "key seen earlier in this sync; the first occurrence wins");
        goto out;
    }
    rc = tmfinv_store_state_local(c->store, d->name, key, old_id, old_hash, &old_removed, &old_stale, &local);
    exists = rc == 0;
    if (rc == TMFINV_ENOTFOUND)
        rc = 0;
    if (rc < 0)
        goto out;
    if (exists && local) {
        /* Created through the API, owned by tmfinv: no source writes, removes or marks it. */
        c->rs.rejected++;
        (void)snprintf(reason, sizeof(reason), "an instance created through the API (source %s) has this key; the"
                                               " source's item is not written", TMFINV_SOURCE_LOCAL);
        rc = sync_report(c, "local_conflict", d, key, item, d->fields[d->key_field].name, reason);
        goto out;
    }
    if (is_excluded(c, d, item, &type)) {
        if (exists && !old_removed && (rc = sync_defer_if_foreign(c, d, key, item, &deferred)) < 0)
            goto out;
        if (deferred)
            goto out;
        c->rs.excluded++;
        if (exists && !old_removed && (rc = tmfinv_store_get(c->store, d->name, key, &old)) == 0) {
            (void)snprintf(reason, sizeof(reason), "type %s is excluded", type);
            rc = sync_remove_instance(c, old, reason);
        }
        goto out;
    }
    status = tmfinv_definition_source_status(d, item);
    if (!status && tmfinv_definition_status_present(d, item)) {
        /* A status that is not text cannot be judged by the status rules: reject it. */
        c->rs.rejected++;
        rc = sync_report(c, "rejected", d, key, item, d->fields[d->status_field].name,
                         "status is not a string, so the status rules cannot be applied");
        if (rc == 0 && exists)
            rc = sync_mark_stale(c, d, key, NULL, d->fields[d->status_field].name, "status is not a string");
        goto out;
    }
    keep = tmfinv_definition_keeps(d, status);
    c->def = d;
    if ((rc = tmfinv_definition_unknown_values(d, item, sync_report_unknown, c)) < 0)
        goto out;
    /* The content hash covers the item as sent and the definition that maps it: the
     * same hash means nothing to map, validate or write. */
    if ((rc = sync_print_item(c, item)) < 0)
        goto out;
    tmfinv_sha256_hex2(d->fingerprint, strlen(d->fingerprint), c->print, strlen(c->print), hash);
    /* A stale instance is rewritten even by the item it was stored from: that clears it. */
    if (exists && strcmp(old_hash, hash) == 0 && old_removed == !keep && !old_stale) {
        if (keep)
            c->rs.unchanged++;
        else
            c->rs.dropped++;
        goto out;
    }
    if (exists && ((rc = sync_defer_if_foreign(c, d, key, item, &deferred)) < 0 || deferred))
        goto out;
    if (exists && (rc = tmfinv_store_get(c->store, d->name, key, &old)) < 0)
        goto out;
    if ((rc = tmfinv_definition_map(d, item, &values, &why)) == TMFINV_EINVALID) {
        rc = 0;
        if (!keep) {
            /* Not kept whatever its other fields say: an existing instance goes. */
            c->rs.dropped++;
            if (old && !old->removed) {
                (void)snprintf(reason, sizeof(reason), "status '%s' is not kept", status ? status : "");
                rc = sync_remove_instance(c, old, reason);
            }
            goto out;
        }
        c->rs.rejected++;
        rc = sync_report(c, "rejected", d, key, item, why.field, why.reason);
        if (rc == 0 && old)
            rc = sync_mark_stale(c, d, key, old, why.field, why.reason);
        goto out;
    }
    if (rc < 0)
        goto out;
    if ((rc = sync_refs_filter(c, d, values)) < 0 || (rc = sync_preserve(d, old, values)) < 0)
        goto out;
    if (!keep)
        c->rs.dropped++;
    inst = calloc(1, sizeof(*inst));
    if (!inst) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (old)
        (void)snprintf(inst->id, sizeof(inst->id), "%s", old->id);
    else if ((rc = tmfinv_uuid_new(inst->id, sizeof(inst->id))) < 0)
        goto out;
    inst->definition = strdup(d->name);
    inst->key = key;
    key = NULL;
    inst->source = strdup(c->src->name);
    {
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(values, d->fields[d->status_field].name);

        inst->status = cJSON_IsString(sv) ? strdup(sv->valuestring) : NULL;
    }
    inst->removed = !keep;
    if (!keep) {
        (void)snprintf(reason, sizeof(reason), "status '%s' is not kept", status ? status : "");
        inst->removed_reason = strdup(reason);
    }
    (void)snprintf(inst->created, sizeof(inst->created), "%s", old ? old->created : c->now);
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", c->now);
    inst->run_id = c->run_id;
    (void)snprintf(inst->content_hash, sizeof(inst->content_hash), "%s", hash);
    inst->fields = values;
    values = NULL;
    inst->raw = strdup(c->print);
    if (!inst->definition || !inst->source || !inst->raw) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (old) {
        if ((rc = sync_record_changes(c, inst->id, old->fields, inst->fields)) < 0)
            goto out;
        if (old->removed != inst->removed &&
            (rc = tmfinv_store_history_add(c->store, inst->id, c->run_id, c->now, "@removed",
                                           old->removed ? "true" : "false", inst->removed ? "true" : "false")) < 0)
            goto out;
        /* A good version stored: no longer stale (inst->stale stays NULL). */
        if (old->stale &&
            (rc = tmfinv_store_history_add(c->store, inst->id, c->run_id, c->now, "@stale", "true", "false")) < 0)
            goto out;
    } else {
        /* A creation is a change too (the changes feed, the Create event): recorded as POST
         * records it, the source's name as the value (source names need no escaping). */
        char created[160];

        (void)snprintf(created, sizeof(created), "\"%s\"", c->src->name);
        if ((rc = tmfinv_store_history_add(c->store, inst->id, c->run_id, c->now, "@created", NULL, created)) < 0)
            goto out;
        c->rs.writes++;
    }
    if ((rc = tmfinv_store_put(c->store, inst)) < 0 || (rc = sync_refs_written(c, d, inst->key)) < 0 ||
        (rc = sync_refs_note(c, d, inst->key, old && !old->removed, !inst->removed)) < 0)
        goto out;
    c->rs.writes++;
    /* Not kept by its status: counted as dropped above, not as removed (which counts
     * instances no longer served by the source). */
    if (keep && old)
        c->rs.updated++;
    else if (keep)
        c->rs.created++;
out:
    free(key);
    cJSON_Delete(values);
    tmfinv_instance_free(old);
    tmfinv_instance_free(inst);
    return rc;
}

/* For sync_push.c: the same rules, one item at a time (sync_int.h). */
int sync_apply_item(sync_ctx *c, const cJSON *item)
{
    return apply_item(c, item);
}

int sync_feeds(const tmfinv_source_config *s, const tmfinv_definition *d)
{
    return feeds(s, d);
}

static int add_failed_page(sync_ctx *c, const tmfinv_page *page)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(o, "page", (double)c->page);
    cJSON_AddStringToObject(o, "url", page->url);
    cJSON_AddNumberToObject(o, "status", (double)page->status);
    cJSON_AddNumberToObject(o, "tries", page->tries);
    cJSON_AddStringToObject(o, "error", page->error);
    cJSON_AddItemToArray(c->rs.failed_pages, o);
    return 0;
}

/* Decides whether the complete scan of the source is evidence enough to remove the
 * instances it did not see (see tmfinv_sync_run()), inside the sweep's transaction:
 * *withhold is 1 when it is not, with the reason in `why`. A removal the operator
 * confirmed (allow_mass_remove) goes ahead, with a warning. */
static int removal_evidence(sync_ctx *c, int *withhold, char *why, size_t len)
{
    const tmfinv_source_config *s = c->src;
    int64_t active = 0, unseen = 0;
    char doubt[640] = "";
    int rc;

    *withhold = 0;
    for (size_t i = 0; i < c->model->n_definitions; i++) {
        const tmfinv_definition *d = c->model->definitions[i];
        int64_t a = 0, u = 0;

        if (!feeds(s, d))
            continue;
        if ((rc = tmfinv_store_sweep_count(c->store, s->name, d->name, &a, &u)) < 0)
            return rc;
        active += a;
        unseen += u;
    }
    if (unseen == 0)
        return 0;
    if (c->first_page_empty)
        (void)snprintf(doubt, sizeof(doubt), "the first page was empty while the store holds %lld active instances "
                       "of this source", (long long)active);
    else if (c->announced > c->rs.items)
        (void)snprintf(doubt, sizeof(doubt), "the source announced %lld items (X-Total-Count) while the scan got %lld",
                       (long long)c->announced, (long long)c->rs.items);
    else if ((double)unseen > s->max_remove_fraction * (double)active)
        (void)snprintf(doubt, sizeof(doubt), "that is %.1f%% of them, more than max_remove_fraction = %g",
                       100.0 * (double)unseen / (double)active, s->max_remove_fraction);
    if (!doubt[0])
        return 0;
    if (c->opt->allow_mass_remove) {
        sync_say(c, TMFINV_LOG_WARN, "source '%s': removing %lld of %lld active instances as confirmed "
                 "(--allow-mass-remove), although %s", s->name, (long long)unseen, (long long)active, doubt);
        return 0;
    }
    *withhold = 1;
    (void)snprintf(why, len, "removal withheld: %lld of %lld active instances would have been removed, but %s; "
                   "nothing removed (confirm with tmfinv sync --once --allow-mass-remove)",
                   (long long)unseen, (long long)active, doubt);
    return 0;
}

/* Scans one source. Returns 0, or a negative code when the store failed. */
static int sync_source(sync_ctx *c)
{
    const tmfinv_source_config *s = c->src;
    tmfinv_fetcher *fetcher = NULL;
    tmfinv_fetch_options fo = {.stop = c->opt->stop, .deadline_ms = c->deadline_ms};
    tmfinv_fetch_stats stats;
    int rc, failed_in_a_row = 0, done = 0;
    char error[2600] = "";

    c->incremental = c->opt->incremental && s->incremental_params;
    fo.extra_params = c->incremental ? s->incremental_params : NULL;
    if ((rc = tmfinv_fetcher_new(s, &fo, &fetcher)) < 0)
        return rc;
    if ((rc = tmfinv_store_seen_reset(c->store)) < 0)
        goto out;
    for (;;) {
        tmfinv_page page;

        if ((rc = tmfinv_fetcher_next(fetcher, &page, &done)) < 0)
            goto out;
        if (done)
            break;
        c->page = page.index + 1;
        if (page.outcome == TMFINV_PAGE_FATAL) {
            (void)snprintf(error, sizeof(error), "page %lld: %s (%s)", (long long)c->page, page.error, page.url);
            sync_say(c, TMFINV_LOG_ERROR, "source '%s' %s", s->name, error);
            tmfinv_page_clear(&page);
            c->rs.error = error;
            c->fatal = 1;
            break;
        }
        if (page.outcome == TMFINV_PAGE_FAILED) {
            sync_say(c, TMFINV_LOG_ERROR, "source '%s' page %lld: %s after %d tries (%s)", s->name, (long long)c->page,
                     page.error, page.tries, page.url);
            c->rs.failed++;
            rc = add_failed_page(c, &page);
            tmfinv_page_clear(&page);
            if (rc < 0)
                goto out;
            report_progress(c, fetcher, 0);
            if (++failed_in_a_row >= s->max_failed_pages) {
                (void)snprintf(error, sizeof(error), "stopped after %d failed pages in a row", failed_in_a_row);
                sync_say(c, TMFINV_LOG_ERROR, "source '%s': %s", s->name, error);
                c->rs.error = error;
                break;
            }
            continue;
        }
        failed_in_a_row = 0;
        if (page.total_count >= 0)
            c->announced = page.total_count;
        if (c->page == 1 && cJSON_GetArraySize(page.items) == 0)
            c->first_page_empty = 1;
        {
            int64_t moved_before = c->moved, n_items = cJSON_GetArraySize(page.items);

            rc = sync_apply_page(c, page.items);
            tmfinv_page_clear(&page);
            if (rc == 0)
                rc = sync_group_next(c, fetcher);
            if (rc < 0)
                goto out;
            report_progress(c, fetcher, 0);
            /* A page that brings nothing new (every item's id already seen in this scan): the
             * source repeats itself, and reading on would go round for ever. */
            if (n_items > 0 && c->moved - moved_before == n_items) {
                (void)snprintf(error, sizeof(error),
                               "scan stopped after %lld pages: page %lld brought no new item (all %lld already "
                               "seen in this scan), the source repeats itself",
                               (long long)c->rs.pages, (long long)c->page, (long long)n_items);
                sync_say(c, TMFINV_LOG_ERROR, "source '%s': %s", s->name, error);
                c->rs.error = error;
                break;
            }
        }
    }
    /* The last pages' group: committed before anything else this scan writes. */
    if ((rc = sync_group_flush(c)) < 0)
        goto out;
    if (done && tmfinv_fetcher_cut_short(fetcher) && !c->rs.error) {
        (void)snprintf(error, sizeof(error), "scan stopped after %lld pages: %s", (long long)c->rs.pages,
                       tmfinv_fetcher_cut_short(fetcher));
        sync_say(c, TMFINV_LOG_ERROR, "source '%s': %s", s->name, error);
        c->rs.error = error;
    }
    if (c->unidentified && !c->rs.error && !c->incremental) {
        (void)snprintf(error, sizeof(error),
                       "%lld items could not be identified (see tmfinv rejected), so no instance can be told gone: "
                       "nothing removed",
                       (long long)c->unidentified);
        sync_say(c, TMFINV_LOG_WARN, "source '%s': %s", s->name, error);
        c->rs.error = error;
    }
    if (c->deferred)
        sync_say(c, TMFINV_LOG_WARN,
                 "source '%s': %lld items not applied (another item wrote their instance and a page "
                 "had failed; see tmfinv rejected --kind duplicate): the next complete scan decides", s->name,
                 (long long)c->deferred);
    if (c->moved && !c->rs.error) {
        (void)snprintf(error, sizeof(error),
                       "the collection changed during the scan (%lld items seen twice), so items may have been "
                       "missed: nothing removed",
                       (long long)c->moved);
        sync_say(c, TMFINV_LOG_WARN, "source '%s': %s", s->name, error);
        c->rs.error = error;
    }
    if (done && tmfinv_fetcher_interrupted(fetcher)) {
        (void)snprintf(error, sizeof(error), "scan %s after %lld pages", tmfinv_fetcher_interrupted(fetcher),
                       (long long)c->rs.pages);
        /* A stop the operator asked for (a signal) is no error; running out of time is. */
        sync_say(c, c->opt->stop && *c->opt->stop ? TMFINV_LOG_INFO : TMFINV_LOG_ERROR, "source '%s': %s", s->name,
                 error);
        c->rs.error = error;
        c->interrupted = 1;
    }
    tmfinv_fetcher_stats(fetcher, &stats);
    c->rs.requests = stats.requests;
    c->rs.retries = stats.retries;
    c->rs.token_fetches = stats.token_fetches;
    for (int i = 0; i < 6; i++)
        c->rs.retries_by_status[i] = stats.retries_by_status[i];
    c->rs.complete = c->rs.failed == 0 && !c->rs.error;
    tmfinv_time_now(c->now, sizeof(c->now));
    if ((rc = tmfinv_store_begin(c->store)) < 0)
        goto out;
    /* Only a complete FULL scan is evidence that what was not seen is gone, and only
     * when the source does not contradict it (removals are what events announce). */
    if (c->rs.complete && !c->incremental) {
        int withhold = 0;

        if ((rc = removal_evidence(c, &withhold, error, sizeof(error))) < 0) {
            (void)tmfinv_store_rollback(c->store);
            goto out;
        }
        if (withhold) {
            sync_say(c, TMFINV_LOG_ERROR, "source '%s': %s", s->name, error);
            c->rs.error = error;
            c->rs.complete = 0;
            c->withheld = 1;
        }
    }
    if (c->rs.complete && !c->incremental) {
        for (size_t i = 0; i < c->model->n_definitions; i++) {
            const tmfinv_definition *d = c->model->definitions[i];
            int64_t removed = 0;

            if (!feeds(s, d))
                continue;
            if ((rc = sync_refs_note_unseen(c, s->name, d)) < 0 ||
                (rc = tmfinv_store_sweep(c->store, s->name, d->name, c->run_id, c->now, &removed)) < 0)
                break;
            c->rs.removed += removed;
            c->rs.writes += 2 * removed;
        }
    }
    if (rc == 0)
        rc = tmfinv_store_run_source_put(c->store, c->run_id, &c->rs);
    if (rc < 0)
        (void)tmfinv_store_rollback(c->store);
    else
        rc = tmfinv_store_commit(c->store);
out:
    sync_group_abort(c); /* a failure while a group was open: whole pages only */
    c->rs.error = NULL; /* points into this frame */
    tmfinv_fetcher_free(fetcher);
    return rc;
}

int tmfinv_sync_run(tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                    const tmfinv_sync_options *opt, tmfinv_sync_result *result)
{
    sync_ctx c = {.store = store, .model = model, .opt = opt, .log = opt->log, .log_ctx = opt->log_ctx};
    int rc = 0;

    memset(result, 0, sizeof(*result));
    result->complete = 1;
    if (cfg->deadline_s > 0)
        c.deadline_ms = tmfinv_time_monotonic_ms() + (int64_t)cfg->deadline_s * 1000;
    tmfinv_time_now(c.now, sizeof(c.now));
    result->started_ms = tmfinv_time_monotonic_ms();
    /* The status fields tell StateChange events from AttributeValueChange ones. */
    if ((rc = tmfinv_store_events_model(store, model)) < 0 ||
        (rc = tmfinv_store_run_begin(store, c.now, opt->incremental ? "refresh" : "full", &c.run_id)) < 0)
        return rc;
    result->run_id = c.run_id;
    rc = sync_refs_begin(&c);
    for (size_t i = 0; rc == 0 && i < cfg->n_sources; i++) {
        int64_t started = tmfinv_time_monotonic_ms();

        memset(&c.rs, 0, sizeof(c.rs));
        c.fatal = 0;
        c.moved = 0;
        c.unidentified = 0;
        c.deferred = 0;
        c.announced = -1;
        c.first_page_empty = 0;
        c.withheld = 0;
        c.src = &cfg->sources[i];
        c.source_started_ms = started;
        c.rs.source = c.src->name;
        c.rs.failed_pages = cJSON_CreateArray();
        if (!c.rs.failed_pages) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            break;
        }
        rc = sync_source(&c);
        report_progress(&c, NULL, 1);
        if (!c.rs.complete)
            result->complete = 0;
        if (c.fatal)
            result->errors++;
        if (c.withheld)
            result->withheld++;
        if (rc == 0)
            sync_say(&c, TMFINV_LOG_INFO,
                     "source '%s': %s%s in %.1f s: %lld pages, %lld items: %lld created, %lld updated, %lld unchanged, "
                     "%lld removed, %lld not kept, %lld duplicates, %lld empty keys, %lld excluded, %lld rejected, "
                     "%lld failed pages, %lld requests, %lld retries",
                     c.src->name, c.incremental ? "incremental, " : "",
                     c.rs.complete ? "complete" : "INCOMPLETE (nothing removed)",
                     (double)(tmfinv_time_monotonic_ms() - started) / 1000.0, (long long)c.rs.pages,
                     (long long)c.rs.items, (long long)c.rs.created, (long long)c.rs.updated, (long long)c.rs.unchanged,
                     (long long)c.rs.removed, (long long)c.rs.dropped, (long long)c.rs.duplicates,
                     (long long)c.rs.empty_keys, (long long)c.rs.excluded, (long long)c.rs.rejected,
                     (long long)c.rs.failed, (long long)c.rs.requests, (long long)c.rs.retries);
        cJSON_Delete(c.rs.failed_pages);
        if (rc < 0 || c.interrupted)
            break;
    }
    /* Whatever the sources' outcome, what was written is consistent with the store's services. */
    if (rc == 0)
        rc = sync_refs_finish(&c);
    result->interrupted = c.interrupted;
    if (c.interrupted)
        result->complete = 0;
    return sync_run_end(&c, rc, result->complete);
}

int sync_run_end(sync_ctx *c, int rc, int complete)
{
    free(c->print);
    c->print = NULL;
    for (size_t i = 0; i < c->n_unknown_seen; i++)
        free(c->unknown_seen[i]);
    free(c->unknown_seen);
    c->unknown_seen = NULL;
    c->n_unknown_seen = 0;
    tmfinv_time_now(c->now, sizeof(c->now));
    if (rc == 0)
        return tmfinv_store_run_end(c->store, c->run_id, c->now, complete);
    /* A failed run is ended too (incomplete), so that runs and /api/v1/runs never show it as
     * still going; the failure's own message is the one the caller reports. */
    {
        char message[512];

        (void)snprintf(message, sizeof(message), "%s", tmfinv_error_last());
        (void)tmfinv_store_run_end(c->store, c->run_id, c->now, 0);
        (void)tmfinv_error_set(rc, "%s", message);
    }
    return rc;
}
