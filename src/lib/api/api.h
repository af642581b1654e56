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

/* /healthz, /readyz, /metrics (api_ops.c). */
extern const tmfinv_http_route tmfinv_api_ops_routes[];
extern const size_t tmfinv_api_ops_n_routes;

#endif
