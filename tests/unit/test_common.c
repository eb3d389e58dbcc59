/* Unit tests for the pure helpers in common/: utf8, phone, mask, charset and csv. */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "csv.h"
#include "err.h"
#include "mask.h"
#include "phone.h"
#include "test.h"
#include "utf8.h"

/* ---- utf8 ------------------------------------------------------------------------- */

static bool valid_str(const char *s)
{
	return utf8_valid(s, strlen(s), NULL);
}

static size_t bad_at(const char *s, size_t len)
{
	size_t off = 9999;

	if (utf8_valid(s, len, &off))
		return 9998;
	return off;
}

TEST(utf8_accepts_valid_text)
{
	CHECK(utf8_valid("", 0, NULL));
	CHECK(valid_str("plain ascii"));
	CHECK(valid_str("幸福小区,张三"));
	CHECK(valid_str("\xc2\x80")); /* U+0080, smallest 2-byte */
	CHECK(valid_str("\xe0\xa0\x80")); /* U+0800, smallest 3-byte */
	CHECK(valid_str("\xed\x9f\xbf")); /* U+D7FF, just below the surrogates */
	CHECK(valid_str("\xee\x80\x80")); /* U+E000, just above them */
	CHECK(valid_str("\xef\xbf\xbf")); /* U+FFFF */
	CHECK(valid_str("\xf0\x9f\x98\x80")); /* U+1F600, an emoji */
	CHECK(valid_str("\xf4\x8f\xbf\xbf")); /* U+10FFFF, the last code point */
	CHECK(utf8_valid("ab\xff", 2, NULL)); /* only len bytes are looked at */
}

TEST(utf8_rejects_each_kind_of_bad_byte)
{
	CHECK_INT(bad_at("ab\xc0\x80", 4), 2); /* overlong NUL */
	CHECK_INT(bad_at("\xc1\xbf", 2), 0); /* overlong 2-byte */
	CHECK_INT(bad_at("x\xe0\x80\x80", 4), 1); /* overlong 3-byte */
	CHECK_INT(bad_at("\xf0\x80\x80\x80", 4), 0); /* overlong 4-byte */
	CHECK_INT(bad_at("a\xed\xa0\x80", 4), 1); /* surrogate U+D800 */
	CHECK_INT(bad_at("\xed\xbf\xbf", 3), 0); /* surrogate U+DFFF */
	CHECK_INT(bad_at("\xf4\x90\x80\x80", 4), 0); /* U+110000 */
	CHECK_INT(bad_at("\xf5\x80\x80\x80", 4), 0); /* lead byte beyond F4 */
	CHECK_INT(bad_at("abc\xe5\xbc", 5), 3); /* truncated at the end */
	CHECK_INT(bad_at("\xe5\xbc"
			 "a",
			 3),
		  0); /* truncated before ASCII */
	CHECK_INT(bad_at("\xf0\x9f\x98", 3), 0); /* truncated 4-byte */
	CHECK_INT(bad_at("ok\x80", 3), 2); /* stray continuation byte */
	CHECK_INT(bad_at("\xff", 1), 0);
	CHECK_INT(bad_at("\xfe", 1), 0);
	CHECK_INT(bad_at("a\0b", 3), 1); /* NUL inside len */
	CHECK(!utf8_valid("\xc0\x80", 2, NULL)); /* bad_offset may be NULL */
}

TEST(utf8_counts_characters)
{
	CHECK_INT(utf8_chars(""), 0);
	CHECK_INT(utf8_chars("abc"), 3);
	CHECK_INT(utf8_chars("张三"), 2);
	CHECK_INT(utf8_chars("a张\xf0\x9f\x98\x80"), 3);
}

TEST(utf8_sms_parts_follow_the_70_67_rule)
{
	static const struct {
		size_t n;
		int parts;
	} cases[] = {
		{ 0, 0 },   { 1, 1 },   { 70, 1 },  { 71, 2 },  { 134, 2 },
		{ 135, 3 }, { 160, 3 }, { 201, 3 }, { 202, 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(sms_parts(cases[i].n), cases[i].parts);
}

TEST(utf8_prefix_stops_on_a_character_boundary)
{
	CHECK_INT(utf8_prefix_bytes("张三", 0), 0);
	CHECK_INT(utf8_prefix_bytes("张三", 1), 3);
	CHECK_INT(utf8_prefix_bytes("张三", 2), 6);
	CHECK_INT(utf8_prefix_bytes("张三", 9), 6);
	CHECK_INT(utf8_prefix_bytes("ab张", 2), 2);
	CHECK_INT(utf8_prefix_bytes("a\xf0\x9f\x98\x80z", 2), 5);
	CHECK_INT(utf8_prefix_bytes("", 3), 0);
}

/* ---- phone ------------------------------------------------------------------------ */

TEST(phone_accepts_what_people_type)
{
	static const char *good[] = {
		"13812345678",
		"+86 138-1234-5678",
		"+8613812345678",
		"0086 13812345678",
		"008613812345678",
		"86 13812345678",
		"8613812345678",
		"138 1234 5678",
		" 13812345678 ",
		"\t138.1234.5678",
		"(+86)13812345678",
		"(+86) 138 1234 5678",
		"\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
		"\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97\xef\xbc\x98", /* １３８１２３４５６７８ */
		"\xef\xbc\x88\xef\xbc\x8b"
		"86\xef\xbc\x89"
		"138\xe3\x80\x80"
		"1234\xef\xbc\x8d"
		"5678", /* （＋86）138　1234－5678 */
		"138\xc2\xa0"
		"1234\xc2\xa0"
		"5678", /* no-break spaces from a spreadsheet */
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char out[PHONE_LEN + 1] = "";
		struct err e;

		err_clear(&e);
		CHECK_INT(phone_normalize(good[i], out, &e), 0);
		CHECK_STR(out, "13812345678");
		if (strcmp(out, "13812345678") != 0)
			fprintf(stderr, "  input #%zu: %s\n", i, e.msg);
	}
}

TEST(phone_accepts_every_mobile_prefix)
{
	char out[PHONE_LEN + 1];
	struct err e;

	CHECK_INT(phone_normalize("19912345678", out, &e), 0);
	CHECK_STR(out, "19912345678");
	CHECK_INT(phone_normalize("13000000000", out, &e), 0);
	CHECK_STR(out, "13000000000");
}

TEST(phone_rejects_with_the_rule_broken)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "it is empty" },
		{ "--", "it has no digits" },
		{ "1381234", "it has 7 digits but a mainland mobile has 11" },
		{ "1381234567", "it has 10 digits" },
		{ "138123456789", "it has 12 digits" },
		{ "86 1381234567", "it has 12 digits" },
		{ "+86 1381234567", "it has 10 digits after the country code 86" },
		{ "0086 1381234567", "it has 14 digits" },
		{ "12812345678", "does not start with 13-19" },
		{ "10012345678", "does not start with 13-19" },
		{ "8612812345678", "11 digits after the country code 86 but does not start" },
		{ "0086 0571 8888 888", "after the country code 0086 but does not start" },
		{ "138abc45678", "it contains 'a', which is not a digit" },
		{ "tel:13812345678", "it contains 't'" },
		{ "电话13812345678", "a character that is not a digit (at byte 0)" },
		{ "138_1234_5678", "it contains '_'" },
		{ "+1 415 555 2671", "its country code is not +86" },
		{ "+", "it has no digits" },
		{ "+7 912 345 6789", "its country code is not +86" },
		{ "138+12345678", "a '+' may only come before the country code" },
		{ "++8613812345678", "a '+' may only come before the country code" },
		{ "1381234\n5678", "(at byte 7)" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[PHONE_LEN + 1] = "untouched!";
		struct err e;

		err_clear(&e);
		CHECK_INT(phone_normalize(bad[i].in, out, &e), ERR_INVALID);
		CHECK_INT(e.code, ERR_INVALID);
		CHECK_STR(e.field, "phone");
		CHECK_STR(out, "untouched!");
		CHECK(strstr(e.msg, "is not a mainland mobile number") != NULL);
		CHECK(strstr(e.msg, "(expected like 13812345678)") != NULL);
		if (strstr(e.msg, bad[i].why) == NULL) {
			fprintf(stderr, "  input #%zu: \"%s\" not in: %s\n", i, bad[i].why, e.msg);
			CHECK(0);
		}
	}
}

TEST(phone_messages_quote_the_input)
{
	char out[PHONE_LEN + 1];
	struct err e;

	phone_normalize("0571-8888888", out, &e);
	CHECK_STR(e.msg,
		  "\"0571-8888888\" is not a mainland mobile number: it has 11 digits "
		  "but does not start with 13-19 (expected like 13812345678)");
	phone_normalize("1381234", out, &e);
	CHECK_STR(e.msg,
		  "\"1381234\" is not a mainland mobile number: it has 7 digits but a "
		  "mainland mobile has 11 (expected like 13812345678)");
	CHECK_INT(phone_normalize(NULL, out, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "\"\" is not") != NULL);
	CHECK_INT(phone_normalize("138\x01"
				  "1234",
				  out, NULL),
		  ERR_INVALID); /* e may be NULL */
	phone_normalize("138\x01\xff", out, &e);
	CHECK(strncmp(e.msg, "\"138??\"", 7) == 0); /* control and bad bytes shown as '?' */
	CHECK(utf8_valid(e.msg, strlen(e.msg), NULL));
}

TEST(phone_messages_cut_long_input)
{
	char in[300], out[PHONE_LEN + 1];
	struct err e;

	memset(in, 0, sizeof(in));
	for (size_t i = 0; i + 3 < sizeof(in); i += 3)
		memcpy(in + i, "张", 3);
	phone_normalize(in, out, &e);
	CHECK(strstr(e.msg, "...\" is not a mainland") != NULL);
	CHECK(strlen(e.msg) < 200);
	CHECK(utf8_valid(e.msg, strlen(e.msg), NULL));
}

TEST(phone_mask_keeps_prefix_and_last_four)
{
	char out[16];

	phone_mask("13812341234", out);
	CHECK_STR(out, "138****1234");
	phone_mask("1381234123", out);
	CHECK_STR(out, "***");
	phone_mask("138123412345", out);
	CHECK_STR(out, "***");
	phone_mask("1381234123a", out);
	CHECK_STR(out, "***");
	phone_mask("", out);
	CHECK_STR(out, "***");
	phone_mask(NULL, out);
	CHECK_STR(out, "***");
}

/* ---- mask ------------------------------------------------------------------------- */

TEST(mask_name_keeps_the_first_character)
{
	char out[64];

	mask_name("张三", out, sizeof(out));
	CHECK_STR(out, "张*");
	mask_name("欧阳娜娜", out, sizeof(out));
	CHECK_STR(out, "欧***");
	mask_name("张", out, sizeof(out));
	CHECK_STR(out, "张");
	mask_name("Li Lei", out, sizeof(out));
	CHECK_STR(out, "L*****");
	mask_name("", out, sizeof(out));
	CHECK_STR(out, "");
	strcpy(out, "junk");
	mask_name(NULL, out, sizeof(out));
	CHECK_STR(out, "");
	mask_name("\xff"
		  "ab",
		  out, sizeof(out));
	CHECK_STR(out, "?**");
}

TEST(mask_name_truncates_on_a_character_boundary)
{
	char out[8];

	mask_name("张三", out, 4);
	CHECK_STR(out, "张");
	mask_name("张三", out, 5);
	CHECK_STR(out, "张*");
	mask_name("张三", out, 2);
	CHECK_STR(out, "");
	memcpy(out, "XY", 3);
	mask_name("张三", out, 0);
	CHECK_STR(out, "XY");
	mask_name("张三", NULL, 10);
}

TEST(mask_openid_keeps_four_and_two)
{
	char out[64];

	mask_openid("oAbcdefghijk", out, sizeof(out));
	CHECK_STR(out, "oAbc***jk");
	mask_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", out, sizeof(out));
	CHECK_STR(out, "o6_b***2M");
	mask_openid("abcdefg", out, sizeof(out));
	CHECK_STR(out, "abcd***fg");
	mask_openid("abcdef", out, sizeof(out));
	CHECK_STR(out, "***");
	mask_openid("", out, sizeof(out));
	CHECK_STR(out, "");
	mask_openid(NULL, out, sizeof(out));
	CHECK_STR(out, "");
	mask_openid("oAbcdefghijk", out, 6);
	CHECK_STR(out, "oAbc*");
}

TEST(mask_account_keeps_the_last_four)
{
	char out[64];

	mask_account("1100234567", out, sizeof(out));
	CHECK_STR(out, "******4567");
	mask_account("12345", out, sizeof(out));
	CHECK_STR(out, "*2345");
	mask_account("1234", out, sizeof(out));
	CHECK_STR(out, "****");
	mask_account("户号001234", out, sizeof(out));
	CHECK_STR(out, "****1234");
	mask_account("", out, sizeof(out));
	CHECK_STR(out, "");
	mask_account(NULL, out, sizeof(out));
	CHECK_STR(out, "");
	mask_account("1100234567", out, 8);
	CHECK_STR(out, "******4");
}

TEST(mask_digits_keeps_the_last_four_of_long_runs)
{
	/* outsz cuts the copy. A run cut short is masked by its whole length, so
	 * "13812345678" cut after 7 bytes shows no digit; a cut inside 号 (3 bytes) drops it. */
	static const struct {
		const char *in;
		size_t outsz;
		const char *want;
	} cases[] = {
		{ "call 13812345678 now", 64, "call *******5678 now" },
		{ "+8613812345678", 64, "+*********5678" },
		{ "1234567", 64, "***4567" },
		{ "123456 and 95598", 64, "123456 and 95598" },
		{ "0571-8888 1234", 64, "0571-8888 1234" },
		{ "号码13812345678无效", 64, "号码*******5678无效" },
		{ "\xff"
		  "1234567\x80",
		  64,
		  "\xff"
		  "***4567\x80" },
		{ "", 64, "" },
		{ NULL, 64, "" },
		{ "13812345678", 8, "*******" },
		{ "ab13812345678", 11, "ab*******5" },
		{ "a号码", 3, "a" },
		{ "a号码", 5, "a号" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mask_digits(cases[i].in, out, cases[i].outsz);
		CHECK_STR(out, cases[i].want);
	}
}

TEST(mask_digits_works_in_place_and_without_room)
{
	char buf[32] = "tel 13812345678, 12345";

	/* In place, as the providers use it. */
	mask_digits(buf, buf, sizeof(buf));
	CHECK_STR(buf, "tel *******5678, 12345");
	/* No room at all: nothing is written, nothing crashes. */
	mask_digits("13812345678", NULL, 10);
	mask_digits("13812345678", buf, 0);
	CHECK_STR(buf, "tel *******5678, 12345");
}

/* ---- charset ---------------------------------------------------------------------- */

/* Encodes UTF-8 text as the billing systems do; returns a new buffer and its length. */
static char *encode(const char *to, const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open(to, "UTF-8");
	size_t il = strlen(utf8), ol = il * 4 + 4;
	char *buf = malloc(ol), *ip = (char *)utf8, *op = buf;

	if (cd == (iconv_t)-1 || buf == NULL || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		free(buf);
		buf = NULL;
	}
	*len = buf != NULL ? (size_t)(op - buf) : 0;
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return buf;
}

TEST(charset_keeps_utf8)
{
	const char *text = "户号,户名\n幸福小区,张三\n", *det = NULL;
	char *out = NULL;
	size_t n = 0;
	struct err e;

	CHECK_INT(charset_to_utf8(text, strlen(text), &out, &n, &det, &e), 0);
	CHECK_STR(out, text);
	CHECK_INT(n, strlen(text));
	CHECK_STR(det, "utf-8");
	free(out);
	CHECK_INT(charset_to_utf8("\xef\xbb\xbf"
				  "a,b",
				  6, &out, &n, NULL, &e),
		  0);
	CHECK_STR(out, "a,b");
	CHECK_INT(n, 3);
	free(out);
	CHECK_INT(charset_to_utf8(NULL, 0, &out, &n, &det, &e), 0);
	CHECK_STR(out, "");
	CHECK_INT(n, 0);
	free(out);
	CHECK_INT(charset_to_utf8("\xef\xbb\xbf", 3, &out, &n, &det, &e), 0);
	CHECK_STR(out, "");
	free(out);
}

TEST(charset_decodes_gbk)
{
	const char *text = "幸福小区,张三\r\n", *det = NULL;
	char *gbk, *out = NULL;
	size_t glen, n = 0;
	struct err e;

	gbk = encode("GBK", text, &glen);
	CHECK(gbk != NULL);
	CHECK(glen < strlen(text));
	CHECK(!utf8_valid(gbk, glen, NULL));
	CHECK_INT(charset_to_utf8(gbk, glen, &out, &n, &det, &e), 0);
	CHECK_STR(out, text);
	CHECK_INT(n, strlen(text));
	CHECK_STR(det, "gb18030");
	free(out);
	free(gbk);
	CHECK_INT(charset_to_utf8("\xd5\xc5\xc8\xfd", 4, &out, &n, &det, &e), 0);
	CHECK_STR(out, "张三");
	free(out);
}

TEST(charset_decodes_gb18030_four_byte_and_long_text)
{
	char text[3 * 2000 + 8] = "", *gb, *out = NULL;
	size_t glen, n;
	struct err e;

	gb = encode("GB18030", "\xf0\x9f\x98\x80 \xc2\x80", &glen); /* U+1F600 and U+0080 */
	CHECK(gb != NULL && glen == 9);
	CHECK_INT(charset_to_utf8(gb, glen, &out, &n, NULL, &e), 0);
	CHECK_STR(out, "\xf0\x9f\x98\x80 \xc2\x80");
	free(out);
	free(gb);
	for (int i = 0; i < 2000; i++)
		strcat(text, "张");
	gb = encode("GBK", text, &glen);
	CHECK(gb != NULL && glen == 4000);
	CHECK_INT(charset_to_utf8(gb, glen, &out, &n, NULL, &e), 0);
	CHECK_INT(n, 6000);
	CHECK(out != NULL && strcmp(out, text) == 0);
	free(out);
	free(gb);
}

TEST(charset_reports_line_and_offset)
{
	const char *in = "a,b\nc,d\n\xff\xff";
	char *out = (char *)"untouched";
	size_t n = 42;
	struct err e;

	CHECK_INT(charset_to_utf8(in, strlen(in), &out, &n, NULL, &e), ERR_INVALID);
	CHECK_STR(out, "untouched");
	CHECK_INT(n, 42);
	CHECK(strstr(e.msg, "neither UTF-8 nor GBK") != NULL);
	CHECK(strstr(e.msg, "GB18030 decoding at line 3 (byte offset 8, byte 0xFF)") != NULL);
	/* A GBK character cut in half at the end of the text. */
	CHECK_INT(charset_to_utf8("\xd5\xc5\xd5", 3, &out, &n, NULL, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "line 1 (byte offset 2, byte 0xD5)") != NULL);
	/* A BOM promises UTF-8, so a bad byte after it is not retried as GBK. */
	CHECK_INT(charset_to_utf8("\xef\xbb\xbf"
				  "ab\n\xd5\xc5",
				  8, &out, &n, NULL, &e),
		  ERR_INVALID);
	CHECK(strstr(e.msg, "byte-order mark") != NULL);
	CHECK(strstr(e.msg, "line 2 (byte offset 6)") != NULL);
	CHECK_INT(charset_to_utf8("ab\ncd\0ef", 8, &out, &n, NULL, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "NUL byte at line 2 (byte offset 5)") != NULL);
	CHECK_STR(out, "untouched");
}

/* ---- csv -------------------------------------------------------------------------- */

/* Reads all of text; returns the last csv_next result, after checking the records seen
 * against want ("line:f1|f2;line:f1" with errors as "line:!"). */
static void csv_expect(const char *text, size_t len, const char *want)
{
	struct csv_reader r;
	struct csv_record rec;
	struct err e;
	char got[4096] = "";
	int rc;

	csv_init(&r, text, len);
	while ((rc = csv_next(&r, &rec, &e)) != 0) {
		size_t o = strlen(got);

		if (o > 0)
			got[o++] = ';';
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%d:", rec.line);
		if (rc < 0) {
			CHECK_INT(rc, ERR_INVALID);
			snprintf(got + o, sizeof(got) - o, "!");
			continue;
		}
		for (int i = 0; i < rec.nfields; i++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "|" : "",
					      rec.fields[i]);
	}
	csv_cleanup(&r);
	CHECK_STR(got, want);
}

#define CSV_EXPECT(text, want) csv_expect(text, sizeof(text) - 1, want)

TEST(csv_reads_plain_records)
{
	CSV_EXPECT("a,b,c\n1,2,3\n", "1:a|b|c;2:1|2|3");
	CSV_EXPECT("a,b\r\nc,d\r\n", "1:a|b;2:c|d");
	CSV_EXPECT("a,b\nc,d", "1:a|b;2:c|d");
	CSV_EXPECT("a\rb\r", "1:a;2:b");
	CSV_EXPECT("", "");
	CSV_EXPECT("\n\n  \r\n", "");
	CSV_EXPECT("户号,户名\n001,张三\n", "1:户号|户名;2:001|张三");
	CSV_EXPECT("\xef\xbb\xbfname,phone\n", "1:name|phone");
}

TEST(csv_trims_unquoted_and_keeps_empty_fields)
{
	CSV_EXPECT("  a  , b ,c\t\n", "1:a|b|c");
	CSV_EXPECT("幸福 小区 , 3 幢\n", "1:幸福 小区|3 幢");
	CSV_EXPECT(",,\n", "1:||");
	CSV_EXPECT("a,b,", "1:a|b|");
	CSV_EXPECT("a, ,b\n", "1:a||b");
}

TEST(csv_reads_quoted_fields)
{
	CSV_EXPECT("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "1:a,b|say \"hi\"|");
	CSV_EXPECT("\" a \",  \"x\"  ,y\n", "1: a |x|y");
	CSV_EXPECT("\"\"\"\"\n", "1:\"");
	CSV_EXPECT("\"\"", "1:");
}

TEST(csv_counts_lines_through_quoted_newlines)
{
	CSV_EXPECT("h1,h2\n\"line1\nline2\",x\nnext,y\n", "1:h1|h2;2:line1\nline2|x;4:next|y");
	CSV_EXPECT("\"a\r\nb\",c\r\nd,e\r\n", "1:a\r\nb|c;3:d|e");
	CSV_EXPECT("\n\na,b\n   \n\r\nc,\"1\n\n2\"\n\nd\n", "3:a|b;6:c|1\n\n2;10:d");
}

TEST(csv_recovers_from_malformed_records)
{
	/* An unterminated quote is reported at its line; reading resumes on the next line. */
	CSV_EXPECT("a,b\n\"unclosed,x\nc,d\n", "1:a|b;2:!;3:c|d");
	CSV_EXPECT("a,\"abc", "1:!");
	CSV_EXPECT("x\n\"a\nb\",\"c\nd\n", "1:x;3:!;4:d");
	CSV_EXPECT("a,5\" pipe,b\nc,d\n", "1:!;2:c|d");
	CSV_EXPECT("\"a\"b,c\nd\n", "1:!;2:d");
	CSV_EXPECT("\"a\nb\"c,d\ne\n", "2:!;3:e");
	CSV_EXPECT("a\0b,c\nd\n", "1:!;2:d");
}

TEST(csv_error_messages_name_the_line)
{
	const char *text = "ok\n\n\"a\",\"unclosed\nrest";
	struct csv_reader r;
	struct csv_record rec;
	struct err e;

	csv_init(&r, text, strlen(text));
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_INT(csv_next(&r, &rec, &e), ERR_INVALID);
	CHECK_INT(rec.line, 3);
	CHECK_STR(e.msg,
		  "line 3, field 2: the quote that opens this field is never closed; add "
		  "the closing quote, or double a quote that is part of the text (\"\")");
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_INT(rec.line, 4);
	CHECK_STR(rec.fields[0], "rest");
	CHECK_INT(csv_next(&r, &rec, &e), 0);
	CHECK_INT(csv_next(&r, &rec, &e), 0);
	csv_cleanup(&r);
	csv_cleanup(&r);
	csv_cleanup(NULL);
}

/* Builds n fields of width w each, separated by commas; caller frees. */
static char *wide_record(int n, size_t w, const char *tail)
{
	size_t len = (size_t)n * (w + 1) + strlen(tail) + 1;
	char *s = malloc(len), *p = s;

	for (int i = 0; i < n; i++) {
		memset(p, 'a' + i % 26, w);
		p += w;
		*p++ = i + 1 < n ? ',' : '\n';
	}
	strcpy(p, tail);
	return s;
}

TEST(csv_enforces_the_caps)
{
	struct csv_reader r;
	struct csv_record rec;
	struct err e;
	char *s;

	s = wide_record(CSV_MAX_FIELDS, CSV_MAX_FIELD_LEN, "next\n");
	csv_init(&r, s, strlen(s));
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_INT(rec.nfields, CSV_MAX_FIELDS);
	CHECK_INT(strlen(rec.fields[0]), CSV_MAX_FIELD_LEN);
	CHECK_INT(strlen(rec.fields[CSV_MAX_FIELDS - 1]), CSV_MAX_FIELD_LEN);
	CHECK_INT(rec.fields[CSV_MAX_FIELDS - 1][0], 'a' + (CSV_MAX_FIELDS - 1) % 26);
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_STR(rec.fields[0], "next");
	csv_cleanup(&r);
	free(s);

	s = wide_record(CSV_MAX_FIELDS + 1, 1, "next\n");
	csv_init(&r, s, strlen(s));
	CHECK_INT(csv_next(&r, &rec, &e), ERR_INVALID);
	CHECK_STR(e.msg, "line 1: the record has more than 64 fields");
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_STR(rec.fields[0], "next");
	csv_cleanup(&r);
	free(s);

	s = wide_record(2, CSV_MAX_FIELD_LEN + 1, "next\n");
	csv_init(&r, s, strlen(s));
	CHECK_INT(csv_next(&r, &rec, &e), ERR_INVALID);
	CHECK_STR(e.msg, "line 1: field 1 is longer than 4096 bytes");
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_INT(rec.line, 2);
	csv_cleanup(&r);
	free(s);
}

TEST(csv_too_long_quoted_field_skips_its_whole_record)
{
	char text[CSV_MAX_FIELD_LEN + 64] = "\"";
	struct csv_reader r;
	struct csv_record rec;
	struct err e;

	memset(text + 1, 'x', CSV_MAX_FIELD_LEN + 1);
	strcat(text, "\nmore\",y\nnext,z\n");
	csv_init(&r, text, strlen(text));
	CHECK_INT(csv_next(&r, &rec, &e), ERR_INVALID);
	CHECK_INT(rec.line, 1);
	CHECK_INT(csv_next(&r, &rec, &e), 1);
	CHECK_INT(rec.line, 3);
	CHECK_STR(rec.fields[1], "z");
	CHECK_INT(csv_next(&r, &rec, &e), 0);
	csv_cleanup(&r);
}

int main(void)
{
	RUN(utf8_accepts_valid_text);
	RUN(utf8_rejects_each_kind_of_bad_byte);
	RUN(utf8_counts_characters);
	RUN(utf8_sms_parts_follow_the_70_67_rule);
	RUN(utf8_prefix_stops_on_a_character_boundary);
	RUN(phone_accepts_what_people_type);
	RUN(phone_accepts_every_mobile_prefix);
	RUN(phone_rejects_with_the_rule_broken);
	RUN(phone_messages_quote_the_input);
	RUN(phone_messages_cut_long_input);
	RUN(phone_mask_keeps_prefix_and_last_four);
	RUN(mask_name_keeps_the_first_character);
	RUN(mask_name_truncates_on_a_character_boundary);
	RUN(mask_openid_keeps_four_and_two);
	RUN(mask_account_keeps_the_last_four);
	RUN(mask_digits_keeps_the_last_four_of_long_runs);
	RUN(mask_digits_works_in_place_and_without_room);
	RUN(charset_keeps_utf8);
	RUN(charset_decodes_gbk);
	RUN(charset_decodes_gb18030_four_byte_and_long_text);
	RUN(charset_reports_line_and_offset);
	RUN(csv_reads_plain_records);
	RUN(csv_trims_unquoted_and_keeps_empty_fields);
	RUN(csv_reads_quoted_fields);
	RUN(csv_counts_lines_through_quoted_newlines);
	RUN(csv_recovers_from_malformed_records);
	RUN(csv_error_messages_name_the_line);
	RUN(csv_enforces_the_caps);
	RUN(csv_too_long_quoted_field_skips_its_whole_record);
	return TEST_END();
}
