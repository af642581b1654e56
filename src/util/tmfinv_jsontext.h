/* tmfinv_jsontext.h: checks on JSON text before or beside a parser: strings must be valid
 * UTF-8 without NUL. cJSON copies invalid bytes as they are and decodes an escaped NUL
 * (\u0000) into a byte that ends the C string, so both are only seen in the text itself.
 * Knows nothing of the domain. */
#ifndef TMFINV_JSONTEXT_H
#define TMFINV_JSONTEXT_H

#include <stddef.h>

/* The first escaped NUL (a `\u0000` escape, not an escaped backslash followed by
 * "u0000") of the JSON text `text` (len bytes), or NULL when there is none. */
const char *tmfinv_jsontext_nul_escape(const char *text, size_t len);

/* 1 when the whole text is valid UTF-8 without a NUL byte and holds no escaped NUL: then
 * every string parsed from it is valid. One pass over the bytes; 0 says "look closer". */
int tmfinv_jsontext_clean(const char *text, size_t len);

/* A string of a JSON array's element that is not valid UTF-8 or holds a NUL. */
typedef struct tmfinv_jsontext_bad {
    size_t element;         /* index of the element of the top-level array */
    const size_t *at;       /* position of the child at each level below the element */
    size_t depth;           /* entries in `at` (0: the element itself is the string) */
    const char *path;       /* the JSON path below the element, e.g. "characteristic[2].value"
                               (names shortened, bytes that are not printable ASCII as '?') */
    const char *reason;     /* "not valid UTF-8" or "a NUL character (\u0000)" */
    int in_name;            /* the bad string is the member name of the child at `at` */
} tmfinv_jsontext_bad;

/* Return nonzero to stop the scan. */
typedef int (*tmfinv_jsontext_bad_fn)(const tmfinv_jsontext_bad *bad, void *ctx);

/* Calls `fn` for every bad string (member names included) of the elements of the JSON
 * array `text`, in document order. Meant for text a JSON parser has accepted (it only
 * tokenises). Returns 0; TMFINV_EINVALID when the text is not a JSON array it can follow,
 * TMFINV_ELIMIT when nesting passes TMFINV_JSONTEXT_MAX_DEPTH (cJSON's own limit). */
#define TMFINV_JSONTEXT_MAX_DEPTH 1000
int tmfinv_jsontext_bad_strings(const char *text, size_t len, tmfinv_jsontext_bad_fn fn, void *ctx);

#endif
