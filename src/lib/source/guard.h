/* guard.h: the rules that keep one scan of a source bounded and its credentials at home.
 *
 * - Origins: a request (and with it the Authorization header, basic or bearer) only goes to
 *   the origin of the source's `url` or to one listed in `allowed_origins`; origins compare
 *   normalised (tmfinv_config_url_origin: lower case, default port explicit), so a downgrade
 *   from https to http or another port is another origin.
 * - Links: in the link dialect a next link already visited in this scan means the links go
 *   round in a loop; the scan stops there (incomplete) instead of for ever.
 * - Page budget: a scan takes at most `max_pages` pages; when the source announced a total
 *   (X-Total-Count, the largest one seen), at most 2 × the pages that total needs + 10, so
 *   a source that makes up pages for ever stops early, while a total that lies on the small
 *   side still leaves a real scan room to finish (a scan whose total lies is judged by the
 *   sync engine anyway).
 *
 * A guard belongs to one fetcher (one thread); memory grows by 8 bytes per visited link,
 * and at most max_pages links are visited. */
#ifndef TMFINV_GUARD_H
#define TMFINV_GUARD_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tmfinv_guard tmfinv_guard;

/* Creates the guard of one scan of `src` (borrowed; must outlive it). TMFINV_EINVALID when
 * src->url has no origin (config checks that first), TMFINV_ENOMEM. */
int tmfinv_guard_new(const tmfinv_source_config *src, tmfinv_guard **out);
void tmfinv_guard_free(tmfinv_guard *g);

/* The source's own origin, "scheme://host:port". */
const char *tmfinv_guard_origin(const tmfinv_guard *g);

/* 1 when a request to `url` may be sent (with the source's credentials), 0 when not. The
 * URL's normalised origin (or why it has none) is written into `origin` either way. */
int tmfinv_guard_origin_allowed(const tmfinv_guard *g, const char *url, char *origin, size_t len);

/* Records that `url` (absolute, as libcurl normalises it) is fetched in this scan: 1 the
 * first time, 0 when it was visited before, TMFINV_ENOMEM. */
int tmfinv_guard_visit(tmfinv_guard *g, const char *url);

/* Accounts for a good page of `n_items` items whose X-Total-Count was `total_count` (-1:
 * none), for the page budget. */
void tmfinv_guard_page_ok(tmfinv_guard *g, int64_t n_items, int64_t total_count);

/* How many pages this scan may take, as far as is known now; `why` (may be NULL) gets one
 * line saying where the number comes from. */
int64_t tmfinv_guard_page_budget(const tmfinv_guard *g, char *why, size_t len);

#endif
