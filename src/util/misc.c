/* misc.c: time stamps, UUIDs, hashes and checked number parsing (see tmfinv_misc.h). */
#include "tmfinv_misc.h"
#include "tmfinv_error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void tmfinv_time_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    (void)snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

int64_t tmfinv_time_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: a fast generator for the random bits of UUIDs, seeded once per thread
 * from the kernel (UUIDs need uniqueness, not secrecy). */
static uint64_t next_random(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    uint64_t z;

    if (!seeded) {
        if (getrandom(&state, sizeof(state), 0) != (ssize_t)sizeof(state))
            state = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&state;
        seeded = 1;
    }
    z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int tmfinv_uuid_new(char *buf, size_t size)
{
    unsigned char r[16];
    struct timespec ts;
    uint64_t ms, a = next_random(), b = next_random();

    memcpy(r, &a, 8);
    memcpy(r + 8, &b, 8);
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
    for (int i = 0; i < 6; i++)
        r[i] = (unsigned char)(ms >> (40 - 8 * i));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x70);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    (void)snprintf(buf, size,
                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                   r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
                   r[13], r[14], r[15]);
    return 0;
}

static void to_hex(const unsigned char *md, unsigned int n, char hex[65])
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned int i = 0; i < n && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void tmfinv_sha256_hex2(const void *a, size_t alen, const void *b, size_t blen, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, a, alen) ||
        !EVP_DigestUpdate(ctx, b, blen) || !EVP_DigestFinal_ex(ctx, md, &n))
        memset(md, 0, sizeof(md)), n = 32;
    EVP_MD_CTX_free(ctx);
    to_hex(md, n, hex);
}

void tmfinv_sha256_hex(const void *p, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    (void)i;
    EVP_Digest(p, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, n, hex);
}

int tmfinv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return TMFINV_EINVALID;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return TMFINV_EINVALID;
    *out = v;
    return 0;
}

int tmfinv_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (!s || !*s || isspace((unsigned char)*s))
        return TMFINV_EINVALID;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return TMFINV_EINVALID;
    *out = v;
    return 0;
}

static int digits(const char *s, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int tmfinv_is_datetime(const char *s)
{
    int mon, day, hour, min, sec;

    if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    mon = (s[5] - '0') * 10 + (s[6] - '0');
    day = (s[8] - '0') * 10 + (s[9] - '0');
    hour = (s[11] - '0') * 10 + (s[12] - '0');
    min = (s[14] - '0') * 10 + (s[15] - '0');
    sec = (s[17] - '0') * 10 + (s[18] - '0');
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return 0;
    s += 19;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
        return 1;
    if ((*s == '+' || *s == '-') && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2) && s[6] == '\0')
        return 1;
    return 0;
}
