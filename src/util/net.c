/* net.c: listen addresses ("HOST:PORT", "[V6]:PORT") parsed into socket addresses. */
#include "tmfinv_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

/* Parses "HOST:PORT" or "[V6]:PORT" into `addr`; *loopback says whether it is one. */
int tmfinv_listen_parse(const char *listen, struct sockaddr_storage *addr, int *loopback)
{
    char host[128];
    const char *colon;
    int64_t port;
    size_t n;

    memset(addr, 0, sizeof(*addr));
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');

        if (!close || close[1] != ':')
            goto bad;
        n = (size_t)(close - listen - 1);
        colon = close + 1;
        if (n >= sizeof(host))
            goto bad;
        memcpy(host, listen + 1, n);
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            goto bad;
        n = (size_t)(colon - listen);
        if (n >= sizeof(host))
            goto bad;
        memcpy(host, listen, n);
    }
    host[n] = '\0';
    if (tmfinv_parse_int64(colon + 1, 0, 65535, &port) < 0)
        goto bad;
    if (strcmp(host, "localhost") == 0)
        (void)snprintf(host, sizeof(host), "127.0.0.1");
    {
        struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;

        if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            v4->sin_port = htons((uint16_t)port);
            *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
            return 0;
        }
        if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
            return 0;
        }
    }
bad:
    return tmfinv_error_set(TMFINV_EINVALID, "listen = '%s': expected IP:PORT or [IPv6]:PORT", listen);
}
