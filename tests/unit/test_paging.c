/* test_paging.c: page URLs of both paging dialects, the rule that ends a scan, and the
 * guard of a scan (guard.h): origins, visited links, the page budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetch.h"
#include "guard.h"
#include "tmfinv_error.h"

#include <stdio.h>
#include <string.h>

static void test_paging__offset_urls(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/tmf-api/serviceInventory/v4/service",
                              .paging = TMFINV_PAGING_OFFSET};
    char url[2048];

    (void)state;
    assert_int_equal(tmfinv_fetch_page_url(&s, NULL, 0, 40, url, sizeof(url)), 0);
    assert_string_equal(url, "http://h/tmf-api/serviceInventory/v4/service?offset=0&limit=40");
    assert_int_equal(tmfinv_fetch_page_url(&s, NULL, 3, 40, url, sizeof(url)), 0);
    assert_string_equal(url, "http://h/tmf-api/serviceInventory/v4/service?offset=120&limit=40");
}

static void test_paging__page_urls_with_params(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/tmf638/service?x=1", .paging = TMFINV_PAGING_PAGE,
                              .params = "status=1&@type=element"};
    char url[2048];

    (void)state;
    assert_int_equal(tmfinv_fetch_page_url(&s, NULL, 0, 40, url, sizeof(url)), 0);
    assert_string_equal(url, "http://h/tmf638/service?x=1&status=1&@type=element&page=1&recordsPerPage=40");
    assert_int_equal(tmfinv_fetch_page_url(&s, "updatedDaysAgo=0", 9, 50, url, sizeof(url)), 0);
    assert_string_equal(url, "http://h/tmf638/service?x=1&status=1&@type=element&updatedDaysAgo=0&page=10&recordsPerPage=50");
}

static void test_paging__url_too_long_is_refused(void **state)
{
    char url[2100], buf[2048];
    tmfinv_source_config s = {.name = "a", .url = url, .paging = TMFINV_PAGING_PAGE};

    (void)state;
    memset(url, 'a', sizeof(url) - 1);
    url[sizeof(url) - 1] = '\0';
    assert_int_equal(tmfinv_fetch_page_url(&s, NULL, 0, 40, buf, sizeof(buf)), TMFINV_ELIMIT);
}

static void test_paging__only_a_short_page_ends_a_scan(void **state)
{
    (void)state;
    assert_false(tmfinv_page_ends_scan(40, 40));
    assert_true(tmfinv_page_ends_scan(39, 40));
    assert_true(tmfinv_page_ends_scan(0, 40));
    /* A source that sends more than asked does not end the scan either. */
    assert_false(tmfinv_page_ends_scan(41, 40));
}

static void test_paging__retry_after_seconds_and_dates(void **state)
{
    (void)state;
    assert_int_equal(tmfinv_fetch_retry_after_ms("3", 0), 3000);
    assert_int_equal(tmfinv_fetch_retry_after_ms(" 0", 0), 0);
    /* Thu, 01 Jan 2026 00:00:10 GMT is 10 s after 1767225600. */
    assert_int_equal(tmfinv_fetch_retry_after_ms("Thu, 01 Jan 2026 00:00:10 GMT", 1767225600), 10000);
    assert_int_equal(tmfinv_fetch_retry_after_ms("Thu, 01 Jan 2026 00:00:10 GMT", 1767225700), 0);
    assert_int_equal(tmfinv_fetch_retry_after_ms("soon", 0), -1);
    assert_int_equal(tmfinv_fetch_retry_after_ms("-5", 0), -1);
}

static void test_paging__link_next(void **state)
{
    char buf[256];

    (void)state;
    assert_true(tmfinv_fetch_link_next("<http://h/r?offset=0&limit=2>; rel=\"first\", "
                                       "<http://h/r?offset=2&limit=2>; rel=\"next\"", buf, sizeof(buf)));
    assert_string_equal(buf, "http://h/r?offset=2&limit=2");
    assert_true(tmfinv_fetch_link_next("</r?page=3>;rel=next", buf, sizeof(buf)));
    assert_string_equal(buf, "/r?page=3");
    assert_false(tmfinv_fetch_link_next("<http://h/r?offset=0>; rel=\"last\"", buf, sizeof(buf)));
    assert_false(tmfinv_fetch_link_next("", buf, sizeof(buf)));
}

static void test_paging__origins_allowed(void **state)
{
    char *allowed[] = {"https://b.example:8443", "http://c:80"};
    tmfinv_source_config s = {.name = "a", .url = "https://Home.Example/tmf639/resource", .page_size = 40,
                              .max_pages = 100000, .allowed_origins = allowed, .n_allowed_origins = 2};
    tmfinv_guard *g = NULL;
    char origin[256];

    (void)state;
    assert_int_equal(tmfinv_guard_new(&s, &g), 0);
    assert_string_equal(tmfinv_guard_origin(g), "https://home.example:443");
    assert_true(tmfinv_guard_origin_allowed(g, "https://home.example/x?offset=40", origin, sizeof(origin)));
    assert_true(tmfinv_guard_origin_allowed(g, "HTTPS://HOME.example:443/y", origin, sizeof(origin)));
    assert_true(tmfinv_guard_origin_allowed(g, "https://b.example:8443/z", origin, sizeof(origin)));
    assert_true(tmfinv_guard_origin_allowed(g, "http://c/z", origin, sizeof(origin)));
    /* A downgrade to http, another port, another host: each another origin. */
    assert_false(tmfinv_guard_origin_allowed(g, "http://home.example/x", origin, sizeof(origin)));
    assert_string_equal(origin, "http://home.example:80");
    assert_false(tmfinv_guard_origin_allowed(g, "https://home.example:8443/x", origin, sizeof(origin)));
    assert_false(tmfinv_guard_origin_allowed(g, "https://b.example/z", origin, sizeof(origin)));
    assert_false(tmfinv_guard_origin_allowed(g, "https://home.example.evil/x", origin, sizeof(origin)));
    assert_false(tmfinv_guard_origin_allowed(g, "https://user@evil/x", origin, sizeof(origin)));
    assert_false(tmfinv_guard_origin_allowed(g, "file:///etc/passwd", origin, sizeof(origin)));
    tmfinv_guard_free(g);
}

static void test_paging__visited_links(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/r", .page_size = 40, .max_pages = 100000};
    tmfinv_guard *g = NULL;
    char url[64];

    (void)state;
    assert_int_equal(tmfinv_guard_new(&s, &g), 0);
    /* Enough links to make the set grow several times; each is new once, then seen. */
    for (int i = 0; i < 5000; i++) {
        (void)snprintf(url, sizeof(url), "http://h/r?cursor=%d", i);
        assert_int_equal(tmfinv_guard_visit(g, url), 1);
    }
    for (int i = 0; i < 5000; i += 7) {
        (void)snprintf(url, sizeof(url), "http://h/r?cursor=%d", i);
        assert_int_equal(tmfinv_guard_visit(g, url), 0);
    }
    assert_int_equal(tmfinv_guard_visit(g, "http://h/r?cursor=5000"), 1);
    tmfinv_guard_free(g);
}

static void test_paging__page_budget(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/r", .page_size = 40, .max_pages = 100000};
    tmfinv_guard *g = NULL;
    char why[512];

    (void)state;
    assert_int_equal(tmfinv_guard_new(&s, &g), 0);
    /* No total: max_pages. */
    assert_int_equal(tmfinv_guard_page_budget(g, why, sizeof(why)), 100000);
    assert_string_equal(why, "max_pages = 100000");
    /* A total of 300 in pages of 40: 9 pages would do (one more for an empty last page). */
    tmfinv_guard_page_ok(g, 40, 300);
    assert_int_equal(tmfinv_guard_page_budget(g, why, sizeof(why)), 2 * 9 + 10);
    assert_non_null(strstr(why, "X-Total-Count"));
    /* A total that grows (or lies on either side) counts by its largest value. */
    tmfinv_guard_page_ok(g, 40, 3);
    assert_int_equal(tmfinv_guard_page_budget(g, NULL, 0), 2 * 9 + 10);
    tmfinv_guard_page_ok(g, 40, 4000);
    assert_int_equal(tmfinv_guard_page_budget(g, NULL, 0), 2 * 102 + 10);
    /* Pages smaller than asked (a link source chooses its own): the budget follows them. */
    tmfinv_guard_page_ok(g, 10, -1);
    assert_int_equal(tmfinv_guard_page_budget(g, NULL, 0), 2 * 402 + 10);
    /* Never above max_pages, even for a huge total. */
    tmfinv_guard_page_ok(g, 10, INT64_MAX);
    assert_int_equal(tmfinv_guard_page_budget(g, NULL, 0), 100000);
    tmfinv_guard_free(g);
    s.max_pages = 20;
    assert_int_equal(tmfinv_guard_new(&s, &g), 0);
    tmfinv_guard_page_ok(g, 40, 300);
    assert_int_equal(tmfinv_guard_page_budget(g, why, sizeof(why)), 20);
    assert_string_equal(why, "max_pages = 20");
    tmfinv_guard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging__offset_urls),
        cmocka_unit_test(test_paging__page_urls_with_params),
        cmocka_unit_test(test_paging__url_too_long_is_refused),
        cmocka_unit_test(test_paging__only_a_short_page_ends_a_scan),
        cmocka_unit_test(test_paging__retry_after_seconds_and_dates),
        cmocka_unit_test(test_paging__link_next),
        cmocka_unit_test(test_paging__origins_allowed),
        cmocka_unit_test(test_paging__visited_links),
        cmocka_unit_test(test_paging__page_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
