/* model_map.c: mapping TMF items onto the typed fields of a definition, converting and
 * validating each value, and parsing values typed by a person (tmfinv set). */
#include "model.h"
#include "model_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"
#include "tmfinv_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reject(tmfinv_reject *why, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(tmfinv_reject *why, const char *field, const char *fmt, ...)
{
    va_list ap;

    (void)snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
    va_start(ap, fmt);
    (void)vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
    va_end(ap);
    model_clean_line(why->field);
    model_clean_line(why->reason);
}

/* How many bytes of `s` to show in a message of at most `max`: never part of a character,
 * never a byte that is not UTF-8 (a reason is stored and served like any text). */
static int shown(const char *s, size_t max)
{
    size_t n = strnlen(s, max);

    return (int)tmfinv_utf8_invalid_at(s, n);
}

/* Describes a JSON value briefly for a message: its type and, for scalars, its start. */
static void describe(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v))
        (void)snprintf(buf, size, "string '%.*s%s'", shown(v->valuestring, 60), v->valuestring,
                       strlen(v->valuestring) > (size_t)shown(v->valuestring, 60) ? "..." : "");
    else if (cJSON_IsNumber(v))
        (void)snprintf(buf, size, "number %.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        (void)snprintf(buf, size, "boolean %s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsObject(v))
        (void)snprintf(buf, size, "an object");
    else if (cJSON_IsArray(v))
        (void)snprintf(buf, size, "an array");
    else
        (void)snprintf(buf, size, "null");
}

/* Renders an object through a "{path}" template into a new string. */
static char *format_object(const char *fmt, const cJSON *o)
{
    tmfinv_buf b;
    const char *p = fmt;

    tmfinv_buf_init(&b, TMFINV_MAX_STRING + 1);
    while (*p) {
        const char *open = strchr(p, '{'), *close;

        if (!open || !(close = strchr(open, '}'))) {
            if (tmfinv_buf_puts(&b, p) < 0)
                goto fail;
            break;
        }
        if (tmfinv_buf_append(&b, p, (size_t)(open - p)) < 0)
            goto fail;
        {
            char key[128];
            const cJSON *v;
            size_t n = (size_t)(close - open - 1);

            if (n >= sizeof(key))
                n = sizeof(key) - 1;
            memcpy(key, open + 1, n);
            key[n] = '\0';
            v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
            if (cJSON_IsString(v)) {
                if (tmfinv_buf_puts(&b, v->valuestring) < 0)
                    goto fail;
            } else if (v && !cJSON_IsNull(v)) {
                char *s = cJSON_PrintUnformatted(v);
                int rc = s ? tmfinv_buf_puts(&b, s) : -1;

                free(s);
                if (rc < 0)
                    goto fail;
            }
        }
        p = close + 1;
    }
    return tmfinv_buf_steal(&b);
fail:
    tmfinv_buf_free(&b);
    return NULL;
}

/* The bytes a characteristic's value counts against the text limit: a string's length, a
 * number's or boolean's few bytes, an object's or array's printed length (rare: only those
 * are printed, so the usual element costs nothing more). */
static size_t characteristic_value_size(const cJSON *v)
{
    char *s;
    size_t n;

    if (cJSON_IsString(v))
        return strlen(v->valuestring);
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return 0;
    s = cJSON_PrintUnformatted(v);
    n = s ? strlen(s) : (size_t)TMFINV_MAX_STRING + 1;
    free(s);
    return n;
}

/* Checks one characteristic element {name, value, valueType}: an object whose name is a
 * string, whose valueType (when there) is a string, each within the text limit, the value
 * (any JSON) too. 0, or TMFINV_EINVALID with why->reason filled; `where` names the element
 * ("serviceCharacteristic[3]"). */
static int characteristic_check(const tmfinv_field *f, const cJSON *v, const char *where, tmfinv_reject *why)
{
    const cJSON *name, *type, *value;
    char desc[128];
    size_t n;

    if (!cJSON_IsObject(v)) {
        describe(v, desc, sizeof(desc));
        reject(why, f->name, "%s is %s, expected a characteristic {name, value, valueType}", where, desc);
        return TMFINV_EINVALID;
    }
    name = cJSON_GetObjectItemCaseSensitive(v, "name");
    type = cJSON_GetObjectItemCaseSensitive(v, "valueType");
    value = cJSON_GetObjectItemCaseSensitive(v, "value");
    if (!cJSON_IsString(name)) {
        if (name)
            describe(name, desc, sizeof(desc));
        reject(why, f->name, "%s has no name (a string)%s%s", where, name ? ": got " : "", name ? desc : "");
        return TMFINV_EINVALID;
    }
    if (type && !cJSON_IsNull(type) && !cJSON_IsString(type)) {
        describe(type, desc, sizeof(desc));
        reject(why, f->name, "%s: valueType is %s, expected a string", where, desc);
        return TMFINV_EINVALID;
    }
    if ((n = strlen(name->valuestring)) > TMFINV_MAX_STRING ||
        (cJSON_IsString(type) && (n = strlen(type->valuestring)) > TMFINV_MAX_STRING) ||
        (n = characteristic_value_size(value)) > TMFINV_MAX_STRING) {
        reject(why, f->name, "%s: a text of %zu bytes is longer than %d", where, n, TMFINV_MAX_STRING);
        return TMFINV_EINVALID;
    }
    return 0;
}

/* A characteristic element as stored: {name, value, valueType} taken from the source's
 * element, value as sent (any JSON; absent stays absent), valueType as sent (absent or null:
 * absent, never invented); every other member (id, @type...) left to the raw item. */
static cJSON *characteristic_of(const tmfinv_field *f, const cJSON *v, const char *where, tmfinv_reject *why)
{
    const cJSON *value, *type;
    cJSON *o, *copy;

    if (characteristic_check(f, v, where, why) < 0)
        return NULL;
    value = cJSON_GetObjectItemCaseSensitive(v, "value");
    type = cJSON_GetObjectItemCaseSensitive(v, "valueType");
    if (!(o = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(o, "name", cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring))
        goto fail;
    if (value) {
        if (!(copy = cJSON_Duplicate(value, 1)))
            goto fail;
        cJSON_AddItemToObject(o, "value", copy);
    }
    if (cJSON_IsString(type) && !cJSON_AddStringToObject(o, "valueType", type->valuestring))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    (void)snprintf(why->field, sizeof(why->field), "%s", f->name);
    (void)snprintf(why->reason, sizeof(why->reason), "out of memory");
    return NULL;
}

/* Converts a source JSON value to field type. NULL with `why` filled when it cannot. */
static cJSON *convert(const tmfinv_field *f, const cJSON *v, tmfinv_reject *why)
{
    char desc[128];
    double d;
    int64_t i;

    switch (f->type) {
    case TMFINV_TYPE_CHARACTERISTIC:
        return characteristic_of(f, v, f->name, why);
    case TMFINV_TYPE_STRING:
    case TMFINV_TYPE_REFERENCE:
    case TMFINV_TYPE_ENUM:
    case TMFINV_TYPE_DATETIME:
        if (cJSON_IsString(v))
            return cJSON_CreateString(v->valuestring);
        if (f->format && cJSON_IsObject(v)) {
            char *s = format_object(f->format, v);
            cJSON *r = s ? cJSON_CreateString(s) : NULL;

            free(s);
            return r;
        }
        if (cJSON_IsNumber(v) && f->type != TMFINV_TYPE_DATETIME) {
            char num[64];

            (void)snprintf(num, sizeof(num), "%.17g", v->valuedouble);
            return cJSON_CreateString(num);
        }
        break;
    case TMFINV_TYPE_INTEGER:
        if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) <= 9007199254740992.0)
            return cJSON_CreateNumber(v->valuedouble);
        if (cJSON_IsString(v) && tmfinv_parse_int64(v->valuestring, -9007199254740992LL, 9007199254740992LL, &i) == 0)
            return cJSON_CreateNumber((double)i);
        break;
    case TMFINV_TYPE_DOUBLE:
        if (cJSON_IsNumber(v))
            return cJSON_CreateNumber(v->valuedouble);
        if (cJSON_IsString(v) && tmfinv_parse_double(v->valuestring, &d) == 0)
            return cJSON_CreateNumber(d);
        break;
    case TMFINV_TYPE_BOOLEAN:
        if (cJSON_IsBool(v))
            return cJSON_CreateBool(cJSON_IsTrue(v));
        if (cJSON_IsString(v) && (strcmp(v->valuestring, "true") == 0 || strcmp(v->valuestring, "false") == 0))
            return cJSON_CreateBool(v->valuestring[0] == 't');
        break;
    }
    describe(v, desc, sizeof(desc));
    reject(why, f->name, "expected %s, got %s", tmfinv_type_name(f->type), desc);
    return NULL;
}

/* `lenient`: an enum value outside the field's values passes (a sync stores it as sent and
 * reports it); a person's value (tmfinv set, PATCH) must be one of them. */
static int validate_scalar(const tmfinv_field *f, const cJSON *v, int lenient, tmfinv_reject *why)
{
    size_t i, n, bad;

    switch (f->type) {
    case TMFINV_TYPE_CHARACTERISTIC:
        return characteristic_check(f, v, f->name, why);
    case TMFINV_TYPE_STRING:
    case TMFINV_TYPE_REFERENCE:
    case TMFINV_TYPE_ENUM:
        if (!cJSON_IsString(v))
            break;
        n = strlen(v->valuestring);
        if (n > TMFINV_MAX_STRING) {
            reject(why, f->name, "string of %zu bytes is longer than %d", n, TMFINV_MAX_STRING);
            return TMFINV_EINVALID;
        }
        if ((bad = tmfinv_utf8_invalid_at(v->valuestring, n)) < n) {
            reject(why, f->name, "not valid UTF-8 (byte %zu)", bad);
            return TMFINV_EINVALID;
        }
        if (f->type != TMFINV_TYPE_ENUM)
            return 0;
        /* An enum value outside the field's values is stored as sent (and reported) by a
         * sync; it is text like any other, so the checks above hold for it too. */
        if (lenient || model_enum_known(f, v->valuestring))
            return 0;
        {
            char list[300] = "";
            size_t at = 0;

            for (i = 0; i < f->n_values && at < sizeof(list); i++)
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", f->values[i]);
            reject(why, f->name, "'%.*s' is not one of %s", shown(v->valuestring, 60), v->valuestring, list);
        }
        return TMFINV_EINVALID;
    case TMFINV_TYPE_DATETIME:
        if (!cJSON_IsString(v))
            break;
        if (!tmfinv_is_datetime(v->valuestring)) {
            reject(why, f->name, "'%.*s' is not an RFC 3339 date-time", shown(v->valuestring, 60), v->valuestring);
            return TMFINV_EINVALID;
        }
        return 0;
    case TMFINV_TYPE_INTEGER:
        if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble))
            return 0;
        break;
    case TMFINV_TYPE_DOUBLE:
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
            return 0;
        break;
    case TMFINV_TYPE_BOOLEAN:
        if (cJSON_IsBool(v))
            return 0;
        break;
    }
    {
        char desc[128];

        describe(v, desc, sizeof(desc));
        reject(why, f->name, "expected %s, got %s", tmfinv_type_name(f->type), desc);
    }
    return TMFINV_EINVALID;
}

static int validate(const tmfinv_field *f, const cJSON *value, int lenient, tmfinv_reject *why)
{
    const cJSON *el;
    int rc;

    if (!value || cJSON_IsNull(value)) {
        if (f->required) {
            reject(why, f->name, "required field '%s' is missing", f->name);
            return TMFINV_EINVALID;
        }
        return 0;
    }
    if (!f->is_list)
        return validate_scalar(f, value, lenient, why);
    if (!cJSON_IsArray(value)) {
        reject(why, f->name, "expected a list of %s", tmfinv_type_name(f->type));
        return TMFINV_EINVALID;
    }
    if (f->required && cJSON_GetArraySize(value) == 0) {
        reject(why, f->name, "required list '%s' is empty", f->name);
        return TMFINV_EINVALID;
    }
    cJSON_ArrayForEach(el, value) {
        if ((rc = validate_scalar(f, el, lenient, why)) < 0)
            return rc;
    }
    return 0;
}

int tmfinv_field_validate(const tmfinv_field *f, const cJSON *value, tmfinv_reject *why)
{
    return validate(f, value, 0, why);
}

typedef struct unknown_ctx {
    const tmfinv_definition *def;
    const tmfinv_field *field;
    tmfinv_unknown_fn fn;
    void *ctx;
    int rc;
} unknown_ctx;

static int unknown_visit(const cJSON *value, void *ctx)
{
    unknown_ctx *u = ctx;
    const char *s = cJSON_IsString(value) ? value->valuestring : NULL;

    /* The status field's values are the declared statuses, whatever its type. */
    if (!s || (u->field->is_status || u->field == &u->def->fields[u->def->status_field]
                   ? tmfinv_definition_status_known(u->def, s)
                   : model_enum_known(u->field, s)))
        return 0;
    u->rc = u->fn(u->ctx, u->field, s);
    return u->rc < 0;
}

int tmfinv_definition_unknown_values(const tmfinv_definition *d, const cJSON *item, tmfinv_unknown_fn fn, void *ctx)
{
    size_t i, k;

    if (!cJSON_IsObject(item))
        return 0;
    for (i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        unknown_ctx u = {.def = d, .field = f, .fn = fn, .ctx = ctx};

        if ((f->type != TMFINV_TYPE_ENUM && i != d->status_field) || f->owner == TMFINV_OWNER_LOCAL)
            continue;
        if (!f->is_list) {
            (void)unknown_visit(model_field_first(f, item), &u);
        } else {
            /* The first path that gives values gives them all, as when mapping. */
            for (k = 0; k < f->n_from && u.rc >= 0; k++)
                if (model_path_walk(f->from[k].steps, f->from[k].n_steps, item, unknown_visit, &u) ||
                    tmfinv_path_first(&f->from[k], item))
                    break;
        }
        if (u.rc < 0)
            return u.rc;
    }
    return 0;
}

typedef struct collect_ctx {
    const tmfinv_field *field;
    const tmfinv_path *path;    /* the source path being walked */
    int index;                  /* values visited so far */
    cJSON *list;
    tmfinv_reject *why;
    int failed;
} collect_ctx;

/* Names the `index`th value of `path` for a message: "a[*].b" becomes "a[3].b" when its
 * only selection is [*] (the usual characteristic path), else "PATH, value N". */
static void element_name(const tmfinv_path *path, int index, char *out, size_t size)
{
    const char *star = strstr(path->text, "[*]");

    if (star && !strstr(star + 3, "[") && !strchr(path->text, '=') && star == strchr(path->text, '['))
        (void)snprintf(out, size, "%.*s[%d]%s", (int)(star - path->text), path->text, index, star + 3);
    else
        (void)snprintf(out, size, "%s, value %d", path->text, index);
}

static int collect_visit(const cJSON *value, void *ctx)
{
    collect_ctx *c = ctx;
    cJSON *v;

    if (c->field->type == TMFINV_TYPE_CHARACTERISTIC) {
        char where[300];

        element_name(c->path, c->index, where, sizeof(where));
        v = characteristic_of(c->field, value, where, c->why);
    } else {
        v = convert(c->field, value, c->why);
    }
    c->index++;

    if (!v) {
        c->failed = 1;
        return 1;
    }
    cJSON_AddItemToArray(c->list, v);
    return 0;
}

/* Maps and validates one field of `item` into *out (NULL: no value). 0, TMFINV_EINVALID with
 * `why` filled, or TMFINV_ENOMEM. */
static int map_field(const tmfinv_field *f, const cJSON *item, cJSON **out, tmfinv_reject *why)
{
    cJSON *v = NULL;
    size_t k;
    int rc;

    *out = NULL;
    if (f->is_list) {
        collect_ctx c = {.field = f, .why = why};

        c.list = cJSON_CreateArray();
        if (!c.list)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        for (k = 0; k < f->n_from && cJSON_GetArraySize(c.list) == 0 && !c.failed; k++) {
            c.path = &f->from[k];
            c.index = 0;
            (void)model_path_walk(f->from[k].steps, f->from[k].n_steps, item, collect_visit, &c);
        }
        if (c.failed) {
            cJSON_Delete(c.list);
            return TMFINV_EINVALID;
        }
        v = c.list;
    } else {
        const cJSON *src = model_field_first(f, item);

        if (src && !(v = convert(f, src, why)))
            return TMFINV_EINVALID;
    }
    if (v && (rc = validate(f, v, 1, why)) < 0) {
        cJSON_Delete(v);
        return rc;
    }
    if (!v || (f->is_list && cJSON_GetArraySize(v) == 0)) {
        char what[256];

        if (model_field_wrong_shape(f, item, what, sizeof(what))) {
            cJSON_Delete(v);
            reject(why, f->name, "%s (field '%s' from '%s')", what, f->name, f->from[0].text);
            return TMFINV_EINVALID;
        }
    }
    if (!v && f->required) {
        reject(why, f->name, "required field '%s' is missing (from '%s')", f->name, f->from[0].text);
        return TMFINV_EINVALID;
    }
    if (v && f->is_list && f->required && cJSON_GetArraySize(v) == 0) {
        cJSON_Delete(v);
        reject(why, f->name, "required list '%s' is empty (from '%s')", f->name, f->from[0].text);
        return TMFINV_EINVALID;
    }
    *out = v;
    return 0;
}

int tmfinv_field_map(const tmfinv_field *f, const cJSON *item, cJSON **out, tmfinv_reject *why)
{
    if (f->owner == TMFINV_OWNER_LOCAL || !cJSON_IsObject(item)) {
        *out = NULL;
        return 0;
    }
    return map_field(f, item, out, why);
}

int tmfinv_definition_map(const tmfinv_definition *d, const cJSON *item, cJSON **out, tmfinv_reject *why)
{
    cJSON *values = cJSON_CreateObject();
    size_t i;
    int rc = 0;

    if (!values)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (!cJSON_IsObject(item)) {
        reject(why, "", "item is not a JSON object");
        rc = TMFINV_EINVALID;
        goto out;
    }
    if (model_item_bad_text(d, item, 0, why)) {
        rc = TMFINV_EINVALID;
        goto out;
    }
    for (i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        cJSON *v = NULL;

        if (f->owner == TMFINV_OWNER_LOCAL)
            continue;
        if ((rc = map_field(f, item, &v, why)) < 0)
            goto out;
        if (v)
            cJSON_AddItemToObject(values, f->name, v);
    }
out:
    if (rc < 0) {
        cJSON_Delete(values);
        return rc;
    }
    *out = values;
    return 0;
}


/* One value of `f` typed by a person: a characteristic is NAME=VALUE (the value kept as text,
 * no valueType), anything else converted from the text. NULL with `why` filled. */
static cJSON *parse_one(const tmfinv_field *f, const char *text, tmfinv_reject *why)
{
    cJSON *s, *v;

    if (f->type == TMFINV_TYPE_CHARACTERISTIC) {
        const char *eq = strchr(text, '=');
        char *name = eq ? strndup(text, (size_t)(eq - text)) : NULL;

        if (!eq) {
            reject(why, f->name, "'%.*s': a characteristic is given as NAME=VALUE", shown(text, 60), text);
            return NULL;
        }
        v = cJSON_CreateObject();
        if (!name || !v || !cJSON_AddStringToObject(v, "name", name) || !cJSON_AddStringToObject(v, "value", eq + 1)) {
            cJSON_Delete(v);
            v = NULL;
            reject(why, f->name, "out of memory");
        }
        free(name);
        return v;
    }
    s = cJSON_CreateString(text);
    v = s ? convert(f, s, why) : NULL;
    cJSON_Delete(s);
    return v;
}

int tmfinv_field_parse(const tmfinv_definition *d, const tmfinv_field *f, const char *text, cJSON **out)
{
    tmfinv_reject why = {0};
    cJSON *v = NULL;
    int rc = 0;

    (void)d;
    {
        size_t n = strlen(text), bad = tmfinv_utf8_invalid_at(text, n);

        if (bad < n)
            return tmfinv_error_set(TMFINV_EINVALID, "not valid UTF-8 (byte %zu)", bad);
    }
    if (f->is_list) {
        const char *p = text;

        v = cJSON_CreateArray();
        if (!v)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        while (*text && p) {
            const char *comma = strchr(p, ',');
            char *part = comma ? strndup(p, (size_t)(comma - p)) : strdup(p);
            cJSON *el;

            el = part ? parse_one(f, part, &why) : NULL;
            free(part);
            if (!el) {
                rc = TMFINV_EINVALID;
                goto out;
            }
            cJSON_AddItemToArray(v, el);
            p = comma ? comma + 1 : NULL;
        }
    } else {
        v = parse_one(f, text, &why);
        if (!v) {
            rc = TMFINV_EINVALID;
            goto out;
        }
    }
    rc = tmfinv_field_validate(f, v, &why);
out:
    if (rc < 0) {
        cJSON_Delete(v);
        return tmfinv_error_set(TMFINV_EINVALID, "%s", why.reason[0] ? why.reason : "bad value");
    }
    *out = v;
    return 0;
}