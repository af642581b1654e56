/* model_characteristic.c: characteristic values (type `characteristic`) written as text for
 * people and spreadsheets: `name = value (valueType)` in `tmfinv show`, `name=value;...` in
 * CSV. JSON answers carry the elements as they are stored. */
#include "model.h"

#include "tmfinv_buf.h"

#include <stdlib.h>
#include <string.h>

/* Appends one element's value: a string as it is, anything else as compact JSON. */
static int put_value(tmfinv_buf *b, const cJSON *v)
{
    char *s;
    int rc;

    if (!v)
        return 0;
    if (cJSON_IsString(v))
        return tmfinv_buf_puts(b, v->valuestring);
    if (!(s = cJSON_PrintUnformatted(v)))
        return -1;
    rc = tmfinv_buf_puts(b, s);
    free(s);
    return rc;
}

/* Appends `name<equals>value` and, with with_type, ` (valueType)` when there is one. */
static int put_element(tmfinv_buf *b, const cJSON *el, const char *equals, int with_type)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(el, "name");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(el, "valueType");

    if (tmfinv_buf_puts(b, cJSON_IsString(name) ? name->valuestring : "") < 0 || tmfinv_buf_puts(b, equals) < 0 ||
        put_value(b, cJSON_GetObjectItemCaseSensitive(el, "value")) < 0)
        return -1;
    if (with_type && cJSON_IsString(type) &&
        (tmfinv_buf_puts(b, " (") < 0 || tmfinv_buf_puts(b, type->valuestring) < 0 || tmfinv_buf_puts(b, ")") < 0))
        return -1;
    return 0;
}

char *tmfinv_characteristic_format(const cJSON *value, const char *equals, const char *separator, int with_type)
{
    tmfinv_buf b;
    const cJSON *el;
    int first = 1;

    /* Bounded like any value rendered. */
    tmfinv_buf_init(&b, 64 * 1024 * 1024);
    if (cJSON_IsObject(value)) {
        if (put_element(&b, value, equals, with_type) < 0)
            goto fail;
    } else {
        cJSON_ArrayForEach(el, value) {
            if ((!first && tmfinv_buf_puts(&b, separator) < 0) || put_element(&b, el, equals, with_type) < 0)
                goto fail;
            first = 0;
        }
    }
    if (tmfinv_buf_puts(&b, "") < 0)
        goto fail;
    return tmfinv_buf_steal(&b);
fail:
    tmfinv_buf_free(&b);
    return NULL;
}
