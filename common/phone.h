/* phone: mainland China mobile numbers.
 * Owns: normalising what billing systems and people type (+86, 0086, 86, spaces, dashes,
 * full-width digits) into the bare 11-digit form, validating it as a mainland mobile
 * (1[3-9]x xxxx xxxx), and masking it for logs and public pages. Pure; no I/O. */
#ifndef COMMON_PHONE_H
#define COMMON_PHONE_H

#include "err.h"

#define PHONE_LEN 11

/* Writes the 11-digit normalised number and a NUL into out (12 bytes) on success.
 * On failure returns ERR_INVALID and fills e with a message naming the input and the rule
 * it broke (e.g. "\"1381234\" has 7 digits; a mainland mobile has 11 (like 13812345678)"). */
int phone_normalize(const char *in, char out[PHONE_LEN + 1], struct err *e);

/* 13812341234 -> 138****1234. Anything that is not 11 digits gives "***". out: 16 bytes. */
void phone_mask(const char *phone, char out[16]);

#endif
