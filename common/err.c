/* err: filling and naming errors. Pure; no I/O. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

const char *err_code_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INVALID: return "invalid";
	case ERR_NOTFOUND: return "not_found";
	case ERR_CONFLICT: return "conflict";
	case ERR_FORBIDDEN: return "forbidden";
	case ERR_UNAUTH: return "unauthorized";
	case ERR_TOOBIG: return "too_large";
	case ERR_IO: return "io";
	case ERR_NOMEM: return "no_memory";
	default: return "internal";
	}
}
