/* test_reply_parse: what residents really answer to a return-visit survey ("回复1满意，2基本
 * 满意，3不满意") and to an appointment message ("回复1确认，2改约"), as tables of reply
 * and expected reading: full-width digits, brackets and punctuation, words around the
 * answer, phone numbers and times that are not answers, and replies that name two answers,
 * which must stay unknown. Also the stored names of the survey answers. */
#include "reply_parse.h"

#include "test.h"

#include <stdlib.h>

struct survey_case {
	const char *reply;
	enum survey_answer want;
};

struct appt_case {
	const char *reply;
	enum appt_reply want;
};

static const struct survey_case survey_cases[] = {
	/* Digits, as they come. */
	{ "1", SURVEY_SATISFIED },
	{ "１", SURVEY_SATISFIED },
	{ " 1 ", SURVEY_SATISFIED },
	{ "1.", SURVEY_SATISFIED },
	{ "1。", SURVEY_SATISFIED },
	{ "【1】", SURVEY_SATISFIED },
	{ "回复1", SURVEY_SATISFIED },
	{ "选1", SURVEY_SATISFIED },
	{ "\xe3\x80\x80"
	  "1\n",
	  SURVEY_SATISFIED }, /* an ideographic space first */
	{ "2", SURVEY_BASICALLY },
	{ "②", SURVEY_BASICALLY },
	{ "２", SURVEY_BASICALLY },
	{ "3", SURVEY_UNSATISFIED },
	{ "３", SURVEY_UNSATISFIED },
	{ "（3）", SURVEY_UNSATISFIED },
	/* Words, alone and with a digit that agrees. */
	{ "1满意", SURVEY_SATISFIED },
	{ "满意", SURVEY_SATISFIED },
	{ "非常满意！", SURVEY_SATISFIED },
	{ "很满意", SURVEY_SATISFIED },
	{ "满意的", SURVEY_SATISFIED },
	{ "满意，谢谢师傅", SURVEY_SATISFIED },
	{ "满意 满意", SURVEY_SATISFIED },
	{ "不错，满意", SURVEY_SATISFIED },
	{ "基本满意", SURVEY_BASICALLY },
	{ "２ 基本满意", SURVEY_BASICALLY },
	{ "一般吧", SURVEY_BASICALLY },
	{ "还行", SURVEY_BASICALLY },
	{ "还可以吧", SURVEY_BASICALLY },
	{ "凑合", SURVEY_BASICALLY },
	{ "不满意", SURVEY_UNSATISFIED },
	{ "不满意的", SURVEY_UNSATISFIED },
	{ "不满意，还是漏水", SURVEY_UNSATISFIED },
	{ "不太满意", SURVEY_UNSATISFIED },
	{ "不是很满意", SURVEY_UNSATISFIED },
	{ "很不满意！！", SURVEY_UNSATISFIED },
	{ "非常不满意", SURVEY_UNSATISFIED },
	{ "3 不满意 水压还是低", SURVEY_UNSATISFIED },
	{ "太差了", SURVEY_UNSATISFIED },
	{ "问题没解决", SURVEY_UNSATISFIED },
	{ "暖气还是没修好", SURVEY_UNSATISFIED },
	/* Numbers that are quantities or times, beside a word that answers. */
	{ "等了3天才来，不满意", SURVEY_UNSATISFIED },
	{ "1号楼的师傅很好 满意", SURVEY_SATISFIED },
	{ "13812345678 满意", SURVEY_SATISFIED },
	/* Unreadable: conflicts, numbers that are not choices, no answer at all. */
	{ "1不满意", SURVEY_UNKNOWN },
	{ "3满意", SURVEY_UNKNOWN },
	{ "满意 不满意", SURVEY_UNKNOWN },
	{ "1 3", SURVEY_UNKNOWN },
	{ "1，3", SURVEY_UNKNOWN },
	{ "12", SURVEY_UNKNOWN },
	{ "10", SURVEY_UNKNOWN },
	{ "123", SURVEY_UNKNOWN },
	{ "13812345678", SURVEY_UNKNOWN },
	{ "10点再说", SURVEY_UNKNOWN },
	{ "明天1点再说", SURVEY_UNKNOWN },
	{ "1.5", SURVEY_UNKNOWN },
	{ "4", SURVEY_UNKNOWN },
	{ "0", SURVEY_UNKNOWN },
	{ "4 满意", SURVEY_UNKNOWN },
	{ "", SURVEY_UNKNOWN },
	{ "  。", SURVEY_UNKNOWN },
	{ NULL, SURVEY_UNKNOWN },
	{ "好的", SURVEY_UNKNOWN },
	{ "谢谢", SURVEY_UNKNOWN },
	{ "TD", SURVEY_UNKNOWN },
	{ "退订", SURVEY_UNKNOWN },
	{ "差不多吧", SURVEY_UNKNOWN },
	{ "我在出差", SURVEY_UNKNOWN },
	{ "没有满意", SURVEY_UNKNOWN },
	{ "没满意", SURVEY_UNKNOWN },
	{ "不怎么满意", SURVEY_UNSATISFIED },
	{ "\xff\xfe"
	  "1",
	  SURVEY_SATISFIED }, /* stray bytes are not digits */
};

static const struct appt_case appt_cases[] = {
	{ "1", APPT_REPLY_CONFIRM },
	{ "１", APPT_REPLY_CONFIRM },
	{ "1.", APPT_REPLY_CONFIRM },
	{ "确认", APPT_REPLY_CONFIRM },
	{ "1确认", APPT_REPLY_CONFIRM },
	{ "好的，确认", APPT_REPLY_CONFIRM },
	{ "好", APPT_REPLY_CONFIRM },
	{ "可以", APPT_REPLY_CONFIRM },
	{ "行", APPT_REPLY_CONFIRM },
	{ "没问题", APPT_REPLY_CONFIRM },
	{ "ok", APPT_REPLY_CONFIRM },
	{ "OK", APPT_REPLY_CONFIRM },
	{ "ＯＫ！", APPT_REPLY_CONFIRM },
	{ "Y", APPT_REPLY_CONFIRM },
	{ "您好，可以的", APPT_REPLY_CONFIRM },
	{ "2", APPT_REPLY_RESCHEDULE },
	{ "２", APPT_REPLY_RESCHEDULE },
	{ "改约", APPT_REPLY_RESCHEDULE },
	{ "2 改时间", APPT_REPLY_RESCHEDULE },
	{ "换个时间吧", APPT_REPLY_RESCHEDULE },
	{ "明天不在家", APPT_REPLY_RESCHEDULE },
	{ "你好，明天不在家", APPT_REPLY_RESCHEDULE },
	{ "不好意思，那天没空", APPT_REPLY_RESCHEDULE },
	{ "周1不在家", APPT_REPLY_RESCHEDULE },
	{ "不可以", APPT_REPLY_RESCHEDULE },
	{ "不行", APPT_REPLY_RESCHEDULE },
	{ "另约", APPT_REPLY_RESCHEDULE },
	{ "1 2", APPT_REPLY_UNKNOWN },
	{ "1，2", APPT_REPLY_UNKNOWN },
	{ "1改约", APPT_REPLY_UNKNOWN },
	{ "好的，不过明天不在家", APPT_REPLY_UNKNOWN },
	{ "3", APPT_REPLY_UNKNOWN },
	{ "不确认", APPT_REPLY_UNKNOWN },
	{ "下午3点以后可以", APPT_REPLY_CONFIRM },
	{ "10点以后", APPT_REPLY_UNKNOWN },
	{ "谢谢", APPT_REPLY_UNKNOWN },
	{ "TD", APPT_REPLY_UNKNOWN },
	{ "yesterday", APPT_REPLY_UNKNOWN },
	{ "sorry", APPT_REPLY_UNKNOWN },
	{ "", APPT_REPLY_UNKNOWN },
	{ NULL, APPT_REPLY_UNKNOWN },
};

TEST(survey_replies)
{
	for (size_t i = 0; i < sizeof(survey_cases) / sizeof(survey_cases[0]); i++) {
		const struct survey_case *c = &survey_cases[i];
		enum survey_answer got = reply_parse_survey(c->reply);

		if (got != c->want)
			fprintf(stderr, "  survey \"%s\": got %d, want %d\n",
				c->reply ? c->reply : "(null)", got, c->want);
		CHECK_INT(got, c->want);
	}
	CHECK(sizeof(survey_cases) / sizeof(survey_cases[0]) >= 40);
}

TEST(appointment_replies)
{
	for (size_t i = 0; i < sizeof(appt_cases) / sizeof(appt_cases[0]); i++) {
		const struct appt_case *c = &appt_cases[i];
		enum appt_reply got = reply_parse_appointment(c->reply);

		if (got != c->want)
			fprintf(stderr, "  appointment \"%s\": got %d, want %d\n",
				c->reply ? c->reply : "(null)", got, c->want);
		CHECK_INT(got, c->want);
	}
}

/* A reply longer than any SMS is not read, even when it starts with an answer. */
TEST(overlong_reply_is_unknown)
{
	char *s = malloc(1 + 600 * 3 + 1);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	s[0] = '1';
	for (int i = 0; i < 600; i++)
		memcpy(s + 1 + 3 * i, "啊", 3);
	s[1 + 600 * 3] = '\0';
	CHECK_INT(reply_parse_survey(s), SURVEY_UNKNOWN);
	s[1 + 100 * 3] = '\0'; /* "1" and 100 characters: short enough to read */
	CHECK_INT(reply_parse_survey(s), SURVEY_SATISFIED);
	free(s);
}

TEST(survey_names_round_trip)
{
	static const char *const names[] = { "satisfied", "basically", "unsatisfied" };
	static const char *const labels[] = { "满意", "基本满意", "不满意" };

	for (int a = SURVEY_SATISFIED; a <= SURVEY_UNSATISFIED; a++) {
		CHECK_STR(reply_survey_name((enum survey_answer)a), names[a - 1]);
		/* The label a resident would write is the answer too. */
		CHECK_INT(reply_parse_survey(labels[a - 1]), a);
	}
	CHECK(reply_survey_name(SURVEY_UNKNOWN) == NULL);
	CHECK(reply_survey_name((enum survey_answer)7) == NULL);
}

int main(void)
{
	RUN(survey_replies);
	RUN(appointment_replies);
	RUN(overlong_reply_is_unknown);
	RUN(survey_names_round_trip);
	return TEST_END();
}
