/* http_cache.c: the per-thread answer cache of the HTTP server (see http_int.h).
 *
 * Answers kept per server thread for routes marked `cache`: reused only while the
 * store version, the configuration generation, the request target, Host and the
 * client's roles are the same. Bounded in entries and bytes. */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_ENTRIES 64
#define CACHE_MAX_ANSWER (1024 * 1024)
#define CACHE_MAX_BYTES (16 * 1024 * 1024)

typedef struct cache_entry {
    char *key;
    uint64_t version[2];
    uint64_t generation;
    int status;
    char content_type[96];
    tmfinv_http_header headers[16];
    size_t n_headers;
    char *body;
    size_t len;
    uint64_t used;              /* for evicting the least recently used */
} cache_entry;

struct http_answer_cache {
    cache_entry entries[CACHE_ENTRIES];
    size_t bytes;
    uint64_t clock;
};

static void cache_entry_clear(http_answer_cache *c, cache_entry *e)
{
    c->bytes -= e->len;
    free(e->key);
    free(e->body);
    for (size_t i = 0; i < e->n_headers; i++)
        free(e->headers[i].value);
    memset(e, 0, sizeof(*e));
}

void http_cache_free(void *p)
{
    http_answer_cache *c = p;

    for (size_t i = 0; c && i < CACHE_ENTRIES; i++)
        cache_entry_clear(c, &c->entries[i]);
    free(c);
}

http_answer_cache *http_thread_cache(tmfinv_http_server *s)
{
    http_answer_cache *c = pthread_getspecific(s->cache_key);

    if (!c && (c = calloc(1, sizeof(*c))) != NULL)
        pthread_setspecific(s->cache_key, c);
    return c;
}

/* Fills `res` from the cache when it holds an answer for `key` at this version. */
int http_cache_get(http_answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                     tmfinv_http_response *res)
{
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        cache_entry *e = &c->entries[i];

        if (!e->key || strcmp(e->key, key) != 0)
            continue;
        if (e->version[0] != version[0] || e->version[1] != version[1] || e->generation != generation) {
            cache_entry_clear(c, e);
            return 0;
        }
        tmfinv_buf_reset(&res->body);
        if (tmfinv_buf_append(&res->body, e->body, e->len) < 0)
            return 0;
        res->status = e->status;
        memcpy(res->content_type, e->content_type, sizeof(res->content_type));
        for (size_t h = 0; h < e->n_headers; h++)
            (void)tmfinv_http_header_add(res, e->headers[h].name, "%s", e->headers[h].value);
        e->used = ++c->clock;
        return 1;
    }
    return 0;
}

void http_cache_put(http_answer_cache *c, const char *key, const uint64_t version[2], uint64_t generation,
                      const tmfinv_http_response *res)
{
    cache_entry *slot = &c->entries[0];

    if (res->body.len > CACHE_MAX_ANSWER)
        return;
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        if (!c->entries[i].key) {
            slot = &c->entries[i];
            break;
        }
        if (c->entries[i].used < slot->used)
            slot = &c->entries[i];
    }
    cache_entry_clear(c, slot);
    /* Keep the bytes bounded: evict the least recently used until the answer fits. */
    while (c->bytes + res->body.len > CACHE_MAX_BYTES) {
        cache_entry *old = NULL;

        for (size_t i = 0; i < CACHE_ENTRIES; i++)
            if (c->entries[i].key && (!old || c->entries[i].used < old->used))
                old = &c->entries[i];
        if (!old)
            return;
        cache_entry_clear(c, old);
    }
    slot->key = strdup(key);
    slot->body = malloc(res->body.len + 1);
    if (!slot->key || !slot->body) {
        cache_entry_clear(c, slot);
        return;
    }
    memcpy(slot->body, res->body.data ? res->body.data : "", res->body.len);
    slot->len = res->body.len;
    c->bytes += slot->len;
    slot->version[0] = version[0];
    slot->version[1] = version[1];
    slot->generation = generation;
    slot->status = res->status;
    memcpy(slot->content_type, res->content_type, sizeof(slot->content_type));
    for (size_t h = 0; h < res->n_headers; h++) {
        slot->headers[h] = res->headers[h];
        slot->headers[h].value = strdup(res->headers[h].value);
        if (!slot->headers[h].value) {
            slot->n_headers = h;
            cache_entry_clear(c, slot);
            return;
        }
        slot->n_headers = h + 1;
    }
    slot->used = ++c->clock;
}
