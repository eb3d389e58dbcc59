/* Tests of providers/wechat and wx_token: the keyword-value rules (lengths and characters
 * per keyword type), the template/send request, classification of WeChat's errcodes, and
 * the token holder against a fake stable_token server thread on 127.0.0.1 (reuse, renewal
 * 5 minutes before expiry, renewal after invalidate, errors naming the errcode). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "providers/wechat.h"
#include "providers/wechat_keyword.h"
#include "test.h"
#include "test_net.h"
#include "utf8.h"
#include "wx_token.h"

#define T0 1726988400000LL /* 2024-09-22 15:00 Beijing time */
#define HOUR 3600000LL
#define MIN 60000LL
#define OPENID "oAbcdefghijklmnopqrstuvwxyz0"

/* --- keyword values ------------------------------------------------------------------ */

struct kw_case {
	const char *keyword, *in, *want;
};

static const struct kw_case kw_cases[] = {
	{ "thing1", "城东区人民路", "城东区人民路" },
	{ "thing1", "一二三四五六七八九十一二三四五六七八九十",
	  "一二三四五六七八九十一二三四五六七八九十" },
	{ "thing3", "一二三四五六七八九十一二三四五六七八九十一",
	  "一二三四五六七八九十一二三四五六七八九…" },
	{ "thing3", "停水\r\n原因：管道\t维修", "停水 原因：管道 维修" },
	{ "thing2", "  padded  text  ", "padded text" },
	{ "thing2",
	  "ab\xff"
	  "cd",
	  "abcd" },
	{ "thing2", "abcdefghijklmnopqrs uvwxyz", "abcdefghijklmnopqrs…" },
	{ "thing2", "abcdefghijklmnopqr tuvwxyz", "abcdefghijklmnopqr…" },
	{ "number2", "3.5小时", "3.5" },
	{ "number2", "1.2.3", "1.23" },
	{ "number2", "123456789012345678901234567890123456789",
	  "12345678901234567890123456789012" },
	{ "letter1", "abc-DEF 12", "abcDEF" },
	{ "symbol1", "a!@#$%^&", "!@#$%" },
	{ "character_string2", "AB-123 号楼 x", "AB-123x" },
	{ "character_string2", "0123456789012345678901234567890123456789",
	  "01234567890123456789012345678901" },
	{ "time2", "2024年9月22日 15:01", "2024年9月22日 15:01" },
	{ "time2", "08:00~18:00", "08:00~18:00" },
	{ "time2", "2024年9月22日 08:00~2024年9月22日 18:00", "2024年9月22日 08:00" },
	{ "date3", "2024年09月22日 星期日 上午八点整", "2024年09月22日 星期日 上午八点" },
	{ "amount4", "39.8元", "39.8元" },
	{ "amount4", "¥1,234.50", "¥1234.50" },
	{ "amount4", "约 ￥30 元", "￥30元" },
	{ "amount4", "12345678901234", "1234567890" },
	{ "phone_number4", "95598", "95598" },
	{ "phone_number4", "热线 0571-8888 1234（24小时）", "0571-88881234" },
	{ "phone_number4", "95598 24小时", "95598" },
	{ "phone_number4", "(0571) 8888 1234", "057188881234" },
	{ "phone_number4", "+86 138 0000 0000", "+8613800000000" },
	{ "phone_number4", "123456789012345678901", "12345678901234567" },
	{ "car_number5", "浙a·12345", "浙A12345" },
	{ "car_number5", "浙A1234567890", "浙A123456" },
	{ "name6", "欧阳娜娜一二三四五六七", "欧阳娜娜一二三四五六" },
	{ "name6", "Alexander Hamilton Smith", "Alexander Hamilton S" },
	{ "phrase7", "已恢复供水", "已恢复供水" },
	{ "phrase7", "计划停水通知", "计划停水通" },
	{ "phrase7", "OK 完成!", "完成" },
	{ "keyword1", "一二三四五六七八九十一二三四五六七八九十一",
	  "一二三四五六七八九十一二三四五六七八九…" },
	{ "thing12", NULL, "" },
};

TEST(keyword_values)
{
	char out[WECHAT_VALUE_SIZE];

	for (size_t i = 0; i < sizeof(kw_cases) / sizeof(kw_cases[0]); i++) {
		wechat_keyword_value(kw_cases[i].keyword, kw_cases[i].in, out);
		if (strcmp(out, kw_cases[i].want) != 0)
			fprintf(stderr, "  case %zu (%s)\n", i, kw_cases[i].keyword);
		CHECK_STR(out, kw_cases[i].want);
		CHECK(utf8_valid(out, strlen(out), NULL));
	}
}

/* Whatever comes in, no value exceeds its type's length (47003 is never for length). */
TEST(keyword_limits_hold)
{
	static const struct {
		const char *kw;
		size_t max;
	} lim[] = { { "thing1", 20 },
		    { "number2", 32 },
		    { "letter3", 32 },
		    { "symbol4", 5 },
		    { "character_string5", 32 },
		    { "time6", 20 },
		    { "date7", 20 },
		    { "amount8", 13 },
		    { "phone_number9", 17 },
		    { "car_number10", 8 },
		    { "name11", 20 },
		    { "phrase12", 5 } };
	char big[2048], out[WECHAT_VALUE_SIZE];
	size_t o = 0;

	while (o + 8 < sizeof(big)) {
		o += (size_t)snprintf(big + o, sizeof(big) - o, "停a1.~ ¥\n");
	}
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		wechat_keyword_value(lim[i].kw, big, out);
		CHECK(utf8_chars(out) <= lim[i].max);
		CHECK(strchr(out, '\n') == NULL);
		CHECK(utf8_valid(out, strlen(out), NULL));
	}
}

/* --- a fake WeChat server ------------------------------------------------------------ */

struct reply {
	int status;
	const char *body;
};

struct fake {
	int lfd, port;
	const struct reply *replies;
	int nreplies;
	pthread_mutex_t mu;
	int served; /* under mu */
	char last[8192]; /* the last request, under mu */
	pthread_t th;
};

static void answer(int fd, const struct reply *r)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
			 "%zu\r\nConnection: close\r\n\r\n",
			 r->status, strlen(r->body));

	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
		(void)send(fd, r->body, strlen(r->body), MSG_NOSIGNAL);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[8192];
	int i = 0;

	while (i < f->nreplies && wait_readable(f->lfd) == 0) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			break;
		if (read_request(fd, buf, sizeof(buf)) > 0) {
			pthread_mutex_lock(&f->mu);
			snprintf(f->last, sizeof(f->last), "%s", buf);
			f->served = ++i;
			pthread_mutex_unlock(&f->mu);
			answer(fd, &f->replies[i - 1]);
		}
		close(fd);
	}
	return NULL;
}

static int fake_start(struct fake *f, const struct reply *replies, int n)
{
	memset(f, 0, sizeof(*f));
	f->replies = replies;
	f->nreplies = n;
	pthread_mutex_init(&f->mu, NULL);
	f->lfd = listen_any(&f->port);
	if (f->lfd < 0 || pthread_create(&f->th, NULL, fake_main, f) != 0)
		return -1;
	return 0;
}

static int fake_served(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->served;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	pthread_mutex_destroy(&f->mu);
}

static void fake_base(const struct fake *f, char *out, size_t outsz)
{
	snprintf(out, outsz, "http://127.0.0.1:%d", f->port);
}

/* --- token holder -------------------------------------------------------------------- */

TEST(token_reuse_and_renewal)
{
	static const struct reply r[] = {
		{ 200, "{\"access_token\":\"TOKEN-1\",\"expires_in\":7200}" },
		{ 200, "{\"access_token\":\"TOKEN-2\",\"expires_in\":7200}" },
		{ 200, "{\"access_token\":\"TOKEN-3\",\"expires_in\":7200}" },
	};
	struct fake f;
	struct wx_token *t = NULL;
	struct err e;
	char base[64], tok[WX_TOKEN_SIZE];

	CHECK(fake_start(&f, r, 3) == 0);
	fake_base(&f, base, sizeof(base));
	CHECK(wx_token_new(base, "wx0123456789abcdef", "s3cr3t-app", 3000, &t, &e) == 0);
	CHECK(wx_token_get(t, T0, tok, &e) == 0);
	CHECK_STR(tok, "TOKEN-1");
	CHECK_INT(fake_served(&f), 1);
	pthread_mutex_lock(&f.mu);
	CHECK(strncmp(f.last, "POST /cgi-bin/stable_token HTTP/1.1\r\n", 37) == 0);
	CHECK(strstr(f.last, "\"grant_type\":\"client_credential\"") != NULL);
	CHECK(strstr(f.last, "\"appid\":\"wx0123456789abcdef\"") != NULL);
	CHECK(strstr(f.last, "\"secret\":\"s3cr3t-app\"") != NULL);
	CHECK(strstr(f.last, "\"force_refresh\":false") != NULL);
	CHECK(strcasestr(f.last, "Content-Type: application/json") != NULL);
	pthread_mutex_unlock(&f.mu);
	/* Valid and more than 5 minutes from expiry: reused without asking. */
	CHECK(wx_token_get(t, T0 + HOUR, tok, &e) == 0);
	CHECK(wx_token_get(t, T0 + 7200000 - 5 * MIN - 1, tok, &e) == 0);
	CHECK_STR(tok, "TOKEN-1");
	CHECK_INT(fake_served(&f), 1);
	/* 5 minutes before expiry: renewed. */
	CHECK(wx_token_get(t, T0 + 7200000 - 5 * MIN, tok, &e) == 0);
	CHECK_STR(tok, "TOKEN-2");
	CHECK_INT(fake_served(&f), 2);
	/* A stale token reported late does not throw away the new one. */
	wx_token_invalidate(t, "TOKEN-1");
	CHECK(wx_token_get(t, T0 + 2 * HOUR, tok, &e) == 0);
	CHECK_STR(tok, "TOKEN-2");
	CHECK_INT(fake_served(&f), 2);
	/* The current token rejected: the next get fetches another. */
	wx_token_invalidate(t, "TOKEN-2");
	CHECK(wx_token_get(t, T0 + 2 * HOUR, tok, &e) == 0);
	CHECK_STR(tok, "TOKEN-3");
	CHECK_INT(fake_served(&f), 3);
	wx_token_free(t);
	fake_stop(&f);
}

TEST(token_errors_name_the_errcode)
{
	static const struct reply r[] = {
		{ 200,
		  "{\"errcode\":40164,\"errmsg\":\"invalid ip 1.2.3.4, not in whitelist rid: x\"}" },
		{ 200, "{\"errcode\":40013,\"errmsg\":\"invalid appid rid: x\"}" },
		{ 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret rid: x\"}" },
		{ 200, "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}" },
		{ 200, "{\"errcode\":12345,\"errmsg\":\"something new\"}" },
		{ 500, "<html>oops</html>" },
		{ 200, "<html>captive portal</html>" },
		{ 200, "{\"access_token\":\"\",\"expires_in\":7200}" },
		{ 200, "{\"access_token\":\"T\"}" },
	};
	static const struct {
		int code;
		const char *has;
	} want[] = {
		{ ERR_INVALID, "40164" }, { ERR_INVALID, "40013" },   { ERR_INVALID, "40125" },
		{ ERR_IO, "45009" },      { ERR_IO, "12345" },        { ERR_IO, "HTTP 500" },
		{ ERR_IO, "not JSON" },   { ERR_IO, "access_token" }, { ERR_IO, "expires_in" }
	};
	struct fake f;
	struct wx_token *t = NULL;
	struct err e;
	char base[64], tok[WX_TOKEN_SIZE] = "untouched";

	CHECK(fake_start(&f, r, 9) == 0);
	fake_base(&f, base, sizeof(base));
	CHECK(wx_token_new(base, "wx0123456789abcdef", "s3cr3t-app", 3000, &t, &e) == 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(wx_token_get(t, T0, tok, &e), want[i].code);
		CHECK(strstr(e.msg, want[i].has) != NULL);
		CHECK(strstr(e.msg, "s3cr3t") == NULL);
		/* 40164 says what to do, 40013 which key. */
		if (i == 0)
			CHECK(strstr(e.msg, "whitelist") != NULL);
		if (i == 1)
			CHECK_STR(e.field, "key_id");
	}
	CHECK_STR(tok, "untouched");
	wx_token_free(t);
	fake_stop(&f);
	/* Nobody listens any more: a transport error. */
	CHECK(wx_token_new(base, "wx1", "s", 1000, &t, &e) == 0);
	CHECK_INT(wx_token_get(t, T0, tok, &e), ERR_IO);
	CHECK(strstr(e.msg, "cannot connect") != NULL);
	wx_token_free(t);
}

TEST(token_short_life_and_grace)
{
	static const struct reply r[] = {
		{ 200, "{\"access_token\":\"SHORT\",\"expires_in\":300}" },
		{ 200, "{\"access_token\":\"LONG\",\"expires_in\":7200}" },
		{ 200, "{\"errcode\":-1,\"errmsg\":\"system error\"}" },
		{ 200, "{\"errcode\":-1,\"errmsg\":\"system error\"}" },
	};
	struct fake f;
	struct wx_token *t = NULL;
	struct err e;
	char base[64], tok[WX_TOKEN_SIZE];

	CHECK(fake_start(&f, r, 4) == 0);
	fake_base(&f, base, sizeof(base));
	CHECK(wx_token_new(base, "wx0123456789abcdef", "s3cr3t-app", 3000, &t, &e) == 0);
	/* A 5-minute token is used for half its life, not refetched on every call. */
	CHECK(wx_token_get(t, T0, tok, &e) == 0);
	CHECK(wx_token_get(t, T0 + 149000, tok, &e) == 0);
	CHECK_STR(tok, "SHORT");
	CHECK_INT(fake_served(&f), 1);
	CHECK(wx_token_get(t, T0 + 150000, tok, &e) == 0);
	CHECK_STR(tok, "LONG");
	/* Renewal fails while the old token has minutes left: the old one still serves. */
	CHECK(wx_token_get(t, T0 + 150000 + 7200000 - 4 * MIN, tok, &e) == 0);
	CHECK_STR(tok, "LONG");
	CHECK_INT(fake_served(&f), 3);
	/* In its last minute it is not handed out. */
	CHECK_INT(wx_token_get(t, T0 + 150000 + 7200000 - 30000, tok, &e), ERR_IO);
	CHECK(strstr(e.msg, "-1") != NULL);
	wx_token_free(t);
	fake_stop(&f);
}

TEST(token_new_checks)
{
	struct wx_token *t = NULL;
	struct err e;

	CHECK_INT(wx_token_new("ftp://x", "wx1", "s", 0, &t, &e), ERR_INVALID);
	CHECK_INT(wx_token_new("https://x", "", "s", 0, &t, &e), ERR_INVALID);
	CHECK_STR(e.field, "key_id");
	CHECK_INT(wx_token_new("https://x", "wx1", "", 0, &t, &e), ERR_INVALID);
	CHECK_STR(e.field, "secret");
	CHECK(t == NULL);
	wx_token_free(NULL);
}

/* --- provider ------------------------------------------------------------------------ */

static void make_cfg(struct provider_config *cfg, const char *endpoint)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "wx");
	snprintf(cfg->type, sizeof(cfg->type), "wechat");
	snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s", endpoint);
	snprintf(cfg->key_id, sizeof(cfg->key_id), "wx0123456789abcdef");
	snprintf(cfg->secret, sizeof(cfg->secret), "s3cr3t-app");
	cfg->timeout_ms = 3000;
	cfg->line = 12;
	snprintf(cfg->templates[0].kind, sizeof(cfg->templates[0].kind), "planned");
	snprintf(cfg->templates[0].id, sizeof(cfg->templates[0].id), "TPL-PLANNED");
	snprintf(cfg->templates[0].params, sizeof(cfg->templates[0].params),
		 "thing1=area, time2=start,thing3=reason,phone_number4=hotline");
	snprintf(cfg->templates[1].kind, sizeof(cfg->templates[1].kind), "restored");
	snprintf(cfg->templates[1].id, sizeof(cfg->templates[1].id), "TPL-RESTORED");
	snprintf(cfg->templates[1].params, sizeof(cfg->templates[1].params),
		 "thing1=area,time2=end");
	cfg->ntemplates = 2;
}

static const struct tmpl_var vars[] = {
	{ "area", "城东区人民路 1-99 号" },
	{ "start", "2024年9月22日 08:00" },
	{ "reason", "主干管道抢修，预计影响周边三个小区的正常供水" },
	{ "hotline", "热线 95598（24小时）" },
	{ "end", "2024年9月22日 18:00" },
};

static struct prov_msg msg(int64_t id, const char *kind, const char *url)
{
	struct prov_msg m = { .id = id,
			      .notice_id = 7,
			      .channel = "wechat",
			      .kind = kind,
			      .to = OPENID,
			      .text = "unused",
			      .now_ms = T0,
			      .vars = vars,
			      .nvars = 5,
			      .url = url };

	return m;
}

static const char *jstr(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(root, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (c != NULL)
		v = json_object_get(v, c);
	return json_string_value(v);
}

TEST(build_request)
{
	static const struct reply r[] = {
		{ 200, "{\"access_token\":\"TOKEN-1\",\"expires_in\":7200}" },
	};
	struct provider_config cfg;
	struct fake f;
	struct http_request req;
	struct prov_msg m = msg(42, "planned", "https://example.com/n/7");
	void *st = NULL;
	struct err e;
	char base[64], want[160];
	json_t *root;

	CHECK(fake_start(&f, r, 1) == 0);
	fake_base(&f, base, sizeof(base));
	make_cfg(&cfg, base);
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	CHECK(provider_wechat.build(st, &m, 1, &req, &e) == 0);
	snprintf(want, sizeof(want), "%s/cgi-bin/message/template/send?access_token=TOKEN-1", base);
	CHECK_STR(req.url, want);
	CHECK_STR(req.method, "POST");
	CHECK_STR(req.headers[0], "Content-Type: application/json");
	CHECK_INT(req.timeout_ms, 3000);
	root = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK(root != NULL);
	CHECK_STR(jstr(root, "touser", NULL, NULL), OPENID);
	CHECK_STR(jstr(root, "template_id", NULL, NULL), "TPL-PLANNED");
	CHECK_STR(jstr(root, "url", NULL, NULL), "https://example.com/n/7");
	CHECK_STR(jstr(root, "client_msg_id", NULL, NULL), "gw42");
	CHECK_STR(jstr(root, "data", "thing1", "value"), "城东区人民路 1-99 号");
	CHECK_STR(jstr(root, "data", "time2", "value"), "2024年9月22日 08:00");
	CHECK_STR(jstr(root, "data", "thing3", "value"), "主干管道抢修，预计影响周边三个小区的正…");
	CHECK_STR(jstr(root, "data", "phone_number4", "value"), "95598");
	CHECK_INT(json_object_size(json_object_get(root, "data")), 4);
	json_decref(root);
	http_request_cleanup(&req);

	/* No url: the field is left out; the token is reused. */
	m = msg(43, "restored", NULL);
	CHECK(provider_wechat.build(st, &m, 1, &req, &e) == 0);
	root = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK(json_object_get(root, "url") == NULL);
	CHECK_STR(jstr(root, "client_msg_id", NULL, NULL), "gw43");
	CHECK_STR(jstr(root, "template_id", NULL, NULL), "TPL-RESTORED");
	json_decref(root);
	http_request_cleanup(&req);
	CHECK_INT(fake_served(&f), 1);
	provider_wechat.destroy(st);
	fake_stop(&f);
}

TEST(build_errors)
{
	struct provider_config cfg;
	struct http_request req;
	struct prov_msg m = msg(5, "emergency", NULL);
	void *st = NULL;
	struct err e;

	/* Configuration problems are found before any token is asked for (nobody listens). */
	make_cfg(&cfg, "http://127.0.0.1:9");
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "template.emergency") != NULL);
	m = msg(5, "planned", NULL);
	m.nvars = 3; /* no hotline (nor end) */
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "params.planned") != NULL && strstr(e.msg, "hotline") != NULL);
	m.nvars = 5;
	m.to = "";
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_INVALID);
	m.to = "oBad\xff";
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "UTF-8") != NULL);
	/* The token fetch failing is a build error too. */
	m.to = OPENID;
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_IO);
	CHECK(strstr(e.msg, "WeChat token") != NULL);
	CHECK(req.body == NULL);
	provider_wechat.destroy(st);

	cfg.key_id[0] = '\0';
	CHECK_INT(provider_wechat.create(&cfg, &st, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "key_id") != NULL && strstr(e.msg, "line 12") != NULL);
	make_cfg(&cfg, "");
	cfg.secret[0] = '\0';
	CHECK_INT(provider_wechat.create(&cfg, &st, &e), ERR_INVALID);
	CHECK_STR(e.field, "secret");
}

/* A token-fetch errcode reaches the build error with what to fix. */
TEST(build_token_refused)
{
	static const struct reply r[] = {
		{ 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret rid: x\"}" },
	};
	struct provider_config cfg;
	struct fake f;
	struct http_request req;
	struct prov_msg m = msg(42, "planned", NULL);
	void *st = NULL;
	struct err e;
	char base[64];

	CHECK(fake_start(&f, r, 1) == 0);
	fake_base(&f, base, sizeof(base));
	make_cfg(&cfg, base);
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	CHECK_INT(provider_wechat.build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "40125") != NULL && strstr(e.msg, "AppSecret") != NULL);
	CHECK(strstr(e.msg, "s3cr3t") == NULL);
	provider_wechat.destroy(st);
	fake_stop(&f);
}

/* --- classify ------------------------------------------------------------------------ */

struct cls_case {
	long status;
	const char *body;
	enum outcome outcome;
	int unreachable;
	int retry_after_ms;
	const char *has; /* in the reason (or the ref for OK) */
};

static const struct cls_case cls_cases[] = {
	{ 200, "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":200228332}", OUTCOME_OK, 0, 0,
	  "200228332" },
	{ 200, "{\"errcode\":-1,\"errmsg\":\"system error\"}", OUTCOME_RETRY, 0, 0, "busy" },
	{ 200, "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}",
	  OUTCOME_THROTTLED, 0, 9 * 3600000, "45009" },
	{ 200, "{\"errcode\":45011,\"errmsg\":\"api minute-quota reach limit\"}", OUTCOME_THROTTLED,
	  0, 60000, "45011" },
	{ 200, "{\"errcode\":43004,\"errmsg\":\"require subscribe rid: x\"}", OUTCOME_PERMANENT, 1,
	  0, "43004" },
	{ 200, "{\"errcode\":40003,\"errmsg\":\"invalid openid " OPENID " rid: x\"}",
	  OUTCOME_PERMANENT, 1, 0, "40003" },
	{ 200, "{\"errcode\":40037,\"errmsg\":\"invalid template_id\"}", OUTCOME_PERMANENT, 0, 0,
	  "template.planned" },
	{ 200,
	  "{\"errcode\":47003,\"errmsg\":\"argument invalid! data.thing1.value invalid rid: 66ac5b50-0e6d76ba-2a578c0a\"}",
	  OUTCOME_PERMANENT, 0, 0, "data.thing1.value invalid" },
	{ 200, "{\"errcode\":47001,\"errmsg\":\"data format error\"}", OUTCOME_PERMANENT, 0, 0,
	  "47001" },
	{ 200, "{\"errcode\":41001,\"errmsg\":\"access_token missing\"}", OUTCOME_PERMANENT, 0, 0,
	  "41001" },
	{ 200, "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}", OUTCOME_PERMANENT, 0, 0,
	  "key_id" },
	{ 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret\"}", OUTCOME_PERMANENT, 0, 0,
	  "40125" },
	{ 200, "{\"errcode\":40164,\"errmsg\":\"invalid ip\"}", OUTCOME_PERMANENT, 0, 0,
	  "whitelist" },
	{ 200, "{\"errcode\":43002,\"errmsg\":\"require POST method\"}", OUTCOME_PERMANENT, 0, 0,
	  "POST" },
	{ 200, "{\"errcode\":99999,\"errmsg\":\"new thing for " OPENID " 13812345678\"}",
	  OUTCOME_RETRY, 0, 0, "unknown" },
	{ 200, "", OUTCOME_RETRY, 0, 0, "no body" },
	{ 200, "<html><body>502 Bad Gateway</body></html>", OUTCOME_RETRY, 0, 0, "not JSON" },
	{ 200, "[1,2]", OUTCOME_RETRY, 0, 0, "not JSON" },
	{ 200, "{\"errmsg\":\"ok\",\"msgid\":1}", OUTCOME_RETRY, 0, 0, "no errcode" },
	{ 502, "bad gateway", OUTCOME_RETRY, 0, 0, "HTTP 502" },
	{ 429, "", OUTCOME_THROTTLED, 0, 0, "429" },
};

static struct http_response resp_of(long status, const char *body)
{
	struct http_response r = { .status = status,
				   .body = (char *)body,
				   .body_len = strlen(body) };

	return r;
}

TEST(classify_table)
{
	struct provider_config cfg;
	struct prov_msg m = msg(42, "planned", NULL);
	struct prov_result res;
	void *st = NULL;
	struct err e;

	make_cfg(&cfg, "http://127.0.0.1:9");
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	for (size_t i = 0; i < sizeof(cls_cases) / sizeof(cls_cases[0]); i++) {
		const struct cls_case *c = &cls_cases[i];
		struct http_response resp = resp_of(c->status, c->body);

		memset(&res, 0x5a, sizeof(res));
		provider_wechat.classify(st, &resp, &m, 1, &res);
		if (res.outcome != c->outcome)
			fprintf(stderr, "  case %zu: %s\n", i, res.reason);
		CHECK_INT(res.outcome, c->outcome);
		CHECK_INT(res.unreachable, c->unreachable);
		CHECK_INT(res.retry_after_ms, c->retry_after_ms);
		CHECK(strstr(c->outcome == OUTCOME_OK ? res.ref : res.reason, c->has) != NULL);
		CHECK(strstr(res.reason, OPENID) == NULL);
		CHECK(strstr(res.reason, "13812345678") == NULL);
	}
	provider_wechat.destroy(st);
}

TEST(classify_transport)
{
	struct provider_config cfg;
	struct prov_msg m = msg(42, "planned", NULL);
	struct http_response resp = { .transport_error = 1, .timed_out = 1 };
	struct prov_result res;
	void *st = NULL;
	struct err e;

	make_cfg(&cfg, "http://127.0.0.1:9");
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	CHECK_INT(provider_wechat.idempotent, 1);
	provider_wechat.classify(st, &resp, &m, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(strstr(res.reason, "timeout") != NULL);
	resp.timed_out = 0;
	snprintf(resp.error, sizeof(resp.error),
		 "Failed to connect to /cgi-bin/message/template/send?access_token=TOKEN-1");
	provider_wechat.classify(st, &resp, &m, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(strstr(res.reason, "TOKEN-1") == NULL);
	CHECK(strstr(res.reason, "connection failed") != NULL);
	provider_wechat.destroy(st);
}

/* 40001 on a send: the token of that request is dropped, the retry builds with a new one;
 * a late 40001 for the old token does not drop the new one. */
TEST(classify_refreshes_token)
{
	static const struct reply r[] = {
		{ 200, "{\"access_token\":\"TOKEN-1\",\"expires_in\":7200}" },
		{ 200, "{\"access_token\":\"TOKEN-2\",\"expires_in\":7200}" },
	};
	struct provider_config cfg;
	struct fake f;
	struct http_request req;
	struct prov_msg m1 = msg(1, "planned", NULL), m2 = msg(2, "planned", NULL);
	struct http_response bad = resp_of(
		200,
		"{\"errcode\":40001,\"errmsg\":\"invalid credential, access_token is invalid "
		"or not latest rid: x\"}");
	struct prov_result res;
	void *st = NULL;
	struct err e;
	char base[64];

	CHECK(fake_start(&f, r, 2) == 0);
	fake_base(&f, base, sizeof(base));
	make_cfg(&cfg, base);
	CHECK(provider_wechat.create(&cfg, &st, &e) == 0);
	memset(&req, 0, sizeof(req));
	CHECK(provider_wechat.build(st, &m1, 1, &req, &e) == 0);
	http_request_cleanup(&req);
	CHECK(provider_wechat.build(st, &m2, 1, &req, &e) == 0);
	http_request_cleanup(&req);
	provider_wechat.classify(st, &bad, &m1, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(strstr(res.reason, "40001") != NULL);
	CHECK(strstr(res.reason, "TOKEN") == NULL);
	CHECK(provider_wechat.build(st, &m1, 1, &req, &e) == 0);
	CHECK(strstr(req.url, "access_token=TOKEN-2") != NULL);
	http_request_cleanup(&req);
	CHECK_INT(fake_served(&f), 2);
	/* m2 went out with TOKEN-1; its 40001 must not drop TOKEN-2. */
	provider_wechat.classify(st, &bad, &m2, 1, &res);
	CHECK_INT(res.outcome, OUTCOME_RETRY);
	CHECK(provider_wechat.build(st, &m2, 1, &req, &e) == 0);
	CHECK(strstr(req.url, "access_token=TOKEN-2") != NULL);
	http_request_cleanup(&req);
	CHECK_INT(fake_served(&f), 2);
	provider_wechat.destroy(st);
	fake_stop(&f);
}

int main(void)
{
	RUN(keyword_values);
	RUN(keyword_limits_hold);
	RUN(token_reuse_and_renewal);
	RUN(token_errors_name_the_errcode);
	RUN(token_short_life_and_grace);
	RUN(token_new_checks);
	RUN(build_request);
	RUN(build_errors);
	RUN(build_token_refused);
	RUN(classify_table);
	RUN(classify_transport);
	RUN(classify_refreshes_token);
	return TEST_END();
}
