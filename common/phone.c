/* phone: normalising and masking mainland China mobile numbers.
 * Called by the resident import and API (normalise), the SMS providers, and anything that
 * logs or shows a number (mask). Pure: no I/O, no allocation, no logging.
 * Error messages quote the caller's input so that a dispatcher can find the bad row; they
 * therefore carry personal data and must never be logged as they are. */
#include "phone.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define PHONE_EXAMPLE "13812345678"
/* Enough for the longest form we accept (0086 and 11 digits); more digits are only counted. */
#define SCAN_DIGITS 16
/* Bytes of the caller's input echoed in an error message, so one long cell cannot fill it. */
#define QUOTE_MAX 48
#define WHY_MAX 160

struct scan {
	char d[SCAN_DIGITS];
	size_t n; /* digits seen; may exceed SCAN_DIGITS */
	bool plus;
};

/* Non-ASCII characters that people and spreadsheets put into numbers, by ASCII meaning. */
static const struct {
	const char *utf8;
	char ascii;
} wide_chars[] = {
	{ "\xef\xbc\x8b", '+' }, /* FULLWIDTH PLUS SIGN */
	{ "\xef\xbc\x88", '(' }, /* FULLWIDTH LEFT PARENTHESIS */
	{ "\xef\xbc\x89", ')' }, /* FULLWIDTH RIGHT PARENTHESIS */
	{ "\xef\xbc\x8d", '-' }, /* FULLWIDTH HYPHEN-MINUS */
	{ "\xe3\x80\x80", ' ' }, /* IDEOGRAPHIC SPACE */
	{ "\xc2\xa0", ' ' }, /* NO-BREAK SPACE, common in spreadsheet cells */
};

/* Maps the character at s to its ASCII meaning (full-width digits and the table above);
 * *c becomes 0 for a character that has none. Returns the bytes consumed. */
static size_t to_ascii(const char *s, char *c)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	if (u[0] == 0xEF && u[1] == 0xBC && u[2] >= 0x90 && u[2] <= 0x99) {
		*c = (char)('0' + (u[2] - 0x90));
		return 3;
	}
	for (size_t i = 0; i < sizeof(wide_chars) / sizeof(wide_chars[0]); i++) {
		size_t len = strlen(wide_chars[i].utf8);

		if (strncmp(s, wide_chars[i].utf8, len) == 0) {
			*c = wide_chars[i].ascii;
			return len;
		}
	}
	*c = 0;
	return utf8_prefix_bytes(s, 1);
}

/* Copies in for quoting in a message: control characters and bad UTF-8 become '?', and a
 * long input is cut on a character boundary and marked with "...". */
static void quote_input(const char *in, char *buf, size_t sz)
{
	size_t o = 0, n;

	for (const char *s = in; *s != '\0'; s += n) {
		n = utf8_prefix_bytes(s, 1);
		if (o + n + sizeof("...") > sz) {
			memcpy(buf + o, "...", sizeof("..."));
			return;
		}
		if ((n == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f)) ||
		    !utf8_valid(s, n, NULL)) {
			buf[o++] = '?';
		} else {
			memcpy(buf + o, s, n);
			o += n;
		}
	}
	buf[o] = '\0';
}

/* Collects the digits of in into sc. Returns 0, or -1 with the broken rule in why. */
static int scan_digits(const char *in, struct scan *sc, char *why)
{
	size_t n;
	char c;

	for (const char *s = in; *s != '\0'; s += n) {
		n = to_ascii(s, &c);
		if (c >= '0' && c <= '9') {
			if (sc->n < SCAN_DIGITS)
				sc->d[sc->n] = c;
			sc->n++;
		} else if (c == '+') {
			if (sc->n > 0 || sc->plus) {
				snprintf(why, WHY_MAX,
					 "a '+' may only come before the country code");
				return -1;
			}
			sc->plus = true;
		} else if (c == 0 || strchr(" \t-.()", c) == NULL) {
			if (c > 0x20 && c < 0x7f)
				snprintf(why, WHY_MAX, "it contains '%c', which is not a digit", c);
			else
				snprintf(why, WHY_MAX,
					 "it contains a character that is not a digit "
					 "(at byte %zu)",
					 (size_t)(s - in));
			return -1;
		}
	}
	return 0;
}

/* Removes a country code (+86, 0086, or a bare 86 on a 13-digit number) and checks the
 * rest. Returns 0 with *num pointing at the 11 digits, or -1 with the rule in why. */
static int check_digits(const struct scan *sc, const char **num, char *why)
{
	const char *d = sc->d, *cc = "";
	size_t n = sc->n;

	if (n == 0) {
		snprintf(why, WHY_MAX, "it has no digits");
		return -1;
	}
	if (sc->plus) {
		if (n < 2 || memcmp(d, "86", 2) != 0) {
			snprintf(why, WHY_MAX, "its country code is not +86");
			return -1;
		}
		d += 2, n -= 2, cc = " after the country code 86";
	} else if (n == PHONE_LEN + 4 && memcmp(d, "0086", 4) == 0) {
		d += 4, n -= 4, cc = " after the country code 0086";
	} else if (n == PHONE_LEN + 2 && memcmp(d, "86", 2) == 0) {
		d += 2, n -= 2, cc = " after the country code 86";
	}
	if (n != PHONE_LEN) {
		snprintf(why, WHY_MAX, "it has %zu digits%s but a mainland mobile has %d", n, cc,
			 PHONE_LEN);
		return -1;
	}
	if (d[0] != '1' || d[1] < '3') {
		snprintf(why, WHY_MAX, "it has %d digits%s but does not start with 13-19",
			 PHONE_LEN, cc);
		return -1;
	}
	*num = d;
	return 0;
}

int phone_normalize(const char *in, char out[PHONE_LEN + 1], struct err *e)
{
	struct scan sc = { .n = 0 };
	char why[WHY_MAX], quoted[QUOTE_MAX];
	const char *num = NULL;

	if (in == NULL)
		in = "";
	if (in[0] == '\0') {
		snprintf(why, sizeof(why), "it is empty");
	} else if (scan_digits(in, &sc, why) == 0 && check_digits(&sc, &num, why) == 0) {
		memcpy(out, num, PHONE_LEN);
		out[PHONE_LEN] = '\0';
		return 0;
	}
	quote_input(in, quoted, sizeof(quoted));
	return err_set(e, ERR_INVALID, "phone",
		       "\"%s\" is not a mainland mobile number: %s (expected like %s)", quoted, why,
		       PHONE_EXAMPLE);
}

void phone_mask(const char *phone, char out[16])
{
	if (phone == NULL || strlen(phone) != PHONE_LEN ||
	    strspn(phone, "0123456789") != PHONE_LEN) {
		snprintf(out, 16, "***");
		return;
	}
	snprintf(out, 16, "%.3s****%s", phone, phone + 7);
}
