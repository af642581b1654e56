/* cmd_export.c: `tmfinv export` (CSV or JSON lines) and the CSV rows of `query --csv`.
 *
 * Rows are written as the store's query hands them over, one at a time: memory does not
 * grow with the number of instances. A file named with --output is written beside itself
 * under a temporary name and renamed once complete, so a reader never sees half an export
 * and a failed export leaves the previous file as it was. */
#include "cli.h"

#include "tmfinv_error.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes one CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes
 * doubled. With `guard`, text starting with = + - @ TAB or CR gets a leading apostrophe so
 * that a spreadsheet shows it instead of running it as a formula (docs/decisions.md). */
static void csv_cell(FILE *out, const char *s, int guard, int first)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;

    if (!first)
        fputc(',', out);
    if (quote)
        fputc('"', out);
    if (guard && s[0] && strchr("=+-@\t\r", s[0]))
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    if (quote)
        fputc('"', out);
}

static const char *const meta_columns[] = {"_id", "_key", "_status", "_removed", "_modified"};

void cli_csv_header(FILE *out, const tmfinv_definition *d)
{
    for (size_t i = 0; i < sizeof(meta_columns) / sizeof(meta_columns[0]); i++)
        csv_cell(out, meta_columns[i], 0, i == 0);
    for (size_t i = 0; i < d->n_fields; i++)
        csv_cell(out, d->fields[i].name, 1, 0);
    fputs("\r\n", out);
}

int cli_csv_row(FILE *out, const tmfinv_definition *d, const tmfinv_instance *inst)
{
    csv_cell(out, inst->id, 0, 1);
    csv_cell(out, inst->key, 1, 0);
    csv_cell(out, inst->status ? inst->status : "", 1, 0);
    csv_cell(out, inst->removed ? "true" : "false", 0, 0);
    csv_cell(out, inst->modified, 0, 0);
    for (size_t i = 0; i < d->n_fields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(inst->fields, d->fields[i].name);

        if (!v || cJSON_IsNull(v))
            csv_cell(out, "", 0, 0);
        else if (d->fields[i].type == TMFINV_TYPE_CHARACTERISTIC) {
            /* name=value;name=value (valueType in the JSON formats only). */
            char *text = tmfinv_characteristic_format(v, "=", ";", 0);

            if (!text)
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            csv_cell(out, text, 1, 0);
            free(text);
        } else if (cJSON_IsString(v))
            csv_cell(out, v->valuestring, 1, 0);
        else {
            /* Numbers and booleans as JSON writes them (never guarded: "-3.5" is a number
             * to a spreadsheet, not a formula); lists and objects as JSON text. */
            char *text = cJSON_PrintUnformatted(v);

            if (!text)
                return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            csv_cell(out, text, !cJSON_IsNumber(v) && !cJSON_IsBool(v), 0);
            free(text);
        }
    }
    fputs("\r\n", out);
    return ferror(out) ? tmfinv_error_set(TMFINV_EIO, "write error: %s", strerror(errno)) : 0;
}

typedef struct export_ctx {
    FILE *out;
    const tmfinv_definition *d;
    int csv;
} export_ctx;

static int export_row(const tmfinv_instance *inst, void *ctx)
{
    export_ctx *x = ctx;
    cJSON *o;
    char *text;

    if (x->csv)
        return cli_csv_row(x->out, x->d, inst);
    if (!(o = tmfinv_instance_json(inst)) || !(text = cJSON_PrintUnformatted(o))) {
        cJSON_Delete(o);
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    }
    fputs(text, x->out);
    fputc('\n', x->out);
    free(text);
    cJSON_Delete(o);
    return ferror(x->out) ? tmfinv_error_set(TMFINV_EIO, "write error: %s", strerror(errno)) : 0;
}

/* Opens a temporary file beside `path` (*tmp: its name, to free), mode as a new file
 * would get under the umask. */
static int open_beside(const char *path, char **tmp, FILE **out)
{
    size_t n = strlen(path) + sizeof(".tmp-XXXXXX");
    mode_t mask = umask(0);
    int fd;

    umask(mask);
    if (!(*tmp = malloc(n)))
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    (void)snprintf(*tmp, n, "%s.tmp-XXXXXX", path);
    if ((fd = mkstemp(*tmp)) < 0)
        return tmfinv_error_set(TMFINV_EIO, "%s: %s", *tmp, strerror(errno));
    if (fchmod(fd, 0666 & ~mask) != 0 || !(*out = fdopen(fd, "w"))) {
        int err = errno;

        close(fd);
        unlink(*tmp);
        return tmfinv_error_set(TMFINV_EIO, "%s: %s", *tmp, strerror(err));
    }
    return 0;
}

int cmd_export(app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {"all", no_argument, NULL, 'a'},
                                         {"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    const char *output = NULL, *format = "csv";
    char *tmp = NULL;
    FILE *out = stdout;
    tmfinv_query q = {0};
    export_ctx x = {0};
    int c, rc = 0;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'a')
            q.include_removed = 1;
        else if (c == 'o')
            output = optarg;
        else
            return cli_bad_option("export", argv);
    }
    if (optind != argc - 1)
        return cli_usage_error("export: give exactly one DEFINITION");
    if (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0)
        return cli_usage_error("export: --format '%s': expected csv or jsonl", format);
    if (output && !*output)
        return cli_usage_error("export: --output needs a file name");
    if ((rc = cli_app_open(a, 1)) != 0)
        return rc;
    if (!(x.d = tmfinv_model_find(a->model, argv[optind])))
        return cli_unknown_definition(a, argv[optind]);
    if (output && open_beside(output, &tmp, &out) < 0) {
        cli_fail_line("export");
        free(tmp);
        return 1;
    }
    x.out = out;
    x.csv = strcmp(format, "csv") == 0;
    q.definition = x.d->name;
    if (x.csv)
        cli_csv_header(out, x.d);
    if ((rc = tmfinv_store_query(a->store, &q, export_row, &x)) == 0 && fflush(out) != 0)
        rc = tmfinv_error_set(TMFINV_EIO, "%s: %s", tmp ? tmp : "standard output", strerror(errno));
    if (rc == 0 && tmp && fsync(fileno(out)) != 0)
        rc = tmfinv_error_set(TMFINV_EIO, "%s: %s", tmp, strerror(errno));
    if (tmp) {
        if (fclose(out) != 0 && rc == 0)
            rc = tmfinv_error_set(TMFINV_EIO, "%s: %s", tmp, strerror(errno));
        if (rc == 0 && rename(tmp, output) != 0)
            rc = tmfinv_error_set(TMFINV_EIO, "%s: %s", output, strerror(errno));
        if (rc < 0)
            unlink(tmp);
        free(tmp);
    }
    if (rc < 0) {
        cli_fail_line("export");
        return 1;
    }
    return 0;
}
