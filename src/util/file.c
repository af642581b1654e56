/* file.c: bounded whole-file reads and path helpers (see tmfinv_file.h). */
#include "tmfinv_file.h"
#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tmfinv_file_read(const char *path, size_t max, char **out, size_t *len)
{
    tmfinv_buf b;
    FILE *f = NULL;
    char chunk[8192];
    size_t n;
    int rc = 0;

    tmfinv_buf_init(&b, max);
    f = fopen(path, "rb");
    if (!f) {
        rc = tmfinv_error_set(TMFINV_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = tmfinv_buf_append(&b, chunk, n);
        if (rc == TMFINV_ELIMIT)
            rc = tmfinv_error_set(TMFINV_ELIMIT, "%s: larger than %zu bytes", path, max);
        if (rc < 0)
            goto out;
    }
    if (ferror(f)) {
        rc = tmfinv_error_set(TMFINV_EIO, "%s: read error", path);
        goto out;
    }
    if (len)
        *len = b.len;
    *out = tmfinv_buf_steal(&b);
    if (!*out)
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
out:
    if (f)
        fclose(f);
    tmfinv_buf_free(&b);
    return rc;
}

int tmfinv_path_join(const char *dir, const char *name, char **out)
{
    size_t n;
    char *p;

    if (name[0] == '/' || !dir || !*dir)
        p = strdup(name);
    else {
        n = strlen(dir) + strlen(name) + 2;
        p = malloc(n);
        if (p)
            (void)snprintf(p, n, "%s/%s", dir, name);
    }
    if (!p)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *out = p;
    return 0;
}

int tmfinv_path_dirname(const char *path, char **out)
{
    const char *slash = strrchr(path, '/');
    char *p;

    if (!slash)
        p = strdup(".");
    else if (slash == path)
        p = strdup("/");
    else
        p = strndup(path, (size_t)(slash - path));
    if (!p)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *out = p;
    return 0;
}
