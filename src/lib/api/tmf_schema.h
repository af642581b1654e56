/* tmf_schema.h: the official TMF v4 specifications (Swagger 2.0 files, data/tmf/) and a
 * small validator of JSON values against their definitions, for the bodies the TMF API
 * accepts (POST of Service_Create / Resource_Create).
 *
 * The subset of JSON Schema the TMF v4 files use for their create bodies is understood:
 * `$ref` to `#/definitions/NAME`, `allOf`, `type` (object, array, string, integer,
 * number, boolean), `required`, `properties`, `items`, `enum`, `minItems`, `format:
 * date-time` (RFC 3339) and `format: uri` (an absolute URI). Other keywords (description,
 * example, other formats)
 * constrain nothing here, as in a draft-04 validator that ignores unknown formats. */
#ifndef TMFINV_TMF_SCHEMA_H
#define TMFINV_TMF_SCHEMA_H

#include <cjson/cJSON.h>

typedef struct tmfinv_tmf_spec tmfinv_tmf_spec;

/* Loads the Swagger 2.0 file at `path`. On success *out is new (free with
 * tmfinv_tmf_spec_free()). Fails with TMFINV_EINVALID (or TMFINV_ENOTFOUND when the
 * file is missing) and a one-line message naming the file: unreadable, not JSON, no
 * `definitions`, or one of the `required` definitions missing (NULL-terminated list,
 * may be NULL). */
int tmfinv_tmf_spec_load(const char *path, const char *const *required, tmfinv_tmf_spec **out);

void tmfinv_tmf_spec_free(tmfinv_tmf_spec *spec);

/* The file the specification was loaded from (borrowed). */
const char *tmfinv_tmf_spec_path(const tmfinv_tmf_spec *spec);

/* Validates `value` against the definition `definition` of `spec`. 0 when valid; else
 * TMFINV_EINVALID with a one-line message "PATH: WHY" (PATH the first failing member,
 * dotted, with [N] for array elements; "(body)" for the value itself). */
int tmfinv_tmf_spec_validate(const tmfinv_tmf_spec *spec, const char *definition, const cJSON *value);

#endif
