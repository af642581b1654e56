/* api_tmf.c: the TMF638/TMF639 v4 read API over the mirror, and PATCH of local fields. */
#include "api.h"
#include "daemon.h"

static int not_yet(tmfinv_http_request *req, tmfinv_http_response *res)
{
    (void)req;
    return tmfinv_http_error(res, 501, "1", "Not Implemented", "the TMF API is being built");
}

const tmfinv_http_route tmfinv_api_tmf_routes[] = {
    {"GET", "/tmf-api/serviceInventory/v4/service", TMFINV_ROLE_READ, not_yet, "tmf638_list"},
};
const size_t tmfinv_api_tmf_n_routes = sizeof(tmfinv_api_tmf_routes) / sizeof(tmfinv_api_tmf_routes[0]);
