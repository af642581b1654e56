/* api_events.c: the TMF hub of tmfinv's own API (POST and DELETE …/hub of TMF638 and TMF639:
 * subscriptions stored as receivers, delivered like webhooks) and /api/v1/events (receivers,
 * dead letters, retry). See docs/events.md, docs/api-tmf.md and docs/api-v1.md. */
#include "api.h"
#include "daemon.h"
#include "events.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUB_CALLBACK_MAX 2000
#define HUB_QUERY_MAX 1000

/* 1 when a callback of this origin may be subscribed: any, unless [http]
 * hub_callback_origins lists the only ones (read at each request: a SIGHUP may change it). */
static int callback_allowed(tmfinv_http_request *req, const char *origin)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    int ok = rt->cfg->http.n_hub_callback_origins == 0;

    for (size_t i = 0; !ok && i < rt->cfg->http.n_hub_callback_origins; i++)
        ok = strcmp(rt->cfg->http.hub_callback_origins[i], origin) == 0;
    tmfinv_daemon_release(req->app, rt);
    return ok;
}

static int hub_create(tmfinv_http_request *req, tmfinv_http_response *res, const char *api, const char *base_path)
{
    cJSON *body = NULL, *answer = NULL;
    const cJSON *callback, *query;
    char id[40], name[48], now[32], origin[512], location[2400];
    tmfinv_receiver r;
    int rc;

    if ((rc = tmfinv_http_body_json(req, res, &body)) < 0)
        return rc == TMFINV_EINVALID ? 0 : rc;
    callback = cJSON_GetObjectItemCaseSensitive(body, "callback");
    query = cJSON_GetObjectItemCaseSensitive(body, "query");
    if (!cJSON_IsObject(body) || !cJSON_IsString(callback)) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "EventSubscriptionInput: 'callback' (a string) is required");
        goto out;
    }
    if (strlen(callback->valuestring) > HUB_CALLBACK_MAX ||
        tmfinv_config_url_origin(callback->valuestring, origin, sizeof(origin)) < 0) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "callback: expected an http or https URL of at most %d "
                               "bytes", HUB_CALLBACK_MAX);
        goto out;
    }
    if (!callback_allowed(req, origin)) {
        rc = tmfinv_http_error(res, 403, "50", "Forbidden", "callback: origin %s is not in [http] hub_callback_origins",
                               origin);
        goto out;
    }
    if (query && !cJSON_IsNull(query) &&
        (!cJSON_IsString(query) || strlen(query->valuestring) > HUB_QUERY_MAX ||
         tmfinv_events_query_check(query->valuestring) < 0)) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "query: %s",
                               cJSON_IsString(query) ? tmfinv_error_last() : "expected a string");
        goto out;
    }
    if ((rc = tmfinv_uuid_new(id, sizeof(id))) < 0)
        goto out;
    (void)snprintf(name, sizeof(name), "hub:%s", id);
    tmfinv_time_now(now, sizeof(now));
    memset(&r, 0, sizeof(r));
    r.name = name;
    r.kind = "hub";
    r.api = api;
    r.callback = callback->valuestring;
    r.query = cJSON_IsString(query) && *query->valuestring ? query->valuestring : NULL;
    r.created = now;
    if ((rc = tmfinv_store_receiver_put(req->store, &r)) < 0)
        goto out;
    if (!(answer = cJSON_CreateObject()) || !cJSON_AddStringToObject(answer, "id", id) ||
        !cJSON_AddStringToObject(answer, "callback", r.callback) ||
        (r.query && !cJSON_AddStringToObject(answer, "query", r.query))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    (void)snprintf(location, sizeof(location), "%s%s/%s", req->base, base_path, id);
    if ((rc = tmfinv_http_header_add(res, "Location", "%s", location)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 201, answer);
out:
    cJSON_Delete(body);
    cJSON_Delete(answer);
    return rc;
}

typedef struct hub_find {
    const char *api;
    int match;
} hub_find;

static int check_hub(const tmfinv_receiver *r, void *ctx)
{
    hub_find *f = ctx;

    f->match = r->api && strcmp(r->api, f->api) == 0;
    return 0;
}

static int hub_delete(tmfinv_http_request *req, tmfinv_http_response *res, const char *api)
{
    char name[64];
    hub_find f = {api, 0};
    int rc;

    if (strlen(req->path_params[0]) > 40)
        return tmfinv_http_error(res, 404, "60", "Not Found", "no subscription '%.60s'", req->path_params[0]);
    (void)snprintf(name, sizeof(name), "hub:%s", req->path_params[0]);
    rc = tmfinv_store_receivers(req->store, name, check_hub, &f);
    if (rc == TMFINV_ENOTFOUND || (rc == 0 && !f.match))
        return tmfinv_http_error(res, 404, "60", "Not Found", "no subscription '%.60s'", req->path_params[0]);
    if (rc < 0 || (rc = tmfinv_store_receiver_delete(req->store, name)) < 0)
        return rc;
    res->status = 204;
    return 0;
}

#define HUB638 "/tmf-api/serviceInventory/v4/hub"
#define HUB639 "/tmf-api/resourceInventoryManagement/v4/hub"

static int hub_create_638(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return hub_create(req, res, "tmf638", HUB638);
}

static int hub_create_639(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return hub_create(req, res, "tmf639", HUB639);
}

static int hub_delete_638(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return hub_delete(req, res, "tmf638");
}

static int hub_delete_639(tmfinv_http_request *req, tmfinv_http_response *res)
{
    return hub_delete(req, res, "tmf639");
}

/* ---- /api/v1/events ---- */

static int add_dead(const tmfinv_dead_letter *d, void *ctx)
{
    cJSON *o = tmfinv_events_dead_json(d);

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int add_receiver(const tmfinv_receiver *r, void *ctx)
{
    cJSON *o = tmfinv_events_receiver_json(r);

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

/* ?state=dead (default) or retry: the dead letters, oldest first, paged; ?receiver=NAME. */
static int events_list(tmfinv_http_request *req, tmfinv_http_response *res)
{
    const char *state = tmfinv_http_query(req, "state"), *receiver = tmfinv_http_query(req, "receiver");
    const char *off = tmfinv_http_query(req, "offset"), *lim = tmfinv_http_query(req, "limit");
    int64_t offset = 0, limit = 1000, total = 0;
    cJSON *o = cJSON_CreateObject(), *items = cJSON_CreateArray(), *receivers = cJSON_CreateArray();
    int rc;

    if (!o || !items || !receivers) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (!state)
        state = "dead";
    if (strcmp(state, "dead") != 0 && strcmp(state, "retry") != 0) {
        rc = tmfinv_http_error(res, 400, "28", "Bad Request", "state: expected dead or retry");
        goto out;
    }
    if ((off && tmfinv_parse_int64(off, 0, INT64_MAX / 2, &offset) < 0) ||
        (lim && tmfinv_parse_int64(lim, 0, 10000, &limit) < 0)) {
        rc = tmfinv_http_error(res, 400, "28", "Bad Request", "offset and limit: whole numbers (limit at most 10000)");
        goto out;
    }
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    rc = tmfinv_store_receivers(req->store, NULL, add_receiver, receivers);
    if (rc == 0)
        /* limit 0 asks for the total only: a page past every row. */
        rc = tmfinv_store_dead_letters(req->store, state, receiver, limit ? offset : INT64_MAX / 2, limit ? limit : 1,
                                       &total, add_dead, items);
    if (rc < 0) {
        (void)tmfinv_store_rollback(req->store);
        goto out;
    }
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    cJSON_AddItemToObject(o, "items", items);
    items = NULL;
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddNumberToObject(o, "offset", (double)offset);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    cJSON_AddItemToObject(o, "receivers", receivers);
    receivers = NULL;
    if ((rc = tmfinv_http_header_add(res, "X-Total-Count", "%lld", (long long)total)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 200, o);
out:
    cJSON_Delete(o);
    cJSON_Delete(items);
    cJSON_Delete(receivers);
    return rc;
}

static int events_retry(tmfinv_http_request *req, tmfinv_http_response *res)
{
    int64_t id = 0, count = 0;
    cJSON *o = NULL;
    int rc;

    if (tmfinv_parse_int64(req->path_params[0], 1, INT64_MAX, &id) < 0)
        return tmfinv_http_error(res, 404, "60", "Not Found", "no dead letter '%.40s'", req->path_params[0]);
    rc = tmfinv_store_dead_retry(req->store, id, &count);
    if (rc == TMFINV_ENOTFOUND)
        return tmfinv_http_error(res, 404, "60", "Not Found", "no dead letter %lld", (long long)id);
    if (rc < 0)
        return rc;
    if (!(o = cJSON_CreateObject()))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "state", "retry");
    rc = tmfinv_http_json(res, 202, o);
    cJSON_Delete(o);
    return rc;
}

/* Routes with a body are never cached (cache 0); the list changes with deliveries that do
 * not change the store's instances, so it is not cached either. */
const tmfinv_http_route tmfinv_api_events_routes[] = {
    {"POST", HUB638, TMFINV_ROLE_WRITE, hub_create_638, "tmf638_hub_create", 0},
    {"DELETE", HUB638 "/{id}", TMFINV_ROLE_WRITE, hub_delete_638, "tmf638_hub_delete", 0},
    {"POST", HUB639, TMFINV_ROLE_WRITE, hub_create_639, "tmf639_hub_create", 0},
    {"DELETE", HUB639 "/{id}", TMFINV_ROLE_WRITE, hub_delete_639, "tmf639_hub_delete", 0},
    {"GET", "/api/v1/events", TMFINV_ROLE_READ, events_list, "events_list", 0},
    {"POST", "/api/v1/events/{id}/retry", TMFINV_ROLE_WRITE, events_retry, "events_retry", 0},
};
const size_t tmfinv_api_events_n_routes = sizeof(tmfinv_api_events_routes) / sizeof(tmfinv_api_events_routes[0]);
