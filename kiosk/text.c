/* text: FreeType behind the kiosk's text. Owns the font chain (a code point comes from the
 * first font that has it, else the last font's .notdef box), the glyph cache, UTF-8 decoding,
 * measuring and drawing one line on a canvas or into a 1-bit printer raster. Line breaking
 * lives in text_wrap.c and uses only the public calls below. Fonts are read in text_open;
 * afterwards nothing here touches a file. Not thread-safe: the cache is shared state. */
#include "text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H

/* 4096 glyphs in 4-way sets: a screen of Chinese uses a few hundred distinct characters at
 * two or three sizes, so misses are rare and the table never grows. The byte budget caps the
 * bitmaps too: past it the whole cache is dropped, which only costs re-rendering. */
#define TEXT_CACHE_WAYS 4
#define TEXT_CACHE_SETS 1024
#define TEXT_CACHE_BYTES (16 * 1024 * 1024)
/* Beyond this a glyph bitmap alone could eat a megabyte; no kiosk screen needs it. */
#define TEXT_MAX_PX 400
/* A printer line is at most a few hundred dots; this only stops absurd allocations. */
#define TEXT_MAX_RASTER_W 16384
#define TEXT_REPLACEMENT 0xFFFD

struct text_glyph {
	uint8_t *bits; /* w x h alpha, pitch w; NULL when empty */
	uint32_t cp, stamp; /* stamp: last use, for eviction inside the set */
	int16_t px, font; /* font -1: a free slot */
	int16_t left, top, w, h, adv;
};

struct text_font {
	FT_Face face;
	int px; /* the size last set on the face, 0 for none */
};

struct text {
	FT_Library lib;
	int nfonts;
	struct text_font font[TEXT_MAX_FONTS];
	struct text_glyph cache[TEXT_CACHE_SETS][TEXT_CACHE_WAYS];
	size_t bytes; /* bitmap bytes held by the cache */
	uint32_t tick;
};

/* ---- fonts ---- */

/* A collection such as NotoSansCJK-Regular.ttc holds the JP, KR, SC, TC and HK faces, and
 * face 0 is Japanese: its forms of many shared characters look wrong to Chinese readers, so
 * the first face whose family names SC (Simplified Chinese) is taken when there is one. */
static FT_Face open_face(FT_Library lib, const char *path)
{
	FT_Face face = NULL, other = NULL;

	if (FT_New_Face(lib, path, 0, &face) != 0)
		return NULL;
	for (FT_Long i = 1; i < face->num_faces; i++) {
		if (FT_New_Face(lib, path, i, &other) != 0)
			break;
		if (other->family_name != NULL && strstr(other->family_name, " SC") != NULL) {
			FT_Done_Face(face);
			return other;
		}
		FT_Done_Face(other);
	}
	return face;
}

int text_open(const char *const *paths, int n, struct text **out, int *missing, struct err *e)
{
	struct text *t = NULL;
	int rc = 0, lost = 0;

	if (n < 1 || n > TEXT_MAX_FONTS)
		return err_set(e, ERR_INVALID, "fonts", "Give 1 to %d font paths, not %d.",
			       TEXT_MAX_FONTS, n);
	t = calloc(1, sizeof(*t));
	if (t == NULL || FT_Init_FreeType(&t->lib) != 0) {
		rc = err_set(e, ERR_NOMEM, NULL, "Cannot start FreeType: out of memory.");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		FT_Face face = paths[i] != NULL ? open_face(t->lib, paths[i]) : NULL;

		if (face == NULL) {
			lost++;
			continue;
		}
		t->font[t->nfonts++].face = face;
	}
	if (t->nfonts == 0) {
		rc = err_set(e, ERR_IO, "font",
			     "Cannot open the font %s%s: check that the font package is installed.",
			     paths[0] != NULL ? paths[0] : "(null)",
			     n > 1 ? " nor any other font of the list" : "");
		goto out;
	}
	for (int s = 0; s < TEXT_CACHE_SETS; s++)
		for (int w = 0; w < TEXT_CACHE_WAYS; w++)
			t->cache[s][w].font = -1;
	*out = t;
	if (missing != NULL)
		*missing = lost;
	t = NULL;
out:
	text_close(t);
	return rc;
}

static void cache_flush(struct text *t)
{
	for (int s = 0; s < TEXT_CACHE_SETS; s++) {
		for (int w = 0; w < TEXT_CACHE_WAYS; w++) {
			free(t->cache[s][w].bits);
			t->cache[s][w].bits = NULL;
			t->cache[s][w].font = -1;
		}
	}
	t->bytes = 0;
}

void text_close(struct text *t)
{
	if (t == NULL)
		return;
	cache_flush(t);
	for (int i = 0; i < t->nfonts; i++)
		FT_Done_Face(t->font[i].face);
	if (t->lib != NULL)
		FT_Done_FreeType(t->lib);
	free(t);
}

/* The font of the chain that has cp, with its glyph index in *gi; -1 when none has it. */
static int font_for(const struct text *t, uint32_t cp, FT_UInt *gi)
{
	for (int i = 0; i < t->nfonts; i++) {
		*gi = FT_Get_Char_Index(t->font[i].face, cp);
		if (*gi != 0)
			return i;
	}
	*gi = 0;
	return -1;
}

bool text_has(struct text *t, uint32_t cp)
{
	FT_UInt gi;

	assert(t != NULL);
	return font_for(t, cp, &gi) >= 0;
}

static int set_size(struct text *t, int font, int px)
{
	if (t->font[font].px == px)
		return 0;
	if (FT_Set_Pixel_Sizes(t->font[font].face, 0, (FT_UInt)px) != 0)
		return -1;
	t->font[font].px = px;
	return 0;
}

/* The first font's ascender and descender at px, in whole pixels (descender <= 0): every
 * glyph of a line sits on the first font's baseline so that fallbacks line up with it. */
static void line_metrics(struct text *t, int px, int *asc, int *desc)
{
	FT_Size_Metrics *m;

	*asc = px;
	*desc = 0;
	if (set_size(t, 0, px) != 0)
		return;
	m = &t->font[0].face->size->metrics;
	*asc = (int)((m->ascender + 63) / 64);
	*desc = -(int)((-m->descender + 63) / 64);
}

/* ---- the glyph cache ---- */

/* Copies FreeType's bitmap as 8-bit alpha with pitch w; a 1-bit bitmap (a font's embedded
 * strike) becomes 0 or 255. Other modes are left blank: our fonts are outlines. */
static void copy_bitmap(const FT_Bitmap *b, uint8_t *dst)
{
	int w = (int)b->width, pitch = b->pitch < 0 ? -b->pitch : b->pitch;

	for (int y = 0; y < (int)b->rows; y++) {
		const uint8_t *row = b->buffer + (size_t)y * (size_t)pitch;

		for (int x = 0; x < w; x++) {
			if (b->pixel_mode == FT_PIXEL_MODE_GRAY)
				dst[y * w + x] = row[x];
			else if (b->pixel_mode == FT_PIXEL_MODE_MONO)
				dst[y * w + x] = (row[x >> 3] & (0x80 >> (x & 7))) ? 255 : 0;
		}
	}
}

/* Renders glyph gi of font at px into the free slot g. */
static int glyph_render(struct text *t, struct text_glyph *g, int font, FT_UInt gi, int px)
{
	FT_GlyphSlot slot;
	size_t size;

	if (set_size(t, font, px) != 0 ||
	    FT_Load_Glyph(t->font[font].face, gi, FT_LOAD_RENDER) != 0)
		return -1;
	slot = t->font[font].face->glyph;
	if (slot->bitmap.width > INT16_MAX || slot->bitmap.rows > INT16_MAX)
		return -1;
	size = (size_t)slot->bitmap.width * slot->bitmap.rows;
	if (size > 0) {
		g->bits = malloc(size);
		if (g->bits == NULL)
			return -1;
		copy_bitmap(&slot->bitmap, g->bits);
	}
	t->bytes += size;
	g->w = (int16_t)slot->bitmap.width;
	g->h = (int16_t)slot->bitmap.rows;
	g->left = (int16_t)slot->bitmap_left;
	g->top = (int16_t)slot->bitmap_top;
	g->adv = (int16_t)((slot->advance.x + 32) / 64);
	return 0;
}

static unsigned cache_set(int font, int px, uint32_t cp)
{
	uint32_t h = cp * 2654435761u ^ (uint32_t)px * 40503u ^ (uint32_t)font * 0x9E3779B9u;

	return (h ^ h >> 15) % TEXT_CACHE_SETS;
}

/* The glyph for cp at px, rendered on a miss; NULL when FreeType fails. The pointer is good
 * until the next call, which may evict it. */
static const struct text_glyph *glyph_get(struct text *t, int px, uint32_t cp)
{
	FT_UInt gi;
	int font = font_for(t, cp, &gi);
	struct text_glyph *set, *g;

	if (font < 0)
		font = t->nfonts - 1; /* glyph 0, the .notdef box, of the last font */
	set = t->cache[cache_set(font, px, cp)];
	g = &set[0];
	for (int w = 0; w < TEXT_CACHE_WAYS; w++) {
		if (set[w].font == font && set[w].px == px && set[w].cp == cp) {
			set[w].stamp = ++t->tick;
			return &set[w];
		}
		if (set[w].font < 0 || (g->font >= 0 && set[w].stamp < g->stamp))
			g = &set[w];
	}
	if (t->bytes > TEXT_CACHE_BYTES)
		cache_flush(t);
	free(g->bits);
	t->bytes -= g->font >= 0 ? (size_t)g->w * (size_t)g->h : 0;
	memset(g, 0, sizeof(*g));
	g->font = -1;
	if (glyph_render(t, g, font, gi, px) != 0)
		return NULL;
	g->font = (int16_t)font;
	g->px = (int16_t)px;
	g->cp = cp;
	g->stamp = ++t->tick;
	return g;
}

/* ---- decoding and drawing ---- */

/* The length a lead byte announces: 1 to 4, or 0 for a byte that cannot start a sequence
 * (a continuation byte, C0 and C1 which only start overlongs, F5..FF beyond U+10FFFF). */
static size_t lead_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return c < 0xF5 ? 4 : 0;
}

/* The code point at s (avail > 0 bytes) and its length in *n. Anything that is not a
 * well-formed sequence (stray continuation, overlong, surrogate, truncated) is one U+FFFD
 * per byte, so bad input still shows where it is and never desynchronises the rest. */
static uint32_t decode(const unsigned char *s, size_t avail, size_t *n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = lead_len(s[0]);
	uint32_t cp = s[0] & (0x7F >> len);

	*n = 1;
	if (len == 1)
		return s[0];
	if (len == 0 || len > avail)
		return TEXT_REPLACEMENT;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return TEXT_REPLACEMENT;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return TEXT_REPLACEMENT;
	*n = len;
	return cp;
}

/* Walks a line: calls put (may be NULL) for every glyph with a bitmap, at its top-left
 * relative to the line's top-left, and returns the line's width. Control characters take no
 * room, so a stray newline or tab never shows as a box. */
static int walk(struct text *t, int px, const char *utf8,
		void (*put)(void *ctx, const struct text_glyph *g, int x, int y), void *ctx)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len, n;
	int pen = 0, asc, desc;

	if (utf8 == NULL || px <= 0)
		return 0;
	px = px > TEXT_MAX_PX ? TEXT_MAX_PX : px;
	line_metrics(t, px, &asc, &desc);
	len = strlen(utf8);
	for (size_t i = 0; i < len; i += n) {
		uint32_t cp = decode(s + i, len - i, &n);
		const struct text_glyph *g = cp < 0x20 || cp == 0x7F ? NULL : glyph_get(t, px, cp);

		if (g == NULL)
			continue;
		if (put != NULL && g->bits != NULL)
			put(ctx, g, pen + g->left, asc - g->top);
		pen += g->adv;
	}
	return pen;
}

int text_width(struct text *t, int px, const char *utf8)
{
	assert(t != NULL);
	return walk(t, px, utf8, NULL, NULL);
}

struct text_canvas_ctx {
	struct canvas *c;
	int x, y;
	uint32_t rgb;
};

static void put_canvas(void *ctx, const struct text_glyph *g, int x, int y)
{
	struct text_canvas_ctx *cc = ctx;

	draw_mask(cc->c, cc->x + x, cc->y + y, g->bits, g->w, g->h, g->w, cc->rgb);
}

int text_draw(struct text *t, struct canvas *c, int px, int x, int y, uint32_t rgb,
	      const char *utf8)
{
	struct text_canvas_ctx cc = { c, x, y, rgb };

	assert(t != NULL && c != NULL);
	return walk(t, px, utf8, put_canvas, &cc);
}

struct text_raster_ctx {
	uint8_t *bits;
	int w, h;
};

/* Thresholds the anti-aliased glyph at half coverage: a thermal head has no grey, and half
 * keeps strokes as thick as they look on screen. */
static void put_raster(void *ctx, const struct text_glyph *g, int x, int y)
{
	struct text_raster_ctx *rc = ctx;

	for (int gy = 0; gy < g->h; gy++) {
		int ry = y + gy;

		if (ry < 0 || ry >= rc->h)
			continue;
		for (int gx = 0; gx < g->w; gx++) {
			int rx = x + gx;

			if (rx >= 0 && rx < rc->w && g->bits[gy * g->w + gx] >= 128)
				rc->bits[ry * (rc->w / 8) + rx / 8] |= (uint8_t)(0x80 >> (rx & 7));
		}
	}
}

int text_raster(struct text *t, int px, const char *utf8, uint8_t **out, int *w, int *h,
		struct err *e)
{
	struct text_raster_ctx rc = { NULL, 0, 0 };
	int width, asc, desc;

	assert(t != NULL && out != NULL && w != NULL && h != NULL);
	if (px <= 0 || px > TEXT_MAX_PX)
		return err_set(e, ERR_INVALID, "px", "A text size of %d pixels cannot be printed.",
			       px);
	width = text_width(t, px, utf8);
	if (width > TEXT_MAX_RASTER_W)
		return err_set(e, ERR_TOOBIG, "text",
			       "The line is %d dots wide; the limit is %d: wrap it first.", width,
			       TEXT_MAX_RASTER_W);
	line_metrics(t, px, &asc, &desc);
	rc.w = width < 8 ? 8 : (width + 7) / 8 * 8;
	rc.h = asc - desc;
	rc.bits = calloc((size_t)(rc.w / 8) * (size_t)rc.h, 1);
	if (rc.bits == NULL)
		return err_set(e, ERR_NOMEM, NULL, "Out of memory for a %dx%d print line.", rc.w,
			       rc.h);
	walk(t, px, utf8, put_raster, &rc);
	*out = rc.bits;
	*w = rc.w;
	*h = rc.h;
	return 0;
}
