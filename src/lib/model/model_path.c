/* model_path.c: the paths of profile files ("a.b[k=v].c[*]"): parsing them, walking
 * them over TMF JSON items, telling a missing value from one of the wrong shape, and the
 * conditions built on them. */
#include "model.h"
#include "model_int.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Parses "a.b[k=v].c[*]" into steps. Returns 0 or TMFINV_EINVALID (message: the problem). */
int model_path_parse(const char *text, tmfinv_path *out)
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
        model_path_clear(&path);
        return rc;
    }
    *out = path;
    return 0;
}

/* 1 when the JSON scalar `v` written as text equals `text`. */
int model_scalar_equals(const cJSON *v, const char *text)
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


/* Calls `fn` for every non-null value at `steps` below `node`, in document order.
 * Returns 1 when fn asked to stop. */
int model_path_walk(const tmfinv_path_step *steps, size_t n, const cJSON *node, model_path_visit_fn fn, void *ctx)
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
        return model_path_walk(steps + 1, n - 1, child, fn, ctx);
    case STEP_INDEX:
        el = cJSON_IsArray(child) ? cJSON_GetArrayItem(child, steps[0].index) : NULL;
        return el ? model_path_walk(steps + 1, n - 1, el, fn, ctx) : 0;
    case STEP_ALL:
    case STEP_MATCH:
        if (!cJSON_IsArray(child))
            return 0;
        cJSON_ArrayForEach(el, child) {
            if (steps[0].kind == STEP_MATCH) {
                const cJSON *k = cJSON_IsObject(el) ? cJSON_GetObjectItemCaseSensitive(el, steps[0].match_key) : NULL;

                if (!k || !model_scalar_equals(k, steps[0].match_value))
                    continue;
            }
            if (model_path_walk(steps + 1, n - 1, el, fn, ctx))
                return 1;
        }
        return 0;
    }
    return 0;
}

const char *model_json_kind(const cJSON *v)
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
            (void)snprintf(what, size, "'%s' is %s, expected an array", steps[0].name, model_json_kind(child));
            return 1;
        }
        cJSON_ArrayForEach(el, child) {
            if (n > 1 && !cJSON_IsObject(el) && !cJSON_IsNull(el)) {
                (void)snprintf(what, size, "an element of '%s' is %s, expected an object", steps[0].name,
                               model_json_kind(el));
                return 1;
            }
            if (path_wrong_shape(steps + 1, n - 1, el, what, size))
                return 1;
        }
        return 0;
    }
    if (n > 1 && !cJSON_IsObject(child)) {
        (void)snprintf(what, size, "'%s' is %s, expected an object", steps[0].name, model_json_kind(child));
        return 1;
    }
    return path_wrong_shape(steps + 1, n - 1, child, what, size);
}

/* 1 when every source path of `f` meets a member of the wrong shape (so the field's
 * absence is the item's fault, not a missing value). */
int model_field_wrong_shape(const tmfinv_field *f, const cJSON *item, char *what, size_t size)
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

    (void)model_path_walk(path->steps, path->n_steps, item, first_visit, &found);
    return found;
}

const cJSON *model_field_first(const tmfinv_field *f, const cJSON *item)
{
    const cJSON *v = NULL;
    size_t i;

    for (i = 0; i < f->n_from && !v; i++)
        v = tmfinv_path_first(&f->from[i], item);
    return v;
}

int tmfinv_path_is_plain(const tmfinv_path *path)
{
    if (path->n_steps == 0)
        return 0;
    for (size_t i = 0; i < path->n_steps; i++)
        if (path->steps[i].kind != STEP_PLAIN)
            return 0;
    return 1;
}

int tmfinv_path_write(cJSON *item, const tmfinv_path *path, const cJSON *value)
{
    cJSON *at = item, *copy;
    const char *last = path->steps[path->n_steps - 1].name;

    for (size_t i = 0; i + 1 < path->n_steps; i++) {
        cJSON *next = cJSON_GetObjectItemCaseSensitive(at, path->steps[i].name);

        if (!next) {
            if (!value)
                return 0;
            if (!(next = cJSON_AddObjectToObject(at, path->steps[i].name)))
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        } else if (!cJSON_IsObject(next))
            return 0;
        at = next;
    }
    if (!value) {
        cJSON_DeleteItemFromObjectCaseSensitive(at, last);
        return 0;
    }
    if (!(copy = cJSON_Duplicate(value, 1)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (cJSON_GetObjectItemCaseSensitive(at, last))
        cJSON_ReplaceItemInObjectCaseSensitive(at, last, copy);
    else
        cJSON_AddItemToObject(at, last, copy);
    return 0;
}
