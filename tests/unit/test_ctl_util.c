/* Unit tests of gatewayctl's pure parts: ctl_util (times, URLs, ids, answers, option
 * errors, API error sentences, import reports, the progress line and when to print it)
 * and ctl_notice's argument parsing and preview/notice printing. No network. */
#include <stdlib.h>

#include "ctl_notice.h"
#include "ctl_util.h"
#include "test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Converts in and returns the result, or "ERR: <message>". */
static const char *iso(const char *in)
{
	static char out[600];
	char buf[CTL_TIME_LEN];
	struct err e;

	if (ctl_time_to_iso(in, CTL_LOCAL_OFFSET_MIN, buf, &e) < 0)
		snprintf(out, sizeof(out), "ERR: %s", e.msg);
	else
		snprintf(out, sizeof(out), "%s", buf);
	return out;
}

TEST(time_forms)
{
	CHECK_STR(iso("2026-11-23 09:00"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23T09:00"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23 09:00:30"), "2026-11-23T09:00:30+08:00");
	CHECK_STR(iso("2026-11-23T09:00:00+08:00"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23T09:00:00.250+08:00"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23T01:00Z"), "2026-11-23T01:00:00+00:00");
	CHECK_STR(iso("2026-11-23T09:00+0800"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23T09:00+08"), "2026-11-23T09:00:00+08:00");
	CHECK_STR(iso("2026-11-23T09:00-05:30"), "2026-11-23T09:00:00-05:30");
	CHECK_STR(iso("2028-02-29 00:00"), "2028-02-29T00:00:00+08:00");
	CHECK_STR(iso("2000-02-29 23:59:59"), "2000-02-29T23:59:59+08:00");
}

TEST(time_other_local_offset)
{
	char buf[CTL_TIME_LEN];
	struct err e;

	CHECK_INT(ctl_time_to_iso("2026-11-23 09:00", -90, buf, &e), 0);
	CHECK_STR(buf, "2026-11-23T09:00:00-01:30");
}

TEST(time_refused)
{
	static const char *const bad[] = {
		"",
		"2026-11-23",
		"2026-11-23 9:00",
		"2026-11-23  09:00",
		"2026/11/23 09:00",
		"2026-11-23 09:00 ",
		" 2026-11-23 09:00",
		"2026-11-23 09:00+08:",
		"2026-11-23 09",
		"2026-11-23T09:00:00.+08:00",
		"2026-11-23 09:00+8",
		"2026-11-23 09:00:0",
		"2026-11-23 09:00 +08:00",
		"2026-11-23x09:00",
		"26-11-23 09:00",
		"2026-11-23 09:00+08:00Z",
		"2026-11-23 09:00+08:60",
		"２０２６-11-23 09:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = iso(bad[i]);

		if (strncmp(r, "ERR: ", 5) != 0)
			fprintf(stderr, "  accepted '%s' as %s\n", bad[i], r);
		CHECK(strncmp(r, "ERR: ", 5) == 0);
	}
	CHECK(strstr(iso("2026-11-23 9:00"), "2026-11-23 09:00 (local time, +08:00)") != NULL);
	CHECK(strstr(iso("2026-11-23 9:00"), "'2026-11-23 9:00'") != NULL);
}

TEST(time_out_of_range)
{
	CHECK(strstr(iso("2026-13-01 09:00"), "the month is out of range") != NULL);
	CHECK(strstr(iso("2026-00-01 09:00"), "the month") != NULL);
	CHECK(strstr(iso("2026-02-29 09:00"), "the day is out of range") != NULL);
	CHECK(strstr(iso("1900-02-29 09:00"), "the day") != NULL);
	CHECK(strstr(iso("2026-04-31 09:00"), "the day") != NULL);
	CHECK(strstr(iso("2026-04-00 09:00"), "the day") != NULL);
	CHECK(strstr(iso("2026-11-23 24:00"), "the hour") != NULL);
	CHECK(strstr(iso("2026-11-23 23:60"), "the minute") != NULL);
	CHECK(strstr(iso("2026-11-23 23:59:60"), "the second") != NULL);
	CHECK(strstr(iso("2026-11-23 23:59+15:00"), "the offset") != NULL);
}

TEST(time_out_untouched_on_error)
{
	char buf[CTL_TIME_LEN] = "unchanged";
	struct err e;

	CHECK_INT(ctl_time_to_iso("2026-02-30 09:00", 480, buf, &e), ERR_INVALID);
	CHECK_STR(buf, "unchanged");
}

TEST(url_normalize)
{
	char out[64] = "";
	struct err e;

	CHECK_INT(ctl_url_normalize("http://127.0.0.1:8080//", out, sizeof(out), &e), 0);
	CHECK_STR(out, "http://127.0.0.1:8080");
	CHECK_INT(ctl_url_normalize("https://gw.example/base/", out, sizeof(out), &e), 0);
	CHECK_STR(out, "https://gw.example/base");
	CHECK_INT(ctl_url_normalize("127.0.0.1:8080", out, sizeof(out), &e), ERR_INVALID);
	CHECK(strstr(e.msg, "must start with http://") != NULL);
	CHECK_INT(ctl_url_normalize("http://", out, sizeof(out), &e), ERR_INVALID);
	CHECK_INT(ctl_url_normalize("http:///", out, sizeof(out), &e), ERR_INVALID);
	CHECK_INT(ctl_url_normalize("http://a b", out, sizeof(out), &e), ERR_INVALID);
	CHECK_INT(ctl_url_normalize("http://a\n", out, sizeof(out), &e), ERR_INVALID);
	CHECK_INT(ctl_url_normalize("http://0123456789", out, 12, &e), ERR_TOOBIG);
}

TEST(url_escape)
{
	char out[64];

	CHECK_INT(ctl_url_escape("1100234567", out, sizeof(out)), 0);
	CHECK_STR(out, "1100234567");
	CHECK_INT(ctl_url_escape("11/00 x?&=#", out, sizeof(out)), 0);
	CHECK_STR(out, "11%2F00%20x%3F%26%3D%23");
	CHECK_INT(ctl_url_escape("A-z._~", out, sizeof(out)), 0);
	CHECK_STR(out, "A-z._~");
	CHECK_INT(ctl_url_escape("中", out, sizeof(out)), 0);
	CHECK_STR(out, "%E4%B8%AD");
	CHECK_INT(ctl_url_escape("", out, sizeof(out)), 0);
	CHECK_STR(out, "");
	CHECK_INT(ctl_url_escape("abc", out, 4), 0);
	CHECK_INT(ctl_url_escape("abcd", out, 4), ERR_TOOBIG);
	CHECK_INT(ctl_url_escape("a/", out, 4), ERR_TOOBIG);
	CHECK_INT(ctl_url_escape("a", out, 1), ERR_TOOBIG);
}

TEST(key_usable)
{
	char big[402];

	CHECK(ctl_key_usable("gwk_0123abcd"));
	CHECK(!ctl_key_usable(""));
	CHECK(!ctl_key_usable("gwk_ab cd"));
	CHECK(!ctl_key_usable("gwk_abcd\n"));
	CHECK(!ctl_key_usable("gwk_abcd\r"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(!ctl_key_usable(big));
	big[400] = '\0';
	CHECK(ctl_key_usable(big));
}

TEST(ids_and_counts)
{
	int64_t id = -1;
	long n = -1;

	CHECK_INT(ctl_parse_id("12", &id), 0);
	CHECK_INT(id, 12);
	CHECK_INT(ctl_parse_id("9223372036854775807", &id), 0);
	CHECK_INT(id, INT64_MAX);
	id = 5;
	CHECK_INT(ctl_parse_id("9223372036854775808", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id("0", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id("-1", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id("+1", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id(" 1", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id("1x", &id), ERR_INVALID);
	CHECK_INT(ctl_parse_id("", &id), ERR_INVALID);
	CHECK_INT(id, 5);
	CHECK_INT(ctl_parse_count("0", 10, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(ctl_parse_count("10", 10, &n), 0);
	CHECK_INT(n, 10);
	CHECK_INT(ctl_parse_count("11", 10, &n), ERR_INVALID);
	CHECK_INT(n, 10);
}

TEST(answers)
{
	CHECK(ctl_answer_yes("y\n"));
	CHECK(ctl_answer_yes("Y"));
	CHECK(ctl_answer_yes("  yes \r\n"));
	CHECK(ctl_answer_yes("YES\n"));
	CHECK(!ctl_answer_yes("\n"));
	CHECK(!ctl_answer_yes(""));
	CHECK(!ctl_answer_yes("n\n"));
	CHECK(!ctl_answer_yes("yess\n"));
	CHECK(!ctl_answer_yes("ye\n"));
	CHECK(!ctl_answer_yes("y y\n"));
	CHECK(!ctl_answer_yes("是\n"));
}

TEST(option_errors)
{
	char out[128];

	ctl_opt_error(':', 'k', "--kind", out, sizeof(out));
	CHECK_STR(out, "option --kind needs a value");
	ctl_opt_error('?', 0, "--bogus", out, sizeof(out));
	CHECK_STR(out, "unknown option --bogus");
	ctl_opt_error('?', 'y', "--yes=1", out, sizeof(out));
	CHECK_STR(out, "option --yes takes no value");
	ctl_opt_error('?', 'x', "-x", out, sizeof(out));
	CHECK_STR(out, "unknown option -x");
	ctl_opt_error('?', 300, "-x", out, sizeof(out));
	CHECK_STR(out, "unknown option -?");
}

TEST(args_plain)
{
	char a0[] = "show", a1[] = "12", a2[] = "13", h[] = "--help", x[] = "--x", dd[] = "--",
	     neg[] = "-5";
	char *one[] = { a0, a1, NULL }, *two[] = { a0, a1, a2, NULL }, *none[] = { a0, NULL };
	char *help[] = { a0, h, NULL }, *bad[] = { a0, x, a1, NULL };
	char *dash[] = { a0, dd, neg, NULL };
	bool hp = true;
	struct err e;

	CHECK_INT(ctl_args_plain(ARGC(one), one, "a notice id", &hp, &e), 1);
	CHECK(!hp);
	CHECK_INT(ctl_args_plain(ARGC(two), two, "a notice id", &hp, &e), ERR_INVALID);
	CHECK_STR(e.msg, "expected only a notice id");
	CHECK_INT(ctl_args_plain(ARGC(none), none, "a notice id", &hp, &e), ERR_INVALID);
	CHECK_STR(e.msg, "missing a notice id");
	CHECK_INT(ctl_args_plain(ARGC(help), help, "a notice id", &hp, &e), 0);
	CHECK(hp);
	CHECK_INT(ctl_args_plain(ARGC(bad), bad, "a notice id", &hp, &e), ERR_INVALID);
	CHECK_STR(e.msg, "unknown option --x");
	CHECK_INT(ctl_args_plain(ARGC(dash), dash, "an account", &hp, &e), 2);
	CHECK_STR(dash[2], "-5");
}

TEST(api_errors)
{
	struct err e;

	CHECK_INT(ctl_api_error(400,
				"{\"error\":{\"code\":\"invalid\",\"message\":\"start is after "
				"end\",\"field\":\"start\"}}",
				true, &e),
		  ERR_INVALID);
	CHECK_STR(e.msg, "start is after end (field: start)");
	CHECK_STR(e.field, "start");
	CHECK_INT(ctl_api_error(404,
				"{\"error\":{\"code\":\"not_found\",\"message\":\"no notice "
				"9\",\"field\":\"\"}}",
				true, &e),
		  ERR_NOTFOUND);
	CHECK_STR(e.msg, "no notice 9");
	CHECK_INT(ctl_api_error(401, "{\"error\":{\"message\":\"missing API key\"}}", false, &e),
		  ERR_UNAUTH);
	CHECK_STR(e.msg, "missing API key; no API key was given: set GATEWAY_KEY or use --key");
	CHECK_INT(ctl_api_error(401, "{\"error\":{\"message\":\"unknown API key\"}}", true, &e),
		  ERR_UNAUTH);
	CHECK_STR(e.msg, "unknown API key");
	CHECK_INT(ctl_api_error(403, "{}", true, &e), ERR_FORBIDDEN);
	CHECK_STR(e.msg, "the gateway answered HTTP 403: {}");
	CHECK_INT(ctl_api_error(409, NULL, true, &e), ERR_CONFLICT);
	CHECK_STR(e.msg, "the gateway answered HTTP 409 with no explanation");
	CHECK_INT(ctl_api_error(413, "", true, &e), ERR_TOOBIG);
	CHECK_INT(ctl_api_error(502, "<html>Bad\x01gateway</html>\nsecond line", true, &e), ERR_IO);
	CHECK_STR(e.msg, "the gateway answered HTTP 502: <html>Bad?gateway</html>");
}

TEST(api_error_long_body_cut_on_character)
{
	char body[400];
	struct err e;
	size_t len;

	/* 199 ASCII bytes then 3-byte characters: the cut at 200 falls inside one. */
	memset(body, 'a', 199);
	for (int i = 0; i < 60; i++)
		memcpy(body + 199 + 3 * i, "中", 3);
	body[199 + 180] = '\0';
	ctl_api_error(500, body, true, &e);
	len = strlen(e.msg);
	CHECK(len > 3);
	CHECK(e.msg[len - 1] == 'a');
}

TEST(import_report)
{
	json_t *r = json_pack("{s:s,s:i,s:i,s:i,s:i,s:i}", "encoding", "gb18030", "rows", 5,
			      "created", 2, "updated", 1, "unchanged", 1, "skipped", 1);
	json_t *e1 = json_pack("{s:i,s:s,s:s}", "line", 5, "field", "手机号", "message",
			       "'1381234' is not a mobile number");
	json_t *e2 = json_pack("{s:i,s:s,s:s}", "line", 0, "field", "", "message", "no rows");
	char out[256];

	ctl_import_summary(r, out, sizeof(out));
	CHECK_STR(out, "5 rows: 2 created, 1 updated, 1 unchanged, 1 skipped (encoding gb18030)");
	json_object_del(r, "encoding");
	ctl_import_summary(r, out, sizeof(out));
	CHECK_STR(out, "5 rows: 2 created, 1 updated, 1 unchanged, 1 skipped");
	ctl_import_summary(NULL, out, sizeof(out));
	CHECK_STR(out, "0 rows: 0 created, 0 updated, 0 unchanged, 0 skipped");
	ctl_import_error_line(e1, out, sizeof(out));
	CHECK_STR(out, "line 5: 手机号: '1381234' is not a mobile number");
	ctl_import_error_line(e2, out, sizeof(out));
	CHECK_STR(out, "no rows");
	ctl_import_error_line(e1, out, 8);
	CHECK_STR(out, "line 5:");
	json_decref(r);
	json_decref(e1);
	json_decref(e2);
}

TEST(progress_line)
{
	struct ctl_progress p = {
		.queued = 4700, .sending = 70, .sent = 5000, .delivered = 200, .failed = 30
	};
	char out[256];

	CHECK_INT(ctl_progress_total(&p), 10000);
	ctl_progress_format(&p, 10, out, sizeof(out));
	CHECK_STR(out, "[#####-----] 5230/10000 sent 5200 failed 30 queued 4770");
	ctl_progress_format(&p, 0, out, sizeof(out));
	CHECK_STR(out, "5230/10000 sent 5200 failed 30 queued 4770");
	p.skipped = 3;
	p.superseded = 2;
	p.expired = 1;
	ctl_progress_format(&p, 0, out, sizeof(out));
	CHECK_STR(out,
		  "5236/10006 sent 5200 failed 30 queued 4770 skipped 3 superseded 2 "
		  "expired 1");
}

TEST(progress_bar_edges)
{
	struct ctl_progress p = { 0 };
	char out[256];

	ctl_progress_format(&p, 4, out, sizeof(out));
	CHECK_STR(out, "[####] 0/0 sent 0 failed 0 queued 0");
	p.queued = 3;
	ctl_progress_format(&p, 4, out, sizeof(out));
	CHECK_STR(out, "[----] 0/3 sent 0 failed 0 queued 3");
	p.queued = 1;
	p.sent = 999;
	/* Never full before everything is through. */
	ctl_progress_format(&p, 10, out, sizeof(out));
	CHECK_STR(out, "[#########-] 999/1000 sent 999 failed 0 queued 1");
	ctl_progress_format(&p, 500, out, sizeof(out));
	CHECK(strlen(out) > CTL_BAR_MAX + 2 && out[CTL_BAR_MAX + 1] == ']');
	ctl_progress_format(&p, 10, out, 8);
	CHECK_STR(out, "[######");
	ctl_progress_format(&p, 10, out, 1);
	CHECK_STR(out, "");
}

TEST(progress_from_json)
{
	json_t *j =
		json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "queued", 1, "sending", 2, "sent", 3,
			  "delivered", 4, "failed", 5, "skipped", 6, "superseded", 7, "expired", 8);
	struct ctl_progress p, q = { 1, 2, 3, 4, 5, 6, 7, 8 }, zero = { 0 };

	ctl_progress_from_json(j, &p);
	CHECK(ctl_progress_equal(&p, &q));
	ctl_progress_from_json(NULL, &p);
	CHECK(ctl_progress_equal(&p, &zero));
	CHECK(!ctl_progress_equal(&q, &zero));
	json_decref(j);
}

TEST(watch_printing)
{
	/* The first poll always shows. */
	CHECK(ctl_watch_should_print(true, true, false, false, 0));
	CHECK(ctl_watch_should_print(false, true, false, false, 0));
	/* Terminal: every change, at once. */
	CHECK(ctl_watch_should_print(true, false, true, false, 10));
	CHECK(!ctl_watch_should_print(true, false, false, false, 5000));
	/* Log: changes at most once a second, but the final line always. */
	CHECK(!ctl_watch_should_print(false, false, true, false, 999));
	CHECK(ctl_watch_should_print(false, false, true, false, 1000));
	CHECK(!ctl_watch_should_print(false, false, false, false, 5000));
	CHECK(ctl_watch_should_print(false, false, true, true, 10));
	CHECK(!ctl_watch_should_print(false, false, false, true, 10));
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

TEST(send_parse_full)
{
	char *argv[] = {
		"send",
		"--kind",
		"planned",
		"--utility",
		"water",
		"--area",
		"3301,3302",
		"--area",
		"3303",
		"--start",
		"2026-11-23 09:00",
		"--end",
		"2026-11-23T17:00",
		"--reason",
		"主管道更换",
		"--hotline",
		"0571-87654321",
		"--channels",
		"sms",
		"--references",
		"3",
		"--force",
		"抢修后续",
		"--yes",
		"--no-watch",
		NULL,
	};
	struct ctl_notice_opts o;
	struct err e;
	char *s;

	CHECK_INT(ctl_notice_send_parse(ARGC(argv), argv, &o, &e), 0);
	s = dump(o.body);
	CHECK_STR(
		s,
		"{\"areas\":[\"3301\",\"3302\",\"3303\"],\"channels\":[\"sms\"],"
		"\"end\":\"2026-11-23T17:00:00+08:00\",\"force\":{\"reason\":\"抢修后续\"},"
		"\"hotline\":\"0571-87654321\",\"kind\":\"planned\",\"reason\":\"主管道更换\","
		"\"references\":3,\"start\":\"2026-11-23T09:00:00+08:00\",\"utility\":\"water\"}");
	CHECK(o.yes && o.no_watch && !o.help);
	free(s);
	ctl_notice_opts_cleanup(&o);
	ctl_notice_opts_cleanup(&o);
}

TEST(send_parse_minimal)
{
	char *argv[] = { "send", "--kind=restored", "--references=12", "-y", NULL };
	struct ctl_notice_opts o;
	struct err e;
	char *s;

	CHECK_INT(ctl_notice_send_parse(ARGC(argv), argv, &o, &e), 0);
	s = dump(o.body);
	CHECK_STR(s, "{\"kind\":\"restored\",\"references\":12}");
	CHECK(o.yes && !o.no_watch);
	free(s);
	ctl_notice_opts_cleanup(&o);
}

/* Parses argv, expects a failure and returns its message. */
static const char *send_error(int argc, char **argv)
{
	static struct err e;
	struct ctl_notice_opts o = { .body = NULL };

	err_clear(&e);
	if (ctl_notice_send_parse(argc, argv, &o, &e) == 0) {
		ctl_notice_opts_cleanup(&o);
		return "(accepted)";
	}
	CHECK(o.body == NULL);
	return e.msg;
}

TEST(send_parse_errors)
{
	char *nokind[] = { "send", "--area", "1", NULL };
	char *twice[] = { "send", "--kind", "planned", "--kind", "update", NULL };
	char *badtime[] = { "send", "--kind", "planned", "--end", "2026-11-23 25:00", NULL };
	char *empty[] = { "send", "--kind", "planned", "--area", "1,,2", NULL };
	char *trail[] = { "send", "--kind", "planned", "--channels", "sms,", NULL };
	char *extra[] = { "send", "--kind", "planned", "3301", NULL };
	char *ref[] = { "send", "--kind", "update", "--references", "x3", NULL };
	char *force[] = { "send", "--kind", "planned", "--force", "", NULL };
	char *utf[] = { "send", "--kind", "planned", "--reason", "\xd6\xf7\xb9\xdc", NULL };
	char *unknown[] = { "send", "--kind", "planned", "--areas", "1", NULL };
	char *noval[] = { "send", "--kind", "planned", "--start", NULL };

	CHECK_STR(send_error(ARGC(nokind), nokind),
		  "--kind is required: planned, emergency, update, restored or cancelled");
	CHECK_STR(send_error(ARGC(twice), twice), "--kind is given twice");
	CHECK(strstr(send_error(ARGC(badtime), badtime), "--end: '2026-11-23 25:00'") != NULL);
	CHECK_STR(send_error(ARGC(empty), empty),
		  "--area has an empty or non-UTF-8 item in '1,,2'");
	CHECK(strstr(send_error(ARGC(trail), trail), "--channels has an empty") != NULL);
	CHECK_STR(send_error(ARGC(extra), extra), "unexpected argument '3301'");
	CHECK(strstr(send_error(ARGC(ref), ref), "--references 'x3' is not a notice id") != NULL);
	CHECK(strstr(send_error(ARGC(force), force), "--force needs a reason") != NULL);
	CHECK(strstr(send_error(ARGC(utf), utf), "--reason is not valid UTF-8") != NULL);
	CHECK_STR(send_error(ARGC(unknown), unknown), "unknown option --areas");
	CHECK_STR(send_error(ARGC(noval), noval), "option --start needs a value");
}

TEST(send_parse_help)
{
	char *argv[] = { "send", "--help", NULL };
	struct ctl_notice_opts o;
	struct err e;

	CHECK_INT(ctl_notice_send_parse(ARGC(argv), argv, &o, &e), 0);
	CHECK(o.help);
	ctl_notice_opts_cleanup(&o);
}

/* What print(f, j) writes. Caller frees. */
static char *capture(void (*print)(FILE *, const json_t *), const json_t *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	print(f, j);
	fclose(f);
	return buf;
}

TEST(preview_text)
{
	json_t *dry = json_loads(
		"{\"dry_run\":true,\"texts\":{\"sms\":\"【幸福水务】停水\",\"wechat\":\"停水\\n第二行\"},"
		"\"residents\":120,\"recipients\":{\"sms\":100,\"wechat\":15},"
		"\"skipped\":{\"opted_out\":3,\"no_channel\":2},\"sms_chars\":75,"
		"\"sms_parts_per_message\":2,\"sms_parts_total\":200}",
		0, NULL);
	char *s = capture(ctl_notice_print_preview, dry);

	CHECK_INT(ctl_notice_preview_recipients(dry), 115);
	CHECK(strstr(s, "SMS text (75 characters):\n    【幸福水务】停水\n") != NULL);
	CHECK(strstr(s, "WeChat text:\n    停水\n    第二行\n") != NULL);
	CHECK(strstr(s, "Recipients:  100 by SMS, 15 by WeChat\n") != NULL);
	CHECK(strstr(s, "Skipped:     3 opted out, 2 with no usable channel\n") != NULL);
	CHECK(strstr(s, "SMS parts:   2 per message, 200 in total\n") != NULL);
	free(s);
	json_decref(dry);
}

TEST(notice_text)
{
	json_t *n = json_loads(
		"{\"id\":12,\"outage_id\":7,\"references\":3,\"kind\":\"update\",\"utility\":\"water\","
		"\"areas\":[{\"code\":\"3301\",\"name\":\"上城区\"},{\"code\":\"3302\",\"name\":\"下城区\"}],"
		"\"channels\":[\"sms\",\"wechat\"],\"forced\":null,\"texts\":{\"wechat\":\"a\\nb\"},"
		"\"recipients\":10,\"progress\":{\"sent\":8,\"failed\":2},\"done\":true,"
		"\"failures\":[{\"reason\":\"HTTP 400: bad number\",\"count\":2}],\"skips\":[]}",
		0, NULL);
	char *s = capture(ctl_notice_print, n);

	CHECK(strstr(s, "notice 12: update, water (outage 7)\n") != NULL);
	CHECK(strstr(s, "  follows     notice 3\n") != NULL);
	CHECK(strstr(s, "  areas       3301 上城区; 3302 下城区\n") != NULL);
	CHECK(strstr(s, "  channels    sms, wechat\n") != NULL);
	CHECK(strstr(s, "  wechat text a\n              b\n") != NULL);
	CHECK(strstr(s, "forced") == NULL);
	CHECK(strstr(s, "  state       done\n") != NULL);
	CHECK(strstr(s, "failures:\n         2  HTTP 400: bad number\n") != NULL);
	CHECK(strstr(s, "skips") == NULL);
	free(s);
	json_decref(n);
}

int main(void)
{
	RUN(time_forms);
	RUN(time_other_local_offset);
	RUN(time_refused);
	RUN(time_out_of_range);
	RUN(time_out_untouched_on_error);
	RUN(url_normalize);
	RUN(url_escape);
	RUN(key_usable);
	RUN(ids_and_counts);
	RUN(answers);
	RUN(option_errors);
	RUN(args_plain);
	RUN(api_errors);
	RUN(api_error_long_body_cut_on_character);
	RUN(import_report);
	RUN(progress_line);
	RUN(progress_bar_edges);
	RUN(progress_from_json);
	RUN(watch_printing);
	RUN(send_parse_full);
	RUN(send_parse_minimal);
	RUN(send_parse_errors);
	RUN(send_parse_help);
	RUN(preview_text);
	RUN(notice_text);
	return TEST_END();
}
