/* sim_json.c: bounded text buffer and JSON text writers for the simulator's responses. */
#include "sim_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sim_buf_init(struct sim_buf *buf, size_t limit)
{
    memset(buf, 0, sizeof(*buf));
    buf->limit = limit;
}

void sim_buf_free(struct sim_buf *buf)
{
    size_t limit = buf->limit;

    free(buf->data);
    sim_buf_init(buf, limit);
}

char *sim_buf_steal(struct sim_buf *buf, size_t *len)
{
    char *text = NULL;

    if (!buf->failed && buf->data) {
        text = buf->data;
        if (len)
            *len = buf->len;
        buf->data = NULL;
    }
    sim_buf_free(buf);
    return text;
}

/* Makes room for `more` bytes plus the NUL; 0 on success, -1 (and failed set) otherwise. */
static int sim_buf_reserve(struct sim_buf *buf, size_t more)
{
    size_t need, cap;
    char *grown;

    if (buf->failed)
        return -1;
    if (more > buf->limit || buf->len > buf->limit - more) {
        buf->failed = 1;
        return -1;
    }
    need = buf->len + more + 1;
    if (need <= buf->cap)
        return 0;
    cap = buf->cap ? buf->cap : 4096;
    while (cap < need)
        cap *= 2;
    if (cap > buf->limit + 1)
        cap = buf->limit + 1;
    grown = realloc(buf->data, cap);
    if (!grown) {
        buf->failed = 1;
        return -1;
    }
    buf->data = grown;
    buf->cap = cap;
    return 0;
}

void sim_buf_append(struct sim_buf *buf, const char *text, size_t len)
{
    if (sim_buf_reserve(buf, len) < 0)
        return;
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void sim_buf_puts(struct sim_buf *buf, const char *text)
{
    sim_buf_append(buf, text, strlen(text));
}

void sim_buf_putc(struct sim_buf *buf, char c)
{
    sim_buf_append(buf, &c, 1);
}

void sim_buf_printf(struct sim_buf *buf, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf->failed = 1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        sim_buf_append(buf, small, (size_t)n);
        return;
    }
    if (sim_buf_reserve(buf, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf->failed = 1;
        return;
    }
    buf->len += (size_t)n;
}

void sim_json_sep(struct sim_buf *buf)
{
    char last;

    if (buf->len == 0 || buf->failed)
        return;
    last = buf->data[buf->len - 1];
    if (last != '[' && last != '{' && last != ':')
        sim_buf_putc(buf, ',');
}

/* Writes `text` as a quoted JSON string, escaping what RFC 8259 requires. */
static void sim_json_quote(struct sim_buf *buf, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *run = p;

    sim_buf_putc(buf, '"');
    for (; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        sim_buf_append(buf, (const char *)run, (size_t)(p - run));
        switch (*p) {
        case '"': sim_buf_puts(buf, "\\\""); break;
        case '\\': sim_buf_puts(buf, "\\\\"); break;
        case '\n': sim_buf_puts(buf, "\\n"); break;
        case '\r': sim_buf_puts(buf, "\\r"); break;
        case '\t': sim_buf_puts(buf, "\\t"); break;
        default: sim_buf_printf(buf, "\\u%04x", (unsigned)*p); break;
        }
        run = p + 1;
    }
    sim_buf_append(buf, (const char *)run, (size_t)(p - run));
    sim_buf_putc(buf, '"');
}

void sim_json_string(struct sim_buf *buf, const char *text)
{
    sim_json_sep(buf);
    sim_json_quote(buf, text);
}

void sim_json_key(struct sim_buf *buf, const char *key)
{
    sim_json_sep(buf);
    sim_json_quote(buf, key);
    sim_buf_putc(buf, ':');
}

void sim_json_key_string(struct sim_buf *buf, const char *key, const char *value)
{
    sim_json_key(buf, key);
    sim_json_quote(buf, value);
}

void sim_json_key_uint(struct sim_buf *buf, const char *key, uint64_t value)
{
    sim_json_key(buf, key);
    sim_buf_printf(buf, "%llu", (unsigned long long)value);
}

void sim_json_milli(struct sim_buf *buf, int64_t milli)
{
    char frac[8];
    uint64_t mag;
    size_t n;
    int len;

    sim_json_sep(buf);
    mag = milli < 0 ? (uint64_t)(-(milli + 1)) + 1 : (uint64_t)milli;
    if (milli < 0)
        sim_buf_putc(buf, '-');
    sim_buf_printf(buf, "%llu", (unsigned long long)(mag / 1000));
    if (mag % 1000 == 0)
        return;
    len = snprintf(frac, sizeof(frac), ".%03u", (unsigned)(mag % 1000));
    if (len != 4) {
        buf->failed = 1;
        return;
    }
    n = 4;
    while (frac[n - 1] == '0')
        n--;
    sim_buf_append(buf, frac, n);
}

void sim_json_key_milli(struct sim_buf *buf, const char *key, int64_t milli)
{
    sim_json_key(buf, key);
    sim_json_milli(buf, milli);
}

void sim_json_key_time(struct sim_buf *buf, const char *key, int64_t unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    char text[32];

    sim_json_key(buf, key);
    if (!gmtime_r(&t, &tm) ||
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        buf->failed = 1;
        return;
    }
    sim_json_quote(buf, text);
}

void sim_json_open(struct sim_buf *buf, char bracket)
{
    sim_json_sep(buf);
    sim_buf_putc(buf, bracket);
}

void sim_json_close(struct sim_buf *buf, char bracket)
{
    sim_buf_putc(buf, bracket);
}
