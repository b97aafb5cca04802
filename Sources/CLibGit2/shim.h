#ifndef VOUCH_CLIBGIT2_SHIM_H
#define VOUCH_CLIBGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic and does not import into Swift: one wrapper per option used. */

/* Bytes of pack files mapped at once, over all repositories of the process (default: 8 GiB on 64-bit). */
static inline int vouch_git_set_mwindow_mapped_limit(size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, bytes);
}

/* Size of one mapped pack window (default: 1 GiB on 64-bit). */
static inline int vouch_git_set_mwindow_size(size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, bytes);
}

/* Whether libgit2 keeps decoded objects in its per-repository cache (default: on). */
static inline int vouch_git_set_caching(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, enabled);
}

/* Whether every object read is hashed again to check its id (default: on). */
static inline int vouch_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
