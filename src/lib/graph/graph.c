/* graph.c: impact (graph.h): which fields are edges, and a breadth-first walk over them in
 * one direction — down (what depends on the instance) or up (what it depends on).
 *
 * Each instance is reached once, by its shortest chain (breadth first, so depth is the
 * number of edges of that chain); an edge back to an instance of the chain that reached the
 * current one is a cycle and is reported, an edge to an instance reached by another chain is
 * not (two services on one carrier are no cycle). A value that names no stored instance is
 * a dangling reference. Removed instances are walked like the others and carry
 * `removed: true`. The walk stops at the depth asked and at TMFINV_IMPACT_MAX_HITS
 * instances (truncated: true). */
#include "graph.h"
#include "store_graph.h"

#include "tmfinv_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- which fields are edges ---- */

/* Relationship types whose entity depends on the holder (TMF's relationshipType is free text). */
static int inverse_type(const char *type)
{
    static const char *const inverse[] = {"child", "contains", "hasPart", "supports", "isReliedOnBy", NULL};

    for (size_t i = 0; type && inverse[i]; i++)
        if (strcasecmp(type, inverse[i]) == 0)
            return 1;
    return 0;
}

/* 1 when `p` reads the id of the entity of a TMF relationship: `…Relationship[…].service.id`
 * (api "tmf638" into *api) or `….resource.id` ("tmf639"); *inverse from the type it selects. */
static int relationship_path(const tmfinv_path *p, const char **api, int *inverse)
{
    const tmfinv_path_step *rel, *ent, *id;
    size_t len;

    if (p->n_steps < 3)
        return 0;
    rel = &p->steps[p->n_steps - 3];
    ent = &p->steps[p->n_steps - 2];
    id = &p->steps[p->n_steps - 1];
    len = strlen(rel->name);
    if (id->kind != STEP_PLAIN || strcmp(id->name, "id") != 0 || ent->kind != STEP_PLAIN || len < 12 ||
        strcmp(rel->name + len - 12, "Relationship") != 0)
        return 0;
    if (strcmp(ent->name, "service") == 0)
        *api = "tmf638";
    else if (strcmp(ent->name, "resource") == 0)
        *api = "tmf639";
    else
        return 0;
    *inverse = rel->kind == STEP_MATCH && strcmp(rel->match_key, "relationshipType") == 0 &&
               inverse_type(rel->match_value);
    return 1;
}

/* Fills e for field f of d when f is an edge: 1 (edge), 0 (not one), or TMFINV_ENOMEM. */
static int edge_of(const tmfinv_model *m, const tmfinv_definition *d, const tmfinv_field *f, tmfinv_graph_edge *e)
{
    const char *api = NULL;
    int inverse = 0, rel = 0;

    memset(e, 0, sizeof(*e));
    if (f->owner == TMFINV_OWNER_LOCAL || f->n_from == 0)
        return 0;
    if (f->type == TMFINV_TYPE_REFERENCE) {
        const tmfinv_definition *t = tmfinv_model_find(m, f->references);

        for (size_t i = 0; i < f->n_from && !rel; i++)
            rel = relationship_path(&f->from[i], &api, &inverse);
        if (!t)
            return 0;
        if (!(e->targets = calloc(1, sizeof(*e->targets))))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        e->targets[e->n_targets++] = t;
    } else if (f->type == TMFINV_TYPE_STRING) {
        /* Every path must read a relationship's entity id of one API. */
        for (size_t i = 0; i < f->n_from; i++) {
            const char *a = NULL;
            int inv = 0;

            if (!relationship_path(&f->from[i], &a, &inv) || (api && strcmp(api, a) != 0))
                return 0;
            if (!api) {
                api = a;
                inverse = inv;
            }
        }
        if (!(e->targets = calloc(m->n_definitions ? m->n_definitions : 1, sizeof(*e->targets))))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        for (size_t i = 0; i < m->n_definitions; i++)
            if (strcmp(m->definitions[i]->api, api) == 0)
                e->targets[e->n_targets++] = m->definitions[i];
    } else
        return 0;
    e->holder = d;
    e->field = f;
    e->inverse = inverse;
    return 1;
}

void tmfinv_graph_edges_free(tmfinv_graph_edge *edges, size_t n)
{
    for (size_t i = 0; edges && i < n; i++)
        free(edges[i].targets);
    free(edges);
}

int tmfinv_graph_edges(const tmfinv_model *m, tmfinv_graph_edge **out, size_t *n)
{
    tmfinv_graph_edge *edges = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;

    for (size_t i = 0; i < m->n_definitions; i++) {
        const tmfinv_definition *d = m->definitions[i];

        for (size_t k = 0; k < d->n_fields; k++) {
            tmfinv_graph_edge e;

            if ((rc = edge_of(m, d, &d->fields[k], &e)) < 0)
                goto fail;
            if (!rc)
                continue;
            rc = 0;
            if (count == cap) {
                tmfinv_graph_edge *more = realloc(edges, (cap ? cap * 2 : 16) * sizeof(*edges));

                if (!more) {
                    free(e.targets);
                    rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
                    goto fail;
                }
                edges = more;
                cap = cap ? cap * 2 : 16;
            }
            edges[count++] = e;
        }
    }
    *out = edges;
    *n = count;
    return 0;
fail:
    tmfinv_graph_edges_free(edges, count);
    return rc;
}

int tmfinv_graph_prepare(tmfinv_store *s, const tmfinv_model *m, int *built)
{
    tmfinv_graph_edge *edges = NULL;
    tmfinv_graph_field *fields = NULL;
    size_t n = 0;
    int rc;

    if ((rc = tmfinv_graph_edges(m, &edges, &n)) < 0)
        return rc;
    if (!(fields = calloc(n ? n : 1, sizeof(*fields)))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        fields[i].definition = edges[i].holder->name;
        fields[i].field = edges[i].field->name;
    }
    rc = tmfinv_store_graph_index(s, fields, n, built);
out:
    free(fields);
    tmfinv_graph_edges_free(edges, n);
    return rc;
}

/* ---- the walk ---- */

typedef struct hit {
    tmfinv_graph_node node;     /* fields dropped once expanded (or never expanded) */
    int depth;
    long parent;                /* index of the hit it was reached from; -1: the instance asked */
    const tmfinv_graph_edge *edge; /* the edge from the parent */
    int field_of_parent;        /* 1: the edge's field is the parent's, 0: this one's */
} hit;

typedef struct walk {
    tmfinv_store *s;
    tmfinv_graph_session *g;
    const tmfinv_model *m;
    const tmfinv_graph_edge *edges;
    size_t n_edges;
    int down;                   /* 1: what depends on it; 0: what it depends on */
    int max_depth;
    hit *hits;
    size_t n, cap;
    long *slots;                /* open addressing over ids: index into hits, -1 empty */
    size_t n_slots;
    int truncated;
    cJSON *cycles, *dangling;
    int64_t n_cycles, n_dangling;
} walk;

static uint64_t hash_id(const char *id)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

/* The slot of `id`: holding its hit, or the empty one where it goes. */
static size_t slot_of(const walk *w, const char *id)
{
    size_t i = (size_t)hash_id(id) & (w->n_slots - 1);

    while (w->slots[i] >= 0 && strcmp(w->hits[w->slots[i]].node.id, id) != 0)
        i = (i + 1) & (w->n_slots - 1);
    return i;
}

static const tmfinv_graph_edge *edge_for(const walk *w, const char *definition, const char *field)
{
    for (size_t i = 0; i < w->n_edges; i++)
        if (strcmp(w->edges[i].holder->name, definition) == 0 && strcmp(w->edges[i].field->name, field) == 0)
            return &w->edges[i];
    return NULL;
}

static int targets(const tmfinv_graph_edge *e, const char *definition)
{
    for (size_t i = 0; i < e->n_targets; i++)
        if (strcmp(e->targets[i]->name, definition) == 0)
            return 1;
    return 0;
}

static cJSON *node_json(const tmfinv_graph_node *n)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !cJSON_AddStringToObject(o, "id", n->id) || !cJSON_AddStringToObject(o, "definition", n->definition) ||
        !cJSON_AddStringToObject(o, "key", n->key)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One step of a path: the instance, and (not for the first) the field of the edge that led
 * to it and the id of the instance holding that field. */
static cJSON *step_json(const tmfinv_graph_node *n, const tmfinv_graph_edge *e, const char *field_of)
{
    cJSON *o = node_json(n);

    if (o && e &&
        (!cJSON_AddStringToObject(o, "field", e->field->name) || !cJSON_AddStringToObject(o, "fieldOf", field_of))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The path from the instance asked to hit i, into array `path`. */
static int add_path(const walk *w, long i, cJSON *path)
{
    long chain[TMFINV_IMPACT_MAX_DEPTH + 1];
    int n = 0;

    for (long k = i; k >= 0 && n <= TMFINV_IMPACT_MAX_DEPTH; k = w->hits[k].parent)
        chain[n++] = k;
    while (n-- > 0) {
        const hit *h = &w->hits[chain[n]];
        const char *field_of = h->parent < 0 ? NULL : h->field_of_parent ? w->hits[h->parent].node.id : h->node.id;
        cJSON *step = step_json(&h->node, h->parent < 0 ? NULL : h->edge, field_of);

        if (!step || !cJSON_AddItemToArray(path, step)) {
            cJSON_Delete(step);
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* An edge from hit `from` back to hit `to`, one of the chain that reached `from`. */
static int add_cycle(walk *w, long from, long to, const tmfinv_graph_edge *e, int field_of_parent)
{
    cJSON *o, *path, *step;

    if (w->n_cycles++ >= TMFINV_IMPACT_MAX_LISTED)
        return 0;
    if (!(o = cJSON_CreateObject()) || !(path = cJSON_AddArrayToObject(o, "path")) || add_path(w, from, path) < 0)
        goto fail;
    step = step_json(&w->hits[to].node, e, field_of_parent ? w->hits[from].node.id : w->hits[to].node.id);
    if (!step || !cJSON_AddItemToArray(path, step)) {
        cJSON_Delete(step);
        goto fail;
    }
    if (!cJSON_AddItemToArray(w->cycles, o))
        goto fail;
    return 0;
fail:
    cJSON_Delete(o);
    return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

static int add_dangling(walk *w, long from, const tmfinv_graph_edge *e, const char *ref)
{
    cJSON *o;

    if (w->n_dangling++ >= TMFINV_IMPACT_MAX_LISTED)
        return 0;
    if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToObject(o, "from", node_json(&w->hits[from].node)) ||
        !cJSON_AddStringToObject(o, "field", e->field->name) || !cJSON_AddStringToObject(o, "ref", ref) ||
        !cJSON_AddItemToArray(w->dangling, o)) {
        cJSON_Delete(o);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

static int is_in_chain(const walk *w, long from, long to)
{
    for (long k = from; k >= 0; k = w->hits[k].parent)
        if (k == to)
            return 1;
    return 0;
}

/* Reaches `node` (taken over: moved into the walk, or cleared) from hit `from` by edge e. */
static int visit(walk *w, long from, const tmfinv_graph_edge *e, int field_of_parent, tmfinv_graph_node *node)
{
    size_t slot = slot_of(w, node->id);
    hit *h;

    if (w->slots[slot] >= 0) {
        tmfinv_graph_node_clear(node);
        return is_in_chain(w, from, w->slots[slot]) ? add_cycle(w, from, w->slots[slot], e, field_of_parent) : 0;
    }
    if (w->n >= w->cap) {
        tmfinv_graph_node_clear(node);
        w->truncated = 1;
        return 0;
    }
    h = &w->hits[w->n];
    memset(h, 0, sizeof(*h));
    h->node = *node;
    memset(node, 0, sizeof(*node));
    h->depth = w->hits[from].depth + 1;
    h->parent = from;
    h->edge = e;
    h->field_of_parent = field_of_parent;
    w->slots[slot] = (long)w->n;
    w->n++;
    return 0;
}

/* Follows the values of hit c's own edge fields that point the way of the walk. */
static int expand_fields(walk *w, long c)
{
    for (size_t i = 0; i < w->n_edges; i++) {
        const tmfinv_graph_edge *e = &w->edges[i];
        const cJSON *v, *one;
        int rc;

        if (strcmp(e->holder->name, w->hits[c].node.definition) != 0 || (w->down ? !e->inverse : e->inverse))
            continue;
        v = cJSON_GetObjectItemCaseSensitive(w->hits[c].node.fields, e->field->name);
        for (int k = 0;; k++) {
            tmfinv_graph_node found = {0};
            const char *ref;
            size_t t;

            one = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, k) : (k == 0 ? v : NULL);
            if (!one)
                break;
            if (!cJSON_IsString(one))
                continue;
            ref = one->valuestring;
            rc = TMFINV_ENOTFOUND;
            for (t = 0; t < e->n_targets && rc == TMFINV_ENOTFOUND; t++)
                rc = tmfinv_store_graph_find(w->s, w->g, e->targets[t]->name, ref, &found);
            if (rc == TMFINV_ENOTFOUND)
                rc = add_dangling(w, c, e, ref);
            else if (rc == 0)
                rc = visit(w, c, e, 1, &found);
            tmfinv_graph_node_clear(&found);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

typedef struct referrers_ctx {
    walk *w;
    long c;
} referrers_ctx;

static int on_referrer(tmfinv_graph_node *node, const char *field, void *ctx)
{
    referrers_ctx *r = ctx;
    walk *w = r->w;
    const tmfinv_graph_edge *e = edge_for(w, node->definition, field);

    /* The holder's field names this instance: it points the way of the walk when the holder
     * depends on it (down), or the holder's field is inverse (up). */
    if (!e || !targets(e, w->hits[r->c].node.definition) || (w->down ? e->inverse : !e->inverse))
        return 0;
    return visit(w, r->c, e, 0, node);
}

/* Follows the fields of other instances that name hit c (by its key, by its TMF id). */
static int expand_referrers(walk *w, long c)
{
    referrers_ctx r = {w, c};
    char *key = w->hits[c].node.key, *tmf_id = w->hits[c].node.tmf_id;
    int rc;

    if ((rc = tmfinv_store_graph_referrers(w->s, w->g, key, on_referrer, &r)) < 0)
        return rc;
    if (tmf_id && strcmp(tmf_id, key) != 0)
        rc = tmfinv_store_graph_referrers(w->s, w->g, tmf_id, on_referrer, &r);
    return rc;
}

static cJSON *direction_json(walk *w)
{
    cJSON *o = cJSON_CreateObject(), *hits;

    if (!o || !cJSON_AddNumberToObject(o, "count", (double)(w->n - 1)) ||
        !cJSON_AddBoolToObject(o, "truncated", w->truncated) || !(hits = cJSON_AddArrayToObject(o, "hits")))
        goto fail;
    for (size_t i = 1; i < w->n; i++) {
        const hit *h = &w->hits[i];
        cJSON *one = node_json(&h->node), *path;

        if (!one || !cJSON_AddItemToArray(hits, one))
            goto fail_one;
        if (!(h->node.status ? cJSON_AddStringToObject(one, "status", h->node.status)
                             : cJSON_AddNullToObject(one, "status")) ||
            !cJSON_AddBoolToObject(one, "removed", h->node.removed) ||
            !cJSON_AddNumberToObject(one, "depth", h->depth) || !(path = cJSON_AddArrayToObject(one, "path")) ||
            add_path(w, (long)i, path) < 0)
            goto fail;
        continue;
    fail_one:
        cJSON_Delete(one);
        goto fail;
    }
    cJSON_AddItemToObject(o, "cycles", w->cycles);
    w->cycles = NULL;
    cJSON_AddNumberToObject(o, "cycleCount", (double)w->n_cycles);
    cJSON_AddItemToObject(o, "dangling", w->dangling);
    w->dangling = NULL;
    cJSON_AddNumberToObject(o, "danglingCount", (double)w->n_dangling);
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* Reads the fields and TMF id of hit c (visited without them). */
static int load_full(walk *w, long c)
{
    tmfinv_graph_node full = {0};
    int rc = tmfinv_store_graph_get(w->s, w->g, w->hits[c].node.id, 1, &full);

    if (rc == 0) {
        w->hits[c].node.fields = full.fields;
        w->hits[c].node.tmf_id = full.tmf_id;
        full.fields = NULL;
        full.tmf_id = NULL;
    }
    tmfinv_graph_node_clear(&full);
    return rc;
}

/* One direction's walk from `start` (taken over) into *out. */
static int walk_one(walk *w, tmfinv_graph_node *start, cJSON **out)
{
    int rc = 0;

    *out = NULL;
    w->cap = TMFINV_IMPACT_MAX_HITS + 1;
    for (w->n_slots = 1; w->n_slots < 2 * w->cap; w->n_slots *= 2)
        ;
    w->hits = calloc(w->cap, sizeof(*w->hits));
    w->slots = malloc(w->n_slots * sizeof(*w->slots));
    w->cycles = cJSON_CreateArray();
    w->dangling = cJSON_CreateArray();
    if (!w->hits || !w->slots || !w->cycles || !w->dangling) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < w->n_slots; i++)
        w->slots[i] = -1;
    w->hits[0].node = *start;
    memset(start, 0, sizeof(*start));
    w->hits[0].parent = -1;
    w->slots[slot_of(w, w->hits[0].node.id)] = 0;
    w->n = 1;
    for (size_t c = 0; c < w->n && rc == 0; c++) {
        if (w->hits[c].depth < w->max_depth) {
            /* Its fields and TMF id now, only for the instances the walk goes on from. */
            if (c > 0 && (rc = load_full(w, (long)c)) < 0)
                break;
            if ((rc = expand_fields(w, (long)c)) == 0)
                rc = expand_referrers(w, (long)c);
        }
        /* Its fields are no longer needed (the first's serve the other direction). */
        if (c > 0) {
            cJSON_Delete(w->hits[c].node.fields);
            w->hits[c].node.fields = NULL;
        }
    }
    if (rc == 0 && !(*out = direction_json(w)))
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
out:
    if (w->hits && w->n > 0)
        *start = w->hits[0].node; /* back to the caller */
    for (size_t i = 1; i < w->n; i++)
        tmfinv_graph_node_clear(&w->hits[i].node);
    free(w->hits);
    free(w->slots);
    cJSON_Delete(w->cycles);
    cJSON_Delete(w->dangling);
    w->hits = NULL;
    w->slots = NULL;
    w->cycles = w->dangling = NULL;
    w->n = 0;
    w->truncated = 0;
    w->n_cycles = w->n_dangling = 0;
    return rc;
}

int tmfinv_graph_impact(tmfinv_store *s, const tmfinv_model *m, const char *id, int directions, int depth,
                        cJSON **out)
{
    walk w = {.s = s, .m = m, .max_depth = depth};
    tmfinv_graph_edge *edges = NULL;
    tmfinv_graph_node start = {0};
    cJSON *o = NULL, *inst, *dir;
    int rc;

    *out = NULL;
    if (depth < 1 || depth > TMFINV_IMPACT_MAX_DEPTH || directions < TMFINV_IMPACT_DOWN ||
        directions > TMFINV_IMPACT_BOTH)
        return tmfinv_error_set(TMFINV_EINVALID, "depth %d: expected 1 to %d", depth, TMFINV_IMPACT_MAX_DEPTH);
    if ((rc = tmfinv_graph_edges(m, &edges, &w.n_edges)) < 0)
        return rc;
    w.edges = edges;
    if ((rc = tmfinv_store_graph_begin(s, &w.g)) < 0 || (rc = tmfinv_store_graph_get(s, w.g, id, 1, &start)) < 0)
        goto out;
    if (!(o = cJSON_CreateObject()) || !(inst = node_json(&start)) || !cJSON_AddItemToObject(o, "instance", inst) ||
        !(start.status ? cJSON_AddStringToObject(inst, "status", start.status) : cJSON_AddNullToObject(inst, "status")) ||
        !cJSON_AddBoolToObject(inst, "removed", start.removed) ||
        !cJSON_AddStringToObject(o, "direction", directions == TMFINV_IMPACT_BOTH ? "both"
                                                 : directions == TMFINV_IMPACT_UP ? "up"
                                                                                  : "down") ||
        !cJSON_AddNumberToObject(o, "depth", depth)) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (int d = TMFINV_IMPACT_DOWN; d <= TMFINV_IMPACT_UP; d++) {
        if (!(directions & d))
            continue;
        w.down = d == TMFINV_IMPACT_DOWN;
        if ((rc = walk_one(&w, &start, &dir)) < 0)
            goto out;
        cJSON_AddItemToObject(o, w.down ? "down" : "up", dir);
    }
    *out = o;
    o = NULL;
out:
    cJSON_Delete(o);
    tmfinv_graph_node_clear(&start);
    tmfinv_store_graph_end(s, w.g);
    tmfinv_graph_edges_free(edges, w.n_edges);
    return rc;
}
