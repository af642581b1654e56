/* store_refs.c: dispatch of the store calls behind references restricted to active
 * instances (store.h, "references restricted to active instances") to the backend. */
#include "store_int.h"

#include "tmfinv_error.h"

/* The backend's table, or NULL with the error set. */
static const tmfinv_store_refs_ops *refs_ops(const tmfinv_store *s)
{
    const tmfinv_store_refs_ops *ops = s ? s->ops->refs : NULL;

    if (!ops)
        (void)tmfinv_error_set(TMFINV_ERROR, "this store backend cannot resolve references");
    return ops;
}

int tmfinv_store_ref_active(tmfinv_store *s, const char *definition, const char *ref, int *active)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->active(s, definition, ref, active) : TMFINV_ERROR;
}

int tmfinv_store_ref_reset(tmfinv_store *s)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->reset(s) : TMFINV_ERROR;
}

int tmfinv_store_ref_note(tmfinv_store *s, const char *definition, const char *key)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->note(s, definition, key) : TMFINV_ERROR;
}

int tmfinv_store_ref_note_unseen(tmfinv_store *s, const char *source, const char *definition)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->note_unseen(s, source, definition) : TMFINV_ERROR;
}

int tmfinv_store_ref_noted(tmfinv_store *s, int64_t *count)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->noted(s, count) : TMFINV_ERROR;
}

int tmfinv_store_ref_dependents(tmfinv_store *s, const char *definition, const char *json_path,
                                const char *referenced, int (*fn)(const char *key, void *ctx), void *ctx)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    return ops ? ops->dependents(s, definition, json_path, referenced, fn, ctx) : TMFINV_ERROR;
}

int tmfinv_store_ref_order_note(tmfinv_store *s, const char *definition, const char *key, int64_t seq)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    if (!ops)
        return TMFINV_ERROR;
    return ops->order_note ? ops->order_note(s, definition, key, seq) : 0;
}

int tmfinv_store_ref_order_written(tmfinv_store *s, const char *definition, const char *key, int64_t seq)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    if (!ops)
        return TMFINV_ERROR;
    return ops->order_written ? ops->order_written(s, definition, key, seq) : 0;
}

int tmfinv_store_ref_order_clear(tmfinv_store *s)
{
    const tmfinv_store_refs_ops *ops = refs_ops(s);

    if (!ops)
        return TMFINV_ERROR;
    return ops->order_clear ? ops->order_clear(s) : 0;
}
