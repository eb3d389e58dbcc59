/* display_int: what display.c (canvas, conversion, PNG and memory backends) and
 * display_fb.c (the framebuffer device) share; nothing outside these two files includes it.
 * Owns the layout of struct display. Invariants: canvas.px holds w_dev * h_dev pixels,
 * canvas is w_dev x h_dev (h_dev x w_dev when rotate is 90 or 270), stride >= w_dev * bytes,
 * and only the fields of the display's own kind are set. */
#ifndef KIOSK_DISPLAY_INT_H
#define KIOSK_DISPLAY_INT_H

#include <limits.h>
#include <linux/fb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display.h"

#define DISPLAY_MAX_DIM 8192
#define DISPLAY_MAX_STRIDE (8 * DISPLAY_MAX_DIM)
/* Device rows converted together from a rotated canvas: one 64-byte cache line of pixels. */
#define DISPLAY_BAND 16

enum display_kind { DISPLAY_FB, DISPLAY_PNG, DISPLAY_MEM };

/* A layout turned into shifts once: device = ((p >> rs) & rm) << ro | ... for g and b. */
struct display_conv {
	int bytes; /* 2, 3 or 4 */
	uint32_t rs, gs, bs, ro, go, bo; /* unsigned: they meet vectors of uint32_t */
	uint32_t rm, gm, bm;
	bool xrgb; /* 32-bit XRGB8888: a canvas pixel already is a device pixel */
};

struct display {
	enum display_kind kind;
	struct canvas canvas;
	int w_dev, h_dev, stride, rotate;
	struct display_conv cv;
	ptrdiff_t at0, dxstep, dystep; /* canvas index of device pixel (dx, dy): see display.c */
	uint32_t *band; /* DISPLAY_BAND rows of w_dev gathered canvas pixels */
	uint8_t *mem; /* DISPLAY_MEM: stride * h_dev bytes */
	char *pattern; /* DISPLAY_PNG: the path, "%d" for the frame number */
	unsigned frame;
	bool written;
	char last[PATH_MAX];
	int fd; /* DISPLAY_FB: the device, -1 when closed */
	uint8_t *map;
	size_t map_len;
	struct fb_var_screeninfo var; /* var.yoffset: the page on screen */
	int pages; /* 2 when drawing into the hidden page and panning, else 1 */
	bool vsync; /* FBIO_WAITFORVSYNC has not answered ENOTTY */
};

/* Allocates a display of kind with its canvas (after checking size, stride, layout and
 * rotation: ERR_INVALID naming what was wrong). */
int display_new(enum display_kind kind, int w_dev, int h_dev, int stride,
		const struct px_layout *layout, int rotate, struct display **out, struct err *e);
/* Converts the canvas into device rows starting at dst, stride bytes apart. */
void display_convert(struct display *d, uint8_t *dst);

/* display_fb.c: unmaps and closes the device (display_close calls it). */
void display_fb_release(struct display *d);
int display_fb_present(struct display *d, struct err *e);

#endif
