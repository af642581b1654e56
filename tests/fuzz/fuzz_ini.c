/* fuzz_ini.c: the INI reader (tmfinv_ini_parse) on arbitrary bytes, then the whole
 * configuration loader (tmfinv_config_load) on the same bytes written to a file, as
 * `tmfinv -c FILE` reads them.
 *
 * Checked besides the sanitizers: a failure says why in one line; every entry the reader
 * returns has a key and a line number within the text; a configuration file is taken only
 * when it is valid UTF-8 without NUL. */
#include "fuzz.h"

#include "config.h"
#include "tmfinv_error.h"
#include "tmfinv_ini.h"
#include "tmfinv_utf8.h"

#include <string.h>
#include <unistd.h>

static char config_path[64];
static int config_fd = -1;

static void check_failure(void)
{
    const char *msg = tmfinv_error_last();

    FUZZ_CHECK(*msg && !strchr(msg, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tmfinv_ini *ini = NULL;
    tmfinv_config *cfg = NULL;
    char *text;
    int lines = 1, parsed;

    if (config_fd < 0) {
        /* One file for the whole run, gone from /tmp at once: read back through /proc. */
        char name[] = "/tmp/tmfinv-fuzz-ini-XXXXXX";

        config_fd = mkstemp(name);
        if (config_fd < 0 || unlink(name) != 0)
            abort();
        (void)snprintf(config_path, sizeof(config_path), "/proc/self/fd/%d", config_fd);
    }
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';
    if ((parsed = tmfinv_ini_parse("fuzz.ini", text, &ini) == 0)) {
        for (size_t s = 0; s < ini->n_sections; s++) {
            FUZZ_CHECK(ini->sections[s].name && ini->sections[s].line >= 1 && ini->sections[s].line <= lines);
            for (size_t e = 0; e < ini->sections[s].n_entries; e++) {
                const tmfinv_ini_entry *en = &ini->sections[s].entries[e];

                FUZZ_CHECK(en->key && *en->key && en->value);
                FUZZ_CHECK(en->line >= 1 && en->line <= lines);
            }
        }
        tmfinv_ini_free(ini);
    } else
        check_failure();
    free(text);
    /* The configuration loader reads its file with the same reader: text the reader refuses
     * goes no further there, and the file is the slow part of a run. */
    if (!parsed)
        return 0;
    if (ftruncate(config_fd, 0) != 0 || pwrite(config_fd, data, size, 0) != (ssize_t)size)
        abort();
    if (tmfinv_config_load(config_path, &cfg) == 0) {
        /* A file that is not text (a NUL byte ended it early, bytes that are not UTF-8
         * would reach the store and the API) is never taken. */
        FUZZ_CHECK(tmfinv_utf8_valid((const char *)data, size));
        tmfinv_config_free(cfg);
    } else
        check_failure();
    return 0;
}
