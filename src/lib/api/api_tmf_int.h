/* api_tmf_int.h: what the TMF API's files share (api_tmf.c: routes, lists and retrieval;
 * api_tmf_write.c: POST, PATCH and DELETE). Private to src/lib/api. */
#ifndef TMFINV_API_TMF_INT_H
#define TMFINV_API_TMF_INT_H

#include "daemon.h"
#include "http.h"
#include "store.h"
#include "tmfinv_buf.h"

#include <stdint.h>

#define MAX_DEFINITIONS 64  /* definitions in one collection */
#define MAX_FILTERS 64      /* distinct (attribute, operator) filters in one request */
#define MAX_VALUES 1000     /* filter values in one request, commas included */
#define MAX_SORT 8          /* sort keys */
#define MAX_FIELDS 64       /* names in fields= */
#define MAX_PATH 256        /* bytes of an attribute path, its NUL included */
#define MAX_STEPS 16        /* steps of an attribute path (the store's limit too) */
#define MAX_QUERY 256       /* query parameters the router passes at most */

typedef struct api_tmf_collection {
    const char *api;        /* the definitions' `api` */
    const char *path;       /* the collection's path, without a trailing '/' */
    const char *entity;     /* "service" or "resource", for messages */
} api_tmf_collection;

/* /service (tmf638) and /resource (tmf639). */
extern const api_tmf_collection api_tmf_services;
extern const api_tmf_collection api_tmf_resources;

/* One request's state; everything in it is released by api_tmf_request_end(). */
typedef struct api_tmf_request {
    tmfinv_http_request *req;
    tmfinv_http_response *res;
    const api_tmf_collection *coll;
    tmfinv_runtime *rt;                     /* held until request_end() */
    const char *definitions[MAX_DEFINITIONS]; /* borrowed from rt->model */
    size_t n_definitions;
    char status_path[MAX_PATH];             /* the status fields' common plain path, "" when none */
    int64_t offset, limit;
    int include_removed;
    int has_fields;                         /* fields= given: project */
    char *field_names[MAX_FIELDS];          /* owned */
    size_t n_fields;
    char *paths[MAX_QUERY + MAX_SORT];    /* owned attribute paths of filters and sort keys */
    size_t n_paths;
    char *values[MAX_VALUES];               /* owned filter values */
    const char *value_ptrs[MAX_VALUES];     /* the filters' values, grouped by filter */
    size_t n_values;
    tmfinv_tmf_filter filters[MAX_FILTERS];
    size_t n_filters;
    tmfinv_tmf_sort sort[MAX_SORT];
    size_t n_sort;
    tmfinv_buf *page;                       /* list: the page's JSON text being built (borrowed) */
    int64_t n_items;                        /* list: items in it */
} api_tmf_request;

/* Holds the runtime and collects the collection's definitions (see api_tmf.c). */
void api_tmf_request_begin(api_tmf_request *t, tmfinv_http_request *req, tmfinv_http_response *res,
                           const api_tmf_collection *coll);
void api_tmf_request_end(api_tmf_request *t);

/* Reads removed=true|false; TMFINV_EINVALID naming the parameter. */
int api_tmf_parse_removed(api_tmf_request *t);

/* Answers 400 with the last error's message when rc is TMFINV_EINVALID; returns what the
 * handler should return. */
int api_tmf_bad_request(api_tmf_request *t, int rc);

/* Finds the instance named by the path's {id} (TMF id, or instance UUID). On
 * TMFINV_ENOTFOUND the 404 is already answered. */
int api_tmf_find(api_tmf_request *t, tmfinv_instance **out);

/* The TMF representation of `inst` (new object in *out), as GET serves it. */
int api_tmf_represent(const api_tmf_request *t, const tmfinv_instance *inst, cJSON **out);

/* Appends the TMF representation of `inst` to `out` as api_tmf_represent() would print it,
 * straight from the stored text (api_tmf_render.c): 1 when written, 0 when the item needs
 * the cJSON path (nothing appended), TMFINV_ENOMEM when `out` is full. */
int api_tmf_render_fast(const api_tmf_request *t, const tmfinv_instance *inst, tmfinv_buf *out);

/* The official specification of a collection (api_tmf_specs.c). */
typedef struct api_tmf_spec_file {
    const char *file;           /* in the data folder's tmf/ */
    const char *create;         /* the definition a POST body must match */
    const char *entity;         /* the definition of what GET serves */
} api_tmf_spec_file;

struct tmfinv_tmf_spec;

/* The specification of `coll` in *out (borrowed, kept for the process's life) and its file
 * in *file, loaded now when serve did not load it (tests that drive the handlers without
 * serve). Fails as tmfinv_api_tmf_specs_load(). */
int api_tmf_spec_for(const api_tmf_collection *coll, const struct tmfinv_tmf_spec **out,
                     const api_tmf_spec_file **file);

/* The handlers of api_tmf_write.c. */
int api_tmf_create_service(tmfinv_http_request *req, tmfinv_http_response *res);
int api_tmf_create_resource(tmfinv_http_request *req, tmfinv_http_response *res);
int api_tmf_patch_service(tmfinv_http_request *req, tmfinv_http_response *res);
int api_tmf_patch_resource(tmfinv_http_request *req, tmfinv_http_response *res);
int api_tmf_delete_service(tmfinv_http_request *req, tmfinv_http_response *res);
int api_tmf_delete_resource(tmfinv_http_request *req, tmfinv_http_response *res);

#endif
