/* test_paging.c: page URLs of both paging dialects and the rule that ends a scan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client.h"
#include "tmfinv_error.h"

#include <string.h>

static void test_paging__offset_urls(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/tmf-api/serviceInventory/v4/service",
                              .paging = TMFINV_PAGING_OFFSET};
    tmfinv_page page;

    (void)state;
    assert_int_equal(tmfinv_client_page_url(&s, 0, 40, &page), 0);
    assert_string_equal(page.url, "http://h/tmf-api/serviceInventory/v4/service?offset=0&limit=40");
    assert_int_equal(tmfinv_client_page_url(&s, 3, 40, &page), 0);
    assert_string_equal(page.url, "http://h/tmf-api/serviceInventory/v4/service?offset=120&limit=40");
}

static void test_paging__page_urls_with_params(void **state)
{
    tmfinv_source_config s = {.name = "a", .url = "http://h/tmf638/service?x=1", .paging = TMFINV_PAGING_PAGE,
                              .params = "status=1&@type=element"};
    tmfinv_page page;

    (void)state;
    assert_int_equal(tmfinv_client_page_url(&s, 0, 40, &page), 0);
    assert_string_equal(page.url, "http://h/tmf638/service?x=1&status=1&@type=element&page=1&recordsPerPage=40");
    assert_int_equal(tmfinv_client_page_url(&s, 9, 50, &page), 0);
    assert_string_equal(page.url, "http://h/tmf638/service?x=1&status=1&@type=element&page=10&recordsPerPage=50");
}

static void test_paging__url_too_long_is_refused(void **state)
{
    char url[2000];
    tmfinv_source_config s = {.name = "a", .url = url, .paging = TMFINV_PAGING_PAGE};
    tmfinv_page page;

    (void)state;
    memset(url, 'a', sizeof(url) - 1);
    url[sizeof(url) - 1] = '\0';
    assert_int_equal(tmfinv_client_page_url(&s, 0, 40, &page), TMFINV_ELIMIT);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging__offset_urls),
        cmocka_unit_test(test_paging__page_urls_with_params),
        cmocka_unit_test(test_paging__url_too_long_is_refused),
        cmocka_unit_test(test_paging__only_a_short_page_ends_a_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
