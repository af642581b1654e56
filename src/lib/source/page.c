/* page.c: what a page request and its answer say, apart from the transfer itself — the
 * URL of page N in each paging dialect, the end-of-scan rule, Retry-After and the next link of
 * a Link header (see fetch.h). Pure functions, tested on their own (tests/unit/test_paging.c). */
#include "fetch.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <curl/curl.h>
#include <string.h>
#include <time.h>

int tmfinv_page_ends_scan(size_t n_items, int page_size)
{
    return page_size <= 0 || n_items < (size_t)page_size;
}

void tmfinv_page_clear(tmfinv_page *page)
{
    cJSON_Delete(page->items);
    memset(page, 0, sizeof(*page));
}

int tmfinv_fetch_page_url(const tmfinv_source_config *s, const char *extra, int64_t index, int size, char *buf,
                          size_t len)
{
    tmfinv_buf b;
    int rc = 0;

    tmfinv_buf_init(&b, len - 1);
    rc = tmfinv_buf_puts(&b, s->url);
    if (rc == 0)
        rc = tmfinv_buf_puts(&b, strchr(s->url, '?') ? "&" : "?");
    if (rc == 0 && s->params && *s->params)
        rc = tmfinv_buf_printf(&b, "%s&", s->params);
    if (rc == 0 && extra && *extra)
        rc = tmfinv_buf_printf(&b, "%s&", extra);
    if (rc == 0) {
        if (s->paging == TMFINV_PAGING_PAGE)
            rc = tmfinv_buf_printf(&b, "page=%lld&recordsPerPage=%d", (long long)index + 1, size);
        else
            rc = tmfinv_buf_printf(&b, "offset=%lld&limit=%d", (long long)index * size, size);
    }
    if (rc == 0)
        memcpy(buf, b.data, b.len + 1);
    tmfinv_buf_free(&b);
    if (rc == TMFINV_ELIMIT)
        return tmfinv_error_set(TMFINV_ELIMIT, "source '%s': page URL longer than %zu bytes", s->name, len - 1);
    return rc;
}

int64_t tmfinv_fetch_retry_after_ms(const char *value, int64_t now)
{
    int64_t seconds;
    time_t when;

    while (*value == ' ' || *value == '\t')
        value++;
    if (tmfinv_parse_int64(value, 0, 86400 * 7, &seconds) == 0)
        return seconds * 1000;
    when = curl_getdate(value, NULL);
    if (when == -1)
        return -1;
    return when > now ? (int64_t)(when - now) * 1000 : 0;
}

int tmfinv_fetch_link_next(const char *value, char *buf, size_t len)
{
    const char *p = value;

    /* Link: <url>; rel="next", <url>; rel="last" */
    while ((p = strchr(p, '<')) != NULL) {
        const char *close = strchr(p, '>'), *end;
        size_t n;

        if (!close)
            return 0;
        end = strchr(close, ',');
        if (!end)
            end = close + strlen(close);
        n = (size_t)(end - close);
        {
            char params[256];

            if (n >= sizeof(params))
                n = sizeof(params) - 1;
            memcpy(params, close, n);
            params[n] = '\0';
            if (strstr(params, "rel=\"next\"") || strstr(params, "rel=next")) {
                size_t ulen = (size_t)(close - p - 1);

                if (ulen == 0 || ulen >= len)
                    return 0;
                memcpy(buf, p + 1, ulen);
                buf[ulen] = '\0';
                return 1;
            }
        }
        p = end;
    }
    return 0;
}
