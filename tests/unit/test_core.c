/* Unit tests of the small core modules: auth (keys, roles), timefmt (ISO times), clock
 * (fake and shifted), metrics (Prometheus text) and err. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "ini_lines.h"
#include "metrics.h"
#include "test.h"
#include "timefmt.h"

TEST(auth_keys)
{
	char key[AUTH_KEY_LEN + 1], hash[AUTH_HASH_LEN + 1], again[AUTH_HASH_LEN + 1];
	char key2[AUTH_KEY_LEN + 1], hash2[AUTH_HASH_LEN + 1];
	struct err e;

	CHECK_INT(auth_key_new(key, hash, &e), 0);
	CHECK_INT(strlen(key), AUTH_KEY_LEN);
	CHECK(strncmp(key, "gwk_", 4) == 0);
	CHECK_INT(strlen(hash), AUTH_HASH_LEN);
	auth_key_hash(key, again);
	CHECK_STR(again, hash);
	CHECK(strstr(hash, key + 4) == NULL);
	CHECK_INT(auth_key_new(key2, hash2, &e), 0);
	CHECK(strcmp(key, key2) != 0);
	/* The SHA-256 of "abc", as published in FIPS 180-2. */
	auth_key_hash("abc", again);
	CHECK_STR(again, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(auth_roles)
{
	enum role r;

	CHECK_INT(auth_role_parse("dispatcher", &r), 0);
	CHECK_INT(r, ROLE_DISPATCHER);
	CHECK(auth_role_parse("root", &r) < 0);
	CHECK_STR(auth_role_name(ROLE_AGENT), "agent");
	CHECK(auth_role_may(ROLE_ADMIN, PERM_NOTICES_SEND | PERM_AREAS_WRITE));
	CHECK(auth_role_may(ROLE_DISPATCHER, PERM_NOTICES_SEND));
	CHECK(!auth_role_may(ROLE_AGENT, PERM_NOTICES_SEND));
	CHECK(auth_role_may(ROLE_AGENT, PERM_NOTICES_READ));
	CHECK(!auth_role_may(ROLE_KIOSK, PERM_RESIDENTS_READ));
}

TEST(timefmt_parse_forms)
{
	int64_t ms = 0;
	struct err e;

	CHECK_INT(timefmt_parse("2026-11-23T09:00:00+08:00", &ms, &e), 0);
	CHECK_INT(ms, 1795395600000LL);
	CHECK_INT(timefmt_parse("2026-11-23T01:00:00Z", &ms, &e), 0);
	CHECK_INT(ms, 1795395600000LL);
	CHECK_INT(timefmt_parse("2026-11-23 09:00+0800", &ms, &e), 0);
	CHECK_INT(ms, 1795395600000LL);
	CHECK_INT(timefmt_parse("2026-11-23T09:00:00.250+08:00", &ms, &e), 0);
	CHECK_INT(ms, 1795395600000LL);
	CHECK_INT(timefmt_parse("2026-11-23T09:00:00", &ms, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "no UTC offset") != NULL);
	CHECK_INT(timefmt_parse("2026-02-30T09:00:00+08:00", &ms, &e), ERR_INVALID);
	CHECK_INT(timefmt_parse("tomorrow", &ms, &e), ERR_INVALID);
	CHECK_INT(timefmt_parse("2026-11-23T25:00:00+08:00", &ms, &e), ERR_INVALID);
	CHECK_INT(timefmt_parse("2026-11-23T09:00:00+08:00x", &ms, &e), ERR_INVALID);
}

TEST(timefmt_format)
{
	char buf[32];

	timefmt_iso(1795395600000LL, 480, buf);
	CHECK_STR(buf, "2026-11-23T09:00:00+08:00");
	timefmt_iso(1795395600000LL, -330, buf);
	CHECK_STR(buf, "2026-11-22T19:30:00-05:30");
	timefmt_cn(1795395600000LL, 480, buf);
	CHECK_STR(buf, "11月23日09:00");
	CHECK_INT(timefmt_local_minute(1795395600000LL, 480), 9 * 60);
	/* Before the epoch the minute of the day is still right. */
	CHECK_INT(timefmt_local_minute(-60000, 0), 23 * 60 + 59);
}

TEST(clock_fake_and_shifted)
{
	struct clock c;
	int64_t t;

	clock_init_fake(&c, 1000);
	CHECK_INT(clock_now_ms(&c), 1000);
	clock_advance(&c, 500);
	CHECK_INT(clock_now_ms(&c), 1500);
	clock_init_shifted(&c, 1795395600000LL);
	t = clock_now_ms(&c);
	CHECK(t >= 1795395600000LL && t < 1795395600000LL + 5000);
}

TEST(metrics_text)
{
	struct gw_config cfg;
	struct metrics *m;
	char *text;

	config_defaults(&cfg);
	snprintf(cfg.providers[0].name, sizeof(cfg.providers[0].name), "demo_sms");
	cfg.nproviders = 1;
	m = metrics_new(&cfg);
	metrics_result(m, 0, MR_SENT, 3);
	metrics_result(m, 0, MR_FAILED, 1);
	metrics_latency(m, 0, 0.02);
	metrics_http(m, "/api/v1/notices", 201);
	metrics_http(m, "/api/v1/notices", 201);
	text = metrics_render(m, 7);
	CHECK(strstr(text, "gateway_queue_depth 7\n") != NULL);
	CHECK(strstr(text, "gateway_messages_total{provider=\"demo_sms\",result=\"sent\"} 3\n"));
	CHECK(strstr(text, "gateway_messages_total{provider=\"demo_sms\",result=\"failed\"} 1\n"));
	CHECK(strstr(text,
		     "gateway_delivery_latency_seconds_bucket{provider=\"demo_sms\","
		     "le=\"0.025\"} 1\n"));
	CHECK(strstr(text,
		     "gateway_delivery_latency_seconds_bucket{provider=\"demo_sms\","
		     "le=\"0.01\"} 0\n"));
	CHECK(strstr(text,
		     "gateway_http_requests_total{route=\"/api/v1/notices\","
		     "status=\"201\"} 2\n"));
	free(text);
	metrics_free(m);
}

TEST(err_values)
{
	struct err e;

	CHECK_INT(err_set(&e, ERR_INVALID, "start", "bad %d", 7), ERR_INVALID);
	CHECK_STR(e.field, "start");
	CHECK_STR(e.msg, "bad 7");
	CHECK_STR(err_code_name(ERR_CONFLICT), "conflict");
	CHECK_INT(err_set(NULL, ERR_IO, NULL, "x"), ERR_IO);
}

TEST(ini_lines_walk)
{
	static const char text[] = "\xEF\xBB\xBF[a]\r\n  key = v  \n; a comment\n\n# another\nlast";
	struct ini_lines r;
	const char *p;
	size_t n;

	ini_lines_init(&r, text, sizeof(text) - 1);
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK(n == 3 && memcmp(p, "[a]", 3) == 0); /* BOM and CR gone */
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK(n == 7 && memcmp(p, "key = v", 7) == 0);
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK_INT(n, 0); /* comment */
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK_INT(n, 0); /* blank */
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK_INT(n, 0);
	CHECK_INT(ini_lines_next(&r, &p, &n), 1);
	CHECK(n == 4 && memcmp(p, "last", 4) == 0); /* no final newline */
	CHECK_INT(r.line, 6);
	CHECK_INT(ini_lines_next(&r, &p, &n), 0);
}

int main(void)
{
	RUN(ini_lines_walk);
	RUN(auth_keys);
	RUN(auth_roles);
	RUN(timefmt_parse_forms);
	RUN(timefmt_format);
	RUN(clock_fake_and_shifted);
	RUN(metrics_text);
	RUN(err_values);
	return TEST_END();
}
