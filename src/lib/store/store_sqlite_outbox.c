/* store_sqlite_outbox.c: the SQLite backend of the outbox (store_events.h; schema 9):
 * events with the instance's row after the change, copied by INSERT ... SELECT from the row
 * just written (one prepared statement per event, nothing printed again in C), receivers and
 * their cursors, dead letters, and the purge of what every receiver is past. */
#include "store_events.h"
#include "store_sqlite_int.h"

#include "tmfinv_error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OB_ENABLED, OB_ADD };

/* OB_ADD writes nothing but a Delete for an instance that is removed after the change: an
 * instance created or changed while removed (its status not kept) is not in the collections
 * the TMF API serves, so its subscribers hear of it when it comes back (a Create). */

static sqlite3_stmt *statement(sqlite_store *s, int which)
{
    static const char *const sql[2] = {
        [OB_ENABLED] = "SELECT EXISTS (SELECT 1 FROM receiver)",
        [OB_ADD] = "INSERT INTO outbox (time, type, instance_id, definition, key, fields, run_id, actor, raw,"
                   " field_values, status, removed) SELECT ?1, ?2, id, definition, key, ?3, ?4, ?5, raw, fields,"
                   " status, removed FROM instance WHERE id = ?6 AND NOT (?2 <> 'delete' AND removed = 1)",
    };

    if (!s->outbox_st[which] &&
        sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->outbox_st[which], NULL) != SQLITE_OK) {
        (void)store_sqlite_fail(s, "preparing an outbox statement");
        return NULL;
    }
    sqlite3_reset(s->outbox_st[which]);
    sqlite3_clear_bindings(s->outbox_st[which]);
    return s->outbox_st[which];
}

static int ob_enabled(tmfinv_store *base, int *on)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = statement(s, OB_ENABLED);
    int rc = 0;

    if (!st)
        return TMFINV_ESTORE;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = store_sqlite_fail(s, "reading the event receivers");
    else
        *on = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc;
}

static int ob_definition_of(tmfinv_store *base, const char *instance_id, char *out, size_t size)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    out[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT definition FROM instance WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading an instance's definition");
    store_sqlite_bind_text(st, 1, instance_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        (void)snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

static int ob_add(tmfinv_store *base, const char *instance_id, const char *type, const char *fields, int64_t run_id,
                  const char *actor, const char *time)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = statement(s, OB_ADD);
    int rc = 0;

    if (!st)
        return TMFINV_ESTORE;
    store_sqlite_bind_text(st, 1, time);
    store_sqlite_bind_text(st, 2, type);
    store_sqlite_bind_text(st, 3, fields);
    if (run_id > 0)
        sqlite3_bind_int64(st, 4, run_id);
    store_sqlite_bind_text(st, 5, actor);
    store_sqlite_bind_text(st, 6, instance_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing an event");
    sqlite3_reset(st);
    return rc;
}

/* One Delete event per instance the sweep is about to remove, in one statement: the same
 * condition as the sweep's (store_sqlite.c), the snapshot as the sweep leaves the row. */
static int ob_sweep(tmfinv_store *base, const char *source, const char *definition, int64_t run_id, const char *time)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO outbox (time, type, instance_id, definition, key, fields, run_id, actor, raw,"
                           " field_values, status, removed) SELECT ?4, 'delete', id, definition, key, NULL, ?3, NULL,"
                           " raw, fields, status, 1 FROM instance WHERE source = ?1 AND definition = ?2 AND removed = 0"
                           " AND NOT EXISTS (SELECT 1 FROM temp.seen WHERE seen.definition = instance.definition"
                           " AND seen.key = instance.key) ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "writing the events of removed instances");
    store_sqlite_bind_text(st, 1, source);
    store_sqlite_bind_text(st, 2, definition);
    sqlite3_bind_int64(st, 3, run_id);
    store_sqlite_bind_text(st, 4, time);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, "writing the events of removed instances");
    sqlite3_finalize(st);
    return rc;
}

/* Runs `sql` with text (or NULL) parameters and an optional int64 last; *changes rows. */
static int run(sqlite_store *s, const char *what, const char *sql, const char *const *texts, int n_texts,
               const int64_t *ints, int n_ints, int64_t *changes)
{
    sqlite3_stmt *st = NULL;
    int rc = 0, i;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, what);
    for (i = 0; i < n_texts; i++)
        store_sqlite_bind_text(st, i + 1, texts[i]);
    for (int k = 0; k < n_ints; k++)
        sqlite3_bind_int64(st, i + k + 1, ints[k]);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_fail(s, what);
    else if (changes)
        *changes = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

static int ob_receiver_put(tmfinv_store *base, const tmfinv_receiver *r)
{
    const char *t[6] = {r->name, r->kind, r->api, r->callback, r->query, r->created};

    /* A new receiver starts after the newest event: it gets the changes made from now on. */
    return run((sqlite_store *)base, "registering an event receiver",
               "INSERT INTO receiver (name, kind, api, callback, query, created, cursor) VALUES (?1, ?2, ?3, ?4, ?5,"
               " ?6, (SELECT coalesce(max(id), 0) FROM outbox)) ON CONFLICT (name) DO UPDATE SET kind = ?2, api = ?3,"
               " callback = ?4, query = ?5",
               t, 6, NULL, 0, NULL);
}

static int ob_receiver_delete(tmfinv_store *base, const char *name)
{
    sqlite_store *s = (sqlite_store *)base;
    int64_t n = 0;
    int rc = run(s, "removing an event receiver", "DELETE FROM dead_letter WHERE receiver = ?1", &name, 1, NULL, 0,
                 NULL);

    if (rc == 0)
        rc = run(s, "removing an event receiver", "DELETE FROM receiver WHERE name = ?1", &name, 1, NULL, 0, &n);
    if (rc == 0 && n == 0)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no event receiver '%s'", name);
    return rc;
}

static int ob_receivers(tmfinv_store *base, const char *name, int (*fn)(const tmfinv_receiver *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step, found = 0;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT name, kind, api, callback, query, created, cursor, delivered,"
                           " (SELECT count(*) FROM outbox WHERE outbox.id > receiver.cursor),"
                           " (SELECT count(*) FROM dead_letter WHERE dead_letter.receiver = receiver.name"
                           " AND state = 'dead') FROM receiver WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the event receivers");
    store_sqlite_bind_text(st, 1, name);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_receiver r = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .kind = (const char *)sqlite3_column_text(st, 1),
            .api = (const char *)sqlite3_column_text(st, 2),
            .callback = (const char *)sqlite3_column_text(st, 3),
            .query = (const char *)sqlite3_column_text(st, 4),
            .created = (const char *)sqlite3_column_text(st, 5),
            .cursor = sqlite3_column_int64(st, 6),
            .delivered = sqlite3_column_int64(st, 7),
            .pending = sqlite3_column_int64(st, 8),
            .dead = sqlite3_column_int64(st, 9),
        };

        found = 1;
        rc = fn(&r, ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading the event receivers");
    sqlite3_finalize(st);
    if (rc == 0 && name && !found)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no event receiver '%s'", name);
    return rc;
}

static int ob_next(tmfinv_store *base, int64_t after, int64_t limit, int exact,
                   int (*fn)(const tmfinv_event *, void *), void *ctx)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    int rc = 0, step, found = 0;

    if (sqlite3_prepare_v2(s->db,
                           exact ? "SELECT id, time, type, instance_id, definition, key, fields, run_id, actor, raw,"
                                   " field_values, status, removed FROM outbox WHERE id = ?1 LIMIT ?2"
                                 : "SELECT id, time, type, instance_id, definition, key, fields, run_id, actor, raw,"
                                   " field_values, status, removed FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading the outbox");
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_event e = {
            .id = sqlite3_column_int64(st, 0),
            .time = (const char *)sqlite3_column_text(st, 1),
            .type = (const char *)sqlite3_column_text(st, 2),
            .instance_id = (const char *)sqlite3_column_text(st, 3),
            .definition = (const char *)sqlite3_column_text(st, 4),
            .key = (const char *)sqlite3_column_text(st, 5),
            .fields = (const char *)sqlite3_column_text(st, 6),
            .run_id = sqlite3_column_int64(st, 7),
            .actor = (const char *)sqlite3_column_text(st, 8),
            .raw = (const char *)sqlite3_column_text(st, 9),
            .values = (const char *)sqlite3_column_text(st, 10),
            .status = (const char *)sqlite3_column_text(st, 11),
            .removed = sqlite3_column_int(st, 12),
        };

        found = 1;
        rc = fn(&e, ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading the outbox");
    sqlite3_finalize(st);
    if (rc == 0 && exact && !found)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no event %lld in the outbox", (long long)after);
    return rc;
}

static int ob_advance(tmfinv_store *base, const char *receiver, int64_t cursor, int64_t delivered)
{
    int64_t ints[2] = {cursor, delivered};

    return run((sqlite_store *)base, "moving an event receiver's cursor",
               "UPDATE receiver SET cursor = max(cursor, ?2), delivered = delivered + ?3 WHERE name = ?1", &receiver,
               1, ints, 2, NULL);
}

static int ob_dead_add(tmfinv_store *base, const char *receiver, int64_t event_id, int64_t tries, const char *error,
                       const char *first_try, const char *last_try)
{
    const char *t[4] = {receiver, error, first_try, last_try};
    int64_t ints[2] = {event_id, tries};

    return run((sqlite_store *)base, "recording a dead letter",
               "INSERT INTO dead_letter (receiver, error, first_try, last_try, event_id, tries, state)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'dead') ON CONFLICT (receiver, event_id) DO UPDATE SET"
               " state = 'dead', tries = tries + ?6, error = ?2, last_try = ?4",
               t, 4, ints, 2, NULL);
}

static int ob_dead_letters(tmfinv_store *base, const char *state, const char *receiver, int64_t offset,
                           int64_t limit, int64_t *total, int (*fn)(const tmfinv_dead_letter *, void *), void *ctx)
{
    static const char where[] = " FROM dead_letter WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR receiver = ?2)";
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    char sql[512];
    int rc = 0, step;

    if (total) {
        (void)snprintf(sql, sizeof(sql), "SELECT count(*)%s", where);
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
            return store_sqlite_fail(s, "counting dead letters");
        store_sqlite_bind_text(st, 1, state);
        store_sqlite_bind_text(st, 2, receiver);
        if (sqlite3_step(st) != SQLITE_ROW)
            rc = store_sqlite_fail(s, "counting dead letters");
        else
            *total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        if (rc < 0)
            return rc;
    }
    (void)snprintf(sql, sizeof(sql),
                   "SELECT id, receiver, event_id, state, tries, error, first_try, last_try%s ORDER BY id"
                   " LIMIT ?3 OFFSET ?4", where);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_sqlite_fail(s, "reading dead letters");
    store_sqlite_bind_text(st, 1, state);
    store_sqlite_bind_text(st, 2, receiver);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
    sqlite3_bind_int64(st, 4, offset);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        tmfinv_dead_letter d = {
            .id = sqlite3_column_int64(st, 0),
            .receiver = (const char *)sqlite3_column_text(st, 1),
            .event_id = sqlite3_column_int64(st, 2),
            .state = (const char *)sqlite3_column_text(st, 3),
            .tries = sqlite3_column_int64(st, 4),
            .error = (const char *)sqlite3_column_text(st, 5),
            .first_try = (const char *)sqlite3_column_text(st, 6),
            .last_try = (const char *)sqlite3_column_text(st, 7),
        };

        rc = fn(&d, ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, "reading dead letters");
    sqlite3_finalize(st);
    return rc;
}

static int ob_dead_retry(tmfinv_store *base, int64_t id, int64_t *count)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc;

    if (id > 0) {
        rc = run(s, "retrying a dead letter", "UPDATE dead_letter SET state = 'retry' WHERE id = ?1", NULL, 0, &id, 1,
                 count);
        if (rc == 0 && *count == 0)
            rc = tmfinv_error_set(TMFINV_ENOTFOUND, "no dead letter %lld", (long long)id);
        return rc;
    }
    return run(s, "retrying the dead letters", "UPDATE dead_letter SET state = 'retry' WHERE state = 'dead'", NULL, 0,
               NULL, 0, count);
}

static int ob_dead_done(tmfinv_store *base, int64_t id)
{
    return run((sqlite_store *)base, "forgetting a dead letter", "DELETE FROM dead_letter WHERE id = ?1", NULL, 0,
               &id, 1, NULL);
}

static int ob_dead_failed(tmfinv_store *base, int64_t id, const char *error, const char *time)
{
    const char *t[2] = {error, time};

    return run((sqlite_store *)base, "recording a dead letter's failure",
               "UPDATE dead_letter SET state = 'dead', tries = tries + 1, error = ?1, last_try = ?2 WHERE id = ?3", t,
               2, &id, 1, NULL);
}

/* Never an event some receiver has not passed, nor one a dead letter names: undelivered
 * events are only purged with their receiver. */
static int ob_purge(tmfinv_store *base, const char *before, int64_t batch, int64_t *purged)
{
    int64_t ints[1] = {batch};

    return run((sqlite_store *)base, "purging delivered events",
               "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE time < ?1 AND id <= coalesce((SELECT"
               " min(cursor) FROM receiver), (SELECT max(id) FROM outbox)) AND NOT EXISTS (SELECT 1 FROM dead_letter"
               " WHERE dead_letter.event_id = outbox.id) ORDER BY id LIMIT ?2)",
               &before, 1, ints, 1, purged);
}

const tmfinv_store_outbox_ops store_sqlite_outbox_ops = {
    .enabled = ob_enabled,
    .definition_of = ob_definition_of,
    .add = ob_add,
    .sweep = ob_sweep,
    .receiver_put = ob_receiver_put,
    .receiver_delete = ob_receiver_delete,
    .receivers = ob_receivers,
    .next = ob_next,
    .advance = ob_advance,
    .dead_add = ob_dead_add,
    .dead_letters = ob_dead_letters,
    .dead_retry = ob_dead_retry,
    .dead_done = ob_dead_done,
    .dead_failed = ob_dead_failed,
    .purge = ob_purge,
};
