/* http_cors.c: CORS for the origins of [http] cors_origins (docs/configuration.md).
 *
 * A browser application on a listed origin may call the API: its preflight (OPTIONS) is
 * answered without a token, since browsers send none with it, and its real requests get
 * Access-Control-Allow-Origin naming that origin, never '*'; they still need their token.
 * An origin not listed gets no CORS header at all, so the browser keeps the answer from
 * the page. Headers are added after the answer cache, which keys answers without the
 * origin: one origin's header never reaches another from a cached answer. */
#include "http_int.h"

#include "tmfinv_error.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Preflights are cached by the browser for this long (Chromium caps it at 2 h anyway). */
#define CORS_MAX_AGE_S 600

int http_cors_init(tmfinv_http_server *s, const tmfinv_http_config *cfg)
{
    if (!cfg->n_cors_origins)
        return 0;
    if (!(s->cors_origins = calloc(cfg->n_cors_origins, sizeof(*s->cors_origins))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_cors_origins; i++) {
        if (!(s->cors_origins[i] = strdup(cfg->cors_origins[i])))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        s->n_cors_origins++;
    }
    return 0;
}

void http_cors_free(tmfinv_http_server *s)
{
    for (size_t i = 0; i < s->n_cors_origins; i++)
        free(s->cors_origins[i]);
    free(s->cors_origins);
    s->cors_origins = NULL;
    s->n_cors_origins = 0;
}

static const char *raw_header(const tmfinv_http_raw_request *raw, const char *name)
{
    for (size_t i = 0; i < raw->n_headers; i++)
        if (raw->headers[i].name && strcasecmp(raw->headers[i].name, name) == 0)
            return raw->headers[i].value;
    return NULL;
}

/* The request's Origin when it is listed (compared exactly: browsers send it in one form,
 * lower case and without the default port, the form the configuration is normalised to). */
static const char *listed_origin(const tmfinv_http_server *s, const tmfinv_http_raw_request *raw)
{
    const char *origin;

    if (!s->n_cors_origins || !(origin = raw_header(raw, "Origin")))
        return NULL;
    for (size_t i = 0; i < s->n_cors_origins; i++)
        if (strcmp(s->cors_origins[i], origin) == 0)
            return s->cors_origins[i];
    return NULL;
}

int http_cors_preflight(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, const char *path,
                        tmfinv_http_response *res)
{
    const char *origin;
    char methods[128];

    if (!raw->method || strcmp(raw->method, "OPTIONS") != 0 || !raw_header(raw, "Access-Control-Request-Method") ||
        !(origin = listed_origin(s, raw)))
        return 0;
    http_path_methods(s, path, methods, sizeof(methods));
    if (!methods[0])
        return 0;
    res->status = 204;
    (void)tmfinv_http_header_add(res, "Access-Control-Allow-Origin", "%s", origin);
    (void)tmfinv_http_header_add(res, "Vary", "Origin");
    (void)tmfinv_http_header_add(res, "Access-Control-Allow-Methods", "%s", methods);
    (void)tmfinv_http_header_add(res, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    (void)tmfinv_http_header_add(res, "Access-Control-Max-Age", "%d", CORS_MAX_AGE_S);
    return 1;
}

void http_cors_headers(tmfinv_http_server *s, const tmfinv_http_raw_request *raw, tmfinv_http_response *res)
{
    const char *origin;

    if (!s->n_cors_origins)
        return;
    /* Every answer depends on Origin once CORS is on: a shared cache must not reuse one
     * answer for another origin (or for a request without Origin). */
    (void)tmfinv_http_header_add(res, "Vary", "Origin");
    if (!(origin = listed_origin(s, raw)))
        return;
    (void)tmfinv_http_header_add(res, "Access-Control-Allow-Origin", "%s", origin);
    (void)tmfinv_http_header_add(res, "Access-Control-Expose-Headers", "X-Total-Count, X-Result-Count, Link, "
                                 "Retry-After, WWW-Authenticate");
}
