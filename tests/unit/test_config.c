/* test_config.c: configuration defaults, secrets from files, and one-line errors
 * naming file, line and key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "helpers.h"
#include "tmfinv_error.h"

static void test_config__defaults_and_relative_paths(void **state)
{
    char *secret = write_temp(".pw", "s3cret\n");
    char text[1024];
    char *path;
    tmfinv_config *c = NULL;

    (void)state;
    (void)snprintf(text, sizeof(text),
                   "[store]\npath = inv.db\n[source svc]\napi = tmf638\nurl = http://127.0.0.1:1/tmf638/service\n"
                   "paging = page\nauth = basic\nusername = u\npassword_file = %s\nparams = ?status=1\n",
                   secret);
    path = write_temp(".ini", text);
    assert_int_equal(tmfinv_config_load(path, &c), 0);
    assert_string_equal(c->store_path, "/tmp/inv.db");
    assert_int_equal(c->n_sources, 1);
    assert_string_equal(c->sources[0].name, "svc");
    assert_int_equal(c->sources[0].page_size, 40);
    assert_int_equal(c->sources[0].paging, TMFINV_PAGING_PAGE);
    assert_string_equal(c->sources[0].profile, "ses");
    assert_string_equal(c->sources[0].password, "s3cret");
    assert_string_equal(c->sources[0].params, "status=1");
    tmfinv_config_free(c);
    remove_temp(path);
    remove_temp(secret);
}

static void expect_error(const char *text, const char *needle)
{
    char *path = write_temp(".ini", text);
    tmfinv_config *c = NULL;

    assert_true(tmfinv_config_load(path, &c) < 0);
    assert_null(c);
    if (!strstr(tmfinv_error_last(), needle) || !strstr(tmfinv_error_last(), path))
        fail_msg("error '%s' lacks '%s' or the file name", tmfinv_error_last(), needle);
    remove_temp(path);
}

static void test_config__errors(void **state)
{
    (void)state;
    expect_error("[source a]\napi = tmf638\nurl = http://x/\n", "missing [store]");
    expect_error("[store]\npath = x.db\nfoo = 1\n", ":3: unknown key 'foo' in [store]");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf640\n", ":4: [source a] api = 'tmf640'");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf638\nurl = ftp://x\n", ":5: [source a] url = 'ftp://x'");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://x/\npaging = cursor\n",
                 ":6: [source a] paging = 'cursor'");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://x/\npage_size = 0\n",
                 ":6: [source a] page_size = '0'");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://x/\nauth = basic\n",
                 "auth = basic needs 'username' and 'password_file'");
    expect_error("[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://x/\nusername = u\n"
                 "password_file = /nonexistent/pw\n",
                 ":7: [source a] password_file: /nonexistent/pw");
    expect_error("[store]\npath = x.db\n[sauce a]\n", ":3: unknown section [sauce a]");
    expect_error("[store]\npath = x.db\n[source a/b]\napi = tmf638\n", "a source name uses only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config__defaults_and_relative_paths),
        cmocka_unit_test(test_config__errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
