/* charset: bringing text exported by Chinese billing systems into UTF-8.
 * Owns: detection (UTF-8 with or without BOM, else GBK/GB18030) and conversion with iconv.
 * Pure apart from iconv; no file I/O. */
#ifndef COMMON_CHARSET_H
#define COMMON_CHARSET_H

#include <stddef.h>

#include "err.h"

/* Converts in[0..len) to a newly allocated NUL-terminated UTF-8 string (*out, caller frees;
 * *out_len its length, BOM removed). *detected (may be NULL) is set to "utf-8" or "gb18030".
 * Input that is neither valid UTF-8 nor valid GB18030 fails with ERR_INVALID and a message
 * giving the line number and byte offset of the first undecodable byte. */
int charset_to_utf8(const char *in, size_t len, char **out, size_t *out_len, const char **detected,
		    struct err *e);

#endif
