/* main.c: the tmfinv command line — a thin layer over the library: it parses
 * arguments, loads the configuration, the model and the store, calls the library and
 * prints the result (human-readable, or JSON with --json). Each failure is printed
 * once, here, as one line on stderr. Exit codes: 0 success, 1 error, 2 incomplete
 * sync, 64 bad command line. */
#include "cli.h"
#include "cli_help.h"

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
#include <unistd.h>

/* Where a packaged tmfinv keeps its configuration (the last place looked at). */
#define TMFINV_SYSTEM_CONFIG "/etc/tmfinv/tmfinv.ini"

static const char usage_text[] =
    "usage: tmfinv [-c FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  sync [--once [--allow-mass-remove]]  one full sync (--once), or the refresh schedule\n"
    "  serve                            the daemon: sync schedule + HTTP API ([http] listen)\n"
    "  query DEFINITION [--where FIELD=VALUE]... [--all] [--count] [--json|--csv] [--limit N]\n"
    "  export DEFINITION [--format csv|jsonl] [--all] [--output FILE]\n"
    "  show KEY|UUID [--definition DEF] [--json]\n"
    "  set KEY|UUID FIELD=VALUE [--definition DEF]\n"
    "  history KEY|UUID [--definition DEF] [--field FIELD] [--json]\n"
    "  impact KEY|UUID [--definition DEF] [--up|--down] [--depth N] [--json]\n"
    "                                   what depends on an instance and what it depends on\n"
    "  changes [--since TIME|--since-run N] [--definition DEF] [--field FIELD] [--after ID]\n"
    "          [--limit N] [--json]   the changes of every instance, oldest first\n"
    "  purge [--dry-run] [--json]       remove what [store] history_days and removed_days no longer keep\n"
    "  events [--dead] [--json] | --retry ID | --retry-all\n"
    "                                   event receivers and their queues, dead letters, retry\n"
    "  summary [--json]                 instances per definition and status\n"
    "  runs [--json] [--limit N]\n"
    "  rejected [--kind rejected|duplicate|empty_key|unknown_value|local_conflict|all] [--json]\n"
    "  definitions [--json]             the definitions, sections and fields\n"
    "  check                            check the configuration and profiles\n"
    "  help [COMMAND]                   this help, or a command's\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default: $TMFINV_CONFIG, else ./tmfinv.ini,\n"
    "                      else /etc/tmfinv/tmfinv.ini)\n"
    "  -h, --help          this help; tmfinv help COMMAND or tmfinv COMMAND --help: the command's\n"
    "                      help (its page in docs/commands/)\n"
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

/* The configuration to read when -c is not given: $TMFINV_CONFIG, else ./tmfinv.ini when
 * it exists, else /etc/tmfinv/tmfinv.ini when it exists; NULL when none is there. */
static const char *default_config(void)
{
    const char *env = getenv("TMFINV_CONFIG");

    if (env && *env)
        return env;
    if (access("tmfinv.ini", F_OK) == 0)
        return "tmfinv.ini";
    if (access(TMFINV_SYSTEM_CONFIG, F_OK) == 0)
        return TMFINV_SYSTEM_CONFIG;
    return NULL;
}

int cli_config_path(app *a)
{
    if (a->config_path || (a->config_path = default_config()))
        return 0;
    fprintf(stderr, "tmfinv: no configuration file: give one with -c FILE or $TMFINV_CONFIG, or create ./tmfinv.ini "
                    "or " TMFINV_SYSTEM_CONFIG "\n");
    return 1;
}

void cli_config_fail(const char *path)
{
    if (access(path, F_OK) != 0)
        fprintf(stderr, "tmfinv: %s (give a configuration with -c FILE or $TMFINV_CONFIG; without them tmfinv "
                        "reads ./tmfinv.ini, else " TMFINV_SYSTEM_CONFIG ")\n", tmfinv_error_last());
    else
        cli_fail_line(NULL);
}

/* Loads what a command needs: config and model always; the store when `store` is set. */
int cli_app_open(app *a, int store)
{
    tmfinv_store_options so = {0};
    int rc;

    tmfinv_error_clear();
    if ((rc = cli_config_path(a)) != 0)
        return rc;
    if ((rc = tmfinv_config_load(a->config_path, &a->cfg)) < 0) {
        cli_config_fail(a->config_path);
        return 1;
    }
    if ((rc = tmfinv_sync_load_model(a->cfg, &a->model)) < 0) {
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

void cli_config_warnings(const tmfinv_config *c)
{
    for (size_t i = 0; c && i < c->n_warnings; i++)
        tmfinv_log(TMFINV_LOG_WARN, "%s", c->warnings[i]);
}

void cli_app_close(app *a)
{
    tmfinv_store_close(a->store);
    tmfinv_model_free(a->model);
    tmfinv_config_free(a->cfg);
}

void cli_log_sink(void *ctx, tmfinv_log_level level, const char *line)
{
    char source[256] = "";
    tmfinv_log_field f = {"source", NULL};

    (void)ctx;
    if (strncmp(line, "source '", 8) == 0) {
        const char *end = strchr(line + 8, '\'');

        if (end && (size_t)(end - line - 8) < sizeof(source)) {
            (void)snprintf(source, sizeof(source), "%.*s", (int)(end - line - 8), line + 8);
            f.value = source;
        }
    }
    tmfinv_log_fields(level, line, &f, 1);
}

void cli_log_line(void *ctx, tmfinv_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    cli_log_sink(ctx, level, line);
}

void cli_print_json(const cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);

    if (s) {
        puts(s);
        free(s);
    }
}

/* The commands, in the order of the usage text. */
typedef struct command {
    const char *name;
    int (*run)(app *a, int argc, char **argv);
} command;

static int cmd_show_one(app *a, int argc, char **argv)
{
    return cmd_show(a, argc, argv, 0);
}

static int cmd_history(app *a, int argc, char **argv)
{
    return cmd_show(a, argc, argv, 1);
}

static const command commands[] = {
    {"sync", cmd_sync},       {"serve", cmd_serve},       {"query", cmd_query},     {"show", cmd_show_one},
    {"set", cmd_set},         {"history", cmd_history},   {"summary", cmd_summary}, {"runs", cmd_runs},
    {"rejected", cmd_rejected}, {"definitions", cmd_definitions}, {"check", cmd_check},
    {"export", cmd_export},   {"changes", cmd_changes},   {"purge", cmd_purge},
    {"impact", cmd_impact},   {"events", cmd_events},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Prints the help of `name` (a command, "help", or NULL for the usage text). */
static int print_help(const char *name)
{
    const char *text;

    if (!name) {
        fputs(usage_text, stdout);
        return 0;
    }
    text = cli_help_text(name);
    if (!text) {
        if (strcmp(name, "help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        return cli_usage_error("help: no command '%s'", name);
    }
    fputs(text, stdout);
    return 0;
}

/* 1 when the command's arguments ask for its help: "-h" or "--help" before any "--". */
static int asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

static int unknown_command(const char *cmd)
{
    const char *names[N_COMMANDS + 2];
    const char *near;

    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = "help";
    names[N_COMMANDS + 1] = NULL;
    near = cli_suggest(cmd, names);
    if (near)
        return cli_usage_error("unknown command '%s'; did you mean '%s'?", cmd, near);
    return cli_usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    app a = {0};
    const char *cmd;
    const command *found = NULL;
    int c, rc;

    opterr = 0; /* getopt's own messages would make a second line; ours name the option */
    /* Options before the command only: '+' stops at the first non-option. */
    while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a.config_path = optarg;
            break;
        case 'h':
            return print_help(NULL);
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
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2)
            return cli_usage_error("help: give at most one COMMAND");
        return print_help(argc == 2 ? argv[1] : NULL);
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            found = &commands[i];
    if (!found)
        return unknown_command(cmd);
    if (asks_help(argc, argv))
        return print_help(cmd);
    rc = found->run(&a, argc, argv);
    cli_app_close(&a);
    return rc;
}
