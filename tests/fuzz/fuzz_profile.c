/* fuzz_profile.c: the profile loader on arbitrary bytes (tmfinv_model_load_text), and,
 * for a profile it accepts, what the sync then does with it: merging it with itself
 * (same definitions, same fingerprints), classifying and mapping a few items of both
 * APIs through the paths, conditions and rules it declares.
 *
 * Checked besides the sanitizers: a profile that fails to load says why in one line of
 * valid UTF-8; a loaded profile merges with a second load of itself. */
#include "fuzz.h"

#include "model.h"
#include "tmfinv_error.h"
#include "tmfinv_utf8.h"

#include <string.h>

static const char *const sample_items[] = {
    "{\"id\":\"svc-1\",\"@type\":\"Service\",\"externalId\":\"CFS-1\",\"name\":\"service 1\",\"status\":\"Operational\","
    "\"state\":\"active\",\"category\":\"CFS\",\"startDate\":\"2024-01-02T03:04:05Z\",\"serviceCharacteristic\":"
    "[{\"name\":\"elementType\",\"value\":\"modem\"},{\"name\":\"symbolRate\",\"value\":27.5}],\"relatedParty\":"
    "[{\"id\":\"org-1\",\"name\":\"customer 1\",\"role\":\"Customer\"}],\"place\":[{\"name\":\"Betzdorf\",\"role\":"
    "\"Site\"}],\"supportingResource\":[{\"id\":\"res-1\"}]}",
    "{\"id\":\"res-1\",\"@type\":\"element\",\"name\":\"modem 1\",\"resourceStatus\":\"available\",\"category\":\"modem\","
    "\"resourceCharacteristic\":[{\"name\":\"serialNumber\",\"value\":\"SN1\"},{\"name\":\"ports\",\"value\":[1,2]}],"
    "\"resourceRelationship\":[{\"relationshipType\":\"contains\",\"resource\":{\"id\":\"res-2\"}}]}",
    "{\"id\":7,\"name\":null,\"status\":[\"x\"],\"place\":\"here\",\"relatedParty\":{\"role\":\"Customer\"}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *items[sizeof(sample_items) / sizeof(sample_items[0])];
    static const char *const apis[2] = {"tmf638", "tmf639"};
    tmfinv_model *m = NULL, *again = NULL;
    const char *msg;
    size_t i;

    if (!items[0])
        for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
            if (!(items[i] = cJSON_Parse(sample_items[i])))
                abort();
    if (tmfinv_model_load_text("fuzz.json", (const char *)data, size, &m) < 0) {
        msg = tmfinv_error_last();
        FUZZ_CHECK(*msg && !strchr(msg, '\n'));
        FUZZ_CHECK(tmfinv_utf8_valid(msg, strlen(msg)));
        FUZZ_CHECK(m == NULL);
        return 0;
    }
    for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        for (int a = 0; a < 2; a++) {
            const tmfinv_definition *d = tmfinv_model_classify(m, apis[a], items[i]);
            tmfinv_reject why;
            cJSON *values = NULL;
            const char *type;
            char *key = NULL;

            if (!d)
                continue;
            if (tmfinv_definition_key(d, items[i], &key) == 0)
                free(key);
            (void)tmfinv_definition_excluded(d, items[i], &type);
            (void)tmfinv_definition_keeps(d, tmfinv_definition_source_status(d, items[i]));
            if (tmfinv_definition_map(d, items[i], &values, &why) == 0) {
                for (size_t f = 0; f < d->n_fields; f++)
                    (void)tmfinv_field_owner(&d->fields[f], values);
                cJSON_Delete(values);
            }
        }
    FUZZ_CHECK(tmfinv_model_load_text("fuzz.json", (const char *)data, size, &again) == 0);
    FUZZ_CHECK(tmfinv_model_merge(m, again) == 0);
    tmfinv_model_free(m);
    return 0;
}
