/* cmd_impact.c: `tmfinv impact KEY|UUID`: what depends on an instance (down) and what it
 * depends on (up), by the references of the definitions' fields (src/lib/graph/). The JSON
 * is the object GET /api/v1/instances/{id}/impact answers, so the two cannot differ. */
#include "cli.h"

#include "graph.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *text_of(const cJSON *o, const char *name)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

    return v ? v : "-";
}

/* A path as "A <-field- B -field-> C": the arrow goes from the instance holding the field to
 * the one it names. */
static void print_path(const cJSON *path)
{
    const cJSON *step, *prev = NULL;

    cJSON_ArrayForEach(step, path)
    {
        if (prev) {
            int held_by_prev = strcmp(text_of(step, "fieldOf"), text_of(prev, "id")) == 0;

            printf(held_by_prev ? " -%s-> " : " <-%s- ", text_of(step, "field"));
        }
        fputs(text_of(step, "key"), stdout);
        prev = step;
    }
}

static void print_direction(const cJSON *dir, const char *name, int depth)
{
    const cJSON *hit, *c, *d;
    const char *what = strcmp(name, "down") == 0 ? "depend on it" : "it depends on";
    long count = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dir, "count"));

    printf("%s: %ld instance%s %s (depth <= %d)%s\n", name, count, count == 1 ? "" : "s", what, depth,
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dir, "truncated")) ? ", truncated at the limit" : "");
    cJSON_ArrayForEach(hit, cJSON_GetObjectItemCaseSensitive(dir, "hits"))
    {
        printf("  %-2d %-12s %-24s %-12s%s  ", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hit, "depth")),
               text_of(hit, "definition"), text_of(hit, "key"), text_of(hit, "status"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hit, "removed")) ? " [removed]" : "");
        print_path(cJSON_GetObjectItemCaseSensitive(hit, "path"));
        putchar('\n');
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(dir, "cycles"))
    {
        fputs("  cycle: ", stdout);
        print_path(cJSON_GetObjectItemCaseSensitive(c, "path"));
        putchar('\n');
    }
    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dir, "cycleCount")) > cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(dir, "cycles")))
        printf("  (%lld cycles in all)\n",
               (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dir, "cycleCount")));
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(dir, "dangling"))
    {
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(d, "from");

        printf("  dangling: %s %s field %s names '%s', which no stored instance is\n", text_of(from, "definition"),
               text_of(from, "key"), text_of(d, "field"), text_of(d, "ref"));
    }
    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dir, "danglingCount")) > cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(dir, "dangling")))
        printf("  (%lld dangling references in all)\n",
               (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dir, "danglingCount")));
}

int cmd_impact(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"definition", required_argument, NULL, 'd'},
                                         {"up", no_argument, NULL, 'u'},
                                         {"down", no_argument, NULL, 'w'},
                                         {"depth", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *definition = NULL;
    tmfinv_instance *inst = NULL;
    cJSON *o = NULL;
    int64_t depth = TMFINV_IMPACT_DEPTH;
    int json = 0, directions = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            definition = optarg;
            break;
        case 'u':
            directions |= TMFINV_IMPACT_UP;
            break;
        case 'w':
            directions |= TMFINV_IMPACT_DOWN;
            break;
        case 'n':
            if (tmfinv_parse_int64(optarg, 1, TMFINV_IMPACT_MAX_DEPTH, &depth) < 0)
                return cli_usage_error("impact: --depth '%s': expected a whole number from 1 to %d", optarg,
                                       TMFINV_IMPACT_MAX_DEPTH);
            break;
        case 'j':
            json = 1;
            break;
        default:
            return cli_bad_option("impact", argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("impact: which instance? give its KEY or UUID");
    if (optind + 1 != argc)
        return cli_usage_error("impact: unexpected argument '%s'", argv[optind + 1]);
    if (!directions)
        directions = TMFINV_IMPACT_BOTH;
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    /* The index first (outside the snapshot: building it writes), then one snapshot. */
    if (tmfinv_graph_prepare(a->store, a->model, NULL) < 0) {
        cli_fail_line("impact");
        return 1;
    }
    if (tmfinv_store_begin_read(a->store) < 0) {
        cli_fail_line("impact");
        return 1;
    }
    if ((rc = cli_find_instance(a, argv[optind], definition, &inst)) != 0)
        goto out;
    if (tmfinv_graph_impact(a->store, a->model, inst->id, directions, (int)depth, &o) < 0) {
        cli_fail_line("impact");
        rc = 1;
        goto out;
    }
    if (json) {
        cli_print_json(o);
    } else {
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "instance");

        printf("%s %s  %s%s\n", text_of(i, "definition"), text_of(i, "key"), text_of(i, "status"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "removed")) ? "  [removed]" : "");
        if (directions & TMFINV_IMPACT_DOWN)
            print_direction(cJSON_GetObjectItemCaseSensitive(o, "down"), "down", (int)depth);
        if (directions & TMFINV_IMPACT_UP)
            print_direction(cJSON_GetObjectItemCaseSensitive(o, "up"), "up", (int)depth);
    }
out:
    (void)tmfinv_store_commit(a->store);
    cJSON_Delete(o);
    tmfinv_instance_free(inst);
    return rc;
}
