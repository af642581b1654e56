/* store_sqlite_tmf_int.h: what the SQLite backend's TMF query files share
 * (store_sqlite_tmf.c: the SQL of filters and sorts; store_sqlite_tmf_order.c: key orders
 * remembered as rowids). Private to src/lib/store. */
#ifndef TMFINV_STORE_SQLITE_TMF_INT_H
#define TMFINV_STORE_SQLITE_TMF_INT_H

#include "store_sqlite_int.h"

#include <stddef.h>
#include <stdint.h>

#define ORDER_LISTS 4                   /* key orders remembered per connection */
#define ORDER_MAX_ROWS (2 * 1024 * 1024) /* rowids per connection (16 MiB): larger orders page with OFFSET */
#define ORDER_MIN_OFFSET 1000           /* a page nearer the start uses OFFSET (cheap there) */

/* The rowids of the query whose key (its SQL and values) is `key`, in its order, remembered
 * on s's connection at `version`: 1 with them in *rowids (valid until the next build on
 * this connection) and their number in *n; 0 when none is remembered. */
int tmf_order_find(sqlite_store *s, const char *key, const uint64_t version[2], const int64_t **rowids, size_t *n);

/* Steps `st` (one rowid column, in the query's order) and remembers its rowids under
 * `key` at `version`, evicting the least recently used lists to stay in the bounds: 1 with
 * them as tmf_order_find(); 0 when there are more than ORDER_MAX_ROWS (nothing kept);
 * TMFINV_ENOMEM or TMFINV_ESTORE. Does not finalize `st`. */
int tmf_order_build(sqlite_store *s, sqlite3_stmt *st, const char *key, const uint64_t version[2],
                    const int64_t **rowids, size_t *n);

#endif
