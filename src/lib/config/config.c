/* config.c: reading and checking the INI configuration (see config.h). */
#include "config.h"
#include "config_int.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_ini.h"
#include "tmfinv_log.h"
#include "tmfinv_misc.h"
#include "tmfinv_net.h"

#include <curl/curl.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* [store] url: a libpq connection URI (postgresql:// or postgres://) without a password, which
 * never belongs in the INI file: libpq reads it from PGPASSFILE, ~/.pgpass or PGPASSWORD
 * (docs/postgresql.md). The other parameters (sslmode, sslrootcert, ...) pass through. */
static int store_url_value(const char *path, const tmfinv_ini_entry *e, char **out)
{
    PQconninfoOption *opts = NULL;
    char *err = NULL;
    int rc = 0;

    if (strncmp(e->value, "postgresql://", 13) != 0 && strncmp(e->value, "postgres://", 11) != 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] url must be a PostgreSQL URI"
                                " (postgresql://USER@HOST:PORT/DATABASE?sslmode=...)", path, e->line);
    if (!(opts = PQconninfoParse(e->value, &err))) {
        size_t n = err ? strcspn(err, "\n") : 0;

        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] url: %.*s", path, e->line, (int)n,
                              err ? err : "out of memory");
        PQfreemem(err);
        return rc;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] url holds a password: remove it, and give it"
                                  " in a password file (PGPASSFILE or ~/.pgpass) or PGPASSWORD", path, e->line);
            break;
        }
    PQconninfoFree(opts);
    if (rc == 0 && !(*out = strdup(e->value)))
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return rc;
}

void tmfinv_config_free(tmfinv_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sources; i++)
        config_source_clear(&c->sources[i]);
    free(c->sources);
    for (size_t i = 0; i < c->n_webhooks; i++)
        tmfinv_config_webhook_clear(&c->webhooks[i]);
    free(c->webhooks);
    free(c->store_path);
    free(c->http.listen);
    free(c->http.tokens_file);
    free(c->http.tls_cert);
    free(c->http.tls_key);
    config_strv_free(c->http.cors_origins, c->http.n_cors_origins);
    config_strv_free(c->http.hub_callback_origins, c->http.n_hub_callback_origins);
    free(c->http.public_url);
    config_strv_free(c->warnings, c->n_warnings);
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
            tmfinv_ini_entry *e = tmfinv_ini_get(sec, "path"), *u = tmfinv_ini_get(sec, "url");

            if (e && u) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] has both 'path' (SQLite) and 'url'"
                                      " (PostgreSQL): give one", path, u->line);
                goto out;
            }
            if (u) {
                if ((rc = store_url_value(path, u, &c->store_path)) < 0)
                    goto out;
            } else if (!e || !*e->value) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [store] needs 'path = FILE' or"
                                      " 'url = postgresql://...'", path, sec->line);
                goto out;
            } else if ((rc = tmfinv_path_join(dir, e->value, &c->store_path)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "busy_timeout")) &&
                (rc = config_int_value(path, sec->name, e, 1, 3600, &c->store_busy_timeout_s)) < 0)
                goto out;
            /* Retention, in days: at most 100 years, so that the cutoff stays a real date. */
            if ((e = tmfinv_ini_get(sec, "history_days")) &&
                (rc = config_int_value(path, sec->name, e, 1, 36500, &c->store_history_days)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "removed_days")) &&
                (rc = config_int_value(path, sec->name, e, 1, 36500, &c->store_removed_days)) < 0)
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
            if ((e = tmfinv_ini_get(sec, "tokens_file")) && (rc = config_file_key_path(path, dir, e, "http", &c->http.tokens_file)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "tls_cert")) && (rc = config_file_key_path(path, dir, e, "http", &c->http.tls_cert)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "tls_key")) && (rc = config_file_key_path(path, dir, e, "http", &c->http.tls_key)) < 0)
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
                (rc = config_origins_value(path, sec->name, e, &c->http.cors_origins, &c->http.n_cors_origins, 1)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "hub_callback_origins")) &&
                (rc = config_origins_value(path, sec->name, e, &c->http.hub_callback_origins,
                                           &c->http.n_hub_callback_origins, 0)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "public_url"))) {
                size_t n = strlen(e->value);
                const char *host;

                /* A base URL that sources call back (hub callbacks): an origin and an optional
                 * path prefix, nothing a callback path could not be appended to. */
                if ((rc = config_url_value(path, sec->name, e)) < 0)
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

                if ((rc = config_warn_open_secrets(c, dir, sec, secrets)) < 0)
                    goto out;
            }
            if (!c->http.tls_cert != !c->http.tls_key) {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [http] tls_cert and tls_key go together (HTTPS needs both)",
                                      path, sec->line);
                goto out;
            }
            for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
                if ((e = tmfinv_ini_get(sec, ints[k].key)) &&
                    (rc = config_int_value(path, sec->name, e, ints[k].min, ints[k].max,
                                    (int *)((char *)c + ints[k].offset))) < 0)
                    goto out;
        } else if (strcmp(sec->name, "sync") == 0) {
            tmfinv_ini_entry *e;

            if ((e = tmfinv_ini_get(sec, "interval")) &&
                (rc = config_int_value(path, sec->name, e, 1, 30 * 86400, &c->interval_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "full_interval")) &&
                (rc = config_int_value(path, sec->name, e, 1, 365 * 86400, &c->full_interval_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "deadline")) &&
                (rc = config_int_value(path, sec->name, e, 0, 7 * 86400, &c->deadline_s)) < 0)
                goto out;
            if ((e = tmfinv_ini_get(sec, "max_remove_fraction")) &&
                (rc = config_double_value(path, sec->name, e, 0, 1, &c->max_remove_fraction)) < 0)
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

            rc = config_load_source(path, dir, sec, name, &c->sources[c->n_sources]);
            c->n_sources++;
            if (rc < 0 || (rc = config_warn_open_secrets(c, dir, sec, secrets)) < 0)
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
            if (rc < 0 || (rc = config_warn_open_secrets(c, dir, sec, hook_secrets)) < 0)
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
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s: missing [store] section with 'path = FILE' or"
                              " 'url = postgresql://...'", path);
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
