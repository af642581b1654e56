/* api_changes.c: the changes feed and timelines of the object-model API (docs/api-v1.md):
 * GET /api/v1/changes (every instance's changes, oldest first, filtered, paged by offset or
 * by an id cursor) and GET …/timeline (the intervals of one field's value). Routes are in
 * api_om.c's table. A page and its count are read in one read transaction; bad parameters
 * are 400 TMF Errors naming the parameter. */
#include "api.h"
#include "daemon.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad_request(tmfinv_http_response *res, const char *message)
{
    return tmfinv_http_error(res, 400, "28", "Bad Request", "%s", message);
}

static int add_change(const cJSON *change, void *ctx)
{
    cJSON *copy = cJSON_Duplicate(change, 1);

    if (!copy || !cJSON_AddItemToArray(ctx, copy)) {
        cJSON_Delete(copy);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

/* 1 when `field` has history in definition `d` (any definition when NULL). */
static int known_field(const tmfinv_model *m, const tmfinv_definition *d, const char *field)
{
    if (strcmp(field, "@removed") == 0 || strcmp(field, "@stale") == 0)
        return 1;
    if (d)
        return tmfinv_definition_field(d, field) != NULL;
    for (size_t i = 0; i < m->n_definitions; i++)
        if (tmfinv_definition_field(m->definitions[i], field))
            return 1;
    return 0;
}

/* Reads the query of GET /api/v1/changes into q (since into `since`); 0, or a message in
 * `why` naming the parameter. */
static int changes_params(const tmfinv_http_request *req, const tmfinv_runtime *rt, tmfinv_changes_query *q,
                          char *since, char *why, size_t why_size)
{
    static const char *const allowed[] = {"since", "sinceRun", "definition", "field", "after", "offset", "limit", NULL};
    const tmfinv_definition *d = NULL;
    const char *v;

    if (tmfinv_http_query_only(req, allowed) < 0) {
        (void)snprintf(why, why_size, "%s", tmfinv_error_last());
        return TMFINV_EINVALID;
    }
    q->limit = rt->cfg->http.default_limit;
    if ((v = tmfinv_http_query(req, "since")) && tmfinv_store_parse_time(v, since) < 0) {
        (void)snprintf(why, why_size, "since %s", tmfinv_error_last());
        return TMFINV_EINVALID;
    }
    q->since = v ? since : NULL;
    if ((v = tmfinv_http_query(req, "sinceRun")) && tmfinv_parse_int64(v, 1, INT64_MAX, &q->since_run) < 0) {
        (void)snprintf(why, why_size, "sinceRun '%.64s': expected a run number, 1 or more", v);
        return TMFINV_EINVALID;
    }
    if (q->since && q->since_run) {
        (void)snprintf(why, why_size, "since and sinceRun: give one of them, not both");
        return TMFINV_EINVALID;
    }
    if ((q->definition = tmfinv_http_query(req, "definition")) && !(d = tmfinv_model_find(rt->model, q->definition))) {
        (void)snprintf(why, why_size, "definition '%.100s': no such definition", q->definition);
        return TMFINV_EINVALID;
    }
    if ((q->field = tmfinv_http_query(req, "field")) && !known_field(rt->model, d, q->field)) {
        (void)snprintf(why, why_size, "field '%.100s': %s has no such field (nor is it @removed or @stale)", q->field,
                       d ? d->name : "no definition");
        return TMFINV_EINVALID;
    }
    if ((v = tmfinv_http_query(req, "after")) && tmfinv_parse_int64(v, 0, INT64_MAX, &q->after) < 0) {
        (void)snprintf(why, why_size, "after '%.64s': expected a change id, 0 or more", v);
        return TMFINV_EINVALID;
    }
    if ((v = tmfinv_http_query(req, "offset")) && tmfinv_parse_int64(v, 0, INT64_MAX / 2, &q->offset) < 0) {
        (void)snprintf(why, why_size, "offset '%.64s': expected a whole number, 0 or more", v);
        return TMFINV_EINVALID;
    }
    if ((v = tmfinv_http_query(req, "limit")) && tmfinv_parse_int64(v, 0, rt->cfg->http.max_limit, &q->limit) < 0) {
        (void)snprintf(why, why_size, "limit '%.64s': expected a whole number from 0 to %d", v,
                       rt->cfg->http.max_limit);
        return TMFINV_EINVALID;
    }
    return 0;
}

int tmfinv_api_changes_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    tmfinv_changes_query q = {0};
    cJSON *o = NULL, *items = cJSON_CreateArray(), *last;
    char since[32], why[600];
    int64_t total = 0, offset, limit;
    int rc = 0, in_tx = 0;

    if (!items) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (changes_params(req, rt, &q, since, why, sizeof(why)) < 0) {
        rc = bad_request(res, why);
        goto out;
    }
    offset = q.offset;
    limit = q.limit;
    /* limit 0 asks for the total only: a page past every row. */
    if (!limit) {
        q.offset = INT64_MAX / 2;
        q.limit = 1;
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    rc = tmfinv_store_changes(req->store, &q, &total, add_change, items);
    if (rc == TMFINV_ENOTFOUND) {
        (void)snprintf(why, sizeof(why), "sinceRun %lld: no such run", (long long)q.since_run);
        rc = bad_request(res, why);
        goto out;
    }
    if (rc < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    if (!(o = cJSON_CreateObject())) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    /* The cursor for the next page: the id of the last change of this one. */
    last = cJSON_GetArrayItem(items, cJSON_GetArraySize(items) - 1);
    cJSON_AddItemToObject(o, "items", items);
    items = NULL;
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    if (last)
        cJSON_AddNumberToObject(o, "nextAfter", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(last, "id")));
    else
        cJSON_AddNullToObject(o, "nextAfter");
    if ((rc = tmfinv_http_header_add(res, "X-Total-Count", "%lld", (long long)total)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 200, o);
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    cJSON_Delete(o);
    cJSON_Delete(items);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

static int take_instance(const tmfinv_instance *inst, void *ctx)
{
    tmfinv_instance **out = ctx;

    if (!(*out = calloc(1, sizeof(**out))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    /* A copy of what the timeline reads (the store's instance is borrowed). */
    **out = *inst;
    (*out)->definition = strdup(inst->definition);
    (*out)->key = strdup(inst->key);
    (*out)->source = NULL;
    (*out)->status = NULL;
    (*out)->removed_reason = NULL;
    (*out)->raw = NULL;
    (*out)->stale = inst->stale ? strdup(inst->stale) : NULL;
    (*out)->fields = cJSON_Duplicate(inst->fields, 1);
    if (!(*out)->definition || !(*out)->key || !(*out)->fields || (inst->stale && !(*out)->stale))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 1;
}

/* GET /api/v1/instances/{id}/timeline and /api/v1/definitions/{name}/instances/{key}/timeline. */
int tmfinv_api_timeline(tmfinv_http_request *req, tmfinv_http_response *res)
{
    static const char *const allowed[] = {"field", NULL};
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    tmfinv_query q = {.include_removed = 1};
    tmfinv_instance *inst = NULL;
    const tmfinv_definition *d;
    const char *field = tmfinv_http_query(req, "field");
    cJSON *t = NULL;
    char why[300];
    int rc = 0, in_tx = 0;

    if (tmfinv_http_query_only(req, allowed) < 0) {
        (void)snprintf(why, sizeof(why), "%s", tmfinv_error_last());
        rc = bad_request(res, why);
        goto out;
    }
    if (req->n_path_params == 1)
        q.id = req->path_params[0];
    else if (!tmfinv_model_find(rt->model, req->path_params[0])) {
        rc = tmfinv_http_error(res, 404, "60", "Not Found", "no definition '%.200s'", req->path_params[0]);
        goto out;
    } else {
        q.definition = req->path_params[0];
        q.key = req->path_params[1];
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = tmfinv_store_query(req->store, &q, take_instance, &inst)) < 0)
        goto out;
    rc = 0;
    if (!inst) {
        rc = q.id ? tmfinv_http_error(res, 404, "60", "Not Found", "no instance with id '%.200s'", q.id)
                  : tmfinv_http_error(res, 404, "60", "Not Found", "no %s with key '%.200s'", q.definition, q.key);
        goto out;
    }
    /* Without a field: the definition's status field. */
    d = tmfinv_model_find(rt->model, inst->definition);
    if (!field && d)
        field = d->fields[d->status_field].name;
    if (!field || !d || !known_field(rt->model, d, field)) {
        (void)snprintf(why, sizeof(why), "field '%.100s': %s has no such field (nor is it @removed or @stale)",
                       field ? field : "", inst->definition);
        rc = bad_request(res, why);
        goto out;
    }
    if ((rc = tmfinv_store_timeline(req->store, inst, field, &t)) < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 200, t);
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    cJSON_Delete(t);
    tmfinv_instance_free(inst);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

int tmfinv_api_history_add(const tmfinv_http_request *req, const char *instance_id, const char *time,
                           const char *field, const char *before, const char *after)
{
    char actor[160];

    /* The token's name, never the token: the tokens file keeps names and hashes only. */
    (void)snprintf(actor, sizeof(actor), "api:%s", req->principal ? req->principal : "anonymous");
    return tmfinv_store_history_add_by(req->store, instance_id, 0, actor, time, field, before, after);
}
