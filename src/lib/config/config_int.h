/* config_int.h: what the configuration's files share (config.c, config_values.c,
 * config_source.c, config_webhook.c): the readers of one value, each failing with a message
 * naming file:line, [section] and key. Not for use outside src/lib/config. */
#ifndef TMFINV_CONFIG_INT_H
#define TMFINV_CONFIG_INT_H

#include "config.h"
#include "tmfinv_ini.h"

#include <stddef.h>
#include <stdint.h>

#define SECRET_MAX_BYTES 4096 /* longest secret read from a file or the environment */

void config_strv_free(char **v, size_t n);

int config_url_value(const char *file, const char *section, const tmfinv_ini_entry *e);

int config_proxy_value(const char *file, const char *section, const tmfinv_ini_entry *e);

int config_dup_value(const tmfinv_ini_entry *e, char **out);

int config_int_value(const char *file, const char *section, const tmfinv_ini_entry *e, int64_t min, int64_t max,
                     int *out);

int config_split_list(const char *text, char ***out, size_t *n);

int config_file_key_path(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
                         char **out);

int config_read_secret(const char *file, const char *dir, const tmfinv_ini_entry *e, const char *section,
                       char **out);

int config_read_secret_key(const char *file, const char *dir, tmfinv_ini_section *sec, const char *key,
                           char **out);

int config_origins_value(const char *file, const char *section, const tmfinv_ini_entry *e, char ***list,
                         size_t *n_list, int browser);

int config_warn_open_secret(tmfinv_config *c, const char *dir, const tmfinv_ini_section *sec,
                            const tmfinv_ini_entry *e);

int config_warn_open_secrets(tmfinv_config *c, const char *dir, tmfinv_ini_section *sec, const char *const *keys);

int config_double_value(const char *file, const char *section, const tmfinv_ini_entry *e, double min, double max,
                        double *out);

void config_source_clear(tmfinv_source_config *s);

int config_load_source(const char *file, const char *dir, tmfinv_ini_section *sec, const char *name,
                       tmfinv_source_config *s);

#endif
