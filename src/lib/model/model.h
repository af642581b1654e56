/* model.h: the object model — definitions, sections, typed fields, owners — loaded
 * from profile data files, and the mapping of TMF JSON items onto instances.
 *
 * A profile file (data/profiles/NAME.json) lists definitions. Each definition says
 * which TMF API its items come from and which of them it takes (match), how an
 * instance is identified (key), which statuses it declares and keeps, which item
 * types it excludes, and its fields grouped in sections. Each field has a type,
 * an owner (source, local, initial), and the path(s) of the TMF JSON it is filled
 * from. See docs/object-model.md for the file format. */
#ifndef TMFINV_MODEL_H
#define TMFINV_MODEL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define TMFINV_MAX_STRING (32 * 1024) /* longest string value, in bytes */

typedef enum tmfinv_type {
    TMFINV_TYPE_STRING,
    TMFINV_TYPE_INTEGER,
    TMFINV_TYPE_DOUBLE,
    TMFINV_TYPE_BOOLEAN,
    TMFINV_TYPE_DATETIME,
    TMFINV_TYPE_ENUM,
    TMFINV_TYPE_REFERENCE,
    TMFINV_TYPE_CHARACTERISTIC /* {"name", "value" (any JSON, as sent), "valueType"} of a TMF characteristic */
} tmfinv_type;

typedef enum tmfinv_owner {
    TMFINV_OWNER_SOURCE,  /* overwritten by every sync */
    TMFINV_OWNER_LOCAL,   /* set through tmfinv only, never by a sync */
    TMFINV_OWNER_INITIAL  /* taken from the source when created, preserved afterwards */
} tmfinv_owner;

/* One step of a path: `name`, `name[*]`, `name[N]` or `name[key=value]`. */
typedef struct tmfinv_path_step {
    char *name;
    enum { STEP_PLAIN, STEP_ALL, STEP_INDEX, STEP_MATCH } kind;
    int index;          /* STEP_INDEX */
    char *match_key;    /* STEP_MATCH */
    char *match_value;  /* STEP_MATCH */
} tmfinv_path_step;

typedef struct tmfinv_path {
    char *text;         /* as written in the file */
    tmfinv_path_step *steps;
    size_t n_steps;
} tmfinv_path;

/* Longest comparable value (status, type, classification value, synonym) a profile may
 * declare, in bytes: a value of an item is folded into a buffer of this size on the stack. */
#define TMFINV_MATCH_MAX 256

/* A synonym, both sides in comparable form (see tmfinv_matching). */
typedef struct tmfinv_synonym {
    char *alias;
    char *canonical;
} tmfinv_synonym;

/* How a definition compares status, type and classification values (docs/object-model.md,
 * "Matching"): by default with surrounding ASCII white space ignored and ASCII case folded;
 * `exact` (the profile's "match": "exact") compares bytes. The comparable form of a value
 * is computed once per value; synonyms then map it to its canonical value's form. */
typedef struct tmfinv_matching {
    int exact;
    tmfinv_synonym *statuses; /* status_synonyms */
    size_t n_statuses;
    tmfinv_synonym *types;    /* type_synonyms: classification, exclusion, owner_when */
    size_t n_types;
} tmfinv_matching;

/* A condition on an item or on mapped values: `path` equals / differs from / is in. */
typedef struct tmfinv_condition {
    tmfinv_path path;
    char **values;      /* equals one of these (one value for "equals") */
    size_t n_values;
    int negate;         /* "not_equals" / "not_in" */
    char **cmp_values;  /* values in comparable form (canonical), n_values of them */
} tmfinv_condition;

/* A field's owner for instances whose mapped field `field` equals `equals`. */
typedef struct tmfinv_owner_rule {
    char *field;
    char *equals;
    tmfinv_owner owner;
    char *cmp_equals;   /* equals in comparable form (canonical) */
} tmfinv_owner_rule;

typedef struct tmfinv_field {
    char *name;
    char *section;
    tmfinv_type type;
    int is_list;        /* a list of `type` */
    int required;
    tmfinv_owner owner;
    tmfinv_owner_rule *owner_rules;
    size_t n_owner_rules;
    tmfinv_path *from;  /* alternative source paths, first non-null wins; none for local fields */
    size_t n_from;
    char *format;       /* for objects mapped to strings: "{name}={value}" */
    char **values;      /* enum values */
    size_t n_values;
    char *references;   /* definition a reference points at */
    int active_only;    /* references: only those resolving to an active instance of `references` (a sync
                         * resolves them against the store, src/lib/sync/sync_refs.c) */
    char **cmp_values;  /* enum values in comparable form */
    const tmfinv_matching *matching; /* the definition's, borrowed; NULL: exact */
    int is_status;      /* the definition's status field (status synonyms apply) */
} tmfinv_field;

typedef struct tmfinv_definition {
    char *name;
    char *profile;      /* profile that declared it */
    char *api;          /* "tmf638" or "tmf639" */
    tmfinv_condition *match; /* NULL: every item of the API not taken by an earlier definition */
    char **sections;
    size_t n_sections;
    tmfinv_field *fields;
    size_t n_fields;
    size_t key_field;   /* index into fields */
    size_t status_field;
    char **statuses;    /* declared statuses */
    size_t n_statuses;
    char **keep;        /* status rule: only these statuses are kept (NULL: all) */
    size_t n_keep;
    char **drop;        /* status rule: these statuses are not kept */
    size_t n_drop;
    tmfinv_path *type_path; /* where the item type is read for exclusion (NULL: no exclusion) */
    char **exclude_types;
    size_t n_exclude_types;
    char *fingerprint;  /* hash of the definition's text, to tell definitions apart */
    tmfinv_matching matching;
    char **keep_cmp;    /* keep, drop, exclude_types in comparable form (canonical) */
    char **drop_cmp;
    char **exclude_cmp;
    int unknown_status; /* TMFINV_UNKNOWN_*: whether an item with an undeclared status is kept */
} tmfinv_definition;

/* A definition's rule for a status outside its declared statuses and synonyms (profile key
 * "unknown_status"): absent, the status rules decide as for any status; "keep" or "drop". */
enum { TMFINV_UNKNOWN_RULES, TMFINV_UNKNOWN_KEEP, TMFINV_UNKNOWN_DROP };

typedef struct tmfinv_model {
    tmfinv_definition **definitions;
    size_t n_definitions;
} tmfinv_model;

/* Why an item was rejected: the field (may be empty) and the reason. */
typedef struct tmfinv_reject {
    char field[128];
    char reason[512];
} tmfinv_reject;

/* Loads a profile file. On success *out holds a new model (free with
 * tmfinv_model_free()). A bad file fails with TMFINV_EINVALID, the message naming
 * the file and the line (JSON syntax, text that is not UTF-8 or holds a NUL) or the
 * JSON path (content) and the problem. */
int tmfinv_model_load(const char *path, tmfinv_model **out);

/* The same for a profile's text (`len` bytes; need not end with a NUL), `name` standing
 * for the file in messages. */
int tmfinv_model_load_text(const char *name, const char *text, size_t len, tmfinv_model **out);

/* Checks the text of a page (`body`, `len` bytes) that `items` (a JSON array) was parsed
 * from: every string must be valid UTF-8 without NUL, which cJSON cannot tell once parsed.
 * One fast pass over a clean page; on a page that is not, each item holding a bad string
 * gets that string made harmless and a marker that makes tmfinv_definition_key() (when the
 * key holds it) or tmfinv_definition_map() reject the item naming the field. An element
 * that is not an object and holds a bad string becomes null. Returns 0 or TMFINV_ENOMEM. */
int tmfinv_model_mark_bad_text(cJSON *items, const char *body, size_t len);

/* Resolves a profile name ("ses", "tmf") or a path to a file name: names are looked up
 * in the data folder's profiles/ ($TMFINV_DATA_DIR, else beside the executable; see
 * docs/install.md). New string in *out. */
int tmfinv_model_profile_path(const char *profile, char **out);

/* Adds the definitions of `from` to `into`, taking ownership of them (from is freed).
 * A definition with the same name must be identical (same fingerprint), else
 * TMFINV_EINVALID. */
int tmfinv_model_merge(tmfinv_model *into, tmfinv_model *from);

void tmfinv_model_free(tmfinv_model *m);

/* The definition called `name`, or NULL. */
const tmfinv_definition *tmfinv_model_find(const tmfinv_model *m, const char *name);

/* The field called `name` of `d`, or NULL. */
const tmfinv_field *tmfinv_definition_field(const tmfinv_definition *d, const char *name);

/* The definition of `m` that takes `item` from `api`, or NULL when none does. */
const tmfinv_definition *tmfinv_model_classify(const tmfinv_model *m, const char *api, const cJSON *item);

/* The first value at `path` in `item`, or NULL. Borrowed from `item`. */
const cJSON *tmfinv_path_first(const tmfinv_path *path, const cJSON *item);

/* 1 when every step of `path` is a plain member name (no selection in arrays). */
int tmfinv_path_is_plain(const tmfinv_path *path);

/* Writes `value` (copied; NULL: removes the member) at the plain path `path` of `item`,
 * creating objects on the way; a non-object on the way leaves the item as it is. How a
 * local or initial field's value is put back into the TMF entity (the TMF API, events). */
int tmfinv_path_write(cJSON *item, const tmfinv_path *path, const cJSON *value);

/* The item's key as a new string in *out (free() it), without the white space around
 * it; *out is NULL when the key is missing, empty or only white space. Numbers are
 * written in decimal. Returns 0, TMFINV_EINVALID when
 * the key is there but of the wrong shape (an object, array or boolean) or its text is
 * not valid UTF-8 or holds a NUL (message says which), or TMFINV_ENOMEM. */
int tmfinv_definition_key(const tmfinv_definition *d, const cJSON *item, char **out);

/* The status the item sends, exactly as sent (borrowed), or NULL when absent or not a string. */
const char *tmfinv_definition_source_status(const tmfinv_definition *d, const cJSON *item);

/* 1 when the item has a non-null value where its status is read (of any type). */
int tmfinv_definition_status_present(const tmfinv_definition *d, const cJSON *item);

/* 1 when `type` of `item` is excluded by `d` (the type read, as sent, goes to *type).
 * Compared as the definition's matching says (type synonyms apply). */
int tmfinv_definition_excluded(const tmfinv_definition *d, const cJSON *item, const char **type);

/* 1 when `type` counts as one of `types` (a source's exclude_types) under the matching
 * of `d`, type synonyms applied to both sides. */
int tmfinv_definition_type_listed(const tmfinv_definition *d, const char *type, char *const *types, size_t n);

/* 1 when the status rules of `d` keep an item whose source status is `status` (may be
 * NULL). Compared as the definition's matching says (status synonyms apply). */
int tmfinv_definition_keeps(const tmfinv_definition *d, const char *status);

/* 1 when `status` (may be NULL: no status) is one of the statuses `d` declares, or one of
 * their synonyms, compared as the definition's matching says; also 1 when `d` declares none. */
int tmfinv_definition_status_known(const tmfinv_definition *d, const char *status);

/* Calls fn(ctx, field, value) for each value `item` sends to an enum field of `d` (not
 * local) that is not one of the field's values (the status field: not a declared status
 * nor a synonym), in field order; stops at and returns fn's first negative return. Such a
 * value is stored as sent (tmfinv_definition_map() accepts it); this is how it is reported. */
typedef int (*tmfinv_unknown_fn)(void *ctx, const tmfinv_field *f, const char *value);
int tmfinv_definition_unknown_values(const tmfinv_definition *d, const cJSON *item, tmfinv_unknown_fn fn, void *ctx);

/* Maps `item` onto the source and initial fields of `d` and validates them. On success
 * *out is a new JSON object (field name to value; absent values left out). On a
 * validation failure returns TMFINV_EINVALID with `why` filled (a value of an enum field
 * that is not one of its values is no failure: it is kept as sent, see
 * tmfinv_definition_unknown_values()); this includes an item
 * that tmfinv_model_mark_bad_text() marked (why->field: the field that maps the bad
 * string, or its JSON path in the item when none does). */
int tmfinv_definition_map(const tmfinv_definition *d, const cJSON *item, cJSON **out, tmfinv_reject *why);

/* Maps one source or initial field `f` of `item` as tmfinv_definition_map() does (no text
 * check: for an item already stored). *out is the new value, NULL when there is none (or
 * `f` is local). 0, TMFINV_EINVALID with `why` filled, or TMFINV_ENOMEM. */
int tmfinv_field_map(const tmfinv_field *f, const cJSON *item, cJSON **out, tmfinv_reject *why);

/* The owner of field `f` for an instance whose mapped values are `values`. */
tmfinv_owner tmfinv_field_owner(const tmfinv_field *f, const cJSON *values);

/* Converts the text `text` given by a person to a value of field `f` (lists: comma
 * separated) and validates it. New value in *out, or TMFINV_EINVALID with a message
 * (text that is not valid UTF-8 is refused before anything else). */
int tmfinv_field_parse(const tmfinv_definition *d, const tmfinv_field *f, const char *text, cJSON **out);

/* Validates one value of field `f` (strings: valid UTF-8, at most TMFINV_MAX_STRING bytes).
 * 0, or TMFINV_EINVALID with why->reason filled. */
int tmfinv_field_validate(const tmfinv_field *f, const cJSON *value, tmfinv_reject *why);

/* A characteristic value (one element or a list of them) as text: each element as
 * `name<equals>value`, a string value as it is and any other as compact JSON, plus
 * ` (valueType)` when with_type and the element has one; elements joined by `separator`.
 * New string (free() it), NULL when out of memory. */
char *tmfinv_characteristic_format(const cJSON *value, const char *equals, const char *separator, int with_type);

const char *tmfinv_type_name(tmfinv_type t);
const char *tmfinv_owner_name(tmfinv_owner o);

#endif
