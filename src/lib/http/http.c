/* http.c: the HTTP server (see http.h). */
#include "http.h"
#include "tmfinv_net.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_ROUTES 64
#define MAX_TOKENS 1024
#define N_BUCKETS 13

static const double bucket_bounds[N_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

typedef struct http_token {
    char name[64];
    int roles;
    char hash[65];
} http_token;

typedef struct route_stats {
    _Atomic uint64_t by_status[600];   /* requests by HTTP status */
    _Atomic uint64_t buckets[N_BUCKETS + 1];
    _Atomic uint64_t sum_us;
} route_stats;

/* Answers kept per server thread for routes marked `cache`: reused only while the
 * store version, the configuration generation, the request target, Host and the
 * client's roles are the same. Bounded in entries and bytes. */
#define CACHE_ENTRIES 64
#define CACHE_MAX_ANSWER (1024 * 1024)
#define CACHE_MAX_BYTES (16 * 1024 * 1024)

typedef struct cache_entry {
    char *key;
    uint64_t version[2];
    uint64_t generation;
    int status;
    char content_type[96];
    tmfinv_http_header headers[16];
    size_t n_headers;
    char *body;
    size_t len;
    uint64_t used;              /* for evicting the least recently used */
} cache_entry;

typedef struct answer_cache {
    cache_entry entries[CACHE_ENTRIES];
    size_t bytes;
    uint64_t clock;
} answer_cache;

struct tmfinv_http_server {
    tmfinv_http_config cfg;
    struct MHD_Daemon *mhd;
    const tmfinv_http_route *routes[MAX_ROUTES];
    size_t n_routes;
    route_stats stats[MAX_ROUTES + 1]; /* the last one: requests that matched no route */
    http_token *tokens;
    size_t n_tokens;
    int has_tokens;
    void *app;
    unsigned port;
    pthread_key_t store_key;
    pthread_key_t cache_key;
    _Atomic uint64_t generation;
    char *store_path;
};

static void cache_entry_clear(answer_cache *c, cache_entry *e)
{
    c->bytes -= e->len;
    free(e->key);
    free(e->body);
    for (size_t i = 0; i < e->n_headers; i++)
        free(e->headers[i].value);
    memset(e, 0, sizeof(*e));
}

static void cache_free(void *p)
{
    answer_cache *c = p;

    for (size_t i = 0; c && i < CACHE_ENTRIES; i++)
        cache_entry_clear(c, &c->entries[i]);
    free(c);
}

static answer_cache *thread_cache(tmfinv_http_server *s)
{
    answer_cache *c = pthread_getspecific(s->cache_key);

    if (!c && (c = calloc(1, sizeof(*c))) != NULL)
        pthread_setspecific(s->cache_key, c);
    return c;
}

/* Fills `res` from the cache when it holds an answer for `key` at this version. */
static int cache_get(answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                     tmfinv_http_response *res)
{
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        cache_entry *e = &c->entries[i];

        if (!e->key || strcmp(e->key, key) != 0)
            continue;
        if (e->version[0] != version[0] || e->version[1] != version[1] || e->generation != generation) {
            cache_entry_clear(c, e);
            return 0;
        }
        tmfinv_buf_reset(&res->body);
        if (tmfinv_buf_append(&res->body, e->body, e->len) < 0)
            return 0;
        res->status = e->status;
        memcpy(res->content_type, e->content_type, sizeof(res->content_type));
        for (size_t h = 0; h < e->n_headers; h++)
            (void)tmfinv_http_header_add(res, e->headers[h].name, "%s", e->headers[h].value);
        e->used = ++c->clock;
        return 1;
    }
    return 0;
}

static void cache_put(answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                      const tmfinv_http_response *res)
{
    cache_entry *slot = &c->entries[0];

    if (res->body.len > CACHE_MAX_ANSWER)
        return;
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        if (!c->entries[i].key) {
            slot = &c->entries[i];
            break;
        }
        if (c->entries[i].used < slot->used)
            slot = &c->entries[i];
    }
    cache_entry_clear(c, slot);
    /* Keep the bytes bounded: evict the least recently used until the answer fits. */
    while (c->bytes + res->body.len > CACHE_MAX_BYTES) {
        cache_entry *old = NULL;

        for (size_t i = 0; i < CACHE_ENTRIES; i++)
            if (c->entries[i].key && (!old || c->entries[i].used < old->used))
                old = &c->entries[i];
        if (!old)
            return;
        cache_entry_clear(c, old);
    }
    slot->key = strdup(key);
    slot->body = malloc(res->body.len + 1);
    if (!slot->key || !slot->body) {
        cache_entry_clear(c, slot);
        return;
    }
    memcpy(slot->body, res->body.data ? res->body.data : "", res->body.len);
    slot->len = res->body.len;
    c->bytes += slot->len;
    slot->version[0] = version[0];
    slot->version[1] = version[1];
    slot->generation = generation;
    slot->status = res->status;
    memcpy(slot->content_type, res->content_type, sizeof(slot->content_type));
    for (size_t h = 0; h < res->n_headers; h++) {
        slot->headers[h] = res->headers[h];
        slot->headers[h].value = strdup(res->headers[h].value);
        if (!slot->headers[h].value) {
            slot->n_headers = h;
            cache_entry_clear(c, slot);
            return;
        }
        slot->n_headers = h + 1;
    }
    slot->used = ++c->clock;
}

void tmfinv_http_invalidate(tmfinv_http_server *s)
{
    atomic_fetch_add(&s->generation, 1);
}

/* Per-request state, created by the URI log callback before anything else. */
typedef struct request_ctx {
    char *uri;                  /* raw request target, NULL when too long */
    int uri_too_long;
    int started;
    int body_too_large;
    tmfinv_buf body;
    int64_t started_us;
} request_ctx;

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- response helpers ------------------------------------------------------------------ */

const char *tmfinv_http_query(const tmfinv_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

int tmfinv_http_header_add(tmfinv_http_response *res, const char *name, const char *fmt, ...)
{
    tmfinv_buf b;
    va_list ap;
    int n;

    if (res->n_headers >= sizeof(res->headers) / sizeof(res->headers[0]))
        return tmfinv_error_set(TMFINV_ELIMIT, "too many response headers");
    tmfinv_buf_init(&b, 16 * 1024);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || tmfinv_buf_append(&b, "", 0) < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    {
        char *v = malloc((size_t)n + 1);

        if (!v) {
            tmfinv_buf_free(&b);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        va_start(ap, fmt);
        (void)vsnprintf(v, (size_t)n + 1, fmt, ap);
        va_end(ap);
        (void)snprintf(res->headers[res->n_headers].name, sizeof(res->headers[0].name), "%s", name);
        res->headers[res->n_headers++].value = v;
    }
    tmfinv_buf_free(&b);
    return 0;
}

int tmfinv_http_json(tmfinv_http_response *res, int status, const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    int rc;

    if (!text)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    tmfinv_buf_reset(&res->body);
    rc = tmfinv_buf_puts(&res->body, text);
    free(text);
    res->status = status;
    (void)snprintf(res->content_type, sizeof(res->content_type), "application/json;charset=utf-8");
    return rc;
}

int tmfinv_http_error(tmfinv_http_response *res, int status, const char *code, const char *reason,
                      const char *fmt, ...)
{
    char message[1024], status_text[16];
    cJSON *e = cJSON_CreateObject();
    va_list ap;
    int rc;

    if (!e)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    va_start(ap, fmt);
    (void)vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    (void)snprintf(status_text, sizeof(status_text), "%d", status);
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "reason", reason);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "status", status_text);
    cJSON_AddStringToObject(e, "@type", "Error");
    rc = tmfinv_http_json(res, status, e);
    cJSON_Delete(e);
    return rc;
}

void tmfinv_http_token_hash(const char *token, char hex[65])
{
    tmfinv_sha256_hex(token, strlen(token), hex);
}

/* ---- configuration ------------------------------------------------------------------- */


static int load_tokens(tmfinv_http_server *s, const char *path)
{
    char *text = NULL, *line, *next;
    int rc = 0, lineno = 0;

    if ((rc = tmfinv_file_read(path, 1024 * 1024, &text, NULL)) < 0)
        return rc;
    s->tokens = calloc(MAX_TOKENS, sizeof(*s->tokens));
    if (!s->tokens) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (line = text; line && *line; line = next) {
        char *a, *b, *end;
        http_token *t;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        end = line + strlen(line);
        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        a = strchr(line, ':');
        b = a ? strchr(a + 1, ':') : NULL;
        if (!a || !b || a == line) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: expected NAME:ROLE:SHA256-HEX", path, lineno);
            goto out;
        }
        *a = *b = '\0';
        if (s->n_tokens >= MAX_TOKENS) {
            rc = tmfinv_error_set(TMFINV_ELIMIT, "%s:%d: more than %d tokens", path, lineno, MAX_TOKENS);
            goto out;
        }
        t = &s->tokens[s->n_tokens];
        if (strlen(line) >= sizeof(t->name)) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: token name longer than %zu", path, lineno,
                                  sizeof(t->name) - 1);
            goto out;
        }
        if (strcmp(a + 1, "read") == 0)
            t->roles = TMFINV_ROLE_READ;
        else if (strcmp(a + 1, "write") == 0)
            t->roles = TMFINV_ROLE_READ | TMFINV_ROLE_WRITE;
        else {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: role '%s': expected read or write", path, lineno, a + 1);
            goto out;
        }
        if (strlen(b + 1) != 64 || strspn(b + 1, "0123456789abcdefABCDEF") != 64) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: expected the SHA-256 of the token as 64 hex digits",
                                  path, lineno);
            goto out;
        }
        (void)snprintf(t->name, sizeof(t->name), "%s", line);
        for (int i = 0; i < 64; i++)
            t->hash[i] = (char)((b[1 + i] >= 'A' && b[1 + i] <= 'F') ? b[1 + i] - 'A' + 'a' : b[1 + i]);
        t->hash[64] = '\0';
        s->n_tokens++;
    }
    if (s->n_tokens == 0)
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s: no token in the file", path);
out:
    free(text);
    return rc;
}

/* ---- per-thread store -------------------------------------------------------------------- */

static void close_store(void *p)
{
    tmfinv_store_close(p);
}

static tmfinv_store *thread_store(tmfinv_http_server *s)
{
    tmfinv_store *st = pthread_getspecific(s->store_key);

    if (!st && s->store_path) {
        if (tmfinv_store_open(s->store_path, &st) < 0)
            return NULL;
        pthread_setspecific(s->store_key, st);
    }
    return st;
}

/* ---- request handling -------------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    tmfinv_http_server *s = cls;
    request_ctx *r = calloc(1, sizeof(*r));

    (void)con;
    if (!r)
        return NULL;
    r->started_us = now_us();
    tmfinv_buf_init(&r->body, s->cfg.max_body);
    if (strlen(uri) > s->cfg.max_url)
        r->uri_too_long = 1;
    else
        r->uri = strdup(uri);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    request_ctx *r = *con_cls;

    (void)cls;
    (void)con;
    (void)toe;
    if (!r)
        return;
    tmfinv_buf_free(&r->body);
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

typedef struct collect_ctx {
    tmfinv_http_request *req;
    int failed;
    int count;
} collect_ctx;

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    collect_ctx *c = cls;
    tmfinv_http_param *grown;

    (void)kind;
    if (c->req->n_query >= 256) {
        c->failed = 1;
        return MHD_NO;
    }
    grown = realloc(c->req->query, (c->req->n_query + 1) * sizeof(*grown));
    if (!grown) {
        c->failed = 1;
        return MHD_NO;
    }
    c->req->query = grown;
    grown[c->req->n_query].name = strdup(key);
    grown[c->req->n_query].value = strdup(value ? value : "");
    c->req->n_query++;
    return MHD_YES;
}

static enum MHD_Result count_headers(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)key;
    (void)value;
    ((collect_ctx *)cls)->count++;
    return MHD_YES;
}

/* Matches `path` against `pattern`; captures {…} segments into req. */
static int route_match(const char *pattern, const char *path, tmfinv_http_request *req)
{
    size_t n_params = 0;
    char *captured[4] = {0};

    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            size_t n = strcspn(path, "/");

            if (!close || n == 0 || n_params >= 4)
                goto no;
            captured[n_params++] = strndup(path, n);
            pattern = close + 1;
            path += n;
            continue;
        }
        if (*pattern != *path)
            goto no;
        pattern++;
        path++;
    }
    /* A trailing '/' on the path names the same resource. */
    if (*path == '/' && path[1] == '\0')
        path++;
    if (*pattern || *path)
        goto no;
    for (size_t i = 0; i < n_params; i++)
        req->path_params[i] = captured[i];
    req->n_path_params = n_params;
    return 1;
no:
    for (size_t i = 0; i < n_params; i++)
        free(captured[i]);
    return 0;
}

static void request_clear(tmfinv_http_request *req)
{
    for (size_t i = 0; i < req->n_query; i++) {
        free(req->query[i].name);
        free(req->query[i].value);
    }
    free(req->query);
    for (size_t i = 0; i < req->n_path_params; i++)
        free(req->path_params[i]);
}

static int roles_of(tmfinv_http_server *s, struct MHD_Connection *con, const char **principal)
{
    const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
    char hash[65];
    int found = 0;

    if (!s->has_tokens) {
        *principal = "anonymous";
        return TMFINV_ROLE_READ | TMFINV_ROLE_WRITE;
    }
    *principal = "-";
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    tmfinv_http_token_hash(auth + 7, hash);
    for (size_t i = 0; i < s->n_tokens; i++) {
        /* Compare every byte: no early exit that would time the match. */
        unsigned diff = 0;

        for (int k = 0; k < 64; k++)
            diff |= (unsigned)(hash[k] ^ s->tokens[i].hash[k]);
        if (diff == 0 && !found) {
            found = s->tokens[i].roles;
            *principal = s->tokens[i].name;
        }
    }
    return found;
}

/* Writes the request target for the log: query values of secret-looking names masked. */
static void log_target(const char *uri, char *out, size_t size)
{
    const char *q = uri ? strchr(uri, '?') : NULL;
    size_t at;

    if (!uri) {
        (void)snprintf(out, size, "(request target too long)");
        return;
    }
    at = (size_t)snprintf(out, size, "%.*s", (int)(q ? (size_t)(q - uri) : strlen(uri)), uri);
    if (!q || at >= size)
        return;
    for (const char *p = q + 1; *p && at < size;) {
        const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        int secret = 0;

        if (eq && eq < p + n) {
            char name[64];
            size_t nl = (size_t)(eq - p) < sizeof(name) - 1 ? (size_t)(eq - p) : sizeof(name) - 1;

            memcpy(name, p, nl);
            name[nl] = '\0';
            for (char *c = name; *c; c++)
                *c = (char)((*c >= 'A' && *c <= 'Z') ? *c - 'A' + 'a' : *c);
            secret = strstr(name, "token") || strstr(name, "secret") || strstr(name, "password") ||
                     strstr(name, "key") || strstr(name, "auth");
            at += (size_t)snprintf(out + at, size - at, "%c%.*s=%s", p == q + 1 ? '?' : '&', (int)(eq - p), p,
                                   secret ? "***" : "");
            if (!secret && at < size)
                at += (size_t)snprintf(out + at, size - at, "%.*s", (int)(n - (size_t)(eq - p) - 1), eq + 1);
        } else
            at += (size_t)snprintf(out + at, size - at, "%c%.*s", p == q + 1 ? '?' : '&', (int)n, p);
        p = amp ? amp + 1 : p + n;
    }
}

static void record(tmfinv_http_server *s, size_t route, int status, int64_t us)
{
    route_stats *st = &s->stats[route];
    double seconds = (double)us / 1e6;
    int b = 0;

    if (status >= 100 && status < 600)
        atomic_fetch_add(&st->by_status[status], 1);
    while (b < N_BUCKETS && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add(&st->buckets[b], 1);
    atomic_fetch_add(&st->sum_us, (uint64_t)(us > 0 ? us : 0));
}

static enum MHD_Result send_response(struct MHD_Connection *con, tmfinv_http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = res->body.len;
    char *data = tmfinv_buf_steal(&res->body);

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

static void response_clear(tmfinv_http_response *res)
{
    tmfinv_buf_free(&res->body);
    for (size_t i = 0; i < res->n_headers; i++)
        free(res->headers[i].value);
    res->n_headers = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    tmfinv_http_server *s = cls;
    request_ctx *r = *con_cls;
    tmfinv_http_request req;
    tmfinv_http_response res;
    size_t route = s->n_routes, i;
    int path_matched = 0;
    char allow[128] = "";
    enum MHD_Result ret;

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
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    tmfinv_buf_init(&res.body, 256 * 1024 * 1024);
    req.method = method;
    req.path = url;
    req.raw_query = r->uri && strchr(r->uri, '?') ? strchr(r->uri, '?') + 1 : "";
    req.body = r->body.data ? r->body.data : "";
    req.body_len = r->body.len;
    req.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
    req.accept = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Accept");
    req.app = s->app;
    {
        const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
        static _Thread_local char base[300];

        if (!host || strlen(host) > 255 || strpbrk(host, " \t\"<>\\"))
            (void)snprintf(base, sizeof(base), "http://127.0.0.1:%u", s->port);
        else
            (void)snprintf(base, sizeof(base), "http://%s", host);
        req.base = base;
    }
    req.roles = roles_of(s, con, &req.principal);
    if (r->uri_too_long) {
        (void)tmfinv_http_error(&res, 414, "414", "URI Too Long", "the request target is longer than %zu bytes",
                                s->cfg.max_url);
        goto respond;
    }
    {
        collect_ctx c = {.req = &req};

        MHD_get_connection_values(con, MHD_HEADER_KIND, count_headers, &c);
        if (c.count > s->cfg.max_headers) {
            (void)tmfinv_http_error(&res, 431, "431", "Request Header Fields Too Large",
                                    "more than %d request headers", s->cfg.max_headers);
            goto respond;
        }
        MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, collect_query, &c);
        if (c.failed) {
            (void)tmfinv_http_error(&res, 400, "20", "Bad Request", "too many query parameters (at most 256)");
            goto respond;
        }
    }
    if (r->body_too_large) {
        (void)tmfinv_http_error(&res, 413, "413", "Payload Too Large", "the request body is larger than %zu bytes",
                                s->cfg.max_body);
        goto respond;
    }
    for (i = 0; i < s->n_routes; i++) {
        tmfinv_http_request probe = req;

        if (!route_match(s->routes[i]->pattern, url, &probe))
            continue;
        path_matched = 1;
        if (strcmp(s->routes[i]->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(s->routes[i]->method, "GET") == 0)) {
            route = i;
            req = probe;
            break;
        }
        for (size_t k = 0; k < probe.n_path_params; k++)
            free(probe.path_params[k]);
        if (!strstr(allow, s->routes[i]->method))
            (void)snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s", allow[0] ? ", " : "",
                           s->routes[i]->method);
    }
    if (route == s->n_routes) {
        if (path_matched) {
            (void)tmfinv_http_error(&res, 405, "61", "Method Not Allowed", "%s is not allowed on %s", method, url);
            (void)tmfinv_http_header_add(&res, "Allow", "%s", allow);
        } else
            (void)tmfinv_http_error(&res, 404, "60", "Not Found", "no resource at %s", url);
        goto respond;
    }
    if (s->routes[route]->role && !(req.roles & s->routes[route]->role)) {
        if (!req.roles) {
            (void)tmfinv_http_error(&res, 401, "41", "Unauthorized", "a valid bearer token is required");
            (void)tmfinv_http_header_add(&res, "WWW-Authenticate", "Bearer realm=\"tmfinv\"");
        } else
            (void)tmfinv_http_error(&res, 403, "50", "Forbidden", "this token does not have the %s role",
                                    s->routes[route]->role == TMFINV_ROLE_WRITE ? "write" : "read");
        goto respond;
    }
    req.store = thread_store(s);
    /* Open routes (health checks) run without a store and say so themselves. */
    if (!req.store && s->routes[route]->role) {
        (void)tmfinv_http_error(&res, 503, "1", "Service Unavailable", "the store cannot be opened");
        goto respond;
    }
    tmfinv_error_clear();
    {
        const tmfinv_http_route *rt = s->routes[route];
        answer_cache *cache = rt->cache && req.store ? thread_cache(s) : NULL;
        uint64_t store_version[2] = {0, 0}, generation = atomic_load(&s->generation);
        char key[2048] = "";

        if (cache && tmfinv_store_version(req.store, store_version) == 0 &&
            snprintf(key, sizeof(key), "%s?%s|%s|%d", url, req.raw_query, req.base, req.roles) < (int)sizeof(key)) {
            if (cache_get(cache, key, store_version, generation, &res)) {
                (void)tmfinv_http_header_add(&res, "X-Cache", "hit");
                goto respond;
            }
        } else
            cache = NULL;
        if (rt->fn(&req, &res) < 0 || res.status == 0) {
            response_clear(&res);
            tmfinv_buf_init(&res.body, 1024 * 1024);
            (void)tmfinv_http_error(&res, 500, "1", "Internal Server Error", "the request could not be served");
        } else if (cache && (res.status == 200 || res.status == 206)) {
            uint64_t after[2] = {0, 0};

            /* Keep it only if nothing changed while it was built. */
            if (tmfinv_store_version(req.store, after) == 0 && after[0] == store_version[0] && after[1] == store_version[1])
                cache_put(cache, key, store_version, generation, &res);
            (void)tmfinv_http_header_add(&res, "X-Cache", "miss");
        }
    }
respond:
    if (strcmp(method, "HEAD") == 0)
        tmfinv_buf_reset(&res.body);
    {
        int64_t us = now_us() - r->started_us;

        record(s, route, res.status, us);
        if (s->cfg.log) {
            char target[1024], line[1400];

            log_target(r->uri, target, sizeof(target));
            (void)snprintf(line, sizeof(line), "%s %s %d %.1f ms %s", method, target, res.status, (double)us / 1000.0,
                           req.principal ? req.principal : "-");
            s->cfg.log(s->cfg.log_ctx, line);
        }
    }
    ret = send_response(con, &res);
    response_clear(&res);
    request_clear(&req);
    return ret;
}

static void quiet_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

int tmfinv_http_start(const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                      const size_t *table_sizes, size_t n_tables, void *app, tmfinv_http_server **out)
{
    tmfinv_http_server *s = calloc(1, sizeof(*s));
    struct sockaddr_storage addr;
    int loopback = 0, rc = 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    if (!s)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->app = app;
    if (pthread_key_create(&s->store_key, close_store) != 0) {
        free(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "no thread key");
    }
    if (pthread_key_create(&s->cache_key, cache_free) != 0) {
        pthread_key_delete(s->store_key);
        free(s);
        return tmfinv_error_set(TMFINV_ENOMEM, "no thread key");
    }
    if (cfg->store_path && !(s->store_path = strdup(cfg->store_path))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t t = 0; t < n_tables; t++)
        for (size_t i = 0; i < table_sizes[t]; i++) {
            if (s->n_routes >= MAX_ROUTES) {
                rc = tmfinv_error_set(TMFINV_ELIMIT, "more than %d routes", MAX_ROUTES);
                goto out;
            }
            s->routes[s->n_routes++] = &tables[t][i];
        }
    if ((rc = tmfinv_listen_parse(cfg->listen, &addr, &loopback)) < 0)
        goto out;
    if (cfg->tokens_file) {
        if ((rc = load_tokens(s, cfg->tokens_file)) < 0)
            goto out;
        s->has_tokens = 1;
    } else if (!loopback) {
        rc = tmfinv_error_set(TMFINV_EINVALID,
                              "listen = '%s' is not a loopback address: without [http] tokens_file every client "
                              "would have the write role, so tmfinv only listens on 127.0.0.0/8 or ::1",
                              cfg->listen);
        goto out;
    }
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 2),
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_URI_LOG_CALLBACK,
                              on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER,
                              quiet_logger, NULL, MHD_OPTION_END);
    if (!s->mhd) {
        rc = tmfinv_error_set(TMFINV_EIO, "cannot listen on %s (address in use or not available?)", cfg->listen);
        goto out;
    }
    {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

        s->port = info ? info->port : 0;
    }
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
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    pthread_key_delete(s->store_key);
    pthread_key_delete(s->cache_key);
    free(s->tokens);
    free(s->store_path);
    free(s);
}

int tmfinv_http_metrics(tmfinv_http_server *s, tmfinv_buf *out)
{
    int rc = tmfinv_buf_puts(out, "# HELP tmfinv_http_requests_total HTTP requests by route and status.\n"
                                  "# TYPE tmfinv_http_requests_total counter\n");

    for (size_t r = 0; rc == 0 && r <= s->n_routes; r++) {
        const char *name = r < s->n_routes ? s->routes[r]->name : "unmatched";

        for (int st = 100; rc == 0 && st < 600; st++) {
            uint64_t n = atomic_load(&s->stats[r].by_status[st]);

            if (n)
                rc = tmfinv_buf_printf(out, "tmfinv_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n", name, st,
                                       (unsigned long long)n);
        }
    }
    if (rc == 0)
        rc = tmfinv_buf_puts(out, "# HELP tmfinv_http_request_duration_seconds Time to serve a request.\n"
                                  "# TYPE tmfinv_http_request_duration_seconds histogram\n");
    for (size_t r = 0; rc == 0 && r <= s->n_routes; r++) {
        const char *name = r < s->n_routes ? s->routes[r]->name : "unmatched";
        uint64_t cumulative = 0;

        for (int b = 0; rc == 0 && b <= N_BUCKETS; b++) {
            cumulative += atomic_load(&s->stats[r].buckets[b]);
            if (b < N_BUCKETS)
                rc = tmfinv_buf_printf(out, "tmfinv_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                                       name, bucket_bounds[b], (unsigned long long)cumulative);
            else
                rc = tmfinv_buf_printf(out,
                                       "tmfinv_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                                       "tmfinv_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                                       "tmfinv_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                                       name, (unsigned long long)cumulative, name,
                                       (double)atomic_load(&s->stats[r].sum_us) / 1e6, name,
                                       (unsigned long long)cumulative);
        }
    }
    return rc;
}
