/* api_impact.c: GET /api/v1/instances/{id}/impact?direction=up|down|both&depth=N (routed
 * from api_om.c's table): what depends on an instance and what it depends on (graph.h), the
 * very object `tmfinv impact --json` prints. The index of references is made current first
 * (it writes only the first time, or after a profile changed), then the walk reads one
 * snapshot. Bad parameters are 400 TMF Errors naming the parameter, an unknown id is 404. */
#include "api.h"
#include "daemon.h"
#include "graph.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <string.h>

static int bad_request(tmfinv_http_response *res, const char *message)
{
    return tmfinv_http_error(res, 400, "28", "Bad Request", "%s", message);
}

/* Reads direction and depth; 0, or a message in `why` naming the parameter. */
static int impact_params(const tmfinv_http_request *req, int *directions, int64_t *depth, char *why, size_t size)
{
    static const char *const allowed[] = {"direction", "depth", NULL};
    const char *v;

    if (tmfinv_http_query_only(req, allowed) < 0) {
        (void)snprintf(why, size, "%s", tmfinv_error_last());
        return TMFINV_EINVALID;
    }
    *directions = TMFINV_IMPACT_BOTH;
    if ((v = tmfinv_http_query(req, "direction"))) {
        if (strcmp(v, "down") == 0)
            *directions = TMFINV_IMPACT_DOWN;
        else if (strcmp(v, "up") == 0)
            *directions = TMFINV_IMPACT_UP;
        else if (strcmp(v, "both") != 0) {
            (void)snprintf(why, size, "direction '%.64s': expected up, down or both", v);
            return TMFINV_EINVALID;
        }
    }
    *depth = TMFINV_IMPACT_DEPTH;
    if ((v = tmfinv_http_query(req, "depth")) && tmfinv_parse_int64(v, 1, TMFINV_IMPACT_MAX_DEPTH, depth) < 0) {
        (void)snprintf(why, size, "depth '%.64s': expected a whole number from 1 to %d", v, TMFINV_IMPACT_MAX_DEPTH);
        return TMFINV_EINVALID;
    }
    return 0;
}

int tmfinv_api_impact(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    cJSON *o = NULL;
    int64_t depth;
    char why[300];
    int rc, directions, in_tx = 0;

    if (impact_params(req, &directions, &depth, why, sizeof(why)) < 0) {
        rc = bad_request(res, why);
        goto out;
    }
    if ((rc = tmfinv_graph_prepare(req->store, rt->model, NULL)) < 0)
        goto out;
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    rc = tmfinv_graph_impact(req->store, rt->model, req->path_params[0], directions, (int)depth, &o);
    if (rc == TMFINV_ENOTFOUND) {
        rc = tmfinv_http_error(res, 404, "60", "Not Found", "no instance with id '%.200s'", req->path_params[0]);
        goto out;
    }
    if (rc < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    rc = tmfinv_http_json(res, 200, o);
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    cJSON_Delete(o);
    tmfinv_daemon_release(req->app, rt);
    return rc;
}
