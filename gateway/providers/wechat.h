/* providers/wechat: WeChat Official Account template messages (provider_wechat). The
 * worker reaches it through the provider_ops table only; how each keyword's value is
 * cleaned lives in wechat_keyword.h. */
#ifndef GATEWAY_PROVIDERS_WECHAT_H
#define GATEWAY_PROVIDERS_WECHAT_H

#include "provider.h"

extern const struct provider_ops provider_wechat;

#endif
