/* tmfinv_utf8.h: UTF-8 validation for text that crosses a trust boundary (API input,
 * source items). Knows nothing of the domain. */
#ifndef TMFINV_UTF8_H
#define TMFINV_UTF8_H

#include <stddef.h>

/* 1 when the `len` bytes at `s` are well-formed UTF-8 (RFC 3629: no overlong forms, no
 * UTF-16 surrogates, nothing above U+10FFFF) and contain no NUL byte; 0 otherwise. */
int tmfinv_utf8_valid(const char *s, size_t len);

/* The offset of the first byte of `s` (len bytes) that makes it fail tmfinv_utf8_valid(),
 * or `len` when it is valid. */
size_t tmfinv_utf8_invalid_at(const char *s, size_t len);

#endif
