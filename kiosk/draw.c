/* draw: the drawing primitives on a canvas (see display.h) and canvas PNG files.
 * Every primitive clips to the canvas, so a screen may place things partly off it; sizes
 * are computed in long long so that a huge or negative rectangle cannot overflow.
 * PNG goes through libpng's simplified API (png_image), which needs no setjmp; a file is
 * written next to its final name and renamed, so a reader never sees half a frame.
 * Pure apart from draw_save_png / draw_load_png; no logging, no global state. */
#include "display.h"

#include <errno.h>
#include <limits.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest PNG we load: a golden screen is 1080 x 1920; this leaves room for 4K. */
#define DRAW_MAX_DIM 8192

/* The part of [x, x + w) x [y, y + h) that lies on the canvas; false when nothing does. */
struct clip {
	int x0, y0, x1, y1;
};

static int clamp_ll(long long v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

static int clip_box(const struct canvas *c, int x, int y, int w, int h, struct clip *out)
{
	out->x0 = clamp_ll(x, 0, c->w);
	out->y0 = clamp_ll(y, 0, c->h);
	out->x1 = clamp_ll((long long)x + w, 0, c->w);
	out->y1 = clamp_ll((long long)y + h, 0, c->h);
	return w > 0 && h > 0 && out->x0 < out->x1 && out->y0 < out->y1;
}

void draw_fill(struct canvas *c, uint32_t rgb)
{
	draw_rect(c, 0, 0, c->w, c->h, rgb);
}

void draw_rect(struct canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct clip k;

	if (!clip_box(c, x, y, w, h, &k))
		return;
	rgb &= 0xffffff;
	for (int yy = k.y0; yy < k.y1; yy++) {
		uint32_t *row = c->px + (size_t)yy * (size_t)c->w;

		for (int xx = k.x0; xx < k.x1; xx++)
			row[xx] = rgb;
	}
}

/* How many pixels row i of a corner of radius r leaves out: the first pixel whose centre
 * lies inside the quarter circle. Integer arithmetic on doubled coordinates (the centre
 * of pixel k is at k + 0.5), so no libm and the same result on every machine. */
static int corner_inset(int r, int i)
{
	long long dy = 2LL * r - 2LL * i - 1, rr = 4LL * r * r;
	int inset = 0;

	while (inset < r) {
		long long dx = 2LL * r - 2LL * inset - 1;

		if (dx * dx + dy * dy <= rr)
			break;
		inset++;
	}
	return inset;
}

void draw_round_rect(struct canvas *c, int x, int y, int w, int h, int radius, uint32_t rgb)
{
	int r = radius;

	if (w <= 0 || h <= 0)
		return;
	if (r > w / 2)
		r = w / 2;
	if (r > h / 2)
		r = h / 2;
	if (r <= 0) {
		draw_rect(c, x, y, w, h, rgb);
		return;
	}
	for (int i = 0; i < r; i++) {
		int in = corner_inset(r, i);

		draw_rect(c, x + in, y + i, w - 2 * in, 1, rgb);
		draw_rect(c, x + in, y + h - 1 - i, w - 2 * in, 1, rgb);
	}
	draw_rect(c, x, y + r, w, h - 2 * r, rgb);
}

/* round(v / 255) for v in 0 .. 255 * 255, without a division. */
static uint32_t div255(uint32_t v)
{
	v += 128;
	return (v + (v >> 8)) >> 8;
}

static uint32_t blend(uint32_t dst, uint32_t src, uint32_t a)
{
	uint32_t out = 0;

	for (int sh = 0; sh <= 16; sh += 8) {
		uint32_t s = (src >> sh) & 0xff, d = (dst >> sh) & 0xff;

		out |= div255(s * a + d * (255 - a)) << sh;
	}
	return out;
}

void draw_mask(struct canvas *c, int x, int y, const uint8_t *mask, int w, int h, int pitch,
	       uint32_t rgb)
{
	struct clip k;

	if (mask == NULL || !clip_box(c, x, y, w, h, &k))
		return;
	rgb &= 0xffffff;
	for (int yy = k.y0; yy < k.y1; yy++) {
		const uint8_t *m = mask + (size_t)(yy - y) * (size_t)pitch + (k.x0 - x);
		uint32_t *row = c->px + (size_t)yy * (size_t)c->w;

		for (int xx = k.x0; xx < k.x1; xx++, m++) {
			if (*m == 255)
				row[xx] = rgb;
			else if (*m != 0)
				row[xx] = blend(row[xx], rgb, *m);
		}
	}
}

void draw_modules(struct canvas *c, int x, int y, const unsigned char *dark, int size, int px)
{
	if (dark == NULL || size <= 0 || px <= 0 || (long long)size * px > INT_MAX)
		return;
	draw_rect(c, x, y, size * px, size * px, 0xffffff);
	for (int my = 0; my < size; my++)
		for (int mx = 0; mx < size; mx++)
			if (dark[(size_t)my * (size_t)size + (size_t)mx])
				draw_rect(c, x + mx * px, y + my * px, px, px, 0x000000);
}

int draw_save_png(const struct canvas *c, const char *path, struct err *e)
{
	png_image img;
	unsigned char *rgb = NULL;
	char tmp[PATH_MAX];
	size_t n = (size_t)c->w * (size_t)c->h;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_set(e, ERR_INVALID, "path", "The PNG path %.64s... is too long.", path);
	rgb = malloc(n * 3);
	if (rgb == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "No memory for a %dx%d PNG.", c->w, c->h);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rgb[3 * i] = (unsigned char)(c->px[i] >> 16);
		rgb[3 * i + 1] = (unsigned char)(c->px[i] >> 8);
		rgb[3 * i + 2] = (unsigned char)c->px[i];
	}
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)c->w;
	img.height = (png_uint_32)c->h;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_file(&img, tmp, 0, rgb, 0, NULL)) {
		rc = err_set(e, ERR_IO, "path", "Cannot write the PNG %s: %s.", tmp, img.message);
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = err_set(e, ERR_IO, "path", "Cannot rename %s to %s: %s.", tmp, path,
			     strerror(errno));
		remove(tmp);
	}
out:
	free(rgb);
	return rc;
}

/* Reads the PNG at path as 8-bit RGBA; alpha is then dropped, as golden images are opaque.
 * libpng converts grey, palette and 16-bit files on the way. */
static int load_rgba(const char *path, png_image *img, unsigned char **out, struct err *e)
{
	unsigned char *buf = NULL;

	memset(img, 0, sizeof(*img));
	img->version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(img, path))
		return err_set(e, ERR_IO, "path", "Cannot read the PNG %s: %s.", path,
			       img->message);
	if (img->width == 0 || img->height == 0 || img->width > DRAW_MAX_DIM ||
	    img->height > DRAW_MAX_DIM) {
		png_image_free(img);
		return err_set(e, ERR_INVALID, "path",
			       "The PNG %s is %ux%u; at most %dx%d is read.", path, img->width,
			       img->height, DRAW_MAX_DIM, DRAW_MAX_DIM);
	}
	img->format = PNG_FORMAT_RGBA;
	buf = malloc(PNG_IMAGE_SIZE(*img));
	if (buf == NULL) {
		png_image_free(img);
		return err_set(e, ERR_NOMEM, NULL, "No memory to read the PNG %s.", path);
	}
	if (!png_image_finish_read(img, NULL, buf, 0, NULL)) {
		free(buf);
		return err_set(e, ERR_IO, "path", "Cannot decode the PNG %s: %s.", path,
			       img->message);
	}
	*out = buf;
	return 0;
}

int draw_load_png(const char *path, struct canvas *out, struct err *e)
{
	png_image img;
	unsigned char *rgba = NULL;
	uint32_t *px = NULL;
	size_t n;
	int rc = load_rgba(path, &img, &rgba, e);

	if (rc != 0)
		return rc;
	n = (size_t)img.width * img.height;
	px = malloc(n * sizeof(*px));
	if (px == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "No memory to read the PNG %s.", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		px[i] = (uint32_t)rgba[4 * i] << 16 | (uint32_t)rgba[4 * i + 1] << 8 |
			rgba[4 * i + 2];
	out->w = (int)img.width;
	out->h = (int)img.height;
	out->px = px;
out:
	free(rgba);
	return rc;
}

void draw_canvas_free(struct canvas *c)
{
	if (c == NULL)
		return;
	free(c->px);
	c->px = NULL;
	c->w = c->h = 0;
}
