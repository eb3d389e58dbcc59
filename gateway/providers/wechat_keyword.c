/* providers/wechat_keyword: the value rules of WeChat template-message keywords, one per
 * keyword type (thing, number, time, amount, phone_number, ...). Called by the WeChat
 * provider's build for every keyword value, and by the unit tests. Pure: no I/O, never
 * logs (the values are residents' texts). Never returns a value WeChat would refuse for
 * its length or characters (47003), and never cuts a UTF-8 character in half.
 * Source: sendTemplateMessage, 类目模板消息参数值内容限制
 * developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
 * (amount = one currency sign + 10 digits, 元 optional; phrase = 5 Chinese characters,
 * confirmed by WeChat staff on developers.weixin.qq.com/community). */
#include "wechat_keyword.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define WORK_SIZE 1024 /* bytes of a value looked at; longer input is cut before cleaning */

/* How one keyword type (the keyword's name without its digits) must look. */
struct kw_rule {
	const char *type;
	size_t max_chars;
	bool (*keep)(long cp); /* characters the type accepts; NULL = any */
	void (*fix)(char *s); /* type-specific clean-up after filtering, or NULL */
	bool ellipsis; /* a cut shows "…" as the last character */
};

static bool is_digit(long c)
{
	return c >= '0' && c <= '9';
}

static bool is_letter(long c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_symbol(long c)
{
	return c > 0x20 && c < 0x7f && !is_digit(c) && !is_letter(c);
}

static bool is_ascii_graph(long c)
{
	return c > 0x20 && c < 0x7f;
}

static bool is_cjk(long c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
		(c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2fa1f);
}

static bool is_number_char(long c)
{
	return is_digit(c) || c == '.';
}

static bool is_phone_char(long c)
{
	return is_digit(c) || c == '+' || c == '-';
}

static bool is_car_char(long c)
{
	return is_digit(c) || is_letter(c) || is_cjk(c);
}

static bool is_currency(long c)
{
	return c == '$' || c == 0xa5 || c == 0xffe5; /* $ ¥ ￥ */
}

#define YUAN 0x5143 /* 元 */

static bool is_amount_char(long c)
{
	return is_digit(c) || c == '.' || c == YUAN || is_currency(c);
}

/* Decodes the character at s into *cp and returns its byte length; *cp = -1 for a byte
 * that does not start a valid UTF-8 character (its length is then 1). */
static size_t next_cp(const char *s, long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2;

	if (k > 1 && !utf8_valid(s, strnlen(s, k), NULL)) {
		*cp = -1;
		return 1;
	}
	*cp = k == 1 ? u[0] : u[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++)
		*cp = (*cp << 6) | (u[i] & 0x3f);
	return k;
}

/* Keeps only the first decimal point. */
static void fix_number(char *s)
{
	char *dot = strchr(s, '.');

	if (dot == NULL)
		return;
	for (char *r = dot + 1, *w = dot + 1;; r++)
		if (*r != '.' && (*w++ = *r) == '\0')
			break;
}

/* An optional leading currency sign, at most 10 digits with one decimal point, and "元"
 * when the value ended with it. */
static void fix_amount(char *s)
{
	char out[WORK_SIZE];
	size_t i = 0, o = 0, k;
	int digits = 0;
	bool dot = false, yuan = false;
	long cp;

	while (s[i] != '\0') {
		k = next_cp(s + i, &cp);
		yuan = cp == YUAN;
		if ((is_currency(cp) && i == 0) || (is_digit(cp) && digits < 10) ||
		    (cp == '.' && !dot && digits > 0)) {
			memcpy(out + o, s + i, k);
			o += k;
			digits += is_digit(cp);
			dot |= cp == '.';
		}
		i += k;
	}
	if (o > 0 && out[o - 1] == '.')
		o--;
	if (yuan && digits > 0)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "元");
	out[o] = '\0';
	memcpy(s, out, o + 1);
}

/* A range too long to show keeps its start: "9月1日 08:00~9月2日 18:00" -> "9月1日 08:00". */
static void fix_time(char *s)
{
	char *tilde = strchr(s, '~');
	size_t n;

	if (utf8_chars(s) <= 20 || tilde == NULL)
		return;
	n = (size_t)(tilde - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
}

/* Whether the spaces or ')' at s sit inside a phone number: a group of 3 or more digits
 * follows ("0571 8888 1234", "(0571)8888"), not "24" of "95598 24小时". */
static bool continues_number(const char *s)
{
	size_t n = 0;

	while (*s == ' ' || *s == ')')
		s++;
	while (is_digit((unsigned char)s[n]))
		n++;
	return n >= 3;
}

/* The first phone number in the text: "热线 0571-8888 1234（24小时）" -> "0571-88881234".
 * Filtering digits out of the whole text would glue the "24" of the hours on. */
static void fix_phone(char *s)
{
	size_t i = 0, o = 0, k;
	bool started = false;
	long cp;

	while (s[i] != '\0') {
		k = next_cp(s + i, &cp);
		if (is_phone_char(cp)) {
			started = true;
			s[o++] = (char)cp;
		} else if (started && !((cp == ' ' || cp == ')') && continues_number(s + i))) {
			break;
		}
		i += k;
	}
	s[o] = '\0';
}

/* Chinese names take 10 characters, Latin ones 20. */
static void fix_name(char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80) {
			s[utf8_prefix_bytes(s, 10)] = '\0';
			return;
		}
}

static void fix_upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static const struct kw_rule kw_rules[] = {
	{ "thing", 20, NULL, NULL, true },
	{ "number", 32, is_number_char, fix_number, false },
	{ "letter", 32, is_letter, NULL, false },
	{ "symbol", 5, is_symbol, NULL, false },
	{ "character_string", 32, is_ascii_graph, NULL, false },
	{ "time", 20, NULL, fix_time, false },
	{ "date", 20, NULL, fix_time, false },
	{ "amount", 13, is_amount_char, fix_amount, false },
	{ "phone_number", 17, NULL, fix_phone, false },
	{ "car_number", 8, is_car_char, fix_upper, false },
	{ "name", 20, NULL, fix_name, false },
	{ "phrase", 5, is_cjk, NULL, false },
};

/* Unknown types get the limit every field is shown with since 2023-05-04. */
static const struct kw_rule kw_default = { "", 20, NULL, NULL, true };

static const struct kw_rule *kw_rule_for(const char *keyword)
{
	size_t n = strlen(keyword);

	while (n > 0 && is_digit((unsigned char)keyword[n - 1]))
		n--;
	for (size_t i = 0; i < sizeof(kw_rules) / sizeof(kw_rules[0]); i++)
		if (strlen(kw_rules[i].type) == n && strncmp(kw_rules[i].type, keyword, n) == 0)
			return &kw_rules[i];
	return &kw_default;
}

static bool is_break(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == ' ';
}

/* Copies the characters of v that r accepts into buf: invalid bytes dropped, runs of
 * spaces, line breaks and control characters folded into one space, trimmed. Leaves 4
 * bytes spare so that a cut can always append "…". */
static void kw_filter(const char *v, const struct kw_rule *r, char *buf, size_t bufsz)
{
	size_t i = 0, o = 0, k;
	bool space = false;
	long cp;

	while (v[i] != '\0') {
		k = next_cp(v + i, &cp);
		if (cp >= 0 && is_break(cp)) {
			space = true;
		} else if (cp >= 0 && (r->keep == NULL || r->keep(cp))) {
			if (o + k + 1 + 4 >= bufsz)
				break;
			if (space && o > 0 && (r->keep == NULL || r->keep(' ')))
				buf[o++] = ' ';
			space = false;
			memcpy(buf + o, v + i, k);
			o += k;
		}
		i += k;
	}
	buf[o] = '\0';
}

void wechat_keyword_value(const char *keyword, const char *value, char out[WECHAT_VALUE_SIZE])
{
	const struct kw_rule *r = kw_rule_for(keyword);
	char buf[WORK_SIZE];
	size_t b;

	kw_filter(value != NULL ? value : "", r, buf, sizeof(buf));
	if (r->fix != NULL)
		r->fix(buf);
	if (utf8_chars(buf) > r->max_chars) {
		b = utf8_prefix_bytes(buf, r->ellipsis ? r->max_chars - 1 : r->max_chars);
		while (b > 0 && buf[b - 1] == ' ')
			b--;
		snprintf(buf + b, sizeof(buf) - b, "%s", r->ellipsis ? "…" : "");
	}
	/* The rules keep every value far below the size; cut on a character anyway. */
	b = strnlen(buf, WECHAT_VALUE_SIZE - 1);
	while (b > 0 && ((unsigned char)buf[b] & 0xc0) == 0x80)
		b--;
	memcpy(out, buf, b);
	out[b] = '\0';
}
