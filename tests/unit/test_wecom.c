/* Tests of providers/wecom: merging pending staff alerts under the 4096-byte markdown limit,
 * the webhook request (URL with the key, markdown body, truncation on a UTF-8 boundary),
 * and classification of WeCom's errcodes, with the key never in a reason. */
#include <jansson.h>
#include <stdlib.h>

#include "providers/wecom.h"
#include "test.h"
#include "utf8.h"

#define KEY "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

/* --- wecom_merge --------------------------------------------------------------------- */

TEST(merge_few)
{
	const char *alerts[] = { "**停水** 城东区", "工单 #12 超时", "回复：已处理" };
	char out[WECOM_MARKDOWN_MAX + 1];
	size_t used = 99;

	CHECK_INT(wecom_merge(alerts, 3, out, sizeof(out), &used), 0);
	CHECK_INT(used, 3);
	CHECK_STR(out, "**3 条待处理提醒**\n\n**停水** 城东区\n\n工单 #12 超时\n\n回复：已处理");
	CHECK_INT(wecom_merge(alerts, 0, out, sizeof(out), &used), 0);
	CHECK_INT(used, 0);
	CHECK_STR(out, "");
}

/* Fills a with n bytes of c, NUL-terminated. */
static char *filled(char c, size_t n)
{
	char *a = malloc(n + 1);

	memset(a, c, n);
	a[n] = '\0';
	return a;
}

TEST(merge_fills_up_to_the_limit)
{
	char *big[6];
	const char *alerts[6];
	char out[WECOM_MARKDOWN_MAX + 1];
	size_t used = 0, head = strlen("**4 条待处理提醒**");

	for (int i = 0; i < 6; i++)
		alerts[i] = big[i] = filled((char)('a' + i), 1000);
	CHECK_INT(wecom_merge(alerts, 6, out, sizeof(out), &used), 0);
	CHECK_INT(used, 4);
	CHECK_INT(strlen(out), head + 4 * 1002);
	CHECK(strncmp(out, "**4 条待处理提醒**\n\naaa", head + 5) == 0);
	for (int i = 0; i < 6; i++)
		free(big[i]);

	/* Exactly 4096 bytes fit; one more does not. */
	big[0] = filled('x', 2000);
	big[1] = filled('y', WECOM_MARKDOWN_MAX - strlen("**2 条待处理提醒**") - 2004);
	alerts[0] = big[0];
	alerts[1] = big[1];
	CHECK_INT(wecom_merge(alerts, 2, out, sizeof(out), &used), 0);
	CHECK_INT(used, 2);
	CHECK_INT(strlen(out), WECOM_MARKDOWN_MAX);
	free(big[1]);
	big[1] = filled('y', WECOM_MARKDOWN_MAX - strlen("**2 条待处理提醒**") - 2003);
	alerts[1] = big[1];
	CHECK_INT(wecom_merge(alerts, 2, out, sizeof(out), &used), 0);
	CHECK_INT(used, 1);
	CHECK_STR(out + strlen("**1 条待处理提醒**\n\n"), big[0]);
	free(big[0]);
	free(big[1]);
}

TEST(merge_cuts_a_lone_giant)
{
	char giant[6001], out[WECOM_MARKDOWN_MAX + 1], small[64];
	const char *alerts[2] = { giant, "next" };
	size_t used = 0, len;

	giant[0] = '\0';
	for (int i = 0; i < 2000; i++)
		strcat(giant, "停");
	CHECK_INT(wecom_merge(alerts, 2, out, sizeof(out), &used), 0);
	CHECK_INT(used, 1);
	len = strlen(out);
	CHECK(len <= WECOM_MARKDOWN_MAX);
	CHECK(len > WECOM_MARKDOWN_MAX - 6);
	CHECK(utf8_valid(out, len, NULL));
	CHECK(strcmp(out + len - 3, "…") == 0);
	CHECK(strncmp(out, "**1 条待处理提醒**\n\n停停", 30) == 0);
	/* A small buffer is the limit. */
	alerts[0] = "一二三四五六七八九十一二三四五六七八九十";
	CHECK_INT(wecom_merge(alerts, 2, small, sizeof(small), &used), 0);
	CHECK_INT(used, 1);
	CHECK(strlen(small) <= sizeof(small) - 1);
	CHECK(utf8_valid(small, strlen(small), NULL));
	CHECK_INT(wecom_merge(alerts, 2, small, 10, &used), ERR_TOOBIG);
}

/* --- build --------------------------------------------------------------------------- */

static void make_cfg(struct provider_config *cfg, const char *endpoint)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "staff");
	snprintf(cfg->type, sizeof(cfg->type), "wecom");
	snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s", endpoint);
	snprintf(cfg->secret, sizeof(cfg->secret), "%s", KEY);
	cfg->timeout_ms = 4000;
	cfg->line = 30;
}

static struct prov_msg msg(const char *text)
{
	struct prov_msg m = { .id = 9,
			      .channel = "wecom",
			      .kind = "alert",
			      .to = "staff",
			      .text = text,
			      .now_ms = 1726988400000LL };

	return m;
}

static const char *content_of(const struct http_request *req, json_t **root)
{
	*root = json_loadb(req->body, req->body_len, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(*root, "msgtype")), "markdown");
	return json_string_value(json_object_get(json_object_get(*root, "markdown"), "content"));
}

TEST(build_request)
{
	struct provider_config cfg;
	struct http_request req;
	struct prov_msg m = msg("**3 条待处理提醒**\n\n城东区停水");
	void *st = NULL;
	struct err e;
	json_t *root;

	make_cfg(&cfg, "");
	CHECK(provider_wecom.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	CHECK(provider_wecom.build(st, &m, 1, &req, &e) == 0);
	CHECK_STR(req.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" KEY);
	CHECK_STR(req.method, "POST");
	CHECK_STR(req.headers[0], "Content-Type: application/json");
	CHECK_INT(req.timeout_ms, 4000);
	CHECK_STR(content_of(&req, &root), m.text);
	json_decref(root);
	http_request_cleanup(&req);
	provider_wecom.destroy(st);

	make_cfg(&cfg, "http://127.0.0.1:8099/");
	CHECK(provider_wecom.create(&cfg, &st, &e) == 0);
	CHECK(provider_wecom.build(st, &m, 1, &req, &e) == 0);
	CHECK_STR(req.url, "http://127.0.0.1:8099/cgi-bin/webhook/send?key=" KEY);
	http_request_cleanup(&req);
	provider_wecom.destroy(st);
}

TEST(build_truncates_on_a_character)
{
	struct provider_config cfg;
	struct http_request req;
	char text[6001];
	struct prov_msg m = msg(text);
	void *st = NULL;
	struct err e;
	const char *c;
	json_t *root;

	make_cfg(&cfg, "");
	CHECK(provider_wecom.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	text[0] = '\0';
	for (int i = 0; i < 2000; i++)
		strcat(text, "停");
	CHECK(provider_wecom.build(st, &m, 1, &req, &e) == 0);
	c = content_of(&req, &root);
	CHECK(c != NULL && strlen(c) <= WECOM_MARKDOWN_MAX && strlen(c) > 4090);
	CHECK(c != NULL && strcmp(c + strlen(c) - 3, "…") == 0);
	CHECK(c != NULL && utf8_valid(c, strlen(c), NULL));
	json_decref(root);
	http_request_cleanup(&req);

	/* Exactly 4096 bytes go as they are. */
	memset(text, 'a', WECOM_MARKDOWN_MAX);
	text[WECOM_MARKDOWN_MAX] = '\0';
	CHECK(provider_wecom.build(st, &m, 1, &req, &e) == 0);
	CHECK_STR(content_of(&req, &root), text);
	json_decref(root);
	http_request_cleanup(&req);

	m.text = " \n ";
	CHECK_INT(provider_wecom.build(st, &m, 1, &req, &e), ERR_INVALID);
	m.text = "bad \xff byte";
	CHECK_INT(provider_wecom.build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(req.body == NULL);
	provider_wecom.destroy(st);

	cfg.secret[0] = '\0';
	CHECK_INT(provider_wecom.create(&cfg, &st, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "line 30") != NULL);
	make_cfg(&cfg, "ftp://x");
	CHECK_INT(provider_wecom.create(&cfg, &st, &e), ERR_INVALID);
}

/* --- classify ------------------------------------------------------------------------ */

struct cls_case {
	long status;
	const char *body;
	enum outcome outcome;
	int retry_after_ms;
	const char *has;
};

static const struct cls_case cls_cases[] = {
	{ 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", OUTCOME_OK, 0, "" },
	{ 200, "{\"errcode\":-1,\"errmsg\":\"system busy\"}", OUTCOME_RETRY, 0, "busy" },
	{ 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", OUTCOME_THROTTLED, 60000,
	  "20 messages" },
	{ 200,
	  "{\"errcode\":93000,\"errmsg\":\"invalid webhook url, hint: [1700000000_" KEY
	  "], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=93000\"}",
	  OUTCOME_PERMANENT, 0, "robot key wrong or robot removed" },
	{ 200, "{\"errcode\":40008,\"errmsg\":\"invalid message type\"}", OUTCOME_PERMANENT, 0,
	  "40008" },
	{ 200, "{\"errcode\":40058,\"errmsg\":\"markdown.content exceed max length 4096\"}",
	  OUTCOME_PERMANENT, 0, "40058" },
	{ 200, "{\"errcode\":44004,\"errmsg\":\"empty content\"}", OUTCOME_PERMANENT, 0, "44004" },
	{ 200, "{\"errcode\":47001,\"errmsg\":\"data format error\"}", OUTCOME_PERMANENT, 0,
	  "47001" },
	{ 200, "{\"errcode\":88888,\"errmsg\":\"new error for " KEY " ?key=" KEY "\"}",
	  OUTCOME_RETRY, 0, "unknown" },
	{ 200, "{\"errcode\":77777,\"errmsg\":\"robot " KEY " said 13812345678\"}", OUTCOME_RETRY,
	  0, "[key]" },
	{ 200, "", OUTCOME_RETRY, 0, "not JSON" },
	{ 200, "<html>gateway</html>", OUTCOME_RETRY, 0, "not JSON" },
	{ 200, "{\"errmsg\":\"ok\"}", OUTCOME_RETRY, 0, "no errcode" },
	{ 503, "busy", OUTCOME_RETRY, 0, "HTTP 503" },
	{ 429, "", OUTCOME_THROTTLED, 60000, "429" },
};

TEST(classify_table)
{
	struct provider_config cfg;
	struct prov_msg m = msg("x");
	struct prov_result res;
	void *st = NULL;
	struct err e;

	make_cfg(&cfg, "");
	CHECK(provider_wecom.create(&cfg, &st, &e) == 0);
	for (size_t i = 0; i < sizeof(cls_cases) / sizeof(cls_cases[0]); i++) {
		const struct cls_case *c = &cls_cases[i];
		struct http_response resp = { .status = c->status,
					      .body = (char *)c->body,
					      .body_len = strlen(c->body) };

		memset(&res, 0x5a, sizeof(res));
		provider_wecom.classify(st, &resp, &m, 1, &res);
		if (res.outcome != c->outcome)
			fprintf(stderr, "  case %zu: %s\n", i, res.reason);
		CHECK_INT(res.outcome, c->outcome);
		CHECK_INT(res.retry_after_ms, c->retry_after_ms);
		CHECK(strstr(res.reason, c->has) != NULL);
		CHECK(strstr(res.reason, "693a91f6") == NULL);
		CHECK(strstr(res.reason, "13812345678") == NULL);
	}
	provider_wecom.destroy(st);
}

TEST(classify_transport)
{
	struct provider_config cfg;
	struct prov_msg m = msg("x");
	struct http_response resp = { .transport_error = 1, .timed_out = 1 };
	struct prov_result res;
	void *st = NULL;
	struct err e;

	make_cfg(&cfg, "");
	CHECK(provider_wecom.create(&cfg, &st, &e) == 0);
	provider_wecom.classify(st, &resp, &m, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(strstr(res.reason, "timeout after 4000 ms") != NULL);
	resp.timed_out = 0;
	snprintf(resp.error, sizeof(resp.error),
		 "Could not connect to /cgi-bin/webhook/send?key=%s", KEY);
	provider_wecom.classify(st, &resp, &m, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(strstr(res.reason, "693a91f6") == NULL);
	CHECK(strstr(res.reason, "connection failed") != NULL);
	provider_wecom.destroy(st);
}

int main(void)
{
	RUN(merge_few);
	RUN(merge_fills_up_to_the_limit);
	RUN(merge_cuts_a_lone_giant);
	RUN(build_request);
	RUN(build_truncates_on_a_character);
	RUN(classify_table);
	RUN(classify_transport);
	return TEST_END();
}
