/* api_om.c: the object-model API under /api/v1/ — definitions, instances of a
 * definition (filters, sort, paging), one instance by section with its history,
 * reports of items not stored as sent, sync runs, POST /api/v1/sync — and its OpenAPI 3
 * document (docs/api-v1.md).
 *
 * Every handler gets the tmfinv_daemon as req->app and holds the current runtime
 * (configuration and model) for the length of the request. A list (its count and its
 * page) is read in one transaction of the thread's store connection, so the two agree
 * even while a sync writes. Bad parameters are 400 TMF Errors naming the parameter;
 * unknown definitions, instances and runs are 404. The OpenAPI document is the data file
 * openapi.json of the data directory (tmfinv_datadir_get(): $TMFINV_DATA_DIR, else beside the
 * executable), read
 * at each request, with `servers` set to the address the client used. */
#include "api.h"
#include "daemon.h"

#include "tmfinv_datadir.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENAPI_MAX_BYTES (1024 * 1024)

/* ---- responses ---------------------------------------------------------------------- */

static int bad_request(tmfinv_http_response *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A 400 TMF Error (code 28: invalid query-string value, as TMF630 reference code maps it). */
static int bad_request(tmfinv_http_response *res, const char *fmt, ...)
{
    char message[900];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return tmfinv_http_error(res, 400, "28", "Bad Request", "%s", message);
}

static int not_found(tmfinv_http_response *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int not_found(tmfinv_http_response *res, const char *fmt, ...)
{
    char message[900];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    return tmfinv_http_error(res, 404, "60", "Not Found", "%s", message);
}

/* Sets `json` as the 200 body and frees it; a NULL `json` (allocation failed) fails. */
static int respond(tmfinv_http_response *res, int status, cJSON *json)
{
    int rc;

    if (!json)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    rc = tmfinv_http_json(res, status, json);
    cJSON_Delete(json);
    return rc;
}

/* A page envelope {items, total, offset, limit} (items taken) with X-Total-Count. With
 * capped >= 0 (instances) also totalCapped: when 1, total is a lower bound ("more than
 * total"), and X-Total-Count, an exact count for its readers, is left out. */
static int respond_page(tmfinv_http_response *res, cJSON *items, int64_t total, int64_t offset, int64_t limit,
                        int capped)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !cJSON_AddItemToObject(o, "items", items)) {
        cJSON_Delete(o);
        cJSON_Delete(items);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    if (capped >= 0)
        cJSON_AddBoolToObject(o, "totalCapped", capped);
    if (capped <= 0 && tmfinv_http_header_add(res, "X-Total-Count", "%lld", (long long)total) < 0) {
        cJSON_Delete(o);
        return TMFINV_ENOMEM;
    }
    return respond(res, 200, o);
}

/* ---- parameters --------------------------------------------------------------------- */

/* Reads offset (default 0) and limit (default [http] default_limit, at most max_limit;
 * 0 asks for the total only). 0 or TMFINV_EINVALID naming the parameter. */
static int paging(const tmfinv_http_request *req, const tmfinv_config *cfg, int64_t *offset, int64_t *limit)
{
    const char *o = tmfinv_http_query(req, "offset"), *l = tmfinv_http_query(req, "limit");
    int64_t off = 0, lim = cfg->http.default_limit;

    if (o && tmfinv_parse_int64(o, 0, INT64_MAX / 2, &off) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "offset '%.64s': expected a whole number, 0 or more", o);
    if (l && tmfinv_parse_int64(l, 0, cfg->http.max_limit, &lim) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "limit '%.64s': expected a whole number from 0 to %d", l,
                                cfg->http.max_limit);
    *offset = off;
    *limit = lim;
    return 0;
}

/* ---- definitions (as JSON: api_om_definitions.c) ---------------------------------------- */

static int definitions_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < rt->model->n_definitions; i++)
        cJSON_AddItemToArray(a, tmfinv_api_definition_json(rt->model->definitions[i]));
    tmfinv_daemon_release(req->app, rt);
    return respond(res, 200, a);
}

/* The definition named by the first path parameter; a 404 response when none. */
static const tmfinv_definition *definition_of(const tmfinv_http_request *req, const tmfinv_runtime *rt,
                                              tmfinv_http_response *res, int *rc)
{
    const tmfinv_definition *d = tmfinv_model_find(rt->model, req->path_params[0]);

    if (!d)
        *rc = not_found(res, "no definition '%.200s'", req->path_params[0]);
    return d;
}

static int definition_get(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    const tmfinv_definition *d;
    int rc = 0;

    if ((d = definition_of(req, rt, res, &rc)))
        rc = respond(res, 200, tmfinv_api_definition_json(d));
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

/* ---- instances ------------------------------------------------------------------------- */

/* An instance as `tmfinv show --json` prints it, without `raw`. */
/* An instance with `raw` and its fields by section of its definition (`d` may be NULL
 * when the model no longer has it: no sections then). */
static cJSON *instance_detail_json(const tmfinv_instance *inst, const tmfinv_definition *d)
{
    cJSON *o = tmfinv_instance_json(inst), *sections = cJSON_CreateArray(), *raw = cJSON_Parse(inst->raw);

    if (!o || !sections) {
        cJSON_Delete(o);
        cJSON_Delete(sections);
        cJSON_Delete(raw);
        return NULL;
    }
    cJSON_AddItemToObject(o, "raw", raw ? raw : cJSON_CreateNull());
    for (size_t s = 0; d && s < d->n_sections; s++) {
        cJSON *sec = cJSON_CreateObject(), *fields = cJSON_CreateArray();

        cJSON_AddStringToObject(sec, "name", d->sections[s]);
        for (size_t k = 0; k < d->n_fields; k++) {
            const tmfinv_field *f = &d->fields[k];
            const cJSON *v;
            cJSON *fo;

            if (strcmp(f->section, d->sections[s]) != 0)
                continue;
            v = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
            fo = cJSON_CreateObject();
            cJSON_AddStringToObject(fo, "name", f->name);
            cJSON_AddItemToObject(fo, "value", v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
            cJSON_AddStringToObject(fo, "owner", tmfinv_owner_name(tmfinv_field_owner(f, inst->fields)));
            cJSON_AddItemToArray(fields, fo);
        }
        cJSON_AddItemToObject(sec, "fields", fields);
        cJSON_AddItemToArray(sections, sec);
    }
    cJSON_AddItemToObject(o, "sections", sections);
    return o;
}

static int add_instance(const tmfinv_instance *inst, void *ctx)
{
    cJSON *o = tmfinv_instance_json(inst);

    if (!o || !cJSON_AddItemToArray(ctx, o)) {
        cJSON_Delete(o);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

static const char *const sort_columns[] = {"key", "status", "created", "modified", "id", "source", NULL};

/* Splits `text` ("a,-b,+c") into sort keys on columns or fields of d, written into
 * `keys` (room for `max`; names point into `text`, which is modified). */
static int parse_sort(const tmfinv_definition *d, char *text, tmfinv_instances_sort *keys, size_t max, size_t *n)
{
    char *p = text;

    *n = 0;
    for (;;) {
        char *comma = strchr(p, ','), *name = p;
        int desc = 0, known = 0;

        if (comma)
            *comma = '\0';
        if (*name == '-' || *name == '+')
            desc = *name++ == '-';
        for (size_t i = 0; sort_columns[i]; i++)
            known |= strcmp(name, sort_columns[i]) == 0;
        if (!*name)
            return tmfinv_error_set(TMFINV_EINVALID, "sort: empty sort key");
        if (!known && !tmfinv_definition_field(d, name))
            return tmfinv_error_set(TMFINV_EINVALID, "sort '%.100s': %s has no field '%.100s'", name, d->name, name);
        if (*n >= max)
            return tmfinv_error_set(TMFINV_EINVALID, "sort: more than %zu keys", max);
        keys[*n].field = name;
        keys[(*n)++].descending = desc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Turns `name=value` into a filter on field `name` of d, the value read as the CLI's
 * --where reads it (tmfinv_field_parse; list fields: "contains"). */
static int parse_filter(const tmfinv_definition *d, const char *name, const char *text, tmfinv_where *w,
                        cJSON **value)
{
    const tmfinv_field *f = tmfinv_definition_field(d, name);
    tmfinv_field scalar;

    if (!f)
        return tmfinv_error_set(TMFINV_EINVALID, "unknown query parameter '%.100s': %s has no such field", name,
                                d->name);
    scalar = *f;
    scalar.is_list = 0;
    scalar.required = 0;
    if (tmfinv_field_parse(d, &scalar, text, value) < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s '%.100s': %s", name, text, msg);
    }
    w->field = f->name;
    w->value = *value;
    w->is_list = f->is_list;
    return 0;
}

#define MAX_SORT_KEYS 8

static int instances_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    tmfinv_instances_page_query pq = {.removed = TMFINV_REMOVED_NO};
    tmfinv_instances_sort sort[MAX_SORT_KEYS];
    tmfinv_where *where = calloc(req->n_query + 1, sizeof(*where));
    cJSON **values = calloc(req->n_query + 1, sizeof(*values));
    cJSON *items = NULL;
    char *sort_text = NULL;
    const tmfinv_definition *d;
    int64_t total = 0, offset, limit;
    size_t n_where = 0;
    int rc = 0, in_tx = 0, capped = 0;

    if (!where || !values) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (!(d = definition_of(req, rt, res, &rc)))
        goto out;
    if (paging(req, rt->cfg, &offset, &limit) < 0) {
        rc = bad_request(res, "%s", tmfinv_error_last());
        goto out;
    }
    for (size_t i = 0; i < req->n_query; i++) {
        const char *name = req->query[i].name, *value = req->query[i].value;

        if (strcmp(name, "offset") == 0 || strcmp(name, "limit") == 0)
            continue;
        if (strcmp(name, "removed") == 0) {
            if (strcmp(value, "false") == 0)
                pq.removed = TMFINV_REMOVED_NO;
            else if (strcmp(value, "true") == 0)
                pq.removed = TMFINV_REMOVED_ONLY;
            else if (strcmp(value, "all") == 0)
                pq.removed = TMFINV_REMOVED_ANY;
            else {
                rc = bad_request(res, "removed '%.64s': expected true, false or all", value);
                goto out;
            }
        } else if (strcmp(name, "sort") == 0) {
            free(sort_text);
            if (!(sort_text = strdup(value))) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            if (parse_sort(d, sort_text, sort, MAX_SORT_KEYS, &pq.n_sort) < 0) {
                rc = bad_request(res, "%s", tmfinv_error_last());
                goto out;
            }
        } else if (strcmp(name, "search") == 0) {
            /* Keys starting with this: a range of the key column's index, fast at any size. */
            pq.q.key_prefix = value;
        } else if (strcmp(name, "status") == 0) {
            /* The status column, compared exactly (whatever the status field is called). */
            if (!(values[n_where] = cJSON_CreateString(value))) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            where[n_where].field = "status";
            where[n_where].value = values[n_where];
            n_where++;
        } else {
            if (parse_filter(d, name, value, &where[n_where], &values[n_where]) < 0) {
                rc = bad_request(res, "%s", tmfinv_error_last());
                goto out;
            }
            n_where++;
        }
    }
    pq.q.definition = d->name;
    pq.q.where = where;
    pq.q.n_where = n_where;
    /* Counted exactly when an index answers the count; otherwise up to a cap (decision 81). */
    pq.count_cap = tmfinv_api_table_count_cap(d, where, n_where, pq.removed);
    /* limit 0 asks for the total only: a page past every row. */
    pq.q.offset = limit ? offset : INT64_MAX / 2;
    pq.q.limit = limit ? limit : 1;
    pq.sort = sort;
    if (!(items = cJSON_CreateArray())) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = tmfinv_store_instances_page(req->store, &pq, &total, add_instance, items)) < 0)
        goto out;
    capped = pq.count_cap > 0 && total > pq.count_cap;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    rc = respond_page(res, items, capped ? pq.count_cap : total, offset, limit, capped);
    items = NULL;
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    for (size_t i = 0; values && i < n_where; i++)
        cJSON_Delete(values[i]);
    cJSON_Delete(items);
    free(values);
    free(where);
    free(sort_text);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

typedef struct found_instance {
    const tmfinv_model *model;
    cJSON *detail;      /* the instance as JSON, NULL until found */
    char id[40];
} found_instance;

static int take_instance(const tmfinv_instance *inst, void *ctx)
{
    found_instance *f = ctx;

    (void)snprintf(f->id, sizeof(f->id), "%s", inst->id);
    if (f->model && !(f->detail = instance_detail_json(inst, tmfinv_model_find(f->model, inst->definition))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 1;
}

/* Finds the instance of the request: by UUID (/instances/{id}...) or by definition and
 * key (/definitions/{name}/instances/{key}...), removed ones included. Fills f (its
 * detail when f->model is set); 0, TMFINV_ENOTFOUND with a 404 in res, or a failure. */
static int find_instance(tmfinv_http_request *req, tmfinv_http_response *res, const tmfinv_runtime *rt,
                         found_instance *f)
{
    tmfinv_query q = {.include_removed = 1};
    int rc;

    if (req->n_path_params == 1)
        q.id = req->path_params[0];
    else {
        if (!tmfinv_model_find(rt->model, req->path_params[0])) {
            (void)not_found(res, "no definition '%.200s'", req->path_params[0]);
            return TMFINV_ENOTFOUND;
        }
        q.definition = req->path_params[0];
        q.key = req->path_params[1];
    }
    rc = tmfinv_store_query(req->store, &q, take_instance, f);
    if (rc < 0)
        return rc;
    if (!f->id[0]) {
        if (q.id)
            (void)not_found(res, "no instance with id '%.200s'", q.id);
        else
            (void)not_found(res, "no %s with key '%.200s'", q.definition, q.key);
        return TMFINV_ENOTFOUND;
    }
    return 0;
}

static int instance_get(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    found_instance f = {.model = rt->model};
    int rc = find_instance(req, res, rt, &f);

    if (rc == 0) {
        rc = respond(res, 200, f.detail);
        f.detail = NULL;
    } else if (rc == TMFINV_ENOTFOUND)
        rc = 0;
    cJSON_Delete(f.detail);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

static int add_json(const cJSON *o, void *ctx)
{
    cJSON *copy = cJSON_Duplicate(o, 1);

    if (!copy || !cJSON_AddItemToArray(ctx, copy)) {
        cJSON_Delete(copy);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

static int instance_history(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    found_instance f = {0};
    cJSON *entries = cJSON_CreateArray();
    int rc, in_tx = 0;

    if (!entries) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = find_instance(req, res, rt, &f)) < 0)
        goto out;
    if ((rc = tmfinv_store_history(req->store, f.id, add_json, entries)) < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    rc = respond(res, 200, entries);
    entries = NULL;
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    if (rc == TMFINV_ENOTFOUND)
        rc = 0;
    cJSON_Delete(entries);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

/* ---- reports and runs -------------------------------------------------------------------- */

/* Answers one page of runs (`runs` set) or of reports of `kind` (NULL: every kind), counted
 * and read in one read transaction so that the total and the items agree; limit 0 asks for
 * the total only. */
static int respond_listing(tmfinv_http_request *req, tmfinv_http_response *res, int runs, const char *kind,
                           int64_t offset, int64_t limit)
{
    cJSON *items = cJSON_CreateArray();
    int64_t total = 0, from = limit ? offset : INT64_MAX / 2, count = limit ? limit : 1;
    int rc = 0, in_tx = 0;

    if (!items) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    rc = runs ? tmfinv_store_runs_page(req->store, 0, from, count, &total, add_json, items)
              : tmfinv_store_reports_page(req->store, kind, from, count, &total, add_json, items);
    if (rc < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    rc = respond_page(res, items, total, offset, limit, -1);
    items = NULL;
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    cJSON_Delete(items);
    return rc;
}

static int rejected_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    static const char *const allowed[] = {"kind", "offset", "limit", NULL};
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    const char *kind = tmfinv_http_query(req, "kind");
    int64_t offset, limit;
    int rc = 0;

    if (tmfinv_http_query_only(req, allowed) < 0 || paging(req, rt->cfg, &offset, &limit) < 0) {
        rc = bad_request(res, "%s", tmfinv_error_last());
        goto out;
    }
    if (!kind)
        kind = "rejected";
    if (strcmp(kind, "all") == 0)
        kind = NULL;
    else if (strcmp(kind, "rejected") != 0 && strcmp(kind, "duplicate") != 0 && strcmp(kind, "empty_key") != 0 &&
             strcmp(kind, "unknown_value") != 0 && strcmp(kind, "local_conflict") != 0) {
        rc = bad_request(res, "kind '%.64s': expected rejected, duplicate, empty_key, unknown_value, local_conflict"
                              " or all", kind);
        goto out;
    }
    rc = respond_listing(req, res, 0, kind, offset, limit);
out:
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

static int runs_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    static const char *const allowed[] = {"offset", "limit", NULL};
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    int64_t offset, limit;
    int rc = 0;

    if (tmfinv_http_query_only(req, allowed) < 0 || paging(req, rt->cfg, &offset, &limit) < 0) {
        rc = bad_request(res, "%s", tmfinv_error_last());
        goto out;
    }
    rc = respond_listing(req, res, 1, NULL, offset, limit);
out:
    tmfinv_daemon_release(req->app, rt);
    return rc;
}

static int run_get(tmfinv_http_request *req, tmfinv_http_response *res)
{
    cJSON *items = NULL;
    int64_t id, total = 0;
    int rc;

    if (tmfinv_parse_int64(req->path_params[0], 1, INT64_MAX, &id) < 0)
        return bad_request(res, "run id '%.64s': expected a whole number, 1 or more", req->path_params[0]);
    if (!(items = cJSON_CreateArray()))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((rc = tmfinv_store_runs_page(req->store, id, 0, 1, &total, add_json, items)) < 0)
        goto out;
    if (cJSON_GetArraySize(items) == 0)
        rc = not_found(res, "no run %lld", (long long)id);
    else
        rc = tmfinv_http_json(res, 200, cJSON_GetArrayItem(items, 0));
out:
    cJSON_Delete(items);
    return rc;
}

/* ---- summary and the caller's roles (for the dashboard) ------------------------------------ */

static int summary(tmfinv_http_request *req, tmfinv_http_response *res)
{
    cJSON *groups = cJSON_CreateArray();
    int rc;

    if (!groups)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((rc = tmfinv_store_summary(req->store, add_json, groups)) < 0) {
        cJSON_Delete(groups);
        return rc;
    }
    return respond(res, 200, groups);
}

/* Who the caller is: the token's name and roles, so that a client (the dashboard) shows
 * edit controls only to a token that may use them. */
static int whoami(tmfinv_http_request *req, tmfinv_http_response *res)
{
    cJSON *o = cJSON_CreateObject(), *roles = cJSON_CreateArray();

    if (!o || !roles || !cJSON_AddItemToObject(o, "roles", roles)) {
        cJSON_Delete(o);
        cJSON_Delete(roles);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    cJSON_AddStringToObject(o, "principal", req->principal ? req->principal : "-");
    if (req->roles & TMFINV_ROLE_READ)
        cJSON_AddItemToArray(roles, cJSON_CreateString("read"));
    if (req->roles & TMFINV_ROLE_WRITE)
        cJSON_AddItemToArray(roles, cJSON_CreateString("write"));
    return respond(res, 200, o);
}

/* ---- sync ---------------------------------------------------------------------------- */

static int sync_start(tmfinv_http_request *req, tmfinv_http_response *res)
{
    int rc = tmfinv_daemon_request_sync(req->app);
    cJSON *o;

    if (rc == TMFINV_EREFUSED)
        return tmfinv_http_error(res, 409, "409", "Conflict", "a sync is running or already asked for; try again later");
    if (rc < 0)
        return tmfinv_http_error(res, 409, "409", "Conflict", "this daemon has no source to sync");
    if (!(o = cJSON_CreateObject()))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_AddStringToObject(o, "status", "started");
    return respond(res, 202, o);
}

/* ---- the OpenAPI document ---------------------------------------------------------------- */

/* The path of the OpenAPI document (new string in *out). */
static int openapi_path(char **out)
{
    char *dir = NULL;
    int rc;

    if ((rc = tmfinv_datadir_get(&dir)) < 0)
        return rc;
    rc = tmfinv_path_join(dir, "openapi.json", out);
    free(dir);
    return rc;
}

static int openapi(tmfinv_http_request *req, tmfinv_http_response *res)
{
    char *path = NULL, *text = NULL, url[400];
    cJSON *doc = NULL, *servers = NULL, *server;
    int rc;

    if ((rc = openapi_path(&path)) < 0 || (rc = tmfinv_file_read(path, OPENAPI_MAX_BYTES, &text, NULL)) < 0)
        goto out;
    if (!(doc = cJSON_Parse(text)) || !cJSON_IsObject(doc)) {
        rc = tmfinv_error_set(TMFINV_EPARSE, "%s: not a JSON object", path);
        goto out;
    }
    /* The server is where this client reached us. */
    (void)snprintf(url, sizeof(url), "%s/api/v1", req->base);
    if (!(servers = cJSON_CreateArray()) || !(server = cJSON_CreateObject()) ||
        !cJSON_AddItemToArray(servers, server) || !cJSON_AddStringToObject(server, "url", url)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "servers");
    cJSON_AddItemToObject(doc, "servers", servers);
    servers = NULL;
    rc = tmfinv_http_json(res, 200, doc);
out:
    cJSON_Delete(servers);
    cJSON_Delete(doc);
    free(text);
    free(path);
    return rc;
}

const tmfinv_http_route tmfinv_api_om_routes[] = {
    {"GET", "/api/v1/definitions", TMFINV_ROLE_READ, definitions_list, "om_definitions", 1},
    {"GET", "/api/v1/definitions/{name}", TMFINV_ROLE_READ, definition_get, "om_definition", 1},
    {"GET", "/api/v1/definitions/{name}/instances", TMFINV_ROLE_READ, instances_list, "om_instances", 1},
    {"GET", "/api/v1/definitions/{name}/instances/{key}", TMFINV_ROLE_READ, instance_get, "om_instance_by_key", 1},
    {"GET", "/api/v1/definitions/{name}/instances/{key}/history", TMFINV_ROLE_READ, instance_history,
     "om_history_by_key", 1},
    {"GET", "/api/v1/instances/{id}", TMFINV_ROLE_READ, instance_get, "om_instance", 1},
    {"GET", "/api/v1/instances/{id}/history", TMFINV_ROLE_READ, instance_history, "om_history", 1},
    {"GET", "/api/v1/instances/{id}/timeline", TMFINV_ROLE_READ, tmfinv_api_timeline, "om_timeline", 1},
    {"GET", "/api/v1/instances/{id}/impact", TMFINV_ROLE_READ, tmfinv_api_impact, "om_impact", 1},
    {"GET", "/api/v1/definitions/{name}/instances/{key}/timeline", TMFINV_ROLE_READ, tmfinv_api_timeline,
     "om_timeline_by_key", 1},
    /* Not cached: `since` may be an age, whose cutoff moves while the store stays the same. */
    {"GET", "/api/v1/changes", TMFINV_ROLE_READ, tmfinv_api_changes_list, "om_changes", 0},
    {"GET", "/api/v1/rejected", TMFINV_ROLE_READ, rejected_list, "om_rejected", 1},
    {"GET", "/api/v1/runs", TMFINV_ROLE_READ, runs_list, "om_runs", 1},
    {"GET", "/api/v1/runs/{id}", TMFINV_ROLE_READ, run_get, "om_run", 1},
    {"POST", "/api/v1/sync", TMFINV_ROLE_WRITE, sync_start, "om_sync", 0},
    {"GET", "/api/v1/summary", TMFINV_ROLE_READ, summary, "om_summary", 1},
    /* Open: a client learns from it whether its token is good without a failing request. */
    {"GET", "/api/v1/whoami", 0, whoami, "om_whoami", 0},
    {"GET", "/api/v1/openapi.json", TMFINV_ROLE_READ, openapi, "om_openapi", 1},
};
const size_t tmfinv_api_om_n_routes = sizeof(tmfinv_api_om_routes) / sizeof(tmfinv_api_om_routes[0]);
