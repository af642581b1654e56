/* tmfinv_misc.h: time stamps, UUIDs, hashes and checked number parsing. */
#ifndef TMFINV_MISC_H
#define TMFINV_MISC_H

#include <stddef.h>
#include <stdint.h>

/* The current UTC time as RFC 3339 with milliseconds ("2026-01-01T00:00:00.000Z")
 * written into buf (at least 25 bytes). */
void tmfinv_time_now(char *buf, size_t size);

/* Milliseconds of a monotonic clock, for durations. */
int64_t tmfinv_time_monotonic_ms(void);

/* A new time-ordered (version 7: milliseconds since 1970, then random bits) UUID in
 * canonical form into buf (at least 37 bytes); time order keeps index inserts local.
 * Returns 0 or TMFINV_EIO when no randomness is available. */
int tmfinv_uuid_new(char *buf, size_t size);

/* SHA-256 of `len` bytes at `p`, as 64 lowercase hex digits plus NUL into hex[65]. */
void tmfinv_sha256_hex(const void *p, size_t len, char hex[65]);

/* SHA-256 of the bytes at `a` followed by those at `b`, as tmfinv_sha256_hex(). */
void tmfinv_sha256_hex2(const void *a, size_t alen, const void *b, size_t blen, char hex[65]);

/* Parses all of `s` as a base-10 integer within [min, max]. 0 or TMFINV_EINVALID. */
int tmfinv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parses all of `s` as a finite double. 0 or TMFINV_EINVALID. */
int tmfinv_parse_double(const char *s, double *out);

/* 1 when `s` is an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)). */
int tmfinv_is_datetime(const char *s);

#endif
