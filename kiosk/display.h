/* display: where the kiosk's frames go. Owns the canvas every screen draws on (32-bit
 * XRGB in the screen's logical orientation) and three backends that present it: the Linux
 * framebuffer (/dev/fb0: FBIOGET_VSCREENINFO / FSCREENINFO, mmap, line_length, the
 * red/green/blue offsets and lengths, 16/24/32 bpp, rotation for portrait mounting, double
 * buffering by panning when the device has a second page, else one copy per frame), a PNG
 * file per frame (libpng; tests and screenshots) and memory with any stride and pixel
 * layout (tests). Also the drawing primitives: rectangles, rounded rectangles, alpha masks
 * (glyphs) and QR modules. The framebuffer is the only file here that touches a device. */
#ifndef KIOSK_DISPLAY_H
#define KIOSK_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A device pixel layout, as the framebuffer describes it. */
struct px_layout {
	int bpp; /* 16, 24 or 32 */
	int r_off, r_len, g_off, g_len, b_off, b_len; /* bit offsets and lengths */
};

/* What screens draw on: w x h pixels, 0xRRGGBB in the low 24 bits, row by row. */
struct canvas {
	int w, h;
	uint32_t *px;
};

struct display;

/* rotate: 0, 90, 180 or 270 degrees clockwise from the device to the logical screen (90 for
 * a landscape panel mounted upright). ERR_IO with the device and the reason when it cannot
 * be opened; ERR_INVALID for an unsupported format (bpp, a non-truecolor visual), with what
 * it found. */
int display_open_fb(const char *dev, int rotate, struct display **out, struct err *e);
/* Each present writes path (a printf pattern with one %d: the frame number, or a plain
 * name, overwritten each time) as an 8-bit RGB PNG of w x h. */
int display_open_png(const char *path, int w, int h, struct display **out, struct err *e);
/* A device in memory: w x h device pixels, stride bytes per row (>= w * bpp / 8), layout. */
int display_open_mem(int w, int h, int stride, const struct px_layout *layout, int rotate,
		     struct display **out, struct err *e);
void display_close(struct display *d); /* accepts NULL */

/* The canvas to draw the next frame on (logical size; owned by the display). */
struct canvas *display_canvas(struct display *d);
/* Shows the canvas: converts it to the device's layout and orientation; for fbdev, pans to
 * the freshly written page when double buffering (no tearing). */
int display_present(struct display *d, struct err *e);
/* The memory backend's device bytes (for tests); NULL for other backends. */
const uint8_t *display_mem_bytes(const struct display *d);
/* The path of the last PNG written, or NULL. */
const char *display_png_path(const struct display *d);

/* ---- drawing on a canvas (clipped to it) ---- */
void draw_fill(struct canvas *c, uint32_t rgb);
void draw_rect(struct canvas *c, int x, int y, int w, int h, uint32_t rgb);
void draw_round_rect(struct canvas *c, int x, int y, int w, int h, int radius, uint32_t rgb);
/* Blends rgb through an 8-bit alpha mask (a glyph) of w x h with pitch bytes per row. */
void draw_mask(struct canvas *c, int x, int y, const uint8_t *mask, int w, int h, int pitch,
	       uint32_t rgb);
/* A square of size x size modules, dark[y * size + x], each module px pixels, black on
 * white (the caller includes the quiet zone in dark[]). */
void draw_modules(struct canvas *c, int x, int y, const unsigned char *dark, int size, int px);
/* Saves a canvas as an RGB PNG (screenshots, golden images). */
int draw_save_png(const struct canvas *c, const char *path, struct err *e);
/* Loads an RGB PNG into a new canvas (*out->px malloc'd; free with draw_canvas_free). */
int draw_load_png(const char *path, struct canvas *out, struct err *e);
void draw_canvas_free(struct canvas *c);

#endif
