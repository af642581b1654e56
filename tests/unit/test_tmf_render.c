/* test_tmf_render.c: the TMF item written from the stored text (api_tmf_render.c) means the
 * same JSON as the cJSON path (api_tmf_represent: parse, write local and initial values, id
 * and href, print), item by item, with and without fields=; and anything unusual is left to
 * the cJSON path (nothing written). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_tmf_int.h"
#include "model.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A resource whose status is initial for modems (as the ses profile's), an initial field at a
 * one-step path and one at a two-step path (initial for @type Deep only). */
static const char profile[] =
    "{\"profile\": \"render\", \"definitions\": [{\"name\": \"R\", \"api\": \"tmf639\", \"key\": \"id\","
    " \"sections\": [{\"name\": \"s\", \"fields\": ["
    "{\"name\": \"id\", \"type\": \"string\", \"from\": \"id\", \"required\": true},"
    "{\"name\": \"type\", \"type\": \"string\", \"from\": \"@type\"},"
    "{\"name\": \"status\", \"type\": \"string\", \"from\": \"status\","
    " \"owner_when\": [{\"field\": \"type\", \"equals\": \"Modem\", \"owner\": \"initial\"}]},"
    "{\"name\": \"label\", \"type\": \"string\", \"from\": \"label\", \"owner\": \"initial\"},"
    "{\"name\": \"deep\", \"type\": \"string\", \"from\": \"a.b\","
    " \"owner_when\": [{\"field\": \"type\", \"equals\": \"Deep\", \"owner\": \"initial\"}]}"
    "]}]},"
    /* two initial fields at one place: the second's value wins, an unset one removes it */
    "{\"name\": \"T\", \"api\": \"tmf639\", \"key\": \"id\", \"sections\": [{\"name\": \"s\", \"fields\": ["
    "{\"name\": \"id\", \"type\": \"string\", \"from\": \"id\", \"required\": true},"
    "{\"name\": \"status\", \"type\": \"string\", \"from\": \"status\"},"
    "{\"name\": \"one\", \"type\": \"string\", \"from\": \"twin\", \"owner\": \"initial\"},"
    "{\"name\": \"two\", \"type\": \"string\", \"from\": \"twin\", \"owner\": \"initial\"}"
    "]}]}]}";

typedef struct fixture {
    tmfinv_model *model;
    tmfinv_runtime rt;
    tmfinv_http_request req;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    if (tmfinv_model_load_text("render", profile, strlen(profile), &f->model) < 0)
        fail_msg("%s", tmfinv_error_last());
    f->rt.model = f->model;
    f->req.base = "http://tmfinv.test:8080";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    tmfinv_model_free(f->model);
    free(f);
    return 0;
}

/* Renders `raw` with stored field values `fields` both ways; `fast` says whether the text
 * path must take it (1) or leave it to cJSON (0). With fields= when `names` is not NULL. */
static const char *definition = "R"; /* of the instances check() renders */

static void check(fixture *f, const char *raw, const char *fields, int fast, const char *const *names)
{
    api_tmf_request t;
    tmfinv_instance inst;
    tmfinv_buf out;
    cJSON *slow = NULL, *got;
    int rc;

    memset(&t, 0, sizeof(t));
    t.rt = &f->rt;
    t.req = &f->req;
    t.coll = &api_tmf_resources;
    for (size_t i = 0; names && names[i]; i++) {
        t.field_names[i] = (char *)names[i];
        t.n_fields++;
    }
    t.has_fields = names != NULL;
    memset(&inst, 0, sizeof(inst));
    (void)snprintf(inst.id, sizeof(inst.id), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    inst.definition = (char *)definition;
    inst.raw = (char *)raw;
    inst.fields = cJSON_Parse(fields);
    assert_non_null(inst.fields);
    tmfinv_buf_init(&out, 1024 * 1024);
    assert_int_equal(tmfinv_buf_puts(&out, "[prefix]"), 0);
    rc = api_tmf_render_fast(&t, &inst, &out);
    if (rc != fast)
        fail_msg("raw %s: rendered from the text %d, expected %d", raw, rc, fast);
    if (!fast) {
        assert_string_equal(out.data, "[prefix]"); /* nothing half-written */
    } else {
        assert_int_equal(api_tmf_represent(&t, &inst, &slow), 0);
        /* Parsed and printed again, both must read the same: same members in the same
         * order with the same values (cJSON_Compare cannot tell duplicate names apart). */
        got = cJSON_Parse(out.data + strlen("[prefix]"));
        {
            char *want = cJSON_PrintUnformatted(slow), *have = got ? cJSON_PrintUnformatted(got) : NULL;

            if (!have || strcmp(have, want) != 0) {
                print_error("raw %s\nfast %s\nslow %s\n", raw, out.data + strlen("[prefix]"), want);
                fail();
            }
            free(want);
            free(have);
        }
        cJSON_Delete(got);
        cJSON_Delete(slow);
    }
    cJSON_Delete(inst.fields);
    tmfinv_buf_free(&out);
}

static void test_tmf_render__same_meaning_as_cjson(void **state)
{
    fixture *f = *state;
    static const char *const name[] = {"name", NULL}, *const none[] = {NULL},
                             *const several[] = {"status", "label", "nothing", "arr", NULL};

    /* a source href replaced; members as stored (escapes, numbers cJSON prints otherwise) */
    check(f, "{\"id\":\"r1\",\"href\":\"https://src.invalid/x/r1\",\"@type\":\"Antenna\",\"status\":\"up\",\"n\":1.50,"
             "\"big\":12345678901234567890,\"e\":-0.5e+3,\"arr\":[1,{\"a\":\"\\u00e9\\n\\\"\"},[],{}],\"t\":true,"
             "\"f\":false,\"z\":null,\"name\":\"A\"}",
          "{\"type\":\"Antenna\",\"status\":\"up\"}", 1, NULL);
    /* spaces anywhere; no href: added */
    check(f, " \n{ \"id\" : \"r 2/ü\" ,\n\t\"name\" :\"x\" , \"o\" : { \"k\" : [ 1 , 2 ] } }\r\n", "{}", 1, NULL);
    /* a modem: the stored (initial) status replaces the one sent, or removes it when unset */
    check(f, "{\"id\":\"m1\",\"@type\":\"Modem\",\"status\":\"up\",\"href\":\"x\"}",
          "{\"type\":\"Modem\",\"status\":\"Maintenance\"}", 1, NULL);
    check(f, "{\"id\":\"m2\",\"@type\":\"Modem\",\"status\":\"up\"}", "{\"type\":\"Modem\"}", 1, NULL);
    check(f, "{\"id\":\"m3\",\"@type\":\"Modem\"}", "{\"type\":\"Modem\",\"status\":{\"x\":[1,\"2\"]}}", 1, NULL);
    /* an initial field at a one-step path: written in, added when the item has none */
    check(f, "{\"id\":\"l1\",\"label\":\"sent\"}", "{\"label\":\"kept \\\"here\\\"\"}", 1, NULL);
    check(f, "{\"id\":\"l2\"}", "{\"label\":\"added\"}", 1, NULL);
    /* duplicate names: the first is the one replaced, as cJSON does */
    check(f, "{\"id\":\"d1\",\"href\":\"a\",\"href\":\"b\",\"id\":\"other\"}", "{}", 1, NULL);
    /* fields= */
    check(f, "{\"id\":\"p1\",\"href\":\"h\",\"name\":\"n\",\"other\":1}", "{}", 1, name);
    check(f, "{\"name\":\"n\",\"id\":\"p2\",\"other\":1}", "{}", 1, none);
    check(f, "{\"id\":\"p3\",\"@type\":\"Modem\",\"status\":\"up\",\"arr\":[]}", "{\"type\":\"Modem\",\"label\":\"L\"}",
          1, several);
    /* two fields at one place */
    definition = "T";
    check(f, "{\"id\":\"t1\",\"twin\":\"sent\"}", "{\"one\":\"a\",\"two\":\"b\"}", 1, NULL);
    check(f, "{\"id\":\"t2\",\"twin\":\"sent\"}", "{\"one\":\"a\"}", 1, NULL);
    check(f, "{\"id\":\"t3\"}", "{\"one\":\"a\",\"two\":\"b\"}", 0, NULL);
    check(f, "{\"id\":\"t4\"}", "{\"one\":\"a\"}", 0, NULL);
    check(f, "{\"id\":\"t5\",\"twin\":\"sent\"}", "{\"two\":\"b\"}", 0, NULL);
    definition = "R";
}

static void test_tmf_render__unusual_items_take_the_cjson_path(void **state)
{
    fixture *f = *state;
    char deep[400];
    size_t at = 0;

    check(f, "{\"id\":\"x1\"}", "{\"type\":\"Deep\",\"deep\":\"v\"}", 0, NULL); /* a two-step initial path */
    check(f, "{\"id\":7,\"name\":\"n\"}", "{}", 0, NULL);                 /* a number as id */
    check(f, "{\"id\":\"a\\/b\"}", "{}", 0, NULL);                        /* an escaped id */
    check(f, "{\"id\":\"\"}", "{}", 0, NULL);                             /* an empty id */
    check(f, "{\"name\":\"no id\"}", "{}", 0, NULL);                      /* no id */
    check(f, "{}", "{}", 0, NULL);
    check(f, "{\"id\":\"e1\",\"na\\u006de\":1}", "{}", 0, NULL);          /* an escaped name */
    check(f, "[{\"id\":\"x\"}]", "{}", 0, NULL);                          /* not an object */
    check(f, "{\"id\":\"x\",}", "{}", 0, NULL);                           /* malformed */
    check(f, "{\"id\":\"x\"} {}", "{}", 0, NULL);
    check(f, "{\"id\":\"x\",\"n\":01}", "{}", 0, NULL);
    check(f, "{\"id\":\"x\",\"n\":1.}", "{}", 0, NULL);
    check(f, "{\"id\":\"x\",\"s\":\"\\x\"}", "{}", 0, NULL);
    check(f, "{\"id\":\"x\",\"s\":\"a\tb\"}", "{}", 0, NULL);             /* a raw control character */
    check(f, "{\"id\":\"x\",\"s\":tru}", "{}", 0, NULL);
    check(f, "{\"id\":\"x\"", "{}", 0, NULL);
    check(f, "", "{}", 0, NULL);
    at += (size_t)snprintf(deep, sizeof(deep), "{\"id\":\"x\",\"d\":");
    for (int i = 0; i < 70; i++)
        deep[at++] = '[';
    for (int i = 0; i < 70; i++)
        deep[at++] = ']';
    (void)snprintf(deep + at, sizeof(deep) - at, "}");
    check(f, deep, "{}", 0, NULL); /* deeper than the scanner follows */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tmf_render__same_meaning_as_cjson, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmf_render__unusual_items_take_the_cjson_path, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
