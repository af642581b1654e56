/* tmfinv_error.h: error codes and the one-line message that travels with them.
 *
 * Every function of the library returns 0 on success or one of the negative codes
 * below. The function that fails also sets a message (thread-local) with
 * tmfinv_error_set(); the caller that handles the failure reads it with
 * tmfinv_error_last() and prints or logs it once. */
#ifndef TMFINV_ERROR_H
#define TMFINV_ERROR_H

enum {
    TMFINV_OK = 0,
    TMFINV_ERROR = -1,      /* generic failure */
    TMFINV_ENOMEM = -2,     /* out of memory */
    TMFINV_ENOTFOUND = -3,  /* no such object */
    TMFINV_EINVALID = -4,   /* bad input: config, definition, argument, value */
    TMFINV_ELIMIT = -5,     /* input larger than a limit */
    TMFINV_EIO = -6,        /* file or network I/O */
    TMFINV_ESTORE = -7,     /* the store failed */
    TMFINV_EHTTP = -8,      /* the source answered an HTTP error */
    TMFINV_EPARSE = -9,     /* malformed JSON or text */
    TMFINV_EAMBIGUOUS = -10,/* more than one object matches */
    TMFINV_EREFUSED = -11   /* operation not allowed (e.g. setting a source field) */
};

/* Sets the calling thread's last error message (printf-style) and returns `code`,
 * so that a failing function can write `return tmfinv_error_set(TMFINV_EINVALID, ...)`. */
int tmfinv_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's last error message; never NULL ("" when none was set). */
const char *tmfinv_error_last(void);

/* Clears the calling thread's last error message. */
void tmfinv_error_clear(void);

#endif
