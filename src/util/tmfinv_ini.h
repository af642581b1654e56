/* tmfinv_ini.h: a small, strict INI reader for tmfinv's configuration file.
 *
 * Syntax: `[section]` or `[kind name]` headers, `key = value` lines, `#` or `;`
 * comments on their own line, blank lines. Keys before the first section, lines
 * without `=`, empty keys, a repeated section or a repeated key within a section
 * are errors naming the file and line. Values are trimmed; no quoting, no escapes: a
 * value wholly inside matching "..." or '...' is an error (remove the quotes), never
 * kept with its quotes. */
#ifndef TMFINV_INI_H
#define TMFINV_INI_H

#include <stddef.h>

typedef struct tmfinv_ini_entry {
    char *key;
    char *value;
    int line;       /* 1-based line number in the file */
    int used;       /* set by the consumer, to report unknown keys */
} tmfinv_ini_entry;

typedef struct tmfinv_ini_section {
    char *name;     /* the whole header text, e.g. "store" or "source services" */
    int line;
    tmfinv_ini_entry *entries;
    size_t n_entries;
} tmfinv_ini_section;

typedef struct tmfinv_ini {
    char *path;     /* the file read, for error messages */
    tmfinv_ini_section *sections;
    size_t n_sections;
} tmfinv_ini;

/* Reads and parses `path` (at most 1 MiB). On success stores a new tmfinv_ini in *out
 * (free with tmfinv_ini_free()). Fails with TMFINV_EIO (unreadable), TMFINV_ELIMIT
 * or TMFINV_EINVALID, the message naming `path:line`. */
int tmfinv_ini_load(const char *path, tmfinv_ini **out);

/* Parses `text` as if read from a file called `path`. Same contract as above. */
int tmfinv_ini_parse(const char *path, const char *text, tmfinv_ini **out);

/* The entry `key` of section `s`, or NULL. Marks it used. */
tmfinv_ini_entry *tmfinv_ini_get(tmfinv_ini_section *s, const char *key);

void tmfinv_ini_free(tmfinv_ini *ini);

#endif
