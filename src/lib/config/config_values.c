/* config_values.c: reading one value of the INI configuration — numbers, lists, URLs,
 * proxies, origins, secrets from files or the environment, and the warning about secret files
 * others may read — each failure naming file, line, section and key (see config_int.h). */
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

void config_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Checks an http(s) URL value (a host is required; libcurl must be able to parse it). */
int config_url_value(const char *file, const char *section, const tmfinv_ini_entry *e)
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
int config_proxy_value(const char *file, const char *section, const tmfinv_ini_entry *e)
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

int config_dup_value(const tmfinv_ini_entry *e, char **out)
{
    *out = strdup(e->value);
    return *out ? 0 : tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

int config_int_value(const char *file, const char *section, const tmfinv_ini_entry *e, int64_t min, int64_t max,
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
int config_split_list(const char *text, char ***out, size_t *n)
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
            config_strv_free(v, count);
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
int config_file_key_path(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
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

int config_read_secret(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
                       char **out)
{
    char *path = NULL, *text = NULL;
    size_t len;
    int rc;

    if ((rc = config_file_key_path(file, dir, e, section, &path)) < 0)
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
int config_read_secret_key(const char *file, const char *dir, tmfinv_ini_section *sec, const char *key,
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
        return config_read_secret(file, dir, f, sec->name, out);
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
int config_origins_value(const char *file, const char *section, const tmfinv_ini_entry *e, char ***list,
                         size_t *n_list, int browser)
{
    int rc;

    if ((rc = config_split_list(e->value, list, n_list)) < 0)
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
int config_warn_open_secret(tmfinv_config *c, const char *dir, const tmfinv_ini_section *sec,
                            const tmfinv_ini_entry *e)
{
    struct stat st;
    char *path = NULL, *line = NULL, **grown;
    int rc, n;

    if ((rc = config_file_key_path(c->path, dir, e, sec->name, &path)) < 0)
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
int config_warn_open_secrets(tmfinv_config *c, const char *dir, tmfinv_ini_section *sec, const char *const *keys)
{
    tmfinv_ini_entry *e;
    int rc = 0;

    for (; *keys && rc == 0; keys++)
        if ((e = tmfinv_ini_get(sec, *keys)))
            rc = config_warn_open_secret(c, dir, sec, e);
    return rc;
}

int config_double_value(const char *file, const char *section, const tmfinv_ini_entry *e, double min, double max,
                        double *out)
{
    double v;

    if (tmfinv_parse_double(e->value, &v) < 0 || v < min || v > max)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [%s] %s = '%s': expected a number from %g to %g", file,
                                e->line, section, e->key, e->value, min, max);
    *out = v;
    return 0;
}
