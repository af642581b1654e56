/* sim_hub.c: the simulator's TMF hub (see sim_hub.h).
 *
 * Subscriptions live in a small fixed table under one mutex. An advance queues the pair of
 * snapshots (before, after) it made, holding a reference on each; the delivery thread takes
 * the pairs in order, computes the differences of each collection that has subscribers, and
 * POSTs each event with libcurl (one keep-alive handle, 5 s per POST, no retry: a lost event is
 * what the client's polling must repair). Serving never waits for any of this. */
#include "sim_hub.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_HUB_SALT_DROP 0x68756201u       /* "hub" + 1: independent of sim_data's salts */
#define SIM_HUB_SALT_DUPLICATE 0x68756202u
#define SIM_HUB_EVENT_MAX (64u * 1024u * 1024u)
#define SIM_HUB_POST_TIMEOUT_MS 5000L

struct sim_hub_subscription {
    int used;
    uint32_t serial;                        /* the id, in decimal */
    enum sim_collection coll;
    char callback[SIM_HUB_CALLBACK_MAX];
    char query[SIM_HUB_QUERY_MAX];
    char path[128];                         /* the hub path it was made on */
};

/* One advance waiting for delivery: the snapshots before and after it (references held). */
struct sim_hub_job {
    struct sim_epoch *before;
    struct sim_epoch *after;
    struct sim_hub_job *next;
};

struct sim_hub {
    struct sim_model *model;
    struct sim_hub_options options;
    sim_hub_render_fn render;
    void *render_ctx;
    pthread_mutex_t lock;                   /* guards subs, next_serial, jobs, stop */
    pthread_cond_t wake;
    pthread_mutex_t advance_lock;           /* serialises sim_hub_advance */
    struct sim_hub_subscription subs[SIM_HUB_MAX_SUBSCRIPTIONS];
    uint32_t next_serial;
    struct sim_hub_job *head, *tail;
    unsigned pending;                       /* jobs queued or being delivered */
    atomic_int stop;                        /* read by the delivery loops without the lock */
    pthread_t thread;
    CURL *easy;                             /* the delivery thread's */
    atomic_ullong events, delivered, failed, dropped, duplicated;
};

static int sim_hub_any_subscription(struct sim_hub *hub)
{
    for (unsigned i = 0; i < SIM_HUB_MAX_SUBSCRIPTIONS; i++)
        if (hub->subs[i].used)
            return 1;
    return 0;
}

static void sim_hub_error(struct sim_buf *out, unsigned status, const char *code, const char *message)
{
    char text[16];

    (void)snprintf(text, sizeof(text), "%u", status);
    sim_json_open(out, '{');
    sim_json_key_string(out, "code", code);
    sim_json_key_string(out, "reason", status == 400 ? "Bad Request" : status == 409 ? "Conflict" : "Error");
    sim_json_key_string(out, "message", message);
    sim_json_key_string(out, "status", text);
    sim_json_close(out, '}');
}

unsigned sim_hub_subscribe(struct sim_hub *hub, enum sim_collection coll, const char *path, const char *body,
               size_t len, struct sim_buf *out)
{
    cJSON *input = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *callback = cJSON_GetObjectItemCaseSensitive(input, "callback");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(input, "query");
    struct sim_hub_subscription *sub = NULL;
    char id[16];
    unsigned status = 201, i;

    if (!cJSON_IsObject(input) || !cJSON_IsString(callback)) {
        sim_hub_error(out, 400, "28", "the body must be an EventSubscriptionInput with a callback");
        status = 400;
        goto out;
    }
    if ((strncmp(callback->valuestring, "http://", 7) != 0 && strncmp(callback->valuestring, "https://", 8) != 0) ||
        strlen(callback->valuestring) >= SIM_HUB_CALLBACK_MAX) {
        sim_hub_error(out, 400, "28", "callback must be an http(s) URL shorter than 2048 bytes");
        status = 400;
        goto out;
    }
    if (query && (!cJSON_IsString(query) || strlen(query->valuestring) >= SIM_HUB_QUERY_MAX)) {
        sim_hub_error(out, 400, "28", "query must be a string shorter than 1024 bytes");
        status = 400;
        goto out;
    }
    pthread_mutex_lock(&hub->lock);
    for (i = 0; i < SIM_HUB_MAX_SUBSCRIPTIONS && !sub; i++)
        if (!hub->subs[i].used)
            sub = &hub->subs[i];
    if (sub) {
        memset(sub, 0, sizeof(*sub));
        sub->used = 1;
        sub->serial = ++hub->next_serial;
        sub->coll = coll;
        (void)snprintf(sub->callback, sizeof(sub->callback), "%s", callback->valuestring);
        (void)snprintf(sub->query, sizeof(sub->query), "%s", query ? query->valuestring : "");
        (void)snprintf(sub->path, sizeof(sub->path), "%s", path);
        (void)snprintf(id, sizeof(id), "%u", (unsigned)sub->serial);
    }
    pthread_mutex_unlock(&hub->lock);
    if (!sub) {
        sim_hub_error(out, 409, "29", "the hub holds 64 subscriptions already");
        status = 409;
        goto out;
    }
    sim_json_open(out, '{');
    sim_json_key_string(out, "id", id);
    sim_json_key_string(out, "callback", callback->valuestring);
    if (query)
        sim_json_key_string(out, "query", query->valuestring);
    sim_json_close(out, '}');
out:
    cJSON_Delete(input);
    return status;
}

unsigned sim_hub_unsubscribe(struct sim_hub *hub, enum sim_collection coll, const char *id)
{
    unsigned status = 404, i;
    char text[16];

    pthread_mutex_lock(&hub->lock);
    for (i = 0; i < SIM_HUB_MAX_SUBSCRIPTIONS; i++) {
        struct sim_hub_subscription *sub = &hub->subs[i];

        (void)snprintf(text, sizeof(text), "%u", (unsigned)sub->serial);
        if (sub->used && sub->coll == coll && strcmp(text, id) == 0) {
            sub->used = 0;
            status = 204;
            break;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    return status;
}

long sim_hub_advance(struct sim_hub *hub)
{
    struct sim_epoch *before, *after;
    struct sim_hub_job *job = NULL;
    long epoch;
    int wanted;

    pthread_mutex_lock(&hub->advance_lock);
    before = sim_model_acquire(hub->model);
    epoch = sim_model_advance(hub->model);
    pthread_mutex_lock(&hub->lock);
    wanted = epoch >= 0 && sim_hub_any_subscription(hub);
    pthread_mutex_unlock(&hub->lock);
    if (wanted)
        job = calloc(1, sizeof(*job));
    if (!job) {
        /* No subscriber (or no memory for the job, then the events of this step are lost,
         * which is what polling repairs). */
        sim_model_release(hub->model, before);
        pthread_mutex_unlock(&hub->advance_lock);
        return epoch;
    }
    after = sim_model_acquire(hub->model);
    job->before = before;
    job->after = after;
    pthread_mutex_lock(&hub->lock);
    if (hub->tail)
        hub->tail->next = job;
    else
        hub->head = job;
    hub->tail = job;
    hub->pending++;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
    pthread_mutex_unlock(&hub->advance_lock);
    return epoch;
}

/* 1 when the subscription's query lets events of `type` through: a query naming
 * `eventType=A,B` (possibly among other `&`-separated terms) lets only those through. */
static int sim_hub_query_allows(const char *query, const char *type)
{
    const char *p = strstr(query, "eventType=");
    size_t n = strlen(type);

    if (!p)
        return 1;
    p += 10;
    while (*p && *p != '&') {
        size_t len = strcspn(p, ",&");

        if (len == n && strncmp(p, type, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static size_t sim_hub_discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* POSTs one event; 1 when the subscriber answered 2xx. */
static int sim_hub_post(struct sim_hub *hub, const char *url, const char *body, size_t len)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json;charset=utf-8");
    long status = 0;
    int ok;

    if (!headers)
        return 0;
    curl_easy_setopt(hub->easy, CURLOPT_URL, url);
    curl_easy_setopt(hub->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(hub->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(hub->easy, CURLOPT_HTTPHEADER, headers);
    ok = curl_easy_perform(hub->easy) == CURLE_OK &&
         curl_easy_getinfo(hub->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status >= 200 && status < 300;
    curl_easy_setopt(hub->easy, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return ok;
}

/* Sends one event to the subscriptions of its collection (copied in `subs`, n of them). */
static void sim_hub_send(struct sim_hub *hub, const struct sim_hub_subscription *subs, unsigned n, uint32_t epoch,
             uint32_t index, const char *type, const char *body, size_t len)
{
    uint64_t seed = hub->model->world.config.seed;

    atomic_fetch_add(&hub->events, 1);
    for (unsigned s = 0; s < n && !hub->stop; s++) {
        unsigned copies = 1;

        if (!sim_hub_query_allows(subs[s].query, type))
            continue;
        if (hub->options.drop_ppb &&
            sim_data_hash(seed, SIM_HUB_SALT_DROP, epoch, index ^ (subs[s].serial << 20)) % 1000000000u <
                hub->options.drop_ppb) {
            atomic_fetch_add(&hub->dropped, 1);
            continue;
        }
        if (hub->options.duplicate_ppb &&
            sim_data_hash(seed, SIM_HUB_SALT_DUPLICATE, epoch, index ^ (subs[s].serial << 20)) % 1000000000u <
                hub->options.duplicate_ppb) {
            atomic_fetch_add(&hub->duplicated, 1);
            copies = 2;
        }
        while (copies--) {
            if (sim_hub_post(hub, subs[s].callback, body, len))
                atomic_fetch_add(&hub->delivered, 1);
            else
                atomic_fetch_add(&hub->failed, 1);
        }
    }
}

/* Builds the event of `item` (rendered from `snapshot`) and sends it. */
static void sim_hub_event(struct sim_hub *hub, const struct sim_hub_subscription *subs, unsigned n,
              enum sim_collection coll, const struct sim_epoch *snapshot, const struct sim_item *item,
              uint32_t epoch, uint32_t *index, const char *what)
{
    const char *entity = coll == SIM_COLL_SERVICE ? "Service" : "Resource";
    char type[64], id[48];
    struct sim_buf buf;

    (void)snprintf(type, sizeof(type), "%s%sEvent", entity, what);
    (void)snprintf(id, sizeof(id), "%u-%c-%u", (unsigned)epoch, coll == SIM_COLL_SERVICE ? 's' : 'r',
                   (unsigned)*index);
    sim_buf_init(&buf, SIM_HUB_EVENT_MAX);
    sim_json_open(&buf, '{');
    sim_json_key_string(&buf, "eventId", id);
    sim_json_key_time(&buf, "eventTime", SIM_CLOCK_BASE + (int64_t)epoch * SIM_DAY);
    sim_json_key_string(&buf, "eventType", type);
    if (strcmp(what, "AttributeValueChange") == 0)
        sim_json_key_string(&buf, "fieldPath", "lastUpdate");
    sim_json_key(&buf, "event");
    sim_json_open(&buf, '{');
    sim_json_key(&buf, coll == SIM_COLL_SERVICE ? "service" : "resource");
    hub->render(hub->render_ctx, snapshot, item, &buf);
    sim_json_close(&buf, '}');
    sim_json_close(&buf, '}');
    if (!buf.failed)
        sim_hub_send(hub, subs, n, epoch, *index, type, buf.data, buf.len);
    (*index)++;
    sim_buf_free(&buf);
}

/* The events of one step for one collection, in the order sim_hub.h gives. Kept items keep
 * their relative order and new ones are appended (sim_data.c), so one merge walk finds them. */
static void sim_hub_deliver(struct sim_hub *hub, const struct sim_hub_job *job, enum sim_collection coll)
{
    struct sim_hub_subscription subs[SIM_HUB_MAX_SUBSCRIPTIONS];
    const struct sim_item *old = job->before->items[coll], *now = job->after->items[coll];
    uint32_t n_old = job->before->count[coll], n_now = job->after->count[coll], i = 0, j = 0, index = 0;
    uint32_t epoch = job->after->epoch;
    unsigned n = 0;

    pthread_mutex_lock(&hub->lock);
    for (unsigned k = 0; k < SIM_HUB_MAX_SUBSCRIPTIONS; k++)
        if (hub->subs[k].used && hub->subs[k].coll == coll)
            subs[n++] = hub->subs[k];
    pthread_mutex_unlock(&hub->lock);
    if (n == 0)
        return;
    for (; i < n_old && !hub->stop; i++) {
        if (j < n_now && now[j].kind == old[i].kind && now[j].serial == old[i].serial) {
            if (now[j].status != old[i].status)
                sim_hub_event(hub, subs, n, coll, job->after, &now[j], epoch, &index, "StateChange");
            else if (now[j].last_update != old[i].last_update)
                sim_hub_event(hub, subs, n, coll, job->after, &now[j], epoch, &index, "AttributeValueChange");
            j++;
        } else {
            sim_hub_event(hub, subs, n, coll, job->before, &old[i], epoch, &index, "Delete");
        }
    }
    for (; j < n_now && !hub->stop; j++)
        sim_hub_event(hub, subs, n, coll, job->after, &now[j], epoch, &index, "Create");
}

static void *sim_hub_thread(void *arg)
{
    struct sim_hub *hub = arg;
    struct sim_hub_job *job;

    pthread_mutex_lock(&hub->lock);
    while (!hub->stop) {
        if (!hub->head) {
            pthread_cond_wait(&hub->wake, &hub->lock);
            continue;
        }
        job = hub->head;
        hub->head = job->next;
        if (!hub->head)
            hub->tail = NULL;
        pthread_mutex_unlock(&hub->lock);
        sim_hub_deliver(hub, job, SIM_COLL_SERVICE);
        sim_hub_deliver(hub, job, SIM_COLL_RESOURCE);
        sim_model_release(hub->model, job->before);
        sim_model_release(hub->model, job->after);
        free(job);
        pthread_mutex_lock(&hub->lock);
        hub->pending--;
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

int sim_hub_create(struct sim_model *model, const struct sim_hub_options *options, sim_hub_render_fn render,
           void *render_ctx, struct sim_hub **out)
{
    struct sim_hub *hub = calloc(1, sizeof(*hub));

    if (!hub)
        return -1;
    hub->model = model;
    hub->options = *options;
    hub->render = render;
    hub->render_ctx = render_ctx;
    atomic_init(&hub->stop, 0);
    atomic_init(&hub->events, 0);
    atomic_init(&hub->delivered, 0);
    atomic_init(&hub->failed, 0);
    atomic_init(&hub->dropped, 0);
    atomic_init(&hub->duplicated, 0);
    hub->easy = curl_easy_init();
    if (!hub->easy) {
        free(hub);
        return -1;
    }
    curl_easy_setopt(hub->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(hub->easy, CURLOPT_TIMEOUT_MS, SIM_HUB_POST_TIMEOUT_MS);
    curl_easy_setopt(hub->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(hub->easy, CURLOPT_WRITEFUNCTION, sim_hub_discard);
    curl_easy_setopt(hub->easy, CURLOPT_USERAGENT, "tmfinv-sim-hub");
    pthread_mutex_init(&hub->lock, NULL);
    pthread_mutex_init(&hub->advance_lock, NULL);
    pthread_cond_init(&hub->wake, NULL);
    if (pthread_create(&hub->thread, NULL, sim_hub_thread, hub) != 0) {
        curl_easy_cleanup(hub->easy);
        pthread_cond_destroy(&hub->wake);
        pthread_mutex_destroy(&hub->advance_lock);
        pthread_mutex_destroy(&hub->lock);
        free(hub);
        return -1;
    }
    *out = hub;
    return 0;
}

void sim_hub_destroy(struct sim_hub *hub)
{
    struct sim_hub_job *job;

    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->stop = 1;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
    pthread_join(hub->thread, NULL);
    while ((job = hub->head)) {
        hub->head = job->next;
        sim_model_release(hub->model, job->before);
        sim_model_release(hub->model, job->after);
        free(job);
    }
    curl_easy_cleanup(hub->easy);
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->advance_lock);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

void sim_hub_describe(struct sim_hub *hub, struct sim_buf *out)
{
    char id[16];

    sim_json_open(out, '{');
    sim_json_key(out, "subscriptions");
    sim_json_open(out, '[');
    pthread_mutex_lock(&hub->lock);
    for (unsigned i = 0; i < SIM_HUB_MAX_SUBSCRIPTIONS; i++) {
        const struct sim_hub_subscription *sub = &hub->subs[i];

        if (!sub->used)
            continue;
        (void)snprintf(id, sizeof(id), "%u", (unsigned)sub->serial);
        sim_json_open(out, '{');
        sim_json_key_string(out, "id", id);
        sim_json_key_string(out, "callback", sub->callback);
        sim_json_key_string(out, "query", sub->query);
        sim_json_key_string(out, "path", sub->path);
        sim_json_close(out, '}');
    }
    sim_json_close(out, ']');
    sim_json_key_uint(out, "pending", hub->pending);
    pthread_mutex_unlock(&hub->lock);
    sim_json_key_uint(out, "events", atomic_load(&hub->events));
    sim_json_key_uint(out, "delivered", atomic_load(&hub->delivered));
    sim_json_key_uint(out, "failed", atomic_load(&hub->failed));
    sim_json_key_uint(out, "dropped", atomic_load(&hub->dropped));
    sim_json_key_uint(out, "duplicated", atomic_load(&hub->duplicated));
    sim_json_close(out, '}');
}
