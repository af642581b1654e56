/* api_hub_listener.c: where a source's TMF hub POSTs its events for a source with
 * `hub = true` — POST /api/v1/sources/{name}/events?secret=… (the callback tmfinv gave when
 * it subscribed, daemon_hub.h).
 *
 * The route needs no bearer token (a source has none of tmfinv's): the secret in the callback
 * URL is what authenticates it, compared in constant time; the request log masks it (a query
 * value named `secret`). A body is one TMF v4 event (ServiceCreateEvent, …StateChangeEvent,
 * …AttributeValueChangeEvent, …DeleteEvent, and the Resource… ones, as the source's API
 * says) holding the entity in event.service or event.resource. It is queued for the sync
 * thread and answered at once: 201 queued, 400 not such an event, 401 no secret, 403 a wrong
 * one, 404 no hub source of that name, 503 (Retry-After: 5) when too many events wait. */
#include "api.h"
#include "daemon.h"

#include "tmfinv_error.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"CreateEvent", "AttributeValueChangeEvent", "StateChangeEvent", "DeleteEvent"};

/* 1 when `type` is Service/Resource (as `api` says) + one of kinds; *deleted for a Delete. */
static int event_type_ok(const char *api, const char *type, int *deleted)
{
    const char *entity = strcmp(api, "tmf638") == 0 ? "Service" : "Resource";
    size_t n = strlen(entity);

    if (strncmp(type, entity, n) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type + n, kinds[i]) == 0) {
            *deleted = i == 3;
            return 1;
        }
    return 0;
}

static int hub_event_receive(tmfinv_http_request *req, tmfinv_http_response *res)
{
    const char *name = req->path_params[0], *secret = tmfinv_http_query(req, "secret");
    tmfinv_runtime *rt = NULL;
    char api[16] = "";
    cJSON *body = NULL, *item;
    const char *type;
    int rc, deleted = 0, hub = 0;

    if (!secret || !*secret) {
        rc = tmfinv_http_error(res, 401, "401", "Unauthorized", "the callback's secret is missing");
        goto out;
    }
    rt = tmfinv_daemon_acquire(req->app);
    for (size_t i = 0; i < rt->cfg->n_sources; i++)
        if (strcmp(rt->cfg->sources[i].name, name) == 0) {
            (void)snprintf(api, sizeof(api), "%s", rt->cfg->sources[i].api);
            hub = rt->cfg->sources[i].hub;
        }
    tmfinv_daemon_release(req->app, rt);
    if (!hub) {
        rc = tmfinv_http_error(res, 404, "60", "Not Found", "no source with hub = true is called '%s'", name);
        goto out;
    }
    if ((rc = tmfinv_http_body_json(req, res, &body)) < 0) {
        rc = rc == TMFINV_EINVALID ? 0 : rc;
        goto out;
    }
    type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "eventType"));
    item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "event"),
                                            strcmp(api, "tmf638") == 0 ? "service" : "resource");
    if (!type || !event_type_ok(api, type, &deleted) || !cJSON_IsObject(item)) {
        rc = tmfinv_http_error(res, 400, "28", "Bad Request",
                               "expected a TMF v4 %s event (eventType %sCreateEvent, …AttributeValueChangeEvent, "
                               "…StateChangeEvent or …DeleteEvent, the entity in event.%s)",
                               strcmp(api, "tmf638") == 0 ? "service" : "resource",
                               strcmp(api, "tmf638") == 0 ? "Service" : "Resource",
                               strcmp(api, "tmf638") == 0 ? "service" : "resource");
        goto out;
    }
    cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(body, "event"), item);
    rc = tmfinv_daemon_push(req->app, name, secret, deleted, item);
    if (rc == TMFINV_EREFUSED)
        rc = tmfinv_http_error(res, 403, "403", "Forbidden", "wrong callback secret");
    else if (rc == TMFINV_ENOTFOUND)
        rc = tmfinv_http_error(res, 404, "60", "Not Found", "no source with hub = true is called '%s'", name);
    else if (rc == TMFINV_ELIMIT) {
        if ((rc = tmfinv_http_error(res, 503, "503", "Service Unavailable", "too many events wait; try again "
                                    "later")) == 0)
            rc = tmfinv_http_header_add(res, "Retry-After", "5");
    } else if (rc == 0)
        res->status = 201;
out:
    cJSON_Delete(body);
    return rc;
}

const tmfinv_http_route tmfinv_api_hub_routes[] = {
    {"POST", "/api/v1/sources/{name}/events", 0, hub_event_receive, "hub_listener", 0},
};
const size_t tmfinv_api_hub_n_routes = sizeof(tmfinv_api_hub_routes) / sizeof(tmfinv_api_hub_routes[0]);
