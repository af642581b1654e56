/* api_ops.c: operations endpoints — /healthz (alive), /readyz (store usable, last
 * complete sync recent enough), /metrics (Prometheus text format 0.0.4).
 *
 * The figures of /metrics come from the store, aggregated in SQL (sync runs per source,
 * instances per definition and status), from the daemon (a sync running, the last
 * complete sync) and from the HTTP server (requests by route and status, latency).
 * They are read in one transaction so that they agree with each other.
 * docs/operations.md lists every metric. */
#include "api.h"
#include "daemon.h"
#include "events.h"

#include "tmfinv_error.h"
#include "tmfinv_procstat.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int healthz(tmfinv_http_request *req, tmfinv_http_response *res)
{
    (void)req;
    res->status = 200;
    (void)snprintf(res->content_type, sizeof(res->content_type), "text/plain;charset=utf-8");
    return tmfinv_buf_puts(&res->body, "ok\n");
}

static double now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RFC 3339 UTC (seconds) of `t` into buf. */
static void format_time(double t, char *buf, size_t size)
{
    time_t secs = (time_t)(t + 0.0005); /* t comes from milliseconds through a double */
    struct tm tm;

    if (!gmtime_r(&secs, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        (void)snprintf(buf, size, "?");
}

/* The end of the last complete sync, Unix seconds (0: none): what this process saw or,
 * so that it survives a restart, the newest complete run in the store. */
static double last_complete(const tmfinv_daemon_status *st, double from_store)
{
    double mine = (double)st->last_complete_unix;

    return mine > from_store ? mine : from_store;
}

static int readyz(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(req->app);
    tmfinv_daemon_status st;
    double from_store = 0, last, age = 0;
    int store_ok, sync_ok, max_age = rt->cfg->http.ready_max_age_s, rc;
    char when[40], message[200];
    cJSON *o = cJSON_CreateObject(), *store = cJSON_CreateObject(), *sync = cJSON_CreateObject();

    tmfinv_daemon_release(req->app, rt);
    if (!o || !store || !sync) {
        cJSON_Delete(o);
        cJSON_Delete(store);
        cJSON_Delete(sync);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    cJSON_AddItemToObject(o, "store", store);
    cJSON_AddItemToObject(o, "sync", sync);
    tmfinv_daemon_status_get(req->app, &st);
    store_ok = req->store && tmfinv_store_last_complete(req->store, &from_store) == 0;
    cJSON_AddBoolToObject(store, "ok", store_ok);
    cJSON_AddStringToObject(store, "message", store_ok ? "the store answers" : "the store does not answer");
    last = last_complete(&st, store_ok ? from_store : 0);
    if (last > 0) {
        age = now_unix() - last;
        if (age < 0)
            age = 0;
        format_time(last, when, sizeof(when));
        cJSON_AddStringToObject(sync, "lastComplete", when);
        cJSON_AddNumberToObject(sync, "ageSeconds", (double)(long long)age);
    } else {
        cJSON_AddNullToObject(sync, "lastComplete");
        cJSON_AddNullToObject(sync, "ageSeconds");
    }
    cJSON_AddNumberToObject(sync, "maxAgeSeconds", max_age);
    sync_ok = last > 0 && age <= (double)max_age;
    if (last <= 0)
        (void)snprintf(message, sizeof(message), "no complete sync yet");
    else if (!sync_ok)
        (void)snprintf(message, sizeof(message), "the last complete sync is %lld s old (more than %d s)",
                       (long long)age, max_age);
    else
        (void)snprintf(message, sizeof(message), "the last complete sync is %lld s old", (long long)age);
    cJSON_AddBoolToObject(sync, "ok", sync_ok);
    cJSON_AddStringToObject(sync, "message", message);
    cJSON_AddBoolToObject(sync, "running", st.running);
    cJSON_AddBoolToObject(o, "ready", store_ok && sync_ok);
    rc = tmfinv_http_json(res, store_ok && sync_ok ? 200 : 503, o);
    cJSON_Delete(o);
    return rc;
}

/* ---- /metrics ------------------------------------------------------------------------ */

/* Appends a label value, escaped as the text format wants (\\, \", \n). */
static int label_value(tmfinv_buf *b, const char *v)
{
    int rc = 0;

    for (const char *p = v ? v : ""; rc == 0 && *p; p++) {
        if (*p == '\\')
            rc = tmfinv_buf_puts(b, "\\\\");
        else if (*p == '"')
            rc = tmfinv_buf_puts(b, "\\\"");
        else if (*p == '\n')
            rc = tmfinv_buf_puts(b, "\\n");
        else
            rc = tmfinv_buf_append(b, p, 1);
    }
    return rc;
}

static int family(tmfinv_buf *b, const char *name, const char *type, const char *help)
{
    return tmfinv_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{source="S"[,LABEL="VALUE"]} ` — a sample's name and labels, value to follow. */
static int sample_start(tmfinv_buf *b, const char *name, const char *source, const char *label, const char *value)
{
    int rc = tmfinv_buf_printf(b, "%s{source=\"", name);

    if (rc == 0)
        rc = label_value(b, source);
    if (rc == 0 && label)
        rc = tmfinv_buf_printf(b, "\",%s=\"%s", label, value);
    if (rc == 0)
        rc = tmfinv_buf_puts(b, "\"} ");
    return rc;
}

#define FIGURE(t, offset) (*(const int64_t *)((const char *)(t) + (offset)))

typedef struct labelled {
    const char *value;      /* the label's value */
    size_t offset;          /* of the int64_t figure in tmfinv_source_totals */
} labelled;

/* A counter family per source, one sample per (source, label value). */
static int source_family(tmfinv_buf *b, const tmfinv_source_totals *t, size_t n, const char *name, const char *help,
                         const char *label, const labelled *values, size_t n_values)
{
    int rc = family(b, name, "counter", help);

    for (size_t i = 0; rc == 0 && i < n; i++)
        for (size_t k = 0; rc == 0 && k < n_values; k++) {
            rc = sample_start(b, name, t[i].source, label, values[k].value);
            if (rc == 0)
                rc = tmfinv_buf_printf(b, "%lld\n", (long long)FIGURE(&t[i], values[k].offset));
        }
    return rc;
}

static int source_metrics(tmfinv_buf *b, const tmfinv_source_totals *t, size_t n)
{
#define AT(field) offsetof(tmfinv_source_totals, field)
    static const labelled runs[] = {{"complete", AT(runs_complete)},
                                    {"incomplete", AT(runs_incomplete)},
                                    {"error", AT(runs_error)}};
    static const labelled items[] = {{"created", AT(created)},     {"updated", AT(updated)},
                                     {"unchanged", AT(unchanged)}, {"removed", AT(removed)},
                                     {"dropped", AT(dropped)},     {"duplicate", AT(duplicates)},
                                     {"empty_key", AT(empty_keys)}, {"excluded", AT(excluded)},
                                     {"rejected", AT(rejected)}};
    static const labelled retries[] = {{"429", AT(retries_by_status[0])}, {"500", AT(retries_by_status[1])},
                                       {"502", AT(retries_by_status[2])}, {"503", AT(retries_by_status[3])},
                                       {"504", AT(retries_by_status[4])}, {"other", AT(retries_by_status[5])}};
    static const labelled pages[] = {{NULL, AT(pages)}}, failed[] = {{NULL, AT(failed_pages)}},
                          received[] = {{NULL, AT(items)}}, requests[] = {{NULL, AT(requests)}};
#undef AT
    int rc = 0;

    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_runs_total",
                           "Finished sync runs that scanned the source, by the source's outcome.", "outcome", runs, 3);
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_pages_total", "Pages applied.", NULL, pages, 1);
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_failed_pages_total", "Pages that failed after every retry.", NULL,
                           failed, 1);
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_items_received_total", "Items received in applied pages.", NULL,
                           received, 1);
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_items_total", "Items and instances by what the sync did with them.",
                           "outcome", items, sizeof(items) / sizeof(items[0]));
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_requests_total", "HTTP requests to the source, retries included.",
                           NULL, requests, 1);
    if (rc == 0)
        rc = source_family(b, t, n, "tmfinv_source_retries_total", "Requests tried again, by the status that failed.",
                           "status", retries, sizeof(retries) / sizeof(retries[0]));
    if (rc == 0)
        rc = family(b, "tmfinv_source_last_success_timestamp_seconds", "gauge",
                    "End of the last finished run in which the source was complete (Unix time).");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (t[i].last_success_unix > 0 &&
            (rc = sample_start(b, "tmfinv_source_last_success_timestamp_seconds", t[i].source, NULL, NULL)) == 0)
            rc = tmfinv_buf_printf(b, "%.3f\n", t[i].last_success_unix);
    if (rc == 0)
        rc = family(b, "tmfinv_source_last_run_duration_seconds", "gauge",
                    "Duration of the last finished run that scanned the source.");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (t[i].last_duration_s >= 0 &&
            (rc = sample_start(b, "tmfinv_source_last_run_duration_seconds", t[i].source, NULL, NULL)) == 0)
            rc = tmfinv_buf_printf(b, "%.3f\n", t[i].last_duration_s);
    return rc;
}

typedef struct instance_lines {
    tmfinv_buf active;      /* samples of tmfinv_instances */
    tmfinv_buf removed;     /* samples of tmfinv_instances_removed */
} instance_lines;

static int instance_group(const cJSON *g, void *ctx)
{
    instance_lines *l = ctx;
    int removed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "removed"));
    tmfinv_buf *b = removed ? &l->removed : &l->active;
    int rc = tmfinv_buf_printf(b, "%s{definition=\"", removed ? "tmfinv_instances_removed" : "tmfinv_instances");

    if (rc == 0)
        rc = label_value(b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "definition")));
    if (rc == 0)
        rc = tmfinv_buf_puts(b, "\",status=\"");
    if (rc == 0)
        rc = label_value(b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "status")));
    if (rc == 0)
        rc = tmfinv_buf_printf(b, "\"} %.0f\n", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "count")));
    return rc;
}

/* The standard process_* metrics (the names every Prometheus client library uses), each
 * left out when /proc could not give it. */
static int process_metrics(tmfinv_buf *b)
{
    tmfinv_procstat ps;
    const struct {
        const char *name, *type, *help;
    } m[] = {
        {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."},
        {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
        {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
        {"process_open_fds", "gauge", "Number of open file descriptors."},
        {"process_max_fds", "gauge", "Maximum number of open file descriptors."},
        {"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."},
    };
    double values[sizeof(m) / sizeof(m[0])];
    int rc = 0;

    (void)tmfinv_procstat_read(&ps);
    values[0] = ps.cpu_seconds;
    values[1] = ps.resident_bytes;
    values[2] = ps.virtual_bytes;
    values[3] = ps.open_fds;
    values[4] = ps.max_fds;
    values[5] = ps.start_time_unix;
    for (size_t i = 0; rc == 0 && i < sizeof(m) / sizeof(m[0]); i++)
        if (values[i] >= 0 && (rc = family(b, m[i].name, m[i].type, m[i].help)) == 0)
            rc = tmfinv_buf_printf(b, i == 0 || i == 5 ? "%s %.3f\n" : "%s %.0f\n", m[i].name, values[i]);
    return rc;
}

static int metrics(tmfinv_http_request *req, tmfinv_http_response *res)
{
    tmfinv_source_totals *totals = NULL;
    size_t n_totals = 0;
    instance_lines lines;
    tmfinv_daemon_status st;
    tmfinv_buf *b = &res->body;
    double from_store = 0, last;
    int rc, in_tx = 0;

    tmfinv_buf_init(&lines.active, 64 * 1024 * 1024);
    tmfinv_buf_init(&lines.removed, 64 * 1024 * 1024);
    tmfinv_daemon_status_get(req->app, &st);
    if ((rc = tmfinv_store_begin_read(req->store)) < 0)
        goto out;
    in_tx = 1;
    if ((rc = tmfinv_store_source_totals(req->store, &totals, &n_totals)) < 0 ||
        (rc = tmfinv_store_summary(req->store, instance_group, &lines)) < 0 ||
        (rc = tmfinv_store_last_complete(req->store, &from_store)) < 0)
        goto out;
    in_tx = 0;
    if ((rc = tmfinv_store_commit(req->store)) < 0)
        goto out;
    if ((rc = source_metrics(b, totals, n_totals)) < 0)
        goto out;
    if ((rc = family(b, "tmfinv_instances", "gauge", "Active instances by definition and status.")) < 0 ||
        (lines.active.len && (rc = tmfinv_buf_append(b, lines.active.data, lines.active.len)) < 0) ||
        (rc = family(b, "tmfinv_instances_removed", "gauge", "Removed instances by definition and status.")) < 0 ||
        (lines.removed.len && (rc = tmfinv_buf_append(b, lines.removed.data, lines.removed.len)) < 0))
        goto out;
    if ((rc = family(b, "tmfinv_sync_running", "gauge", "1 while a sync run is in progress.")) < 0 ||
        (rc = tmfinv_buf_printf(b, "tmfinv_sync_running %d\n", st.running ? 1 : 0)) < 0)
        goto out;
    last = last_complete(&st, from_store);
    if ((rc = family(b, "tmfinv_sync_last_complete_timestamp_seconds", "gauge",
                     "End of the last complete sync run (Unix time).")) < 0 ||
        (last > 0 && (rc = tmfinv_buf_printf(b, "tmfinv_sync_last_complete_timestamp_seconds %.3f\n", last)) < 0))
        goto out;
    if ((rc = family(b, "tmfinv_build_info", "gauge", "The tmfinv version serving.")) < 0 ||
        (rc = tmfinv_buf_printf(b, "tmfinv_build_info{version=\"%s\"} 1\n", TMFINV_VERSION)) < 0)
        goto out;
    if ((rc = tmfinv_http_metrics(tmfinv_daemon_http(req->app), b)) < 0 || (rc = process_metrics(b)) < 0 ||
        (rc = tmfinv_events_metrics(tmfinv_daemon_events(req->app), b)) < 0)
        goto out;
    res->status = 200;
    (void)snprintf(res->content_type, sizeof(res->content_type), "text/plain; version=0.0.4; charset=utf-8");
out:
    if (in_tx)
        (void)tmfinv_store_rollback(req->store);
    tmfinv_source_totals_free(totals, n_totals);
    tmfinv_buf_free(&lines.active);
    tmfinv_buf_free(&lines.removed);
    return rc;
}

const tmfinv_http_route tmfinv_api_ops_routes[] = {
    {"GET", "/healthz", 0, healthz, "healthz", 0},
    {"GET", "/readyz", 0, readyz, "readyz", 0},
    {"GET", "/metrics", TMFINV_ROLE_READ, metrics, "metrics", 0},
};
const size_t tmfinv_api_ops_n_routes = sizeof(tmfinv_api_ops_routes) / sizeof(tmfinv_api_ops_routes[0]);
