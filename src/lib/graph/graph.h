/* graph.h: impact — what depends on an instance and what it depends on, by the references
 * its definition's fields hold (docs/commands/impact.md, "Which fields are edges").
 *
 * The edges are read from the definitions, never from names of a profile or of the
 * simulator: a `reference` field is an edge to instances of the definition it `references`;
 * a `string` field filled from the `id` of the entity of a TMF relationship
 * (`…Relationship[…].service.id`, `….resource.id`) is an edge to instances of every
 * definition of that API (tmf638, tmf639). The instance holding the field depends on the
 * instances it names, unless the path selects an inverse relationship type (`child`,
 * `contains`, `hasPart`, `supports`, `isReliedOnBy`: those depend on the holder). A value
 * names an instance by its key, else by the TMF id of its stored item. */
#ifndef TMFINV_GRAPH_H
#define TMFINV_GRAPH_H

#include "model.h"
#include "store.h"

#include <cjson/cJSON.h>

#define TMFINV_IMPACT_DEPTH 3          /* default depth (references from the instance): satellite, transponder, carrier, service */
#define TMFINV_IMPACT_MAX_DEPTH 16     /* the most a caller may ask */
#define TMFINV_IMPACT_MAX_HITS 5000    /* instances listed per direction at most (then truncated) */
#define TMFINV_IMPACT_MAX_LISTED 100   /* cycles and dangling references listed per direction */

enum { TMFINV_IMPACT_DOWN = 1, TMFINV_IMPACT_UP = 2, TMFINV_IMPACT_BOTH = 3 };

/* One field that is an edge. */
typedef struct tmfinv_graph_edge {
    const tmfinv_definition *holder;
    const tmfinv_field *field;
    const tmfinv_definition **targets; /* the definitions its values name instances of */
    size_t n_targets;
    int inverse;        /* 1: the instances named depend on the holder */
} tmfinv_graph_edge;

/* The edge fields of every definition of `m`, in definition then field order (*out: free
 * with tmfinv_graph_edges_free()). */
int tmfinv_graph_edges(const tmfinv_model *m, tmfinv_graph_edge **out, size_t *n);
void tmfinv_graph_edges_free(tmfinv_graph_edge *edges, size_t n);

/* Makes the store's index of references hold the model's edge fields and be up to date with
 * the writes since the last call (see store_graph.h). Outside any transaction; *built (may be
 * NULL) is 1 when it wrote. */
int tmfinv_graph_prepare(tmfinv_store *s, const tmfinv_model *m, int *built);

/* Walks from the instance with UUID `id` (TMFINV_ENOTFOUND when none), `directions` a
 * TMFINV_IMPACT_* value, at most `depth` edges (1..TMFINV_IMPACT_MAX_DEPTH). *out is
 * {instance, depth, down?, up?}, each direction {count, truncated, hits: [{id, definition, key,
 * status, removed, depth, path}], cycles, cycleCount, dangling, danglingCount}. Run it in a read
 * transaction, after tmfinv_graph_prepare(). */
int tmfinv_graph_impact(tmfinv_store *s, const tmfinv_model *m, const char *id, int directions, int depth,
                        cJSON **out);

#endif
