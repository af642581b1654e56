/* events_json.c: dead letters and receivers as JSON, the shape shared by `tmfinv events
 * --json` and GET /api/v1/events. */
#include "events.h"

#include <stdio.h>

static void add_text(cJSON *o, const char *name, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

cJSON *tmfinv_events_dead_json(const tmfinv_dead_letter *d)
{
    cJSON *o = cJSON_CreateObject();
    char id[32];

    if (!o)
        return NULL;
    (void)snprintf(id, sizeof(id), "%lld", (long long)d->event_id);
    cJSON_AddNumberToObject(o, "id", (double)d->id);
    add_text(o, "receiver", d->receiver);
    cJSON_AddStringToObject(o, "eventId", id);
    add_text(o, "state", d->state);
    cJSON_AddNumberToObject(o, "tries", (double)d->tries);
    add_text(o, "error", d->error);
    add_text(o, "firstTry", d->first_try);
    add_text(o, "lastTry", d->last_try);
    return o;
}

cJSON *tmfinv_events_receiver_json(const tmfinv_receiver *r)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    add_text(o, "name", r->name);
    add_text(o, "kind", r->kind);
    if (r->api)
        cJSON_AddStringToObject(o, "api", r->api);
    if (r->callback)
        cJSON_AddStringToObject(o, "callback", r->callback);
    if (r->query)
        cJSON_AddStringToObject(o, "query", r->query);
    add_text(o, "created", r->created);
    cJSON_AddNumberToObject(o, "cursor", (double)r->cursor);
    cJSON_AddNumberToObject(o, "delivered", (double)r->delivered);
    cJSON_AddNumberToObject(o, "pending", (double)r->pending);
    cJSON_AddNumberToObject(o, "dead", (double)r->dead);
    return o;
}
