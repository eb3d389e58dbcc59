/* charset: bringing exports from Chinese billing systems into UTF-8.
 * Called by the CSV import endpoints before parsing. Valid UTF-8 is kept (a leading BOM is
 * dropped); anything else is decoded as GB18030, which contains GBK and GB2312, so that
 * what Excel saves on a Chinese Windows machine decodes too. Decoding is iconv's; this file
 * never reads files and never logs (the text is residents' personal data). */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define BOM "\xef\xbb\xbf"
#define BOM_LEN 3

/* 1-based line number of byte offset off. */
static int line_of(const char *in, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++) {
		if (in[i] == '\n')
			line++;
	}
	return line;
}

/* Allocates a NUL-terminated copy of s[0..len). */
static int copy_out(const char *s, size_t len, char **out, size_t *out_len, struct err *e)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory copying %zu bytes of text", len);
	memcpy(p, s, len);
	p[len] = '\0';
	*out = p;
	*out_len = len;
	return 0;
}

/* Runs cd over in[0..len) into buf (cap bytes). An undecodable or truncated character
 * gives ERR_INVALID without a message and its offset in *bad, for the caller to report. */
static int convert(iconv_t cd, const char *in, size_t len, char *buf, size_t cap, size_t *n,
		   size_t *bad, struct err *e)
{
	char *ip = (char *)in, *op = buf; /* iconv's prototype lacks const; it only reads */
	size_t il = len, ol = cap;

	if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) {
		*n = (size_t)(op - buf);
		return 0;
	}
	if (errno == EILSEQ || errno == EINVAL) {
		*bad = (size_t)(ip - in);
		return ERR_INVALID;
	}
	return err_set(e, ERR_INTERNAL, NULL, "iconv failed converting GB18030 (%s)",
		       strerror(errno));
}

/* Decodes in as GB18030 into a new NUL-terminated string; errors as convert(). */
static int from_gb18030(const char *in, size_t len, char **out, size_t *out_len, size_t *bad,
			struct err *e)
{
	iconv_t cd;
	char *buf;
	size_t n = 0;
	int rc;

	/* One GB18030 byte gives one UTF-8 byte, two give at most three, four at most four. */
	if (len > (SIZE_MAX - 1) / 2)
		return err_set(e, ERR_TOOBIG, NULL, "%zu bytes of text is too large to convert",
			       len);
	cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return err_set(e, ERR_INTERNAL, NULL,
			       "iconv cannot convert GB18030 to UTF-8 (%s); "
			       "are the glibc gconv modules installed?",
			       strerror(errno));
	buf = malloc(len * 2 + 1);
	if (buf == NULL)
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory converting %zu bytes of text", len);
	else
		rc = convert(cd, in, len, buf, len * 2, &n, bad, e);
	iconv_close(cd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* A NUL byte means a binary file (usually an .xls/.xlsx sent instead of its CSV export);
 * neither decoder should turn it into text with a hole in it. */
static int check_no_nul(const char *in, size_t len, struct err *e)
{
	const char *nul = memchr(in, '\0', len);
	size_t off;

	if (nul == NULL)
		return 0;
	off = (size_t)(nul - in);
	return err_set(e, ERR_INVALID, NULL,
		       "the text has a NUL byte at line %d (byte offset %zu): "
		       "it looks like a binary file such as .xlsx, not CSV text; save it as CSV "
		       "(UTF-8 or GBK) and send that",
		       line_of(in, off), off);
}

static int report_undecodable(const char *in, size_t len, size_t bad_utf8, size_t bad_gb,
			      struct err *e)
{
	unsigned char b8 = (unsigned char)in[bad_utf8];
	unsigned char bg = bad_gb < len ? (unsigned char)in[bad_gb] : 0;

	return err_set(e, ERR_INVALID, NULL,
		       "the text is neither UTF-8 nor GBK/GB18030: UTF-8 "
		       "decoding fails at line %d (byte offset %zu, byte 0x%02X) and GB18030 "
		       "decoding at line %d (byte offset %zu, byte 0x%02X); save the export as "
		       "UTF-8 or GBK CSV",
		       line_of(in, bad_utf8), bad_utf8, b8, line_of(in, bad_gb), bad_gb, bg);
}

int charset_to_utf8(const char *in, size_t len, char **out, size_t *out_len, const char **detected,
		    struct err *e)
{
	size_t skip = 0, bad_utf8 = 0, bad_gb = 0;
	int rc;

	if (len == 0)
		in = "";
	rc = check_no_nul(in, len, e);
	if (rc < 0)
		return rc;
	if (len >= BOM_LEN && memcmp(in, BOM, BOM_LEN) == 0)
		skip = BOM_LEN;
	if (utf8_valid(in + skip, len - skip, &bad_utf8)) {
		rc = copy_out(in + skip, len - skip, out, out_len, e);
		if (rc == 0 && detected != NULL)
			*detected = "utf-8";
		return rc;
	}
	bad_utf8 += skip;
	/* A BOM says the file was written as UTF-8, so decoding it as GB18030 would only
	 * produce mojibake; the damage is at the reported byte. */
	if (skip > 0)
		return err_set(e, ERR_INVALID, NULL,
			       "the text starts with a UTF-8 byte-order mark "
			       "but byte 0x%02X at line %d (byte offset %zu) is not valid UTF-8; "
			       "save the export again as UTF-8",
			       (unsigned char)in[bad_utf8], line_of(in, bad_utf8), bad_utf8);
	rc = from_gb18030(in, len, out, out_len, &bad_gb, e);
	if (rc == ERR_INVALID)
		return report_undecodable(in, len, bad_utf8, bad_gb, e);
	if (rc == 0 && detected != NULL)
		*detected = "gb18030";
	return rc;
}
