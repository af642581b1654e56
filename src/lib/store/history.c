/* history.c: what the changes feed and retention need besides a backend's queries — times
 * given by users, a field's timeline built from its changes, and the cutoffs of a purge.
 * Backend-independent: it reads through store.h only. */
#include "store.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Writes Unix time `t` (and milliseconds) in the stored form. */
static void format_time(time_t t, int ms, char *out)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    /* The modulos bound each part for the compiler; gmtime_r's values are within them. */
    (void)snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
                   (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
                   (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)ms % 1000u);
}

static int two_digits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

int tmfinv_store_parse_time(const char *text, char *out)
{
    size_t n = strlen(text);
    int64_t amount;
    struct tm tm;
    time_t t;
    int ms = 0;

    /* An age: N s|m|h|d before now. */
    if (n >= 2 && n < 16 && strchr("smhd", text[n - 1]) && strspn(text, "0123456789") == n - 1) {
        char number[16];
        static const int64_t unit[] = {1, 60, 3600, 86400};

        memcpy(number, text, n - 1);
        number[n - 1] = '\0';
        if (tmfinv_parse_int64(number, 0, 36500LL * 86400, &amount) == 0) {
            int64_t seconds = amount * unit[strchr("smhd", text[n - 1]) - "smhd"];

            if (seconds <= 36500LL * 86400) {
                format_time(time(NULL) - (time_t)seconds, 0, out);
                return 0;
            }
        }
        return tmfinv_error_set(TMFINV_EINVALID, "'%.64s': an age of at most 100 years is expected", text);
    }
    memset(&tm, 0, sizeof(tm));
    if (n == 10 && strspn(text, "0123456789-") == 10 && text[4] == '-' && text[7] == '-') {
        tm.tm_year = two_digits(text) * 100 + two_digits(text + 2) - 1900;
        tm.tm_mon = two_digits(text + 5) - 1;
        tm.tm_mday = two_digits(text + 8);
        if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
            goto bad;
        format_time(timegm(&tm), 0, out);
        return 0;
    }
    if (n < 64 && tmfinv_is_datetime(text)) {
        const char *p = text + 19;
        int offset = 0;

        tm.tm_year = two_digits(text) * 100 + two_digits(text + 2) - 1900;
        tm.tm_mon = two_digits(text + 5) - 1;
        tm.tm_mday = two_digits(text + 8);
        tm.tm_hour = two_digits(text + 11);
        tm.tm_min = two_digits(text + 14);
        tm.tm_sec = two_digits(text + 17);
        if (*p == '.') {
            int digits = 0;

            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3)
                    ms = ms * 10 + (*p - '0');
            for (; digits < 3; digits++)
                ms *= 10;
        }
        if (*p == '+' || *p == '-')
            offset = (*p == '-' ? -1 : 1) * (two_digits(p + 1) * 3600 + two_digits(p + 4) * 60);
        t = timegm(&tm) - offset;
        format_time(t, ms, out);
        return 0;
    }
bad:
    return tmfinv_error_set(TMFINV_EINVALID, "'%.64s': expected an RFC 3339 date-time (2026-01-31T08:00:00Z), a date "
                            "(2026-01-31) or an age (90m, 12h, 7d)", text);
}

/* ---- timelines ------------------------------------------------------------------------ */

typedef struct timeline_ctx {
    cJSON *changes;     /* the field's changes, oldest first */
} timeline_ctx;

static int take_change(const cJSON *change, void *ctx)
{
    timeline_ctx *t = ctx;
    cJSON *copy = cJSON_Duplicate(change, 1);

    if (!copy || !cJSON_AddItemToArray(t->changes, copy)) {
        cJSON_Delete(copy);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    return 0;
}

/* Adds {value (a copy; NULL: null), from, to (NULL: null)} to `intervals`. */
static int add_interval(cJSON *intervals, const cJSON *value, const char *from, const char *to)
{
    cJSON *o = cJSON_CreateObject(), *v = value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull();

    if (!o || !v || !cJSON_AddItemToObject(o, "value", v) || !cJSON_AddItemToArray(intervals, o)) {
        cJSON_Delete(o);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    cJSON_AddStringToObject(o, "from", from);
    if (to)
        cJSON_AddStringToObject(o, "to", to);
    else
        cJSON_AddNullToObject(o, "to");
    return 0;
}

/* The value the field has now (no change recorded): "@removed" and "@stale" as booleans. */
static cJSON *current_value(const tmfinv_instance *inst, const char *field)
{
    const cJSON *v;

    if (strcmp(field, "@removed") == 0)
        return cJSON_CreateBool(inst->removed);
    if (strcmp(field, "@stale") == 0)
        return cJSON_CreateBool(inst->stale != NULL);
    v = cJSON_GetObjectItemCaseSensitive(inst->fields, field);
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

int tmfinv_store_timeline(tmfinv_store *s, const tmfinv_instance *inst, const char *field, cJSON **out)
{
    tmfinv_changes_query q = {.instance_id = inst->id, .field = field};
    timeline_ctx t = {.changes = cJSON_CreateArray()};
    cJSON *o = cJSON_CreateObject(), *intervals = cJSON_CreateArray(), *now = NULL;
    const cJSON *first, *c;
    int rc, complete = 1, n;

    if (!t.changes || !o || !intervals) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_store_changes(s, &q, NULL, take_change, &t)) < 0)
        goto out;
    n = cJSON_GetArraySize(t.changes);
    first = cJSON_GetArrayItem(t.changes, 0);
    if (!first) {
        if (!(now = current_value(inst, field)) || (rc = add_interval(intervals, now, inst->created, NULL)) < 0)
            goto out;
    } else {
        /* Complete history: the value before the first change held since the creation.
         * Purged: the field's story starts with the oldest change kept. */
        complete = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "earlierPurged"));
        if (complete && (rc = add_interval(intervals, cJSON_GetObjectItemCaseSensitive(first, "before"),
                                           inst->created, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                                              first, "time")))) < 0)
            goto out;
        for (int i = 0; i < n; i++) {
            const cJSON *next = cJSON_GetArrayItem(t.changes, i + 1);

            c = cJSON_GetArrayItem(t.changes, i);
            if ((rc = add_interval(intervals, cJSON_GetObjectItemCaseSensitive(c, "after"),
                                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "time")),
                                   next ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(next, "time"))
                                        : NULL)) < 0)
                goto out;
        }
    }
    cJSON_AddStringToObject(o, "instance", inst->id);
    cJSON_AddStringToObject(o, "definition", inst->definition);
    cJSON_AddStringToObject(o, "key", inst->key);
    cJSON_AddStringToObject(o, "field", field);
    cJSON_AddBoolToObject(o, "complete", complete);
    cJSON_AddItemToObject(o, "intervals", intervals);
    intervals = NULL;
    *out = o;
    o = NULL;
out:
    cJSON_Delete(now);
    cJSON_Delete(intervals);
    cJSON_Delete(o);
    cJSON_Delete(t.changes);
    return rc;
}

/* ---- retention ----------------------------------------------------------------------- */

void tmfinv_store_purge_init(tmfinv_purge *p, int history_days, int removed_days)
{
    time_t now = time(NULL);

    memset(p, 0, sizeof(*p));
    format_time(now - (time_t)history_days * 86400, 0, p->history_before);
    format_time(now - (time_t)removed_days * 86400, 0, p->removed_before);
    p->batch = TMFINV_PURGE_BATCH;
}
