/* sim_http.h: the simulator's HTTP front end (libmicrohttpd, one thread per connection).
 *
 * Routes: the TMF v4 paths (offset/limit), the SES gateway paths (page/recordsPerPage and the
 * status, @type and updatedDaysAgo filters), GET by id, and the /_sim/epoch control endpoint.
 * Faults (--latency-ms, --fail-page) are applied here and never change the inventory. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stdint.h>

#include "sim_data.h"

struct sim_http_options {
    uint32_t latency_ms;    /* delay before every data response (0: none) */
    uint32_t fail_page;     /* 1-based page number answering 504 in every collection (0: none) */
};

struct sim_http;

/* Starts serving `model` on the listening socket `listen_fd` (which the server then owns: it
 * is closed by sim_http_stop). Returns 0 and sets *out, or -1 when libmicrohttpd cannot start
 * (the socket is then closed too). `model` and `options` must outlive the server. */
int sim_http_start(struct sim_model *model, const struct sim_http_options *options, int listen_fd,
           struct sim_http **out);
/* Stops accepting, waits for the connections in progress, frees the server. Accepts NULL. */
void sim_http_stop(struct sim_http *server);

#endif
