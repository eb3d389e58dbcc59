/* escpos: the bytes of a receipt; see escpos.h for the contract. Called by the ticket code,
 * which hands the bytes to printer.c; never does I/O itself.
 * Each line sets its own alignment, emphasis and size, so lines never depend on what came
 * before. The printer's font is taken to cover GB2312 (what every Chinese receipt printer
 * ships); a line with a character outside it is rendered by the caller's callback and sent
 * as a full-width GS v 0 raster, so a rare name character prints instead of a blank box.
 * Invariants: len <= ESCPOS_MAX_BYTES; once err is set nothing more is appended. */
#include "escpos.h"

#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"
#include "utf8.h"

#define ESC 0x1b
#define GS 0x1d
#define FS 0x1c
#define ESCPOS_FIRST_CAP 4096
#define ESCPOS_QR_MIN_DOTS 3 /* dots per module below which a phone struggles to scan */
#define ESCPOS_QR_NATIVE_MAX 16 /* the largest module size GS ( k accepts */
#define ESCPOS_IMAGE_MAX_ROWS 65535 /* yL yH */

const uint8_t escpos_status_query[3] = { 0x10, 0x04, 0x04 };

/* Appends n zeroed bytes and returns them, or NULL with the sticky error set. */
static uint8_t *reserve(struct escpos *p, size_t n)
{
	uint8_t *at;

	if (p->err)
		return NULL;
	if (n > ESCPOS_MAX_BYTES - p->len) {
		p->err = ERR_TOOBIG;
		return NULL;
	}
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : ESCPOS_FIRST_CAP;
		uint8_t *nb;

		while (cap < p->len + n)
			cap *= 2;
		if (cap > ESCPOS_MAX_BYTES)
			cap = ESCPOS_MAX_BYTES;
		if ((nb = realloc(p->buf, cap)) == NULL) {
			p->err = ERR_NOMEM;
			return NULL;
		}
		p->buf = nb;
		p->cap = cap;
	}
	at = p->buf + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

static void put(struct escpos *p, const void *bytes, size_t n)
{
	uint8_t *at = reserve(p, n);

	if (at != NULL)
		memcpy(at, bytes, n);
}

static void put3(struct escpos *p, uint8_t a, uint8_t b, uint8_t c)
{
	const uint8_t cmd[3] = { a, b, c };

	put(p, cmd, sizeof(cmd));
}

void escpos_init(struct escpos *p, int dots, bool native_qr, escpos_raster_fn raster, void *ctx)
{
	static const uint8_t reset[] = { ESC, '@' };

	assert(dots > 0 && dots % 8 == 0);
	memset(p, 0, sizeof(*p));
	p->dots = dots;
	p->native_qr = native_qr;
	p->raster = raster;
	p->raster_ctx = ctx;
	/* ESC @ clears whatever mode a previous, perhaps interrupted, ticket left behind. */
	put(p, reset, sizeof(reset));
}

void escpos_free(struct escpos *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}

/* A copy of utf8 that is valid UTF-8 without control characters: an invalid byte becomes
 * '?' and a control character a space, so text from outside can never smuggle a command
 * into the ticket. NULL when out of memory. */
static char *clean_text(const char *utf8)
{
	size_t len = strlen(utf8), i = 0, o = 0;
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	while (i < len) {
		size_t bad = len - i;

		if (utf8_valid(utf8 + i, len - i, &bad))
			bad = len - i;
		memcpy(out + o, utf8 + i, bad);
		o += bad;
		i += bad;
		if (i < len) {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return out;
}

static size_t utf8_seq_len(unsigned char lead)
{
	return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/* Converts clean text to charset cs into *out (malloc'd, *out_len bytes). A character cs
 * lacks becomes '?'. Returns 1 when every character converted, 0 when some did not, -1
 * when iconv or memory is unavailable. */
static int convert(const char *cs, const char *text, char **out, size_t *out_len)
{
	size_t in_left = strlen(text), out_left = 4 * in_left + 4;
	char *in = (char *)text, *buf = malloc(out_left), *o = buf;
	iconv_t cd = iconv_open(cs, "UTF-8");
	int rc = 1;

	if (buf == NULL || cd == (iconv_t)-1) {
		rc = -1;
		goto out;
	}
	/* GB18030 needs at most 4 bytes for a character UTF-8 writes in 1 to 4, so the output
	 * never runs short; EILSEQ is a character cs lacks, EINVAL cannot happen on valid input. */
	while (in_left > 0 && iconv(cd, &in, &in_left, &o, &out_left) == (size_t)-1) {
		size_t skip = utf8_seq_len((unsigned char)*in);

		if (errno != EILSEQ || skip > in_left)
			skip = in_left;
		*o++ = '?';
		out_left--;
		in += skip;
		in_left -= skip;
		rc = 0;
	}
	*out_len = (size_t)(o - buf);
	*out = buf;
	buf = NULL;
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	free(buf);
	return rc;
}

/* The text as GB18030 between FS & and FS ., or as is when it is plain ASCII. */
static void put_text(struct escpos *p, const char *text)
{
	static const uint8_t enter[] = { FS, '&' }, leave[] = { FS, '.' };
	char *gb = NULL;
	size_t n = 0;
	bool ascii = true;

	for (const char *c = text; *c; c++)
		ascii = ascii && (unsigned char)*c < 0x80;
	if (ascii) {
		put(p, text, strlen(text));
		return;
	}
	if (convert("GB18030", text, &gb, &n) < 0) {
		p->err = ERR_NOMEM;
		return;
	}
	put(p, enter, sizeof(enter));
	put(p, gb, n);
	put(p, leave, sizeof(leave));
	free(gb);
}

/* Appends a full-width GS v 0 header for rows of dots/8 bytes and returns the zeroed image
 * (1 = black, MSB first), or NULL with the sticky error set. Padding to the full width
 * places the image itself, so no printer's handling of ESC a for images matters. */
static uint8_t *put_image(struct escpos *p, int rows)
{
	int wb = p->dots / 8;
	const uint8_t head[8] = { GS,
				  'v',
				  '0',
				  0,
				  (uint8_t)(wb & 0xff),
				  (uint8_t)(wb >> 8),
				  (uint8_t)(rows & 0xff),
				  (uint8_t)(rows >> 8) };

	assert(rows > 0 && rows <= ESCPOS_IMAGE_MAX_ROWS);
	put(p, head, sizeof(head));
	return reserve(p, (size_t)wb * (size_t)rows);
}

static void set_dot(uint8_t *row, int x)
{
	row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
}

/* Copies a w x h bitmap (rows of (w + 7) / 8 bytes) scaled by s into a full-width image,
 * aligned as asked; what is wider than the paper is cut off on the right. */
static void blit(struct escpos *p, uint8_t *img, const uint8_t *bits, int w, int h, int s,
		 enum escpos_align a)
{
	int sw = w * s < p->dots ? w * s : p->dots, wb = p->dots / 8, src_wb = (w + 7) / 8;
	int x0 = a == ESCPOS_CENTER ? (p->dots - sw) / 2 : a == ESCPOS_RIGHT ? p->dots - sw : 0;

	for (int y = 0; y < h * s; y++)
		for (int x = 0; x < sw; x++)
			if (bits[(y / s) * src_wb + (x / s) / 8] & (0x80 >> ((x / s) & 7)))
				set_dot(img + (size_t)y * (size_t)wb, x0 + x);
}

/* The line as a raster from the callback, doubled when big. Returns -1 when there is no
 * raster to print (no callback, or it failed), so the caller falls back to text. */
static int put_raster_line(struct escpos *p, const char *text, enum escpos_align a, bool big)
{
	struct err e = { 0 };
	uint8_t *bits = NULL, *img;
	int w = 0, h = 0, s = big ? 2 : 1, rc = -1;

	if (p->raster == NULL || p->raster(p->raster_ctx, text, &bits, &w, &h, &e) != 0)
		goto out;
	if (bits == NULL || w <= 0 || h <= 0 || h > ESCPOS_IMAGE_MAX_ROWS / s)
		goto out;
	rc = 0;
	if ((img = put_image(p, h * s)) != NULL)
		blit(p, img, bits, w, h, s, a);
out:
	free(bits);
	return rc;
}

void escpos_line(struct escpos *p, const char *utf8, enum escpos_align a, bool big, bool bold)
{
	char *text = NULL, *gb = NULL;
	size_t n = 0;
	int covered;

	if (p->err)
		return;
	if ((text = clean_text(utf8)) == NULL) {
		p->err = ERR_NOMEM;
		return;
	}
	put3(p, ESC, 'a', (uint8_t)a);
	put3(p, ESC, 'E', bold ? 1 : 0);
	put3(p, GS, '!', big ? 0x11 : 0x00);
	covered = convert("GB2312", text, &gb, &n);
	if (covered < 0) {
		p->err = ERR_NOMEM;
		goto out;
	}
	/* A printer whose font turns out to be full GB18030 still prints the text when the
	 * caller has no way to render it; one that lacks the character prints a blank. */
	if (covered || put_raster_line(p, text, a, big) != 0) {
		put_text(p, text);
		put(p, "\n", 1);
	}
out:
	free(gb);
	free(text);
}

/* Dots per module so that the code (quiet zone included) is about half the paper wide, at
 * least ESCPOS_QR_MIN_DOTS; 0 when even that does not fit the paper. */
static int qr_scale(int dots, int modules)
{
	int s = dots / 2 / modules;

	if (s < ESCPOS_QR_MIN_DOTS)
		s = ESCPOS_QR_MIN_DOTS;
	return s * modules <= dots ? s : 0;
}

/* GS ( k: cn = 0x31 (QR), fn and its parameters. */
static void put_qr_fn(struct escpos *p, uint8_t fn, const uint8_t *args, size_t n)
{
	const uint8_t head[] = { GS,   '(', 'k', (uint8_t)((n + 2) & 0xff), (uint8_t)((n + 2) >> 8),
				 0x31, fn };

	put(p, head, sizeof(head));
	put(p, args, n);
}

/* The printer's own QR: model 2, module size, error correction M, store, print. */
static void put_native_qr(struct escpos *p, const char *text, int s)
{
	const uint8_t model[] = { 0x32, 0x00 }, ec_m[] = { 0x31 }, print[] = { 0x30 };
	const uint8_t size[] = { (uint8_t)(s < ESCPOS_QR_NATIVE_MAX ? s : ESCPOS_QR_NATIVE_MAX) };
	size_t n = strlen(text);
	uint8_t *store = malloc(n + 1);

	if (store == NULL) {
		p->err = ERR_NOMEM;
		return;
	}
	store[0] = 0x30;
	memcpy(store + 1, text, n);
	put3(p, ESC, 'a', ESCPOS_CENTER);
	put_qr_fn(p, 0x41, model, sizeof(model));
	put_qr_fn(p, 0x43, size, sizeof(size));
	put_qr_fn(p, 0x45, ec_m, sizeof(ec_m));
	put_qr_fn(p, 0x50, store, n + 1);
	put_qr_fn(p, 0x51, print, sizeof(print));
	free(store);
}

/* The module matrix as a centred raster, s dots per module. */
static void put_raster_qr(struct escpos *p, const struct qr *q, int s)
{
	int side = q->size * s, x0 = (p->dots - side) / 2, wb = p->dots / 8;
	uint8_t *img = put_image(p, side);

	if (img == NULL)
		return;
	for (int my = 0; my < q->size; my++) {
		uint8_t *row = img + (size_t)(my * s) * (size_t)wb;

		for (int mx = 0; mx < q->size; mx++)
			if (q->dark[my * q->size + mx])
				for (int d = 0; d < s; d++)
					set_dot(row, x0 + mx * s + d);
		for (int d = 1; d < s; d++)
			memcpy(row + (size_t)d * (size_t)wb, row, (size_t)wb);
	}
}

void escpos_qr(struct escpos *p, const char *text)
{
	struct qr *q = NULL;
	struct err e = { 0 };
	int s;

	if (p->err)
		return;
	/* The native path encodes too: it checks the text and sizes the printer's code alike. */
	if (qr_encode(text, &q, &e) != 0) {
		p->err = e.code;
		return;
	}
	if ((s = qr_scale(p->dots, q->size)) == 0)
		p->err = ERR_TOOBIG;
	else if (p->native_qr)
		put_native_qr(p, text, s);
	else
		put_raster_qr(p, q, s);
	qr_free(q);
}

void escpos_feed(struct escpos *p, int lines)
{
	put3(p, ESC, 'd', (uint8_t)(lines < 0 ? 0 : lines > 255 ? 255 : lines));
}

void escpos_cut(struct escpos *p)
{
	static const uint8_t cut[] = { GS, 'V', 66, 0 };

	/* Function B (66): feed to the cutter, then cut partially, leaving a tab to tear. */
	put(p, cut, sizeof(cut));
}

int escpos_bytes(const struct escpos *p, const uint8_t **out, size_t *len, struct err *e)
{
	switch (p->err) {
	case 0: break;
	case ERR_TOOBIG:
		return err_set(e, ERR_TOOBIG, "ticket",
			       "The ticket does not fit: it is over %d bytes, or its QR code is "
			       "wider than the paper's %d dots.",
			       ESCPOS_MAX_BYTES, p->dots);
	case ERR_INVALID:
		return err_set(e, ERR_INVALID, "qr",
			       "The ticket's QR code text is empty or longer than %d bytes.",
			       QR_MAX_TEXT);
	default: return err_set(e, p->err, "ticket", "Out of memory while building the ticket.");
	}
	*out = p->buf;
	*len = p->len;
	return 0;
}

enum escpos_paper escpos_paper_state(uint8_t answer)
{
	/* DLE EOT 4: bits 5-6 paper end sensor, bits 2-3 near-end sensor. */
	if (answer & 0x60)
		return PAPER_OUT;
	if (answer & 0x0c)
		return PAPER_NEAR_END;
	return PAPER_OK;
}
