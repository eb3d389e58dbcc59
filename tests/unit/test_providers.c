/* Unit tests for provider (the table), providers/webhook (request building, signature,
 * classification, redaction), providers/file (JSON lines on disk) and http_client (a tiny
 * HTTP/1.1 server thread on 127.0.0.1, refused connections, timeouts). Every listener and
 * thread started here is stopped before its test returns. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <mbedtls/md.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "provider.h"
#include "test.h"
#include "test_net.h"

static const char TEXT[] = "【幸福水务】尊敬的用户，明日 08:00-18:00 停水 \"检修\"\n请储水。";
static const char PHONE[] = "13800138000";

static struct prov_msg sample_msg(void)
{
	struct prov_msg m = { .id = 42,
			      .notice_id = 7,
			      .channel = "sms",
			      .kind = "planned",
			      .to = PHONE,
			      .text = TEXT,
			      .now_ms = 1795365858711LL };
	return m;
}

static struct provider_config webhook_cfg(const char *url, const char *secret)
{
	struct provider_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "hook");
	snprintf(cfg.type, sizeof(cfg.type), "webhook");
	snprintf(cfg.url, sizeof(cfg.url), "%s", url);
	snprintf(cfg.secret, sizeof(cfg.secret), "%s", secret);
	cfg.timeout_ms = 1234;
	cfg.batch = 1;
	cfg.tls_verify = 1; /* the configuration's default */
	return cfg;
}

TEST(find)
{
	static const char *const cloud[] = { "aliyun", "tencent", "wechat", "wecom" };

	CHECK(provider_find("file") != NULL);
	CHECK(provider_find("webhook") != NULL);
	CHECK_STR(provider_find("webhook")->type, "webhook");
	CHECK_INT(provider_find("webhook")->max_batch, 1);
	CHECK(provider_find("file")->deliver != NULL);
	CHECK(provider_find("webhook")->build != NULL);
	for (size_t i = 0; i < sizeof(cloud) / sizeof(cloud[0]); i++) {
		const struct provider_ops *ops = provider_find(cloud[i]);

		CHECK(ops != NULL && strcmp(ops->type, cloud[i]) == 0 && ops->build != NULL &&
		      ops->classify != NULL);
	}
	CHECK(provider_find("ftp") == NULL);
	CHECK(provider_find(NULL) == NULL);
	CHECK_STR(outcome_name(OUTCOME_OK), "ok");
	CHECK_STR(outcome_name(OUTCOME_THROTTLED), "throttled");
}

static const char *find_header(const struct http_request *req, const char *prefix)
{
	for (int i = 0; i < req->nheaders; i++) {
		if (strncmp(req->headers[i], prefix, strlen(prefix)) == 0)
			return req->headers[i] + strlen(prefix);
	}
	return NULL;
}

static void expect_signature(const char *secret, const struct http_request *req)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	unsigned char mac[32];
	char want[80] = "sha256=";

	mbedtls_md_hmac(md, (const unsigned char *)secret, strlen(secret),
			(const unsigned char *)req->body, req->body_len, mac);
	for (int i = 0; i < 32; i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", mac[i]);
	CHECK_STR(find_header(req, "X-Gateway-Signature: "), want);
}

TEST(webhook_build)
{
	const struct provider_ops *ops = provider_find("webhook");
	struct provider_config cfg = webhook_cfg("http://127.0.0.1:9/hook", "s3cret");
	struct prov_msg m = sample_msg();
	struct http_request req;
	struct err e = { 0 };
	void *st = NULL;
	json_t *root;

	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	CHECK_INT(ops->build(st, &m, 1, &req, &e), 0);
	CHECK_STR(req.method, "POST");
	CHECK_STR(req.url, "http://127.0.0.1:9/hook");
	CHECK_INT(req.timeout_ms, 1234);
	CHECK_STR(find_header(&req, "Content-Type: "), "application/json");
	CHECK_STR(find_header(&req, "X-Gateway-Message-Id: "), "42");
	CHECK_INT(req.body_len, strlen(req.body));
	expect_signature("s3cret", &req);
	root = json_loadb(req.body, req.body_len, 0, NULL);
	CHECK(root != NULL);
	CHECK_STR(json_string_value(json_object_get(root, "id")), "42");
	CHECK_INT(json_integer_value(json_object_get(root, "notice_id")), 7);
	CHECK_STR(json_string_value(json_object_get(root, "channel")), "sms");
	CHECK_STR(json_string_value(json_object_get(root, "kind")), "planned");
	CHECK_STR(json_string_value(json_object_get(root, "to")), PHONE);
	CHECK_STR(json_string_value(json_object_get(root, "text")), TEXT);
	json_decref(root);
	http_request_cleanup(&req);
	CHECK(req.body == NULL);

	/* Two messages per request are refused; so is text that is not UTF-8. */
	CHECK(ops->build(st, (struct prov_msg[]){ m, m }, 2, &req, &e) < 0);
	m.text = "bad \xff byte";
	CHECK_INT(ops->build(st, &m, 1, &req, &e), ERR_INVALID);
	CHECK(strstr(e.msg, PHONE) == NULL);
	ops->destroy(st);

	/* An empty secret still signs (HMAC with an empty key). */
	cfg = webhook_cfg("https://example.invalid/x", "");
	m = sample_msg();
	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	CHECK_INT(ops->build(st, &m, 1, &req, &e), 0);
	expect_signature("", &req);
	http_request_cleanup(&req);
	ops->destroy(st);

	cfg = webhook_cfg("ftp://example.invalid/x", "k");
	CHECK_INT(ops->create(&cfg, &st, &e), ERR_INVALID);
}

struct case_row {
	long status;
	const char *body;
	int transport_error, timed_out, retry_after_ms;
	const char *error;
	enum outcome want;
	const char *reason;
	const char *ref;
	int want_retry_after;
};

static const struct case_row cases[] = {
	{ 200, "{\"id\":\"abc-1\"}", 0, 0, 0, "", OUTCOME_OK, "", "abc-1", 0 },
	{ 201, "{\"message_id\":\"m-9\",\"x\":1}", 0, 0, 0, "", OUTCOME_OK, "", "m-9", 0 },
	{ 200, "", 0, 0, 0, "", OUTCOME_OK, "", "", 0 },
	{ 200, NULL, 0, 0, 0, "", OUTCOME_OK, "", "", 0 },
	{ 200, "<html>ok</html>", 0, 0, 0, "", OUTCOME_OK, "", "", 0 },
	{ 200, "{\"id\":", 0, 0, 0, "", OUTCOME_OK, "", "", 0 },
	{ 429, "{\"error\":\"slow down\"}", 0, 0, 7000, "", OUTCOME_THROTTLED, "HTTP 429", "",
	  7000 },
	{ 429, "", 0, 0, 0, "", OUTCOME_THROTTLED, "HTTP 429", "", 0 },
	{ 500, "oops", 0, 0, 0, "", OUTCOME_RETRY, "HTTP 500", "", 0 },
	{ 503, "", 0, 0, 0, "", OUTCOME_RETRY, "HTTP 503", "", 0 },
	{ 408, "", 0, 0, 0, "", OUTCOME_RETRY, "HTTP 408", "", 0 },
	{ 400, "{\"error\":\"template not approved\"}", 0, 0, 0, "", OUTCOME_PERMANENT,
	  "HTTP 400: template not approved", "", 0 },
	{ 422, "{\"error\":{\"code\":3,\"message\":\"bad\\nnumber\"}}", 0, 0, 0, "",
	  OUTCOME_PERMANENT, "HTTP 422: bad number", "", 0 },
	{ 404, "Not Found\r\n", 0, 0, 0, "", OUTCOME_PERMANENT, "HTTP 404: Not Found", "", 0 },
	{ 400, "", 0, 0, 0, "", OUTCOME_PERMANENT, "HTTP 400", "", 0 },
	{ 400, "\xff\xfe bad \x01 input", 0, 0, 0, "", OUTCOME_PERMANENT, "HTTP 400: ?? bad input",
	  "", 0 },
	{ 302, "", 0, 0, 0, "", OUTCOME_PERMANENT,
	  "HTTP 302: redirects are not followed; set url to the final address", "", 0 },
	{ 0, NULL, 28, 1, 0, "Operation timed out after 1234 milliseconds with 0 bytes received",
	  OUTCOME_RETRY, "timeout after 1234 ms", "", 0 },
	{ 0, NULL, 7, 0, 0, "Failed to connect to 127.0.0.1 port 9: Connection refused",
	  OUTCOME_RETRY, "Failed to connect to 127.0.0.1 port 9: Connection refused", "", 0 },
};

static void classify_one(void *st, long status, const char *body, struct prov_result *r)
{
	const struct provider_ops *ops = provider_find("webhook");
	struct prov_msg m = sample_msg();
	struct http_response resp = { .status = status,
				      .body = (char *)body,
				      .body_len = body ? strlen(body) : 0 };

	ops->classify(st, &resp, &m, 1, r);
}

TEST(webhook_classify)
{
	const struct provider_ops *ops = provider_find("webhook");
	struct provider_config cfg = webhook_cfg("http://127.0.0.1:9/hook", "k");
	struct prov_msg m = sample_msg();
	struct err e = { 0 };
	void *st = NULL;

	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_row *c = &cases[i];
		struct http_response resp = {
			.transport_error = c->transport_error,
			.timed_out = c->timed_out,
			.status = c->status,
			.retry_after_ms = c->retry_after_ms,
			.body = (char *)c->body,
			.body_len = c->body ? strlen(c->body) : 0,
		};
		struct prov_result r;

		snprintf(resp.error, sizeof(resp.error), "%s", c->error);
		memset(&r, 0x55, sizeof(r));
		ops->classify(st, &resp, &m, 1, &r);
		if (r.outcome != c->want || strcmp(r.reason, c->reason) != 0)
			fprintf(stderr, "  case %zu (HTTP %ld)\n", i, c->status);
		CHECK_INT(r.outcome, c->want);
		CHECK_STR(r.reason, c->reason);
		CHECK_STR(r.ref, c->ref);
		CHECK_INT(r.retry_after_ms, c->want_retry_after);
	}
	ops->destroy(st);
}

TEST(webhook_reason_redaction)
{
	const struct provider_ops *ops = provider_find("webhook");
	struct provider_config cfg = webhook_cfg("http://127.0.0.1:9/hook", "k");
	struct prov_result r;
	struct err e = { 0 };
	void *st = NULL;
	char body[1024];

	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	classify_one(st, 400, "{\"error\":\"number 13800138000 is blocked\"}", &r);
	CHECK_STR(r.reason, "HTTP 400: number [to] is blocked");
	classify_one(st, 400, "{\"error\":{\"message\":\"bad +8613800138001\"}}", &r);
	CHECK_STR(r.reason, "HTTP 400: bad +*********8001");
	snprintf(body, sizeof(body), "{\"error\":\"text too long: %s\"}",
		 "【幸福水务】尊敬的用户，明日 08:00-18:00 停水 \\\"检修\\\"\\n请储");
	classify_one(st, 400, body, &r);
	CHECK_STR(r.reason, "HTTP 400: text too long: [text]");
	snprintf(body, sizeof(body), "rejected %s because", TEXT);
	classify_one(st, 400, body, &r);
	CHECK_STR(r.reason, "HTTP 400: rejected [text] because");
	/* A plain body is quoted to 80 characters, whole UTF-8 characters only. */
	memset(body, 0, sizeof(body));
	for (int i = 0; i < 100; i++)
		strcat(body, "错");
	classify_one(st, 404, body, &r);
	CHECK(strlen(r.reason) < sizeof(r.reason));
	CHECK_INT((strlen(r.reason) - strlen("HTTP 404: ")) % 3, 0);
	memset(body, 'x', 100);
	body[100] = '\0';
	classify_one(st, 404, body, &r);
	CHECK_INT(strlen(r.reason), strlen("HTTP 404: ") + 80);
	/* A number cut by the end of the reason is not left half visible. */
	memset(body, 0, sizeof(body));
	strcpy(body, "{\"error\":\"");
	memset(body + strlen(body), 'a', 140);
	strcat(body, PHONE);
	strcat(body, " tail\"}");
	classify_one(st, 400, body, &r);
	CHECK(strstr(r.reason, "aaaa") != NULL);
	CHECK(strstr(r.reason, "138") == NULL);
	CHECK(strstr(r.reason, "tail") == NULL);
	ops->destroy(st);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void check_line(const char *line, size_t len, int64_t id, const char *text)
{
	json_t *o = json_loadb(line, len, 0, NULL);

	CHECK(o != NULL);
	CHECK_INT(json_integer_value(json_object_get(o, "ts_ms")), 1795365858711LL);
	CHECK_INT(json_integer_value(json_object_get(o, "id")), id);
	CHECK_INT(json_integer_value(json_object_get(o, "notice_id")), 7);
	CHECK_STR(json_string_value(json_object_get(o, "channel")), "sms");
	CHECK_STR(json_string_value(json_object_get(o, "kind")), "planned");
	CHECK_STR(json_string_value(json_object_get(o, "to")), PHONE);
	CHECK_STR(json_string_value(json_object_get(o, "text")), text);
	json_decref(o);
}

/* tls_verify = off in a provider's section reaches its requests, and only then. */
TEST(tls_verify_reaches_requests)
{
	static const char *const types[] = { "webhook", "wecom", "aliyun", "tencent" };
	struct provider_config cfg = webhook_cfg("https://127.0.0.1:9/hook", "k");
	struct prov_msg m = sample_msg();
	struct http_request req;
	struct err e = { 0 };

	snprintf(cfg.key_id, sizeof(cfg.key_id), "id");
	snprintf(cfg.sign_name, sizeof(cfg.sign_name), "幸福水务");
	snprintf(cfg.app_id, sizeof(cfg.app_id), "1400006666");
	snprintf(cfg.endpoint, sizeof(cfg.endpoint), "https://127.0.0.1:9/");
	snprintf(cfg.templates[0].kind, sizeof(cfg.templates[0].kind), "planned");
	snprintf(cfg.templates[0].id, sizeof(cfg.templates[0].id), "T1");
	cfg.ntemplates = 1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct provider_ops *ops = provider_find(types[i]);

		for (int verify = 0; ops != NULL && verify <= 1; verify++) {
			void *st = NULL;

			cfg.tls_verify = verify;
			memset(&req, 0x55, sizeof(req));
			req.body = NULL;
			CHECK_INT(ops->create(&cfg, &st, &e), 0);
			CHECK_INT(ops->build(st, &m, 1, &req, &e), 0);
			if (req.insecure != !verify)
				fprintf(stderr, "  %s with tls_verify %d\n", types[i], verify);
			CHECK_INT(req.insecure, !verify);
			http_request_cleanup(&req);
			ops->destroy(st);
		}
	}
	memset(&req, 0x55, sizeof(req));
	http_request_init(&req, "GET", "https://example.com/");
	CHECK_INT(req.insecure, 0);
}

TEST(file_provider)
{
	const struct provider_ops *ops = provider_find("file");
	struct provider_config cfg;
	struct prov_msg m[3] = { sample_msg(), sample_msg(), sample_msg() };
	struct prov_result r[3];
	char dir[] = "/tmp/test_providers.XXXXXX";
	struct err e = { 0 };
	struct stat sb;
	const int64_t ids[3] = { 42, 43, 42 };
	const char *texts[3] = { TEXT, "second", TEXT };
	void *st = NULL;
	int lines = 0;
	char *data;

	CHECK(mkdtemp(dir) != NULL);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "phone");
	CHECK_INT(ops->create(&cfg, &st, &e), ERR_INVALID);
	snprintf(cfg.path, sizeof(cfg.path), "%s/phone.jsonl", dir);
	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	m[1].id = 43;
	m[1].text = "second";
	m[2].id = 44;
	m[2].text = "not \xc3 utf-8";
	CHECK_INT(ops->deliver(st, m, 3, r), 0);
	CHECK_INT(r[0].outcome, OUTCOME_OK);
	CHECK_INT(r[1].outcome, OUTCOME_OK);
	CHECK_INT(r[2].outcome, OUTCOME_PERMANENT);
	CHECK(strstr(r[2].reason, "UTF-8") != NULL);
	CHECK_INT(ops->deliver(st, m, 1, r), 0);
	CHECK_INT(r[0].outcome, OUTCOME_OK);
	data = read_all(cfg.path);
	CHECK(data != NULL);
	while (data != NULL && *data != '\0') {
		char *nl = strchr(data, '\n');

		CHECK(nl != NULL && lines < 3);
		if (nl == NULL || lines >= 3)
			break;
		check_line(data, (size_t)(nl - data), ids[lines], texts[lines]);
		lines++;
		data = nl + 1;
	}
	CHECK_INT(lines, 3);
	CHECK_INT(stat(cfg.path, &sb), 0);
	CHECK_INT(sb.st_mode & 0137, 0);
	CHECK_INT(unlink(cfg.path), 0);
	ops->destroy(st);

	/* A missing directory is a RETRY with the system's words, not a crash. */
	snprintf(cfg.path, sizeof(cfg.path), "%s/missing/phone.jsonl", dir);
	CHECK_INT(ops->create(&cfg, &st, &e), 0);
	CHECK_INT(ops->deliver(st, m, 2, r), 0);
	CHECK_INT(r[0].outcome, OUTCOME_RETRY);
	CHECK_INT(r[1].outcome, OUTCOME_RETRY);
	CHECK_STR(r[1].reason, "cannot append to the messages file: No such file or directory");
	ops->destroy(st);
	CHECK_INT(rmdir(dir), 0);
}

/* --- a tiny HTTP/1.1 server for http_client ------------------------------------------ */

struct srv {
	int lfd;
	int port;
	const char *resp;
	size_t resp_len;
	int want; /* requests to answer before the thread ends */
	int served;
	int accepts;
	char first[4096];
	pthread_t th;
};

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	static char buf[65536]; /* one server thread at a time */

	while (s->served < s->want && wait_readable(s->lfd) == 0) {
		int fd = accept(s->lfd, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			break;
		s->accepts++;
		while (s->served < s->want && (n = read_request(fd, buf, sizeof(buf))) > 0) {
			if (s->served == 0)
				snprintf(s->first, sizeof(s->first), "%.*s", (int)n, buf);
			if (write_all(fd, s->resp, s->resp_len) < 0)
				break;
			s->served++;
		}
		close(fd);
	}
	return NULL;
}

static int srv_start(struct srv *s, const char *resp, size_t len, int want)
{
	memset(s, 0, sizeof(*s));
	s->resp = resp;
	s->resp_len = len;
	s->want = want;
	s->lfd = listen_any(&s->port);
	if (s->lfd < 0)
		return -1;
	if (pthread_create(&s->th, NULL, srv_main, s) != 0) {
		close(s->lfd);
		return -1;
	}
	return 0;
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

struct done_log {
	int n;
	int order[8];
	long status[8];
	int retry_after[8];
	int timed_out[8];
	int transport_error[8];
	char body[8][64];
};

static void on_done(void *tag, struct http_response *resp, void *arg)
{
	struct done_log *d = arg;
	int i = d->n++;

	d->order[i] = *(int *)tag;
	d->status[i] = resp->status;
	d->retry_after[i] = resp->retry_after_ms;
	d->timed_out[i] = resp->timed_out;
	d->transport_error[i] = resp->transport_error;
	snprintf(d->body[i], sizeof(d->body[i]), "%s", resp->body ? resp->body : "(null)");
}

static void run_until_idle(struct http_client *c, struct done_log *d)
{
	int64_t deadline = clock_mono_ms() + 3000;

	while (http_client_inflight(c) > 0 && clock_mono_ms() < deadline)
		http_client_poll(c, 100, on_done, d);
}

static const char OK_RESP[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
			      "Retry-After: 7\r\n\r\n{\"id\":\"abc\"}";

TEST(http_multi_keepalive)
{
	struct srv s;
	struct http_client *c = NULL;
	struct http_request req;
	struct done_log d = { 0 };
	struct err e = { 0 };
	int tags[5] = { 0, 1, 2, 3, 4 };
	char url[64];

	CHECK_INT(srv_start(&s, OK_RESP, strlen(OK_RESP), 5), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s.port);
	CHECK_INT(http_client_new(1, &c, &e), 0);
	for (int i = 0; i < 5; i++) {
		http_request_init(&req, i == 4 ? "GET" : "POST", url);
		CHECK_INT(http_request_header(&req, "X-Test", "1"), 0);
		if (i < 4) {
			req.body = strdup("{\"n\":1}");
			req.body_len = strlen(req.body);
		}
		req.timeout_ms = 2000;
		CHECK_INT(http_client_start(c, &req, &tags[i], &e), 0);
		CHECK(req.body == NULL);
	}
	CHECK_INT(http_client_inflight(c), 5);
	run_until_idle(c, &d);
	CHECK_INT(d.n, 5);
	for (int i = 0; i < d.n; i++) {
		CHECK_INT(d.status[i], 200);
		CHECK_INT(d.retry_after[i], 7000);
		CHECK_STR(d.body[i], "{\"id\":\"abc\"}");
	}
	http_client_free(c);
	srv_stop(&s);
	CHECK_INT(s.served, 5);
	CHECK_INT(s.accepts, 1);
	CHECK(strstr(s.first, "X-Test: 1\r\n") != NULL);
	CHECK(strstr(s.first, "\r\n\r\n{\"n\":1}") != NULL);
	CHECK(strstr(s.first, "Expect") == NULL);
}

TEST(http_fetch_big_body)
{
	const size_t big = 1536 * 1024;
	char head[128];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\n\r\n", big);
	char *resp_text = malloc((size_t)hl + big);
	struct http_response resp = { 0 };
	struct http_request req;
	struct err e = { 0 };
	struct srv s;
	char url[64];

	memcpy(resp_text, head, (size_t)hl);
	memset(resp_text + hl, 'x', big);
	CHECK_INT(srv_start(&s, resp_text, (size_t)hl + big, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	http_request_init(&req, "GET", url);
	CHECK_INT(http_fetch(&req, &resp, &e), 0);
	CHECK_INT(resp.transport_error, 0);
	CHECK_INT(resp.status, 404);
	CHECK_INT(resp.body_len, 1024 * 1024);
	CHECK(resp.body != NULL && resp.body[resp.body_len] == '\0');
	http_response_cleanup(&resp);
	srv_stop(&s);
	free(resp_text);
}

TEST(http_refused_and_timeout)
{
	struct http_response resp = { 0 };
	struct http_client *c = NULL;
	struct http_request req;
	struct done_log d = { 0 };
	struct err e = { 0 };
	int port, tag = 0, fd;
	int64_t t0;
	char url[64];

	/* A port that was free a moment ago refuses. */
	fd = listen_any(&port);
	CHECK(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	http_request_init(&req, "POST", url);
	CHECK_INT(http_fetch(&req, &resp, &e), 0);
	CHECK(resp.transport_error != 0);
	CHECK_INT(resp.timed_out, 0);
	CHECK_INT(resp.status, 0);
	CHECK(resp.error[0] != '\0');
	http_response_cleanup(&resp);

	/* A listener that never answers times out. */
	fd = listen_any(&port);
	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	CHECK_INT(http_client_new(4, &c, &e), 0);
	http_request_init(&req, "GET", url);
	req.timeout_ms = 300;
	CHECK_INT(http_client_start(c, &req, &tag, &e), 0);
	t0 = clock_mono_ms();
	run_until_idle(c, &d);
	CHECK_INT(d.n, 1);
	CHECK_INT(d.timed_out[0], 1);
	CHECK(d.transport_error[0] != 0);
	CHECK_INT(d.status[0], 0);
	CHECK(clock_mono_ms() - t0 < 1500);
	/* Freeing the client with a transfer in flight aborts it cleanly. */
	CHECK_INT(http_client_start(c, &req, &tag, &e), 0);
	http_client_poll(c, 10, on_done, &d);
	http_client_free(c);
	close(fd);
	CHECK_INT(http_request_header(&req, "Bad", "a\r\nInjected: 1"), ERR_INVALID);
}

int main(void)
{
	RUN(find);
	RUN(webhook_build);
	RUN(webhook_classify);
	RUN(webhook_reason_redaction);
	RUN(tls_verify_reaches_requests);
	RUN(file_provider);
	RUN(http_multi_keepalive);
	RUN(http_fetch_big_body);
	RUN(http_refused_and_timeout);
	return TEST_END();
}
