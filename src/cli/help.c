/* help.c: per-command help from the docs pages, and "did you mean" for a mistyped command
 * (Levenshtein distance). */
#include "cli_help.h"

#include <string.h>

const char *cli_help_text(const char *command)
{
    for (size_t i = 0; i < cli_help_n_pages; i++)
        if (strcmp(cli_help_pages[i].name, command) == 0)
            return cli_help_pages[i].text;
    return NULL;
}

/* Edit distance between a and b, counting insertions, deletions and substitutions; -1 when
 * one of them is longer than a command name can be. */
static int distance(const char *a, const char *b)
{
    enum { MAX = 32 };
    int row[MAX + 1];
    size_t la = strlen(a), lb = strlen(b);

    if (la > MAX || lb > MAX)
        return -1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diagonal = row[0];

        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int above = row[j], best = diagonal + (a[i - 1] != b[j - 1]);

            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diagonal = above;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *cli_suggest(const char *typed, const char *const *names)
{
    const char *best = NULL;
    int best_d = 3;
    size_t n = strlen(typed);

    for (size_t i = 0; names[i]; i++) {
        int d = distance(typed, names[i]);

        if (n >= 3 && strncmp(names[i], typed, n) == 0)
            return names[i];
        if (d >= 0 && d < best_d && (size_t)d < strlen(names[i])) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}
