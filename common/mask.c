/* mask: what the public and the logs may see of names, openids and account numbers (PIPL),
 * and of the phone numbers that free text such as a provider's error message may quote.
 * Called by the kiosk pages, API responses for the public, every log line that names a
 * resident, and the providers' reasons. Pure: no I/O, no allocation. Works on UTF-8
 * characters, never cuts one in half, and never shows a name, openid or account whole: one
 * too short to keep anything is all stars. */
#include "mask.h"

#include <stdbool.h>
#include <string.h>

#include "utf8.h"

#define OPENID_HEAD 4
#define OPENID_TAIL 2
#define ACCOUNT_TAIL 4
/* 7 digits catch a local landline as well as every mobile form (138..., 86138..., +86...);
 * the last 4 are what a person needs to tell two numbers apart. */
#define DIGIT_RUN_MIN 7
#define DIGIT_RUN_TAIL 4

/* Output that fills buf up to its size and then stops, so that it stays NUL-terminated
 * and never ends in half a character. */
struct out {
	char *buf;
	size_t sz, n;
	bool full;
};

/* Starts o on buf; returns false when there is nothing to write (no buffer or no input). */
static bool out_start(struct out *o, char *buf, size_t sz, const char *in)
{
	o->buf = buf;
	o->sz = sz;
	o->n = 0;
	o->full = false;
	if (buf == NULL || sz == 0)
		return false;
	buf[0] = '\0';
	return in != NULL && in[0] != '\0';
}

static void out_put(struct out *o, const char *s, size_t len)
{
	if (o->full || o->n + len >= o->sz) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n] = '\0';
}

static void out_stars(struct out *o, size_t count)
{
	for (size_t i = 0; i < count; i++)
		out_put(o, "*", 1);
}

/* Copies up to count characters of s; a malformed character shows as '?' rather than
 * passing bad UTF-8 on to a page or a log. */
static void out_chars(struct out *o, const char *s, size_t count)
{
	for (size_t i = 0; i < count && *s != '\0'; i++) {
		size_t n = utf8_prefix_bytes(s, 1);

		if (utf8_valid(s, n, NULL))
			out_put(o, s, n);
		else
			out_put(o, "?", 1);
		s += n;
	}
}

void mask_name(const char *name, char *out, size_t outsz)
{
	struct out o;

	if (!out_start(&o, out, outsz, name))
		return;
	out_chars(&o, name, 1);
	out_stars(&o, utf8_chars(name) - 1);
}

void mask_openid(const char *openid, char *out, size_t outsz)
{
	struct out o;
	size_t n;

	if (!out_start(&o, out, outsz, openid))
		return;
	n = utf8_chars(openid);
	if (n <= OPENID_HEAD + OPENID_TAIL) {
		out_stars(&o, 3);
		return;
	}
	out_chars(&o, openid, OPENID_HEAD);
	out_stars(&o, 3);
	out_chars(&o, openid + utf8_prefix_bytes(openid, n - OPENID_TAIL), OPENID_TAIL);
}

void mask_account(const char *account, char *out, size_t outsz)
{
	struct out o;
	size_t n;

	if (!out_start(&o, out, outsz, account))
		return;
	n = utf8_chars(account);
	if (n <= ACCOUNT_TAIL) {
		out_stars(&o, n);
		return;
	}
	out_stars(&o, n - ACCOUNT_TAIL);
	out_chars(&o, account + utf8_prefix_bytes(account, n - ACCOUNT_TAIL), ACCOUNT_TAIL);
}

void mask_digits(const char *text, char *out, size_t outsz)
{
	size_t n, i = 0;

	if (out == NULL || outsz == 0)
		return;
	n = text != NULL ? strnlen(text, outsz - 1) : 0;
	while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	/* Each run is measured in text before any of it is written, which is what makes
	 * text == out safe and masks a run that continues past the cut. */
	while (i < n) {
		size_t run = strspn(text + i, "0123456789");
		size_t stars = run >= DIGIT_RUN_MIN ? run - DIGIT_RUN_TAIL : 0;

		if (run == 0)
			run = 1;
		for (size_t k = 0; k < run && i < n; k++, i++)
			out[i] = k < stars ? '*' : text[i];
	}
	out[n] = '\0';
}
