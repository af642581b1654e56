/* sim_auth.c: credentials file, Basic and Bearer checks, and the OAuth2 token endpoint of
 * tmfinv-sim.
 *
 * Issued tokens are 32 hex digits: the first 16 are an invertible mix of the token's serial
 * number with a per-process mask, so a token is found again in O(1) (serial modulo the ring
 * size) without a hash table; the last 16 are another mix, so tokens look random and a guessed
 * serial is not enough. The ring forgets the oldest token when it is full. */
#include "sim_auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define SIM_AUTH_FILE_MAX (1024u * 1024u)   /* bytes of --auth-file */
#define SIM_AUTH_LINES_MAX 100000u          /* credentials in --auth-file */
#define SIM_AUTH_FIELD_MAX 1024u            /* a decoded form field or Basic credential */
#define SIM_AUTH_TOKENS (1u << 16)          /* issued tokens remembered */
#define SIM_AUTH_REFRESH_TTL_MS (100LL * 86400 * 1000)   /* refresh tokens: 100 days */
#define SIM_AUTH_REALM "realm=\"tmfinv-sim\""
#define SIM_AUTH_NO_COLON ((size_t)-1)

struct sim_auth_line {
    const char *text;       /* inside sim_auth.file, NUL-terminated */
    size_t len;
    size_t colon;           /* offset of the first ':' or SIM_AUTH_NO_COLON */
};

struct sim_auth_issued {
    uint64_t serial;        /* 0: free slot */
    char text[33];          /* the token */
    int refresh;            /* 1 for a refresh token */
    size_t client;          /* line of the client it was issued to */
    int64_t expires_ms;     /* monotonic clock */
};

struct sim_auth {
    enum sim_auth_kind kind;
    uint32_t ttl;                       /* --token-ttl, seconds */
    char *file;                         /* the file's text, lines cut in place; wiped at free */
    size_t file_size;
    struct sim_auth_line *lines;
    size_t count;
    pthread_mutex_t lock;               /* guards everything below */
    struct sim_auth_issued *issued;     /* ring of SIM_AUTH_TOKENS (oauth2 only) */
    uint64_t next_serial;               /* serial of the next token (from 1) */
    uint64_t expired_below;             /* access tokens with a smaller serial are expired */
    uint64_t mask_a, mask_b;            /* per-process token masks */
};

/* A bijective 64-bit mix (splitmix64's finalizer) and its inverse. */
static uint64_t sim_auth_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t sim_auth_unmix(uint64_t z)
{
    z ^= (z >> 31) ^ (z >> 62);
    z *= 0x319642b2d24d8ec3ULL;
    z ^= (z >> 27) ^ (z >> 54);
    z *= 0x96de1b173f119089ULL;
    z ^= (z >> 30) ^ (z >> 60);
    return z;
}

static int64_t sim_auth_now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sim_auth_set_error(char *error, size_t size, const char *path, size_t line,
                   const char *what)
{
    int n;

    if (line)
        n = snprintf(error, size, "--auth-file: '%.200s' line %zu: %s", path, line, what);
    else
        n = snprintf(error, size, "--auth-file: '%.200s': %s", path, what);
    if (n < 0 && size)
        error[0] = '\0';
}

/* Reads the whole file (at most SIM_AUTH_FILE_MAX bytes) into *text. 0, or -1 with error set. */
static int sim_auth_read(const char *path, char **text, size_t *size, char *error,
             size_t error_size)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0, got;
    int rc = -1;

    if (!f) {
        sim_auth_set_error(error, error_size, path, 0, strerror(errno));
        goto out;
    }
    data = malloc(SIM_AUTH_FILE_MAX + 1);
    if (!data) {
        sim_auth_set_error(error, error_size, path, 0, "out of memory");
        goto out;
    }
    while ((got = fread(data + n, 1, SIM_AUTH_FILE_MAX + 1 - n, f)) > 0) {
        n += got;
        if (n > SIM_AUTH_FILE_MAX)
            break;
    }
    if (ferror(f)) {
        sim_auth_set_error(error, error_size, path, 0, "read error");
        goto out;
    }
    if (n > SIM_AUTH_FILE_MAX) {
        sim_auth_set_error(error, error_size, path, 0, "larger than 1 MiB");
        goto out;
    }
    data[n] = '\0';
    *text = data;
    *size = n + 1;
    data = NULL;
    rc = 0;
out:
    if (data) {
        explicit_bzero(data, SIM_AUTH_FILE_MAX + 1);
        free(data);
    }
    if (f)
        fclose(f);
    return rc;
}

/* Cuts the file into trimmed credential lines (blank lines and # comments skipped). */
static int sim_auth_parse(struct sim_auth *auth, const char *path, char *error, size_t error_size)
{
    char *p = auth->file, *end, *start, *stop;
    size_t number = 0, cap = 0;
    struct sim_auth_line *grown;

    while (p && *p) {
        number++;
        end = strchr(p, '\n');
        if (end)
            *end = '\0';
        start = p;
        stop = p + strlen(p);
        p = end ? end + 1 : NULL;
        while (*start == ' ' || *start == '\t')
            start++;
        while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
            stop--;
        *stop = '\0';
        if (start == stop || *start == '#')
            continue;
        if (auth->count == SIM_AUTH_LINES_MAX) {
            sim_auth_set_error(error, error_size, path, number, "too many credentials");
            return -1;
        }
        if (auth->count == cap) {
            cap = cap ? cap * 2 : 16;
            grown = realloc(auth->lines, cap * sizeof(*grown));
            if (!grown) {
                sim_auth_set_error(error, error_size, path, number, "out of memory");
                return -1;
            }
            auth->lines = grown;
        }
        auth->lines[auth->count].text = start;
        auth->lines[auth->count].len = (size_t)(stop - start);
        auth->lines[auth->count].colon = strchr(start, ':') ?
            (size_t)(strchr(start, ':') - start) : SIM_AUTH_NO_COLON;
        if (auth->kind != SIM_AUTH_BEARER && (auth->lines[auth->count].colon == SIM_AUTH_NO_COLON ||
                              auth->lines[auth->count].colon == 0)) {
            sim_auth_set_error(error, error_size, path, number,
                       auth->kind == SIM_AUTH_BASIC ? "expected user:password" :
                       "expected client_id:secret or user:password");
            return -1;
        }
        if (auth->kind == SIM_AUTH_BEARER && strpbrk(start, " \t")) {
            sim_auth_set_error(error, error_size, path, number,
                       "a bearer token may not contain blanks");
            return -1;
        }
        auth->count++;
    }
    if (auth->count == 0) {
        sim_auth_set_error(error, error_size, path, 0, "no credentials in the file");
        return -1;
    }
    return 0;
}

int sim_auth_load(enum sim_auth_kind kind, const char *path, uint32_t token_ttl, uint64_t seed,
          struct sim_auth **out, char *error, size_t error_size)
{
    struct sim_auth *auth = calloc(1, sizeof(*auth));
    uint64_t nonce[2] = { 0, 0 };
    int rc = -1;

    if (!auth) {
        sim_auth_set_error(error, error_size, path, 0, "out of memory");
        goto out;
    }
    auth->kind = kind;
    auth->ttl = token_ttl;
    pthread_mutex_init(&auth->lock, NULL);
    if (sim_auth_read(path, &auth->file, &auth->file_size, error, error_size) < 0 ||
        sim_auth_parse(auth, path, error, error_size) < 0)
        goto out;
    if (kind == SIM_AUTH_OAUTH2) {
        auth->issued = calloc(SIM_AUTH_TOKENS, sizeof(*auth->issued));
        if (!auth->issued) {
            sim_auth_set_error(error, error_size, path, 0, "out of memory");
            goto out;
        }
        /* tokens need not be reproducible: mix in a per-process nonce when there is one */
        if (getrandom(nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce))
            nonce[0] = nonce[1] = (uint64_t)time(NULL);
        auth->mask_a = sim_auth_mix(seed ^ nonce[0] ^ 0xa11ce5a11ce5ULL);
        auth->mask_b = sim_auth_mix(seed + nonce[1] + 0xb0b0b0b0b0b0ULL);
        auth->next_serial = 1;
    }
    *out = auth;
    auth = NULL;
    rc = 0;
out:
    sim_auth_free(auth);
    return rc;
}

void sim_auth_free(struct sim_auth *auth)
{
    if (!auth)
        return;
    if (auth->file) {
        explicit_bzero(auth->file, auth->file_size);
        free(auth->file);
    }
    if (auth->issued) {
        explicit_bzero(auth->issued, SIM_AUTH_TOKENS * sizeof(*auth->issued));
        free(auth->issued);
    }
    free(auth->lines);
    pthread_mutex_destroy(&auth->lock);
    free(auth);
}

enum sim_auth_kind sim_auth_kind_of(const struct sim_auth *auth)
{
    return auth ? auth->kind : SIM_AUTH_NONE;
}

/* Compares without stopping at the first difference. 1 when equal. */
static int sim_auth_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    unsigned char diff = (unsigned char)(a_len != b_len);
    size_t i, n = a_len < b_len ? a_len : b_len;

    for (i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* The line whose two halves are `left` and `right`, or -1. */
static long sim_auth_find_pair(const struct sim_auth *auth, const char *left, size_t left_len,
                   const char *right, size_t right_len)
{
    size_t i;

    for (i = 0; i < auth->count; i++) {
        const struct sim_auth_line *line = &auth->lines[i];

        if (line->colon == SIM_AUTH_NO_COLON)
            continue;
        if (sim_auth_equal(line->text, line->colon, left, left_len) &&
            sim_auth_equal(line->text + line->colon + 1, line->len - line->colon - 1, right,
                   right_len))
            return (long)i;
    }
    return -1;
}

static int sim_auth_b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 text into out (NUL-terminated). Returns the length, or -1 when invalid or
 * longer than size - 1. */
static long sim_auth_b64_decode(const char *text, char *out, size_t size)
{
    uint32_t acc = 0;
    int bits = 0, v;
    size_t n = 0;

    for (; *text && *text != '='; text++) {
        v = sim_auth_b64_value(*text);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= size)
                return -1;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    while (*text == '=')
        text++;
    if (*text)
        return -1;
    out[n] = '\0';
    return (long)n;
}

/* When `authorization` uses `scheme`, returns the credentials after it, else NULL. */
static const char *sim_auth_scheme(const char *authorization, const char *scheme)
{
    size_t n = strlen(scheme);

    if (!authorization || strncasecmp(authorization, scheme, n) != 0 || authorization[n] != ' ')
        return NULL;
    authorization += n;
    while (*authorization == ' ')
        authorization++;
    return authorization;
}

/* Decodes Basic credentials into out and sets *colon; -1 when malformed. */
static int sim_auth_basic(const char *authorization, char *out, size_t size, size_t *colon)
{
    const char *credentials = sim_auth_scheme(authorization, "Basic");
    long n;
    char *c;

    if (!credentials)
        return -1;
    n = sim_auth_b64_decode(credentials, out, size);
    if (n < 0 || (size_t)n != strlen(out))
        return -1;
    c = strchr(out, ':');
    if (!c)
        return -1;
    *colon = (size_t)(c - out);
    return 0;
}

static void sim_auth_format_token(const struct sim_auth *auth, uint64_t serial, char out[33])
{
    if (snprintf(out, 33, "%016llx%016llx",
             (unsigned long long)sim_auth_mix(serial ^ auth->mask_b),
             (unsigned long long)sim_auth_mix(serial + auth->mask_a)) != 32)
        out[0] = '\0';
}

/* The slot of an issued token of the given kind, or NULL; the caller holds the lock. */
static struct sim_auth_issued *sim_auth_find_token(struct sim_auth *auth, const char *text,
                           int refresh)
{
    char head[17], *end = NULL;
    uint64_t serial;
    struct sim_auth_issued *slot;

    if (strlen(text) != 32)
        return NULL;
    memcpy(head, text, 16);
    head[16] = '\0';
    errno = 0;
    serial = sim_auth_unmix(strtoull(head, &end, 16)) ^ auth->mask_b;
    if (errno != 0 || !end || *end != '\0' || serial == 0)
        return NULL;
    slot = &auth->issued[serial % SIM_AUTH_TOKENS];
    if (slot->serial != serial || slot->refresh != refresh ||
        !sim_auth_equal(slot->text, 32, text, 32))
        return NULL;
    return slot;
}

enum sim_auth_result sim_auth_check(struct sim_auth *auth, const char *authorization)
{
    char decoded[SIM_AUTH_FIELD_MAX];
    const char *token;
    struct sim_auth_issued *slot;
    enum sim_auth_result result = SIM_AUTH_INVALID;
    size_t colon, i;

    if (!auth || auth->kind == SIM_AUTH_NONE)
        return SIM_AUTH_OK;
    if (auth->kind == SIM_AUTH_BASIC) {
        if (!sim_auth_scheme(authorization, "Basic"))
            return SIM_AUTH_MISSING;
        if (sim_auth_basic(authorization, decoded, sizeof(decoded), &colon) < 0)
            result = SIM_AUTH_INVALID;
        else if (sim_auth_find_pair(auth, decoded, colon, decoded + colon + 1,
                        strlen(decoded + colon + 1)) >= 0)
            result = SIM_AUTH_OK;
        explicit_bzero(decoded, sizeof(decoded));
        return result;
    }
    token = sim_auth_scheme(authorization, "Bearer");
    if (!token)
        return SIM_AUTH_MISSING;
    if (auth->kind == SIM_AUTH_BEARER) {
        for (i = 0; i < auth->count; i++)
            if (sim_auth_equal(auth->lines[i].text, auth->lines[i].len, token, strlen(token)))
                return SIM_AUTH_OK;
        return SIM_AUTH_INVALID;
    }
    pthread_mutex_lock(&auth->lock);
    slot = sim_auth_find_token(auth, token, 0);
    if (slot)
        result = slot->serial < auth->expired_below || slot->expires_ms <= sim_auth_now_ms() ?
             SIM_AUTH_EXPIRED : SIM_AUTH_OK;
    pthread_mutex_unlock(&auth->lock);
    return result;
}

const char *sim_auth_challenge(const struct sim_auth *auth, enum sim_auth_result result)
{
    if (auth && auth->kind == SIM_AUTH_BASIC)
        return "Basic " SIM_AUTH_REALM ", charset=\"UTF-8\"";
    if (result == SIM_AUTH_EXPIRED)
        return "Bearer " SIM_AUTH_REALM ", error=\"invalid_token\", "
               "error_description=\"The access token expired\"";
    if (result == SIM_AUTH_INVALID)
        return "Bearer " SIM_AUTH_REALM ", error=\"invalid_token\", "
               "error_description=\"The access token is invalid\"";
    return "Bearer " SIM_AUTH_REALM;
}

void sim_auth_expire_all(struct sim_auth *auth)
{
    if (!auth || auth->kind != SIM_AUTH_OAUTH2)
        return;
    pthread_mutex_lock(&auth->lock);
    auth->expired_below = auth->next_serial;
    pthread_mutex_unlock(&auth->lock);
}

/* ---- token endpoint ------------------------------------------------------------------------ */

enum sim_auth_field {
    SIM_F_GRANT, SIM_F_CLIENT_ID, SIM_F_CLIENT_SECRET, SIM_F_USERNAME, SIM_F_PASSWORD,
    SIM_F_REFRESH, SIM_F_COUNT
};

static const char *const sim_auth_field_names[SIM_F_COUNT] = {
    "grant_type", "client_id", "client_secret", "username", "password", "refresh_token"
};

struct sim_auth_form {
    char value[SIM_F_COUNT][SIM_AUTH_FIELD_MAX];
    size_t len[SIM_F_COUNT];
    int present[SIM_F_COUNT];
};

static int sim_auth_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one form-urlencoded component into out. Returns its length or -1. */
static long sim_auth_form_decode(const char *text, size_t len, char *out, size_t size)
{
    size_t i, n = 0;
    int hi, lo;

    for (i = 0; i < len; i++) {
        char c = text[i];

        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            hi = sim_auth_hex(text[i + 1]);
            lo = sim_auth_hex(text[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || n + 1 >= size)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return (long)n;
}

/* Parses the body into the known fields (others are ignored). 0, or -1 when malformed. */
static int sim_auth_form_parse(const char *body, size_t len, struct sim_auth_form *form)
{
    char name[64];
    size_t pos = 0, end, eq;
    long n;
    int f;

    memset(form->present, 0, sizeof(form->present));
    while (pos < len) {
        for (end = pos; end < len && body[end] != '&'; end++)
            ;
        for (eq = pos; eq < end && body[eq] != '='; eq++)
            ;
        if (end > pos) {
            n = sim_auth_form_decode(body + pos, eq - pos, name, sizeof(name));
            for (f = 0; n >= 0 && f < SIM_F_COUNT; f++) {
                if (strcmp(name, sim_auth_field_names[f]) != 0)
                    continue;
                n = eq < end ? sim_auth_form_decode(body + eq + 1, end - eq - 1, form->value[f],
                                     sizeof(form->value[f]))
                         : 0;
                if (n < 0)
                    return -1;
                if (eq >= end)
                    form->value[f][0] = '\0';
                form->len[f] = (size_t)n;
                form->present[f] = 1;
                break;
            }
        }
        pos = end + 1;
    }
    return 0;
}

static unsigned sim_auth_oauth_error(struct sim_buf *buf, unsigned status, const char *error,
                     const char *description)
{
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "error", error);
    sim_json_key_string(buf, "error_description", description);
    sim_json_close(buf, '}');
    return status;
}

/* Issues a token for `client`; the caller holds the lock. */
static void sim_auth_issue(struct sim_auth *auth, size_t client, int refresh, int64_t ttl_ms,
               char out[33])
{
    uint64_t serial = auth->next_serial++;
    struct sim_auth_issued *slot = &auth->issued[serial % SIM_AUTH_TOKENS];

    sim_auth_format_token(auth, serial, out);
    slot->serial = serial;
    memcpy(slot->text, out, 33);
    slot->refresh = refresh;
    slot->client = client;
    slot->expires_ms = sim_auth_now_ms() + ttl_ms;
}

unsigned sim_auth_token(struct sim_auth *auth, const char *method, const char *authorization,
            const char *body, size_t body_len, struct sim_buf *buf)
{
    struct sim_auth_form *form = NULL;
    char basic[SIM_AUTH_FIELD_MAX], access[33], refresh[33];
    const char *client_id, *client_secret, *grant;
    size_t client_id_len, client_secret_len, colon;
    struct sim_auth_issued *slot;
    long client;
    unsigned status;

    basic[0] = '\0';
    if (strcmp(method, "POST") != 0) {
        status = sim_auth_oauth_error(buf, 405, "invalid_request", "use POST");
        goto out;
    }
    form = calloc(1, sizeof(*form));
    if (!form) {
        status = sim_auth_oauth_error(buf, 500, "server_error", "out of memory");
        goto out;
    }
    if (sim_auth_form_parse(body ? body : "", body ? body_len : 0, form) < 0) {
        status = sim_auth_oauth_error(buf, 400, "invalid_request",
                          "the body is not valid application/x-www-form-urlencoded");
        goto out;
    }
    if (form->present[SIM_F_CLIENT_ID]) {
        client_id = form->value[SIM_F_CLIENT_ID];
        client_id_len = form->len[SIM_F_CLIENT_ID];
        client_secret = form->value[SIM_F_CLIENT_SECRET];
        client_secret_len = form->present[SIM_F_CLIENT_SECRET] ? form->len[SIM_F_CLIENT_SECRET] : 0;
    } else if (sim_auth_basic(authorization, basic, sizeof(basic), &colon) == 0) {
        client_id = basic;
        client_id_len = colon;
        client_secret = basic + colon + 1;
        client_secret_len = strlen(client_secret);
    } else {
        status = sim_auth_oauth_error(buf, 401, "invalid_client",
                          "client authentication failed: no client_id");
        goto out;
    }
    client = sim_auth_find_pair(auth, client_id, client_id_len, client_secret, client_secret_len);
    if (client < 0) {
        status = sim_auth_oauth_error(buf, 401, "invalid_client", "client authentication failed");
        goto out;
    }
    grant = form->present[SIM_F_GRANT] ? form->value[SIM_F_GRANT] : NULL;
    if (!grant || !grant[0]) {
        status = sim_auth_oauth_error(buf, 400, "invalid_request", "grant_type is missing");
        goto out;
    }
    pthread_mutex_lock(&auth->lock);
    if (strcmp(grant, "password") == 0) {
        if (!form->present[SIM_F_USERNAME] || !form->present[SIM_F_PASSWORD]) {
            status = sim_auth_oauth_error(buf, 400, "invalid_request",
                              "username and password are required");
        } else if (sim_auth_find_pair(auth, form->value[SIM_F_USERNAME], form->len[SIM_F_USERNAME],
                          form->value[SIM_F_PASSWORD],
                          form->len[SIM_F_PASSWORD]) < 0) {
            status = sim_auth_oauth_error(buf, 400, "invalid_grant",
                              "the resource owner credentials are invalid");
        } else {
            status = 200;
            sim_auth_issue(auth, (size_t)client, 1, SIM_AUTH_REFRESH_TTL_MS, refresh);
        }
    } else if (strcmp(grant, "client_credentials") == 0) {
        status = 200;
        sim_auth_issue(auth, (size_t)client, 1, SIM_AUTH_REFRESH_TTL_MS, refresh);
    } else if (strcmp(grant, "refresh_token") == 0) {
        slot = form->present[SIM_F_REFRESH] ? sim_auth_find_token(auth, form->value[SIM_F_REFRESH], 1)
                             : NULL;
        if (!slot || slot->client != (size_t)client || slot->expires_ms <= sim_auth_now_ms()) {
            status = sim_auth_oauth_error(buf, 400, "invalid_grant",
                              "the refresh token is invalid or expired");
        } else {
            status = 200;
            memcpy(refresh, slot->text, sizeof(refresh));
        }
    } else {
        status = sim_auth_oauth_error(buf, 400, "unsupported_grant_type",
                          "grant_type must be password, client_credentials or "
                          "refresh_token");
    }
    if (status == 200)
        sim_auth_issue(auth, (size_t)client, 0, (int64_t)auth->ttl * 1000, access);
    pthread_mutex_unlock(&auth->lock);
    if (status == 200) {
        sim_json_open(buf, '{');
        sim_json_key_string(buf, "access_token", access);
        sim_json_key_string(buf, "refresh_token", refresh);
        sim_json_key_string(buf, "scope", "useraccount");
        sim_json_key_string(buf, "token_type", "Bearer");
        sim_json_key_uint(buf, "expires_in", auth->ttl);
        sim_json_close(buf, '}');
    }
out:
    if (form) {
        explicit_bzero(form, sizeof(*form));
        free(form);
    }
    explicit_bzero(basic, sizeof(basic));
    return status;
}
