/* config.c: reading and checking the INI configuration (see config.h). */
#include "config.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_ini.h"
#include "tmfinv_log.h"
#include "tmfinv_misc.h"
#include "tmfinv_net.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SECRET_MAX_BYTES 4096

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void source_clear(tmfinv_source_config *s)
{
    free(s->name);
    free(s->api);
    free(s->url);
    free(s->profile);
    free(s->username);
    if (s->password) {
        /* Do not leave the secret in freed memory. */
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    free(s->params);
    free(s->incremental_params);
    free(s->token_url);
    free(s->client_id);
    if (s->token) {
        memset(s->token, 0, strlen(s->token));
        free(s->token);
    }
    if (s->client_secret) {
        memset(s->client_secret, 0, strlen(s->client_secret));
        free(s->client_secret);
    }
    strv_free(s->definitions, s->n_definitions);
    strv_free(s->exclude_types, s->n_exclude_types);
    strv_free(s->allowed_origins, s->n_allowed_origins);
    free(s->ca_file);
    free(s->proxy);
    free(s->no_proxy);
}

void tmfinv_config_free(tmfinv_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sources; i++)
        source_clear(&c->sources[i]);
    free(c->sources);
    for (size_t i = 0; i < c->n_webhooks; i++)
        tmfinv_config_webhook_clear(&c->webhooks[i]);
    free(c->webhooks);
    free(c->store_path);
    free(c->http.listen);
    free(c->http.tokens_file);
    free(c->http.tls_cert);
    free(c->http.tls_key);
    strv_free(c->http.cors_origins, c->http.n_cors_origins);
    free(c->http.public_url);
    strv_free(c->warnings, c->n_warnings);
    free(c->path);
    free(c);
}

int tmfinv_config_url_origin(const char *url, char *out, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    const char *sep;
    CURLUcode uc;
    int rc = 0, n;

    if (!u)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    /* libcurl's own parser, the one that will send the requests: what it reads is what counts.
     * It is lenient about slashes ("https:///h" reads as host "h"): demand "scheme://host". */
    sep = strstr(url, "://");
    if (!sep || !sep[3] || sep[3] == '/' || sep[3] == '\\') {
        rc = tmfinv_error_set(TMFINV_EINVALID, "not a valid URL (expected scheme://host/...)");
        goto out;
    }
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "not a valid URL (%s)", curl_url_strerror(uc));
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "expected an http:// or https:// URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "the URL has no host");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "the URL has no usable port");
        goto out;
    }
    for (char *p = scheme; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    for (char *p = host; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    n = snprintf(out, len, "%s://%s:%s", scheme, host, port);
    if (n < 0 || (size_t)n >= len)
        rc = tmfinv_error_set(TMFINV_ELIMIT, "the URL's origin is longer than %zu bytes", len - 1);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* Checks an http(s) URL value (a host is required; libcurl must be able to parse it). */
static int url_value(const char *file, const char *section, const tmfinv_ini_entry *e)
{
    char origin[512], msg[256];
    int rc = tmfinv_config_url_origin(e->value, origin, sizeof(origin));

    if (rc == TMFINV_EINVALID || rc == TMFINV_ELIMIT) {
        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': %s", file, e->line, section, e->key,
                                e->value, msg);
    }
    return rc;
}

/* Checks a source's proxy: empty (no proxy, not even the environment's), or
 * SCHEME://host[:port] with a scheme libcurl takes for a proxy. Proxy credentials in the
 * URL are refused, as they are in url: they would sit in a file that is not a secret. */
static int proxy_value(const char *file, const char *section, const tmfinv_ini_entry *e)
{
    static const char *const schemes[] = {"http://", "https://", "socks4://", "socks4a://", "socks5://", "socks5h://",
                                          NULL};
    const char *v = e->value, *host = NULL, *why = NULL;
    size_t i, n;

    if (!v[0])
        return 0;
    for (i = 0; schemes[i] && !host; i++)
        if (strncmp(v, schemes[i], strlen(schemes[i])) == 0)
            host = v + strlen(schemes[i]);
    if (!host)
        why = "expected http://, https://, socks4://, socks4a://, socks5:// or socks5h:// and host[:port]";
    else if ((n = strcspn(host, "/?#")), memchr(host, '@', n))
        why = "credentials in the proxy URL are refused";
    else if (n == 0 || host[0] == ':')
        why = "no host";
    else if (host[n] && strcmp(host + n, "/") != 0)
        why = "a proxy URL is scheme://host[:port], without a path or query";
    else {
        const char *colon = memchr(host, ']', n) ? memchr(host, ']', n) : host;
        const char *port = memchr(colon, ':', n - (size_t)(colon - host));

        if (port) {
            size_t digits = (size_t)(host + n - port - 1);

            if (digits == 0 || digits > 5 || strspn(port + 1, "0123456789") < digits ||
                strtol(port + 1, NULL, 10) < 1 || strtol(port + 1, NULL, 10) > 65535)
                why = "the port must be a number from 1 to 65535";
        }
    }
    if (why)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': %s", file, e->line, section, e->key,
                                why[0] == 'c' ? "(hidden)" : v, why);
    return 0;
}

static int dup_value(const tmfinv_ini_entry *e, char **out)
{
    *out = strdup(e->value);
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

static int int_value(const char *file, const char *section, const tmfinv_ini_entry *e, int64_t min, int64_t max,
                     int *out)
{
    int64_t v;

    if (tmfinv_parse_int64(e->value, min, max, &v) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': expected a whole number from %lld to %lld",
                                file, e->line, section, e->key, e->value, (long long)min, (long long)max);
    *out = (int)v;
    return 0;
}

/* Splits a comma-separated list into trimmed non-empty strings. */
static int split_list(const char *text, char ***out, size_t *n)
{
    char *copy = strdup(text), *p, *save = NULL;
    char **v = NULL;
    size_t count = 0;

    if (!copy)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    v = calloc(strlen(text) / 2 + 2, sizeof(*v));
    if (!v) {
        free(copy);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    for (p = copy; p; p = save) {
        char *end;

        save = strchr(p, ',');
        if (save)
            *save++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        end = p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*p && !(v[count++] = strdup(p))) {
            strv_free(v, count);
            free(copy);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    free(copy);
    *out = v;
    *n = count;
    return 0;
}

/* The path a file key names (new string in *out): `%credentials/NAME` is NAME in systemd's
 * $CREDENTIALS_DIRECTORY (LoadCredential=; docs/decisions.md), anything else a path relative to
 * the configuration file's folder `dir`. */
static int file_key_path(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
                         char **out)
{
    static const char prefix[] = "%credentials/";
    const char *name = e->value + sizeof(prefix) - 1, *creds;

    if (strncmp(e->value, prefix, sizeof(prefix) - 1) != 0)
        return tmfinv_path_join(dir, e->value, out);
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': expected %%credentials/NAME, NAME a "
                                "credential of LoadCredential= (no '/')", file, e->line, section, e->key, e->value);
    creds = getenv("CREDENTIALS_DIRECTORY");
    if (!creds || !*creds)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': $CREDENTIALS_DIRECTORY is not set (systemd "
                                "sets it for a service with LoadCredential=)", file, e->line, section, e->key, e->value);
    return tmfinv_path_join(creds, name, out);
}

static int read_secret(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
                       char **out)
{
    char *path = NULL, *text = NULL;
    size_t len;
    int rc;

    if ((rc = file_key_path(file, dir, e, section, &path)) < 0)
        return rc;
    rc = tmfinv_file_read(path, SECRET_MAX_BYTES, &text, &len);
    if (rc < 0) {
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s: %s", file, e->line, section, e->key, msg);
        goto out;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    if (len == 0) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s: %s is empty", file, e->line, section, e->key, path);
        goto out;
    }
    *out = text;
    text = NULL;
out:
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    free(path);
    return rc;
}

/* Reads a secret from KEY_file (a file) or KEY_env (an environment variable). */
static int read_secret_key(const char *file, const char *dir, tmfinv_ini_section *sec, const char *key,
                           char **out)
{
    char name[64];
    tmfinv_ini_entry *f, *e;

    (void)snprintf(name, sizeof(name), "%s_file", key);
    f = tmfinv_ini_get(sec, name);
    (void)snprintf(name, sizeof(name), "%s_env", key);
    e = tmfinv_ini_get(sec, name);
    if (f && e)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] give %s_file or %s_env, not both", file, e->line,
                                sec->name, key, key);
    if (f)
        return read_secret(file, dir, f, sec->name, out);
    if (e) {
        const char *v = getenv(e->value);

        if (!v || !*v)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s: environment variable '%s' is not set",
                                    file, e->line, sec->name, e->key, e->value);
        *out = strdup(v);
        return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

/* Reads a list of origins (allowed_origins, cors_origins): each value must be exactly an
 * origin, scheme://host[:port], normalised as tmfinv_config_url_origin() does; with
 * `browser`, the scheme's default port is left out again, as browsers write Origin, and
 * '*' is refused (docs/decisions.md: CORS only for listed origins). */
static int origins_value(const char *file, const char *section, const tmfinv_ini_entry *e, char ***list,
                         size_t *n_list, int browser)
{
    int rc;

    if ((rc = split_list(e->value, list, n_list)) < 0)
        return rc;
    for (size_t i = 0; i < *n_list; i++) {
        char *v = (*list)[i], origin[512], msg[256] = "";
        const char *rest = strstr(v, "://");

        rest = rest ? rest + 3 : v;
        rest += strcspn(rest, "/?#@");
        if (browser && strcmp(v, "*") == 0)
            (void)snprintf(msg, sizeof(msg), "refused: list the exact origins (scheme://host[:port]) of the web applications");
        else if (*rest && strcmp(rest, "/") != 0)
            (void)snprintf(msg, sizeof(msg), "expected scheme://host[:port], without path, query or user");
        else if ((rc = tmfinv_config_url_origin(v, origin, sizeof(origin))) == TMFINV_ENOMEM)
            return rc;
        else if (rc < 0)
            (void)snprintf(msg, sizeof(msg), "%s", tmfinv_error_last());
        if (msg[0])
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s: '%s': %s", file, e->line, section, e->key, v,
                                    msg);
        if (browser) {
            size_t n = strlen(origin);

            if (strncmp(origin, "https://", 8) == 0 && n > 4 && strcmp(origin + n - 4, ":443") == 0)
                origin[n - 4] = '\0';
            else if (strncmp(origin, "http://", 7) == 0 && n > 3 && strcmp(origin + n - 3, ":80") == 0)
                origin[n - 3] = '\0';
        }
        free(v);
        if (!((*list)[i] = strdup(origin)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

/* Notes a warning when the secret file that `e` names is open to other users (any of the
 * mode's "other" bits). The rule of ssh for private keys, less the group: a group is how a
 * file is commonly given to a service account (root:tmfinv 0640), so it is not warned about.
 * A missing file is not a warning: whoever reads it says so. */
static int warn_open_secret(tmfinv_config *c, const char *dir, const tmfinv_ini_section *sec,
                            const tmfinv_ini_entry *e)
{
    struct stat st;
    char *path = NULL, *line = NULL, **grown;
    int rc, n;

    if ((rc = file_key_path(c->path, dir, e, sec->name, &path)) < 0)
        return rc;
    if (stat(path, &st) != 0 || !(st.st_mode & S_IRWXO))
        goto out;
    n = snprintf(NULL, 0, "%s: [%s] %s: %s is open to other users (mode %04o); chmod o= it", c->path, sec->name,
                 e->key, path, (unsigned)(st.st_mode & 07777));
    if (n < 0 || !(line = malloc((size_t)n + 1)) ||
        !(grown = realloc(c->warnings, (c->n_warnings + 1) * sizeof(*grown)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    (void)snprintf(line, (size_t)n + 1, "%s: [%s] %s: %s is open to other users (mode %04o); chmod o= it", c->path,
                   sec->name, e->key, path, (unsigned)(st.st_mode & 07777));
    c->warnings = grown;
    c->warnings[c->n_warnings++] = line;
    line = NULL;
out:
    free(line);
    free(path);
    return rc;
}

/* The secret files of a section (`keys`, NULL-terminated) that other users may read. */
static int warn_open_secrets(tmfinv_config *c, const char *dir, tmfinv_ini_section *sec, const char *const *keys)
{
    tmfinv_ini_entry *e;
    int rc = 0;

    for (; *keys && rc == 0; keys++)
        if ((e = tmfinv_ini_get(sec, *keys)))
            rc = warn_open_secret(c, dir, sec, e);
    return rc;
}

static int double_value(const char *file, const char *section, const tmfinv_ini_entry *e, double min, double max,
                        double *out)
{
    double v;

    if (tmfinv_parse_double(e->value, &v) < 0 || v < min || v > max)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': expected a number from %g to %g", file,
                                e->line, section, e->key, e->value, min, max);
    *out = v;
    return 0;
}

static int load_source(const char *file, const char *dir, tmfinv_ini_section *sec, const char *name,
                       tmfinv_source_config *s)
{
    tmfinv_ini_entry *e;
    int rc = 0;

    s->paging = TMFINV_PAGING_OFFSET;
    s->page_size = 40;
    s->timeout_ms = 30000;
    s->retries = 6;
    s->retry_delay_ms = 500;
    s->retry_max_delay_ms = 30000;
    s->concurrency = 4;
    s->max_failed_pages = 3;
    s->max_remove_fraction = -1; /* not set: [sync] max_remove_fraction, applied once all is read */
    /* 100000 pages: 4 million items at the default page size, 40 times the largest inventory
     * we mirror, yet it stops a source that makes up pages for ever within hours, not never. */
    s->max_pages = 100000;
    if (!(s->name = strdup(name)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (!(e = tmfinv_ini_get(sec, "api")))
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] needs 'api = tmf638' or 'api = tmf639'", file,
                                sec->line, sec->name);
    if (strcmp(e->value, "tmf638") != 0 && strcmp(e->value, "tmf639") != 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] api = '%s': expected tmf638 or tmf639", file, e->line,
                                sec->name, e->value);
    if ((rc = dup_value(e, &s->api)) < 0)
        return rc;
    if (!(e = tmfinv_ini_get(sec, "url")))
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] needs 'url' (the collection URL)", file, sec->line,
                                sec->name);
    if ((rc = url_value(file, sec->name, e)) < 0)
        return rc;
    {
        const char *host = strstr(e->value, "://") + 3;
        size_t n = strcspn(host, "/?#");

        if (memchr(host, '@', n))
            return tmfinv_error_set(TMFINV_EINVALID,
                                    "%s:%d: [%s] url: credentials in the URL are refused; use username and "
                                    "password_file",
                                    file, e->line, sec->name);
    }
    if ((rc = dup_value(e, &s->url)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "paging"))) {
        if (strcmp(e->value, "offset") == 0)
            s->paging = TMFINV_PAGING_OFFSET;
        else if (strcmp(e->value, "page") == 0)
            s->paging = TMFINV_PAGING_PAGE;
        else if (strcmp(e->value, "link") == 0)
            s->paging = TMFINV_PAGING_LINK;
        else
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] paging = '%s': expected offset, page or link",
                                    file, e->line, sec->name, e->value);
    }
    if ((e = tmfinv_ini_get(sec, "page_size")) && (rc = int_value(file, sec->name, e, 1, 10000, &s->page_size)) < 0)
        return rc;
    e = tmfinv_ini_get(sec, "profile");
    s->profile_line = e ? e->line : sec->line;
    if (!(s->profile = strdup(e ? e->value : "ses")))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if (e && (strchr(e->value, '/') || strstr(e->value, ".json"))) {
        char *joined = NULL;

        if ((rc = tmfinv_path_join(dir, e->value, &joined)) < 0)
            return rc;
        free(s->profile);
        s->profile = joined;
    }
    if ((e = tmfinv_ini_get(sec, "auth"))) {
        if (strcmp(e->value, "none") == 0)
            s->auth = TMFINV_AUTH_NONE;
        else if (strcmp(e->value, "basic") == 0)
            s->auth = TMFINV_AUTH_BASIC;
        else if (strcmp(e->value, "bearer") == 0)
            s->auth = TMFINV_AUTH_BEARER;
        else if (strcmp(e->value, "oauth2") == 0)
            s->auth = TMFINV_AUTH_OAUTH2;
        else
            return tmfinv_error_set(TMFINV_EINVALID,
                                    "%s:%d: [%s] auth = '%s': expected none, basic, bearer or oauth2", file,
                                    e->line, sec->name, e->value);
    }
    if ((e = tmfinv_ini_get(sec, "username")) && (rc = dup_value(e, &s->username)) < 0)
        return rc;
    if ((rc = read_secret_key(file, dir, sec, "password", &s->password)) < 0 ||
        (rc = read_secret_key(file, dir, sec, "token", &s->token)) < 0 ||
        (rc = read_secret_key(file, dir, sec, "client_secret", &s->client_secret)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "client_id")) && (rc = dup_value(e, &s->client_id)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "token_url"))) {
        if ((rc = url_value(file, sec->name, e)) < 0)
            return rc;
        if ((rc = dup_value(e, &s->token_url)) < 0)
            return rc;
    }
    if ((e = tmfinv_ini_get(sec, "grant"))) {
        if (strcmp(e->value, "password") == 0)
            s->grant = TMFINV_GRANT_PASSWORD;
        else if (strcmp(e->value, "client_credentials") == 0)
            s->grant = TMFINV_GRANT_CLIENT_CREDENTIALS;
        else
            return tmfinv_error_set(TMFINV_EINVALID,
                                    "%s:%d: [%s] grant = '%s': expected password or client_credentials", file,
                                    e->line, sec->name, e->value);
    }
    if (s->auth == TMFINV_AUTH_BASIC && (!s->username || !s->password))
        return tmfinv_error_set(TMFINV_EINVALID,
                                "%s:%d: [%s] auth = basic needs 'username' and 'password_file' (or 'password_env')",
                                file, sec->line, sec->name);
    if (s->auth == TMFINV_AUTH_BEARER && !s->token)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] auth = bearer needs 'token_file' (or 'token_env')",
                                file, sec->line, sec->name);
    if (s->auth == TMFINV_AUTH_OAUTH2 &&
        (!s->token_url || !s->client_id || !s->client_secret ||
         (s->grant == TMFINV_GRANT_PASSWORD && (!s->username || !s->password))))
        return tmfinv_error_set(TMFINV_EINVALID,
                                "%s:%d: [%s] auth = oauth2 needs 'token_url', 'client_id', 'client_secret_file' "
                                "and, for grant = password, 'username' and 'password_file'",
                                file, sec->line, sec->name);
    if ((e = tmfinv_ini_get(sec, "params"))) {
        const char *p = e->value[0] == '?' ? e->value + 1 : e->value;

        if (!(s->params = strdup(p)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if ((e = tmfinv_ini_get(sec, "incremental_params"))) {
        const char *p = e->value[0] == '?' ? e->value + 1 : e->value;

        if (!(s->incremental_params = strdup(p)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    if ((e = tmfinv_ini_get(sec, "concurrency")) && (rc = int_value(file, sec->name, e, 1, 64, &s->concurrency)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "rate_limit")) && (rc = double_value(file, sec->name, e, 0, 10000, &s->rate_limit)) < 0)
        return rc;
    /* A tiny positive rate would wait for ever between requests (or, below the timer's
     * resolution, not at all): 0 says "no limit" explicitly; anything else is a real rate. */
    if (e && s->rate_limit != 0 && s->rate_limit < 0.001)
        return tmfinv_error_set(TMFINV_EINVALID,
                                "%s:%d: [%s] rate_limit = '%s': expected 0 (no limit) or from 0.001 to 10000 "
                                "requests per second",
                                file, e->line, sec->name, e->value);
    if ((e = tmfinv_ini_get(sec, "retry_max_delay_ms")) &&
        (rc = int_value(file, sec->name, e, 0, 600000, &s->retry_max_delay_ms)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "insecure"))) {
        if (strcmp(e->value, "true") == 0)
            s->insecure = 1;
        else if (strcmp(e->value, "false") != 0)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] insecure = '%s': expected true or false", file,
                                    e->line, sec->name, e->value);
    }
    if ((e = tmfinv_ini_get(sec, "hub"))) {
        /* Push from the source's TMF hub (docs/configuration.md, `hub`). */
        if (strcmp(e->value, "true") == 0 || strcmp(e->value, "false") == 0)
            s->hub = strcmp(e->value, "true") == 0;
        else
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] hub = '%s': expected true or false", file,
                                    e->line, sec->name, e->value);
        s->hub_line = e->line;
    }
    if ((e = tmfinv_ini_get(sec, "timeout"))) {
        int seconds;

        if ((rc = int_value(file, sec->name, e, 1, 3600, &seconds)) < 0)
            return rc;
        s->timeout_ms = seconds * 1000;
    }
    if ((e = tmfinv_ini_get(sec, "retries")) && (rc = int_value(file, sec->name, e, 0, 50, &s->retries)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "retry_delay_ms")) &&
        (rc = int_value(file, sec->name, e, 0, 60000, &s->retry_delay_ms)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_failed_pages")) &&
        (rc = int_value(file, sec->name, e, 1, 1000, &s->max_failed_pages)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_remove_fraction")) &&
        (rc = double_value(file, sec->name, e, 0, 1, &s->max_remove_fraction)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "definitions")) &&
        (rc = split_list(e->value, &s->definitions, &s->n_definitions)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "exclude_types"))) {
        s->has_exclude_types = 1;
        if ((rc = split_list(e->value, &s->exclude_types, &s->n_exclude_types)) < 0)
            return rc;
    }
    if ((e = tmfinv_ini_get(sec, "ca_file")) && (rc = tmfinv_path_join(dir, e->value, &s->ca_file)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "allowed_origins")) &&
        (rc = origins_value(file, sec->name, e, &s->allowed_origins, &s->n_allowed_origins, 0)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "proxy")) && ((rc = proxy_value(file, sec->name, e)) < 0 ||
                                                (rc = dup_value(e, &s->proxy)) < 0))
        return rc;
    if ((e = tmfinv_ini_get(sec, "no_proxy")) && (rc = dup_value(e, &s->no_proxy)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_pages")) &&
        (rc = int_value(file, sec->name, e, 1, 100000000, &s->max_pages)) < 0)
        return rc;
    return 0;
}

int tmfinv_config_load(const char *path, tmfinv_config **out)
{
    tmfinv_ini *ini = NULL;
    tmfinv_config *c = NULL;
    char *dir = NULL;
    size_t i, j;
    int rc;

    if ((rc = tmfinv_ini_load(path, &ini)) < 0)
        return rc;
    c = calloc(1, sizeof(*c));
    if (!c || !(c->path = strdup(path)) || !(c->sources = calloc(ini->n_sections + 1, sizeof(*c->sources)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_path_dirname(path, &dir)) < 0)
        goto out;
    c->interval_s = 3600;
    c->log_level = TMFINV_LOG_INFO;
    c->store_busy_timeout_s = 30;
    c->store_history_days = 400;
    c->store_removed_days = 90;
    c->full_interval_s = 86400;
    c->max_remove_fraction = 0.1;
    /* 6 hours: a full scan of a large inventory takes minutes, so this is far beyond any
     * healthy run, and a stuck one still frees the schedule four times a day. */
    c->deadline_s = 6 * 3600;
    c->http.default_limit = 1000;
    c->http.max_limit = 10000;
    c->http.max_body = 1024 * 1024;
    c->http.max_url = 8192;
    c->http.max_headers = 64;
    c->http.max_connections = 256;
    c->http.timeout_s = 30;
    c->http.request_timeout_s = 10;
    c->http.max_client_connections = 32;
    c->http.threads = 4;
    c->http.ready_max_age_s = 0; /* 0: twice [sync] full_interval, set below */
    for (i = 0; i < ini->n_sections; i++) {
        tmfinv_ini_section *sec = &ini->sections[i];

        if (strcmp(sec->name, "store") == 0) {
            tmfinv_ini_entry *e = tmfinv_ini_get(sec, "path");

            if (!e || !*e->value) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] needs 'path = FILE'", path, sec->line);
                goto out;
            }
            if ((rc = tmfinv_path_join(dir, e->value, &c->store_path)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "busy_timeout")) &&
                (rc = int_value(path, sec->name, e, 1, 3600, &c->store_busy_timeout_s)) < 0)
                goto out;
            /* Retention, in days: at most 100 years, so that the cutoff stays a real date. */
            if ((e = tmfinv_ini_get(sec, "history_days")) &&
                (rc = int_value(path, sec->name, e, 1, 36500, &c->store_history_days)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "removed_days")) &&
                (rc = int_value(path, sec->name, e, 1, 36500, &c->store_removed_days)) < 0)
                goto out;
        } else if (strcmp(sec->name, "http") == 0) {
            tmfinv_ini_entry *e;
            static const struct {
                const char *key;
                int min, max;
                size_t offset;
            } ints[] = {
                {"default_limit", 1, 100000, offsetof(tmfinv_config, http.default_limit)},
                {"max_limit", 1, 100000, offsetof(tmfinv_config, http.max_limit)},
                {"max_body", 1024, 64 * 1024 * 1024, offsetof(tmfinv_config, http.max_body)},
                {"max_url", 256, 65536, offsetof(tmfinv_config, http.max_url)},
                {"max_headers", 8, 1000, offsetof(tmfinv_config, http.max_headers)},
                {"max_connections", 1, 10000, offsetof(tmfinv_config, http.max_connections)},
                {"timeout", 1, 3600, offsetof(tmfinv_config, http.timeout_s)},
                {"request_timeout", 1, 3600, offsetof(tmfinv_config, http.request_timeout_s)},
                {"max_client_connections", 1, 10000, offsetof(tmfinv_config, http.max_client_connections)},
                {"threads", 1, 64, offsetof(tmfinv_config, http.threads)},
                {"ready_max_age", 1, 365 * 86400, offsetof(tmfinv_config, http.ready_max_age_s)},
            };

            if ((e = tmfinv_ini_get(sec, "listen"))) {
                struct sockaddr_storage addr;
                int loopback = 0;

                if (tmfinv_listen_parse(e->value, &addr, &loopback) < 0) {
                    rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] listen = '%s': expected IP:PORT or [IPv6]:PORT",
                                          path, e->line, e->value);
                    goto out;
                }
                if (!(c->http.listen = strdup(e->value))) {
                    rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                    goto out;
                }
                c->http.listen_line = e->line;
                c->http.loopback = loopback;
            }
            if ((e = tmfinv_ini_get(sec, "tokens_file")) && (rc = file_key_path(path, dir, e, "http", &c->http.tokens_file)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "tls_cert")) && (rc = file_key_path(path, dir, e, "http", &c->http.tls_cert)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "tls_key")) && (rc = file_key_path(path, dir, e, "http", &c->http.tls_key)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "plaintext"))) {
                if (strcmp(e->value, "true") == 0 || strcmp(e->value, "false") == 0)
                    c->http.plaintext = strcmp(e->value, "true") == 0;
                else {
                    rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] plaintext = '%s': expected true or false",
                                          path, e->line, e->value);
                    goto out;
                }
            }
            if ((e = tmfinv_ini_get(sec, "cors_origins")) &&
                (rc = origins_value(path, sec->name, e, &c->http.cors_origins, &c->http.n_cors_origins, 1)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "public_url"))) {
                size_t n = strlen(e->value);
                const char *host;

                /* A base URL that sources call back (hub callbacks): an origin and an optional
                 * path prefix, nothing a callback path could not be appended to. */
                if ((rc = url_value(path, sec->name, e)) < 0)
                    goto out;
                host = strstr(e->value, "://") + 3; /* url_value checked the scheme */
                if (memchr(host, '@', strcspn(host, "/"))) {
                    /* Not repeated: what stands before '@' may be a password. */
                    rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] public_url: no user or password "
                                          "(user:password@) may stand in it", path, e->line);
                    goto out;
                }
                if (strpbrk(e->value, "?#") || n > 1024) {
                    rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] public_url = '%s': expected "
                                          "http(s)://host[:port][/prefix] without query or fragment (at most 1024 "
                                          "bytes)", path, e->line, e->value);
                    goto out;
                }
                while (n > 0 && e->value[n - 1] == '/')
                    n--;
                if (!(c->http.public_url = strndup(e->value, n))) {
                    rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                    goto out;
                }
            }
            {
                static const char *const secrets[] = {"tokens_file", "tls_key", NULL};

                if ((rc = warn_open_secrets(c, dir, sec, secrets)) < 0)
                    goto out;
            }
            if (!c->http.tls_cert != !c->http.tls_key) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] tls_cert and tls_key go together (HTTPS needs both)",
                                      path, sec->line);
                goto out;
            }
            for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
                if ((e = tmfinv_ini_get(sec, ints[k].key)) &&
                    (rc = int_value(path, sec->name, e, ints[k].min, ints[k].max,
                                    (int *)((char *)c + ints[k].offset))) < 0)
                    goto out;
        } else if (strcmp(sec->name, "sync") == 0) {
            tmfinv_ini_entry *e;

            if ((e = tmfinv_ini_get(sec, "interval")) &&
                (rc = int_value(path, sec->name, e, 1, 30 * 86400, &c->interval_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "full_interval")) &&
                (rc = int_value(path, sec->name, e, 1, 365 * 86400, &c->full_interval_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "deadline")) &&
                (rc = int_value(path, sec->name, e, 0, 7 * 86400, &c->deadline_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "max_remove_fraction")) &&
                (rc = double_value(path, sec->name, e, 0, 1, &c->max_remove_fraction)) < 0)
                goto out;
        } else if (strcmp(sec->name, "log") == 0) {
            tmfinv_ini_entry *e;

            if ((e = tmfinv_ini_get(sec, "format")) && (c->log_json = tmfinv_log_format_parse(e->value)) < 0) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [log] format = '%s': expected text or json", path,
                                      e->line, e->value);
                goto out;
            }
            if ((e = tmfinv_ini_get(sec, "level")) && (c->log_level = tmfinv_log_level_parse(e->value)) < 0) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [log] level = '%s': expected debug, info, warn or error",
                                      path, e->line, e->value);
                goto out;
            }
        } else if (strncmp(sec->name, "source ", 7) == 0) {
            const char *name = sec->name + 7;

            for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.')) {
                    rc = tmfinv_error_set(TMFINV_EINVALID,
                                          "%s:%d: [%s]: a source name uses only letters, digits, '-', '_' and '.'",
                                          path, sec->line, sec->name);
                    goto out;
                }
            static const char *const secrets[] = {"password_file", "token_file", "client_secret_file", NULL};

            rc = load_source(path, dir, sec, name, &c->sources[c->n_sources]);
            c->n_sources++;
            if (rc < 0 || (rc = warn_open_secrets(c, dir, sec, secrets)) < 0)
                goto out;
        } else if (strncmp(sec->name, "webhook ", 8) == 0) {
            /* Events to webhooks (config_webhook.c, docs/events.md). */
            tmfinv_webhook_config *grown = realloc(c->webhooks, (c->n_webhooks + 1) * sizeof(*grown));

            if (!grown) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            c->webhooks = grown;
            static const char *const hook_secrets[] = {"secret_file", NULL};

            rc = tmfinv_config_webhook_load(path, dir, sec, sec->name + 8, &c->webhooks[c->n_webhooks]);
            c->n_webhooks++;
            if (rc < 0 || (rc = warn_open_secrets(c, dir, sec, hook_secrets)) < 0)
                goto out;
        } else {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: unknown section [%s] (expected [store], [sync], [http], [log], [source NAME] or [webhook NAME])",
                                  path, sec->line, sec->name);
            goto out;
        }
        for (j = 0; j < sec->n_entries; j++)
            if (!sec->entries[j].used) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: unknown key '%s' in [%s]", path, sec->entries[j].line,
                                      sec->entries[j].key, sec->name);
                goto out;
            }
    }
    if (!c->http.listen) {
        if (!(c->http.listen = strdup("127.0.0.1:8080"))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        c->http.loopback = 1;
    }
    if (!c->http.loopback && !c->http.tokens_file) {
        rc = tmfinv_error_set(TMFINV_EINVALID,
                              "%s:%d: [http] listen = '%s' is not a loopback address: without tokens_file every client "
                              "would have the write role, so tmfinv only listens on 127.0.0.0/8 or ::1 then",
                              path, c->http.listen_line, c->http.listen);
        goto out;
    }
    /* Tokens must not cross the network readable: beyond loopback, TLS here or a TLS
     * proxy in front (said with plaintext = true). */
    if (!c->http.loopback && !c->http.tls_cert && !c->http.plaintext) {
        rc = tmfinv_error_set(TMFINV_EINVALID,
                              "%s:%d: [http] listen = '%s' is not a loopback address and there is no tls_cert: bearer "
                              "tokens would cross the network in clear text (set tls_cert and tls_key, or plaintext "
                              "= true if a TLS proxy stands in front)",
                              path, c->http.listen_line, c->http.listen);
        goto out;
    }
    if (c->http.default_limit > c->http.max_limit) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s: [http] default_limit (%d) is larger than max_limit (%d)", path,
                              c->http.default_limit, c->http.max_limit);
        goto out;
    }
    for (i = 0; i < c->n_sources; i++)
        if (c->sources[i].hub && !c->http.public_url) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [source %s] hub = true needs [http] public_url (the base "
                                  "URL the source calls back with events)", path, c->sources[i].hub_line,
                                  c->sources[i].name);
            goto out;
        }
    /* [sync] may follow the sources in the file: their default is applied once all is read. */
    for (i = 0; i < c->n_sources; i++)
        if (c->sources[i].max_remove_fraction < 0)
            c->sources[i].max_remove_fraction = c->max_remove_fraction;
    if (!c->http.ready_max_age_s)
        c->http.ready_max_age_s = 2 * c->full_interval_s;
    if (!c->store_path) {
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s: missing [store] section with 'path = FILE'", path);
        goto out;
    }
    *out = c;
    c = NULL;
out:
    free(dir);
    tmfinv_ini_free(ini);
    tmfinv_config_free(c);
    return rc;
}
