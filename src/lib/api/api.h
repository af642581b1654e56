/* api.h: the route tables of the HTTP API served by `tmfinv serve` (each handler gets
 * the tmfinv_daemon as req->app). */
#ifndef TMFINV_API_H
#define TMFINV_API_H

#include "daemon.h"
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

/* The dashboard's table (api_om_definitions.c, docs/dashboard.md, decision 81). */
#define TMFINV_API_TABLE_COLUMNS 3   /* field columns per definition, each with an index */
#define TMFINV_API_COUNT_CAP 10000   /* a total no index answers is counted up to this */

/* A definition as GET /api/v1/definitions shows it, with its table columns
 * (`tableFields`); NULL when out of memory. */
cJSON *tmfinv_api_definition_json(const tmfinv_definition *d);

/* The fields of d the table shows as columns, sorts and filters on (enumerations first,
 * then strings, references, numbers and booleans, in profile order; never the key, the
 * status or a list), at most `max`, into out; returns how many. */
size_t tmfinv_api_table_fields(const tmfinv_definition *d, const tmfinv_field **out, size_t max);

/* The count cap of an instance list of d with these filters (`removed`: TMFINV_REMOVED_*):
 * 0 (exact) when an index answers the count, else TMFINV_API_COUNT_CAP. */
int64_t tmfinv_api_table_count_cap(const tmfinv_definition *d, const tmfinv_where *where, size_t n, int removed);

/* Makes the store's indexes of the table columns of every definition of the daemon's model
 * (tmfinv_store_table_indexes, on a connection of its own); `serve` calls it before it
 * starts syncing. A read-only store is left as it is. 0 or a negative code. */
int tmfinv_api_table_indexes(tmfinv_daemon *daemon, int *created, int *dropped);

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
