/* display: the display object, its canvas and the conversion of a canvas into a device's
 * pixels (see display.h), plus the PNG and memory backends; the framebuffer backend is in
 * display_fb.c, the only file that touches a device. Conversion writes the device row by
 * row (sequential writes suit write-combined framebuffer memory); a rotated canvas is first
 * gathered in bands of rows so that reads stay within cache lines. Packing uses shifts and
 * masks computed once per layout, four pixels at a time, and XRGB8888 is a plain copy: a
 * 1080x1920 frame converts in a few milliseconds. Never logs. */
#include "display_int.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const channel_name[3] = { "red", "green", "blue" };

static int check_layout(const struct px_layout *l, struct err *e)
{
	const int off[3] = { l->r_off, l->g_off, l->b_off };
	const int len[3] = { l->r_len, l->g_len, l->b_len };

	if (l->bpp != 16 && l->bpp != 24 && l->bpp != 32)
		return err_set(e, ERR_INVALID, "bpp",
			       "%d bits per pixel is not supported; 16, 24 or 32 are.", l->bpp);
	for (int i = 0; i < 3; i++)
		if (len[i] < 1 || len[i] > 8 || off[i] < 0 || off[i] + len[i] > l->bpp)
			return err_set(
				e, ERR_INVALID, "layout",
				"The %s channel (offset %d, length %d) does not fit a %d-bit "
				"pixel with 1 to 8 bits per channel.",
				channel_name[i], off[i], len[i], l->bpp);
	return 0;
}

/* A channel's top len bits sit at bit (top - len) of a canvas pixel; they move to off. */
static void conv_init(struct display_conv *cv, const struct px_layout *l)
{
	cv->bytes = l->bpp / 8;
	cv->rs = (uint32_t)(24 - l->r_len);
	cv->gs = (uint32_t)(16 - l->g_len);
	cv->bs = (uint32_t)(8 - l->b_len);
	cv->rm = (1u << l->r_len) - 1;
	cv->gm = (1u << l->g_len) - 1;
	cv->bm = (1u << l->b_len) - 1;
	cv->ro = (uint32_t)(l->r_off);
	cv->go = (uint32_t)(l->g_off);
	cv->bo = (uint32_t)(l->b_off);
	cv->xrgb = l->bpp == 32 && l->r_off == 16 && l->r_len == 8 && l->g_off == 8 &&
		l->g_len == 8 && l->b_off == 0 && l->b_len == 8;
}

/* Four pixels at a time through GCC's vector extension (SSE2, NEON): -O2 does not
 * auto-vectorise this loop, and a scalar loop costs several milliseconds per frame. */
typedef uint32_t px_vec __attribute__((vector_size(16)));
typedef uint16_t px_vec16 __attribute__((vector_size(8)));

static inline px_vec pack_vec(const struct display_conv *k, px_vec p)
{
	return ((p >> k->rs) & k->rm) << k->ro | ((p >> k->gs) & k->gm) << k->go |
		((p >> k->bs) & k->bm) << k->bo;
}

/* One device pixel: 16 and 32 bits in host order, as fbdev has them; 24 bits as three
 * bytes, least significant first. */
static inline void store_px(int bytes, uint32_t v, uint8_t *dst)
{
	uint16_t h = (uint16_t)v;

	if (bytes == 4) {
		memcpy(dst, &v, 4);
	} else if (bytes == 2) {
		memcpy(dst, &h, 2);
	} else {
		dst[0] = (uint8_t)v;
		dst[1] = (uint8_t)(v >> 8);
		dst[2] = (uint8_t)(v >> 16);
	}
}

static inline void store_vec(int bytes, px_vec v, uint8_t *dst)
{
	if (bytes == 4) {
		memcpy(dst, &v, sizeof(v));
	} else if (bytes == 2) {
		px_vec16 h = __builtin_convertvector(v, px_vec16);

		memcpy(dst, &h, sizeof(h));
	} else {
		for (int j = 0; j < 4; j++)
			store_px(3, v[j], dst + 3 * j);
	}
}

/* Packs n canvas pixels into a device row (which need not be aligned). The layout is
 * copied to a local so that stores through dst cannot force it to be reloaded. */
static void pack_row(const struct display_conv *cv, const uint32_t *in, uint8_t *dst, int n)
{
	const struct display_conv k = *cv;
	int i = 0;

	if (k.xrgb) {
		memcpy(dst, in, (size_t)n * 4);
		return;
	}
	for (; i + 4 <= n; i += 4) {
		px_vec p;

		memcpy(&p, in + i, sizeof(p));
		store_vec(k.bytes, pack_vec(&k, p), dst + (size_t)i * (size_t)k.bytes);
	}
	for (; i < n; i++) {
		px_vec p = { in[i], 0, 0, 0 };

		store_px(k.bytes, pack_vec(&k, p)[0], dst + (size_t)i * (size_t)k.bytes);
	}
}

/* Where device pixel (dx, dy) comes from: canvas index at0 + dx * dxstep + dy * dystep.
 * With rotate 90 the logical picture is the device's turned a quarter clockwise: logical
 * (lx, ly) is device (ly, h_dev - 1 - lx), so the logical top-left is the device's
 * bottom-left; 270 is the opposite turn. */
static void set_origin(struct display *d)
{
	ptrdiff_t cw = d->canvas.w;

	switch (d->rotate) {
	case 90: d->at0 = d->h_dev - 1, d->dxstep = cw, d->dystep = -1; break;
	case 180: d->at0 = (ptrdiff_t)d->h_dev * cw - 1, d->dxstep = -1, d->dystep = -cw; break;
	case 270: d->at0 = (ptrdiff_t)(d->w_dev - 1) * cw, d->dxstep = -cw, d->dystep = 1; break;
	default: d->at0 = 0, d->dxstep = 1, d->dystep = cw; break;
	}
}

/* Copies the canvas pixels of device rows dy0 .. dy0 + rows - 1 into the band. Walking
 * the device row-wise through a rotated canvas would touch a new cache line and often a
 * new page per pixel; a band of DISPLAY_BAND rows reads whole cache lines instead. */
static void gather_band(struct display *d, int dy0, int rows)
{
	const uint32_t *src = d->canvas.px;
	uint32_t *restrict band = d->band;
	ptrdiff_t at = d->at0 + dy0 * d->dystep, dys = d->dystep, w = d->w_dev;

	for (ptrdiff_t dx = 0; dx < w; dx++, at += d->dxstep)
		for (ptrdiff_t r = 0; r < rows; r++)
			band[r * w + dx] = src[at + r * dys];
}

void display_convert(struct display *d, uint8_t *dst)
{
	size_t stride = (size_t)d->stride;

	if (d->rotate == 0) {
		for (int dy = 0; dy < d->h_dev; dy++)
			pack_row(&d->cv, d->canvas.px + (size_t)dy * (size_t)d->w_dev,
				 dst + (size_t)dy * stride, d->w_dev);
		return;
	}
	for (int dy0 = 0; dy0 < d->h_dev; dy0 += DISPLAY_BAND) {
		int rows = d->h_dev - dy0 < DISPLAY_BAND ? d->h_dev - dy0 : DISPLAY_BAND;

		gather_band(d, dy0, rows);
		for (int r = 0; r < rows; r++)
			pack_row(&d->cv, d->band + (size_t)r * (size_t)d->w_dev,
				 dst + (size_t)(dy0 + r) * stride, d->w_dev);
	}
}

static int check_geometry(int w_dev, int h_dev, int stride, int bpp, int rotate, struct err *e)
{
	if (w_dev < 1 || h_dev < 1 || w_dev > DISPLAY_MAX_DIM || h_dev > DISPLAY_MAX_DIM)
		return err_set(e, ERR_INVALID, "size",
			       "A display of %dx%d pixels is not supported (1 to %d each way).",
			       w_dev, h_dev, DISPLAY_MAX_DIM);
	if (stride < w_dev * (bpp / 8) || stride > DISPLAY_MAX_STRIDE)
		return err_set(
			e, ERR_INVALID, "stride",
			"A row of %d bytes cannot hold %d pixels of %d bits (or exceeds %d).",
			stride, w_dev, bpp, DISPLAY_MAX_STRIDE);
	if (rotate != 0 && rotate != 90 && rotate != 180 && rotate != 270)
		return err_set(e, ERR_INVALID, "rotate",
			       "Rotation %d is not supported; use 0, 90, 180 or 270.", rotate);
	return 0;
}

int display_new(enum display_kind kind, int w_dev, int h_dev, int stride,
		const struct px_layout *layout, int rotate, struct display **out, struct err *e)
{
	struct display *d = NULL;
	int rc = check_layout(layout, e);

	if (rc == 0)
		rc = check_geometry(w_dev, h_dev, stride, layout->bpp, rotate, e);
	if (rc != 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return err_set(e, ERR_NOMEM, NULL, "No memory for the display.");
	d->kind = kind;
	d->fd = -1;
	d->w_dev = w_dev;
	d->h_dev = h_dev;
	d->stride = stride;
	d->rotate = rotate;
	conv_init(&d->cv, layout);
	d->canvas.w = rotate % 180 ? h_dev : w_dev;
	d->canvas.h = rotate % 180 ? w_dev : h_dev;
	set_origin(d);
	d->canvas.px = calloc((size_t)w_dev * (size_t)h_dev, sizeof(uint32_t));
	d->band = malloc((size_t)w_dev * DISPLAY_BAND * sizeof(uint32_t));
	if (d->canvas.px == NULL || d->band == NULL) {
		display_close(d);
		return err_set(e, ERR_NOMEM, NULL, "No memory for a %dx%d canvas.", w_dev, h_dev);
	}
	*out = d;
	return 0;
}

int display_open_png(const char *path, int w, int h, struct display **out, struct err *e)
{
	static const struct px_layout xrgb = { 32, 16, 8, 8, 8, 0, 8 };
	struct display *d = NULL;
	size_t len = path ? strnlen(path, PATH_MAX) : 0;
	int rc;

	/* Room for the frame number in place of %d and for draw_save_png's ".tmp". */
	if (len == 0 || len > PATH_MAX - 32)
		return err_set(e, ERR_INVALID, "path", "The PNG path is empty or too long.");
	rc = display_new(DISPLAY_PNG, w, h, w * 4, &xrgb, 0, &d, e);
	if (rc != 0)
		return rc;
	d->pattern = strdup(path);
	if (d->pattern == NULL) {
		display_close(d);
		return err_set(e, ERR_NOMEM, NULL, "No memory for the display.");
	}
	*out = d;
	return 0;
}

int display_open_mem(int w, int h, int stride, const struct px_layout *layout, int rotate,
		     struct display **out, struct err *e)
{
	struct display *d = NULL;
	int rc;

	assert(layout != NULL);
	rc = display_new(DISPLAY_MEM, w, h, stride, layout, rotate, &d, e);
	if (rc != 0)
		return rc;
	d->mem = calloc((size_t)h, (size_t)stride);
	if (d->mem == NULL) {
		display_close(d);
		return err_set(e, ERR_NOMEM, NULL, "No memory for a %d x %d byte device.", stride,
			       h);
	}
	*out = d;
	return 0;
}

void display_close(struct display *d)
{
	if (d == NULL)
		return;
	if (d->kind == DISPLAY_FB)
		display_fb_release(d);
	free(d->mem);
	free(d->pattern);
	free(d->canvas.px);
	free(d->band);
	free(d);
}

struct canvas *display_canvas(struct display *d)
{
	return &d->canvas;
}

/* The frame number replaces the first "%d" of the pattern; the rest is taken literally, so a
 * configured path is never used as a printf format. */
static int png_present(struct display *d, struct err *e)
{
	char path[PATH_MAX];
	const char *pct = strstr(d->pattern, "%d");
	unsigned frame = d->frame++;
	int n, rc;

	if (pct != NULL)
		n = snprintf(path, sizeof(path), "%.*s%u%s", (int)(pct - d->pattern), d->pattern,
			     frame, pct + 2);
	else
		n = snprintf(path, sizeof(path), "%s", d->pattern);
	if (n < 0 || n >= (int)sizeof(path))
		return err_set(e, ERR_INVALID, "path", "The PNG path for frame %u is too long.",
			       frame);
	rc = draw_save_png(&d->canvas, path, e);
	if (rc == 0) {
		memcpy(d->last, path, (size_t)n + 1);
		d->written = true;
	}
	return rc;
}

int display_present(struct display *d, struct err *e)
{
	switch (d->kind) {
	case DISPLAY_FB: return display_fb_present(d, e);
	case DISPLAY_PNG: return png_present(d, e);
	case DISPLAY_MEM: display_convert(d, d->mem); return 0;
	}
	return err_set(e, ERR_INTERNAL, NULL, "Unknown display kind %d.", (int)d->kind);
}

const uint8_t *display_mem_bytes(const struct display *d)
{
	return d->kind == DISPLAY_MEM ? d->mem : NULL;
}

const char *display_png_path(const struct display *d)
{
	return d->kind == DISPLAY_PNG && d->written ? d->last : NULL;
}
