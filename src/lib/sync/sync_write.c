/* sync_write.c: what applying one item writes besides the instance itself — reports,
 * field history, removals, stale marks and unknown values (see sync_int.h; the rules that
 * decide are in sync.c). */
#include "sync_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"
#include "tmfinv_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sync_report(sync_ctx *c, const char *kind, const tmfinv_definition *d, const char *key, const cJSON *item,
                const char *field, const char *reason)
{
    const cJSON *id = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "id") : NULL;

    /* An item that is not an object may still carry its id: a string, or an object in an array. */
    if (cJSON_IsString(item))
        id = item;
    else if (cJSON_IsArray(item) && cJSON_IsObject(cJSON_GetArrayItem(item, 0)))
        id = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(item, 0), "id");
    tmfinv_report r = {
        .run_id = c->run_id,
        .source = c->src->name,
        .kind = kind,
        .page = c->page,
        .definition = d ? d->name : NULL,
        .key = key,
        .item_id = cJSON_IsString(id) ? id->valuestring : NULL,
        .field = field,
        .reason = reason,
    };

    int added = 0, rc = tmfinv_store_report_add(c->store, &r, c->now, &added);

    c->rs.writes += added;
    return rc;
}

/* Records each field whose value differs between `before` and `after`. */
int sync_record_changes(sync_ctx *c, const char *instance_id, const cJSON *before, const cJSON *after)
{
    const cJSON *v;
    int rc = 0;

    cJSON_ArrayForEach(v, after) {
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(before, v->string);

        if (!old || !cJSON_Compare(old, v, 1)) {
            char *a = cJSON_PrintUnformatted(v), *b = old ? cJSON_PrintUnformatted(old) : NULL;

            c->rs.writes++;
            rc = a ? tmfinv_store_history_add(c->store, instance_id, c->run_id, c->now, v->string, b, a)
                   : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            free(a);
            free(b);
            if (rc < 0)
                return rc;
        }
    }
    cJSON_ArrayForEach(v, before) {
        if (!cJSON_GetObjectItemCaseSensitive(after, v->string)) {
            char *b = cJSON_PrintUnformatted(v);

            c->rs.writes++;
            rc = b ? tmfinv_store_history_add(c->store, instance_id, c->run_id, c->now, v->string, b, NULL)
                   : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            free(b);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Marks an existing active instance removed, for `reason`. */
int sync_remove_instance(sync_ctx *c, tmfinv_instance *inst, const char *reason)
{
    int rc;

    free(inst->removed_reason);
    inst->removed_reason = strdup(reason);
    inst->removed = 1;
    inst->run_id = c->run_id;
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", c->now);
    if ((rc = tmfinv_store_history_add(c->store, inst->id, c->run_id, c->now, "@removed", "false", "true")) < 0)
        return rc;
    c->rs.writes += 2;
    if ((rc = tmfinv_store_put(c->store, inst)) < 0)
        return rc;
    {
        const tmfinv_definition *d = tmfinv_model_find(c->model, inst->definition);

        return d ? sync_refs_note(c, d, inst->key, 1, 0) : 0;
    }
}

/* Copies the local fields, and the initial fields of an existing instance, into `values`. */
int sync_preserve(const tmfinv_definition *d, const tmfinv_instance *old, cJSON *values)
{
    for (size_t i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        tmfinv_owner owner = tmfinv_field_owner(f, values);
        const cJSON *kept;

        if (owner == TMFINV_OWNER_SOURCE || !old)
            continue;
        kept = cJSON_GetObjectItemCaseSensitive(old->fields, f->name);
        if (!kept) {
            cJSON_DeleteItemFromObjectCaseSensitive(values, f->name);
        } else {
            cJSON *copy = cJSON_Duplicate(kept, 1);

            if (!copy)
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            /* In place when the item maps a value (an initial field), so that the fields read
             * in the same order whichever write produced them (sync_refs.c); else appended. */
            if (cJSON_GetObjectItemCaseSensitive(values, f->name))
                (void)cJSON_ReplaceItemInObjectCaseSensitive(values, f->name, copy);
            else
                cJSON_AddItemToObject(values, f->name, copy);
        }
    }
    return 0;
}

/* Prints `item` compactly into c->print, growing it as needed (up to the body limit). */
int sync_print_item(sync_ctx *c, const cJSON *item)
{
    for (;;) {
        if (c->print && cJSON_PrintPreallocated((cJSON *)item, c->print, (int)c->print_size, 0))
            return 0;
        if (c->print_size >= 64 * 1024 * 1024)
            return tmfinv_error_set(TMFINV_ELIMIT, "an item printed to more than 64 MiB");
        c->print_size = c->print_size ? 2 * c->print_size : 64 * 1024;
        free(c->print);
        c->print = malloc(c->print_size);
        if (!c->print) {
            c->print_size = 0;
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
}

/* Once a page of this scan has failed for good, an item may not be the first of its key
 * (that one may have been on the failed page): it must not overwrite an instance that an
 * item with another TMF id wrote, or a customer's service could be replaced by another's
 * until the next complete scan. Such an item is reported as a deferred duplicate and
 * *deferred set; the next complete scan decides. An item with the same TMF id (the same
 * item, changed) is applied as usual. */
int sync_defer_if_foreign(sync_ctx *c, const tmfinv_definition *d, const char *key, const cJSON *item,
                          int *deferred)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    int same = 1, rc;

    *deferred = 0;
    if (c->rs.failed == 0 && !c->pushed)
        return 0;
    rc = tmfinv_store_written_by(c->store, d->name, key, cJSON_IsString(id) && *id->valuestring ? id->valuestring : NULL,
                                 &same);
    if (rc == TMFINV_ENOTFOUND || (rc == 0 && same))
        return 0;
    if (rc < 0)
        return rc;
    *deferred = 1;
    c->deferred++;
    c->rs.duplicates++;
    return sync_report(c, "duplicate", d, key, item, d->fields[d->key_field].name,
                       c->pushed ? "deferred: pushed by the source's hub while another item (another TMF id) wrote "
                                   "this instance, so this one may not be the first of its key; the next complete "
                                   "scan decides"
                                 : "deferred: a page failed earlier in this scan and another item (another TMF id) "
                                   "wrote this instance, so this one may not be the first of its key; the next "
                                   "complete scan decides");
}

/* The item of an existing instance was rejected (it cannot be stored at all): the stored
 * version is no longer what the source says, so it is marked stale with the reason, never
 * left to pass for current. Cleared when a good version is stored (apply_item). `old` may be
 * NULL (then read here). A removed instance is not served as current: left as it is. */
int sync_mark_stale(sync_ctx *c, const tmfinv_definition *d, const char *key, tmfinv_instance *old,
                    const char *field, const char *why)
{
    tmfinv_instance *read = NULL;
    char reason[768];
    int rc = 0;

    if (!old) {
        if ((rc = tmfinv_store_get(c->store, d->name, key, &read)) == TMFINV_ENOTFOUND)
            return 0;
        if (rc < 0)
            return rc;
        old = read;
    }
    if (old->removed)
        goto out;
    (void)snprintf(reason, sizeof(reason), "the source's latest version was rejected in run %lld (%s%s%s); this is "
                   "the last one stored", (long long)c->run_id, field && *field ? field : "",
                   field && *field ? ": " : "", why);
    if (old->stale && strcmp(old->stale, reason) == 0)
        goto out;
    if (!old->stale &&
        (rc = tmfinv_store_history_add(c->store, old->id, c->run_id, c->now, "@stale", "false", "true")) < 0)
        goto out;
    free(old->stale);
    if (!(old->stale = strdup(reason))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    old->run_id = c->run_id;
    (void)snprintf(old->modified, sizeof(old->modified), "%s", c->now);
    c->rs.writes += 2;
    rc = tmfinv_store_put(c->store, old);
out:
    tmfinv_instance_free(read);
    return rc;
}

/* At most this many distinct unknown values are remembered per run; past it each is still
 * recorded once (the store keeps one report per distinct problem), only not logged. */
#define UNKNOWN_SEEN_MAX 1024

/* Reports a value the item sends to an enum field (the status included) that the definition
 * does not declare: once per distinct (definition, field, value) per run, as a warning. The
 * value is stored as sent; the item is not rejected for it. */
int sync_report_unknown(void *ctx, const tmfinv_field *f, const char *value)
{
    sync_ctx *c = ctx;
    const tmfinv_definition *d = c->def;
    char id[1024], reason[512];
    int n, rc, shown, is_status = f == &d->fields[d->status_field];

    n = snprintf(id, sizeof(id), "%s\037%s\037%s", d->name, f->name, value);
    if (n < 0 || (size_t)n >= sizeof(id))
        n = (int)sizeof(id) - 1;
    for (size_t i = 0; i < c->n_unknown_seen; i++)
        if (strcmp(c->unknown_seen[i], id) == 0)
            return 0;
    /* Quoted up to 200 bytes, never cutting a character, as one line of text. */
    shown = (int)tmfinv_utf8_invalid_at(value, strnlen(value, 200));
    if (is_status)
        (void)snprintf(reason, sizeof(reason), "unknown status '%.*s' (not a declared status of %s): stored as sent, "
                       "%s", shown, value, d->name, tmfinv_definition_keeps(d, value) ? "kept" : "not kept");
    else
        (void)snprintf(reason, sizeof(reason), "unknown value '%.*s' of %s (not one of its values): stored as sent",
                       shown, value, f->name);
    for (char *p = reason; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (c->n_unknown_seen < UNKNOWN_SEEN_MAX) {
        char **grown = realloc(c->unknown_seen, (c->n_unknown_seen + 1) * sizeof(*grown));
        char *copy = strdup(id);

        if (!grown || !copy) {
            if (grown)
                c->unknown_seen = grown;
            free(copy);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        c->unknown_seen = grown;
        c->unknown_seen[c->n_unknown_seen++] = copy;
        sync_say(c, TMFINV_LOG_WARN, "source '%s': %s %s: %s", c->src->name, d->name, f->name, reason);
    }
    rc = sync_report(c, "unknown_value", d, NULL, NULL, f->name, reason);
    return rc;
}

