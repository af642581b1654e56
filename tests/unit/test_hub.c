/* test_hub.c: the hub URL of a source (hub.h): the collection URL's last path segment
 * replaced by `hub`, in both dialects, with a query or a trailing '/', and the URLs that have
 * no hub. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hub.h"
#include "tmfinv_error.h"

static void expect_hub(const char *url, const char *hub)
{
    tmfinv_source_config s = {.name = "a", .url = (char *)url};
    char out[2048];

    assert_int_equal(tmfinv_hub_url(&s, out, sizeof(out)), 0);
    assert_string_equal(out, hub);
}

static void test_hub__url_of_both_dialects(void **state)
{
    (void)state;
    expect_hub("https://gw.example/tmf-api/serviceInventory/v4/service",
               "https://gw.example/tmf-api/serviceInventory/v4/hub");
    expect_hub("http://127.0.0.1:8080/tmf-api/resourceInventoryManagement/v4/resource",
               "http://127.0.0.1:8080/tmf-api/resourceInventoryManagement/v4/hub");
    expect_hub("http://h/tmf638/service", "http://h/tmf638/hub");
    expect_hub("http://h/tmf639/resource?status=1&@type=Modem", "http://h/tmf639/hub");
    expect_hub("http://h/tmf638/service/", "http://h/tmf638/hub");
    expect_hub("http://h/service", "http://h/hub");
}

static void test_hub__urls_without_a_hub(void **state)
{
    tmfinv_source_config s = {.name = "a"};
    char out[64];

    (void)state;
    s.url = "http://h";
    assert_int_equal(tmfinv_hub_url(&s, out, sizeof(out)), TMFINV_EINVALID);
    s.url = "http://h/";
    assert_int_equal(tmfinv_hub_url(&s, out, sizeof(out)), TMFINV_EINVALID);
    s.url = "http://h/?x=/a/b";
    assert_int_equal(tmfinv_hub_url(&s, out, sizeof(out)), TMFINV_EINVALID);
    s.url = "http://h/tmf-api/serviceInventory/v4/service";
    assert_int_equal(tmfinv_hub_url(&s, out, 20), TMFINV_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub__url_of_both_dialects),
        cmocka_unit_test(test_hub__urls_without_a_hub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
