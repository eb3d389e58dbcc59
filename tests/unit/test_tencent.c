/* Unit tests for providers/tencent: the TC3-HMAC-SHA256 worked example of Tencent's
 * "Signature v3" document, SendSms request building (headers, body, batching limits,
 * configuration errors), classification of real answers (whole-request errors, mixed
 * per-number results, garbage, transport failures) and the status-report and reply pushes. */
#include <jansson.h>
#include <stdlib.h>

#include "provider.h"
#include "providers/tencent.h"
#include "test.h"
#include "utf8.h"

extern const struct provider_ops provider_tencent;

#define DOC_ID "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
#define DOC_KEY "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
#define DOC_SIG "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
#define NOW_MS 1795365858711LL /* 2026-11-22 16:44:18 UTC */

static const char DOC_BODY[] = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
			       "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
static const char *const PHONES[] = { "13800138000", "13900139000", "18511122233", "15000150000" };
static const struct tmpl_var VARS[] = {
	{ "area", "东城区" },   { "start", "11月23日09:00" }, { "end", "18:00" },
	{ "hotline", "96116" }, { "reason", "爆管抢修" },
};

static struct provider_config tc_cfg(void)
{
	struct provider_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "tc");
	snprintf(c.type, sizeof(c.type), "tencent");
	snprintf(c.endpoint, sizeof(c.endpoint), "http://127.0.0.1:9/");
	snprintf(c.key_id, sizeof(c.key_id), DOC_ID);
	snprintf(c.secret, sizeof(c.secret), DOC_KEY);
	snprintf(c.app_id, sizeof(c.app_id), "1400006666");
	snprintf(c.sign_name, sizeof(c.sign_name), "幸福水务");
	c.timeout_ms = 5000;
	c.line = 12;
	snprintf(c.templates[0].kind, sizeof(c.templates[0].kind), "planned");
	snprintf(c.templates[0].id, sizeof(c.templates[0].id), "1110");
	snprintf(c.templates[0].params, sizeof(c.templates[0].params), "area, start,end,hotline");
	snprintf(c.templates[1].kind, sizeof(c.templates[1].kind), "emergency");
	snprintf(c.templates[1].id, sizeof(c.templates[1].id), "2220");
	snprintf(c.templates[1].params, sizeof(c.templates[1].params), "1=area,2=reason");
	snprintf(c.templates[2].kind, sizeof(c.templates[2].kind), "update");
	snprintf(c.templates[2].id, sizeof(c.templates[2].id), "3330");
	c.ntemplates = 3;
	return c;
}

static void tc_msgs(struct prov_msg *m, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = 42 + (int64_t)i;
		m[i].notice_id = 7;
		m[i].channel = "sms";
		m[i].kind = kind;
		m[i].to = PHONES[i % 4];
		m[i].text = "【幸福水务】东城区停水";
		m[i].now_ms = NOW_MS;
		m[i].vars = VARS;
		m[i].nvars = sizeof(VARS) / sizeof(VARS[0]);
	}
}

/* Builds a request for msgs with cfg; returns build's code. */
static int tc_build(const struct provider_config *cfg, const struct prov_msg *m, size_t n,
		    struct http_request *req, struct err *e)
{
	void *st = NULL;
	int rc;

	memset(req, 0, sizeof(*req));
	if (provider_tencent.create(cfg, &st, e) < 0)
		return -1000;
	rc = provider_tencent.build(st, m, n, req, e);
	provider_tencent.destroy(st);
	return rc;
}

static const char *header(const struct http_request *req, const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < req->nheaders; i++)
		if (strncmp(req->headers[i], name, len) == 0 && req->headers[i][len] == ':')
			return req->headers[i] + len + 2;
	return NULL;
}

/* Classifies an HTTP answer for n sample messages. */
static void tc_classify(long status, const char *body, const struct prov_msg *m, size_t n,
			struct prov_result *res)
{
	struct provider_config cfg = tc_cfg();
	struct http_response resp;
	struct err e;
	void *st = NULL;

	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.body = (char *)body;
	resp.body_len = strlen(body);
	CHECK_INT(provider_tencent.create(&cfg, &st, &e), 0);
	provider_tencent.classify(st, &resp, m, n, res);
	provider_tencent.destroy(st);
}

/* No reason may carry a full number of the batch. */
static void check_no_phone(const struct prov_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < 4; p++)
			CHECK(strstr(res[i].reason, PHONES[p]) == NULL);
}

TEST(sign_document_example)
{
	struct tencent_sign_input in = { .secret_id = DOC_ID,
					 .secret_key = DOC_KEY,
					 .service = "cvm",
					 .host = "cvm.tencentcloudapi.com",
					 .content_type = "application/json; charset=utf-8",
					 .body = DOC_BODY,
					 .body_len = sizeof(DOC_BODY) - 1,
					 .timestamp = 1551113065 };
	struct tencent_signature sig;
	struct err e;

	CHECK_INT(tencent_sign(&in, &sig, &e), 0);
	CHECK_STR(sig.payload_hash,
		  "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
	CHECK_STR(sig.canonical_hash,
		  "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
	CHECK_STR(sig.signature, DOC_SIG);
	CHECK_STR(sig.authorization,
		  "TC3-HMAC-SHA256 Credential=" DOC_ID
		  "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
		  "Signature=" DOC_SIG);
	/* Header values are signed lower-cased and trimmed. */
	in.host = " CVM.TencentCloudAPI.com ";
	in.content_type = "Application/JSON; charset=UTF-8";
	CHECK_INT(tencent_sign(&in, &sig, &e), 0);
	CHECK_STR(sig.signature, DOC_SIG);
	/* Another second, another signature; the date is the UTC one (UTC+8 is the 26th). */
	in.timestamp++;
	CHECK_INT(tencent_sign(&in, &sig, &e), 0);
	CHECK(strcmp(sig.signature, DOC_SIG) != 0);
	CHECK(strstr(sig.authorization, "/2019-02-25/cvm/") != NULL);
}

TEST(ops_table)
{
	CHECK_STR(provider_tencent.type, "tencent");
	CHECK_INT(provider_tencent.max_batch, 200);
	CHECK_INT(provider_tencent.idempotent, 0);
	CHECK(provider_tencent.deliver == NULL);
	CHECK(provider_tencent.parse_receipts != NULL && provider_tencent.parse_replies != NULL);
	CHECK_STR(provider_tencent.push_answer, "{\"result\":0,\"errmsg\":\"OK\"}");
}

TEST(build_request)
{
	struct provider_config cfg = tc_cfg();
	struct tencent_sign_input in = { .secret_id = DOC_ID,
					 .secret_key = DOC_KEY,
					 .service = "sms",
					 .host = "127.0.0.1:9",
					 .content_type = "application/json",
					 .timestamp = NOW_MS / 1000 };
	struct tencent_signature sig;
	struct http_request req;
	struct prov_msg m[3];
	struct err e;
	json_t *b;

	tc_msgs(m, 3, "planned");
	CHECK_INT(tc_build(&cfg, m, 3, &req, &e), 0);
	CHECK_STR(req.url, "http://127.0.0.1:9/");
	CHECK_STR(req.method, "POST");
	CHECK_INT(req.nheaders, 7);
	CHECK_STR(header(&req, "Content-Type"), "application/json");
	CHECK_STR(header(&req, "Host"), "127.0.0.1:9");
	CHECK_STR(header(&req, "X-TC-Action"), "SendSms");
	CHECK_STR(header(&req, "X-TC-Version"), "2021-01-11");
	CHECK_STR(header(&req, "X-TC-Timestamp"), "1795365858");
	CHECK_STR(header(&req, "X-TC-Region"), "ap-guangzhou");
	CHECK_INT(req.timeout_ms, 5000);
	/* The Authorization is the signature of exactly the body that is sent. */
	in.body = req.body;
	in.body_len = req.body_len;
	CHECK_INT(tencent_sign(&in, &sig, &e), 0);
	CHECK_STR(header(&req, "Authorization"), sig.authorization);
	CHECK(strstr(sig.authorization,
		     "Credential=" DOC_ID "/2026-11-22/sms/tc3_request, "
		     "SignedHeaders=content-type;host, Signature=") != NULL);
	b = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK(b != NULL);
	CHECK_INT(json_array_size(json_object_get(b, "PhoneNumberSet")), 3);
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "PhoneNumberSet"), 0)),
		  "+8613800138000");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "PhoneNumberSet"), 2)),
		  "+8618511122233");
	CHECK_STR(json_string_value(json_object_get(b, "SmsSdkAppId")), "1400006666");
	CHECK_STR(json_string_value(json_object_get(b, "TemplateId")), "1110");
	CHECK_STR(json_string_value(json_object_get(b, "SignName")), "幸福水务");
	CHECK_STR(json_string_value(json_object_get(b, "SessionContext")), "42");
	CHECK_INT(json_array_size(json_object_get(b, "TemplateParamSet")), 4);
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "TemplateParamSet"), 0)),
		  "东城区");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "TemplateParamSet"), 1)),
		  "11月23日09:00");
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "TemplateParamSet"), 3)),
		  "96116");
	json_decref(b);
	http_request_cleanup(&req);
}

TEST(build_resigns_each_time)
{
	struct provider_config cfg = tc_cfg();
	struct http_request a, b;
	struct prov_msg m[1];
	struct err e;

	tc_msgs(m, 1, "planned");
	CHECK_INT(tc_build(&cfg, m, 1, &a, &e), 0);
	m[0].now_ms += 61000;
	CHECK_INT(tc_build(&cfg, m, 1, &b, &e), 0);
	CHECK_STR(header(&b, "X-TC-Timestamp"), "1795365919");
	CHECK(strcmp(header(&a, "Authorization"), header(&b, "Authorization")) != 0);
	http_request_cleanup(&a);
	http_request_cleanup(&b);
}

TEST(build_endpoint_region_params)
{
	struct provider_config cfg = tc_cfg();
	struct http_request req;
	struct prov_msg m[1];
	struct err e;
	json_t *b;

	tc_msgs(m, 1, "emergency");
	cfg.endpoint[0] = '\0';
	snprintf(cfg.region, sizeof(cfg.region), "ap-beijing");
	CHECK_INT(tc_build(&cfg, m, 1, &req, &e), 0);
	CHECK_STR(req.url, "https://sms.tencentcloudapi.com/");
	CHECK_STR(header(&req, "Host"), "sms.tencentcloudapi.com");
	CHECK_STR(header(&req, "X-TC-Region"), "ap-beijing");
	b = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(b, "TemplateId")), "2220");
	CHECK_INT(json_array_size(json_object_get(b, "TemplateParamSet")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(b, "TemplateParamSet"), 1)),
		  "爆管抢修");
	json_decref(b);
	http_request_cleanup(&req);

	/* An endpoint without a path gets "/"; a template without parameters sends []. */
	snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://127.0.0.1:8081");
	tc_msgs(m, 1, "update");
	CHECK_INT(tc_build(&cfg, m, 1, &req, &e), 0);
	CHECK_STR(req.url, "http://127.0.0.1:8081/");
	CHECK_STR(header(&req, "Host"), "127.0.0.1:8081");
	b = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK(json_is_array(json_object_get(b, "TemplateParamSet")));
	CHECK_INT(json_array_size(json_object_get(b, "TemplateParamSet")), 0);
	json_decref(b);
	http_request_cleanup(&req);
}

TEST(build_batch_limits)
{
	struct provider_config cfg = tc_cfg();
	struct http_request req;
	struct prov_msg *m = calloc(201, sizeof(*m));
	struct err e;
	json_t *b;

	tc_msgs(m, 201, "planned");
	CHECK_INT(tc_build(&cfg, m, 200, &req, &e), 0);
	b = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK_INT(json_array_size(json_object_get(b, "PhoneNumberSet")), 200);
	json_decref(b);
	http_request_cleanup(&req);
	CHECK(tc_build(&cfg, m, 201, &req, &e) < 0);
	CHECK(req.body == NULL);
	CHECK(tc_build(&cfg, m, 0, &req, &e) < 0);
	free(m);
}

TEST(build_errors)
{
	struct provider_config cfg = tc_cfg();
	struct http_request req;
	struct prov_msg m[2];
	struct err e;

	tc_msgs(m, 2, "restored");
	CHECK_INT(tc_build(&cfg, m, 2, &req, &e), ERR_INVALID);
	CHECK_STR(e.field, "template.restored");
	CHECK(req.body == NULL);

	snprintf(cfg.templates[0].params, sizeof(cfg.templates[0].params), "area,bogus");
	tc_msgs(m, 2, "planned");
	CHECK_INT(tc_build(&cfg, m, 2, &req, &e), ERR_INVALID);
	CHECK_STR(e.field, "params.planned");
	CHECK(strstr(e.msg, "bogus") != NULL);

	snprintf(cfg.templates[0].params, sizeof(cfg.templates[0].params), "area,,end");
	CHECK_INT(tc_build(&cfg, m, 2, &req, &e), ERR_INVALID);
	CHECK_STR(e.field, "params.planned");

	cfg = tc_cfg();
	m[1].to = "1380013800";
	CHECK_INT(tc_build(&cfg, m, 2, &req, &e), ERR_INVALID);
	CHECK_STR(e.field, "to");
	CHECK(strstr(e.msg, "1380013800") == NULL);
}

TEST(create_errors)
{
	static const char *const keys[] = { "key_id", "secret", "app_id", "sign_name" };
	struct provider_config cfg;
	struct err e;
	void *st = NULL;

	for (size_t i = 0; i < 4; i++) {
		cfg = tc_cfg();
		if (i == 0)
			cfg.key_id[0] = '\0';
		else if (i == 1)
			cfg.secret[0] = '\0';
		else if (i == 2)
			cfg.app_id[0] = '\0';
		else
			cfg.sign_name[0] = '\0';
		CHECK_INT(provider_tencent.create(&cfg, &st, &e), ERR_INVALID);
		CHECK_STR(e.field, keys[i]);
		CHECK(strstr(e.msg, "[provider.tc]") != NULL);
	}
	cfg = tc_cfg();
	snprintf(cfg.endpoint, sizeof(cfg.endpoint), "ftp://127.0.0.1/");
	CHECK_INT(provider_tencent.create(&cfg, &st, &e), ERR_INVALID);
	CHECK_STR(e.field, "endpoint");
	snprintf(cfg.endpoint, sizeof(cfg.endpoint), "https://");
	CHECK_INT(provider_tencent.create(&cfg, &st, &e), ERR_INVALID);
	provider_tencent.destroy(NULL);
}

TEST(classify_all_ok)
{
	static const char body[] =
		"{\"Response\":{\"SendStatusSet\":["
		"{\"SerialNo\":\"5000:3\",\"PhoneNumber\":\"+8618511122233\",\"Fee\":1,"
		"\"SessionContext\":\"42\",\"Code\":\"Ok\",\"Message\":\"send success\",\"IsoCode\":\"CN\"},"
		"{\"SerialNo\":\"5000:1045710669157053657849499619\",\"PhoneNumber\":\"+8613800138000\","
		"\"Fee\":1,\"SessionContext\":\"42\",\"Code\":\"Ok\",\"Message\":\"send success\","
		"\"IsoCode\":\"CN\"},"
		"{\"SerialNo\":\"5000:2\",\"PhoneNumber\":\"+8613900139000\",\"Fee\":2,"
		"\"SessionContext\":\"42\",\"Code\":\"Ok\",\"Message\":\"send success\",\"IsoCode\":\"CN\"}],"
		"\"RequestId\":\"a0aabda6-cf91-4f3e-a81f-9198114a2279\"}}";
	struct prov_msg m[3];
	struct prov_result res[3];

	tc_msgs(m, 3, "planned");
	tc_classify(200, body, m, 3, res);
	for (int i = 0; i < 3; i++)
		CHECK_INT(res[i].outcome, OUTCOME_OK);
	CHECK_STR(res[0].ref, "5000:1045710669157053657849499619");
	CHECK_STR(res[1].ref, "5000:2");
	CHECK_STR(res[2].ref, "5000:3");
}

TEST(classify_partial)
{
	static const char body[] =
		"{\"Response\":{\"SendStatusSet\":["
		"{\"SerialNo\":\"\",\"PhoneNumber\":\"+8615000150000\",\"Fee\":0,\"Code\":"
		"\"FailedOperation.PhoneNumberInBlacklist\",\"Message\":\"phone 8615000150000 in "
		"blacklist\"},"
		"{\"SerialNo\":\"\",\"PhoneNumber\":\"008613900139000\",\"Fee\":0,\"Code\":"
		"\"FailedOperation.TemplateParamSetNotMatchApprovedTemplate\",\"Message\":\"not "
		"match\"},"
		"{\"SerialNo\":\"5000:1\",\"PhoneNumber\":\"8613800138000\",\"Fee\":1,\"Code\":\"Ok\","
		"\"Message\":\"send success\"},"
		"{\"SerialNo\":\"\",\"PhoneNumber\":\"18511122233\",\"Fee\":0,\"Code\":"
		"\"LimitExceeded.PhoneNumberThirtySecondLimit\",\"Message\":\"too often\"}],"
		"\"RequestId\":\"r1\"}}";
	struct prov_msg m[4];
	struct prov_result res[4];

	tc_msgs(m, 4, "planned");
	tc_classify(200, body, m, 4, res);
	CHECK_INT(res[0].outcome, OUTCOME_OK);
	CHECK_STR(res[0].ref, "5000:1");
	CHECK_INT(res[1].outcome, OUTCOME_PERMANENT);
	CHECK(strstr(res[1].reason, "TemplateParamSetNotMatchApprovedTemplate") != NULL);
	CHECK_INT(res[1].unreachable, 0);
	CHECK_INT(res[2].outcome, OUTCOME_THROTTLED);
	CHECK_INT(res[2].retry_after_ms, 30000);
	CHECK_INT(res[3].outcome, OUTCOME_PERMANENT);
	CHECK_INT(res[3].unreachable, 1);
	CHECK(strstr(res[3].reason, "PhoneNumberInBlacklist") != NULL);
	CHECK(strstr(res[3].reason, "*******0000") != NULL);
	check_no_phone(res, 4);
}

TEST(classify_missing_unknown_and_shared_numbers)
{
	static const char body[] =
		"{\"Response\":{\"SendStatusSet\":["
		"{\"SerialNo\":\"5000:1\",\"PhoneNumber\":\"+8613800138000\",\"Code\":\"Ok\"},"
		"{\"SerialNo\":\"\",\"PhoneNumber\":\"+8613800138000\",\"Code\":"
		"\"FailedOperation.ContainSensitiveWord\",\"Message\":\"x\"},"
		"{\"SerialNo\":\"5000:3\",\"PhoneNumber\":\"+8613900139000\",\"Code\":\"OK\"},"
		"{\"SerialNo\":\"\",\"PhoneNumber\":\"+8618511122233\",\"Code\":"
		"\"FailedOperation.BrandNewThing\",\"Message\":\"?\"}],\"RequestId\":\"r\"}}";
	struct prov_msg m[5];
	struct prov_result res[5];

	tc_msgs(m, 5, "planned");
	m[3].to = PHONES[0]; /* two accounts with one mobile: matched in order */
	m[4].to = "13700137000";
	tc_classify(200, body, m, 5, res);
	CHECK_INT(res[0].outcome, OUTCOME_OK);
	CHECK_STR(res[0].ref, "5000:1");
	CHECK_INT(res[3].outcome, OUTCOME_PERMANENT);
	/* "OK" is not "Ok": never count an unknown code as sent. */
	CHECK_INT(res[1].outcome, OUTCOME_RETRY);
	CHECK(strstr(res[1].reason, "unknown") != NULL);
	CHECK_INT(res[2].outcome, OUTCOME_RETRY);
	CHECK(strstr(res[2].reason, "BrandNewThing") != NULL);
	CHECK_INT(res[4].outcome, OUTCOME_RETRY);
	CHECK(strstr(res[4].reason, "no result") != NULL);
	CHECK(strstr(res[4].reason, "13700137000") == NULL);
}

TEST(classify_request_errors)
{
	static const struct {
		const char *code;
		enum outcome outcome;
		int retry_after_ms;
	} table[] = {
		{ "AuthFailure.SignatureExpire", OUTCOME_RETRY, 0 },
		{ "AuthFailure.SignatureFailure", OUTCOME_PERMANENT, 0 },
		{ "AuthFailure.SecretIdNotFound", OUTCOME_PERMANENT, 0 },
		{ "AuthFailure.InvalidAuthorization", OUTCOME_PERMANENT, 0 },
		{ "RequestLimitExceeded", OUTCOME_THROTTLED, 0 },
		{ "LimitExceeded.PhoneNumberThirtySecondLimit", OUTCOME_THROTTLED, 30000 },
		{ "LimitExceeded.AppDailyLimit", OUTCOME_THROTTLED, 0 },
		{ "LimitExceeded.PhoneNumberCountLimit", OUTCOME_PERMANENT, 0 },
		{ "FailedOperation.MarketingSendTimeConstraint", OUTCOME_THROTTLED, 0 },
		{ "FailedOperation.SignatureIncorrectOrUnapproved", OUTCOME_PERMANENT, 0 },
		{ "FailedOperation.InsufficientBalanceInSmsPackage", OUTCOME_PERMANENT, 0 },
		{ "InvalidParameterValue.TemplateParameterLengthLimit", OUTCOME_PERMANENT, 0 },
		{ "InvalidParameterValue.SdkAppIdNotExist", OUTCOME_PERMANENT, 0 },
		{ "InvalidParameter", OUTCOME_PERMANENT, 0 },
		{ "MissingParameter.EmptyPhoneNumberSet", OUTCOME_PERMANENT, 0 },
		{ "UnauthorizedOperation.SmsSdkAppIdVerifyFail", OUTCOME_PERMANENT, 0 },
		{ "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
		  OUTCOME_PERMANENT, 0 },
		{ "InvalidAction", OUTCOME_PERMANENT, 0 },
		{ "NoSuchVersion", OUTCOME_PERMANENT, 0 },
		{ "UnsupportedRegion", OUTCOME_PERMANENT, 0 },
		{ "InternalError.Timeout", OUTCOME_RETRY, 0 },
		{ "InternalError.RequestTimeException", OUTCOME_RETRY, 0 },
		{ "ServiceUnavailable", OUTCOME_RETRY, 0 },
		{ "ResourceUnavailable", OUTCOME_RETRY, 0 },
		{ "Something.Never.Seen", OUTCOME_RETRY, 0 },
	};
	struct prov_msg m[3];
	struct prov_result res[3];
	char body[512];

	tc_msgs(m, 3, "planned");
	for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
		snprintf(body, sizeof(body),
			 "{\"Response\":{\"Error\":{\"Code\":\"%s\",\"Message\":\"number "
			 "+8613800138000 rejected\"},\"RequestId\":\"x\"}}",
			 table[t].code);
		tc_classify(200, body, m, 3, res);
		for (int i = 0; i < 3; i++) {
			if (res[i].outcome != table[t].outcome)
				fprintf(stderr, "  code %s\n", table[t].code);
			CHECK_INT(res[i].outcome, table[t].outcome);
			CHECK_INT(res[i].retry_after_ms, table[t].retry_after_ms);
			CHECK(strstr(res[i].reason, table[t].code) != NULL);
			CHECK(strstr(res[i].reason, "8000") != NULL);
		}
		check_no_phone(res, 3);
	}
}

TEST(classify_garbage_and_http)
{
	static const struct {
		long status;
		const char *body;
		enum outcome outcome;
		const char *says;
	} table[] = {
		{ 200, "<html><body>502 Bad Gateway</body></html>", OUTCOME_RETRY, "HTML" },
		{ 200, "", OUTCOME_RETRY, "empty" },
		{ 200, "{\"Response\":", OUTCOME_RETRY, "unreadable" },
		{ 200, "[1,2,3]", OUTCOME_RETRY, "unreadable" },
		{ 200, "{\"Response\":{\"RequestId\":\"x\"}}", OUTCOME_RETRY, "neither" },
		{ 200, "{\"Response\":{\"SendStatusSet\":{}}}", OUTCOME_RETRY, "neither" },
		{ 200, "{\"Response\":{\"Error\":{}}}", OUTCOME_RETRY, "unknown" },
		{ 502, "<html>bad gateway</html>", OUTCOME_RETRY, "HTTP 502" },
		{ 404, "not found", OUTCOME_RETRY, "check endpoint" },
		{ 500, "{\"Response\":{\"Error\":{\"Code\":\"InternalError\"}}}", OUTCOME_RETRY,
		  "InternalError" },
		{ 429, "", OUTCOME_THROTTLED, "429" },
	};
	struct prov_msg m[2];
	struct prov_result res[2];

	tc_msgs(m, 2, "planned");
	for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
		tc_classify(table[t].status, table[t].body, m, 2, res);
		for (int i = 0; i < 2; i++) {
			CHECK_INT(res[i].outcome, table[t].outcome);
			if (strstr(res[i].reason, table[t].says) == NULL)
				fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n", res[i].reason,
					table[t].says);
			CHECK(strstr(res[i].reason, table[t].says) != NULL);
		}
	}
}

TEST(classify_transport)
{
	struct provider_config cfg = tc_cfg();
	struct http_response resp;
	struct prov_msg m[2];
	struct prov_result res[2];
	struct err e;
	void *st = NULL;

	tc_msgs(m, 2, "planned");
	CHECK_INT(provider_tencent.create(&cfg, &st, &e), 0);
	memset(&resp, 0, sizeof(resp));
	resp.transport_error = 1;
	resp.timed_out = 1;
	snprintf(resp.error, sizeof(resp.error), "Operation timed out after 5001 milliseconds");
	provider_tencent.classify(st, &resp, m, 2, res);
	CHECK_INT(res[0].outcome, OUTCOME_UNKNOWN);
	CHECK_INT(res[1].outcome, OUTCOME_UNKNOWN);
	CHECK(strstr(res[0].reason, "timeout after 5000 ms") != NULL);
	resp.timed_out = 0;
	snprintf(resp.error, sizeof(resp.error), "Recv failure: Connection reset by peer");
	provider_tencent.classify(st, &resp, m, 2, res);
	CHECK_INT(res[1].outcome, OUTCOME_UNKNOWN);
	CHECK(strstr(res[1].reason, "Connection reset") != NULL);
	provider_tencent.destroy(st);
}

static int receipts(const char *body, struct prov_receipt *out, int max, int *n)
{
	struct err e;

	return provider_tencent.parse_receipts(body, strlen(body), out, max, n, &e);
}

TEST(receipts_valid_and_repeated)
{
	static const char body[] =
		"[{\"user_receive_time\":\"2015-10-17 08:03:04\",\"nationcode\":\"86\","
		"\"mobile\":\"13800138000\",\"report_status\":\"SUCCESS\",\"errmsg\":\"DELIVRD\","
		"\"description\":\"用户短信送达成功\",\"sid\":\"5000:1045710669157053657849499619\"},"
		"{\"user_receive_time\":\"2015-10-17 08:03:05\",\"nationcode\":\"86\","
		"\"mobile\":\"13900139000\",\"report_status\":\"FAIL\",\"errmsg\":\"MK:0001\","
		"\"description\":\"空号\",\"sid\":\"5000:2\"},"
		"{\"user_receive_time\":\"2015-10-17 08:03:04\",\"nationcode\":\"86\","
		"\"mobile\":\"13800138000\",\"report_status\":\"SUCCESS\",\"errmsg\":\"DELIVRD\","
		"\"description\":\"用户短信送达成功\",\"sid\":\"5000:1045710669157053657849499619\"}]";
	struct prov_receipt r[4];
	int n = -1;

	CHECK_INT(receipts(body, r, 4, &n), 0);
	CHECK_INT(n, 3);
	CHECK_STR(r[0].ref, "5000:1045710669157053657849499619");
	CHECK_STR(r[0].phone, "13800138000");
	CHECK_INT(r[0].delivered, 1);
	CHECK_STR(r[0].code, "DELIVRD");
	CHECK_STR(r[0].desc, "用户短信送达成功");
	CHECK_INT(r[0].at_ms, 1445040184000LL);
	CHECK_STR(r[0].out_id, "");
	CHECK_INT(r[1].delivered, 0);
	CHECK_STR(r[1].code, "MK:0001");
	CHECK_INT(r[1].at_ms, 1445040185000LL);
	CHECK_STR(r[2].ref, r[0].ref); /* a repeat is passed on; the store keys by SerialNo */

	CHECK_INT(receipts("[]", r, 4, &n), 0);
	CHECK_INT(n, 0);
	/* One object instead of an array; an international number keeps only its sid. */
	CHECK_INT(
		receipts("{\"nationcode\":\"1\",\"mobile\":\"2025550123\",\"report_status\":"
			 "\"FAIL\",\"errmsg\":\"x\",\"sid\":\"s1\",\"user_receive_time\":\"bad\"}",
			 r, 4, &n),
		0);
	CHECK_INT(n, 1);
	CHECK_STR(r[0].phone, "");
	CHECK_INT(r[0].at_ms, 0);
}

TEST(receipts_garbage_and_huge)
{
	static const char *const bad[] = {
		"",
		"not json",
		"42",
		"\"x\"",
		"[1,2]",
		"[{\"foo\":1}]",
		"[{\"sid\":\"s\",\"report_status\":\"MAYBE\"}]",
		"[{\"report_status\":\"FAIL\"}]",
	};
	struct prov_receipt r[4];
	struct err e;
	size_t cap = 64 * 1024, o = 0;
	char *big = malloc(cap);
	int n = -1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(receipts(bad[i], r, 4, &n), ERR_INVALID);
	CHECK_INT(n, -1);
	/* Good entries among bad ones are kept. */
	CHECK_INT(
		receipts("[{\"foo\":1},{\"sid\":\"s2\",\"report_status\":\"SUCCESS\"}]", r, 4, &n),
		0);
	CHECK_INT(n, 1);
	/* More entries than room: ERR_TOOBIG rather than dropping receipts silently. */
	o += (size_t)snprintf(big + o, cap - o, "[");
	for (int i = 0; i < 5; i++)
		o += (size_t)snprintf(big + o, cap - o,
				      "%s{\"sid\":\"s%d\",\"report_status\":\"SUCCESS\"}",
				      i ? "," : "", i);
	snprintf(big + o, cap - o, "]");
	CHECK_INT(provider_tencent.parse_receipts(big, strlen(big), r, 4, &n, &e), ERR_TOOBIG);
	/* Over-long fields are cut on a character boundary; an over-long sid is refused. */
	o = (size_t)snprintf(big, cap, "[{\"sid\":\"s\",\"report_status\":\"FAIL\",\"errmsg\":\"");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(big + o, cap - o, "错");
	snprintf(big + o, cap - o, "\",\"description\":\"%s\"}]", "x");
	CHECK_INT(receipts(big, r, 4, &n), 0);
	CHECK(strlen(r[0].code) < sizeof(r[0].code));
	CHECK(utf8_valid(r[0].code, strlen(r[0].code), NULL));
	o = (size_t)snprintf(big, cap, "[{\"report_status\":\"FAIL\",\"sid\":\"");
	for (int i = 0; i < 200; i++)
		big[o++] = '9';
	snprintf(big + o, cap - o, "\"}]");
	CHECK_INT(receipts(big, r, 4, &n), ERR_INVALID);
	free(big);
}

static int replies(const char *body, struct prov_reply *out, int max, int *n)
{
	struct err e;

	return provider_tencent.parse_replies(body, strlen(body), out, max, n, &e);
}

TEST(replies_parse)
{
	struct prov_reply r[2];
	size_t cap = 8192, o;
	char *big = malloc(cap);
	int n = -1;

	/* The documented shape (cloud.tencent.com/document/api/382/59179). */
	CHECK_INT(
		replies("{\"extend\":\"\",\"mobile\":\"13800138000\",\"nationcode\":\"86\","
			"\"sign\":\"幸福水务\",\"text\":\"收到，什么时候来水？\",\"time\":1457336869}",
			r, 2, &n),
		0);
	CHECK_INT(n, 1);
	CHECK_STR(r[0].phone, "13800138000");
	CHECK_STR(r[0].text, "收到，什么时候来水？");
	CHECK_STR(r[0].ext, "幸福水务");
	CHECK_INT(r[0].at_ms, 1457336869000LL);
	CHECK_INT(replies("[{\"extend\":\"12\",\"mobile\":\"+8613900139000\",\"nationcode\":\"86\","
			  "\"sign\":\"s\",\"text\":\"TD\",\"time\":\"1457336870\"},"
			  "{\"mobile\":\"18511122233\",\"text\":\"\"}]",
			  r, 2, &n),
		  0);
	CHECK_INT(n, 2);
	CHECK_STR(r[0].phone, "13900139000");
	CHECK_STR(r[0].ext, "12");
	CHECK_INT(r[0].at_ms, 1457336870000LL);
	CHECK_INT(r[1].at_ms, 0);
	CHECK_INT(
		replies("[{\"mobile\":\"18511122233\",\"text\":\"a\"},{\"mobile\":\"18511122233\","
			"\"text\":\"b\"},{\"mobile\":\"18511122233\",\"text\":\"c\"}]",
			r, 2, &n),
		ERR_TOOBIG);
	CHECK_INT(replies("", r, 2, &n), ERR_INVALID);
	CHECK_INT(replies("{\"text\":\"no mobile\"}", r, 2, &n), ERR_INVALID);
	CHECK_INT(replies("{\"mobile\":\"2025550123\",\"nationcode\":\"1\",\"text\":\"x\"}", r, 2,
			  &n),
		  ERR_INVALID);
	CHECK_INT(replies("{\"mobile\":\"13800138000\",\"text\":\"x\",\"time\":1e300}", r, 2, &n),
		  0);
	CHECK_INT(r[0].at_ms, 0);
	/* A long reply is cut on a character boundary. */
	o = (size_t)snprintf(big, cap, "{\"mobile\":\"13800138000\",\"text\":\"a");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(big + o, cap - o, "水");
	snprintf(big + o, cap - o, "\"}");
	CHECK_INT(replies(big, r, 2, &n), 0);
	CHECK(strlen(r[0].text) <= 511 && strlen(r[0].text) > 500);
	CHECK(utf8_valid(r[0].text, strlen(r[0].text), NULL));
	free(big);
}

TEST(status_query_and_answer)
{
	struct provider_config cfg = tc_cfg();
	struct prov_status_query q = { "13800138000", NULL, NOW_MS - 600000, NOW_MS };
	struct http_request req;
	struct http_response resp;
	struct prov_receipt r[4];
	struct err e;
	void *st = NULL;
	json_t *body;
	int n = -1;

	CHECK_INT(provider_tencent.create(&cfg, &st, &e), 0);
	memset(&req, 0, sizeof(req));
	CHECK_INT(provider_tencent.build_status(st, &q, &req, &e), 0);
	CHECK_STR(header(&req, "X-TC-Action"), "PullSmsSendStatusByPhoneNumber");
	body = json_loads(req.body ? req.body : "", 0, NULL);
	CHECK_STR(json_string_value(json_object_get(body, "PhoneNumber")), "+8613800138000");
	CHECK_INT(json_integer_value(json_object_get(body, "BeginTime")),
		  (NOW_MS - 600000) / 1000 - 300);
	CHECK_INT(json_integer_value(json_object_get(body, "EndTime")), NOW_MS / 1000);
	CHECK_INT(json_integer_value(json_object_get(body, "Offset")), 0);
	CHECK_STR(json_string_value(json_object_get(body, "SmsSdkAppId")), cfg.app_id);
	json_decref(body);
	http_request_cleanup(&req);
	provider_tencent.destroy(st);

	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.body =
		"{\"Response\":{\"PullSmsSendStatusSet\":[{\"UserReceiveTime\":1620734188,"
		"\"CountryCode\":\"86\",\"SubscriberNumber\":\"13800138000\",\"ReportStatus\":"
		"\"SUCCESS\",\"PhoneNumber\":\"+8613800138000\",\"SerialNo\":\"5000:1\","
		"\"Description\":\"DELIVRD\",\"SessionContext\":\"42\"},{\"PhoneNumber\":"
		"\"+8613800138001\",\"SerialNo\":\"5000:2\",\"ReportStatus\":\"FAIL\","
		"\"Description\":\"MK:0001\"},{\"SerialNo\":\"no number\"}],\"RequestId\":\"r\"}}";
	resp.body_len = strlen(resp.body);
	CHECK_INT(provider_tencent.parse_status(&resp, r, 4, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK_STR(r[0].phone, "13800138000");
	CHECK_STR(r[0].ref, "5000:1");
	CHECK_STR(r[0].out_id, "42");
	CHECK_INT(r[0].delivered, 1);
	CHECK_INT(r[0].at_ms, 1620734188000LL);
	CHECK_INT(r[1].delivered, 0);
	CHECK_STR(r[1].code, "MK:0001");
	resp.body =
		"{\"Response\":{\"Error\":{\"Code\":\"UnauthorizedOperation.SmsSdkAppIdVerifyFail\","
		"\"Message\":\"x\"},\"RequestId\":\"r\"}}";
	resp.body_len = strlen(resp.body);
	CHECK_INT(provider_tencent.parse_status(&resp, r, 4, &n, &e), ERR_IO);
	resp.body = "<html>502</html>";
	resp.body_len = strlen(resp.body);
	CHECK_INT(provider_tencent.parse_status(&resp, r, 4, &n, &e), ERR_INVALID);
}

int main(void)
{
	RUN(status_query_and_answer);
	RUN(sign_document_example);
	RUN(ops_table);
	RUN(build_request);
	RUN(build_resigns_each_time);
	RUN(build_endpoint_region_params);
	RUN(build_batch_limits);
	RUN(build_errors);
	RUN(create_errors);
	RUN(classify_all_ok);
	RUN(classify_partial);
	RUN(classify_missing_unknown_and_shared_numbers);
	RUN(classify_request_errors);
	RUN(classify_garbage_and_http);
	RUN(classify_transport);
	RUN(receipts_valid_and_repeated);
	RUN(receipts_garbage_and_huge);
	RUN(replies_parse);
	return TEST_END();
}
