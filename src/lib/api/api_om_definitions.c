/* api_om_definitions.c: a definition as the object-model API shows it (GET
 * /api/v1/definitions), and the dashboard's table columns: which fields of a definition the
 * table shows, sorts and filters on, the store's indexes that keep those pages fast at 1M
 * instances, and when a list's total is counted only up to a cap (decision 81,
 * docs/dashboard.md). */
#include "api.h"
#include "daemon.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdlib.h>
#include <string.h>

/* ---- the table's columns ---- */

/* 1 when f may be a column: one value of a type that compares as it reads, with a name
 * that may be written into SQL (store_sqlite_om.c writes it into the index expression). */
static int column_candidate(const tmfinv_definition *d, size_t k)
{
    const tmfinv_field *f = &d->fields[k];
    size_t n = strlen(f->name);

    if (k == d->key_field || k == d->status_field || f->is_list || n == 0 || n > 128 ||
        strspn(f->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
        return 0;
    switch (f->type) {
    case TMFINV_TYPE_STRING:
    case TMFINV_TYPE_ENUM:
    case TMFINV_TYPE_REFERENCE:
    case TMFINV_TYPE_INTEGER:
    case TMFINV_TYPE_DOUBLE:
    case TMFINV_TYPE_BOOLEAN:
        return 1;
    default:
        return 0;
    }
}

size_t tmfinv_api_table_fields(const tmfinv_definition *d, const tmfinv_field **out, size_t max)
{
    size_t n = 0;

    /* Enumerations first (the states a NOC filters on), then the others in profile order. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < d->n_fields && n < max; k++)
            if (column_candidate(d, k) && (d->fields[k].type == TMFINV_TYPE_ENUM) == (pass == 0))
                out[n++] = &d->fields[k];
    return n;
}

int64_t tmfinv_api_table_count_cap(const tmfinv_definition *d, const tmfinv_where *where, size_t n, int removed)
{
    const tmfinv_field *cols[TMFINV_API_TABLE_COLUMNS];
    size_t n_cols = tmfinv_api_table_fields(d, cols, TMFINV_API_TABLE_COLUMNS), n_fields = 0;
    int status = 0, indexed = 0;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(where[i].field, "status") == 0) {
            status = 1;
            continue;
        }
        n_fields++;
        for (size_t c = 0; c < n_cols; c++)
            indexed |= !where[i].is_list && !cJSON_IsObject(where[i].value) && strcmp(where[i].field, cols[c]->name) == 0;
    }
    /* Exact: no field filter (the key, status and modified indexes answer), or one on a
     * column alone, in the active or the removed instances (a range of its index). */
    if (n_fields == 0 || (n_fields == 1 && indexed && !status && removed != TMFINV_REMOVED_ANY))
        return 0;
    return TMFINV_API_COUNT_CAP;
}

int tmfinv_api_table_indexes(tmfinv_daemon *daemon, int *created, int *dropped)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(daemon);
    tmfinv_store_column *cols = NULL;
    tmfinv_store *store = NULL;
    size_t n = 0;
    int rc;

    if (!(cols = calloc(rt->model->n_definitions * TMFINV_API_TABLE_COLUMNS + 1, sizeof(*cols)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rt->model->n_definitions; i++) {
        const tmfinv_definition *d = rt->model->definitions[i];
        const tmfinv_field *f[TMFINV_API_TABLE_COLUMNS];
        size_t m = tmfinv_api_table_fields(d, f, TMFINV_API_TABLE_COLUMNS);

        for (size_t c = 0; c < m; c++) {
            cols[n].definition = d->name;
            cols[n++].field = f[c]->name;
        }
    }
    {
        tmfinv_store_options so = {.busy_timeout_ms = (int64_t)rt->cfg->store_busy_timeout_s * 1000};

        if ((rc = tmfinv_store_open_with(rt->cfg->store_path, &so, &store)) < 0)
            goto out;
    }
    /* A store this process may only read keeps the indexes it has: pages stay correct. */
    rc = tmfinv_store_read_only(store) ? 0 : tmfinv_store_table_indexes(store, cols, n, created, dropped);
out:
    tmfinv_store_close(store);
    free(cols);
    tmfinv_daemon_release(daemon, rt);
    return rc;
}

/* ---- a definition as JSON ---- */

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *strings(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

static cJSON *paths(const tmfinv_path *p, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(p[i].text));
    return a;
}

static cJSON *field_json(const tmfinv_field *f)
{
    cJSON *o = cJSON_CreateObject(), *rules = cJSON_CreateArray();

    if (!o || !rules) {
        cJSON_Delete(o);
        cJSON_Delete(rules);
        return NULL;
    }
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "type", tmfinv_type_name(f->type));
    cJSON_AddBoolToObject(o, "list", f->is_list);
    cJSON_AddBoolToObject(o, "required", f->required);
    cJSON_AddStringToObject(o, "owner", tmfinv_owner_name(f->owner));
    for (size_t i = 0; i < f->n_owner_rules; i++) {
        cJSON *r = cJSON_CreateObject();

        cJSON_AddStringToObject(r, "field", f->owner_rules[i].field);
        cJSON_AddStringToObject(r, "equals", f->owner_rules[i].equals);
        cJSON_AddStringToObject(r, "owner", tmfinv_owner_name(f->owner_rules[i].owner));
        cJSON_AddItemToArray(rules, r);
    }
    cJSON_AddItemToObject(o, "ownerWhen", rules);
    cJSON_AddItemToObject(o, "from", paths(f->from, f->n_from));
    cJSON_AddItemToObject(o, "format", string_or_null(f->format));
    cJSON_AddItemToObject(o, "values", strings(f->values, f->n_values));
    cJSON_AddItemToObject(o, "references", string_or_null(f->references));
    return o;
}

cJSON *tmfinv_api_definition_json(const tmfinv_definition *d)
{
    cJSON *o = cJSON_CreateObject(), *sections = cJSON_CreateArray();

    if (!o || !sections) {
        cJSON_Delete(o);
        cJSON_Delete(sections);
        return NULL;
    }
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "profile", d->profile);
    cJSON_AddStringToObject(o, "api", d->api);
    cJSON_AddStringToObject(o, "key", d->fields[d->key_field].name);
    cJSON_AddStringToObject(o, "status", d->fields[d->status_field].name);
    cJSON_AddItemToObject(o, "statuses", strings(d->statuses, d->n_statuses));
    cJSON_AddItemToObject(o, "keepStatuses", d->keep ? strings(d->keep, d->n_keep) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "dropStatuses", d->drop ? strings(d->drop, d->n_drop) : cJSON_CreateNull());
    if (d->unknown_status == TMFINV_UNKNOWN_RULES)
        cJSON_AddNullToObject(o, "unknownStatus");
    else
        cJSON_AddStringToObject(o, "unknownStatus", d->unknown_status == TMFINV_UNKNOWN_KEEP ? "keep" : "drop");
    if (d->match) {
        cJSON *m = cJSON_CreateObject();

        cJSON_AddStringToObject(m, "path", d->match->path.text);
        cJSON_AddItemToObject(m, "values", strings(d->match->values, d->match->n_values));
        cJSON_AddBoolToObject(m, "negate", d->match->negate);
        cJSON_AddItemToObject(o, "match", m);
    } else
        cJSON_AddNullToObject(o, "match");
    if (d->type_path) {
        cJSON *x = cJSON_CreateObject();

        cJSON_AddStringToObject(x, "path", d->type_path->text);
        cJSON_AddItemToObject(x, "types", strings(d->exclude_types, d->n_exclude_types));
        cJSON_AddItemToObject(o, "exclude", x);
    } else
        cJSON_AddNullToObject(o, "exclude");
    for (size_t s = 0; s < d->n_sections; s++) {
        cJSON *sec = cJSON_CreateObject(), *fields = cJSON_CreateArray();

        cJSON_AddStringToObject(sec, "name", d->sections[s]);
        for (size_t k = 0; k < d->n_fields; k++)
            if (strcmp(d->fields[k].section, d->sections[s]) == 0)
                cJSON_AddItemToArray(fields, field_json(&d->fields[k]));
        cJSON_AddItemToObject(sec, "fields", fields);
        cJSON_AddItemToArray(sections, sec);
    }
    cJSON_AddItemToObject(o, "sections", sections);
    {
        const tmfinv_field *cols[TMFINV_API_TABLE_COLUMNS];
        size_t n = tmfinv_api_table_fields(d, cols, TMFINV_API_TABLE_COLUMNS);
        cJSON *names = cJSON_CreateArray();

        for (size_t i = 0; names && i < n; i++)
            cJSON_AddItemToArray(names, cJSON_CreateString(cols[i]->name));
        cJSON_AddItemToObject(o, "tableFields", names);
    }
    return o;
}
