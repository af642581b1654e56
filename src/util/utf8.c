/* utf8.c: UTF-8 validation (see tmfinv_utf8.h). A strict decoder after RFC 3629 table
 * 3-7 of the Unicode standard: every lead byte admits only the second bytes that give a
 * shortest form of a scalar value, so overlongs and surrogates are refused at once. */
#include "tmfinv_utf8.h"

size_t tmfinv_utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        unsigned lo = 0x80, hi = 0xBF;
        size_t n;

        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;      /* below: overlong */
            else if (c == 0xED)
                hi = 0x9F;      /* above: U+D800..U+DFFF, surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;      /* below: overlong */
            else if (c == 0xF4)
                hi = 0x8F;      /* above: beyond U+10FFFF */
        } else
            return i;           /* 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF */
        if (len - i <= n)
            return i;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return i;
        i += n + 1;
    }
    return len;
}

int tmfinv_utf8_valid(const char *s, size_t len)
{
    return tmfinv_utf8_invalid_at(s, len) == len;
}
