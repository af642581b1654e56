/* test_ini.c: the INI reader accepts good files and names file and line of bad ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmfinv_error.h"
#include "tmfinv_ini.h"

#include <string.h>

static void test_ini__parses_sections_and_keys(void **state)
{
    tmfinv_ini *ini = NULL;
    const char *text = "# comment\n[store]\npath = a.db\n\n; other\n[source  one]\n  url=http://x/y?a=b \n";

    (void)state;
    assert_int_equal(tmfinv_ini_parse("t.ini", text, &ini), 0);
    assert_int_equal(ini->n_sections, 2);
    assert_string_equal(ini->sections[0].name, "store");
    assert_string_equal(ini->sections[1].name, "source one");
    assert_string_equal(tmfinv_ini_get(&ini->sections[1], "url")->value, "http://x/y?a=b");
    assert_int_equal(tmfinv_ini_get(&ini->sections[1], "url")->line, 7);
    assert_null(tmfinv_ini_get(&ini->sections[0], "missing"));
    tmfinv_ini_free(ini);
}

static void expect_error(const char *text, const char *needle)
{
    tmfinv_ini *ini = NULL;

    assert_int_equal(tmfinv_ini_parse("bad.ini", text, &ini), TMFINV_EINVALID);
    assert_null(ini);
    if (!strstr(tmfinv_error_last(), needle))
        fail_msg("error '%s' lacks '%s'", tmfinv_error_last(), needle);
}

static void test_ini__errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("key = value\n", "bad.ini:1: key outside");
    expect_error("[a]\nx = 1\nx = 2\n", "bad.ini:3: key 'x' repeats the one at line 2");
    expect_error("[a]\n[a]\n", "bad.ini:2: section [a] repeats");
    expect_error("[a]\njust words\n", "bad.ini:2: expected 'key = value'");
    expect_error("[a\n", "bad.ini:1: section header without ']'");
    expect_error("[a]\n = 3\n", "bad.ini:2: empty key");
    expect_error("[ ]\n", "bad.ini:1: empty section name");
}

/* Issue 12, point 8: a quoted value is refused naming file, line and key, never kept
 * with its quotes; quotes inside a value or on one side only are plain characters. */
static void test_ini__quoted_value_refused(void **state)
{
    tmfinv_ini *ini = NULL;

    (void)state;
    expect_error("[a]\npassword_file = \"/etc/secret\"\n",
                 "bad.ini:2: the value of 'password_file' is in quotes; remove them");
    expect_error("[a]\nx = 1\nurl = 'http://h/x'  \n", "bad.ini:3: the value of 'url' is in quotes");
    expect_error("[a]\nk = \"\"\n", "bad.ini:2: the value of 'k' is in quotes");
    assert_int_equal(tmfinv_ini_parse("ok.ini", "[a]\np = filter=\"x\"\nq = \"half\nr = \"a'\ns = \"\n", &ini), 0);
    assert_string_equal(tmfinv_ini_get(&ini->sections[0], "p")->value, "filter=\"x\"");
    assert_string_equal(tmfinv_ini_get(&ini->sections[0], "q")->value, "\"half");
    assert_string_equal(tmfinv_ini_get(&ini->sections[0], "r")->value, "\"a'");
    assert_string_equal(tmfinv_ini_get(&ini->sections[0], "s")->value, "\"");
    tmfinv_ini_free(ini);
}

static void test_ini__missing_file(void **state)
{
    tmfinv_ini *ini = NULL;

    (void)state;
    assert_int_equal(tmfinv_ini_load("/nonexistent/x.ini", &ini), TMFINV_EIO);
    assert_non_null(strstr(tmfinv_error_last(), "/nonexistent/x.ini"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini__parses_sections_and_keys),
        cmocka_unit_test(test_ini__errors_name_file_and_line),
        cmocka_unit_test(test_ini__quoted_value_refused),
        cmocka_unit_test(test_ini__missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
