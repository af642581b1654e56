/* store_graph.c: dispatch of impact's store calls (store_graph.h) to the backend. */
#include "store_graph.h"
#include "store_int.h"

#include "tmfinv_error.h"

#include <stdlib.h>
#include <string.h>

/* The backend's table, or NULL with the error set. */
static const tmfinv_store_graph_ops *graph_ops(const tmfinv_store *s)
{
    const tmfinv_store_graph_ops *ops = s ? s->ops->graph : NULL;

    if (!ops)
        (void)tmfinv_error_set(TMFINV_ERROR, "this store backend cannot follow references");
    return ops;
}

void tmfinv_graph_node_clear(tmfinv_graph_node *n)
{
    if (!n)
        return;
    free(n->definition);
    free(n->key);
    free(n->tmf_id);
    free(n->status);
    cJSON_Delete(n->fields);
    memset(n, 0, sizeof(*n));
}

int tmfinv_store_graph_index(tmfinv_store *s, const tmfinv_graph_field *fields, size_t n, int *built)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);
    int ignored;

    return ops ? ops->index(s, fields, n, built ? built : &ignored) : TMFINV_ERROR;
}

int tmfinv_store_graph_begin(tmfinv_store *s, tmfinv_graph_session **out)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);

    return ops ? ops->begin(s, out) : TMFINV_ERROR;
}

void tmfinv_store_graph_end(tmfinv_store *s, tmfinv_graph_session *g)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);

    if (ops && g)
        ops->end(s, g);
}

int tmfinv_store_graph_get(tmfinv_store *s, tmfinv_graph_session *g, const char *id, int full,
                           tmfinv_graph_node *out)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);

    return ops ? ops->get(s, g, id, full, out) : TMFINV_ERROR;
}

int tmfinv_store_graph_find(tmfinv_store *s, tmfinv_graph_session *g, const char *definition, const char *ref,
                            tmfinv_graph_node *out)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);

    return ops ? ops->find(s, g, definition, ref, out) : TMFINV_ERROR;
}

int tmfinv_store_graph_referrers(tmfinv_store *s, tmfinv_graph_session *g, const char *ref,
                                 int (*fn)(tmfinv_graph_node *node, const char *field, void *ctx), void *ctx)
{
    const tmfinv_store_graph_ops *ops = graph_ops(s);

    return ops ? ops->referrers(s, g, ref, fn, ctx) : TMFINV_ERROR;
}
