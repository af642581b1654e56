/* outbox.c: the backend-independent half of the outbox (store_events.h): which events a
 * write makes, collected from the history rows the writer records and written when the
 * instance is (or at the latest before the transaction commits), and the dispatch of the
 * outbox's other operations to the backend.
 *
 * Why from the history rows: every writer (a sync's page, the end-of-run reference
 * evaluation, `set`, the TMF API, a source's hub) already records each changed field there,
 * in the transaction of the change; deriving the events from the same calls means no writer
 * can change an instance without its event, and a rollback drops both. */
#include "store_events.h"
#include "store_int.h"

#include "tmfinv_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one instance's write changed so far in the current transaction. */
typedef struct pending_change {
    char id[40];
    int created;                /* "@created" */
    int removed;                /* "@removed" false -> true */
    int restored;               /* "@removed" true -> false */
    char *fields;               /* JSON array text of the changed fields' names, NULL: none */
    int64_t run_id;
    char *actor;
    char time[32];
} pending_change;

struct tmfinv_store_outbox {
    int checked;                /* whether a receiver is registered was read in this transaction */
    int enabled;                /* ... and its answer */
    pending_change *p;
    size_t n, cap;
    char **defs;                /* definition names and their status fields (tmfinv_store_events_model) */
    char **status;
    size_t n_defs;
};

static struct tmfinv_store_outbox *outbox_of(tmfinv_store *s)
{
    if (!s->outbox)
        s->outbox = calloc(1, sizeof(*s->outbox));
    return s->outbox;
}

static void pending_clear(struct tmfinv_store_outbox *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->p[i].fields);
        free(o->p[i].actor);
    }
    o->n = 0;
}

static void defs_clear(struct tmfinv_store_outbox *o)
{
    for (size_t i = 0; i < o->n_defs; i++) {
        free(o->defs[i]);
        free(o->status[i]);
    }
    free(o->defs);
    free(o->status);
    o->defs = o->status = NULL;
    o->n_defs = 0;
}

void tmfinv_store_outbox_close(tmfinv_store *s)
{
    if (!s->outbox)
        return;
    pending_clear(s->outbox);
    free(s->outbox->p);
    defs_clear(s->outbox);
    free(s->outbox);
    s->outbox = NULL;
}

int tmfinv_store_events_model(tmfinv_store *s, const tmfinv_model *m)
{
    struct tmfinv_store_outbox *o = outbox_of(s);
    size_t n = m ? m->n_definitions : 0;

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    defs_clear(o);
    if (n == 0)
        return 0;
    o->defs = calloc(n, sizeof(*o->defs));
    o->status = calloc(n, sizeof(*o->status));
    if (!o->defs || !o->status) {
        defs_clear(o);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const tmfinv_definition *d = m->definitions[i];

        o->n_defs = i + 1;
        if (!(o->defs[i] = strdup(d->name)) ||
            (d->status_field < d->n_fields && !(o->status[i] = strdup(d->fields[d->status_field].name)))) {
            defs_clear(o);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static const char *status_field_of(const struct tmfinv_store_outbox *o, const char *definition)
{
    for (size_t i = 0; definition && i < o->n_defs; i++)
        if (strcmp(o->defs[i], definition) == 0)
            return o->status[i];
    return NULL;
}

/* Whether events are written now: a receiver is registered (read once per transaction). */
static int enabled(tmfinv_store *s, struct tmfinv_store_outbox *o, int *on)
{
    int rc;

    if (!o->checked) {
        if ((rc = s->ops->outbox->enabled(s, &o->enabled)) < 0)
            return rc;
        o->checked = 1;
    }
    *on = o->enabled;
    return 0;
}

/* Appends the JSON string of `name` to the array text *fields. */
static int add_field(char **fields, const char *name)
{
    size_t old = *fields ? strlen(*fields) : 0, len = strlen(name);
    char *grown = realloc(*fields, old + 2 * len + 8);
    char *p;

    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *fields = grown;
    p = old ? grown + old - 1 : grown; /* over the closing ']' */
    *p++ = old ? ',' : '[';
    *p++ = '"';
    for (const char *c = name; *c; c++) {
        /* Field names are letters, digits and '_' (model_load.c); anything else is escaped
         * the simple way so that the text stays JSON. */
        if (*c == '"' || *c == '\\')
            *p++ = '\\';
        *p++ = (unsigned char)*c < 0x20 ? '?' : *c;
    }
    *p++ = '"';
    *p++ = ']';
    *p = '\0';
    return 0;
}

int tmfinv_store_outbox_history(tmfinv_store *s, const char *instance_id, int64_t run_id, const char *actor,
                                const char *time, const char *field, const char *before, const char *after)
{
    struct tmfinv_store_outbox *o = outbox_of(s);
    pending_change *c = NULL;
    int on = 0, rc;

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((rc = enabled(s, o, &on)) < 0 || !on)
        return rc;
    /* "@stale" says the source's last version could not be stored: the instance itself (and
     * what the TMF API serves of it) did not change, so it is no event. */
    if (strcmp(field, "@stale") == 0)
        return 0;
    for (size_t i = o->n; i-- > 0;)
        if (strcmp(o->p[i].id, instance_id) == 0) {
            c = &o->p[i];
            break;
        }
    if (!c) {
        if (o->n == o->cap) {
            size_t cap = o->cap ? 2 * o->cap : 16;
            pending_change *grown = realloc(o->p, cap * sizeof(*grown));

            if (!grown)
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            o->p = grown;
            o->cap = cap;
        }
        c = &o->p[o->n++];
        memset(c, 0, sizeof(*c));
        (void)snprintf(c->id, sizeof(c->id), "%s", instance_id);
        c->run_id = run_id;
        if (actor && !(c->actor = strdup(actor))) {
            o->n--;
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    (void)snprintf(c->time, sizeof(c->time), "%s", time);
    if (strcmp(field, "@created") == 0)
        c->created = 1;
    else if (strcmp(field, "@removed") == 0) {
        int now_removed = after && strcmp(after, "true") == 0;

        if (now_removed)
            c->removed = 1;
        else if (c->removed)
            c->removed = 0;
        else
            c->restored = 1;
        (void)before;
    } else if (field[0] != '@')
        return add_field(&c->fields, field);
    return 0;
}

/* Writes the events of pending change i and forgets it. `definition` NULL: read it. */
static int flush(tmfinv_store *s, struct tmfinv_store_outbox *o, size_t i, const char *definition)
{
    pending_change c = o->p[i];
    const tmfinv_store_outbox_ops *ops = s->ops->outbox;
    char def[256] = "";
    char *state = NULL, *change = NULL;
    int rc = 0;

    o->p[i] = o->p[--o->n];
    if (!definition && c.fields && !c.created) {
        if ((rc = ops->definition_of(s, c.id, def, sizeof(def))) < 0)
            goto out;
        definition = def;
    }
    if (c.created || c.restored) {
        /* A restored instance is back in the collection: its subscribers learn it as they
         * learn a new one (docs/events.md). */
        rc = ops->add(s, c.id, TMFINV_EVENT_CREATE, NULL, c.run_id, c.actor, c.time);
    } else if (c.fields) {
        const char *sf = status_field_of(o, definition);
        cJSON *names = cJSON_Parse(c.fields), *n;

        if (!names) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_ArrayForEach(n, names) {
            int is_state = sf && strcmp(n->valuestring, sf) == 0;

            if ((rc = add_field(is_state ? &state : &change, n->valuestring)) < 0)
                break;
        }
        cJSON_Delete(names);
        if (rc == 0 && state)
            rc = ops->add(s, c.id, TMFINV_EVENT_STATE, state, c.run_id, c.actor, c.time);
        if (rc == 0 && change)
            rc = ops->add(s, c.id, TMFINV_EVENT_CHANGE, change, c.run_id, c.actor, c.time);
    }
    if (rc == 0 && c.removed)
        rc = ops->add(s, c.id, TMFINV_EVENT_DELETE, NULL, c.run_id, c.actor, c.time);
out:
    free(state);
    free(change);
    free(c.fields);
    free(c.actor);
    return rc;
}

int tmfinv_store_outbox_put(tmfinv_store *s, const tmfinv_instance *inst)
{
    struct tmfinv_store_outbox *o = s->outbox;

    if (!o)
        return 0;
    for (size_t i = o->n; i-- > 0;)
        if (strcmp(o->p[i].id, inst->id) == 0)
            return flush(s, o, i, inst->definition);
    return 0;
}

int tmfinv_store_outbox_commit(tmfinv_store *s)
{
    struct tmfinv_store_outbox *o = s->outbox;
    int rc = 0;

    if (!o)
        return 0;
    /* Changes recorded without a put after them (a writer that wrote the instance first):
     * their snapshot is the row as the transaction leaves it. */
    while (rc == 0 && o->n > 0)
        rc = flush(s, o, 0, NULL);
    o->checked = 0;
    return rc;
}

void tmfinv_store_outbox_rollback(tmfinv_store *s)
{
    if (!s->outbox)
        return;
    pending_clear(s->outbox);
    s->outbox->checked = 0;
}

int tmfinv_store_outbox_sweep(tmfinv_store *s, const char *source, const char *definition, int64_t run_id,
                              const char *time)
{
    struct tmfinv_store_outbox *o = outbox_of(s);
    int on = 0, rc;

    if (!o)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    if ((rc = enabled(s, o, &on)) < 0 || !on)
        return rc;
    return s->ops->outbox->sweep(s, source, definition, run_id, time);
}

/* ---- dispatch ---- */

int tmfinv_store_receiver_put(tmfinv_store *s, const tmfinv_receiver *r)
{
    if (s->outbox)
        s->outbox->checked = 0;
    return s->ops->outbox->receiver_put(s, r);
}

int tmfinv_store_receiver_delete(tmfinv_store *s, const char *name)
{
    if (s->outbox)
        s->outbox->checked = 0;
    return s->ops->outbox->receiver_delete(s, name);
}

int tmfinv_store_receivers(tmfinv_store *s, const char *name, int (*fn)(const tmfinv_receiver *, void *), void *ctx)
{
    return s->ops->outbox->receivers(s, name, fn, ctx);
}

int tmfinv_store_outbox_next(tmfinv_store *s, int64_t after, int64_t limit, int (*fn)(const tmfinv_event *, void *),
                             void *ctx)
{
    return s->ops->outbox->next(s, after, limit, 0, fn, ctx);
}

int tmfinv_store_outbox_get(tmfinv_store *s, int64_t id, int (*fn)(const tmfinv_event *, void *), void *ctx)
{
    return s->ops->outbox->next(s, id, 1, 1, fn, ctx);
}

int tmfinv_store_receiver_advance(tmfinv_store *s, const char *receiver, int64_t cursor, int64_t delivered)
{
    return s->ops->outbox->advance(s, receiver, cursor, delivered);
}

int tmfinv_store_dead_add(tmfinv_store *s, const char *receiver, int64_t event_id, int64_t tries, const char *error,
                          const char *first_try, const char *last_try)
{
    return s->ops->outbox->dead_add(s, receiver, event_id, tries, error, first_try, last_try);
}

int tmfinv_store_dead_letters(tmfinv_store *s, const char *state, const char *receiver, int64_t offset, int64_t limit,
                              int64_t *total, int (*fn)(const tmfinv_dead_letter *, void *), void *ctx)
{
    return s->ops->outbox->dead_letters(s, state, receiver, offset, limit, total, fn, ctx);
}

int tmfinv_store_dead_retry(tmfinv_store *s, int64_t id, int64_t *count)
{
    return s->ops->outbox->dead_retry(s, id, count);
}

int tmfinv_store_dead_done(tmfinv_store *s, int64_t id)
{
    return s->ops->outbox->dead_done(s, id);
}

int tmfinv_store_dead_failed(tmfinv_store *s, int64_t id, const char *error, const char *time)
{
    return s->ops->outbox->dead_failed(s, id, error, time);
}

int tmfinv_store_outbox_purge(tmfinv_store *s, const char *before, int64_t batch, int64_t *purged)
{
    return s->ops->outbox->purge(s, before, batch, purged);
}

int tmfinv_store_outbox_purge_all(tmfinv_store *s, const char *before, const volatile int *stop, int64_t *purged)
{
    int64_t n;
    int rc;

    for (;;) {
        int64_t started = store_clock_us();

        n = 0;
        if ((rc = tmfinv_store_begin(s)) < 0)
            return rc;
        if ((rc = tmfinv_store_outbox_purge(s, before, TMFINV_PURGE_BATCH, &n)) < 0) {
            (void)tmfinv_store_rollback(s);
            return rc;
        }
        if ((rc = tmfinv_store_commit(s)) < 0)
            return rc;
        *purged += n;
        if (n < TMFINV_PURGE_BATCH || (stop && *stop))
            break;
        store_purge_yield(started);
    }
    return 0;
}
