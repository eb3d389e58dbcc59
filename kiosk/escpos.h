/* escpos: the bytes of a receipt for an ESC/POS printer (58 mm: 384 dots, 80 mm: 576 dots).
 * Owns the command set we use: initialise, alignment, emphasis and double size, Chinese text
 * in GB18030 between FS & and FS . (iconv), a line the printer's font cannot show printed as
 * a raster instead (GS v 0, through a callback that renders it), the QR code as a raster
 * image (GS v 0, the default) or with the printer's own QR command (GS ( k, model 2, error
 * correction M, per-printer option), feed, partial cut, and the real-time status query
 * (DLE EOT 4: paper). Pure: builds a byte buffer; printer.c sends it. */
#ifndef KIOSK_ESCPOS_H
#define KIOSK_ESCPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ESCPOS_MAX_BYTES (256 * 1024)

/* Renders utf8 as a 1-bit raster (see text_raster) when the printer's font (GB2312) cannot;
 * *bits malloc'd, escpos frees it. */
typedef int (*escpos_raster_fn)(void *ctx, const char *utf8, uint8_t **bits, int *w, int *h,
				struct err *e);

struct escpos {
	uint8_t *buf;
	size_t len, cap;
	int err; /* sticky: ERR_NOMEM, ERR_TOOBIG or ERR_INVALID (a QR text qr_encode refuses) */
	int dots; /* paper width in dots: 384 or 576 */
	bool native_qr;
	escpos_raster_fn raster;
	void *raster_ctx;
};

/* dots: 384 (58 mm) or 576 (80 mm). */
void escpos_init(struct escpos *p, int dots, bool native_qr, escpos_raster_fn raster, void *ctx);
void escpos_free(struct escpos *p);

enum escpos_align { ESCPOS_LEFT = 0, ESCPOS_CENTER = 1, ESCPOS_RIGHT = 2 };
/* One line of text (a newline is added). big: double width and height; bold: emphasis.
 * Text outside GB2312 goes as a raster from the callback (alignment and big honoured, bold
 * not); without a callback, or when it fails, it goes as GB18030 text all the same. */
void escpos_line(struct escpos *p, const char *utf8, enum escpos_align a, bool big, bool bold);
/* The QR code of text (8-bit, EC level M, 4-module quiet zone), module size chosen to fit
 * about half the paper width, centred. */
void escpos_qr(struct escpos *p, const char *text);
void escpos_feed(struct escpos *p, int lines);
void escpos_cut(struct escpos *p);
/* The finished bytes (owned by p) or the sticky error. */
int escpos_bytes(const struct escpos *p, const uint8_t **out, size_t *len, struct err *e);

/* The paper-status query (DLE EOT 4) and the meaning of its answer byte. */
extern const uint8_t escpos_status_query[3];
enum escpos_paper { PAPER_OK, PAPER_NEAR_END, PAPER_OUT };
enum escpos_paper escpos_paper_state(uint8_t answer);

#endif
