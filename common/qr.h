/* qr: QR codes of URLs, for the tracking page, the staff API and the kiosk's screen and
 * tickets. Owns: encoding with libqrencode (8-bit, case-sensitive, error correction M) into
 * a module matrix with the 4-module quiet zone, and writing that matrix as PNG (libpng) or
 * SVG. Pure: no files, no clock, no logging; safe from any thread. */
#ifndef COMMON_QR_H
#define COMMON_QR_H

#include <stddef.h>

#include "err.h"

#define QR_QUIET 4 /* modules of white border on every side */
#define QR_MAX_TEXT 1024 /* bytes of text encoded; a URL is far shorter */

/* A square of modules, quiet zone included: dark[y * size + x] is 1 for a dark module. */
struct qr {
	int size; /* modules per side, including 2 * QR_QUIET */
	unsigned char *dark;
};

/* Encodes text (1 .. QR_MAX_TEXT bytes) into *out (free with qr_free). ERR_INVALID for an
 * empty or too long text, ERR_NOMEM when libqrencode fails. */
int qr_encode(const char *text, struct qr **out, struct err *e);
void qr_free(struct qr *q); /* accepts NULL */

/* The code as an 8-bit greyscale PNG, module_px pixels per module (1 .. 32): *out malloc'd
 * (caller frees), *len its size. */
int qr_png(const struct qr *q, int module_px, unsigned char **out, size_t *len, struct err *e);
/* The code as a standalone SVG document (one <path> of dark modules on a white <rect>),
 * module_px user units per module: *out malloc'd, NUL-terminated. With inline (true) the
 * XML declaration is left out, for embedding in an HTML page. */
int qr_svg(const struct qr *q, int module_px, int inline_svg, char **out, struct err *e);

#endif
