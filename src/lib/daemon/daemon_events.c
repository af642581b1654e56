/* daemon_events.c: `serve`'s event delivery (src/lib/events) started with the HTTP server:
 * the runtime it reads webhooks and the model from, and the base URL of the hrefs. */
#include "daemon.h"
#include "daemon_events.h"

#include "tmfinv_error.h"

#include <stdio.h>
#include <string.h>

typedef struct events_glue {
    tmfinv_daemon *d;
    tmfinv_log_fn log;
    void *log_ctx;
} events_glue;

static events_glue glue; /* one serve per process */

static void *acquire(void *ctx, const tmfinv_config **cfg, const tmfinv_model **model)
{
    events_glue *g = ctx;
    tmfinv_runtime *rt = tmfinv_daemon_acquire(g->d);

    *cfg = rt->cfg;
    *model = rt->model;
    return rt;
}

static void release(void *ctx, void *held)
{
    events_glue *g = ctx;

    tmfinv_daemon_release(g->d, held);
}

static void log_line(void *ctx, int level, const char *line)
{
    events_glue *g = ctx;

    if (g->log)
        g->log(g->log_ctx, (tmfinv_log_level)level, line);
}

int daemon_events_start(tmfinv_daemon *d, tmfinv_log_fn log, void *log_ctx, tmfinv_events **out)
{
    tmfinv_runtime *rt = tmfinv_daemon_acquire(d);
    const tmfinv_config *cfg = rt->cfg;
    char base[1024];
    int rc;

    glue.d = d;
    glue.log = log;
    glue.log_ctx = log_ctx;
    /* hrefs name this server as its clients reach it: [http] public_url, else the listen
     * address with the port actually taken. */
    if (cfg->http.public_url)
        (void)snprintf(base, sizeof(base), "%s", cfg->http.public_url);
    else {
        const char *colon = strrchr(cfg->http.listen, ':');
        int host_len = colon ? (int)(colon - cfg->http.listen) : (int)strlen(cfg->http.listen);

        (void)snprintf(base, sizeof(base), "%s://%.*s:%u", cfg->http.tls_cert ? "https" : "http", host_len,
                       cfg->http.listen, tmfinv_http_port(tmfinv_daemon_http(d)));
    }
    {
        size_t n = strlen(base);

        while (n > 0 && base[n - 1] == '/')
            base[--n] = '\0';
    }
    {
        tmfinv_events_options o = {
            .store_path = cfg->store_path,
            .busy_timeout_ms = (int64_t)cfg->store_busy_timeout_s * 1000,
            .acquire = acquire,
            .release = release,
            .ctx = &glue,
            .log = log_line,
            .base_url = base,
            .history_days = cfg->store_history_days,
        };

        for (size_t i = 0; i < cfg->n_webhooks; i++)
            if (cfg->webhooks[i].insecure && log)
                log(log_ctx, TMFINV_LOG_WARN, "webhook: TLS verification is OFF for a webhook (insecure = true)");
        rc = tmfinv_events_start(&o, out);
    }
    tmfinv_daemon_release(d, rt);
    return rc;
}
