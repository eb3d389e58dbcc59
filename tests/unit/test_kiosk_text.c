/* test_kiosk_text: the kiosk's text on Debian's CJK fonts (fonts-noto-cjk, fonts-wqy-microhei).
 * Opening a chain with a missing font, the fallback chain for rare name characters, UTF-8
 * with bad bytes, widths, Chinese line breaking (no line starts with closing punctuation,
 * case numbers and phones stay whole), ink inside the text box on a canvas and nowhere else,
 * the printer's 1-bit raster, and a glyph cache churned well past its size. */
#include "text.h"

#include "test.h"

#include <stdlib.h>

#define NOTO "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define WQY "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
#define NO_FONT "/nonexistent/kiosk-font.ttc"
#define SENTENCE "您反映的问题已受理，工单号202611-00042，我们将尽快处理。"
#define CASE_NO "202611-00042"

static struct text *open_chain(const char *a, const char *b)
{
	const char *paths[2] = { a, b };
	struct text *t = NULL;
	struct err e = { 0 };
	int rc = text_open(paths, b != NULL ? 2 : 1, &t, NULL, &e);

	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK_INT(rc, 0);
	return t;
}

TEST(test_open_skips_missing_font)
{
	const char *paths[3] = { NO_FONT, NOTO, WQY };
	struct text *t = NULL;
	struct err e = { 0 };
	int missing = -1;

	CHECK_INT(text_open(paths, 3, &t, &missing, &e), 0);
	CHECK(t != NULL);
	CHECK_INT(missing, 1);
	if (t != NULL)
		CHECK(text_has(t, 0x6C34));
	text_close(t);
	text_close(NULL);
}

TEST(test_open_without_any_font)
{
	const char *paths[2] = { NO_FONT, "/nonexistent/other.ttf" };
	struct text *t = NULL;
	struct err e = { 0 };
	int missing = -1;

	CHECK_INT(text_open(paths, 2, &t, &missing, &e), ERR_IO);
	CHECK(t == NULL);
	CHECK_INT(missing, -1); /* out-parameters are written only on success */
	CHECK(strstr(e.msg, NO_FONT) != NULL);
	CHECK_STR(e.field, "font");
	CHECK_INT(text_open(paths, 0, &t, NULL, &e), ERR_INVALID);
	CHECK_INT(text_open(paths, TEXT_MAX_FONTS + 1, &t, NULL, &e), ERR_INVALID);
	CHECK(t == NULL);
}

/* 𠮷 (U+20BB7, a surname variant) and 䶮 (U+4DAE, in a well-known given name) are in Noto
 * CJK but not in WenQuanYi: put WenQuanYi first and they must come from the second font. */
TEST(test_has_rare_characters_through_the_chain)
{
	static const uint32_t rare[] = { 0x20BB7, 0x4DAE };
	struct text *noto = open_chain(NOTO, NULL), *wqy = open_chain(WQY, NULL);
	struct text *chain = open_chain(WQY, NOTO);

	if (noto == NULL || wqy == NULL || chain == NULL)
		goto out;
	CHECK(text_has(chain, 0x6C34)); /* 水 */
	CHECK(text_has(chain, 0x52A1)); /* 务 */
	CHECK(text_has(wqy, 0x52A1));
	CHECK(text_has(chain, 'A'));
	for (size_t i = 0; i < sizeof(rare) / sizeof(rare[0]); i++) {
		CHECK(text_has(noto, rare[i]));
		CHECK(text_has(chain, rare[i]) ==
		      (text_has(noto, rare[i]) || text_has(wqy, rare[i])));
	}
	/* The point of the chain: WenQuanYi alone lacks 𠮷, the chain that starts with it has it. */
	if (!text_has(wqy, 0x20BB7))
		CHECK(text_has(chain, 0x20BB7));
	CHECK(!text_has(chain, 0x10FFFD)); /* private use: no font has it */
out:
	text_close(noto);
	text_close(wqy);
	text_close(chain);
}

TEST(test_widths)
{
	struct text *t = open_chain(NOTO, WQY);
	int prev = 0;

	if (t == NULL)
		return;
	for (int px = 12; px <= 96; px += 6) {
		int w = text_width(t, px, "水务");

		CHECK(w > prev);
		CHECK_INT(w, 2 * text_width(t, px, "水"));
		prev = w;
	}
	CHECK_INT(text_width(t, 32, ""), 0);
	CHECK_INT(text_width(t, 32, NULL), 0);
	CHECK_INT(text_width(t, 0, "水"), 0);
	CHECK(text_width(t, 32, "工单号" CASE_NO) > text_width(t, 32, "工单号"));
	/* A character no font has still takes room: the fallback font's .notdef box. */
	CHECK(text_width(t, 32, "\xF4\x8F\xBF\xBD") > 0);
	/* Bad bytes are U+FFFD each: a stray continuation, a truncated sequence, an overlong. */
	CHECK(text_width(t, 32, "\xEF\xBF\xBD") > 0);
	CHECK_INT(text_width(t, 32, "a\x80"), text_width(t, 32, "a\xEF\xBF\xBD"));
	CHECK_INT(text_width(t, 32, "\xE6\xB0"), 2 * text_width(t, 32, "\xEF\xBF\xBD"));
	CHECK_INT(text_width(t, 32, "\xC0\xAF"), 2 * text_width(t, 32, "\xEF\xBF\xBD"));
	CHECK_INT(text_width(t, 32, "\xE6\xB0\xB4"), text_width(t, 32, "水"));
	text_close(t);
}

/* Whether line i of l starts with the bytes of what. */
static bool line_starts(const char *s, const struct text_lines *l, int i, const char *what)
{
	size_t n = strlen(what);

	return (size_t)l->len[i] >= n && memcmp(s + l->start[i], what, n) == 0;
}

static bool line_ends(const char *line, const char *what)
{
	size_t n = strlen(line), k = strlen(what);

	return n >= k && strcmp(line + n - k, what) == 0;
}

/* Checks the rules on every line of s wrapped at max_w and that keep (a number that must
 * not be cut; may be "") sits whole on one line when it fits; returns the number of lines. */
static int check_wrap(struct text *t, int px, const char *s, int max_w, const char *keep)
{
	struct text_lines l = { 0 };
	char joined[512] = "", line[512];
	int n = text_wrap(t, px, s, max_w, &l), unit_w = text_width(t, px, keep);
	bool whole = false;

	CHECK_INT(l.n, n);
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%.*s", l.len[i], s + l.start[i]);
		CHECK(l.len[i] > 0);
		CHECK(!line_starts(s, &l, i, "，") && !line_starts(s, &l, i, "。"));
		CHECK(!line_starts(s, &l, i, " ") && !line_starts(s, &l, i, ","));
		CHECK(!line_ends(line, "「") && !line_ends(line, "("));
		/* A line may only overflow when it is one unbreakable unit, or by the closing
		 * punctuation that hangs after a word filling it. */
		if (l.len[i] > 3 && (line_ends(line, "，") || line_ends(line, "。")))
			line[l.len[i] - 3] = '\0';
		if (max_w >= unit_w && text_width(t, px, line) > max_w) {
			fprintf(stderr, "  at %d: line %d \"%s\" too wide\n", max_w, i, line);
			CHECK(0);
		}
		whole |= strstr(line, keep) != NULL;
		if (strlen(joined) + (size_t)l.len[i] < sizeof(joined))
			strncat(joined, s + l.start[i], (size_t)l.len[i]);
	}
	if (max_w >= unit_w)
		CHECK(whole);
	if (strchr(s, ' ') == NULL && strchr(s, '\n') == NULL)
		CHECK_STR(joined, s); /* nothing lost, nothing repeated */
	return n;
}

TEST(test_wrap_chinese_rules)
{
	struct text *t = open_chain(NOTO, WQY);
	int px = 24, em;

	if (t == NULL)
		return;
	em = text_width(t, px, "水");
	for (int w = 3 * em; w < text_width(t, px, SENTENCE); w += 7) /* odd widths too */
		CHECK(check_wrap(t, px, SENTENCE, w, CASE_NO) >= 2);
	CHECK_INT(check_wrap(t, px, SENTENCE, text_width(t, px, SENTENCE), CASE_NO), 1);
	CHECK(check_wrap(t, px, "请拨打「12345」热线咨询，谢谢。", 5 * em, "12345") > 1);
	CHECK(check_wrap(t, px, "Call 138****1234 now, please.", 6 * em, "138****1234") > 1);
	text_close(t);
}

TEST(test_wrap_edges)
{
	struct text *t = open_chain(NOTO, WQY);
	struct text_lines l = { 0 };
	int em;

	if (t == NULL)
		return;
	em = text_width(t, 24, "水");
	/* Digits wider than the line are cut, each piece within the width. */
	CHECK(check_wrap(t, 24, "20261100042123456789", 3 * em, "") > 1);
	CHECK_INT(text_wrap(t, 24, "受理\n处理", 100 * em, &l), 2);
	CHECK_INT(l.len[0], 6);
	CHECK_INT(l.start[1], 7);
	CHECK_INT(text_wrap(t, 24, "", 100, &l), 0);
	CHECK_INT(text_wrap(t, 24, NULL, 100, &l), 0);
	CHECK_INT(
		text_wrap(
			t, 24,
			"水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水水",
			1, &l),
		TEXT_MAX_LINES);
	text_close(t);
}

/* Dark pixels of c (white background) inside and outside the box. */
static void count_ink(const struct canvas *c, int x, int y, int w, int h, int *in, int *out)
{
	*in = *out = 0;
	for (int py = 0; py < c->h; py++) {
		for (int px = 0; px < c->w; px++) {
			bool dark = (c->px[py * c->w + px] & 0xFF) < 0xC0;
			bool inside = px >= x && px < x + w && py >= y && py < y + h;

			*in += dark && inside;
			*out += dark && !inside;
		}
	}
}

TEST(test_draw_on_canvas)
{
	struct text *t = open_chain(NOTO, WQY);
	struct canvas c = { 480, 320, NULL };
	struct text_lines l = { 0 };
	int w, in, out, h;

	c.px = malloc(sizeof(uint32_t) * 480 * 320);
	if (t == NULL || c.px == NULL)
		goto out;
	for (int i = 0; i < c.w * c.h; i++)
		c.px[i] = 0xFFFFFF;
	w = text_draw(t, &c, 32, 40, 50, 0x000000, "工单号" CASE_NO "𠮷");
	CHECK_INT(w, text_width(t, 32, "工单号" CASE_NO "𠮷"));
	count_ink(&c, 40, 50, w, 32 * 3 / 2, &in, &out);
	CHECK(in > 200);
	CHECK_INT(out, 0);
	/* The line's top is the ascender line: nothing is drawn on its first rows. */
	count_ink(&c, 40, 50, w, 32 / 8, &in, &out);
	CHECK_INT(in, 0);

	for (int i = 0; i < c.w * c.h; i++)
		c.px[i] = 0xFFFFFF;
	h = text_draw_box(t, &c, 24, 100, 20, 200, 1, 0x202020, SENTENCE);
	CHECK(text_wrap(t, 24, SENTENCE, 200, &l) >= 3);
	CHECK_INT(h, l.n * ((24 * 14 + 5) / 10));
	count_ink(&c, 100, 20, 200, h, &in, &out);
	CHECK(in > 500);
	CHECK_INT(out, 0);
out:
	free(c.px);
	text_close(t);
}

TEST(test_raster)
{
	struct text *t = open_chain(NOTO, WQY);
	struct err e = { 0 };
	uint8_t *bits = NULL;
	int w = 0, h = 0, set = 0, pad = 0, width;

	if (t == NULL)
		return;
	width = text_width(t, 24, "工单号" CASE_NO);
	CHECK_INT(text_raster(t, 24, "工单号" CASE_NO, &bits, &w, &h, &e), 0);
	CHECK_INT(w % 8, 0);
	CHECK(w >= width && w < width + 8);
	CHECK(h >= 24 && h <= 24 * 3 / 2);
	for (int y = 0; bits != NULL && y < h; y++) {
		for (int x = 0; x < w; x++) {
			int on = (bits[y * (w / 8) + x / 8] >> (7 - x % 8)) & 1;

			set += on;
			pad += on && x >= width;
		}
	}
	CHECK(set > 100);
	CHECK_INT(pad, 0);
	free(bits);
	bits = NULL;
	CHECK_INT(text_raster(t, 24, "", &bits, &w, &h, &e), 0);
	CHECK_INT(w, 8);
	CHECK(bits != NULL && bits[0] == 0);
	free(bits);
	bits = NULL;
	CHECK_INT(text_raster(t, 0, "水", &bits, &w, &h, &e), ERR_INVALID);
	CHECK(bits == NULL);
	text_close(t);
}

/* Renders far more glyphs than the cache holds, at several sizes, and checks that widths
 * and the first glyph survive eviction (ASan watches the freed bitmaps). */
TEST(test_cache_churn)
{
	struct text *t = open_chain(NOTO, WQY);
	int before;
	char one[5];

	if (t == NULL)
		return;
	before = text_width(t, 20, "水");
	for (uint32_t cp = 0x4E00; cp < 0x4E00 + 3000; cp++) {
		one[0] = (char)(0xE0 | cp >> 12);
		one[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		one[2] = (char)(0x80 | (cp & 0x3F));
		one[3] = '\0';
		for (int px = 16; px <= 22; px += 2)
			CHECK(text_width(t, px, one) > 0);
	}
	CHECK_INT(text_width(t, 20, "水"), before);
	text_close(t);
}

int main(void)
{
	RUN(test_open_skips_missing_font);
	RUN(test_open_without_any_font);
	RUN(test_has_rare_characters_through_the_chain);
	RUN(test_widths);
	RUN(test_wrap_chinese_rules);
	RUN(test_wrap_edges);
	RUN(test_draw_on_canvas);
	RUN(test_raster);
	RUN(test_cache_churn);
	return TEST_END();
}
