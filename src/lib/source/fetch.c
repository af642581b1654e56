/* fetch.c: the parallel page fetcher (see fetch.h).
 *
 * Pages live in a window of slots: slot i % window holds page i while it waits for a
 * try, is in flight, or is done and waits to be handed over. The window is twice the
 * concurrency, so memory is bounded by the window, not by the inventory. */
#include "fetch.h"

#include "credentials.h"
#include "guard.h"
#include "model.h"
#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef enum slot_state {
    SLOT_FREE,      /* no page */
    SLOT_WAITING,   /* page known, its next try starts at not_before_ms */
    SLOT_RUNNING,   /* a try is in flight */
    SLOT_DONE       /* outcome known, waits to be handed over in page order */
} slot_state;

typedef struct slot {
    slot_state state;
    tmfinv_fetcher *owner;
    int64_t index;
    int64_t not_before_ms;
    int refreshed;              /* this page already had its token renewed after a 401 */
    int refresh_pending;        /* the next try must renew the token first */
    int token_generation;       /* which token the current try used */
    CURL *easy;
    struct curl_slist *headers;
    tmfinv_buf body;
    int64_t total_count;        /* from the current try's headers */
    char retry_after[64];
    char link_next[2048];
    tmfinv_page page;           /* the result being built */
} slot;

struct tmfinv_fetcher {
    const tmfinv_source_config *src;
    tmfinv_fetch_options opt;
    tmfinv_credentials *credentials;
    CURLM *multi;
    slot *slots;
    int window;
    int running;
    int effective_concurrency;  /* lowered when the source says slow down */
    int good_since_slowdown;
    int64_t next_issue;         /* lowest page index not yet given a slot */
    int64_t next_return;        /* next page index to hand over */
    int first_ok;               /* a page came back good: reading ahead is worth it */
    int64_t hint_end;           /* from X-Total-Count: read ahead no further (INT64_MAX: unknown) */
    int64_t end;                /* pages from this index on do not exist (INT64_MAX: unknown) */
    int64_t pause_until_ms;     /* no new try before this (Retry-After) */
    double tokens;              /* rate limiter */
    int64_t tokens_at_ms;
    char next_url[2048];        /* link dialect: the URL of page next_issue */
    tmfinv_guard *guard;        /* origins, visited links, page budget */
    char cut_short[1024];       /* why a paging rule ended the scan early, "" when none did */
    const char *interrupted;
    unsigned rng;
    tmfinv_fetch_stats stats;
};

int tmfinv_fetch_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tmfinv_error_set(TMFINV_ERROR, "libcurl could not be initialised");
    return 0;
}

/* ---- transfers ----------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    slot *s = ctx;

    if (tmfinv_buf_append(&s->body, p, size * n) < 0)
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    return size * n;
}

static void header_value(const char *p, size_t len, size_t name_len, char *out, size_t out_len)
{
    size_t i = name_len, k = 0;

    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    while (i < len && p[i] != '\r' && p[i] != '\n' && k < out_len - 1)
        out[k++] = p[i++];
    out[k] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    slot *s = ctx;
    size_t len = size * n;
    char value[32];

    if (len > 14 && strncasecmp(p, "x-total-count:", 14) == 0) {
        int64_t v;

        header_value(p, len, 14, value, sizeof(value));
        s->total_count = tmfinv_parse_int64(value, 0, INT64_MAX, &v) == 0 ? v : -1;
    } else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0)
        header_value(p, len, 12, s->retry_after, sizeof(s->retry_after));
    else if (len > 5 && strncasecmp(p, "link:", 5) == 0) {
        char link[4096];

        header_value(p, len, 5, link, sizeof(link));
        if (!tmfinv_fetch_link_next(link, s->link_next, sizeof(s->link_next)))
            s->link_next[0] = '\0';
    }
    return len;
}

static void slot_reset_try(slot *s)
{
    tmfinv_buf_reset(&s->body);
    s->total_count = -1;
    s->retry_after[0] = '\0';
    s->link_next[0] = '\0';
    curl_slist_free_all(s->headers);
    s->headers = NULL;
}

static int slot_setup(tmfinv_fetcher *f, slot *s)
{
    const tmfinv_source_config *src = f->src;

    s->owner = f;
    tmfinv_buf_init(&s->body, TMFINV_MAX_BODY);
    s->easy = curl_easy_init();
    if (!s->easy)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "tmfinv/" TMFINV_VERSION);
    curl_easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)src->timeout_ms);
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(src->timeout_ms < 10000 ? src->timeout_ms : 10000));
    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* A redirect is an answer, never followed: the next hop could be another origin, and
     * credentials only go to the source's own (libcurl's defaults, made explicit; no cookie
     * engine is ever enabled either). */
    curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(s->easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    if (src->insecure) {
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (src->ca_file)
        curl_easy_setopt(s->easy, CURLOPT_CAINFO, src->ca_file);
    /* Without `proxy`, libcurl reads http_proxy, https_proxy and no_proxy as before. With
     * it the configuration says it all: "" is no proxy, and the environment's no_proxy is
     * not consulted ("" bypasses no host) unless `no_proxy` is set. */
    if (src->proxy)
        curl_easy_setopt(s->easy, CURLOPT_PROXY, src->proxy);
    if (src->no_proxy || (src->proxy && src->proxy[0]))
        curl_easy_setopt(s->easy, CURLOPT_NOPROXY, src->no_proxy ? src->no_proxy : "");
    return 0;
}

/* Resolves `ref` against `base` (NULL: `ref` is absolute) into the absolute URL libcurl will
 * request, in libcurl's normal form, so that one link spelt two ways is one link. 0, or -1
 * when it cannot be parsed or does not fit. */
static int normalised_url(const char *ref, const char *base, char *out, size_t len)
{
    CURLU *u = curl_url();
    char *url = NULL;
    int rc = -1;

    if (u && (!base || curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK) &&
        curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK &&
        strlen(url) < len) {
        memcpy(out, url, strlen(url) + 1);
        rc = 0;
    }
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

int tmfinv_fetcher_new(const tmfinv_source_config *src, const tmfinv_fetch_options *opt, tmfinv_fetcher **out)
{
    tmfinv_fetcher *f = calloc(1, sizeof(*f));
    int rc = 0, i;

    if (!f)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    f->src = src;
    if (opt)
        f->opt = *opt;
    /* The link dialect learns each URL from the page before: one page at a time. */
    f->effective_concurrency = src->paging == TMFINV_PAGING_LINK ? 1 : src->concurrency;
    f->window = src->paging == TMFINV_PAGING_LINK ? 1 : 2 * src->concurrency;
    f->end = INT64_MAX;
    f->hint_end = INT64_MAX;
    f->tokens = 1.0;
    f->tokens_at_ms = tmfinv_time_monotonic_ms();
    f->rng = (unsigned)tmfinv_time_monotonic_ms() ^ (unsigned)(uintptr_t)f;
    f->multi = curl_multi_init();
    f->slots = calloc((size_t)f->window, sizeof(*f->slots));
    if (!f->multi || !f->slots) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)src->concurrency);
    if ((rc = tmfinv_credentials_new(src, &f->credentials)) < 0 || (rc = tmfinv_guard_new(src, &f->guard)) < 0)
        goto out;
    for (i = 0; i < f->window; i++)
        if ((rc = slot_setup(f, &f->slots[i])) < 0)
            goto out;
    if (src->paging == TMFINV_PAGING_LINK) {
        /* The first page is requested as built; it counts as visited in libcurl's normal
         * form, the form in which later links are compared. */
        char first[sizeof(f->next_url)];

        if ((rc = tmfinv_fetch_page_url(src, f->opt.extra_params, 0, src->page_size, f->next_url,
                                        sizeof(f->next_url))) == 0 &&
            normalised_url(f->next_url, NULL, first, sizeof(first)) < 0)
            rc = tmfinv_error_set(TMFINV_EINVALID, "source '%s': the first page URL %s cannot be parsed", src->name,
                                  f->next_url);
        if (rc == 0 && (rc = tmfinv_guard_visit(f->guard, first)) > 0)
            rc = 0;
    }
out:
    if (rc < 0) {
        tmfinv_fetcher_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void tmfinv_fetcher_free(tmfinv_fetcher *f)
{
    int i;

    if (!f)
        return;
    for (i = 0; f->slots && i < f->window; i++) {
        slot *s = &f->slots[i];

        if (s->easy) {
            if (s->state == SLOT_RUNNING)
                curl_multi_remove_handle(f->multi, s->easy);
            curl_easy_cleanup(s->easy);
        }
        curl_slist_free_all(s->headers);
        tmfinv_buf_free(&s->body);
        cJSON_Delete(s->page.items);
    }
    free(f->slots);
    if (f->multi)
        curl_multi_cleanup(f->multi);
    tmfinv_credentials_free(f->credentials);
    tmfinv_guard_free(f->guard);
    free(f);
}

const char *tmfinv_fetcher_interrupted(const tmfinv_fetcher *f)
{
    return f->interrupted;
}

const char *tmfinv_fetcher_cut_short(const tmfinv_fetcher *f)
{
    return f->cut_short[0] ? f->cut_short : NULL;
}

void tmfinv_fetcher_stats(const tmfinv_fetcher *f, tmfinv_fetch_stats *out)
{
    *out = f->stats;
    out->token_fetches = f->credentials ? tmfinv_credentials_token_fetches(f->credentials) : 0;
}

static slot *slot_of(tmfinv_fetcher *f, int64_t index)
{
    return &f->slots[index % f->window];
}

static void set_end(tmfinv_fetcher *f, int64_t end);

/* Starts a try of the page in slot s; a page whose URL is of another origin is ended as
 * FATAL instead, without a request. */
static int start_try(tmfinv_fetcher *f, slot *s, int refresh_token)
{
    char origin[512];
    int rc;

    slot_reset_try(s);
    if (f->src->paging == TMFINV_PAGING_LINK && s->page.tries == 0)
        (void)snprintf(s->page.url, sizeof(s->page.url), "%s", f->next_url);
    else if (f->src->paging != TMFINV_PAGING_LINK && s->page.tries == 0 &&
             (rc = tmfinv_fetch_page_url(f->src, f->opt.extra_params, s->index, f->src->page_size, s->page.url,
                                         sizeof(s->page.url))) < 0)
        return rc;
    if (!tmfinv_guard_origin_allowed(f->guard, s->page.url, origin, sizeof(origin))) {
        /* Every request carries the credentials: none goes to another origin (a next link
         * the source handed us), and the source stops here, before anything is sent. */
        const char *what = f->src->paging == TMFINV_PAGING_LINK && s->index > 0 ? "next link" : "page URL";

        if (origin[0] == '(')
            (void)snprintf(s->page.error, sizeof(s->page.error), "the %s cannot be used %.300s; nothing was sent",
                           what, origin);
        else
            (void)snprintf(s->page.error, sizeof(s->page.error),
                           "the %s leads to another origin, %.150s; the source's credentials only go to %.150s "
                           "(list that origin in allowed_origins to follow it); nothing was sent there",
                           what, origin, tmfinv_guard_origin(f->guard));
        s->page.outcome = TMFINV_PAGE_FATAL;
        s->state = SLOT_DONE;
        set_end(f, s->index + 1);
        return 0;
    }
    s->page.tries++;
    if (s->page.tries > 1)
        f->stats.retries++;
    f->stats.requests++;
    s->headers = curl_slist_append(NULL, "Accept: application/json");
    if (!s->headers)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    rc = tmfinv_credentials_apply(f->credentials, s->easy, &s->headers, refresh_token);
    if (rc < 0)
        return rc;
    s->token_generation = tmfinv_credentials_token_fetches(f->credentials);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_URL, s->page.url);
    if (curl_multi_add_handle(f->multi, s->easy) != CURLM_OK)
        return tmfinv_error_set(TMFINV_ENOMEM, "libcurl could not start a transfer");
    s->state = SLOT_RUNNING;
    f->running++;
    return 0;
}

/* Equal-jitter capped exponential back-off for try number `tries` (1 = first retry). */
static int64_t backoff_ms(tmfinv_fetcher *f, int tries)
{
    int64_t d = f->src->retry_delay_ms;

    for (int i = 1; i < tries && d < f->src->retry_max_delay_ms; i++)
        d *= 2;
    if (d > f->src->retry_max_delay_ms)
        d = f->src->retry_max_delay_ms;
    if (d <= 1)
        return d;
    f->rng = f->rng * 1103515245u + 12345u;
    return d / 2 + (int64_t)((f->rng >> 8) % (unsigned)(d / 2 + 1));
}

/* Schedules another try, or ends the page as failed when it has had its tries. */
static void retry_or_fail(tmfinv_fetcher *f, slot *s, int64_t delay_ms, int stat_bucket)
{
    if (s->page.tries > f->src->retries) {
        s->page.outcome = TMFINV_PAGE_FAILED;
        s->state = SLOT_DONE;
        return;
    }
    f->stats.retries_by_status[stat_bucket]++;
    s->state = SLOT_WAITING;
    s->not_before_ms = tmfinv_time_monotonic_ms() + (delay_ms >= 0 ? delay_ms : backoff_ms(f, s->page.tries));
}

static int status_bucket(long status)
{
    switch (status) {
    case 429: return 0;
    case 500: return 1;
    case 502: return 2;
    case 503: return 3;
    case 504: return 4;
    default: return 5;
    }
}

/* Transport errors that mean the source is not there at all (no point reading on). */
static int unreachable(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
           cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
           cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT;
}

/* The source's answers are the truth about the end of the collection: a short page
 * ends it; pages after the end that are in flight or waiting are dropped. */
static void set_end(tmfinv_fetcher *f, int64_t end)
{
    if (end >= f->end)
        return;
    f->end = end;
    for (int i = 0; i < f->window; i++) {
        slot *s = &f->slots[i];

        if (s->state == SLOT_FREE || s->index < end)
            continue;
        if (s->state == SLOT_RUNNING) {
            curl_multi_remove_handle(f->multi, s->easy);
            f->running--;
        }
        cJSON_Delete(s->page.items);
        memset(&s->page, 0, sizeof(s->page));
        s->state = SLOT_FREE;
    }
}

/* Judges a finished try of slot s. */
static void finish_try(tmfinv_fetcher *f, slot *s, CURLcode cc)
{
    tmfinv_page *p = &s->page;
    long status = 0;

    curl_multi_remove_handle(f->multi, s->easy);
    f->running--;
    if (cc == CURLE_OK)
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    p->status = status;
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR && s->body.len + CURL_MAX_WRITE_SIZE > s->body.max)
            (void)snprintf(p->error, sizeof(p->error), "body larger than %d bytes", TMFINV_MAX_BODY);
        else
            (void)snprintf(p->error, sizeof(p->error), "%s", curl_easy_strerror(cc));
        if (unreachable(cc) && p->tries > f->src->retries) {
            p->outcome = TMFINV_PAGE_FATAL;
            s->state = SLOT_DONE;
            set_end(f, s->index + 1);
            return;
        }
        retry_or_fail(f, s, -1, 5);
        return;
    }
    if (status == 401 && f->src->auth == TMFINV_AUTH_OAUTH2 && !s->refreshed) {
        /* The token may have expired early or been revoked: renew it (once, unless another
         * page already did since this try started) and try again. */
        s->refreshed = 1;
        s->refresh_pending = s->token_generation == tmfinv_credentials_token_fetches(f->credentials);
        s->state = SLOT_WAITING;
        s->not_before_ms = 0;
        p->tries--; /* this try does not count against the retries */
        return;
    }
    if (status == 429 || status >= 500) {
        int64_t wait = s->retry_after[0] ? tmfinv_fetch_retry_after_ms(s->retry_after, (int64_t)time(NULL)) : -1;

        (void)snprintf(p->error, sizeof(p->error), "HTTP %ld%s%s", status, wait >= 0 ? ", Retry-After " : "",
                       wait >= 0 ? s->retry_after : "");
        if (wait >= 0) {
            /* The source said how long to wait: exactly that, for the whole source, and
             * fewer requests at once afterwards. */
            int64_t until = tmfinv_time_monotonic_ms() + wait;

            if (until > f->pause_until_ms)
                f->pause_until_ms = until;
            if (f->effective_concurrency > 1)
                f->effective_concurrency /= 2;
            f->good_since_slowdown = 0;
        }
        retry_or_fail(f, s, wait, status_bucket(status));
        return;
    }
    if (status >= 300 && status <= 399) {
        char *location = NULL, origin[512] = "";
        int foreign = 0;

        /* Not followed (see slot_setup): say where it pointed, so the operator can fix `url`. */
        if (curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
            foreign = !tmfinv_guard_origin_allowed(f->guard, location, origin, sizeof(origin));
        (void)snprintf(p->error, sizeof(p->error),
                       "HTTP %ld: a redirect to %.150s, not followed (redirects never are: set url to the final "
                       "address)%s%.100s%s%.100s",
                       status % 1000, location ? location : "(no Location)",
                       foreign ? "; it leads to another origin, " : "", foreign ? origin : "",
                       foreign ? ", not " : "", foreign ? tmfinv_guard_origin(f->guard) : "");
        p->outcome = TMFINV_PAGE_FATAL;
        s->state = SLOT_DONE;
        set_end(f, s->index + 1);
        return;
    }
    if (status < 200 || status > 299) {
        (void)snprintf(p->error, sizeof(p->error), "HTTP %ld%s", status,
                       status == 401 || status == 403 ? " (check the credentials)" : "");
        p->outcome = TMFINV_PAGE_FATAL;
        s->state = SLOT_DONE;
        set_end(f, s->index + 1);
        return;
    }
    {
        const char *end = NULL;
        cJSON *items = cJSON_ParseWithLengthOpts(s->body.data ? s->body.data : "", s->body.len, &end, 0);

        if (!items || !cJSON_IsArray(items)) {
            if (!items)
                (void)snprintf(p->error, sizeof(p->error), "body is not valid JSON (at byte %ld of %zu)",
                               end && s->body.data ? (long)(end - s->body.data) : 0L, s->body.len);
            else
                (void)snprintf(p->error, sizeof(p->error), "body is JSON but not an array of items");
            cJSON_Delete(items);
            retry_or_fail(f, s, -1, 5);
            return;
        }
        /* Strings must be valid UTF-8 without NUL, which only the text shows (model.h). */
        if (tmfinv_model_mark_bad_text(items, s->body.data, s->body.len) < 0) {
            (void)snprintf(p->error, sizeof(p->error), "%s", tmfinv_error_last());
            cJSON_Delete(items);
            retry_or_fail(f, s, -1, 5);
            return;
        }
        p->items = items;
        p->total_count = s->total_count;
        f->first_ok = 1;
        tmfinv_guard_page_ok(f->guard, cJSON_GetArraySize(items), s->total_count);
        if (s->total_count >= 0 && f->src->page_size > 0)
            f->hint_end = s->total_count / f->src->page_size + 1;
        p->outcome = TMFINV_PAGE_OK;
        p->error[0] = '\0';
        s->state = SLOT_DONE;
        if (f->src->paging == TMFINV_PAGING_LINK) {
            if (!s->link_next[0] || cJSON_GetArraySize(items) == 0)
                set_end(f, s->index + 1);
            else {
                /* Resolve a relative next link against this page's URL. */
                char next[sizeof(f->next_url)];
                int first;

                if (normalised_url(s->link_next, p->url, next, sizeof(next)) < 0)
                    set_end(f, s->index + 1);
                else if ((first = tmfinv_guard_visit(f->guard, next)) == 1)
                    (void)snprintf(f->next_url, sizeof(f->next_url), "%s", next);
                else {
                    /* A link seen before: following it would go round for ever. */
                    if (first == 0)
                        (void)snprintf(f->cut_short, sizeof(f->cut_short),
                                       "the next link of page %lld, %.900s, was already visited in this scan (the "
                                       "links go round in a loop)",
                                       (long long)s->index + 1, next);
                    else
                        (void)snprintf(f->cut_short, sizeof(f->cut_short), "%s", tmfinv_error_last());
                    set_end(f, s->index + 1);
                }
            }
        } else if (tmfinv_page_ends_scan((size_t)cJSON_GetArraySize(items), f->src->page_size))
            set_end(f, s->index + 1);
        if (f->effective_concurrency < f->src->concurrency && ++f->good_since_slowdown >= 10) {
            f->effective_concurrency++;
            f->good_since_slowdown = 0;
        }
    }
    return;
}

/* Takes a token from the rate limiter when one is there; else the ms until one is. */
static int64_t rate_wait_ms(tmfinv_fetcher *f, int64_t now, int take)
{
    double rate = f->src->rate_limit;

    if (rate <= 0)
        return 0;
    f->tokens += (double)(now - f->tokens_at_ms) * rate / 1000.0;
    if (f->tokens > 1.0)
        f->tokens = 1.0;
    f->tokens_at_ms = now;
    if (f->tokens >= 1.0) {
        if (take)
            f->tokens -= 1.0;
        return 0;
    }
    return (int64_t)((1.0 - f->tokens) * 1000.0 / rate) + 1;
}

/* Gives slots to new pages and starts the tries that may start now. Returns the ms
 * until something else may start (for the poll timeout), or a negative error. */
static int64_t schedule(tmfinv_fetcher *f, int64_t now)
{
    int64_t wait = 1000, budget = tmfinv_guard_page_budget(f->guard, NULL, 0);
    int rc;

    /* Read ahead only once the source has answered a page well (a failing source gets one
     * request at a time), and not past what X-Total-Count announces: a lying count then
     * only slows the scan down to one page at a time; it never ends or extends it. Never
     * past the page budget either. */
    while (f->next_issue < f->end && f->next_issue < budget && f->next_issue < f->next_return + f->window &&
           (f->next_issue == f->next_return ||
            (f->first_ok && f->src->paging != TMFINV_PAGING_LINK && f->next_issue < f->hint_end))) {
        slot *s = slot_of(f, f->next_issue);

        if (s->state != SLOT_FREE)
            break;
        memset(&s->page, 0, sizeof(s->page));
        s->page.index = f->next_issue;
        s->page.total_count = -1;
        s->index = f->next_issue;
        s->refreshed = 0;
        s->state = SLOT_WAITING;
        s->not_before_ms = 0;
        f->next_issue++;
    }
    if (now < f->pause_until_ms)
        return f->pause_until_ms - now;
    /* Lowest page first: the page to hand over next is never starved by read-ahead. */
    for (int64_t index = f->next_return; index < f->next_issue; index++) {
        slot *s = slot_of(f, index);
        int64_t rate;

        if (s->state != SLOT_WAITING || s->index != index)
            continue;
        if (s->not_before_ms > now) {
            if (s->not_before_ms - now < wait)
                wait = s->not_before_ms - now;
            continue;
        }
        if (f->running >= f->effective_concurrency)
            break;
        if ((rate = rate_wait_ms(f, now, 1)) > 0) {
            if (rate < wait)
                wait = rate;
            break;
        }
        rc = start_try(f, s, s->refresh_pending);
        s->refresh_pending = 0;
        if (rc < 0) {
            if (rc == TMFINV_EHTTP) {
                /* The token endpoint refused: the source cannot be read. */
                (void)snprintf(s->page.error, sizeof(s->page.error), "%s", tmfinv_error_last());
                s->page.outcome = TMFINV_PAGE_FATAL;
                s->state = SLOT_DONE;
                set_end(f, s->index + 1);
                continue;
            }
            return rc;
        }
    }
    return wait;
}

/* One round of the transfers without waiting: starts what may start, lets libcurl move
 * the bytes that are there, and finishes the tries that ended (*finished of them). *wait is
 * how long the caller may wait before the next round; *still the transfers in flight. */
static int pump(tmfinv_fetcher *f, int64_t now, int64_t *wait, int *still, int *finished)
{
    int msgs;
    CURLMsg *m;

    *wait = schedule(f, now);
    if (*wait < 0)
        return (int)*wait;
    if (curl_multi_perform(f->multi, still) != CURLM_OK)
        return tmfinv_error_set(TMFINV_ERROR, "libcurl multi interface failed");
    *finished = 0;
    while ((m = curl_multi_info_read(f->multi, &msgs)) != NULL) {
        slot *done_slot = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&done_slot);
        if (done_slot && done_slot->state == SLOT_RUNNING) {
            finish_try(f, done_slot, m->data.result);
            (*finished)++;
        }
    }
    return 0;
}

/* 1 when tmfinv_fetcher_next() would hand over its next page (or end) without waiting. */
static int next_is_there(const tmfinv_fetcher *f)
{
    const slot *s;

    if (f->interrupted || f->next_return >= f->end || (f->opt.stop && *f->opt.stop))
        return 1;
    s = slot_of((tmfinv_fetcher *)f, f->next_return);
    return s->state == SLOT_DONE && s->index == f->next_return;
}

int tmfinv_fetcher_ready(tmfinv_fetcher *f)
{
    int64_t wait;
    int still, finished;

    if (next_is_there(f))
        return 1;
    if (pump(f, tmfinv_time_monotonic_ms(), &wait, &still, &finished) < 0)
        return 1; /* next() meets the failure again and reports it */
    return next_is_there(f);
}

int tmfinv_fetcher_next(tmfinv_fetcher *f, tmfinv_page *page, int *done)
{
    *done = 0;
    for (;;) {
        int64_t now = tmfinv_time_monotonic_ms(), wait;
        int still, finished, rc;
        slot *s;

        if (f->interrupted) {
            *done = 1;
            return 0;
        }
        if (f->next_return >= f->end) {
            *done = 1;
            return 0;
        }
        if (f->next_return >= tmfinv_guard_page_budget(f->guard, NULL, 0)) {
            char why[512];
            int64_t budget = tmfinv_guard_page_budget(f->guard, why, sizeof(why));

            (void)snprintf(f->cut_short, sizeof(f->cut_short),
                           "the page budget is spent: %lld pages read and the source has not ended (%s)",
                           (long long)budget, why);
            *done = 1;
            return 0;
        }
        s = slot_of(f, f->next_return);
        if (s->state == SLOT_DONE && s->index == f->next_return) {
            *page = s->page;
            memset(&s->page, 0, sizeof(s->page));
            s->state = SLOT_FREE;
            f->next_return++;
            return 0;
        }
        if (f->opt.stop && *f->opt.stop) {
            f->interrupted = "stopped";
            continue;
        }
        if (f->opt.deadline_ms && now >= f->opt.deadline_ms) {
            f->interrupted = "deadline exceeded";
            continue;
        }
        if ((rc = pump(f, now, &wait, &still, &finished)) < 0)
            return rc;
        if (wait > 100)
            wait = 100; /* look at the stop flag and the deadline often enough */
        /* Something finished: hand it over or start what may start now, without waiting. */
        if (finished)
            continue;
        if (still > 0) {
            if (curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
                return tmfinv_error_set(TMFINV_ERROR, "libcurl multi interface failed");
        } else if (wait > 0) {
            /* Nothing in flight: only a retry delay, a pause or the rate limit to wait for. */
            struct timespec ts = {0, (long)wait * 1000000L};

            nanosleep(&ts, NULL);
        }
    }
}
