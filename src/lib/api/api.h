/* api.h: the route tables of the HTTP API served by `tmfinv serve` (each handler gets
 * the tmfinv_daemon as req->app). */
#ifndef TMFINV_API_H
#define TMFINV_API_H

#include "http.h"

/* The TMF638 and TMF639 v4 API: list, retrieve (api_tmf.c), POST, PATCH, DELETE
 * (api_tmf_write.c). */
extern const tmfinv_http_route tmfinv_api_tmf_routes[];
extern const size_t tmfinv_api_tmf_n_routes;

/* Loads the official TMF v4 specifications POST validates against (the data folder's
 * tmf/TMF638-….swagger.json and TMF639-….swagger.json), once; `serve` calls it at start.
 * Fails with a one-line message naming the missing or bad file. */
int tmfinv_api_tmf_specs_load(void);
void tmfinv_api_tmf_specs_free(void);

/* The object-model API under /api/v1/ and its OpenAPI document (api_om.c). */
extern const tmfinv_http_route tmfinv_api_om_routes[];
extern const size_t tmfinv_api_om_n_routes;

/* GET /api/v1/changes and the timelines of instances (api_changes.c; routed from
 * tmfinv_api_om_routes). */
int tmfinv_api_changes_list(tmfinv_http_request *req, tmfinv_http_response *res);
int tmfinv_api_timeline(tmfinv_http_request *req, tmfinv_http_response *res);

/* GET /api/v1/instances/{id}/impact (api_impact.c; routed from tmfinv_api_om_routes). */
int tmfinv_api_impact(tmfinv_http_request *req, tmfinv_http_response *res);

/* Records a change made through the API (PATCH…) as made by "api:" and the name of the
 * caller's token ("api:anonymous" without a tokens file); tmfinv_store_history_add_by(). */
int tmfinv_api_history_add(const tmfinv_http_request *req, const char *instance_id, const char *time,
                           const char *field, const char *before, const char *after);

/* POST /api/v1/sources/{name}/events: events from a source's TMF hub (api_hub_listener.c). */
extern const tmfinv_http_route tmfinv_api_hub_routes[];
extern const size_t tmfinv_api_hub_n_routes;

/* /healthz, /readyz, /metrics (api_ops.c). */
/* The TMF hubs (POST/DELETE …/hub) and /api/v1/events (api_events.c, docs/events.md). */
extern const tmfinv_http_route tmfinv_api_events_routes[];
extern const size_t tmfinv_api_events_n_routes;

extern const tmfinv_http_route tmfinv_api_ops_routes[];
extern const size_t tmfinv_api_ops_n_routes;

#endif
