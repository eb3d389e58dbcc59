/* ctl_util: the pure helpers of gatewayctl.
 * Owns: turning what an operator types into what the API wants (times as ISO 8601 with an
 * offset, the base URL, escaped path segments, ids, yes/no answers) and turning what the API
 * answers into lines for a human (error sentences, import reports, the progress line and
 * when to print it). Called by gatewayctl.c, ctl_api.c and ctl_notice.c.
 * No I/O: every function writes into a caller's buffer. Never sees the API key's value
 * except to check that it can travel in a header. */
#ifndef GATEWAY_CTL_UTIL_H
#define GATEWAY_CTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* Exit statuses of gatewayctl; scripts rely on them, so never renumber. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1, /* the gateway said no, or could not be reached */
	CTL_EXIT_USAGE = 2, /* bad command line */
	CTL_EXIT_FAILED = 4, /* notice watch: done, but some messages failed */
	CTL_EXIT_HELP = 100, /* internal: --help was asked; main prints usage and exits 0 */
};

/* Local times typed without an offset are China Standard Time (no DST). */
#define CTL_LOCAL_OFFSET_MIN 480
/* "2026-11-23T09:00:00+08:00" plus NUL. */
#define CTL_TIME_LEN 26

/* Converts "2026-11-23 09:00", "2026-11-23T09:00", either with ":SS" (fractions are
 * dropped), or any of those followed by an offset ("Z", "+08:00", "+0800", "+08") into
 * "2026-11-23T09:00:00+08:00". Times without an offset get local_offset_min. Checks the
 * calendar (2026-02-29 is refused). Returns 0, or ERR_INVALID with a message that quotes the
 * input and shows the accepted forms; out is written only on success. */
int ctl_time_to_iso(const char *in, int local_offset_min, char out[CTL_TIME_LEN], struct err *e);

/* Checks that url is http:// or https:// with a host and copies it without trailing
 * slashes. ERR_INVALID when not; ERR_TOOBIG when it does not fit. */
int ctl_url_normalize(const char *url, char *out, size_t outsz, struct err *e);
/* Percent-encodes everything but RFC 3986 unreserved characters, for a path segment or a
 * query value. ERR_TOOBIG when out is too small. */
int ctl_url_escape(const char *s, char *out, size_t outsz);
/* True when key can be sent in an Authorization header (printable ASCII, no spaces,
 * 1..400 bytes). Used to refuse a pasted key with a line break instead of mangling it. */
bool ctl_key_usable(const char *key);

/* Parses a positive decimal id (a notice id). 0 or ERR_INVALID. */
int ctl_parse_id(const char *s, int64_t *out);
/* --version V: a positive number, as `case show` prints it; ERR_INVALID otherwise. */
int ctl_parse_version(const char *val, int64_t *out, struct err *e);
/* Stores an option's value in *slot; ERR_INVALID ("--NAME is given twice") when it was
 * set before. */
int ctl_set_once(const char **slot, const char *name, const char *val, struct err *e);
/* Parses a non-negative decimal count up to max. 0 or ERR_INVALID. */
int ctl_parse_count(const char *s, long max, long *out);
/* True for "y" or "yes" in any case, with surrounding blanks and a line end allowed. */
bool ctl_answer_yes(const char *line);
/* A getopt_long failure as one sentence: ch is what getopt returned ('?' or ':', with ':'
 * first in the optstring), opt is optopt and arg is argv[optind - 1]. */
void ctl_opt_error(int ch, int opt, const char *arg, char *out, size_t outsz);

/* The command-line helpers below use getopt_long, and so its globals (optind, optopt). */

/* ctl_opt_error as an ERR_INVALID in e, for the getopt_long loop that just returned ch
 * ('?' or ':'); argv is the array that loop parses. */
int ctl_opt_fail(int ch, char **argv, struct err *e);
/* Parses the words of a command that takes only -h/--help and exactly one argument (what
 * names it in messages: "a notice id"). Returns the index of that argument in argv (getopt
 * may have moved it), 0 with *help set for --help, or ERR_INVALID. */
int ctl_args_plain(int argc, char **argv, const char *what, bool *help, struct err *e);

/* Fills e from an HTTP answer that is not 2xx: the API's {"error":{...}} becomes
 * "<message> (field: x)"; anything else "the gateway answered HTTP 502: <first line>".
 * A 401 without a key adds how to give one. Returns the err code (ERR_INVALID for 400,
 * ERR_UNAUTH, ERR_FORBIDDEN, ERR_NOTFOUND, ERR_CONFLICT, ERR_TOOBIG, else ERR_IO). */
int ctl_api_error(long status, const char *body, bool have_key, struct err *e);

/* The string member key of o, or "" when o is not an object or the member is missing or
 * not a string. Never NULL. */
const char *ctl_json_str(const json_t *o, const char *key);
/* The integer member key of o, or 0 when missing or not an integer. */
int64_t ctl_json_int(const json_t *o, const char *key);

/* "N rows: X created, Y updated, Z unchanged, W skipped (encoding gb18030)". */
void ctl_import_summary(const json_t *report, char *out, size_t outsz);
/* One entry of an import report's "errors": "line 5: 手机号: message". */
void ctl_import_error_line(const json_t *error, char *out, size_t outsz);

/* A notice's "progress" counts. */
struct ctl_progress {
	int64_t queued, sending, sent, delivered, failed, skipped, superseded, expired;
};

#define CTL_BAR_MAX 100

/* Missing members count 0; p NULL or not an object gives all zeros. */
void ctl_progress_from_json(const json_t *progress, struct ctl_progress *out);
int64_t ctl_progress_total(const struct ctl_progress *p);
bool ctl_progress_equal(const struct ctl_progress *a, const struct ctl_progress *b);
/* "[#####-----] 5230/10000 sent 5200 failed 30 queued 4770" ("sent" counts delivered too,
 * "queued" counts sending too; skipped, superseded and expired are added when non-zero).
 * bar_width 0 leaves out the bar; it is capped at CTL_BAR_MAX. */
void ctl_progress_format(const struct ctl_progress *p, int bar_width, char *out, size_t outsz);
/* Whether the watch loop prints this poll. On a terminal the line is redrawn whenever it
 * changed; in a log, a changed line is printed at most once a second, but the final one
 * always. changed compares with the last line printed, not the last poll. */
bool ctl_watch_should_print(bool tty, bool first, bool changed, bool done, int64_t since_last_ms);

#endif
