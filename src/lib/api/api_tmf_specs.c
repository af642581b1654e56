/* api_tmf_specs.c: the official TMF v4 specifications POST validates against — the data
 * folder's tmf/TMF638-ServiceInventory-v4.0.0.swagger.json and
 * tmf/TMF639-ResourceInventory-v4.0.0.swagger.json — loaded once (by `serve` at start, else by
 * the first POST) and kept for the process's life. */
#include "api.h"
#include "api_tmf_int.h"
#include "tmf_schema.h"

#include "tmfinv_datadir.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"

#include <pthread.h>
#include <stdlib.h>

static const api_tmf_spec_file spec_files[2] = {
    {"TMF638-ServiceInventory-v4.0.0.swagger.json", "Service_Create", "Service"},
    {"TMF639-ResourceInventory-v4.0.0.swagger.json", "Resource_Create", "Resource"},
};

static pthread_mutex_t specs_lock = PTHREAD_MUTEX_INITIALIZER;
static tmfinv_tmf_spec *specs[2];   /* loaded once, kept until tmfinv_api_tmf_specs_free() */

/* Loads the missing specifications; call with specs_lock held. */
static int specs_load_locked(void)
{
    char *dir = NULL, *sub = NULL, *path = NULL;
    int rc = 0;

    for (size_t i = 0; i < 2 && rc == 0; i++) {
        const char *required[] = {spec_files[i].create, spec_files[i].entity, NULL};

        if (specs[i])
            continue;
        if ((!dir && (rc = tmfinv_datadir_get(&dir)) < 0) || (!sub && (rc = tmfinv_path_join(dir, "tmf", &sub)) < 0))
            break;
        free(path);
        path = NULL;
        if ((rc = tmfinv_path_join(sub, spec_files[i].file, &path)) == 0)
            rc = tmfinv_tmf_spec_load(path, required, &specs[i]);
    }
    free(path);
    free(sub);
    free(dir);
    return rc;
}

int tmfinv_api_tmf_specs_load(void)
{
    int rc;

    pthread_mutex_lock(&specs_lock);
    rc = specs_load_locked();
    pthread_mutex_unlock(&specs_lock);
    return rc;
}

void tmfinv_api_tmf_specs_free(void)
{
    pthread_mutex_lock(&specs_lock);
    for (size_t i = 0; i < 2; i++) {
        tmfinv_tmf_spec_free(specs[i]);
        specs[i] = NULL;
    }
    pthread_mutex_unlock(&specs_lock);
}

/* The specification of a collection, loaded now when serve did not load it (tests that
 * drive the handlers without serve). */
int api_tmf_spec_for(const api_tmf_collection *coll, const tmfinv_tmf_spec **out, const api_tmf_spec_file **file)
{
    size_t i = coll == &api_tmf_services ? 0 : 1;
    int rc;

    pthread_mutex_lock(&specs_lock);
    rc = specs[i] ? 0 : specs_load_locked();
    *out = specs[i];
    pthread_mutex_unlock(&specs_lock);
    *file = &spec_files[i];
    return rc;
}
