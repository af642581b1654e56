/* ui.h: the dashboard's static files (data/ui/ of the data folder), served by
 * `tmfinv serve` under /ui/ (docs/dashboard.md).
 *
 * The files are read once, when the dashboard is first loaded, into memory: only the
 * files found then are ever served (no path from a request reaches the file system).
 * They hold no data and need no token; the dashboard's pages fetch /api/v1 with the
 * token the user gives. */
#ifndef TMFINV_UI_H
#define TMFINV_UI_H

#include "http.h"

/* The routes: "/" (redirect to /ui/), "/ui" and the files and view URLs under it. */
extern const tmfinv_http_route tmfinv_ui_routes[];
extern const size_t tmfinv_ui_n_routes;

/* Reads the dashboard's files from the data folder's ui/ (tmfinv_datadir_get()), once
 * per process; later calls answer what the first one did. Returns 0, or a negative code
 * with a one-line message (no data folder, no ui/ folder, no index.html, a file over
 * TMFINV_UI_MAX_FILE bytes, more than TMFINV_UI_MAX_FILES files): the routes then answer
 * 404 saying the dashboard is not installed. Thread-safe. */
int tmfinv_ui_load(void);

#define TMFINV_UI_MAX_FILES 64
#define TMFINV_UI_MAX_FILE (2 * 1024 * 1024)

#endif
