/* cmd_reports.c: `runs`, `rejected`, `summary`, `definitions` and `check`. */
#include "cli.h"

#include "config.h"
#include "model.h"
#include "store.h"
#include "sync.h"
#include "api.h"
#include "daemon.h"
#include "fetch.h"

#include <pthread.h>

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- runs and reports ------------------------------------------------------------ */

static int print_run(const cJSON *run, void *ctx)
{
    const int *json = ctx;
    const cJSON *src, *complete;

    if (*json) {
        cli_print_json(run);
        return 0;
    }
    complete = cJSON_GetObjectItemCaseSensitive(run, "complete");
    printf("run %d  %s  %s .. %s  %s\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(run, "id")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "kind")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "started")),
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run, "ended"))
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "ended"))
               : "(not ended)",
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "running")) ? "running"
           : cJSON_IsNull(complete)                                          ? "interrupted"
           : cJSON_IsTrue(complete)                                          ? "complete"
                                                                             : "INCOMPLETE");
    cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(run, "sources")) {
        static const char *const names[] = {"pages", "items", "created", "updated", "unchanged", "removed", "dropped",
                                            "duplicates", "emptyKeys", "excluded", "rejected", "failedPages"};
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(src, "error");

        printf("  %-12s %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "name")),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "complete")) ? "complete  "
               : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "running")) ? "so far    "
                                                                                 : "INCOMPLETE");
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            printf(" %s=%d", names[i], (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(src, names[i])));
        putchar('\n');
        if (cJSON_IsString(err))
            printf("    error: %s\n", err->valuestring);
        {
            const cJSON *fp;

            cJSON_ArrayForEach(fp, cJSON_GetObjectItemCaseSensitive(src, "failed")) {
                printf("    failed page %d: %s (%s)\n",
                       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fp, "page")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fp, "error")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fp, "url")));
            }
        }
    }
    return 0;
}

int cmd_runs(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int json = 0, c, rc;
    int64_t limit = 0;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'l') {
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &limit) < 0)
                return cli_usage_error("runs: --limit '%s': expected a positive whole number", optarg);
        } else
            return cli_bad_option("runs", argv);
    }
    if (optind != argc)
        return cli_usage_error("runs: unexpected argument '%s'", argv[optind]);
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (tmfinv_store_runs(a->store, limit, print_run, &json) < 0) {
        cli_fail_line("runs");
        return 1;
    }
    return 0;
}

static int print_report(const cJSON *r, void *ctx)
{
    const int *json = ctx;
    const char *field;

    if (*json) {
        cli_print_json(r);
        return 0;
    }
    field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "field"));
    printf("run %d  %-10s %-10s %-10s %-24s page %-4d %s%s%s\n",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "run")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "kind")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "source")),
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "definition"))
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "definition"))
               : "-",
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "key"))
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "key"))
               : "(no key)",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "page")), field ? field : "",
           field && *field ? ": " : "", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "reason")));
    return 0;
}

int cmd_rejected(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"kind", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *kind = "rejected";
    int json = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'k')
            kind = optarg;
        else
            return cli_bad_option("rejected", argv);
    }
    if (optind != argc)
        return cli_usage_error("rejected: unexpected argument '%s'", argv[optind]);
    if (strcmp(kind, "all") == 0)
        kind = NULL;
    else if (strcmp(kind, "rejected") != 0 && strcmp(kind, "duplicate") != 0 && strcmp(kind, "empty_key") != 0 &&
             strcmp(kind, "unknown_value") != 0 && strcmp(kind, "local_conflict") != 0)
        return cli_usage_error("rejected: --kind '%s': expected rejected, duplicate, empty_key, unknown_value,"
                               " local_conflict or all", kind);
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (tmfinv_store_reports(a->store, kind, print_report, &json) < 0) {
        cli_fail_line("rejected");
        return 1;
    }
    return 0;
}

static int print_summary(const cJSON *g, void *ctx)
{
    const int *json = ctx;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(g, "status");

    if (*json) {
        cli_print_json(g);
        return 0;
    }
    printf("%-10s %-8s %-16s %8d %8d\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "definition")),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "removed")) ? "removed" : "active",
           cJSON_IsString(status) ? status->valuestring : "-",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "count")),
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "stale")));
    return 0;
}

int cmd_summary(app *a, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0, rc;

    if (argc > 1 + json)
        return cli_usage_error("summary: unexpected argument '%s'", argv[1 + json]);
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (!json)
        printf("%-10s %-8s %-16s %8s %8s\n", "DEFINITION", "STATE", "STATUS", "COUNT", "STALE");
    if (tmfinv_store_summary(a->store, print_summary, &json) < 0) {
        cli_fail_line("summary");
        return 1;
    }
    return 0;
}

/* ---- model ----------------------------------------------------------------------- */

int cmd_definitions(app *a, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0, rc;

    if (argc > 1 + json)
        return cli_usage_error("definitions: unexpected argument '%s'", argv[1 + json]);
    if ((rc = cli_app_open(a, 0)) != 0)
        return rc;
    for (size_t i = 0; i < a->model->n_definitions; i++) {
        const tmfinv_definition *d = a->model->definitions[i];
        cJSON *o = cJSON_CreateObject(), *sections = cJSON_AddArrayToObject(o, "sections");

        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "profile", d->profile);
        cJSON_AddStringToObject(o, "api", d->api);
        cJSON_AddStringToObject(o, "key", d->fields[d->key_field].name);
        cJSON_AddStringToObject(o, "status", d->fields[d->status_field].name);
        cJSON_AddItemToObject(o, "statuses", cJSON_CreateStringArray((const char *const *)d->statuses,
                                                                      (int)d->n_statuses));
        for (size_t s = 0; s < d->n_sections; s++) {
            cJSON *sec = cJSON_CreateObject(), *fields = cJSON_AddArrayToObject(sec, "fields");

            cJSON_AddStringToObject(sec, "name", d->sections[s]);
            for (size_t k = 0; k < d->n_fields; k++) {
                const tmfinv_field *f = &d->fields[k];
                cJSON *fo;

                if (strcmp(f->section, d->sections[s]) != 0)
                    continue;
                fo = cJSON_CreateObject();
                cJSON_AddStringToObject(fo, "name", f->name);
                cJSON_AddStringToObject(fo, "type", tmfinv_type_name(f->type));
                cJSON_AddBoolToObject(fo, "list", f->is_list);
                cJSON_AddBoolToObject(fo, "required", f->required);
                cJSON_AddStringToObject(fo, "owner", tmfinv_owner_name(f->owner));
                if (f->n_from)
                    cJSON_AddStringToObject(fo, "from", f->from[0].text);
                cJSON_AddItemToArray(fields, fo);
            }
            cJSON_AddItemToArray(sections, sec);
        }
        if (json)
            cli_print_json(o);
        else {
            const cJSON *sec, *fo;

            printf("%s (profile %s, %s, key %s)\n", d->name, d->profile, d->api, d->fields[d->key_field].name);
            cJSON_ArrayForEach(sec, sections) {
                printf("  [%s]\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sec, "name")));
                cJSON_ArrayForEach(fo, cJSON_GetObjectItemCaseSensitive(sec, "fields")) {
                    const char *owner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fo, "owner"));
                    const cJSON *from = cJSON_GetObjectItemCaseSensitive(fo, "from");

                    printf("    %-24s %s%s %-7s %s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fo, "name")),
                           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fo, "type")),
                           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fo, "list")) ? "[]" : "  ", owner,
                           cJSON_IsString(from) ? from->valuestring : "");
                }
            }
        }
        cJSON_Delete(o);
    }
    return 0;
}

int cmd_check(app *a, int argc, char **argv)
{
    int rc;

    if (argc > 1)
        return cli_usage_error("check: unexpected argument '%s'", argv[1]);
    if ((rc = cli_app_open(a, 0)) != 0)
        return rc;
    cli_config_warnings(a->cfg);
    printf("%s: %zu source(s), %zu definition(s), store %s: ok\n", a->cfg->path, a->cfg->n_sources,
           a->model->n_definitions, a->cfg->store_path);
    return 0;
}

