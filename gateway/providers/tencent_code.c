/* providers/tencent_code: what Tencent Cloud's error codes mean for a message (OK, RETRY,
 * THROTTLED, PERMANENT, unreachable), and text from Tencent's answers made safe to keep.
 * Called by the Tencent provider's classify; the copy helper also by its push parsing.
 * Never puts a full phone number into a reason: digit runs are masked (mask_digits).
 * Source: SmsErrorCode.java of tencentcloud-sdk-java; PROVIDERS.md part 2. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mask.h"
#include "tencent_internal.h"
#include "utf8.h"

#define QUOTE_CHARS 80 /* characters of a provider message quoted in a reason */
/* Bytes of outside text tencent_quote looks at: many times what a reason (160) can show, so
 * that only a long run of bytes that are not UTF-8 could ever end a quote early. */
#define QUOTE_INPUT_MAX 1024

void tencent_copy_utf8(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void tencent_quote(const char *s, char *out, size_t outsz, size_t max_chars)
{
	char masked[QUOTE_INPUT_MAX];
	size_t o = 0, chars = 0;

	mask_digits(s, masked, sizeof(masked));
	s = masked;
	/* 5 bytes of room: the longest character (4) and the NUL. */
	while (*s != '\0' && chars < max_chars && o + 5 <= outsz) {
		size_t step = utf8_prefix_bytes(s, 1);

		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			out[o++] = ' ';
			s++;
		} else if (!utf8_valid(s, step, NULL)) {
			out[o++] = '?';
			s += step;
		} else {
			memcpy(out + o, s, step);
			o += step;
			s += step;
		}
		chars++;
	}
	out[o] = '\0';
}

/* How each Tencent code is handled; exact names first, then families ending in "*". */
static const struct code_rule {
	const char *code;
	enum outcome outcome;
	int retry_after_ms;
	int unreachable; /* the number itself is the problem: try another channel */
} code_rules[] = {
	{ "InternalError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.Timeout", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.SendAndRecvFail", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.OtherError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.UnknownError", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.ParseBackendResponseFail", OUTCOME_RETRY, 0, 0 },
	{ "InternalError.RequestTimeException", OUTCOME_RETRY, 0, 0 },
	{ "ServiceUnavailable", OUTCOME_RETRY, 0, 0 },
	{ "ResourceUnavailable", OUTCOME_RETRY, 0, 0 },
	{ "AuthFailure.SignatureExpire", OUTCOME_RETRY, 0, 0 },
	{ "RequestLimitExceeded", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberThirtySecondLimit", OUTCOME_THROTTLED, 30000, 0 },
	{ "LimitExceeded.PhoneNumberOneHourLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.PhoneNumberSameContentDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.DeliveryFrequencyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.AppDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.AppMainlandChinaDailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "LimitExceeded.DailyLimit", OUTCOME_THROTTLED, 0, 0 },
	{ "FailedOperation.MarketingSendTimeConstraint", OUTCOME_THROTTLED, 0, 0 },
	{ "InvalidParameterValue.IncorrectPhoneNumber", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.PhoneNumberParseFail", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.PhoneNumberInBlacklist", OUTCOME_PERMANENT, 0, 1 },
	{ "FailedOperation.SignatureIncorrectOrUnapproved", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateIncorrectOrUnapproved", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.TemplateUnapprovedOrNotExist", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.ContainSensitiveWord", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.JsonParseFail", OUTCOME_PERMANENT, 0, 0 },
	{ "FailedOperation.InsufficientBalanceInSmsPackage", OUTCOME_PERMANENT, 0, 0 },
	{ "LimitExceeded.PhoneNumberCountLimit", OUTCOME_PERMANENT, 0, 0 },
	{ "InvalidAction", OUTCOME_PERMANENT, 0, 0 },
	{ "NoSuchVersion", OUTCOME_PERMANENT, 0, 0 },
	{ "UnsupportedRegion", OUTCOME_PERMANENT, 0, 0 },
	{ "MissingParameter*", OUTCOME_PERMANENT, 0, 0 },
	{ "InvalidParameter*", OUTCOME_PERMANENT, 0, 0 }, /* and InvalidParameterValue.* */
	{ "UnauthorizedOperation.*", OUTCOME_PERMANENT, 0, 0 },
	{ "UnsupportedOperation.*", OUTCOME_PERMANENT, 0, 0 },
	{ "AuthFailure.*", OUTCOME_PERMANENT, 0, 0 }, /* SignatureFailure, SecretIdNotFound... */
};

static const struct code_rule *code_rule(const char *code)
{
	for (size_t i = 0; i < sizeof(code_rules) / sizeof(code_rules[0]); i++) {
		const char *c = code_rules[i].code;
		size_t n = strlen(c);

		if (c[n - 1] == '*' ? strncmp(code, c, n - 1) == 0 : strcmp(code, c) == 0)
			return &code_rules[i];
	}
	return NULL;
}

/* A Tencent error code (request-level or per number) and its message into *r. */
void tencent_code_result(const char *code, const char *message, struct prov_result *r)
{
	const struct code_rule *rule = code_rule(code);
	char c[96]; /* the longest documented code has 63 characters */
	int len;

	tencent_quote(code, c, sizeof(c), 90);
	r->outcome = OUTCOME_RETRY;
	if (rule == NULL) {
		/* Never OK: a code nobody has read the documentation of may mean anything. */
		log_warn("tencent: unknown code \"%s\" treated as RETRY; add it to code_rules", c);
		len = snprintf(r->reason, sizeof(r->reason), "unknown Tencent code \"%s\"", c);
	} else {
		r->outcome = rule->outcome;
		r->retry_after_ms = rule->retry_after_ms;
		r->unreachable = rule->unreachable;
		r->number_only = strncmp(code, "LimitExceeded.PhoneNumber", 25) == 0;
		len = snprintf(r->reason, sizeof(r->reason), "%s", c);
	}
	/* The message is quoted into what is left, never cutting a character in half. */
	if (message[0] != '\0' && (size_t)len + 8 < sizeof(r->reason)) {
		memcpy(r->reason + len, ": ", 3);
		tencent_quote(message, r->reason + len + 2, sizeof(r->reason) - (size_t)len - 2,
			      QUOTE_CHARS);
	}
}
