/* types.c: the store's value types (instances, source totals): freeing and rendering them.
 * The lowest layer of the store: the dispatcher (store.c) and every backend use it, and it
 * uses neither, so no backend calls back into the dispatcher. */
#include "store.h"

#include <stdlib.h>

void tmfinv_instance_free(tmfinv_instance *inst)
{
    if (!inst)
        return;
    free(inst->definition);
    free(inst->key);
    free(inst->source);
    free(inst->status);
    free(inst->removed_reason);
    cJSON_Delete(inst->fields);
    free(inst->raw);
    free(inst->stale);
    free(inst);
}

cJSON *tmfinv_instance_json(const tmfinv_instance *inst)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", inst->id);
    cJSON_AddStringToObject(o, "definition", inst->definition);
    cJSON_AddStringToObject(o, "key", inst->key);
    if (inst->status)
        cJSON_AddStringToObject(o, "status", inst->status);
    else
        cJSON_AddNullToObject(o, "status");
    cJSON_AddBoolToObject(o, "removed", inst->removed);
    if (inst->removed_reason)
        cJSON_AddStringToObject(o, "removedReason", inst->removed_reason);
    cJSON_AddBoolToObject(o, "stale", inst->stale != NULL);
    if (inst->stale)
        cJSON_AddStringToObject(o, "staleReason", inst->stale);
    cJSON_AddStringToObject(o, "source", inst->source);
    cJSON_AddStringToObject(o, "created", inst->created);
    cJSON_AddStringToObject(o, "modified", inst->modified);
    cJSON_AddItemToObject(o, "fields", cJSON_Duplicate(inst->fields, 1));
    return o;
}

void tmfinv_source_totals_free(tmfinv_source_totals *totals, size_t n)
{
    for (size_t i = 0; totals && i < n; i++)
        free(totals[i].source);
    free(totals);
}
