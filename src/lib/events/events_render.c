/* events_render.c: an outbox row as the TMF v4 notification the specifications define
 * (data/tmf/: ServiceCreateEvent, ServiceAttributeValueChangeEvent with fieldPath,
 * ServiceStateChangeEvent, ServiceDeleteEvent and the Resource ones), hub queries, and the
 * webhook signature. Pure functions: no store, no network. */
#include "events.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *collection_path(const char *api)
{
    return api && strcmp(api, "tmf639") == 0 ? "/tmf-api/resourceInventoryManagement/v4/resource"
                                             : "/tmf-api/serviceInventory/v4/service";
}

int tmfinv_events_entity(const tmfinv_model *m, const char *definition, const char *instance_id, const char *raw,
                         const cJSON *values, const char *base, cJSON **out)
{
    const tmfinv_definition *d = tmfinv_model_find(m, definition);
    cJSON *item = cJSON_Parse(raw), *id;
    tmfinv_buf href;
    char id_text[64];
    const char *id_str;
    int rc = 0;

    tmfinv_buf_init(&href, 64 * 1024);
    if (!cJSON_IsObject(item)) {
        rc = tmfinv_error_set(TMFINV_ESTORE, "instance %s: stored item is not a JSON object", instance_id);
        goto out;
    }
    for (size_t i = 0; d && i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];

        if (f->n_from == 0 || !tmfinv_path_is_plain(&f->from[0]) || tmfinv_field_owner(f, values) == TMFINV_OWNER_SOURCE)
            continue;
        if ((rc = tmfinv_path_write(item, &f->from[0], cJSON_GetObjectItemCaseSensitive(values, f->name))) < 0)
            goto out;
    }
    id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (cJSON_IsString(id) && id->valuestring[0])
        id_str = id->valuestring;
    else if (cJSON_IsNumber(id) && id->valuedouble == (double)(long long)id->valuedouble) {
        (void)snprintf(id_text, sizeof(id_text), "%lld", (long long)id->valuedouble);
        id_str = id_text;
    } else {
        if (id)
            cJSON_DeleteItemFromObjectCaseSensitive(item, "id");
        cJSON_AddStringToObject(item, "id", instance_id);
        id_str = instance_id;
    }
    if (tmfinv_buf_puts(&href, base) < 0 || tmfinv_buf_puts(&href, collection_path(d ? d->api : NULL)) < 0 ||
        tmfinv_buf_puts(&href, "/") < 0 || tmfinv_buf_put_encoded(&href, id_str) < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "href too long");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(item, "href"))
        cJSON_ReplaceItemInObjectCaseSensitive(item, "href", cJSON_CreateString(href.data));
    else
        cJSON_AddStringToObject(item, "href", href.data);
out:
    tmfinv_buf_free(&href);
    if (rc < 0) {
        cJSON_Delete(item);
        return rc;
    }
    *out = item;
    return 0;
}

int tmfinv_events_type_name(const char *api, const char *type, char *out, size_t size)
{
    const char *entity = api && strcmp(api, "tmf639") == 0 ? "Resource" : "Service", *what;

    if (strcmp(type, TMFINV_EVENT_CREATE) == 0)
        what = "CreateEvent";
    else if (strcmp(type, TMFINV_EVENT_CHANGE) == 0)
        what = "AttributeValueChangeEvent";
    else if (strcmp(type, TMFINV_EVENT_STATE) == 0)
        what = "StateChangeEvent";
    else if (strcmp(type, TMFINV_EVENT_DELETE) == 0)
        what = "DeleteEvent";
    else
        return tmfinv_error_set(TMFINV_EINVALID, "unknown event type '%s'", type);
    (void)snprintf(out, size, "%s%s", entity, what);
    return 0;
}

int tmfinv_events_render(const tmfinv_model *m, const tmfinv_event *e, const char *base, cJSON **out, char *type,
                         size_t type_size)
{
    const tmfinv_definition *d = tmfinv_model_find(m, e->definition);
    cJSON *values = cJSON_Parse(e->values ? e->values : "{}"), *entity = NULL, *body = NULL, *payload;
    char id[32];
    int rc;

    if ((rc = tmfinv_events_type_name(d ? d->api : NULL, e->type, type, type_size)) < 0 ||
        (rc = tmfinv_events_entity(m, e->definition, e->instance_id, e->raw, values, base, &entity)) < 0)
        goto out;
    (void)snprintf(id, sizeof(id), "%lld", (long long)e->id);
    if (!(body = cJSON_CreateObject()) || !cJSON_AddStringToObject(body, "eventId", id) ||
        !cJSON_AddStringToObject(body, "eventTime", e->time) || !cJSON_AddStringToObject(body, "eventType", type)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (strcmp(e->type, TMFINV_EVENT_CHANGE) == 0 && e->fields) {
        /* fieldPath: the changed fields of this write, comma-separated (docs/events.md). */
        cJSON *names = cJSON_Parse(e->fields), *n;
        tmfinv_buf path;

        tmfinv_buf_init(&path, 1024 * 1024);
        cJSON_ArrayForEach(n, names)
            if (cJSON_IsString(n) && (rc = tmfinv_buf_printf(&path, "%s%s", path.len ? "," : "", n->valuestring)) < 0)
                break;
        cJSON_Delete(names);
        if (rc == 0 && !cJSON_AddStringToObject(body, "fieldPath", path.data ? path.data : ""))
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        tmfinv_buf_free(&path);
        if (rc < 0)
            goto out;
    }
    if (!(payload = cJSON_AddObjectToObject(body, "event"))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_AddItemToObject(payload, d && strcmp(d->api, "tmf639") == 0 ? "resource" : "service", entity);
    entity = NULL;
    *out = body;
    body = NULL;
out:
    cJSON_Delete(values);
    cJSON_Delete(entity);
    cJSON_Delete(body);
    return rc;
}

/* ---- hub queries ---- */

/* Calls fn for each "name=value" term of query (copies of at most 512 bytes each). */
static int each_term(const char *query, int (*fn)(const char *name, const char *value, void *ctx), void *ctx)
{
    const char *p = query;

    while (p && *p) {
        const char *end = strchr(p, '&'), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char term[512];
        int rc;

        if (len >= sizeof(term))
            return tmfinv_error_set(TMFINV_EINVALID, "query: a term longer than %zu bytes", sizeof(term) - 1);
        memcpy(term, p, len);
        term[len] = '\0';
        eq = strchr(term, '=');
        if (!eq || eq == term || !eq[1])
            return tmfinv_error_set(TMFINV_EINVALID, "query: '%.100s' is not NAME=VALUE", term);
        term[eq - term] = '\0';
        if ((rc = fn(term, eq + 1, ctx)) != 0)
            return rc;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int check_term(const char *name, const char *value, void *ctx)
{
    (void)value;
    (void)ctx;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '@'))
            return tmfinv_error_set(TMFINV_EINVALID, "query: '%.100s' is not a name (letters, digits, '.', '_', '@')",
                                    name);
    return 0;
}

int tmfinv_events_query_check(const char *query)
{
    return query ? each_term(query, check_term, NULL) : 0;
}

typedef struct match_ctx {
    const char *type;
    const cJSON *entity;
} match_ctx;

/* 1 when `want` is one of the comma-separated values of `list`. */
static int in_list(const char *list, const char *want)
{
    size_t n = strlen(want);

    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len == n && strncmp(p, want, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* Returns 1 (stop: no match) when the term does not hold. */
static int term_fails(const char *name, const char *value, void *ctx)
{
    match_ctx *m = ctx;
    const cJSON *at = m->entity;
    char path[512], *step, *next;

    if (strcmp(name, "eventType") == 0)
        return !in_list(value, m->type);
    (void)snprintf(path, sizeof(path), "%s", name);
    /* "event.service.x" and "x" both name the entity's member x. */
    step = path;
    if (strncmp(step, "event.", 6) == 0) {
        step += 6;
        if ((next = strchr(step, '.')))
            step = next + 1;
    }
    for (; step && at; step = next) {
        if ((next = strchr(step, '.')))
            *next++ = '\0';
        at = cJSON_GetObjectItemCaseSensitive(at, step);
    }
    if (cJSON_IsString(at))
        return !in_list(value, at->valuestring);
    if (cJSON_IsNumber(at) || cJSON_IsBool(at)) {
        char *text = cJSON_PrintUnformatted(at);
        int fails = !text || !in_list(value, text);

        free(text);
        return fails;
    }
    return 1;
}

int tmfinv_events_query_match(const char *query, const char *event_type, const cJSON *entity)
{
    match_ctx m = {event_type, entity};

    return !query || !*query || each_term(query, term_fails, &m) == 0;
}

int tmfinv_events_sign(const char *secret, const char *body, size_t len, char *out, size_t size)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (size < 72 || !HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &n))
        return tmfinv_error_set(TMFINV_EINVALID, "cannot sign the event");
    memcpy(out, "sha256=", 7);
    for (unsigned int i = 0; i < n; i++)
        (void)snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    return 0;
}
