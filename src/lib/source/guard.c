/* guard.c: origins, visited links and the page budget of one scan (see guard.h). */
#include "guard.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN_MAX 512

struct tmfinv_guard {
    const tmfinv_source_config *src;
    char origin[ORIGIN_MAX];    /* of src->url, normalised */
    uint64_t *visited;          /* open addressing set of link hashes; 0 marks a free cell */
    size_t n_visited;
    size_t cap_visited;         /* a power of two, or 0 */
    int64_t max_total;          /* largest X-Total-Count seen, -1: none */
    int64_t per_page;           /* fewest items on a good non-empty page, at most page_size */
};

int tmfinv_guard_new(const tmfinv_source_config *src, tmfinv_guard **out)
{
    tmfinv_guard *g = calloc(1, sizeof(*g));
    int rc;

    if (!g)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    g->src = src;
    g->max_total = -1;
    g->per_page = src->page_size > 0 ? src->page_size : 1;
    if ((rc = tmfinv_config_url_origin(src->url, g->origin, sizeof(g->origin))) < 0) {
        free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void tmfinv_guard_free(tmfinv_guard *g)
{
    if (!g)
        return;
    free(g->visited);
    free(g);
}

const char *tmfinv_guard_origin(const tmfinv_guard *g)
{
    return g->origin;
}

int tmfinv_guard_origin_allowed(const tmfinv_guard *g, const char *url, char *origin, size_t len)
{
    if (tmfinv_config_url_origin(url, origin, len) < 0) {
        (void)snprintf(origin, len, "(no origin: %s)", tmfinv_error_last());
        return 0;
    }
    if (strcmp(origin, g->origin) == 0)
        return 1;
    for (size_t i = 0; i < g->src->n_allowed_origins; i++)
        if (strcmp(origin, g->src->allowed_origins[i]) == 0)
            return 1;
    return 0;
}

/* 64 bits of the URL's SHA-256, never 0 (0 marks a free cell). */
static uint64_t link_hash(const char *url)
{
    char hex[65];
    uint64_t h = 0;

    tmfinv_sha256_hex(url, strlen(url), hex);
    for (int i = 0; i < 16; i++)
        h = h << 4 | (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
    return h ? h : 1;
}

/* Finds the cell of h: the cell holding it, or the free cell where it belongs. */
static size_t cell_of(const uint64_t *cells, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);

    while (cells[i] && cells[i] != h)
        i = (i + 1) & (cap - 1);
    return i;
}

int tmfinv_guard_visit(tmfinv_guard *g, const char *url)
{
    uint64_t h = link_hash(url);
    size_t i;

    /* Kept at most half full, so probes stay short. */
    if (2 * (g->n_visited + 1) > g->cap_visited) {
        size_t cap = g->cap_visited ? 2 * g->cap_visited : 64;
        uint64_t *cells = calloc(cap, sizeof(*cells));

        if (!cells)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        for (size_t k = 0; k < g->cap_visited; k++)
            if (g->visited[k])
                cells[cell_of(cells, cap, g->visited[k])] = g->visited[k];
        free(g->visited);
        g->visited = cells;
        g->cap_visited = cap;
    }
    i = cell_of(g->visited, g->cap_visited, h);
    if (g->visited[i])
        return 0;
    g->visited[i] = h;
    g->n_visited++;
    return 1;
}

void tmfinv_guard_page_ok(tmfinv_guard *g, int64_t n_items, int64_t total_count)
{
    if (total_count > g->max_total)
        g->max_total = total_count;
    if (n_items > 0 && n_items < g->per_page)
        g->per_page = n_items;
}

int64_t tmfinv_guard_page_budget(const tmfinv_guard *g, char *why, size_t len)
{
    int64_t budget = g->src->max_pages, needed;

    if (g->max_total >= 0) {
        /* The pages the total needs (one more for the empty page that may end it), twice,
         * plus a few: generous to a total that is a little off or grows during the scan. */
        needed = g->max_total / g->per_page + 2;
        if (needed < budget / 2 - 5) {
            budget = 2 * needed + 10;
            if (why)
                (void)snprintf(why, len,
                               "the source announced at most %lld items (X-Total-Count), %lld pages of %lld; a "
                               "scan may take twice that and 10 more, %lld pages",
                               (long long)g->max_total, (long long)needed, (long long)g->per_page,
                               (long long)budget);
            return budget;
        }
    }
    if (why)
        (void)snprintf(why, len, "max_pages = %lld", (long long)budget);
    return budget;
}
