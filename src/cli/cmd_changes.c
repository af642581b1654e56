/* cmd_changes.c: the commands over the history of every instance: `changes` (the changes
 * feed, oldest first, with filters and an id cursor), `purge` (retention by hand) and the
 * timeline of one field (`history KEY --field F`, called from cmd_instances.c). */
#include "cli.h"

#include "store.h"
#include "store_events.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints a JSON value as text: strings bare, null as "-", others as JSON. */
static void print_value(const cJSON *v)
{
    char *s;

    if (!v || cJSON_IsNull(v)) {
        fputs("-", stdout);
        return;
    }
    if (cJSON_IsString(v)) {
        fputs(v->valuestring, stdout);
        return;
    }
    s = cJSON_PrintUnformatted(v);
    if (s)
        fputs(s, stdout);
    free(s);
}

static const char *text_of(const cJSON *o, const char *name)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

    return v ? v : "-";
}

static int print_change(const cJSON *change, void *ctx)
{
    const int *json = ctx;
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(change, "run");

    if (*json) {
        cli_print_json(change);
        return 0;
    }
    printf("%-8lld %s  %-10s %-28s %-20s ", (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(change, "id")),
           text_of(change, "time"), text_of(change, "definition"), text_of(change, "key"), text_of(change, "field"));
    print_value(cJSON_GetObjectItemCaseSensitive(change, "before"));
    fputs(" -> ", stdout);
    print_value(cJSON_GetObjectItemCaseSensitive(change, "after"));
    if (cJSON_IsNumber(run))
        printf("  (run %lld)\n", (long long)run->valuedouble);
    else
        printf("  (%s)\n", text_of(change, "actor"));
    return 0;
}

/* 1 when `field` names something that has history: a field of definition `d` (of any
 * definition when d is NULL), "@removed" or "@stale". */
static int known_field(const app *a, const tmfinv_definition *d, const char *field)
{
    if (strcmp(field, "@removed") == 0 || strcmp(field, "@stale") == 0)
        return 1;
    if (d)
        return tmfinv_definition_field(d, field) != NULL;
    for (size_t i = 0; i < a->model->n_definitions; i++)
        if (tmfinv_definition_field(a->model->definitions[i], field))
            return 1;
    return 0;
}

int cmd_changes(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"since", required_argument, NULL, 's'},
                                         {"since-run", required_argument, NULL, 'r'},
                                         {"definition", required_argument, NULL, 'd'},
                                         {"field", required_argument, NULL, 'f'},
                                         {"after", required_argument, NULL, 'a'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    tmfinv_changes_query q = {0};
    const tmfinv_definition *d = NULL;
    char since[32];
    int json = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (tmfinv_store_parse_time(optarg, since) < 0)
                return cli_usage_error("changes: --since %s", tmfinv_error_last());
            q.since = since;
            break;
        case 'r':
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &q.since_run) < 0)
                return cli_usage_error("changes: --since-run '%s': expected a run number, 1 or more", optarg);
            break;
        case 'd':
            q.definition = optarg;
            break;
        case 'f':
            q.field = optarg;
            break;
        case 'a':
            if (tmfinv_parse_int64(optarg, 0, INT64_MAX, &q.after) < 0)
                return cli_usage_error("changes: --after '%s': expected a change id, 0 or more", optarg);
            break;
        case 'l':
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &q.limit) < 0)
                return cli_usage_error("changes: --limit '%s': expected a whole number, 1 or more", optarg);
            break;
        case 'j':
            json = 1;
            break;
        default:
            return cli_bad_option("changes", argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("changes: unexpected argument '%s'", argv[optind]);
    if (q.since && q.since_run)
        return cli_usage_error("changes: give --since or --since-run, not both");
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (q.definition && !(d = tmfinv_model_find(a->model, q.definition)))
        return cli_unknown_definition(a, q.definition);
    if (q.field && !known_field(a, d, q.field))
        return cli_usage_error("changes: --field '%s': %s has no such field (nor is it @removed or @stale)", q.field,
                               d ? d->name : "no definition");
    /* One snapshot: a sync writing meanwhile never shows half a page. */
    if ((rc = tmfinv_store_begin_read(a->store)) < 0) {
        cli_fail_line("changes");
        return 1;
    }
    rc = tmfinv_store_changes(a->store, &q, NULL, print_change, &json);
    (void)tmfinv_store_commit(a->store);
    if (rc == TMFINV_ENOTFOUND)
        return cli_usage_error("changes: --since-run %lld: %s", (long long)q.since_run, tmfinv_error_last());
    if (rc < 0) {
        cli_fail_line("changes");
        return 1;
    }
    return 0;
}

int cmd_purge(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    tmfinv_purge p;
    int64_t events = 0;
    int dry_run = 0, json = 0, c, rc, done = 0;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            dry_run = 1;
        else if (c == 'j')
            json = 1;
        else
            return cli_bad_option("purge", argv);
    }
    if (optind != argc)
        return cli_usage_error("purge: unexpected argument '%s'", argv[optind]);
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    tmfinv_store_purge_init(&p, a->cfg->store_history_days, a->cfg->store_removed_days);
    if (dry_run)
        rc = tmfinv_store_purge_count(a->store, &p);
    else {
        while ((rc = tmfinv_store_purge_step(a->store, &p, &done)) == 0 && !done)
            ;
        if (rc == 0)
            rc = tmfinv_store_outbox_purge_all(a->store, p.history_before, NULL, &events);
    }
    if (rc < 0) {
        /* What went before the failure stays gone: each batch is its own transaction. */
        cli_fail_line("purge");
        return 1;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();

        if (!o)
            return 1;
        cJSON_AddBoolToObject(o, "dryRun", dry_run);
        cJSON_AddNumberToObject(o, "instances", (double)p.instances);
        cJSON_AddNumberToObject(o, "instanceChanges", (double)p.instance_changes);
        cJSON_AddNumberToObject(o, "changes", (double)p.changes);
        cJSON_AddStringToObject(o, "removedBefore", p.removed_before);
        cJSON_AddStringToObject(o, "historyBefore", p.history_before);
        cJSON_AddNumberToObject(o, "transactions", (double)p.transactions);
        if (!dry_run)
            cJSON_AddNumberToObject(o, "events", (double)events);
        cli_print_json(o);
        cJSON_Delete(o);
        return 0;
    }
    printf("%s %lld removed instances (removed before %s, with %lld changes) and %lld changes older than %s\n",
           dry_run ? "would purge" : "purged", (long long)p.instances, p.removed_before,
           (long long)p.instance_changes, (long long)p.changes, p.history_before);
    if (!dry_run && events > 0)
        printf("purged %lld delivered events older than %s\n", (long long)events, p.history_before);
    return 0;
}

int cli_print_timeline(app *a, const tmfinv_instance *inst, const char *field, int json)
{
    const tmfinv_definition *d = tmfinv_model_find(a->model, inst->definition);
    const cJSON *interval;
    cJSON *t = NULL;
    int rc;

    if (!d || !known_field(a, d, field))
        return cli_usage_error("history: --field '%s': %s has no such field (nor is it @removed or @stale)", field,
                               inst->definition);
    if ((rc = tmfinv_store_begin_read(a->store)) == 0) {
        rc = tmfinv_store_timeline(a->store, inst, field, &t);
        (void)tmfinv_store_commit(a->store);
    }
    if (rc < 0) {
        cli_fail_line("history");
        return 1;
    }
    if (json) {
        cli_print_json(t);
        cJSON_Delete(t);
        return 0;
    }
    printf("%s %s: %s\n", inst->definition, inst->key, field);
    cJSON_ArrayForEach(interval, cJSON_GetObjectItemCaseSensitive(t, "intervals")) {
        printf("  %-24s  %-24s  ", text_of(interval, "from"), text_of(interval, "to"));
        print_value(cJSON_GetObjectItemCaseSensitive(interval, "value"));
        putchar('\n');
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "complete")))
        printf("  (older changes were purged by retention: [store] history_days)\n");
    cJSON_Delete(t);
    return 0;
}
