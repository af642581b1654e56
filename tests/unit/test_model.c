/* test_model.c: loading profiles (good and bad), classification, keys (trimmed), exclusion,
 * status rules, matching (case, white space, synonyms, "match": "exact"), mapping with
 * type conversion, validation and owners; text that is not UTF-8 or holds a NUL, in pages,
 * values typed for `set` and profiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "model.h"
#include "tmfinv_error.h"
#include "tmfinv_utf8.h"

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

static void test_model__status_rules_ignore_case_and_space(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *svc = tmfinv_model_find(m, "Service"), *car = tmfinv_model_find(m, "Carrier");

    (void)state;
    assert_true(tmfinv_definition_keeps(svc, "Operational"));
    assert_true(tmfinv_definition_keeps(svc, "operational"));
    assert_true(tmfinv_definition_keeps(svc, "OPERATIONAL"));
    assert_true(tmfinv_definition_keeps(svc, " \tOperational "));
    assert_false(tmfinv_definition_keeps(svc, "Oper ational")); /* inner space counts */
    assert_false(tmfinv_definition_keeps(svc, "Degraded"));
    assert_false(tmfinv_definition_keeps(svc, NULL));
    assert_true(tmfinv_definition_keeps(car, "Degraded"));
    assert_false(tmfinv_definition_keeps(car, "Deprecated"));
    assert_false(tmfinv_definition_keeps(car, "deprecated")); /* SES's own spelling */
    assert_false(tmfinv_definition_keeps(car, "DEPRECATED  "));
    assert_true(tmfinv_definition_keeps(car, "Deprecatedx"));
    tmfinv_model_free(m);
}

/* Types and classification values: case and surrounding space ignored, the value as sent
 * kept; the shipped ServiceNow class name of a card is a Card. */
static void test_model__types_and_classification_ignore_case(void **state)
{
    tmfinv_model *m = load_profile("ses");
    cJSON *el = parse("{\"@type\":\" Element \",\"externalId\":\"C\"}");
    cJSON *card = parse("{\"@type\":\"card\",\"id\":\"r1\"}");
    cJSON *sn_card = parse("{\"@type\":\"CMDB_CI_INTERFACE_CARD\",\"id\":\"r2\"}");
    cJSON *antenna = parse("{\"@type\":\"Antenna\",\"id\":\"r3\"}");
    cJSON *modem = parse("{\"type\":\"MODEM \"}"), *cat = parse("{\"type\":\"X\",\"category\":\"modem\"}");
    const tmfinv_definition *d, *res = tmfinv_model_find(m, "Resource");
    char *const listed[] = {"Port", " card"};
    const char *type;

    (void)state;
    d = tmfinv_model_classify(m, "tmf638", el);
    assert_string_equal(d->name, "Carrier");
    assert_true(tmfinv_definition_excluded(res, card, &type));
    assert_string_equal(type, "card"); /* as sent, for the reason */
    assert_true(tmfinv_definition_excluded(res, sn_card, &type));
    assert_false(tmfinv_definition_excluded(res, antenna, &type));
    /* A source's exclude_types: the same matching, synonyms on both sides. */
    assert_true(tmfinv_definition_type_listed(res, "CARD", listed, 2));
    assert_true(tmfinv_definition_type_listed(res, "cmdb_ci_interface_card", listed, 2));
    assert_false(tmfinv_definition_type_listed(res, "Antenna", listed, 2));
    assert_int_equal(tmfinv_field_owner(tmfinv_definition_field(res, "status"), modem), TMFINV_OWNER_INITIAL);
    assert_int_equal(tmfinv_field_owner(tmfinv_definition_field(res, "status"), cat), TMFINV_OWNER_INITIAL);
    cJSON_Delete(el);
    cJSON_Delete(card);
    cJSON_Delete(sn_card);
    cJSON_Delete(antenna);
    cJSON_Delete(modem);
    cJSON_Delete(cat);
    tmfinv_model_free(m);
}

#define MATCH_PROFILE(match)                                                                          \
    "{\"profile\":\"t\"," match "\"definitions\":["                                                   \
    "{\"name\":\"Carrier\",\"api\":\"tmf638\",\"match\":{\"path\":\"@type\",\"equals\":\"element\"}," \
    "\"key\":\"id\",\"statuses\":[\"Up\",\"Deprecated\"],\"drop_statuses\":[\"Deprecated\"],"    \
    "\"status_synonyms\":{\"Deprecated\":[\"retired\",\"gone\"],\"Up\":\"in service\"},"             \
    "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD ","                                          \
    "{\"name\":\"status\",\"type\":\"enum\",\"from\":\"status\"}]}]},"                              \
    "{\"name\":\"Resource\",\"api\":\"tmf639\",\"key\":\"id\","                                     \
    "\"exclude\":{\"path\":\"@type\",\"types\":[\"Card\"]},"                                        \
    "\"type_synonyms\":{\"Modem\":[\"cmdb_ci_modem\"],\"Card\":[\"line card\"]},"                     \
    "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD ","                         \
    "{\"name\":\"type\",\"type\":\"string\",\"from\":\"@type\"}]}]}]}"

static tmfinv_model *load_text(const char *text)
{
    tmfinv_model *m = NULL;

    if (tmfinv_model_load_text("t.json", text, strlen(text), &m) < 0)
        fail_msg("%s", tmfinv_error_last());
    return m;
}

/* Synonyms make a value count as its canonical one for the rules; the value is stored as
 * sent. A modem by its ServiceNow class name keeps its status as initial. */
static void test_model__synonyms_count_as_their_canonical_value(void **state)
{
    tmfinv_model *m = load_text(MATCH_PROFILE(""));
    const tmfinv_definition *car = tmfinv_model_find(m, "Carrier"), *res = tmfinv_model_find(m, "Resource");
    cJSON *item = parse("{\"@type\":\"ELEMENT\",\"id\":\"c1\",\"status\":\" Retired\"}"), *values = NULL;
    cJSON *modem = parse("{\"type\":\"CMDB_CI_MODEM\"}"), *card = parse("{\"@type\":\"Line Card\"}");
    tmfinv_reject why = {{0}, {0}};
    const char *type;

    (void)state;
    assert_false(tmfinv_definition_keeps(car, "retired"));
    assert_false(tmfinv_definition_keeps(car, "GONE"));
    assert_true(tmfinv_definition_keeps(car, "In Service"));
    assert_true(tmfinv_definition_keeps(car, "Up"));
    assert_ptr_equal(tmfinv_model_classify(m, "tmf638", item), car);
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), 0); /* a synonym is a known status */
    assert_string_equal(cJSON_GetObjectItem(values, "status")->valuestring, " Retired");
    cJSON_Delete(values);
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("Retyred"));
    assert_false(tmfinv_definition_status_known(car, "Retyred"));
    assert_true(tmfinv_definition_status_known(car, " GONE "));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), 0); /* unknown: stored as sent */
    assert_string_equal(cJSON_GetObjectItem(values, "status")->valuestring, "Retyred");
    cJSON_Delete(values);
    assert_int_equal(tmfinv_field_owner(tmfinv_definition_field(res, "status"), modem), TMFINV_OWNER_SOURCE);
    tmfinv_model_free(m);
    /* The Modem rule is on the mapped type: an owner_when of this profile's own. */
    m = load_text("{\"profile\":\"t\",\"definitions\":[{\"name\":\"R\",\"api\":\"tmf639\",\"key\":\"id\","
                  "\"type_synonyms\":{\"Modem\":[\"cmdb_ci_modem\"]},"
                  "\"exclude\":{\"path\":\"@type\",\"types\":[\"Card\"]},"
                  "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD ",{\"name\":\"type\",\"type\":\"string\","
                  "\"from\":\"@type\"},{\"name\":\"status\",\"type\":\"string\",\"from\":\"status\","
                  "\"owner_when\":[{\"field\":\"type\",\"equals\":\"Modem\",\"owner\":\"initial\"}]}]}]}]}");
    res = tmfinv_model_find(m, "R");
    assert_int_equal(tmfinv_field_owner(tmfinv_definition_field(res, "status"), modem), TMFINV_OWNER_INITIAL);
    assert_false(tmfinv_definition_excluded(res, card, &type));
    tmfinv_model_free(m);
    m = load_text(MATCH_PROFILE(""));
    assert_true(tmfinv_definition_excluded(tmfinv_model_find(m, "Resource"), card, &type));
    assert_string_equal(type, "Line Card");
    cJSON_Delete(item);
    cJSON_Delete(modem);
    cJSON_Delete(card);
    tmfinv_model_free(m);
}

/* "match": "exact" compares bytes, synonyms still exact; and it is part of the fingerprint. */
static void test_model__exact_matching_opts_out(void **state)
{
    tmfinv_model *m = load_text(MATCH_PROFILE("\"match\":\"exact\",")), *fold = load_text(MATCH_PROFILE(""));
    const tmfinv_definition *car = tmfinv_model_find(m, "Carrier"), *res = tmfinv_model_find(m, "Resource");
    cJSON *el = parse("{\"@type\":\"Element\",\"id\":\"c1\",\"status\":\"up\"}");
    cJSON *card = parse("{\"@type\":\"card\"}"), *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    const char *type;

    (void)state;
    assert_false(tmfinv_definition_keeps(car, "Deprecated"));
    assert_true(tmfinv_definition_keeps(car, "deprecated"));
    assert_false(tmfinv_definition_keeps(car, "retired"));
    assert_true(tmfinv_definition_keeps(car, "Retired"));
    assert_null(tmfinv_model_classify(m, "tmf638", el));
    assert_false(tmfinv_definition_excluded(res, card, &type));
    cJSON_ReplaceItemInObject(el, "@type", cJSON_CreateString("element"));
    assert_false(tmfinv_definition_status_known(car, "up"));
    assert_true(tmfinv_definition_status_known(car, "Up"));
    assert_int_equal(tmfinv_definition_map(car, el, &values, &why), 0); /* 'up' is unknown, kept as sent */
    cJSON_Delete(values);
    assert_string_not_equal(car->fingerprint, tmfinv_model_find(fold, "Carrier")->fingerprint);
    assert_int_equal(tmfinv_model_merge(fold, m), TMFINV_EINVALID);
    cJSON_Delete(el);
    cJSON_Delete(card);
    tmfinv_model_free(fold);
}

static void test_model__bad_matching_keys_are_named(void **state)
{
    (void)state;
    expect_bad_profile("{\"profile\":\"t\",\"match\":\"loose\",\"definitions\":[{}]}",
                       "match: unknown matching 'loose'");
    expect_bad_profile(DEF_HEAD "\"statuses\":[\"Up\"],\"status_synonyms\":{\"Down\":[\"off\"]},"
                                "\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD "," STATUS_FIELD "]}]}]}",
                       "definitions[0].status_synonyms: 'Down' is not a declared status");
    expect_bad_profile(DEF_HEAD "\"status_synonym\":{},\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD
                                "," STATUS_FIELD "]}]}]}",
                       "definitions[0].status_synonym: unknown key");
    expect_bad_profile(DEF_HEAD "\"type_synonyms\":[\"x\"],\"sections\":[{\"name\":\"s\",\"fields\":[" ID_FIELD
                                "," STATUS_FIELD "]}]}]}",
                       "definitions[0].type_synonyms: must be an object");
    expect_bad_profile(DEF_HEAD "\"type_synonyms\":{\"A\":[\"x\"],\"B\":\"X\"},\"sections\":[{\"name\":\"s\","
                                "\"fields\":[" ID_FIELD "," STATUS_FIELD "]}]}]}",
                       "type_synonyms: 'X' is a synonym of two values");
    expect_bad_profile(DEF_HEAD "\"type_synonyms\":{\"A\":[\"\"]},\"sections\":[{\"name\":\"s\","
                                "\"fields\":[" ID_FIELD "," STATUS_FIELD "]}]}]}",
                       "type_synonyms: 'A': each synonym is a non-empty string");
    expect_bad_profile(DEF_HEAD "\"type_synonyms\":{\"A\":5},\"sections\":[{\"name\":\"s\","
                                "\"fields\":[" ID_FIELD "," STATUS_FIELD "]}]}]}",
                       "type_synonyms: 'A': the synonyms of a value are a string or an array");
}

/* Keys lose the white space around them; one of only white space is an empty key. */
static void test_model__keys_are_trimmed(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *svc = tmfinv_model_find(m, "Service");
    cJSON *padded = parse("{\"externalId\":\"  CFS 1\\t \"}"), *spaces = parse("{\"externalId\":\" \\t\\r\\n \"}");
    char *key = NULL;

    (void)state;
    assert_int_equal(tmfinv_definition_key(svc, padded, &key), 0);
    assert_string_equal(key, "CFS 1"); /* inner space kept */
    free(key);
    assert_int_equal(tmfinv_definition_key(svc, spaces, &key), 0);
    assert_null(key);
    cJSON_Delete(padded);
    cJSON_Delete(spaces);
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

    /* Another case of a declared status is that status, kept as sent. */
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("operational"));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "status")->valuestring, "operational");
    cJSON_Delete(values);

    /* A status outside the declared set is no failure: mapped as sent (and reported by
     * tmfinv_definition_unknown_values(), see test_model__unknown_status_rule). */
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("In Service"));
    assert_int_equal(tmfinv_definition_map(car, item, &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "status")->valuestring, "In Service");
    cJSON_Delete(values);
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

typedef struct unknown_seen {
    char got[8][64];
    int n;
} unknown_seen;

static int collect_unknown(void *ctx, const tmfinv_field *f, const char *value)
{
    unknown_seen *u = ctx;

    if (u->n < 8)
        (void)snprintf(u->got[u->n++], sizeof(u->got[0]), "%s=%s", f->name, value);
    return 0;
}

/* An undeclared status goes by the definition's unknown_status rule (shipped: Carrier and
 * Resource keep, Service drops); unknown enum values are found for reporting; a person's
 * value (set) must still be one of the field's values. */
static void test_model__unknown_status_rule(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *car = tmfinv_model_find(m, "Carrier"), *svc = tmfinv_model_find(m, "Service");
    const tmfinv_definition *res = tmfinv_model_find(m, "Resource");
    cJSON *item = parse("{\"@type\":\"element\",\"externalId\":\"C\",\"status\":\"In Service\","
                        "\"state\":\"switchedOn\"}"), *v = NULL;
    unknown_seen u = {.n = 0};

    (void)state;
    assert_int_equal(car->unknown_status, TMFINV_UNKNOWN_KEEP);
    assert_int_equal(svc->unknown_status, TMFINV_UNKNOWN_DROP);
    assert_int_equal(res->unknown_status, TMFINV_UNKNOWN_KEEP);
    assert_true(tmfinv_definition_keeps(car, "In Service"));
    assert_false(tmfinv_definition_keeps(car, "deprecated"));
    assert_false(tmfinv_definition_keeps(svc, "In Service"));
    assert_true(tmfinv_definition_keeps(svc, " operational"));
    assert_true(tmfinv_definition_keeps(res, "Retired"));
    assert_true(tmfinv_definition_status_known(car, NULL));
    assert_int_equal(tmfinv_definition_unknown_values(car, item, collect_unknown, &u), 0);
    assert_int_equal(u.n, 2);
    assert_string_equal(u.got[0], "status=In Service");
    assert_string_equal(u.got[1], "state=switchedOn");
    cJSON_ReplaceItemInObject(item, "status", cJSON_CreateString("OPERATIONAL"));
    cJSON_DeleteItemFromObject(item, "state");
    u.n = 0;
    assert_int_equal(tmfinv_definition_unknown_values(car, item, collect_unknown, &u), 0);
    assert_int_equal(u.n, 0);
    assert_int_equal(tmfinv_field_parse(car, tmfinv_definition_field(car, "status"), "In Service", &v),
                     TMFINV_EINVALID);
    cJSON_Delete(item);
    tmfinv_model_free(m);
    /* Without the key, the status rules decide; a bad value is named. */
    m = load_text(MATCH_PROFILE(""));
    assert_int_equal(tmfinv_model_find(m, "Carrier")->unknown_status, TMFINV_UNKNOWN_RULES);
    assert_true(tmfinv_definition_keeps(tmfinv_model_find(m, "Carrier"), "whatever"));
    tmfinv_model_free(m);
    expect_bad_profile(DEF_HEAD "\"unknown_status\":\"maybe\",\"sections\":[{\"name\":\"s\",\"fields\":["
                       ID_FIELD "," STATUS_FIELD "]}]}]}",
                       "definitions[0].unknown_status: 'maybe': expected \"keep\" or \"drop\"");
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

/* Parses `text` (a page) and runs the page text check over it, as the fetcher does. */
static cJSON *parse_page(const char *text, size_t len)
{
    cJSON *items = cJSON_ParseWithLength(text, len);

    assert_non_null(items);
    assert_int_equal(tmfinv_model_mark_bad_text(items, text, len), 0);
    return items;
}

static void test_model__bad_text_in_items_is_rejected_naming_the_field(void **state)
{
    static const char page[] =
        "[{\"id\":\"r1\",\"name\":\"bad \xff\"},"
        "{\"id\":\"r2\",\"name\":\"before\\u0000after\"},"
        "{\"id\":\"r3\",\"name\":\"fine\",\"extra\":{\"deep\":[\"x\",\"\xed\xa0\x80\"]}},"
        "{\"id\":\"r4\\u0000\",\"name\":\"fine\"},"
        "{\"id\":\"r5\",\"name\":\"lit \\\\u0000 eral\"},"
        "{\"id\":\"r6\",\"\xc0\xaf\":1},"
        "\"\xff\"]";
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *res = tmfinv_model_find(m, "Resource");
    cJSON *items = parse_page(page, sizeof(page) - 1), *values = NULL;
    tmfinv_reject why = {{0}, {0}};
    char *key = NULL;

    (void)state;
    assert_int_equal(tmfinv_definition_map(res, cJSON_GetArrayItem(items, 0), &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "name");
    assert_non_null(strstr(why.reason, "not valid UTF-8"));
    assert_int_equal(tmfinv_definition_map(res, cJSON_GetArrayItem(items, 1), &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "name");
    assert_non_null(strstr(why.reason, "NUL"));
    /* No field maps it: the JSON path is named. */
    assert_int_equal(tmfinv_definition_map(res, cJSON_GetArrayItem(items, 2), &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "extra.deep[1]");
    /* The key with a NUL fails as a key, so it cannot stand for "r4". */
    assert_int_equal(tmfinv_definition_key(res, cJSON_GetArrayItem(items, 3), &key), TMFINV_EINVALID);
    assert_null(key);
    assert_non_null(strstr(tmfinv_error_last(), "NUL"));
    /* Other bad strings do not stop the key from being read (the report names it). */
    assert_int_equal(tmfinv_definition_key(res, cJSON_GetArrayItem(items, 1), &key), 0);
    assert_string_equal(key, "r2");
    free(key);
    /* An escaped backslash before u0000 is text. */
    assert_int_equal(tmfinv_definition_map(res, cJSON_GetArrayItem(items, 4), &values, &why), 0);
    assert_string_equal(cJSON_GetObjectItem(values, "name")->valuestring, "lit \\u0000 eral");
    cJSON_Delete(values);
    assert_int_equal(tmfinv_definition_map(res, cJSON_GetArrayItem(items, 5), &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "??");
    assert_non_null(strstr(why.reason, "member name"));
    /* A bad element that is not an object becomes null; bad bytes in the tree become '?'
     * (only the marker's own name is not UTF-8, so that no page can forge one). */
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(items, 6)));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "name")->valuestring, "bad ?");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 2),
                                                                                   "extra"), "deep"), 1)->valuestring,
                        "???");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 5), "??"));
    cJSON_Delete(items);
    tmfinv_model_free(m);
}

static void test_model__clean_pages_are_left_alone(void **state)
{
    static const char page[] = "[{\"id\":\"r1\",\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}]";
    cJSON *items = parse_page(page, sizeof(page) - 1);
    cJSON *same = cJSON_Parse(page);

    (void)state;
    assert_true(cJSON_Compare(items, same, 1));
    cJSON_Delete(items);
    cJSON_Delete(same);
}

static void test_model__mapped_strings_and_set_values_must_be_utf8(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *res = tmfinv_model_find(m, "Resource");
    cJSON *item = parse("{\"id\":\"r1\",\"name\":\"x\"}"), *values = NULL, *v = NULL;
    tmfinv_reject why = {{0}, {0}};
    char *key = NULL;

    (void)state;
    /* Without the page check (a tree built in memory) the field rules still hold. */
    cJSON_SetValuestring(cJSON_GetObjectItem(item, "name"), "ab\xc3");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "name");
    assert_string_equal(why.reason, "not valid UTF-8 (byte 2)");
    cJSON_SetValuestring(cJSON_GetObjectItem(item, "id"), "r\xff");
    assert_int_equal(tmfinv_definition_key(res, item, &key), TMFINV_EINVALID);
    assert_null(key);
    assert_int_equal(tmfinv_field_parse(res, tmfinv_definition_field(res, "note"), "caf\xc3\xa9", &v), 0);
    assert_string_equal(v->valuestring, "caf\xc3\xa9");
    cJSON_Delete(v);
    v = NULL;
    assert_int_equal(tmfinv_field_parse(res, tmfinv_definition_field(res, "note"), "\xed\xa0\x80", &v),
                     TMFINV_EINVALID);
    assert_null(v);
    assert_string_equal(tmfinv_error_last(), "not valid UTF-8 (byte 0)");
    /* A message quoting a long value never cuts a character in two. */
    cJSON_SetValuestring(cJSON_GetObjectItem(item, "id"), "r1");
    {
        char status[80];

        memset(status, 'a', sizeof(status));
        memcpy(status + 59, "\xc3\xa9", 2);
        status[sizeof(status) - 1] = '\0';
        cJSON_AddStringToObject(item, "status", status);
    }
    cJSON_SetValuestring(cJSON_GetObjectItem(item, "name"), "x");
    /* An unknown status is mapped as sent; a person's one (set) is refused, quoting it. */
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), 0);
    cJSON_Delete(values);
    assert_int_equal(tmfinv_field_parse(res, tmfinv_definition_field(res, "status"),
                                        cJSON_GetObjectItem(item, "status")->valuestring, &v), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), "is not one of"));
    assert_true(tmfinv_utf8_valid(tmfinv_error_last(), strlen(tmfinv_error_last())));
    /* An unknown enum value must still be UTF-8. */
    cJSON_SetValuestring(cJSON_GetObjectItem(item, "status"), "In\xc3 Service");
    assert_int_equal(tmfinv_definition_map(res, item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "status");
    cJSON_Delete(item);
    tmfinv_model_free(m);
}

static void test_model__profile_text_must_be_utf8_without_nul(void **state)
{
    static const char bad_byte[] = "{\"profile\":\"p\",\n \"description\":\"\xff\"}";
    static const char nul[] = "{\"profile\":\"p\\u0000x\"}";
    tmfinv_model *m = NULL;

    (void)state;
    assert_int_equal(tmfinv_model_load_text("p.json", bad_byte, sizeof(bad_byte) - 1, &m), TMFINV_EINVALID);
    assert_string_equal(tmfinv_error_last(), "p.json:2:17: not valid UTF-8");
    assert_int_equal(tmfinv_model_load_text("p.json", nul, sizeof(nul) - 1, &m), TMFINV_EINVALID);
    assert_string_equal(tmfinv_error_last(), "p.json:1:14: a NUL character (\\u0000) is not allowed");
    assert_null(m);
}

/* Found by fuzz_profile: a key holding an escaped newline broke the one-line message. */
static void test_model__profile_messages_stay_one_line(void **state)
{
    static const char text[] = "{\"profile\":\"p\",\"defi\\nitions\":[]}";
    tmfinv_model *m = NULL;

    (void)state;
    assert_int_equal(tmfinv_model_load_text("p.json", text, sizeof(text) - 1, &m), TMFINV_EINVALID);
    assert_string_equal(tmfinv_error_last(), "p.json: defi?itions: unknown key");
}

/* Characteristic lists (issue 8, point 4): name, value as sent (any JSON), valueType as sent
 * or absent; other members dropped; a bad element rejected naming its path; typed for set. */
static void test_model__characteristics_are_data(void **state)
{
    tmfinv_model *m = load_profile("ses");
    const tmfinv_definition *d = tmfinv_model_find(m, "Carrier");
    const tmfinv_field *f = tmfinv_definition_field(d, "serviceCharacteristic");
    tmfinv_reject why = {{0}, {0}};
    cJSON *item, *values = NULL, *v = NULL, *want;
    char *text;

    (void)state;
    assert_non_null(f);
    assert_int_equal(f->type, TMFINV_TYPE_CHARACTERISTIC);
    assert_string_equal(tmfinv_type_name(f->type), "characteristic");
    assert_true(tmfinv_definition_field(d, "supportingService")->active_only);
    item = parse("{\"@type\":\"element\",\"externalId\":\"CAR-1\",\"status\":\"Operational\","
                 "\"serviceSpecification\":{\"id\":\"ssp-1\",\"name\":\"Spec\"},\"serviceCharacteristic\":["
                 "{\"name\":\"band\",\"value\":\"Ku\",\"valueType\":\"string\",\"id\":\"x\",\"@type\":\"C\"},"
                 "{\"name\":\"occupiedBandwidth\",\"value\":36.5},"
                 "{\"name\":\"shape\",\"value\":{\"a\":[1,true]},\"valueType\":\"object\"},"
                 "{\"name\":\"empty\",\"valueType\":null}]}");
    assert_int_equal(tmfinv_definition_map(d, item, &values, &why), 0);
    want = parse("[{\"name\":\"band\",\"value\":\"Ku\",\"valueType\":\"string\"},"
                 "{\"name\":\"occupiedBandwidth\",\"value\":36.5},"
                 "{\"name\":\"shape\",\"value\":{\"a\":[1,true]},\"valueType\":\"object\"},{\"name\":\"empty\"}]");
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(values, "serviceCharacteristic"), want, 1));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(values, "band")->valuestring, "Ku");
    assert_true(cJSON_GetObjectItemCaseSensitive(values, "occupiedBandwidth")->valuedouble == 36.5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(values, "serviceSpecificationId")->valuestring, "ssp-1");
    text = tmfinv_characteristic_format(want, " = ", "|", 1);
    assert_string_equal(text, "band = Ku (string)|occupiedBandwidth = 36.5|shape = {\"a\":[1,true]} (object)|empty = ");
    free(text);
    text = tmfinv_characteristic_format(want, "=", ";", 0);
    assert_string_equal(text, "band=Ku;occupiedBandwidth=36.5;shape={\"a\":[1,true]};empty=");
    free(text);
    cJSON_Delete(want);
    cJSON_Delete(values);
    values = NULL;
    cJSON_Delete(item);

    /* Not an object, no string name, a valueType that is not text: rejected, the path named. */
    item = parse("{\"externalId\":\"CFS-1\",\"serviceCharacteristic\":[{\"name\":\"a\",\"value\":1},7]}");
    assert_int_equal(tmfinv_definition_map(tmfinv_model_find(m, "Service"), item, &values, &why), TMFINV_EINVALID);
    assert_string_equal(why.field, "serviceCharacteristic");
    assert_non_null(strstr(why.reason, "serviceCharacteristic[1] is number 7"));
    cJSON_Delete(item);
    item = parse("{\"externalId\":\"CAR-1\",\"serviceCharacteristic\":[{\"name\":5,\"value\":1}]}");
    assert_int_equal(tmfinv_definition_map(d, item, &values, &why), TMFINV_EINVALID);
    assert_non_null(strstr(why.reason, "serviceCharacteristic[0] has no name"));
    cJSON_Delete(item);
    item = parse("{\"externalId\":\"CAR-1\",\"serviceCharacteristic\":[{\"name\":\"a\",\"valueType\":3}]}");
    assert_int_equal(tmfinv_definition_map(d, item, &values, &why), TMFINV_EINVALID);
    assert_non_null(strstr(why.reason, "valueType is number 3"));
    cJSON_Delete(item);

    /* Typed by a person (set, --where): NAME=VALUE. */
    assert_int_equal(tmfinv_field_parse(d, f, "band=Ka,modcod=8PSK 3/4", &v), 0);
    want = parse("[{\"name\":\"band\",\"value\":\"Ka\"},{\"name\":\"modcod\",\"value\":\"8PSK 3/4\"}]");
    assert_true(cJSON_Compare(v, want, 1));
    cJSON_Delete(want);
    cJSON_Delete(v);
    assert_int_equal(tmfinv_field_parse(d, f, "no-equals", &v), TMFINV_EINVALID);
    tmfinv_model_free(m);
}

/* A profile's active_only is for source reference fields only. */
static void test_model__active_only_needs_a_reference(void **state)
{
    (void)state;
    expect_bad_profile("{\"profile\":\"t\",\"definitions\":[{\"name\":\"S\",\"api\":\"tmf638\",\"key\":\"id\","
                       "\"sections\":[{\"name\":\"s\",\"fields\":[{\"name\":\"id\",\"type\":\"string\",\"from\":\"id\"},"
                       "{\"name\":\"status\",\"type\":\"string\",\"from\":\"status\"},"
                       "{\"name\":\"x\",\"type\":\"string\",\"from\":\"x\",\"active_only\":true}]}]}]}",
                       "active_only: only reference fields are restricted to active instances");
    expect_bad_profile("{\"profile\":\"t\",\"definitions\":[{\"name\":\"S\",\"api\":\"tmf638\",\"key\":\"id\","
                       "\"sections\":[{\"name\":\"s\",\"fields\":[{\"name\":\"id\",\"type\":\"string\",\"from\":\"id\"},"
                       "{\"name\":\"status\",\"type\":\"string\",\"from\":\"status\"},"
                       "{\"name\":\"c\",\"type\":\"characteristic\",\"from\":\"c[*]\",\"list\":true,"
                       "\"format\":\"{name}\"}]}]}]}",
                       "characteristic keeps name, value and valueType as sent");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model__characteristics_are_data),
        cmocka_unit_test(test_model__active_only_needs_a_reference),
        cmocka_unit_test(test_model__shipped_profiles_load),
        cmocka_unit_test(test_model__bad_profiles_are_named),
        cmocka_unit_test(test_model__classify_and_keys),
        cmocka_unit_test(test_model__status_rules_ignore_case_and_space),
        cmocka_unit_test(test_model__types_and_classification_ignore_case),
        cmocka_unit_test(test_model__synonyms_count_as_their_canonical_value),
        cmocka_unit_test(test_model__exact_matching_opts_out),
        cmocka_unit_test(test_model__bad_matching_keys_are_named),
        cmocka_unit_test(test_model__keys_are_trimmed),
        cmocka_unit_test(test_model__map_converts_and_validates),
        cmocka_unit_test(test_model__unknown_status_rule),
        cmocka_unit_test(test_model__modem_status_owner_is_initial),
        cmocka_unit_test(test_model__field_parse_for_set),
        cmocka_unit_test(test_model__wrong_shapes_are_rejected),
        cmocka_unit_test(test_model__bad_text_in_items_is_rejected_naming_the_field),
        cmocka_unit_test(test_model__clean_pages_are_left_alone),
        cmocka_unit_test(test_model__mapped_strings_and_set_values_must_be_utf8),
        cmocka_unit_test(test_model__profile_text_must_be_utf8_without_nul),
        cmocka_unit_test(test_model__profile_messages_stay_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
