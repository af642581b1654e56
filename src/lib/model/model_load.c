/* model_load.c: loading a profile file into definitions, checking every key and value
 * and naming the file and JSON path of the first problem (see docs/object-model.md). */
#include "model.h"
#include "model_int.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"
#include "tmfinv_jsontext.h"
#include "tmfinv_utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILE_MAX_BYTES (4 * 1024 * 1024)

/* ---- loading ---------------------------------------------------------------- */

typedef struct loader {
    const char *file;
    char where[512]; /* JSON path of the object being read, for messages */
} loader;

static int bad(const loader *l, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(const loader *l, const char *key, const char *fmt, ...)
{
    char msg[512], line[1024];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (snprintf(line, sizeof(line), "%s: %s%s%s: %s", l->file, l->where, *l->where && key ? "." : "",
                 key ? key : "", msg) >= (int)sizeof(line))
        line[sizeof(line) - 1] = '\0'; /* cut: still one line, and made valid below */
    /* Keys and values of the file are quoted: "\n" in a JSON key must not break the line. */
    model_clean_line(line);
    return tmfinv_error_set(TMFINV_EINVALID, "%s", line);
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
            model_strv_free(arr, i);
            return bad(l, key, "must hold only non-empty strings%s", "");
        }
        if (!(arr[i++] = strdup(el->valuestring))) {
            model_strv_free(arr, i);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    *out = arr;
    *n = i;
    return 0;
}

static int load_path(const loader *l, const char *key, const char *text, tmfinv_path *out)
{
    int rc = model_path_parse(text, out);

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
    model_condition_free(c);
    return rc;
}

static int parse_type(const char *s, tmfinv_type *t)
{
    size_t i;

    for (i = 0; i < sizeof(model_type_names) / sizeof(model_type_names[0]); i++)
        if (strcmp(s, model_type_names[i]) == 0) {
            *t = (tmfinv_type)i;
            return 0;
        }
    return -1;
}

static int parse_owner(const char *s, tmfinv_owner *o)
{
    size_t i;

    for (i = 0; i < 3; i++)
        if (strcmp(s, model_owner_names[i]) == 0) {
            *o = (tmfinv_owner)i;
            return 0;
        }
    return -1;
}

static int load_field(loader *l, const cJSON *o, const char *section, tmfinv_field *f)
{
    static const char *const keys[] = {"name", "type", "list", "required", "owner", "owner_when", "from",
                                       "format", "values", "references", "active_only", "description", NULL};
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
        (rc = get_string(l, o, "references", 0, &f->references)) < 0 ||
        (rc = get_bool(l, o, "active_only", &f->active_only)) < 0)
        goto out;
    f->section = strdup(section);
    if (!f->section) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (parse_type(type, &f->type) < 0) {
        rc = bad(l, "type", "unknown type '%s' (string, integer, double, boolean, datetime, enum, reference, "
                 "characteristic)", type);
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
    if (f->active_only && f->type != TMFINV_TYPE_REFERENCE) {
        rc = bad(l, "active_only", "only reference fields are restricted to active instances%s", "");
        goto out;
    }
    if (f->active_only && f->owner != TMFINV_OWNER_SOURCE) {
        rc = bad(l, "active_only", "only a field filled from the source by every sync (owner source) is "
                 "restricted to active instances%s", "");
        goto out;
    }
    if (f->type == TMFINV_TYPE_CHARACTERISTIC && f->format) {
        rc = bad(l, "format", "a characteristic keeps name, value and valueType as sent: no format%s", "");
        goto out;
    }
    if (f->owner == TMFINV_OWNER_LOCAL && n_from) {
        rc = bad(l, "from", "a local field is not filled from the source%s", "");
        goto out;
    }
    if (f->owner != TMFINV_OWNER_LOCAL && !n_from) {
        rc = bad(l, "from", "missing: a %s field needs the path it is filled from", model_owner_names[f->owner]);
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
    model_strv_free(from, n_from);
    return rc;
}


/* Reads `key` ("status_synonyms" or "type_synonyms"): {"Canonical": ["alias", ...]} (an
 * alias may be a single string) into the definition's matching, both sides in comparable
 * form. A status synonym's canonical value must be a declared status (when statuses are
 * declared); an alias may not stand for two values. */
static int load_synonyms(const loader *l, const cJSON *o, const char *key, tmfinv_definition *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *canon, *alias;
    int status = strcmp(key, "status_synonyms") == 0;
    tmfinv_matching *m = &d->matching;
    tmfinv_synonym **list = status ? &m->statuses : &m->types;
    size_t *n = status ? &m->n_statuses : &m->n_types, total = 0, i;
    char cbuf[TMFINV_MATCH_MAX], abuf[TMFINV_MATCH_MAX], sbuf[TMFINV_MATCH_MAX];

    if (!v)
        return 0;
    if (!cJSON_IsObject(v))
        return bad(l, key, "must be an object {\"Canonical\": [\"alias\", ...]}%s", "");
    cJSON_ArrayForEach(canon, v) {
        if (cJSON_IsString(canon))
            total++;
        else if (cJSON_IsArray(canon))
            total += (size_t)cJSON_GetArraySize(canon);
        else
            return bad(l, key, "'%s': the synonyms of a value are a string or an array of strings", canon->string);
    }
    *list = calloc(total + 1, sizeof(**list));
    if (!*list)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    cJSON_ArrayForEach(canon, v) {
        const char *cform = model_match_form(m, canon->string, cbuf);
        int many = cJSON_IsArray(canon);

        if (!*canon->string || !cform)
            return bad(l, key, "'%.60s': a canonical value is non-empty and shorter than %d bytes", canon->string,
                       TMFINV_MATCH_MAX);
        if (status && d->n_statuses) {
            for (i = 0; i < d->n_statuses; i++) {
                const char *sform = model_match_form(m, d->statuses[i], sbuf);

                if (sform && strcmp(sform, cform) == 0)
                    break;
            }
            if (i == d->n_statuses)
                return bad(l, key, "'%s' is not a declared status", canon->string);
        }
        for (alias = many ? canon->child : canon; alias; alias = many ? alias->next : NULL) {
            const char *aform = cJSON_IsString(alias) ? model_match_form(m, alias->valuestring, abuf) : NULL;
            tmfinv_synonym *syn = &(*list)[*n];

            if (!cJSON_IsString(alias) || !*alias->valuestring || !aform)
                return bad(l, key, "'%s': each synonym is a non-empty string shorter than %d bytes", canon->string,
                           TMFINV_MATCH_MAX);
            for (i = 0; i < *n; i++)
                if (strcmp((*list)[i].alias, aform) == 0 && strcmp((*list)[i].canonical, cform) != 0)
                    return bad(l, key, "'%s' is a synonym of two values", alias->valuestring);
            if (!(syn->alias = strdup(aform)) || !(syn->canonical = strdup(cform))) {
                free(syn->alias);
                syn->alias = NULL;
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            }
            (*n)++;
        }
    }
    return 0;
}

static int load_definition(loader *l, const cJSON *o, const char *profile, int exact, tmfinv_definition **out)
{
    static const char *const keys[] = {"name", "api", "match", "key", "status", "statuses", "keep_statuses",
                                       "drop_statuses", "exclude", "sections", "description",
                                       "status_synonyms", "type_synonyms", "unknown_status", NULL};
    tmfinv_definition *d = NULL;
    char *key = NULL, *status = NULL, *unknown = NULL;
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
        (rc = get_string(l, o, "unknown_status", 0, &unknown)) < 0 ||
        (rc = load_condition(l, o, "match", &d->match)) < 0)
        goto out;
    if (unknown && strcmp(unknown, "keep") == 0)
        d->unknown_status = TMFINV_UNKNOWN_KEEP;
    else if (unknown && strcmp(unknown, "drop") == 0)
        d->unknown_status = TMFINV_UNKNOWN_DROP;
    else if (unknown) {
        rc = bad(l, "unknown_status", "'%s': expected \"keep\" or \"drop\"", unknown);
        goto out;
    }
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
        if (d->n_statuses && model_index_of(d->statuses, d->n_statuses, d->keep[i]) < 0) {
            rc = bad(l, "keep_statuses", "'%s' is not a declared status", d->keep[i]);
            goto out;
        }
    for (i = 0; i < d->n_drop; i++)
        if (d->n_statuses && model_index_of(d->statuses, d->n_statuses, d->drop[i]) < 0) {
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
        if (model_index_of(d->sections, d->n_sections, sname) >= 0) {
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
    if (d->fields[idx].is_list || d->fields[idx].owner == TMFINV_OWNER_LOCAL ||
        d->fields[idx].type == TMFINV_TYPE_CHARACTERISTIC) {
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
    d->matching.exact = exact;
    if ((rc = load_synonyms(l, o, "status_synonyms", d)) < 0 || (rc = load_synonyms(l, o, "type_synonyms", d)) < 0)
        goto out;
    if ((rc = model_match_prepare(d)) == TMFINV_EINVALID) {
        char msg[256];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        rc = bad(l, NULL, "a compared value: %s", msg);
        goto out;
    }
    if (rc < 0)
        goto out;
    *out = d;
    d = NULL;
out:
    l->where[saved] = '\0';
    free(key);
    free(status);
    free(unknown);
    model_definition_free(d);
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
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = tmfinv_file_read(path, PROFILE_MAX_BYTES, &text, &len);
    if (rc == 0)
        rc = tmfinv_model_load_text(path, text, len, out);
    free(text);
    return rc;
}

int tmfinv_model_load_text(const char *path, const char *text, size_t len, tmfinv_model **out)
{
    static const char *const keys[] = {"profile", "description", "match", "definitions", NULL};
    char *profile = NULL, *match = NULL;
    int exact = 0;
    size_t i = 0, j;
    cJSON *root = NULL;
    const cJSON *defs, *d;
    const char *end = NULL, *nul;
    tmfinv_model *m = NULL;
    loader l = {.file = path, .where = ""};
    int rc = 0;

    /* Every string of a profile is valid UTF-8 without NUL, as everywhere in tmfinv: a raw
     * byte is checked here, an escaped NUL (which cJSON would decode into a C string's end)
     * is looked for as text. */
    if ((i = tmfinv_utf8_invalid_at(text, len)) < len || (nul = tmfinv_jsontext_nul_escape(text, len)) != NULL) {
        int line, col;

        line_of(text, i < len ? text + i : nul, &line, &col);
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d:%d: %s", path, line, col,
                              i < len ? "not valid UTF-8" : "a NUL character (\\u0000) is not allowed");
        goto out;
    }
    i = 0;
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
    if ((rc = only_keys(&l, root, keys)) < 0 || (rc = get_string(&l, root, "profile", 1, &profile)) < 0 ||
        (rc = get_string(&l, root, "match", 0, &match)) < 0)
        goto out;
    if (match && strcmp(match, "exact") != 0 && strcmp(match, "ignore_case") != 0) {
        rc = bad(&l, "match", "unknown matching '%s' (ignore_case, the default, or exact)", match);
        goto out;
    }
    exact = match && strcmp(match, "exact") == 0;
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
        if ((rc = load_definition(&l, d, profile, exact, &def)) < 0)
            goto out;
        if (tmfinv_model_find(m, def->name)) {
            rc = bad(&l, "name", "definition '%s' is declared twice", def->name);
            model_definition_free(def);
            goto out;
        }
        printed = cJSON_PrintUnformatted(d);
        def->fingerprint = malloc(65);
        if (!printed || !def->fingerprint) {
            free(printed);
            model_definition_free(def);
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        /* The profile's matching decides what the definition's rules take: part of its print. */
        tmfinv_sha256_hex2(exact ? "match=exact\n" : "match=ignore_case\n", exact ? 12 : 18, printed, strlen(printed),
                           def->fingerprint);
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
    free(profile);
    free(match);
    cJSON_Delete(root);
    tmfinv_model_free(m);
    return rc;
}