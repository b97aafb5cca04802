#ifndef VOUCH_CLIBGIT2_SHIM_H
#define VOUCH_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
