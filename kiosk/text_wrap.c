/* text_wrap: line breaking for Chinese text and the wrapped text box (text_wrap,
 * text_draw_box of text.h). Greedy: a line takes characters while they fit, then ends at its
 * last break allowed by Chinese typesetting (禁则: no closing punctuation at a line's start,
 * no opening one at its end); ASCII runs such as case number 202611-00042 or phone
 * 138****1234 stay whole unless wider than the line. One exception to max_w: closing punctuation
 * after a word that fills the line hangs past its edge (行末悬挂). Measures and draws through
 * text_width and text_draw one character at a time, so it needs nothing of text.c's insides. */
#include "text.h"

#include <assert.h>
#include <string.h>

/* Characters that may not start a line and those that may not end one. A character is
 * looked up by searching its bytes in these strings: UTF-8 is self-synchronising, so a
 * whole character only matches a whole character. */
static const char text_closing[] = ",.:;!?)]}%，。、：；！？）」』》】〉〕］｝〗”’…—～％‰℃·";
static const char text_opening[] = "([{（「『《【〈〔［｛〖“‘";

/* One character is at most 4 bytes; a longer run of continuation bytes (not UTF-8) is cut
 * into 4-byte pieces, which text.c turns into U+FFFD each. */
#define TEXT_CHAR_MAX 4

/* Byte length of the character at s (not at its end): its lead byte and the continuation
 * bytes after it. On valid UTF-8 this is exactly a code point. */
static int char_len(const char *s)
{
	int n = 1;

	while (n < TEXT_CHAR_MAX && ((unsigned char)s[n] & 0xC0) == 0x80)
		n++;
	return n;
}

static bool char_in(const char *set, const char *s, int n)
{
	char one[TEXT_CHAR_MAX + 1];

	memcpy(one, s, (size_t)n);
	one[n] = '\0';
	return strstr(set, one) != NULL;
}

/* ASCII other than space and controls: the letters, digits and signs of a word, a number,
 * a phone or an address that must not be cut. */
static bool char_word(const char *s, int n)
{
	return n == 1 && s[0] > ' ' && s[0] < 0x7F;
}

/* Where a line may end between two characters. */
enum wrap_break {
	WRAP_NEVER, /* it would start a line with closing or end one with opening punctuation */
	WRAP_IN_WORD, /* it would cut a word or number: only when the word alone is too wide */
	WRAP_OK,
};

/* How a line may end between the character prev (pn bytes) and cur (cn bytes). */
static enum wrap_break may_break(const char *prev, int pn, const char *cur, int cn)
{
	if (char_in(text_closing, cur, cn) || char_in(text_opening, prev, pn))
		return WRAP_NEVER;
	if (cur[0] == ' ')
		return WRAP_NEVER; /* spaces stay at the end of the line they follow */
	if (prev[0] == ' ')
		return WRAP_OK;
	return char_word(prev, pn) && char_word(cur, cn) ? WRAP_IN_WORD : WRAP_OK;
}

/* Width of the bytes [s, s + len), or draws them when c is not NULL; one character at a
 * time, which is exact because the fonts are laid out without kerning. */
static int run(struct text *t, struct canvas *c, int px, int x, int y, uint32_t rgb, const char *s,
	       int len)
{
	char one[TEXT_CHAR_MAX + 1];
	int pen = 0;

	for (int i = 0, n; i < len; i += n) {
		n = char_len(s + i);
		n = n < len - i ? n : len - i;
		memcpy(one, s + i, (size_t)n);
		one[n] = '\0';
		if (c != NULL)
			pen += text_draw(t, c, px, x + pen, y, rgb, one);
		else
			pen += text_width(t, px, one);
	}
	return pen;
}

/* The line being filled. */
struct wrap_state {
	const char *s;
	struct text_lines *out;
	int start; /* byte where the line starts */
	int w; /* width of [start, the current character) */
	int brk, w_brk; /* the last WRAP_OK place (> start) and the width before it; brk -1 */
	int cut, w_cut; /* the same for WRAP_IN_WORD */
};

/* Ends the line before byte end and starts the next one at next. Trailing blanks are left
 * out: they take no room at the end of a line. */
static void emit(struct wrap_state *st, int end, int next)
{
	int len = end - st->start;

	while (len > 0 && (st->s[st->start + len - 1] == ' ' || st->s[st->start + len - 1] == '\r'))
		len--;
	if (st->out->n < TEXT_MAX_LINES) {
		st->out->start[st->out->n] = st->start;
		st->out->len[st->out->n] = len;
		st->out->n++;
	}
	st->start = next;
	st->brk = -1;
	st->cut = st->cut > next ? st->cut : -1;
}

/* Makes room for a character of width adv at byte i (closing: it is closing punctuation).
 * The line ends at its last break. If there is none, the line is one word, such as a case
 * number, that fills it: closing punctuation after it hangs past the edge (行末悬挂, as
 * Chinese typesetting does) rather than start the next line; anything else cuts the word at
 * its last place that keeps punctuation where it belongs, or right before i. */
static void make_room(struct wrap_state *st, int i, int adv, bool closing, int max_w)
{
	if (st->brk > st->start) {
		st->w -= st->w_brk;
		st->w_cut -= st->w_brk;
		emit(st, st->brk, st->brk);
	}
	if (st->w + adv <= max_w || (closing && st->w <= max_w))
		return;
	if (st->cut > st->start) {
		st->w -= st->w_cut;
		emit(st, st->cut, st->cut);
	}
	if (i > st->start && st->w + adv > max_w) {
		emit(st, i, i);
		st->w = 0;
	}
}

static void note_break(struct wrap_state *st, enum wrap_break b, int i)
{
	if (b == WRAP_OK) {
		st->brk = i;
		st->w_brk = st->w;
	} else if (b == WRAP_IN_WORD) {
		st->cut = i;
		st->w_cut = st->w;
	}
}

int text_wrap(struct text *t, int px, const char *utf8, int max_w, struct text_lines *out)
{
	struct wrap_state st = { utf8, out, 0, 0, -1, 0, -1, 0 };
	int prev = 0, pn = 0;

	assert(t != NULL && out != NULL);
	out->n = 0;
	if (utf8 == NULL)
		return 0;
	for (int i = 0, n; utf8[i] != '\0' && out->n < TEXT_MAX_LINES; i += n) {
		int adv;

		n = char_len(utf8 + i);
		if (utf8[i] == '\n') {
			emit(&st, i, i + 1);
			st.w = 0;
			continue;
		}
		adv = run(t, NULL, px, 0, 0, 0, utf8 + i, n);
		if (i > st.start)
			note_break(&st, may_break(utf8 + prev, pn, utf8 + i, n), i);
		/* A space never pushes a line over: it hangs past the edge and is dropped. */
		if (utf8[i] != ' ' && i > st.start && st.w + adv > max_w)
			make_room(&st, i, adv, char_in(text_closing, utf8 + i, n), max_w);
		st.w += adv;
		prev = i;
		pn = n;
	}
	if (utf8[st.start] != '\0' && out->n < TEXT_MAX_LINES)
		emit(&st, st.start + (int)strlen(utf8 + st.start), 0);
	return out->n;
}

int text_draw_box(struct text *t, struct canvas *c, int px, int x, int y, int w, int align,
		  uint32_t rgb, const char *utf8)
{
	struct text_lines lines = { 0 };
	int lh = (px * 14 + 5) / 10; /* 1.4 em: CJK needs more leading than Latin */

	assert(t != NULL && c != NULL && align >= 0 && align <= 2);
	text_wrap(t, px, utf8, w, &lines);
	for (int i = 0; i < lines.n; i++) {
		const char *s = utf8 + lines.start[i];
		int lw = run(t, NULL, px, 0, 0, 0, s, lines.len[i]);
		int dx = align == 0 || lw >= w ? 0 : align == 1 ? (w - lw) / 2 : w - lw;

		run(t, c, px, x + dx, y + i * lh, rgb, s, lines.len[i]);
	}
	return lines.n * lh;
}
