/* sim_data.c: the simulator's inventory model: initial population, epoch steps, filters, lookup.
 *
 * Epoch step E-1 -> E (all decisions hash(seed, salt, E, item key), so they are reproducible):
 *   1. removals: ~0.5% of each kind, at least one per kind when the kind has two items or more;
 *   2. status changes among the survivors: ~2%, and in each class (service, carrier, modem, other
 *      kept resource) at least one change between two non-Deprecated statuses;
 *   3. additions: ~0.5% of each kind's initial size (at least one), appended in an interleaved
 *      order with new serials.
 * Changed and added items get lastUpdate = epoch E's clock; nothing else about any item changes,
 * so the bodies of untouched items stay byte-identical. */
#include "sim_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_REMOVE_PER_10000 50u
#define SIM_CHANGE_PER_10000 200u
#define SIM_ADD_PER_1000 5u
#define SIM_CACHE_SLOTS 64

const char *const sim_status_names[SIM_ST_COUNT] = {
    "Operational", "Degraded", "Down", "Planned", "Maintenance", "Deprecated"
};

const char *const sim_rtype_names[SIM_RT_COUNT] = {
    "Modem", "Antenna", "Gateway", "Satellite", "Transponder", "Beam",
    "Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit"
};

/* Resource type shares, per mille, in enum order (87% kept types, 13% excluded types). */
static const unsigned sim_rtype_share[SIM_RT_COUNT] = {
    360, 150, 40, 30, 140, 150, 30, 30, 20, 10, 10, 20, 10
};

struct sim_cache_entry {
    enum sim_collection coll;
    struct sim_filter filter;
    uint32_t *positions;    /* owned */
    uint32_t count;
};

struct sim_filter_cache {
    pthread_mutex_t lock;
    struct sim_cache_entry entries[SIM_CACHE_SLOTS];
    size_t used;
};

static uint64_t sim_data_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t sim_data_hash(uint64_t seed, uint32_t salt, uint32_t a, uint32_t b)
{
    uint64_t h = sim_data_mix(seed ^ 0x5eed5eed5eed5eedULL);

    h = sim_data_mix(h ^ ((uint64_t)salt << 32 | a));
    return sim_data_mix(h ^ b);
}

/* The key of an item in the per-epoch decisions: kind and serial in one 32-bit value. */
static uint32_t sim_data_key(const struct sim_item *item)
{
    return (uint32_t)item->kind << 28 | item->serial;
}

enum sim_rtype sim_data_rtype(uint64_t seed, uint32_t serial)
{
    unsigned u = (unsigned)(sim_data_hash(seed, SIM_SALT_RTYPE, SIM_KIND_RESOURCE, serial) % 1000);
    unsigned t;

    for (t = 0; t < SIM_RT_COUNT - 1; t++) {
        if (u < sim_rtype_share[t])
            return (enum sim_rtype)t;
        u -= sim_rtype_share[t];
    }
    return (enum sim_rtype)(SIM_RT_COUNT - 1);
}

int32_t sim_data_initial_update(uint64_t seed, enum sim_kind kind, uint32_t serial)
{
    uint64_t h = sim_data_hash(seed, SIM_SALT_UPDATE0, kind, serial);

    /* 3% changed within the last day, the rest spread over the 400 days before. */
    if (h % 100 < 3)
        return -(int32_t)((h >> 8) % SIM_DAY);
    return -(int32_t)(SIM_DAY + (h >> 8) % (400u * SIM_DAY));
}

/* Status of an item of the initial population: ~80% Operational, 6% Deprecated. */
static uint8_t sim_data_initial_status(uint64_t seed, enum sim_kind kind, uint32_t serial)
{
    unsigned u = (unsigned)(sim_data_hash(seed, SIM_SALT_STATUS0, kind, serial) % 1000);

    if (u < 800) return SIM_ST_OPERATIONAL;
    if (u < 850) return SIM_ST_DEGRADED;
    if (u < 880) return SIM_ST_DOWN;
    if (u < 910) return SIM_ST_PLANNED;
    if (u < 940) return SIM_ST_MAINTENANCE;
    return SIM_ST_DEPRECATED;
}

/* The status an item moves to when it changes (never its current one). */
static uint8_t sim_data_next_status(uint64_t h, uint8_t current)
{
    static const uint8_t from_operational[] = {
        SIM_ST_DEGRADED, SIM_ST_DEGRADED, SIM_ST_DEGRADED, SIM_ST_DEGRADED,
        SIM_ST_DOWN, SIM_ST_DOWN, SIM_ST_DOWN, SIM_ST_MAINTENANCE, SIM_ST_MAINTENANCE,
        SIM_ST_DEPRECATED
    };
    uint8_t next;

    if (current == SIM_ST_OPERATIONAL)
        return from_operational[h % sizeof(from_operational)];
    if (h % 100 < 75)
        return SIM_ST_OPERATIONAL;
    next = (uint8_t)((h >> 8) % SIM_ST_COUNT);
    if (next == current)
        next = SIM_ST_OPERATIONAL;
    return next;
}

/* The class an epoch step guarantees a status change in, or -1 (excluded resource types). */
static int sim_data_change_class(const struct sim_item *item)
{
    if (item->kind == SIM_KIND_SERVICE)
        return 0;
    if (item->kind == SIM_KIND_CARRIER)
        return 1;
    if (item->type == SIM_RT_MODEM)
        return 2;
    if (item->type < SIM_RT_CARD)
        return 3;
    return -1;
}

static struct sim_item sim_data_new_item(uint64_t seed, enum sim_kind kind, uint32_t serial,
                     uint32_t epoch)
{
    struct sim_item item;

    memset(&item, 0, sizeof(item));
    item.serial = serial;
    item.kind = (uint8_t)kind;
    item.born_epoch = epoch;
    item.type = kind == SIM_KIND_RESOURCE ? (uint8_t)sim_data_rtype(seed, serial) : 0;
    if (epoch == 0) {
        item.status = sim_data_initial_status(seed, kind, serial);
        item.last_update = sim_data_initial_update(seed, kind, serial);
    } else {
        /* New items are mostly in service already, some still planned. */
        uint64_t h = sim_data_hash(seed, SIM_SALT_NEW_STATUS, epoch, (uint32_t)kind << 28 | serial);
        item.status = h % 100 < 80 ? SIM_ST_OPERATIONAL : SIM_ST_PLANNED;
        item.last_update = (int32_t)(epoch * SIM_DAY);
    }
    return item;
}

static void sim_epoch_free(struct sim_epoch *snapshot)
{
    size_t i;

    if (!snapshot)
        return;
    for (i = 0; i < SIM_COLL_COUNT; i++)
        free(snapshot->items[i]);
    for (i = 0; i < SIM_KIND_COUNT; i++)
        free(snapshot->positions[i]);
    if (snapshot->cache) {
        for (i = 0; i < snapshot->cache->used; i++)
            free(snapshot->cache->entries[i].positions);
        pthread_mutex_destroy(&snapshot->cache->lock);
        free(snapshot->cache);
    }
    free(snapshot);
}

/* Allocates an empty snapshot with room for the given collection sizes. NULL when out of memory. */
static struct sim_epoch *sim_epoch_alloc(uint32_t epoch, size_t services, size_t resources)
{
    struct sim_epoch *snapshot = calloc(1, sizeof(*snapshot));

    if (!snapshot)
        return NULL;
    snapshot->epoch = epoch;
    snapshot->items[SIM_COLL_SERVICE] = malloc((services ? services : 1) * sizeof(struct sim_item));
    snapshot->items[SIM_COLL_RESOURCE] = malloc((resources ? resources : 1) * sizeof(struct sim_item));
    snapshot->cache = calloc(1, sizeof(*snapshot->cache));
    if (!snapshot->items[SIM_COLL_SERVICE] || !snapshot->items[SIM_COLL_RESOURCE] ||
        !snapshot->cache) {
        free(snapshot->cache);
        snapshot->cache = NULL;
        sim_epoch_free(snapshot);
        return NULL;
    }
    if (pthread_mutex_init(&snapshot->cache->lock, NULL) != 0) {
        free(snapshot->cache);
        snapshot->cache = NULL;
        sim_epoch_free(snapshot);
        return NULL;
    }
    return snapshot;
}

/* Builds the per-kind position lists of the service collection. 0, or -1 when out of memory. */
static int sim_epoch_index(struct sim_epoch *snapshot)
{
    const struct sim_item *items = snapshot->items[SIM_COLL_SERVICE];
    uint32_t n = snapshot->count[SIM_COLL_SERVICE];
    uint32_t i, counts[2] = { 0, 0 };
    int k;

    for (i = 0; i < n; i++)
        counts[items[i].kind == SIM_KIND_CARRIER]++;
    for (k = 0; k < 2; k++) {
        snapshot->positions[k] = malloc((counts[k] ? counts[k] : 1) * sizeof(uint32_t));
        if (!snapshot->positions[k])
            return -1;
        snapshot->positions_count[k] = 0;
    }
    for (i = 0; i < n; i++) {
        k = items[i].kind == SIM_KIND_CARRIER;
        snapshot->positions[k][snapshot->positions_count[k]++] = i;
    }
    return 0;
}

/* Appends `services` services and `carriers` carriers to the service collection, interleaved by
 * hash so that neither kind comes in one block. */
static void sim_epoch_append_interleaved(struct sim_epoch *snapshot, uint64_t seed, uint32_t salt,
                     uint32_t epoch, uint32_t services, uint32_t carriers)
{
    struct sim_item *items = snapshot->items[SIM_COLL_SERVICE];
    uint32_t left_s = services, left_c = carriers, p = 0;
    enum sim_kind kind;

    while (left_s + left_c > 0) {
        uint64_t u = sim_data_hash(seed, salt, epoch, p++) % (left_s + left_c);

        if (u < left_c) {
            kind = SIM_KIND_CARRIER;
            left_c--;
        } else {
            kind = SIM_KIND_SERVICE;
            left_s--;
        }
        items[snapshot->count[SIM_COLL_SERVICE]++] =
            sim_data_new_item(seed, kind, snapshot->next_serial[kind]++, epoch);
    }
}

static struct sim_epoch *sim_epoch_initial(const struct sim_config *config)
{
    struct sim_epoch *snapshot;
    uint32_t i;

    snapshot = sim_epoch_alloc(0, (size_t)config->services + config->carriers, config->resources);
    if (!snapshot)
        return NULL;
    sim_epoch_append_interleaved(snapshot, config->seed, SIM_SALT_INTERLEAVE, 0,
                     config->services, config->carriers);
    for (i = 0; i < config->resources; i++)
        snapshot->items[SIM_COLL_RESOURCE][i] =
            sim_data_new_item(config->seed, SIM_KIND_RESOURCE, i, 0);
    snapshot->count[SIM_COLL_RESOURCE] = config->resources;
    snapshot->next_serial[SIM_KIND_RESOURCE] = config->resources;
    if (sim_epoch_index(snapshot) < 0) {
        sim_epoch_free(snapshot);
        return NULL;
    }
    return snapshot;
}

/* How many items of a kind an epoch step adds: 0.5% of the initial size, at least one. */
static uint32_t sim_data_additions(uint32_t initial)
{
    uint32_t n = (uint32_t)((uint64_t)initial * SIM_ADD_PER_1000 / 1000);

    if (initial == 0)
        return 0;
    return n ? n : 1;
}

/* Copies the survivors of one collection from `prev` into `next`, applying removals and status
 * changes of epoch `epoch`. `scratch` has room for one byte per item of the collection. */
static void sim_epoch_step_collection(const struct sim_epoch *prev, struct sim_epoch *next,
                      enum sim_collection coll, uint64_t seed, uint8_t *scratch)
{
    enum { REMOVED = 1, CHANGED = 2 };
    const struct sim_item *items = prev->items[coll];
    uint32_t n = prev->count[coll], i, epoch = next->epoch;
    uint32_t kind_count[SIM_KIND_COUNT] = { 0 }, kind_removed[SIM_KIND_COUNT] = { 0 };
    uint64_t best_hash[SIM_KIND_COUNT];
    int64_t best[SIM_KIND_COUNT];
    int kept_change[4] = { 0, 0, 0, 0 };
    int64_t cand[4] = { -1, -1, -1, -1 };
    uint64_t cand_hash[4] = { 0, 0, 0, 0 };
    struct sim_item *out;
    int k;

    for (k = 0; k < SIM_KIND_COUNT; k++) {
        best[k] = -1;
        best_hash[k] = 0;
    }
    memset(scratch, 0, n);

    /* 1. removals */
    for (i = 0; i < n; i++) {
        uint64_t h = sim_data_hash(seed, SIM_SALT_REMOVE, epoch, sim_data_key(&items[i]));

        k = items[i].kind;
        kind_count[k]++;
        if (h % 10000 < SIM_REMOVE_PER_10000) {
            scratch[i] = REMOVED;
            kind_removed[k]++;
        } else if (best[k] < 0 || h < best_hash[k]) {
            best[k] = i;
            best_hash[k] = h;
        }
    }
    for (k = 0; k < SIM_KIND_COUNT; k++)
        if (kind_removed[k] == 0 && kind_count[k] >= 2 && best[k] >= 0)
            scratch[best[k]] = REMOVED;

    /* 2. status changes among the survivors */
    out = next->items[coll];
    for (i = 0; i < n; i++) {
        uint64_t h;
        int cls;

        if (scratch[i] & REMOVED)
            continue;
        h = sim_data_hash(seed, SIM_SALT_CHANGE, epoch, sim_data_key(&items[i]));
        cls = sim_data_change_class(&items[i]);
        if (h % 10000 < SIM_CHANGE_PER_10000) {
            uint8_t to = sim_data_next_status(h >> 16, items[i].status);

            scratch[i] |= CHANGED;
            if (cls >= 0 && items[i].status != SIM_ST_DEPRECATED && to != SIM_ST_DEPRECATED)
                kept_change[cls] = 1;
        } else if (cls >= 0 && items[i].status != SIM_ST_DEPRECATED &&
               (cand[cls] < 0 || h < cand_hash[cls])) {
            cand[cls] = i;
            cand_hash[cls] = h;
        }
    }
    for (i = 0; i < n; i++) {
        struct sim_item *item;
        uint64_t h;

        if (scratch[i] & REMOVED)
            continue;
        item = &out[next->count[coll]++];
        *item = items[i];
        if (!(scratch[i] & CHANGED)) {
            int cls = sim_data_change_class(item);

            if (cls < 0 || kept_change[cls] || cand[cls] != (int64_t)i)
                continue;
            /* the guaranteed change between two kept statuses */
            item->status = item->status == SIM_ST_OPERATIONAL ? SIM_ST_DEGRADED
                                      : SIM_ST_OPERATIONAL;
        } else {
            h = sim_data_hash(seed, SIM_SALT_CHANGE, epoch, sim_data_key(item));
            item->status = sim_data_next_status(h >> 16, item->status);
        }
        item->last_update = (int32_t)(epoch * SIM_DAY);
    }
}

/* Computes the snapshot of epoch prev->epoch + 1. NULL when out of memory. */
static struct sim_epoch *sim_epoch_step(const struct sim_world *world, const struct sim_epoch *prev)
{
    const struct sim_config *config = &world->config;
    uint32_t add_s = sim_data_additions(config->services);
    uint32_t add_c = sim_data_additions(config->carriers);
    uint32_t add_r = sim_data_additions(config->resources);
    uint32_t epoch = prev->epoch + 1, i, biggest;
    struct sim_epoch *next = NULL;
    uint8_t *scratch = NULL;

    next = sim_epoch_alloc(epoch, (size_t)prev->count[SIM_COLL_SERVICE] + add_s + add_c,
                   (size_t)prev->count[SIM_COLL_RESOURCE] + add_r);
    biggest = prev->count[SIM_COLL_SERVICE] > prev->count[SIM_COLL_RESOURCE]
              ? prev->count[SIM_COLL_SERVICE] : prev->count[SIM_COLL_RESOURCE];
    scratch = malloc(biggest ? biggest : 1);
    if (!next || !scratch)
        goto fail;
    memcpy(next->next_serial, prev->next_serial, sizeof(next->next_serial));
    sim_epoch_step_collection(prev, next, SIM_COLL_SERVICE, config->seed, scratch);
    sim_epoch_step_collection(prev, next, SIM_COLL_RESOURCE, config->seed, scratch);
    sim_epoch_append_interleaved(next, config->seed, SIM_SALT_ADD_INTERLEAVE, epoch, add_s, add_c);
    for (i = 0; i < add_r; i++)
        next->items[SIM_COLL_RESOURCE][next->count[SIM_COLL_RESOURCE]++] =
            sim_data_new_item(config->seed, SIM_KIND_RESOURCE,
                      next->next_serial[SIM_KIND_RESOURCE]++, epoch);
    if (sim_epoch_index(next) < 0)
        goto fail;
    free(scratch);
    return next;
fail:
    free(scratch);
    sim_epoch_free(next);
    return NULL;
}

static void sim_world_free(struct sim_world *world)
{
    int t;

    for (t = 0; t < SIM_RT_COUNT; t++) {
        free(world->by_type[t]);
        world->by_type[t] = NULL;
    }
}

static int sim_world_init(struct sim_world *world, const struct sim_config *config)
{
    uint32_t counts[SIM_RT_COUNT] = { 0 };
    uint32_t i;
    int t;

    memset(world, 0, sizeof(*world));
    world->config = *config;
    for (i = 0; i < config->resources; i++)
        counts[sim_data_rtype(config->seed, i)]++;
    for (t = 0; t < SIM_RT_COUNT; t++) {
        world->by_type[t] = malloc((counts[t] ? counts[t] : 1) * sizeof(uint32_t));
        if (!world->by_type[t]) {
            sim_world_free(world);
            return -1;
        }
    }
    for (i = 0; i < config->resources; i++) {
        t = sim_data_rtype(config->seed, i);
        world->by_type[t][world->by_type_count[t]++] = i;
    }
    return 0;
}

int sim_model_init(struct sim_model *model, const struct sim_config *config, uint32_t epoch)
{
    struct sim_epoch *snapshot = NULL, *next;
    uint32_t e;

    memset(model, 0, sizeof(*model));
    if (sim_world_init(&model->world, config) < 0)
        return -1;
    snapshot = sim_epoch_initial(config);
    for (e = 0; snapshot && e < epoch; e++) {
        next = sim_epoch_step(&model->world, snapshot);
        sim_epoch_free(snapshot);
        snapshot = next;
    }
    if (!snapshot)
        goto fail;
    if (pthread_mutex_init(&model->lock, NULL) != 0)
        goto fail;
    if (pthread_mutex_init(&model->advance_lock, NULL) != 0) {
        pthread_mutex_destroy(&model->lock);
        goto fail;
    }
    snapshot->refs = 1;
    model->current = snapshot;
    return 0;
fail:
    sim_epoch_free(snapshot);
    sim_world_free(&model->world);
    return -1;
}

void sim_model_destroy(struct sim_model *model)
{
    sim_epoch_free(model->current);
    model->current = NULL;
    sim_world_free(&model->world);
    pthread_mutex_destroy(&model->advance_lock);
    pthread_mutex_destroy(&model->lock);
}

struct sim_epoch *sim_model_acquire(struct sim_model *model)
{
    struct sim_epoch *snapshot;

    pthread_mutex_lock(&model->lock);
    snapshot = model->current;
    snapshot->refs++;
    pthread_mutex_unlock(&model->lock);
    return snapshot;
}

void sim_model_release(struct sim_model *model, struct sim_epoch *snapshot)
{
    unsigned refs;

    if (!snapshot)
        return;
    pthread_mutex_lock(&model->lock);
    refs = --snapshot->refs;
    pthread_mutex_unlock(&model->lock);
    if (refs == 0)
        sim_epoch_free(snapshot);
}

long sim_model_advance(struct sim_model *model)
{
    struct sim_epoch *prev, *next;
    long epoch = -1;

    pthread_mutex_lock(&model->advance_lock);
    prev = sim_model_acquire(model);
    if (prev->epoch >= SIM_MAX_EPOCH) {
        epoch = -2;
        goto out;
    }
    next = sim_epoch_step(&model->world, prev);
    if (!next)
        goto out;
    next->refs = 1;
    pthread_mutex_lock(&model->lock);
    model->current = next;
    pthread_mutex_unlock(&model->lock);
    sim_model_release(model, prev);         /* the reference `current` held */
    epoch = (long)next->epoch;
out:
    sim_model_release(model, prev);
    pthread_mutex_unlock(&model->advance_lock);
    return epoch;
}

void sim_filter_init(struct sim_filter *filter)
{
    filter->status = -1;
    filter->type = -1;
    filter->days = -1;
}

int sim_data_type_code(enum sim_collection coll, const char *type_name)
{
    int t;

    if (coll == SIM_COLL_SERVICE) {
        if (strcmp(type_name, "Service") == 0)
            return 0;
        if (strcmp(type_name, "element") == 0)
            return 1;
        return -2;
    }
    for (t = 0; t < SIM_RT_COUNT; t++)
        if (strcmp(type_name, sim_rtype_names[t]) == 0)
            return t;
    return -2;
}

static int sim_filter_matches(const struct sim_filter *filter, enum sim_collection coll,
                  const struct sim_item *item, int64_t now)
{
    if (filter->type == -2)
        return 0;
    if (filter->status >= 0 && item->status != filter->status)
        return 0;
    if (filter->type >= 0) {
        if (coll == SIM_COLL_SERVICE) {
            if ((item->kind == SIM_KIND_CARRIER) != (filter->type == 1))
                return 0;
        } else if (item->type != filter->type) {
            return 0;
        }
    }
    if (filter->days >= 0) {
        int64_t since = now - ((int64_t)filter->days + 1) * SIM_DAY;

        if (item->last_update <= since || item->last_update > now)
            return 0;
    }
    return 1;
}

static int sim_filter_equal(const struct sim_filter *a, const struct sim_filter *b)
{
    return a->status == b->status && a->type == b->type && a->days == b->days;
}

/* Scans a collection once for the positions matching `filter`. NULL when out of memory. */
static uint32_t *sim_epoch_scan(const struct sim_epoch *snapshot, enum sim_collection coll,
                const struct sim_filter *filter, uint32_t *count)
{
    const struct sim_item *items = snapshot->items[coll];
    uint32_t n = snapshot->count[coll], i, m = 0;
    int64_t now = (int64_t)snapshot->epoch * SIM_DAY;
    uint32_t *positions;

    for (i = 0; i < n; i++)
        m += (uint32_t)sim_filter_matches(filter, coll, &items[i], now);
    positions = malloc((m ? m : 1) * sizeof(uint32_t));
    if (!positions)
        return NULL;
    m = 0;
    for (i = 0; i < n; i++)
        if (sim_filter_matches(filter, coll, &items[i], now))
            positions[m++] = i;
    *count = m;
    return positions;
}

int sim_epoch_select(struct sim_epoch *snapshot, enum sim_collection coll,
             const struct sim_filter *filter,
             const uint32_t **positions, uint32_t *count, int *owned)
{
    struct sim_filter_cache *cache = snapshot->cache;
    struct sim_cache_entry *entry;
    uint32_t *found = NULL, n = 0;
    size_t i;
    int rc = -1;

    *owned = 0;
    if (filter->status < 0 && filter->days < 0 && filter->type == -1) {
        *positions = NULL;
        *count = snapshot->count[coll];
        return 0;
    }
    if (coll == SIM_COLL_SERVICE && filter->status < 0 && filter->days < 0 && filter->type >= 0) {
        int k = filter->type == 1 ? SIM_KIND_CARRIER : SIM_KIND_SERVICE;

        *positions = snapshot->positions[k];
        *count = snapshot->positions_count[k];
        return 0;
    }
    pthread_mutex_lock(&cache->lock);
    for (i = 0; i < cache->used; i++) {
        entry = &cache->entries[i];
        if (entry->coll == coll && sim_filter_equal(&entry->filter, filter)) {
            *positions = entry->positions;
            *count = entry->count;
            rc = 0;
            goto out;
        }
    }
    found = sim_epoch_scan(snapshot, coll, filter, &n);
    if (!found)
        goto out;
    if (cache->used < SIM_CACHE_SLOTS) {
        entry = &cache->entries[cache->used++];
        entry->coll = coll;
        entry->filter = *filter;
        entry->positions = found;
        entry->count = n;
    } else {
        *owned = 1;     /* cache full: this list lives only for the request */
    }
    *positions = found;
    *count = n;
    rc = 0;
out:
    pthread_mutex_unlock(&cache->lock);
    return rc;
}

/* Parses "pfx-" followed by exactly 8 digits; returns the serial or -1. */
static int64_t sim_data_parse_id(const char *id, const char *prefix)
{
    size_t plen = strlen(prefix), i;
    int64_t serial = 0;

    if (strncmp(id, prefix, plen) != 0 || strlen(id) != plen + 8)
        return -1;
    for (i = plen; i < plen + 8; i++) {
        if (id[i] < '0' || id[i] > '9')
            return -1;
        serial = serial * 10 + (id[i] - '0');
    }
    return serial;
}

/* Binary search of `serial` among the items at `positions` (NULL: every position), whose serials
 * ascend because items of a kind are appended in serial order. */
static const struct sim_item *sim_data_search(const struct sim_item *items, const uint32_t *positions,
                          uint32_t count, uint32_t serial)
{
    uint32_t lo = 0, hi = count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct sim_item *item = &items[positions ? positions[mid] : mid];

        if (item->serial == serial)
            return item;
        if (item->serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct sim_item *sim_epoch_find(const struct sim_epoch *snapshot, enum sim_collection coll,
                      const char *id)
{
    int64_t serial;

    if (coll == SIM_COLL_RESOURCE) {
        serial = sim_data_parse_id(id, "res-");
        if (serial < 0)
            return NULL;
        return sim_data_search(snapshot->items[coll], NULL, snapshot->count[coll],
                       (uint32_t)serial);
    }
    serial = sim_data_parse_id(id, "svc-");
    if (serial >= 0)
        return sim_data_search(snapshot->items[coll], snapshot->positions[SIM_KIND_SERVICE],
                       snapshot->positions_count[SIM_KIND_SERVICE], (uint32_t)serial);
    serial = sim_data_parse_id(id, "car-");
    if (serial >= 0)
        return sim_data_search(snapshot->items[coll], snapshot->positions[SIM_KIND_CARRIER],
                       snapshot->positions_count[SIM_KIND_CARRIER], (uint32_t)serial);
    return NULL;
}

int sim_data_item_id(const struct sim_item *item, char *out, size_t size)
{
    static const char *const prefixes[SIM_KIND_COUNT] = { "svc", "car", "res" };
    int n = snprintf(out, size, "%s-%08u", prefixes[item->kind % SIM_KIND_COUNT],
             (unsigned)item->serial);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}
