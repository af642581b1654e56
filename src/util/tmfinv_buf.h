/* tmfinv_buf.h: a growable byte buffer with a maximum size fixed at creation.
 *
 * Input of unknown size (HTTP bodies, files) is read into a tmfinv_buf whose limit
 * makes an oversized input fail with TMFINV_ELIMIT instead of exhausting memory.
 * The data is always NUL-terminated (not counted in len). */
#ifndef TMFINV_BUF_H
#define TMFINV_BUF_H

#include <stddef.h>

typedef struct tmfinv_buf {
    char *data;     /* NUL-terminated contents, NULL until the first append */
    size_t len;     /* bytes used, without the terminating NUL */
    size_t cap;     /* bytes allocated */
    size_t max;     /* largest len allowed */
} tmfinv_buf;

/* Prepares an empty buffer that may hold at most `max` bytes. Allocates nothing. */
void tmfinv_buf_init(tmfinv_buf *b, size_t max);

/* Appends `n` bytes. Returns 0, TMFINV_ELIMIT when the result would exceed the
 * maximum (the buffer is unchanged), or TMFINV_ENOMEM. */
int tmfinv_buf_append(tmfinv_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Same returns as tmfinv_buf_append(). */
int tmfinv_buf_puts(tmfinv_buf *b, const char *s);

/* Appends printf-style text. Same returns as tmfinv_buf_append(). */
int tmfinv_buf_printf(tmfinv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends `s` percent-encoded for a URI component: RFC 3986 unreserved characters as they
 * are, every other byte as %XX. */
int tmfinv_buf_put_encoded(tmfinv_buf *b, const char *s);

/* Empties the buffer, keeping its memory. */
void tmfinv_buf_reset(tmfinv_buf *b);

/* Frees the memory; the buffer may be used again as if just initialised. */
void tmfinv_buf_free(tmfinv_buf *b);

/* Hands the contents to the caller (free() it) and leaves the buffer empty. Returns an
 * empty allocated string when nothing was appended, NULL only when out of memory. */
char *tmfinv_buf_steal(tmfinv_buf *b);

#endif
