/* cmd_instances.c: the commands over instances: `query`, `show`, `history` and `set`. */
#include "cli.h"
#include "store_events.h"

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
#include <pwd.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- instances ------------------------------------------------------------------- */

typedef struct query_print {
    int json;
    const tmfinv_definition *csv; /* not NULL: CSV rows of this definition */
    int64_t count;
} query_print;

static int print_instance_row(const tmfinv_instance *inst, void *ctx)
{
    query_print *p = ctx;

    p->count++;
    if (p->csv)
        return cli_csv_row(stdout, p->csv, inst);
    if (p->json) {
        cJSON *o = tmfinv_instance_json(inst);

        if (!o)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cli_print_json(o);
        cJSON_Delete(o);
    } else {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(inst->fields, "name");

        printf("%-10s %-28s %-12s %s%s\n", inst->definition, inst->key, inst->status ? inst->status : "-",
               cJSON_IsString(name) ? name->valuestring : "", inst->removed ? "  [removed]" : "");
    }
    return 0;
}

/* Parses FIELD=VALUE into a where clause on definition d; the value goes to *value. */
static int parse_where(const tmfinv_definition *d, const char *text, tmfinv_where *w, cJSON **value, char **field)
{
    const char *eq = strchr(text, '=');
    const tmfinv_field *f;
    tmfinv_field scalar;

    if (!eq || eq == text)
        return tmfinv_error_set(TMFINV_EINVALID, "--where '%s': expected FIELD=VALUE", text);
    *field = strndup(text, (size_t)(eq - text));
    if (!*field)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    f = tmfinv_definition_field(d, *field);
    if (!f)
        return tmfinv_error_set(TMFINV_EINVALID, "--where '%s': %s has no field '%s'", text, d->name, *field);
    scalar = *f;
    scalar.is_list = 0;
    scalar.required = 0;
    if (tmfinv_field_parse(d, &scalar, eq + 1, value) < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        return tmfinv_error_set(TMFINV_EINVALID, "--where '%s': %s", text, msg);
    }
    w->field = *field;
    w->value = *value;
    w->is_list = f->is_list;
    return 0;
}

int cli_unknown_definition(const app *a, const char *name)
{
    char list[512] = "";
    size_t at = 0;

    for (size_t i = 0; i < a->model->n_definitions && at < sizeof(list); i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", a->model->definitions[i]->name);
    fprintf(stderr, "tmfinv: unknown definition '%s' (known: %s)\n", name, list);
    return 1;
}

int cmd_query(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"where", required_argument, NULL, 'w'}, {"all", no_argument, NULL, 'a'},
                                         {"count", no_argument, NULL, 'n'},       {"json", no_argument, NULL, 'j'},
                                         {"limit", required_argument, NULL, 'l'}, {"csv", no_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    const char **wheres = calloc((size_t)argc + 1, sizeof(*wheres));
    tmfinv_where *w = calloc((size_t)argc + 1, sizeof(*w));
    cJSON **values = calloc((size_t)argc + 1, sizeof(*values));
    char **fields = calloc((size_t)argc + 1, sizeof(*fields));
    size_t n_where = 0, i;
    int count = 0, csv = 0, c, rc = 0;
    int64_t limit = 0;
    tmfinv_query q = {0};
    query_print p = {0};
    const tmfinv_definition *d;

    if (!wheres || !w || !values || !fields) {
        rc = 1;
        goto out;
    }
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            wheres[n_where++] = optarg;
            break;
        case 'a':
            q.include_removed = 1;
            break;
        case 'n':
            count = 1;
            break;
        case 'j':
            p.json = 1;
            break;
        case 'c':
            csv = 1;
            break;
        case 'l':
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &limit) < 0) {
                rc = cli_usage_error("query: --limit '%s': expected a positive whole number", optarg);
                goto out;
            }
            break;
        default:
            rc = cli_bad_option("query", argv);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("query: give exactly one DEFINITION");
        goto out;
    }
    if (csv && (p.json || count)) {
        rc = cli_usage_error("query: --csv goes with neither --json nor --count");
        goto out;
    }
    if ((rc = cli_app_open(a, 1)) != 0)
        goto out;
    d = tmfinv_model_find(a->model, argv[optind]);
    if (!d) {
        rc = cli_unknown_definition(a, argv[optind]);
        goto out;
    }
    for (i = 0; i < n_where; i++)
        if (parse_where(d, wheres[i], &w[i], &values[i], &fields[i]) < 0) {
            cli_fail_line(NULL);
            rc = 1;
            goto out;
        }
    q.definition = d->name;
    q.where = w;
    q.n_where = n_where;
    q.limit = limit;
    if (count) {
        int64_t n = 0;

        if (tmfinv_store_count(a->store, &q, &n) < 0) {
            cli_fail_line("query");
            rc = 1;
            goto out;
        }
        printf("%lld\n", (long long)(limit && n > limit ? limit : n));
        goto out;
    }
    if (csv) {
        p.csv = d;
        cli_csv_header(stdout, d);
    }
    if (tmfinv_store_query(a->store, &q, print_instance_row, &p) < 0) {
        cli_fail_line("query");
        rc = 1;
    }
out:
    for (i = 0; values && i < n_where; i++) {
        cJSON_Delete(values[i]);
        free(fields[i]);
    }
    free(wheres);
    free(w);
    free(values);
    free(fields);
    return rc;
}

static int collect_one(const tmfinv_instance *inst, void *ctx)
{
    tmfinv_instance **found = ctx;
    tmfinv_instance *copy;

    if (found[0] && found[1])
        return 0;
    copy = calloc(1, sizeof(*copy));
    if (!copy)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *copy = *inst;
    copy->definition = strdup(inst->definition);
    copy->key = strdup(inst->key);
    copy->source = strdup(inst->source);
    copy->status = inst->status ? strdup(inst->status) : NULL;
    copy->removed_reason = inst->removed_reason ? strdup(inst->removed_reason) : NULL;
    copy->stale = inst->stale ? strdup(inst->stale) : NULL;
    copy->fields = cJSON_Duplicate(inst->fields, 1);
    copy->raw = strdup(inst->raw);
    found[found[0] ? 1 : 0] = copy;
    return 0;
}

/* Finds the one instance named by a UUID or a key (optionally within a definition). */
int cli_find_instance(app *a, const char *ref, const char *definition, tmfinv_instance **out)
{
    tmfinv_instance *found[2] = {NULL, NULL};
    tmfinv_query q = {.definition = definition, .include_removed = 1};
    int rc, by_id;

    if (definition && !tmfinv_model_find(a->model, definition))
        return cli_unknown_definition(a, definition);
    q.id = ref;
    if ((rc = tmfinv_store_query(a->store, &q, collect_one, found)) < 0)
        goto fail;
    /* Else by key: one indexed lookup per definition. */
    by_id = found[0] != NULL;
    for (size_t i = 0; !by_id && !found[1] && i < a->model->n_definitions; i++) {
        if (definition && strcmp(definition, a->model->definitions[i]->name) != 0)
            continue;
        q.id = NULL;
        q.key = ref;
        q.definition = a->model->definitions[i]->name;
        if ((rc = tmfinv_store_query(a->store, &q, collect_one, found)) < 0)
            goto fail;
    }
    if (!found[0]) {
        fprintf(stderr, "tmfinv: no instance with id or key '%s'%s%s\n", ref, definition ? " in " : "",
                definition ? definition : "");
        return 1;
    }
    if (found[1]) {
        fprintf(stderr, "tmfinv: key '%s' names several instances (%s and %s at least): add --definition DEF\n", ref,
                found[0]->definition, found[1]->definition);
        tmfinv_instance_free(found[0]);
        tmfinv_instance_free(found[1]);
        return 1;
    }
    *out = found[0];
    return 0;
fail:
    cli_fail_line(NULL);
    tmfinv_instance_free(found[0]);
    tmfinv_instance_free(found[1]);
    return 1;
}

static void print_value(const cJSON *v)
{
    if (cJSON_IsString(v))
        fputs(v->valuestring, stdout);
    else {
        char *s = cJSON_PrintUnformatted(v);

        if (s)
            fputs(s, stdout);
        free(s);
    }
}

static int print_history(const cJSON *entry, void *ctx)
{
    const int *json = ctx;
    const cJSON *v;

    if (*json) {
        cli_print_json(entry);
        return 0;
    }
    v = cJSON_GetObjectItemCaseSensitive(entry, "time");
    printf("%s  ", cJSON_IsString(v) ? v->valuestring : "");
    /* Who made it when no run did (`set`, PATCH), else the run. */
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "actor")))
        printf("%-9s ", cJSON_GetObjectItemCaseSensitive(entry, "actor")->valuestring);
    else
        printf("run %-5d ", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(entry, "run")));
    printf("%-24s ", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "field")));
    v = cJSON_GetObjectItemCaseSensitive(entry, "before");
    if (v && !cJSON_IsNull(v))
        print_value(v);
    else
        fputs("-", stdout);
    fputs(" -> ", stdout);
    v = cJSON_GetObjectItemCaseSensitive(entry, "after");
    if (v && !cJSON_IsNull(v))
        print_value(v);
    else
        fputs("-", stdout);
    putchar('\n');
    return 0;
}

int cmd_show(app *a, int argc, char **argv, int history)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"definition", required_argument, NULL, 'd'},
                                         {"field", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *definition = NULL, *field = NULL;
    tmfinv_instance *inst = NULL;
    int json = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'd')
            definition = optarg;
        else if (c == 'f' && history)
            field = optarg;
        else
            return cli_bad_option(history ? "history" : "show", argv);
    }
    if (optind != argc - 1)
        return cli_usage_error("%s: give exactly one KEY or UUID", history ? "history" : "show");
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if ((rc = cli_find_instance(a, argv[optind], definition, &inst)) != 0)
        return rc;
    if (history && field) {
        /* The timeline of one field (cmd_changes.c). */
        rc = cli_print_timeline(a, inst, field, json);
        tmfinv_instance_free(inst);
        return rc;
    }
    if (history) {
        rc = tmfinv_store_history(a->store, inst->id, print_history, &json);
        tmfinv_instance_free(inst);
        if (rc < 0) {
            cli_fail_line("history");
            return 1;
        }
        return 0;
    }
    if (json) {
        cJSON *o = tmfinv_instance_json(inst);

        if (o) {
            cJSON_AddStringToObject(o, "raw", "");
            cJSON_ReplaceItemInObject(o, "raw", cJSON_Parse(inst->raw));
            cli_print_json(o);
        }
        cJSON_Delete(o);
    } else {
        const tmfinv_definition *d = tmfinv_model_find(a->model, inst->definition);

        printf("%s %s\n", inst->definition, inst->key);
        printf("  id        %s\n  status    %s%s%s\n  source    %s\n  created   %s\n  modified  %s\n", inst->id,
               inst->status ? inst->status : "-", inst->removed ? "  [removed: " : "",
               inst->removed ? (inst->removed_reason ? inst->removed_reason : "") : "", inst->source, inst->created,
               inst->modified);
        if (inst->removed)
            printf("  (removed)\n");
        if (inst->stale)
            printf("  STALE     %s\n", inst->stale);
        for (size_t s = 0; d && s < d->n_sections; s++) {
            printf("[%s]\n", d->sections[s]);
            for (size_t i = 0; i < d->n_fields; i++) {
                const tmfinv_field *f = &d->fields[i];
                const cJSON *v;
                tmfinv_owner owner;

                if (strcmp(f->section, d->sections[s]) != 0)
                    continue;
                v = cJSON_GetObjectItemCaseSensitive(inst->fields, f->name);
                owner = tmfinv_field_owner(f, inst->fields);
                printf("  %-24s ", f->name);
                if (v && f->type == TMFINV_TYPE_CHARACTERISTIC && cJSON_GetArraySize(v) + cJSON_IsObject(v) > 0) {
                    /* One characteristic a line: name = value (valueType). */
                    char *text = tmfinv_characteristic_format(v, " = ", "\n                           ", 1);

                    fputs(text ? text : "?", stdout);
                    free(text);
                } else if (v)
                    print_value(v);
                else
                    fputs("-", stdout);
                printf("%s\n", owner == TMFINV_OWNER_SOURCE ? "" : owner == TMFINV_OWNER_LOCAL ? "  (local)" : "  (initial)");
            }
        }
    }
    tmfinv_instance_free(inst);
    return 0;
}

/* Who a `set` is recorded as: "cli:" and the name of the account running it (its real
 * uid), else "cli:uid:N" when the account has no name. */
static void cli_actor(char *out, size_t size)
{
    struct passwd pw, *found = NULL;
    char buf[1024];

    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 && found && found->pw_name)
        (void)snprintf(out, size, "cli:%s", found->pw_name);
    else
        (void)snprintf(out, size, "cli:uid:%lu", (unsigned long)getuid());
}

int cmd_set(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"definition", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    const char *definition = NULL, *eq;
    tmfinv_instance *inst = NULL;
    const tmfinv_definition *d;
    const tmfinv_field *f;
    cJSON *value = NULL, *old;
    char *name = NULL, *before = NULL, *after = NULL, now[32], actor[96];
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            definition = optarg;
        else
            return cli_bad_option("set", argv);
    }
    if (optind != argc - 2)
        return cli_usage_error("set: give KEY|UUID and FIELD=VALUE");
    eq = strchr(argv[optind + 1], '=');
    if (!eq || eq == argv[optind + 1])
        return cli_usage_error("set: '%s': expected FIELD=VALUE", argv[optind + 1]);
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if ((rc = cli_find_instance(a, argv[optind], definition, &inst)) != 0)
        return rc;
    rc = 1;
    name = strndup(argv[optind + 1], (size_t)(eq - argv[optind + 1]));
    d = tmfinv_model_find(a->model, inst->definition);
    if (!name || !d)
        goto out;
    f = tmfinv_definition_field(d, name);
    if (!f) {
        fprintf(stderr, "tmfinv: %s has no field '%s'\n", d->name, name);
        goto out;
    }
    if (tmfinv_field_owner(f, inst->fields) == TMFINV_OWNER_SOURCE) {
        fprintf(stderr,
                "tmfinv: field '%s' of %s '%s' is owned by the source and would be overwritten by the next sync; "
                "only local and initial fields can be set\n",
                name, d->name, inst->key);
        goto out;
    }
    if (tmfinv_field_parse(d, f, eq + 1, &value) < 0) {
        fprintf(stderr, "tmfinv: %s '%s' field '%s': %s\n", d->name, inst->key, name, tmfinv_error_last());
        goto out;
    }
    old = cJSON_GetObjectItemCaseSensitive(inst->fields, name);
    before = old ? cJSON_PrintUnformatted(old) : NULL;
    after = cJSON_PrintUnformatted(value);
    if (old)
        cJSON_ReplaceItemInObjectCaseSensitive(inst->fields, name, value);
    else
        cJSON_AddItemToObject(inst->fields, name, value);
    value = NULL;
    if (f == &d->fields[d->status_field]) {
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(inst->fields, name);

        free(inst->status);
        inst->status = cJSON_IsString(sv) ? strdup(sv->valuestring) : NULL;
    }
    tmfinv_time_now(now, sizeof(now));
    (void)snprintf(inst->modified, sizeof(inst->modified), "%s", now);
    cli_actor(actor, sizeof(actor));
    if (tmfinv_store_events_model(a->store, a->model) < 0 || tmfinv_store_begin(a->store) < 0 ||
        tmfinv_store_history_add_by(a->store, inst->id, 0, actor, now, name, before, after) < 0 ||
        tmfinv_store_put(a->store, inst) < 0) {
        cli_fail_line("set");
        (void)tmfinv_store_rollback(a->store);
        goto out;
    }
    if (tmfinv_store_commit(a->store) < 0) {
        cli_fail_line("set");
        goto out;
    }
    printf("%s %s: %s = %s (was %s)\n", d->name, inst->key, name, after ? after : "", before ? before : "unset");
    rc = 0;
out:
    cJSON_Delete(value);
    free(name);
    free(before);
    free(after);
    tmfinv_instance_free(inst);
    return rc;
}

