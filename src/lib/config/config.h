/* config.h: tmfinv's configuration file (INI), read and checked in one place.
 *
 * Every key is documented in docs/configuration.md. Relative paths are taken relative
 * to the directory of the configuration file. Secrets (passwords) are read from the
 * files the configuration names, never from the configuration itself. */
#ifndef TMFINV_CONFIG_H
#define TMFINV_CONFIG_H

#include <stddef.h>

typedef enum tmfinv_paging { TMFINV_PAGING_OFFSET, TMFINV_PAGING_PAGE, TMFINV_PAGING_LINK } tmfinv_paging;
typedef enum tmfinv_auth { TMFINV_AUTH_NONE, TMFINV_AUTH_BASIC, TMFINV_AUTH_BEARER, TMFINV_AUTH_OAUTH2 } tmfinv_auth;
typedef enum tmfinv_grant { TMFINV_GRANT_PASSWORD, TMFINV_GRANT_CLIENT_CREDENTIALS } tmfinv_grant;

typedef struct tmfinv_source_config {
    char *name;
    char *api;              /* "tmf638" or "tmf639" */
    char *url;              /* collection URL */
    tmfinv_paging paging;
    int page_size;
    char *profile;          /* profile name or file */
    int profile_line;       /* line of the profile key, 0 when defaulted */
    tmfinv_auth auth;
    char *username;
    char *password;         /* secret, from password_file or password_env */
    char *token;            /* bearer: secret, from token_file or token_env */
    char *token_url;        /* oauth2: the token endpoint */
    tmfinv_grant grant;     /* oauth2 grant */
    char *client_id;        /* oauth2 */
    char *client_secret;    /* oauth2: secret, from client_secret_file or client_secret_env */
    char *params;           /* extra query string, without leading '?' */
    char *incremental_params; /* query string of an incremental refresh; NULL: always full */
    int concurrency;        /* requests in flight at once */
    double rate_limit;      /* requests per second, 0: no limit */
    int timeout_ms;         /* per request */
    int retries;            /* tries after the first one for a failing page */
    int retry_delay_ms;     /* first back-off delay, doubled per try */
    int retry_max_delay_ms; /* cap of the back-off delay */
    int insecure;           /* TLS verification off (explicit, logged) */
    int max_failed_pages;   /* consecutive failed pages that stop a scan */
    double max_remove_fraction; /* most of its active instances one scan may remove (else withheld) */
    char **definitions;     /* the definitions this source feeds; NULL: all of its API */
    size_t n_definitions;
    char **exclude_types;   /* overrides the definitions' excluded types; NULL: keep them */
    size_t n_exclude_types;
    int has_exclude_types;
    char *ca_file;
    char *proxy;            /* CURLOPT_PROXY; NULL: libcurl's environment (http_proxy, ...); "": no proxy */
    char *no_proxy;         /* CURLOPT_NOPROXY: comma-separated hosts, "*": all; NULL: the environment's */
    char **allowed_origins; /* origins besides url's that may get requests (and credentials), normalised */
    size_t n_allowed_origins;
    int max_pages;          /* most pages one scan of this source may take (the page budget without a total) */
    int hub;                /* hub = true: subscribe to the source's TMF hub (needs [http] public_url) */
    int hub_line;           /* the line of `hub`, for messages */
} tmfinv_source_config;

/* A [webhook NAME] section: where `serve` POSTs instance events (docs/events.md). */
enum { TMFINV_WEBHOOK_CREATE = 1, TMFINV_WEBHOOK_CHANGE = 2, TMFINV_WEBHOOK_STATE = 4, TMFINV_WEBHOOK_DELETE = 8 };
typedef struct tmfinv_webhook_config {
    char *name;
    char *url;
    char **definitions;     /* NULL: all */
    size_t n_definitions;
    unsigned events;        /* TMFINV_WEBHOOK_* mask; default all */
    char *secret;           /* from secret_file; NULL: unsigned */
    int timeout_ms;         /* one POST */
    int max_tries;          /* tries of one event before it is a dead letter */
    int max_age_s;          /* an event older than this is a dead letter at its next failure */
    int retry_delay_ms;     /* first back-off delay, doubled per try */
    int retry_max_delay_ms; /* cap of the back-off delay */
    char *ca_file;
    int insecure;
    int line;
} tmfinv_webhook_config;

/* Reads one [webhook NAME] section (config_webhook.c); errors name file:line. */
struct tmfinv_ini_section;
int tmfinv_config_webhook_load(const char *file, const char *dir, struct tmfinv_ini_section *sec, const char *name,
                               tmfinv_webhook_config *out);
void tmfinv_config_webhook_clear(tmfinv_webhook_config *w);

typedef struct tmfinv_config {
    char *path;
    char *store_path;       /* [store] path (SQLite file), or [store] url (postgresql://...) */
    int store_busy_timeout_s; /* [store] busy_timeout: longest wait for another writer's lock */
    int store_history_days; /* [store] history_days: history rows kept this long (docs/decisions.md) */
    int store_removed_days; /* [store] removed_days: removed instances kept this long, then purged */
    int interval_s;         /* [sync] interval: refresh period of the schedule */
    int full_interval_s;    /* [sync] full_interval: period of full reconciles */
    double max_remove_fraction; /* [sync] max_remove_fraction: the sources' default */
    int deadline_s;         /* [sync] deadline: longest run, default 6 h, 0: none */
    int log_json;           /* [log] format = json (else text: logfmt) */
    int log_level;          /* [log] level, a tmfinv_log_level (tmfinv_log.h); default info */
    struct {
        char *listen;           /* [http] listen, default 127.0.0.1:8080 */
        int listen_line;        /* its line, for messages */
        int loopback;           /* listen is on the loopback network */
        char *tokens_file;      /* [http] tokens_file, NULL: no tokens (loopback only) */
        int default_limit;      /* items per page when the client gives no limit */
        int max_limit;          /* largest limit a client may ask for */
        int max_body;           /* bytes */
        int max_url;            /* bytes */
        int max_headers;
        int max_connections;
        int timeout_s;
        int request_timeout_s;  /* a whole request (headers and body) must be in within this */
        int max_client_connections; /* connections from one IP address */
        int threads;
        int ready_max_age_s;    /* /readyz: the last complete sync must be younger than this */
        char *tls_cert;         /* [http] tls_cert: PEM certificate chain; NULL: plain HTTP */
        char *tls_key;          /* [http] tls_key: PEM private key */
        int plaintext;          /* [http] plaintext: plain HTTP beyond loopback (a TLS proxy in front) */
        char **cors_origins;    /* [http] cors_origins: browser origins ("https://host[:port]", the
                                 * default port left out, as browsers send Origin); NULL: no CORS */
        size_t n_cors_origins;
        char **hub_callback_origins; /* [http] hub_callback_origins: the only origins a hub
                                 * subscription's callback may name ("scheme://host:port");
                                 * NULL: any http(s) URL (the write role is trusted) */
        size_t n_hub_callback_origins;
        char *public_url;       /* [http] public_url: how sources reach this server (hub callbacks),
                                 * "http(s)://host[:port][/prefix]" without a trailing '/'; NULL: none */
    } http;
    char **warnings;        /* one line each, for the CLI to log as warnings (a secret file other
                             * users may read); the library never prints */
    size_t n_warnings;
    tmfinv_source_config *sources;
    size_t n_sources;
    tmfinv_webhook_config *webhooks; /* [webhook NAME] sections */
    size_t n_webhooks;
} tmfinv_config;

/* Reads and checks the configuration at `path`. On success *out holds a new config
 * (free with tmfinv_config_free()). Fails with TMFINV_EINVALID or TMFINV_EIO, the
 * message naming the file, line and key. */
int tmfinv_config_load(const char *path, tmfinv_config **out);
void tmfinv_config_free(tmfinv_config *c);

/* Writes the origin of the http(s) URL `url` into `out`, normalised as
 * "scheme://host:port" (scheme and host in lower case, the scheme's default port made
 * explicit), so that two spellings of one origin compare equal with strcmp. Fails with
 * TMFINV_EINVALID (a malformed URL, another scheme, no host; the message says which) or
 * TMFINV_ELIMIT (does not fit in `len`). */
int tmfinv_config_url_origin(const char *url, char *out, size_t len);

#endif
