/* sim_http.h: the simulator's HTTP front end (libmicrohttpd, one thread per connection).
 *
 * Routes: the TMF v4 paths (offset/limit), the SES gateway paths (page/recordsPerPage and the
 * status, @type and updatedDaysAgo filters), GET by id, the OAuth2 token endpoint
 * (/oauth_token.do, /oauth/token), the TMF hub of each collection (sim_hub.h) and the /_sim/
 * control endpoints (epoch, stats, hub, expire-tokens). Authentication, the rate limit and the faults of sim_fault.h are applied
 * here; none of them changes the inventory. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stdint.h>

#include "sim_auth.h"
#include "sim_data.h"
#include "sim_fault.h"
#include "sim_hub.h"

struct sim_http_options {
    uint32_t latency_ms;    /* delay before every data response (0: none) */
    uint32_t fail_page;     /* 1-based page number answering 504 in every collection (0: none) */
    int repeat_page;        /* --repeat-page: every list answer is the first page */
    uint32_t link_loop;     /* --link-loop N: TMF v4 lists link rel="next", page N back to page 1 */
    int endless;            /* --endless: made-up new items past the end of every collection */
    int no_total_count;     /* --no-total-count: lists carry no X-Total-Count */
    struct sim_fault_options fault;
    struct sim_hub_options hub;     /* --hub-drop, --hub-duplicate */
};

struct sim_http;

/* Starts serving `model` on the listening socket `listen_fd` (which the server then owns: it
 * is closed by sim_http_stop). `auth` (NULL: no authentication) is borrowed and must outlive
 * the server. Returns 0 and sets *out, or -1 when out of memory or libmicrohttpd cannot start
 * (the socket is then closed too). */
int sim_http_start(struct sim_model *model, const struct sim_http_options *options,
           struct sim_auth *auth, int listen_fd, struct sim_http **out);
/* Stops accepting, waits for the connections in progress, frees the server. Accepts NULL. */
void sim_http_stop(struct sim_http *server);

#endif
