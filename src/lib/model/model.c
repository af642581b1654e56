/* model.c: loading profile files into definitions, classifying TMF items, and mapping
 * and validating them into field values (see model.h and docs/object-model.md). */
#include "model.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILE_MAX_BYTES (4 * 1024 * 1024)

static const char *const type_names[] = {"string", "integer", "double", "boolean",
                                         "datetime", "enum", "reference"};
static const char *const owner_names[] = {"source", "local", "initial"};

const char *tmfinv_type_name(tmfinv_type t)
{
    return type_names[t];
}

const char *tmfinv_owner_name(tmfinv_owner o)
{
    return owner_names[o];
}

/* ---- freeing ---------------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void path_clear(tmfinv_path *p)
{
    size_t i;

    for (i = 0; i < p->n_steps; i++) {
        free(p->steps[i].name);
        free(p->steps[i].match_key);
        free(p->steps[i].match_value);
    }
    free(p->steps);
    free(p->text);
    memset(p, 0, sizeof(*p));
}

static void condition_free(tmfinv_condition *c)
{
    if (!c)
        return;
    path_clear(&c->path);
    strv_free(c->values, c->n_values);
    free(c);
}

static void field_clear(tmfinv_field *f)
{
    size_t i;

    free(f->name);
    free(f->section);
    for (i = 0; i < f->n_owner_rules; i++) {
        free(f->owner_rules[i].field);
        free(f->owner_rules[i].equals);
    }
    free(f->owner_rules);
    for (i = 0; i < f->n_from; i++)
        path_clear(&f->from[i]);
    free(f->from);
    free(f->format);
    strv_free(f->values, f->n_values);
    free(f->references);
}

static void definition_free(tmfinv_definition *d)
{
    size_t i;

    if (!d)
        return;
    free(d->name);
    free(d->profile);
    free(d->api);
    condition_free(d->match);
    strv_free(d->sections, d->n_sections);
    for (i = 0; i < d->n_fields; i++)
        field_clear(&d->fields[i]);
    free(d->fields);
    strv_free(d->statuses, d->n_statuses);
    strv_free(d->keep, d->n_keep);
    strv_free(d->drop, d->n_drop);
    if (d->type_path) {
        path_clear(d->type_path);
        free(d->type_path);
    }
    strv_free(d->exclude_types, d->n_exclude_types);
    free(d->fingerprint);
    free(d);
}

void tmfinv_model_free(tmfinv_model *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->n_definitions; i++)
        definition_free(m->definitions[i]);
    free(m->definitions);
    free(m);
}

/* ---- paths ------------------------------------------------------------------ */

/* Parses "a.b[k=v].c[*]" into steps. Returns 0 or TMFINV_EINVALID (message: the problem). */
static int path_parse(const char *text, tmfinv_path *out)
{
    const char *p = text;
    tmfinv_path path = {0};
    int rc = 0;

    if (!*text)
        return tmfinv_error_set(TMFINV_EINVALID, "empty path");
    path.text = strdup(text);
    if (!path.text)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    while (*p) {
        tmfinv_path_step step = {0};
        tmfinv_path_step *grown;
        size_t n = strcspn(p, ".[");

        if (n == 0) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "empty step in path '%s'", text);
            goto out;
        }
        step.name = strndup(p, n);
        step.kind = STEP_PLAIN;
        p += n;
        if (*p == '[') {
            const char *close = strchr(p, ']');
            const char *eq;

            if (!close || close == p + 1) {
                free(step.name);
                rc = tmfinv_error_set(TMFINV_EINVALID, "bad '[...]' in path '%s'", text);
                goto out;
            }
            eq = memchr(p, '=', (size_t)(close - p));
            if (close == p + 2 && p[1] == '*') {
                step.kind = STEP_ALL;
            } else if (eq) {
                step.kind = STEP_MATCH;
                step.match_key = strndup(p + 1, (size_t)(eq - p - 1));
                step.match_value = strndup(eq + 1, (size_t)(close - eq - 1));
            } else {
                char num[16];
                int64_t v;

                if ((size_t)(close - p - 1) >= sizeof(num)) {
                    free(step.name);
                    rc = tmfinv_error_set(TMFINV_EINVALID, "bad index in path '%s'", text);
                    goto out;
                }
                memcpy(num, p + 1, (size_t)(close - p - 1));
                num[close - p - 1] = '\0';
                if (tmfinv_parse_int64(num, 0, 1000000, &v) < 0) {
                    free(step.name);
                    rc = tmfinv_error_set(TMFINV_EINVALID, "bad index '%s' in path '%s' (use N, * or key=value)",
                                          num, text);
                    goto out;
                }
                step.kind = STEP_INDEX;
                step.index = (int)v;
            }
            p = close + 1;
        }
        if (*p == '.') {
            p++;
            if (!*p) {
                free(step.name);
                free(step.match_key);
                free(step.match_value);
                rc = tmfinv_error_set(TMFINV_EINVALID, "path '%s' ends with '.'", text);
                goto out;
            }
        } else if (*p) {
            free(step.name);
            free(step.match_key);
            free(step.match_value);
            rc = tmfinv_error_set(TMFINV_EINVALID, "unexpected '%c' in path '%s'", *p, text);
            goto out;
        }
        grown = realloc(path.steps, (path.n_steps + 1) * sizeof(*grown));
        if (!grown) {
            free(step.name);
            free(step.match_key);
            free(step.match_value);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        path.steps = grown;
        path.steps[path.n_steps++] = step;
    }
out:
    if (rc < 0) {
        path_clear(&path);
        return rc;
    }
    *out = path;
    return 0;
}

/* 1 when the JSON scalar `v` written as text equals `text`. */
static int scalar_equals(const cJSON *v, const char *text)
{
    char num[64];

    if (cJSON_IsString(v))
        return strcmp(v->valuestring, text) == 0;
    if (cJSON_IsNumber(v)) {
        (void)snprintf(num, sizeof(num), "%.17g", v->valuedouble);
        return strcmp(num, text) == 0;
    }
    if (cJSON_IsBool(v))
        return strcmp(cJSON_IsTrue(v) ? "true" : "false", text) == 0;
    return 0;
}

typedef int (*path_visit_fn)(const cJSON *value, void *ctx); /* return 1 to stop */

/* Calls `fn` for every non-null value at `steps` below `node`, in document order.
 * Returns 1 when fn asked to stop. */
static int path_walk(const tmfinv_path_step *steps, size_t n, const cJSON *node, path_visit_fn fn, void *ctx)
{
    const cJSON *child, *el;

    if (n == 0)
        return cJSON_IsNull(node) ? 0 : fn(node, ctx);
    if (!cJSON_IsObject(node))
        return 0;
    child = cJSON_GetObjectItemCaseSensitive(node, steps[0].name);
    if (!child)
        return 0;
    switch (steps[0].kind) {
    case STEP_PLAIN:
        return path_walk(steps + 1, n - 1, child, fn, ctx);
    case STEP_INDEX:
        el = cJSON_IsArray(child) ? cJSON_GetArrayItem(child, steps[0].index) : NULL;
        return el ? path_walk(steps + 1, n - 1, el, fn, ctx) : 0;
    case STEP_ALL:
    case STEP_MATCH:
        if (!cJSON_IsArray(child))
            return 0;
        cJSON_ArrayForEach(el, child) {
            if (steps[0].kind == STEP_MATCH) {
                const cJSON *k = cJSON_IsObject(el) ? cJSON_GetObjectItemCaseSensitive(el, steps[0].match_key) : NULL;

                if (!k || !scalar_equals(k, steps[0].match_value))
                    continue;
            }
            if (path_walk(steps + 1, n - 1, el, fn, ctx))
                return 1;
        }
        return 0;
    }
    return 0;
}

static const char *json_kind(const cJSON *v)
{
    return cJSON_IsObject(v) ? "an object" : cJSON_IsArray(v) ? "an array" : cJSON_IsString(v) ? "a string"
           : cJSON_IsNumber(v) ? "a number" : cJSON_IsBool(v) ? "a boolean" : "null";
}

/* 1 when following `steps` below `node` meets a member of the wrong shape (an object
 * where an array is selected from, a scalar where members are looked up); the member
 * and what it was are written to `what`. */
static int path_wrong_shape(const tmfinv_path_step *steps, size_t n, const cJSON *node, char *what, size_t size)
{
    const cJSON *child, *el;

    if (n == 0 || !cJSON_IsObject(node))
        return 0;
    child = cJSON_GetObjectItemCaseSensitive(node, steps[0].name);
    if (!child || cJSON_IsNull(child))
        return 0;
    if (steps[0].kind != STEP_PLAIN) {
        if (!cJSON_IsArray(child)) {
            (void)snprintf(what, size, "'%s' is %s, expected an array", steps[0].name, json_kind(child));
            return 1;
        }
        cJSON_ArrayForEach(el, child) {
            if (n > 1 && !cJSON_IsObject(el) && !cJSON_IsNull(el)) {
                (void)snprintf(what, size, "an element of '%s' is %s, expected an object", steps[0].name,
                               json_kind(el));
                return 1;
            }
            if (path_wrong_shape(steps + 1, n - 1, el, what, size))
                return 1;
        }
        return 0;
    }
    if (n > 1 && !cJSON_IsObject(child)) {
        (void)snprintf(what, size, "'%s' is %s, expected an object", steps[0].name, json_kind(child));
        return 1;
    }
    return path_wrong_shape(steps + 1, n - 1, child, what, size);
}

/* 1 when every source path of `f` meets a member of the wrong shape (so the field's
 * absence is the item's fault, not a missing value). */
static int field_wrong_shape(const tmfinv_field *f, const cJSON *item, char *what, size_t size)
{
    for (size_t k = 0; k < f->n_from; k++)
        if (!path_wrong_shape(f->from[k].steps, f->from[k].n_steps, item, what, size))
            return 0;
    return f->n_from > 0;
}

static int first_visit(const cJSON *value, void *ctx)
{
    *(const cJSON **)ctx = value;
    return 1;
}

const cJSON *tmfinv_path_first(const tmfinv_path *path, const cJSON *item)
{
    const cJSON *found = NULL;

    (void)path_walk(path->steps, path->n_steps, item, first_visit, &found);
    return found;
}

static int condition_holds(const tmfinv_condition *c, const cJSON *item)
{
    const cJSON *v = tmfinv_path_first(&c->path, item);
    size_t i;
    int in = 0;

    for (i = 0; v && i < c->n_values && !in; i++)
        in = scalar_equals(v, c->values[i]);
    return c->negate ? !in : in;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct loader {
    const char *file;
    char where[512]; /* JSON path of the object being read, for messages */
} loader;

static int bad(const loader *l, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(const loader *l, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tmfinv_error_set(TMFINV_EINVALID, "%s: %s%s%s: %s", l->file, l->where, *l->where && key ? "." : "",
                            key ? key : "", msg);
}

/* Checks that object `o` has only keys from `allowed` (NULL-terminated). */
static int only_keys(const loader *l, const cJSON *o, const char *const *allowed)
{
    const cJSON *k;
    size_t i;

    cJSON_ArrayForEach(k, o) {
        for (i = 0; allowed[i]; i++)
            if (strcmp(k->string, allowed[i]) == 0)
                break;
        if (!allowed[i])
            return bad(l, k->string, "unknown key%s", "");
    }
    return 0;
}

static int get_string(const loader *l, const cJSON *o, const char *key, int required, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    *out = NULL;
    if (!v) {
        if (required)
            return bad(l, key, "missing (a string is required)%s", "");
        return 0;
    }
    if (!cJSON_IsString(v) || !*v->valuestring)
        return bad(l, key, "must be a non-empty string%s", "");
    *out = strdup(v->valuestring);
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

static int get_bool(const loader *l, const cJSON *o, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    *out = 0;
    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return bad(l, key, "must be true or false%s", "");
    *out = cJSON_IsTrue(v);
    return 0;
}

/* Reads a string or an array of non-empty strings. */
static int get_strings(const loader *l, const cJSON *o, const char *key, char ***out, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *el;
    char **arr;
    size_t i = 0;

    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (cJSON_IsString(v)) {
        arr = calloc(1, sizeof(*arr));
        if (!arr || !(arr[0] = strdup(v->valuestring))) {
            free(arr);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
        *out = arr;
        *n = 1;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return bad(l, key, "must be a string or an array of strings%s", "");
    arr = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*arr));
    if (!arr)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_ArrayForEach(el, v) {
        if (!cJSON_IsString(el) || !*el->valuestring) {
            strv_free(arr, i);
            return bad(l, key, "must hold only non-empty strings%s", "");
        }
        if (!(arr[i++] = strdup(el->valuestring))) {
            strv_free(arr, i);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    *out = arr;
    *n = i;
    return 0;
}

static int load_path(const loader *l, const char *key, const char *text, tmfinv_path *out)
{
    int rc = path_parse(text, out);

    if (rc == TMFINV_EINVALID) {
        char msg[256];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        return bad(l, key, "%s", msg);
    }
    return rc;
}

static int load_condition(loader *l, const cJSON *o, const char *key, tmfinv_condition **out)
{
    static const char *const keys[] = {"path", "equals", "not_equals", "in", "not_in", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    tmfinv_condition *c = NULL;
    char *path = NULL;
    size_t saved = strlen(l->where);
    int rc, forms = 0;

    *out = NULL;
    if (!v)
        return 0;
    if (!cJSON_IsObject(v))
        return bad(l, key, "must be an object {\"path\": ..., \"equals\": ...}%s", "");
    (void)snprintf(l->where + saved, sizeof(l->where) - saved, "%s%s", saved ? "." : "", key);
    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = only_keys(l, v, keys)) < 0 || (rc = get_string(l, v, "path", 1, &path)) < 0 ||
        (rc = load_path(l, "path", path, &c->path)) < 0)
        goto out;
    for (const char *const *k = keys + 1; *k; k++) {
        if (!cJSON_GetObjectItemCaseSensitive(v, *k))
            continue;
        forms++;
        c->negate = strncmp(*k, "not_", 4) == 0;
        if ((rc = get_strings(l, v, *k, &c->values, &c->n_values)) < 0)
            goto out;
    }
    if (forms != 1) {
        rc = bad(l, NULL, "needs exactly one of equals, not_equals, in, not_in%s", "");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    l->where[saved] = '\0';
    free(path);
    condition_free(c);
    return rc;
}

static int parse_type(const char *s, tmfinv_type *t)
{
    size_t i;

    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(s, type_names[i]) == 0) {
            *t = (tmfinv_type)i;
            return 0;
        }
    return -1;
}

static int parse_owner(const char *s, tmfinv_owner *o)
{
    size_t i;

    for (i = 0; i < 3; i++)
        if (strcmp(s, owner_names[i]) == 0) {
            *o = (tmfinv_owner)i;
            return 0;
        }
    return -1;
}

static int load_field(loader *l, const cJSON *o, const char *section, tmfinv_field *f)
{
    static const char *const keys[] = {"name", "type", "list", "required", "owner", "owner_when", "from",
                                       "format", "values", "references", "description", NULL};
    char *type = NULL, *owner = NULL, **from = NULL;
    size_t n_from = 0, i;
    const cJSON *when;
    int rc;

    if (!cJSON_IsObject(o))
        return bad(l, NULL, "a field must be an object%s", "");
    if ((rc = only_keys(l, o, keys)) < 0 || (rc = get_string(l, o, "name", 1, &f->name)) < 0 ||
        (rc = get_string(l, o, "type", 1, &type)) < 0 || (rc = get_bool(l, o, "list", &f->is_list)) < 0 ||
        (rc = get_bool(l, o, "required", &f->required)) < 0 || (rc = get_string(l, o, "owner", 0, &owner)) < 0 ||
        (rc = get_strings(l, o, "from", &from, &n_from)) < 0 ||
        (rc = get_string(l, o, "format", 0, &f->format)) < 0 ||
        (rc = get_strings(l, o, "values", &f->values, &f->n_values)) < 0 ||
        (rc = get_string(l, o, "references", 0, &f->references)) < 0)
        goto out;
    f->section = strdup(section);
    if (!f->section) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (parse_type(type, &f->type) < 0) {
        rc = bad(l, "type", "unknown type '%s' (string, integer, double, boolean, datetime, enum, reference)", type);
        goto out;
    }
    f->owner = TMFINV_OWNER_SOURCE;
    if (owner && parse_owner(owner, &f->owner) < 0) {
        rc = bad(l, "owner", "unknown owner '%s' (source, local, initial)", owner);
        goto out;
    }
    if (f->type == TMFINV_TYPE_REFERENCE && !f->references) {
        rc = bad(l, "references", "a reference field must name the definition it references%s", "");
        goto out;
    }
    if (f->type != TMFINV_TYPE_REFERENCE && f->references) {
        rc = bad(l, "references", "only reference fields reference a definition%s", "");
        goto out;
    }
    if (f->type != TMFINV_TYPE_ENUM && f->values) {
        rc = bad(l, "values", "only enum fields declare values%s", "");
        goto out;
    }
    if (f->owner == TMFINV_OWNER_LOCAL && n_from) {
        rc = bad(l, "from", "a local field is not filled from the source%s", "");
        goto out;
    }
    if (f->owner != TMFINV_OWNER_LOCAL && !n_from) {
        rc = bad(l, "from", "missing: a %s field needs the path it is filled from", owner_names[f->owner]);
        goto out;
    }
    if (n_from) {
        f->from = calloc(n_from, sizeof(*f->from));
        if (!f->from) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        for (i = 0; i < n_from; i++) {
            if ((rc = load_path(l, "from", from[i], &f->from[i])) < 0)
                goto out;
            f->n_from++;
        }
    }
    when = cJSON_GetObjectItemCaseSensitive(o, "owner_when");
    if (when) {
        const cJSON *w;

        if (!cJSON_IsArray(when)) {
            rc = bad(l, "owner_when", "must be an array of {field, equals, owner}%s", "");
            goto out;
        }
        f->owner_rules = calloc((size_t)cJSON_GetArraySize(when) + 1, sizeof(*f->owner_rules));
        if (!f->owner_rules) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_ArrayForEach(w, when) {
            static const char *const wkeys[] = {"field", "equals", "owner", NULL};
            tmfinv_owner_rule *r = &f->owner_rules[f->n_owner_rules];
            char *wowner = NULL;

            if (!cJSON_IsObject(w) || (rc = only_keys(l, w, wkeys)) < 0 ||
                (rc = get_string(l, w, "field", 1, &r->field)) < 0 ||
                (rc = get_string(l, w, "equals", 1, &r->equals)) < 0 ||
                (rc = get_string(l, w, "owner", 1, &wowner)) < 0) {
                f->n_owner_rules++;
                if (rc == 0)
                    rc = bad(l, "owner_when", "each rule must be an object {field, equals, owner}%s", "");
                goto out;
            }
            f->n_owner_rules++;
            if (parse_owner(wowner, &r->owner) < 0 || r->owner == TMFINV_OWNER_LOCAL) {
                rc = bad(l, "owner_when", "owner '%s' must be source or initial", wowner);
                free(wowner);
                goto out;
            }
            free(wowner);
        }
        if (f->owner == TMFINV_OWNER_LOCAL) {
            rc = bad(l, "owner_when", "a local field cannot change owner%s", "");
            goto out;
        }
    }
out:
    free(type);
    free(owner);
    strv_free(from, n_from);
    return rc;
}

static int index_of(char **v, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return (int)i;
    return -1;
}

static int load_definition(loader *l, const cJSON *o, const char *profile, tmfinv_definition **out)
{
    static const char *const keys[] = {"name", "api", "match", "key", "status", "statuses", "keep_statuses",
                                       "drop_statuses", "exclude", "sections", "description", NULL};
    tmfinv_definition *d = NULL;
    char *key = NULL, *status = NULL;
    const cJSON *sections, *s, *exclude;
    size_t saved = strlen(l->where), i, j;
    int rc, idx;

    if (!cJSON_IsObject(o))
        return bad(l, NULL, "a definition must be an object%s", "");
    d = calloc(1, sizeof(*d));
    if (!d || !(d->profile = strdup(profile))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = only_keys(l, o, keys)) < 0 || (rc = get_string(l, o, "name", 1, &d->name)) < 0 ||
        (rc = get_string(l, o, "api", 1, &d->api)) < 0 || (rc = get_string(l, o, "key", 1, &key)) < 0 ||
        (rc = get_string(l, o, "status", 0, &status)) < 0 ||
        (rc = get_strings(l, o, "statuses", &d->statuses, &d->n_statuses)) < 0 ||
        (rc = get_strings(l, o, "keep_statuses", &d->keep, &d->n_keep)) < 0 ||
        (rc = get_strings(l, o, "drop_statuses", &d->drop, &d->n_drop)) < 0 ||
        (rc = load_condition(l, o, "match", &d->match)) < 0)
        goto out;
    for (const char *p = d->name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (p > d->name && *p >= '0' && *p <= '9') ||
              (p > d->name && *p == '_'))) {
            rc = bad(l, "name", "'%s': a definition name is a letter followed by letters, digits or '_'", d->name);
            goto out;
        }
    if (strcmp(d->api, "tmf638") != 0 && strcmp(d->api, "tmf639") != 0) {
        rc = bad(l, "api", "unknown API '%s' (tmf638 or tmf639)", d->api);
        goto out;
    }
    if (d->keep && d->drop) {
        rc = bad(l, "keep_statuses", "give keep_statuses or drop_statuses, not both%s", "");
        goto out;
    }
    for (i = 0; i < d->n_keep; i++)
        if (d->n_statuses && index_of(d->statuses, d->n_statuses, d->keep[i]) < 0) {
            rc = bad(l, "keep_statuses", "'%s' is not a declared status", d->keep[i]);
            goto out;
        }
    for (i = 0; i < d->n_drop; i++)
        if (d->n_statuses && index_of(d->statuses, d->n_statuses, d->drop[i]) < 0) {
            rc = bad(l, "drop_statuses", "'%s' is not a declared status", d->drop[i]);
            goto out;
        }
    exclude = cJSON_GetObjectItemCaseSensitive(o, "exclude");
    if (exclude) {
        static const char *const ekeys[] = {"path", "types", NULL};
        char *epath = NULL;

        if (!cJSON_IsObject(exclude)) {
            rc = bad(l, "exclude", "must be an object {\"path\": ..., \"types\": [...]}%s", "");
            goto out;
        }
        (void)snprintf(l->where + saved, sizeof(l->where) - saved, ".exclude");
        if ((rc = only_keys(l, exclude, ekeys)) < 0 || (rc = get_string(l, exclude, "path", 1, &epath)) < 0 ||
            (rc = get_strings(l, exclude, "types", &d->exclude_types, &d->n_exclude_types)) < 0) {
            free(epath);
            goto out;
        }
        d->type_path = calloc(1, sizeof(*d->type_path));
        if (!d->type_path) {
            free(epath);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        rc = load_path(l, "path", epath, d->type_path);
        free(epath);
        if (rc < 0)
            goto out;
        l->where[saved] = '\0';
    }
    sections = cJSON_GetObjectItemCaseSensitive(o, "sections");
    if (!cJSON_IsArray(sections) || cJSON_GetArraySize(sections) == 0) {
        rc = bad(l, "sections", "must be a non-empty array of sections%s", "");
        goto out;
    }
    i = 0;
    cJSON_ArrayForEach(s, sections) {
        static const char *const skeys[] = {"name", "fields", "description", NULL};
        const cJSON *fields, *f;
        char *sname = NULL;
        size_t n;

        (void)snprintf(l->where + saved, sizeof(l->where) - saved, ".sections[%zu]", i++);
        if (!cJSON_IsObject(s)) {
            rc = bad(l, NULL, "a section must be an object%s", "");
            goto out;
        }
        if ((rc = only_keys(l, s, skeys)) < 0 || (rc = get_string(l, s, "name", 1, &sname)) < 0)
            goto out;
        if (index_of(d->sections, d->n_sections, sname) >= 0) {
            rc = bad(l, "name", "section '%s' is declared twice", sname);
            free(sname);
            goto out;
        }
        {
            char **grown = realloc(d->sections, (d->n_sections + 1) * sizeof(*grown));

            if (!grown) {
                free(sname);
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            d->sections = grown;
            d->sections[d->n_sections++] = sname;
        }
        fields = cJSON_GetObjectItemCaseSensitive(s, "fields");
        if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) == 0) {
            rc = bad(l, "fields", "must be a non-empty array of fields%s", "");
            goto out;
        }
        n = (size_t)cJSON_GetArraySize(fields);
        {
            tmfinv_field *grown = realloc(d->fields, (d->n_fields + n) * sizeof(*grown));

            if (!grown) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            d->fields = grown;
        }
        j = 0;
        cJSON_ArrayForEach(f, fields) {
            size_t at = strlen(l->where);
            tmfinv_field *field = &d->fields[d->n_fields];

            (void)snprintf(l->where + at, sizeof(l->where) - at, ".fields[%zu]", j++);
            memset(field, 0, sizeof(*field));
            d->n_fields++;
            if ((rc = load_field(l, f, sname, field)) < 0)
                goto out;
            if (tmfinv_definition_field(d, field->name) != field) {
                rc = bad(l, "name", "field '%s' is declared twice", field->name);
                goto out;
            }
            l->where[at] = '\0';
        }
    }
    l->where[saved] = '\0';
    if ((idx = (int)(tmfinv_definition_field(d, key) ? tmfinv_definition_field(d, key) - d->fields : -1)) < 0) {
        rc = bad(l, "key", "'%s' is not a field of this definition", key);
        goto out;
    }
    d->key_field = (size_t)idx;
    if (d->fields[idx].is_list || d->fields[idx].owner == TMFINV_OWNER_LOCAL) {
        rc = bad(l, "key", "the key field '%s' must be a single value filled from the source", key);
        goto out;
    }
    if (!status && !(status = strdup("status"))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (!tmfinv_definition_field(d, status)) {
        rc = bad(l, "status", "'%s' is not a field of this definition (every definition has a status field)",
                 status);
        goto out;
    }
    d->status_field = (size_t)(tmfinv_definition_field(d, status) - d->fields);
    {
        tmfinv_field *sf = &d->fields[d->status_field];

        if (sf->is_list || (sf->type != TMFINV_TYPE_ENUM && sf->type != TMFINV_TYPE_STRING)) {
            rc = bad(l, "status", "the status field '%s' must be a single enum or string", status);
            goto out;
        }
        /* An enum status field without its own values takes the declared statuses. */
        if (sf->type == TMFINV_TYPE_ENUM && !sf->values) {
            if (!d->n_statuses) {
                rc = bad(l, "statuses", "the enum status field '%s' needs declared statuses", status);
                goto out;
            }
            sf->values = calloc(d->n_statuses, sizeof(*sf->values));
            if (!sf->values) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            for (i = 0; i < d->n_statuses; i++)
                if (!(sf->values[sf->n_values++] = strdup(d->statuses[i]))) {
                    rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                    goto out;
                }
        }
    }
    for (i = 0; i < d->n_fields; i++) {
        tmfinv_field *f = &d->fields[i];

        if (f->type == TMFINV_TYPE_ENUM && !f->n_values) {
            (void)snprintf(l->where + saved, sizeof(l->where) - saved, " field %s", f->name);
            rc = bad(l, "values", "an enum field needs its values%s", "");
            goto out;
        }
        for (j = 0; j < f->n_owner_rules; j++)
            if (!tmfinv_definition_field(d, f->owner_rules[j].field)) {
                (void)snprintf(l->where + saved, sizeof(l->where) - saved, " field %s", f->name);
                rc = bad(l, "owner_when", "'%s' is not a field of this definition", f->owner_rules[j].field);
                goto out;
            }
    }
    *out = d;
    d = NULL;
out:
    l->where[saved] = '\0';
    free(key);
    free(status);
    definition_free(d);
    return rc;
}

static void line_of(const char *text, const char *at, int *line, int *col)
{
    const char *p;

    *line = 1;
    *col = 1;
    for (p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else
            (*col)++;
    }
}

int tmfinv_model_load(const char *path, tmfinv_model **out)
{
    static const char *const keys[] = {"profile", "description", "definitions", NULL};
    char *text = NULL, *profile = NULL;
    size_t len = 0, i = 0, j;
    cJSON *root = NULL;
    const cJSON *defs, *d;
    const char *end = NULL;
    tmfinv_model *m = NULL;
    loader l = {.file = path, .where = ""};
    int rc;

    rc = tmfinv_file_read(path, PROFILE_MAX_BYTES, &text, &len);
    if (rc < 0)
        goto out;
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        int line, col;

        line_of(text, end ? end : cJSON_GetErrorPtr(), &line, &col);
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d:%d: not valid JSON", path, line, col);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = bad(&l, NULL, "the file must hold a JSON object%s", "");
        goto out;
    }
    if ((rc = only_keys(&l, root, keys)) < 0 || (rc = get_string(&l, root, "profile", 1, &profile)) < 0)
        goto out;
    defs = cJSON_GetObjectItemCaseSensitive(root, "definitions");
    if (!cJSON_IsArray(defs) || cJSON_GetArraySize(defs) == 0) {
        rc = bad(&l, "definitions", "must be a non-empty array%s", "");
        goto out;
    }
    m = calloc(1, sizeof(*m));
    if (!m || !(m->definitions = calloc((size_t)cJSON_GetArraySize(defs), sizeof(*m->definitions)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(d, defs) {
        tmfinv_definition *def = NULL;
        char *printed;

        (void)snprintf(l.where, sizeof(l.where), "definitions[%zu]", i++);
        if ((rc = load_definition(&l, d, profile, &def)) < 0)
            goto out;
        if (tmfinv_model_find(m, def->name)) {
            rc = bad(&l, "name", "definition '%s' is declared twice", def->name);
            definition_free(def);
            goto out;
        }
        printed = cJSON_PrintUnformatted(d);
        def->fingerprint = malloc(65);
        if (!printed || !def->fingerprint) {
            free(printed);
            definition_free(def);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        tmfinv_sha256_hex(printed, strlen(printed), def->fingerprint);
        free(printed);
        m->definitions[m->n_definitions++] = def;
    }
    /* References must point at definitions of the same profile. */
    for (i = 0; i < m->n_definitions; i++)
        for (j = 0; j < m->definitions[i]->n_fields; j++) {
            const tmfinv_field *f = &m->definitions[i]->fields[j];

            if (f->references && !tmfinv_model_find(m, f->references)) {
                (void)snprintf(l.where, sizeof(l.where), "definitions[%zu] field %s", i, f->name);
                rc = bad(&l, "references", "no definition '%s' in this profile", f->references);
                goto out;
            }
        }
    *out = m;
    m = NULL;
out:
    free(text);
    free(profile);
    cJSON_Delete(root);
    tmfinv_model_free(m);
    return rc;
}

int tmfinv_model_profile_path(const char *profile, char **out)
{
    const char *dir = getenv("TMFINV_DATA_DIR");
    char name[256];

    if (strchr(profile, '/') || strstr(profile, ".json"))
        return (*out = strdup(profile)) ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (!dir || !*dir)
        dir = TMFINV_DATA_DIR;
    if (snprintf(name, sizeof(name), "profiles/%s.json", profile) >= (int)sizeof(name))
        return tmfinv_error_set(TMFINV_EINVALID, "profile name too long: '%.40s...'", profile);
    return tmfinv_path_join(dir, name, out);
}

int tmfinv_model_merge(tmfinv_model *into, tmfinv_model *from)
{
    tmfinv_definition **grown;
    size_t i;
    int rc = 0;

    for (i = 0; i < from->n_definitions; i++) {
        const tmfinv_definition *have = tmfinv_model_find(into, from->definitions[i]->name);

        if (have && strcmp(have->fingerprint, from->definitions[i]->fingerprint) != 0) {
            rc = tmfinv_error_set(TMFINV_EINVALID,
                                  "definition '%s' of profile '%s' differs from the one of profile '%s'; "
                                  "sources sharing a definition need the same one",
                                  have->name, from->definitions[i]->profile, have->profile);
            goto out;
        }
    }
    grown = realloc(into->definitions, (into->n_definitions + from->n_definitions) * sizeof(*grown));
    if (!grown) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    into->definitions = grown;
    for (i = 0; i < from->n_definitions; i++) {
        if (tmfinv_model_find(into, from->definitions[i]->name)) {
            definition_free(from->definitions[i]);
            continue;
        }
        into->definitions[into->n_definitions++] = from->definitions[i];
    }
    from->n_definitions = 0;
out:
    tmfinv_model_free(from);
    return rc;
}

const tmfinv_definition *tmfinv_model_find(const tmfinv_model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n_definitions; i++)
        if (strcmp(m->definitions[i]->name, name) == 0)
            return m->definitions[i];
    return NULL;
}

const tmfinv_field *tmfinv_definition_field(const tmfinv_definition *d, const char *name)
{
    size_t i;

    for (i = 0; i < d->n_fields; i++)
        if (strcmp(d->fields[i].name, name) == 0)
            return &d->fields[i];
    return NULL;
}

/* ---- classifying and mapping -------------------------------------------------- */

const tmfinv_definition *tmfinv_model_classify(const tmfinv_model *m, const char *api, const cJSON *item)
{
    size_t i;

    for (i = 0; i < m->n_definitions; i++) {
        const tmfinv_definition *d = m->definitions[i];

        if (strcmp(d->api, api) == 0 && (!d->match || condition_holds(d->match, item)))
            return d;
    }
    return NULL;
}

static const cJSON *field_first(const tmfinv_field *f, const cJSON *item)
{
    const cJSON *v = NULL;
    size_t i;

    for (i = 0; i < f->n_from && !v; i++)
        v = tmfinv_path_first(&f->from[i], item);
    return v;
}

int tmfinv_definition_key(const tmfinv_definition *d, const cJSON *item, char **out)
{
    const cJSON *v = field_first(&d->fields[d->key_field], item);
    char num[64];

    *out = NULL;
    if (cJSON_IsString(v) && v->valuestring[0])
        *out = strdup(v->valuestring);
    else if (cJSON_IsNumber(v)) {
        (void)snprintf(num, sizeof(num), "%.17g", v->valuedouble);
        *out = strdup(num);
    } else if (v && !cJSON_IsString(v))
        return tmfinv_error_set(TMFINV_EINVALID, "key '%s' is %s, expected a string", d->fields[d->key_field].name,
                                json_kind(v));
    else
        return 0;
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

const char *tmfinv_definition_source_status(const tmfinv_definition *d, const cJSON *item)
{
    const cJSON *v = field_first(&d->fields[d->status_field], item);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int tmfinv_definition_status_present(const tmfinv_definition *d, const cJSON *item)
{
    return field_first(&d->fields[d->status_field], item) != NULL;
}

int tmfinv_definition_excluded(const tmfinv_definition *d, const cJSON *item, const char **type)
{
    const cJSON *v;
    size_t i;

    *type = NULL;
    if (!d->type_path)
        return 0;
    v = tmfinv_path_first(d->type_path, item);
    if (!cJSON_IsString(v))
        return 0;
    *type = v->valuestring;
    for (i = 0; i < d->n_exclude_types; i++)
        if (strcmp(d->exclude_types[i], v->valuestring) == 0)
            return 1;
    return 0;
}

int tmfinv_definition_keeps(const tmfinv_definition *d, const char *status)
{
    if (d->keep)
        return status && index_of(d->keep, d->n_keep, status) >= 0;
    if (d->drop)
        return !status || index_of(d->drop, d->n_drop, status) < 0;
    return 1;
}

static void reject(tmfinv_reject *why, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(tmfinv_reject *why, const char *field, const char *fmt, ...)
{
    va_list ap;

    (void)snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
    va_start(ap, fmt);
    (void)vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
    va_end(ap);
}

/* Describes a JSON value briefly for a message: its type and, for scalars, its start. */
static void describe(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v))
        (void)snprintf(buf, size, "string '%.60s%s'", v->valuestring, strlen(v->valuestring) > 60 ? "..." : "");
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

/* Converts a source JSON value to field type. NULL with `why` filled when it cannot. */
static cJSON *convert(const tmfinv_field *f, const cJSON *v, tmfinv_reject *why)
{
    char desc[128];
    double d;
    int64_t i;

    switch (f->type) {
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

static int validate_scalar(const tmfinv_field *f, const cJSON *v, tmfinv_reject *why)
{
    size_t i;

    switch (f->type) {
    case TMFINV_TYPE_STRING:
    case TMFINV_TYPE_REFERENCE:
        if (!cJSON_IsString(v))
            break;
        if (strlen(v->valuestring) > TMFINV_MAX_STRING) {
            reject(why, f->name, "string of %zu bytes is longer than %d", strlen(v->valuestring), TMFINV_MAX_STRING);
            return TMFINV_EINVALID;
        }
        return 0;
    case TMFINV_TYPE_DATETIME:
        if (!cJSON_IsString(v))
            break;
        if (!tmfinv_is_datetime(v->valuestring)) {
            reject(why, f->name, "'%.60s' is not an RFC 3339 date-time", v->valuestring);
            return TMFINV_EINVALID;
        }
        return 0;
    case TMFINV_TYPE_ENUM:
        if (!cJSON_IsString(v))
            break;
        for (i = 0; i < f->n_values; i++)
            if (strcmp(f->values[i], v->valuestring) == 0)
                return 0;
        {
            char list[300] = "";
            size_t at = 0;

            for (i = 0; i < f->n_values && at < sizeof(list); i++)
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", f->values[i]);
            reject(why, f->name, "'%.60s' is not one of %s", v->valuestring, list);
        }
        return TMFINV_EINVALID;
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

int tmfinv_field_validate(const tmfinv_field *f, const cJSON *value, tmfinv_reject *why)
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
        return validate_scalar(f, value, why);
    if (!cJSON_IsArray(value)) {
        reject(why, f->name, "expected a list of %s", tmfinv_type_name(f->type));
        return TMFINV_EINVALID;
    }
    if (f->required && cJSON_GetArraySize(value) == 0) {
        reject(why, f->name, "required list '%s' is empty", f->name);
        return TMFINV_EINVALID;
    }
    cJSON_ArrayForEach(el, value) {
        if ((rc = validate_scalar(f, el, why)) < 0)
            return rc;
    }
    return 0;
}

typedef struct collect_ctx {
    const tmfinv_field *field;
    cJSON *list;
    tmfinv_reject *why;
    int failed;
} collect_ctx;

static int collect_visit(const cJSON *value, void *ctx)
{
    collect_ctx *c = ctx;
    cJSON *v = convert(c->field, value, c->why);

    if (!v) {
        c->failed = 1;
        return 1;
    }
    cJSON_AddItemToArray(c->list, v);
    return 0;
}

int tmfinv_definition_map(const tmfinv_definition *d, const cJSON *item, cJSON **out, tmfinv_reject *why)
{
    cJSON *values = cJSON_CreateObject();
    size_t i, k;
    int rc = 0;

    if (!values)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (!cJSON_IsObject(item)) {
        reject(why, "", "item is not a JSON object");
        rc = TMFINV_EINVALID;
        goto out;
    }
    for (i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];
        cJSON *v = NULL;

        if (f->owner == TMFINV_OWNER_LOCAL)
            continue;
        if (f->is_list) {
            collect_ctx c = {.field = f, .why = why};

            c.list = cJSON_CreateArray();
            if (!c.list) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            for (k = 0; k < f->n_from && cJSON_GetArraySize(c.list) == 0 && !c.failed; k++)
                (void)path_walk(f->from[k].steps, f->from[k].n_steps, item, collect_visit, &c);
            if (c.failed) {
                cJSON_Delete(c.list);
                rc = TMFINV_EINVALID;
                goto out;
            }
            v = c.list;
        } else {
            const cJSON *src = field_first(f, item);

            if (src) {
                v = convert(f, src, why);
                if (!v) {
                    rc = TMFINV_EINVALID;
                    goto out;
                }
            }
        }
        if (v && (rc = tmfinv_field_validate(f, v, why)) < 0) {
            cJSON_Delete(v);
            goto out;
        }
        if (!v || (f->is_list && cJSON_GetArraySize(v) == 0)) {
            char what[256];

            if (field_wrong_shape(f, item, what, sizeof(what))) {
                cJSON_Delete(v);
                reject(why, f->name, "%s (field '%s' from '%s')", what, f->name, f->from[0].text);
                rc = TMFINV_EINVALID;
                goto out;
            }
        }
        if (!v && f->required) {
            reject(why, f->name, "required field '%s' is missing (from '%s')", f->name, f->from[0].text);
            rc = TMFINV_EINVALID;
            goto out;
        }
        if (v && f->is_list && f->required && cJSON_GetArraySize(v) == 0) {
            cJSON_Delete(v);
            reject(why, f->name, "required list '%s' is empty (from '%s')", f->name, f->from[0].text);
            rc = TMFINV_EINVALID;
            goto out;
        }
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

tmfinv_owner tmfinv_field_owner(const tmfinv_field *f, const cJSON *values)
{
    size_t i;

    for (i = 0; i < f->n_owner_rules; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(values, f->owner_rules[i].field);

        if (v && scalar_equals(v, f->owner_rules[i].equals))
            return f->owner_rules[i].owner;
    }
    return f->owner;
}

int tmfinv_field_parse(const tmfinv_definition *d, const tmfinv_field *f, const char *text, cJSON **out)
{
    tmfinv_reject why = {0};
    cJSON *v = NULL, *s = NULL;
    int rc = 0;

    (void)d;
    if (f->is_list) {
        const char *p = text;

        v = cJSON_CreateArray();
        if (!v)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        while (*text && p) {
            const char *comma = strchr(p, ',');
            char *part = comma ? strndup(p, (size_t)(comma - p)) : strdup(p);
            cJSON *el;

            s = part ? cJSON_CreateString(part) : NULL;
            free(part);
            el = s ? convert(f, s, &why) : NULL;
            cJSON_Delete(s);
            if (!el) {
                rc = TMFINV_EINVALID;
                goto out;
            }
            cJSON_AddItemToArray(v, el);
            p = comma ? comma + 1 : NULL;
        }
    } else {
        s = cJSON_CreateString(text);
        v = s ? convert(f, s, &why) : NULL;
        cJSON_Delete(s);
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
