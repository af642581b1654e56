/* store_graph.h: what `impact` asks the store (src/lib/graph/): an index of the references
 * instances hold, and the lookups a walk over them makes.
 *
 * The index holds one row per (value, instance, field) for the fields it is told are edges
 * (tmfinv_store_graph_index(); the graph module decides which from the definitions). The
 * store notes by itself which instances every write touches (SQLite: triggers on the instance
 * table, schema 10), so no caller of tmfinv_store_put() knows about it, and
 * tmfinv_store_graph_index() brings the rows of those up to date before a walk; an unchanged
 * resync writes nothing. Values are the field values as stored (strings of a list field one
 * by one), so "who names X" is one indexed lookup per name of X (its key, its TMF id). All
 * functions return 0 or a negative TMFINV_E* code with a message. */
#ifndef TMFINV_STORE_GRAPH_H
#define TMFINV_STORE_GRAPH_H

#include "store.h"

/* A field whose values the index holds. */
typedef struct tmfinv_graph_field {
    const char *definition;
    const char *field;  /* letters, digits and '_' only */
} tmfinv_graph_field;

/* Makes the index hold exactly these fields and be up to date: when the store's list differs
 * (first use, or a profile changed) it is replaced and the index rebuilt from every instance;
 * otherwise the rows of the instances written since the last call are rewritten (all of them
 * rebuilt when that is over a quarter of the store); one write transaction, *built = 1 (may
 * be NULL). Up to date already: nothing is written, no lock taken. Call it outside any
 * transaction. A read-only store whose index is not up to date fails with TMFINV_EREFUSED. */
int tmfinv_store_graph_index(tmfinv_store *s, const tmfinv_graph_field *fields, size_t n, int *built);

/* One instance as a walk sees it. */
typedef struct tmfinv_graph_node {
    char id[40];
    char *definition;
    char *key;
    char *tmf_id;       /* the `id` of the stored item when it is text; NULL otherwise */
    char *status;
    int removed;
    cJSON *fields;      /* the field values */
} tmfinv_graph_node;

void tmfinv_graph_node_clear(tmfinv_graph_node *n);

/* A walk's prepared lookups; begin and end it inside one read transaction so that every
 * lookup sees the same snapshot. */
typedef struct tmfinv_graph_session tmfinv_graph_session;

int tmfinv_store_graph_begin(tmfinv_store *s, tmfinv_graph_session **out);
void tmfinv_store_graph_end(tmfinv_store *s, tmfinv_graph_session *g);

/* The instance with UUID `id` into *out (cleared first); TMFINV_ENOTFOUND when none. With
 * `full`, also its fields and TMF id (which read the row's long columns); without, only what
 * the start of the row holds (id, definition, key, status, removed). */
int tmfinv_store_graph_get(tmfinv_store *s, tmfinv_graph_session *g, const char *id, int full,
                           tmfinv_graph_node *out);

/* The instance of `definition` a reference `ref` names: the one with that key, else the one
 * whose stored item has that TMF id (an active one before a removed one); TMFINV_ENOTFOUND
 * when none. Without fields and TMF id (tmfinv_store_graph_get(full = 0)). */
int tmfinv_store_graph_find(tmfinv_store *s, tmfinv_graph_session *g, const char *definition, const char *ref,
                            tmfinv_graph_node *out);

/* Calls fn(instance, field, ctx) for each indexed field value equal to `ref`, ordered by
 * instance id then field; the instance without fields and TMF id, which fn may take over
 * (moving its contents out and zeroing it). fn returns non-zero to stop (returned). */
int tmfinv_store_graph_referrers(tmfinv_store *s, tmfinv_graph_session *g, const char *ref,
                                 int (*fn)(tmfinv_graph_node *node, const char *field, void *ctx), void *ctx);

#endif
