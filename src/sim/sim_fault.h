/* sim_fault.h: deterministic fault injection of tmfinv-sim (everything but --latency-ms and
 * --fail-page, which sim_http.c applies itself).
 *
 * Per-request faults (--fault-rate, --malformed-rate, --total-count-lie) are drawn from a hash
 * of (seed, the request's normalised method+path+query, how many times that URL was requested
 * before). The per-URL attempt counters live in a bounded table behind a mutex, so the answers
 * to one URL depend only on the sequence of requests for that URL, not on how requests for
 * different URLs interleave. Per-item faults (--bad-items) are a function of (seed, item,
 * epoch). None of them changes which items exist, their order or their statuses; --shuffle only
 * moves positions. See docs/simulator.md for the exact semantics. */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "sim_data.h"
#include "sim_json.h"

#define SIM_PPB 1000000000u         /* probabilities are kept in parts per billion */
#define SIM_FAULT_MAX_STREAK 3u     /* at most this many faulted answers in a row per URL */

struct sim_fault_options {
    uint32_t fault_ppb;         /* --fault-rate */
    uint32_t malformed_ppb;     /* --malformed-rate */
    uint32_t bad_items_ppb;     /* --bad-items */
    int total_count_lie;        /* --total-count-lie */
    int shuffle;                /* --shuffle */
    uint32_t shuffle_every;     /* --shuffle-every (>= 1) */
    uint32_t rate_limit;        /* --rate-limit, requests per second (0: none) */
    uint32_t retry_after;       /* --retry-after, seconds */
    uint32_t slow_ms;           /* --slow-ms, total pauses of a slow body */
};

/* What happens to one answer. The transient kinds come first, in the order of the mix. */
enum sim_fault_kind {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_429,
    SIM_FAULT_500,
    SIM_FAULT_502,
    SIM_FAULT_503,
    SIM_FAULT_RESET,            /* close the connection without a response */
    SIM_FAULT_SLOW,             /* headers at once, body dribbled */
    SIM_FAULT_TRUNCATED,        /* Content-Length of the whole body, connection closed early */
    SIM_FAULT_MALFORMED,        /* a 200 whose body is not valid JSON */
    SIM_FAULT_KIND_COUNT
};

/* The decision for one request. */
struct sim_fault_decision {
    enum sim_fault_kind kind;
    uint64_t draw;              /* hash bits for the kind's details (Retry-After form, cut...) */
    uint64_t request;           /* hash of (seed, URL, attempt): the --total-count-lie draw */
};

/* Shapes of --bad-items. */
enum sim_bad_shape {
    SIM_BAD_STATUS_NUMBER = 0,      /* "status": <number> */
    SIM_BAD_EXTERNAL_ID_OBJECT,     /* "externalId": {"value": "..."} */
    SIM_BAD_LAST_UPDATE,            /* "lastUpdate": "DD/MM/YYYY HH:MM:SS" */
    SIM_BAD_CHARACTERISTIC_OBJECT,  /* "serviceCharacteristic"/"resourceCharacteristic": {...} */
    SIM_BAD_ITEM_STRING,            /* the item is the JSON string of its id */
    SIM_BAD_ITEM_ARRAY,             /* the item is wrapped in a one-element array */
    SIM_BAD_SHAPE_COUNT
};

struct sim_fault;

/* Creates the fault state (attempt table, shuffle counters, token bucket) for `options`.
 * Returns 0 and sets *out, or -1 when out of memory. Free with sim_fault_destroy. */
int sim_fault_create(const struct sim_fault_options *options, uint64_t seed,
             struct sim_fault **out);
void sim_fault_destroy(struct sim_fault *fault);
const struct sim_fault_options *sim_fault_options(const struct sim_fault *fault);

/* Whether per-URL attempt counting is needed (a per-request fault option is on). */
int sim_fault_tracks_requests(const struct sim_fault *fault);

/* Decides the fault of one request whose normalised URL hashes to `url_key`, and counts the
 * attempt. `answer_ok` tells whether the answer would be a 200 (only those can be malformed).
 * Never faults the 4th answer in a row after SIM_FAULT_MAX_STREAK faulted ones. */
void sim_fault_decide(struct sim_fault *fault, uint64_t url_key, int answer_ok,
              struct sim_fault_decision *decision);

/* The X-Total-Count to announce for a request under --total-count-lie: never `truth`. */
uint64_t sim_fault_lie_total(const struct sim_fault_decision *decision, uint64_t truth);

/* Takes one token of the --rate-limit bucket: 1 when the request may proceed, 0 when it is over
 * the limit. Always 1 without --rate-limit. */
int sim_fault_rate_take(struct sim_fault *fault);

/* The --shuffle rotation for a list request of `coll` served from epoch `epoch`: counts the
 * request and returns how many items have moved from the end to the front (0 without
 * --shuffle). Counters restart when a newer epoch is seen. */
uint64_t sim_fault_shuffle_shift(struct sim_fault *fault, enum sim_collection coll,
                 uint32_t epoch);

/* The --bad-items shape of `item` in `epoch`, or -1 when the item is served correctly. */
int sim_fault_bad_shape(const struct sim_fault *fault, const struct sim_item *item,
            uint32_t epoch);
/* Renders `item` with the wrong shape `shape` into `buf`. */
void sim_fault_render_bad(const struct sim_world *world, const struct sim_item *item, int shape,
              struct sim_buf *buf);

/* Replaces a 200 body with an invalid one chosen by `draw`. On success returns 0, frees *body
 * and sets *body, *len and *html (1 when the body is an HTML page); -1 when out of memory (the
 * body is then unchanged). */
int sim_fault_malform(uint64_t draw, char **body, size_t *len, int *html);

/* A 64-bit hash of bytes, chained through `h` (start with 0). */
uint64_t sim_fault_hash_bytes(uint64_t h, const char *data, size_t len);

#endif
