#ifndef VOUCH_CLIBDEFLATE_SHIM_H
#define VOUCH_CLIBDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
