/* sync_refs.c: reference fields restricted to active instances (a profile's
 * "active_only": true, docs/object-model.md). When an item is written, such a field keeps only
 * the references that resolve to an active instance of the referenced definition (by key or
 * by the TMF id of its item); the raw item keeps every reference as sent. Since the
 * referenced instances change too (a service goes out of Operational, a new one comes) and
 * the order of items within a run is arbitrary (a carrier may come before its service), the
 * run notes every instance of a referenced definition that became or stopped being active,
 * and at its end re-evaluates the instances that reference one of them: each change of the
 * field is recorded in the history with the run, like any sync change. A run in which no
 * referenced instance changed does nothing more. An instance written in this run after the
 * last note of each noted reference it holds is not re-evaluated: its write restricted them
 * as they are at the end (the run counts notes and writes in one sequence, c->ref_seq, and the
 * store keeps that order for the run; without it, a first load re-evaluated every carrier and
 * service, 47k at 100k items, to change the 26k written before their services). */
#include "sync_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when some active_only field of the model references `d`. */
static int is_referenced(const tmfinv_model *m, const tmfinv_definition *d)
{
    for (size_t i = 0; i < m->n_definitions; i++)
        for (size_t j = 0; j < m->definitions[i]->n_fields; j++) {
            const tmfinv_field *f = &m->definitions[i]->fields[j];

            if (f->active_only && strcmp(f->references, d->name) == 0)
                return 1;
        }
    return 0;
}

int sync_refs_begin(sync_ctx *c)
{
    c->refs_used = 0;
    for (size_t i = 0; i < c->model->n_definitions; i++)
        for (size_t j = 0; j < c->model->definitions[i]->n_fields; j++)
            if (c->model->definitions[i]->fields[j].active_only)
                c->refs_used = 1;
    /* What an earlier run noted and did not re-evaluate (it was killed) stays noted: this
     * run's end takes it up (those notes have no order in this run, so they always count). */
    c->ref_seq = 0;
    return c->refs_used ? tmfinv_store_ref_order_clear(c->store) : 0;
}

/* Keeps in `v` (a reference or a list of them) only those active in the store; *changed
 * tells whether any went. */
static int filter_value(sync_ctx *c, const tmfinv_field *f, cJSON *values, int *changed)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(values, f->name), *el, *next;
    int active, rc;

    if (!v)
        return 0;
    if (!cJSON_IsArray(v)) {
        if (!cJSON_IsString(v))
            return 0;
        if ((rc = tmfinv_store_ref_active(c->store, f->references, v->valuestring, &active)) < 0)
            return rc;
        if (!active) {
            cJSON_DeleteItemFromObjectCaseSensitive(values, f->name);
            *changed = 1;
        }
        return 0;
    }
    for (el = v->child; el; el = next) {
        next = el->next;
        if (!cJSON_IsString(el))
            continue;
        if ((rc = tmfinv_store_ref_active(c->store, f->references, el->valuestring, &active)) < 0)
            return rc;
        if (!active) {
            cJSON_Delete(cJSON_DetachItemViaPointer(v, el));
            *changed = 1;
        }
    }
    return 0;
}

int sync_refs_filter(sync_ctx *c, const tmfinv_definition *d, cJSON *values)
{
    int rc, changed = 0;

    c->filtered_seq = 0;
    if (!c->refs_used)
        return 0;
    for (size_t i = 0; i < d->n_fields; i++)
        if (d->fields[i].active_only) {
            if (!c->filtered_seq)
                c->filtered_seq = ++c->ref_seq;
            if ((rc = filter_value(c, &d->fields[i], values, &changed)) < 0)
                return rc;
        }
    return 0;
}

int sync_refs_written(sync_ctx *c, const tmfinv_definition *d, const char *key)
{
    if (!c->refs_used || !c->filtered_seq)
        return 0;
    return tmfinv_store_ref_order_written(c->store, d->name, key, c->filtered_seq);
}

int sync_refs_note(sync_ctx *c, const tmfinv_definition *d, const char *key, int was_active, int is_active)
{
    int rc;

    if (!c->refs_used || was_active == is_active || !is_referenced(c->model, d))
        return 0;
    if ((rc = tmfinv_store_ref_note(c->store, d->name, key)) < 0)
        return rc;
    return tmfinv_store_ref_order_note(c->store, d->name, key, ++c->ref_seq);
}

int sync_refs_note_unseen(sync_ctx *c, const char *source, const tmfinv_definition *d)
{
    if (!c->refs_used || !is_referenced(c->model, d))
        return 0;
    return tmfinv_store_ref_note_unseen(c->store, source, d->name);
}

typedef struct reeval_ctx {
    sync_ctx *c;
    const tmfinv_definition *d;
    int64_t checked;
    int64_t changed;
} reeval_ctx;

/* Re-evaluates the instance of r->d with `key`: its fields are computed again from its raw
 * item exactly as when an item is written (mapped, references restricted to the instances
 * active now, local and initial fields carried over), so that what it holds does not depend
 * on when it was written; it is written, with a history entry per changed field, when an
 * active_only field changed. The other fields come out as stored (same item, same rules). */
static int reeval(const char *key, void *ctx)
{
    reeval_ctx *r = ctx;
    sync_ctx *c = r->c;
    tmfinv_instance *inst = NULL;
    cJSON *item = NULL, *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    int rc, changed = 0;

    if ((rc = tmfinv_store_get(c->store, r->d->name, key, &inst)) < 0)
        return rc == TMFINV_ENOTFOUND ? 0 : rc;
    r->checked++;
    /* Removed ones too: what an instance holds must not depend on when it was written. An
     * item that no longer maps (the profile changed) is left to the next write of it. */
    if (!(item = cJSON_Parse(inst->raw)))
        goto out;
    if ((rc = tmfinv_definition_map(r->d, item, &values, &why)) == TMFINV_EINVALID) {
        rc = 0;
        goto out;
    }
    if (rc < 0 || (rc = sync_refs_filter(c, r->d, values)) < 0 || (rc = sync_preserve(r->d, inst, values)) < 0)
        goto out;
    for (size_t i = 0; i < r->d->n_fields && rc == 0; i++) {
        const tmfinv_field *f = &r->d->fields[i];
        const cJSON *before = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(values, f->name);
        char *b, *a;

        if (!f->active_only || (before && after ? cJSON_Compare(before, after, 1) : !before && !after))
            continue;
        b = before ? cJSON_PrintUnformatted(before) : NULL;
        a = after ? cJSON_PrintUnformatted(after) : NULL;
        if ((before && !b) || (after && !a))
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        else
            rc = tmfinv_store_history_add(c->store, inst->id, c->run_id, c->now, f->name, b, a);
        free(a);
        free(b);
        changed = 1;
    }
    if (rc == 0 && changed) {
        cJSON_Delete(inst->fields);
        inst->fields = values;
        values = NULL;
        inst->run_id = c->run_id;
        (void)snprintf(inst->modified, sizeof(inst->modified), "%s", c->now);
        if ((rc = tmfinv_store_put_fields(c->store, inst)) == 0)
            r->changed++;
    }
out:
    cJSON_Delete(values);
    cJSON_Delete(item);
    tmfinv_instance_free(inst);
    return rc;
}

/* The SQLite JSON path of the object member a source path starts at ("$.\"name\""), for the
 * store's search of candidates; the whole item when the name cannot be quoted. */
static void json_root(const tmfinv_path *p, char *out, size_t size)
{
    const char *name = p->n_steps ? p->steps[0].name : NULL;

    if (!name || strchr(name, '"') || strchr(name, '\\') ||
        snprintf(out, size, "$.\"%s\"", name) >= (int)size)
        (void)snprintf(out, size, "$");
}

int sync_refs_finish(sync_ctx *c)
{
    int64_t noted = 0, checked = 0, changed = 0;
    int rc;

    if (!c->refs_used)
        return 0;
    if ((rc = tmfinv_store_ref_noted(c->store, &noted)) < 0 || noted == 0)
        return rc;
    tmfinv_time_now(c->now, sizeof(c->now));
    if ((rc = tmfinv_store_begin(c->store)) < 0)
        return rc;
    for (size_t i = 0; i < c->model->n_definitions && rc == 0; i++) {
        const tmfinv_definition *d = c->model->definitions[i];

        for (size_t j = 0; j < d->n_fields && rc == 0; j++) {
            const tmfinv_field *f = &d->fields[j];
            reeval_ctx r = {.c = c, .d = d};

            if (!f->active_only)
                continue;
            for (size_t k = 0; k < f->n_from && rc == 0; k++) {
                char root[300];

                json_root(&f->from[k], root, sizeof(root));
                rc = tmfinv_store_ref_dependents(c->store, d->name, root, f->references, reeval, &r);
            }
            checked += r.checked;
            changed += r.changed;
        }
    }
    /* Forgotten with the writes they caused, in one transaction. */
    if (rc == 0)
        rc = tmfinv_store_ref_reset(c->store);
    if (rc < 0) {
        (void)tmfinv_store_rollback(c->store);
        return rc;
    }
    if ((rc = tmfinv_store_commit(c->store)) < 0)
        return rc;
    sync_say(c, TMFINV_LOG_DEBUG,
             "references: %lld keys or TMF ids of referenced instances became or stopped being active; %lld "
             "instances that may reference them re-evaluated, %lld changed", (long long)noted, (long long)checked,
             (long long)changed);
    return 0;
}
