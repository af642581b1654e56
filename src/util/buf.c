/* buf.c: bounded growable buffer (see tmfinv_buf.h). */
#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tmfinv_buf_init(tmfinv_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int buf_reserve(tmfinv_buf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (n > b->max - b->len)
        return tmfinv_error_set(TMFINV_ELIMIT, "more than %zu bytes", b->max);
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    b->data = p;
    b->cap = cap;
    return 0;
}

int tmfinv_buf_append(tmfinv_buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int tmfinv_buf_puts(tmfinv_buf *b, const char *s)
{
    return tmfinv_buf_append(b, s, strlen(s));
}

int tmfinv_buf_printf(tmfinv_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return tmfinv_error_set(TMFINV_ERROR, "bad format");
    rc = buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void tmfinv_buf_reset(tmfinv_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tmfinv_buf_free(tmfinv_buf *b)
{
    free(b->data);
    tmfinv_buf_init(b, b->max);
}

char *tmfinv_buf_steal(tmfinv_buf *b)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    tmfinv_buf_init(b, b->max);
    return p;
}

int tmfinv_buf_put_encoded(tmfinv_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            char one = (char)c;

            rc = tmfinv_buf_append(b, &one, 1);
        } else {
            char three[3] = {'%', hex[c >> 4], hex[c & 15]};

            rc = tmfinv_buf_append(b, three, 3);
        }
    }
    return rc;
}
