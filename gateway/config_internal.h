/* config_internal: what the configuration's two files share. config.c parses the file into
 * one loader (struct config_loader, opaque here) and then calls config_check_all from
 * config_check.c, which looks at the parsed values through the accessors below and reports
 * through config_problem. Nobody outside config.c and config_check.c includes this file. */
#ifndef GATEWAY_CONFIG_INTERNAL_H
#define GATEWAY_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"

/* A section [provider.NAME] defines the provider NAME. */
#define CONFIG_PROVIDER_PREFIX "provider."

/* One config_load_opts call's state: the configuration being built, where each key was set
 * and the problems so far. Defined in config.c. */
struct config_loader;

/* ---- config.c ---- */

/* The configuration being built; config_check.c writes only providers' secrets into it. */
struct gw_config *config_loader_cfg(struct config_loader *ld);
/* Provider i's secret_env value ("" when not set). */
const char *config_loader_secret_env(const struct config_loader *ld, int i);
/* Line where [sec] name was set, 0 when it keeps its default or is no known key. */
int config_key_line(const struct config_loader *ld, const char *sec, const char *name);
/* Line where provider i's key name was set, 0 when it was not set. */
int config_provider_key_line(const struct config_loader *ld, int i, const char *name);
/* Records "FILE:LINE: [sec] key: what". line 0 means no line; sec and key may be NULL.
 * Never pass a secret's value in fmt's arguments. */
void config_problem(struct config_loader *ld, int line, const char *sec, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Appends item to the comma-separated list in buf (capacity n); a full buffer is cut short. */
void config_join(char *buf, size_t n, const char *item);

/* ---- config_check.c ---- */

/* Runs the checks that involve more than one key, after the whole file is parsed, and
 * resolves providers' secrets (flags: CONFIG_SKIP_SECRETS). Problems go to ld. */
void config_check_all(struct config_loader *ld, unsigned flags);

#endif
