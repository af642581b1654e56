/* tmfinv_log.h: the process's log on stderr, one line per event, the same in every mode.
 *
 * Text lines are logfmt: `time=2026-01-01T00:00:00.000Z level=info msg="…" key=value…`; with
 * the JSON format each line is one object with the same members. Under systemd (stderr is
 * the stream named by $JOURNAL_STREAM) each line starts with the journald priority (`<6>`)
 * and carries no time stamp of its own (the journal stamps it). Values are quoted and
 * escaped when needed, so a line is always one line whatever the message holds. A status
 * line (live progress on a terminal) can be drawn below the log: log lines clear it and it
 * is drawn again. Thread-safe: lines from several threads never mix. Knows nothing of the
 * domain. */
#ifndef TMFINV_LOG_H
#define TMFINV_LOG_H

#include <stddef.h>

typedef enum tmfinv_log_level {
    TMFINV_LOG_DEBUG,
    TMFINV_LOG_INFO,
    TMFINV_LOG_WARN,
    TMFINV_LOG_ERROR
} tmfinv_log_level;

/* One key=value field of a line; a NULL value leaves the field out. */
typedef struct tmfinv_log_field {
    const char *key;
    const char *value;
} tmfinv_log_field;

/* "text" -> 0, "json" -> 1, else -1. */
int tmfinv_log_format_parse(const char *s);

/* "debug", "info", "warn" (or "warning"), "error" -> the level, else -1. */
int tmfinv_log_level_parse(const char *s);

/* Sets the format (json or text) and the lowest level written (default: text, info).
 * Looks at $JOURNAL_STREAM once, here. */
void tmfinv_log_configure(int json, tmfinv_log_level min_level);

/* 1 when lines of `level` are written. */
int tmfinv_log_enabled(tmfinv_log_level level);

/* Writes one line: level, msg, then the fields in order. */
void tmfinv_log_fields(tmfinv_log_level level, const char *msg, const tmfinv_log_field *fields, size_t n);

/* Writes one line with a printf-formatted message and no fields. */
void tmfinv_log(tmfinv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Draws `text` as the status line when stderr is a terminal (replacing the previous one);
 * NULL or "" removes it. Does nothing when stderr is not a terminal. */
void tmfinv_log_status(const char *text);

/* 1 when stderr is a terminal (a status line can be drawn). */
int tmfinv_log_is_terminal(void);

#endif
