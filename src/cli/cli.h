/* cli.h: what the files of the tmfinv command line share: the loaded application (config,
 * model, store), one-line failure output, and the commands (cmd_*.c), each called with the
 * arguments from the command's name on and returning the process's exit code. */
#ifndef TMFINV_CLI_H
#define TMFINV_CLI_H

#include "config.h"
#include "model.h"
#include "store.h"
#include "tmfinv_log.h"

#include <stdio.h>

#define EXIT_INCOMPLETE 2
#define EXIT_USAGE 64

typedef struct app {
    const char *config_path;
    tmfinv_config *cfg;
    tmfinv_model *model;
    tmfinv_store *store;
} app;

/* Prints "tmfinv: WHAT: last error" (or the last error alone) as one line on stderr. */
void cli_fail_line(const char *what);

/* Sets a->config_path when -c did not: $TMFINV_CONFIG, else ./tmfinv.ini, else
 * /etc/tmfinv/tmfinv.ini when they exist. 0, or 1 after saying how to give one. */
int cli_config_path(app *a);

/* The one line for a configuration that could not be loaded; when the file is missing it
 * says how to give one. */
void cli_config_fail(const char *path);

/* Prints "tmfinv: MESSAGE (see tmfinv --help)" on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage error for the option getopt just refused. */
int cli_bad_option(const char *cmd, char **argv);

/* Loads what a command needs: config and model always; the store when `store` is set.
 * 0, or 1 after printing the failure. */
int cli_app_open(app *a, int store);
void cli_app_close(app *a);

/* Logs the configuration's warnings (a secret file open to other users) at warn; for the
 * commands that run with the configuration's secrets: check, sync, serve. */
void cli_config_warnings(const tmfinv_config *c);

/* The engine's and the daemon's log lines (a tmfinv_log_fn) into the process log
 * (tmfinv_log.h); a line about a source ("source 'NAME'…") gets the field source=NAME. */
void cli_log_sink(void *ctx, tmfinv_log_level level, const char *line);
void cli_log_line(void *ctx, tmfinv_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints o as one line of JSON on stdout. */
void cli_print_json(const cJSON *o);

/* cmd_instances.c */
int cli_unknown_definition(const app *a, const char *name);
int cli_find_instance(app *a, const char *ref, const char *definition, tmfinv_instance **out);

int cmd_sync(app *a, int argc, char **argv);        /* cmd_sync.c */
int cmd_serve(app *a, int argc, char **argv);       /* cmd_sync.c */
int cmd_query(app *a, int argc, char **argv);       /* cmd_instances.c */
int cmd_show(app *a, int argc, char **argv, int history);
int cmd_set(app *a, int argc, char **argv);
int cmd_runs(app *a, int argc, char **argv);        /* cmd_reports.c */
int cmd_rejected(app *a, int argc, char **argv);
int cmd_summary(app *a, int argc, char **argv);
int cmd_definitions(app *a, int argc, char **argv);
int cmd_check(app *a, int argc, char **argv);
int cmd_export(app *a, int argc, char **argv);      /* cmd_export.c */
int cmd_changes(app *a, int argc, char **argv);     /* cmd_changes.c */
int cmd_purge(app *a, int argc, char **argv);
int cmd_impact(app *a, int argc, char **argv);      /* cmd_impact.c */
int cmd_events(app *a, int argc, char **argv);      /* cmd_events.c */

/* `history KEY --field F`: prints the timeline of field F of inst (cmd_changes.c); the
 * process's exit code (64 for a field the definition does not have). */
int cli_print_timeline(app *a, const tmfinv_instance *inst, const char *field, int json);

/* CSV (RFC 4180, CRLF line ends) of a definition's instances, for export and query --csv:
 * the header (_id, _key, _status, _removed, _modified, then the definition's fields) and
 * one row. cli_csv_row() fails with TMFINV_EIO when `out` has a write error. */
void cli_csv_header(FILE *out, const tmfinv_definition *d);
int cli_csv_row(FILE *out, const tmfinv_definition *d, const tmfinv_instance *inst);

#endif
