/* http_body.c: request bodies as JSON (see http.h): one JSON value and nothing but
 * whitespace after it, every string (member names too) valid UTF-8 without NUL. cJSON
 * alone would take the first value of "{} trailing" and cut "a\u0000b" to "a", and copies
 * invalid UTF-8 as it is, so the text is checked beside the parser. */
#include "http.h"

#include "tmfinv_error.h"
#include "tmfinv_jsontext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct first_bad {
    char path[160];
    const char *reason;
    int in_name;
    int found;
} first_bad;

static int take_first(const tmfinv_jsontext_bad *bad, void *ctx)
{
    first_bad *f = ctx;

    (void)snprintf(f->path, sizeof(f->path), "%s", bad->path);
    f->reason = bad->reason;
    f->in_name = bad->in_name;
    f->found = 1;
    return 1;
}

/* Names the first bad string of the body (already parsed): the scanner follows the
 * elements of an array, so the body is looked at as the one element of "[BODY]". */
static int answer_bad_string(const tmfinv_http_request *req, tmfinv_http_response *res)
{
    first_bad f = {.reason = NULL};
    char *wrapped = malloc(req->body_len + 3);

    if (!wrapped)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    wrapped[0] = '[';
    memcpy(wrapped + 1, req->body, req->body_len);
    wrapped[req->body_len + 1] = ']';
    wrapped[req->body_len + 2] = '\0';
    (void)tmfinv_jsontext_bad_strings(wrapped, req->body_len + 2, take_first, &f);
    free(wrapped);
    if (f.found && f.path[0])
        return tmfinv_http_error(res, 400, "21", "Bad Request", "field '%s'%s: %s (strings must be UTF-8 without NUL)",
                                 f.path, f.in_name ? " (its name)" : "", f.reason);
    return tmfinv_http_error(res, 400, "21", "Bad Request",
                             "the body is not valid UTF-8 or holds a NUL (strings must be UTF-8 without NUL)");
}

int tmfinv_http_body_json(const tmfinv_http_request *req, tmfinv_http_response *res, cJSON **out)
{
    const char *end = NULL, *stop = req->body + req->body_len;
    cJSON *json = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    int rc;

    if (!json) {
        rc = tmfinv_http_error(res, 400, "21", "Bad Request", "the body is not valid JSON");
        return rc < 0 ? rc : TMFINV_EINVALID;
    }
    while (end && end < stop && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end != stop) {
        cJSON_Delete(json);
        rc = tmfinv_http_error(res, 400, "21", "Bad Request",
                               "the body must be one JSON value: something follows it at byte %zu",
                               (size_t)(end ? end - req->body : 0));
        return rc < 0 ? rc : TMFINV_EINVALID;
    }
    if (!tmfinv_jsontext_clean(req->body, req->body_len)) {
        cJSON_Delete(json);
        rc = answer_bad_string(req, res);
        return rc < 0 ? rc : TMFINV_EINVALID;
    }
    *out = json;
    return 0;
}
