/* events_deliver.c: delivery of the outbox to its receivers by `serve` (docs/events.md).
 *
 * One thread per receiver, each with its own store connection and libcurl handle, so a
 * slow or dead receiver only ever waits for itself: the sync writes the outbox and never
 * waits for a delivery. A receiver takes the events after its cursor in outbox order, one
 * POST each; a failure (an answer other than 2xx, a timeout, no connection) is tried again
 * after a capped exponential back-off with jitter (or exactly Retry-After), the same event
 * first, so events reach it in order; after max_tries or max_age the event becomes a dead
 * letter and the receiver goes on. The cursor moves in the store after each delivery: a
 * crash delivers the last event again (at least once), never loses one. A manager thread
 * registers the configuration's webhooks and starts and stops a thread per receiver as hub
 * subscriptions come and go. */
#include "events_int.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_log.h"
#include "tmfinv_misc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a worker needs of its receiver for one event (the webhook's settings, or a hub's). */
typedef struct target {
    char url[2048];
    const tmfinv_webhook_config *hook; /* NULL: a hub subscription */
    char api[16];
    char callback[2048];
    char query[1024];
    int has_query;
    int timeout_ms, max_tries, max_age_s, retry_delay_ms, retry_max_delay_ms;
} target;

void events_say(tmfinv_events *ev, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!ev->o.log)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ev->o.log(ev->o.ctx, level, line);
}

/* Sleeps ms milliseconds, or less when asked to stop; 1 when stopping. */
int events_nap(tmfinv_events *ev, const worker *w, int64_t ms)
{
    int64_t until = tmfinv_time_monotonic_ms() + ms;

    while (!ev->stop && !(w && (w->stop || w->gone))) {
        int64_t left = until - tmfinv_time_monotonic_ms();
        struct timespec ts;

        if (left <= 0)
            return 0;
        if (left > 50)
            left = 50;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
    return 1;
}

/* Seconds since the epoch of a stored time ("YYYY-MM-DDTHH:MM:SS.mmmZ"); 0 when unreadable. */
static double stored_seconds(const char *t)
{
    struct tm tm;
    int ms = 0;

    memset(&tm, 0, sizeof(tm));
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const worker *w = p;

    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return w->ev->stop || w->stop || w->gone;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
    (void)ptr;
    (void)ctx;
    return size * n;
}

/* One POST of body to t->url. 0 when delivered (2xx); else why in err, *retry_after_s set
 * when the receiver asked for a delay. */
static int post(worker *w, CURL *easy, const target *t, const char *url, const char *body, const char *event_id,
                char *err, size_t err_size, long *retry_after_s)
{
    struct curl_slist *h = NULL;
    char sig[128], line[256];
    long status = 0;
    CURLcode cc;
    int rc = -1;

    *retry_after_s = 0;
    h = curl_slist_append(h, "Content-Type: application/json");
    (void)snprintf(line, sizeof(line), "X-Tmfinv-Event-Id: %s", event_id);
    h = curl_slist_append(h, line);
    if (t->hook && t->hook->secret) {
        if (tmfinv_events_sign(t->hook->secret, body, strlen(body), sig, sizeof(sig)) == 0) {
            (void)snprintf(line, sizeof(line), "X-Tmfinv-Signature: %s", sig);
            h = curl_slist_append(h, line);
        }
    }
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(t->timeout_ms < 10000 ? t->timeout_ms : 10000));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "tmfinv-events");
    if (t->hook && t->hook->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (t->hook && t->hook->ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, t->hook->ca_file);
    cc = curl_easy_perform(easy);
    if (cc != CURLE_OK)
        (void)snprintf(err, err_size, "%s", curl_easy_strerror(cc));
    else {
        curl_off_t ra = 0;

        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300)
            rc = 0;
        else {
            (void)snprintf(err, err_size, "HTTP status %ld", status);
            if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
                *retry_after_s = (long)ra;
        }
    }
    curl_slist_free_all(h);
    return rc;
}

/* The receiver's settings now (the configuration may have been reloaded). 0 when found. */
static int target_of(tmfinv_events *ev, const tmfinv_config *cfg, const tmfinv_receiver *r, target *t)
{
    memset(t, 0, sizeof(*t));
    t->timeout_ms = 10000;
    t->max_tries = 10;
    t->max_age_s = 86400;
    t->retry_delay_ms = 1000;
    t->retry_max_delay_ms = 300000;
    if (strcmp(r->kind, "webhook") == 0) {
        const char *name = r->name + strlen("webhook:");

        for (size_t i = 0; i < cfg->n_webhooks; i++)
            if (strcmp(cfg->webhooks[i].name, name) == 0) {
                const tmfinv_webhook_config *h = &cfg->webhooks[i];

                t->hook = h;
                (void)snprintf(t->url, sizeof(t->url), "%s", h->url);
                t->timeout_ms = h->timeout_ms;
                t->max_tries = h->max_tries;
                t->max_age_s = h->max_age_s;
                t->retry_delay_ms = h->retry_delay_ms;
                t->retry_max_delay_ms = h->retry_max_delay_ms;
                return 0;
            }
        return -1;
    }
    (void)ev;
    (void)snprintf(t->api, sizeof(t->api), "%s", r->api ? r->api : "");
    (void)snprintf(t->callback, sizeof(t->callback), "%s", r->callback ? r->callback : "");
    if (r->query && *r->query) {
        (void)snprintf(t->query, sizeof(t->query), "%s", r->query);
        t->has_query = 1;
    }
    return 0;
}

/* Whether the receiver wants e; its notification in *body when it does. */
static int wanted(tmfinv_events *ev, const tmfinv_model *m, const target *t, const tmfinv_event *e, char **body,
                  char *url, size_t url_size)
{
    const tmfinv_definition *d = tmfinv_model_find(m, e->definition);
    char type[64];
    cJSON *n = NULL;
    int want = 1;

    *body = NULL;
    if (t->hook) {
        unsigned bit = strcmp(e->type, TMFINV_EVENT_CREATE) == 0   ? TMFINV_WEBHOOK_CREATE
                       : strcmp(e->type, TMFINV_EVENT_CHANGE) == 0 ? TMFINV_WEBHOOK_CHANGE
                       : strcmp(e->type, TMFINV_EVENT_STATE) == 0  ? TMFINV_WEBHOOK_STATE
                                                                   : TMFINV_WEBHOOK_DELETE;

        if (!(t->hook->events & bit))
            return 0;
        if (t->hook->n_definitions) {
            want = 0;
            for (size_t i = 0; i < t->hook->n_definitions; i++)
                want |= strcmp(t->hook->definitions[i], e->definition) == 0;
            if (!want)
                return 0;
        }
    } else if (!d || strcmp(d->api, t->api) != 0)
        return 0;
    if (tmfinv_events_render(m, e, ev->base_url, &n, type, sizeof(type)) < 0) {
        events_say(ev, TMFINV_LOG_WARN, "events: event %lld cannot be rendered: %s", (long long)e->id, tmfinv_error_last());
        return 0;
    }
    if (!t->hook) {
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(n, "event");
        const cJSON *entity = payload ? payload->child : NULL;

        if (t->has_query && !tmfinv_events_query_match(t->query, type, entity)) {
            cJSON_Delete(n);
            return 0;
        }
        /* The TMF listener of the event type, under the subscriber's callback (docs/events.md). */
        (void)snprintf(url, url_size, "%s/listener/%c%s", t->callback, type[0] - 'A' + 'a', type + 1);
    } else
        (void)snprintf(url, url_size, "%s", t->url);
    *body = cJSON_PrintUnformatted(n);
    cJSON_Delete(n);
    return *body != NULL;
}

typedef struct batch {
    tmfinv_event *e;
    char **text;        /* the strings of each event, owned */
    size_t n;
} batch;

static void batch_clear(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        for (int k = 0; k < 10; k++)
            free(b->text[i * 10 + k]);
    }
    free(b->e);
    free(b->text);
    memset(b, 0, sizeof(*b));
}

static int keep_event(const tmfinv_event *e, void *ctx)
{
    batch *b = ctx;
    tmfinv_event *grown = realloc(b->e, (b->n + 1) * sizeof(*grown));
    char **text;
    const char *src[10] = {e->time, e->type, e->instance_id, e->definition, e->key, e->fields, e->actor, e->raw,
                           e->values, e->status};

    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    b->e = grown;
    if (!(text = realloc(b->text, (b->n + 1) * 10 * sizeof(*text))))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    b->text = text;
    for (int k = 0; k < 10; k++)
        text[b->n * 10 + k] = src[k] ? strdup(src[k]) : NULL;
    grown[b->n] = *e;
    grown[b->n].time = text[b->n * 10 + 0];
    grown[b->n].type = text[b->n * 10 + 1];
    grown[b->n].instance_id = text[b->n * 10 + 2];
    grown[b->n].definition = text[b->n * 10 + 3];
    grown[b->n].key = text[b->n * 10 + 4];
    grown[b->n].fields = text[b->n * 10 + 5];
    grown[b->n].actor = text[b->n * 10 + 6];
    grown[b->n].raw = text[b->n * 10 + 7];
    grown[b->n].values = text[b->n * 10 + 8];
    grown[b->n].status = text[b->n * 10 + 9];
    b->n++;
    return 0;
}

typedef struct receiver_copy {
    char kind[16], api[16], callback[2048], query[1024];
    int has_query;
    int64_t cursor, pending;
    int found;
} receiver_copy;

static int copy_receiver(const tmfinv_receiver *r, void *ctx)
{
    receiver_copy *c = ctx;

    (void)snprintf(c->kind, sizeof(c->kind), "%s", r->kind);
    (void)snprintf(c->api, sizeof(c->api), "%s", r->api ? r->api : "");
    (void)snprintf(c->callback, sizeof(c->callback), "%s", r->callback ? r->callback : "");
    (void)snprintf(c->query, sizeof(c->query), "%s", r->query ? r->query : "");
    c->has_query = r->query != NULL;
    c->cursor = r->cursor;
    c->pending = r->pending;
    c->found = 1;
    return 0;
}

/* Delivers e to the receiver, trying again as its settings say. 0 delivered, 1 dead, 2 stopping. */
static int deliver(worker *w, tmfinv_store *store, CURL *easy, const target *t, const char *url, const char *body,
                   const tmfinv_event *e)
{
    tmfinv_events *ev = w->ev;
    char err[256] = "", first[32], last[32], id[32];
    int64_t tries = 0;
    double born = stored_seconds(e->time);

    (void)snprintf(id, sizeof(id), "%lld", (long long)e->id);
    tmfinv_time_now(first, sizeof(first));
    for (;;) {
        long retry_after = 0;
        int64_t delay;

        if (ev->stop || w->stop || w->gone)
            return 2;
        tries++;
        if (post(w, easy, t, url, body, id, err, sizeof(err), &retry_after) == 0) {
            double lat = now_seconds() - born;

            pthread_mutex_lock(&ev->lock);
            w->delivered++;
            if (born > 0 && lat >= 0) {
                size_t b = 0;

                while (b < EVENTS_N_BUCKETS && lat > events_latency_bounds[b])
                    b++;
                if (b < EVENTS_N_BUCKETS)
                    w->latency_buckets[b]++;
                w->latency_sum += lat;
                w->latency_count++;
            }
            pthread_mutex_unlock(&ev->lock);
            return 0;
        }
        if (ev->stop || w->stop || w->gone)
            return 2;
        if (tries >= t->max_tries || (born > 0 && now_seconds() - born > t->max_age_s)) {
            tmfinv_time_now(last, sizeof(last));
            events_say(ev, TMFINV_LOG_WARN, "events: %s: event %s (%s %s) is a dead letter after %lld tries: %s", w->name, id,
                e->definition, e->key, (long long)tries, err);
            if (tmfinv_store_dead_add(store, w->name, e->id, tries, err, first, last) < 0)
                events_say(ev, TMFINV_LOG_WARN, "events: %s: %s", w->name, tmfinv_error_last());
            pthread_mutex_lock(&ev->lock);
            w->dead++;
            pthread_mutex_unlock(&ev->lock);
            return 1;
        }
        pthread_mutex_lock(&ev->lock);
        w->retried++;
        pthread_mutex_unlock(&ev->lock);
        /* Capped exponential back-off with jitter (half to all of the delay), or the
         * receiver's Retry-After exactly. */
        delay = t->retry_delay_ms;
        for (int64_t k = 1; k < tries && delay < t->retry_max_delay_ms; k++)
            delay *= 2;
        if (delay > t->retry_max_delay_ms)
            delay = t->retry_max_delay_ms;
        w->rng ^= w->rng << 13;
        w->rng ^= w->rng >> 7;
        w->rng ^= w->rng << 17;
        delay = delay / 2 + (int64_t)(w->rng % (uint64_t)(delay / 2 + 1));
        if (retry_after > 0)
            delay = (int64_t)retry_after * 1000;
        events_say(ev, TMFINV_LOG_DEBUG, "events: %s: event %s: %s; try %lld in %lld ms", w->name, id, err,
            (long long)tries + 1, (long long)delay);
        if (events_nap(ev, w, delay))
            return 2;
    }
}

typedef struct retry_list {
    tmfinv_dead_letter *d;
    size_t n;
} retry_list;

static int keep_retry(const tmfinv_dead_letter *d, void *ctx)
{
    retry_list *l = ctx;
    tmfinv_dead_letter *grown = realloc(l->d, (l->n + 1) * sizeof(*grown));

    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    l->d = grown;
    grown[l->n] = *d;
    grown[l->n].receiver = grown[l->n].state = grown[l->n].error = grown[l->n].first_try = grown[l->n].last_try = NULL;
    l->n++;
    return 0;
}

/* One round: the dead letters asked to be retried, then the events after the cursor.
 * Returns how many events it looked at (0: nothing to do), or < 0. */
static int round_once(worker *w, tmfinv_store *store, CURL *easy)
{
    tmfinv_events *ev = w->ev;
    const tmfinv_config *cfg = NULL;
    const tmfinv_model *m = NULL;
    void *held = ev->o.acquire(ev->o.ctx, &cfg, &m);
    receiver_copy rc_ = {0};
    tmfinv_receiver r = {0};
    retry_list retries = {0};
    batch b = {0};
    target t;
    char url[4096];
    int rc = 0, looked = 0;

    if ((rc = tmfinv_store_receivers(store, w->name, copy_receiver, &rc_)) < 0) {
        if (rc == TMFINV_ENOTFOUND)
            w->gone = 1;
        goto out;
    }
    r.name = w->name;
    r.kind = rc_.kind;
    r.api = rc_.api;
    r.callback = rc_.callback;
    r.query = rc_.has_query ? rc_.query : NULL;
    if (target_of(ev, cfg, &r, &t) < 0) {
        w->gone = 1;
        goto out;
    }
    /* Dead letters asked to be retried come first, each tried once per round. */
    if ((rc = tmfinv_store_dead_letters(store, "retry", w->name, 0, BATCH, NULL, keep_retry, &retries)) < 0)
        goto out;
    for (size_t i = 0; i < retries.n && !ev->stop && !w->stop; i++) {
        batch one = {0};
        char *body = NULL;
        long ra;
        char err[256] = "", id[32], now[32];

        looked++;
        if (tmfinv_store_outbox_get(store, retries.d[i].event_id, keep_event, &one) < 0 || one.n == 0 ||
            !wanted(ev, m, &t, &one.e[0], &body, url, sizeof(url))) {
            (void)tmfinv_store_dead_done(store, retries.d[i].id);
            batch_clear(&one);
            continue;
        }
        (void)snprintf(id, sizeof(id), "%lld", (long long)one.e[0].id);
        if (post(w, easy, &t, url, body, id, err, sizeof(err), &ra) == 0) {
            (void)tmfinv_store_dead_done(store, retries.d[i].id);
            pthread_mutex_lock(&ev->lock);
            w->delivered++;
            pthread_mutex_unlock(&ev->lock);
        } else {
            tmfinv_time_now(now, sizeof(now));
            (void)tmfinv_store_dead_failed(store, retries.d[i].id, err, now);
        }
        free(body);
        batch_clear(&one);
    }
    if ((rc = tmfinv_store_outbox_next(store, rc_.cursor, BATCH, keep_event, &b)) < 0)
        goto out;
    pthread_mutex_lock(&ev->lock);
    w->pending = rc_.pending;
    pthread_mutex_unlock(&ev->lock);
    for (size_t i = 0; i < b.n && rc == 0; i++) {
        char *body = NULL;
        int got = 0;

        looked++;
        if (wanted(ev, m, &t, &b.e[i], &body, url, sizeof(url))) {
            int d = deliver(w, store, easy, &t, url, body, &b.e[i]);

            free(body);
            if (d == 2)
                break;
            got = d == 0;
        }
        rc = tmfinv_store_receiver_advance(store, w->name, b.e[i].id, got);
        pthread_mutex_lock(&ev->lock);
        if (w->pending > 0)
            w->pending--;
        pthread_mutex_unlock(&ev->lock);
    }
out:
    if (rc < 0)
        events_say(ev, TMFINV_LOG_WARN, "events: %s: %s", w->name, tmfinv_error_last());
    free(retries.d);
    batch_clear(&b);
    ev->o.release(ev->o.ctx, held);
    return rc < 0 ? rc : looked;
}

void *events_worker_main(void *arg)
{
    worker *w = arg;
    tmfinv_events *ev = w->ev;
    tmfinv_store_options so = {.busy_timeout_ms = ev->o.busy_timeout_ms};
    tmfinv_store *store = NULL;
    CURL *easy = curl_easy_init();

    /* Receivers failing together do not retry together: each thread's jitter has its own seed. */
    w->rng = (uint64_t)tmfinv_time_monotonic_ms() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)w;
    if (!w->rng)
        w->rng = 1;
    if (!easy || tmfinv_store_open_with(ev->store_path, &so, &store) < 0) {
        events_say(ev, TMFINV_LOG_ERROR, "events: %s: cannot start: %s", w->name, easy ? tmfinv_error_last() : "no libcurl");
        goto out;
    }
    while (!ev->stop && !w->stop && !w->gone) {
        int n = round_once(w, store, easy);

        if (n <= 0 && events_nap(ev, w, n < 0 ? 1000 : ev->o.poll_ms))
            break;
    }
out:
    tmfinv_store_close(store);
    if (easy)
        curl_easy_cleanup(easy);
    return NULL;
}
