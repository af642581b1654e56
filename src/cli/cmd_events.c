/* cmd_events.c: `tmfinv events`: the event receivers (webhooks, hub subscriptions) with their
 * queues, the dead letters, and asking for dead letters to be delivered again (docs/events.md). */
#include "cli.h"

#include "events.h"
#include "store.h"

#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_receiver(const tmfinv_receiver *r, void *ctx)
{
    const int *json = ctx;

    if (*json) {
        cJSON *o = tmfinv_events_receiver_json(r);

        if (!o)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cli_print_json(o);
        cJSON_Delete(o);
        return 0;
    }
    printf("%-44s pending %-8lld delivered %-8lld dead %-6lld %s%s%s\n", r->name, (long long)r->pending,
           (long long)r->delivered, (long long)r->dead, r->callback ? r->callback : "",
           r->query ? " ?" : "", r->query ? r->query : "");
    return 0;
}

static int print_dead(const tmfinv_dead_letter *d, void *ctx)
{
    const int *json = ctx;

    if (*json) {
        cJSON *o = tmfinv_events_dead_json(d);

        if (!o)
            return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        cli_print_json(o);
        cJSON_Delete(o);
        return 0;
    }
    printf("%-8lld %-40s event %-10lld %-5s tries %-4lld last %s: %s\n", (long long)d->id, d->receiver,
           (long long)d->event_id, d->state, (long long)d->tries, d->last_try ? d->last_try : "-",
           d->error ? d->error : "-");
    return 0;
}

int cmd_events(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"dead", no_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"retry", required_argument, NULL, 'r'},
                                         {"retry-all", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    int dead = 0, json = 0, retry_all = 0, c, rc;
    int64_t retry = 0, count = 0;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dead = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'r':
            if (tmfinv_parse_int64(optarg, 1, INT64_MAX, &retry) < 0)
                return cli_usage_error("events: --retry '%s': expected a dead letter's id (tmfinv events --dead)",
                                       optarg);
            break;
        case 'a':
            retry_all = 1;
            break;
        default:
            return cli_bad_option("events", argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("events: unexpected argument '%s'", argv[optind]);
    if ((retry || retry_all) + dead > 1 || (retry && retry_all))
        return cli_usage_error("events: give one of --dead, --retry ID and --retry-all");
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (retry || retry_all) {
        rc = tmfinv_store_dead_retry(a->store, retry, &count);
        if (rc == TMFINV_ENOTFOUND) {
            fprintf(stderr, "tmfinv: events: %s\n", tmfinv_error_last());
            return 1;
        }
        if (rc < 0) {
            cli_fail_line("events");
            return 1;
        }
        /* serve's delivery takes them at its next round (within a second or so). */
        printf("%lld dead letter%s to be delivered again\n", (long long)count, count == 1 ? "" : "s");
        return 0;
    }
    if ((rc = tmfinv_store_begin_read(a->store)) < 0) {
        cli_fail_line("events");
        return 1;
    }
    rc = dead ? tmfinv_store_dead_letters(a->store, NULL, NULL, 0, 0, NULL, print_dead, &json)
              : tmfinv_store_receivers(a->store, NULL, print_receiver, &json);
    (void)tmfinv_store_commit(a->store);
    if (rc < 0) {
        cli_fail_line("events");
        return 1;
    }
    return 0;
}
