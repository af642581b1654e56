/* tmfinv_net.h: listen addresses for servers (the API and the simulator's checks). */
#ifndef TMFINV_NET_H
#define TMFINV_NET_H

#include <sys/socket.h>

/* Parses "HOST:PORT" or "[V6]:PORT" ("localhost" means 127.0.0.1) into `addr` and sets
 * *loopback to 1 when it is a loopback address. 0, or TMFINV_EINVALID with a message
 * naming the value. */
int tmfinv_listen_parse(const char *listen, struct sockaddr_storage *addr, int *loopback);

#endif
