/* test_utf8.c: the UTF-8 validator accepts every well-formed scalar value and refuses
 * NUL, truncated sequences, overlongs, surrogates and values beyond U+10FFFF. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmfinv_utf8.h"

#include <string.h>

static int valid(const char *s)
{
    return tmfinv_utf8_valid(s, strlen(s));
}

static void test_utf8__accepts_well_formed(void **state)
{
    (void)state;
    assert_true(valid(""));
    assert_true(valid("plain ASCII ~\x7f"));
    assert_true(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));     /* é € 😀 */
    assert_true(valid("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"));     /* U+0080 U+07FF U+0800 U+FFFF */
    assert_true(valid("\xed\x9f\xbf\xee\x80\x80"));                     /* U+D7FF U+E000 */
    assert_true(valid("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));             /* U+10000 U+10FFFF */
}

static void test_utf8__refuses_malformed(void **state)
{
    static const char *const bad[] = {
        "\x80", "a\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe",
        "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1", "\xf0\x9f\x28\x80",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(valid(bad[i]));
    assert_int_equal(tmfinv_utf8_invalid_at("ok\xc3(", 4), 2);
}

static void test_utf8__refuses_nul(void **state)
{
    (void)state;
    assert_false(tmfinv_utf8_valid("before\0after", 12));
    assert_int_equal(tmfinv_utf8_invalid_at("before\0after", 12), 6);
    assert_true(tmfinv_utf8_valid("before\0after", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8__accepts_well_formed),
        cmocka_unit_test(test_utf8__refuses_malformed),
        cmocka_unit_test(test_utf8__refuses_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
