/* daemon_events.h: the event delivery `serve` runs (daemon_events.c; private to src/lib). */
#ifndef TMFINV_DAEMON_EVENTS_H
#define TMFINV_DAEMON_EVENTS_H

#include "daemon.h"
#include "events.h"

/* Starts delivering events for d (after its HTTP server started: the port is known). */
int daemon_events_start(tmfinv_daemon *d, tmfinv_log_fn log, void *log_ctx, tmfinv_events **out);

#endif
