/* api_tmf.c: the TMF638 Service Inventory and TMF639 Resource Inventory v4 API over the
 * mirror — list and retrieve with TMF630 paging, projection, attribute filters and sort
 * (docs/api-tmf.md), and the route table of the whole TMF API.
 *
 * A collection is the set of instances of the definitions whose `api` is tmf638
 * (/service: services and carriers) or tmf639 (/resource). An item is the entity as the
 * source sent it (`raw`), with the stored values of local and initial fields written
 * where their first source path points, and `href` pointing at tmfinv. POST, PATCH and
 * DELETE are in api_tmf_write.c. Query parameters
 * are checked here (every bad one is a 400 naming it); the SQL is built by the store
 * (tmfinv_store_tmf_*), with every value and path bound as a parameter. */
#include "api.h"
#include "api_tmf_int.h"
#include "daemon.h"
#include "events.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const api_tmf_collection api_tmf_services = {"tmf638", "/tmf-api/serviceInventory/v4/service", "service"};
const api_tmf_collection api_tmf_resources = {"tmf639", "/tmf-api/resourceInventoryManagement/v4/resource", "resource"};

/* ---- setup -------------------------------------------------------------------------- */

/* Holds the runtime and collects the collection's definitions and their common status
 * path: filters and sort keys on that path use the stored status (what items show,
 * preserved modem statuses included) rather than the status the source sent. */
void api_tmf_request_begin(api_tmf_request *t, tmfinv_http_request *req, tmfinv_http_response *res,
                          const api_tmf_collection *coll)
{
    const tmfinv_model *m;
    int status_ok = 1;

    memset(t, 0, sizeof(*t));
    t->req = req;
    t->res = res;
    t->coll = coll;
    t->rt = tmfinv_daemon_acquire(req->app);
    m = t->rt->model;
    for (size_t i = 0; i < m->n_definitions && t->n_definitions < MAX_DEFINITIONS; i++) {
        const tmfinv_definition *d = m->definitions[i];
        const tmfinv_field *sf = &d->fields[d->status_field];

        if (strcmp(d->api, coll->api) != 0)
            continue;
        t->definitions[t->n_definitions++] = d->name;
        if (sf->n_from != 1 || sf->is_list || !tmfinv_path_is_plain(&sf->from[0]) || strlen(sf->from[0].text) >= MAX_PATH)
            status_ok = 0;
        else if (!t->status_path[0])
            (void)snprintf(t->status_path, sizeof(t->status_path), "%s", sf->from[0].text);
        else if (strcmp(t->status_path, sf->from[0].text) != 0)
            status_ok = 0;
    }
    if (!status_ok)
        t->status_path[0] = '\0';
}

void api_tmf_request_end(api_tmf_request *t)
{
    for (size_t i = 0; i < t->n_fields; i++)
        free(t->field_names[i]);
    for (size_t i = 0; i < t->n_paths; i++)
        free(t->paths[i]);
    for (size_t i = 0; i < t->n_values; i++)
        free(t->values[i]);
    if (t->rt)
        tmfinv_daemon_release(t->req->app, t->rt);
}

/* ---- query parameters ---------------------------------------------------------------- */

static int is_reserved(const char *name)
{
    return strcmp(name, "offset") == 0 || strcmp(name, "limit") == 0 || strcmp(name, "fields") == 0 ||
           strcmp(name, "sort") == 0 || strcmp(name, "removed") == 0;
}

/* 1 when `s` (n bytes) is an attribute name: [A-Za-z@_][A-Za-z0-9@_]*. */
static int is_name(const char *s, size_t n)
{
    static const char rest[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@_";

    if (n == 0 || strchr("0123456789", s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(rest, s[i]))
            return 0;
    return 1;
}

/* 1 when `s` is a dotted attribute path: names separated by single dots. */
static int is_path(const char *s)
{
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);

        if (!is_name(s, len))
            return 0;
        if (!dot)
            return 1;
        s = dot + 1;
    }
}

/* 0 when `path` is an attribute path within the limits (MAX_PATH - 1 bytes, MAX_STEPS
 * steps), else TMFINV_EINVALID with a message that starts with `param` and names the
 * limit, so that nothing beyond them reaches the store. */
static int check_path(const char *param, const char *path)
{
    size_t steps = 1;

    for (const char *p = path; *p; p++)
        steps += *p == '.';
    if (strlen(path) >= MAX_PATH)
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s: attribute path '%.60s...' is longer than %d bytes (the limit)",
                                param, path, MAX_PATH - 1);
    if (!is_path(path))
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s: '%.100s' is not an attribute path (names of letters, digits,"
                                                 " '@' and '_' separated by dots)", param, path);
    if (steps > MAX_STEPS)
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s: attribute path '%.100s' has %zu steps, more than %d (the"
                                                 " limit)", param, path, steps, MAX_STEPS);
    return 0;
}

/* Keeps a new copy of `s` (n bytes) among the request's paths; NULL when out of room. */
static char *keep_path(api_tmf_request *t, const char *s, size_t n)
{
    char *copy;

    if (t->n_paths >= sizeof(t->paths) / sizeof(t->paths[0]) || !(copy = strndup(s, n)))
        return NULL;
    t->paths[t->n_paths++] = copy;
    return copy;
}

/* Reads offset, limit and removed. TMFINV_EINVALID with the message naming the
 * parameter when one is bad. */
static int parse_paging(api_tmf_request *t)
{
    const char *v;
    int max = t->rt->cfg->http.max_limit;

    t->offset = 0;
    t->limit = t->rt->cfg->http.default_limit;
    if ((v = tmfinv_http_query(t->req, "offset")) && tmfinv_parse_int64(v, 0, INT64_C(1) << 52, &t->offset) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "offset: '%.60s' is not a whole number from 0", v);
    if ((v = tmfinv_http_query(t->req, "limit")) && tmfinv_parse_int64(v, 1, max, &t->limit) < 0)
        return tmfinv_error_set(TMFINV_EINVALID, "limit: '%.60s' is not a whole number from 1 to %d (the largest page)",
                                v, max);
    return 0;
}

int api_tmf_parse_removed(api_tmf_request *t)
{
    const char *v = tmfinv_http_query(t->req, "removed");

    if (!v || strcmp(v, "false") == 0)
        t->include_removed = 0;
    else if (strcmp(v, "true") == 0)
        t->include_removed = 1;
    else
        return tmfinv_error_set(TMFINV_EINVALID, "removed: '%.60s' is not true or false", v);
    return 0;
}

/* Reads fields=a,b (first-level attributes) or fields=none. */
static int parse_fields(api_tmf_request *t)
{
    const char *v = tmfinv_http_query(t->req, "fields"), *p;

    if (!v)
        return 0;
    t->has_fields = 1;
    if (strcmp(v, "none") == 0)
        return 0;
    for (p = v;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);

        if (!is_name(p, n))
            return tmfinv_error_set(TMFINV_EINVALID,
                                    "fields: '%.*s' is not a first-level attribute name (fields=a,b or fields=none)",
                                    (int)(n > 100 ? 100 : n), p);
        if (t->n_fields >= MAX_FIELDS)
            return tmfinv_error_set(TMFINV_EINVALID, "fields: more than %d names", MAX_FIELDS);
        if (!(t->field_names[t->n_fields] = strndup(p, n)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        t->n_fields++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Reads sort=a,-b,+c.d. */
static int parse_sort(api_tmf_request *t)
{
    const char *v = tmfinv_http_query(t->req, "sort"), *p;

    if (!v)
        return 0;
    for (p = v;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        tmfinv_tmf_sort *k;
        char *path;
        int rc;

        if (t->n_sort >= MAX_SORT)
            return tmfinv_error_set(TMFINV_EINVALID, "sort: more than %d keys", MAX_SORT);
        k = &t->sort[t->n_sort];
        memset(k, 0, sizeof(*k));
        if (n > 0 && (p[0] == '-' || p[0] == '+')) {
            k->descending = p[0] == '-';
            p++;
            n--;
        }
        if (!(path = keep_path(t, p, n)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        if ((rc = check_path("sort", path)) < 0)
            return rc;
        k->path = path;
        k->on_status = t->status_path[0] && strcmp(path, t->status_path) == 0;
        t->n_sort++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Splits a filter parameter into its attribute path (new string in *path), operator
 * and value: `a=v`, `a.gt=v` (gt, gte, lt, lte, eq), and the URL forms `a>=v`, `a<=v`,
 * `a>v`, `a<v`. */
static int filter_name(api_tmf_request *t, const char *name, const char *value, char **path, tmfinv_tmf_op *op,
                       const char **out_value)
{
    static const struct {
        const char *suffix;
        tmfinv_tmf_op op;
    } ops[] = {{"gt", TMFINV_TMF_GT}, {"gte", TMFINV_TMF_GTE}, {"lt", TMFINV_TMF_LT},
               {"lte", TMFINV_TMF_LTE}, {"eq", TMFINV_TMF_EQ}};
    static const char *const unsupported[] = {"ne", "neq", "nin", "in", "regex", "like", "contains", "exists"};
    size_t n = strlen(name);
    const char *cmp = strpbrk(name, "<>");

    *op = TMFINV_TMF_EQ;
    *out_value = value;
    if (n == 0)
        return tmfinv_error_set(TMFINV_EINVALID, "a filter with an empty attribute name (=%.60s)", value);
    if (cmp && cmp[1] == '\0') {
        /* a>=v, a<=v: the '=' ended the name. */
        *op = *cmp == '>' ? TMFINV_TMF_GTE : TMFINV_TMF_LTE;
        n = (size_t)(cmp - name);
    } else if (cmp && !*value) {
        /* a>v, a<v: no '=' at all. */
        *op = *cmp == '>' ? TMFINV_TMF_GT : TMFINV_TMF_LT;
        *out_value = cmp + 1;
        n = (size_t)(cmp - name);
    } else if (n > 0 && (name[n - 1] == '!' || name[n - 1] == '*')) {
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s: operator '%s=' is not supported (gt, gte, lt, lte, eq are)",
                                name, name[n - 1] == '!' ? "!" : "*");
    } else {
        const char *dot = strrchr(name, '.');

        for (size_t i = 0; dot && i < sizeof(ops) / sizeof(ops[0]); i++)
            if (strcmp(dot + 1, ops[i].suffix) == 0) {
                *op = ops[i].op;
                n = (size_t)(dot - name);
                break;
            }
        for (size_t i = 0; dot && i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
            if (strcmp(dot + 1, unsupported[i]) == 0)
                return tmfinv_error_set(TMFINV_EINVALID,
                                        "%.100s: operator '%s' is not supported (gt, gte, lt, lte, eq are)", name,
                                        unsupported[i]);
    }
    if (n == 0)
        return tmfinv_error_set(TMFINV_EINVALID, "%.100s: empty attribute name before the operator", name);
    if (!(*path = keep_path(t, name, n)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return check_path(name, *path);
}

/* Adds the comma-separated values of `value` to the value list. */
static int add_values(api_tmf_request *t, const char *name, const char *value)
{
    for (const char *p = value;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);

        if (t->n_values >= MAX_VALUES)
            return tmfinv_error_set(TMFINV_EINVALID, "%.100s: more than %d filter values in one request", name,
                                    MAX_VALUES);
        if (!(t->values[t->n_values] = strndup(p, n)))
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        t->value_ptrs[t->n_values] = t->values[t->n_values];
        t->n_values++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Reads every parameter that is not reserved as a filter. Parameters with the same
 * attribute and operator are one filter whose values are OR-ed (TMF630: `a=x,y` and
 * repeated `a=x&a=y`); distinct filters are AND-ed. */
static int parse_filters(api_tmf_request *t)
{
    struct {
        const char *name;
        char *path;
        tmfinv_tmf_op op;
        const char *value;
        int grouped;
    } params[MAX_QUERY];
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < t->req->n_query && n < MAX_QUERY; i++) {
        const tmfinv_http_param *p = &t->req->query[i];

        if (is_reserved(p->name))
            continue;
        params[n].name = p->name;
        params[n].grouped = 0;
        if ((rc = filter_name(t, p->name, p->value, &params[n].path, &params[n].op, &params[n].value)) < 0)
            return rc;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        tmfinv_tmf_filter *f;

        if (params[i].grouped)
            continue;
        if (t->n_filters >= MAX_FILTERS)
            return tmfinv_error_set(TMFINV_EINVALID, "%.100s: more than %d filters", params[i].name, MAX_FILTERS);
        f = &t->filters[t->n_filters++];
        memset(f, 0, sizeof(*f));
        f->path = params[i].path;
        f->op = params[i].op;
        f->on_status = f->op == TMFINV_TMF_EQ && t->status_path[0] && strcmp(f->path, t->status_path) == 0;
        f->values = &t->value_ptrs[t->n_values];
        for (size_t k = i; k < n; k++) {
            if (params[k].grouped || params[k].op != f->op || strcmp(params[k].path, f->path) != 0)
                continue;
            params[k].grouped = 1;
            if ((rc = add_values(t, params[k].name, params[k].value)) < 0)
                return rc;
        }
        f->n_values = (size_t)(&t->value_ptrs[t->n_values] - f->values);
    }
    return 0;
}

/* ---- representation ------------------------------------------------------------------ */

/* The TMF representation of `inst` as a new object in *out: the entity as events carry it
 * (tmfinv_events_entity: the item as the source sent it, local and initial fields written at
 * their plain source path, `id`, `href` pointing at tmfinv), projected to id, href and the
 * fields= names when fields= was given. */
int api_tmf_represent(const api_tmf_request *t, const tmfinv_instance *inst, cJSON **out)
{
    cJSON *item = NULL;
    int rc;

    if ((rc = tmfinv_events_entity(t->rt->model, inst->definition, inst->id, inst->raw, inst->fields, t->req->base,
                                   &item)) < 0)
        return rc;
    if (t->has_fields) {
        cJSON *projected = cJSON_CreateObject(), *member, *next;

        if (!projected) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        for (member = item->child; member; member = next) {
            int keep = strcmp(member->string, "id") == 0 || strcmp(member->string, "href") == 0;

            next = member->next;
            for (size_t k = 0; !keep && k < t->n_fields; k++)
                keep = strcmp(member->string, t->field_names[k]) == 0;
            if (keep)
                cJSON_AddItemToObject(projected, member->string, cJSON_DetachItemViaPointer(item, member));
        }
        cJSON_Delete(item);
        item = projected;
    }
out:
    if (rc < 0) {
        cJSON_Delete(item);
        return rc;
    }
    *out = item;
    return 0;
}

/* ---- GET the collection --------------------------------------------------------------- */

/* Appends the representation of `inst` to `out`: from the stored text when it can
 * (api_tmf_render.c), else parsed, overlaid and printed again. */
static int append_item(const api_tmf_request *t, const tmfinv_instance *inst, tmfinv_buf *out)
{
    cJSON *item = NULL;
    char *text = NULL;
    int rc = api_tmf_render_fast(t, inst, out);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = api_tmf_represent(t, inst, &item)) < 0)
        goto out;
    if (!(text = cJSON_PrintUnformatted(item)))
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    else if (tmfinv_buf_puts(out, text) < 0)
        rc = tmfinv_error_set(TMFINV_ENOMEM, "answer too long");
out:
    free(text);
    cJSON_Delete(item);
    return rc;
}

static int add_item(const tmfinv_instance *inst, void *ctx)
{
    api_tmf_request *t = ctx;
    int rc;

    if (t->n_items > 0 && tmfinv_buf_puts(t->page, ",") < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "answer too long");
    if ((rc = append_item(t, inst, t->page)) < 0)
        return rc;
    t->n_items++;
    return 0;
}

/* Marks the JSON text already in res->body as the answer, with `status` and the
 * Content-Type tmfinv_http_json() gives. */
static void send_json_text(tmfinv_http_response *res, int status)
{
    res->status = status;
    (void)snprintf(res->content_type, sizeof(res->content_type), "application/json;charset=utf-8");
}

/* Appends `<URL>; rel="REL"` for the page at `offset`, with the request's other
 * parameters (filters, fields, sort, removed) as they were. */
static int add_link(tmfinv_buf *b, const api_tmf_request *t, int64_t offset, const char *rel)
{
    int rc = tmfinv_buf_printf(b, "%s<%s%s?", b->len ? ", " : "", t->req->base, t->coll->path);

    for (size_t i = 0; rc == 0 && i < t->req->n_query; i++) {
        const tmfinv_http_param *p = &t->req->query[i];

        if (strcmp(p->name, "offset") == 0 || strcmp(p->name, "limit") == 0)
            continue;
        if ((rc = tmfinv_buf_put_encoded(b, p->name)) == 0 && (rc = tmfinv_buf_puts(b, "=")) == 0 &&
            (rc = tmfinv_buf_put_encoded(b, p->value)) == 0)
            rc = tmfinv_buf_puts(b, "&");
    }
    if (rc == 0)
        rc = tmfinv_buf_printf(b, "offset=%lld&limit=%lld>; rel=\"%s\"", (long long)offset, (long long)t->limit, rel);
    return rc;
}

/* Answers 400 with the message of the last error when rc is TMFINV_EINVALID; returns
 * what the handler should return. */
int api_tmf_bad_request(api_tmf_request *t, int rc)
{
    if (rc != TMFINV_EINVALID)
        return rc;
    return tmfinv_http_error(t->res, 400, "28", "Bad Request", "%s", tmfinv_error_last());
}

static int list(tmfinv_http_request *req, tmfinv_http_response *res, const api_tmf_collection *coll)
{
    api_tmf_request t;
    tmfinv_tmf_query q;
    tmfinv_buf links;
    int64_t total = 0, returned;
    int rc, in_tx = 0;

    api_tmf_request_begin(&t, req, res, coll);
    tmfinv_buf_init(&links, 256 * 1024);
    if ((rc = parse_paging(&t)) < 0 || (rc = api_tmf_parse_removed(&t)) < 0 || (rc = parse_fields(&t)) < 0 ||
        (rc = parse_sort(&t)) < 0 || (rc = parse_filters(&t)) < 0) {
        rc = api_tmf_bad_request(&t, rc);
        goto out;
    }
    memset(&q, 0, sizeof(q));
    q.definitions = t.definitions;
    q.n_definitions = t.n_definitions;
    q.filters = t.filters;
    q.n_filters = t.n_filters;
    q.sort = t.sort;
    q.n_sort = t.n_sort;
    q.include_removed = t.include_removed;
    q.offset = t.offset;
    q.limit = t.limit;
    /* The page is written straight into the answer's body. */
    t.page = &res->body;
    tmfinv_buf_reset(t.page);
    if (tmfinv_buf_puts(t.page, "[") < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    /* One read transaction: the count and the page see the same snapshot, so a page
     * never mixes two syncs. */
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = tmfinv_store_tmf_count(req->store, &q, &total)) < 0)
        goto out;
    if ((total > 0 && t.offset >= total) || (total == 0 && t.offset > 0)) {
        rc = tmfinv_http_error(res, 416, "416", "Range Not Satisfiable",
                               "offset %lld is past the end: %lld item%s match", (long long)t.offset,
                               (long long)total, total == 1 ? "" : "s");
        if (rc == 0)
            rc = tmfinv_http_header_add(res, "Content-Range", "items */%lld", (long long)total);
        goto out;
    }
    if ((rc = tmfinv_store_tmf_list(req->store, &q, add_item, &t)) < 0)
        goto out;
    rc = tmfinv_store_commit(req->store);
    in_tx = 0;
    if (rc < 0)
        goto out;
    returned = t.n_items;
    if (tmfinv_buf_puts(t.page, "]") < 0) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "answer too long");
        goto out;
    }
    {
        int64_t last = total > t.offset ? t.offset + (total - 1 - t.offset) / t.limit * t.limit : t.offset;

        if ((rc = add_link(&links, &t, 0, "first")) < 0 ||
            (t.offset > 0 && (rc = add_link(&links, &t, t.offset > t.limit ? t.offset - t.limit : 0, "prev")) < 0) ||
            (t.offset + returned < total && (rc = add_link(&links, &t, t.offset + t.limit, "next")) < 0) ||
            (rc = add_link(&links, &t, last, "last")) < 0) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "Link header too long");
            goto out;
        }
    }
    send_json_text(res, t.offset + returned < total ? 206 : 200);
    if ((rc = tmfinv_http_header_add(res, "X-Total-Count", "%lld", (long long)total)) < 0 ||
        (rc = tmfinv_http_header_add(res, "X-Result-Count", "%lld", (long long)returned)) < 0 ||
        (rc = tmfinv_http_header_add(res, "Link", "%s", links.data)) < 0)
        goto out;
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    tmfinv_buf_free(&links);
    api_tmf_request_end(&t);
    return rc;
}

/* ---- GET and PATCH one item -------------------------------------------------------------- */

/* Finds the instance named by the path's {id} (TMF id, or instance UUID). On
 * TMFINV_ENOTFOUND the 404 is already answered. */
int api_tmf_find(api_tmf_request *t, tmfinv_instance **out)
{
    const char *id = t->req->n_path_params ? t->req->path_params[0] : "";
    int rc = tmfinv_store_tmf_find(t->req->store, t->definitions, t->n_definitions, id, t->include_removed, out);

    if (rc == TMFINV_ENOTFOUND) {
        int sent = tmfinv_http_error(t->res, 404, "60", "Not Found", "no %s with id '%.200s'%s", t->coll->entity, id,
                                     t->include_removed ? "" : " (removed ones need removed=true)");

        return sent < 0 ? sent : TMFINV_ENOTFOUND;
    }
    return rc;
}

static int retrieve(tmfinv_http_request *req, tmfinv_http_response *res, const api_tmf_collection *coll)
{
    api_tmf_request t;
    tmfinv_instance *inst = NULL;
    int rc;

    api_tmf_request_begin(&t, req, res, coll);
    if ((rc = api_tmf_parse_removed(&t)) < 0 || (rc = parse_fields(&t)) < 0) {
        rc = api_tmf_bad_request(&t, rc);
        goto out;
    }
    if ((rc = api_tmf_find(&t, &inst)) < 0) {
        if (rc == TMFINV_ENOTFOUND)
            rc = 0;
        goto out;
    }
    tmfinv_buf_reset(&res->body);
    if ((rc = append_item(&t, inst, &res->body)) < 0)
        goto out;
    send_json_text(res, 200);
out:
    tmfinv_instance_free(inst);
    api_tmf_request_end(&t);
    return rc;
}

/* ---- routes ------------------------------------------------------------------------------ */

static int list_services(tmfinv_http_request *req, tmfinv_http_response *res) { return list(req, res, &api_tmf_services); }
static int list_resources(tmfinv_http_request *req, tmfinv_http_response *res) { return list(req, res, &api_tmf_resources); }
static int get_service(tmfinv_http_request *req, tmfinv_http_response *res) { return retrieve(req, res, &api_tmf_services); }
static int get_resource(tmfinv_http_request *req, tmfinv_http_response *res) { return retrieve(req, res, &api_tmf_resources); }

const tmfinv_http_route tmfinv_api_tmf_routes[] = {
    {"GET", "/tmf-api/serviceInventory/v4/service", TMFINV_ROLE_READ, list_services, "tmf638_list", 1},
    {"GET", "/tmf-api/serviceInventory/v4/service/{id}", TMFINV_ROLE_READ, get_service, "tmf638_get", 1},
    {"POST", "/tmf-api/serviceInventory/v4/service", TMFINV_ROLE_WRITE, api_tmf_create_service, "tmf638_create", 0},
    {"PATCH", "/tmf-api/serviceInventory/v4/service/{id}", TMFINV_ROLE_WRITE, api_tmf_patch_service, "tmf638_patch", 0},
    {"DELETE", "/tmf-api/serviceInventory/v4/service/{id}", TMFINV_ROLE_WRITE, api_tmf_delete_service,
     "tmf638_delete", 0},
    {"GET", "/tmf-api/resourceInventoryManagement/v4/resource", TMFINV_ROLE_READ, list_resources, "tmf639_list", 1},
    {"GET", "/tmf-api/resourceInventoryManagement/v4/resource/{id}", TMFINV_ROLE_READ, get_resource, "tmf639_get", 1},
    {"POST", "/tmf-api/resourceInventoryManagement/v4/resource", TMFINV_ROLE_WRITE, api_tmf_create_resource,
     "tmf639_create", 0},
    {"PATCH", "/tmf-api/resourceInventoryManagement/v4/resource/{id}", TMFINV_ROLE_WRITE, api_tmf_patch_resource,
     "tmf639_patch", 0},
    {"DELETE", "/tmf-api/resourceInventoryManagement/v4/resource/{id}", TMFINV_ROLE_WRITE, api_tmf_delete_resource,
     "tmf639_delete", 0},
};
const size_t tmfinv_api_tmf_n_routes = sizeof(tmfinv_api_tmf_routes) / sizeof(tmfinv_api_tmf_routes[0]);
