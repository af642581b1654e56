/* sim_http.c: routing, paging dialects, filters, authentication and fault injection of
 * tmfinv-sim.
 *
 * Every response body is rendered in memory into one buffer and handed to libmicrohttpd in one
 * piece (slow and truncated bodies go through a reader callback instead). Each connection has
 * its own thread, so --latency-ms and slow bodies delay requests independently and concurrent
 * requests are served in parallel. The fault-free path costs a few untaken branches. */
#include "sim_http_int.h"
#include "sim_hub.h"
#include "sim_json.h"

#include <errno.h>
#include <stdatomic.h>
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

#define SIM_BODY_LIMIT (512u * 1024u * 1024u)   /* a 5000-item page is ~10 MB */
#define SIM_PAGE_MAX 5000u                      /* larger limit/recordsPerPage values are capped */
#define SIM_OFFSET_MAX 1000000000000ULL
#define SIM_DAYS_MAX 36500u
#define SIM_REQUEST_BODY_MAX (64u * 1024u)     /* request bodies (token requests) */
#define SIM_URL_ARGS_MAX 64u                    /* query arguments sorted into the URL key */

/* struct sim_http, sim_reply and friends are in sim_http_int.h (sim_http_control.c uses them). */


/* Marks the per-connection state of a request after its first call. */
static int sim_http_marker;

static const char *sim_http_reason(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

/* A TMF Error body: {"code","reason","message","status"}. */
void sim_http_error(struct sim_reply *reply, unsigned status, const char *code,
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

void sim_http_sleep_ms(uint32_t ms)
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

/* Renders one item, with its --bad-items shape when it has one. */
void sim_http_render(struct sim_http *server, const struct sim_epoch *snapshot,
                const struct sim_item *item, struct sim_buf *buf)
{
    int shape;

    if (server->options.fault.bad_items_ppb &&
        (shape = sim_fault_bad_shape(server->fault, item, snapshot->epoch)) >= 0)
        sim_fault_render_bad(&server->model->world, item, shape, buf);
    else
        sim_render_item(&server->model->world, item, buf);
}

static void sim_http_render_for_hub(void *ctx, const struct sim_epoch *snapshot, const struct sim_item *item,
                    struct sim_buf *buf)
{
    sim_http_render(ctx, snapshot, item, buf);
}

static void sim_http_list(struct sim_http *server, struct MHD_Connection *conn,
              enum sim_collection coll, enum sim_dialect dialect, struct sim_reply *reply)
{
    struct sim_epoch *snapshot = NULL;
    const uint32_t *positions = NULL;
    uint64_t offset, limit, page, i, j, end, shift = 0;
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
        atomic_fetch_add_explicit(&server->stats.fail_page, 1, memory_order_relaxed);
        goto out;
    }
    snapshot = sim_model_acquire(server->model);
    if (sim_epoch_select(snapshot, coll, &filter, &positions, &count, &owned) < 0) {
        sim_http_error(reply, 500, "1", "out of memory");
        goto out;
    }
    if (server->options.fault.shuffle && count > 0)
        shift = sim_fault_shuffle_shift(server->fault, coll, snapshot->epoch) % count;
    if (server->options.repeat_page)
        offset = 0;     /* --repeat-page: whatever is asked, the first page */
    end = offset + limit;
    if (end > count && !(server->options.endless && count > 0))
        end = count;
    sim_json_open(&buf, '[');
    for (i = offset; i < end; i++) {
        if (i >= count) {
            /* --endless: past the end, a made-up item shaped like item i mod count, with a
             * serial no real item has, so every page brings new ids. */
            struct sim_item made;

            made = snapshot->items[coll][positions ? positions[i % count] : i % count];
            if (i - count > (uint64_t)(UINT32_MAX - snapshot->next_serial[made.kind])) {
                end = i;
                break;
            }
            made.serial = snapshot->next_serial[made.kind] + (uint32_t)(i - count);
            sim_http_render(server, snapshot, &made, &buf);
            continue;
        }
        /* --shuffle: the last `shift` items have moved to the front */
        j = i >= shift ? i - shift : i + count - shift;
        sim_http_render(server, snapshot, &snapshot->items[coll][positions ? positions[j] : j],
                &buf);
    }
    if (server->options.link_loop && dialect == SIM_DIALECT_TMF && limit > 0 && end > offset &&
        (end < count || server->options.endless || page == server->options.link_loop) &&
        snprintf(reply->link, sizeof(reply->link), "<%s?offset=%llu&limit=%llu>; rel=\"next\"",
             coll == SIM_COLL_SERVICE ? SIM_TMF638_BASE : SIM_TMF639_BASE,
             page == server->options.link_loop ? 0ULL : (unsigned long long)end,
             (unsigned long long)limit) >= (int)sizeof(reply->link))
        reply->link[0] = '\0';
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
    sim_http_render(server, snapshot, item, &buf);
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


struct sim_http_args {
    const char *key[SIM_URL_ARGS_MAX];
    const char *value[SIM_URL_ARGS_MAX];
    size_t count;
    uint64_t overflow;          /* hash of the arguments beyond SIM_URL_ARGS_MAX, in order */
};

static enum MHD_Result sim_http_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                        const char *value)
{
    struct sim_http_args *args = cls;

    (void)kind;
    if (args->count < SIM_URL_ARGS_MAX) {
        args->key[args->count] = key;
        args->value[args->count] = value ? value : "";
        args->count++;
    } else {
        args->overflow = sim_fault_hash_bytes(args->overflow, key, strlen(key) + 1);
        if (value)
            args->overflow = sim_fault_hash_bytes(args->overflow, value, strlen(value) + 1);
    }
    return MHD_YES;
}

/* The key of a request for the per-URL attempt counters: method, path and the query arguments
 * sorted by name then value (so "a=1&b=2" and "b=2&a=1" are the same URL). */
static uint64_t sim_http_url_key(struct MHD_Connection *conn, const char *method, const char *url)
{
    struct sim_http_args args;
    uint64_t h;
    size_t i, j;

    memset(&args, 0, sizeof(args));
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, sim_http_collect_arg, &args);
    for (i = 1; i < args.count; i++) {          /* insertion sort: a handful of arguments */
        const char *key = args.key[i], *value = args.value[i];

        for (j = i; j > 0; j--) {
            int c = strcmp(args.key[j - 1], key);

            if (c < 0 || (c == 0 && strcmp(args.value[j - 1], value) <= 0))
                break;
            args.key[j] = args.key[j - 1];
            args.value[j] = args.value[j - 1];
        }
        args.key[j] = key;
        args.value[j] = value;
    }
    h = sim_fault_hash_bytes(0, method, strlen(method) + 1);
    h = sim_fault_hash_bytes(h, url, strlen(url) + 1);
    for (i = 0; i < args.count; i++) {
        h = sim_fault_hash_bytes(h, args.key[i], strlen(args.key[i]) + 1);
        h = sim_fault_hash_bytes(h, args.value[i], strlen(args.value[i]) + 1);
    }
    return h ^ args.overflow;
}

/* An HTTP-date (RFC 9110) `seconds` from now, rounded up to the next whole second. */
static void sim_http_date_in(uint32_t seconds, char *out, size_t size)
{
    struct timespec now;
    struct tm tm;
    time_t when;

    clock_gettime(CLOCK_REALTIME, &now);
    when = now.tv_sec + (time_t)seconds + (now.tv_nsec > 0 ? 1 : 0);
    if (!gmtime_r(&when, &tm) || strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        out[0] = '\0';
}

/* Applies the per-request faults to the answer of a data request. */
static void sim_http_faults(struct sim_http *server, struct MHD_Connection *conn,
                const char *method, const char *url, struct sim_reply *reply)
{
    const struct sim_fault_options *o = &server->options.fault;
    struct sim_fault_decision decision;
    int html = 0;

    sim_fault_decide(server->fault, sim_http_url_key(conn, method, url),
             reply->status == 200 && reply->body != NULL, &decision);
    if (o->total_count_lie && reply->counted)
        reply->total = sim_fault_lie_total(&decision, reply->total);
    switch (decision.kind) {
    case SIM_FAULT_NONE:
        return;
    case SIM_FAULT_429:
        sim_http_error(reply, 429, "429", "too many requests (injected fault)");
        /* one 429 in four gives Retry-After as an HTTP-date, the others in seconds */
        if ((decision.draw >> 8) % 4 == 0)
            sim_http_date_in(o->retry_after, reply->retry_after, sizeof(reply->retry_after));
        else if (snprintf(reply->retry_after, sizeof(reply->retry_after), "%u",
                  (unsigned)o->retry_after) < 0)
            reply->retry_after[0] = '\0';
        break;
    case SIM_FAULT_500:
        sim_http_error(reply, 500, "1", "internal error (injected fault)");
        break;
    case SIM_FAULT_502:
        sim_http_error(reply, 502, "502", "bad gateway (injected fault)");
        break;
    case SIM_FAULT_503:
        sim_http_error(reply, 503, "503", "service unavailable (injected fault)");
        /* half the 503s say when to come back */
        if ((decision.draw >> 8) & 1 &&
            snprintf(reply->retry_after, sizeof(reply->retry_after), "%u",
                 (unsigned)o->retry_after) < 0)
            reply->retry_after[0] = '\0';
        break;
    case SIM_FAULT_RESET:
        reply->delivery = SIM_SEND_RESET;
        break;
    case SIM_FAULT_SLOW:
        reply->delivery = SIM_SEND_SLOW;
        break;
    case SIM_FAULT_TRUNCATED:
        if (!reply->body || reply->len < 2) {
            reply->delivery = SIM_SEND_RESET;
            break;
        }
        reply->delivery = SIM_SEND_TRUNCATED;
        reply->cut = 1 + (size_t)((decision.draw >> 16) % (reply->len - 1));
        break;
    default:
        if (sim_fault_malform(decision.draw, &reply->body, &reply->len, &html) < 0)
            return;
        if (html)
            reply->content_type = "text/html; charset=utf-8";
        break;
    }
    atomic_fetch_add_explicit(&server->stats.faults[decision.kind], 1, memory_order_relaxed);
}

static int sim_http_is_token_path(const char *url)
{
    return strcmp(url, "/oauth_token.do") == 0 || strcmp(url, "/oauth/token") == 0;
}

static void sim_http_route(struct sim_http *server, struct MHD_Connection *conn, const char *url,
               const char *method, const struct sim_http_request *request,
               struct sim_reply *reply)
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
    enum sim_auth_result auth;
    struct sim_buf buf;
    size_t r;
    int match;

    if (strncmp(url, "/_sim/", 6) == 0) {
        sim_http_control(server, url, method, reply);
        return;
    }
    atomic_fetch_add_explicit(&server->stats.requests, 1, memory_order_relaxed);
    if (server->options.fault.rate_limit && !sim_fault_rate_take(server->fault)) {
        sim_http_rate_limited(server, reply);
        return;
    }
    if (server->auth) {
        if (sim_auth_kind_of(server->auth) == SIM_AUTH_OAUTH2 && sim_http_is_token_path(url)) {
            atomic_fetch_add_explicit(&server->stats.token_requests, 1, memory_order_relaxed);
            if (request && request->body.failed) {
                sim_http_error(reply, 413, "28", "request body too large");
                return;
            }
            sim_buf_init(&buf, 64 * 1024);
            reply->status = sim_auth_token(server->auth, method,
                               MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_AUTHORIZATION),
                               request ? request->body.data : NULL,
                               request ? request->body.len : 0, &buf);
            reply->body = sim_buf_steal(&buf, &reply->len);
            if (!reply->body)
                sim_http_error(reply, 500, "1", "out of memory");
            else if (reply->status == 401)
                reply->www_authenticate = "Basic realm=\"tmfinv-sim\"";
            else if (reply->status == 405)
                reply->allow = "POST";
            return;
        }
        auth = sim_auth_check(server->auth, MHD_lookup_connection_value(
                             conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
        if (auth != SIM_AUTH_OK) {
            sim_http_error(reply, 401, auth == SIM_AUTH_MISSING ? "40" :
                           auth == SIM_AUTH_EXPIRED ? "42" : "41",
                       auth == SIM_AUTH_MISSING ? "missing credentials" :
                       auth == SIM_AUTH_EXPIRED ? "expired credentials" :
                       "invalid credentials");
            reply->www_authenticate = sim_auth_challenge(server->auth, auth);
            atomic_fetch_add_explicit(&server->stats.unauthorized, 1, memory_order_relaxed);
            return;
        }
    }
    if (request && request->body.failed) {
        sim_http_error(reply, 413, "28", "request body too large");
        return;
    }
    if (sim_http_hub_route(server, url, method, request ? request->body.data : NULL,
                   request ? request->body.len : 0, reply))
        return;
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
        if (sim_fault_tracks_requests(server->fault))
            sim_http_faults(server, conn, method, url, reply);
        return;
    }
    if (snprintf(message, sizeof(message), "no such path: %.200s", url) < 0)
        message[0] = '\0';
    sim_http_error(reply, 404, "60", message);
}

static enum MHD_Result sim_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                       const char *method, const char *version,
                       const char *upload_data, size_t *upload_data_size,
                       void **con_cls)
{
    struct sim_http *server = cls;
    struct sim_http_request *request = NULL;
    struct sim_reply reply;

    (void)version;
    if (*con_cls == NULL) {
        /* only requests that may carry a body get a state; GETs share the marker */
        if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
            *con_cls = &sim_http_marker;
            return MHD_YES;
        }
        request = calloc(1, sizeof(*request));
        if (!request)
            return MHD_NO;
        sim_buf_init(&request->body, SIM_REQUEST_BODY_MAX);
        *con_cls = request;
        return MHD_YES;
    }
    if (*con_cls != &sim_http_marker)
        request = *con_cls;
    if (*upload_data_size != 0) {
        /* kept for the token endpoint (bounded: a failed buffer answers 413), else ignored */
        if (request)
            sim_buf_append(&request->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    memset(&reply, 0, sizeof(reply));
    sim_http_route(server, conn, url, method, request, &reply);
    return sim_http_send(server, conn, &reply);
}

/* Frees the state of a request that had one. */
static void sim_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    struct sim_http_request *request;

    (void)cls;
    (void)conn;
    (void)toe;
    if (!con_cls || !*con_cls || *con_cls == &sim_http_marker)
        return;
    request = *con_cls;
    if (request->body.data)
        explicit_bzero(request->body.data, request->body.cap);
    sim_buf_free(&request->body);
    free(request);
    *con_cls = NULL;
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

int sim_http_start(struct sim_model *model, const struct sim_http_options *options,
           struct sim_auth *auth, int listen_fd, struct sim_http **out)
{
    struct sim_http *server = calloc(1, sizeof(*server));
    int k;

    if (!server) {
        close(listen_fd);
        return -1;
    }
    server->model = model;
    server->options = *options;
    server->auth = auth;
    atomic_init(&server->stats.requests, 0);
    atomic_init(&server->stats.token_requests, 0);
    atomic_init(&server->stats.rate_limited, 0);
    atomic_init(&server->stats.unauthorized, 0);
    atomic_init(&server->stats.fail_page, 0);
    for (k = 0; k < SIM_FAULT_KIND_COUNT; k++)
        atomic_init(&server->stats.faults[k], 0);
    if (sim_fault_create(&options->fault, model->world.config.seed, &server->fault) < 0) {
        close(listen_fd);
        free(server);
        return -1;
    }
    if (sim_hub_create(model, &options->hub, sim_http_render_for_hub, server, &server->hub) < 0) {
        close(listen_fd);
        sim_fault_destroy(server->fault);
        free(server);
        return -1;
    }
    server->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
        0, NULL, NULL, sim_http_handle, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_CONNECTION, sim_http_notify, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, sim_http_completed, NULL,
        MHD_OPTION_END);
    if (!server->daemon) {
        close(listen_fd);
        sim_hub_destroy(server->hub);
        sim_fault_destroy(server->fault);
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
    sim_hub_destroy(server->hub);
    sim_fault_destroy(server->fault);
    free(server);
}
