/* providers/wecom: WeCom (企业微信) group robot messages for staff alerts (provider_wecom),
 * and the merge of pending alerts into one message, which the robot's 20 messages a minute
 * make necessary. Exposed here for the worker and the unit tests. */
#ifndef GATEWAY_PROVIDERS_WECOM_H
#define GATEWAY_PROVIDERS_WECOM_H

#include <stddef.h>

#include "provider.h"

/* A markdown message's content may hold at most this many bytes of UTF-8. */
#define WECOM_MARKDOWN_MAX 4096

/* Merges alerts[0..n) into one markdown text in out: the line "**K 条待处理提醒**", then
 * each of the first K alerts after a blank line, K as many as fit in
 * min(WECOM_MARKDOWN_MAX, outsz - 1) bytes; *used = K, and the caller keeps the rest for
 * the next message. When even the first alert does not fit on its own, it is cut on a UTF-8
 * boundary and ends in "…", and K = 1, so the queue always moves. n == 0 gives "" and
 * *used = 0. Returns 0, or ERR_TOOBIG when outsz cannot hold the header and a marker
 * (out and *used are then untouched). */
int wecom_merge(const char *const *alerts, size_t n, char *out, size_t outsz, size_t *used);

extern const struct provider_ops provider_wecom;

#endif
