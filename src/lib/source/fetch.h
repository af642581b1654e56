/* fetch.h: fetching the pages of a TMF collection over HTTP(S), several at once.
 *
 * A fetcher belongs to one scan of one source. It keeps up to `concurrency` requests in
 * flight (libcurl multi interface, keep-alive connections), within the source's rate
 * limit, reads ahead a bounded window of pages, and hands pages over strictly in page
 * order, so that what is applied does not depend on the order in which answers arrive.
 * A short page (fewer items than asked) ends the scan; X-Total-Count never does. 429,
 * 5xx, connection failures, timeouts and bodies that are not a JSON array are retried
 * with capped exponential back-off and jitter; Retry-After is honoured exactly and
 * pauses the whole source. libcurl's errors are translated here and only here.
 *
 * What a source hands us is bounded (guard.h): requests, and the credentials with them, go
 * only to the origin of the source's url (or one in allowed_origins); redirects are never
 * followed; a next link seen before and a scan past its page budget end the scan early. */
#ifndef TMFINV_FETCH_H
#define TMFINV_FETCH_H

#include "config.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>

#define TMFINV_MAX_BODY (64 * 1024 * 1024) /* largest page body accepted */

typedef struct tmfinv_fetcher tmfinv_fetcher;

typedef enum tmfinv_page_outcome {
    TMFINV_PAGE_OK,      /* items holds the page's array */
    TMFINV_PAGE_FAILED,  /* this page failed for good; later pages may still work */
    TMFINV_PAGE_FATAL    /* the source cannot be read (unreachable, 401, 403, 404...) */
} tmfinv_page_outcome;

typedef struct tmfinv_page {
    tmfinv_page_outcome outcome;
    int64_t index;          /* 0-based page number */
    cJSON *items;           /* OK: the array of items (owned; free with tmfinv_page_clear()) */
    long status;            /* last HTTP status, 0 when no response */
    int tries;
    int64_t total_count;    /* X-Total-Count, -1 when absent */
    char url[2048];         /* the page URL, without credentials */
    char error[512];        /* FAILED or FATAL: why, one line */
} tmfinv_page;

typedef struct tmfinv_fetch_options {
    const char *extra_params;          /* added to the source's params (incremental refresh), or NULL */
    int64_t deadline_ms;               /* monotonic time the scan must end by, 0: none */
    volatile sig_atomic_t *stop;       /* set (by a signal handler) to stop between pages, or NULL */
} tmfinv_fetch_options;

typedef struct tmfinv_fetch_stats {
    int64_t requests;       /* HTTP requests made (tries included) */
    int64_t retries;        /* requests that were tries again */
    int64_t retries_by_status[6]; /* 429, 500, 502, 503, 504, other (transport, malformed) */
    int64_t token_fetches;
} tmfinv_fetch_stats;

/* Initialises libcurl once per process (call before threads start). */
int tmfinv_fetch_global_init(void);

/* Creates a fetcher for one scan of source `src` (borrowed; must outlive it). */
int tmfinv_fetcher_new(const tmfinv_source_config *src, const tmfinv_fetch_options *opt, tmfinv_fetcher **out);

/* Aborts what is in flight and frees the fetcher. */
void tmfinv_fetcher_free(tmfinv_fetcher *f);

/* Hands over the next page in page order into *page (see page->outcome). Sets *done
 * (page untouched) when the scan is over: the last page was short, or a fatal page was
 * handed over, or the scan was stopped or ran out of time (tmfinv_fetcher_interrupted()),
 * or a paging rule cut it short (tmfinv_fetcher_cut_short()). A page whose URL is of
 * another origin is handed over as FATAL without being requested.
 * Returns 0, or a negative code when out of memory. */
int tmfinv_fetcher_next(tmfinv_fetcher *f, tmfinv_page *page, int *done);

/* 1 when tmfinv_fetcher_next() would not wait: the next page has arrived (or the scan is
 * over); lets the transfers progress once, without waiting, to find out. */
int tmfinv_fetcher_ready(tmfinv_fetcher *f);

/* Why the scan was cut short ("stopped", "deadline exceeded"), or NULL. */
const char *tmfinv_fetcher_interrupted(const tmfinv_fetcher *f);

/* Why a paging rule ended this source's scan early (a next link already visited, the page
 * budget spent), one line, or NULL. Such a scan is incomplete; other sources go on. */
const char *tmfinv_fetcher_cut_short(const tmfinv_fetcher *f);

/* Figures of the scan so far. */
void tmfinv_fetcher_stats(const tmfinv_fetcher *f, tmfinv_fetch_stats *out);

void tmfinv_page_clear(tmfinv_page *page);

/* Writes the URL of page `index` (0-based) of `size` items of source `s` into `buf`:
 * the collection URL, the source's extra parameters, `extra` (may be NULL), then
 * offset/limit (offset and link dialects) or page/recordsPerPage. TMFINV_ELIMIT when
 * it does not fit. */
int tmfinv_fetch_page_url(const tmfinv_source_config *s, const char *extra, int64_t index, int size, char *buf,
                          size_t len);

/* 1 when a page of `n_items` items, asked for `page_size`, ends a scan: only a short
 * page does (X-Total-Count never ends or extends a scan by itself). */
int tmfinv_page_ends_scan(size_t n_items, int page_size);

/* Parses a Retry-After value (seconds, or an HTTP date relative to `now`, a Unix
 * time) into milliseconds to wait; -1 when it cannot be read. */
int64_t tmfinv_fetch_retry_after_ms(const char *value, int64_t now);

/* Finds the rel="next" URL in a Link header value; copies it into `buf`. 1 found, 0 not. */
int tmfinv_fetch_link_next(const char *value, char *buf, size_t len);

#endif
