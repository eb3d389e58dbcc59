/* test_tracking: the public side of a case. Fresh tokens (length, alphabet, no repeats), the
 * tokens refused, the lookup hash; the limiter's bucket on a fake clock (burst, refill,
 * clients apart, a clock stepping back, many clients, threads counting exactly); and the
 * page rendered from views: every field in its place, hostile text escaped, the late and
 * provisional marks, the follow link only when safe, nothing unmasked, and views with
 * fields missing or of the wrong type. */
#include "tracking.h"

#include "test.h"

#include <pthread.h>
#include <stdlib.h>

#define PAGE_URL "/t/AbC-_xYz0123456789abcdEF/qr.svg" /* the QR image of the page */

TEST(test_token_new)
{
	static char toks[1000][TRACK_TOKEN_LEN + 1];
	struct err e = { 0 };
	int dup = 0, bad = 0;

	for (int i = 0; i < 1000; i++) {
		CHECK_INT(tracking_token_new(toks[i], &e), 0);
		bad += strlen(toks[i]) != TRACK_TOKEN_LEN || !tracking_token_valid(toks[i]);
	}
	CHECK_INT(bad, 0);
	for (int i = 0; i < 1000; i++)
		for (int j = i + 1; j < 1000; j++)
			dup += strcmp(toks[i], toks[j]) == 0;
	CHECK_INT(dup, 0);
}

TEST(test_token_valid)
{
	CHECK(tracking_token_valid("AbC-_xYz0123456789abcdEF"));
	CHECK(tracking_token_valid("________________________"));
	CHECK(!tracking_token_valid("AbC-_xYz0123456789abcdE")); /* 23 */
	CHECK(!tracking_token_valid("AbC-_xYz0123456789abcdEFG")); /* 25 */
	CHECK(!tracking_token_valid("AbC+_xYz0123456789abcdEF"));
	CHECK(!tracking_token_valid("AbC/_xYz0123456789abcdEF"));
	CHECK(!tracking_token_valid("AbC-_xYz0123456789abcdE="));
	CHECK(!tracking_token_valid("AbC-_xYz0123456789abcd\xc3\xa9")); /* é: 24 bytes */
	CHECK(!tracking_token_valid("AbC-_xYz 123456789abcdEF"));
	CHECK(!tracking_token_valid(""));
	CHECK(!tracking_token_valid(NULL));
}

TEST(test_token_hash)
{
	char a[65], b[65], c[65];
	int hex = 0;

	tracking_token_hash("AbC-_xYz0123456789abcdEF", a);
	tracking_token_hash("AbC-_xYz0123456789abcdEF", b);
	tracking_token_hash("AbC-_xYz0123456789abcdEf", c);
	CHECK_INT(strlen(a), 64);
	for (int i = 0; i < 64; i++)
		hex += (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f');
	CHECK_INT(hex, 64);
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	/* SHA-256 of "abc", the FIPS 180-2 example. */
	tracking_token_hash("abc", a);
	CHECK_STR(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(test_limiter_bucket)
{
	struct tracking_limiter *l = tracking_limiter_new(60);
	int allowed = 0;

	for (int i = 0; i < 60; i++)
		allowed += tracking_limiter_allow(l, "10.0.0.1", 5000);
	CHECK_INT(allowed, 60);
	CHECK(!tracking_limiter_allow(l, "10.0.0.1", 5000));
	CHECK(!tracking_limiter_allow(l, "10.0.0.1", 5999)); /* 0.999 of a request refilled */
	CHECK(tracking_limiter_allow(l, "10.0.0.1", 6000));
	CHECK(!tracking_limiter_allow(l, "10.0.0.1", 6000));
	CHECK(tracking_limiter_allow(l, "10.0.0.2", 6000)); /* another client */
	CHECK(tracking_limiter_allow(l, "::1", 6000));
	/* A clock stepping back refills nothing and does not move the refill time back. */
	CHECK(!tracking_limiter_allow(l, "10.0.0.1", 1000));
	CHECK(tracking_limiter_allow(l, "10.0.0.1", 7000));
	/* After a long quiet the bucket is full again, but no fuller than the burst. */
	allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += tracking_limiter_allow(l, "10.0.0.1", 10LL * 60 * 60 * 1000);
	CHECK_INT(allowed, 60);
	tracking_limiter_free(l);
	tracking_limiter_free(NULL);
}

TEST(test_limiter_unlimited)
{
	struct tracking_limiter *l = tracking_limiter_new(0);
	int allowed = 0;

	for (int i = 0; i < 10000; i++)
		allowed += tracking_limiter_allow(l, "10.0.0.1", 1);
	CHECK_INT(allowed, 10000);
	tracking_limiter_free(l);
}

/* More clients than the table holds: the long-quiet ones are forgotten (and so start with a
 * full bucket again), while clients seen lately, and one that keeps asking, are remembered. */
TEST(test_limiter_many_clients)
{
	struct tracking_limiter *l = tracking_limiter_new(1);
	char addr[64];
	int allowed = 0, busy = 0;

	CHECK(tracking_limiter_allow(l, "busy", 0));
	for (int i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		allowed += tracking_limiter_allow(l, addr, 1 + i);
		busy += tracking_limiter_allow(l, "busy", 1 + i);
	}
	CHECK_INT(allowed, 20000);
	CHECK_INT(busy, 0); /* 20 s refill less than the one request a minute */
	CHECK(tracking_limiter_allow(l, "2001:db8::0", 20001)); /* forgotten */
	CHECK(!tracking_limiter_allow(l, addr, 20001)); /* the last one is remembered */
	tracking_limiter_free(l);
}

#define HAMMER_THREADS 4
#define HAMMER_CALLS 50000
#define HAMMER_BURST 100000

struct hammer {
	struct tracking_limiter *l;
	pthread_barrier_t *go;
	int allowed;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;

	pthread_barrier_wait(h->go);
	for (int i = 0; i < HAMMER_CALLS; i++)
		h->allowed += tracking_limiter_allow(h->l, "198.51.100.7", 42);
	return NULL;
}

/* Threads on one client at one instant, started together: exactly the burst gets through. */
TEST(test_limiter_threads)
{
	struct tracking_limiter *l = tracking_limiter_new(HAMMER_BURST);
	struct hammer h[HAMMER_THREADS];
	pthread_t t[HAMMER_THREADS];
	pthread_barrier_t go;
	int total = 0;

	pthread_barrier_init(&go, NULL, HAMMER_THREADS);
	for (int i = 0; i < HAMMER_THREADS; i++) {
		h[i] = (struct hammer){ .l = l, .go = &go };
		CHECK_INT(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
	}
	for (int i = 0; i < HAMMER_THREADS; i++) {
		pthread_join(t[i], NULL);
		total += h[i].allowed;
	}
	CHECK_INT(total, HAMMER_BURST);
	pthread_barrier_destroy(&go);
	tracking_limiter_free(l);
}

static const char full_view[] =
	"{\"number\":\"202611-00042\",\"kind\":\"repair\",\"kind_label\":\"报修\","
	"\"category\":\"leak\",\"category_label\":\"漏水\",\"status\":\"dispatched\","
	"\"status_label\":\"已派单\",\"closed\":false,\"department\":\"管网部\","
	"\"area\":\"幸福小区\",\"complainant\":{\"name\":\"张*\",\"mobile\":\"138****1234\"},"
	"\"mobile_raw\":\"13812341234\","
	"\"created_at\":\"2026-11-20T09:30:00+08:00\",\"promised_at\":\"2026-11-20T13:30:00+08:00\","
	"\"provisional\":false,\"late\":false,\"promises\":[{\"clock\":\"on_site\","
	"\"label\":\"到达现场\",\"due_at\":\"2026-11-20T11:30:00+08:00\",\"met_at\":null,"
	"\"late\":false},{\"clock\":\"reply\",\"label\":\"电话回复\","
	"\"due_at\":\"2026-11-20T10:00:00+08:00\",\"met_at\":\"2026-11-20T09:45:00+08:00\","
	"\"late\":false}],\"history\":[{\"at\":\"2026-11-20T09:30:00+08:00\","
	"\"status\":\"received\",\"status_label\":\"已登记\",\"note\":null},"
	"{\"at\":\"2026-11-20T09:41:00+08:00\",\"status\":\"dispatched\","
	"\"status_label\":\"已派单\",\"note\":\"维修人员正在赶来\"}],"
	"\"hotline\":\"96116\",\"company\":\"幸福水务\",\"wechat_follow\":null}";

/* Renders the full view with fields replaced by those of patch (JSON text). */
static char *render(const char *patch, const char *url)
{
	json_t *v = json_loads(full_view, 0, NULL), *p = json_loads(patch, 0, NULL);
	char *html = NULL;
	struct err e = { 0 };

	CHECK(v != NULL && p != NULL);
	json_object_update(v, p);
	CHECK_INT(tracking_page_html(v, url, &html, &e), 0);
	json_decref(v);
	json_decref(p);
	return html ? html : strdup("");
}

/* Whether the page has "138" followed by 8 more digits anywhere. */
static bool has_full_mobile(const char *s)
{
	for (const char *p = strstr(s, "138"); p; p = strstr(p + 1, "138")) {
		int n = 0;

		while (n < 8 && p[3 + n] >= '0' && p[3 + n] <= '9')
			n++;
		if (n == 8)
			return true;
	}
	return false;
}

TEST(test_page_full)
{
	char *h = render("{}", PAGE_URL);
	const char *newest = strstr(h, "维修人员正在赶来"), *oldest = strstr(h, "已登记");

	CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(h, "lang=\"zh-CN\"") != NULL);
	CHECK(strstr(h, "content=\"width=device-width,initial-scale=1\"") != NULL);
	CHECK(strstr(h, "<script") == NULL && strstr(h, "<link") == NULL);
	CHECK(strstr(h, "幸福水务") && strstr(h, "工单进度查询"));
	CHECK(strstr(h, "202611-00042") && strstr(h, "报修") && strstr(h, "漏水"));
	CHECK(strstr(h, "已派单") && strstr(h, "管网部") && strstr(h, "幸福小区"));
	CHECK(strstr(h, "张* 138****1234") != NULL);
	CHECK(!has_full_mobile(h)); /* mobile_raw is not a field of the page */
	CHECK(strstr(h, "2026-11-20 09:30") && strstr(h, "2026-11-20 13:30"));
	CHECK(strstr(h, "（暂定）") == NULL && strstr(h, "已超时") == NULL);
	CHECK(strstr(h, "到达现场") && strstr(h, "进行中") && strstr(h, "已完成"));
	CHECK(strstr(h, "11-20 11:30") && strstr(h, "11-20 09:41"));
	CHECK(newest && oldest && newest < strstr(h, "11-20 09:30</span>已登记"));
	CHECK(strstr(h, "服务热线 <a href=\"tel:96116\">96116</a>") != NULL);
	CHECK(strstr(h, "关注公众号") == NULL);
	CHECK(strstr(h,
		     "<img width=\"180\" height=\"180\" alt=\"本页二维码\" src=\"" PAGE_URL
		     "\">") &&
	      strstr(h, "扫码查看进度"));
	CHECK(strlen(h) < 12 * 1024);
	free(h);
}

TEST(test_page_escapes)
{
	char *h =
		render("{\"category_label\":\"<script>alert(1)</script>\","
		       "\"number\":\"A&B\\\"'<>\",\"company\":\"<b>水务</b>\","
		       "\"history\":[{\"at\":\"<i>\",\"status_label\":\"<u>\",\"note\":\"x'y\"}]}",
		       PAGE_URL);

	CHECK(strstr(h, "<script") == NULL);
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(h, "A&amp;B&quot;&#39;&lt;&gt;") != NULL);
	CHECK(strstr(h, "&lt;b&gt;水务&lt;/b&gt;") != NULL);
	CHECK(strstr(h, "<span>&lt;i&gt;</span>&lt;u&gt;<p>x&#39;y</p>") != NULL);
	free(h);
}

TEST(test_page_marks)
{
	char *h =
		render("{\"late\":true,\"provisional\":true,\"area\":null,\"closed\":true,"
		       "\"promised_at\":null,\"wechat_follow\":\"/wx/follow?c=1&x=2\","
		       "\"promises\":[{\"label\":\"办结\",\"due_at\":\"2026-11-21T09:30:00+08:00\","
		       "\"met_at\":null,\"late\":true}]}",
		       PAGE_URL);

	CHECK(strstr(h, "class=\"b l\">已超时") != NULL);
	CHECK(strstr(h, "class=\"lt\">已超时") != NULL);
	CHECK(strstr(h, "—（暂定）") != NULL);
	CHECK(strstr(h, "区域") == NULL);
	CHECK(strstr(h, "class=\"b c\"") != NULL);
	CHECK(strstr(h, "<a href=\"/wx/follow?c=1&amp;x=2\">关注公众号，接收办理进度</a>") != NULL);
	free(h);
	/* A follow link that would leave the site, or run script, is left out. */
	h = render("{\"wechat_follow\":\"javascript:alert(1)\"}", PAGE_URL);
	CHECK(strstr(h, "关注公众号") == NULL && strstr(h, "javascript") == NULL);
	free(h);
	h = render("{\"wechat_follow\":\"//evil.example/x\"}", PAGE_URL);
	CHECK(strstr(h, "关注公众号") == NULL);
	free(h);
}

TEST(test_page_sparse)
{
	const char *views[] = { "{\"number\":\"202611-00001\"}",
				"{}",
				"[]",
				"7",
				"{\"number\":5,\"history\":{},\"promises\":\"x\",\"complainant\":1,"
				"\"late\":\"yes\",\"created_at\":\"2026\"}",
				"{\"history\":[null,3,{\"at\":null}],\"promises\":[null,{}]}" };
	struct err e = { 0 };

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		json_t *v = json_loads(views[i], JSON_DECODE_ANY, NULL);
		char *h = NULL;

		CHECK_INT(tracking_page_html(v, i % 2 ? NULL : PAGE_URL, &h, &e), 0);
		CHECK(h != NULL && strstr(h, "</html>") != NULL);
		CHECK(h != NULL && strstr(h, "已超时") == NULL);
		if (i == 0)
			CHECK(h != NULL && strstr(h, "202611-00001") && strstr(h, "<img"));
		free(h);
		json_decref(v);
	}
}

/* No view at all renders the empty page, and no URL no QR code. */
TEST(test_page_no_view)
{
	char *h = NULL;
	struct err e = { 0 };

	CHECK_INT(tracking_page_html(NULL, "", &h, &e), 0);
	CHECK(h != NULL && strstr(h, "<img") == NULL && strstr(h, "</html>") != NULL);
	free(h);
}

TEST(test_static_pages)
{
	CHECK(strstr(tracking_page_not_found(), "未找到该工单") != NULL);
	CHECK(strstr(tracking_page_too_many(), "请求过于频繁，请稍后再试") != NULL);
	CHECK(strstr(tracking_page_not_found(), "lang=\"zh-CN\"") != NULL);
	CHECK(strstr(tracking_page_too_many(), "</html>") != NULL);
}

int main(void)
{
	RUN(test_token_new);
	RUN(test_token_valid);
	RUN(test_token_hash);
	RUN(test_limiter_bucket);
	RUN(test_limiter_unlimited);
	RUN(test_limiter_many_clients);
	RUN(test_limiter_threads);
	RUN(test_page_full);
	RUN(test_page_escapes);
	RUN(test_page_marks);
	RUN(test_page_sparse);
	RUN(test_page_no_view);
	RUN(test_static_pages);
	return TEST_END();
}
