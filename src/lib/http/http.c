/* http.c: the connection layer of the HTTP server (see http.h): the listening socket,
 * connection limits, the time budget of a request, TLS, and libmicrohttpd, which parses
 * HTTP on the connections it is handed. What happens to a request once it is in is in
 * http_router.c.
 *
 * tmfinv accepts connections itself rather than letting libmicrohttpd do it: at its
 * limits (MHD_OPTION_CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT)
 * libmicrohttpd closes a new connection without a word, and its timeout only measures
 * idle time, so a client sending a byte now and then holds a connection for ever. Here
 * each connection has a deadline (request_timeout from its start, or from the end of
 * the previous answer on a kept-alive connection) by which the whole request must be
 * in; one thread accepts, applies the limits and shuts down the connections past their
 * deadline. A connection over a limit is still handed to libmicrohttpd, marked, and its
 * request answered 503 with Retry-After (a few such connections at a time, with a short
 * deadline); only past those is a connection closed unanswered. */
#include "http_int.h"
#include "tmfinv_net.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OVER_DEADLINE_MS 3000   /* a connection over a limit must send its request within this */
#define REAP_PERIOD_MS 200      /* how often deadlines are checked */
#define OVER_PER_CLIENT 4       /* connections over a limit one IP address may hold at a time */

/* Per-request state, created by the URI log callback before anything else. */
typedef struct request_ctx {
    char *uri;                  /* raw request target, NULL when too long */
    int started;
    int body_too_large;
    tmfinv_buf body;
    int64_t started_us;
    http_conn *conn;            /* the connection's slot; NULL when unknown */
} request_ctx;

const char *tmfinv_http_scheme(const tmfinv_http_server *s)
{
    return s->tls ? "https" : "http";
}

/* ---- connection slots --------------------------------------------------------------------- */

static size_t overflow_slots(const tmfinv_http_server *s)
{
    size_t n = (size_t)s->cfg.max_connections / 4;

    return n < 16 ? 16 : n;
}

static int same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return 0;
}

/* Frees a slot (the lock held). */
static void slot_release(tmfinv_http_server *s, http_conn *c)
{
    if (c->fd < 0)
        return;
    if (c->over)
        s->n_over--;
    else
        s->n_admitted--;
    c->fd = -1;
}

/* Applies the limits to a new connection and hands it to libmicrohttpd (which owns
 * the socket from then on). */
static void admit(tmfinv_http_server *s, int fd, const struct sockaddr_storage *addr, socklen_t len)
{
    http_conn *slot = NULL;
    const char *reason = NULL;
    size_t same = 0, same_over = 0;

    pthread_mutex_lock(&s->conns_lock);
    for (size_t i = 0; i < s->n_slots; i++) {
        http_conn *c = &s->conns[i];

        if (c->fd < 0) {
            if (!slot)
                slot = c;
        } else if (same_ip(&c->addr, addr)) {
            if (c->over)
                same_over++;
            else
                same++;
        }
    }
    if (s->n_admitted >= (size_t)s->cfg.max_connections)
        reason = "the server is at its connection limit ([http] max_connections)";
    else if (same >= (size_t)s->cfg.max_client_connections)
        reason = "this client is at its connection limit ([http] max_client_connections)";
    /* One client cannot take all the room for 503 answers either. */
    if (!slot || (reason && (s->n_over >= overflow_slots(s) || same_over >= OVER_PER_CLIENT))) {
        pthread_mutex_unlock(&s->conns_lock);
        close(fd);
        return;
    }
    slot->fd = fd;
    slot->addr = *addr;
    slot->over = reason != NULL;
    slot->over_reason = reason;
    slot->cut = 0;
    slot->known = 0;
    atomic_store(&slot->deadline_ms, tmfinv_time_monotonic_ms() +
                                         (reason ? OVER_DEADLINE_MS : (int64_t)s->cfg.request_timeout_s * 1000));
    if (reason)
        s->n_over++;
    else
        s->n_admitted++;
    pthread_mutex_unlock(&s->conns_lock);
    if (MHD_add_connection(s->mhd, fd, (const struct sockaddr *)addr, len) != MHD_YES) {
        /* libmicrohttpd closed the socket; the slot may already be gone with it. */
        pthread_mutex_lock(&s->conns_lock);
        if (slot->fd == fd)
            slot_release(s, slot);
        pthread_mutex_unlock(&s->conns_lock);
    }
}

/* Shuts down the connections past their deadline: libmicrohttpd then reads the end of
 * the stream and closes them in its own thread. The slot lock is held, and a slot is
 * freed (under it) before libmicrohttpd closes the socket, so the descriptor shut down
 * is always the connection's own. */
static void reap(tmfinv_http_server *s)
{
    int64_t now = tmfinv_time_monotonic_ms();

    pthread_mutex_lock(&s->conns_lock);
    for (size_t i = 0; i < s->n_slots; i++) {
        http_conn *c = &s->conns[i];
        int64_t deadline = atomic_load(&c->deadline_ms);

        if (c->fd < 0 || c->cut || !deadline || now <= deadline)
            continue;
        if (c->known) {
            (void)shutdown(c->fd, SHUT_RDWR);
            c->cut = 1;
        } else {
            /* Never reported started, so never to be reported closed: libmicrohttpd
             * dropped it (and closed the socket, which may now be another's). */
            slot_release(s, c);
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
}

static void *acceptor_main(void *arg)
{
    tmfinv_http_server *s = arg;

    while (!atomic_load(&s->stopping)) {
        struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};

        if (poll(&p, 1, REAP_PERIOD_MS) > 0) {
            /* A bounded batch, so that deadlines are still checked under a flood. */
            for (int i = 0; i < 256; i++) {
                struct sockaddr_storage addr;
                socklen_t len = sizeof(addr);
                int fd = accept(s->listen_fd, (struct sockaddr *)&addr, &len);

                if (fd < 0)
                    break;
                (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
                (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                admit(s, fd, &addr, len);
            }
        }
        reap(s);
    }
    return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    tmfinv_http_server *s = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);

        *socket_context = NULL;
        if (!info)
            return;
        pthread_mutex_lock(&s->conns_lock);
        for (size_t i = 0; i < s->n_slots; i++)
            if (s->conns[i].fd == info->connect_fd && !s->conns[i].known) {
                s->conns[i].known = 1;
                *socket_context = &s->conns[i];
                break;
            }
        pthread_mutex_unlock(&s->conns_lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        pthread_mutex_lock(&s->conns_lock);
        slot_release(s, *socket_context);
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = NULL;
    }
}

static http_conn *conn_of(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* ---- requests ----------------------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    tmfinv_http_server *s = cls;
    request_ctx *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->started_us = http_now_us();
    r->conn = conn_of(con);
    tmfinv_buf_init(&r->body, s->cfg.max_body);
    if (strlen(uri) <= s->cfg.max_url)
        r->uri = strdup(uri);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    tmfinv_http_server *s = cls;
    request_ctx *r = *con_cls;

    (void)con;
    (void)toe;
    if (!r)
        return;
    /* A kept-alive connection has request_timeout for its next request. */
    if (r->conn)
        atomic_store(&r->conn->deadline_ms, tmfinv_time_monotonic_ms() + (int64_t)s->cfg.request_timeout_s * 1000);
    tmfinv_buf_free(&r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

typedef struct header_list {
    tmfinv_http_param items[1001];  /* [http] max_headers is at most 1000; one more to see it passed */
    size_t n;
    size_t max;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    header_list *h = cls;

    (void)kind;
    if (h->n >= h->max)
        return MHD_NO;
    h->items[h->n].name = (char *)key;
    h->items[h->n].value = (char *)(value ? value : "");
    h->n++;
    return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *con, tmfinv_http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = res->body.len;
    char *data = tmfinv_buf_steal(&res->body);

    /* For HEAD, libmicrohttpd sends the headers of this response (Content-Length: the
     * length GET would give) and not the body. */
    r = MHD_create_response_from_buffer(len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                            : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (res->content_type[0])
        MHD_add_response_header(r, "Content-Type", res->content_type);
    for (size_t i = 0; i < res->n_headers; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    ret = MHD_queue_response(con, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    tmfinv_http_server *s = cls;
    request_ctx *r = *con_cls;
    tmfinv_http_raw_request raw;
    tmfinv_http_response res;
    header_list *headers;
    enum MHD_Result ret;
    const union MHD_ConnectionInfo *peer;
    char client[INET6_ADDRSTRLEN + 1] = "";

    (void)url;
    (void)version;
    if (!r)
        return MHD_NO;
    if (!r->started) {
        r->started = 1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->body_too_large && tmfinv_buf_append(&r->body, upload_data, *upload_data_size) < 0)
            r->body_too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The whole request is in: its time budget no longer runs. */
    if (r->conn)
        atomic_store(&r->conn->deadline_ms, 0);
    if (!(headers = malloc(sizeof(*headers))))
        return MHD_NO;
    headers->n = 0;
    headers->max = (size_t)s->cfg.max_headers + 1;
    MHD_get_connection_values(con, MHD_HEADER_KIND, collect_header, headers);
    memset(&raw, 0, sizeof(raw));
    raw.method = method;
    raw.target = r->uri;
    raw.headers = headers->items;
    raw.n_headers = headers->n;
    raw.body = r->body.data;
    raw.body_len = r->body.len;
    raw.body_too_large = r->body_too_large;
    raw.unavailable = r->conn && r->conn->over ? r->conn->over_reason : NULL;
    raw.started_us = r->started_us;
    peer = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (peer && peer->client_addr) {
        const struct sockaddr *sa = peer->client_addr;

        if (sa->sa_family == AF_INET)
            (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client, sizeof(client));
        else if (sa->sa_family == AF_INET6)
            (void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
                            sizeof(client));
        raw.client = client[0] ? client : NULL;
    }
    if (tmfinv_http_handle(s, &raw, &res) < 0) {
        tmfinv_http_response_free(&res);
        free(headers);
        return MHD_NO;
    }
    free(headers);
    ret = send_response(con, &res);
    tmfinv_http_response_free(&res);
    return ret;
}

static void quiet_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

/* ---- start and stop ----------------------------------------------------------------------- */

/* Binds and listens on `addr`; the socket goes to s->listen_fd and the port to s->port. */
static int listen_on(tmfinv_http_server *s, const struct sockaddr_storage *addr)
{
    socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_storage bound;
    int one = 1;

    s->listen_fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd < 0)
        return tmfinv_error_set(TMFINV_EIO, "cannot listen on %s: %s", s->cfg.listen, strerror(errno));
    (void)setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (addr->ss_family == AF_INET6)
        (void)setsockopt(s->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(s->listen_fd, (const struct sockaddr *)addr, len) < 0 || listen(s->listen_fd, 512) < 0)
        return tmfinv_error_set(TMFINV_EIO, "cannot listen on %s: %s", s->cfg.listen, strerror(errno));
    len = sizeof(bound);
    if (getsockname(s->listen_fd, (struct sockaddr *)&bound, &len) < 0)
        return tmfinv_error_set(TMFINV_EIO, "cannot listen on %s: %s", s->cfg.listen, strerror(errno));
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

/* Reads the TLS certificate and key named by the configuration. */
static int load_tls(tmfinv_http_server *s)
{
    int rc;

    if (!s->cfg.tls_cert || !s->cfg.tls_key)
        return tmfinv_error_set(TMFINV_EINVALID, "[http] tls_cert and tls_key go together");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return tmfinv_error_set(TMFINV_EINVALID, "[http] tls_cert: this libmicrohttpd is built without TLS");
    if ((rc = tmfinv_file_read(s->cfg.tls_cert, 1024 * 1024, &s->tls_cert_pem, NULL)) < 0 ||
        (rc = tmfinv_file_read(s->cfg.tls_key, 1024 * 1024, &s->tls_key_pem, NULL)) < 0)
        return rc;
    s->tls = 1;
    return 0;
}

int tmfinv_http_new(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                    const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out)
{
    tmfinv_http_server *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    s->listen_fd = -1;
    if ((rc = http_router_init(s, cfg, tables, table_sizes, n_tables, app)) < 0) {
        tmfinv_http_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

int tmfinv_http_start(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                      const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out)
{
    tmfinv_http_server *s = NULL;
    struct sockaddr_storage addr;
    int loopback = 0, rc;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;

    if ((rc = tmfinv_http_new(cfg, tables, table_sizes, n_tables, app, &s)) < 0)
        return rc;
    if ((rc = tmfinv_listen_parse(cfg->listen, &addr, &loopback)) < 0)
        goto out;
    if (!cfg->tokens_file && !loopback) {
        rc = tmfinv_error_set(TMFINV_EINVALID,
                              "listen = '%s' is not a loopback address: without [http] tokens_file every client "
                              "would have the write role, so tmfinv only listens on 127.0.0.0/8 or ::1",
                              cfg->listen);
        goto out;
    }
    if ((cfg->tls_cert || cfg->tls_key) && (rc = load_tls(s)) < 0)
        goto out;
    if (!s->tls && !loopback && !cfg->plaintext) {
        rc = tmfinv_error_set(TMFINV_EINVALID,
                              "listen = '%s' is not a loopback address: bearer tokens would cross the network in "
                              "clear text; set [http] tls_cert and tls_key, or plaintext = true if a TLS proxy "
                              "stands in front",
                              cfg->listen);
        goto out;
    }
    s->n_slots = (size_t)s->cfg.max_connections + overflow_slots(s);
    if (!(s->conns = calloc(s->n_slots, sizeof(*s->conns)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->n_slots; i++)
        s->conns[i].fd = -1;
    pthread_mutex_init(&s->conns_lock, NULL);
    s->conns_lock_made = 1;
    if ((rc = listen_on(s, &addr)) < 0)
        goto out;
    if (s->tls)
        flags |= MHD_USE_TLS;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* libmicrohttpd's own connection limit is above ours: it must never refuse a
     * connection the acceptor handed over. */
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s->n_slots + 64), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_EXTERNAL_LOGGER, quiet_logger, NULL, s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        s->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY, s->tls_key_pem, MHD_OPTION_END);
    if (!s->mhd) {
        rc = s->tls ? tmfinv_error_set(TMFINV_EINVALID,
                                       "cannot start the HTTPS server: tls_cert '%s' or tls_key '%s' is not a PEM "
                                       "certificate and its private key",
                                       cfg->tls_cert, cfg->tls_key)
                    : tmfinv_error_set(TMFINV_EIO, "cannot start the HTTP server on %s", cfg->listen);
        goto out;
    }
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        rc = tmfinv_error_set(TMFINV_ERROR, "cannot start the accepting thread: %s", strerror(errno));
        goto out;
    }
    s->acceptor_started = 1;
out:
    if (rc < 0) {
        tmfinv_http_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

unsigned tmfinv_http_port(const tmfinv_http_server *s)
{
    return s->port;
}

void tmfinv_http_stop(tmfinv_http_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    if (s->acceptor_started)
        pthread_join(s->acceptor, NULL);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    if (s->conns_lock_made)
        pthread_mutex_destroy(&s->conns_lock);
    free(s->conns);
    if (s->tls_key_pem) {
        /* The key does not outlive the server in freed memory. */
        volatile char *p = s->tls_key_pem;

        for (size_t i = 0; p[i]; i++)
            p[i] = 0;
    }
    free(s->tls_key_pem);
    free(s->tls_cert_pem);
    http_router_free(s);
    free(s);
}
