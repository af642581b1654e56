/* test_store.c: the SQLite store — schema versions, instances, seen keys, sweeping
 * unseen instances, typed queries, runs and reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "store.h"
#include "tmfinv_error.h"

#include <sqlite3.h>

static char *temp_db(void)
{
    char *path = write_temp(".db", "");

    unlink(path); /* the store creates it */
    return path;
}

static tmfinv_instance *make(const char *id, const char *def, const char *key, const char *fields)
{
    tmfinv_instance *i = calloc(1, sizeof(*i));

    (void)snprintf(i->id, sizeof(i->id), "%s", id);
    i->definition = strdup(def);
    i->key = strdup(key);
    i->source = strdup("src");
    i->status = strdup("Operational");
    (void)snprintf(i->created, sizeof(i->created), "2026-01-01T00:00:00.000Z");
    (void)snprintf(i->modified, sizeof(i->modified), "2026-01-01T00:00:00.000Z");
    (void)snprintf(i->content_hash, sizeof(i->content_hash), "h-%s", key);
    i->fields = cJSON_Parse(fields);
    i->raw = strdup("{}");
    return i;
}

static int count_cb(const tmfinv_instance *inst, void *ctx)
{
    (void)inst;
    (*(int *)ctx)++;
    return 0;
}

static void test_store__put_get_and_reopen(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *in = make("u1", "Resource", "r1", "{\"name\":\"MDM-1\",\"freq\":1018.5,\"tags\":[\"a\",\"b\"]}");
    tmfinv_instance *out = NULL;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_put(s, in), 0);
    assert_int_equal(tmfinv_store_get(s, "Resource", "r1", &out), 0);
    assert_string_equal(out->id, "u1");
    assert_string_equal(cJSON_GetObjectItem(out->fields, "name")->valuestring, "MDM-1");
    tmfinv_instance_free(out);
    assert_int_equal(tmfinv_store_get(s, "Resource", "nope", &out), TMFINV_ENOTFOUND);
    tmfinv_store_close(s);
    /* Reopening an up-to-date store migrates nothing and keeps the data. */
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_get(s, "Resource", "r1", &out), 0);
    tmfinv_instance_free(out);
    tmfinv_store_close(s);
    tmfinv_instance_free(in);
    remove_temp(path);
}

static void test_store__newer_schema_is_refused(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    sqlite3 *db;

    (void)state;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(tmfinv_store_open(path, &s), TMFINV_ESTORE);
    assert_non_null(strstr(tmfinv_error_last(), "schema version 999 is newer"));
    remove_temp(path);
}

static void test_store__not_a_database_is_refused(void **state)
{
    char *path = write_temp(".db", "this is not a database, just text that is long enough to be a header");
    tmfinv_store *s = NULL;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), TMFINV_ESTORE);
    assert_non_null(strstr(tmfinv_error_last(), path));
    remove_temp(path);
}

static void test_store__seen_and_sweep(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "Resource", "r1", "{}"), *b = make("u2", "Resource", "r2", "{}");
    tmfinv_instance *out = NULL;
    int first = 0, n = 0;
    int64_t removed = -1;
    tmfinv_query q = {.definition = "Resource"};

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_put(s, b), 0);
    assert_int_equal(tmfinv_store_seen_reset(s), 0);
    assert_int_equal(tmfinv_store_seen_mark(s, "Resource", "r1", &first), 0);
    assert_true(first);
    assert_int_equal(tmfinv_store_seen_mark(s, "Resource", "r1", &first), 0);
    assert_false(first);
    /* Another definition's key space is separate. */
    assert_int_equal(tmfinv_store_seen_mark(s, "Service", "r1", &first), 0);
    assert_true(first);
    /* A sweep for another source touches nothing. */
    assert_int_equal(tmfinv_store_sweep(s, "other", "Resource", 1, "t", &removed), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(tmfinv_store_sweep(s, "src", "Resource", 1, "t", &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(tmfinv_store_get(s, "Resource", "r2", &out), 0);
    assert_true(out->removed);
    assert_string_equal(out->removed_reason, "not seen in a complete sync");
    tmfinv_instance_free(out);
    assert_int_equal(tmfinv_store_query(s, &q, count_cb, &n), 0);
    assert_int_equal(n, 1);
    q.include_removed = 1;
    n = 0;
    assert_int_equal(tmfinv_store_query(s, &q, count_cb, &n), 0);
    assert_int_equal(n, 2);
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    tmfinv_instance_free(b);
    remove_temp(path);
}

static void test_store__typed_where(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "Carrier", "c1", "{\"freq\":14250.5,\"pol\":\"H\",\"sats\":[\"s1\",\"s2\"]}");
    tmfinv_instance *b = make("u2", "Carrier", "c2", "{\"freq\":11000,\"pol\":\"V\",\"sats\":[\"s3\"]}");
    cJSON *freq = cJSON_CreateNumber(14250.5), *pol = cJSON_CreateString("V"), *sat = cJSON_CreateString("s2");
    tmfinv_where w[1];
    tmfinv_query q = {.definition = "Carrier", .where = w, .n_where = 1};
    int64_t n = 0;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_put(s, b), 0);
    w[0] = (tmfinv_where){.field = "freq", .value = freq};
    assert_int_equal(tmfinv_store_count(s, &q, &n), 0);
    assert_int_equal(n, 1);
    w[0] = (tmfinv_where){.field = "pol", .value = pol};
    assert_int_equal(tmfinv_store_count(s, &q, &n), 0);
    assert_int_equal(n, 1);
    w[0] = (tmfinv_where){.field = "sats", .value = sat, .is_list = 1};
    assert_int_equal(tmfinv_store_count(s, &q, &n), 0);
    assert_int_equal(n, 1);
    w[0] = (tmfinv_where){.field = "status", .value = pol};
    assert_int_equal(tmfinv_store_count(s, &q, &n), 0);
    assert_int_equal(n, 0);
    cJSON_Delete(freq);
    cJSON_Delete(pol);
    cJSON_Delete(sat);
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    tmfinv_instance_free(b);
    remove_temp(path);
}

static int run_cb(const cJSON *run, void *ctx)
{
    cJSON **out = ctx;

    *out = cJSON_Duplicate(run, 1);
    return 1;
}

static void test_store__runs_are_recorded(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    int64_t id = 0;
    cJSON *run = NULL, *failed = cJSON_Parse("[{\"page\":2,\"status\":504}]"), *src;
    tmfinv_run_source rs = {.source = "svc", .pages = 3, .items = 100, .created = 90, .duplicates = 4,
                            .failed = 1, .failed_pages = failed};

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_run_begin(s, "t0", "full", &id), 0);
    assert_int_equal(tmfinv_store_run_source_put(s, id, &rs), 0);
    assert_int_equal(tmfinv_store_run_end(s, id, "t1", 0), 0);
    assert_int_equal(tmfinv_store_runs(s, 0, run_cb, &run), 1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(run, "complete")));
    src = cJSON_GetArrayItem(cJSON_GetObjectItem(run, "sources"), 0);
    assert_string_equal(cJSON_GetObjectItem(src, "name")->valuestring, "svc");
    assert_int_equal(cJSON_GetObjectItem(src, "duplicates")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(src, "failed"), 0), "status")->valueint,
                     504);
    cJSON_Delete(run);
    cJSON_Delete(failed);
    tmfinv_store_close(s);
    remove_temp(path);
}

/* A write transaction waits for another writer's lock, up to the busy timeout, then
 * fails with a message naming the store and the wait; a read transaction never waits. */
static void test_store__writers_wait_for_the_lock(void **state)
{
    char *path = temp_db();
    tmfinv_store *a = NULL, *b = NULL;
    tmfinv_store_options opt = {.busy_timeout_ms = 300};
    tmfinv_instance *in = make("u1", "Resource", "r1", "{}"), *out = NULL;
    int64_t count = -1;
    tmfinv_query q = {.definition = "Resource"};

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &a), 0);
    assert_int_equal(tmfinv_store_open_with(path, &opt, &b), 0);
    assert_int_equal(tmfinv_store_begin(a), 0);
    assert_int_equal(tmfinv_store_put(a, in), 0);
    /* b reads the last committed state while a writes */
    assert_int_equal(tmfinv_store_begin_read(b), 0);
    assert_int_equal(tmfinv_store_count(b, &q, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(tmfinv_store_commit(b), 0);
    /* b's write transaction waits 0.3 s for a's lock, then fails saying so */
    assert_int_equal(tmfinv_store_begin(b), TMFINV_ESTORE);
    assert_non_null(strstr(tmfinv_error_last(), path));
    assert_non_null(strstr(tmfinv_error_last(), "waited 0.3 s for another writer's lock"));
    assert_non_null(strstr(tmfinv_error_last(), "busy_timeout = 0.3 s"));
    /* so does a write outside a transaction (a run record) */
    assert_int_equal(tmfinv_store_run_begin(b, "t0", "full", &count), TMFINV_ESTORE);
    assert_int_equal(tmfinv_store_commit(a), 0);
    /* once a has committed, b writes, and what it read in its transaction is current */
    assert_int_equal(tmfinv_store_begin(b), 0);
    assert_int_equal(tmfinv_store_get(b, "Resource", "r1", &out), 0);
    assert_int_equal(tmfinv_store_put(b, out), 0);
    assert_int_equal(tmfinv_store_commit(b), 0);
    tmfinv_instance_free(out);
    tmfinv_instance_free(in);
    tmfinv_store_close(a);
    tmfinv_store_close(b);
    remove_temp(path);
}

static int run_ended_cb(const cJSON *run, void *ctx)
{
    const cJSON *ended = cJSON_GetObjectItem(run, "ended");

    *(int *)ctx = cJSON_IsString(ended) && !cJSON_IsTrue(cJSON_GetObjectItem(run, "complete"));
    return 0;
}

/* A run its caller did not end (it failed on the way) is ended, incomplete, when the
 * store is closed or the next run begins. */
static void test_store__an_unfinished_run_is_ended(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    int64_t id = 0, id2 = 0;
    int ended = 0;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_run_begin(s, "t0", "full", &id), 0);
    tmfinv_store_close(s);
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_runs(s, 1, run_ended_cb, &ended), 0);
    assert_int_equal(ended, 1);
    assert_int_equal(tmfinv_store_run_begin(s, "t1", "full", &id), 0);
    assert_int_equal(tmfinv_store_run_begin(s, "t2", "full", &id2), 0);
    assert_int_equal(tmfinv_store_run_end(s, id2, "t3", 1), 0);
    ended = 0;
    assert_int_equal(tmfinv_store_runs_page(s, id, 0, 1, &id2, run_ended_cb, &ended), 0);
    assert_int_equal(ended, 1);
    tmfinv_store_close(s);
    remove_temp(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__put_get_and_reopen),
        cmocka_unit_test(test_store__newer_schema_is_refused),
        cmocka_unit_test(test_store__not_a_database_is_refused),
        cmocka_unit_test(test_store__seen_and_sweep),
        cmocka_unit_test(test_store__typed_where),
        cmocka_unit_test(test_store__runs_are_recorded),
        cmocka_unit_test(test_store__writers_wait_for_the_lock),
        cmocka_unit_test(test_store__an_unfinished_run_is_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
