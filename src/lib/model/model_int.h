/* model_int.h: what the model's files share and nobody else sees (model.c, model_load.c,
 * model_path.c, model_map.c, model_text.c, model_match.c). */
#ifndef TMFINV_MODEL_INT_H
#define TMFINV_MODEL_INT_H

#include "model.h"

extern const char *const model_type_names[8];  /* indexed by tmfinv_type */
extern const char *const model_owner_names[3]; /* indexed by tmfinv_owner */

/* Freeing (model.c); each accepts NULL or a zeroed value. */
void model_strv_free(char **v, size_t n);
void model_path_clear(tmfinv_path *p);
void model_condition_free(tmfinv_condition *c);
void model_definition_free(tmfinv_definition *d);

/* The index of `s` in `v`, or -1. */
int model_index_of(char **v, size_t n, const char *s);

/* Paths (model_path.c). */
typedef int (*model_path_visit_fn)(const cJSON *value, void *ctx); /* return 1 to stop */

/* Parses "a.b[k=v].c[*]" into steps. Returns 0 or TMFINV_EINVALID (message: the problem). */
int model_path_parse(const char *text, tmfinv_path *out);

/* Calls `fn` for every non-null value at `steps` below `node`, in document order.
 * Returns 1 when fn asked to stop. */
int model_path_walk(const tmfinv_path_step *steps, size_t n, const cJSON *node, model_path_visit_fn fn, void *ctx);

/* 1 when the JSON scalar `v` written as text equals `text`. */
int model_scalar_equals(const cJSON *v, const char *text);

/* "an object", "a string"…, for messages. */
const char *model_json_kind(const cJSON *v);

/* 1 when every source path of `f` meets a member of the wrong shape; what it met in `what`. */
int model_field_wrong_shape(const tmfinv_field *f, const cJSON *item, char *what, size_t size);

/* Matching (model_match.c). The kinds of value: which synonyms apply. */
enum { MODEL_MATCH_PLAIN, MODEL_MATCH_STATUS, MODEL_MATCH_TYPE };

/* The comparable form of `s`: `s` itself when `m` is NULL or exact, else trimmed and
 * ASCII-folded into `buf`; NULL when longer than any declared value can be. */
const char *model_match_form(const tmfinv_matching *m, const char *s, char buf[TMFINV_MATCH_MAX]);

/* The canonical form for `form` through synonyms `syn` (itself when none applies). */
const char *model_match_resolve(const tmfinv_synonym *syn, size_t n, const char *form);

/* Form and synonyms of `kind` in one: what `s` counts as. */
const char *model_match_value(const tmfinv_matching *m, int kind, const char *s, char buf[TMFINV_MATCH_MAX]);

/* The same for a JSON scalar (numbers and booleans as text); NULL for anything else. */
const char *model_match_scalar(const tmfinv_matching *m, int kind, const cJSON *v, char buf[TMFINV_MATCH_MAX]);

/* The index of `form` in the comparable list `cmp`, or -1 (also when form is NULL). */
int model_match_in(char *const *cmp, size_t n, const char *form);

/* Puts every compared value of `d` in comparable form (after loading). */
int model_match_prepare(tmfinv_definition *d);

void model_match_clear(tmfinv_matching *m);

/* 1 when `value` is one of enum field `f`'s values, as the field's matching says. */
int model_enum_known(const tmfinv_field *f, const char *value);

int model_condition_holds(const tmfinv_matching *m, const tmfinv_condition *c, const cJSON *item);

/* The first value of `f`'s source paths in `item`, or NULL. Borrowed. */
const cJSON *model_field_first(const tmfinv_field *f, const cJSON *item);

/* Replaces every byte of `s` that is not part of valid UTF-8 by '?', in place. */
void model_make_valid(char *s);

/* The same, and control characters too: a message built from input stays one line of
 * text (model_text.c). */
void model_clean_line(char *s);

/* Text checks (model_text.c). When tmfinv_model_mark_bad_text() found a string in `item`
 * that is not valid UTF-8 or holds a NUL, fills `why` (the field of `d` that maps it, else
 * the item's JSON path, and the reason) and returns 1; else 0. `key_only`: answer 1 only
 * when the key field of `d` maps the bad string. */
int model_item_bad_text(const tmfinv_definition *d, const cJSON *item, int key_only, tmfinv_reject *why);

#endif
