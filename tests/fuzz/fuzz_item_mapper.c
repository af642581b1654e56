/* fuzz_item_mapper.c: one TMF item (the input, as a page "[input]") through what the sync
 * does to it: the page text check, classification, key, exclusion, status rules, map and
 * validate, owners, under both shipped profiles (ses and tmf, loaded once), and the
 * values a person may type for `set`.
 *
 * Checked besides the sanitizers: the text tokenizer follows every page cJSON accepts; an
 * item holding a string that is not UTF-8 or holds a NUL is never mapped; every value
 * that is mapped is valid UTF-8. */
#include "fuzz.h"

#include "model.h"
#include "tmfinv_error.h"
#include "tmfinv_jsontext.h"
#include "tmfinv_utf8.h"

#include <string.h>

#define MAX_ITEMS 64

static tmfinv_model *models[2];

static void load_models(void)
{
    static const char *const names[2] = {"ses", "tmf"};

    for (int i = 0; i < 2; i++) {
        char *path = NULL;

        if (tmfinv_model_profile_path(names[i], &path) < 0 || tmfinv_model_load(path, &models[i]) < 0) {
            fprintf(stderr, "fuzz_item_mapper: %s\n", tmfinv_error_last());
            abort();
        }
        free(path);
    }
}

typedef struct bad_items {
    unsigned char bad[MAX_ITEMS];
} bad_items;

static int note_bad(const tmfinv_jsontext_bad *b, void *ctx)
{
    bad_items *items = ctx;

    if (b->element < MAX_ITEMS)
        items->bad[b->element] = 1;
    return 0;
}

/* Every string of `v` (member names included) is valid UTF-8. */
static int all_valid(const cJSON *v)
{
    const cJSON *c;

    if (v->string && !tmfinv_utf8_valid(v->string, strlen(v->string)))
        return 0;
    if (cJSON_IsString(v) && !tmfinv_utf8_valid(v->valuestring, strlen(v->valuestring)))
        return 0;
    for (c = v->child; c; c = c->next)
        if (!all_valid(c))
            return 0;
    return 1;
}

static void one_definition(const tmfinv_definition *d, const cJSON *item, int bad)
{
    tmfinv_reject why;
    cJSON *values = NULL;
    const char *status, *type;
    char *key = NULL;
    int rc;

    rc = tmfinv_definition_key(d, item, &key);
    FUZZ_CHECK(rc == 0 || rc == TMFINV_EINVALID);
    FUZZ_CHECK(!key || tmfinv_utf8_valid(key, strlen(key)));
    free(key);
    status = tmfinv_definition_source_status(d, item);
    (void)tmfinv_definition_status_present(d, item);
    (void)tmfinv_definition_excluded(d, item, &type);
    (void)tmfinv_definition_keeps(d, status);
    memset(&why, 0, sizeof(why));
    rc = tmfinv_definition_map(d, item, &values, &why);
    FUZZ_CHECK(rc == 0 || rc == TMFINV_EINVALID);
    if (rc == 0) {
        FUZZ_CHECK(!bad);
        FUZZ_CHECK(all_valid(values));
        for (size_t i = 0; i < d->n_fields; i++)
            (void)tmfinv_field_owner(&d->fields[i], values);
        cJSON_Delete(values);
    } else {
        FUZZ_CHECK(tmfinv_utf8_valid(why.reason, strlen(why.reason)));
    }
}

/* The input as text typed for `tmfinv set` into each field of `d`. */
static void typed_values(const tmfinv_definition *d, const uint8_t *data, size_t size)
{
    char text[256];
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

    memcpy(text, data, n);
    text[n] = '\0';
    for (size_t i = 0; i < d->n_fields; i++) {
        cJSON *v = NULL;

        if (tmfinv_field_parse(d, &d->fields[i], text, &v) == 0) {
            FUZZ_CHECK(all_valid(v));
            cJSON_Delete(v);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const apis[2] = {"tmf638", "tmf639"};
    bad_items bad = {{0}};
    char *page;
    cJSON *items, *item;
    size_t len = size + 2, index = 0;
    int clean, rc;

    if (!models[0])
        load_models();
    if (size > 1024 * 1024)
        return 0;
    page = malloc(len);
    if (!page)
        return 0;
    page[0] = '[';
    memcpy(page + 1, data, size);
    page[len - 1] = ']';
    items = cJSON_ParseWithLengthOpts(page, len, NULL, 0);
    if (!cJSON_IsArray(items))
        goto out;
    clean = tmfinv_jsontext_clean(page, len);
    if (!clean) {
        rc = tmfinv_jsontext_bad_strings(page, len, note_bad, &bad);
        FUZZ_CHECK(rc == 0 || rc == TMFINV_ENOMEM);
    }
    rc = tmfinv_model_mark_bad_text(items, page, len);
    FUZZ_CHECK(rc == 0 || rc == TMFINV_ENOMEM);
    cJSON_ArrayForEach(item, items) {
        int is_bad = index < MAX_ITEMS ? bad.bad[index] : 0;

        for (int m = 0; m < 2; m++)
            for (int a = 0; a < 2; a++) {
                const tmfinv_definition *d = tmfinv_model_classify(models[m], apis[a], item);

                if (d)
                    one_definition(d, item, is_bad);
            }
        if (++index >= MAX_ITEMS)
            break;
    }
    if (size < 256)
        typed_values(models[0]->definitions[0], data, size);
out:
    cJSON_Delete(items);
    free(page);
    return 0;
}
