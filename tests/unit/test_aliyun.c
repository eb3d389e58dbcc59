/* Unit tests for providers/aliyun: both published signature vectors, SendSms requests signed
 * with V3 (query string, and form body when the URL cannot hold them) and V2 (form body),
 * the signatures of built requests checked by re-signing what was sent, SendBatchSms and
 * QuerySendDetails requests, classification over a table of real answers, and the SmsReport,
 * SmsUp and QuerySendDetails parsers on valid, repeated, garbage and huge input. */
#include <jansson.h>
#include <stdlib.h>
#include <strings.h>

#include "crypto.h"
#include "provider.h"
#include "providers/aliyun.h"
#include "test.h"

#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define NOW_MS 1795365858711LL /* 2026-11-22T16:44:18.711Z, 2026-11-23 00:44 in Beijing */

static const struct tmpl_var VARS[] = {
	{ "area", "幸福小区 3 号楼" },
	{ "start", "11月23日08:00" },
	{ "end", "11月23日18:00" },
	{ "reason", "管道检修*" },
};

static struct prov_msg msg(int64_t id, const char *to)
{
	struct prov_msg m = { .id = id,
			      .notice_id = 7,
			      .channel = "sms",
			      .kind = "planned",
			      .to = to,
			      .text = "【幸福水务】停水通知",
			      .now_ms = NOW_MS,
			      .vars = VARS,
			      .nvars = sizeof(VARS) / sizeof(VARS[0]) };
	return m;
}

static struct provider_config cfg_of(const char *sig_version)
{
	struct provider_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "ali");
	snprintf(c.type, sizeof(c.type), "aliyun");
	snprintf(c.endpoint, sizeof(c.endpoint), "http://127.0.0.1:9");
	snprintf(c.key_id, sizeof(c.key_id), "LTAIkey");
	snprintf(c.secret, sizeof(c.secret), "s3cret");
	snprintf(c.sign_name, sizeof(c.sign_name), "幸福水务");
	snprintf(c.sig_version, sizeof(c.sig_version), "%s", sig_version);
	c.timeout_ms = 3000;
	c.line = 12;
	snprintf(c.templates[0].kind, sizeof(c.templates[0].kind), "planned");
	snprintf(c.templates[0].id, sizeof(c.templates[0].id), "SMS_123456");
	snprintf(c.templates[0].params, sizeof(c.templates[0].params), "area, start,till = end");
	snprintf(c.templates[1].kind, sizeof(c.templates[1].kind), "restored");
	snprintf(c.templates[1].id, sizeof(c.templates[1].id), "SMS_777");
	c.ntemplates = 2;
	return c;
}

static void *state_of(const char *sig_version)
{
	struct provider_config c = cfg_of(sig_version);
	struct err e;
	void *s = NULL;

	if (provider_aliyun.create(&c, &s, &e) < 0)
		fprintf(stderr, "create: %s\n", e.msg);
	return s;
}

/* The value of header name in req, or NULL. */
static const char *header(const struct http_request *req, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < req->nheaders; i++)
		if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
			return req->headers[i] + n + 2;
	return NULL;
}

/* Where the parameters of req travel: its query string or its form body. */
static const char *params_of(const struct http_request *req)
{
	const char *q = strchr(req->url, '?');

	return q != NULL ? q + 1 : req->body != NULL ? req->body : "";
}

/* The percent-decoded value of name in a query string or form body, into out. */
static int param(const char *q, const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name), o = 0;
	const char *p = q;

	while (p != NULL && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			for (p += n + 1; *p && *p != '&' && o + 1 < outsz; p++) {
				unsigned v;

				if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1) {
					out[o++] = (char)v;
					p += 2;
				} else {
					out[o++] = *p;
				}
			}
			out[o] = '\0';
			return 0;
		}
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

TEST(sign_v2_vector)
{
	const struct aliyun_param p[] = {
		{ "AccessKeyId", "testId" },
		{ "Action", "SendSms" },
		{ "Format", "XML" },
		{ "OutId", "123" },
		{ "PhoneNumbers", "15300000001" },
		{ "RegionId", "cn-hangzhou" },
		{ "SignName", "阿里云短信测试专用" },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466" },
		{ "SignatureVersion", "1.0" },
		{ "TemplateCode", "SMS_71390007" },
		{ "TemplateParam", "{\"customer\":\"test\"}" },
		{ "Timestamp", "2017-07-12T02:42:19Z" },
		{ "Version", "2017-05-25" },
	};
	struct aliyun_param shuffled[sizeof(p) / sizeof(p[0])];
	size_t n = sizeof(p) / sizeof(p[0]);
	char sig[ALIYUN_V2_SIG_SIZE];
	char *canon;
	struct err e;

	/* Order must not matter: canonicalisation sorts. */
	for (size_t i = 0; i < n; i++)
		shuffled[i] = p[(i * 5) % n];
	canon = aliyun_canonical_query(shuffled, n);
	CHECK(canon != NULL);
	CHECK(strncmp(canon, "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&",
		      strlen("AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&")) == 0);
	CHECK(strstr(canon, "TemplateParam=%7B%22customer%22%3A%22test%22%7D&") != NULL);
	CHECK_INT(aliyun_sign_v2("GET", canon, "testSecret", sig, &e), 0);
	CHECK_STR(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	free(canon);
}

TEST(sign_v3_vector)
{
	const struct aliyun_param q[] = {
		{ "RegionId", "cn-shanghai" },
		{ "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd" },
	};
	/* Any order and case: the signature sorts and lower-cases. */
	const struct aliyun_param h[] = {
		{ "x-acs-version", "2014-05-26" },
		{ "Host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "x-acs-action", " RunInstances " },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-content-sha256", EMPTY },
	};
	char *canon = aliyun_canonical_query(q, 2);
	struct aliyun_v3 in = { "POST", "/", canon, h, 6, EMPTY };
	char sh[ALIYUN_SIGNED_HEADERS_SIZE], sig[ALIYUN_V3_SIG_SIZE];
	struct err e;

	CHECK_STR(canon,
		  "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&"
		  "RegionId=cn-shanghai");
	CHECK_INT(aliyun_sign_v3(&in, "YourAccessKeySecret", sh, sig, &e), 0);
	CHECK_STR(sig, "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
	CHECK_STR(sh,
		  "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
		  "x-acs-version");
	free(canon);
}

TEST(canonical_encoding)
{
	const struct aliyun_param p[] = {
		{ "b", "a b*c~d+e/f" },
		{ "a", "停水" },
		{ "c", "" },
	};
	char *canon = aliyun_canonical_query(p, 3);

	CHECK_STR(canon, "a=%E5%81%9C%E6%B0%B4&b=a%20b%2Ac~d%2Be%2Ff&c=");
	free(canon);
	canon = aliyun_canonical_query(p, 0);
	CHECK_STR(canon, "");
	free(canon);
}

TEST(create_checks)
{
	const char *keys[] = { "key_id", "secret", "sign_name" };
	struct provider_config c;
	struct err e;
	void *s = NULL;

	for (int i = 0; i < 3; i++) {
		c = cfg_of("");
		if (i == 0)
			c.key_id[0] = '\0';
		else if (i == 1)
			c.secret[0] = '\0';
		else
			c.sign_name[0] = '\0';
		CHECK_INT(provider_aliyun.create(&c, &s, &e), ERR_INVALID);
		CHECK_STR(e.field, keys[i]);
		CHECK(strstr(e.msg, "[provider.ali] (line 12)") != NULL);
	}
	c = cfg_of("v4");
	CHECK_INT(provider_aliyun.create(&c, &s, &e), ERR_INVALID);
	CHECK_STR(e.field, "sig_version");
	c = cfg_of("v3");
	snprintf(c.endpoint, sizeof(c.endpoint), "ftp://x/");
	CHECK_INT(provider_aliyun.create(&c, &s, &e), ERR_INVALID);
	CHECK_STR(e.field, "endpoint");
	snprintf(c.endpoint, sizeof(c.endpoint), "https://h/?a=b");
	CHECK_INT(provider_aliyun.create(&c, &s, &e), ERR_INVALID);
	CHECK(s == NULL);
	provider_aliyun.destroy(NULL);
}

TEST(ops_table)
{
	CHECK_STR(provider_aliyun.type, "aliyun");
	CHECK_INT(provider_aliyun.max_batch, 1000);
	CHECK_INT(provider_aliyun.idempotent, 0);
	CHECK(provider_aliyun.deliver == NULL);
	CHECK(provider_aliyun.parse_receipts != NULL && provider_aliyun.parse_replies != NULL);
	CHECK_STR(provider_aliyun.push_answer, "{\"code\":0,\"msg\":\"接收成功\"}");
}

/* Re-signs what req carries (query or body, signed headers) and compares. */
static void check_v3_signature(const struct http_request *req, const char *secret)
{
	const char *auth = header(req, "Authorization"), *sh, *q = strchr(req->url, '?');
	struct aliyun_param h[8];
	char names[256], *save = NULL, sig[ALIYUN_V3_SIG_SIZE], sh2[256], hash[65];
	size_t nh = 0;
	struct err e;

	CHECK(auth != NULL && strncmp(auth, "ACS3-HMAC-SHA256 Credential=LTAIkey,", 36) == 0);
	if (auth == NULL || (sh = strstr(auth, "SignedHeaders=")) == NULL)
		return;
	snprintf(names, sizeof(names), "%.*s", (int)strcspn(sh + 14, ","), sh + 14);
	for (char *n = strtok_r(names, ";", &save); n && nh < 8; n = strtok_r(NULL, ";", &save)) {
		h[nh].name = n;
		h[nh++].value = header(req, n);
		CHECK(h[nh - 1].value != NULL);
	}
	crypto_sha256_hex(req->body ? req->body : "", req->body_len, hash);
	CHECK_STR(header(req, "x-acs-content-sha256"), hash);
	struct aliyun_v3 in = { "POST", "/", q ? q + 1 : "", h, nh, hash };
	CHECK_INT(aliyun_sign_v3(&in, secret, sh2, sig, &e), 0);
	CHECK(strstr(auth, sig) != NULL);
}

TEST(build_v3_query)
{
	void *s = state_of("");
	struct prov_msg m = msg(42, "13800138000");
	struct http_request req;
	struct err e;
	char v[512], nonce1[64];

	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), 0);
	CHECK_STR(req.method, "POST");
	CHECK(strncmp(req.url, "http://127.0.0.1:9/?", 20) == 0);
	CHECK(req.body == NULL);
	CHECK_INT(req.timeout_ms, 3000);
	CHECK_STR(header(&req, "host"), "127.0.0.1:9");
	CHECK_STR(header(&req, "x-acs-action"), "SendSms");
	CHECK_STR(header(&req, "x-acs-version"), "2017-05-25");
	CHECK_STR(header(&req, "x-acs-date"), "2026-11-22T16:44:18Z");
	CHECK_STR(header(&req, "x-acs-content-sha256"), EMPTY);
	CHECK_INT(strlen(header(&req, "x-acs-signature-nonce")), 32);
	snprintf(nonce1, sizeof(nonce1), "%s", header(&req, "x-acs-signature-nonce"));
	const char *q = params_of(&req);
	CHECK(param(q, "PhoneNumbers", v, sizeof(v)) == 0 && strcmp(v, "13800138000") == 0);
	CHECK(param(q, "SignName", v, sizeof(v)) == 0 && strcmp(v, "幸福水务") == 0);
	CHECK(param(q, "TemplateCode", v, sizeof(v)) == 0 && strcmp(v, "SMS_123456") == 0);
	CHECK(param(q, "TemplateParam", v, sizeof(v)) == 0);
	CHECK_STR(v,
		  "{\"area\":\"幸福小区 3 号楼\",\"start\":\"11月23日08:00\","
		  "\"till\":\"11月23日18:00\"}");
	CHECK(param(q, "OutId", v, sizeof(v)) == 0 && strcmp(v, "42") == 0);
	CHECK(param(q, "Format", v, sizeof(v)) == 0 && strcmp(v, "JSON") == 0);
	CHECK(param(q, "RegionId", v, sizeof(v)) == 0 && strcmp(v, "cn-hangzhou") == 0);
	CHECK(param(q, "Action", v, sizeof(v)) < 0 && param(q, "AccessKeyId", v, sizeof(v)) < 0);
	CHECK(strstr(req.url, "%20") != NULL && strchr(req.url, '+') == NULL);
	check_v3_signature(&req, "s3cret");
	http_request_cleanup(&req);
	/* Every build signs anew: a new nonce, even for the same message and time. */
	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), 0);
	CHECK(strcmp(header(&req, "x-acs-signature-nonce"), nonce1) != 0);
	http_request_cleanup(&req);
	provider_aliyun.destroy(s);
}

TEST(build_v3_body_for_1000)
{
	void *s = state_of("v3");
	struct prov_msg *m = calloc(1001, sizeof(*m));
	char(*to)[12] = calloc(1001, sizeof(*to));
	char *v = malloc(20000);
	struct http_request req;
	struct err e;

	for (int i = 0; i < 1001; i++) {
		snprintf(to[i], sizeof(to[i]), "1380000%04u", (unsigned)i % 10000);
		m[i] = msg(100 + i, to[i]);
	}
	CHECK_INT(provider_aliyun.build(s, m, 1001, &req, &e), ERR_INTERNAL);
	CHECK_INT(provider_aliyun.build(s, m, 1000, &req, &e), 0);
	CHECK_STR(req.url, "http://127.0.0.1:9/");
	CHECK(req.body != NULL && req.body_len == strlen(req.body));
	CHECK_STR(header(&req, "content-type"), "application/x-www-form-urlencoded");
	CHECK(strstr(header(&req, "Authorization"), "SignedHeaders=content-type;host;") != NULL);
	CHECK(param(req.body, "PhoneNumbers", v, 20000) == 0);
	CHECK_INT(strlen(v), 1000 * 12 - 1);
	CHECK(strncmp(v, "13800000000,13800000001,", 24) == 0);
	CHECK(param(req.body, "OutId", v, 20000) == 0 && strcmp(v, "100") == 0);
	check_v3_signature(&req, "s3cret");
	http_request_cleanup(&req);
	/* Another notice cannot share the request: its parameters would be lost. */
	m[5].notice_id = 8;
	CHECK_INT(provider_aliyun.build(s, m, 10, &req, &e), ERR_INTERNAL);
	m[5].notice_id = 7;
	m[3].to = "138 0013";
	CHECK_INT(provider_aliyun.build(s, m, 10, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "message 103") != NULL && strstr(e.msg, "138") == NULL);
	free(v);
	free(to);
	free(m);
	provider_aliyun.destroy(s);
}

TEST(build_v2)
{
	void *s = state_of("v2");
	struct prov_msg m = msg(42, "13800138000");
	struct http_request req;
	struct err e;
	char v[512], sig[ALIYUN_V2_SIG_SIZE];
	char *canon, *at;

	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), 0);
	CHECK_STR(req.url, "http://127.0.0.1:9/");
	CHECK_STR(req.method, "POST");
	CHECK_STR(header(&req, "Content-Type"), "application/x-www-form-urlencoded");
	CHECK(header(&req, "Authorization") == NULL);
	CHECK(param(req.body, "Action", v, sizeof(v)) == 0 && strcmp(v, "SendSms") == 0);
	CHECK(param(req.body, "Version", v, sizeof(v)) == 0 && strcmp(v, "2017-05-25") == 0);
	CHECK(param(req.body, "AccessKeyId", v, sizeof(v)) == 0 && strcmp(v, "LTAIkey") == 0);
	CHECK(param(req.body, "SignatureMethod", v, sizeof(v)) == 0 && strcmp(v, "HMAC-SHA1") == 0);
	CHECK(param(req.body, "SignatureVersion", v, sizeof(v)) == 0 && strcmp(v, "1.0") == 0);
	CHECK(param(req.body, "Timestamp", v, sizeof(v)) == 0 &&
	      strcmp(v, "2026-11-22T16:44:18Z") == 0);
	CHECK(param(req.body, "SignatureNonce", v, sizeof(v)) == 0 && strlen(v) == 32);
	CHECK(param(req.body, "Format", v, sizeof(v)) == 0 && strcmp(v, "JSON") == 0);
	CHECK(param(req.body, "PhoneNumbers", v, sizeof(v)) == 0 && strcmp(v, "13800138000") == 0);
	/* The signature covers everything before it. */
	at = strstr(req.body, "&Signature=");
	CHECK(at != NULL && param(req.body, "Signature", v, sizeof(v)) == 0);
	if (at != NULL) {
		canon = strndup(req.body, (size_t)(at - req.body));
		CHECK_INT(aliyun_sign_v2("POST", canon, "s3cret", sig, &e), 0);
		CHECK_STR(v, sig);
		free(canon);
	}
	http_request_cleanup(&req);
	provider_aliyun.destroy(s);
}

TEST(build_template_errors)
{
	void *s = state_of("");
	struct prov_msg m = msg(42, "13800138000");
	struct provider_config c = cfg_of("");
	struct http_request req;
	struct err e;
	char v[256];

	m.kind = "emergency";
	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "\"emergency\"") != NULL &&
	      strstr(e.msg, "template.emergency") != NULL);
	/* A template without parameters sends no TemplateParam. */
	m.kind = "restored";
	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), 0);
	CHECK(param(params_of(&req), "TemplateParam", v, sizeof(v)) < 0);
	CHECK(param(params_of(&req), "TemplateCode", v, sizeof(v)) == 0);
	CHECK_STR(v, "SMS_777");
	http_request_cleanup(&req);
	provider_aliyun.destroy(s);

	snprintf(c.templates[0].params, sizeof(c.templates[0].params), "area,when=hour");
	CHECK_INT(provider_aliyun.create(&c, &s, &e), 0);
	m.kind = "planned";
	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "\"hour\"") != NULL && strstr(e.msg, "params.planned") != NULL);
	provider_aliyun.destroy(s);
	snprintf(c.templates[0].params, sizeof(c.templates[0].params), "area,=start");
	CHECK_INT(provider_aliyun.create(&c, &s, &e), 0);
	CHECK_INT(provider_aliyun.build(s, &m, 1, &req, &e), ERR_INVALID);
	CHECK_STR(e.field, "params");
	provider_aliyun.destroy(s);
}

TEST(build_batch)
{
	void *s = state_of("");
	static const struct tmpl_var other[] = { { "area", "和平里" },
						 { "start", "9:00" },
						 { "end", "10:00" } };
	struct prov_msg m[101];
	struct http_request req;
	struct err e;
	char v[4096];

	for (int i = 0; i < 101; i++)
		m[i] = msg(500 + i, "13900139000");
	m[1].to = "13700137000";
	m[1].notice_id = 9; /* SendBatchSms carries each message's own parameters */
	m[1].vars = other;
	m[1].nvars = 3;
	CHECK_INT(aliyun_build_batch(s, m, 101, &req, &e), ERR_INTERNAL);
	CHECK_INT(aliyun_build_batch(s, m, 2, &req, &e), 0);
	CHECK_STR(header(&req, "x-acs-action"), "SendBatchSms");
	const char *q = params_of(&req);
	CHECK(param(q, "PhoneNumberJson", v, sizeof(v)) == 0);
	CHECK_STR(v, "[\"13900139000\",\"13700137000\"]");
	CHECK(param(q, "SignNameJson", v, sizeof(v)) == 0);
	CHECK_STR(v, "[\"幸福水务\",\"幸福水务\"]");
	CHECK(param(q, "TemplateParamJson", v, sizeof(v)) == 0);
	CHECK_STR(v,
		  "[{\"area\":\"幸福小区 3 号楼\",\"start\":\"11月23日08:00\",\"till\":\"11月23日"
		  "18:00\"},{\"area\":\"和平里\",\"start\":\"9:00\",\"till\":\"10:00\"}]");
	CHECK(param(q, "OutId", v, sizeof(v)) == 0 && strcmp(v, "500") == 0);
	check_v3_signature(&req, "s3cret");
	http_request_cleanup(&req);
	m[1].kind = "restored";
	CHECK_INT(aliyun_build_batch(s, m, 2, &req, &e), ERR_INTERNAL);
	provider_aliyun.destroy(s);
}

TEST(build_query)
{
	void *s = state_of("v2");
	struct aliyun_query q = { "13800138000", "900619746936498440^0", 0, NOW_MS, 10, 1 };
	struct http_request req;
	struct err e;
	char v[256];

	CHECK_INT(aliyun_build_query(s, &q, &req, &e), 0);
	CHECK(param(req.body, "Action", v, sizeof(v)) == 0 && strcmp(v, "QuerySendDetails") == 0);
	CHECK(param(req.body, "PhoneNumber", v, sizeof(v)) == 0 && strcmp(v, "13800138000") == 0);
	/* 00:44 in Beijing is already the 23rd. */
	CHECK(param(req.body, "SendDate", v, sizeof(v)) == 0 && strcmp(v, "20261123") == 0);
	CHECK(param(req.body, "PageSize", v, sizeof(v)) == 0 && strcmp(v, "10") == 0);
	CHECK(param(req.body, "CurrentPage", v, sizeof(v)) == 0 && strcmp(v, "1") == 0);
	CHECK(param(req.body, "BizId", v, sizeof(v)) == 0 &&
	      strcmp(v, "900619746936498440^0") == 0);
	http_request_cleanup(&req);
	q.sent_ms = NOW_MS - 86400000LL;
	q.biz_id = NULL;
	CHECK_INT(aliyun_build_query(s, &q, &req, &e), 0);
	CHECK(param(req.body, "SendDate", v, sizeof(v)) == 0 && strcmp(v, "20261122") == 0);
	CHECK(param(req.body, "BizId", v, sizeof(v)) < 0);
	http_request_cleanup(&req);
	q.page_size = 51;
	CHECK_INT(aliyun_build_query(s, &q, &req, &e), ERR_INVALID);
	provider_aliyun.destroy(s);
}

struct answer {
	long status;
	const char *body;
	size_t n; /* messages in the request */
	enum outcome outcome;
	const char *reason; /* a part of the reason, or NULL */
	int retry_after_ms;
	int unreachable;
};

static const struct answer answers[] = {
	{ 200,
	  "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"900619746936498440^0\",\"RequestId\":"
	  "\"F655A8D5-B967-440B-8683-DAD6FF8DE990\"}",
	  3, OUTCOME_OK, NULL, 0, 0 },
	{ 200, "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"非法手机号\"}", 1,
	  OUTCOME_PERMANENT, "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", 0, 1 },
	{ 200, "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"非法手机号\"}", 2,
	  OUTCOME_RETRY, "send them singly", 0, 0 },
	{ 200, "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"触发分钟级流控Permits:1\"}",
	  1, OUTCOME_THROTTLED, "触发分钟级流控", 0, 0 },
	{ 200, "{\"Code\":\"isv.DAY_LIMIT_CONTROL\",\"Message\":\"触发日发送限额\"}", 1,
	  OUTCOME_THROTTLED, "Beijing midnight", 83741289, 0 },
	{ 200, "{\"Code\":\"isv.MONTH_LIMIT_CONTROL\",\"Message\":\"触发月发送限额\"}", 1,
	  OUTCOME_THROTTLED, NULL, 688541289, 0 },
	{ 400,
	  "{\"Code\":\"Throttling.User\",\"Message\":\"Request was denied due to user flow "
	  "control.\"}",
	  1, OUTCOME_THROTTLED, "Throttling.User", 0, 0 },
	{ 200, "{\"Code\":\"isp.SYSTEM_ERROR\",\"Message\":\"isp.SYSTEM_ERROR\"}", 1, OUTCOME_RETRY,
	  NULL, 0, 0 },
	{ 200, "{\"Code\":\"isp.GATEWAY_ERROR\"}", 1, OUTCOME_RETRY, NULL, 0, 0 },
	{ 500, "{\"Code\":\"InternalError\",\"Message\":\"The request processing has failed.\"}", 1,
	  OUTCOME_RETRY, "InternalError", 0, 0 },
	{ 503,
	  "{\"Code\":\"ServiceUnavailable\",\"Message\":\"The request has failed due to a "
	  "temporary failure of the server.\"}",
	  1, OUTCOME_RETRY, NULL, 0, 0 },
	{ 400,
	  "{\"Code\":\"InvalidTimeStamp.Expired\",\"Message\":\"Specified time stamp or date "
	  "value is expired.\"}",
	  1, OUTCOME_RETRY, "clock", 0, 0 },
	{ 400,
	  "{\"Code\":\"SignatureNonceUsed\",\"Message\":\"Specified signature nonce was "
	  "used already.\"}",
	  1, OUTCOME_RETRY, "nonce", 0, 0 },
	{ 400,
	  "{\"RequestId\":\"x\",\"HostId\":\"dysmsapi.aliyuncs.com\",\"Code\":"
	  "\"SignatureDoesNotMatch\",\"Message\":\"Specified signature does not match our "
	  "calculation. server string to sign is:POST&%2F&PhoneNumbers%3D13800138000\"}",
	  1, OUTCOME_PERMANENT, "check key_id and secret", 0, 0 },
	{ 404,
	  "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"Specified access key is "
	  "not found.\"}",
	  1, OUTCOME_PERMANENT, NULL, 0, 0 },
	{ 400, "{\"Code\":\"MissingPhoneNumbers\",\"Message\":\"PhoneNumbers is mandatory\"}", 1,
	  OUTCOME_PERMANENT, "MissingPhoneNumbers", 0, 0 },
	{ 400,
	  "{\"Code\":\"IncompleteSignature\",\"Message\":\"The request signature does not "
	  "conform to Aliyun standards.\"}",
	  1, OUTCOME_PERMANENT, NULL, 0, 0 },
	{ 200, "{\"Code\":\"isv.AMOUNT_NOT_ENOUGH\",\"Message\":\"账户余额不足\"}", 2,
	  OUTCOME_PERMANENT, "top up", 0, 0 },
	{ 200, "{\"Code\":\"isv.SMS_TEMPLATE_ILLEGAL\",\"Message\":\"模板不合法\"}", 1,
	  OUTCOME_PERMANENT, NULL, 0, 0 },
	{ 200, "{\"Code\":\"isv.BLACK_KEY_CONTROL_LIMIT\",\"Message\":\"黑名单管控\"}", 1,
	  OUTCOME_PERMANENT, NULL, 0, 0 },
	{ 200, "{\"Code\":\"isv.NEW_THING\",\"Message\":\"something new\"}", 1, OUTCOME_RETRY,
	  "unknown code isv.NEW_THING (reported): something new", 0, 0 },
	{ 200, "{\"Code\":\"OK\"}", 1, OUTCOME_OK, NULL, 0, 0 },
	{ 500, "{\"Code\":\"OK\",\"BizId\":\"1^0\"}", 1, OUTCOME_RETRY, "HTTP 500 with Code OK", 0,
	  0 },
	{ 200, "", 1, OUTCOME_RETRY, "empty body", 0, 0 },
	{ 200, "{\"Code\":\"OK\"", 1, OUTCOME_RETRY, "not JSON", 0, 0 },
	{ 200, "[\"OK\"]", 1, OUTCOME_RETRY, "not JSON", 0, 0 },
	{ 200, "{\"Message\":\"OK\"}", 1, OUTCOME_RETRY, "without a Code", 0, 0 },
	{ 502, "<html><body>502 Bad Gateway 13800138000</body></html>", 1, OUTCOME_RETRY,
	  "HTTP 502", 0, 0 },
	{ 429, "Too Many Requests", 1, OUTCOME_THROTTLED, "HTTP 429", 0, 0 },
};

TEST(classify_table)
{
	void *s = state_of("");
	struct prov_msg m[3] = { msg(1, "13800138000"), msg(2, "13900139000"),
				 msg(3, "13700137000") };

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct answer *a = &answers[i];
		struct http_response resp = { .status = a->status,
					      .body = (char *)a->body,
					      .body_len = strlen(a->body) };
		struct prov_result res[3];

		memset(res, 0x55, sizeof(res));
		provider_aliyun.classify(s, &resp, m, a->n, res);
		for (size_t k = 0; k < a->n; k++) {
			if (res[k].outcome != a->outcome)
				fprintf(stderr, "  answer %zu: %s (%s)\n", i,
					outcome_name(res[k].outcome), res[k].reason);
			CHECK_INT(res[k].outcome, a->outcome);
			CHECK_INT(res[k].retry_after_ms, a->retry_after_ms);
			CHECK_INT(res[k].unreachable, a->unreachable);
			CHECK(a->reason == NULL || strstr(res[k].reason, a->reason) != NULL);
			CHECK(a->outcome == OUTCOME_OK || res[k].reason[0] != '\0');
			/* No phone number reaches a reason. */
			CHECK(strstr(res[k].reason, "38001380") == NULL);
			CHECK(strlen(res[k].reason) < sizeof(res[k].reason));
		}
	}
	provider_aliyun.destroy(s);
}

TEST(classify_details)
{
	void *s = state_of("");
	struct prov_msg m[2] = { msg(1, "13800138000"), msg(2, "13900139000") };
	struct http_response resp = { .status = 200 };
	struct prov_result res[2];
	char body[600];
	json_t *j;

	resp.body = "{\"Code\":\"OK\",\"BizId\":\"900619746936498440^0\"}";
	resp.body_len = strlen(resp.body);
	provider_aliyun.classify(s, &resp, m, 2, res);
	CHECK_STR(res[0].ref, "900619746936498440^0");
	CHECK_STR(res[1].ref, "900619746936498440^0");
	/* Throttling takes the Retry-After of the answer. */
	resp.status = 503;
	resp.body = "{\"Code\":\"Throttling.Api\",\"Message\":\"Request was denied\"}";
	resp.body_len = strlen(resp.body);
	resp.retry_after_ms = 2000;
	provider_aliyun.classify(s, &resp, m, 1, res);
	CHECK_INT(res[0].outcome, OUTCOME_THROTTLED);
	CHECK_INT(res[0].retry_after_ms, 2000);
	/* A long message is cut on a character boundary. */
	snprintf(body, sizeof(body), "{\"Code\":\"isv.SMS_CONTENT_ILLEGAL\",\"Message\":\"%s\"}",
		 "内容含有违禁词内容含有违禁词内容含有违禁词内容含有违禁词内容含有违禁词内容含有"
		 "违禁词内容含有违禁词内容含有违禁词内容含有违禁词内容含有违禁词内容含有违禁词");
	resp.body = body;
	resp.body_len = strlen(body);
	provider_aliyun.classify(s, &resp, m, 1, res);
	CHECK_INT(res[0].outcome, OUTCOME_PERMANENT);
	j = json_string(res[0].reason); /* NULL unless valid UTF-8 */
	CHECK(j != NULL);
	json_decref(j);
	provider_aliyun.destroy(s);
}

TEST(classify_transport)
{
	void *s = state_of("");
	struct prov_msg m[2] = { msg(1, "13800138000"), msg(2, "13900139000") };
	struct http_response resp = { .transport_error = 1, .timed_out = 1 };
	struct prov_result res[2];

	provider_aliyun.classify(s, &resp, m, 2, res);
	CHECK_INT(res[0].outcome, OUTCOME_UNKNOWN);
	CHECK_INT(res[1].outcome, OUTCOME_UNKNOWN);
	CHECK(strstr(res[0].reason, "timeout after 3000 ms") != NULL);
	CHECK(strstr(res[0].reason, "receipt") != NULL);
	resp.timed_out = 0;
	snprintf(resp.error, sizeof(resp.error), "Failed to connect to 127.0.0.1 port 9");
	provider_aliyun.classify(s, &resp, m, 1, res);
	CHECK_INT(res[0].outcome, OUTCOME_UNKNOWN);
	CHECK(strstr(res[0].reason, "Failed to connect") != NULL);
	provider_aliyun.destroy(s);
}

TEST(receipts)
{
	static const char body[] =
		"[{\"phone_number\":\"13800138000\",\"send_time\":\"2017-01-01 00:00:00\","
		"\"report_time\":\"2017-01-01 00:00:05\",\"success\":true,\"err_code\":\"DELIVERED\","
		"\"err_msg\":\"用户接收成功\",\"sms_size\":\"1\",\"biz_id\":\"12345^0\",\"out_id\":\"42\"},"
		"{\"phone_number\":\"+86 139-0013-9000\",\"send_time\":\"2017-01-01 00:00:00\","
		"\"report_time\":\"bad\",\"success\":\"false\",\"err_code\":\"MK:0001\","
		"\"err_msg\":\"\",\"sms_size\":\"2\",\"biz_id\":\"12345^0\",\"out_id\":\"43\"},"
		"{\"phone_number\":\"1381111****\",\"success\":true,\"biz_id\":\"1^0\"},"
		"{\"phone_number\":\"13800138000\",\"success\":true},"
		"{\"phone_number\":\"13800138000\",\"success\":1,\"biz_id\":\"1^0\"},"
		"7,"
		"{\"phone_number\":\"13800138000\",\"send_time\":\"2017-01-01 00:00:00\","
		"\"report_time\":\"2017-01-01 00:00:05\",\"success\":true,\"err_code\":\"DELIVERED\","
		"\"biz_id\":\"12345^0\",\"out_id\":\"42\"}]";
	struct prov_receipt r[8];
	struct err e;
	int n = -1;

	CHECK_INT(provider_aliyun.parse_receipts(body, strlen(body), r, 8, &n, &e), 0);
	CHECK_INT(n, 3);
	CHECK_STR(r[0].phone, "13800138000");
	CHECK_STR(r[0].ref, "12345^0");
	CHECK_STR(r[0].out_id, "42");
	CHECK_INT(r[0].delivered, 1);
	CHECK_STR(r[0].code, "DELIVERED");
	CHECK_STR(r[0].desc, "用户接收成功");
	CHECK_INT(r[0].at_ms, 1483200005000LL);
	CHECK_STR(r[1].phone, "13900139000");
	CHECK_INT(r[1].delivered, 0);
	CHECK_STR(r[1].code, "MK:0001");
	CHECK_INT(r[1].at_ms, 1483200000000LL); /* report_time unreadable: send_time */
	/* A repeated receipt comes back as it is; the caller handles it idempotently. */
	CHECK_STR(r[2].ref, "12345^0");
	CHECK_STR(r[2].out_id, "42");
	CHECK_INT(provider_aliyun.parse_receipts(body, strlen(body), r, 1, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_INT(provider_aliyun.parse_receipts("[]", 2, r, 8, &n, &e), 0);
	CHECK_INT(n, 0);
}

TEST(receipts_garbage)
{
	static const char *const bad[] = {
		"",         "{}",     "{\"phone_number\":\"13800138000\"}",
		"[{\"a\":", "\"[]\"", "<html>13800138000</html>",
		"null"
	};
	struct prov_receipt r[2];
	struct err e;
	int n = -1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(provider_aliyun.parse_receipts(bad[i], strlen(bad[i]), r, 2, &n, &e),
			  ERR_INVALID);
		CHECK(strstr(e.msg, "SmsReport") != NULL && strstr(e.msg, "138") == NULL);
	}
	CHECK_INT(n, -1);
	CHECK_INT(provider_aliyun.parse_receipts(NULL, 0, r, 2, &n, &e), ERR_INVALID);
}

TEST(receipts_huge)
{
	static const char one[] = "{\"phone_number\":\"13800138000\",\"success\":true,"
				  "\"report_time\":\"2017-01-01 00:00:05\",\"biz_id\":\"%d^0\"},";
	size_t cap = 5000 * (sizeof(one) + 8) + 16, len = 1;
	char *body = malloc(cap);
	struct prov_receipt *r = calloc(100, sizeof(*r));
	struct err e;
	int n = -1;

	body[0] = '[';
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(body + len, cap - len, one, i);
	body[len - 1] = ']';
	CHECK_INT(provider_aliyun.parse_receipts(body, len, r, 100, &n, &e), 0);
	CHECK_INT(n, 100);
	CHECK_STR(r[99].ref, "99^0");
	/* A biz_id too long to keep cannot be matched: that element is skipped. */
	snprintf(body, cap,
		 "[{\"phone_number\":\"13800138000\",\"success\":true,\"biz_id\":\"%0120d\","
		 "\"out_id\":\"%070d\",\"err_msg\":\"%0300d\"},{\"phone_number\":\"13800138000\","
		 "\"success\":true,\"biz_id\":\"b\",\"out_id\":\"%070d\",\"err_msg\":\"%0300d\"}]",
		 1, 2, 3, 4, 5);
	CHECK_INT(provider_aliyun.parse_receipts(body, strlen(body), r, 100, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_STR(r[0].out_id, "");
	CHECK_INT(strlen(r[0].desc), sizeof(r[0].desc) - 1);
	free(r);
	free(body);
}

TEST(replies)
{
	char body[2048], text[1200];
	struct prov_reply r[4];
	struct err e;
	int n = -1;

	/* The fields of help.aliyun.com/zh/sms/developer-reference/smsup-http, sequence_id
	 * as a string there and as a number in knowledge_detail/60127. */
	for (int i = 0; i < 399; i++)
		memcpy(text + 3 * i, "停", 3);
	text[3 * 399] = '\0';
	snprintf(body, sizeof(body),
		 "[{\"phone_number\":\"13800138000\",\"content\":\"什么时候来水？\","
		 "\"send_time\":\"2017-09-01 00:00:00\",\"dest_code\":\"1234\","
		 "\"sequence_id\":\"1234567890\"},"
		 "{\"phone_number\":\"13900139000\",\"send_time\":\"2017-09-01 00:00:01\","
		 "\"content\":\"%s\",\"sign_name\":\"幸福水务\",\"dest_code\":\"\","
		 "\"sequence_id\":1234567891},"
		 "{\"phone_number\":\"1381111****\",\"content\":\"x\"},"
		 "{\"phone_number\":\"13800138000\"}]",
		 text);
	CHECK_INT(provider_aliyun.parse_replies(body, strlen(body), r, 4, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK_STR(r[0].phone, "13800138000");
	CHECK_STR(r[0].text, "什么时候来水？");
	CHECK_STR(r[0].ext, "1234");
	CHECK_INT(r[0].at_ms, 1504195200000LL);
	CHECK_STR(r[1].ext, "幸福水务");
	CHECK_INT(strlen(r[1].text), 510); /* 170 characters: cut on a character boundary */
	CHECK_INT(provider_aliyun.parse_replies("{\"a\":1}", 7, r, 4, &n, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "SmsUp") != NULL);
}

TEST(details)
{
	static const char ok[] =
		"{\"Code\":\"OK\",\"Message\":\"OK\",\"RequestId\":\"819BE656\",\"TotalCount\":\"3\","
		"\"SmsSendDetailDTOs\":{\"SmsSendDetailDTO\":["
		"{\"PhoneNum\":\"13800138000\",\"SendStatus\":3,\"ErrCode\":\"DELIVERED\","
		"\"TemplateCode\":\"SMS_123456\",\"Content\":\"【幸福水务】停水\",\"SendDate\":"
		"\"2019-01-08 16:43:59\",\"ReceiveDate\":\"2019-01-08 16:44:13\",\"OutId\":\"42\"},"
		"{\"PhoneNum\":\"13800138000\",\"SendStatus\":\"1\",\"ErrCode\":\"\",\"SendDate\":"
		"\"2019-01-08 16:50:00\",\"ReceiveDate\":\"\",\"OutId\":\"43\"},"
		"{\"PhoneNum\":\"13800138000\",\"SendStatus\":9}]}}";
	struct aliyun_detail d[4];
	struct err e;
	int n = -1, total = -1;

	CHECK_INT(aliyun_parse_details(ok, strlen(ok), d, 4, &n, &total, &e), 0);
	CHECK_INT(n, 2);
	CHECK_INT(total, 3);
	CHECK_INT(d[0].status, ALIYUN_DELIVERED);
	CHECK_STR(d[0].out_id, "42");
	CHECK_STR(d[0].code, "DELIVERED");
	CHECK_STR(d[0].template_code, "SMS_123456");
	CHECK_INT(d[0].at_ms, 1546937053000LL);
	CHECK_INT(d[1].status, ALIYUN_WAITING);
	CHECK_INT(d[1].at_ms, 0);
	CHECK_INT(aliyun_parse_details(ok, strlen(ok), d, 1, &n, &total, &e), 0);
	CHECK_INT(n, 1);
	const char *none = "{\"Code\":\"OK\",\"TotalCount\":0,\"SmsSendDetailDTOs\":{}}";
	CHECK_INT(aliyun_parse_details(none, strlen(none), d, 4, &n, &total, &e), 0);
	CHECK_INT(n, 0);
	CHECK_INT(total, 0);
	const char *no = "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"13800138000 bad\"}";
	CHECK_INT(aliyun_parse_details(no, strlen(no), d, 4, &n, &total, &e), ERR_IO);
	CHECK(strstr(e.msg, "isv.MOBILE_NUMBER_ILLEGAL") != NULL &&
	      strstr(e.msg, "3800138") == NULL);
	CHECK_INT(aliyun_parse_details("<html>", 6, d, 4, &n, &total, &e), ERR_INVALID);
	CHECK_INT(aliyun_parse_details("[]", 2, d, 4, &n, &total, &e), ERR_INVALID);
}

TEST(status_answer_as_receipts)
{
	struct http_response resp;
	struct prov_receipt r[8];
	struct err e;
	int n = -1;

	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.body =
		"{\"Code\":\"OK\",\"Message\":\"OK\",\"TotalCount\":3,\"SmsSendDetailDTOs\":"
		"{\"SmsSendDetailDTO\":[{\"PhoneNum\":\"13800138000\",\"SendStatus\":3,"
		"\"ErrCode\":\"DELIVERED\",\"OutId\":\"42\",\"SendDate\":\"2026-11-23 10:00:00\","
		"\"ReceiveDate\":\"2026-11-23 10:00:05\"},{\"PhoneNum\":\"13800138000\","
		"\"SendStatus\":1,\"OutId\":\"43\"},{\"PhoneNum\":\"13800138000\",\"SendStatus\":2,"
		"\"ErrCode\":\"MK:0001\",\"OutId\":\"44\"}]},\"RequestId\":\"x\"}";
	resp.body_len = strlen(resp.body);
	CHECK_INT(provider_aliyun.parse_status(&resp, r, 8, &n, &e), 0);
	CHECK_INT(n, 3);
	CHECK_STR(r[0].out_id, "42");
	CHECK_INT(r[0].delivered, 1);
	CHECK_INT(r[1].delivered, -1); /* taken, no word from the carrier yet */
	CHECK_INT(r[2].delivered, 0);
	CHECK_STR(r[2].code, "MK:0001");
	resp.status = 503;
	CHECK_INT(provider_aliyun.parse_status(&resp, r, 8, &n, &e), ERR_IO);
}

int main(void)
{
	RUN(status_answer_as_receipts);
	RUN(sign_v2_vector);
	RUN(sign_v3_vector);
	RUN(canonical_encoding);
	RUN(create_checks);
	RUN(ops_table);
	RUN(build_v3_query);
	RUN(build_v3_body_for_1000);
	RUN(build_v2);
	RUN(build_template_errors);
	RUN(build_batch);
	RUN(build_query);
	RUN(classify_table);
	RUN(classify_details);
	RUN(classify_transport);
	RUN(receipts);
	RUN(receipts_garbage);
	RUN(receipts_huge);
	RUN(replies);
	RUN(details);
	return TEST_END();
}
