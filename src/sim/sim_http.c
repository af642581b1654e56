/* sim_http.c: routing, paging dialects, filters and fault injection of tmfinv-sim.
 *
 * Every response body is rendered in memory into one buffer and handed to libmicrohttpd in one
 * piece. Each connection has its own thread, so --latency-ms delays requests independently and
 * concurrent requests are served in parallel. */
#include "sim_http.h"
#include "sim_json.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define SIM_TMF638_BASE "/tmf-api/serviceInventory/v4/service"
#define SIM_TMF639_BASE "/tmf-api/resourceInventoryManagement/v4/resource"
#define SIM_SES638_BASE "/tmf638/service"
#define SIM_SES639_BASE "/tmf639/resource"
#define SIM_CONTENT_TYPE "application/json;charset=utf-8"

#define SIM_BODY_LIMIT (512u * 1024u * 1024u)   /* a 5000-item page is ~10 MB */
#define SIM_PAGE_MAX 5000u                      /* larger limit/recordsPerPage values are capped */
#define SIM_OFFSET_MAX 1000000000000ULL
#define SIM_DAYS_MAX 36500u

struct sim_http {
    struct MHD_Daemon *daemon;
    struct sim_model *model;
    struct sim_http_options options;
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
};

/* Marks the per-connection state of a request after its first call. */
static int sim_http_marker;

static const char *sim_http_reason(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

/* A TMF Error body: {"code","reason","message","status"}. */
static void sim_http_error(struct sim_reply *reply, unsigned status, const char *code,
               const char *message)
{
    struct sim_buf buf;
    char text[16];

    sim_buf_init(&buf, 64 * 1024);
    if (snprintf(text, sizeof(text), "%u", status) >= (int)sizeof(text))
        text[0] = '\0';
    sim_json_open(&buf, '{');
    sim_json_key_string(&buf, "code", code);
    sim_json_key_string(&buf, "reason", sim_http_reason(status));
    sim_json_key_string(&buf, "message", message);
    sim_json_key_string(&buf, "status", text);
    sim_json_close(&buf, '}');
    free(reply->body);
    reply->body = sim_buf_steal(&buf, &reply->len);
    reply->status = status;
    reply->counted = 0;
}

static void sim_http_error_param(struct sim_reply *reply, const char *name, const char *value,
                 const char *expected)
{
    char message[512];
    int n = snprintf(message, sizeof(message), "query parameter %s='%.200s': %s", name, value,
             expected);

    if (n < 0)
        message[0] = '\0';
    sim_http_error(reply, 400, "28", message);
}

/* Parses a whole decimal number in 0..max: digits only. 0 on success, -1 otherwise. */
static int sim_http_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
    unsigned long long value;
    char *end = NULL;

    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || !end || *end != '\0' || value > max)
        return -1;
    *out = value;
    return 0;
}

static void sim_http_sleep_ms(uint32_t ms)
{
    struct timespec left = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
}

static const char *sim_http_arg(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Reads the filters shared by every list request. 0, or -1 with a 400 reply set. */
static int sim_http_filters(struct MHD_Connection *conn, enum sim_collection coll,
                struct sim_filter *filter, struct sim_reply *reply)
{
    const char *status = sim_http_arg(conn, "status");
    const char *type = sim_http_arg(conn, "@type");
    const char *days = sim_http_arg(conn, "updatedDaysAgo");
    uint64_t value;
    int s;

    sim_filter_init(filter);
    if (!type)
        type = sim_http_arg(conn, "%40type");
    if (status) {
        if (strcmp(status, "1") == 0) {
            filter->status = SIM_ST_OPERATIONAL;
        } else if (strcmp(status, "0") != 0) {
            for (s = 0; s < SIM_ST_COUNT; s++)
                if (strcmp(status, sim_status_names[s]) == 0)
                    filter->status = s;
            if (filter->status < 0) {
                sim_http_error_param(reply, "status", status,
                             "expected 1 (Operational only), 0 or a status name");
                return -1;
            }
        }
    }
    if (type && type[0] != '\0')
        filter->type = sim_data_type_code(coll, type);
    if (days) {
        if (sim_http_parse_uint(days, UINT64_MAX, &value) < 0) {
            sim_http_error_param(reply, "updatedDaysAgo", days,
                         "expected a whole number of days >= 0");
            return -1;
        }
        filter->days = (int32_t)(value > SIM_DAYS_MAX ? SIM_DAYS_MAX : value);
    }
    return 0;
}

/* Reads the paging parameters of a dialect into offset/limit and the 1-based page number the
 * --fail-page fault uses (0 when the request has no page number: limit=0). */
static int sim_http_paging(struct MHD_Connection *conn, enum sim_dialect dialect, uint64_t *offset,
               uint64_t *limit, uint64_t *page, struct sim_reply *reply)
{
    const char *text;
    uint64_t value;

    if (dialect == SIM_DIALECT_TMF) {
        *offset = 0;
        *limit = 100;
        text = sim_http_arg(conn, "offset");
        if (text && sim_http_parse_uint(text, SIM_OFFSET_MAX, offset) < 0) {
            sim_http_error_param(reply, "offset", text, "expected a whole number >= 0");
            return -1;
        }
        text = sim_http_arg(conn, "limit");
        if (text) {
            if (sim_http_parse_uint(text, UINT64_MAX, &value) < 0) {
                sim_http_error_param(reply, "limit", text, "expected a whole number >= 0");
                return -1;
            }
            *limit = value > SIM_PAGE_MAX ? SIM_PAGE_MAX : value;
        }
        *page = *limit ? *offset / *limit + 1 : 0;
        return 0;
    }
    *page = 1;
    *limit = 40;
    text = sim_http_arg(conn, "page");
    if (text && (sim_http_parse_uint(text, SIM_OFFSET_MAX, page) < 0 || *page == 0)) {
        sim_http_error_param(reply, "page", text, "expected a whole number >= 1");
        return -1;
    }
    text = sim_http_arg(conn, "recordsPerPage");
    if (text) {
        if (sim_http_parse_uint(text, UINT64_MAX, &value) < 0 || value == 0) {
            sim_http_error_param(reply, "recordsPerPage", text, "expected a whole number >= 1");
            return -1;
        }
        *limit = value > SIM_PAGE_MAX ? SIM_PAGE_MAX : value;
    }
    *offset = (*page - 1) * *limit;
    return 0;
}

static void sim_http_list(struct sim_http *server, struct MHD_Connection *conn,
              enum sim_collection coll, enum sim_dialect dialect, struct sim_reply *reply)
{
    struct sim_epoch *snapshot = NULL;
    const uint32_t *positions = NULL;
    uint64_t offset, limit, page, i, end;
    uint32_t count = 0;
    struct sim_filter filter;
    struct sim_buf buf;
    int owned = 0;

    sim_buf_init(&buf, SIM_BODY_LIMIT);
    if (sim_http_paging(conn, dialect, &offset, &limit, &page, reply) < 0 ||
        sim_http_filters(conn, coll, &filter, reply) < 0)
        goto out;
    if (server->options.fail_page && page == server->options.fail_page) {
        sim_http_error(reply, 504, "504", "upstream inventory timed out (injected fault)");
        goto out;
    }
    snapshot = sim_model_acquire(server->model);
    if (sim_epoch_select(snapshot, coll, &filter, &positions, &count, &owned) < 0) {
        sim_http_error(reply, 500, "1", "out of memory");
        goto out;
    }
    end = offset + limit;
    if (end > count)
        end = count;
    sim_json_open(&buf, '[');
    for (i = offset; i < end; i++)
        sim_render_item(&server->model->world,
                &snapshot->items[coll][positions ? positions[i] : i], &buf);
    sim_json_close(&buf, ']');
    reply->body = sim_buf_steal(&buf, &reply->len);
    if (!reply->body) {
        sim_http_error(reply, 500, "1", "response too large or out of memory");
        goto out;
    }
    reply->status = 200;
    reply->counted = 1;
    reply->total = count;
    reply->result = end > offset ? end - offset : 0;
out:
    if (owned)
        free((void *)positions);
    sim_model_release(server->model, snapshot);
    sim_buf_free(&buf);
}

static void sim_http_item(struct sim_http *server, enum sim_collection coll, const char *id,
              struct sim_reply *reply)
{
    struct sim_epoch *snapshot = sim_model_acquire(server->model);
    const struct sim_item *item = sim_epoch_find(snapshot, coll, id);
    struct sim_buf buf;
    char message[256];

    sim_buf_init(&buf, 1024 * 1024);
    if (!item) {
        if (snprintf(message, sizeof(message), "no %s with id '%.100s'",
                 coll == SIM_COLL_SERVICE ? "service" : "resource", id) < 0)
            message[0] = '\0';
        sim_http_error(reply, 404, "60", message);
        goto out;
    }
    sim_render_item(&server->model->world, item, &buf);
    reply->body = sim_buf_steal(&buf, &reply->len);
    if (!reply->body) {
        sim_http_error(reply, 500, "1", "out of memory");
        goto out;
    }
    reply->status = 200;
out:
    sim_model_release(server->model, snapshot);
    sim_buf_free(&buf);
}

static void sim_http_epoch(struct sim_http *server, const char *method, struct sim_reply *reply)
{
    struct sim_epoch *snapshot;
    struct sim_buf buf;
    long epoch;

    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        epoch = sim_model_advance(server->model);
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

/* Matches `url` against a collection base path: 1 for the collection itself, 2 for an item
 * (with *id set to what follows the slash), 0 for no match. */
static int sim_http_match(const char *url, const char *base, const char **id)
{
    size_t n = strlen(base);

    if (strncmp(url, base, n) != 0)
        return 0;
    if (url[n] == '\0')
        return 1;
    if (url[n] == '/' && url[n + 1] != '\0' && !strchr(url + n + 1, '/')) {
        *id = url + n + 1;
        return 2;
    }
    return 0;
}

static void sim_http_route(struct sim_http *server, struct MHD_Connection *conn, const char *url,
               const char *method, struct sim_reply *reply)
{
    static const struct {
        const char *base;
        enum sim_collection coll;
        enum sim_dialect dialect;
    } routes[] = {
        { SIM_TMF638_BASE, SIM_COLL_SERVICE, SIM_DIALECT_TMF },
        { SIM_TMF639_BASE, SIM_COLL_RESOURCE, SIM_DIALECT_TMF },
        { SIM_SES638_BASE, SIM_COLL_SERVICE, SIM_DIALECT_SES },
        { SIM_SES639_BASE, SIM_COLL_RESOURCE, SIM_DIALECT_SES },
    };
    int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
             strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    const char *id = NULL;
    char message[256];
    size_t r;
    int match;

    if (strcmp(url, "/_sim/epoch") == 0) {
        if (!is_get && strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            sim_http_error(reply, 405, "61", "use GET or POST on /_sim/epoch");
            reply->allow = "GET, HEAD, POST";
            return;
        }
        sim_http_epoch(server, method, reply);
        return;
    }
    for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
        match = sim_http_match(url, routes[r].base, &id);
        if (!match)
            continue;
        if (!is_get) {
            if (snprintf(message, sizeof(message), "method %.20s is not allowed here",
                     method) < 0)
                message[0] = '\0';
            sim_http_error(reply, 405, "61", message);
            reply->allow = "GET, HEAD";
            return;
        }
        if (server->options.latency_ms)
            sim_http_sleep_ms(server->options.latency_ms);
        if (match == 1)
            sim_http_list(server, conn, routes[r].coll, routes[r].dialect, reply);
        else
            sim_http_item(server, routes[r].coll, id, reply);
        return;
    }
    if (snprintf(message, sizeof(message), "no such path: %.200s", url) < 0)
        message[0] = '\0';
    sim_http_error(reply, 404, "60", message);
}

static enum MHD_Result sim_http_send(struct MHD_Connection *conn, struct sim_reply *reply)
{
    struct MHD_Response *response;
    enum MHD_Result rc;
    char number[32];

    if (!reply->body)
        return MHD_NO;
    response = MHD_create_response_from_buffer(reply->len, reply->body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(reply->body);
        return MHD_NO;
    }
    reply->body = NULL;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, SIM_CONTENT_TYPE);
    if (reply->counted) {
        if (snprintf(number, sizeof(number), "%llu", (unsigned long long)reply->total) > 0)
            MHD_add_response_header(response, "X-Total-Count", number);
        if (snprintf(number, sizeof(number), "%llu", (unsigned long long)reply->result) > 0)
            MHD_add_response_header(response, "X-Result-Count", number);
    }
    if (reply->allow)
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply->allow);
    rc = MHD_queue_response(conn, reply->status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result sim_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                       const char *method, const char *version,
                       const char *upload_data, size_t *upload_data_size,
                       void **con_cls)
{
    struct sim_http *server = cls;
    struct sim_reply reply;

    (void)version;
    (void)upload_data;
    if (*con_cls != &sim_http_marker) {
        *con_cls = &sim_http_marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;          /* request bodies are read and ignored */
        return MHD_YES;
    }
    memset(&reply, 0, sizeof(reply));
    sim_http_route(server, conn, url, method, &reply);
    return sim_http_send(conn, &reply);
}

/* Sends small responses without Nagle's delay on every accepted connection. */
static void sim_http_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                enum MHD_ConnectionNotificationCode toe)
{
    const union MHD_ConnectionInfo *info;
    int one = 1;

    (void)cls;
    (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info)
        (void)setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int sim_http_start(struct sim_model *model, const struct sim_http_options *options, int listen_fd,
           struct sim_http **out)
{
    struct sim_http *server = calloc(1, sizeof(*server));

    if (!server) {
        close(listen_fd);
        return -1;
    }
    server->model = model;
    server->options = *options;
    server->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
        0, NULL, NULL, sim_http_handle, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_CONNECTION, sim_http_notify, NULL,
        MHD_OPTION_END);
    if (!server->daemon) {
        close(listen_fd);
        free(server);
        return -1;
    }
    *out = server;
    return 0;
}

void sim_http_stop(struct sim_http *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
