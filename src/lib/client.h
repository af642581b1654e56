/* client.h: fetching pages of a TMF collection over HTTP(S) with libcurl.
 *
 * A client belongs to one source: it knows the collection URL, the paging dialect,
 * the credentials and the retry policy. tmfinv_client_fetch() fetches one page
 * (retrying what can be retried) and parses its body into a JSON array. libcurl's
 * errors are translated here and only here. The page is fetched by index so that a
 * later engine can have several pages in flight at once. */
#ifndef TMFINV_CLIENT_H
#define TMFINV_CLIENT_H

#include "config.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#define TMFINV_MAX_BODY (64 * 1024 * 1024) /* largest page body accepted */

typedef struct tmfinv_client tmfinv_client;

typedef enum tmfinv_page_outcome {
    TMFINV_PAGE_OK,      /* items holds the page's array */
    TMFINV_PAGE_FAILED,  /* this page failed for good; later pages may still work */
    TMFINV_PAGE_FATAL    /* the source cannot be read (unreachable, 401, 403, 404...) */
} tmfinv_page_outcome;

typedef struct tmfinv_page {
    tmfinv_page_outcome outcome;
    cJSON *items;           /* OK: the array of items (owned; free with tmfinv_page_clear()) */
    long status;            /* last HTTP status, 0 when no response */
    int tries;
    int64_t total_count;    /* X-Total-Count, -1 when absent */
    char url[1024];         /* the page URL, without credentials */
    char error[512];        /* FAILED or FATAL: why, one line */
} tmfinv_page;

/* Creates a client for source `src` (borrowed; must outlive the client). */
int tmfinv_client_new(const tmfinv_source_config *src, tmfinv_client **out);
void tmfinv_client_free(tmfinv_client *c);

/* Fetches page `index` (0-based) of `size` items into *page. Returns 0 whatever the
 * outcome (see page->outcome); a negative code only when out of memory. */
int tmfinv_client_fetch(tmfinv_client *c, int64_t index, int size, tmfinv_page *page);

void tmfinv_page_clear(tmfinv_page *page);

/* Writes the URL of page `index` (0-based) of `size` items of source `s` into
 * page->url: the collection URL, the source's extra parameters, then offset/limit or
 * page/recordsPerPage. TMFINV_ELIMIT when it does not fit. */
int tmfinv_client_page_url(const tmfinv_source_config *s, int64_t index, int size, tmfinv_page *page);

/* 1 when a page of `n_items` items, asked for `page_size`, ends a scan: only a short
 * page does (X-Total-Count never ends or extends a scan by itself). */
int tmfinv_page_ends_scan(size_t n_items, int page_size);

/* Initialises libcurl once per process (call before threads start). */
int tmfinv_client_global_init(void);

#endif
