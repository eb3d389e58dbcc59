/* reply_parse: what a resident meant by an SMS reply to a return-visit survey or an
 * appointment message. Residents answer as they like: "1", "１", " 1 满意", "满意！",
 * "基本满意吧", "不满意，还是漏", "2.", "选3"; the parser is tolerant (full-width digits and
 * punctuation, surrounding words and spaces) but never guesses: a reply it cannot read is
 * REPLY_UNKNOWN, kept and shown to staff by the caller, never dropped. Pure; no I/O. */
#ifndef GATEWAY_REPLY_PARSE_H
#define GATEWAY_REPLY_PARSE_H

enum survey_answer {
	SURVEY_UNKNOWN = 0,
	SURVEY_SATISFIED = 1, /* 1 满意 */
	SURVEY_BASICALLY = 2, /* 2 基本满意 */
	SURVEY_UNSATISFIED = 3, /* 3 不满意 */
};

/* The answer in a survey reply (UTF-8 text, may be NULL). Exactly one of the digits 1-3
 * (ASCII or full-width, not part of a longer number such as a phone number or "10") or
 * exactly one of the words decides; a reply naming two different answers ("1不满意") is
 * SURVEY_UNKNOWN. The words are matched longest first: 不满意 and 基本满意 both contain 满意;
 * 非常满意 and 很满意 are SURVEY_SATISFIED; 不太满意 and 不是很满意 are SURVEY_UNSATISFIED. */
enum survey_answer reply_parse_survey(const char *text);

/* The stored names: "satisfied", "basically", "unsatisfied"; NULL for unknown. */
const char *reply_survey_name(enum survey_answer a);

enum appt_reply {
	APPT_REPLY_UNKNOWN = 0,
	APPT_REPLY_CONFIRM = 1, /* 1, 确认, 好的, 可以, 行, OK */
	APPT_REPLY_RESCHEDULE = 2, /* 2, 改约, 改时间, 换个时间, 没空, 不在家 */
};

/* The answer to an appointment confirmation ("回复1确认，回复2改约"), with the same
 * tolerance and the same refusal to guess. */
enum appt_reply reply_parse_appointment(const char *text);

#endif
