/* daemon_hub.c: push from the sources' TMF hubs inside `serve` (see daemon_hub.h). */
#include "daemon_hub.h"

#include "hub.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

typedef struct hub_source {
    char *name;
    char secret[65];                /* hex of 32 random bytes; fixed for the process's life */
    char id[TMFINV_HUB_ID_MAX];     /* the current subscription at the source, "" when none */
} hub_source;

typedef struct hub_event {
    size_t source;                  /* index in sources */
    int deleted;
    cJSON *item;
    struct hub_event *next;
} hub_event;

struct daemon_hub {
    hub_source *sources;
    size_t n_sources;
    char *state_path;               /* STORE-hub.json */
    void (*wake)(void *);
    void *wake_ctx;
    pthread_mutex_t lock;           /* guards the queue */
    hub_event *head, *tail;
    size_t queued;
};

static void hub_say(tmfinv_log_fn log, void *ctx, tmfinv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void hub_say(tmfinv_log_fn log, void *ctx, tmfinv_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log(ctx, level, line);
}

int daemon_hub_new(const tmfinv_config *cfg, void (*wake)(void *), void *wake_ctx, daemon_hub **out)
{
    daemon_hub *h = calloc(1, sizeof(*h));
    unsigned char random[32];
    int rc = 0, n;

    if (!h || !(h->sources = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof(*h->sources)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->wake = wake;
    h->wake_ctx = wake_ctx;
    n = snprintf(NULL, 0, "%s-hub.json", cfg->store_path);
    if (n < 0 || !(h->state_path = malloc((size_t)n + 1))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    (void)snprintf(h->state_path, (size_t)n + 1, "%s-hub.json", cfg->store_path);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        hub_source *s = &h->sources[h->n_sources];

        if (!cfg->sources[i].hub)
            continue;
        if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
            rc = tmfinv_error_set(TMFINV_EIO, "cannot read random bytes for the hub secret");
            goto out;
        }
        for (size_t k = 0; k < sizeof(random); k++)
            (void)snprintf(s->secret + 2 * k, 3, "%02x", random[k]);
        explicit_bzero(random, sizeof(random));
        if (!(s->name = strdup(cfg->sources[i].name))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        h->n_sources++;
    }
    *out = h;
    h = NULL;
out:
    daemon_hub_free(h);
    return rc;
}

void daemon_hub_free(daemon_hub *h)
{
    hub_event *e;

    if (!h)
        return;
    while ((e = h->head)) {
        h->head = e->next;
        cJSON_Delete(e->item);
        free(e);
    }
    for (size_t i = 0; h->sources && i < h->n_sources; i++) {
        free(h->sources[i].name);
        explicit_bzero(h->sources[i].secret, sizeof(h->sources[i].secret));
    }
    free(h->sources);
    free(h->state_path);
    if (h->sources || h->state_path)
        pthread_mutex_destroy(&h->lock);
    free(h);
}

static const tmfinv_source_config *config_source(const tmfinv_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (strcmp(cfg->sources[i].name, name) == 0)
            return &cfg->sources[i];
    return NULL;
}

/* Writes the subscription ids to the state file (temporary file, then rename). */
static void state_write(daemon_hub *h, tmfinv_log_fn log, void *log_ctx)
{
    cJSON *state = cJSON_CreateObject();
    char *text = NULL, *tmp = NULL;
    size_t n = strlen(h->state_path) + 5;
    int fd = -1, ok = 0;

    for (size_t i = 0; state && i < h->n_sources; i++)
        if (h->sources[i].id[0] && !cJSON_AddStringToObject(state, h->sources[i].name, h->sources[i].id))
            goto out;
    if (!state || !(text = cJSON_PrintUnformatted(state)) || !(tmp = malloc(n)))
        goto out;
    (void)snprintf(tmp, n, "%s.tmp", h->state_path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        goto out;
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, h->state_path) == 0;
out:
    if (!ok)
        hub_say(log, log_ctx, TMFINV_LOG_WARN, "hub: cannot write '%s': a restart after a crash may leave a "
                "subscription behind at the source", h->state_path);
    if (!ok && tmp)
        (void)unlink(tmp);
    free(tmp);
    free(text);
    cJSON_Delete(state);
}

/* Deletes the subscriptions a previous process left in the state file. */
static void state_cleanup(daemon_hub *h, const tmfinv_config *cfg, tmfinv_log_fn log, void *log_ctx)
{
    char *text = NULL;
    size_t len = 0;
    cJSON *state = NULL, *entry;

    if (tmfinv_file_read(h->state_path, 1024 * 1024, &text, &len) < 0)
        return;
    state = cJSON_ParseWithLength(text, len);
    cJSON_ArrayForEach(entry, state) {
        const tmfinv_source_config *src = config_source(cfg, entry->string);
        int rc;

        if (!src || !cJSON_IsString(entry))
            continue;
        rc = tmfinv_hub_unsubscribe(src, entry->valuestring);
        if (rc < 0 && rc != TMFINV_ENOTFOUND)
            hub_say(log, log_ctx, TMFINV_LOG_WARN, "source '%s': hub: the subscription of a previous run could "
                    "not be deleted: %s", src->name, tmfinv_error_last());
    }
    cJSON_Delete(state);
    free(text);
}

void daemon_hub_subscribe(daemon_hub *h, const tmfinv_config *cfg, int renew, tmfinv_log_fn log, void *log_ctx)
{
    int changed = 0;

    if (!h->n_sources)
        return;
    if (!renew)
        state_cleanup(h, cfg, log, log_ctx);
    for (size_t i = 0; i < h->n_sources; i++) {
        hub_source *s = &h->sources[i];
        const tmfinv_source_config *src = config_source(cfg, s->name);
        char callback[4096], id[TMFINV_HUB_ID_MAX], previous[TMFINV_HUB_ID_MAX];
        int n, rc;

        if (!src || !cfg->http.public_url)
            continue;
        n = snprintf(callback, sizeof(callback), "%s" DAEMON_HUB_CALLBACK_PATH, cfg->http.public_url, s->name,
                     s->secret);
        if (n < 0 || (size_t)n >= sizeof(callback))
            continue;
        if ((rc = tmfinv_hub_subscribe(src, callback, id)) < 0) {
            hub_say(log, log_ctx, TMFINV_LOG_WARN, "source '%s': hub: cannot subscribe (%s); polling goes on, the "
                    "next full reconcile tries again", s->name, tmfinv_error_last());
            continue;
        }
        (void)snprintf(previous, sizeof(previous), "%s", s->id);
        (void)snprintf(s->id, sizeof(s->id), "%s", id);
        changed = 1;
        hub_say(log, log_ctx, TMFINV_LOG_INFO, "source '%s': hub: subscribed (subscription %s)", s->name, id);
        if (previous[0] && strcmp(previous, id) != 0) {
            rc = tmfinv_hub_unsubscribe(src, previous);
            if (rc == TMFINV_ENOTFOUND)
                hub_say(log, log_ctx, TMFINV_LOG_WARN, "source '%s': hub: the source had forgotten subscription "
                        "%s; events it did not send are repaired by this full reconcile", s->name, previous);
            else if (rc < 0)
                hub_say(log, log_ctx, TMFINV_LOG_WARN, "source '%s': hub: %s", s->name, tmfinv_error_last());
        }
    }
    if (changed)
        state_write(h, log, log_ctx);
}

void daemon_hub_unsubscribe(daemon_hub *h, const tmfinv_config *cfg, tmfinv_log_fn log, void *log_ctx)
{
    for (size_t i = 0; i < h->n_sources; i++) {
        hub_source *s = &h->sources[i];
        const tmfinv_source_config *src = config_source(cfg, s->name);
        int rc;

        if (!s->id[0] || !src)
            continue;
        rc = tmfinv_hub_unsubscribe(src, s->id);
        if (rc < 0 && rc != TMFINV_ENOTFOUND) {
            hub_say(log, log_ctx, TMFINV_LOG_WARN, "source '%s': hub: cannot unsubscribe: %s", s->name,
                    tmfinv_error_last());
            continue;
        }
        hub_say(log, log_ctx, TMFINV_LOG_INFO, "source '%s': hub: unsubscribed (subscription %s)", s->name, s->id);
        s->id[0] = '\0';
    }
    if (h->n_sources)
        state_write(h, log, log_ctx);
}

/* Compares two secrets in time that depends only on the length of the expected one. */
static int secret_equal(const char *expected, const char *given)
{
    size_t n = strlen(expected), m = strlen(given);
    unsigned char diff = (unsigned char)(n != m);

    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(expected[i] ^ (i < m ? given[i] : 0));
    return diff == 0;
}

int daemon_hub_push(daemon_hub *h, const char *source, const char *secret, int deleted, cJSON *item)
{
    hub_event *e = NULL;
    size_t i;
    int rc = 0;

    for (i = 0; i < h->n_sources; i++)
        if (strcmp(h->sources[i].name, source) == 0)
            break;
    if (i == h->n_sources || !secret) {
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no hub source '%s'", source);
        goto out;
    }
    if (!secret_equal(h->sources[i].secret, secret)) {
        rc = tmfinv_error_set(TMFINV_EREFUSED, "wrong callback secret");
        goto out;
    }
    if (!(e = calloc(1, sizeof(*e)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    e->source = i;
    e->deleted = deleted;
    e->item = item;
    pthread_mutex_lock(&h->lock);
    if (h->queued >= DAEMON_HUB_QUEUE_MAX) {
        rc = tmfinv_error_set(TMFINV_ELIMIT, "%d events wait already", DAEMON_HUB_QUEUE_MAX);
    } else {
        if (h->tail)
            h->tail->next = e;
        else
            h->head = e;
        h->tail = e;
        h->queued++;
        item = NULL;
        e = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == 0 && h->wake)
        h->wake(h->wake_ctx);
out:
    if (e)
        free(e);
    cJSON_Delete(item);
    return rc;
}

int daemon_hub_pending(daemon_hub *h)
{
    int pending;

    if (!h)
        return 0;
    pthread_mutex_lock(&h->lock);
    pending = h->head != NULL;
    pthread_mutex_unlock(&h->lock);
    return pending;
}

void daemon_hub_drain(daemon_hub *h, tmfinv_store *store, const tmfinv_model *model, const tmfinv_config *cfg,
                      const tmfinv_sync_options *opt)
{
    hub_event *list, *e, *next;

    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    list = h->head;
    h->head = h->tail = NULL;
    h->queued = 0;
    pthread_mutex_unlock(&h->lock);
    while (list) {
        tmfinv_pushed_item batch[256];
        tmfinv_sync_result result;
        size_t n = 0, source = list->source;
        int rc;

        /* Consecutive events of one source, in arrival order, make one run. */
        for (e = list; e && e->source == source && n < sizeof(batch) / sizeof(batch[0]); e = e->next) {
            batch[n].deleted = e->deleted;
            batch[n].item = e->item;
            n++;
        }
        rc = tmfinv_sync_apply_pushed(store, model, cfg, h->sources[source].name, batch, n, opt, &result);
        if (rc < 0)
            hub_say(opt->log, opt->log_ctx, TMFINV_LOG_ERROR, "source '%s': push of %zu events not applied: %s; the "
                    "next full reconcile repairs", h->sources[source].name, n, tmfinv_error_last());
        while (n--) {
            next = list->next;
            cJSON_Delete(list->item);
            free(list);
            list = next;
        }
    }
}
