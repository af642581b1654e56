/* api_tmf_render.c: a TMF item written straight from its stored text, without parsing it
 * into cJSON and printing it again (issue 11, point 4: the API's uncached pages).
 *
 * The item GET serves is `raw` with local and initial field values written in, `id` and
 * `href` pointing at tmfinv (tmfinv_events_entity). For the usual item this is a splice of
 * the top-level members: `href` replaced (or added at the end), a member whose field a
 * local or initial owner holds replaced by the stored value (or added, or left out when
 * the field has no value), members left out by fields=. Everything else of `raw` is copied
 * byte for byte, so the JSON means the same as the cJSON path's.
 *
 * Whatever is unusual takes the cJSON path instead (api_tmf_represent): an item that is not
 * a well-formed object, an overlaid field whose source path has more than one step or names
 * `id` or `href`, an `id` that is not a plain string (missing, numeric, escaped), a member
 * name with escapes, more than MAX_MEMBERS members. */
#include "api.h"
#include "api_tmf_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS 128   /* top-level members of an item the splice handles (on the stack) */
#define MAX_DEPTH 64      /* nesting the scanner follows; deeper items take the cJSON path */

/* A top-level member of the stored item: offsets into the text. */
typedef struct member {
    size_t key, key_len;        /* the name's bytes, without the quotes */
    size_t value, value_len;    /* the value's bytes as stored */
    const char *replace;        /* NULL: copy the value; else its new text */
    int drop;                   /* 1: leave the member out */
} member;

/* ---- a checking scanner of JSON text ---- */

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* After the string starting at p (its opening quote), NULL when it is not a JSON string.
 * *escaped: 1 when it holds a backslash escape. */
static const char *skip_string(const char *p, const char *end, int *escaped)
{
    *escaped = 0;
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            *escaped = 1;
            if (++p >= end)
                return NULL;
            if (*p == 'u') {
                if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]))
                    return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || !*p)
                return NULL;
        }
    }
    return NULL;
}

static const char *skip_digits(const char *p, const char *end, int *n)
{
    *n = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        p++;
        (*n)++;
    }
    return p;
}

/* After the number at p (RFC 8259's grammar), NULL when there is none. */
static const char *skip_number(const char *p, const char *end)
{
    int n;

    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if ((p = skip_digits(p, end, &n)), n == 0)
        return NULL;
    if (p < end && *p == '.' && ((p = skip_digits(p + 1, end, &n)), n == 0))
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((p = skip_digits(p, end, &n)), n == 0)
            return NULL;
    }
    return p;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* After the array or object at p, NULL when malformed or deeper than MAX_DEPTH. */
static const char *skip_container(const char *p, const char *end, int depth)
{
    char close = *p == '[' ? ']' : '}';
    int escaped;

    if (depth >= MAX_DEPTH)
        return NULL;
    p = skip_space(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (!(p = skip_string(p, end, &escaped)) || (p = skip_space(p, end)) >= end || *p != ':')
                return NULL;
            p = skip_space(p + 1, end);
        }
        if (!(p = skip_value(p, end, depth + 1)) || (p = skip_space(p, end)) >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_space(p + 1, end);
    }
}

static const char *skip_value(const char *p, const char *end, int depth)
{
    int escaped;

    if (p >= end)
        return NULL;
    switch (*p) {
    case '"': return skip_string(p, end, &escaped);
    case '{':
    case '[': return skip_container(p, end, depth);
    case 't': return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f': return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n': return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default: return skip_number(p, end);
    }
}

/* The top-level members of `raw` into m (at most MAX_MEMBERS); 0 when raw is not exactly
 * one well-formed object (space around it allowed) or a name has an escape. */
static int scan_members(const char *raw, member *m, size_t *n)
{
    const char *end = raw + strlen(raw), *p = skip_space(raw, end);
    int escaped;

    *n = 0;
    if (p >= end || *p != '{')
        return 0;
    p = skip_space(p + 1, end);
    if (p < end && *p == '}')
        return skip_space(p + 1, end) == end;
    for (;;) {
        const char *key = p, *value;

        if (*n >= MAX_MEMBERS || !(p = skip_string(p, end, &escaped)) || escaped)
            return 0;
        m[*n].key = (size_t)(key + 1 - raw);
        m[*n].key_len = (size_t)(p - key - 2);
        if ((p = skip_space(p, end)) >= end || *p != ':')
            return 0;
        value = skip_space(p + 1, end);
        if (!(p = skip_value(value, end, 1)))
            return 0;
        m[*n].value = (size_t)(value - raw);
        m[*n].value_len = (size_t)(p - value);
        m[*n].replace = NULL;
        m[*n].drop = 0;
        (*n)++;
        if ((p = skip_space(p, end)) >= end)
            return 0;
        if (*p == '}')
            return skip_space(p + 1, end) == end;
        if (*p != ',')
            return 0;
        p = skip_space(p + 1, end);
    }
}

/* The first member named `name`, -1 when none. */
static long find_member(const char *raw, const member *m, size_t n, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < n; i++)
        if (m[i].key_len == len && memcmp(raw + m[i].key, name, len) == 0)
            return (long)i;
    return -1;
}

/* ---- the splice ---- */

/* Appends `s` as the contents of a JSON string (quotes not included). */
static int put_escaped(tmfinv_buf *b, const char *s)
{
    int rc = 0;

    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;

        if (c && c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = tmfinv_buf_append(b, run, (size_t)(s - run))) < 0 || !c)
            return rc;
        if (c == '"' || c == '\\')
            rc = tmfinv_buf_printf(b, "\\%c", c);
        else
            rc = tmfinv_buf_printf(b, "\\u%04x", c);
        if (rc < 0)
            return rc;
        run = s + 1;
    }
}

/* 1 when the member name (key_len bytes at key) is kept by fields=. */
static int projected(const api_tmf_request *t, const char *key, size_t key_len)
{
    if (!t->has_fields)
        return 1;
    if ((key_len == 2 && memcmp(key, "id", 2) == 0) || (key_len == 4 && memcmp(key, "href", 4) == 0))
        return 1;
    for (size_t k = 0; k < t->n_fields; k++)
        if (strlen(t->field_names[k]) == key_len && memcmp(t->field_names[k], key, key_len) == 0)
            return 1;
    return 0;
}

/* An added member (a name and its value's text), after the stored ones. */
typedef struct added {
    const char *name;
    const char *value;
} added;

int api_tmf_render_fast(const api_tmf_request *t, const tmfinv_instance *inst, tmfinv_buf *out)
{
    const tmfinv_definition *d = tmfinv_model_find(t->rt->model, inst->definition);
    const char *raw = inst->raw;
    member m[MAX_MEMBERS];
    added more[MAX_MEMBERS + 1];    /* the added fields (one per printed value at most), then href */
    char *printed[MAX_MEMBERS];
    size_t n = 0, n_more = 0, n_printed = 0, start = out->len;
    long id, href;
    tmfinv_buf link;
    int rc = 0, first = 1;

    tmfinv_buf_init(&link, 64 * 1024);
    if (!d || !raw || !scan_members(raw, m, &n))
        goto out;
    /* Local and initial values, in the definition's order as tmfinv_path_write() does. */
    for (size_t i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        const cJSON *value;
        const char *name;
        long at;

        if (f->n_from == 0 || !tmfinv_path_is_plain(&f->from[0]) || tmfinv_field_owner(f, inst->fields) ==
                                                                         TMFINV_OWNER_SOURCE)
            continue;
        name = f->from[0].steps[0].name;
        if (f->from[0].n_steps != 1 || strcmp(name, "id") == 0 || strcmp(name, "href") == 0 ||
            n_printed >= MAX_MEMBERS)
            goto out;
        value = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
        at = find_member(raw, m, n, name);
        if (value) {
            if (!(printed[n_printed] = cJSON_PrintUnformatted(value))) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            n_printed++;
        }
        if (at >= 0 && m[at].drop)
            goto out; /* a second field at the same place: rare, leave it to cJSON */
        for (size_t k = 0; at < 0 && k < n_more; k++)
            if (strcmp(more[k].name, name) == 0)
                goto out; /* the same */
        if (at >= 0 && value)
            m[at].replace = printed[n_printed - 1];
        else if (at >= 0)
            m[at].drop = 1;
        else if (value) {
            more[n_more].name = name;
            more[n_more++].value = printed[n_printed - 1];
        }
    }
    /* `id` as a plain string gives the href; anything else is the cJSON path's. */
    if ((id = find_member(raw, m, n, "id")) < 0 || raw[m[id].value] != '"' || m[id].value_len <= 2 ||
        memchr(raw + m[id].value, '\\', m[id].value_len))
        goto out;
    {
        char id_text[512];

        if (m[id].value_len - 2 >= sizeof(id_text))
            goto out;
        memcpy(id_text, raw + m[id].value + 1, m[id].value_len - 2);
        id_text[m[id].value_len - 2] = '\0';
        if (strlen(id_text) != m[id].value_len - 2 || tmfinv_buf_puts(&link, "\"") < 0 ||
            put_escaped(&link, t->req->base) < 0 || tmfinv_buf_puts(&link, strcmp(d->api, "tmf639") == 0 ?
                                                                        api_tmf_resources.path :
                                                                        api_tmf_services.path) < 0 ||
            tmfinv_buf_puts(&link, "/") < 0 || tmfinv_buf_put_encoded(&link, id_text) < 0 ||
            tmfinv_buf_puts(&link, "\"") < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "href too long");
            goto out;
        }
    }
    if ((href = find_member(raw, m, n, "href")) >= 0)
        m[href].replace = link.data;
    else {
        more[n_more].name = "href";
        more[n_more++].value = link.data;
    }
    rc = tmfinv_buf_puts(out, "{");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (m[i].drop || !projected(t, raw + m[i].key, m[i].key_len))
            continue;
        if ((rc = tmfinv_buf_puts(out, first ? "\"" : ",\"")) < 0 ||
            (rc = tmfinv_buf_append(out, raw + m[i].key, m[i].key_len)) < 0 || (rc = tmfinv_buf_puts(out, "\":")) < 0)
            break;
        rc = m[i].replace ? tmfinv_buf_puts(out, m[i].replace) : tmfinv_buf_append(out, raw + m[i].value, m[i].value_len);
        first = 0;
    }
    for (size_t i = 0; rc == 0 && i < n_more; i++) {
        if (!projected(t, more[i].name, strlen(more[i].name)))
            continue;
        if ((rc = tmfinv_buf_puts(out, first ? "\"" : ",\"")) < 0 || (rc = put_escaped(out, more[i].name)) < 0 ||
            (rc = tmfinv_buf_puts(out, "\":")) < 0 || (rc = tmfinv_buf_puts(out, more[i].value)) < 0)
            break;
        first = 0;
    }
    if (rc == 0)
        rc = tmfinv_buf_puts(out, "}");
    if (rc == 0)
        rc = 1;
    else
        rc = tmfinv_error_set(TMFINV_ENOMEM, "answer too long");
out:
    if (rc <= 0 && out->len > start) {
        /* Nothing half-written: the caller takes the cJSON path or fails. */
        out->len = start;
        out->data[start] = '\0';
    }
    for (size_t i = 0; i < n_printed; i++)
        free(printed[i]);
    tmfinv_buf_free(&link);
    return rc;
}
