/* model.c: the model's lifetime and lookups: freeing, finding definitions and fields,
 * merging profiles, classifying items and reading their key, status and type (see
 * model.h; loading is in model_load.c, paths in model_path.c, mapping in model_map.c,
 * text checks in model_text.c). */
#include "model.h"
#include "model_int.h"

#include "tmfinv_datadir.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"
#include "tmfinv_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const model_type_names[8] = {"string", "integer", "double", "boolean",
                                         "datetime", "enum", "reference", "characteristic"};
const char *const model_owner_names[3] = {"source", "local", "initial"};

const char *tmfinv_type_name(tmfinv_type t)
{
    return model_type_names[t];
}

const char *tmfinv_owner_name(tmfinv_owner o)
{
    return model_owner_names[o];
}

/* ---- freeing ---------------------------------------------------------------- */

void model_strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void model_path_clear(tmfinv_path *p)
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

void model_condition_free(tmfinv_condition *c)
{
    if (!c)
        return;
    model_path_clear(&c->path);
    model_strv_free(c->values, c->n_values);
    model_strv_free(c->cmp_values, c->n_values);
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
        free(f->owner_rules[i].cmp_equals);
    }
    free(f->owner_rules);
    for (i = 0; i < f->n_from; i++)
        model_path_clear(&f->from[i]);
    free(f->from);
    free(f->format);
    model_strv_free(f->values, f->n_values);
    model_strv_free(f->cmp_values, f->n_values);
    free(f->references);
}

void model_definition_free(tmfinv_definition *d)
{
    size_t i;

    if (!d)
        return;
    free(d->name);
    free(d->profile);
    free(d->api);
    model_condition_free(d->match);
    model_strv_free(d->sections, d->n_sections);
    for (i = 0; i < d->n_fields; i++)
        field_clear(&d->fields[i]);
    free(d->fields);
    model_strv_free(d->statuses, d->n_statuses);
    model_strv_free(d->keep, d->n_keep);
    model_strv_free(d->drop, d->n_drop);
    if (d->type_path) {
        model_path_clear(d->type_path);
        free(d->type_path);
    }
    model_strv_free(d->exclude_types, d->n_exclude_types);
    model_strv_free(d->keep_cmp, d->n_keep);
    model_strv_free(d->drop_cmp, d->n_drop);
    model_strv_free(d->exclude_cmp, d->n_exclude_types);
    model_match_clear(&d->matching);
    free(d->fingerprint);
    free(d);
}

void tmfinv_model_free(tmfinv_model *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->n_definitions; i++)
        model_definition_free(m->definitions[i]);
    free(m->definitions);
    free(m);
}


int model_index_of(char **v, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return (int)i;
    return -1;
}

int tmfinv_model_profile_path(const char *profile, char **out)
{
    char name[256], *dir = NULL;
    int rc;

    if (strchr(profile, '/') || strstr(profile, ".json"))
        return (*out = strdup(profile)) ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (snprintf(name, sizeof(name), "profiles/%s.json", profile) >= (int)sizeof(name))
        return tmfinv_error_set(TMFINV_EINVALID, "profile name too long: '%.40s...'", profile);
    if ((rc = tmfinv_datadir_get(&dir)) < 0)
        return rc;
    rc = tmfinv_path_join(dir, name, out);
    free(dir);
    return rc;
}

/* 1 when two optional strings differ. */
static int str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static int strv_differ(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (str_differ(a[i], b[i]))
            return 1;
    return 0;
}

static int paths_differ(const tmfinv_path *a, size_t na, const tmfinv_path *b, size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (str_differ(a[i].text, b[i].text))
            return 1;
    return 0;
}

static int synonyms_differ(const tmfinv_synonym *a, size_t na, const tmfinv_synonym *b, size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (str_differ(a[i].alias, b[i].alias) || str_differ(a[i].canonical, b[i].canonical))
            return 1;
    return 0;
}

/* What of field a differs from field b (same name), or NULL. */
static const char *field_differs(const tmfinv_field *a, const tmfinv_field *b)
{
    if (str_differ(a->section, b->section))
        return "section";
    if (a->type != b->type || a->is_list != b->is_list)
        return "type";
    if (a->required != b->required)
        return "required";
    if (a->owner != b->owner || a->n_owner_rules != b->n_owner_rules)
        return "owner";
    for (size_t i = 0; i < a->n_owner_rules; i++)
        if (str_differ(a->owner_rules[i].field, b->owner_rules[i].field) ||
            str_differ(a->owner_rules[i].equals, b->owner_rules[i].equals) ||
            a->owner_rules[i].owner != b->owner_rules[i].owner)
            return "owner_when";
    if (paths_differ(a->from, a->n_from, b->from, b->n_from))
        return "from";
    if (str_differ(a->format, b->format))
        return "format";
    if (strv_differ(a->values, a->n_values, b->values, b->n_values))
        return "values";
    if (str_differ(a->references, b->references))
        return "references";
    return NULL;
}

/* Writes the first rule or field in which definition a differs from b (same name), in
 * the order a profile file reads: "rule 'match'", "field 'category' (from)"; or, when the
 * texts differ only in what tmfinv does not compare here (a description, a new key), "its
 * text". */
static void definition_difference(const tmfinv_definition *a, const tmfinv_definition *b, char *out, size_t len)
{
    const char *rule = NULL;
    size_t i;

    if (str_differ(a->api, b->api))
        rule = "api";
    else if ((a->match == NULL) != (b->match == NULL) ||
             (a->match && (str_differ(a->match->path.text, b->match->path.text) || a->match->negate != b->match->negate ||
                           strv_differ(a->match->values, a->match->n_values, b->match->values, b->match->n_values))))
        rule = "match";
    else if (str_differ(a->fields[a->key_field].name, b->fields[b->key_field].name))
        rule = "key";
    else if (strv_differ(a->statuses, a->n_statuses, b->statuses, b->n_statuses) ||
             str_differ(a->fields[a->status_field].name, b->fields[b->status_field].name))
        rule = "statuses";
    else if ((a->keep == NULL) != (b->keep == NULL) || strv_differ(a->keep, a->n_keep, b->keep, b->n_keep))
        rule = "keep_statuses";
    else if (strv_differ(a->drop, a->n_drop, b->drop, b->n_drop))
        rule = "drop_statuses";
    else if ((a->type_path == NULL) != (b->type_path == NULL) ||
             (a->type_path && str_differ(a->type_path->text, b->type_path->text)))
        rule = "type";
    else if (strv_differ(a->exclude_types, a->n_exclude_types, b->exclude_types, b->n_exclude_types))
        rule = "exclude_types";
    else if (a->matching.exact != b->matching.exact)
        rule = "match (the profile's matching: exact or ignoring case)";
    else if (synonyms_differ(a->matching.statuses, a->matching.n_statuses, b->matching.statuses,
                             b->matching.n_statuses))
        rule = "status_synonyms";
    else if (synonyms_differ(a->matching.types, a->matching.n_types, b->matching.types, b->matching.n_types))
        rule = "type_synonyms";
    if (rule) {
        (void)snprintf(out, len, "rule '%s'", rule);
        return;
    }
    for (i = 0; i < a->n_fields || i < b->n_fields; i++) {
        const tmfinv_field *fa = i < a->n_fields ? &a->fields[i] : NULL;
        const tmfinv_field *fb = i < b->n_fields ? &b->fields[i] : NULL;
        const tmfinv_field *other;
        const char *what;

        if (!fa || !fb) {
            (void)snprintf(out, len, "field '%s' (only in one)", fa ? fa->name : fb->name);
            return;
        }
        if (strcmp(fa->name, fb->name) != 0) {
            /* Another field at this place: the one missing from b, else the order. */
            other = tmfinv_definition_field(b, fa->name);
            (void)snprintf(out, len, "field '%s' (%s)", other ? fb->name : fa->name, other ? "order" : "only in one");
            return;
        }
        if ((what = field_differs(fa, fb))) {
            (void)snprintf(out, len, "field '%s' (%s)", fa->name, what);
            return;
        }
    }
    (void)snprintf(out, len, "its text");
}

int tmfinv_model_merge(tmfinv_model *into, tmfinv_model *from)
{
    tmfinv_definition **grown;
    size_t i;
    int rc = 0;

    for (i = 0; i < from->n_definitions; i++) {
        const tmfinv_definition *have = tmfinv_model_find(into, from->definitions[i]->name);

        if (have && strcmp(have->fingerprint, from->definitions[i]->fingerprint) != 0) {
            char line[1024], what[256];

            definition_difference(have, from->definitions[i], what, sizeof(what));
            (void)snprintf(line, sizeof(line),
                           "definition '%s' differs between profile '%s' and profile '%s', first in %s; "
                           "sources feeding one definition need the same one",
                           have->name, have->profile, from->definitions[i]->profile, what);
            model_clean_line(line);
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s", line);
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
            model_definition_free(from->definitions[i]);
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

        if (strcmp(d->api, api) == 0 && (!d->match || model_condition_holds(&d->matching, d->match, item)))
            return d;
    }
    return NULL;
}


int tmfinv_definition_key(const tmfinv_definition *d, const cJSON *item, char **out)
{
    const cJSON *v = model_field_first(&d->fields[d->key_field], item);
    tmfinv_reject why;
    char num[64];
    size_t bad;

    *out = NULL;
    /* A key with a NUL would read as its start and could take another item's place. */
    if (model_item_bad_text(d, item, 1, &why))
        return tmfinv_error_set(TMFINV_EINVALID, "key '%s': %s", why.field, why.reason);
    if (cJSON_IsString(v)) {
        /* Trimmed: " K1 " is K1, and a key of only white space is an empty key. */
        const char *s = v->valuestring;
        size_t n;

        while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
            s++;
        n = strlen(s);
        while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
            n--;
        if (n == 0)
            return 0;
        if ((bad = tmfinv_utf8_invalid_at(s, n)) < n)
            return tmfinv_error_set(TMFINV_EINVALID, "key '%s' is not valid UTF-8 (byte %zu)",
                                    d->fields[d->key_field].name, bad);
        *out = strndup(s, n);
    }
    else if (cJSON_IsNumber(v)) {
        (void)snprintf(num, sizeof(num), "%.17g", v->valuedouble);
        *out = strdup(num);
    } else if (v)
        return tmfinv_error_set(TMFINV_EINVALID, "key '%s' is %s, expected a string", d->fields[d->key_field].name,
                                model_json_kind(v));
    else
        return 0;
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

const char *tmfinv_definition_source_status(const tmfinv_definition *d, const cJSON *item)
{
    const cJSON *v = model_field_first(&d->fields[d->status_field], item);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int tmfinv_definition_status_present(const tmfinv_definition *d, const cJSON *item)
{
    return model_field_first(&d->fields[d->status_field], item) != NULL;
}

