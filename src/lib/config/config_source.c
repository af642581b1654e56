/* config_source.c: a `[source NAME]` section of the configuration (see config.h): its keys,
 * checked one by one with config_values.c, into a tmfinv_source_config. */
#include "config.h"
#include "config_int.h"

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

void config_source_clear(tmfinv_source_config *s)
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
    config_strv_free(s->definitions, s->n_definitions);
    config_strv_free(s->exclude_types, s->n_exclude_types);
    config_strv_free(s->allowed_origins, s->n_allowed_origins);
    free(s->ca_file);
    free(s->proxy);
    free(s->no_proxy);
}

int config_load_source(const char *file, const char *dir, tmfinv_ini_section *sec, const char *name,
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
    if ((rc = config_dup_value(e, &s->api)) < 0)
        return rc;
    if (!(e = tmfinv_ini_get(sec, "url")))
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] needs 'url' (the collection URL)", file, sec->line,
                                sec->name);
    if ((rc = config_url_value(file, sec->name, e)) < 0)
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
    if ((rc = config_dup_value(e, &s->url)) < 0)
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
    if ((e = tmfinv_ini_get(sec, "page_size")) && (rc = config_int_value(file, sec->name, e, 1, 10000, &s->page_size)) < 0)
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
    if ((e = tmfinv_ini_get(sec, "username")) && (rc = config_dup_value(e, &s->username)) < 0)
        return rc;
    if ((rc = config_read_secret_key(file, dir, sec, "password", &s->password)) < 0 ||
        (rc = config_read_secret_key(file, dir, sec, "token", &s->token)) < 0 ||
        (rc = config_read_secret_key(file, dir, sec, "client_secret", &s->client_secret)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "client_id")) && (rc = config_dup_value(e, &s->client_id)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "token_url"))) {
        if ((rc = config_url_value(file, sec->name, e)) < 0)
            return rc;
        if ((rc = config_dup_value(e, &s->token_url)) < 0)
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
    if ((e = tmfinv_ini_get(sec, "concurrency")) && (rc = config_int_value(file, sec->name, e, 1, 64, &s->concurrency)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "rate_limit")) && (rc = config_double_value(file, sec->name, e, 0, 10000, &s->rate_limit)) < 0)
        return rc;
    /* A tiny positive rate would wait for ever between requests (or, below the timer's
     * resolution, not at all): 0 says "no limit" explicitly; anything else is a real rate. */
    if (e && s->rate_limit != 0 && s->rate_limit < 0.001)
        return tmfinv_error_set(TMFINV_EINVALID,
                                "%s:%d: [%s] rate_limit = '%s': expected 0 (no limit) or from 0.001 to 10000 "
                                "requests per second",
                                file, e->line, sec->name, e->value);
    if ((e = tmfinv_ini_get(sec, "retry_max_delay_ms")) &&
        (rc = config_int_value(file, sec->name, e, 0, 600000, &s->retry_max_delay_ms)) < 0)
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

        if ((rc = config_int_value(file, sec->name, e, 1, 3600, &seconds)) < 0)
            return rc;
        s->timeout_ms = seconds * 1000;
    }
    if ((e = tmfinv_ini_get(sec, "retries")) && (rc = config_int_value(file, sec->name, e, 0, 50, &s->retries)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "retry_delay_ms")) &&
        (rc = config_int_value(file, sec->name, e, 0, 60000, &s->retry_delay_ms)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_failed_pages")) &&
        (rc = config_int_value(file, sec->name, e, 1, 1000, &s->max_failed_pages)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_remove_fraction")) &&
        (rc = config_double_value(file, sec->name, e, 0, 1, &s->max_remove_fraction)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "definitions")) &&
        (rc = config_split_list(e->value, &s->definitions, &s->n_definitions)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "exclude_types"))) {
        s->has_exclude_types = 1;
        if ((rc = config_split_list(e->value, &s->exclude_types, &s->n_exclude_types)) < 0)
            return rc;
    }
    if ((e = tmfinv_ini_get(sec, "ca_file")) && (rc = tmfinv_path_join(dir, e->value, &s->ca_file)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "allowed_origins")) &&
        (rc = config_origins_value(file, sec->name, e, &s->allowed_origins, &s->n_allowed_origins, 0)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "proxy")) && ((rc = config_proxy_value(file, sec->name, e)) < 0 ||
                                                (rc = config_dup_value(e, &s->proxy)) < 0))
        return rc;
    if ((e = tmfinv_ini_get(sec, "no_proxy")) && (rc = config_dup_value(e, &s->no_proxy)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "max_pages")) &&
        (rc = config_int_value(file, sec->name, e, 1, 100000000, &s->max_pages)) < 0)
        return rc;
    return 0;
}
