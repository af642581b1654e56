/* http_router.c: the request layer of the HTTP server (see http.h, http_int.h): from a
 * request as the connection layer collected it (method, raw target, headers, body) to
 * the response — decoding and checking the target, limits, bearer-token roles, routing,
 * the answer cache, per-route metrics and the request log. No socket here, so that the
 * whole path can be fuzzed (tests/fuzz/fuzz_http_request.c). */
#include "http_int.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"
#include "tmfinv_utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_TOKENS 1024
#define MAX_QUERY 256       /* query parameters passed to handlers */

static const double bucket_bounds[HTTP_N_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

int64_t http_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void tmfinv_http_invalidate(tmfinv_http_server *s)
{
    atomic_fetch_add(&s->generation, 1);
}

/* ---- response helpers ------------------------------------------------------------------ */

const char *tmfinv_http_query(const tmfinv_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

int tmfinv_http_query_only(const tmfinv_http_request *req, const char *const *allowed)
{
    for (size_t i = 0; i < req->n_query; i++) {
        size_t k;

        for (k = 0; allowed[k]; k++)
            if (strcmp(req->query[i].name, allowed[k]) == 0)
                break;
        if (!allowed[k])
            return tmfinv_error_set(TMFINV_EINVALID, "unknown query parameter '%.100s'", req->query[i].name);
    }
    return 0;
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
    /* Messages quote client input cut to a length ("%.100s"), which can split a UTF-8
     * sequence (or the message itself can): the body must stay valid UTF-8. */
    for (size_t n = strlen(message), at; (at = tmfinv_utf8_invalid_at(message, n)) < n;)
        message[at] = '?';
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

/* ---- matching and roles ------------------------------------------------------------------ */

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

void http_path_methods(tmfinv_http_server *s, const char *path, char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < s->n_routes; i++) {
        tmfinv_http_request probe = {0};
        const char *m = s->routes[i]->method;

        if (!route_match(s->routes[i]->pattern, path, &probe))
            continue;
        for (size_t k = 0; k < probe.n_path_params; k++)
            free(probe.path_params[k]);
        for (int twice = 0; twice < 2; twice++, m = "HEAD") {
            if (!strstr(out, m) && n < size)
                n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", m);
            if (strcmp(m, "GET") != 0)
                break;
        }
    }
    if (n >= size)
        out[size - 1] = '\0';
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

/* The roles of a client that sent `auth` (the Authorization header, NULL when none). */
static int roles_of(tmfinv_http_server *s, const char *auth, const char **principal)
{
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
    http_route_stats *st = &s->stats[route];
    double seconds = (double)us / 1e6;
    int b = 0;

    if (status >= 100 && status < 600)
        atomic_fetch_add(&st->by_status[status], 1);
    while (b < HTTP_N_BUCKETS && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add(&st->buckets[b], 1);
    atomic_fetch_add(&st->sum_us, (uint64_t)(us > 0 ? us : 0));
}

/* ---- decoding the request target --------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the %XX escapes (and '+' as a space when `plus`: query parameters) of the n
 * bytes at `s` into a new string whose length goes to *len: NULs are kept, so that the
 * caller can refuse them instead of reading a truncated value. A '%' not followed by
 * two hex digits stays as it is. NULL when out of memory. */
static char *decode(const char *s, size_t n, int plus, size_t *len)
{
    char *out = malloc(n + 1);
    size_t k = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && n - i >= 3 && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out[k++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else
            out[k++] = plus && s[i] == '+' ? ' ' : s[i];
    }
    out[k] = '\0';
    *len = k;
    return out;
}

/* What is wrong with decoded text (n bytes), or NULL when it is valid UTF-8 without NUL. */
static const char *text_problem(const char *s, size_t n)
{
    size_t at = tmfinv_utf8_invalid_at(s, n);

    if (at == n)
        return NULL;
    return s[at] == '\0' ? "contains a NUL byte (%00)" : "is not valid UTF-8";
}

/* Copies the n bytes at `s` for a message: printable ASCII kept, anything else as '?',
 * at most size - 1 bytes. */
static void printable(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < size; i++)
        out[k++] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[k] = '\0';
}

/* Splits and decodes the query string into req->query. Returns 0; TMFINV_EINVALID with
 * the message naming the parameter (a NUL, invalid UTF-8, too many); TMFINV_ENOMEM. */
static int parse_query(tmfinv_http_request *req, const char *q)
{
    while (*q) {
        const char *amp = strchr(q, '&'), *eq;
        size_t n = amp ? (size_t)(amp - q) : strlen(q), name_len, value_len;
        const char *problem = NULL, *what = "name";
        char shown[80];
        tmfinv_http_param *grown, *p;

        if (n == 0) {
            q++;
            continue;
        }
        if (req->n_query >= MAX_QUERY)
            return tmfinv_error_set(TMFINV_EINVALID, "too many query parameters (at most %d)", MAX_QUERY);
        if (!(grown = realloc(req->query, (req->n_query + 1) * sizeof(*grown))))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        req->query = grown;
        p = &grown[req->n_query];
        eq = memchr(q, '=', n);
        p->name = decode(q, eq ? (size_t)(eq - q) : n, 1, &name_len);
        p->value = eq ? decode(eq + 1, n - (size_t)(eq - q) - 1, 1, &value_len) : strdup("");
        if (!eq)
            value_len = 0;
        if (!p->name || !p->value) {
            free(p->name);
            free(p->value);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        req->n_query++;
        if (!(problem = text_problem(p->name, name_len))) {
            problem = text_problem(p->value, value_len);
            what = "value";
        }
        if (problem) {
            printable(q, eq ? (size_t)(eq - q) : n, shown, sizeof(shown));
            return tmfinv_error_set(TMFINV_EINVALID, "query parameter '%s': its %s %s", shown, what, problem);
        }
        q += n;
    }
    return 0;
}

/* The first value of header `name` (any case), or NULL. */
static const char *header(const tmfinv_http_raw_request *raw, const char *name)
{
    for (size_t i = 0; i < raw->n_headers; i++)
        if (raw->headers[i].name && strcasecmp(raw->headers[i].name, name) == 0)
            return raw->headers[i].value;
    return NULL;
}

/* ---- one request -------------------------------------------------------------------------- */

void tmfinv_http_response_free(tmfinv_http_response *res)
{
    tmfinv_buf_free(&res->body);
    for (size_t i = 0; i < res->n_headers; i++)
        free(res->headers[i].value);
    res->n_headers = 0;
}

/* Routes the decoded request and runs its handler (or takes the cached answer). */
static void dispatch(tmfinv_http_server *s, tmfinv_http_request *req, tmfinv_http_response *res, size_t *route_out)
{
    size_t route = s->n_routes;
    int path_matched = 0;
    char allow[128] = "";

    for (size_t i = 0; i < s->n_routes; i++) {
        tmfinv_http_request probe = *req;

        if (!route_match(s->routes[i]->pattern, req->path, &probe))
            continue;
        path_matched = 1;
        if (strcmp(s->routes[i]->method, req->method) == 0 ||
            (strcmp(req->method, "HEAD") == 0 && strcmp(s->routes[i]->method, "GET") == 0)) {
            route = i;
            *req = probe;
            break;
        }
        for (size_t k = 0; k < probe.n_path_params; k++)
            free(probe.path_params[k]);
        if (!strstr(allow, s->routes[i]->method))
            (void)snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s", allow[0] ? ", " : "",
                           s->routes[i]->method);
    }
    *route_out = route;
    if (route == s->n_routes) {
        if (path_matched) {
            (void)tmfinv_http_error(res, 405, "61", "Method Not Allowed", "%.20s is not allowed on %.200s",
                                    req->method, req->path);
            (void)tmfinv_http_header_add(res, "Allow", "%s", allow);
        } else
            (void)tmfinv_http_error(res, 404, "60", "Not Found", "no resource at %.200s", req->path);
        return;
    }
    if (s->routes[route]->role && !(req->roles & s->routes[route]->role)) {
        if (!req->roles) {
            (void)tmfinv_http_error(res, 401, "41", "Unauthorized", "a valid bearer token is required");
            (void)tmfinv_http_header_add(res, "WWW-Authenticate", "Bearer realm=\"tmfinv\"");
        } else
            (void)tmfinv_http_error(res, 403, "50", "Forbidden", "this token does not have the %s role",
                                    s->routes[route]->role == TMFINV_ROLE_WRITE ? "write" : "read");
        return;
    }
    req->store = thread_store(s);
    /* Open routes (health checks) run without a store and say so themselves. */
    if (!req->store && s->routes[route]->role) {
        (void)tmfinv_http_error(res, 503, "1", "Service Unavailable", "the store cannot be opened");
        return;
    }
    tmfinv_error_clear();
    {
        const tmfinv_http_route *rt = s->routes[route];
        http_answer_cache *cache = rt->cache && req->store ? http_thread_cache(s) : NULL;
        uint64_t store_version[2] = {0, 0}, generation = atomic_load(&s->generation);
        char key[2048] = "";

        if (cache && tmfinv_store_version(req->store, store_version) == 0 &&
            snprintf(key, sizeof(key), "%s?%s|%s|%d", req->path, req->raw_query, req->base, req->roles) <
                (int)sizeof(key)) {
            if (http_cache_get(cache, key, store_version, generation, res)) {
                (void)tmfinv_http_header_add(res, "X-Cache", "hit");
                return;
            }
        } else
            cache = NULL;
        if (rt->fn(req, res) < 0 || res->status == 0) {
            tmfinv_http_response_free(res);
            tmfinv_buf_init(&res->body, 1024 * 1024);
            (void)tmfinv_http_error(res, 500, "1", "Internal Server Error", "the request could not be served");
        } else if (cache && (res->status == 200 || res->status == 206)) {
            uint64_t after[2] = {0, 0};

            /* Keep it only if nothing changed while it was built. */
            if (tmfinv_store_version(req->store, after) == 0 && after[0] == store_version[0] &&
                after[1] == store_version[1])
                http_cache_put(cache, key, store_version, generation, res);
            (void)tmfinv_http_header_add(res, "X-Cache", "miss");
        }
    }
}

int tmfinv_http_handle(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, tmfinv_http_response *res)
{
    tmfinv_http_request req;
    size_t route = s->n_routes, path_len = 0;
    const char *problem, *q = NULL;
    char *path = NULL, base[300];
    int64_t started = raw->started_us ? raw->started_us : http_now_us();
    int rc, preflight = 0;

    memset(&req, 0, sizeof(req));
    memset(res, 0, sizeof(*res));
    tmfinv_buf_init(&res->body, 256 * 1024 * 1024);
    req.method = raw->method ? raw->method : "";
    req.path = "";
    req.raw_query = "";
    req.body = raw->body ? raw->body : "";
    req.body_len = raw->body ? raw->body_len : 0;
    req.content_type = header(raw, "Content-Type");
    req.accept = header(raw, "Accept");
    req.if_none_match = header(raw, "If-None-Match");
    req.app = s->app;
    {
        const char *host = header(raw, "Host");

        /* Host goes into hrefs and Link headers: only what a host and port are made of
         * (a CR in it would break the header it is copied into). */
        if (!host || !host[0] || strlen(host) > 255 ||
            strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]") != strlen(host))
            (void)snprintf(base, sizeof(base), "%s://127.0.0.1:%u", tmfinv_http_scheme(s), s->port);
        else
            (void)snprintf(base, sizeof(base), "%s://%s", tmfinv_http_scheme(s), host);
        req.base = base;
    }
    req.roles = roles_of(s, header(raw, "Authorization"), &req.principal);
    if (raw->unavailable) {
        (void)tmfinv_http_error(res, 503, "1", "Service Unavailable", "%s; try again later", raw->unavailable);
        (void)tmfinv_http_header_add(res, "Retry-After", "2");
        (void)tmfinv_http_header_add(res, "Connection", "close");
        goto respond;
    }
    if (!raw->target) {
        (void)tmfinv_http_error(res, 414, "414", "URI Too Long", "the request target is longer than %zu bytes",
                                s->cfg.max_url);
        goto respond;
    }
    if (raw->n_headers > (size_t)s->cfg.max_headers) {
        (void)tmfinv_http_error(res, 431, "431", "Request Header Fields Too Large", "more than %d request headers",
                                s->cfg.max_headers);
        goto respond;
    }
    q = strchr(raw->target, '?');
    req.raw_query = q ? q + 1 : "";
    if (!(path = decode(raw->target, q ? (size_t)(q - raw->target) : strlen(raw->target), 0, &path_len))) {
        (void)tmfinv_http_error(res, 500, "1", "Internal Server Error", "out of memory");
        goto respond;
    }
    req.path = path;
    /* A NUL would cut the path short: /resource/%00 must not name the collection. */
    if ((problem = text_problem(path, path_len))) {
        req.path = "";
        (void)tmfinv_http_error(res, 400, "20", "Bad Request", "the path %s", problem);
        goto respond;
    }
    if ((rc = parse_query(&req, req.raw_query)) < 0) {
        (void)tmfinv_http_error(res, rc == TMFINV_EINVALID ? 400 : 500, rc == TMFINV_EINVALID ? "20" : "1",
                                rc == TMFINV_EINVALID ? "Bad Request" : "Internal Server Error", "%s",
                                tmfinv_error_last());
        goto respond;
    }
    if (raw->body_too_large) {
        (void)tmfinv_http_error(res, 413, "413", "Payload Too Large", "the request body is larger than %zu bytes",
                                s->cfg.max_body);
        goto respond;
    }
    if ((preflight = http_cors_preflight(s, raw, req.path, res)) == 0)
        dispatch(s, &req, res, &route);
respond:
    if (!preflight)
        http_cors_headers(s, raw, res);
    {
        int64_t us = http_now_us() - started;

        record(s, route, res->status, us);
        if (s->cfg.log) {
            char target[1024], method[24], status[16], ms[32];
            const tmfinv_log_field f[] = {{"route", route < s->n_routes ? s->routes[route]->name : "-"},
                                          {"method", method}, {"target", target}, {"status", status}, {"ms", ms},
                                          {"client", raw->client ? raw->client : "-"},
                                          {"principal", req.principal ? req.principal : "-"}};

            log_target(raw->target, target, sizeof(target));
            (void)snprintf(method, sizeof(method), "%.20s", req.method);
            (void)snprintf(status, sizeof(status), "%d", res->status);
            (void)snprintf(ms, sizeof(ms), "%.1f", (double)us / 1000.0);
            s->cfg.log(s->cfg.log_ctx, f, sizeof(f) / sizeof(f[0]));
        }
    }
    request_clear(&req);
    free(path);
    return res->status ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

/* ---- the server without its sockets ----------------------------------------------------- */

int http_router_init(tmfinv_http_server *s, const tmfinv_http_config *cfg, const tmfinv_http_route *const *tables,
                     const size_t *table_sizes, size_t n_tables, void *app)
{
    s->cfg = *cfg;
    s->app = app;
    s->listen_fd = -1;
    if (s->cfg.request_timeout_s <= 0)
        s->cfg.request_timeout_s = 10;
    if (s->cfg.max_client_connections <= 0)
        s->cfg.max_client_connections = 32;
    if (s->cfg.max_connections <= 0)
        s->cfg.max_connections = 256;
    if (pthread_key_create(&s->store_key, close_store) != 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "no thread key");
    if (pthread_key_create(&s->cache_key, http_cache_free) != 0) {
        pthread_key_delete(s->store_key);
        return tmfinv_error_set(TMFINV_ENOMEM, "no thread key");
    }
    s->keys_made = 1;
    if (cfg->store_path && !(s->store_path = strdup(cfg->store_path)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t t = 0; t < n_tables; t++)
        for (size_t i = 0; i < table_sizes[t]; i++) {
            if (s->n_routes >= HTTP_MAX_ROUTES)
                return tmfinv_error_set(TMFINV_ELIMIT, "more than %d routes", HTTP_MAX_ROUTES);
            s->routes[s->n_routes++] = &tables[t][i];
        }
    if (http_cors_init(s, cfg) < 0)
        return TMFINV_ENOMEM;
    if (cfg->tokens_file) {
        int rc = load_tokens(s, cfg->tokens_file);

        if (rc < 0)
            return rc;
        s->has_tokens = 1;
    }
    return 0;
}

void http_router_free(tmfinv_http_server *s)
{
    if (s->keys_made) {
        /* The server threads closed theirs as they ended; this is the caller's own
         * (tmfinv_http_handle() called directly). */
        close_store(pthread_getspecific(s->store_key));
        http_cache_free(pthread_getspecific(s->cache_key));
        pthread_key_delete(s->store_key);
        pthread_key_delete(s->cache_key);
        s->keys_made = 0;
    }
    free(s->tokens);
    free(s->store_path);
    http_cors_free(s);
}

/* ---- metrics ------------------------------------------------------------------------------ */

int tmfinv_http_metrics(tmfinv_http_server *s, tmfinv_buf *out)
{
    int rc;

    if (!s)
        return 0;
    rc = tmfinv_buf_puts(out, "# HELP tmfinv_http_requests_total HTTP requests by route and status.\n"
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

        for (int b = 0; rc == 0 && b <= HTTP_N_BUCKETS; b++) {
            cumulative += atomic_load(&s->stats[r].buckets[b]);
            if (b < HTTP_N_BUCKETS)
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

