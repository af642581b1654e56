/* store_tmf.c: what every backend's TMF API queries share, above the SQL: the checked steps
 * of an attribute path (docs/api-tmf.md), so that both backends accept and refuse the same. */
#include "store_int.h"

#include "tmfinv_error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Splits an attribute path into its steps (pointers into `copy`, a modifiable copy of
 * the path); TMFINV_EINVALID unless every step matches [A-Za-z@_][A-Za-z0-9@_]*. */
int store_tmf_steps(const char *path, char *copy, size_t size, char **steps, size_t *n_steps)
{
    size_t n = 0;
    char *p;

    if (snprintf(copy, size, "%s", path) >= (int)size)
        return tmfinv_error_set(TMFINV_EINVALID, "attribute path too long");
    for (p = copy;;) {
        char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);

        if (n >= STORE_TMF_MAX_STEPS)
            return tmfinv_error_set(TMFINV_EINVALID, "attribute path with more than %d steps", STORE_TMF_MAX_STEPS);
        if (len == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '@' || p[0] == '_') ||
            strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@_") != len)
            return tmfinv_error_set(TMFINV_EINVALID, "bad attribute path '%.100s'", path);
        steps[n++] = p;
        if (!dot)
            break;
        *dot = '\0';
        p = dot + 1;
    }
    *n_steps = n;
    return 0;
}
