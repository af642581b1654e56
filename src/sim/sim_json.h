/* sim_json.h: a bounded, growable text buffer and the few JSON writers the simulator needs.
 *
 * The simulator renders every response body as JSON text straight into one of these buffers:
 * no tree is built, key order is the order of the calls, and numbers are printed from integers
 * so the output is byte-identical on every run. A buffer never grows past its limit; once an
 * append fails the buffer stays failed (sticky error), so callers check once at the end. */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stddef.h>
#include <stdint.h>

struct sim_buf {
    char *data;     /* NUL-terminated text, owned; NULL until the first append */
    size_t len;     /* bytes used, without the NUL */
    size_t cap;     /* bytes allocated */
    size_t limit;   /* the buffer never grows past this many bytes */
    int failed;     /* non-zero once an append failed (out of memory or over the limit) */
};

/* Starts an empty buffer that may grow up to `limit` bytes. Nothing is allocated yet. */
void sim_buf_init(struct sim_buf *buf, size_t limit);
/* Frees the text; the buffer is empty again and may be reused. Accepts a zeroed buffer. */
void sim_buf_free(struct sim_buf *buf);
/* Hands the text over to the caller (free() it) and empties the buffer. NULL if it failed. */
char *sim_buf_steal(struct sim_buf *buf, size_t *len);

void sim_buf_append(struct sim_buf *buf, const char *text, size_t len);
void sim_buf_puts(struct sim_buf *buf, const char *text);
void sim_buf_putc(struct sim_buf *buf, char c);
/* printf-style append; a failed or truncated format marks the buffer failed. */
void sim_buf_printf(struct sim_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* JSON helpers. Every writer of a key or a value puts the comma in front of it itself when the
 * text so far does not end with '[', '{' or ':' (so objects and arrays need no bookkeeping). */
void sim_json_sep(struct sim_buf *buf);
void sim_json_string(struct sim_buf *buf, const char *text);        /* "escaped" */
void sim_json_key(struct sim_buf *buf, const char *key);            /* ,"key": */
void sim_json_key_string(struct sim_buf *buf, const char *key, const char *value);
void sim_json_key_uint(struct sim_buf *buf, const char *key, uint64_t value);
/* A decimal number given in thousandths (14125250 -> 14125.25), printed without trailing zeros. */
void sim_json_key_milli(struct sim_buf *buf, const char *key, int64_t milli);
void sim_json_milli(struct sim_buf *buf, int64_t milli);
/* An RFC 3339 UTC date-time ("2026-01-01T00:00:00Z") for a Unix time. */
void sim_json_key_time(struct sim_buf *buf, const char *key, int64_t unix_seconds);
/* Opens an object or array; the next key or value written inside needs no comma. */
void sim_json_open(struct sim_buf *buf, char bracket);
void sim_json_close(struct sim_buf *buf, char bracket);

#endif
