/* sim_fault.c: per-URL attempt counters, fault draws, the rate-limit bucket, the shuffle
 * counters, wrong-shape items and corrupted bodies of tmfinv-sim.
 *
 * The attempt table is a ring of entries in insertion order (the oldest is overwritten when the
 * ring is full) chained into hash buckets; it is allocated with calloc, so its pages only become
 * resident when used. Everything here is driven by hashes of the seed: no unseeded randomness. */
#include "sim_fault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_FAULT_TABLE (1u << 20)      /* URLs remembered; the oldest is forgotten beyond */
#define SIM_FAULT_BUCKETS (1u << 20)
#define SIM_FAULT_NIL UINT32_MAX

enum {
    SIM_FAULT_SALT_DRAW = 0x51,
    SIM_FAULT_SALT_MALFORMED,
    SIM_FAULT_SALT_DETAIL,
    SIM_FAULT_SALT_LIE,
    SIM_FAULT_SALT_BAD,
    SIM_FAULT_SALT_BAD_SHAPE
};

struct sim_fault_entry {
    uint64_t key;           /* hash of the normalised URL */
    uint32_t attempts;      /* requests seen for this URL */
    uint32_t streak;        /* faulted answers since the last good one */
    uint32_t next;          /* next entry in the bucket chain, or SIM_FAULT_NIL */
    uint32_t used;          /* 1 once the slot holds a URL */
};

struct sim_fault {
    struct sim_fault_options options;
    uint64_t seed;

    pthread_mutex_t table_lock;         /* guards the attempt table */
    struct sim_fault_entry *entries;    /* ring of SIM_FAULT_TABLE entries (NULL: no tracking) */
    uint32_t *buckets;                  /* heads of the chains */
    uint32_t ring_next;                 /* slot the next new URL takes */

    pthread_mutex_t rate_lock;          /* guards the bucket */
    double tokens;
    struct timespec refilled;

    pthread_mutex_t shuffle_lock;       /* guards the shuffle counters */
    uint32_t shuffle_epoch;
    uint64_t shuffle_requests[SIM_COLL_COUNT];
};

static uint64_t sim_fault_mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t sim_fault_draw(uint64_t seed, uint32_t salt, uint64_t a, uint64_t b)
{
    uint64_t h = sim_fault_mix(seed ^ 0xfa0175eedfa01700ULL);

    h = sim_fault_mix(h ^ salt);
    h = sim_fault_mix(h ^ a);
    return sim_fault_mix(h ^ b);
}

uint64_t sim_fault_hash_bytes(uint64_t h, const char *data, size_t len)
{
    size_t i;

    h ^= 0xcbf29ce484222325ULL;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3ULL;
    }
    return sim_fault_mix(h);
}

int sim_fault_create(const struct sim_fault_options *options, uint64_t seed,
             struct sim_fault **out)
{
    struct sim_fault *fault = calloc(1, sizeof(*fault));
    uint32_t i;

    if (!fault)
        return -1;
    fault->options = *options;
    fault->seed = seed;
    pthread_mutex_init(&fault->table_lock, NULL);
    pthread_mutex_init(&fault->rate_lock, NULL);
    pthread_mutex_init(&fault->shuffle_lock, NULL);
    if (options->fault_ppb || options->malformed_ppb || options->total_count_lie) {
        fault->entries = calloc(SIM_FAULT_TABLE, sizeof(*fault->entries));
        fault->buckets = malloc(SIM_FAULT_BUCKETS * sizeof(*fault->buckets));
        if (!fault->entries || !fault->buckets) {
            sim_fault_destroy(fault);
            return -1;
        }
        for (i = 0; i < SIM_FAULT_BUCKETS; i++)
            fault->buckets[i] = SIM_FAULT_NIL;
    }
    fault->tokens = options->rate_limit;
    clock_gettime(CLOCK_MONOTONIC, &fault->refilled);
    *out = fault;
    return 0;
}

void sim_fault_destroy(struct sim_fault *fault)
{
    if (!fault)
        return;
    pthread_mutex_destroy(&fault->table_lock);
    pthread_mutex_destroy(&fault->rate_lock);
    pthread_mutex_destroy(&fault->shuffle_lock);
    free(fault->entries);
    free(fault->buckets);
    free(fault);
}

const struct sim_fault_options *sim_fault_options(const struct sim_fault *fault)
{
    return &fault->options;
}

int sim_fault_tracks_requests(const struct sim_fault *fault)
{
    return fault->entries != NULL;
}

/* Finds or adds the entry of `key`; the caller holds table_lock. Adding to a full ring
 * forgets the oldest URL. */
static struct sim_fault_entry *sim_fault_entry(struct sim_fault *fault, uint64_t key)
{
    uint32_t bucket = (uint32_t)(key % SIM_FAULT_BUCKETS), slot, *link;
    struct sim_fault_entry *entry;

    for (slot = fault->buckets[bucket]; slot != SIM_FAULT_NIL; slot = fault->entries[slot].next)
        if (fault->entries[slot].key == key)
            return &fault->entries[slot];
    slot = fault->ring_next;
    fault->ring_next = (fault->ring_next + 1) % SIM_FAULT_TABLE;
    entry = &fault->entries[slot];
    if (entry->used) {
        /* unlink the oldest URL from its chain */
        link = &fault->buckets[entry->key % SIM_FAULT_BUCKETS];
        while (*link != SIM_FAULT_NIL && *link != slot)
            link = &fault->entries[*link].next;
        if (*link == slot)
            *link = entry->next;
    }
    entry->key = key;
    entry->attempts = 0;
    entry->streak = 0;
    entry->used = 1;
    entry->next = fault->buckets[bucket];
    fault->buckets[bucket] = slot;
    return entry;
}

void sim_fault_decide(struct sim_fault *fault, uint64_t url_key, int answer_ok,
              struct sim_fault_decision *decision)
{
    const struct sim_fault_options *o = &fault->options;
    struct sim_fault_entry *entry;
    uint32_t attempt, streak;
    uint64_t u;

    memset(decision, 0, sizeof(*decision));
    if (!fault->entries)
        return;
    pthread_mutex_lock(&fault->table_lock);
    entry = sim_fault_entry(fault, url_key);
    attempt = entry->attempts;
    streak = entry->streak;
    if (streak < SIM_FAULT_MAX_STREAK) {
        u = sim_fault_draw(fault->seed, SIM_FAULT_SALT_DRAW, url_key, attempt);
        if (o->fault_ppb && u % SIM_PPB < o->fault_ppb) {
            decision->kind = (enum sim_fault_kind)(SIM_FAULT_429 + (u >> 32) % 7);
        } else if (answer_ok && o->malformed_ppb) {
            u = sim_fault_draw(fault->seed, SIM_FAULT_SALT_MALFORMED, url_key, attempt);
            if (u % SIM_PPB < o->malformed_ppb)
                decision->kind = SIM_FAULT_MALFORMED;
        }
    }
    if (entry->attempts < UINT32_MAX)
        entry->attempts++;
    entry->streak = decision->kind == SIM_FAULT_NONE ? 0 : streak + 1;
    pthread_mutex_unlock(&fault->table_lock);
    decision->draw = sim_fault_draw(fault->seed, SIM_FAULT_SALT_DETAIL, url_key, attempt);
    decision->request = sim_fault_draw(fault->seed, SIM_FAULT_SALT_LIE, url_key, attempt);
}

uint64_t sim_fault_lie_total(const struct sim_fault_decision *decision, uint64_t truth)
{
    uint64_t h = decision->request, delta;

    switch (h % 3) {
    case 0:                                 /* much too large */
        return truth * 10 + 1000;
    case 1:                                 /* too small: half */
        return truth == 0 ? 1 : truth / 2;
    default:                                /* a little off, different on every request */
        delta = 1 + (h >> 8) % 20;
        return ((h >> 40) & 1) && truth >= delta ? truth - delta : truth + delta;
    }
}

int sim_fault_rate_take(struct sim_fault *fault)
{
    double rate = fault->options.rate_limit;
    struct timespec now;
    int allowed;

    if (!fault->options.rate_limit)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&fault->rate_lock);
    fault->tokens += ((double)(now.tv_sec - fault->refilled.tv_sec) +
              (double)(now.tv_nsec - fault->refilled.tv_nsec) / 1e9) * rate;
    if (fault->tokens > rate)
        fault->tokens = rate;
    fault->refilled = now;
    allowed = fault->tokens >= 1.0;
    if (allowed)
        fault->tokens -= 1.0;
    pthread_mutex_unlock(&fault->rate_lock);
    return allowed;
}

uint64_t sim_fault_shuffle_shift(struct sim_fault *fault, enum sim_collection coll,
                 uint32_t epoch)
{
    uint64_t n;

    if (!fault->options.shuffle)
        return 0;
    pthread_mutex_lock(&fault->shuffle_lock);
    if (epoch > fault->shuffle_epoch) {
        fault->shuffle_epoch = epoch;
        memset(fault->shuffle_requests, 0, sizeof(fault->shuffle_requests));
    }
    n = ++fault->shuffle_requests[coll];
    pthread_mutex_unlock(&fault->shuffle_lock);
    return (n - 1) / fault->options.shuffle_every;
}

int sim_fault_bad_shape(const struct sim_fault *fault, const struct sim_item *item,
            uint32_t epoch)
{
    uint64_t key = (uint64_t)item->kind << 32 | item->serial;
    uint64_t u;

    if (!fault->options.bad_items_ppb)
        return -1;
    u = sim_fault_draw(fault->seed, SIM_FAULT_SALT_BAD, key, epoch);
    if (u % SIM_PPB >= fault->options.bad_items_ppb)
        return -1;
    return (int)(sim_fault_draw(fault->seed, SIM_FAULT_SALT_BAD_SHAPE, key, epoch) %
             SIM_BAD_SHAPE_COUNT);
}

/* ---- JSON text surgery on our own compact output -------------------------------------------- */

/* The end of the JSON string starting at text[pos] == '"'. */
static size_t sim_fault_skip_string(const char *text, size_t len, size_t pos)
{
    for (pos++; pos < len; pos++) {
        if (text[pos] == '\\')
            pos++;
        else if (text[pos] == '"')
            return pos + 1;
    }
    return len;
}

/* The end of the JSON value starting at text[pos]. */
static size_t sim_fault_skip_value(const char *text, size_t len, size_t pos)
{
    int depth = 0;

    while (pos < len) {
        char c = text[pos];

        if (c == '"') {
            pos = sim_fault_skip_string(text, len, pos);
            if (depth == 0)
                return pos;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return pos;
            depth--;
            if (depth == 0)
                return pos + 1;
        } else if (depth == 0 && c == ',') {
            return pos;
        }
        pos++;
    }
    return len;
}

/* Finds the value of top-level member `key` of the object `text`: 0 with [*start, *end), or -1. */
static int sim_fault_member(const char *text, size_t len, const char *key, size_t *start,
                size_t *end)
{
    size_t key_len = strlen(key), pos = 1, name_end;

    if (len < 2 || text[0] != '{')
        return -1;
    while (pos < len && text[pos] == '"') {
        name_end = sim_fault_skip_string(text, len, pos);
        if (name_end >= len || text[name_end] != ':')
            return -1;
        if (name_end - pos - 2 == key_len && memcmp(text + pos + 1, key, key_len) == 0) {
            *start = name_end + 1;
            *end = sim_fault_skip_value(text, len, name_end + 1);
            return 0;
        }
        pos = sim_fault_skip_value(text, len, name_end + 1);
        if (pos < len && text[pos] == ',')
            pos++;
    }
    return -1;
}

/* Appends text with [start, end) replaced by `with`. */
static void sim_fault_splice(struct sim_buf *buf, const char *text, size_t len, size_t start,
                 size_t end, const char *with, size_t with_len)
{
    sim_buf_append(buf, text, start);
    sim_buf_append(buf, with, with_len);
    sim_buf_append(buf, text + end, len - end);
}

static void sim_fault_status_number(const struct sim_item *item, const char *text, size_t len,
                    struct sim_buf *buf)
{
    size_t start, end;
    char number[16];
    int n = snprintf(number, sizeof(number), "%u", (unsigned)item->status);

    if (n < 0 || (size_t)n >= sizeof(number) ||
        sim_fault_member(text, len, "status", &start, &end) < 0) {
        sim_buf_append(buf, text, len);
        return;
    }
    sim_fault_splice(buf, text, len, start, end, number, (size_t)n);
}

void sim_fault_render_bad(const struct sim_world *world, const struct sim_item *item, int shape,
              struct sim_buf *buf)
{
    struct sim_buf good;
    const char *text;
    size_t len, start, end;
    char id[32], date[64];

    sim_buf_init(&good, buf->limit);
    sim_render_item(world, item, &good);
    if (good.failed || !good.data) {
        buf->failed = 1;
        goto out;
    }
    text = good.data;
    len = good.len;
    if (shape != SIM_BAD_ITEM_STRING)
        sim_json_sep(buf);  /* the raw appends below do not put the comma themselves */
    switch (shape) {
    case SIM_BAD_EXTERNAL_ID_OBJECT:
        if (sim_fault_member(text, len, "externalId", &start, &end) < 0) {
            sim_fault_status_number(item, text, len, buf);   /* no externalId to break */
            break;
        }
        sim_buf_append(buf, text, start);
        sim_buf_puts(buf, "{\"value\":");
        sim_buf_append(buf, text + start, end - start);
        sim_buf_putc(buf, '}');
        sim_buf_append(buf, text + end, len - end);
        break;
    case SIM_BAD_LAST_UPDATE:
        /* "2026-01-02T03:04:05Z" -> "02/01/2026 03:04:05", a display format, not RFC 3339 */
        if (sim_fault_member(text, len, "lastUpdate", &start, &end) < 0 || end - start != 22 ||
            snprintf(date, sizeof(date), "\"%.2s/%.2s/%.4s %.8s\"", text + start + 9,
                 text + start + 6, text + start + 1, text + start + 12) >= (int)sizeof(date)) {
            sim_buf_append(buf, text, len);
            break;
        }
        sim_fault_splice(buf, text, len, start, end, date, strlen(date));
        break;
    case SIM_BAD_CHARACTERISTIC_OBJECT:
        if (sim_fault_member(text, len, item->kind == SIM_KIND_RESOURCE ?
                     "resourceCharacteristic" : "serviceCharacteristic",
                     &start, &end) < 0 || end - start < 2) {
            sim_buf_append(buf, text, len);
            break;
        }
        sim_buf_append(buf, text, start);
        if (end - start == 2) {
            sim_buf_puts(buf, "{}");
        } else {
            /* the first element of the array, an object, in place of the array */
            sim_buf_append(buf, text + start + 1,
                       sim_fault_skip_value(text, end - 1, start + 1) - start - 1);
        }
        sim_buf_append(buf, text + end, len - end);
        break;
    case SIM_BAD_ITEM_STRING:
        if (sim_data_item_id(item, id, sizeof(id)) < 0)
            id[0] = '\0';
        sim_json_string(buf, id);
        break;
    case SIM_BAD_ITEM_ARRAY:
        sim_buf_putc(buf, '[');
        sim_buf_append(buf, text, len);
        sim_buf_putc(buf, ']');
        break;
    default:
        sim_fault_status_number(item, text, len, buf);
        break;
    }
out:
    sim_buf_free(&good);
}

static const char sim_fault_html[] =
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>Bad Gateway</h1><p>The gateway received an invalid response from the upstream "
    "inventory server.</p></body></html>\n";

int sim_fault_malform(uint64_t draw, char **body, size_t *len, int *html)
{
    static const char stray[] = "@#;";
    const char *text = *body;
    size_t n = *len, at = 0, i, out_len;
    char *out = NULL;

    *html = 0;
    switch (draw % 4) {
    case 0:                                 /* cut in the middle, Content-Length matching */
        out_len = n > 1 ? n / 2 : 0;
        out = malloc(out_len + 1);
        if (!out)
            return -1;
        memcpy(out, text, out_len);
        break;
    case 1:                                 /* a stray byte between two items (or after [) */
        for (i = n / 2; i + 2 < n; i++) {
            if (text[i] == '}' && text[i + 1] == ',' && text[i + 2] == '{') {
                at = i + 1;
                break;
            }
        }
        if (at == 0)
            at = n > 0 ? 1 : 0;
        out_len = n + 1;
        out = malloc(out_len + 1);
        if (!out)
            return -1;
        memcpy(out, text, at);
        out[at] = stray[(draw >> 8) % 3];
        memcpy(out + at + 1, text + at, n - at);
        break;
    case 2:                                 /* the closing ] (or }) removed */
        out_len = n > 0 ? n - 1 : 0;
        out = malloc(out_len + 1);
        if (!out)
            return -1;
        memcpy(out, text, out_len);
        break;
    default:                                /* an HTML error page, still 200 */
        out_len = sizeof(sim_fault_html) - 1;
        out = malloc(out_len + 1);
        if (!out)
            return -1;
        memcpy(out, sim_fault_html, out_len);
        *html = 1;
        break;
    }
    out[out_len] = '\0';
    free(*body);
    *body = out;
    *len = out_len;
    return 0;
}
