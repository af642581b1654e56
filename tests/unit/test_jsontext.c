/* test_jsontext.c: the checks on JSON text: escaped NULs told from escaped backslashes,
 * the one-pass clean test, and the tokenizer that names each bad string of an array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmfinv_error.h"
#include "tmfinv_jsontext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_jsontext__nul_escapes(void **state)
{
    static const char nul[] = "[\"a\\u0000b\"]", lit[] = "[\"a\\\\u0000b\"]", both[] = "[\"\\\\\\u0000\"]";

    (void)state;
    assert_ptr_equal(tmfinv_jsontext_nul_escape(nul, strlen(nul)), nul + 3);
    assert_null(tmfinv_jsontext_nul_escape(lit, strlen(lit)));
    assert_ptr_equal(tmfinv_jsontext_nul_escape(both, strlen(both)), both + 4);
    assert_null(tmfinv_jsontext_nul_escape("\"\\u000", 6)); /* cut short */
    assert_true(tmfinv_jsontext_clean(lit, strlen(lit)));
    assert_false(tmfinv_jsontext_clean(nul, strlen(nul)));
    assert_false(tmfinv_jsontext_clean("[\"\xff\"]", 5));
    assert_false(tmfinv_jsontext_clean("[\"a\0\"]", 6));
}

typedef struct seen {
    char lines[8][160];
    int n;
} seen;

static int collect(const tmfinv_jsontext_bad *b, void *ctx)
{
    seen *s = ctx;
    int at = 0;

    if (s->n < 8) {
        at = snprintf(s->lines[s->n], sizeof(s->lines[0]), "%zu %s %s%s |", b->element, b->path, b->reason,
                      b->in_name ? " (name)" : "");
        for (size_t k = 0; k < b->depth && at > 0 && (size_t)at < sizeof(s->lines[0]); k++)
            at += snprintf(s->lines[s->n] + at, sizeof(s->lines[0]) - (size_t)at, " %zu", b->at[k]);
        s->n++;
    }
    return 0;
}

static void test_jsontext__bad_strings_are_named(void **state)
{
    static const char page[] = "\xef\xbb\xbf [ {\"a\": 1, \"b\" : [ true, {\"c\":\"x\\u0000\"} ]},"
                               " \"\xff\", {}, [], {\"\xc3\":null, \"ok\":\"\\\"\\\\\", \"d\":\"\xed\xa0\x80\"} ] ";
    seen s = {.n = 0};

    (void)state;
    assert_int_equal(tmfinv_jsontext_bad_strings(page, sizeof(page) - 1, collect, &s), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[0], "0 b[1].c a NUL character (\\u0000) | 1 1 0");
    assert_string_equal(s.lines[1], "1  not valid UTF-8 |");
    assert_string_equal(s.lines[2], "4 ? not valid UTF-8 (name) | 0");
    assert_string_equal(s.lines[3], "4 d not valid UTF-8 | 2");
}

static void test_jsontext__limits_and_shapes(void **state)
{
    char *deep = malloc(2 * TMFINV_JSONTEXT_MAX_DEPTH + 8);
    size_t n = 0;
    seen s = {.n = 0};

    (void)state;
    assert_int_equal(tmfinv_jsontext_bad_strings("{}", 2, collect, &s), TMFINV_EINVALID);
    assert_int_equal(tmfinv_jsontext_bad_strings("[\"abc", 5, collect, &s), TMFINV_EINVALID);
    assert_int_equal(tmfinv_jsontext_bad_strings("[1,", 3, collect, &s), TMFINV_EINVALID);
    assert_int_equal(tmfinv_jsontext_bad_strings("[ ]", 3, collect, &s), 0);
    deep[n++] = '[';
    for (int i = 0; i <= TMFINV_JSONTEXT_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i <= TMFINV_JSONTEXT_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n++] = ']';
    assert_int_equal(tmfinv_jsontext_bad_strings(deep, n, collect, &s), TMFINV_ELIMIT);
    assert_int_equal(s.n, 0);
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsontext__nul_escapes),
        cmocka_unit_test(test_jsontext__bad_strings_are_named),
        cmocka_unit_test(test_jsontext__limits_and_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
