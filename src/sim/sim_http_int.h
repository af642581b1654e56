/* sim_http_int.h: what the simulator's HTTP files share (sim_http.c: routing, collections,
 * faults, sending; sim_http_control.c: the /_sim/ control endpoints, the rate limit's answer
 * and the TMF hub's routes). */
#ifndef SIM_HTTP_INT_H
#define SIM_HTTP_INT_H

#include "sim_http.h"
#include "sim_json.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_CONTENT_TYPE "application/json;charset=utf-8"

struct sim_hub;


/* Counters served by GET /_sim/stats. */
struct sim_http_stats {
    atomic_ullong requests;             /* every request outside /_sim/ */
    atomic_ullong token_requests;       /* requests to the token endpoint */
    atomic_ullong rate_limited;         /* 429 answers of --rate-limit */
    atomic_ullong unauthorized;         /* 401 answers of --require-auth */
    atomic_ullong fail_page;            /* 504 answers of --fail-page */
    atomic_ullong faults[SIM_FAULT_KIND_COUNT];
};

struct sim_http {
    struct MHD_Daemon *daemon;
    struct sim_model *model;
    struct sim_http_options options;
    struct sim_fault *fault;
    struct sim_auth *auth;              /* borrowed; NULL without --require-auth */
    struct sim_http_stats stats;
    struct sim_hub *hub;                /* subscriptions and event delivery (sim_hub.c) */
};

/* The state of a request that has a body (POST): the body read so far. */
struct sim_http_request {
    struct sim_buf body;
};

/* How the reply goes out. */
enum sim_delivery {
    SIM_SEND_WHOLE = 0,     /* one buffer */
    SIM_SEND_SLOW,          /* first bytes at once, the rest with pauses */
    SIM_SEND_TRUNCATED,     /* Content-Length of the whole body, closed after `cut` bytes */
    SIM_SEND_RESET          /* no response: the connection is reset */
};

enum sim_dialect { SIM_DIALECT_TMF, SIM_DIALECT_SES };

/* What the handler answers: a status, a JSON body (malloc'ed) and optional headers. */
struct sim_reply {
    unsigned status;
    char *body;
    size_t len;
    int counted;            /* send X-Total-Count / X-Result-Count */
    uint64_t total;
    uint64_t result;
    const char *allow;      /* Allow header for 405 */
    const char *content_type;       /* NULL: JSON */
    const char *www_authenticate;   /* WWW-Authenticate for 401 (static) */
    char retry_after[64];           /* Retry-After value, "" for none */
    char link[256];                 /* Link value (--link-loop), "" for none */
    uint32_t rate_limit;            /* X-RateLimit-Limit, 0 for none */
    enum sim_delivery delivery;
    size_t cut;                     /* bytes sent of a truncated body */
};

/* A TMF Error body: {"code","reason","message","status"}. */
void sim_http_error(struct sim_reply *reply, unsigned status, const char *code, const char *message);

/* Renders `item` of `snapshot` as this server serves it (--bad-items applied). */
void sim_http_render(struct sim_http *server, const struct sim_epoch *snapshot, const struct sim_item *item,
             struct sim_buf *buf);

/* The /_sim/ control endpoints; never authenticated, rate-limited or faulted. */
void sim_http_control(struct sim_http *server, const char *url, const char *method, struct sim_reply *reply);

/* --rate-limit: ServiceNow's 429 answer. */
void sim_http_rate_limited(struct sim_http *server, struct sim_reply *reply);

/* The TMF hub routes (…/hub, …/hub/{id}) after authentication: 1 when `url` is one of them
 * (the reply is filled), 0 otherwise. */
int sim_http_hub_route(struct sim_http *server, const char *url, const char *method, const char *body,
               size_t body_len, struct sim_reply *reply);

/* Sleeps `ms` milliseconds (EINTR resumed). */
void sim_http_sleep_ms(uint32_t ms);

/* Queues `reply` on `conn` as its delivery says (sim_http_send.c); the body is freed. */
enum MHD_Result sim_http_send(struct sim_http *server, struct MHD_Connection *conn, struct sim_reply *reply);

#endif
