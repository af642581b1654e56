/* error.c: the thread-local last-error message behind tmfinv_error.h. */
#include "tmfinv_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

int tmfinv_error_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    /* A message longer than the buffer is cut; that is acceptable for one line. */
    (void)vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    return code;
}

const char *tmfinv_error_last(void)
{
    return last_message;
}

void tmfinv_error_clear(void)
{
    last_message[0] = '\0';
}
