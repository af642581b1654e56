/* fuzz_http_request.c: one HTTP request through tmfinv_http_handle() — decoding of the
 * target, limits, roles, routing, every handler of the TMF, object-model and operations
 * APIs, the answer cache, metrics and the request log — over the fixture's store (see
 * fuzz_http_fixture.h, which also lists what every answer is checked for).
 *
 * The input is the request as text, the way the connection layer would have collected it:
 *   METHOD SP TARGET LF
 *   NAME ":" VALUE LF          (zero or more headers)
 *   LF
 *   BODY                       (every remaining byte)
 * A target longer than max_url or a body larger than max_body is handed over as the
 * connection layer would (the 414 and 413 paths). */
#include "fuzz_http_fixture.h"

#define MAX_HEADERS 80

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tmfinv_http_param headers[MAX_HEADERS];
    tmfinv_http_raw_request raw;
    tmfinv_http_response res;
    char *text, *p, *end, *nl, *sp;
    int rc;

    fixture_init();
    if (size > 2 * 1024 * 1024)
        return 0;
    if (!(text = malloc(size + 1)))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    end = text + size;
    memset(&raw, 0, sizeof(raw));
    /* request line */
    nl = memchr(text, '\n', size);
    if (nl)
        *nl = '\0';
    raw.method = text;
    sp = strchr(text, ' ');
    if (sp) {
        *sp = '\0';
        raw.target = sp + 1;
    } else
        raw.target = "/";
    if (strlen(raw.target) > 8192)
        raw.target = NULL;
    p = nl ? nl + 1 : end;
    /* headers */
    while (p < end && *p != '\n') {
        char *colon, *value;

        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl)
            *nl = '\0';
        if (raw.n_headers < MAX_HEADERS) {
            colon = strchr(p, ':');
            value = colon ? colon + 1 : (char *)"";
            if (colon)
                *colon = '\0';
            while (*value == ' ' || *value == '\t')
                value++;
            headers[raw.n_headers].name = p;
            headers[raw.n_headers].value = value;
            raw.n_headers++;
        }
        p = nl ? nl + 1 : end;
    }
    if (p < end)
        p++;            /* the empty line */
    raw.headers = headers;
    raw.body = p < end ? p : NULL;
    raw.body_len = (size_t)(end - p);
    if (raw.body_len > 1024 * 1024) {
        raw.body = NULL;
        raw.body_len = 0;
        raw.body_too_large = 1;
    }
    rc = tmfinv_http_handle(fixture_server, &raw, &res);
    FUZZ_CHECK(rc == 0);
    fixture_check(&res);
    tmfinv_http_response_free(&res);
    free(text);
    fixture_maybe_reset();
    return 0;
}
