/* ctl_util: parsing what gatewayctl's user types and wording what the gateway answers.
 * Pure: no I/O, no clock, no globals; the time parser is hand-written because strptime
 * accepts too much (single digits, trailing junk) and knows nothing of "+0800" vs "+08:00",
 * and getdate/ICU would be a large dependency for six fixed fields. */
#include "ctl_util.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The farthest offsets in use anywhere (UTC-12 .. UTC+14). */
#define MAX_OFFSET_MIN (14 * 60)
/* How much of a non-JSON error body is quoted back to the operator. */
#define QUOTE_MAX 200

struct ctl_tm {
	int year, mon, day, hour, min, sec;
	int off_min;
	bool has_off;
};

static const char time_forms[] =
	"write it as 2026-11-23 09:00 (local time, +08:00) or as ISO 8601 with an offset, "
	"e.g. 2026-11-23T09:00:00+08:00";

/* Reads exactly n decimal digits at *p and advances past them. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* The rest after the clock time: nothing, "Z", "+08", "+0800" or "+08:00". */
static bool parse_offset(const char *p, struct ctl_tm *t)
{
	int sign, h, m = 0;

	if (*p == '\0')
		return true;
	t->has_off = true;
	if (strcmp(p, "Z") == 0)
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h))
		return false;
	if (*p != '\0') {
		lit(&p, ':');
		if (!digits(&p, 2, &m) || *p != '\0' || m > 59)
			return false;
	}
	t->off_min = sign * (h * 60 + m);
	return true;
}

static bool parse_time(const char *s, struct ctl_tm *t)
{
	const char *p = s;

	memset(t, 0, sizeof(*t));
	if (!digits(&p, 4, &t->year) || !lit(&p, '-') || !digits(&p, 2, &t->mon) || !lit(&p, '-') ||
	    !digits(&p, 2, &t->day))
		return false;
	if (!lit(&p, ' ') && !lit(&p, 'T'))
		return false;
	if (!digits(&p, 2, &t->hour) || !lit(&p, ':') || !digits(&p, 2, &t->min))
		return false;
	if (lit(&p, ':')) {
		if (!digits(&p, 2, &t->sec))
			return false;
		/* Fractions of a second mean nothing for an outage; accept and drop them. */
		if (lit(&p, '.')) {
			if (!isdigit((unsigned char)*p))
				return false;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	return parse_offset(p, t);
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* The name of the first field out of range, or NULL. */
static const char *out_of_range(const struct ctl_tm *t)
{
	if (t->mon < 1 || t->mon > 12)
		return "the month";
	if (t->day < 1 || t->day > days_in_month(t->year, t->mon))
		return "the day";
	if (t->hour > 23)
		return "the hour";
	if (t->min > 59)
		return "the minute";
	if (t->sec > 59)
		return "the second";
	if (t->off_min > MAX_OFFSET_MIN || t->off_min < -MAX_OFFSET_MIN)
		return "the offset";
	return NULL;
}

int ctl_time_to_iso(const char *in, int local_offset_min, char out[CTL_TIME_LEN], struct err *e)
{
	struct ctl_tm t;
	const char *bad;
	char buf[64];
	int off, n;

	assert(local_offset_min >= -MAX_OFFSET_MIN && local_offset_min <= MAX_OFFSET_MIN);
	if (!parse_time(in, &t))
		return err_set(e, ERR_INVALID, NULL, "'%s' is not a time; %s", in, time_forms);
	bad = out_of_range(&t);
	if (bad != NULL)
		return err_set(e, ERR_INVALID, NULL, "'%s' is not a valid time: %s is out of range",
			       in, bad);
	off = t.has_off ? t.off_min : local_offset_min;
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", t.year, t.mon,
		     t.day, t.hour, t.min, t.sec, off < 0 ? '-' : '+', abs(off) / 60,
		     abs(off) % 60);
	if (n < 0 || n >= CTL_TIME_LEN)
		return err_set(e, ERR_INTERNAL, NULL, "time '%s' does not fit", in);
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

int ctl_url_normalize(const char *url, char *out, size_t outsz, struct err *e)
{
	size_t len = strlen(url), skip;

	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return err_set(e, ERR_INVALID, "url",
			       "the gateway URL '%s' must start with http:// or https://, "
			       "e.g. http://127.0.0.1:8080",
			       url);
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)url[i]))
			return err_set(e, ERR_INVALID, "url",
				       "the gateway URL '%s' contains a space or control character",
				       url);
	while (len > skip && url[len - 1] == '/')
		len--;
	if (len == skip)
		return err_set(e, ERR_INVALID, "url", "the gateway URL '%s' has no host", url);
	if (len >= outsz)
		return err_set(e, ERR_TOOBIG, "url", "the gateway URL is longer than %zu bytes",
			       outsz - 1);
	memcpy(out, url, len);
	out[len] = '\0';
	return 0;
}

int ctl_url_escape(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';

		if (n + (plain ? 1 : 3) >= outsz)
			return ERR_TOOBIG;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n >= outsz)
		return ERR_TOOBIG;
	out[n] = '\0';
	return 0;
}

bool ctl_key_usable(const char *key)
{
	size_t len = strlen(key);

	if (len == 0 || len > 400)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)key[i]))
			return false;
	return true;
}

/* Digits only: strtoll alone would accept " 12", "+12" and "12abc". */
static int parse_decimal(const char *s, long long max, long long *out)
{
	long long v;
	char *end;

	if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
		return ERR_INVALID;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v > max)
		return ERR_INVALID;
	*out = v;
	return 0;
}

int ctl_parse_id(const char *s, int64_t *out)
{
	long long v;

	if (parse_decimal(s, INT64_MAX, &v) < 0 || v == 0)
		return ERR_INVALID;
	*out = v;
	return 0;
}

int ctl_parse_count(const char *s, long max, long *out)
{
	long long v;

	if (parse_decimal(s, max, &v) < 0)
		return ERR_INVALID;
	*out = (long)v;
	return 0;
}

bool ctl_answer_yes(const char *line)
{
	size_t start = strspn(line, " \t"), len = strlen(line);

	while (len > start && strchr(" \t\r\n", line[len - 1]) != NULL)
		len--;
	len -= start;
	return (len == 1 && strncasecmp(line + start, "y", 1) == 0) ||
		(len == 3 && strncasecmp(line + start, "yes", 3) == 0);
}

void ctl_opt_error(int ch, int opt, const char *arg, char *out, size_t outsz)
{
	const char *eq = strchr(arg, '=');

	if (ch == ':')
		snprintf(out, outsz, "option %s needs a value", arg);
	else if (opt == 0)
		snprintf(out, outsz, "unknown option %s", arg);
	else if (strncmp(arg, "--", 2) == 0 && eq != NULL)
		snprintf(out, outsz, "option %.*s takes no value", (int)(eq - arg), arg);
	else
		snprintf(out, outsz, "unknown option -%c",
			 opt > 0 && opt < 128 && isgraph(opt) ? opt : '?');
}

int ctl_opt_fail(int ch, char **argv, struct err *e)
{
	char msg[256];

	ctl_opt_error(ch, optopt, argv[optind > 0 ? optind - 1 : 0], msg, sizeof(msg));
	return err_set(e, ERR_INVALID, NULL, "%s", msg);
}

int ctl_args_plain(int argc, char **argv, const char *what, bool *help, struct err *e)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	/* optind 0 makes glibc's getopt start afresh for each command parsed. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch != 'h')
			return ctl_opt_fail(ch, argv, e);
		*help = true;
		return 0;
	}
	if (argc - optind != 1)
		return err_set(e, ERR_INVALID, NULL,
			       argc == optind ? "missing %s" : "expected only %s", what);
	*help = false;
	return optind;
}

static int code_for_status(long status)
{
	switch (status) {
	case 400: return ERR_INVALID;
	case 401: return ERR_UNAUTH;
	case 403: return ERR_FORBIDDEN;
	case 404: return ERR_NOTFOUND;
	case 409: return ERR_CONFLICT;
	case 413: return ERR_TOOBIG;
	default: return ERR_IO;
	}
}

/* The first line of a body that is not ours (a proxy's page), made safe for a terminal. */
static void quote_first_line(const char *body, char *out, size_t outsz)
{
	size_t n = body ? strcspn(body, "\r\n") : 0;

	if (n > QUOTE_MAX || n >= outsz) {
		n = QUOTE_MAX < outsz - 1 ? QUOTE_MAX : outsz - 1;
		/* Back off to a UTF-8 character boundary. */
		while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = iscntrl((unsigned char)body[i]) ? '?' : body[i];
	out[n] = '\0';
}

int ctl_api_error(long status, const char *body, bool have_key, struct err *e)
{
	int code = code_for_status(status);
	json_t *root = body ? json_loads(body, 0, NULL) : NULL;
	json_t *error = json_object_get(root, "error");
	const char *msg = ctl_json_str(error, "message"), *field = ctl_json_str(error, "field");
	const char *hint = status == 401 && !have_key
		? "; no API key was given: set GATEWAY_KEY or use --key"
		: "";
	char line[QUOTE_MAX + 1];

	if (*msg != '\0' && *field != '\0') {
		err_set(e, code, field, "%s (field: %s)%s", msg, field, hint);
	} else if (*msg != '\0') {
		err_set(e, code, NULL, "%s%s", msg, hint);
	} else {
		quote_first_line(body, line, sizeof(line));
		err_set(e, code, NULL, "the gateway answered HTTP %ld%s%s%s", status,
			line[0] ? ": " : " with no explanation", line, hint);
	}
	json_decref(root);
	return code;
}

const char *ctl_json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int64_t ctl_json_int(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

void ctl_import_summary(const json_t *report, char *out, size_t outsz)
{
	const char *enc = ctl_json_str(report, "encoding");
	int n;

	n = snprintf(out, outsz,
		     "%" PRId64 " rows: %" PRId64 " created, %" PRId64 " updated, %" PRId64
		     " unchanged, %" PRId64 " skipped",
		     ctl_json_int(report, "rows"), ctl_json_int(report, "created"),
		     ctl_json_int(report, "updated"), ctl_json_int(report, "unchanged"),
		     ctl_json_int(report, "skipped"));
	if (n >= 0 && (size_t)n < outsz && *enc != '\0')
		snprintf(out + n, outsz - (size_t)n, " (encoding %s)", enc);
}

void ctl_import_error_line(const json_t *error, char *out, size_t outsz)
{
	int64_t line = ctl_json_int(error, "line");
	const char *field = ctl_json_str(error, "field");
	const char *msg = ctl_json_str(error, "message");
	int n = 0;

	out[0] = '\0';
	if (line > 0)
		n = snprintf(out, outsz, "line %" PRId64 ": ", line);
	if (n >= 0 && (size_t)n < outsz)
		snprintf(out + n, outsz - (size_t)n, "%s%s%s", field, *field ? ": " : "", msg);
}

void ctl_progress_from_json(const json_t *progress, struct ctl_progress *out)
{
	out->queued = ctl_json_int(progress, "queued");
	out->sending = ctl_json_int(progress, "sending");
	out->sent = ctl_json_int(progress, "sent");
	out->delivered = ctl_json_int(progress, "delivered");
	out->failed = ctl_json_int(progress, "failed");
	out->skipped = ctl_json_int(progress, "skipped");
	out->superseded = ctl_json_int(progress, "superseded");
	out->expired = ctl_json_int(progress, "expired");
}

int64_t ctl_progress_total(const struct ctl_progress *p)
{
	return p->queued + p->sending + p->sent + p->delivered + p->failed + p->skipped +
		p->superseded + p->expired;
}

bool ctl_progress_equal(const struct ctl_progress *a, const struct ctl_progress *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void appendf(char *out, size_t outsz, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends to out, keeping *len <= outsz - 1 when the text does not fit. */
static void appendf(char *out, size_t outsz, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= outsz)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, outsz - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < outsz ? *len + (size_t)n : outsz - 1;
}

static void append_bar(char *out, size_t outsz, size_t *len, int width, int64_t finished,
		       int64_t total)
{
	int filled = total > 0 ? (int)(finished * width / total) : width;
	char bar[CTL_BAR_MAX + 1];

	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '-', (size_t)(width - filled));
	bar[width] = '\0';
	appendf(out, outsz, len, "[%s] ", bar);
}

void ctl_progress_format(const struct ctl_progress *p, int bar_width, char *out, size_t outsz)
{
	int64_t total = ctl_progress_total(p), pending = p->queued + p->sending;
	size_t len = 0;

	assert(outsz > 0);
	out[0] = '\0';
	if (bar_width > CTL_BAR_MAX)
		bar_width = CTL_BAR_MAX;
	if (bar_width > 0)
		append_bar(out, outsz, &len, bar_width, total - pending, total);
	appendf(out, outsz, &len,
		"%" PRId64 "/%" PRId64 " sent %" PRId64 " failed %" PRId64 " queued %" PRId64,
		total - pending, total, p->sent + p->delivered, p->failed, pending);
	if (p->skipped > 0)
		appendf(out, outsz, &len, " skipped %" PRId64, p->skipped);
	if (p->superseded > 0)
		appendf(out, outsz, &len, " superseded %" PRId64, p->superseded);
	if (p->expired > 0)
		appendf(out, outsz, &len, " expired %" PRId64, p->expired);
}

bool ctl_watch_should_print(bool tty, bool first, bool changed, bool done, int64_t since_last_ms)
{
	if (first)
		return true;
	if (!changed)
		return false;
	return tty || done || since_last_ms >= 1000;
}

int ctl_set_once(const char **slot, const char *name, const char *val, struct err *e)
{
	if (*slot != NULL)
		return err_set(e, ERR_INVALID, name, "--%s is given twice", name);
	*slot = val;
	return 0;
}

int ctl_parse_version(const char *val, int64_t *out, struct err *e)
{
	if (ctl_parse_id(val, out) < 0)
		return err_set(e, ERR_INVALID, "version",
			       "--version '%s' is not a version (a positive number, as `case show` "
			       "prints it)",
			       val);
	return 0;
}
