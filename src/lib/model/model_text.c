/* model_text.c: every string tmfinv stores is valid UTF-8 without NUL. An item whose text
 * breaks that rule is rejected naming the field, like any invalid value.
 *
 * cJSON keeps invalid bytes as they are and turns an escaped NUL into the end of the C
 * string ("before\u0000after" reads as "before"), so only the page text tells. The sync is
 * speed-bound, so a page is still parsed once: one pass over its bytes says whether it is
 * clean (nearly always); only when it is not does a tokenizer find each bad string, which
 * is made harmless in the tree (bytes that are not UTF-8 become '?') and recorded in a
 * marker member appended to its item. The rules (key and map) reject an item that carries
 * the marker, naming the field that maps the string or, when no field does, its JSON path:
 * the item as sent is stored and served too. */
#include "model.h"
#include "model_int.h"

#include "tmfinv_error.h"
#include "tmfinv_jsontext.h"
#include "tmfinv_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The marker's member name is not valid UTF-8, so a clean page cannot hold one, and a page
 * that does is not clean: its items are checked and marked by us. */
#define MARK_NAME "\xff" "tmfinv:bad-text"
#define CHAIN_MAX 64 /* levels below the item followed to tell which field maps a string */

/* The marker of `item` (always its last member), or NULL. */
static const cJSON *marker_of(const cJSON *item)
{
    const cJSON *last = cJSON_IsObject(item) && item->child ? item->child->prev : NULL;

    return last && last->string && strcmp(last->string, MARK_NAME) == 0 ? last : NULL;
}

static cJSON *child_at(cJSON *node, size_t k)
{
    cJSON *c = node ? node->child : NULL;

    while (c && k--)
        c = c->next;
    return c;
}

void model_clean_line(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    model_make_valid(s);
}

void model_make_valid(char *s)
{
    size_t n = strlen(s), i = 0, k;

    while ((k = tmfinv_utf8_invalid_at(s + i, n - i)) < n - i) {
        s[i + k] = '?';
        i += k + 1;
    }
}

typedef struct mark_ctx {
    cJSON *items;
    cJSON *item;  /* the element the scan is in */
    size_t index; /* its position */
    int rc;
} mark_ctx;

static int add_marker(cJSON *item, const tmfinv_jsontext_bad *b)
{
    cJSON *mark = cJSON_CreateObject(), *at = cJSON_CreateArray();
    size_t k;

    if (!mark || !at)
        goto fail;
    cJSON_AddItemToObject(mark, "at", at);
    for (k = 0; k < b->depth; k++) {
        cJSON *n = cJSON_CreateNumber((double)b->at[k]);

        if (!n)
            goto fail_mark;
        cJSON_AddItemToArray(at, n);
    }
    if (!cJSON_AddStringToObject(mark, "path", b->path) || !cJSON_AddStringToObject(mark, "reason", b->reason) ||
        !cJSON_AddBoolToObject(mark, "name", b->in_name))
        goto fail_mark;
    cJSON_AddItemToObject(item, MARK_NAME, mark);
    return 0;
fail:
    cJSON_Delete(at);
fail_mark:
    cJSON_Delete(mark);
    return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
}

static int mark_one(const tmfinv_jsontext_bad *b, void *ctx)
{
    mark_ctx *m = ctx;
    cJSON *node;
    size_t k;

    while (m->item && m->index < b->element) {
        m->item = m->item->next;
        m->index++;
    }
    if (!m->item)
        return 0;
    if (!cJSON_IsObject(m->item)) {
        /* Rejected as "not an object" by the sync, which reports a string item's text:
         * a null says the same without the bad text. */
        cJSON *null = cJSON_CreateNull();

        if (!null) {
            m->rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            return 1;
        }
        (void)cJSON_ReplaceItemViaPointer(m->items, m->item, null);
        m->item = null;
        return 0;
    }
    node = m->item;
    for (k = 0; k < b->depth && node; k++)
        node = child_at(node, b->at[k]);
    if (node && b->in_name && node->string && !(node->type & cJSON_StringIsConst))
        model_make_valid(node->string);
    else if (node && !b->in_name && cJSON_IsString(node))
        model_make_valid(node->valuestring);
    if (!marker_of(m->item) && (m->rc = add_marker(m->item, b)) < 0)
        return 1;
    return 0;
}

int tmfinv_model_mark_bad_text(cJSON *items, const char *body, size_t len)
{
    mark_ctx m = {.items = items, .item = items ? items->child : NULL};
    int rc;

    if (!cJSON_IsArray(items) || tmfinv_jsontext_clean(body, len))
        return 0;
    rc = tmfinv_jsontext_bad_strings(body, len, mark_one, &m);
    if (rc == 0)
        rc = m.rc;
    if (rc == TMFINV_EINVALID || rc == TMFINV_ELIMIT) {
        /* Text the parser took but the tokenizer cannot follow: no string can be placed,
         * so no item of the page can be trusted. */
        tmfinv_jsontext_bad all = {.path = "", .reason = "text that is not valid UTF-8 or holds a NUL"};
        cJSON *item;

        rc = 0;
        cJSON_ArrayForEach(item, items) {
            if (cJSON_IsObject(item) && !marker_of(item) && (rc = add_marker(item, &all)) < 0)
                break;
        }
    }
    return rc;
}

typedef struct cover_ctx {
    const cJSON *chain[CHAIN_MAX]; /* the bad string's node and its ancestors below the item */
    size_t n;
    int found;
} cover_ctx;

static int cover_visit(const cJSON *value, void *ctx)
{
    cover_ctx *c = ctx;

    for (size_t i = 0; i < c->n; i++)
        if (c->chain[i] == value) {
            c->found = 1;
            return 1;
        }
    return 0;
}

/* 1 when a source path of `f` reaches the bad string or a value that holds it. */
static int field_covers(const tmfinv_field *f, const cJSON *item, cover_ctx *c)
{
    if (f->owner == TMFINV_OWNER_LOCAL)
        return 0;
    c->found = 0;
    for (size_t k = 0; k < f->n_from && !c->found; k++)
        (void)model_path_walk(f->from[k].steps, f->from[k].n_steps, item, cover_visit, c);
    return c->found;
}

int model_item_bad_text(const tmfinv_definition *d, const cJSON *item, int key_only, tmfinv_reject *why)
{
    const cJSON *mark = marker_of(item), *el;
    const cJSON *at;
    cJSON *node = (cJSON *)item;
    cover_ctx c = {.n = 0};
    const char *where, *path, *reason;
    size_t i;

    if (!mark)
        return 0;
    path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mark, "path"));
    reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(mark, "reason"));
    if (!path || !reason) {
        path = "";
        reason = "text that is not valid UTF-8 or holds a NUL";
    }
    at = cJSON_GetObjectItemCaseSensitive(mark, "at");
    where = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mark, "name")) ? "the member name " : "";
    cJSON_ArrayForEach(el, at) {
        if (!cJSON_IsNumber(el) || el->valuedouble < 0 || !(node = child_at(node, (size_t)el->valuedouble)))
            break;
        if (c.n < CHAIN_MAX)
            c.chain[c.n++] = node;
    }
    for (i = 0; i < d->n_fields; i++) {
        const tmfinv_field *f = &d->fields[i];

        if (key_only && i != d->key_field)
            continue;
        if (c.n && field_covers(f, item, &c)) {
            (void)snprintf(why->field, sizeof(why->field), "%s", f->name);
            (void)snprintf(why->reason, sizeof(why->reason), "%s in %s'%s'", reason, where,
                           path);
            return 1;
        }
    }
    if (key_only)
        return 0;
    (void)snprintf(why->field, sizeof(why->field), "%s", path);
    (void)snprintf(why->reason, sizeof(why->reason),
                   "%s in %s'%s' (no field maps it, but the item is stored as sent: every string must be valid "
                   "UTF-8 without NUL)",
                   reason, where, path);
    return 1;
}
