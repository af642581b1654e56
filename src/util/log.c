/* log.c: the process's log on stderr (see tmfinv_log.h). */
#include "tmfinv_log.h"

#include "tmfinv_misc.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A line longer than this is cut (and still ends with its newline): a log line is for a
 * person, and one event never needs more. */
#define LINE_MAX_BYTES 16384

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int format_json;
static tmfinv_log_level min_level = TMFINV_LOG_INFO;
static int journal;           /* stderr is systemd's journal stream */
static int terminal = -1;     /* stderr is a terminal; -1: not looked at yet */
static char status[512];      /* the status line shown, "" when none */

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char level_priority[] = {'7', '6', '4', '3'}; /* syslog priorities journald reads */

int tmfinv_log_format_parse(const char *s)
{
    if (strcmp(s, "text") == 0)
        return 0;
    if (strcmp(s, "json") == 0)
        return 1;
    return -1;
}

int tmfinv_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    if (strcmp(s, "warning") == 0)
        return TMFINV_LOG_WARN;
    return -1;
}

/* 1 when $JOURNAL_STREAM names the file stderr is (systemd sets it for the service's own
 * stdout/stderr; a redirected stderr is not the journal even when the variable is set). */
static int stderr_is_journal(void)
{
    const char *v = getenv("JOURNAL_STREAM");
    uintmax_t dev, ino;
    struct stat st;

    if (!v || sscanf(v, "%ju:%ju", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void tmfinv_log_configure(int json, tmfinv_log_level level)
{
    pthread_mutex_lock(&lock);
    format_json = json;
    min_level = level;
    journal = stderr_is_journal();
    terminal = isatty(STDERR_FILENO) && !journal;
    pthread_mutex_unlock(&lock);
}

int tmfinv_log_enabled(tmfinv_log_level level)
{
    return level >= min_level;
}

int tmfinv_log_is_terminal(void)
{
    if (terminal < 0)
        terminal = isatty(STDERR_FILENO);
    return terminal;
}

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    size_t start; /* where the fields begin (after the journald priority) */
} line;

static void put(line *l, const char *s, size_t n)
{
    if (n > sizeof(l->buf) - 8 - l->len)   /* room kept for the cut mark and the newline */
        n = sizeof(l->buf) - 8 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Appends s escaped for a JSON string or a quoted logfmt value (the same escapes). */
static void put_escaped(line *l, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(l, esc, 2);
        } else if (*p == '\n')
            puts_(l, "\\n");
        else if (*p == '\r')
            puts_(l, "\\r");
        else if (*p == '\t')
            puts_(l, "\\t");
        else if (*p < 0x20 || *p == 0x7f) {
            (void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
            puts_(l, esc);
        } else
            put(l, (const char *)p, 1);
    }
}

/* 1 when a logfmt value must be quoted: empty, or holding a space, '=', '"' or a control. */
static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

/* 1 when s is a plain decimal number, written as a number in JSON. */
static int is_number(const char *s)
{
    const char *p = s;

    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static void put_text_field(line *l, const char *key, const char *value, int force_quotes)
{
    if (l->len > l->start)
        puts_(l, " ");
    puts_(l, key);
    puts_(l, "=");
    if (force_quotes || needs_quotes(value)) {
        puts_(l, "\"");
        put_escaped(l, value);
        puts_(l, "\"");
    } else
        puts_(l, value);
}

static void put_json_field(line *l, const char *key, const char *value, int as_text)
{
    if (l->buf[l->len - 1] != '{')
        puts_(l, ",");
    puts_(l, "\"");
    put_escaped(l, key);
    puts_(l, "\":");
    if (!as_text && is_number(value))
        puts_(l, value);
    else {
        puts_(l, "\"");
        put_escaped(l, value);
        puts_(l, "\"");
    }
}

void tmfinv_log_fields(tmfinv_log_level level, const char *msg, const tmfinv_log_field *fields, size_t n)
{
    static line l; /* under the lock: no 16 KiB on every thread's stack */
    char now[32];

    if ((int)level < 0 || level > TMFINV_LOG_ERROR || level < min_level)
        return;
    tmfinv_time_now(now, sizeof(now));
    pthread_mutex_lock(&lock);
    l.len = 0;
    if (journal) {
        char prefix[4] = {'<', level_priority[level], '>', '\0'};

        puts_(&l, prefix);
    }
    l.start = l.len;
    if (format_json) {
        puts_(&l, "{");
        if (!journal)
            put_json_field(&l, "time", now, 1);
        put_json_field(&l, "level", level_names[level], 1);
        put_json_field(&l, "msg", msg ? msg : "", 1);
        for (size_t i = 0; i < n; i++)
            if (fields[i].key && fields[i].value)
                put_json_field(&l, fields[i].key, fields[i].value, 0);
        l.buf[l.len++] = '}'; /* past a cut too: put() kept room for it */
    } else {
        if (!journal)
            put_text_field(&l, "time", now, 0);
        put_text_field(&l, "level", level_names[level], 0);
        put_text_field(&l, "msg", msg ? msg : "", 1);
        for (size_t i = 0; i < n; i++)
            if (fields[i].key && fields[i].value)
                put_text_field(&l, fields[i].key, fields[i].value, 0);
    }
    l.buf[l.len++] = '\n';
    if (terminal > 0 && status[0])
        fputs("\r\033[K", stderr);
    fwrite(l.buf, 1, l.len, stderr);
    if (terminal > 0 && status[0])
        fputs(status, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&lock);
}

void tmfinv_log(tmfinv_log_level level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tmfinv_log_fields(level, msg, NULL, 0);
}

void tmfinv_log_status(const char *text)
{
    if (!tmfinv_log_is_terminal())
        return;
    pthread_mutex_lock(&lock);
    /* A control byte in the text would move the cursor: the status line stays one line. */
    (void)snprintf(status, sizeof(status), "%s", text ? text : "");
    for (char *p = status; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fputs("\r\033[K", stderr);
    fputs(status, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&lock);
}
