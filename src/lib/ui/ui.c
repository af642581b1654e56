/* ui.c: the dashboard's static files, served under /ui/ (see ui.h, docs/dashboard.md).
 *
 * At the first load the data folder's ui/ is listed (files, and files of its direct
 * sub-folders; names starting with '.' and types we do not know are left out) and every
 * file is read into memory with its ETag (a SHA-256 prefix of its bytes). A request path
 * is only ever compared with that list, so "..", encoded slashes or symbolic links made
 * later cannot reach another file. The view URLs of the single-page application
 * (/ui/definitions/D, /ui/definitions/D/KEY, /ui/instances/UUID, /ui/carriers, /ui/runs)
 * answer index.html, so that they can be bookmarked. Every answer carries a strict
 * Content-Security-Policy (no inline script, nothing from another origin), nosniff, and
 * no-cache with an ETag, so a browser revalidates (304) and an upgrade is seen at the next
 * load. */
#include "ui.h"

#include "tmfinv_datadir.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct ui_file {
    char *name;                 /* path under ui/, e.g. "app.js", "views/runs.js" */
    char *data;
    size_t len;
    const char *content_type;
    char etag[20];              /* "…16 hex…" with its quotes */
} ui_file;

static ui_file ui_files[TMFINV_UI_MAX_FILES];
static size_t ui_n_files;
static int ui_load_rc;
static char ui_load_error[512];
static pthread_once_t ui_once = PTHREAD_ONCE_INIT;

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

/* The Content-Type of a file name by its extension; NULL: not served. */
static const char *type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html;charset=utf-8"},       {".js", "text/javascript;charset=utf-8"},
                 {".mjs", "text/javascript;charset=utf-8"},  {".css", "text/css;charset=utf-8"},
                 {".svg", "image/svg+xml"},                  {".png", "image/png"},
                 {".ico", "image/x-icon"},                   {".json", "application/json;charset=utf-8"},
                 {".txt", "text/plain;charset=utf-8"}};
    size_t n = strlen(name);

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);

        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

/* Reads the file `dir`/`rel` into the table. */
static int add_file(const char *dir, const char *rel)
{
    ui_file *f;
    char *path = NULL, hex[65];
    int rc;

    if (ui_n_files >= TMFINV_UI_MAX_FILES)
        return tmfinv_error_set(TMFINV_ELIMIT, "%s: more than %d dashboard files", dir, TMFINV_UI_MAX_FILES);
    f = &ui_files[ui_n_files];
    if ((rc = tmfinv_path_join(dir, rel, &path)) < 0)
        return rc;
    if ((rc = tmfinv_file_read(path, TMFINV_UI_MAX_FILE, &f->data, &f->len)) < 0)
        goto out;
    if (!(f->name = strdup(rel))) {
        free(f->data);
        f->data = NULL;
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    f->content_type = type_of(rel);
    tmfinv_sha256_hex(f->data, f->len, hex);
    (void)snprintf(f->etag, sizeof(f->etag), "\"%.16s\"", hex);
    ui_n_files++;
out:
    free(path);
    return rc;
}

/* Adds the regular files of `dir`/`sub` (sub "" for ui/ itself; its folders are listed
 * one level down when `descend`). */
static int add_folder(const char *dir, const char *sub, int descend)
{
    char *path = NULL;
    DIR *d = NULL;
    struct dirent *e;
    int rc;

    if ((rc = tmfinv_path_join(dir, sub[0] ? sub : ".", &path)) < 0)
        return rc;
    if (!(d = opendir(path))) {
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "%s: cannot list the dashboard's folder", path);
        goto out;
    }
    while (rc == 0 && (e = readdir(d))) {
        char rel[256];
        struct stat st;
        char *full = NULL;

        if (e->d_name[0] == '.')
            continue;
        if (snprintf(rel, sizeof(rel), "%s%s%s", sub, sub[0] ? "/" : "", e->d_name) >= (int)sizeof(rel))
            continue;
        if ((rc = tmfinv_path_join(dir, rel, &full)) < 0)
            break;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && descend)
            rc = add_folder(dir, rel, 0);
        else if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && type_of(rel))
            rc = add_file(dir, rel);
        free(full);
    }
out:
    if (d)
        closedir(d);
    free(path);
    return rc;
}

static const ui_file *find_file(const char *name)
{
    for (size_t i = 0; i < ui_n_files; i++)
        if (strcmp(ui_files[i].name, name) == 0)
            return &ui_files[i];
    return NULL;
}

static void load_once(void)
{
    char *data = NULL, *dir = NULL;
    int rc;

    if ((rc = tmfinv_datadir_get(&data)) < 0 || (rc = tmfinv_path_join(data, "ui", &dir)) < 0 ||
        (rc = add_folder(dir, "", 1)) < 0)
        goto out;
    if (!find_file("index.html"))
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "%s: no index.html", dir);
out:
    if (rc < 0) {
        (void)snprintf(ui_load_error, sizeof(ui_load_error), "%s", tmfinv_error_last());
        for (size_t i = 0; i < ui_n_files; i++) {
            free(ui_files[i].name);
            free(ui_files[i].data);
        }
        ui_n_files = 0;
    }
    ui_load_rc = rc;
    free(dir);
    free(data);
}

int tmfinv_ui_load(void)
{
    (void)pthread_once(&ui_once, load_once);
    if (ui_load_rc < 0)
        return tmfinv_error_set(ui_load_rc, "dashboard: %s", ui_load_error);
    return 0;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* The headers every dashboard answer carries. */
static int common_headers(tmfinv_http_response *res)
{
    if (tmfinv_http_header_add(res, "Content-Security-Policy", "%s", csp) < 0 ||
        tmfinv_http_header_add(res, "X-Content-Type-Options", "nosniff") < 0 ||
        tmfinv_http_header_add(res, "Referrer-Policy", "no-referrer") < 0 ||
        tmfinv_http_header_add(res, "X-Frame-Options", "DENY") < 0)
        return TMFINV_ENOMEM;
    return 0;
}

/* 1 when the If-None-Match header names `etag` (or is "*"). */
static int etag_matches(const char *header, const char *etag)
{
    size_t n = strlen(etag);

    if (!header)
        return 0;
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (*p == '*' || strncmp(p, etag, n) == 0)
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

static int send_file(tmfinv_http_request *req, tmfinv_http_response *res, const ui_file *f)
{
    int rc;

    if ((rc = common_headers(res)) < 0 || (rc = tmfinv_http_header_add(res, "ETag", "%s", f->etag)) < 0 ||
        (rc = tmfinv_http_header_add(res, "Cache-Control", "no-cache")) < 0)
        return rc;
    if (etag_matches(req->if_none_match, f->etag)) {
        res->status = 304;
        return 0;
    }
    tmfinv_buf_reset(&res->body);
    if (tmfinv_buf_append(&res->body, f->data, f->len) < 0)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    res->status = 200;
    (void)snprintf(res->content_type, sizeof(res->content_type), "%s", f->content_type);
    return 0;
}

static int not_installed(tmfinv_http_response *res)
{
    return tmfinv_http_error(res, 404, "60", "Not Found", "the dashboard is not installed (%s)", ui_load_error);
}

static int redirect_root(tmfinv_http_request *req, tmfinv_http_response *res)
{
    (void)req;
    res->status = 302;
    return tmfinv_http_header_add(res, "Location", "/ui/");
}

/* /ui and /ui/: the overview. */
static int ui_index(tmfinv_http_request *req, tmfinv_http_response *res)
{
    if (tmfinv_ui_load() < 0)
        return not_installed(res);
    return send_file(req, res, find_file("index.html"));
}

/* /ui/{a}[/{b}[/{c}]]: a listed file, else a view URL (index.html), else 404. */
static int ui_path(tmfinv_http_request *req, tmfinv_http_response *res)
{
    char name[512];
    const ui_file *f;
    size_t n = 0;
    int view;

    if (tmfinv_ui_load() < 0)
        return not_installed(res);
    for (size_t i = 0; i < req->n_path_params && n < sizeof(name); i++)
        n += (size_t)snprintf(name + n, sizeof(name) - n, "%s%s", i ? "/" : "", req->path_params[i]);
    if (n < sizeof(name) && (f = find_file(name)))
        return send_file(req, res, f);
    view = (req->n_path_params == 1 &&
            (strcmp(req->path_params[0], "carriers") == 0 || strcmp(req->path_params[0], "runs") == 0)) ||
           (req->n_path_params == 2 &&
            (strcmp(req->path_params[0], "definitions") == 0 || strcmp(req->path_params[0], "instances") == 0)) ||
           (req->n_path_params == 3 && strcmp(req->path_params[0], "definitions") == 0);
    if (view)
        return send_file(req, res, find_file("index.html"));
    if (common_headers(res) < 0)
        return TMFINV_ENOMEM;
    return tmfinv_http_error(res, 404, "60", "Not Found", "no dashboard page at %.200s", req->path);
}

const tmfinv_http_route tmfinv_ui_routes[] = {
    {"GET", "/", 0, redirect_root, "ui_root", 0},
    {"GET", "/ui", 0, ui_index, "ui_index", 0},
    {"GET", "/ui/{a}", 0, ui_path, "ui_file", 0},
    {"GET", "/ui/{a}/{b}", 0, ui_path, "ui_file2", 0},
    {"GET", "/ui/{a}/{b}/{c}", 0, ui_path, "ui_file3", 0},
};
const size_t tmfinv_ui_n_routes = sizeof(tmfinv_ui_routes) / sizeof(tmfinv_ui_routes[0]);
