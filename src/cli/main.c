/* main.c: the tmfinv command line — a thin layer over the library: it parses
 * arguments, loads the configuration, the model and the store, calls the library and
 * prints the result (human-readable, or JSON with --json). Each failure is printed
 * once, here, as one line on stderr. Exit codes: 0 success, 1 error, 2 incomplete
 * sync, 64 bad command line. */
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

void cli_fail_line(const char *what)
{
    fprintf(stderr, "tmfinv: %s%s%s\n", what ? what : "", what && *tmfinv_error_last() ? ": " : "",
            tmfinv_error_last());
}

int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_usage_error(const char *fmt, ...)
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
int cli_bad_option(const char *cmd, char **argv)
{
    if (optopt)
        return cli_usage_error("%s: option '-%c' is unknown or needs a value", cmd, optopt);
    return cli_usage_error("%s: option '%s' is unknown or needs a value", cmd, argv[optind - 1]);
}

/* Loads what a command needs: config and model always; the store when `store` is set. */
int cli_app_open(app *a, int store)
{
    tmfinv_store_options so = {0};
    int rc;

    tmfinv_error_clear();
    if ((rc = tmfinv_config_load(a->config_path, &a->cfg)) < 0 || (rc = tmfinv_sync_load_model(a->cfg, &a->model)) < 0) {
        cli_fail_line(NULL);
        return 1;
    }
    so.busy_timeout_ms = (int64_t)a->cfg->store_busy_timeout_s * 1000;
    if (store && (rc = tmfinv_store_open_with(a->cfg->store_path, &so, &a->store)) < 0) {
        cli_fail_line(NULL);
        return 1;
    }
    return 0;
}

void cli_app_close(app *a)
{
    tmfinv_store_close(a->store);
    tmfinv_model_free(a->model);
    tmfinv_config_free(a->cfg);
}

void cli_print_json(const cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);

    if (s) {
        puts(s);
        free(s);
    }
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
            return cli_bad_option("tmfinv", argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("no command given");
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
        rc = cli_usage_error("unknown command '%s'", cmd);
    cli_app_close(&a);
    return rc;
}
