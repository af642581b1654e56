/* sim_main.c: tmfinv-sim, the source simulator: options, listening socket, signals.
 *
 *   tmfinv-sim --listen HOST:PORT --seed N --services N --carriers N --resources N
 *              [--epoch N] [--latency-ms N] [--fail-page N] [fault options] [auth options]
 *
 * The first line on stdout is "listening on HOST:PORT" with the port actually bound (so port 0
 * can be used). SIGTERM and SIGINT stop the server cleanly (exit 0); bad options exit 2 with a
 * one-line message on stderr; failures to start exit 1. */
#include "sim_auth.h"
#include "sim_data.h"
#include "sim_http.h"

#include <curl/curl.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SIM_HOST_MAX 256

struct sim_options {
    char host[SIM_HOST_MAX];        /* as given, without IPv6 brackets */
    char port[8];
    int host_bracketed;             /* the host was given as [v6] */
    struct sim_config config;
    uint32_t epoch;
    struct sim_http_options http;
    enum sim_auth_kind auth_kind;   /* --require-auth */
    const char *auth_file;          /* --auth-file (points into argv) */
    uint32_t token_ttl;             /* --token-ttl, seconds */
    unsigned seen;                  /* bit per required option */
};

enum { SEEN_LISTEN = 1, SEEN_SEED = 2, SEEN_SERVICES = 4, SEEN_CARRIERS = 8, SEEN_RESOURCES = 16 };

static void sim_main_usage(FILE *out)
{
    fprintf(out,
        "usage: tmfinv-sim --listen HOST:PORT --seed N --services N --carriers N --resources N\n"
        "                  [--epoch N] [--latency-ms N] [--fail-page N]\n"
        "                  [--fault-rate P] [--retry-after N] [--slow-ms N] [--malformed-rate P]\n"
        "                  [--bad-items P] [--total-count-lie] [--shuffle] [--shuffle-every N]\n"
        "                  [--rate-limit N] [--require-auth basic|bearer|oauth2 --auth-file FILE]\n"
        "                  [--token-ttl N] [--repeat-page] [--link-loop N] [--endless]\n"
        "                  [--no-total-count] [--hub-drop P] [--hub-duplicate P]\n"
        "\n"
        "Serves a deterministic SES-like TMF638/TMF639 inventory over HTTP.\n"
        "  --listen HOST:PORT  address to bind (port 0 picks a free port)\n"
        "  --seed N            seed of the generated inventory (0..2^64-1)\n"
        "  --services N        customer-facing services in the TMF638 collection\n"
        "  --carriers N        carriers (@type element) in the TMF638 collection\n"
        "  --resources N       resources in the TMF639 collection\n"
        "  --epoch N           start at epoch N (default 0; POST /_sim/epoch advances)\n"
        "  --latency-ms N      delay every data response by N ms (default 0)\n"
        "  --fail-page N       page N of every collection answers 504 (default: none)\n"
        "  --fault-rate P      probability (0..1) of a transient fault per data request: 429,\n"
        "                      500, 502, 503, connection reset, slow body, truncated body\n"
        "  --retry-after N     Retry-After seconds of injected 429/503 (default 1)\n"
        "  --slow-ms N         total pauses of a slow body in ms (default 300)\n"
        "  --malformed-rate P  probability of a 200 with an invalid JSON body (transient)\n"
        "  --bad-items P       probability per item of a wrong shape (the same every time)\n"
        "  --total-count-lie   X-Total-Count is wrong (too large, too small, changing)\n"
        "  --shuffle           items move between pages during a scan (see --shuffle-every)\n"
        "  --shuffle-every N   rotate a collection by one item every N list requests (default\n"
        "                      5; implies --shuffle)\n"
        "  --rate-limit N      at most N requests per second, above that 429 (default: none)\n"
        "  --require-auth K    basic, bearer or oauth2 (POST /oauth_token.do issues tokens)\n"
        "  --auth-file FILE    accepted credentials, one per line (required with --require-auth)\n"
        "  --token-ttl N       lifetime of issued OAuth2 access tokens in s (default 1799)\n"
        "  --repeat-page       every list answer is the first page, whatever page is asked\n"
        "  --link-loop N       TMF v4 lists carry Link rel=\"next\"; page N's points back to\n"
        "                      page 1 (N = 1: a page linking to itself)\n"
        "  --endless           collections never end: new made-up items past the end\n"
        "  --no-total-count    list answers carry no X-Total-Count\n"
        "  --hub-drop P        probability that a hub event is not sent to a subscriber\n"
        "  --hub-duplicate P   probability that a hub event is sent twice to a subscriber\n"
        "  --help              show this help\n"
        "A fault never changes the inventory served for a seed, sizes and epoch.\n");
}

/* Parses a whole number in min..max for option `name`; prints the error and returns -1. */
static int sim_main_number(const char *name, const char *text, uint64_t min, uint64_t max,
               uint64_t *out)
{
    unsigned long long value;
    char *end = NULL;

    errno = 0;
    if (text[0] >= '0' && text[0] <= '9')
        value = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || !end || *end != '\0' ||
        value < min || value > max) {
        fprintf(stderr, "tmfinv-sim: %s: '%.64s' is not a whole number in %llu..%llu\n", name,
            text, (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = value;
    return 0;
}

/* Parses a probability: a plain decimal in [0, 1] with at most 9 digits after the point, kept
 * exactly in parts per billion. Prints the error and returns -1. */
static int sim_main_probability(const char *name, const char *text, uint32_t *ppb)
{
    const char *p = text;
    uint64_t whole = 0, fraction = 0, scale = 100000000;
    int digits = 0, decimals = 0;

    while (*p >= '0' && *p <= '9' && digits < 4) {
        whole = whole * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9' && decimals < 9) {
            fraction += (uint64_t)(*p++ - '0') * scale;
            scale /= 10;
            decimals++;
        }
        if (decimals == 0)
            digits = 0;
    }
    if (*p != '\0' || (digits == 0 && decimals == 0) || whole > 1 ||
        (whole == 1 && fraction != 0)) {
        fprintf(stderr, "tmfinv-sim: %s: '%.64s' is not a probability (a decimal from 0 to 1)\n",
            name, text);
        return -1;
    }
    *ppb = (uint32_t)(whole * SIM_PPB + fraction);
    return 0;
}

/* Splits HOST:PORT (HOST may be [v6]). Prints the error and returns -1. */
static int sim_main_listen(struct sim_options *options, const char *text)
{
    const char *colon = strrchr(text, ':');
    const char *host = text;
    size_t host_len;
    uint64_t port;

    if (!colon || colon == text) {
        fprintf(stderr, "tmfinv-sim: --listen: '%.64s' is not HOST:PORT\n", text);
        return -1;
    }
    host_len = (size_t)(colon - text);
    if (text[0] == '[') {
        if (host_len < 3 || text[host_len - 1] != ']') {
            fprintf(stderr, "tmfinv-sim: --listen: '%.64s' is not [IPv6]:PORT\n", text);
            return -1;
        }
        host++;
        host_len -= 2;
        options->host_bracketed = 1;
    }
    if (host_len >= sizeof(options->host)) {
        fprintf(stderr, "tmfinv-sim: --listen: host name too long\n");
        return -1;
    }
    if (sim_main_number("--listen port", colon + 1, 0, 65535, &port) < 0)
        return -1;
    memcpy(options->host, host, host_len);
    options->host[host_len] = '\0';
    if (snprintf(options->port, sizeof(options->port), "%u", (unsigned)port) >=
        (int)sizeof(options->port))
        return -1;
    return 0;
}

/* Returns 0 to run, 1 when --help was shown, -1 on a bad option (message printed). */
static int sim_main_options(int argc, char **argv, struct sim_options *options)
{
    int i;

    memset(options, 0, sizeof(*options));
    options->http.fault.shuffle_every = 5;
    options->http.fault.retry_after = 1;
    options->http.fault.slow_ms = 300;
    options->token_ttl = 1799;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL, *eq;
        char name[32];
        size_t name_len;
        uint64_t n;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sim_main_usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "tmfinv-sim: unexpected argument '%.64s' (try --help)\n", arg);
            return -1;
        }
        eq = strchr(arg, '=');
        name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (name_len >= sizeof(name)) {
            fprintf(stderr, "tmfinv-sim: unknown option '%.64s' (try --help)\n", arg);
            return -1;
        }
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        if (strcmp(name, "--total-count-lie") == 0 || strcmp(name, "--shuffle") == 0 ||
            strcmp(name, "--repeat-page") == 0 || strcmp(name, "--endless") == 0 ||
            strcmp(name, "--no-total-count") == 0) {
            if (eq) {
                fprintf(stderr, "tmfinv-sim: %s takes no value\n", name);
                return -1;
            }
            if (strcmp(name, "--shuffle") == 0)
                options->http.fault.shuffle = 1;
            else if (strcmp(name, "--repeat-page") == 0)
                options->http.repeat_page = 1;
            else if (strcmp(name, "--endless") == 0)
                options->http.endless = 1;
            else if (strcmp(name, "--no-total-count") == 0)
                options->http.no_total_count = 1;
            else
                options->http.fault.total_count_lie = 1;
            continue;
        }
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        }
        if (strcmp(name, "--listen") != 0 && strcmp(name, "--seed") != 0 &&
            strcmp(name, "--services") != 0 && strcmp(name, "--carriers") != 0 &&
            strcmp(name, "--resources") != 0 && strcmp(name, "--epoch") != 0 &&
            strcmp(name, "--latency-ms") != 0 && strcmp(name, "--fail-page") != 0 &&
            strcmp(name, "--fault-rate") != 0 && strcmp(name, "--malformed-rate") != 0 &&
            strcmp(name, "--bad-items") != 0 && strcmp(name, "--shuffle-every") != 0 &&
            strcmp(name, "--rate-limit") != 0 && strcmp(name, "--retry-after") != 0 &&
            strcmp(name, "--slow-ms") != 0 && strcmp(name, "--require-auth") != 0 &&
            strcmp(name, "--auth-file") != 0 && strcmp(name, "--token-ttl") != 0 &&
            strcmp(name, "--link-loop") != 0 && strcmp(name, "--hub-drop") != 0 &&
            strcmp(name, "--hub-duplicate") != 0) {
            fprintf(stderr, "tmfinv-sim: unknown option '%s' (try --help)\n", name);
            return -1;
        }
        if (!value) {
            fprintf(stderr, "tmfinv-sim: %s: missing value\n", name);
            return -1;
        }
        if (strcmp(name, "--listen") == 0) {
            if (sim_main_listen(options, value) < 0)
                return -1;
            options->seen |= SEEN_LISTEN;
        } else if (strcmp(name, "--seed") == 0) {
            if (sim_main_number(name, value, 0, UINT64_MAX, &n) < 0)
                return -1;
            options->config.seed = n;
            options->seen |= SEEN_SEED;
        } else if (strcmp(name, "--services") == 0) {
            if (sim_main_number(name, value, 0, SIM_MAX_ITEMS, &n) < 0)
                return -1;
            options->config.services = (uint32_t)n;
            options->seen |= SEEN_SERVICES;
        } else if (strcmp(name, "--carriers") == 0) {
            if (sim_main_number(name, value, 0, SIM_MAX_ITEMS, &n) < 0)
                return -1;
            options->config.carriers = (uint32_t)n;
            options->seen |= SEEN_CARRIERS;
        } else if (strcmp(name, "--resources") == 0) {
            if (sim_main_number(name, value, 0, SIM_MAX_ITEMS, &n) < 0)
                return -1;
            options->config.resources = (uint32_t)n;
            options->seen |= SEEN_RESOURCES;
        } else if (strcmp(name, "--epoch") == 0) {
            if (sim_main_number(name, value, 0, SIM_MAX_EPOCH, &n) < 0)
                return -1;
            options->epoch = (uint32_t)n;
        } else if (strcmp(name, "--latency-ms") == 0) {
            if (sim_main_number(name, value, 0, 600000, &n) < 0)
                return -1;
            options->http.latency_ms = (uint32_t)n;
        } else if (strcmp(name, "--fault-rate") == 0) {
            if (sim_main_probability(name, value, &options->http.fault.fault_ppb) < 0)
                return -1;
        } else if (strcmp(name, "--malformed-rate") == 0) {
            if (sim_main_probability(name, value, &options->http.fault.malformed_ppb) < 0)
                return -1;
        } else if (strcmp(name, "--hub-drop") == 0) {
            if (sim_main_probability(name, value, &options->http.hub.drop_ppb) < 0)
                return -1;
        } else if (strcmp(name, "--hub-duplicate") == 0) {
            if (sim_main_probability(name, value, &options->http.hub.duplicate_ppb) < 0)
                return -1;
        } else if (strcmp(name, "--bad-items") == 0) {
            if (sim_main_probability(name, value, &options->http.fault.bad_items_ppb) < 0)
                return -1;
        } else if (strcmp(name, "--shuffle-every") == 0) {
            if (sim_main_number(name, value, 1, UINT32_MAX, &n) < 0)
                return -1;
            options->http.fault.shuffle_every = (uint32_t)n;
            options->http.fault.shuffle = 1;
        } else if (strcmp(name, "--rate-limit") == 0) {
            if (sim_main_number(name, value, 1, 1000000, &n) < 0)
                return -1;
            options->http.fault.rate_limit = (uint32_t)n;
        } else if (strcmp(name, "--retry-after") == 0) {
            if (sim_main_number(name, value, 0, 86400, &n) < 0)
                return -1;
            options->http.fault.retry_after = (uint32_t)n;
        } else if (strcmp(name, "--slow-ms") == 0) {
            if (sim_main_number(name, value, 0, 600000, &n) < 0)
                return -1;
            options->http.fault.slow_ms = (uint32_t)n;
        } else if (strcmp(name, "--link-loop") == 0) {
            if (sim_main_number(name, value, 1, UINT32_MAX, &n) < 0)
                return -1;
            options->http.link_loop = (uint32_t)n;
        } else if (strcmp(name, "--token-ttl") == 0) {
            if (sim_main_number(name, value, 1, 31536000, &n) < 0)
                return -1;
            options->token_ttl = (uint32_t)n;
        } else if (strcmp(name, "--require-auth") == 0) {
            if (strcmp(value, "basic") == 0) {
                options->auth_kind = SIM_AUTH_BASIC;
            } else if (strcmp(value, "bearer") == 0) {
                options->auth_kind = SIM_AUTH_BEARER;
            } else if (strcmp(value, "oauth2") == 0) {
                options->auth_kind = SIM_AUTH_OAUTH2;
            } else {
                fprintf(stderr, "tmfinv-sim: --require-auth: '%.64s' is not basic, bearer or "
                    "oauth2\n", value);
                return -1;
            }
        } else if (strcmp(name, "--auth-file") == 0) {
            if (value[0] == '\0') {
                fprintf(stderr, "tmfinv-sim: --auth-file: empty file name\n");
                return -1;
            }
            options->auth_file = value;
        } else {
            if (sim_main_number(name, value, 1, UINT32_MAX, &n) < 0)
                return -1;
            options->http.fail_page = (uint32_t)n;
        }
    }
    if (!(options->seen & SEEN_LISTEN) || !(options->seen & SEEN_SEED) ||
        !(options->seen & SEEN_SERVICES) || !(options->seen & SEEN_CARRIERS) ||
        !(options->seen & SEEN_RESOURCES)) {
        fprintf(stderr, "tmfinv-sim: %s is required (try --help)\n",
            !(options->seen & SEEN_LISTEN) ? "--listen" :
            !(options->seen & SEEN_SEED) ? "--seed" :
            !(options->seen & SEEN_SERVICES) ? "--services" :
            !(options->seen & SEEN_CARRIERS) ? "--carriers" : "--resources");
        return -1;
    }
    if (options->auth_kind != SIM_AUTH_NONE && !options->auth_file) {
        fprintf(stderr, "tmfinv-sim: --require-auth needs --auth-file FILE\n");
        return -1;
    }
    if (options->auth_kind == SIM_AUTH_NONE && options->auth_file) {
        fprintf(stderr, "tmfinv-sim: --auth-file needs --require-auth basic|bearer|oauth2\n");
        return -1;
    }
    return 0;
}

/* Binds and listens on the given address; returns the socket and the bound port, or -1 with
 * the error printed. */
static int sim_main_bind(const struct sim_options *options, unsigned *port)
{
    struct addrinfo hints, *found = NULL, *ai;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof(bound);
    int fd = -1, rc, one = 1, saved = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(options->host, options->port, &hints, &found);
    if (rc != 0) {
        fprintf(stderr, "tmfinv-sim: --listen: cannot resolve '%s': %s\n", options->host,
            gai_strerror(rc));
        return -1;
    }
    for (ai = found; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0) {
        fprintf(stderr, "tmfinv-sim: --listen: cannot listen on %s:%s: %s\n", options->host,
            options->port, strerror(saved));
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
        fprintf(stderr, "tmfinv-sim: getsockname: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    if (bound.ss_family == AF_INET6)
        *port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    else
        *port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    struct sim_options options;
    struct sim_model model;
    struct sim_http *server = NULL;
    struct sim_auth *auth = NULL;
    char error[512];
    int model_ready = 0, curl_ready = 0, exit_code = 1, fd, rc, signo = 0;
    unsigned port = 0;
    sigset_t stop_signals;

    rc = sim_main_options(argc, argv, &options);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    /* the credentials are read before anything starts: a bad file is a bad option (exit 2) */
    if (options.auth_kind != SIM_AUTH_NONE &&
        sim_auth_load(options.auth_kind, options.auth_file, options.token_ttl,
                  options.config.seed, &auth, error, sizeof(error)) < 0) {
        fprintf(stderr, "tmfinv-sim: %s\n", error);
        return 2;
    }

    /* Block the stop signals before any thread starts, so all threads inherit the mask and
     * only sigwait() below receives them. */
    signal(SIGPIPE, SIG_IGN);
    /* libcurl (the hub's deliveries) is set up once, before any thread */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "tmfinv-sim: cannot initialise libcurl\n");
        goto out;
    }
    curl_ready = 1;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        fprintf(stderr, "tmfinv-sim: cannot block signals\n");
        goto out;
    }
    if (sim_model_init(&model, &options.config, options.epoch) < 0) {
        fprintf(stderr, "tmfinv-sim: out of memory building the inventory\n");
        goto out;
    }
    model_ready = 1;
    fd = sim_main_bind(&options, &port);
    if (fd < 0)
        goto out;
    if (sim_http_start(&model, &options.http, auth, fd, &server) < 0) {
        fprintf(stderr, "tmfinv-sim: cannot start the HTTP server\n");
        goto out;
    }
    printf(options.host_bracketed ? "listening on [%s]:%u\n" : "listening on %s:%u\n",
           options.host, port);
    fflush(stdout);
    while (sigwait(&stop_signals, &signo) != 0)
        ;
    exit_code = 0;
out:
    sim_http_stop(server);
    sim_auth_free(auth);
    if (model_ready)
        sim_model_destroy(&model);
    if (curl_ready)
        curl_global_cleanup();
    return exit_code;
}
