/* cli_help.h: each command's help, compiled in from its docs page (docs/commands/NAME.md,
 * turned into cli_help_pages.c at build time by gen_help.cmake), and the "did you mean"
 * suggestion for a mistyped command. */
#ifndef TMFINV_CLI_HELP_H
#define TMFINV_CLI_HELP_H

#include <stddef.h>

typedef struct cli_help_page {
    const char *name; /* the command, e.g. "sync" */
    const char *text; /* its docs page, verbatim */
} cli_help_page;

extern const cli_help_page cli_help_pages[];
extern const size_t cli_help_n_pages;

/* The docs page of `command`, or NULL when there is none. */
const char *cli_help_text(const char *command);

/* The known command closest to `typed` (at most 2 edits, or a prefix of 3 characters or
 * more), or NULL. `names` ends with NULL. */
const char *cli_suggest(const char *typed, const char *const *names);

#endif
