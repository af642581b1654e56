/* ini.c: the strict INI reader behind tmfinv_ini.h. */
#include "tmfinv_ini.h"
#include "tmfinv_utf8.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define INI_MAX_BYTES (1024 * 1024)

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static int add_section(tmfinv_ini *ini, const char *name, int line)
{
    tmfinv_ini_section *p;
    size_t i;

    for (i = 0; i < ini->n_sections; i++)
        if (strcmp(ini->sections[i].name, name) == 0)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: section [%s] repeats the one at line %d",
                                    ini->path, line, name, ini->sections[i].line);
    p = realloc(ini->sections, (ini->n_sections + 1) * sizeof(*p));
    if (!p)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    ini->sections = p;
    p = &ini->sections[ini->n_sections];
    memset(p, 0, sizeof(*p));
    p->line = line;
    p->name = strdup(name);
    if (!p->name)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    ini->n_sections++;
    return 0;
}

static int add_entry(tmfinv_ini *ini, tmfinv_ini_section *s, const char *key, const char *value, int line)
{
    tmfinv_ini_entry *p;
    size_t i;

    for (i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return tmfinv_error_set(TMFINV_EINVALID, "%s:%d: key '%s' repeats the one at line %d",
                                    ini->path, line, key, s->entries[i].line);
    p = realloc(s->entries, (s->n_entries + 1) * sizeof(*p));
    if (!p)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    s->entries = p;
    p = &s->entries[s->n_entries];
    memset(p, 0, sizeof(*p));
    p->line = line;
    p->key = strdup(key);
    p->value = strdup(value);
    s->n_entries++;
    if (!p->key || !p->value)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    return 0;
}

int tmfinv_ini_parse(const char *path, const char *text, tmfinv_ini **out)
{
    tmfinv_ini *ini = NULL;
    char *copy = NULL, *line, *next;
    int rc = 0, lineno = 0;

    ini = calloc(1, sizeof(*ini));
    copy = strdup(text);
    if (!ini || !copy || !(ini->path = strdup(path))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    for (line = copy; line; line = next) {
        char *end, *s, *eq;

        lineno++;
        next = strchr(line, '\n');
        end = next ? next : line + strlen(line);
        if (next)
            next++;
        s = trim(line, end);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            size_t n = strlen(s);
            char *name;

            if (s[n - 1] != ']') {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: section header without ']'", path, lineno);
                goto out;
            }
            name = trim(s + 1, s + n - 1);
            if (*name == '\0') {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: empty section name", path, lineno);
                goto out;
            }
            /* Fold inner runs of blanks so "[source  x]" equals "[source x]". */
            {
                char *r = name, *w = name;
                int blank = 0;

                for (; *r; r++) {
                    if (isspace((unsigned char)*r)) {
                        blank = 1;
                        continue;
                    }
                    if (blank)
                        *w++ = ' ';
                    blank = 0;
                    *w++ = *r;
                }
                *w = '\0';
            }
            rc = add_section(ini, name, lineno);
            if (rc < 0)
                goto out;
            continue;
        }
        eq = strchr(s, '=');
        if (!eq) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: expected 'key = value' or '[section]', found '%.60s%s'",
                                  path, lineno, s, strlen(s) > 60 ? "..." : "");
            goto out;
        }
        if (ini->n_sections == 0) {
            rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: key outside of any [section]", path, lineno);
            goto out;
        }
        {
            char *key = trim(s, eq);
            char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
            size_t vlen = strlen(value);

            if (*key == '\0') {
                rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: empty key", path, lineno);
                goto out;
            }
            /* Quotes are not syntax here. A value wholly inside matching quotes is almost
             * always meant unquoted; kept as is, `password_file = "/etc/x"` would name a
             * file that does not exist, or worse, one that does. Refused, never guessed. */
            if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
                rc = tmfinv_error_set(TMFINV_EINVALID,
                                      "%s:%d: the value of '%s' is in quotes; remove them (values are taken as "
                                      "written, quotes included)", path, lineno, key);
                goto out;
            }
            rc = add_entry(ini, &ini->sections[ini->n_sections - 1], key, value, lineno);
            if (rc < 0)
                goto out;
        }
    }
out:
    free(copy);
    if (rc < 0) {
        tmfinv_ini_free(ini);
        return rc;
    }
    *out = ini;
    return 0;
}

int tmfinv_ini_load(const char *path, tmfinv_ini **out)
{
    char *text = NULL;
    size_t len = 0, bad;
    int rc;

    rc = tmfinv_file_read(path, INI_MAX_BYTES, &text, &len);
    if (rc < 0)
        return rc;
    /* The file is text: a NUL byte would silently end it (what follows would be ignored),
     * and names and values end up in the store and the API, which hold only UTF-8. */
    if ((bad = tmfinv_utf8_invalid_at(text, len)) < len) {
        int line = 1;

        for (size_t i = 0; i < bad; i++)
            line += text[i] == '\n';
        rc = tmfinv_error_set(TMFINV_EINVALID, "%s:%d: %s", path, line,
                              text[bad] ? "not valid UTF-8" : "a NUL byte (the file is not text)");
    } else
        rc = tmfinv_ini_parse(path, text, out);
    free(text);
    return rc;
}

tmfinv_ini_entry *tmfinv_ini_get(tmfinv_ini_section *s, const char *key)
{
    size_t i;

    for (i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0) {
            s->entries[i].used = 1;
            return &s->entries[i];
        }
    return NULL;
}

void tmfinv_ini_free(tmfinv_ini *ini)
{
    size_t i, j;

    if (!ini)
        return;
    for (i = 0; i < ini->n_sections; i++) {
        for (j = 0; j < ini->sections[i].n_entries; j++) {
            free(ini->sections[i].entries[j].key);
            free(ini->sections[i].entries[j].value);
        }
        free(ini->sections[i].entries);
        free(ini->sections[i].name);
    }
    free(ini->sections);
    free(ini->path);
    free(ini);
}
