/* helpers.h: small helpers shared by the unit tests (header-only, static). */
#ifndef TMFINV_TEST_HELPERS_H
#define TMFINV_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes `text` to a new temporary file; returns its path (free() it, unlink it). */
static inline char *write_temp(const char *suffix, const char *text)
{
    char *path = malloc(64);
    int fd;
    FILE *f;

    (void)snprintf(path, 64, "/tmp/tmfinv-test-XXXXXX%s", suffix);
    fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        free(path);
        return NULL;
    }
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static inline void remove_temp(char *path)
{
    if (path) {
        unlink(path);
        free(path);
    }
}

#endif
