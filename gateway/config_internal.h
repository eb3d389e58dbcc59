/* config_internal: what the configuration's files share. config.c parses the file into one
 * loader (struct config_loader, opaque here), reading each value with a parser from
 * config_value.c named in its key table (template.KIND and params.KIND keys get their row
 * from config_template.c), and then calls config_check_all from config_check.c, which looks
 * at the parsed values through the accessors below. All report through config_problem
 * (config_problem.c). Nobody outside these five files includes this file. */
#ifndef GATEWAY_CONFIG_INTERNAL_H
#define GATEWAY_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"

/* A section [provider.NAME] defines the provider NAME. */
#define CONFIG_PROVIDER_PREFIX "provider."

/* One config_load_opts call's state: the configuration being built, where each key was set
 * and the problems so far. Defined in config.c. */
struct config_loader;

/* Where a key's value lands: in struct gw_config, struct provider_config, struct
 * provider_template, or the values that config.c keeps aside because only the checks need
 * them (the *_env names, [sms]/[wechat] providers as written). */
enum config_key_base { CONFIG_BASE_CFG, CONFIG_BASE_PROV, CONFIG_BASE_TEMPLATE, CONFIG_BASE_EXTRA };

/* One configuration key. parse() reads v into dst (base + off) or explains in why what is
 * wrong and how to fix it. config_value_str and config_value_url never quote the value, so
 * secrets and tokens in URLs stay out of messages. Setters that fill several fields take the
 * whole struct (off 0). */
struct config_key {
	const char *section; /* "provider.*" for provider keys */
	const char *name;
	int (*parse)(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
	enum config_key_base base;
	size_t off;
	size_t size; /* capacity of dst */
	long min, max; /* numbers: range in the file's unit; strings: min 1 = required */
	const char *arg; /* choices "a|b", the range of a size in words, or a template's kind */
};

/* The problems one load has found so far; the loader holds one, config_problem fills it. */
struct config_problem_log {
	const char *path; /* as the caller wrote it, for messages */
	struct config_problems probs;
	int more; /* problems that did not fit in probs */
	char first_key[64];
};

/* ---- config.c ---- */

/* The configuration being built; config_check.c writes into it only values from the
 * environment, the lists of providers per channel, and wipes secrets. */
struct gw_config *config_loader_cfg(struct config_loader *ld);
/* The loader's problems, for config_problem. */
struct config_problem_log *config_loader_problems(struct config_loader *ld);
/* The row of key [sec] name; sec is "provider.*" for provider keys. NULL if there is none. */
const struct config_key *config_key_find(const char *sec, const char *name);
/* The text of a key kept aside (base CONFIG_BASE_EXTRA): of [sec] name, or of provider i's
 * name. "" when it was not set or is not such a key. */
const char *config_loader_extra(const struct config_loader *ld, const char *sec, const char *name);
const char *config_loader_provider_extra(const struct config_loader *ld, int i, const char *name);
/* Line where [sec] name was set, 0 when it keeps its default or is no known key. */
int config_key_line(const struct config_loader *ld, const char *sec, const char *name);
/* Line where provider i's key name was set, 0 when it was not set. */
int config_provider_key_line(const struct config_loader *ld, int i, const char *name);
/* Line where provider i's template.KIND (params 0) or params.KIND (params 1) was set, for
 * the kind config_template_kind(kind) names; 0 when it was not set. */
int config_template_line(const struct config_loader *ld, int i, int kind, int params);

/* ---- config_value.c ---- */

/* The parsers of struct config_key: each reads v into dst and returns 0, or returns -1 with
 * what is wrong and how to fix it in why (capacity n); dst is written only on success. */

/* Text up to k->size - 1 bytes; k->min > 0: it must not be empty. */
int config_value_str(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* One of the words in k->arg ("a|b"), stored as text. */
int config_value_choice(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* A whole number from k->min to k->max, into an int. */
int config_value_int(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* Whole hours from k->min to k->max, stored as minutes in an int. */
int config_value_hours(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* Bytes, or KiB / MiB with a K or M suffix, from k->min to k->max bytes, into a size_t;
 * k->arg is that range in words for the message. */
int config_value_size(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* host:port ([host]:port for IPv6) into dst's listen_host and listen_port (dst: gw_config). */
int config_value_listen(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* HH:MM-HH:MM or off into dst's quiet_start_min and quiet_end_min (dst: gw_config). */
int config_value_quiet(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* +HH:MM / -HH:MM from -12:00 to +14:00, as minutes east of UTC in an int. */
int config_value_utc_offset(const struct config_key *k, const char *v, void *dst, char *why,
			    size_t n);
/* An SMS signature in full-width brackets (【name】), stored as text. */
int config_value_signature(const struct config_key *k, const char *v, void *dst, char *why,
			   size_t n);
/* An http:// or https:// address, stored as text; never quoted in why. */
int config_value_url(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* A case number prefix: 0-8 of A-Z 0-9, stored as text. */
int config_value_prefix(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* on or off, into an int (1 or 0). */
int config_value_onoff(const struct config_key *k, const char *v, void *dst, char *why, size_t n);
/* A WeChat EncodingAESKey: exactly 43 characters of the base64 alphabet, stored as text;
 * never quoted in why (it is a secret). */
int config_value_aes_key(const struct config_key *k, const char *v, void *dst, char *why, size_t n);

/* ---- config_problem.c ---- */

/* Records "FILE:LINE: [sec] key: what". line 0 means no line; sec and key may be NULL.
 * Never pass a secret's value in fmt's arguments. */
void config_problem(struct config_loader *ld, int line, const char *sec, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Appends item to the comma-separated list in buf (capacity n); a full buffer is cut short. */
void config_join(char *buf, size_t n, const char *item);
/* 1 when typed is close enough to known to be a typo of it (worth a "did you mean"). */
int config_problem_is_typo(const char *typed, const char *known);
/* Records that key name, at line in section at, is unknown, with a hint from the n keys of t:
 * the section it belongs to, the key it is a typo of, or the keys there are. sec: the
 * section of t whose keys count here (NULL: all of t, as for [provider.NAME]). */
void config_problem_unknown_key(struct config_loader *ld, int line, const char *at,
				const struct config_key *t, size_t n, const char *sec,
				const char *name);
/* Records that section name, at line, is unknown, with the section it is a typo of or the
 * list of known ones: those of t's n keys (grouped by section), then provider.NAME. */
void config_problem_unknown_section(struct config_loader *ld, int line, const struct config_key *t,
				    size_t n, const char *name);
/* Copies pl's problems to *probs (may be NULL) and fills e from the first. Returns 0 when
 * there are none, else rc (ERR_INVALID when rc is 0). */
int config_problem_report(struct config_problem_log *pl, int rc, struct config_problems *probs,
			  struct err *e);

/* ---- config_template.c ---- */

/* The message kinds a provider can have a template for (planned, emergency, ...): kind
 * 0 .. config_template_nkinds() - 1, at most PROVIDER_MAX_TEMPLATES. */
int config_template_nkinds(void);
const char *config_template_kind(int kind);
/* Classifies a provider key name. Returns 1 when it is no template key (look for it in the
 * key table); 0 when it is template.KIND or params.KIND of a known kind: *row is the key's
 * row (name points into name; base CONFIG_BASE_TEMPLATE), *kind its index, *params 1 for
 * params.KIND; -1 when it looks like one but is wrong: why (capacity n) says how to fix it,
 * with a "did you mean" for a misspelt prefix or kind. */
int config_template_row(const char *name, struct config_key *row, int *kind, int *params, char *why,
			size_t n);
/* Records a problem for each template.KIND and params.KIND that provider i (section sec,
 * type type) lacks: providers that send approved templates need both for every kind. */
void config_template_check(struct config_loader *ld, int i, const char *sec, const char *type);

/* ---- config_check.c ---- */

/* Runs the checks that involve more than one key, after the whole file is parsed, reads
 * secrets from the environment (flags: CONFIG_SKIP_SECRETS: not read, and every secret is
 * wiped), and fills the lists of providers per channel. Problems go to ld. */
void config_check_all(struct config_loader *ld, unsigned flags);

#endif
