/* provider: the table of delivery providers and the names of the four outcomes.
 * Called by the worker (and config validation) to turn a config type into its ops. Adding a
 * provider means one file in providers/ and one line in the table below; nothing here may
 * know how any provider works. */
#include "provider.h"

#include <string.h>

/* Defined in providers/<type>.c. */

static const struct provider_ops *const providers[] = {
	&provider_file,    &provider_webhook, &provider_aliyun,
	&provider_tencent, &provider_wechat,  &provider_wecom,
};

const struct provider_ops *provider_find(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		if (strcmp(providers[i]->type, type) == 0)
			return providers[i];
	}
	return NULL;
}

const char *outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_OK: return "ok";
	case OUTCOME_RETRY: return "retry";
	case OUTCOME_THROTTLED: return "throttled";
	case OUTCOME_PERMANENT: return "permanent";
	case OUTCOME_UNKNOWN: return "unknown";
	}
	return "unknown";
}
