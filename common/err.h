/* err: the error value every fallible function fills.
 * Owns: error codes and the human message that goes with a failure (what, where, how to fix).
 * Called by: everything. Never allocates; messages are truncated to fit. */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

enum err_code {
	ERR_OK = 0,
	ERR_INVALID = -22, /* bad input from a user: 400 */
	ERR_NOTFOUND = -2, /* 404 */
	ERR_CONFLICT = -17, /* 409 */
	ERR_FORBIDDEN = -13, /* 403 */
	ERR_UNAUTH = -1, /* 401 */
	ERR_TOOBIG = -27, /* 413 */
	ERR_IO = -5, /* storage or network trouble: 500/503 */
	ERR_NOMEM = -12,
	ERR_INTERNAL = -71,
};

struct err {
	int code;
	char field[64]; /* the offending field, key or column; "" when none */
	char msg[512]; /* full sentence for a human */
};

/* Sets code, field (may be NULL) and a printf-style message; returns code so that callers
 * can write `return err_set(e, ERR_INVALID, "start", "...")`. e may be NULL. */
int err_set(struct err *e, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void err_clear(struct err *e);
/* Short machine name of a code, e.g. "invalid", "not_found". */
const char *err_code_name(int code);

#endif
