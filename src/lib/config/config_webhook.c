/* config_webhook.c: a [webhook NAME] section (docs/configuration.md, docs/events.md):
 * where `serve` POSTs instance events, which ones, how it retries and signs them. Every
 * error names the file and line. */
#include "config.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_ini.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_SECRET_MAX 4096

void tmfinv_config_webhook_clear(tmfinv_webhook_config *w)
{
    free(w->name);
    free(w->url);
    for (size_t i = 0; i < w->n_definitions; i++)
        free(w->definitions[i]);
    free(w->definitions);
    if (w->secret) {
        memset(w->secret, 0, strlen(w->secret));
        free(w->secret);
    }
    free(w->ca_file);
    memset(w, 0, sizeof(*w));
}

/* Calls fn for each trimmed, non-empty item of a comma-separated list. */
static int each_item(const char *list, int (*fn)(const char *item, size_t len, void *ctx), void *ctx)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ','), *stop;
        int rc;

        stop = end ? end : p + strlen(p);
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
            stop--;
        if (stop > p && (rc = fn(p, (size_t)(stop - p), ctx)) < 0)
            return rc;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

typedef struct item_ctx {
    const char *file;
    const tmfinv_ini_entry *e;
    tmfinv_webhook_config *w;
} item_ctx;

static int add_definition(const char *item, size_t len, void *ctx)
{
    item_ctx *c = ctx;
    char **grown = realloc(c->w->definitions, (c->w->n_definitions + 1) * sizeof(*grown));

    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    c->w->definitions = grown;
    if (!(grown[c->w->n_definitions] = strndup(item, len)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    c->w->n_definitions++;
    return 0;
}

static int add_event(const char *item, size_t len, void *ctx)
{
    static const struct {
        const char *name;
        unsigned bit;
    } kinds[] = {{"create", TMFINV_WEBHOOK_CREATE},
                 {"change", TMFINV_WEBHOOK_CHANGE},
                 {"state", TMFINV_WEBHOOK_STATE},
                 {"delete", TMFINV_WEBHOOK_DELETE}};
    item_ctx *c = ctx;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, item, len) == 0) {
            c->w->events |= kinds[i].bit;
            return 0;
        }
    return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] events: '%.*s' is not one of state, create, change, "
                            "delete", c->file, c->e->line, c->w->name, (int)(len > 100 ? 100 : len), item);
}

static int int_key(const char *file, tmfinv_ini_section *sec, const char *name, const char *key, int64_t min,
                   int64_t max, int64_t scale, int *out)
{
    tmfinv_ini_entry *e = tmfinv_ini_get(sec, key);
    int64_t v;

    if (!e)
        return 0;
    if (tmfinv_parse_int64(e->value, min, max, &v) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] %s = '%s': expected a whole number from %lld to "
                                "%lld", file, e->line, name, key, e->value, (long long)min, (long long)max);
    *out = (int)(v * scale);
    return 0;
}

int tmfinv_config_webhook_load(const char *file, const char *dir, tmfinv_ini_section *sec, const char *name,
                               tmfinv_webhook_config *w)
{
    tmfinv_ini_entry *e;
    item_ctx ic = {file, NULL, w};
    char *path = NULL;
    size_t len = 0;
    int rc;

    memset(w, 0, sizeof(*w));
    w->line = sec->line;
    w->timeout_ms = 10000;
    w->max_tries = 10;
    w->max_age_s = 86400;
    w->retry_delay_ms = 1000;
    w->retry_max_delay_ms = 300000;
    if (!(w->name = strdup(name)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.') || p - name > 100)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s]: a webhook name uses only letters, digits, "
                                    "'-', '_' and '.' (at most 100)", file, sec->line, name);
    if (!(e = tmfinv_ini_get(sec, "url")) || !*e->value)
        return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] needs 'url = https://...'", file, sec->line, name);
    {
        char origin[512];

        if (tmfinv_config_url_origin(e->value, origin, sizeof(origin)) < 0) {
            char why[256];

            (void)snprintf(why, sizeof(why), "%s", tmfinv_error_last());
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] url = '%.200s': %s", file, e->line, name,
                                    e->value, why);
        }
    }
    if (!(w->url = strdup(e->value)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((e = tmfinv_ini_get(sec, "definitions"))) {
        ic.e = e;
        if ((rc = each_item(e->value, add_definition, &ic)) < 0)
            return rc;
    }
    if ((e = tmfinv_ini_get(sec, "events"))) {
        ic.e = e;
        if ((rc = each_item(e->value, add_event, &ic)) < 0)
            return rc;
    }
    if (!w->events)
        w->events = TMFINV_WEBHOOK_CREATE | TMFINV_WEBHOOK_CHANGE | TMFINV_WEBHOOK_STATE | TMFINV_WEBHOOK_DELETE;
    if ((rc = int_key(file, sec, name, "timeout", 1, 3600, 1000, &w->timeout_ms)) < 0 ||
        (rc = int_key(file, sec, name, "max_tries", 1, 1000, 1, &w->max_tries)) < 0 ||
        (rc = int_key(file, sec, name, "max_age", 1, 30 * 86400, 1, &w->max_age_s)) < 0 ||
        (rc = int_key(file, sec, name, "retry_delay", 1, 3600000, 1, &w->retry_delay_ms)) < 0 ||
        (rc = int_key(file, sec, name, "retry_max_delay", 1, 86400000, 1, &w->retry_max_delay_ms)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "insecure"))) {
        if (strcmp(e->value, "true") != 0 && strcmp(e->value, "false") != 0)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] insecure = '%s': expected true or false",
                                    file, e->line, name, e->value);
        w->insecure = strcmp(e->value, "true") == 0;
    }
    if ((e = tmfinv_ini_get(sec, "ca_file")) && (rc = tmfinv_path_join(dir, e->value, &w->ca_file)) < 0)
        return rc;
    if ((e = tmfinv_ini_get(sec, "secret_file"))) {
        static const char prefix[] = "%credentials/";
        const char *cred = e->value + sizeof(prefix) - 1, *creds = getenv("CREDENTIALS_DIRECTORY");

        /* %credentials/NAME: NAME in systemd's $CREDENTIALS_DIRECTORY, as for the sources. */
        if (strncmp(e->value, prefix, sizeof(prefix) - 1) == 0) {
            if (!*cred || strchr(cred, '/') || strcmp(cred, ".") == 0 || strcmp(cred, "..") == 0 || !creds || !*creds)
                return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] secret_file = '%s': expected "
                                        "%%credentials/NAME (no '/') with $CREDENTIALS_DIRECTORY set", file, e->line,
                                        name, e->value);
            rc = tmfinv_path_join(creds, cred, &path);
        } else
            rc = tmfinv_path_join(dir, e->value, &path);
        if (rc < 0)
            return rc;
        rc = tmfinv_file_read(path, WEBHOOK_SECRET_MAX, &w->secret, &len);
        free(path);
        if (rc < 0) {
            char why[512];

            (void)snprintf(why, sizeof(why), "%s", tmfinv_error_last());
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] secret_file: %s", file, e->line, name, why);
        }
        while (len > 0 && (w->secret[len - 1] == '\n' || w->secret[len - 1] == '\r'))
            w->secret[--len] = '\0';
        if (len == 0)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: [webhook %s] secret_file: the file is empty", file,
                                    e->line, name);
    }
    for (size_t j = 0; j < sec->n_entries; j++)
        if (!sec->entries[j].used)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: unknown key '%s' in [webhook %s]", file,
                                    sec->entries[j].line, sec->entries[j].key, name);
    return 0;
}
