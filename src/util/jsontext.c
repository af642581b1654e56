/* jsontext.c: checks on JSON text that a parser cannot make for us (see tmfinv_jsontext.h).
 * The fast path is one pass over the bytes; the tokenizer that names the bad string runs
 * only when that pass failed, on text the parser has already accepted. */
#include "tmfinv_jsontext.h"

#include "tmfinv_error.h"
#include "tmfinv_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_SHOWN 48 /* bytes of a member name shown in a path */

const char *tmfinv_jsontext_nul_escape(const char *text, size_t len)
{
    const char *p = text, *end = text + len;

    /* Backslashes only occur inside strings, where each starts a two-character escape
     * (or six for \uXXXX): skipping two keeps an escaped backslash from being read as
     * the start of "\u0000". */
    while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
            return p;
        p += 2;
    }
    return NULL;
}

int tmfinv_jsontext_clean(const char *text, size_t len)
{
    return tmfinv_utf8_valid(text, len) && !tmfinv_jsontext_nul_escape(text, len);
}

typedef struct scan {
    const char *t;
    size_t len, pos;
    size_t element;
    size_t depth;                                   /* containers open inside the element */
    size_t at[TMFINV_JSONTEXT_MAX_DEPTH];           /* child position in each open container */
    unsigned char is_object[TMFINV_JSONTEXT_MAX_DEPTH];
    size_t path_at_open[TMFINV_JSONTEXT_MAX_DEPTH]; /* path length of each open container */
    char path[512];
    size_t path_len;
    tmfinv_jsontext_bad_fn fn;
    void *ctx;
} scan;

static void skip_space(scan *s)
{
    /* The same bytes cJSON skips: everything up to the space. */
    while (s->pos < s->len && (unsigned char)s->t[s->pos] <= 32)
        s->pos++;
}

static void path_append(scan *s, const char *text, size_t n)
{
    size_t room = sizeof(s->path) - 1 - s->path_len;

    if (n > room)
        n = room;
    memcpy(s->path + s->path_len, text, n);
    s->path_len += n;
    s->path[s->path_len] = '\0';
}

static void path_name(scan *s, const char *name, size_t n)
{
    char shown[NAME_SHOWN + 4];
    size_t i, k = 0;

    if (s->path_len)
        path_append(s, ".", 1);
    for (i = 0; i < n && i < NAME_SHOWN; i++) {
        unsigned char c = (unsigned char)name[i];

        shown[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n > NAME_SHOWN) {
        memcpy(shown + k, "...", 3);
        k += 3;
    }
    path_append(s, shown, k);
}

static void path_index(scan *s, size_t index)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "[%zu]", index);

    if (n > 0)
        path_append(s, num, (size_t)n);
}

/* At an opening quote: moves past the string. Returns 0 with *reason NULL when the string
 * is good, or naming what is wrong; -1 when the string does not end. */
static int read_string(scan *s, const char **start, size_t *n, const char **reason)
{
    size_t begin = ++s->pos, bad;
    int nul = 0;

    while (s->pos < s->len && s->t[s->pos] != '"') {
        if (s->t[s->pos] != '\\') {
            s->pos++;
            continue;
        }
        if (s->pos + 1 >= s->len)
            return -1;
        if (s->t[s->pos + 1] == 'u' && s->len - s->pos >= 6 && memcmp(s->t + s->pos + 2, "0000", 4) == 0)
            nul = 1;
        s->pos += 2;
    }
    if (s->pos >= s->len)
        return -1;
    *start = s->t + begin;
    *n = s->pos - begin;
    s->pos++;
    bad = tmfinv_utf8_invalid_at(*start, *n);
    if (bad < *n)
        *reason = (*start)[bad] == '\0' ? "a NUL character" : "not valid UTF-8";
    else
        *reason = nul ? "a NUL character (\\u0000)" : NULL;
    return 0;
}

static int report(scan *s, const char *reason, int in_name)
{
    tmfinv_jsontext_bad b = {.element = s->element, .at = s->at, .depth = s->depth, .path = s->path,
                             .reason = reason, .in_name = in_name};

    return s->fn(&b, s->ctx);
}

static int is_end_of_token(char c)
{
    return c == ',' || c == ']' || c == '}' || (unsigned char)c <= 32;
}

/* Scans one element of the top-level array. Returns 0, 1 when the callback stopped the
 * scan, or a negative code. */
static int scan_element(scan *s)
{
    enum { VALUE, CHILD, AFTER } state = VALUE;
    const char *str, *reason;
    size_t n, begin;

    s->depth = 0;
    s->path_len = 0;
    s->path[0] = '\0';
    for (;;) {
        switch (state) {
        case VALUE:
            skip_space(s);
            if (s->pos >= s->len)
                return tmfinv_error_set(TMFINV_EINVALID, "JSON text ends inside a value");
            if (s->t[s->pos] == '"') {
                if (read_string(s, &str, &n, &reason) < 0)
                    return tmfinv_error_set(TMFINV_EINVALID, "JSON text ends inside a string");
                if (reason && report(s, reason, 0))
                    return 1;
                state = AFTER;
            } else if (s->t[s->pos] == '{' || s->t[s->pos] == '[') {
                if (s->depth >= TMFINV_JSONTEXT_MAX_DEPTH)
                    return tmfinv_error_set(TMFINV_ELIMIT, "JSON nested deeper than %d", TMFINV_JSONTEXT_MAX_DEPTH);
                s->is_object[s->depth] = s->t[s->pos] == '{';
                s->path_at_open[s->depth] = s->path_len;
                s->at[s->depth] = 0;
                s->depth++;
                s->pos++;
                skip_space(s);
                if (s->pos < s->len && s->t[s->pos] == (s->is_object[s->depth - 1] ? '}' : ']')) {
                    s->pos++;
                    s->depth--;
                    state = AFTER;
                } else
                    state = CHILD;
            } else {
                /* A number or a literal: up to the next delimiter. */
                begin = s->pos;
                while (s->pos < s->len && !is_end_of_token(s->t[s->pos]))
                    s->pos++;
                if (s->pos == begin)
                    return tmfinv_error_set(TMFINV_EINVALID, "a value is missing at byte %zu", begin);
                state = AFTER;
            }
            break;
        case CHILD:
            s->path_len = s->path_at_open[s->depth - 1];
            s->path[s->path_len] = '\0';
            if (!s->is_object[s->depth - 1]) {
                path_index(s, s->at[s->depth - 1]);
                state = VALUE;
                break;
            }
            skip_space(s);
            if (s->pos >= s->len || s->t[s->pos] != '"' || read_string(s, &str, &n, &reason) < 0)
                return tmfinv_error_set(TMFINV_EINVALID, "a member name is missing at byte %zu", s->pos);
            path_name(s, str, n);
            if (reason && report(s, reason, 1))
                return 1;
            skip_space(s);
            if (s->pos >= s->len || s->t[s->pos] != ':')
                return tmfinv_error_set(TMFINV_EINVALID, "':' is missing at byte %zu", s->pos);
            s->pos++;
            state = VALUE;
            break;
        case AFTER:
            if (s->depth == 0)
                return 0;
            skip_space(s);
            if (s->pos < s->len && s->t[s->pos] == ',') {
                s->pos++;
                s->at[s->depth - 1]++;
                state = CHILD;
            } else if (s->pos < s->len && s->t[s->pos] == (s->is_object[s->depth - 1] ? '}' : ']')) {
                s->pos++;
                s->depth--;
            } else
                return tmfinv_error_set(TMFINV_EINVALID, "',' or the end of a container is missing at byte %zu",
                                        s->pos);
            break;
        }
    }
}

int tmfinv_jsontext_bad_strings(const char *text, size_t len, tmfinv_jsontext_bad_fn fn, void *ctx)
{
    scan *s = calloc(1, sizeof(*s));
    int rc = 0;

    if (!s)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    s->t = text;
    s->len = len;
    s->fn = fn;
    s->ctx = ctx;
    /* cJSON skips a byte order mark at the very start. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        s->pos = 3;
    skip_space(s);
    if (s->pos >= s->len || s->t[s->pos] != '[') {
        rc = tmfinv_error_set(TMFINV_EINVALID, "JSON text is not an array");
        goto out;
    }
    s->pos++;
    skip_space(s);
    if (s->pos < s->len && s->t[s->pos] == ']')
        goto out;
    for (;;) {
        rc = scan_element(s);
        if (rc != 0) {
            if (rc > 0)
                rc = 0;
            goto out;
        }
        skip_space(s);
        if (s->pos < s->len && s->t[s->pos] == ',') {
            s->pos++;
            s->element++;
        } else if (s->pos < s->len && s->t[s->pos] == ']')
            goto out;
        else {
            rc = tmfinv_error_set(TMFINV_EINVALID, "',' or ']' is missing at byte %zu", s->pos);
            goto out;
        }
    }
out:
    free(s);
    return rc;
}
