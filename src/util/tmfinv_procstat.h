/* tmfinv_procstat.h: the running process's own figures from /proc (Linux), for the
 * standard process_* metrics of Prometheus. Knows nothing of the domain. */
#ifndef TMFINV_PROCSTAT_H
#define TMFINV_PROCSTAT_H

/* Each figure is < 0 when it could not be read (no /proc, a field missing). */
typedef struct tmfinv_procstat {
    double cpu_seconds;         /* user + system CPU time */
    double resident_bytes;      /* resident set size */
    double virtual_bytes;       /* virtual memory size */
    double open_fds;            /* open file descriptors */
    double max_fds;             /* the soft limit on them (RLIMIT_NOFILE); < 0 when unlimited */
    double start_time_unix;     /* when the process started, Unix time */
} tmfinv_procstat;

/* Fills *out from /proc/self/stat, /proc/self/fd, /proc/stat and getrlimit(). Returns 0
 * when /proc/self/stat could be read, else TMFINV_EIO (the other figures may still be set). */
int tmfinv_procstat_read(tmfinv_procstat *out);

#endif
