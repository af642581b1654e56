/* client.c: the libcurl-based page fetcher (see client.h). */
#include "client.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct tmfinv_client {
    const tmfinv_source_config *src;
    CURL *curl;
    struct curl_slist *headers;
    tmfinv_buf body;
    int64_t total_count;
};

int tmfinv_client_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return tmfinv_error_set(TMFINV_ERROR, "libcurl could not be initialised");
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    tmfinv_client *c = ctx;

    if (tmfinv_buf_append(&c->body, p, size * n) < 0)
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    tmfinv_client *c = ctx;
    size_t len = size * n;
    static const char name[] = "x-total-count:";

    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        char num[32];
        size_t i = sizeof(name) - 1, k = 0;

        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (i < len && k < sizeof(num) - 1 && p[i] >= '0' && p[i] <= '9')
            num[k++] = p[i++];
        num[k] = '\0';
        c->total_count = k ? strtoll(num, NULL, 10) : -1;
    }
    return len;
}

int tmfinv_client_new(const tmfinv_source_config *src, tmfinv_client **out)
{
    tmfinv_client *c = calloc(1, sizeof(*c));

    if (!c)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    c->src = src;
    tmfinv_buf_init(&c->body, TMFINV_MAX_BODY);
    c->curl = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Accept: application/json");
    if (!c->curl || !c->headers) {
        tmfinv_client_free(c);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "tmfinv/" TMFINV_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)src->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(src->timeout_ms < 10000 ? src->timeout_ms : 10000));
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (src->ca_file)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, src->ca_file);
    if (src->auth == TMFINV_AUTH_BASIC) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c->curl, CURLOPT_USERNAME, src->username);
        curl_easy_setopt(c->curl, CURLOPT_PASSWORD, src->password);
    }
    *out = c;
    return 0;
}

void tmfinv_client_free(tmfinv_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    tmfinv_buf_free(&c->body);
    free(c);
}

void tmfinv_page_clear(tmfinv_page *page)
{
    cJSON_Delete(page->items);
    memset(page, 0, sizeof(*page));
}

int tmfinv_client_page_url(const tmfinv_source_config *s, int64_t index, int size, tmfinv_page *page)
{
    const char *sep = strchr(s->url, '?') ? "&" : "?";
    int n;

    if (s->paging == TMFINV_PAGING_PAGE)
        n = snprintf(page->url, sizeof(page->url), "%s%s%s%spage=%lld&recordsPerPage=%d", s->url, sep,
                     s->params ? s->params : "", s->params && *s->params ? "&" : "", (long long)index + 1, size);
    else
        n = snprintf(page->url, sizeof(page->url), "%s%s%s%soffset=%lld&limit=%d", s->url, sep,
                     s->params ? s->params : "", s->params && *s->params ? "&" : "", (long long)index * size, size);
    if (n < 0 || (size_t)n >= sizeof(page->url))
        return tmfinv_error_set(TMFINV_ELIMIT, "source '%s': page URL longer than %zu bytes", s->name,
                                sizeof(page->url) - 1);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Transport errors that mean the source is not there at all. */
static int unreachable(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
           cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
           cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT;
}

int tmfinv_client_fetch(tmfinv_client *c, int64_t index, int size, tmfinv_page *page)
{
    const tmfinv_source_config *s = c->src;
    int delay = s->retry_delay_ms, rc;

    memset(page, 0, sizeof(*page));
    page->total_count = -1;
    if ((rc = tmfinv_client_page_url(s, index, size, page)) < 0) {
        page->outcome = TMFINV_PAGE_FATAL;
        (void)snprintf(page->error, sizeof(page->error), "%s", tmfinv_error_last());
        return 0;
    }
    curl_easy_setopt(c->curl, CURLOPT_URL, page->url);
    for (page->tries = 1;; page->tries++) {
        CURLcode cc;
        int retryable = 0;

        tmfinv_buf_reset(&c->body);
        c->total_count = -1;
        cc = curl_easy_perform(c->curl);
        page->status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &page->status);
        if (cc == CURLE_WRITE_ERROR && c->body.len + CURL_MAX_WRITE_SIZE > c->body.max) {
            (void)snprintf(page->error, sizeof(page->error), "body larger than %d bytes", TMFINV_MAX_BODY);
            retryable = 1;
        } else if (cc != CURLE_OK) {
            (void)snprintf(page->error, sizeof(page->error), "%s", curl_easy_strerror(cc));
            retryable = 1;
            if (unreachable(cc) && page->tries > s->retries) {
                page->outcome = TMFINV_PAGE_FATAL;
                return 0;
            }
        } else if (page->status == 429 || page->status >= 500) {
            (void)snprintf(page->error, sizeof(page->error), "HTTP %ld", page->status);
            retryable = 1;
        } else if (page->status < 200 || page->status > 299) {
            (void)snprintf(page->error, sizeof(page->error), "HTTP %ld%s", page->status,
                           page->status == 401 || page->status == 403 ? " (check the credentials)" : "");
            page->outcome = TMFINV_PAGE_FATAL;
            return 0;
        } else {
            const char *end = NULL;
            cJSON *items = cJSON_ParseWithLengthOpts(c->body.data ? c->body.data : "", c->body.len, &end, 0);

            if (!items) {
                (void)snprintf(page->error, sizeof(page->error), "body is not valid JSON (at byte %ld of %zu)",
                               end && c->body.data ? (long)(end - c->body.data) : 0L, c->body.len);
                retryable = 1;
            } else if (!cJSON_IsArray(items)) {
                (void)snprintf(page->error, sizeof(page->error), "body is JSON but not an array of items");
                cJSON_Delete(items);
                retryable = 1;
            } else {
                page->items = items;
                page->total_count = c->total_count;
                page->outcome = TMFINV_PAGE_OK;
                page->error[0] = '\0';
                return 0;
            }
        }
        if (!retryable || page->tries > s->retries) {
            page->outcome = TMFINV_PAGE_FAILED;
            return 0;
        }
        if (delay > 0)
            sleep_ms(delay);
        delay = delay < 30000 ? delay * 2 : 60000;
    }
}

int tmfinv_page_ends_scan(size_t n_items, int page_size)
{
    return page_size <= 0 || n_items < (size_t)page_size;
}
