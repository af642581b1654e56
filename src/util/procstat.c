/* procstat.c: the process's own figures from /proc (see tmfinv_procstat.h). */
#include "tmfinv_procstat.h"

#include "tmfinv_error.h"
#include "tmfinv_file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The boot time in Unix seconds ("btime" of /proc/stat), or -1. Lines are read in pieces:
 * the "intr" line can be many KiB long, and only a piece starting a line can be btime. */
static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char piece[256];
    int line_start = 1;
    double t = -1;

    if (!f)
        return -1;
    while (fgets(piece, sizeof(piece), f)) {
        if (line_start && strncmp(piece, "btime ", 6) == 0) {
            char *end;
            unsigned long long v = strtoull(piece + 6, &end, 10);

            if (end != piece + 6)
                t = (double)v;
            break;
        }
        line_start = strchr(piece, '\n') != NULL;
    }
    fclose(f);
    return t;
}

static double count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    double n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the descriptor of the listing itself */
}

int tmfinv_procstat_read(tmfinv_procstat *out)
{
    char *text = NULL, *p;
    struct rlimit rl;
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    unsigned long long v[24];
    int rc = 0, n = 0;

    out->cpu_seconds = out->resident_bytes = out->virtual_bytes = out->start_time_unix = -1;
    out->open_fds = count_fds();
    out->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (double)rl.rlim_cur : -1;
    if ((rc = tmfinv_file_read("/proc/self/stat", 64 * 1024, &text, NULL)) < 0)
        goto out;
    /* The command name (field 2) is in parentheses and may hold anything, ')' included:
     * the fields that follow start after the last ')'. Field 3 is the state (a letter). */
    if (!(p = strrchr(text, ')')) || p[1] != ' ' || !p[2]) {
        rc = tmfinv_error_set(TMFINV_EIO, "/proc/self/stat: unexpected format");
        goto out;
    }
    p += 2;
    p += strcspn(p, " "); /* past the state */
    /* Fields 4 to 24 (proc(5)): utime is 14, stime 15, starttime 22, vsize 23, rss 24. */
    for (n = 4; n <= 24; n++) {
        char *end;

        v[n - 4] = strtoull(p, &end, 10);
        if (end == p)
            break;
        p = end;
    }
    if (n <= 24 || ticks <= 0 || page <= 0) {
        rc = tmfinv_error_set(TMFINV_EIO, "/proc/self/stat: unexpected format");
        goto out;
    }
    out->cpu_seconds = (double)(v[14 - 4] + v[15 - 4]) / (double)ticks;
    out->virtual_bytes = (double)v[23 - 4];
    out->resident_bytes = (double)v[24 - 4] * (double)page;
    {
        double boot = boot_time();

        if (boot >= 0)
            out->start_time_unix = boot + (double)v[22 - 4] / (double)ticks;
    }
out:
    free(text);
    return rc;
}
