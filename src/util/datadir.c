/* datadir.c: finding the data folder (profiles, the OpenAPI document) of a build or an
 * installed tmfinv. An installed or moved binary never reads the build tree: the path of
 * the source tree is used only by a binary still inside the build tree it came from. */
#include "tmfinv_datadir.h"

#include "tmfinv_error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by CMake for this file only: the source tree's data/ and the build tree's top, or
 * empty strings when the build does not allow the fallback (packages). */
#ifndef TMFINV_SOURCE_DATA_DIR
#define TMFINV_SOURCE_DATA_DIR ""
#endif
#ifndef TMFINV_BUILD_DIR
#define TMFINV_BUILD_DIR ""
#endif

static int is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when `path` is `dir` or lies below it (both canonical). */
static int is_below(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return n > 0 && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int tmfinv_datadir_get(char **out)
{
    const char *env = getenv("TMFINV_DATA_DIR");
    char exe[PATH_MAX], prefix_share[PATH_MAX + 32], build[PATH_MAX];
    char *slash, *found = NULL;
    ssize_t n;
    int rc = 0;

    if (env && *env) {
        found = strdup(env);
        goto out;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 || (size_t)n >= sizeof(exe) - 1) {
        rc = tmfinv_error_set(TMFINV_ENOTFOUND,
                              "data folder not found: TMFINV_DATA_DIR is not set and /proc/self/exe cannot be read; "
                              "set TMFINV_DATA_DIR to the folder holding profiles/");
        goto out;
    }
    exe[n] = '\0';
    /* PREFIX/bin/tmfinv → PREFIX/share/tmfinv; a binary at / has no prefix above it. */
    if ((slash = strrchr(exe, '/')))
        *slash = '\0';
    (void)snprintf(prefix_share, sizeof(prefix_share), "%s/share/tmfinv", exe);
    if ((slash = strrchr(exe, '/'))) {
        *slash = '\0';
        (void)snprintf(prefix_share, sizeof(prefix_share), "%s/share/tmfinv", exe);
        *slash = '/';
    }
    if (is_dir(prefix_share)) {
        found = strdup(prefix_share);
        goto out;
    }
    if (TMFINV_BUILD_DIR[0] && TMFINV_SOURCE_DATA_DIR[0] && realpath(TMFINV_BUILD_DIR, build) &&
        is_below(exe, build) && is_dir(TMFINV_SOURCE_DATA_DIR)) {
        found = strdup(TMFINV_SOURCE_DATA_DIR);
        goto out;
    }
    rc = tmfinv_error_set(TMFINV_ENOTFOUND,
                          "data folder not found: TMFINV_DATA_DIR is not set and %s does not exist "
                          "(an installed tmfinv reads PREFIX/share/tmfinv beside PREFIX/bin)", prefix_share);
out:
    if (rc == 0) {
        if (!found)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        *out = found;
    }
    return rc;
}
