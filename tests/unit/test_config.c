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

/* Issue 7, point 10: URLs without a host (or that libcurl cannot parse) and rate limits too
 * small to mean anything are refused, naming file, line and key. */
static void test_config__malformed_urls_and_tiny_rates(void **state)
{
    (void)state;
#define SRC "[store]\npath = x.db\n[source a]\napi = tmf638\n"
    expect_error(SRC "url = http://\n", ":5: [source a] url = 'http://': not a valid URL");
    expect_error(SRC "url = https:///path\n", ":5: [source a] url = 'https:///path'");
    expect_error(SRC "url = http://h h/x\n", ":5: [source a] url = 'http://h h/x': not a valid URL");
    expect_error(SRC "url = http://h:99999/x\n", ":5: [source a] url = 'http://h:99999/x'");
    expect_error(SRC "url = http://[::1/x\n", ":5: [source a] url = 'http://[::1/x'");
    expect_error(SRC "url = http://h/x\nauth = oauth2\ntoken_url = https://\n",
                 ":7: [source a] token_url = 'https://'");
    expect_error(SRC "url = http://h/x\nrate_limit = 1e-300\n", ":6: [source a] rate_limit = '1e-300': expected 0");
    expect_error(SRC "url = http://h/x\nrate_limit = 0.0009\n", ":6: [source a] rate_limit = '0.0009'");
    expect_error(SRC "url = http://h/x\nallowed_origins = http://b/path\n",
                 ":6: [source a] allowed_origins: 'http://b/path': expected scheme://host[:port]");
    expect_error(SRC "url = http://h/x\nallowed_origins = ftp://b\n", ":6: [source a] allowed_origins: 'ftp://b'");
    expect_error(SRC "url = http://h/x\nmax_pages = 0\n", ":6: [source a] max_pages = '0'");
    expect_error("[store]\npath = x.db\n[sync]\ndeadline = -1\n", ":4: [sync] deadline = '-1'");
#undef SRC
}

/* Issue 7, points 1 and 4: origins are normalised; the page budget and the run deadline
 * have defaults, and deadline = 0 still means none. */
static void test_config__origins_budgets_and_deadline(void **state)
{
    char *path;
    tmfinv_config *c = NULL;
    char origin[256];

    (void)state;
    path = write_temp(".ini", "[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://h/x\n"
                              "rate_limit = 0.001\nallowed_origins = HTTPS://B.Example, http://c:8080/ ,http://[::1]\n");
    assert_int_equal(tmfinv_config_load(path, &c), 0);
    assert_int_equal(c->deadline_s, 6 * 3600);
    assert_int_equal(c->sources[0].max_pages, 100000);
    assert_int_equal(c->sources[0].n_allowed_origins, 3);
    assert_string_equal(c->sources[0].allowed_origins[0], "https://b.example:443");
    assert_string_equal(c->sources[0].allowed_origins[1], "http://c:8080");
    assert_string_equal(c->sources[0].allowed_origins[2], "http://[::1]:80");
    tmfinv_config_free(c);
    remove_temp(path);
    path = write_temp(".ini", "[store]\npath = x.db\n[sync]\ndeadline = 0\n[source a]\napi = tmf638\n"
                              "url = http://h/x\nrate_limit = 0\nmax_pages = 7\n");
    c = NULL;
    assert_int_equal(tmfinv_config_load(path, &c), 0);
    assert_int_equal(c->deadline_s, 0);
    assert_int_equal(c->sources[0].max_pages, 7);
    tmfinv_config_free(c);
    remove_temp(path);
    /* One origin, however it is written; a downgrade to http or another port is another. */
    assert_int_equal(tmfinv_config_url_origin("HTTP://Example.COM:80/a?b#c", origin, sizeof(origin)), 0);
    assert_string_equal(origin, "http://example.com:80");
    assert_int_equal(tmfinv_config_url_origin("https://example.com/", origin, sizeof(origin)), 0);
    assert_string_equal(origin, "https://example.com:443");
    assert_int_equal(tmfinv_config_url_origin("http://example.com:443/", origin, sizeof(origin)), 0);
    assert_string_equal(origin, "http://example.com:443");
    assert_int_equal(tmfinv_config_url_origin("http://", origin, sizeof(origin)), TMFINV_EINVALID);
    assert_int_equal(tmfinv_config_url_origin("file:///etc/passwd", origin, sizeof(origin)), TMFINV_EINVALID);
    assert_int_equal(tmfinv_config_url_origin("http://example.com/", origin, 8), TMFINV_ELIMIT);
}

/* Issue 8, point 6: a source's proxy and no_proxy; unset, libcurl's environment applies;
 * `proxy =` empty is kept (it turns the environment's proxy off); credentials in the proxy
 * URL are refused without repeating them. */
static void test_config__proxy(void **state)
{
    char *path;
    tmfinv_config *c = NULL;

    (void)state;
#define SRC "[store]\npath = x.db\n[source a]\napi = tmf638\nurl = http://h/x\n"
    path = write_temp(".ini", SRC "proxy = socks5h://proxy.example:1080\nno_proxy = a.example, .b.example\n"
                                  "[source b]\napi = tmf639\nurl = http://h/y\nproxy =\n"
                                  "[source c]\napi = tmf639\nurl = http://h/z\n");
    assert_int_equal(tmfinv_config_load(path, &c), 0);
    assert_string_equal(c->sources[0].proxy, "socks5h://proxy.example:1080");
    assert_string_equal(c->sources[0].no_proxy, "a.example, .b.example");
    assert_string_equal(c->sources[1].proxy, "");
    assert_null(c->sources[1].no_proxy);
    assert_null(c->sources[2].proxy);
    tmfinv_config_free(c);
    remove_temp(path);
    expect_error(SRC "proxy = ftp://p:21\n", ":6: [source a] proxy = 'ftp://p:21': expected http://");
    expect_error(SRC "proxy = p:3128\n", ":6: [source a] proxy = 'p:3128'");
    expect_error(SRC "proxy = http://\n", ":6: [source a] proxy = 'http://': no host");
    expect_error(SRC "proxy = http://p:0\n", ":6: [source a] proxy = 'http://p:0': the port");
    expect_error(SRC "proxy = http://p:3128x\n", ":6: [source a] proxy = 'http://p:3128x': the port");
    expect_error(SRC "proxy = http://p:3128/x\n", ":6: [source a] proxy = 'http://p:3128/x': a proxy URL is");
    expect_error(SRC "proxy = http://u:pw@p:3128\n", ":6: [source a] proxy = '(hidden)': credentials");
#undef SRC
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config__defaults_and_relative_paths),
        cmocka_unit_test(test_config__errors),
        cmocka_unit_test(test_config__malformed_urls_and_tiny_rates),
        cmocka_unit_test(test_config__origins_budgets_and_deadline),
        cmocka_unit_test(test_config__proxy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
