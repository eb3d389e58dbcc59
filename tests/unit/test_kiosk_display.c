/* test_kiosk_display: the canvas-to-device conversion for every pixel layout the kiosk
 * supports (RGB565, BGR565, 24-bit RGB and BGR, XRGB8888, XBGR8888) and every rotation,
 * into a memory device with padded rows; PNG files (round trip, RGBA input, the per-frame
 * backend); clipping of the drawing primitives; and the framebuffer's errors on a device
 * that is not one. Expected device bytes are written out by hand per layout and assume a
 * little-endian host, as fbdev pixels are in host order. No timing. */
#include "display.h"

#include "test.h"

#include <limits.h>
#include <stdbool.h>
#include <png.h>
#include <stdlib.h>
#include <unistd.h>

#define NCOLOURS 5

struct layout_case {
	const char *name;
	struct px_layout l;
	const char *hex[NCOLOURS]; /* the device bytes of each of colours[], in memory order */
};

static const uint32_t colours[NCOLOURS] = { 0xffffff, 0x000000, 0xff8040, 0x123456, 0x0000ff };

/* clang-format off */
static const struct layout_case layouts[] = {
	{ "RGB565", { 16, 11, 5, 5, 6, 0, 5 }, { "ffff", "0000", "08fc", "aa11", "1f00" } },
	{ "BGR565", { 16, 0, 5, 5, 6, 11, 5 }, { "ffff", "0000", "1f44", "a251", "00f8" } },
	{ "RGB888", { 24, 16, 8, 8, 8, 0, 8 }, { "ffffff", "000000", "4080ff", "563412", "ff0000" } },
	{ "BGR888", { 24, 0, 8, 8, 8, 16, 8 }, { "ffffff", "000000", "ff8040", "123456", "0000ff" } },
	{ "XRGB8888", { 32, 16, 8, 8, 8, 0, 8 },
	  { "ffffff00", "00000000", "4080ff00", "56341200", "ff000000" } },
	{ "XBGR8888", { 32, 0, 8, 8, 8, 16, 8 },
	  { "ffffff00", "00000000", "ff804000", "12345600", "0000ff00" } },
};
/* clang-format on */

/* Whether the bytes at p spell hex. */
static bool bytes_are(const uint8_t *p, const char *hex)
{
	for (size_t i = 0; hex[2 * i] != '\0'; i++) {
		unsigned v = 0;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || p[i] != v)
			return false;
	}
	return true;
}

#define DEV_W 5
#define DEV_H 3
#define PAD 3

/* Where a logical corner lands on the device, per rotation, spelled out rather than
 * computed: index 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. Rotation 90 is a
 * panel turned a quarter clockwise, so the logical top-left is the device's bottom-left. */
static const int corner_map[4][4] = {
	{ 0, 1, 2, 3 }, /* 0 */
	{ 2, 0, 3, 1 }, /* 90 */
	{ 3, 2, 1, 0 }, /* 180 */
	{ 1, 3, 0, 2 }, /* 270 */
};

/* Device coordinates of logical (lx, ly), checked against corner_map below. */
static void to_device(int rot, int lx, int ly, int *dx, int *dy)
{
	switch (rot) {
	case 90: *dx = ly, *dy = DEV_H - 1 - lx; break;
	case 180: *dx = DEV_W - 1 - lx, *dy = DEV_H - 1 - ly; break;
	case 270: *dx = DEV_W - 1 - ly, *dy = lx; break;
	default: *dx = lx, *dy = ly; break;
	}
}

static int colour_index(uint32_t rgb)
{
	for (int i = 0; i < NCOLOURS; i++)
		if (colours[i] == rgb)
			return i;
	return 0;
}

/* Draws corners 2, 3, 1, 4 of colours[] and a 1x2 bar of colour 4 at logical (1, 1). */
static void paint(struct canvas *c)
{
	draw_fill(c, colours[0]);
	c->px[0] = colours[2];
	c->px[c->w - 1] = colours[3];
	c->px[(size_t)(c->h - 1) * c->w] = colours[1];
	draw_rect(c, c->w - 1, c->h - 1, 1, 1, colours[4]);
	draw_rect(c, 1, 1, 1, 2, colours[4]);
}

static void check_corners(const struct canvas *c, int rot)
{
	const int lx[4] = { 0, c->w - 1, 0, c->w - 1 }, ly[4] = { 0, 0, c->h - 1, c->h - 1 };
	const int cx[4] = { 0, DEV_W - 1, 0, DEV_W - 1 }, cy[4] = { 0, 0, DEV_H - 1, DEV_H - 1 };

	for (int k = 0; k < 4; k++) {
		int dx, dy, want = corner_map[rot / 90][k];

		to_device(rot, lx[k], ly[k], &dx, &dy);
		CHECK_INT(dx, cx[want]);
		CHECK_INT(dy, cy[want]);
	}
}

/* Every device pixel has the bytes of its logical pixel; padding stays zero. */
static void check_device(const struct layout_case *lc, int rot, const struct canvas *c,
			 const uint8_t *mem, int stride)
{
	int bytes = lc->l.bpp / 8, bad = 0;

	for (int ly = 0; ly < c->h; ly++)
		for (int lx = 0; lx < c->w; lx++) {
			int dx, dy, ci = colour_index(c->px[(size_t)ly * c->w + lx]);
			const uint8_t *p;

			to_device(rot, lx, ly, &dx, &dy);
			p = mem + (size_t)dy * stride + (size_t)dx * bytes;
			bad += !bytes_are(p, lc->hex[ci]);
		}
	for (int dy = 0; dy < DEV_H; dy++)
		for (int i = DEV_W * bytes; i < stride; i++)
			bad += mem[(size_t)dy * stride + i] != 0;
	if (bad)
		fprintf(stderr, "  %s rotate %d: %d wrong pixels or padding bytes\n", lc->name, rot,
			bad);
	CHECK_INT(bad, 0);
}

TEST(test_layouts_and_rotations)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		for (int rot = 0; rot < 360; rot += 90) {
			const struct layout_case *lc = &layouts[i];
			int stride = DEV_W * lc->l.bpp / 8 + PAD;
			struct display *d = NULL;
			struct err e = { 0 };
			struct canvas *c;

			CHECK_INT(display_open_mem(DEV_W, DEV_H, stride, &lc->l, rot, &d, &e), 0);
			if (d == NULL)
				continue;
			c = display_canvas(d);
			CHECK_INT(c->w, rot % 180 ? DEV_H : DEV_W);
			CHECK_INT(c->h, rot % 180 ? DEV_W : DEV_H);
			paint(c);
			check_corners(c, rot);
			CHECK_INT(display_present(d, &e), 0);
			check_device(lc, rot, c, display_mem_bytes(d), stride);
			CHECK(display_png_path(d) == NULL);
			display_close(d);
		}
}

/* A portrait 1080x1920 frame on a landscape RGB565 panel and on an XRGB one. */
TEST(test_full_hd_frame)
{
	const int rots[2] = { 90, 0 };

	for (int k = 0; k < 2; k++) {
		const struct layout_case *lc = k == 0 ? &layouts[0] : &layouts[4];
		int w = rots[k] ? 1920 : 1080, h = rots[k] ? 1080 : 1920, bytes = lc->l.bpp / 8;
		int stride = w * bytes + 64;
		struct display *d = NULL;
		struct err e = { 0 };
		const uint8_t *m;
		struct canvas *c;

		CHECK_INT(display_open_mem(w, h, stride, &lc->l, rots[k], &d, &e), 0);
		if (d == NULL)
			continue;
		c = display_canvas(d);
		CHECK_INT(c->w, 1080);
		CHECK_INT(c->h, 1920);
		draw_fill(c, colours[3]);
		draw_rect(c, 0, 0, 1, 1, colours[2]);
		draw_rect(c, 1079, 1919, 1, 1, colours[4]);
		CHECK_INT(display_present(d, &e), 0);
		m = display_mem_bytes(d);
		/* Logical top-left: device bottom-left when rotated; bottom-right: top-right. */
		CHECK(bytes_are(m + (size_t)(rots[k] ? h - 1 : 0) * stride, lc->hex[2]));
		CHECK(bytes_are(m + (size_t)(rots[k] ? 0 : h - 1) * stride +
					(size_t)(w - 1) * bytes,
				lc->hex[4]));
		CHECK(bytes_are(m + (size_t)(h / 2) * stride + (size_t)(w / 2) * bytes,
				lc->hex[3]));
		CHECK(m[(size_t)(h - 1) * stride + (size_t)w * bytes + 63] == 0);
		display_close(d);
	}
}

TEST(test_bad_memory_devices)
{
	const struct px_layout rgb8 = { 8, 5, 3, 2, 3, 0, 2 }, wide = { 32, 20, 10, 10, 10, 0, 10 };
	struct display *d = NULL;
	struct err e = { 0 };

	CHECK_INT(display_open_mem(4, 4, 16, &layouts[4].l, 45, &d, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "45") != NULL);
	CHECK_INT(display_open_mem(4, 4, 15, &layouts[4].l, 0, &d, &e), ERR_INVALID);
	CHECK_INT(display_open_mem(4, 4, 4, &rgb8, 0, &d, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "8 bits per pixel") != NULL);
	CHECK_INT(display_open_mem(4, 4, 16, &wide, 0, &d, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "red") != NULL);
	CHECK_INT(display_open_mem(0, 4, 16, &layouts[4].l, 0, &d, &e), ERR_INVALID);
	CHECK(d == NULL);
}

TEST(test_fb_errors)
{
	struct display *d = NULL;
	struct err e = { 0 };

	CHECK_INT(display_open_fb("/dev/null", 0, &d, &e), ERR_IO);
	CHECK(strstr(e.msg, "/dev/null is not a framebuffer") != NULL);
	CHECK_INT(display_open_fb("/nonexistent/fb7", 90, &d, &e), ERR_IO);
	CHECK(strstr(e.msg, "/nonexistent/fb7") != NULL);
	CHECK(strstr(e.msg, "No such file") != NULL);
	CHECK(d == NULL);
}

static void temp_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/test_kiosk_display.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void fill_pattern(struct canvas *c, uint32_t seed)
{
	for (int i = 0; i < c->w * c->h; i++)
		c->px[i] = (seed + (uint32_t)i * 0x0b1d37u) & 0xffffff;
}

static int same_canvas(const struct canvas *a, const struct canvas *b)
{
	return a->w == b->w && a->h == b->h &&
		memcmp(a->px, b->px, (size_t)a->w * a->h * sizeof(uint32_t)) == 0;
}

TEST(test_png_round_trip)
{
	uint32_t px[7 * 5];
	struct canvas c = { 7, 5, px }, back = { 0 };
	struct err e = { 0 };
	char dir[64], path[128];

	temp_dir(dir);
	snprintf(path, sizeof(path), "%s/shot.png", dir);
	fill_pattern(&c, 0x123456);
	CHECK_INT(draw_save_png(&c, path, &e), 0);
	CHECK_INT(draw_load_png(path, &back, &e), 0);
	CHECK(same_canvas(&c, &back));
	draw_canvas_free(&back);
	CHECK(back.px == NULL);
	draw_canvas_free(NULL);
	unlink(path);
	CHECK_INT(draw_load_png(path, &back, &e), ERR_IO);
	CHECK(strstr(e.msg, path) != NULL);
	CHECK_INT(draw_save_png(&c, "/nonexistent/dir/x.png", &e), ERR_IO);
	rmdir(dir);
}

/* An RGBA file (as an image editor may save a golden image) loads as its RGB. */
TEST(test_png_rgba_input)
{
	const uint8_t rgba[2 * 4] = { 0xff, 0x80, 0x40, 0xff, 0x12, 0x34, 0x56, 0xff };
	struct canvas back = { 0 };
	struct err e = { 0 };
	png_image img;
	char dir[64], path[128];

	temp_dir(dir);
	snprintf(path, sizeof(path), "%s/rgba.png", dir);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = 2;
	img.height = 1;
	img.format = PNG_FORMAT_RGBA;
	CHECK(png_image_write_to_file(&img, path, 0, rgba, 0, NULL));
	CHECK_INT(draw_load_png(path, &back, &e), 0);
	CHECK_INT(back.w, 2);
	CHECK_INT(back.h, 1);
	if (back.px != NULL) {
		CHECK_INT(back.px[0], 0xff8040);
		CHECK_INT(back.px[1], 0x123456);
	}
	draw_canvas_free(&back);
	unlink(path);
	rmdir(dir);
}

TEST(test_png_backend)
{
	struct display *d = NULL;
	struct canvas back = { 0 };
	struct err e = { 0 };
	char dir[64], pattern[128], want[128];

	temp_dir(dir);
	snprintf(pattern, sizeof(pattern), "%s/frame-%%d.png", dir);
	CHECK_INT(display_open_png(pattern, 6, 4, &d, &e), 0);
	if (d == NULL)
		return;
	CHECK(display_png_path(d) == NULL);
	CHECK(display_mem_bytes(d) == NULL);
	for (int f = 0; f < 2; f++) {
		fill_pattern(display_canvas(d), (uint32_t)f * 77);
		CHECK_INT(display_present(d, &e), 0);
		snprintf(want, sizeof(want), "%s/frame-%d.png", dir, f);
		CHECK_STR(display_png_path(d), want);
		CHECK_INT(draw_load_png(want, &back, &e), 0);
		CHECK(same_canvas(display_canvas(d), &back));
		draw_canvas_free(&back);
		unlink(want);
	}
	display_close(d);
	display_close(NULL);
	rmdir(dir);
}

#define CW 10
#define CH 8
#define BG 0x555555u

static int count_colour(const struct canvas *c, uint32_t rgb)
{
	int n = 0;

	for (int i = 0; i < c->w * c->h; i++)
		n += c->px[i] == rgb;
	return n;
}

TEST(test_rect_clipping)
{
	uint32_t px[CW * CH];
	struct canvas c = { CW, CH, px };

	draw_fill(&c, BG);
	draw_rect(&c, -3, -2, 6, 5, 0xff0000);
	CHECK_INT(count_colour(&c, 0xff0000), 9);
	CHECK_INT(px[2 * CW + 2], 0xff0000);
	CHECK_INT(px[3 * CW + 2], BG);
	draw_rect(&c, 8, 6, 100, 100, 0x00ff00);
	CHECK_INT(count_colour(&c, 0x00ff00), 4);
	draw_rect(&c, INT_MAX - 1, 0, INT_MAX, 5, 0x0000ff);
	draw_rect(&c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, 0x0000ff);
	draw_rect(&c, 2, 2, -3, 4, 0x0000ff);
	draw_rect(&c, CW, 0, 3, 3, 0x0000ff);
	CHECK_INT(count_colour(&c, 0x0000ff), 0);
	draw_round_rect(&c, -5, -5, 30, 30, 6, 0x0000ff);
	CHECK_INT(count_colour(&c, 0x0000ff), CW * CH);
}

TEST(test_round_rect)
{
	uint32_t px[30 * 30];
	struct canvas c = { 30, 30, px };

	draw_fill(&c, BG);
	draw_round_rect(&c, 0, 0, 20, 20, 5, 0xffffff);
	CHECK_INT(px[0], BG);
	CHECK_INT(px[0 * 30 + 2], BG);
	CHECK_INT(px[19 * 30 + 19], BG);
	CHECK_INT(px[19 * 30 + 0], BG);
	CHECK_INT(px[0 * 30 + 19], BG);
	CHECK_INT(px[10 * 30 + 10], 0xffffff);
	CHECK_INT(px[10 * 30 + 0], 0xffffff);
	CHECK_INT(px[0 * 30 + 5], 0xffffff);
	CHECK_INT(px[19 * 30 + 14], 0xffffff);
	CHECK_INT(px[3 * 30 + 3], 0xffffff);
	CHECK_INT(px[20 * 30 + 10], BG);
	CHECK_INT(px[10 * 30 + 20], BG);
}

/* A 4x4 glyph with two padding bytes per row that must never be read as coverage. */
TEST(test_mask_blend_and_clip)
{
	uint32_t px[CW * CH];
	struct canvas c = { CW, CH, px };
	const int pitch = 6;
	uint8_t *mask = malloc((size_t)pitch * 3 + 4); /* exactly what the rows need */

	CHECK(mask != NULL);
	if (mask == NULL)
		return;
	memset(mask, 0x77, (size_t)pitch * 3 + 4);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			mask[y * pitch + x] = (uint8_t)(x == 3 ? 128 : x == 2 ? 255 : 0);
	draw_fill(&c, 0x000000);
	draw_mask(&c, -2, 6, mask, 4, 4, pitch, 0xff8040);
	CHECK_INT(px[6 * CW + 0], 0xff8040);
	CHECK_INT(px[6 * CW + 1], 0x804020);
	CHECK_INT(px[7 * CW + 1], 0x804020);
	CHECK_INT(px[7 * CW + 2], 0x000000);
	CHECK_INT(count_colour(&c, 0x000000), CW * CH - 4);
	draw_fill(&c, 0xffffff);
	draw_mask(&c, 7, -3, mask, 4, 4, pitch, 0x000000);
	CHECK_INT(px[0 * CW + 9], 0x000000);
	CHECK_INT(px[0 * CW + 8], 0xffffff);
	CHECK_INT(count_colour(&c, 0x000000), 1);
	draw_mask(&c, CW, CH, mask, 4, 4, pitch, 0x000000);
	draw_mask(&c, -4, 0, mask, 4, 4, pitch, 0x000000);
	CHECK_INT(count_colour(&c, 0x000000), 1);
	free(mask);
}

TEST(test_modules)
{
	const unsigned char dark[9] = { 1, 0, 1, 0, 1, 0, 1, 1, 0 };
	uint32_t px[CW * CH];
	struct canvas c = { CW, CH, px };

	draw_fill(&c, BG);
	draw_modules(&c, 1, 1, dark, 3, 2);
	CHECK_INT(px[0], BG);
	CHECK_INT(px[1 * CW + 1], 0x000000);
	CHECK_INT(px[2 * CW + 2], 0x000000);
	CHECK_INT(px[1 * CW + 3], 0xffffff);
	CHECK_INT(px[3 * CW + 3], 0x000000);
	CHECK_INT(px[6 * CW + 3], 0x000000);
	CHECK_INT(px[6 * CW + 6], 0xffffff);
	CHECK_INT(px[7 * CW + 7], BG);
	CHECK_INT(count_colour(&c, 0x000000), 5 * 4);
	CHECK_INT(count_colour(&c, 0xffffff), 4 * 4);
	draw_fill(&c, BG);
	draw_modules(&c, 6, 5, dark, 3, 2);
	CHECK_INT(px[5 * CW + 6], 0x000000);
	CHECK_INT(px[5 * CW + 8], 0xffffff);
	CHECK_INT(count_colour(&c, BG), CW * CH - 4 * 3);
}

int main(void)
{
	RUN(test_layouts_and_rotations);
	RUN(test_full_hd_frame);
	RUN(test_bad_memory_devices);
	RUN(test_fb_errors);
	RUN(test_png_round_trip);
	RUN(test_png_rgba_input);
	RUN(test_png_backend);
	RUN(test_rect_clipping);
	RUN(test_round_rect);
	RUN(test_mask_blend_and_clip);
	RUN(test_modules);
	return TEST_END();
}
