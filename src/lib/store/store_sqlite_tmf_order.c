/* store_sqlite_tmf_order.c: the key order of a TMF query remembered as an array of rowids
 * per connection and store version, so that the page at any offset is found in O(1)
 * instead of SQLite stepping over `offset` index entries (issue 11, point 4).
 *
 * A list belongs to one SQLite connection (serve has one per HTTP thread) and is valid while
 * the store version (data_version, total_changes: tmfinv_store_version) is the one it was
 * built at; a list is read and built only by the thread using its connection. The lists of a
 * connection are freed when it closes: they hang from a SQL function registered on it, whose
 * destructor SQLite calls at sqlite3_close (SQLite 3.40 has no per-connection client data).
 * Bounds: ORDER_LISTS lists and ORDER_MAX_ROWS rowids (8 bytes each) per connection; a query
 * that selects more is paged with OFFSET as before. */
#include "store_sqlite_tmf_int.h"

#include "tmfinv_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct order_list {
    char *key;                  /* the query's SQL and values (tmf_memo_key); NULL: free slot */
    uint64_t version[2];
    int64_t *rowids;
    size_t n;
    uint64_t used;              /* for evicting the least recently used */
} order_list;

typedef struct order_cache {
    sqlite3 *db;
    order_list lists[ORDER_LISTS];
    size_t rows;                /* rowids held by all lists */
    uint64_t clock;
} order_cache;

/* The caches of open connections; the lock guards only this registry. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static order_cache **registry;
static size_t n_registry, cap_registry;

static void list_clear(order_cache *c, order_list *l)
{
    c->rows -= l->n;
    free(l->key);
    free(l->rowids);
    memset(l, 0, sizeof(*l));
}

/* Called by SQLite when the connection closes. */
static void cache_destroy(void *p)
{
    order_cache *c = p;

    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registry; i++)
        if (registry[i] == c) {
            registry[i] = registry[--n_registry];
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    for (size_t i = 0; i < ORDER_LISTS; i++)
        list_clear(c, &c->lists[i]);
    free(c);
}

static void owner_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_null(ctx);
}

/* The cache of `db`, made when `create`; NULL when none (or out of memory). */
static order_cache *cache_of(sqlite3 *db, int create)
{
    order_cache *c = NULL;

    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_registry; i++)
        if (registry[i]->db == db) {
            c = registry[i];
            break;
        }
    if (!c && create && n_registry == cap_registry) {
        size_t cap = cap_registry ? cap_registry * 2 : 16;
        order_cache **grown = realloc(registry, cap * sizeof(*grown));

        if (grown) {
            registry = grown;
            cap_registry = cap;
        }
    }
    if (!c && create && n_registry < cap_registry && (c = calloc(1, sizeof(*c))) != NULL) {
        c->db = db;
        registry[n_registry++] = c;
    }
    pthread_mutex_unlock(&registry_lock);
    if (c && create && c->clock == 0) {
        /* First use on this connection: tie the cache's life to the connection's. */
        if (sqlite3_create_function_v2(db, "tmfinv_tmf_order_cache", 0, SQLITE_UTF8, c, owner_function, NULL, NULL,
                                       cache_destroy) != SQLITE_OK)
            return NULL; /* SQLite called cache_destroy */
        c->clock = 1;
    }
    return c;
}

int tmf_order_find(sqlite_store *s, const char *key, const uint64_t version[2], const int64_t **rowids, size_t *n)
{
    order_cache *c = key ? cache_of(s->db, 0) : NULL;

    for (size_t i = 0; c && i < ORDER_LISTS; i++) {
        order_list *l = &c->lists[i];

        if (!l->key || strcmp(l->key, key) != 0)
            continue;
        if (l->version[0] != version[0] || l->version[1] != version[1]) {
            list_clear(c, l);
            return 0;
        }
        l->used = ++c->clock;
        *rowids = l->rowids;
        *n = l->n;
        return 1;
    }
    return 0;
}

int tmf_order_build(sqlite_store *s, sqlite3_stmt *st, const char *key, const uint64_t version[2],
                    const int64_t **rowids, size_t *n)
{
    order_cache *c = cache_of(s->db, 1);
    order_list *slot = NULL;
    int64_t *ids = NULL;
    size_t count = 0, cap = 0;
    int rc = 0, step;

    if (!c)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == ORDER_MAX_ROWS) {
            /* Too many to remember: the caller pages with OFFSET. */
            free(ids);
            return 0;
        }
        if (count == cap) {
            size_t grown_cap = cap ? cap * 2 : 1024;
            int64_t *grown;

            if (grown_cap > ORDER_MAX_ROWS)
                grown_cap = ORDER_MAX_ROWS;
            if (!(grown = realloc(ids, grown_cap * sizeof(*ids)))) {
                rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                goto out;
            }
            ids = grown;
            cap = grown_cap;
        }
        ids[count++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE) {
        rc = store_sqlite_fail(s, "ordering");
        goto out;
    }
    /* Room: the same key's old list, a free slot, or the least recently used; then the
     * oldest others until the rows fit. */
    for (size_t i = 0; i < ORDER_LISTS; i++) {
        order_list *l = &c->lists[i];

        if (l->key && strcmp(l->key, key) == 0) {
            slot = l;
            break;
        }
        if (!slot || (slot->key && (!l->key || l->used < slot->used)))
            slot = l;
    }
    list_clear(c, slot);
    while (c->rows + count > ORDER_MAX_ROWS) {
        order_list *oldest = NULL;

        for (size_t i = 0; i < ORDER_LISTS; i++)
            if (c->lists[i].key && (!oldest || c->lists[i].used < oldest->used))
                oldest = &c->lists[i];
        list_clear(c, oldest);
    }
    if (!(slot->key = strdup(key))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    slot->version[0] = version[0];
    slot->version[1] = version[1];
    slot->rowids = ids;
    slot->n = count;
    slot->used = ++c->clock;
    c->rows += count;
    ids = NULL;
    *rowids = slot->rowids;
    *n = slot->n;
    rc = 1;
out:
    free(ids);
    return rc;
}
