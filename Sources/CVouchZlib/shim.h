#ifndef VOUCH_CZLIB_SHIM_H
#define VOUCH_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 is a macro: a raw deflate stream (no zlib header), as ZIP entries hold. */
static inline int vouch_deflate_init_raw(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
}
#endif
