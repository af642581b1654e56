/* api_om.c: the object-model API under /api/v1/ and its OpenAPI 3 document. */
#include "api.h"
#include "daemon.h"

static int not_yet(tmfinv_http_request *req, tmfinv_http_response *res)
{
    (void)req;
    return tmfinv_http_error(res, 501, "1", "Not Implemented", "the object-model API is being built");
}

const tmfinv_http_route tmfinv_api_om_routes[] = {
    {"GET", "/api/v1/definitions", TMFINV_ROLE_READ, not_yet, "om_definitions"},
};
const size_t tmfinv_api_om_n_routes = sizeof(tmfinv_api_om_routes) / sizeof(tmfinv_api_om_routes[0]);
