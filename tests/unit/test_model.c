/* test_model.c: loading profiles (good and bad), classification, keys, exclusion,
 * status rules, mapping with type conversion, validation and owners. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "model.h"
#include "tmfinv_error.h"

static tmfinv_model *load_profile(const char *name)
{
    tmfinv_model *m = NULL;
    char *path = NULL;

    assert_int_equal(tmfinv_model_profile_path(name, &path), 0);
    if (tmfinv_model_load(path, &m) < 0)
        fail_msg("%s", tmfinv_error_last());
    free(path);
    return m;
}

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    assert_non_null(j);
    return j;
}

static void test_model__shipped_profiles_load(void **state)
{
    tmfinv_model *ses = load_profile("ses"), *tmf = load_profile("tmf");
    const tmfinv_definition *d;

    (void)state;
    assert_int_equal(ses->n_definitions, 3);
    d = tmfinv_model_find(ses, "Resource");
    assert_non_null(d);
    assert_string_equal(d->fields[d->key_field].name, "id");
    assert_string_equal(d->fields[d->status_field].name, "status");
    assert_int_equal(d->n_exclude_types, 7);
    d = tmfinv_model_find(ses, "Service");
    assert_string_equal(d->fields[d->key_field].name, "externalId");
    d = tmfinv_model_find(tmf, "Service");
    assert_string_equal(d->fields[d->key_field].name, "id");
    assert_string_equal(d->fields[d->status_field].from[0].text, "state");
    /* Same names, different rules: the two profiles cannot be merged. */
    assert_int_equal(tmfinv_model_merge(ses, tmf), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), "differs"));
    tmfinv_model_free(ses);
}

static void expect_bad_profile(const char *text, const char *needle)
{
    char *path = write_temp(".json", text);
    tmfinv_model *m = NULL;

    assert_int_equal(tmfinv_model_load(path, &m), TMFINV_EINVALID);
    assert_null(m);
    if (!strstr(tmfinv_error_last(), needle) || !strstr(tmfinv_error_last(), path))
        fail_msg("error '%s' lacks '%s' or the file name", tmfinv_error_last(), needle);
    remove_temp(path);
}

#define DEF_HEAD "{\"profile\":\"t\",\"definitions\":[{\"name\":\"X\",\"api\":\"tmf639\",\"key\":\"id\","
#define ID_FIELD "{\"name\":\"id\",\"type\":\"string\",\"from\":\"id\"}"
#define STATUS_FIELD "{\"name\":\"status\",\"type\":\"string\",\"from\":\"status\"}"

static void test_model__bad_profiles_are_named(void **state)
{
    (void)state;
    expect_bad_profile("{\n  \"profile\": \"t\",\n  \"definitions\": [\n    {,}\n", ":4:");
    expect_bad_profile("[]", "must hold a JSON object");
    expect_bad_profile("{\"profile\":\"t\",\"definitions\":[]}", "definitions: must be a non-empty array");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                ",{\"name\":\"n\",\"type\":\"strng\",\"from\":\"n\"}]}]}]}",
                       "definitions[0].sections[0].fields[2].type: unknown type 'strng'");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" STATUS_FIELD "]}]}]}",
                       "definitions[0].key: 'id' is not a field");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "]}]}]}",
                       "definitions[0].status: 'status' is not a field");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                ",{\"name\":\"n\",\"type\":\"string\",\"owner\":\"local\",\"from\":\"n\"}]}]}]}",
                       "fields[2].from: a local field is not filled from the source");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                ",{\"name\":\"n\",\"type\":\"string\"}]}]}]}",
                       "fields[2].from: missing");
    expect_bad_profile(DEF_HEAD "\"colour\":1,\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                "]}]}]}",
                       "definitions[0].colour: unknown key");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                ",{\"name\":\"r\",\"type\":\"reference\",\"references\":\"Nope\",\"from\":\"r\"}]}]}]}",
                       "no definition 'Nope'");
    expect_bad_profile(DEF_HEAD "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD
                                ",{\"name\":\"p\",\"type\":\"string\",\"from\":\"a[x\"}]}]}]}",
                       "bad '[...]' in path 'a[x'");
    expect_bad_profile("{\"profile\":\"t\",\"definitions\":[{\"name\":\"X\",\"api\":\"tmf640\",\"key\":\"id\"}]}",
                       "definitions[0].api: unknown API 'tmf640'");
}

static void test_model__classify_and_keys(void **state)
{
    tmfinv_model *m = load_profile("ses");
    cJSON *carrier = parse("{\"id\":\"c1\",\"@type\":\"element\",\"externalId\":\"CAR-1\"}");
    cJSON *service = parse("{\"id\":\"s1\",\"@type\":\"Service\",\"externalId\":\"\"}");
    cJSON *resource = parse("{\"id\":\"r1\",\"@type\":\"Card\"}");
    const tmfinv_definition *d;
    const char *type;
    char *key = NULL;

    (void)state;
    d = tmfinv_model_classify(m, "tmf638", carrier);
    assert_string_equal(d->name, "Carrier");
    assert_int_equal(tmfinv_definition_key(d, carrier, &key), 0);
    assert_string_equal(key, "CAR-1");
    free(key);
    d = tmfinv_model_classify(m, "tmf638", service);
    assert_string_equal(d->name, "Service");
    assert_int_equal(tmfinv_definition_key(d, service, &key), 0);
    assert_null(key); /* empty externalId: no key */
    d = tmfinv_model_classify(m, "tmf639", resource);
    assert_string_equal(d->name, "Resource");
    assert_true(tmfinv_definition_excluded(d, resource, &type));
    assert_string_equal(type, "Card");
    cJSON_Delete(carrier);
    cJSON_Delete(service);
    cJSON_Delete(resource);
    tmfinv_model_free(m);
}

static void test_model__status_rules_compare_exactly(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *svc = tmfinv_model_find(m, "Service"), *car = tmfinv_model_find(m, "Carrier");

    (void)state;
    assert_true(tmfinv_definition_keeps(svc, "Operational"));
    assert_false(tmfinv_definition_keeps(svc, "operational"));
    assert_false(tmfinv_definition_keeps(svc, "Degraded"));
    assert_false(tmfinv_definition_keeps(svc, NULL));
    assert_true(tmfinv_definition_keeps(car, "Degraded"));
    assert_false(tmfinv_definition_keeps(car, "Deprecated"));
    assert_true(tmfinv_definition_keeps(car, "deprecated")); /* not the same status */
    tmfinv_model_free(m);
}

static void test_model__map_converts_and_validates(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *car = tmfinv_model_find(m, "Carrier");
    cJSON *item = parse("{\"id\":\"c1\",\"@type\":\"element\",\"externalId\":\"CAR-1\",\"status\":\"Operational\","
                        "\"lastUpdate\":\"2026-01-01T00:00:00Z\","
                        "\"place\":[{\"role\":\"Gateway\",\"name\":\"GW-Betzdorf\"},{\"role\":\"Terminal\",\"name\":\"T1\"}],"
                        "\"supportingResource\":[{\"id\":\"sat-1\",\"@referredType\":\"Satellite\"},"
                        "{\"id\":\"tp-1\",\"@referredType\":\"Transponder\"}],"
                        "\"serviceRelationship\":[{\"relationshipType\":\"parent\",\"service\":{\"id\":\"p1\"}}],"
                        "\"serviceCharacteristic\":[{\"name\":\"uplinkFrequency\",\"value\":\"14250.5\"},"
                        "{\"name\":\"symbolRate\",\"value\":30},{\"name\":\"polarisation\",\"value\":\"H\"}]}");
    cJSON *values = NULL;
    tmfinv_reject why = {{0}, {0}};

    (void)state;
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "gateway")->valuestring, "GW-Betzdorf");
    assert_string_equal(cJSON_GetObjectItem(values, "terminal")->valuestring, "T1");
    assert_string_equal(cJSON_GetObjectItem(values, "satellite")->valuestring, "sat-1");
    assert_string_equal(cJSON_GetObjectItem(values, "transponder")->valuestring, "tp-1");
    assert_true(cJSON_GetObjectItem(values, "uplinkFrequency")->valuedouble == 14250.5);
    assert_true(cJSON_GetObjectItem(values, "symbolRate")->valuedouble == 30.0);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(values, "parent"), 0)->valuestring, "p1");
    assert_null(cJSON_GetObjectItem(values, "note")); /* local: never mapped */
    cJSON_Delete(values);

    /* A status outside the declared set is rejected, naming field and value. */
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("operational"));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "status");
    assert_non_null(strstr(why.reason, "'operational' is not one of Operational"));
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("Operational"));

    /* A frequency that is not a number. */
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(item, "serviceCharacteristic"), 0), "value",
                              cJSON_CreateString("fourteen GHz"));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "uplinkFrequency");
    assert_non_null(strstr(why.reason, "expected double, got string 'fourteen GHz'"));
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(item, "serviceCharacteristic"), 0), "value",
                              cJSON_CreateNumber(14000));

    /* A bad date-time. */
    cJSON_ReplaceItemInObject(item, "lastUpdate", cJSON_CreateString("yesterday"));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "lastUpdate");

    /* A missing required key field. */
    cJSON_ReplaceItemInObject(item, "lastUpdate", cJSON_CreateString("2026-01-01T00:00:00.5+01:00"));
    cJSON_DeleteItemFromObject(item, "externalId");
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "externalId");
    cJSON_Delete(item);

    /* Something that is not an object. */
    item = parse("[1,2]");
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    cJSON_Delete(item);

    /* An over-long string. */
    {
        char *big = malloc(TMFINV_MAX_STRING + 2);

        memset(big, 'x', TMFINV_MAX_STRING + 1);
        big[TMFINV_MAX_STRING + 1] = '\0';
        item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "externalId", "CAR-2");
        cJSON_AddStringToObject(item, "name", big);
        assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
        assert_string_equal(why.field, "name");
        cJSON_Delete(item);
        free(big);
    }
    tmfinv_model_free(m);
}

static void test_model__modem_status_owner_is_initial(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *res = tmfinv_model_find(m, "Resource");
    const tmfinv_field *status = tmfinv_definition_field(res, "status");
    cJSON *modem = parse("{\"type\":\"Modem\"}"), *by_category = parse("{\"type\":\"X\",\"category\":\"Modem\"}");
    cJSON *antenna = parse("{\"type\":\"Antenna\"}");

    (void)state;
    assert_int_equal(tmfinv_field_owner(status, modem), TMFINV_OWNER_INITIAL);
    assert_int_equal(tmfinv_field_owner(status, by_category), TMFINV_OWNER_INITIAL);
    assert_int_equal(tmfinv_field_owner(status, antenna), TMFINV_OWNER_SOURCE);
    assert_int_equal(tmfinv_field_owner(tmfinv_definition_field(res, "note"), antenna), TMFINV_OWNER_LOCAL);
    cJSON_Delete(modem);
    cJSON_Delete(by_category);
    cJSON_Delete(antenna);
    tmfinv_model_free(m);
}

static void test_model__field_parse_for_set(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *res = tmfinv_model_find(m, "Resource");
    cJSON *v = NULL;

    (void)state;
    assert_int_equal(tmfinv_field_parse(res, tmfinv_definition_field(res, "status"), "Down", &v), 0);
    assert_string_equal(v->valuestring, "Down");
    cJSON_Delete(v);
    assert_int_equal(tmfinv_field_parse(res, tmfinv_definition_field(res, "status"), "Broken", &v), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), "'Broken' is not one of"));
    tmfinv_model_free(m);
}

static void test_model__wrong_shapes_are_rejected(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *car = tmfinv_model_find(m, "Carrier"), *res = tmfinv_model_find(m, "Resource");
    cJSON *item = parse("{\"externalId\":\"CAR-1\",\"status\":\"Operational\","
                        "\"serviceCharacteristic\":{\"name\":\"symbolRate\",\"value\":30}}");
    cJSON *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    char *key = NULL;

    (void)state;
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), TMFINV_EINVALID);
    assert_non_null(strstr(why.reason, "'serviceCharacteristic' is an object, expected an array"));
    cJSON_Delete(item);
    /* A key of the wrong shape is an error, not an empty key. */
    item = parse("{\"externalId\":{\"value\":\"CAR-1\"}}");
    assert_int_equal(tmfinv_definition_key(car, item, &key), TMFINV_EINVALID);
    assert_null(key);
    assert_non_null(strstr(tmfinv_error_last(), "key 'externalId' is an object"));
    cJSON_Delete(item);
    /* Alternative paths: place as one object (v4) or as an array (v5) are both fine. */
    item = parse("{\"id\":\"r1\",\"place\":{\"name\":\"Betzdorf\",\"id\":\"p1\"}}");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "site")->valuestring, "Betzdorf");
    cJSON_Delete(values);
    cJSON_Delete(item);
    item = parse("{\"id\":\"r1\",\"place\":[{\"name\":\"Betzdorf\",\"id\":\"p1\"}]}");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "site")->valuestring, "Betzdorf");
    cJSON_Delete(values);
    cJSON_Delete(item);
    item = parse("{\"id\":\"r1\",\"place\":[]}");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), 0);
    cJSON_Delete(values);
    cJSON_Delete(item);
    item = parse("{\"id\":\"r1\",\"place\":\"Betzdorf\"}");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "site");
    cJSON_Delete(item);
    tmfinv_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model__shipped_profiles_load),
        cmocka_unit_test(test_model__bad_profiles_are_named),
        cmocka_unit_test(test_model__classify_and_keys),
        cmocka_unit_test(test_model__status_rules_compare_exactly),
        cmocka_unit_test(test_model__map_converts_and_validates),
        cmocka_unit_test(test_model__modem_status_owner_is_initial),
        cmocka_unit_test(test_model__field_parse_for_set),
        cmocka_unit_test(test_model__wrong_shapes_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
