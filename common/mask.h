/* mask: personal data as the public and the logs may see it (PIPL).
 * Owns: the masking rules for names (张* / 欧阳** ), openids (oAbc…xyz9), account numbers
 * (last 4 digits) and digit runs in free text (phone numbers inside a provider's error
 * message). Masking one known phone number lives in phone.h. Pure; no I/O. Every function
 * accepts NULL or "" and writes "" then. Output always fits and is NUL-terminated. */
#ifndef COMMON_MASK_H
#define COMMON_MASK_H

#include <stddef.h>

/* Keeps the first UTF-8 character, replaces every further character by '*': 张三 -> 张*. */
void mask_name(const char *name, char *out, size_t outsz);
/* Keeps the first 4 and last 2 characters: oAbcdefghijk -> oAbc***jk. */
void mask_openid(const char *openid, char *out, size_t outsz);
/* Keeps the last 4 characters: 1100234567 -> ******4567. */
void mask_account(const char *account, char *out, size_t outsz);
/* Copies text with every run of 7 or more ASCII digits masked but for its last 4
 * ("call 13812345678" -> "call *******5678"): phone numbers in any prefix form. Shorter
 * runs and every other byte are copied as they are. Text that does not fit is cut on a
 * UTF-8 character boundary; a run the cut splits is masked by its whole length. text and
 * out may be the same buffer. */
void mask_digits(const char *text, char *out, size_t outsz);

#endif
