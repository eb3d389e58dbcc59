/* reply_parse: reading a resident's SMS reply to a return-visit survey or an appointment
 * message (see reply_parse.h). The text is first normalised into code points: full-width
 * and circled digits and full-width letters become ASCII (letters lower case); spaces,
 * punctuation and symbols go. Then the answer words are matched longest first, each
 * character used by one word only, and the lone digits are read; every answer seen goes
 * into a set, and only a set of exactly one answer is an answer. Written by hand because no
 * packaged library knows what "不是很满意" means; the rules are small tables to read.
 * Pure: no I/O, no allocation; a reply over RP_MAX_CHARS characters is never read. */
#include "reply_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An SMS reply is a few parts of 70 characters; anything longer is a letter, not a reply. */
#define RP_MAX_CHARS 512
/* The longest word in the tables, in code points. */
#define RP_MAX_WORD 8
/* How far before a positive word a stray negation (不, 没...) still turns it around. */
#define RP_NEGATION_REACH 3
/* A bit of the answer set that no answer uses: the reply names a choice that does not exist
 * ("4"), or negates a positive word the tables do not know ("不怎么样满意"). */
#define RP_UNREADABLE (1u << 8)

/* A word and the answer it gives. Answer 0 marks a word that says nothing but must be
 * consumed, so that the answers inside it are not read: "差不多" is not "差", "你好"
 * is not "好", "不好意思" is not "不好". */
struct rp_word {
	const char *text;
	int answer;
};

static const struct rp_word survey_words[] = {
	{ "不满意的", SURVEY_UNSATISFIED },
	{ "不是很满意", SURVEY_UNSATISFIED },
	{ "不是太满意", SURVEY_UNSATISFIED },
	{ "不是特别满意", SURVEY_UNSATISFIED },
	{ "非常不满意", SURVEY_UNSATISFIED },
	{ "不怎么满意", SURVEY_UNSATISFIED },
	{ "很不满意", SURVEY_UNSATISFIED },
	{ "不太满意", SURVEY_UNSATISFIED },
	{ "不大满意", SURVEY_UNSATISFIED },
	{ "不够满意", SURVEY_UNSATISFIED },
	{ "不很满意", SURVEY_UNSATISFIED },
	{ "没有解决", SURVEY_UNSATISFIED },
	{ "没有修好", SURVEY_UNSATISFIED },
	{ "不满意", SURVEY_UNSATISFIED },
	{ "没解决", SURVEY_UNSATISFIED },
	{ "未解决", SURVEY_UNSATISFIED },
	{ "没修好", SURVEY_UNSATISFIED },
	{ "不满", SURVEY_UNSATISFIED },
	{ "太差", SURVEY_UNSATISFIED },
	{ "差", SURVEY_UNSATISFIED },
	{ "基本满意", SURVEY_BASICALLY },
	{ "还可以", SURVEY_BASICALLY },
	{ "一般", SURVEY_BASICALLY },
	{ "还行", SURVEY_BASICALLY },
	{ "凑合", SURVEY_BASICALLY },
	{ "非常满意", SURVEY_SATISFIED },
	{ "十分满意", SURVEY_SATISFIED },
	{ "特别满意", SURVEY_SATISFIED },
	{ "比较满意", SURVEY_SATISFIED },
	{ "很满意", SURVEY_SATISFIED },
	{ "满意的", SURVEY_SATISFIED },
	{ "满意", SURVEY_SATISFIED },
	{ "差不多", 0 },
	{ "差点", 0 },
	{ "出差", 0 },
	{ "没问题", 0 },
	{ "不错", 0 },
	{ "你好", 0 },
	{ "您好", 0 },
};

static const struct rp_word appt_words[] = {
	{ "换个时间", APPT_REPLY_RESCHEDULE },
	{ "另外约", APPT_REPLY_RESCHEDULE },
	{ "改时间", APPT_REPLY_RESCHEDULE },
	{ "换时间", APPT_REPLY_RESCHEDULE },
	{ "不在家", APPT_REPLY_RESCHEDULE },
	{ "不可以", APPT_REPLY_RESCHEDULE },
	{ "没时间", APPT_REPLY_RESCHEDULE },
	{ "不方便", APPT_REPLY_RESCHEDULE },
	{ "改约", APPT_REPLY_RESCHEDULE },
	{ "改期", APPT_REPLY_RESCHEDULE },
	{ "改天", APPT_REPLY_RESCHEDULE },
	{ "另约", APPT_REPLY_RESCHEDULE },
	{ "再约", APPT_REPLY_RESCHEDULE },
	{ "没空", APPT_REPLY_RESCHEDULE },
	{ "不行", APPT_REPLY_RESCHEDULE },
	{ "不好", APPT_REPLY_RESCHEDULE },
	{ "没问题", APPT_REPLY_CONFIRM },
	{ "okay", APPT_REPLY_CONFIRM },
	{ "yes", APPT_REPLY_CONFIRM },
	{ "确认", APPT_REPLY_CONFIRM },
	{ "确定", APPT_REPLY_CONFIRM },
	{ "同意", APPT_REPLY_CONFIRM },
	{ "好的", APPT_REPLY_CONFIRM },
	{ "可以", APPT_REPLY_CONFIRM },
	{ "ok", APPT_REPLY_CONFIRM },
	{ "好", APPT_REPLY_CONFIRM },
	{ "行", APPT_REPLY_CONFIRM },
	{ "y", APPT_REPLY_CONFIRM },
	{ "不好意思", 0 },
	{ "你好", 0 },
	{ "您好", 0 },
	{ "好像", 0 },
	{ "最好", 0 },
};

/* After a lone digit these make it a quantity or a time ("1点", "2号楼", "3天"), not a
 * choice; before it, a weekday or an ordinal ("周1", "星期2", "第3"). */
static const char digit_units[] = "点时号日月年天周个次分楼层栋幢单室户元块岁斤米度吨人遍趟小"
				  "半多毛角期位万千百十倍台根条张间";
static const char digit_prefixes[] = "周期拜第";
static const char negations[] = "不没未别沒";

/* The reply as normalised code points; used marks those a matched word took. */
struct rp_text {
	int n;
	uint32_t cp[RP_MAX_CHARS];
	bool used[RP_MAX_CHARS];
};

/* Decodes one code point at *s and advances; a malformed byte is U+FFFD and one byte. */
static uint32_t next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	int len = p[0] < 0x80                  ? 1
		: p[0] >= 0xC2 && p[0] <= 0xDF ? 2
		: p[0] >= 0xE0 && p[0] <= 0xEF ? 3
		: p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
					       : 0;
	uint32_t c = len == 1 ? p[0]
		: len == 2    ? p[0] & 0x1Fu
		: len == 3    ? p[0] & 0x0Fu
			      : p[0] & 0x07u;

	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			len = 0;
			break;
		}
		c = (c << 6) | (p[i] & 0x3Fu);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are as bad as a stray byte. */
	if (len == 0 || (len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF))) {
		*s = p + 1;
		return 0xFFFD;
	}
	*s = p + len;
	return c;
}

/* Whether c is a space, punctuation or a symbol: none of them says anything in a reply. */
static bool is_noise(uint32_t c)
{
	if (c < 0x80)
		return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			 (c >= 'A' && c <= 'Z'));
	return (c >= 0xA0 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) ||
		(c >= 0x3000 && c <= 0x3006) || (c >= 0x3008 && c <= 0x3020) ||
		(c >= 0x3030 && c <= 0x303F) || (c >= 0xFE00 && c <= 0xFE4F) ||
		(c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
		(c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) ||
		(c >= 0x1F000 && c <= 0x1FAFF);
}

/* Full-width digits and letters as ASCII, letters in lower case, a circled digit (the
 * input methods offer ① for "1") as the digit; 0 for noise. */
static uint32_t fold(uint32_t c)
{
	if (c >= 0xFF10 && c <= 0xFF19)
		return '0' + (c - 0xFF10);
	if (c >= 0x2460 && c <= 0x2468)
		return '1' + (c - 0x2460);
	if (c >= 0xFF21 && c <= 0xFF3A)
		return 'a' + (c - 0xFF21);
	if (c >= 0xFF41 && c <= 0xFF5A)
		return 'a' + (c - 0xFF41);
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return is_noise(c) ? 0 : c;
}

/* Fills t from text; false when the reply is too long to be read. */
static bool normalise(const char *text, struct rp_text *t)
{
	const unsigned char *s = (const unsigned char *)text;

	t->n = 0;
	while (*s != '\0') {
		uint32_t c = fold(next_cp(&s));

		if (c == 0)
			continue;
		if (t->n == RP_MAX_CHARS)
			return false;
		t->used[t->n] = false;
		t->cp[t->n++] = c;
	}
	return true;
}

/* The code points of a table entry (valid UTF-8, at most cap of them). */
static int decode(const char *w, uint32_t *out, int cap)
{
	const unsigned char *s = (const unsigned char *)w;
	int n = 0;

	while (*s != '\0' && n < cap)
		out[n++] = next_cp(&s);
	return n;
}

static bool in_set(const char *set, uint32_t c)
{
	uint32_t buf[64];
	int n = decode(set, buf, 64);

	for (int i = 0; i < n; i++)
		if (buf[i] == c)
			return true;
	return false;
}

static bool is_letter(const struct rp_text *t, int i)
{
	return i >= 0 && i < t->n && t->cp[i] >= 'a' && t->cp[i] <= 'z';
}

/* Whether w[0..wn) stands at pos on characters no other word took. An ASCII word must be a
 * whole run of letters: "y" is not read inside "yes" or "sorry". */
static bool match_at(const struct rp_text *t, int pos, const uint32_t *w, int wn)
{
	if (pos + wn > t->n)
		return false;
	for (int i = 0; i < wn; i++)
		if (t->used[pos + i] || t->cp[pos + i] != w[i])
			return false;
	if (w[0] < 0x80 && is_letter(t, pos - 1))
		return false;
	return !(w[wn - 1] < 0x80 && is_letter(t, pos + wn));
}

/* Whether an unclaimed negation stands just before pos ("不确认", "没有满意"). */
static bool negated(const struct rp_text *t, int pos)
{
	for (int i = pos - 1; i >= 0 && i >= pos - RP_NEGATION_REACH; i--)
		if (!t->used[i] && in_set(negations, t->cp[i]))
			return true;
	return false;
}

/* Claims every place where w (len code points) stands and returns the answers given. A
 * positive answer (a bit of positive) with a stray negation before it is unreadable. */
static unsigned match_word(struct rp_text *t, const struct rp_word *w, int len, unsigned positive)
{
	uint32_t cp[RP_MAX_WORD];
	unsigned set = 0;

	if (decode(w->text, cp, RP_MAX_WORD) != len)
		return 0;
	for (int pos = 0; pos + len <= t->n; pos++) {
		if (!match_at(t, pos, cp, len))
			continue;
		memset(&t->used[pos], true, (size_t)len);
		if (w->answer == 0)
			continue;
		set |= 1u << w->answer;
		if ((positive & (1u << w->answer)) && negated(t, pos))
			set |= RP_UNREADABLE;
	}
	return set;
}

/* Matches the words of tab longest first and returns the set of answers they give. Among
 * words of one length those that say nothing go first: "不错满意" is 不错 and 满意, not a
 * negated 满意. */
static unsigned match_words(struct rp_text *t, const struct rp_word *tab, size_t ntab,
			    unsigned positive)
{
	unsigned set = 0;

	for (int len = RP_MAX_WORD; len > 0; len--)
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = 0; k < ntab; k++)
				if ((tab[k].answer != 0) == (pass == 1))
					set |= match_word(t, &tab[k], len, positive);
	return set;
}

/* The set of choices given by lone digits: a digit with no digit beside it, not a
 * quantity or a weekday and not inside a code such as "3b". A lone digit past max is a
 * choice that does not exist. Longer numbers (phone numbers, "10点") are not choices. */
static unsigned match_digits(const struct rp_text *t, int max)
{
	unsigned set = 0;

	for (int i = 0; i < t->n; i++) {
		uint32_t c = t->cp[i], prev = i > 0 ? t->cp[i - 1] : 0,
			 next = i + 1 < t->n ? t->cp[i + 1] : 0;

		if (c < '0' || c > '9' || (prev >= '0' && prev <= '9') ||
		    (next >= '0' && next <= '9'))
			continue;
		if (is_letter(t, i - 1) || is_letter(t, i + 1) || in_set(digit_prefixes, prev) ||
		    in_set(digit_units, next))
			continue;
		set |= (c >= '1' && c <= (uint32_t)('0' + max)) ? 1u << (c - '0') : RP_UNREADABLE;
	}
	return set;
}

/* The one answer in set, or 0 when there is none or more than one. */
static int only_answer(unsigned set)
{
	if (set == 0 || (set & RP_UNREADABLE) || (set & (set - 1)) != 0)
		return 0;
	for (int a = 1; a < 8; a++)
		if (set == 1u << a)
			return a;
	return 0;
}

static int parse(const char *text, const struct rp_word *tab, size_t ntab, unsigned positive,
		 int max_digit)
{
	struct rp_text t;

	if (text == NULL || !normalise(text, &t))
		return 0;
	return only_answer(match_words(&t, tab, ntab, positive) | match_digits(&t, max_digit));
}

enum survey_answer reply_parse_survey(const char *text)
{
	unsigned positive = 1u << SURVEY_SATISFIED | 1u << SURVEY_BASICALLY;

	return (enum survey_answer)parse(text, survey_words,
					 sizeof(survey_words) / sizeof(survey_words[0]), positive,
					 SURVEY_UNSATISFIED);
}

enum appt_reply reply_parse_appointment(const char *text)
{
	return (enum appt_reply)parse(text, appt_words, sizeof(appt_words) / sizeof(appt_words[0]),
				      1u << APPT_REPLY_CONFIRM, APPT_REPLY_RESCHEDULE);
}

static const char *const survey_names[] = { NULL, "satisfied", "basically", "unsatisfied" };

const char *reply_survey_name(enum survey_answer a)
{
	return a >= SURVEY_SATISFIED && a <= SURVEY_UNSATISFIED ? survey_names[a] : NULL;
}
