/* sim_http_control.c: the simulator's /_sim/ control endpoints (epoch, stats, hub,
 * expire-tokens), the answer of --rate-limit and the TMF hub routes of its collections
 * (POST …/hub, DELETE …/hub/{id}; see sim_hub.h). */
#include "sim_http_int.h"
#include "sim_hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sim_http_epoch(struct sim_http *server, const char *method, struct sim_reply *reply)
{
    struct sim_epoch *snapshot;
    struct sim_buf buf;
    long epoch;

    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        epoch = sim_hub_advance(server->hub);
        if (epoch == -2) {
            sim_http_error(reply, 400, "28", "the last epoch is reached");
            return;
        }
        if (epoch < 0) {
            sim_http_error(reply, 500, "1", "out of memory");
            return;
        }
    } else {
        snapshot = sim_model_acquire(server->model);
        epoch = (long)snapshot->epoch;
        sim_model_release(server->model, snapshot);
    }
    sim_buf_init(&buf, 256);
    sim_json_open(&buf, '{');
    sim_json_key_uint(&buf, "epoch", (uint64_t)epoch);
    sim_json_close(&buf, '}');
    reply->body = sim_buf_steal(&buf, &reply->len);
    if (!reply->body) {
        sim_http_error(reply, 500, "1", "out of memory");
        return;
    }
    reply->status = 200;
}

/* GET /_sim/stats: the counters as JSON. */
static void sim_http_stats(struct sim_http *server, struct sim_reply *reply)
{
    static const char *const names[SIM_FAULT_KIND_COUNT] = {
        NULL, "429", "500", "502", "503", "reset", "slowBody", "truncatedBody", "malformedBody"
    };
    struct sim_http_stats *stats = &server->stats;
    struct sim_buf buf;
    int k;

    sim_buf_init(&buf, 4096);
    sim_json_open(&buf, '{');
    sim_json_key_uint(&buf, "requests", atomic_load(&stats->requests));
    sim_json_key_uint(&buf, "tokenRequests", atomic_load(&stats->token_requests));
    sim_json_key(&buf, "faults");
    sim_json_open(&buf, '{');
    for (k = SIM_FAULT_429; k < SIM_FAULT_KIND_COUNT; k++)
        sim_json_key_uint(&buf, names[k], atomic_load(&stats->faults[k]));
    sim_json_key_uint(&buf, "failPage", atomic_load(&stats->fail_page));
    sim_json_close(&buf, '}');
    sim_json_key_uint(&buf, "rateLimited", atomic_load(&stats->rate_limited));
    sim_json_key_uint(&buf, "unauthorized", atomic_load(&stats->unauthorized));
    sim_json_close(&buf, '}');
    reply->body = sim_buf_steal(&buf, &reply->len);
    if (!reply->body) {
        sim_http_error(reply, 500, "1", "out of memory");
        return;
    }
    reply->status = 200;
}

/* The /_sim/ control endpoints; never authenticated, rate-limited or faulted. */
void sim_http_control(struct sim_http *server, const char *url, const char *method,
                 struct sim_reply *reply)
{
    int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
             strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    char message[256];
    struct sim_buf buf;

    if (strcmp(url, "/_sim/epoch") == 0) {
        if (!is_get && !is_post) {
            sim_http_error(reply, 405, "61", "use GET or POST on /_sim/epoch");
            reply->allow = "GET, HEAD, POST";
            return;
        }
        sim_http_epoch(server, method, reply);
    } else if (strcmp(url, "/_sim/hub") == 0) {
        if (!is_get) {
            sim_http_error(reply, 405, "61", "use GET on /_sim/hub");
            reply->allow = "GET, HEAD";
            return;
        }
        sim_buf_init(&buf, 1024 * 1024);
        sim_hub_describe(server->hub, &buf);
        reply->body = sim_buf_steal(&buf, &reply->len);
        if (!reply->body) {
            sim_http_error(reply, 500, "1", "out of memory");
            return;
        }
        reply->status = 200;
    } else if (strcmp(url, "/_sim/stats") == 0) {
        if (!is_get) {
            sim_http_error(reply, 405, "61", "use GET on /_sim/stats");
            reply->allow = "GET, HEAD";
            return;
        }
        sim_http_stats(server, reply);
    } else if (strcmp(url, "/_sim/expire-tokens") == 0) {
        if (!is_post) {
            sim_http_error(reply, 405, "61", "use POST on /_sim/expire-tokens");
            reply->allow = "POST";
            return;
        }
        sim_auth_expire_all(server->auth);
        reply->body = strdup("{\"expired\":true}");
        reply->len = reply->body ? strlen(reply->body) : 0;
        reply->status = 200;
    } else {
        if (snprintf(message, sizeof(message), "no such path: %.200s", url) < 0)
            message[0] = '\0';
        sim_http_error(reply, 404, "60", message);
    }
}

/* --rate-limit: ServiceNow's 429 answer. */
void sim_http_rate_limited(struct sim_http *server, struct sim_reply *reply)
{
    static const char body[] =
        "{\"error\":{\"message\":\"Rate limit exceeded\",\"detail\":\"More than the allowed "
        "number of requests per second were made; retry after the number of seconds in "
        "Retry-After\"},\"status\":\"failure\"}";

    reply->body = strdup(body);
    reply->len = sizeof(body) - 1;
    reply->status = 429;
    reply->rate_limit = server->options.fault.rate_limit;
    memcpy(reply->retry_after, "1", 2);
    atomic_fetch_add_explicit(&server->stats.rate_limited, 1, memory_order_relaxed);
}

int sim_http_hub_route(struct sim_http *server, const char *url, const char *method, const char *body,
               size_t body_len, struct sim_reply *reply)
{
    static const struct {
        const char *path;
        enum sim_collection coll;
    } hubs[] = {
        { "/tmf-api/serviceInventory/v4/hub", SIM_COLL_SERVICE },
        { "/tmf-api/resourceInventoryManagement/v4/hub", SIM_COLL_RESOURCE },
        { "/tmf638/hub", SIM_COLL_SERVICE },
        { "/tmf639/hub", SIM_COLL_RESOURCE },
    };
    struct sim_buf buf;
    size_t r, n;

    for (r = 0; r < sizeof(hubs) / sizeof(hubs[0]); r++) {
        n = strlen(hubs[r].path);
        if (strncmp(url, hubs[r].path, n) != 0)
            continue;
        if (url[n] == '\0') {
            if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
                sim_http_error(reply, 405, "61", "use POST on a hub");
                reply->allow = "POST";
                return 1;
            }
            sim_buf_init(&buf, 64 * 1024);
            reply->status = sim_hub_subscribe(server->hub, hubs[r].coll, hubs[r].path, body, body_len, &buf);
            reply->body = sim_buf_steal(&buf, &reply->len);
            if (!reply->body)
                sim_http_error(reply, 500, "1", "out of memory");
            return 1;
        }
        if (url[n] == '/' && url[n + 1] != '\0' && !strchr(url + n + 1, '/')) {
            if (strcmp(method, MHD_HTTP_METHOD_DELETE) != 0) {
                sim_http_error(reply, 405, "61", "use DELETE on a subscription");
                reply->allow = "DELETE";
                return 1;
            }
            reply->status = sim_hub_unsubscribe(server->hub, hubs[r].coll, url + n + 1);
            if (reply->status == 404) {
                sim_http_error(reply, 404, "60", "no such subscription");
                return 1;
            }
            reply->body = strdup("");
            reply->len = 0;
            if (!reply->body)
                sim_http_error(reply, 500, "1", "out of memory");
            return 1;
        }
    }
    return 0;
}
