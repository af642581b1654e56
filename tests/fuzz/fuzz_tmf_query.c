/* fuzz_tmf_query.c: the query string of the TMF list and retrieve routes (paging,
 * removed, fields, sort, attribute filters with their operators, OR-ed values) and of the
 * object-model instance list, through the router (which decodes it) and the handler to
 * the store's SQL, over the fixture's store (fuzz_http_fixture.h).
 *
 * The first byte picks the route, the rest is the raw query string. Checked besides the
 * fixture's checks: no query string gives a 500 — every limit is met before SQLite is
 * (issue 7, point 6), so the answer is 200, 206, 400, 404 or 416. */
#include "fuzz_http_fixture.h"

static const char *const routes[] = {
    "/tmf-api/resourceInventoryManagement/v4/resource",
    "/tmf-api/serviceInventory/v4/service",
    "/tmf-api/resourceInventoryManagement/v4/resource/res-00000001",
    "/api/v1/definitions/Resource/instances",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tmfinv_http_param host = {(char *)"Host", (char *)"127.0.0.1:8080"};
    tmfinv_http_raw_request raw;
    tmfinv_http_response res;
    const char *route;
    char *target;
    size_t n;
    int rc;

    fixture_init();
    if (size < 1 || size > 16 * 1024)
        return 0;
    route = routes[data[0] % (sizeof(routes) / sizeof(routes[0]))];
    n = strlen(route);
    if (!(target = malloc(n + size + 1)))
        return 0;
    memcpy(target, route, n);
    target[n] = '?';
    memcpy(target + n + 1, data + 1, size - 1);
    target[n + size] = '\0';
    memset(&raw, 0, sizeof(raw));
    raw.method = "GET";
    raw.target = target;
    raw.headers = &host;
    raw.n_headers = 1;
    rc = tmfinv_http_handle(fixture_server, &raw, &res);
    FUZZ_CHECK(rc == 0);
    fixture_check(&res);
    FUZZ_CHECK(res.status == 200 || res.status == 206 || res.status == 400 || res.status == 404 ||
               res.status == 416);
    tmfinv_http_response_free(&res);
    free(target);
    fixture_maybe_reset();
    return 0;
}
