/* api.h: the route tables of the HTTP API served by `tmfinv serve` (each handler gets
 * the tmfinv_daemon as req->app). */
#ifndef TMFINV_API_H
#define TMFINV_API_H

#include "http.h"

/* The TMF638 and TMF639 v4 read API and PATCH (api_tmf.c). */
extern const tmfinv_http_route tmfinv_api_tmf_routes[];
extern const size_t tmfinv_api_tmf_n_routes;

/* The object-model API under /api/v1/ and its OpenAPI document (api_om.c). */
extern const tmfinv_http_route tmfinv_api_om_routes[];
extern const size_t tmfinv_api_om_n_routes;

/* /healthz, /readyz, /metrics (api_ops.c). */
extern const tmfinv_http_route tmfinv_api_ops_routes[];
extern const size_t tmfinv_api_ops_n_routes;

#endif
