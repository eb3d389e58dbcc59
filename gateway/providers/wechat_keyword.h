/* providers/wechat_keyword: the keyword-value rules of WeChat template messages, which keep
 * WeChat from rejecting a field (47003) for its length or characters. Used by the WeChat
 * provider's build; declared here so that the unit tests can check the rules directly.
 * Pure: no I/O, no allocation, no logging. */
#ifndef GATEWAY_PROVIDERS_WECHAT_KEYWORD_H
#define GATEWAY_PROVIDERS_WECHAT_KEYWORD_H

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

#endif
