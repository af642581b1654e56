/* model_match.c: how status, type and classification values are compared (see
 * docs/object-model.md, "Matching"). By default a value counts with the ASCII white space
 * around it ignored and ASCII case folded (real sources write `deprecated`, `Element`,
 * `OPERATIONAL`); a profile's "match": "exact" compares bytes. Synonyms then map a value
 * to the canonical one the rules name. The profile's side is put in comparable form once,
 * at load; an item's value is folded once per compare into a buffer on the stack, so the
 * sync allocates nothing to compare. ASCII folding is enough: the values compared are
 * status and type names, and UTF-8 bytes outside ASCII are left as they are. */
#include "model.h"
#include "model_int.h"

#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *model_match_form(const tmfinv_matching *m, const char *s, char buf[TMFINV_MATCH_MAX])
{
    size_t n, i;

    if (!m || m->exact)
        return s;
    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n && is_space(s[n - 1]))
        n--;
    if (n >= TMFINV_MATCH_MAX)
        return NULL; /* longer than any value a profile may declare: equals none */
    for (i = 0; i < n; i++)
        buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    buf[n] = '\0';
    return buf;
}

const char *model_match_resolve(const tmfinv_synonym *syn, size_t n, const char *form)
{
    size_t i;

    for (i = 0; form && i < n; i++)
        if (strcmp(syn[i].alias, form) == 0)
            return syn[i].canonical;
    return form;
}

const char *model_match_value(const tmfinv_matching *m, int kind, const char *s, char buf[TMFINV_MATCH_MAX])
{
    const char *form = model_match_form(m, s, buf);

    if (!m || !form)
        return form;
    if (kind == MODEL_MATCH_STATUS)
        return model_match_resolve(m->statuses, m->n_statuses, form);
    if (kind == MODEL_MATCH_TYPE)
        return model_match_resolve(m->types, m->n_types, form);
    return form;
}

const char *model_match_scalar(const tmfinv_matching *m, int kind, const cJSON *v, char buf[TMFINV_MATCH_MAX])
{
    if (cJSON_IsString(v))
        return model_match_value(m, kind, v->valuestring, buf);
    if (cJSON_IsNumber(v))
        (void)snprintf(buf, TMFINV_MATCH_MAX, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        (void)snprintf(buf, TMFINV_MATCH_MAX, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else
        return NULL;
    /* Folded in place (the form never starts before its text), so the result stays in buf. */
    return model_match_value(m, kind, buf, buf);
}

int model_match_in(char *const *cmp, size_t n, const char *form)
{
    size_t i;

    for (i = 0; form && i < n; i++)
        if (strcmp(cmp[i], form) == 0)
            return (int)i;
    return -1;
}

/* ---- at load: the profile's side in comparable form ------------------------------ */

/* A new string: the canonical comparable form of `s`. */
static int prepared(const tmfinv_matching *m, int kind, const char *s, char **out)
{
    char buf[TMFINV_MATCH_MAX];
    const char *form = model_match_value(m, kind, s, buf);

    *out = NULL;
    if (!form)
        return tmfinv_error_set(TMFINV_EINVALID, "'%.40s...' is longer than %d bytes", s, TMFINV_MATCH_MAX - 1);
    *out = strdup(form);
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

static int prepared_list(const tmfinv_matching *m, int kind, char **v, size_t n, char ***out)
{
    size_t i;
    int rc;

    *out = NULL;
    if (!v)
        return 0;
    *out = calloc(n + 1, sizeof(**out));
    if (!*out)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (i = 0; i < n; i++)
        if ((rc = prepared(m, kind, v[i], &(*out)[i])) < 0)
            return rc; /* the caller frees the list with the definition */
    return 0;
}

int model_match_prepare(tmfinv_definition *d)
{
    const tmfinv_matching *m = &d->matching;
    size_t i, j;
    int rc;

    if ((rc = prepared_list(m, MODEL_MATCH_STATUS, d->keep, d->n_keep, &d->keep_cmp)) < 0 ||
        (rc = prepared_list(m, MODEL_MATCH_STATUS, d->drop, d->n_drop, &d->drop_cmp)) < 0 ||
        (rc = prepared_list(m, MODEL_MATCH_TYPE, d->exclude_types, d->n_exclude_types, &d->exclude_cmp)) < 0)
        return rc;
    if (d->match && (rc = prepared_list(m, MODEL_MATCH_TYPE, d->match->values, d->match->n_values,
                                        &d->match->cmp_values)) < 0)
        return rc;
    for (i = 0; i < d->n_fields; i++) {
        tmfinv_field *f = &d->fields[i];

        f->matching = m;
        f->is_status = i == d->status_field;
        if (f->type == TMFINV_TYPE_ENUM &&
            (rc = prepared_list(m, f->is_status ? MODEL_MATCH_STATUS : MODEL_MATCH_PLAIN, f->values, f->n_values,
                                &f->cmp_values)) < 0)
            return rc;
        for (j = 0; j < f->n_owner_rules; j++)
            if ((rc = prepared(m, MODEL_MATCH_TYPE, f->owner_rules[j].equals, &f->owner_rules[j].cmp_equals)) < 0)
                return rc;
    }
    return 0;
}

void model_match_clear(tmfinv_matching *m)
{
    size_t i;

    for (i = 0; i < m->n_statuses; i++) {
        free(m->statuses[i].alias);
        free(m->statuses[i].canonical);
    }
    free(m->statuses);
    for (i = 0; i < m->n_types; i++) {
        free(m->types[i].alias);
        free(m->types[i].canonical);
    }
    free(m->types);
    memset(m, 0, sizeof(*m));
}

/* ---- the rules ---------------------------------------------------------------- */

int model_condition_holds(const tmfinv_matching *m, const tmfinv_condition *c, const cJSON *item)
{
    const cJSON *v = tmfinv_path_first(&c->path, item);
    char buf[TMFINV_MATCH_MAX];
    const char *form;
    size_t i;
    int in = 0;

    if (v && c->cmp_values) {
        form = model_match_scalar(m, MODEL_MATCH_TYPE, v, buf);
        in = model_match_in(c->cmp_values, c->n_values, form) >= 0;
    } else
        for (i = 0; v && i < c->n_values && !in; i++)
            in = model_scalar_equals(v, c->values[i]);
    return c->negate ? !in : in;
}

int tmfinv_definition_excluded(const tmfinv_definition *d, const cJSON *item, const char **type)
{
    char buf[TMFINV_MATCH_MAX];
    const cJSON *v;

    *type = NULL;
    if (!d->type_path)
        return 0;
    v = tmfinv_path_first(d->type_path, item);
    if (!cJSON_IsString(v))
        return 0;
    *type = v->valuestring;
    if (!d->exclude_cmp)
        return model_index_of(d->exclude_types, d->n_exclude_types, v->valuestring) >= 0;
    return model_match_in(d->exclude_cmp, d->n_exclude_types,
                          model_match_value(&d->matching, MODEL_MATCH_TYPE, v->valuestring, buf)) >= 0;
}

int tmfinv_definition_type_listed(const tmfinv_definition *d, const char *type, char *const *types, size_t n)
{
    char buf[TMFINV_MATCH_MAX], other[TMFINV_MATCH_MAX];
    const char *form = model_match_value(&d->matching, MODEL_MATCH_TYPE, type, buf), *listed;
    size_t i;

    for (i = 0; form && i < n; i++) {
        listed = model_match_value(&d->matching, MODEL_MATCH_TYPE, types[i], other);
        if (listed && strcmp(listed, form) == 0)
            return 1;
    }
    return 0;
}

int tmfinv_definition_status_known(const tmfinv_definition *d, const char *status)
{
    char buf[TMFINV_MATCH_MAX], decl[TMFINV_MATCH_MAX];
    const char *form;
    size_t i;

    if (!status || !d->n_statuses)
        return 1;
    /* A synonym resolves to its canonical status, which is a declared one. */
    if (!(form = model_match_value(&d->matching, MODEL_MATCH_STATUS, status, buf)))
        return 0;
    for (i = 0; i < d->n_statuses; i++) {
        const char *s = model_match_form(&d->matching, d->statuses[i], decl);

        if (s && strcmp(s, form) == 0)
            return 1;
    }
    return 0;
}

int tmfinv_definition_keeps(const tmfinv_definition *d, const char *status)
{
    char buf[TMFINV_MATCH_MAX];
    const char *form = status ? model_match_value(&d->matching, MODEL_MATCH_STATUS, status, buf) : NULL;

    /* An undeclared status goes by the definition's own rule for those, when it gives one. */
    if (d->unknown_status != TMFINV_UNKNOWN_RULES && !tmfinv_definition_status_known(d, status))
        return d->unknown_status == TMFINV_UNKNOWN_KEEP;

    if (d->keep)
        return form && model_match_in(d->keep_cmp ? d->keep_cmp : d->keep, d->n_keep, form) >= 0;
    if (d->drop)
        return !status || model_match_in(d->drop_cmp ? d->drop_cmp : d->drop, d->n_drop, form) < 0;
    return 1;
}

tmfinv_owner tmfinv_field_owner(const tmfinv_field *f, const cJSON *values)
{
    char buf[TMFINV_MATCH_MAX];
    size_t i;

    for (i = 0; i < f->n_owner_rules; i++) {
        const tmfinv_owner_rule *r = &f->owner_rules[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(values, r->field);

        if (!v)
            continue;
        if (r->cmp_equals ? model_match_in(&r->cmp_equals, 1, model_match_scalar(f->matching, MODEL_MATCH_TYPE, v,
                                                                                  buf)) == 0
                          : model_scalar_equals(v, r->equals))
            return r->owner;
    }
    return f->owner;
}

int model_enum_known(const tmfinv_field *f, const char *value)
{
    char buf[TMFINV_MATCH_MAX];

    if (!f->cmp_values || !f->matching)
        return model_index_of(f->values, f->n_values, value) >= 0;
    return model_match_in(f->cmp_values, f->n_values,
                          model_match_value(f->matching, f->is_status ? MODEL_MATCH_STATUS : MODEL_MATCH_PLAIN,
                                            value, buf)) >= 0;
}
