/* main.c: the tmfinv command line — a thin layer over the library: it parses
 * arguments, loads the configuration, the model and the store, calls the library and
 * prints the result (human-readable, or JSON with --json). Each failure is printed
 * once, here, as one line on stderr. Exit codes: 0 success, 1 error, 2 incomplete
 * sync, 64 bad command line. */
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

#define EXIT_INCOMPLETE 2
#define EXIT_USAGE 64

static const char usage_text[] =
    "usage: tmfinv [-c FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  sync [--once [--allow-mass-remove]]  one full sync (--once), or the refresh schedule\n"
    "  serve                            the daemon: sync schedule + HTTP API ([http] listen)\n"
    "  query DEFINITION [--where FIELD=VALUE]... [--all] [--count] [--json] [--limit N]\n"
    "  show KEY|UUID [--definition DEF] [--json]\n"
    "  set KEY|UUID FIELD=VALUE [--definition DEF]\n"
    "  history KEY|UUID [--definition DEF] [--json]\n"
    "  summary [--json]                 instances per definition and status\n"
    "  runs [--json] [--limit N]\n"
    "  rejected [--kind rejected|duplicate|empty_key|all] [--json]\n"
    "  definitions [--json]             the definitions, sections and fields\n"
    "  check                            check the configuration and profiles\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default: $TMFINV_CONFIG or ./tmfinv.ini)\n"
    "  -h, --help          this help\n"
    "  -V, --version       print the version\n"
    "\n"
    "exit codes: 0 success, 1 error, 2 incomplete sync (nothing removed), 64 bad usage\n";

typedef struct app {
    const char *config_path;
    tmfinv_config *cfg;
    tmfinv_model *model;
    tmfinv_store *store;
} app;

static void fail_line(const char *what)
{
    fprintf(stderr, "tmfinv: %s%s%s\n", what ? what : "", what && *tmfinv_error_last() ? ": " : "",
            tmfinv_error_last());
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tmfinv: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see tmfinv --help)\n");
    return EXIT_USAGE;
}

/* The usage error for the option getopt just refused. */
static int bad_option(const char *cmd, char **argv)
{
    if (optopt)
        return usage_error("%s: option '-%c' is unknown or needs a value", cmd, optopt);
    return usage_error("%s: option '%s' is unknown or needs a value", cmd, argv[optind - 1]);
}

/* Loads what a command needs: config and model always; the store when `store` is set. */
static int app_open(app *a, int store)
{
    tmfinv_store_options so = {0};
    int rc;

    tmfinv_error_clear();
    if ((rc = tmfinv_config_load(a->config_path, &a->cfg)) < 0 || (rc = tmfinv_sync_load_model(a->cfg, &a->model)) < 0) {
        fail_line(NULL);
        return 1;
    }
    so.busy_timeout_ms = (int64_t)a->cfg->store_busy_timeout_s * 1000;
    if (store && (rc = tmfinv_store_open_with(a->cfg->store_path, &so, &a->store)) < 0) {
        fail_line(NULL);
        return 1;
    }
    return 0;
}

static void app_close(app *a)
{
    tmfinv_store_close(a->store);
    tmfinv_model_free(a->model);
    tmfinv_config_free(a->cfg);
}

static void print_json(const cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);

    if (s) {
        puts(s);
        free(s);
    }
}

/* ---- sync ------------------------------------------------------------------------ */

static void log_line(void *ctx, tmfinv_log_level level, const char *line)
{
    (void)ctx;
    if (level == TMFINV_LOG_INFO)
        printf("%s\n", line);
    else
        fprintf(stderr, "tmfinv: %s\n", line);
    fflush(stdout);
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void warn_insecure(const app *a)
{
    for (size_t i = 0; i < a->cfg->n_sources; i++)
        if (a->cfg->sources[i].insecure)
            fprintf(stderr, "tmfinv: source '%s': TLS verification is OFF (insecure = true)\n",
                    a->cfg->sources[i].name);
}

/* One run; prints its outcome. Returns the exit code it deserves, or -1 on a store error. */
static int run_once(app *a, int incremental, int allow_mass_remove)
{
    tmfinv_sync_options opt = {.incremental = incremental, .allow_mass_remove = allow_mass_remove,
                               .stop = &stop_requested, .log = log_line};
    tmfinv_sync_result result;

    if (tmfinv_sync_run(a->store, a->model, a->cfg, &opt, &result) < 0) {
        fail_line("sync");
        return -1;
    }
    printf("run %lld: %s\n", (long long)result.run_id,
           result.errors ? "FAILED (a source could not be read; nothing removed)"
           : result.interrupted ? "INTERRUPTED (nothing removed)"
           : result.complete ? "complete"
           : result.withheld ? "INCOMPLETE (removals withheld; see tmfinv runs)" : "INCOMPLETE (nothing removed)");
    fflush(stdout);
    if (result.errors)
        return 1;
    return result.complete ? 0 : EXIT_INCOMPLETE;
}

/* Sleeps until `until_ms` (monotonic) or a stop signal. */
static void sleep_until(int64_t until_ms)
{
    while (!stop_requested) {
        int64_t left = until_ms - tmfinv_time_monotonic_ms();
        struct timespec ts;

        if (left <= 0)
            return;
        if (left > 200)
            left = 200;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

static int cmd_sync(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"once", no_argument, NULL, 'o'},
                                         {"allow-mass-remove", no_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    int once = 0, allow_mass_remove = 0, c, rc;
    int64_t last_full, last_run;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o')
            once = 1;
        else if (c == 'm')
            allow_mass_remove = 1;
        else
            return bad_option("sync", argv);
    }
    if (optind < argc)
        return usage_error("sync: unexpected argument '%s'", argv[optind]);
    /* A confirmation is for the one run the operator has looked at, never for a schedule. */
    if (allow_mass_remove && !once)
        return usage_error("sync: --allow-mass-remove confirms one run: use it with --once");
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if (a->cfg->n_sources == 0) {
        fprintf(stderr, "tmfinv: %s: no [source NAME] section: nothing to sync\n", a->cfg->path);
        return 1;
    }
    if (tmfinv_fetch_global_init() < 0) {
        fail_line(NULL);
        return 1;
    }
    warn_insecure(a);
    catch_stop_signals();
    if (once) {
        rc = run_once(a, 0, allow_mass_remove);
        return rc < 0 ? 1 : rc;
    }
    /* The schedule: a full sync now, a refresh every interval, a full reconcile every
     * full_interval; SIGTERM or SIGINT ends it between pages. */
    printf("schedule: refresh every %d s, full sync every %d s\n", a->cfg->interval_s, a->cfg->full_interval_s);
    last_full = last_run = tmfinv_time_monotonic_ms();
    if (run_once(a, 0, 0) < 0)
        return 1;
    while (!stop_requested) {
        int64_t next_refresh = last_run + (int64_t)a->cfg->interval_s * 1000;
        int64_t next_full = last_full + (int64_t)a->cfg->full_interval_s * 1000;
        int full;

        sleep_until(next_refresh < next_full ? next_refresh : next_full);
        if (stop_requested)
            break;
        full = tmfinv_time_monotonic_ms() >= next_full;
        last_run = tmfinv_time_monotonic_ms();
        if (full)
            last_full = last_run;
        if (run_once(a, !full, 0) < 0)
            return 1;
    }
    printf("stopped\n");
    return 0;
}

/* ---- serve ---------------------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Daemon log lines: time stamped, one per line, whole even from several threads. */
static void serve_log(void *ctx, tmfinv_log_level level, const char *line)
{
    char now[32];

    (void)ctx;
    tmfinv_time_now(now, sizeof(now));
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s %s %s\n", now, level == TMFINV_LOG_ERROR ? "error" : level == TMFINV_LOG_WARN ? "warn" : "info",
            line);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

static int cmd_serve(app *a, int argc, char **argv)
{
    const tmfinv_http_route *tables[] = {tmfinv_api_tmf_routes, tmfinv_api_om_routes, tmfinv_api_ops_routes};
    const size_t sizes[] = {tmfinv_api_tmf_n_routes, tmfinv_api_om_n_routes, tmfinv_api_ops_n_routes};
    tmfinv_daemon *d = NULL;
    sigset_t signals;
    int signo = 0;

    (void)a;
    if (argc > 1)
        return usage_error("serve: unexpected argument '%s'", argv[1]);
    /* Every thread started from here on inherits the mask: only sigwait() below sees them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (tmfinv_daemon_new(a->config_path, serve_log, NULL, &d) < 0) {
        fail_line(NULL);
        return 1;
    }
    if (tmfinv_daemon_start(d, tables, sizes, sizeof(tables) / sizeof(tables[0])) < 0) {
        fail_line("serve");
        tmfinv_daemon_stop(d);
        return 1;
    }
    {
        tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
        char host[128];
        const char *listen = rt->cfg->http.listen;
        size_t n = strrchr(listen, ':') ? (size_t)(strrchr(listen, ':') - listen) : 0;

        (void)snprintf(host, sizeof(host), "%.*s", (int)n, listen);
        /* A wildcard address is reached through loopback from here. */
        if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
            (void)snprintf(host, sizeof(host), "127.0.0.1");
        else if (strcmp(host, "[::]") == 0)
            (void)snprintf(host, sizeof(host), "[::1]");
        printf("listening on http://%s:%u\n", host, tmfinv_http_port(tmfinv_daemon_http(d)));
        tmfinv_daemon_release(d, rt);
    }
    fflush(stdout);
    for (;;) {
        if (sigwait(&signals, &signo) != 0)
            continue;
        if (signo == SIGHUP) {
            if (tmfinv_daemon_reload(d) < 0)
                serve_log(NULL, TMFINV_LOG_ERROR, tmfinv_error_last());
            else
                serve_log(NULL, TMFINV_LOG_INFO, "configuration reloaded");
            continue;
        }
        break;
    }
    serve_log(NULL, TMFINV_LOG_INFO, signo == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
    tmfinv_daemon_stop(d);
    serve_log(NULL, TMFINV_LOG_INFO, "stopped");
    return 0;
}

/* ---- instances ------------------------------------------------------------------- */

typedef struct query_print {
    int json;
    int64_t count;
} query_print;

static int print_instance_row(const tmfinv_instance *inst, void *ctx)
{
    query_print *p = ctx;

    p->count++;
    if (p->json) {
        cJSON *o = tmfinv_instance_json(inst);

        if (!o)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        print_json(o);
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

static int unknown_definition(const app *a, const char *name)
{
    char list[512] = "";
    size_t at = 0;

    for (size_t i = 0; i < a->model->n_definitions && at < sizeof(list); i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", a->model->definitions[i]->name);
    fprintf(stderr, "tmfinv: unknown definition '%s' (known: %s)\n", name, list);
    return 1;
}

static int cmd_query(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"where", required_argument, NULL, 'w'}, {"all", no_argument, NULL, 'a'},
                                         {"count", no_argument, NULL, 'n'},       {"json", no_argument, NULL, 'j'},
                                         {"limit", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    const char **wheres = calloc((size_t)argc + 1, sizeof(*wheres));
    tmfinv_where *w = calloc((size_t)argc + 1, sizeof(*w));
    cJSON **values = calloc((size_t)argc + 1, sizeof(*values));
    char **fields = calloc((size_t)argc + 1, sizeof(*fields));
    size_t n_where = 0, i;
    int count = 0, c, rc = 0;
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
        case 'l':
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &limit) < 0) {
                rc = usage_error("query: --limit '%s': expected a positive whole number", optarg);
                goto out;
            }
            break;
        default:
            rc = bad_option("query", argv);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = usage_error("query: give exactly one DEFINITION");
        goto out;
    }
    if ((rc = app_open(a, 1)) != 0)
        goto out;
    d = tmfinv_model_find(a->model, argv[optind]);
    if (!d) {
        rc = unknown_definition(a, argv[optind]);
        goto out;
    }
    for (i = 0; i < n_where; i++)
        if (parse_where(d, wheres[i], &w[i], &values[i], &fields[i]) < 0) {
            fail_line(NULL);
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
            fail_line("query");
            rc = 1;
            goto out;
        }
        printf("%lld\n", (long long)(limit && n > limit ? limit : n));
        goto out;
    }
    if (tmfinv_store_query(a->store, &q, print_instance_row, &p) < 0) {
        fail_line("query");
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
    copy->fields = cJSON_Duplicate(inst->fields, 1);
    copy->raw = strdup(inst->raw);
    found[found[0] ? 1 : 0] = copy;
    return 0;
}

/* Finds the one instance named by a UUID or a key (optionally within a definition). */
static int find_instance(app *a, const char *ref, const char *definition, tmfinv_instance **out)
{
    tmfinv_instance *found[2] = {NULL, NULL};
    tmfinv_query q = {.definition = definition, .include_removed = 1};
    int rc, by_id;

    if (definition && !tmfinv_model_find(a->model, definition))
        return unknown_definition(a, definition);
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
    fail_line(NULL);
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
        print_json(entry);
        return 0;
    }
    v = cJSON_GetObjectItemCaseSensitive(entry, "time");
    printf("%s  run %-5d %-24s ", cJSON_IsString(v) ? v->valuestring : "",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(entry, "run")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "field")));
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

static int cmd_show(app *a, int argc, char **argv, int history)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"definition", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    const char *definition = NULL;
    tmfinv_instance *inst = NULL;
    int json = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'd')
            definition = optarg;
        else
            return bad_option("show", argv);
    }
    if (optind != argc - 1)
        return usage_error("%s: give exactly one KEY or UUID", history ? "history" : "show");
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if ((rc = find_instance(a, argv[optind], definition, &inst)) != 0)
        return rc;
    if (history) {
        rc = tmfinv_store_history(a->store, inst->id, print_history, &json);
        tmfinv_instance_free(inst);
        if (rc < 0) {
            fail_line("history");
            return 1;
        }
        return 0;
    }
    if (json) {
        cJSON *o = tmfinv_instance_json(inst);

        if (o) {
            cJSON_AddStringToObject(o, "raw", "");
            cJSON_ReplaceItemInObject(o, "raw", cJSON_Parse(inst->raw));
            print_json(o);
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
                if (v)
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

static int cmd_set(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"definition", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    const char *definition = NULL, *eq;
    tmfinv_instance *inst = NULL;
    const tmfinv_definition *d;
    const tmfinv_field *f;
    cJSON *value = NULL, *old;
    char *name = NULL, *before = NULL, *after = NULL, now[32];
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            definition = optarg;
        else
            return bad_option("set", argv);
    }
    if (optind != argc - 2)
        return usage_error("set: give KEY|UUID and FIELD=VALUE");
    eq = strchr(argv[optind + 1], '=');
    if (!eq || eq == argv[optind + 1])
        return usage_error("set: '%s': expected FIELD=VALUE", argv[optind + 1]);
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if ((rc = find_instance(a, argv[optind], definition, &inst)) != 0)
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
    if (tmfinv_store_begin(a->store) < 0 ||
        tmfinv_store_history_add(a->store, inst->id, 0, now, name, before, after) < 0 ||
        tmfinv_store_put(a->store, inst) < 0) {
        fail_line("set");
        (void)tmfinv_store_rollback(a->store);
        goto out;
    }
    if (tmfinv_store_commit(a->store) < 0) {
        fail_line("set");
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

/* ---- runs and reports ------------------------------------------------------------ */

static int print_run(const cJSON *run, void *ctx)
{
    const int *json = ctx;
    const cJSON *src, *complete;

    if (*json) {
        print_json(run);
        return 0;
    }
    complete = cJSON_GetObjectItemCaseSensitive(run, "complete");
    printf("run %d  %s  %s .. %s  %s\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(run, "id")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "kind")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "started")),
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run, "ended"))
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "ended"))
               : "(not ended)",
           cJSON_IsNull(complete) ? "interrupted" : cJSON_IsTrue(complete) ? "complete" : "INCOMPLETE");
    cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(run, "sources")) {
        static const char *const names[] = {"pages", "items", "created", "updated", "unchanged", "removed", "dropped",
                                            "duplicates", "emptyKeys", "excluded", "rejected", "failedPages"};
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(src, "error");

        printf("  %-12s %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "name")),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, "complete")) ? "complete  " : "INCOMPLETE");
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

static int cmd_runs(app *a, int argc, char **argv)
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
                return usage_error("runs: --limit '%s': expected a positive whole number", optarg);
        } else
            return bad_option("runs", argv);
    }
    if (optind != argc)
        return usage_error("runs: unexpected argument '%s'", argv[optind]);
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if (tmfinv_store_runs(a->store, limit, print_run, &json) < 0) {
        fail_line("runs");
        return 1;
    }
    return 0;
}

static int print_report(const cJSON *r, void *ctx)
{
    const int *json = ctx;
    const char *field;

    if (*json) {
        print_json(r);
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

static int cmd_rejected(app *a, int argc, char **argv)
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
            return bad_option("rejected", argv);
    }
    if (optind != argc)
        return usage_error("rejected: unexpected argument '%s'", argv[optind]);
    if (strcmp(kind, "all") == 0)
        kind = NULL;
    else if (strcmp(kind, "rejected") != 0 && strcmp(kind, "duplicate") != 0 && strcmp(kind, "empty_key") != 0)
        return usage_error("rejected: --kind '%s': expected rejected, duplicate, empty_key or all", kind);
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if (tmfinv_store_reports(a->store, kind, print_report, &json) < 0) {
        fail_line("rejected");
        return 1;
    }
    return 0;
}

static int print_summary(const cJSON *g, void *ctx)
{
    const int *json = ctx;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(g, "status");

    if (*json) {
        print_json(g);
        return 0;
    }
    printf("%-10s %-8s %-16s %8d\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "definition")),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "removed")) ? "removed" : "active",
           cJSON_IsString(status) ? status->valuestring : "-",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "count")));
    return 0;
}

static int cmd_summary(app *a, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0, rc;

    if (argc > 1 + json)
        return usage_error("summary: unexpected argument '%s'", argv[1 + json]);
    if ((rc = app_open(a, 1)) != 0)
        return rc;
    if (!json)
        printf("%-10s %-8s %-16s %8s\n", "DEFINITION", "STATE", "STATUS", "COUNT");
    if (tmfinv_store_summary(a->store, print_summary, &json) < 0) {
        fail_line("summary");
        return 1;
    }
    return 0;
}

/* ---- model ----------------------------------------------------------------------- */

static int cmd_definitions(app *a, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0, rc;

    if (argc > 1 + json)
        return usage_error("definitions: unexpected argument '%s'", argv[1 + json]);
    if ((rc = app_open(a, 0)) != 0)
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
            print_json(o);
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

static int cmd_check(app *a, int argc, char **argv)
{
    int rc;

    if (argc > 1)
        return usage_error("check: unexpected argument '%s'", argv[1]);
    if ((rc = app_open(a, 0)) != 0)
        return rc;
    printf("%s: %zu source(s), %zu definition(s), store %s: ok\n", a->cfg->path, a->cfg->n_sources,
           a->model->n_definitions, a->cfg->store_path);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    app a = {0};
    const char *cmd;
    int c, rc;

    opterr = 0; /* getopt's own messages would make a second line; ours name the option */
    a.config_path = getenv("TMFINV_CONFIG");
    if (!a.config_path || !*a.config_path)
        a.config_path = "tmfinv.ini";
    /* Options before the command only: '+' stops at the first non-option. */
    while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a.config_path = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("tmfinv %s\n", TMFINV_VERSION);
            return 0;
        default:
            return bad_option("tmfinv", argv);
        }
    }
    if (optind >= argc)
        return usage_error("no command given");
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    if (strcmp(cmd, "sync") == 0)
        rc = cmd_sync(&a, argc, argv);
    else if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(&a, argc, argv);
    else if (strcmp(cmd, "query") == 0)
        rc = cmd_query(&a, argc, argv);
    else if (strcmp(cmd, "show") == 0)
        rc = cmd_show(&a, argc, argv, 0);
    else if (strcmp(cmd, "history") == 0)
        rc = cmd_show(&a, argc, argv, 1);
    else if (strcmp(cmd, "set") == 0)
        rc = cmd_set(&a, argc, argv);
    else if (strcmp(cmd, "runs") == 0)
        rc = cmd_runs(&a, argc, argv);
    else if (strcmp(cmd, "rejected") == 0)
        rc = cmd_rejected(&a, argc, argv);
    else if (strcmp(cmd, "summary") == 0)
        rc = cmd_summary(&a, argc, argv);
    else if (strcmp(cmd, "definitions") == 0)
        rc = cmd_definitions(&a, argc, argv);
    else if (strcmp(cmd, "check") == 0)
        rc = cmd_check(&a, argc, argv);
    else if (strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        rc = 0;
    } else
        rc = usage_error("unknown command '%s'", cmd);
    app_close(&a);
    return rc;
}
