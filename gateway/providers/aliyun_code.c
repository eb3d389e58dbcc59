/* providers/aliyun_code: what Alibaba Cloud's Codes mean for a message (OK, RETRY,
 * THROTTLED and for how long, PERMANENT, unreachable), and text from Alibaba's answers
 * made safe to keep. Called by the Aliyun provider's classify; the copy helpers also by
 * its push parsing. Pure: the pause of a day or month quota is counted from the message's
 * now_ms, never the clock. Reasons never carry a phone number (mask_digits).
 * Source: /work/shared/PROVIDERS.md part 1, the class table. */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aliyun_internal.h"
#include "mask.h"

#define DAY_MS (24LL * 3600 * 1000)

void aliyun_copy_cut(const char *s, char *out, size_t outsz)
{
	size_t k = s != NULL ? strnlen(s, outsz - 1) : 0;

	if (s != NULL && s[k] != '\0')
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	for (size_t i = 0; i < k; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	out[k] = '\0';
}

bool aliyun_copy_fit(const char *s, char *out, size_t outsz)
{
	if (s == NULL || strlen(s) >= outsz)
		return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

void aliyun_set_reason(struct prov_result *r, const char *head, const char *msg)
{
	char tmp[512];

	if (msg != NULL && *msg != '\0')
		snprintf(tmp, sizeof(tmp), "%s: %s", head, msg);
	else
		snprintf(tmp, sizeof(tmp), "%s", head);
	mask_digits(tmp, tmp, sizeof(tmp));
	aliyun_copy_cut(tmp, r->reason, sizeof(r->reason));
}

enum wait { WAIT_DEFAULT, WAIT_HEADER, WAIT_DAY, WAIT_MONTH };

struct code_rule {
	const char *code; /* a trailing '*' names a family: Throttling.User, MissingSignName */
	enum outcome outcome;
	enum wait wait; /* THROTTLED: how long the provider pauses */
	const char *hint;
};

/* PROVIDERS.md part 1, the class table. Codes in neither list are RETRY and reported. */
static const struct code_rule code_rules[] = {
	{ "OK", OUTCOME_OK, WAIT_DEFAULT, NULL },
	{ "isp.SYSTEM_ERROR", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "isp.GATEWAY_ERROR", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "InternalError", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "ServiceUnavailable", OUTCOME_RETRY, WAIT_DEFAULT, NULL },
	{ "InvalidTimeStamp.Expired", OUTCOME_RETRY, WAIT_DEFAULT,
	  "check the server clock (NTP); the retry is signed anew" },
	{ "SignatureNonceUsed", OUTCOME_RETRY, WAIT_DEFAULT, "the retry gets a new nonce" },
	/* Per-number flow control must not pause every other number for an hour: the
	 * default short, escalating pause applies. */
	{ "isv.BUSINESS_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_DEFAULT, NULL },
	{ "isv.DAY_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_DAY,
	  "account day quota; paused until Beijing midnight" },
	{ "isv.MONTH_LIMIT_CONTROL", OUTCOME_THROTTLED, WAIT_MONTH,
	  "account month quota; paused until the month ends" },
	{ "Throttling*", OUTCOME_THROTTLED, WAIT_HEADER, NULL },
	{ "isv.MOBILE_NUMBER_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, NULL },
	{ "SignatureDoesNotMatch", OUTCOME_PERMANENT, WAIT_DEFAULT, "check key_id and secret" },
	{ "InvalidAccessKeyId.NotFound", OUTCOME_PERMANENT, WAIT_DEFAULT, "check key_id" },
	{ "isv.SMS_SIGNATURE_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, "check sign_name" },
	{ "isv.SMS_TEMPLATE_ILLEGAL", OUTCOME_PERMANENT, WAIT_DEFAULT, "check the template.*" },
	{ "isv.TEMPLATE_MISSING_PARAMETERS", OUTCOME_PERMANENT, WAIT_DEFAULT, "check params.*" },
	{ "isv.AMOUNT_NOT_ENOUGH", OUTCOME_PERMANENT, WAIT_DEFAULT, "top up the account" },
	{ "isp.RAM_PERMISSION_DENY", OUTCOME_PERMANENT, WAIT_DEFAULT,
	  "grant the RAM user dysms:SendSms" },
};

/* The rest of the PERMANENT class: the data or the configuration must change. */
static const char *const permanent_codes[] = {
	"IncompleteSignature",
	"InvalidTimeStamp.Format",
	"Missing*",
	"isv.MOBILE_COUNT_OVER_LIMIT",
	"isv.SMS_SIGNATURE_SCENE_ILLEGAL",
	"isv.INVALID_JSON_PARAM",
	"isv.INVALID_PARAMETERS",
	"isv.PARAM_LENGTH_LIMIT",
	"isv.PARAM_NOT_SUPPORT_URL",
	"isv.BLACK_KEY_CONTROL_LIMIT",
	"isv.SMS_CONTENT_ILLEGAL",
	"isv.SMS_SIGN_ILLEGAL",
	"isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
	"isv.EXTEND_CODE_ERROR",
	"isv.DENY_IP_RANGE",
	"isv.OUT_OF_SERVICE",
	"isv.ACCOUNT_NOT_EXISTS",
	"isv.ACCOUNT_ABNORMAL",
	"isv.PRODUCT_UN_SUBSCRIPT",
	"isv.PRODUCT_UNSUBSCRIBE",
};

static bool code_matches(const char *pattern, const char *code)
{
	size_t n = strlen(pattern);

	return pattern[n - 1] == '*' ? strncmp(code, pattern, n - 1) == 0
				     : strcmp(code, pattern) == 0;
}

/* The rule for code, or NULL for a code nobody told us about. */
static const struct code_rule *find_rule(const char *code)
{
	static const struct code_rule permanent = { "", OUTCOME_PERMANENT, WAIT_DEFAULT, NULL };

	for (size_t i = 0; i < sizeof(code_rules) / sizeof(code_rules[0]); i++)
		if (code_matches(code_rules[i].code, code))
			return &code_rules[i];
	for (size_t i = 0; i < sizeof(permanent_codes) / sizeof(permanent_codes[0]); i++)
		if (code_matches(permanent_codes[i], code))
			return &permanent;
	return NULL;
}

/* Milliseconds from now_ms to the next Beijing midnight, or to the 1st of next month. */
static int wait_ms(enum wait w, int64_t now_ms)
{
	int64_t local = now_ms + ALIYUN_BEIJING_MIN * 60000LL, until;
	time_t t = (time_t)(local / 1000);
	struct tm tm;

	if (w == WAIT_DAY) {
		until = (local / DAY_MS + 1) * DAY_MS;
	} else {
		gmtime_r(&t, &tm);
		tm.tm_mon++;
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		until = (int64_t)timegm(&tm) * 1000;
	}
	return until - local > INT_MAX ? INT_MAX : (int)(until - local);
}

static void by_rule(const struct code_rule *c, const struct http_response *resp, json_t *root,
		    const struct prov_msg *msgs, size_t n, struct prov_result *r)
{
	const char *msg = json_string_value(json_object_get(root, "Message"));
	char head[160];

	r->outcome = c->outcome;
	snprintf(head, sizeof(head), "%.100s", json_string_value(json_object_get(root, "Code")));
	if (c->hint != NULL)
		snprintf(head + strlen(head), sizeof(head) - strlen(head), " (%s)", c->hint);
	if (c->outcome == OUTCOME_OK && (resp->status < 200 || resp->status > 299)) {
		r->outcome = OUTCOME_RETRY;
		snprintf(head, sizeof(head), "HTTP %ld with Code OK", resp->status);
	} else if (c->outcome == OUTCOME_OK) {
		if (!aliyun_copy_fit(json_string_value(json_object_get(root, "BizId")), r->ref,
				     sizeof(r->ref)))
			r->ref[0] = '\0';
		return;
	} else if (c->outcome == OUTCOME_THROTTLED &&
		   strcmp(head, "isv.BUSINESS_LIMIT_CONTROL") == 0 && n > 1) {
		/* A per-number limit refused the whole request: the others must not wait. */
		r->outcome = OUTCOME_RETRY;
		snprintf(head, sizeof(head),
			 "isv.BUSINESS_LIMIT_CONTROL in a request of %zu "
			 "numbers: send them singly",
			 n);
	} else if (c->outcome == OUTCOME_THROTTLED) {
		r->number_only = strcmp(head, "isv.BUSINESS_LIMIT_CONTROL") == 0;
		r->retry_after_ms = c->wait == WAIT_HEADER ? resp->retry_after_ms
			: c->wait == WAIT_DEFAULT          ? 0
							   : wait_ms(c->wait, msgs[0].now_ms);
	} else if (strcmp(head, "isv.MOBILE_NUMBER_ILLEGAL") == 0 && n > 1) {
		/* One bad number fails the whole request; the others must not fail with it. */
		r->outcome = OUTCOME_RETRY;
		snprintf(head, sizeof(head),
			 "isv.MOBILE_NUMBER_ILLEGAL in a request of %zu "
			 "numbers: send them singly",
			 n);
	} else if (strcmp(head, "isv.MOBILE_NUMBER_ILLEGAL") == 0) {
		r->unreachable = 1;
	}
	aliyun_set_reason(r, head, msg);
}
void aliyun_code_result(const char *code, const struct http_response *resp, json_t *root,
			const struct prov_msg *msgs, size_t n, struct prov_result *r)
{
	const struct code_rule *rule = find_rule(code);
	char head[160];

	if (rule != NULL) {
		by_rule(rule, resp, root, msgs, n, r);
		return;
	}
	r->outcome = OUTCOME_RETRY;
	snprintf(head, sizeof(head), "unknown code %.100s (reported)", code);
	aliyun_set_reason(r, head, json_string_value(json_object_get(root, "Message")));
}
