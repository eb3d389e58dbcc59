/* qr: QR codes of URLs as a module matrix, PNG or SVG; see qr.h.
 * Encoding is libqrencode's (8-bit and case-sensitive, so a token's mixed case survives),
 * PNG is libpng's, written into memory with a hard cap. The SVG is a few lines of text and
 * so is written here: one <path> whose horizontal runs of dark modules are merged, which
 * keeps an inline code on the tracking page to a few kilobytes. Pure: no files, no clock,
 * no logging, no shared state, so any thread may call it. */
#include "qr.h"

#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QR_MIN_PX 1
#define QR_MAX_PX 32
/* A version-40 code at 32 px is 5920 px square; it compresses to far below this. */
#define QR_PNG_CAP (8u * 1024 * 1024)
/* The longest run in SVG: "M999 999h999v1h-999z" with room to spare. */
#define QR_SVG_RUN 32
#define QR_SVG_HEAD 512

int qr_encode(const char *text, struct qr **out, struct err *e)
{
	QRcode *code = NULL;
	struct qr *q = NULL;
	size_t len = text ? strnlen(text, QR_MAX_TEXT + 1) : 0;
	int rc = 0;

	if (len == 0 || len > QR_MAX_TEXT)
		return err_set(e, ERR_INVALID, "text", "A QR code holds 1 to %d bytes of text.",
			       QR_MAX_TEXT);
	code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	q = calloc(1, sizeof(*q));
	if (code == NULL || q == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "The QR code could not be encoded.");
		goto out;
	}
	q->size = code->width + 2 * QR_QUIET;
	q->dark = calloc((size_t)q->size * (size_t)q->size, 1);
	if (q->dark == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "Out of memory for a QR code.");
		goto out;
	}
	/* libqrencode marks a dark module by the lowest bit; the other bits say what it is. */
	for (int y = 0; y < code->width; y++)
		for (int x = 0; x < code->width; x++)
			q->dark[(y + QR_QUIET) * q->size + x + QR_QUIET] =
				code->data[y * code->width + x] & 1;
	*out = q;
	q = NULL;
out:
	QRcode_free(code);
	qr_free(q);
	return rc;
}

void qr_free(struct qr *q)
{
	if (q == NULL)
		return;
	free(q->dark);
	free(q);
}

/* The PNG being written: a buffer that grows up to QR_PNG_CAP. */
struct mem_png {
	unsigned char *buf;
	size_t len, cap;
	int too_big;
};

static void mem_write(png_structp png, png_bytep data, png_size_t n)
{
	struct mem_png *m = png_get_io_ptr(png);

	if (n > QR_PNG_CAP - m->len) {
		m->too_big = 1;
		png_error(png, "QR PNG over its cap");
	}
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		unsigned char *nb;

		while (cap < m->len + n)
			cap *= 2;
		if (cap > QR_PNG_CAP)
			cap = QR_PNG_CAP;
		nb = realloc(m->buf, cap);
		if (nb == NULL)
			png_error(png, "out of memory");
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

static void mem_flush(png_structp png)
{
	(void)png;
}

/* Writes the image row by row; row is one row's buffer (size * px bytes). Every local that
 * outlives a longjmp is set before setjmp, so none needs to be volatile. Returns 0, or -1
 * when libpng failed. */
static int write_rows(png_structp png, png_infop info, const struct qr *q, int px,
		      unsigned char *row, struct mem_png *m)
{
	png_uint_32 side = (png_uint_32)q->size * (png_uint_32)px;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, m, mem_write, mem_flush);
	png_set_IHDR(png, info, side, side, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < q->size; y++) {
		for (int x = 0; x < q->size; x++)
			memset(row + (size_t)x * (size_t)px, q->dark[y * q->size + x] ? 0 : 255,
			       (size_t)px);
		for (int r = 0; r < px; r++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return 0;
}

int qr_png(const struct qr *q, int module_px, unsigned char **out, size_t *len, struct err *e)
{
	png_structp png = NULL;
	png_infop info = NULL;
	unsigned char *row = NULL;
	struct mem_png m = { 0 };
	int rc = 0;

	if (module_px < QR_MIN_PX || module_px > QR_MAX_PX)
		return err_set(e, ERR_INVALID, "module_px", "A module is 1 to 32 pixels wide.");
	row = malloc((size_t)q->size * (size_t)module_px);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (row == NULL || info == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "Out of memory for a QR PNG.");
		goto out;
	}
	if (write_rows(png, info, q, module_px, row, &m) != 0) {
		rc = m.too_big ? err_set(e, ERR_TOOBIG, "module_px", "The QR PNG is too large.")
			       : err_set(e, ERR_NOMEM, NULL, "The QR PNG could not be written.");
		goto out;
	}
	*out = m.buf;
	*len = m.len;
	m.buf = NULL;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	free(m.buf);
	return rc;
}

/* Appends the path commands of row y's dark runs at p; returns the new end. */
static char *svg_row(const struct qr *q, int y, char *p)
{
	const unsigned char *d = q->dark + (size_t)y * (size_t)q->size;
	int x = 0;

	while (x < q->size) {
		int n = 0;

		if (!d[x]) {
			x++;
			continue;
		}
		while (x + n < q->size && d[x + n])
			n++;
		p += snprintf(p, QR_SVG_RUN, "M%d %dh%dv1h-%dz", x, y, n, n);
		x += n;
	}
	return p;
}

int qr_svg(const struct qr *q, int module_px, int inline_svg, char **out, struct err *e)
{
	/* At most one run starts on every other module of a row. */
	size_t runs = (size_t)q->size * (size_t)(q->size / 2 + 1);
	char *buf = NULL, *p;
	int side = q->size * module_px;

	if (module_px < QR_MIN_PX || module_px > QR_MAX_PX)
		return err_set(e, ERR_INVALID, "module_px", "A module is 1 to 32 units wide.");
	buf = malloc(QR_SVG_HEAD + runs * QR_SVG_RUN);
	if (buf == NULL)
		return err_set(e, ERR_NOMEM, NULL, "Out of memory for a QR SVG.");
	p = buf;
	if (!inline_svg)
		p += sprintf(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	p += sprintf(p,
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
		     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		     side, side, q->size, q->size, q->size, q->size);
	for (int y = 0; y < q->size; y++)
		p = svg_row(q, y, p);
	strcpy(p, "\"/></svg>");
	*out = buf;
	return 0;
}
