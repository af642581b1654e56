/* store_int.h: the operations table a storage backend fills (private to src/lib). */
#ifndef TMFINV_STORE_INT_H
#define TMFINV_STORE_INT_H

#include "store.h"

/* ---- object-model API queries (api_om.c) ---- */

/* The operations behind the object-model API queries of store.h (a part of the
 * operations table, kept together so that a backend can fill them as one). */
typedef struct tmfinv_store_om_ops {
    int (*instances_page)(tmfinv_store *s, const tmfinv_instances_page_query *pq, int64_t *total,
                          int (*fn)(const tmfinv_instance *, void *), void *ctx);
    int (*reports_page)(tmfinv_store *s, const char *kind, int64_t offset, int64_t limit, int64_t *total,
                        int (*fn)(const cJSON *, void *), void *ctx);
    int (*runs_page)(tmfinv_store *s, int64_t id, int64_t offset, int64_t limit, int64_t *total,
                     int (*fn)(const cJSON *, void *), void *ctx);
    int (*source_totals)(tmfinv_store *s, tmfinv_source_totals **out, size_t *n);
    int (*last_complete)(tmfinv_store *s, double *unix_seconds);
    int (*table_indexes)(tmfinv_store *s, const tmfinv_store_column *cols, size_t n, int *created,
                         int *dropped);     /* NULL: none to make */
} tmfinv_store_om_ops;


/* ---- TMF API queries (api_tmf.c) ---- */

/* The operations behind the TMF API queries of store.h (a part of the operations
 * table, kept together so that a backend can fill them as one). */
typedef struct tmfinv_store_tmf_ops {
    int (*count)(tmfinv_store *s, const tmfinv_tmf_query *q, int64_t *count);
    int (*list)(tmfinv_store *s, const tmfinv_tmf_query *q, int (*fn)(const tmfinv_instance *, void *), void *ctx);
    int (*find)(tmfinv_store *s, const char *const *definitions, size_t n_definitions, const char *tmf_id,
                int include_removed, tmfinv_instance **out);
    int (*state_local)(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash,
                       int *removed, int *stale, int *local);
} tmfinv_store_tmf_ops;

/* The operations behind the changes feed and retention (store.h). */
typedef struct tmfinv_store_history_ops {
    int (*changes)(tmfinv_store *s, const tmfinv_changes_query *q, int64_t *total,
                   int (*fn)(const cJSON *, void *), void *ctx);
    int (*purge_step)(tmfinv_store *s, tmfinv_purge *p, int *done);
    int (*purge_count)(tmfinv_store *s, tmfinv_purge *p);
} tmfinv_store_history_ops;

/* The operations behind the references restricted to active instances (store.h; kept
 * together so that a backend can fill them as one). */
typedef struct tmfinv_store_refs_ops {
    int (*active)(tmfinv_store *s, const char *definition, const char *ref, int *active);
    int (*reset)(tmfinv_store *s);
    int (*note)(tmfinv_store *s, const char *definition, const char *key);
    int (*note_unseen)(tmfinv_store *s, const char *source, const char *definition);
    int (*noted)(tmfinv_store *s, int64_t *count);
    int (*dependents)(tmfinv_store *s, const char *definition, const char *json_path, const char *referenced,
                      int (*fn)(const char *, void *), void *ctx);
    /* Optional (NULL: every dependent is re-evaluated, as before they existed): the order of
     * this run's notes and writes, so that dependents skips what was written after. */
    int (*order_note)(tmfinv_store *s, const char *definition, const char *key, int64_t seq);
    int (*order_written)(tmfinv_store *s, const char *definition, const char *key, int64_t seq);
    int (*order_clear)(tmfinv_store *s);
} tmfinv_store_refs_ops;

/* The operations behind the outbox (store_events.h; outbox.c decides which events a write
 * makes, the backend writes and reads them). */
struct tmfinv_event;
struct tmfinv_receiver;
struct tmfinv_dead_letter;
typedef struct tmfinv_store_outbox_ops {
    int (*enabled)(tmfinv_store *s, int *on);
    int (*definition_of)(tmfinv_store *s, const char *instance_id, char *out, size_t size);
    int (*add)(tmfinv_store *s, const char *instance_id, const char *type, const char *fields, int64_t run_id,
               const char *actor, const char *time);
    int (*sweep)(tmfinv_store *s, const char *source, const char *definition, int64_t run_id, const char *time);
    int (*receiver_put)(tmfinv_store *s, const struct tmfinv_receiver *r);
    int (*receiver_delete)(tmfinv_store *s, const char *name);
    int (*receivers)(tmfinv_store *s, const char *name, int (*fn)(const struct tmfinv_receiver *, void *), void *ctx);
    int (*next)(tmfinv_store *s, int64_t after, int64_t limit, int exact,
                int (*fn)(const struct tmfinv_event *, void *), void *ctx);
    int (*advance)(tmfinv_store *s, const char *receiver, int64_t cursor, int64_t delivered);
    int (*dead_add)(tmfinv_store *s, const char *receiver, int64_t event_id, int64_t tries, const char *error,
                    const char *first_try, const char *last_try);
    int (*dead_letters)(tmfinv_store *s, const char *state, const char *receiver, int64_t offset, int64_t limit,
                        int64_t *total, int (*fn)(const struct tmfinv_dead_letter *, void *), void *ctx);
    int (*dead_retry)(tmfinv_store *s, int64_t id, int64_t *count);
    int (*dead_done)(tmfinv_store *s, int64_t id);
    int (*dead_failed)(tmfinv_store *s, int64_t id, const char *error, const char *time);
    int (*purge)(tmfinv_store *s, const char *before, int64_t batch, int64_t *purged);
} tmfinv_store_outbox_ops;

/* The operations behind impact's graph (store_graph.h; kept together so that a backend can
 * fill them as one). */
struct tmfinv_graph_field;
struct tmfinv_graph_session;
struct tmfinv_graph_node;
typedef struct tmfinv_store_graph_ops {
    int (*index)(tmfinv_store *s, const struct tmfinv_graph_field *fields, size_t n, int *built);
    int (*begin)(tmfinv_store *s, struct tmfinv_graph_session **out);
    void (*end)(tmfinv_store *s, struct tmfinv_graph_session *g);
    int (*get)(tmfinv_store *s, struct tmfinv_graph_session *g, const char *id, int full,
               struct tmfinv_graph_node *out);
    int (*find)(tmfinv_store *s, struct tmfinv_graph_session *g, const char *definition, const char *ref,
                struct tmfinv_graph_node *out);
    int (*referrers)(tmfinv_store *s, struct tmfinv_graph_session *g, const char *ref,
                     int (*fn)(struct tmfinv_graph_node *, const char *, void *), void *ctx);
} tmfinv_store_graph_ops;

/* What a transaction call asks: a read snapshot, a write transaction (the write lock
 * taken at once), or the end of the current one. */
typedef enum tmfinv_store_tx { TMFINV_TX_READ, TMFINV_TX_WRITE, TMFINV_TX_COMMIT, TMFINV_TX_ROLLBACK } tmfinv_store_tx;

typedef struct tmfinv_store_ops {
    void (*close)(tmfinv_store *s);
    int (*tx)(tmfinv_store *s, tmfinv_store_tx what);
    int (*read_only)(const tmfinv_store *s);
    int (*get)(tmfinv_store *s, const char *definition, const char *key, tmfinv_instance **out);
    int (*put)(tmfinv_store *s, const tmfinv_instance *inst);
    int (*state)(tmfinv_store *s, const char *definition, const char *key, char *id, char *hash, int *removed,
                 int *stale);
    int (*history_add)(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *actor,
                       const char *time, const char *field, const char *before, const char *after);
    int (*history)(tmfinv_store *s, const char *instance_id, int (*fn)(const cJSON *, void *), void *ctx);
    int (*seen_reset)(tmfinv_store *s);
    int (*seen_mark)(tmfinv_store *s, const char *definition, const char *key, int *first);
    int (*sweep)(tmfinv_store *s, const char *source, const char *definition, int64_t run_id, const char *time,
                 int64_t *removed);
    int (*sweep_count)(tmfinv_store *s, const char *source, const char *definition, int64_t *active,
                       int64_t *unseen);
    int (*written_by)(tmfinv_store *s, const char *definition, const char *key, const char *tmf_id, int *same);
    int (*query)(tmfinv_store *s, const tmfinv_query *q, int (*fn)(const tmfinv_instance *, void *), void *ctx);
    int (*count)(tmfinv_store *s, const tmfinv_query *q, int64_t *count);
    int (*summary)(tmfinv_store *s, int (*fn)(const cJSON *, void *), void *ctx);
    int (*version)(tmfinv_store *s, uint64_t version[2]);
    int (*run_begin)(tmfinv_store *s, const char *started, const char *kind, int64_t *run_id);
    int (*run_end)(tmfinv_store *s, int64_t run_id, const char *ended, int complete);
    int (*run_source_put)(tmfinv_store *s, int64_t run_id, const tmfinv_run_source *rs);
    int (*runs)(tmfinv_store *s, int64_t limit, int (*fn)(const cJSON *, void *), void *ctx);
    int (*report_add)(tmfinv_store *s, const tmfinv_report *r, const char *time, int *added);
    int (*reports)(tmfinv_store *s, const char *kind, int (*fn)(const cJSON *, void *), void *ctx);
    const tmfinv_store_om_ops *om;      /* the object-model API queries */
    const tmfinv_store_tmf_ops *tmf;    /* the TMF API queries */
    const tmfinv_store_refs_ops *refs;  /* references restricted to active instances */
    const tmfinv_store_history_ops *hist; /* the changes feed and retention */
    const tmfinv_store_graph_ops *graph; /* impact's index of references (store_graph.h) */
    const tmfinv_store_outbox_ops *outbox; /* the outbox of events (store_events.h) */
    /* Optional (NULL: put): writes only the fields, modified and run_id of an existing instance. */
    int (*put_fields)(tmfinv_store *s, const tmfinv_instance *inst);
} tmfinv_store_ops;

/* Every backend's handle starts with this. */
struct tmfinv_store {
    const tmfinv_store_ops *ops;
    struct tmfinv_store_outbox *outbox; /* the events a transaction's writes make so far (outbox.c) */
};

/* Splits a TMF attribute path into its steps (pointers into `copy`, a modifiable copy of
 * the path, at most STORE_TMF_MAX_STEPS); TMFINV_EINVALID unless every step matches
 * [A-Za-z@_][A-Za-z0-9@_]* (store_tmf.c, for every backend). */
#define STORE_TMF_MAX_STEPS 16
int store_tmf_steps(const char *path, char *copy, size_t size, char **steps, size_t *n_steps);

/* The monotonic clock in microseconds, and the pause after a purge's batch that lets a
 * waiting writer take the lock (store.c). */
int64_t store_clock_us(void);
void store_purge_yield(int64_t started);

/* The SQLite backend: opens `path` (opt: never NULL, busy_timeout_ms > 0). */
int tmfinv_store_sqlite_open(const char *path, const tmfinv_store_options *opt, tmfinv_store **out);

#endif
