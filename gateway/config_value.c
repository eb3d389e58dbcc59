/* config_value: the parsers of single configuration values, one for each kind a key can
 * have: text, a choice, whole numbers, hours, sizes with a K or M suffix, host:port,
 * HH:MM-HH:MM quiet hours, +08:00 offsets, the SMS signature, http(s) URLs, on/off and
 * WeChat's EncodingAESKey.
 * Called only through the key tables in config.c (see config_internal.h); each reads one
 * value into its destination or explains in why what is wrong and how to fix it.
 * Pure: no I/O, no state. config_value_str and config_value_url never quote the value, so
 * secrets and tokens in URLs stay out of messages; nor does config_value_aes_key. */
#include "config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_long(const char *v, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0)
		return -1;
	*out = x;
	return 0;
}

/* Exactly "HH:MM", 00:00 to 23:59. */
static int parse_hhmm(const char *s, int *min)
{
	for (int i = 0; i < 5; i++) {
		if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	}
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

int config_value_str(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v);

	if (k->min > 0 && len == 0)
		return fail(why, n, "is empty; give a value or delete the line for the default");
	if (len >= k->size)
		return fail(why, n, "is longer than %zu bytes; shorten it", k->size - 1);
	memcpy(dst, v, len + 1);
	return 0;
}

int config_value_choice(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v), w;

	for (const char *c = k->arg; len > 0 && *c != '\0'; c += w + (c[w] == '|')) {
		w = strcspn(c, "|");
		if (w == len && strncmp(c, v, len) == 0)
			return config_value_str(k, v, dst, why, n);
	}
	return fail(why, n, "\"%s\" is not allowed; use one of %s", v, k->arg);
}

int config_value_int(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	long x;

	if (parse_long(v, &x) < 0)
		return fail(why, n, "\"%s\" is not a whole number; use one from %ld to %ld", v,
			    k->min, k->max);
	if (x < k->min || x > k->max)
		return fail(why, n, "%ld is out of range; use a whole number from %ld to %ld", x,
			    k->min, k->max);
	*(int *)dst = (int)x;
	return 0;
}

/* Hours in the file, minutes in the struct. */
int config_value_hours(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	int h = 0;

	if (config_value_int(k, v, &h, why, n) < 0)
		return -1;
	*(int *)dst = h * 60;
	return 0;
}

/* Plain bytes, or a whole number of KiB / MiB with a K or M suffix. */
int config_value_size(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	unsigned long long x, mult = 1;
	char *end;

	errno = 0;
	x = (v[0] >= '0' && v[0] <= '9') ? strtoull(v, &end, 10) : 0;
	if (v[0] < '0' || v[0] > '9' || errno != 0)
		return fail(
			why, n,
			"\"%s\" is not a size; write bytes or a number with K or M (example: 1M)",
			v);
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end != '\0')
		return fail(
			why, n,
			"\"%s\" is not a size; write bytes or a number with K or M (example: 1M)",
			v);
	if (x > (unsigned long long)k->max / mult || x * mult < (unsigned long long)k->min)
		return fail(why, n, "\"%s\" is out of range; use a size from %s", v, k->arg);
	*(size_t *)dst = (size_t)(x * mult);
	return 0;
}

/* host:port, with [brackets] around an IPv6 host. Fills listen_host and listen_port. */
int config_value_listen(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	struct gw_config *cfg = dst;
	const char *colon = strrchr(v, ':'), *host = v;
	size_t hlen;
	long port;

	(void)k;
	if (colon == NULL || colon == v || parse_long(colon + 1, &port) < 0)
		return fail(why, n, "\"%s\" is not host:port (example: 127.0.0.1:8080)", v);
	hlen = (size_t)(colon - v);
	if (v[0] == '[' && colon[-1] == ']')
		host++, hlen = hlen >= 2 ? hlen - 2 : 0;
	if (hlen == 0 || hlen >= sizeof(cfg->listen_host))
		return fail(
			why, n,
			"the host part is empty or too long; write host:port (example: 127.0.0.1:8080)");
	if (port < 1 || port > 65535)
		return fail(why, n, "port %ld is out of range; use a port from 1 to 65535", port);
	memcpy(cfg->listen_host, host, hlen);
	cfg->listen_host[hlen] = '\0';
	cfg->listen_port = (int)port;
	return 0;
}

/* "HH:MM-HH:MM" in local time (may wrap midnight), or "off" (start == end: never quiet). */
int config_value_quiet(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	struct gw_config *cfg = dst;
	int a, b;

	(void)k;
	if (strcmp(v, "off") == 0) {
		cfg->quiet_start_min = cfg->quiet_end_min = 0;
		return 0;
	}
	if (strlen(v) != 11 || v[5] != '-' || parse_hhmm(v, &a) < 0 || parse_hhmm(v + 6, &b) < 0)
		return fail(why, n, "\"%s\" is not HH:MM-HH:MM (example: 21:00-08:00, or off)", v);
	if (a == b)
		return fail(why, n,
			    "\"%s\" starts and ends at the same time; write off for no quiet hours",
			    v);
	cfg->quiet_start_min = a;
	cfg->quiet_end_min = b;
	return 0;
}

int config_value_utc_offset(const struct config_key *k, const char *v, void *dst, char *why,
			    size_t n)
{
	int m;

	(void)k;
	if (strlen(v) != 6 || (v[0] != '+' && v[0] != '-') || parse_hhmm(v + 1, &m) < 0 ||
	    m > (v[0] == '+' ? 14 * 60 : 12 * 60))
		return fail(why, n,
			    "\"%s\" is not an offset from -12:00 to +14:00 (example: +08:00)", v);
	*(int *)dst = v[0] == '-' ? -m : m;
	return 0;
}

/* 【name】: the carrier rejects texts whose signature is not in full-width brackets. */
int config_value_signature(const struct config_key *k, const char *v, void *dst, char *why,
			   size_t n)
{
	size_t len = strlen(v);

	if (len < 7 || strncmp(v, "【", 3) != 0 || strcmp(v + len - 3, "】") != 0)
		return fail(
			why, n,
			"\"%s\" is not 【name】; use full-width brackets (example: 【幸福水务】)",
			v);
	return config_value_str(k, v, dst, why, n);
}

/* Never quotes the URL: query strings sometimes carry tokens. */
int config_value_url(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	if ((strncmp(v, "http://", 7) != 0 || v[7] == '\0') &&
	    (strncmp(v, "https://", 8) != 0 || v[8] == '\0'))
		return fail(
			why, n,
			"is not an http:// or https:// address; write the full URL (example: https://sms.example.com/send)");
	return config_value_str(k, v, dst, why, n);
}

/* A case number prefix: it goes into every number, on tickets and in SMS, so keep it short
 * and unambiguous. */
int config_value_prefix(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v);

	if (len > 8 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != len)
		return fail(why, n,
			    "\"%s\" is not 0-8 capital letters or digits (example: XFSW, giving "
			    "XFSW202611-00042)",
			    v);
	return config_value_str(k, v, dst, why, n);
}

int config_value_onoff(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	(void)k;
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return fail(why, n, "\"%s\" is not allowed; use on or off", v);
	*(int *)dst = strcmp(v, "on") == 0;
	return 0;
}

/* WeChat derives the AES key by base64-decoding the 43 characters plus "=": any other length
 * or character cannot decode to the 32-byte key, so it is refused here, not at the first
 * encrypted message. Never quotes the value: it is the key. */
int config_value_aes_key(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(v);

	if (len != 43)
		return fail(why, n,
			    "is %zu characters long, not 43; copy the EncodingAESKey again from "
			    "the Official Account's settings",
			    len);
	if (strspn(v, b64) != len)
		return fail(why, n,
			    "has characters other than letters, digits, + and /; copy the "
			    "EncodingAESKey again from the Official Account's settings");
	return config_value_str(k, v, dst, why, n);
}
