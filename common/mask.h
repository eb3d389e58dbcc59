/* mask: personal data as the public and the logs may see it (PIPL).
 * Owns: the masking rules for names (张* / 欧阳** ), openids (oAbc…xyz9) and account numbers
 * (last 4 digits). Phone masking lives in phone.h. Pure; no I/O. Every function accepts
 * NULL or "" and writes "" then. Output always fits and is NUL-terminated. */
#ifndef COMMON_MASK_H
#define COMMON_MASK_H

#include <stddef.h>

/* Keeps the first UTF-8 character, replaces every further character by '*': 张三 -> 张*. */
void mask_name(const char *name, char *out, size_t outsz);
/* Keeps the first 4 and last 2 characters: oAbcdefghijk -> oAbc***jk. */
void mask_openid(const char *openid, char *out, size_t outsz);
/* Keeps the last 4 characters: 1100234567 -> ******4567. */
void mask_account(const char *account, char *out, size_t outsz);

#endif
