/* text: Chinese text on the kiosk's canvas and on tickets. Owns FreeType: a fallback chain
 * of fonts (a character the first font lacks, such as a rare name character, is taken from
 * the next), a glyph cache per (font, size, code point), UTF-8 decoding, measuring, and line
 * breaking for Chinese: a break may come between any two CJK characters or at a space, but
 * never before closing punctuation (，。、：；！？）」』》 and the like) or after opening
 * punctuation (（「『《). Renders into a canvas or into a 1-bit raster for the printer. No
 * I/O after text_open. Not thread-safe (the kiosk draws from one thread). */
#ifndef KIOSK_TEXT_H
#define KIOSK_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "display.h"
#include "err.h"

#define TEXT_MAX_FONTS 4
#define TEXT_MAX_LINES 32

struct text;

/* Opens the fonts in order (TrueType/OpenType collections: face 0). ERR_IO naming the path
 * when none can be opened (a missing later font is skipped, and *missing (may be NULL)
 * counts those). */
int text_open(const char *const *paths, int n, struct text **out, int *missing, struct err *e);
void text_close(struct text *t); /* accepts NULL */

/* Whether any font of the chain has the code point. */
bool text_has(struct text *t, uint32_t cp);
/* Width in pixels of utf8 at size px (pixel height of the em). */
int text_width(struct text *t, int px, const char *utf8);
/* Draws one line with its top-left at (x, y); returns its width. */
int text_draw(struct text *t, struct canvas *c, int px, int x, int y, uint32_t rgb,
	      const char *utf8);

struct text_lines {
	int n;
	int start[TEXT_MAX_LINES], len[TEXT_MAX_LINES]; /* byte ranges of the input */
};
/* Breaks utf8 into lines no wider than max_w (a single character wider than max_w is a
 * line of its own), following the rules above. Returns the number of lines (at most
 * TEXT_MAX_LINES; the rest is dropped). */
int text_wrap(struct text *t, int px, const char *utf8, int max_w, struct text_lines *out);
/* Wraps and draws utf8 in a box of width w; align 0 left, 1 centre, 2 right; line height
 * px * 1.4. Returns the height used. */
int text_draw_box(struct text *t, struct canvas *c, int px, int x, int y, int w, int align,
		  uint32_t rgb, const char *utf8);

/* A 1-bit raster of one line for the printer: width rounded up to a multiple of 8, rows of
 * w/8 bytes, MSB first, 1 = black. *out malloc'd. */
int text_raster(struct text *t, int px, const char *utf8, uint8_t **out, int *w, int *h,
		struct err *e);

#endif
