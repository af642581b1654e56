/* replay.c: a plain main for the fuzz targets, so that the normal build (gcc, with or
 * without the sanitizers) runs every committed corpus input through the target under
 * ctest. Arguments are files or folders (every regular file inside, in name order). Each
 * input is copied into a buffer of its exact size, so that a read past its end is seen by
 * AddressSanitizer as libFuzzer would see it. Exits 1 when a folder is missing or no input
 * was found: an empty corpus must not pass unnoticed. */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

/* Weak: a target may define it, as libFuzzer allows. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long size;
    int rc = -1;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    data = malloc(size ? (size_t)size : 1);
    if (!data || (size && fread(data, 1, (size_t)size, f) != (size_t)size))
        goto out;
    (void)LLVMFuzzerTestOneInput(data, (size_t)size);
    rc = 0;
out:
    if (rc < 0)
        fprintf(stderr, "replay: cannot read %s\n", path);
    free(data);
    fclose(f);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    long inputs = 0;
    int failed = 0;

    if (LLVMFuzzerInitialize)
        (void)LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        struct dirent **names = NULL;
        int n;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i]) < 0;
            inputs++;
            continue;
        }
        n = scandir(argv[i], &names, NULL, by_name);
        for (int k = 0; k < n; k++) {
            char path[4096];

            if (names[k]->d_name[0] != '.' &&
                snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name) < (int)sizeof(path) &&
                stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                failed |= replay_file(path) < 0;
                inputs++;
            }
            free(names[k]);
        }
        free(names);
        if (n < 0) {
            fprintf(stderr, "replay: cannot list %s\n", argv[i]);
            failed = 1;
        }
    }
    printf("replay: %ld inputs\n", inputs);
    if (inputs == 0)
        fprintf(stderr, "replay: no input found\n");
    return failed || inputs == 0;
}
