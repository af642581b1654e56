/* sim_data.h: the simulator's deterministic inventory model.
 *
 * The inventory is a pure function of the options (seed and sizes) and of the epoch number.
 * Every item keeps only a compact state (struct sim_item, 16 bytes); everything else in its JSON
 * body (names, characteristics, references) is derived from a hash of (seed, kind, serial) when
 * the item is rendered (sim_render.c). One snapshot (struct sim_epoch) holds the live items of
 * both collections in collection order for one epoch; the next epoch's snapshot is computed from
 * the previous one, so epoch N is the same whether reached by --epoch N or by N advances.
 *
 * Threads: a world and a published snapshot are read-only, except the snapshot's filter cache,
 * which has its own lock. struct sim_model hands out reference-counted snapshots. */
#ifndef SIM_DATA_H
#define SIM_DATA_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Epoch E's clock is SIM_CLOCK_BASE + E days (2026-01-01T00:00:00Z is epoch 0). */
#define SIM_CLOCK_BASE 1767225600LL
#define SIM_DAY 86400
#define SIM_MAX_EPOCH 20000u        /* keeps every clock inside 32-bit second offsets */
#define SIM_MAX_ITEMS 20000000u     /* per option (--services, --carriers, --resources) */

enum sim_kind {
    SIM_KIND_SERVICE = 0,   /* customer-facing service, @type "Service" */
    SIM_KIND_CARRIER = 1,   /* carrier, @type "element" */
    SIM_KIND_RESOURCE = 2,  /* TMF639 resource */
    SIM_KIND_COUNT
};

enum sim_collection {
    SIM_COLL_SERVICE = 0,   /* TMF638: services and carriers, interleaved */
    SIM_COLL_RESOURCE = 1,  /* TMF639: resources */
    SIM_COLL_COUNT
};

/* SES operational statuses, in the order of sim_status_names. */
enum sim_status {
    SIM_ST_OPERATIONAL = 0,
    SIM_ST_DEGRADED,
    SIM_ST_DOWN,
    SIM_ST_PLANNED,
    SIM_ST_MAINTENANCE,
    SIM_ST_DEPRECATED,
    SIM_ST_COUNT
};

/* Resource types; those from SIM_RT_CARD on are the ones the SES connector excludes. */
enum sim_rtype {
    SIM_RT_MODEM = 0,
    SIM_RT_ANTENNA,
    SIM_RT_GATEWAY,
    SIM_RT_SATELLITE,
    SIM_RT_TRANSPONDER,
    SIM_RT_BEAM,
    SIM_RT_CARD,
    SIM_RT_BANDWIDTH_SEGMENT,
    SIM_RT_LOGICAL_PORT,
    SIM_RT_MULTICAST,
    SIM_RT_SLOT,
    SIM_RT_PORT,
    SIM_RT_CIRCUIT,
    SIM_RT_COUNT
};

extern const char *const sim_status_names[SIM_ST_COUNT];
extern const char *const sim_rtype_names[SIM_RT_COUNT];

/* The compact state of one item in one epoch. */
struct sim_item {
    uint32_t serial;        /* per-kind serial number: the id is prefix + serial */
    int32_t last_update;    /* lastUpdate, seconds from SIM_CLOCK_BASE */
    uint32_t born_epoch;    /* epoch the item appeared in (0 for the initial population) */
    uint8_t kind;           /* enum sim_kind */
    uint8_t type;           /* enum sim_rtype for resources, 0 otherwise */
    uint8_t status;         /* enum sim_status */
    uint8_t reserved;       /* keeps the struct at 16 bytes */
};

struct sim_config {
    uint64_t seed;
    uint32_t services;      /* initial number of services */
    uint32_t carriers;      /* initial number of carriers */
    uint32_t resources;     /* initial number of resources */
};

/* What does not change with epochs: the options and the initial population's resource serials by
 * type, which references (a service's modem, a carrier's transponder...) are drawn from. */
struct sim_world {
    struct sim_config config;
    uint32_t *by_type[SIM_RT_COUNT];        /* ascending serials of initial resources of a type */
    uint32_t by_type_count[SIM_RT_COUNT];
};

/* A query's filters. Defaults (no filtering) are set by sim_filter_init. */
struct sim_filter {
    int status;             /* -1: any; else enum sim_status */
    int type;               /* -1: any; -2: match nothing; else a type code (see sim_data_type_code) */
    int32_t days;           /* -1: any; else updatedDaysAgo (lastUpdate > now - (days+1) days) */
};

struct sim_filter_cache;

/* One epoch's inventory. Read-only once built, except `cache`. */
struct sim_epoch {
    uint32_t epoch;
    struct sim_item *items[SIM_COLL_COUNT];         /* live items in collection order */
    uint32_t count[SIM_COLL_COUNT];
    uint32_t next_serial[SIM_KIND_COUNT];           /* serial of the next item of a kind */
    uint32_t *positions[SIM_KIND_COUNT];            /* positions of a kind's items, ascending */
    uint32_t positions_count[SIM_KIND_COUNT];
    struct sim_filter_cache *cache;                 /* lazily built filtered index lists */
    unsigned refs;                                  /* owned by struct sim_model */
};

/* The served inventory: the world plus the current epoch, swapped atomically by advances. */
struct sim_model {
    struct sim_world world;
    pthread_mutex_t lock;           /* guards current and every snapshot's refs */
    pthread_mutex_t advance_lock;   /* serialises advances */
    struct sim_epoch *current;
};

/* A 64-bit mix of the seed and three values; the only source of randomness in the simulator. */
uint64_t sim_data_hash(uint64_t seed, uint32_t salt, uint32_t a, uint32_t b);

/* Salts of sim_data_hash, one per independent decision, so decisions never correlate. */
enum sim_salt {
    SIM_SALT_INTERLEAVE = 1, SIM_SALT_STATUS0, SIM_SALT_UPDATE0, SIM_SALT_RTYPE, SIM_SALT_REMOVE,
    SIM_SALT_CHANGE, SIM_SALT_ADD_INTERLEAVE, SIM_SALT_NEW_STATUS, SIM_SALT_RENDER,
    SIM_SALT_DUPLICATE, SIM_SALT_PARENT, SIM_SALT_PICK
};

/* The resource type of resource `serial` (fixed for life). */
enum sim_rtype sim_data_rtype(uint64_t seed, uint32_t serial);
/* lastUpdate of an item of the initial population at epoch 0, seconds from SIM_CLOCK_BASE. */
int32_t sim_data_initial_update(uint64_t seed, enum sim_kind kind, uint32_t serial);

/* Sets up the model at epoch `epoch` (computed step by step from epoch 0).
 * Returns 0, or -1 when out of memory (nothing to free then). */
int sim_model_init(struct sim_model *model, const struct sim_config *config, uint32_t epoch);
/* Frees everything; no snapshot may be in use. */
void sim_model_destroy(struct sim_model *model);
/* Takes a reference on the current snapshot; give it back with sim_model_release. */
struct sim_epoch *sim_model_acquire(struct sim_model *model);
void sim_model_release(struct sim_model *model, struct sim_epoch *snapshot);
/* Computes and publishes the next epoch. Returns the new epoch number (>= 1), -1 when out of
 * memory, -2 when SIM_MAX_EPOCH is reached; the current epoch is unchanged on failure. */
long sim_model_advance(struct sim_model *model);

void sim_filter_init(struct sim_filter *filter);
/* The type code for an @type value in a collection, or -2 when no item can have that @type.
 * Service collection: 0 "Service", 1 "element"; resource collection: enum sim_rtype. */
int sim_data_type_code(enum sim_collection coll, const char *type_name);

/* Selects the items of a collection matching `filter`.
 * On success returns 0 and sets *positions to an ascending list of positions in
 * snapshot->items[coll] and *count to its length; *positions is NULL when nothing is filtered
 * (every position matches). When *owned is set the caller frees *positions with free(),
 * otherwise the list belongs to the snapshot. Returns -1 when out of memory. */
int sim_epoch_select(struct sim_epoch *snapshot, enum sim_collection coll,
             const struct sim_filter *filter,
             const uint32_t **positions, uint32_t *count, int *owned);

/* Finds a live item by its id ("svc-00000012", "car-…" in the service collection, "res-…" in
 * the resource collection). Returns NULL when there is no such item in this epoch. */
const struct sim_item *sim_epoch_find(const struct sim_epoch *snapshot, enum sim_collection coll,
                      const char *id);

/* Writes the item's id ("svc-00000012") into `out`; returns 0, or -1 when it does not fit. */
int sim_data_item_id(const struct sim_item *item, char *out, size_t size);

/* Renders one item as a compact JSON object (sim_render.c). */
struct sim_buf;
void sim_render_item(const struct sim_world *world, const struct sim_item *item,
             struct sim_buf *buf);

#endif
