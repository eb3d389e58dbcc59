/* providers/wechat: WeChat Official Account template messages (provider_wechat).
 * This header exposes what the unit tests check directly: the keyword-value rules that
 * keep WeChat from rejecting a field (47003) for its length or characters. */
#ifndef GATEWAY_PROVIDERS_WECHAT_H
#define GATEWAY_PROVIDERS_WECHAT_H

#include "provider.h"

/* Big enough for any cleaned value: at most 32 ASCII or 20 four-byte characters. */
#define WECHAT_VALUE_SIZE 128

/* Cleans value for the template keyword named keyword ("thing1", "phone_number4", ...),
 * by the type its name starts with: line breaks and control characters become one space;
 * characters the type does not accept are dropped; the length is capped (thing: 19
 * characters and "…"; character_string, number, letter: 32; phone_number: 17; time and
 * date: 20, a too-long range keeps its start; name: 10 if any non-ASCII, else 20; phrase: 5
 * Chinese; car_number: 8; amount: sign, 10 digits, "元"; other types: 20, like thing).
 * value NULL is taken as "". out is always NUL-terminated valid UTF-8. */
void wechat_keyword_value(const char *keyword, const char *value, char out[WECHAT_VALUE_SIZE]);

extern const struct provider_ops provider_wechat;

#endif
