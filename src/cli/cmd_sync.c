/* cmd_sync.c: `tmfinv sync` (once, or the refresh schedule) and `tmfinv serve` (the daemon:
 * schedule + HTTP API), with their signal handling and log lines. */
#include "cli.h"

#include "config.h"
#include "model.h"
#include "store.h"
#include "sync.h"
#include "api.h"
#include "daemon.h"
#include "ui.h"
#include "fetch.h"

#include <pthread.h>

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <systemd/sd-daemon.h>

#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sync ------------------------------------------------------------------------ */

/* How a sync shows its progress: not at all, a status line redrawn in place (stderr is a
 * terminal), or a log line every `interval_ms` (--progress when stderr is not a terminal). */
typedef struct progress_view {
    int mode;               /* 0 none, 1 status line, 2 periodic lines */
    int64_t interval_ms;
    int64_t last_ms;        /* monotonic, last drawn or logged */
} progress_view;

static void show_progress(void *ctx, const tmfinv_sync_progress *p)
{
    progress_view *v = ctx;
    double rate = p->elapsed_s > 0 ? (double)p->items / p->elapsed_s : 0;
    int64_t now = tmfinv_time_monotonic_ms();
    char pages[24], items[24], per_s[24], retries[24], total[24], eta[24], elapsed[24];

    if (v->mode == 0)
        return;
    if (p->done) {
        if (v->mode == 1)
            tmfinv_log_status(NULL);
        return;
    }
    if (now - v->last_ms < v->interval_ms)
        return;
    v->last_ms = now;
    (void)snprintf(pages, sizeof(pages), "%lld", (long long)p->pages);
    (void)snprintf(items, sizeof(items), "%lld", (long long)p->items);
    (void)snprintf(per_s, sizeof(per_s), "%.0f", rate);
    (void)snprintf(retries, sizeof(retries), "%lld", (long long)p->retries);
    (void)snprintf(elapsed, sizeof(elapsed), "%.1f", p->elapsed_s);
    (void)snprintf(total, sizeof(total), "%lld", (long long)p->total);
    /* The time left is only known from the source's own total and the rate so far. */
    if (p->total > p->items && rate > 0)
        (void)snprintf(eta, sizeof(eta), "%.0f", (double)(p->total - p->items) / rate);
    else if (p->total >= 0 && p->total <= p->items)
        (void)snprintf(eta, sizeof(eta), "0");
    else
        eta[0] = '\0';
    if (v->mode == 1) {
        char line[256];

        (void)snprintf(line, sizeof(line), "%s: %s pages, %s%s%s items, %s items/s, %s retries%s%s%s",
                       p->source, pages, items, p->total >= 0 ? "/" : "", p->total >= 0 ? total : "", per_s, retries,
                       eta[0] ? ", about " : "", eta, eta[0] ? " s left" : "");
        tmfinv_log_status(line);
    } else {
        const tmfinv_log_field f[] = {{"source", p->source}, {"pages", pages}, {"items", items},
                                      {"total", p->total >= 0 ? total : NULL}, {"items_per_s", per_s},
                                      {"retries", retries}, {"elapsed_s", elapsed}, {"eta_s", eta[0] ? eta : NULL}};

        tmfinv_log_fields(TMFINV_LOG_INFO, "progress", f, sizeof(f) / sizeof(f[0]));
    }
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void warn_insecure(const app *a)
{
    for (size_t i = 0; i < a->cfg->n_sources; i++)
        if (a->cfg->sources[i].insecure)
            cli_log_line(NULL, TMFINV_LOG_WARN, "source '%s': TLS verification is OFF (insecure = true)",
                         a->cfg->sources[i].name);
}

/* One run; prints its outcome. Returns the exit code it deserves, or -1 on a store error. */
static int run_once(app *a, int incremental, int allow_mass_remove, progress_view *view)
{
    tmfinv_sync_options opt = {.incremental = incremental, .allow_mass_remove = allow_mass_remove,
                               .stop = &stop_requested, .log = cli_log_sink, .progress = show_progress,
                               .progress_ctx = view};
    tmfinv_sync_result result;

    if (tmfinv_sync_run(a->store, a->model, a->cfg, &opt, &result) < 0) {
        cli_fail_line("sync");
        return -1;
    }
    printf("run %lld: %s\n", (long long)result.run_id,
           result.errors ? "FAILED (a source could not be read; nothing removed)"
           : result.interrupted ? "INTERRUPTED (nothing removed)"
           : result.complete ? "complete"
           : result.withheld ? "INCOMPLETE (removals withheld; see tmfinv runs)" : "INCOMPLETE (nothing removed)");
    fflush(stdout);
    if (result.errors)
        return 1;
    return result.complete ? 0 : EXIT_INCOMPLETE;
}

/* Sleeps until `until_ms` (monotonic) or a stop signal. */
static void sleep_until(int64_t until_ms)
{
    while (!stop_requested) {
        int64_t left = until_ms - tmfinv_time_monotonic_ms();
        struct timespec ts;

        if (left <= 0)
            return;
        if (left > 200)
            left = 200;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

int cmd_sync(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"once", no_argument, NULL, 'o'},
                                         {"allow-mass-remove", no_argument, NULL, 'm'},
                                         {"progress", optional_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0}};
    int once = 0, allow_mass_remove = 0, progress = 0, quiet = 0, c, rc;
    int64_t last_full, last_run, every_s = 2;
    progress_view view = {0};

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o')
            once = 1;
        else if (c == 'm')
            allow_mass_remove = 1;
        else if (c == 'p') {
            progress = 1;
            if (optarg && tmfinv_parse_int64(optarg, 1, 3600, &every_s) < 0)
                return cli_usage_error("sync: --progress=%s: expected whole seconds from 1 to 3600", optarg);
        } else if (c == 'q')
            quiet = 1;
        else
            return cli_bad_option("sync", argv);
    }
    if (optind < argc)
        return cli_usage_error("sync: unexpected argument '%s'", argv[optind]);
    /* A confirmation is for the one run the operator has looked at, never for a schedule. */
    if (allow_mass_remove && !once)
        return cli_usage_error("sync: --allow-mass-remove confirms one run: use it with --once");
    if (progress && quiet)
        return cli_usage_error("sync: --progress and --quiet contradict each other");
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    tmfinv_log_configure(a->cfg->log_json, quiet && a->cfg->log_level < TMFINV_LOG_WARN ? TMFINV_LOG_WARN
                                                                                         : (tmfinv_log_level)a->cfg->log_level);
    cli_config_warnings(a->cfg);
    if (!quiet && tmfinv_log_is_terminal()) {
        view.mode = 1;
        view.interval_ms = 200;
    } else if (progress) {
        view.mode = 2;
        view.interval_ms = every_s * 1000;
    }
    view.last_ms = tmfinv_time_monotonic_ms() - (view.mode == 1 ? view.interval_ms : 0);
    if (a->cfg->n_sources == 0) {
        fprintf(stderr, "tmfinv: %s: no [source NAME] section: nothing to sync\n", a->cfg->path);
        return 1;
    }
    if (tmfinv_fetch_global_init() < 0) {
        cli_fail_line(NULL);
        return 1;
    }
    warn_insecure(a);
    catch_stop_signals();
    if (once) {
        rc = run_once(a, 0, allow_mass_remove, &view);
        return rc < 0 ? 1 : rc;
    }
    /* The schedule: a full sync now, a refresh every interval, a full reconcile every
     * full_interval; SIGTERM or SIGINT ends it between pages. */
    cli_log_line(NULL, TMFINV_LOG_INFO, "schedule: refresh every %d s, full sync every %d s", a->cfg->interval_s,
                 a->cfg->full_interval_s);
    last_full = last_run = tmfinv_time_monotonic_ms();
    if (run_once(a, 0, 0, &view) < 0)
        return 1;
    while (!stop_requested) {
        int64_t next_refresh = last_run + (int64_t)a->cfg->interval_s * 1000;
        int64_t next_full = last_full + (int64_t)a->cfg->full_interval_s * 1000;
        int full;

        sleep_until(next_refresh < next_full ? next_refresh : next_full);
        if (stop_requested)
            break;
        full = tmfinv_time_monotonic_ms() >= next_full;
        last_run = tmfinv_time_monotonic_ms();
        if (full)
            last_full = last_run;
        if (run_once(a, !full, 0, &view) < 0)
            return 1;
    }
    /* A requested stop is the normal end of a schedule: info, not an error. */
    cli_log_line(NULL, TMFINV_LOG_INFO, "stopped");
    printf("stopped\n");
    return 0;
}

/* ---- serve ---------------------------------------------------------------------- */

/* Daemon log lines: the same format as every other mode (tmfinv_log.h). */
static void serve_log(void *ctx, tmfinv_log_level level, const char *line)
{
    cli_log_sink(ctx, level, line);
}

static void serve_request_log(void *ctx, tmfinv_log_level level, const tmfinv_log_field *fields, size_t n)
{
    (void)ctx;
    tmfinv_log_fields(level, "request", fields, n);
}

/* Applies [log] of the daemon's current configuration. */
static void serve_log_configure(tmfinv_daemon *d)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(d);

    tmfinv_log_configure(rt->cfg->log_json, (tmfinv_log_level)rt->cfg->log_level);
    tmfinv_daemon_release(d, rt);
}

/* serve's wait for its next signal (returned, or 0 when none came). Under a systemd watchdog
 * (WatchdogSec=, $WATCHDOG_USEC) it wakes at least every half period, takes and releases the
 * daemon's runtime (a daemon deadlocked on its lock stops pinging) and sends WATCHDOG=1, so
 * systemd restarts a serve that hangs. */
static int serve_wait(const sigset_t *signals, tmfinv_daemon *d, uint64_t watchdog_us, int64_t *next_ping_ms)
{
    int64_t left = *next_ping_ms - tmfinv_time_monotonic_ms();
    struct timespec ts;
    int signo;

    if (!watchdog_us)
        return sigwait(signals, &signo) == 0 ? signo : 0;
    if (left < 0)
        left = 0;
    ts.tv_sec = (time_t)(left / 1000);
    ts.tv_nsec = (long)(left % 1000) * 1000000L;
    signo = sigtimedwait(signals, NULL, &ts);
    if (tmfinv_time_monotonic_ms() >= *next_ping_ms) {
        tmfinv_daemon_release(d, tmfinv_daemon_acquire(d));
        (void)sd_notify(0, "WATCHDOG=1");
        /* Half the period, at least 10 ms: a tiny WatchdogSec must not make this loop spin. */
        *next_ping_ms = tmfinv_time_monotonic_ms() + (watchdog_us >= 20000 ? (int64_t)(watchdog_us / 2000) : 10);
    }
    return signo > 0 ? signo : 0;
}

int cmd_serve(app *a, int argc, char **argv)
{
    const tmfinv_http_route *tables[] = {tmfinv_api_tmf_routes, tmfinv_api_om_routes, tmfinv_api_ops_routes,
                                         tmfinv_ui_routes, tmfinv_api_hub_routes, tmfinv_api_events_routes};
    const size_t sizes[] = {tmfinv_api_tmf_n_routes, tmfinv_api_om_n_routes, tmfinv_api_ops_n_routes,
                            tmfinv_ui_n_routes, tmfinv_api_hub_n_routes, tmfinv_api_events_n_routes};
    tmfinv_daemon *d = NULL;
    sigset_t signals;
    uint64_t watchdog_us = 0;
    int64_t next_ping_ms;
    int signo = 0, rc;

    (void)a;
    if (argc > 1)
        return cli_usage_error("serve: unexpected argument '%s'", argv[1]);
    /* Every thread started from here on inherits the mask: only sigwait() below sees them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cli_config_path(a) != 0)
        return 1;
    if (tmfinv_daemon_new(a->config_path, serve_log, NULL, &d) < 0) {
        cli_config_fail(a->config_path);
        return 1;
    }
    serve_log_configure(d);
    {
        tmfinv_runtime *rt = tmfinv_daemon_acquire(d);

        cli_config_warnings(rt->cfg);
        tmfinv_daemon_release(d, rt);
    }
    tmfinv_daemon_set_request_log(d, serve_request_log);
    /* The dashboard is read now, so that a broken installation says so at start; the API
     * works without it (/ui/ then answers 404 saying why). */
    if (tmfinv_ui_load() < 0)
        serve_log(NULL, TMFINV_LOG_WARN, tmfinv_error_last());
    /* The indexes of the dashboard table's columns, before the sync thread writes: at 1M
     * instances a new one takes seconds. Without them the pages are right, only slower. */
    {
        int64_t t0 = tmfinv_time_monotonic_ms();
        int created = 0, dropped = 0;
        char line[160];

        int64_t ms;

        if (tmfinv_api_table_indexes(d, &created, &dropped) < 0)
            serve_log(NULL, TMFINV_LOG_WARN, tmfinv_error_last());
        else if (created || dropped) {
            /* At info only when it delayed the start noticeably (a large store): a start that
             * fails must still say one line. */
            ms = tmfinv_time_monotonic_ms() - t0;
            (void)snprintf(line, sizeof(line), "dashboard table indexes: %d created, %d dropped in %.1f s", created,
                           dropped, (double)ms / 1000.0);
            serve_log(NULL, ms >= 1000 ? TMFINV_LOG_INFO : TMFINV_LOG_DEBUG, line);
        }
    }
    /* POST validates against the official TMF specifications: without them serve would
     * answer every create with a 500, so a broken installation stops here, naming the file. */
    if (tmfinv_api_tmf_specs_load() < 0) {
        cli_fail_line("serve");
        tmfinv_daemon_stop(d);
        return 1;
    }
    if (tmfinv_daemon_start(d, tables, sizes, sizeof(tables) / sizeof(tables[0])) < 0) {
        cli_fail_line("serve");
        tmfinv_daemon_stop(d);
        return 1;
    }
    {
        tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
        char host[128];
        const char *listen = rt->cfg->http.listen;
        size_t n = strrchr(listen, ':') ? (size_t)(strrchr(listen, ':') - listen) : 0;

        (void)snprintf(host, sizeof(host), "%.*s", (int)n, listen);
        /* A wildcard address is reached through loopback from here. */
        if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
            (void)snprintf(host, sizeof(host), "127.0.0.1");
        else if (strcmp(host, "[::]") == 0)
            (void)snprintf(host, sizeof(host), "[::1]");
        printf("listening on %s://%s:%u\n", tmfinv_http_scheme(tmfinv_daemon_http(d)), host,
               tmfinv_http_port(tmfinv_daemon_http(d)));
        tmfinv_daemon_release(d, rt);
    }
    fflush(stdout);
    /* systemd (Type=notify): ready once the API listens; no-ops without $NOTIFY_SOCKET. */
    (void)sd_notify(0, "READY=1");
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
    next_ping_ms = tmfinv_time_monotonic_ms();
    for (;;) {
        if ((signo = serve_wait(&signals, d, watchdog_us, &next_ping_ms)) == 0)
            continue;
        if (signo == SIGHUP) {
            (void)sd_notify(0, "RELOADING=1");
            rc = tmfinv_daemon_reload(d);
            (void)sd_notify(0, "READY=1");
            if (rc < 0)
                serve_log(NULL, TMFINV_LOG_ERROR, tmfinv_error_last());
            else {
                tmfinv_runtime *rt;

                serve_log_configure(d);
                rt = tmfinv_daemon_acquire(d);
                cli_config_warnings(rt->cfg);
                tmfinv_daemon_release(d, rt);
                serve_log(NULL, TMFINV_LOG_INFO, "configuration reloaded");
            }
            continue;
        }
        break;
    }
    (void)sd_notify(0, "STOPPING=1");
    /* A requested stop is the normal end of the daemon: info, not an error. */
    serve_log(NULL, TMFINV_LOG_INFO, signo == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
    tmfinv_daemon_stop(d);
    tmfinv_api_tmf_specs_free();
    serve_log(NULL, TMFINV_LOG_INFO, "stopped");
    return 0;
}

