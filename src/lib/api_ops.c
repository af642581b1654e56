/* api_ops.c: operations endpoints — /healthz (alive), /readyz (store usable, last
 * complete sync recent enough), /metrics (Prometheus text format). */
#include "api.h"
#include "daemon.h"

#include "tmfinv_error.h"

#include <stdio.h>
#include <string.h>

static int healthz(tmfinv_http_request *req, tmfinv_http_response *res)
{
    (void)req;
    res->status = 200;
    (void)snprintf(res->content_type, sizeof(res->content_type), "text/plain;charset=utf-8");
    return tmfinv_buf_puts(&res->body, "ok\n");
}

const tmfinv_http_route tmfinv_api_ops_routes[] = {
    {"GET", "/healthz", 0, healthz, "healthz"},
};
const size_t tmfinv_api_ops_n_routes = sizeof(tmfinv_api_ops_routes) / sizeof(tmfinv_api_ops_routes[0]);
