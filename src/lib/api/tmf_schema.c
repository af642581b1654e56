/* tmf_schema.c: the official TMF v4 Swagger files and a validator of JSON values against
 * their definitions (see tmf_schema.h for the subset understood).
 *
 * The rules come from the specification files themselves, never copied by hand: a new
 * version of a file changes what POST accepts without a code change. Recursion follows
 * the value (each level of the body is one level of the schema) plus `$ref` and `allOf`
 * hops; both are bounded by MAX_DEPTH, so neither a deep body nor a cycle of `$ref`s in a
 * file can exhaust the stack. */
#include "tmf_schema.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_BYTES (16 * 1024 * 1024) /* a TMF v4 file is about 200 KB */
#define MAX_DEPTH 256                      /* schema steps ($ref, allOf, members, items) in one check */
#define MAX_WHERE 256                      /* bytes of the member path in messages */

struct tmfinv_tmf_spec {
    char *path;
    cJSON *doc;
    const cJSON *definitions;   /* borrowed from doc */
};

void tmfinv_tmf_spec_free(tmfinv_tmf_spec *spec)
{
    if (!spec)
        return;
    free(spec->path);
    cJSON_Delete(spec->doc);
    free(spec);
}

const char *tmfinv_tmf_spec_path(const tmfinv_tmf_spec *spec)
{
    return spec->path;
}

int tmfinv_tmf_spec_load(const char *path, const char *const *required, tmfinv_tmf_spec **out)
{
    tmfinv_tmf_spec *spec = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if ((rc = tmfinv_file_read(path, SPEC_MAX_BYTES, &text, &len)) < 0) {
        rc = tmfinv_error_set(rc, "TMF specification %s: %s", path, tmfinv_error_last());
        goto out;
    }
    if (!(spec = calloc(1, sizeof(*spec))) || !(spec->path = strdup(path))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (!(spec->doc = cJSON_ParseWithLength(text, len)) || !cJSON_IsObject(spec->doc)) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "TMF specification %s: not a JSON object", path);
        goto out;
    }
    spec->definitions = cJSON_GetObjectItemCaseSensitive(spec->doc, "definitions");
    if (!cJSON_IsObject(spec->definitions)) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "TMF specification %s: no \"definitions\" object (not a Swagger 2.0"
                                               " file)", path);
        goto out;
    }
    for (size_t i = 0; required && required[i]; i++)
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec->definitions, required[i]))) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "TMF specification %s: no definition \"%s\"", path, required[i]);
            goto out;
        }
    *out = spec;
    spec = NULL;
    rc = 0;
out:
    tmfinv_tmf_spec_free(spec);
    free(text);
    return rc;
}

/* ---- validation ---------------------------------------------------------------------- */

typedef struct check {
    const tmfinv_tmf_spec *spec;
    char where[MAX_WHERE];      /* the member being checked, dotted */
    int depth;
} check;

static const char *where_text(const check *c)
{
    return c->where[0] ? c->where : "(body)";
}

static int fail(const check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* TMFINV_EINVALID with "WHERE: " and the formatted reason. */
static int fail(const check *c, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return tmfinv_error_set(TMFINV_EINVALID, "%s: %s", where_text(c), why);
}

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

/* 1 when `v` is of the schema type `type`. Unknown type names constrain nothing. */
static int type_holds(const char *type, const cJSON *v)
{
    if (strcmp(type, "object") == 0)
        return cJSON_IsObject(v);
    if (strcmp(type, "array") == 0)
        return cJSON_IsArray(v);
    if (strcmp(type, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(type, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(type, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) && floor(v->valuedouble) == v->valuedouble;
    if (strcmp(type, "null") == 0)
        return cJSON_IsNull(v);
    return 1;
}

/* 1 when `v` equals the enum value `e` (strings, numbers, booleans; the TMF files only
 * list strings). */
static int enum_equals(const cJSON *e, const cJSON *v)
{
    return cJSON_Compare(e, v, 1);
}

static int validate(check *c, const cJSON *schema, const cJSON *v);

/* 1 when `s` is an absolute URI as RFC 3986 shapes it: a scheme (a letter, then letters,
 * digits, '+', '-', '.'), ':', then no white space or control character. */
static int is_uri(const char *s)
{
    const char *p = s;

    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
           *p == '-' || *p == '.')
        p++;
    if (*p != ':')
        return 0;
    for (p++; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* Appends `.name` or `[index]` to the path; returns the old length to restore. */
static size_t where_push(check *c, const char *name, int index)
{
    size_t n = strlen(c->where);

    if (name)
        (void)snprintf(c->where + n, sizeof(c->where) - n, "%s%s", n ? "." : "", name);
    else
        (void)snprintf(c->where + n, sizeof(c->where) - n, "[%d]", index);
    return n;
}

static int check_ref(check *c, const char *ref, const cJSON *v)
{
    static const char prefix[] = "#/definitions/";
    const cJSON *target;

    if (strncmp(ref, prefix, sizeof(prefix) - 1) != 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s: the specification refers to '%.100s', which is not a"
                                                 " #/definitions/ reference", where_text(c), ref);
    target = cJSON_GetObjectItemCaseSensitive(c->spec->definitions, ref + sizeof(prefix) - 1);
    if (!cJSON_IsObject(target))
        return tmfinv_error_set(TMFINV_EINVALID, "%s: the specification has no definition '%.100s'", where_text(c),
                                ref + sizeof(prefix) - 1);
    return validate(c, target, v);
}

static int check_object(check *c, const cJSON *schema, const cJSON *v)
{
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
    const cJSON *properties = cJSON_GetObjectItemCaseSensitive(schema, "properties"), *r, *member;
    int rc = 0;

    cJSON_ArrayForEach(r, required) {
        if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(v, r->valuestring))
            continue;
        {
            size_t n = where_push(c, r->valuestring, 0);

            rc = fail(c, "required by the specification, missing");
            c->where[n] = '\0';
            return rc;
        }
    }
    if (!cJSON_IsObject(properties))
        return 0;
    cJSON_ArrayForEach(member, v) {
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(properties, member->string);
        size_t n;

        if (!cJSON_IsObject(ps))
            continue;       /* additional members are allowed (Swagger's default) */
        n = where_push(c, member->string, 0);
        rc = validate(c, ps, member);
        if (rc == 0)
            c->where[n] = '\0';
        else
            return rc;
    }
    return 0;
}

static int check_array(check *c, const cJSON *schema, const cJSON *v)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minItems"), *e;
    int index = 0, rc;

    if (cJSON_IsNumber(min) && cJSON_GetArraySize(v) < min->valuedouble) {
        char text[32];

        (void)snprintf(text, sizeof(text), "%d", min->valueint);
        return fail(c, "has fewer than %s elements (minItems)", text);
    }
    if (!cJSON_IsObject(items))
        return 0;
    cJSON_ArrayForEach(e, v) {
        size_t n = where_push(c, NULL, index++);

        if ((rc = validate(c, items, e)) < 0)
            return rc;
        c->where[n] = '\0';
    }
    return 0;
}

/* Checks `v` against `schema`; on failure c->where names the member. */
static int validate(check *c, const cJSON *schema, const cJSON *v)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(schema, "allOf");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(schema, "format"), *s;
    int rc = 0;

    if (++c->depth > MAX_DEPTH) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s: nested more deeply than the validator follows (%d schema steps)",
                              where_text(c), MAX_DEPTH);
        goto out;
    }
    /* Swagger 2.0: a $ref replaces its siblings (description and the like). */
    if (cJSON_IsString(ref)) {
        rc = check_ref(c, ref->valuestring, v);
        goto out;
    }
    cJSON_ArrayForEach(s, all) {
        if (cJSON_IsObject(s) && (rc = validate(c, s, v)) < 0)
            goto out;
    }
    if (cJSON_IsString(type) && !type_holds(type->valuestring, v)) {
        rc = fail(c, "is %s, the specification wants %s", json_kind(v), type->valuestring);
        goto out;
    }
    if (cJSON_IsArray(values)) {
        int found = 0;

        cJSON_ArrayForEach(s, values) found |= enum_equals(s, v);
        if (!found) {
            char list[256] = "";
            size_t n = 0;

            cJSON_ArrayForEach(s, values) {
                if (cJSON_IsString(s) && n < sizeof(list))
                    n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", s->valuestring);
            }
            rc = fail(c, "is not one of the values the specification allows (%s)", list);
            goto out;
        }
    }
    if (cJSON_IsString(format) && strcmp(format->valuestring, "date-time") == 0 && cJSON_IsString(v) &&
        !tmfinv_is_datetime(v->valuestring)) {
        rc = fail(c, "'%.60s' is not a date-time (RFC 3339, as 2026-01-31T12:00:00Z)", v->valuestring);
        goto out;
    }
    if (cJSON_IsString(format) && strcmp(format->valuestring, "uri") == 0 && cJSON_IsString(v) &&
        !is_uri(v->valuestring)) {
        rc = fail(c, "'%.60s' is not an absolute URI (scheme:rest, RFC 3986)", v->valuestring);
        goto out;
    }
    if (cJSON_IsObject(v))
        rc = check_object(c, schema, v);
    else if (cJSON_IsArray(v))
        rc = check_array(c, schema, v);
out:
    c->depth--;
    return rc;
}

int tmfinv_tmf_spec_validate(const tmfinv_tmf_spec *spec, const char *definition, const cJSON *value)
{
    check c;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(spec->definitions, definition);

    if (!cJSON_IsObject(schema))
        return tmfinv_error_set(TMFINV_EINVALID, "TMF specification %s: no definition \"%s\"", spec->path, definition);
    memset(&c, 0, sizeof(c));
    c.spec = spec;
    return validate(&c, schema, value);
}
