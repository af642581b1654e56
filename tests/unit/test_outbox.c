/* test_outbox.c: the outbox of instance events (store_events.h): no receiver, no event; the
 * events of a write (Create, StateChange by the definition's status field, one
 * AttributeValueChange naming its fields, Delete, a restoration as a Create) written in the
 * transaction of the change and gone with its rollback; a snapshot after the change even when
 * the writer wrote the instance first; one Delete per instance a sweep removes; receivers'
 * cursors, dead letters and their retry; the purge keeps what a receiver has not passed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "store.h"
#include "store_events.h"
#include "tmfinv_error.h"

static char *temp_db(void)
{
    char *path = write_temp(".db", "");

    unlink(path);
    return path;
}

static tmfinv_instance *make(const char *id, const char *key, const char *status)
{
    tmfinv_instance *i = calloc(1, sizeof(*i));

    (void)snprintf(i->id, sizeof(i->id), "%s", id);
    i->definition = strdup("Resource");
    i->key = strdup(key);
    i->source = strdup("src");
    i->status = strdup(status);
    (void)snprintf(i->created, sizeof(i->created), "2026-01-01T00:00:00.000Z");
    (void)snprintf(i->modified, sizeof(i->modified), "2026-01-01T00:00:00.000Z");
    (void)snprintf(i->content_hash, sizeof(i->content_hash), "h-%s", key);
    i->fields = cJSON_CreateObject();
    cJSON_AddStringToObject(i->fields, "status", status);
    i->raw = strdup("{\"id\":\"x\"}");
    return i;
}

/* A model of one definition, Resource, whose status field is "status". */
static tmfinv_field fields[2] = {{.name = "status"}, {.name = "note"}};
static tmfinv_definition resource = {.name = "Resource", .api = "tmf639", .fields = fields, .n_fields = 2,
                                     .status_field = 0};
static tmfinv_definition *defs[1] = {&resource};
static tmfinv_model model = {.definitions = defs, .n_definitions = 1};

typedef struct seen {
    char text[2048];
    int n;
} seen;

/* "type:key:fields:removed;" per event. */
static int collect(const tmfinv_event *e, void *ctx)
{
    seen *s = ctx;
    size_t at = strlen(s->text);

    (void)snprintf(s->text + at, sizeof(s->text) - at, "%s:%s:%s:%d;", e->type, e->key, e->fields ? e->fields : "-",
                   e->removed);
    s->n++;
    return 0;
}

static void events(tmfinv_store *s, int64_t after, seen *out)
{
    memset(out, 0, sizeof(*out));
    assert_int_equal(tmfinv_store_outbox_next(s, after, 0, collect, out), 0);
}

static void add_receiver(tmfinv_store *s, const char *name)
{
    tmfinv_receiver r = {.name = name, .kind = "webhook", .created = "2026-01-01T00:00:00.000Z"};

    assert_int_equal(tmfinv_store_receiver_put(s, &r), 0);
}

static void test_outbox__no_receiver_no_event(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "r1", "Operational");
    seen out;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_events_model(s, &model), 0);
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 1, "t1", "@created", NULL, "\"src\""), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    events(s, 0, &out);
    assert_int_equal(out.n, 0);
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    remove_temp(path);
}

static void test_outbox__the_events_of_writes(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "r1", "Operational");
    seen out;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_events_model(s, &model), 0);
    add_receiver(s, "webhook:a");
    /* Created, then rolled back: nothing. */
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 1, "t1", "@created", NULL, "\"src\""), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_rollback(s), 0);
    events(s, 0, &out);
    assert_int_equal(out.n, 0);
    /* Created and committed: one Create. */
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 1, "t1", "@created", NULL, "\"src\""), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    events(s, 0, &out);
    assert_string_equal(out.text, "create:r1:-:0;");
    /* The status and a field in one write: a StateChange, then one AttributeValueChange. */
    cJSON_ReplaceItemInObject(a->fields, "status", cJSON_CreateString("Down"));
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 2, "t2", "note", NULL, "\"x\""), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 2, "t2", "status", "\"Operational\"", "\"Down\""), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 2, "t2", "@stale", "true", "false"), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    events(s, 1, &out);
    assert_string_equal(out.text, "state:r1:[\"status\"]:0;change:r1:[\"note\"]:0;");
    /* Removed, then restored: a Delete, then a Create. */
    a->removed = 1;
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 3, "t3", "@removed", "false", "true"), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    /* A change while removed makes no event. */
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 4, "t4", "note", "\"x\"", "\"y\""), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    a->removed = 0;
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 5, "t5", "@removed", "true", "false"), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    events(s, 3, &out);
    assert_string_equal(out.text, "delete:r1:-:1;create:r1:-:0;");
    /* A writer that writes the instance before its history: the event is written at the
     * commit, with the row as the transaction leaves it. */
    cJSON_ReplaceItemInObject(a->fields, "status", cJSON_CreateString("Maintenance"));
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_history_add(s, "u1", 6, "t6", "status", "\"Down\"", "\"Maintenance\""), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    events(s, 5, &out);
    assert_string_equal(out.text, "state:r1:[\"status\"]:0;");
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    remove_temp(path);
}

static void test_outbox__a_sweep_writes_one_delete_per_instance(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "r1", "Operational"), *b = make("u2", "r2", "Operational"),
                    *c = make("u3", "r3", "Operational");
    int64_t removed = 0;
    int first;
    seen out;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    assert_int_equal(tmfinv_store_put(s, a), 0);
    assert_int_equal(tmfinv_store_put(s, b), 0);
    assert_int_equal(tmfinv_store_put(s, c), 0);
    add_receiver(s, "webhook:a");
    assert_int_equal(tmfinv_store_seen_reset(s), 0);
    assert_int_equal(tmfinv_store_seen_mark(s, "Resource", "r2", &first), 0);
    assert_int_equal(tmfinv_store_begin(s), 0);
    assert_int_equal(tmfinv_store_sweep(s, "src", "Resource", 7, "t7", &removed), 0);
    assert_int_equal(tmfinv_store_commit(s), 0);
    assert_int_equal(removed, 2);
    events(s, 0, &out);
    assert_string_equal(out.text, "delete:r1:-:1;delete:r3:-:1;");
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    tmfinv_instance_free(b);
    tmfinv_instance_free(c);
    remove_temp(path);
}

typedef struct rec {
    int64_t cursor, pending, dead, delivered;
    int n;
} rec;

static int take_receiver(const tmfinv_receiver *r, void *ctx)
{
    rec *x = ctx;

    x->cursor = r->cursor;
    x->pending = r->pending;
    x->dead = r->dead;
    x->delivered = r->delivered;
    x->n++;
    return 0;
}

static int take_dead(const tmfinv_dead_letter *d, void *ctx)
{
    int64_t *id = ctx;

    *id = d->id;
    return 0;
}

static void test_outbox__cursors_dead_letters_and_purge(void **state)
{
    char *path = temp_db();
    tmfinv_store *s = NULL;
    tmfinv_instance *a = make("u1", "r1", "Operational");
    rec r = {0};
    int64_t total = 0, id = 0, count = 0, purged = -1;
    seen out;

    (void)state;
    assert_int_equal(tmfinv_store_open(path, &s), 0);
    add_receiver(s, "webhook:a");
    for (int i = 0; i < 3; i++) {
        char after[16];

        (void)snprintf(after, sizeof(after), "\"%d\"", i);
        assert_int_equal(tmfinv_store_begin(s), 0);
        assert_int_equal(tmfinv_store_history_add(s, "u1", 1, "2000-01-01T00:00:00.000Z", "note", NULL, after), 0);
        assert_int_equal(tmfinv_store_put(s, a), 0);
        assert_int_equal(tmfinv_store_commit(s), 0);
    }
    /* A receiver registered now starts after the newest event. */
    add_receiver(s, "webhook:late");
    assert_int_equal(tmfinv_store_receivers(s, "webhook:late", take_receiver, &r), 0);
    assert_int_equal(r.cursor, 3);
    assert_int_equal(tmfinv_store_receivers(s, "webhook:nope", take_receiver, &r), TMFINV_ENOTFOUND);
    memset(&r, 0, sizeof(r));
    assert_int_equal(tmfinv_store_receivers(s, "webhook:a", take_receiver, &r), 0);
    assert_int_equal(r.pending, 3);
    /* Event 1 delivered, event 2 dead, event 3 waiting: the purge takes only event 1. */
    assert_int_equal(tmfinv_store_receiver_advance(s, "webhook:a", 1, 1), 0);
    assert_int_equal(tmfinv_store_dead_add(s, "webhook:a", 2, 10, "HTTP status 500", "t", "t"), 0);
    assert_int_equal(tmfinv_store_receiver_advance(s, "webhook:a", 2, 0), 0);
    assert_int_equal(tmfinv_store_receiver_advance(s, "webhook:a", 1, 0), 0); /* never back */
    memset(&r, 0, sizeof(r));
    assert_int_equal(tmfinv_store_receivers(s, "webhook:a", take_receiver, &r), 0);
    assert_int_equal(r.cursor, 2);
    assert_int_equal(r.dead, 1);
    assert_int_equal(r.delivered, 1);
    assert_int_equal(tmfinv_store_outbox_purge(s, "2100-01-01T00:00:00.000Z", 1000, &purged), 0);
    assert_int_equal(purged, 1);
    events(s, 0, &out);
    assert_int_equal(out.n, 2);
    /* The dead letter: listed, retried, done. */
    assert_int_equal(tmfinv_store_dead_letters(s, "dead", NULL, 0, 0, &total, take_dead, &id), 0);
    assert_int_equal(total, 1);
    assert_int_equal(tmfinv_store_dead_retry(s, id, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(tmfinv_store_dead_retry(s, id + 100, &count), TMFINV_ENOTFOUND);
    assert_int_equal(tmfinv_store_dead_letters(s, "retry", NULL, 0, 0, &total, take_dead, &id), 0);
    assert_int_equal(total, 1);
    assert_int_equal(tmfinv_store_dead_done(s, id), 0);
    assert_int_equal(tmfinv_store_dead_letters(s, NULL, NULL, 0, 0, &total, take_dead, &id), 0);
    assert_int_equal(total, 0);
    /* Unregistering a receiver lets the purge take what only it was waiting for. */
    assert_int_equal(tmfinv_store_receiver_delete(s, "webhook:a"), 0);
    assert_int_equal(tmfinv_store_receiver_delete(s, "webhook:a"), TMFINV_ENOTFOUND);
    assert_int_equal(tmfinv_store_outbox_purge(s, "2100-01-01T00:00:00.000Z", 1000, &purged), 0);
    assert_int_equal(purged, 2);
    tmfinv_store_close(s);
    tmfinv_instance_free(a);
    remove_temp(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox__no_receiver_no_event),
        cmocka_unit_test(test_outbox__the_events_of_writes),
        cmocka_unit_test(test_outbox__a_sweep_writes_one_delete_per_instance),
        cmocka_unit_test(test_outbox__cursors_dead_letters_and_purge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
