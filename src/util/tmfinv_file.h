/* tmfinv_file.h: reading whole files with a size limit, and small OS helpers. */
#ifndef TMFINV_FILE_H
#define TMFINV_FILE_H

#include <stddef.h>

/* Reads the file at `path` (at most `max` bytes) into a new NUL-terminated string
 * stored in *out (free() it); its length goes to *len when len is not NULL.
 * Fails with TMFINV_EIO naming the file and the OS error, or TMFINV_ELIMIT. */
int tmfinv_file_read(const char *path, size_t max, char **out, size_t *len);

/* Joins `dir` and `name` unless `name` is absolute; new string in *out. */
int tmfinv_path_join(const char *dir, const char *name, char **out);

/* The directory part of `path` ("." when there is none); new string in *out. */
int tmfinv_path_dirname(const char *path, char **out);

#endif
