/* api_tmf_write.c: the writes of the TMF638/TMF639 v4 API (docs/api-tmf.md) — POST of
 * local entities, PATCH, and DELETE of local entities.
 *
 * A POST body is a TMF v4 Service_Create / Resource_Create, checked against the official
 * specification files of the data folder (tmf/, loaded once: tmf_schema.c), then taken
 * through the same rules as a synced item (classification, key, status rules, mapping and
 * validation by the definitions). It becomes an instance owned by tmfinv: source
 * TMFINV_SOURCE_LOCAL, which no source can be called, so no sync writes, marks or sweeps
 * it (sync.c reports a source's item with the same key as `local_conflict`). Its TMF `id`
 * is the instance UUID; its `raw` item is the entity as created and patched.
 *
 * The specifications are loaded by api_tmf_specs.c.
 *
 * PATCH changes the local and initial fields of a synced instance, and any field of a
 * local one (written back into its entity, then mapped again, so that its fields and its
 * TMF representation never disagree). DELETE marks a local instance removed
 * (docs/decisions.md); a synced one belongs to its source and is refused with 409.
 * Every write is one write transaction, all or nothing, recorded in the history (run 0,
 * actor "api:" and the token's name: tmfinv_api_history_add()). */
#include "api.h"
#include "api_tmf_int.h"
#include "store_events.h"
#include "tmf_schema.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shared checks ----------------------------------------------------------------------- */

/* 1 when `ct` is application/json, or application/merge-patch+json when `merge`, with at
 * most a charset parameter of utf-8 (any case, quoted or not) among its parameters. */
static int json_content_type(const char *ct, int merge)
{
    const char *semi;
    size_t n;

    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    semi = strchr(ct, ';');
    n = semi ? (size_t)(semi - ct) : strlen(ct);
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (!((n == 16 && strncasecmp(ct, "application/json", n) == 0) ||
          (merge && n == 28 && strncasecmp(ct, "application/merge-patch+json", n) == 0)))
        return 0;
    while (semi) {
        const char *p = semi + 1, *next = strchr(p, ';');
        size_t len;

        while (*p == ' ' || *p == '\t')
            p++;
        len = next ? (size_t)(next - p) : strlen(p);
        if (len >= 8 && strncasecmp(p, "charset=", 8) == 0) {
            const char *v = p + 8;
            size_t vlen = len - 8;

            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            if (!(vlen == 5 && strncasecmp(v, "utf-8", 5) == 0))
                return 0;
        }
        semi = next;
    }
    return 1;
}

/* The content hash of a local instance, as the sync computes one (definition + item). */
static int hash_item(const tmfinv_definition *d, const cJSON *item, char hash[65], char **printed)
{
    char *text = cJSON_PrintUnformatted(item);

    if (!text)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    tmfinv_sha256_hex2(d->fingerprint, strlen(d->fingerprint), text, strlen(text), hash);
    *printed = text;
    return 0;
}

/* tmfinv_unknown_fn: keeps the first value an enum field does not declare. */
typedef struct unknown_first {
    char field[128];
    char value[256];
    int found;
} unknown_first;

static int note_unknown(void *ctx, const tmfinv_field *f, const char *value)
{
    unknown_first *u = ctx;

    if (!u->found) {
        (void)snprintf(u->field, sizeof(u->field), "%s", f->name);
        (void)snprintf(u->value, sizeof(u->value), "%s", value);
        u->found = 1;
    }
    return 0;
}

/* ---- POST ---------------------------------------------------------------------------- */

/* Takes `item` (the body with its new `id`) through the definitions' rules. On success
 * *def and *key (new) are set; otherwise the 400 is answered and TMFINV_EINVALID returned. */
static int create_rules(api_tmf_request *t, const cJSON *item, const tmfinv_definition **def, char **key)
{
    const tmfinv_definition *d = tmfinv_model_classify(t->rt->model, t->coll->api, item);
    tmfinv_http_response *res = t->res;
    const char *type = NULL, *status;
    unknown_first u;
    int rc;

    if (!d) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request",
                               "no definition of %s (the %s collection) takes this %s: see the profiles' \"match\"",
                               t->coll->api, t->coll->entity, t->coll->entity);
        return rc < 0 ? rc : TMFINV_EINVALID;
    }
    if ((rc = tmfinv_definition_key(d, item, key)) == TMFINV_EINVALID || (rc == 0 && !*key)) {
        const tmfinv_field *kf = &d->fields[d->key_field];

        rc = tmfinv_http_error(res, 400, "32", "Bad Request", "%s: the key of %s (field '%s', read from '%s') %s",
                               kf->n_from ? kf->from[0].text : kf->name, d->name, kf->name,
                               kf->n_from ? kf->from[0].text : "-",
                               rc == 0 ? "is missing or empty" : tmfinv_error_last());
        return rc < 0 ? rc : TMFINV_EINVALID;
    }
    if (rc < 0)
        return rc;
    if (tmfinv_definition_excluded(d, item, &type)) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request", "@type: %s excludes type '%.100s'", d->name,
                               type ? type : "");
        goto invalid;
    }
    status = tmfinv_definition_source_status(d, item);
    if (!status && tmfinv_definition_status_present(d, item)) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request", "%s: the status must be a string",
                               d->fields[d->status_field].from ? d->fields[d->status_field].from[0].text
                                                               : d->fields[d->status_field].name);
        goto invalid;
    }
    memset(&u, 0, sizeof(u));
    if ((rc = tmfinv_definition_unknown_values(d, item, note_unknown, &u)) < 0)
        goto fail;
    if (u.found) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request",
                               "field '%s': '%.100s' is not one of the values %s declares (see GET /api/v1/definitions/%s)",
                               u.field, u.value, d->name, d->name);
        goto invalid;
    }
    if (!tmfinv_definition_keeps(d, status)) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request",
                               "field '%s': %s does not keep instances whose status is '%.100s' (they would be stored"
                               " as removed)", d->fields[d->status_field].name, d->name, status ? status : "(none)");
        goto invalid;
    }
    *def = d;
    return 0;
invalid:
    rc = rc < 0 ? rc : TMFINV_EINVALID;
fail:
    free(*key);
    *key = NULL;
    return rc;
}

/* POST: creates a local instance from a *_Create body (see the file comment). */
static int create(tmfinv_http_request *req, tmfinv_http_response *res, const api_tmf_collection *coll)
{
    api_tmf_request t;
    const tmfinv_tmf_spec *spec;
    const api_tmf_spec_file *file;
    const tmfinv_definition *d = NULL;
    tmfinv_instance *inst = NULL;
    cJSON *body = NULL, *out = NULL, *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    char *key = NULL, old_id[40], old_hash[65], now[32];
    int rc, in_tx = 0, exists, old_removed = 0, old_stale = 0, local = 0;

    api_tmf_request_begin(&t, req, res, coll);
    if ((rc = api_tmf_spec_for(coll, &spec, &file)) < 0)
        goto out;
    if (!json_content_type(req->content_type, 0)) {
        rc = tmfinv_http_error(res, 415, "415", "Unsupported Media Type",
                               "POST takes application/json (charset utf-8), not '%.100s'",
                               req->content_type ? req->content_type : "(none)");
        goto out;
    }
    if ((rc = tmfinv_http_body_json(req, res, &body)) < 0) {
        if (rc == TMFINV_EINVALID)
            rc = 0;
        goto out;
    }
    if (!cJSON_IsObject(body)) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "the body must be a JSON object (a TMF %s)", file->create);
        goto out;
    }
    /* The server assigns both (a v4 *_Create has neither: "Skipped properties: id,href"). */
    for (size_t i = 0; i < 2; i++) {
        const char *name = i == 0 ? "id" : "href";

        if (cJSON_GetObjectItemCaseSensitive(body, name)) {
            rc = tmfinv_http_error(res, 400, "31", "Bad Request",
                                   "%s: the server assigns it; a %s has no %s (TMF v4)", name, file->create, name);
            goto out;
        }
    }
    if (tmfinv_tmf_spec_validate(spec, file->create, body) < 0) {
        rc = tmfinv_http_error(res, 400, "30", "Bad Request", "%s (%s, %s)", tmfinv_error_last(), file->create,
                               file->file);
        goto out;
    }
    if (!(inst = calloc(1, sizeof(*inst)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    /* The TMF id is the instance UUID: set before the rules, as a key may be read from it. */
    if ((rc = tmfinv_uuid_new(inst->id, sizeof(inst->id))) < 0)
        goto out;
    cJSON_AddStringToObject(body, "id", inst->id);
    if ((rc = create_rules(&t, body, &d, &key)) < 0) {
        if (rc == TMFINV_EINVALID)
            rc = 0;
        goto out;
    }
    /* The status fields tell StateChange events from AttributeValueChange ones (store_events.h). */
    if ((rc = tmfinv_store_events_model(req->store, t.rt->model)) < 0 || (rc = tmfinv_store_begin_write(req->store)) < 0)
        goto out;
    in_tx = 1;
    rc = tmfinv_store_state_local(req->store, d->name, key, old_id, old_hash, &old_removed, &old_stale, &local);
    exists = rc == 0;
    if (rc < 0 && rc != TMFINV_ENOTFOUND)
        goto out;
    if (exists && !old_removed) {
        const tmfinv_field *kf = &d->fields[d->key_field];

        rc = tmfinv_http_error(res, 409, "70", "Conflict", "%s: %s '%.200s' already exists (id %s, %s)",
                               kf->n_from ? kf->from[0].text : kf->name, d->name, key, old_id,
                               local ? "created through the API" : "from a source");
        goto out;
    }
    if (exists) {
        /* A removed instance had this key: the new entity takes its place (and its history). */
        (void)snprintf(inst->id, sizeof(inst->id), "%s", old_id);
        cJSON_ReplaceItemInObjectCaseSensitive(body, "id", cJSON_CreateString(old_id));
    }
    if (tmfinv_definition_map(d, body, &values, &why) == TMFINV_EINVALID) {
        rc = tmfinv_http_error(res, 400, "32", "Bad Request", "field '%s': %s", why.field,
                               why.reason[0] ? why.reason : "invalid value");
        goto out;
    }
    if (!values) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    tmfinv_time_now(now, sizeof(now));
    inst->definition = strdup(d->name);
    inst->key = key;
    key = NULL;
    inst->source = strdup(TMFINV_SOURCE_LOCAL);
    {
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(values, d->fields[d->status_field].name);

        inst->status = cJSON_IsString(sv) ? strdup(sv->valuestring) : NULL;
    }
    (void)snprintf(inst->created, sizeof(inst->created), "%s", now);
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", now);
    inst->fields = values;
    values = NULL;
    if (!inst->definition || !inst->source || (rc = hash_item(d, body, inst->content_hash, &inst->raw)) < 0) {
        rc = rc < 0 ? rc : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_api_history_add(req, inst->id, now, "@created", NULL, "\"" TMFINV_SOURCE_LOCAL "\"")) < 0 ||
        (exists && (rc = tmfinv_api_history_add(req, inst->id, now, "@removed", "true", "false")) < 0) ||
        (rc = tmfinv_store_put(req->store, inst)) < 0)
        goto out;
    rc = tmfinv_store_commit(req->store);
    in_tx = 0;
    if (rc < 0 || (rc = api_tmf_represent(&t, inst, &out)) < 0)
        goto out;
    {
        const cJSON *href = cJSON_GetObjectItemCaseSensitive(out, "href");

        if ((rc = tmfinv_http_json(res, 201, out)) == 0 && cJSON_IsString(href))
            rc = tmfinv_http_header_add(res, "Location", "%s", href->valuestring);
    }
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    free(key);
    cJSON_Delete(values);
    cJSON_Delete(out);
    cJSON_Delete(body);
    tmfinv_instance_free(inst);
    api_tmf_request_end(&t);
    return rc;
}

/* ---- DELETE ------------------------------------------------------------------------------ */

/* DELETE: a local instance is marked removed (docs/decisions.md); a synced one is refused. */
static int delete(tmfinv_http_request *req, tmfinv_http_response *res, const api_tmf_collection *coll)
{
    api_tmf_request t;
    tmfinv_instance *inst = NULL;
    char now[32];
    int rc, in_tx = 0;

    api_tmf_request_begin(&t, req, res, coll);
    /* The status fields tell StateChange events from AttributeValueChange ones (store_events.h). */
    if ((rc = tmfinv_store_events_model(req->store, t.rt->model)) < 0 || (rc = tmfinv_store_begin_write(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = api_tmf_find(&t, &inst)) < 0) {
        if (rc == TMFINV_ENOTFOUND)
            rc = 0;
        goto out;
    }
    if (strcmp(inst->source, TMFINV_SOURCE_LOCAL) != 0) {
        rc = tmfinv_http_error(res, 409, "71", "Conflict",
                               "%s '%.200s' belongs to source '%.100s': only entities created through this API can be"
                               " deleted, as the next sync would bring this one back (remove it at the source)",
                               inst->definition, inst->key, inst->source);
        goto out;
    }
    tmfinv_time_now(now, sizeof(now));
    inst->removed = 1;
    free(inst->removed_reason);
    inst->removed_reason = strdup("deleted through the API");
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", now);
    inst->run_id = 0;
    if (!inst->removed_reason) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_api_history_add(req, inst->id, now, "@removed", "false", "true")) < 0 ||
        (rc = tmfinv_store_put(req->store, inst)) < 0)
        goto out;
    rc = tmfinv_store_commit(req->store);
    in_tx = 0;
    if (rc == 0)
        res->status = 204;
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    tmfinv_instance_free(inst);
    api_tmf_request_end(&t);
    return rc;
}

/* ---- PATCH ------------------------------------------------------------------------------- */

/* The source and initial fields of `inst` as its last item from the source (`raw`)
 * gives them, in *out (new). An item that no longer maps under the current profile
 * gives none: the field is then unset. */
static int source_values(const tmfinv_definition *d, const tmfinv_instance *inst, cJSON **out)
{
    cJSON *raw = inst->raw ? cJSON_Parse(inst->raw) : NULL, *mapped = NULL;
    tmfinv_reject why = {0};

    if (!raw || tmfinv_definition_map(d, raw, &mapped, &why) < 0)
        mapped = NULL;
    cJSON_Delete(raw);
    if (!mapped && !(mapped = cJSON_CreateObject()))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *out = mapped;
    return 0;
}

/* Writes `value` (copied; NULL removes) at `steps` of `node`, through plain members and
 * `name[key=value]` selections (the element is added when none matches). 0 when written,
 * 1 when the path cannot be written (another step kind, or a member of another shape). */
static int write_steps(cJSON *node, const tmfinv_path_step *steps, size_t n, const cJSON *value)
{
    cJSON *child = cJSON_GetObjectItemCaseSensitive(node, steps[0].name), *el;

    if (steps[0].kind == STEP_PLAIN && n == 1) {
        cJSON *copy;

        if (!value) {
            cJSON_DeleteItemFromObjectCaseSensitive(node, steps[0].name);
            return 0;
        }
        if (!(copy = cJSON_Duplicate(value, 1)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        if (child)
            cJSON_ReplaceItemViaPointer(node, child, copy);
        else
            cJSON_AddItemToObject(node, steps[0].name, copy);
        return 0;
    }
    if (n == 1 || (steps[0].kind != STEP_PLAIN && steps[0].kind != STEP_MATCH))
        return 1;
    if (steps[0].kind == STEP_PLAIN) {
        if (!child) {
            if (!value)
                return 0;
            if (!(child = cJSON_AddObjectToObject(node, steps[0].name)))
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        return cJSON_IsObject(child) ? write_steps(child, steps + 1, n - 1, value) : 1;
    }
    if (!child) {
        if (!value)
            return 0;
        if (!(child = cJSON_AddArrayToObject(node, steps[0].name)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if (!cJSON_IsArray(child))
        return 1;
    cJSON_ArrayForEach(el, child) {
        const cJSON *k = cJSON_IsObject(el) ? cJSON_GetObjectItemCaseSensitive(el, steps[0].match_key) : NULL;

        if (cJSON_IsString(k) && strcmp(k->valuestring, steps[0].match_value) == 0)
            return write_steps(el, steps + 1, n - 1, value);
    }
    if (!value)
        return 0;
    if (!(el = cJSON_CreateObject()) || !cJSON_AddStringToObject(el, steps[0].match_key, steps[0].match_value)) {
        cJSON_Delete(el);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    cJSON_AddItemToArray(child, el);
    return write_steps(el, steps + 1, n - 1, value);
}

/* Records in the history each field of `d` whose value differs between `before` and `after`. */
static int record_changes(const tmfinv_http_request *req, const tmfinv_definition *d, const char *id,
                          const char *now, const cJSON *before, const cJSON *after)
{
    int rc = 0;

    for (size_t i = 0; i < d->n_fields && rc == 0; i++) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, d->fields[i].name);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(after, d->fields[i].name);
        char *bt, *at;

        if ((!a && !b) || (a && b && cJSON_Compare(a, b, 1)))
            continue;
        bt = b ? cJSON_PrintUnformatted(b) : NULL;
        at = a ? cJSON_PrintUnformatted(a) : NULL;
        if ((b && !bt) || (a && !at))
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        else
            rc = tmfinv_api_history_add(req, id, now, d->fields[i].name, bt, at);
        free(bt);
        free(at);
    }
    return rc;
}

/* PATCH of a local instance: any field but the key. Source and initial fields are written
 * into the entity where their first path points, then the entity is mapped again, so that
 * what GET serves and the stored fields agree; the history records every field that
 * changed. On a refused body the 400 is answered and TMFINV_EINVALID returned. */
static int patch_local(api_tmf_request *t, const tmfinv_definition *d, tmfinv_instance *inst, const cJSON *body,
                       const char *now)
{
    tmfinv_http_response *res = t->res;
    cJSON *raw = cJSON_Parse(inst->raw), *mapped = NULL;
    const cJSON *member;
    tmfinv_reject why = {{0}, {0}};
    char *printed = NULL;
    int rc = 0;

    if (!cJSON_IsObject(raw)) {
        rc = tmfinv_error_set(TMFINV_ESTORE, "instance %s: stored item is not a JSON object", inst->id);
        goto out;
    }
    cJSON_ArrayForEach(member, body) {
        const tmfinv_field *f = tmfinv_definition_field(d, member->string);
        const cJSON *value = cJSON_IsNull(member) ? NULL : member;

        if (f == &d->fields[d->key_field]) {
            const cJSON *now_key = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);

            if (value && now_key && cJSON_Compare(value, now_key, 1))
                continue;
            rc = tmfinv_http_error(res, 400, "23", "Bad Request", "field '%s' is the key of %s and cannot be changed;"
                                   " create a new %s instead", f->name, d->name, t->coll->entity);
            goto invalid;
        }
        if (value && tmfinv_field_validate(f, value, &why) < 0) {
            rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s': %s", f->name,
                                   why.reason[0] ? why.reason : "invalid value");
            goto invalid;
        }
        if (!value && f->required) {
            rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s' is required and cannot be unset", f->name);
            goto invalid;
        }
        if (f->n_from == 0)
            continue;       /* a local field: no place in the entity */
        if ((rc = write_steps(raw, f->from[0].steps, f->from[0].n_steps, value)) < 0)
            goto out;
        if (rc == 1) {
            rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s': its value cannot be written at '%s' in"
                                   " the TMF entity", f->name, f->from[0].text);
            goto invalid;
        }
    }
    if ((rc = tmfinv_definition_map(d, raw, &mapped, &why)) == TMFINV_EINVALID) {
        rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s': %s", why.field,
                               why.reason[0] ? why.reason : "invalid value");
        goto invalid;
    }
    if (rc < 0)
        goto out;
    /* Each value must read back as sent (a later path of the field may hold another). */
    cJSON_ArrayForEach(member, body) {
        const tmfinv_field *f = tmfinv_definition_field(d, member->string);
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(mapped, f->name);
        cJSON *copy = NULL;

        if (f->n_from == 0) {
            if (cJSON_IsNull(member))
                continue;
            if (!(copy = cJSON_Duplicate(member, 1))) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            cJSON_AddItemToObject(mapped, f->name, copy);
            continue;
        }
        if (cJSON_IsNull(member) ? got != NULL : !(got && cJSON_Compare(got, member, 1))) {
            rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s': the TMF entity gives another value once"
                                   " it is written at '%s' (another of its paths holds one)", f->name, f->from[0].text);
            goto invalid;
        }
    }
    /* Local fields the body does not name keep their values. */
    for (size_t i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
        cJSON *copy;

        if (f->n_from != 0 || !old || cJSON_GetObjectItemCaseSensitive(body, f->name))
            continue;
        if (!(copy = cJSON_Duplicate(old, 1))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_AddItemToObject(mapped, f->name, copy);
    }
    if ((rc = record_changes(t->req, d, inst->id, now, inst->fields, mapped)) < 0 ||
        (rc = hash_item(d, raw, inst->content_hash, &printed)) < 0)
        goto out;
    {
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(mapped, d->fields[d->status_field].name);

        free(inst->status);
        inst->status = cJSON_IsString(sv) ? strdup(sv->valuestring) : NULL;
    }
    free(inst->raw);
    inst->raw = printed;
    printed = NULL;
    cJSON_Delete(inst->fields);
    inst->fields = mapped;
    mapped = NULL;
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", now);
    rc = tmfinv_store_put(t->req->store, inst);
    goto out;
invalid:
    rc = rc < 0 ? rc : TMFINV_EINVALID;
out:
    free(printed);
    cJSON_Delete(mapped);
    cJSON_Delete(raw);
    return rc;
}

/* PATCH: the body's members are object-model field names; each must be local or
 * initial for this instance (any field but the key for a local instance: patch_local())
 * and its value valid (null unsets). All or nothing, in one write transaction, each
 * change recorded in the history (run 0). */
static int patch(tmfinv_http_request *req, tmfinv_http_response *res, const api_tmf_collection *coll)
{
    api_tmf_request t;
    tmfinv_instance *inst = NULL;
    const tmfinv_definition *d;
    cJSON *body = NULL, *member, *item = NULL, *from_source = NULL;
    char now[32];
    int rc, in_tx = 0, changed = 0;

    api_tmf_request_begin(&t, req, res, coll);
    if (!json_content_type(req->content_type, 1)) {
        rc = tmfinv_http_error(res, 415, "415", "Unsupported Media Type",
                               "PATCH takes application/merge-patch+json or application/json (charset utf-8), not '%.100s'",
                               req->content_type ? req->content_type : "(none)");
        goto out;
    }
    if ((rc = api_tmf_parse_removed(&t)) < 0) {
        rc = api_tmf_bad_request(&t, rc);
        goto out;
    }
    if ((rc = tmfinv_http_body_json(req, res, &body)) < 0) {
        if (rc == TMFINV_EINVALID)
            rc = 0;
        goto out;
    }
    if (!cJSON_IsObject(body)) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "the body must be a JSON object of field names and values");
        goto out;
    }
    /* The status fields tell StateChange events from AttributeValueChange ones (store_events.h). */
    if ((rc = tmfinv_store_events_model(req->store, t.rt->model)) < 0 || (rc = tmfinv_store_begin_write(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = api_tmf_find(&t, &inst)) < 0) {
        if (rc == TMFINV_ENOTFOUND)
            rc = 0;
        goto out;
    }
    if (!(d = tmfinv_model_find(t.rt->model, inst->definition))) {
        rc = tmfinv_error_set(TMFINV_ERROR, "instance %s: definition %s is not loaded", inst->id, inst->definition);
        goto out;
    }
    cJSON_ArrayForEach(member, body) {
        if (!tmfinv_definition_field(d, member->string)) {
            rc = tmfinv_http_error(res, 400, "22", "Bad Request", "%s has no field '%.100s'", d->name, member->string);
            goto out;
        }
    }
    if (strcmp(inst->source, TMFINV_SOURCE_LOCAL) == 0) {
        tmfinv_time_now(now, sizeof(now));
        if ((rc = patch_local(&t, d, inst, body, now)) < 0) {
            if (rc == TMFINV_EINVALID)
                rc = 0;
            goto out;
        }
        goto done;
    }
    /* Check every member before changing anything. */
    cJSON_ArrayForEach(member, body) {
        const tmfinv_field *f = tmfinv_definition_field(d, member->string);
        tmfinv_reject why = {0};

        /* null on an initial field gives it back to the source (docs/decisions.md). */
        if (cJSON_IsNull(member) && tmfinv_field_owner(f, inst->fields) == TMFINV_OWNER_INITIAL) {
            if (!from_source && (rc = source_values(d, inst, &from_source)) < 0)
                goto out;
            if (f->required && !cJSON_GetObjectItemCaseSensitive(from_source, f->name)) {
                rc = tmfinv_http_error(res, 400, "24", "Bad Request",
                                       "field '%s': null gives an initial field back to the source, but the source's "
                                       "last item has no value for it and it is required",
                                       f->name);
                goto out;
            }
            continue;
        }
        if (tmfinv_field_owner(f, inst->fields) == TMFINV_OWNER_SOURCE) {
            rc = tmfinv_http_error(res, 400, "23", "Bad Request",
                                   "field '%s' of %s '%.100s' is owned by the source and would be overwritten by the "
                                   "next sync; only local and initial fields can be set",
                                   f->name, d->name, inst->key);
            goto out;
        }
        if (tmfinv_field_validate(f, member, &why) < 0) {
            rc = tmfinv_http_error(res, 400, "24", "Bad Request", "field '%s': %s", f->name,
                                   why.reason[0] ? why.reason : "invalid value");
            goto out;
        }
    }
    tmfinv_time_now(now, sizeof(now));
    cJSON_ArrayForEach(member, body) {
        const tmfinv_field *f = tmfinv_definition_field(d, member->string);
        cJSON *old = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
        const cJSON *value = member;
        char *before, *after;
        int same;

        if (cJSON_IsNull(member) && from_source && tmfinv_field_owner(f, inst->fields) == TMFINV_OWNER_INITIAL)
            value = cJSON_GetObjectItemCaseSensitive(from_source, f->name);
        if (value && cJSON_IsNull(value))
            value = NULL;
        before = old ? cJSON_PrintUnformatted(old) : NULL;
        after = value ? cJSON_PrintUnformatted(value) : NULL;
        same = (!before && !after) || (before && after && strcmp(before, after) == 0);
        if ((old && !before) || (value && !after))
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        else if (!same && (rc = tmfinv_api_history_add(req, inst->id, now, f->name, before, after)) == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(inst->fields, f->name);
            if (value)
                cJSON_AddItemToObject(inst->fields, f->name, cJSON_Duplicate(value, 1));
            if (f == &d->fields[d->status_field]) {
                free(inst->status);
                inst->status = cJSON_IsString(value) ? strdup(value->valuestring) : NULL;
            }
            changed = 1;
        }
        free(before);
        free(after);
        if (rc < 0)
            goto out;
    }
    if (changed) {
        (void)snprintf(inst->modified, sizeof(inst->modified), "%s", now);
        if ((rc = tmfinv_store_put(req->store, inst)) < 0)
            goto out;
    }
done:
    rc = tmfinv_store_commit(req->store);
    in_tx = 0;
    if (rc < 0 || (rc = api_tmf_represent(&t, inst, &item)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 200, item);
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    cJSON_Delete(item);
    cJSON_Delete(body);
    cJSON_Delete(from_source);
    tmfinv_instance_free(inst);
    api_tmf_request_end(&t);
    return rc;
}

/* ---- handlers ---------------------------------------------------------------------------- */

int api_tmf_create_service(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return create(req, res, &api_tmf_services);
}

int api_tmf_create_resource(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return create(req, res, &api_tmf_resources);
}

int api_tmf_patch_service(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return patch(req, res, &api_tmf_services);
}

int api_tmf_patch_resource(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return patch(req, res, &api_tmf_resources);
}

int api_tmf_delete_service(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return delete(req, res, &api_tmf_services);
}

int api_tmf_delete_resource(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return delete(req, res, &api_tmf_resources);
}
