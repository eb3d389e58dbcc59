/* wechat_callback_internal: what the WeChat callback's two files (wechat_callback.c for the
 * signatures, the window and secure mode; wechat_callback_xml.c for the pushed XML) share.
 * Nobody outside these two files includes this file. */
#ifndef GATEWAY_WECHAT_CALLBACK_INTERNAL_H
#define GATEWAY_WECHAT_CALLBACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Digits of a timestamp or CreateTime: seconds since the epoch have 10 until 2286. */
#define WECHAT_CB_TIME_DIGITS 12

/* True when s is 1 to max decimal digits and nothing else (no sign, no spaces); their
 * value is then in *out. */
bool wechat_cb_decimal(const char *s, size_t max, int64_t *out);

#endif
