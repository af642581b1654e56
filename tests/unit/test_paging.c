/* test_paging.c: page URLs of both paging dialects and the rule that ends a scan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetch.h"
#include "tmfinv_error.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging__offset_urls),
        cmocka_unit_test(test_paging__page_urls_with_params),
        cmocka_unit_test(test_paging__url_too_long_is_refused),
        cmocka_unit_test(test_paging__only_a_short_page_ends_a_scan),
        cmocka_unit_test(test_paging__retry_after_seconds_and_dates),
        cmocka_unit_test(test_paging__link_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
