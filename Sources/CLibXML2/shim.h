#ifndef VOUCH_CLIBXML2_SHIM_H
#define VOUCH_CLIBXML2_SHIM_H
/* libxml2 can pull in the system ICU, whose UErrorCode clashes with the copy
   Foundation ships: keep ICU out of this module. xmlversion.h defines
   LIBXML_ICU_ENABLED unconditionally, so undefine it before encoding.h reads it
   (only the ICU converter fields of xmlCharEncodingHandler depend on it, and
   Vouch never touches that struct). */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#define LIBXML_ICU_DISABLED 1
#define U_HIDE_DRAFT_API 1
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

static inline void vouch_xmlFree(void *p) { xmlFree(p); }
#endif
