/* test_tmf_schema.c: the validator of POST bodies against Swagger 2.0 definitions — each
 * keyword of the subset, the member named in messages, the bounds on deep bodies and on
 * `$ref` cycles, the load errors naming the file, and the shipped TMF638 file itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "tmf_schema.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char spec_text[] =
    "{\"swagger\": \"2.0\", \"definitions\": {"
    " \"Ref\": {\"type\": \"object\", \"required\": [\"id\"], \"properties\": {\"id\": {\"type\": \"string\"}}},"
    " \"State\": {\"type\": \"string\", \"enum\": [\"on\", \"off\"]},"
    " \"Base\": {\"type\": \"object\", \"properties\": {\"@type\": {\"type\": \"string\"}}},"
    " \"Thing\": {\"allOf\": [{\"$ref\": \"#/definitions/Base\"}, {\"type\": \"object\", \"required\": [\"state\"],"
    "   \"properties\": {\"state\": {\"$ref\": \"#/definitions/State\"}, \"count\": {\"type\": \"integer\"},"
    "   \"at\": {\"type\": \"string\", \"format\": \"date-time\"}, \"where\": {\"type\": \"string\", \"format\": \"uri\"},"
    "   \"refs\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"$ref\": \"#/definitions/Ref\"}},"
    "   \"next\": {\"$ref\": \"#/definitions/Thing\"}}}]},"
    " \"LoopA\": {\"$ref\": \"#/definitions/LoopB\"}, \"LoopB\": {\"allOf\": [{\"$ref\": \"#/definitions/LoopA\"}]}"
    "}}";

static tmfinv_tmf_spec *load(void)
{
    char *path = write_temp(".json", spec_text);
    const char *required[] = {"Thing", NULL};
    tmfinv_tmf_spec *spec = NULL;

    assert_int_equal(tmfinv_tmf_spec_load(path, required, &spec), 0);
    remove_temp(path);
    return spec;
}

/* Validates `json` against Thing; returns the code, the message in `msg`. */
static int check(tmfinv_tmf_spec *spec, const char *definition, const char *json, char *msg, size_t size)
{
    cJSON *v = cJSON_Parse(json);
    int rc;

    assert_non_null(v);
    rc = tmfinv_tmf_spec_validate(spec, definition, v);
    (void)snprintf(msg, size, "%s", rc < 0 ? tmfinv_error_last() : "");
    cJSON_Delete(v);
    return rc;
}

static void test_tmf_schema__keywords_and_messages(void **state)
{
    static const struct {
        const char *json;
        const char *message;    /* NULL: valid */
    } cases[] = {
        {"{\"state\": \"on\"}", NULL},
        {"{\"state\": \"on\", \"other\": [1], \"@type\": \"X\", \"count\": 3, \"at\": \"2026-01-02T03:04:05Z\","
         " \"where\": \"https://x/y\", \"refs\": [{\"id\": \"a\"}], \"next\": {\"state\": \"off\"}}", NULL},
        {"{}", "state: required by the specification, missing"},
        {"[]", "(body): is an array, the specification wants object"},
        {"{\"state\": \"dim\"}", "state: is not one of the values the specification allows (on, off)"},
        {"{\"state\": \"on\", \"@type\": 5}", "@type: is a number, the specification wants string"},
        {"{\"state\": \"on\", \"count\": 1.5}", "count: is a number, the specification wants integer"},
        {"{\"state\": \"on\", \"at\": \"soon\"}", "at: 'soon' is not a date-time"},
        {"{\"state\": \"on\", \"where\": \"no scheme\"}", "where: 'no scheme' is not an absolute URI"},
        {"{\"state\": \"on\", \"refs\": []}", "refs: has fewer than 1 elements (minItems)"},
        {"{\"state\": \"on\", \"refs\": [{\"id\": \"a\"}, {}]}", "refs[1].id: required by the specification, missing"},
        {"{\"state\": \"on\", \"next\": {\"next\": {\"state\": \"on\"}}}", "next.state: required by the specification"},
        {"{\"state\": \"on\", \"next\": {\"state\": \"on\", \"next\": {\"state\": 1}}}", "next.next.state: is a number"},
    };
    tmfinv_tmf_spec *spec = load();
    char msg[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = check(spec, "Thing", cases[i].json, msg, sizeof(msg));

        if (!cases[i].message) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, TMFINV_EINVALID);
        if (strncmp(msg, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, msg, cases[i].message);
    }
    tmfinv_tmf_spec_free(spec);
}

static void test_tmf_schema__bounded_depth_and_ref_cycles(void **state)
{
    tmfinv_tmf_spec *spec = load();
    char msg[512], *deep = malloc(16 * 1024);
    size_t n = 0;

    (void)state;
    /* 300 levels of next: past the 256 schema steps the validator follows. */
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(deep + n, 16 * 1024 - n, "{\"state\": \"on\", \"next\": ");
    n += (size_t)snprintf(deep + n, 16 * 1024 - n, "{\"state\": \"on\"}");
    for (int i = 0; i < 300; i++)
        deep[n++] = '}';
    deep[n] = '\0';
    assert_int_equal(check(spec, "Thing", deep, msg, sizeof(msg)), TMFINV_EINVALID);
    assert_non_null(strstr(msg, "nested more deeply"));
    /* A $ref cycle in the file is refused, not followed for ever. */
    assert_int_equal(check(spec, "LoopA", "{}", msg, sizeof(msg)), TMFINV_EINVALID);
    assert_non_null(strstr(msg, "nested more deeply"));
    free(deep);
    tmfinv_tmf_spec_free(spec);
}

static void test_tmf_schema__load_errors_name_the_file(void **state)
{
    const char *required[] = {"Service_Create", NULL};
    tmfinv_tmf_spec *spec = NULL;
    char *bad = write_temp(".json", "{not json"), *empty = write_temp(".json", "{\"swagger\": \"2.0\"}");
    char *other = write_temp(".json", "{\"definitions\": {\"X\": {}}}");

    (void)state;
    assert_int_equal(tmfinv_tmf_spec_load(bad, NULL, &spec), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), bad));
    assert_int_equal(tmfinv_tmf_spec_load(empty, NULL, &spec), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), "no \"definitions\""));
    assert_int_equal(tmfinv_tmf_spec_load(other, required, &spec), TMFINV_EINVALID);
    assert_non_null(strstr(tmfinv_error_last(), "Service_Create"));
    assert_true(tmfinv_tmf_spec_load("/nonexistent/tmf.json", NULL, &spec) < 0);
    assert_non_null(strstr(tmfinv_error_last(), "/nonexistent/tmf.json"));
    assert_null(spec);
    remove_temp(bad);
    remove_temp(empty);
    remove_temp(other);
}

static void test_tmf_schema__the_shipped_tmf638_file(void **state)
{
    const char *required[] = {"Service_Create", "Service", NULL};
    tmfinv_tmf_spec *spec = NULL;
    const char *data = getenv("TMFINV_DATA_DIR"); /* ctest: the source tree's data/ */
    char msg[512], path[1024];

    (void)state;
    assert_non_null(data);
    (void)snprintf(path, sizeof(path), "%s/tmf/TMF638-ServiceInventory-v4.0.0.swagger.json", data);
    assert_int_equal(tmfinv_tmf_spec_load(path, required, &spec), 0);
    assert_int_equal(check(spec, "Service_Create", "{\"state\": \"active\", \"serviceSpecification\": {\"id\": \"s\"}}",
                           msg, sizeof(msg)), 0);
    assert_int_equal(check(spec, "Service_Create", "{\"state\": \"active\"}", msg, sizeof(msg)), TMFINV_EINVALID);
    assert_string_equal(msg, "serviceSpecification: required by the specification, missing");
    assert_int_equal(check(spec, "Service_Create", "{\"state\": \"active\", \"serviceSpecification\": {\"id\": \"s\"},"
                           " \"relatedParty\": [{\"id\": \"p\"}]}", msg, sizeof(msg)), TMFINV_EINVALID);
    assert_string_equal(msg, "relatedParty[0].@referredType: required by the specification, missing");
    tmfinv_tmf_spec_free(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmf_schema__keywords_and_messages),
        cmocka_unit_test(test_tmf_schema__bounded_depth_and_ref_cycles),
        cmocka_unit_test(test_tmf_schema__load_errors_name_the_file),
        cmocka_unit_test(test_tmf_schema__the_shipped_tmf638_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
