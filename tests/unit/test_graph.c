/* test_graph.c: which fields impact follows and which way (src/lib/graph/graph.c,
 * docs/commands/impact.md "Which fields are references"): the edges of the shipped profiles,
 * and the rules on a profile of the test's own — reference fields, string fields reading a TMF
 * relationship's entity id, inverse relationship types in any case, and the fields that are
 * not edges (other ids, paths of two APIs, local fields). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "graph.h"
#include "helpers.h"
#include "model.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The edges as one sorted text: "Def.field>Target,Target[ inverse]" lines. */
static char *edges_text(const tmfinv_model *m)
{
    tmfinv_graph_edge *e = NULL;
    size_t n = 0, used = 0;
    char *out = calloc(1, 8192), line[512];

    assert_non_null(out);
    if (tmfinv_graph_edges(m, &e, &n) < 0)
        fail_msg("%s", tmfinv_error_last());
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(line, sizeof(line), "%s.%s>", e[i].holder->name, e[i].field->name);

        for (size_t t = 0; t < e[i].n_targets; t++)
            len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%s", t ? "," : "", e[i].targets[t]->name);
        len += snprintf(line + len, sizeof(line) - (size_t)len, "%s\n", e[i].inverse ? " inverse" : "");
        assert_true(used + (size_t)len < 8192);
        memcpy(out + used, line, (size_t)len + 1);
        used += (size_t)len;
    }
    tmfinv_graph_edges_free(e, n);
    return out;
}

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

/* Both shipped profiles: the same edges (their keys differ, not their references). */
static void test_graph__shipped_profiles_edges(void **state)
{
    static const char *const want = "Carrier.satellite>Resource\n"
                                    "Carrier.transponder>Resource\n"
                                    "Carrier.supportingService>Service\n"
                                    "Carrier.parent>Carrier,Service\n"
                                    "Carrier.child>Carrier,Service inverse\n"
                                    "Service.supportingResource>Resource\n"
                                    "Service.supportingService>Service\n"
                                    "Service.serviceRelationship>Carrier,Service\n"
                                    "Resource.related>Resource\n";
    const char *names[] = {"ses", "tmf"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tmfinv_model *m = load_profile(names[i]);
        char *text = edges_text(m);

        assert_string_equal(text, want);
        free(text);
        tmfinv_model_free(m);
    }
}

#define FIELD(name, type, from) "{\"name\":\"" name "\",\"type\":\"" type "\",\"from\":" from "}"

static const char profile[] =
    "{\"profile\":\"t\",\"definitions\":["
    "{\"name\":\"Svc\",\"api\":\"tmf638\",\"key\":\"id\",\"sections\":[{\"name\":\"s\",\"fields\":["
    FIELD("id", "string", "\"id\"") "," FIELD("status", "string", "\"state\"") ","
    FIELD("specId", "string", "\"serviceSpecification.id\"") ","
    FIELD("placeId", "string", "\"place[0].id\"") ","
    FIELD("relied", "string", "\"serviceRelationship[relationshipType=ISRELIEDONBY].service.id\"") ","
    FIELD("uses", "string", "\"serviceRelationship[*].service.id\"") ","
    FIELD("mixed", "string", "[\"serviceRelationship[*].service.id\",\"resourceRelationship[*].resource.id\"]") ","
    FIELD("inside", "string", "[\"resourceRelationship[relationshipType=isContainedIn].resource.id\","
                               "\"resourceRelationship[0].resource.id\"]") ","
    FIELD("name", "string", "\"name\"") ","
    "{\"name\":\"parts\",\"type\":\"reference\",\"references\":\"Res\",\"list\":true,"
    "\"from\":\"resourceRelationship[relationshipType=hasPart].resource.id\"},"
    "{\"name\":\"host\",\"type\":\"reference\",\"references\":\"Res\",\"from\":\"supportingResource[0].id\"},"
    "{\"name\":\"note\",\"type\":\"string\",\"owner\":\"local\"}]}]},"
    "{\"name\":\"Res\",\"api\":\"tmf639\",\"key\":\"id\",\"sections\":[{\"name\":\"s\",\"fields\":["
    FIELD("id", "string", "\"id\"") "," FIELD("status", "string", "\"status\"") ","
    FIELD("contains", "string", "\"resourceRelationship[relationshipType=contains].resource.id\"") ","
    FIELD("bare", "string", "\"resourceRelationship[*].id\"") "]}]},"
    "{\"name\":\"Res2\",\"api\":\"tmf639\",\"key\":\"id\",\"sections\":[{\"name\":\"s\",\"fields\":["
    FIELD("id", "string", "\"id\"") "," FIELD("status", "string", "\"status\"") "]}]}]}";

/* Reference fields name their definition, inverse when their path selects an inverse type;
 * string fields count only when every path reads a relationship entity's id of one API (all
 * that API's definitions are targets); other ids, names and local fields are no edges. A
 * relationship without its entity (`resourceRelationship[*].id`) is one only as a reference
 * field: a string field cannot say it names a resource. */
static void test_graph__rules_on_a_profile(void **state)
{
    tmfinv_model *m = NULL;
    char *text;

    (void)state;
    if (tmfinv_model_load_text("t.json", profile, strlen(profile), &m) < 0)
        fail_msg("%s", tmfinv_error_last());
    text = edges_text(m);
    assert_string_equal(text, "Svc.relied>Svc inverse\n"
                              "Svc.uses>Svc\n"
                              "Svc.inside>Res,Res2\n"
                              "Svc.parts>Res inverse\n"
                              "Svc.host>Res\n"
                              "Res.contains>Res,Res2 inverse\n");
    free(text);
    tmfinv_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph__shipped_profiles_edges),
        cmocka_unit_test(test_graph__rules_on_a_profile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
