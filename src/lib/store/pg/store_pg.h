/* store_pg.h: the PostgreSQL backend's entry point (docs/postgresql.md), for the dispatcher. */
#ifndef TMFINV_STORE_PG_H
#define TMFINV_STORE_PG_H

#include "store.h"

/* 1 when `location` names a PostgreSQL database (a libpq URI: postgresql:// or postgres://). */
int tmfinv_store_pg_location(const char *location);

/* Opens (creating the schema and migrating it when needed) the database at `url`, a libpq
 * URI; opt: never NULL. Fails with TMFINV_ESTORE naming the store and the problem. */
int tmfinv_store_pg_open(const char *url, const tmfinv_store_options *opt, tmfinv_store **out);

#endif
