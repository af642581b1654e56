/* store_sqlite_graph.c: the SQLite backend of impact's graph (store_graph.h): the index of
 * the references instances hold (tables edge_field, edge and edge_dirty, schema 10) and the
 * lookups of a walk.
 *
 * Triggers on the instance table (store_sqlite.c, migration 9 -> 10) note in edge_dirty the id
 * of every instance inserted, deleted, or updated with other fields, once edge_field lists
 * fields: so every writer (sync, end-of-run evaluation, PATCH, POST, set, retention's purge)
 * keeps the list without knowing of it, at the cost of one id appended per write (UUIDv7 ids:
 * at the end of the b-tree). The index rows themselves are brought up to date here, before a
 * walk, from the instances noted: writing them with each instance cost the 100k first sync
 * 30 to 80 % more (random inserts into the value-ordered b-tree dirty most of its pages in
 * every page's transaction), noting costs 2 to 8 % (decision 76). */
#include "store_graph.h"
#include "store_sqlite_int.h"

#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_STATEMENTS 5

struct tmfinv_graph_session {
    sqlite3_stmt *st[N_STATEMENTS];
};

enum { G_GET, G_GET_FULL, G_BY_KEY, G_BY_TMF_ID, G_REFERRERS };

/* What the start of an instance's row holds: reading it never walks the overflow pages of
 * its long columns (fields, raw), which is most of a walk's cost when it does. */
#define NODE_COLUMNS "id, definition, key, NULL, status, removed, NULL"

static const char *const session_sql[N_STATEMENTS] = {
    [G_GET] = "SELECT " NODE_COLUMNS " FROM instance WHERE id = ?1",
    [G_GET_FULL] = "SELECT id, definition, key, json_extract(raw, '$.id'), status, removed, fields FROM instance"
                   " WHERE id = ?1",
    [G_BY_KEY] = "SELECT " NODE_COLUMNS " FROM instance WHERE definition = ?1 AND key = ?2",
    /* instance_by_tmf_id is on (definition, json_extract(raw, '$.id')): no raw parsed to find it. Named,
     * since the ORDER BY would otherwise draw the planner to instance_active and a scan of the
     * definition's rows (1.4 s for a walk of 110 instances at 100k, measured). */
    [G_BY_TMF_ID] = "SELECT " NODE_COLUMNS " FROM instance INDEXED BY instance_by_tmf_id"
                    " WHERE definition = ?1 AND json_extract(raw, '$.id') = ?2 ORDER BY removed, key LIMIT 1",
    /* The primary key (ref, src, field) gives both the lookup and the order. */
    [G_REFERRERS] = "SELECT i.id, i.definition, i.key, NULL, i.status, i.removed, NULL, e.field FROM edge e"
                    " JOIN instance i ON i.id = e.src WHERE e.ref = ?1 ORDER BY e.src, e.field",
};

/* The rows of every instance of the listed fields (the rebuild), and of the instances noted
 * since the last time (the catch-up). */
#define EDGE_REBUILD                                                                                            \
    "INSERT OR IGNORE INTO edge (ref, src, field) SELECT j.value, i.id, f.field FROM edge_field f"              \
    " JOIN instance i ON i.definition = f.definition, json_each(i.fields, '$.\"' || f.field || '\"') j"         \
    " WHERE j.type = 'text'"
#define EDGE_CATCH_UP                                                                                           \
    "DELETE FROM edge WHERE src IN (SELECT id FROM edge_dirty);"                                                \
    "INSERT OR IGNORE INTO edge (ref, src, field) SELECT j.value, i.id, f.field FROM edge_dirty d"              \
    " JOIN instance i ON i.id = d.id JOIN edge_field f ON f.definition = i.definition,"                         \
    " json_each(i.fields, '$.\"' || f.field || '\"') j WHERE j.type = 'text';"                                  \
    "DELETE FROM edge_dirty"

static int field_name_ok(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The list "definition TAB field" lines, sorted, as the store and the caller give it: 1 in
 * *same when the store's edge_field holds exactly `want` (n sorted lines). */
static int same_fields(sqlite_store *s, char *const *want, size_t n, int *same)
{
    sqlite3_stmt *st = NULL;
    size_t i = 0;
    int step, rc = 0;

    *same = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT definition || char(9) || field FROM edge_field ORDER BY definition, field",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the fields of the reference index");
    *same = 1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        if (i >= n || !v || strcmp(v, want[i]) != 0)
            *same = 0;
        i++;
    }
    if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading the fields of the reference index");
    if (i != n)
        *same = 0;
    sqlite3_finalize(st);
    return rc;
}

static int rebuild(sqlite_store *s, const tmfinv_graph_field *fields, size_t n)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = store_sqlite_exec(s, "DELETE FROM edge_field; DELETE FROM edge; DELETE FROM edge_dirty")) < 0)
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO edge_field (definition, field) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "writing the fields of the reference index");
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_reset(st);
        store_sqlite_bind_text(st, 1, fields[i].definition);
        store_sqlite_bind_text(st, 2, fields[i].field);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = store_sqlite_fail(s, "writing the fields of the reference index");
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = store_sqlite_exec(s, EDGE_REBUILD);
    return rc;
}

/* One number from `sql` into *out. */
static int one_number(sqlite_store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    *out = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the reference index");
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = store_sqlite_fail(s, "reading the reference index");
    sqlite3_finalize(st);
    return rc;
}

/* Brings the index up to date in the write transaction the caller holds: rebuilt when the
 * fields differ or when more than a quarter of the instances were written since (one pass
 * over the table beats that many scattered updates), else the rows of the instances noted. */
static int bring_up_to_date(sqlite_store *s, const tmfinv_graph_field *fields, size_t n, char *const *want,
                            int *built)
{
    int64_t dirty, rows;
    int rc, same;

    if ((rc = same_fields(s, want, n, &same)) < 0)
        return rc;
    if (!same) {
        *built = 1;
        return rebuild(s, fields, n);
    }
    if ((rc = one_number(s, "SELECT count(*) FROM edge_dirty", &dirty)) < 0 || dirty == 0)
        return rc;
    /* max(rowid): the instance count near enough, in one seek. */
    if ((rc = one_number(s, "SELECT coalesce(max(rowid), 0) FROM instance", &rows)) < 0)
        return rc;
    *built = 1;
    if (dirty * 4 > rows)
        return rebuild(s, fields, n);
    return store_sqlite_exec(s, EDGE_CATCH_UP);
}

static int sqlite_graph_index(tmfinv_store *base, const tmfinv_graph_field *fields, size_t n, int *built)
{
    sqlite_store *s = (sqlite_store *)base;
    char **want = calloc(n ? n : 1, sizeof(*want));
    int64_t dirty = 0;
    int rc = 0, same = 0, in_tx = 0;

    *built = 0;
    if (!want)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(fields[i].definition) + strlen(fields[i].field) + 2;

        if (!field_name_ok(fields[i].field)) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "field '%s' of %s: only letters, digits and '_' can be indexed",
                                  fields[i].field, fields[i].definition);
            goto out;
        }
        if (!(want[i] = malloc(len))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        (void)snprintf(want[i], len, "%s\t%s", fields[i].definition, fields[i].field);
    }
    qsort(want, n, sizeof(*want), cmp_text);
    /* Read first: the usual answer is "up to date", which must not take the write lock. */
    if ((rc = same_fields(s, want, n, &same)) < 0 ||
        (same && (rc = one_number(s, "SELECT EXISTS (SELECT 1 FROM edge_dirty)", &dirty)) < 0) || (same && !dirty))
        goto out;
    if (s->read_only) {
        rc = store_sqlite_refuse(s, "bring the index of references impact needs up to date (run impact once with"
                                    " write access)");
        goto out;
    }
    if ((rc = store_sqlite_tx(base, TMFINV_TX_WRITE)) < 0)
        goto out;
    in_tx = 1;
    /* Another connection may have done it while this one waited for the lock. */
    if ((rc = bring_up_to_date(s, fields, n, want, built)) < 0)
        goto out;
    in_tx = 0;
    rc = store_sqlite_tx(base, TMFINV_TX_COMMIT);
out:
    if (in_tx)
        (void)store_sqlite_tx(base, TMFINV_TX_ROLLBACK);
    for (size_t i = 0; i < n; i++)
        free(want[i]);
    free(want);
    return rc;
}

static void sqlite_graph_end(tmfinv_store *base, tmfinv_graph_session *g)
{
    (void)base;
    if (!g)
        return;
    for (int i = 0; i < N_STATEMENTS; i++)
        sqlite3_finalize(g->st[i]);
    free(g);
}

static int sqlite_graph_begin(tmfinv_store *base, tmfinv_graph_session **out)
{
    sqlite_store *s = (sqlite_store *)base;
    tmfinv_graph_session *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (!g)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    for (int i = 0; i < N_STATEMENTS; i++)
        if (sqlite3_prepare_v2(s->db, session_sql[i], -1, &g->st[i], NULL) != SQLITE_OK) {
            int rc = store_sqlite_fail(s, "preparing the lookups of impact");

            sqlite_graph_end(base, g);
            return rc;
        }
    *out = g;
    return 0;
}

/* Reads a row of NODE_COLUMNS into n. */
static int read_node(sqlite3_stmt *st, tmfinv_graph_node *n)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *fields = (const char *)sqlite3_column_text(st, 6);

    tmfinv_graph_node_clear(n);
    (void)snprintf(n->id, sizeof(n->id), "%s", id ? id : "");
    n->definition = store_sqlite_column_dup(st, 1);
    n->key = store_sqlite_column_dup(st, 2);
    if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
        n->tmf_id = store_sqlite_column_dup(st, 3);
    n->status = store_sqlite_column_dup(st, 4);
    n->removed = sqlite3_column_int(st, 5);
    if (fields && !(n->fields = cJSON_Parse(fields)))
        n->fields = cJSON_CreateObject();
    if (!n->definition || !n->key || (fields && !n->fields))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

/* Steps `st` once: the node, TMFINV_ENOTFOUND (message set by the caller) or an error. */
static int one_node(sqlite_store *s, sqlite3_stmt *st, tmfinv_graph_node *out)
{
    int step = sqlite3_step(st), rc;

    if (step == SQLITE_ROW)
        rc = read_node(st, out);
    else if (step == SQLITE_DONE)
        rc = TMFINV_ENOTFOUND;
    else
        rc = store_sqlite_fail(s, "reading an instance for impact");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sqlite_graph_get(tmfinv_store *base, tmfinv_graph_session *g, const char *id, int full,
                            tmfinv_graph_node *out)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = g->st[full ? G_GET_FULL : G_GET];
    int rc;

    store_sqlite_bind_text(st, 1, id);
    if ((rc = one_node(s, st, out)) == TMFINV_ENOTFOUND)
        (void)tmfinv_error_set(rc, "no instance with id '%s'", id);
    return rc;
}

static int sqlite_graph_find(tmfinv_store *base, tmfinv_graph_session *g, const char *definition, const char *ref,
                             tmfinv_graph_node *out)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc;

    store_sqlite_bind_text(g->st[G_BY_KEY], 1, definition);
    store_sqlite_bind_text(g->st[G_BY_KEY], 2, ref);
    if ((rc = one_node(s, g->st[G_BY_KEY], out)) != TMFINV_ENOTFOUND)
        return rc;
    store_sqlite_bind_text(g->st[G_BY_TMF_ID], 1, definition);
    store_sqlite_bind_text(g->st[G_BY_TMF_ID], 2, ref);
    if ((rc = one_node(s, g->st[G_BY_TMF_ID], out)) == TMFINV_ENOTFOUND)
        (void)tmfinv_error_set(rc, "no %s named '%s'", definition, ref);
    return rc;
}

static int sqlite_graph_referrers(tmfinv_store *base, tmfinv_graph_session *g, const char *ref,
                                  int (*fn)(tmfinv_graph_node *, const char *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = g->st[G_REFERRERS];
    tmfinv_graph_node n = {0};
    int step = SQLITE_DONE, rc = 0;

    store_sqlite_bind_text(st, 1, ref);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = read_node(st, &n)) == 0)
            rc = fn(&n, (const char *)sqlite3_column_text(st, 7), ctx);
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading the instances that reference one");
    tmfinv_graph_node_clear(&n);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

const tmfinv_store_graph_ops store_sqlite_graph_ops = {
    .index = sqlite_graph_index,
    .begin = sqlite_graph_begin,
    .end = sqlite_graph_end,
    .get = sqlite_graph_get,
    .find = sqlite_graph_find,
    .referrers = sqlite_graph_referrers,
};
