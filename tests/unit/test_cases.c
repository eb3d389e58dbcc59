/* test_cases: the case module on a fake clock against a real SQLite database in a mkdtemp
 * folder, with config/cases.ini, config/calendar.ini and templates/. Escalation timing to
 * the millisecond (nothing before 80 %, one warning at it, one breach alert to department
 * and leaders at 100 %, nothing twice), cluster and repeat detection reported once per
 * cluster, a new cluster after a quiet window, the masking of group alerts and the public
 * view, and the customer messages queued in the outbox with the tracking link. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "config.h"
#include "store.h"
#include "store_cases.h"
#include "test.h"

#define T0 1795399200000LL /* 2026-11-23T10:00:00+08:00, a Monday */
#define MIN 60000LL

struct fx {
	char dir[64], db[128];
	struct gw_config cfg;
	struct case_rules *rules;
	struct calendar *cal;
	struct templates *tmpl;
	struct cases_env env;
	struct store *s;
};

static void fx_open(struct fx *f)
{
	struct err e;
	static const char *const codes[] = { "D1", "D1S1", "D1S1C1", "D1S1C2" };
	static const char *const levels[] = { "district", "street", "community", "community" };

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/test_cases.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		exit(2);
	snprintf(f->db, sizeof(f->db), "%s/gw.db", f->dir);
	config_defaults(&f->cfg);
	snprintf(f->cfg.db_path, sizeof(f->cfg.db_path), "%s", f->db);
	snprintf(f->cfg.public_url, sizeof(f->cfg.public_url), "https://kf.example.com/");
	f->cfg.n_staff_robots = 2;
	strcpy(f->cfg.staff_robots[0].dept, "pipe");
	strcpy(f->cfg.staff_robots[1].dept, "leaders");
	if (case_rules_load("config/cases.ini", &f->rules, NULL, &e) < 0 ||
	    calendar_load("config/calendar.ini", &f->cal, NULL, &e) < 0 ||
	    templates_load("templates", "【幸福水务】", &f->tmpl, NULL, &e) < 0 ||
	    store_open(f->db, &f->s, &e) < 0) {
		fprintf(stderr, "fixture: %s\n", e.msg);
		exit(2);
	}
	f->env = (struct cases_env){ &f->cfg, f->rules, f->cal, f->tmpl, NULL, NULL };
	for (int i = 0; i < 4; i++) {
		struct area a = { codes[i], i == 2 ? "幸福小区" : "阳光花园",
				  i == 0 ? NULL : codes[i < 3 ? i - 1 : 1], levels[i] };
		if (store_area_upsert(f->s, &a, NULL, &e) < 0) {
			fprintf(stderr, "fixture: %s\n", e.msg);
			exit(2);
		}
	}
}

static void fx_close(struct fx *f)
{
	char cmd[128];

	store_close(f->s);
	case_rules_free(f->rules);
	calendar_free(f->cal);
	templates_free(f->tmpl);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* Creates a case from JSON text; returns its number in out (40 bytes). */
static int make(struct fx *f, const char *json, int64_t now, char out[40])
{
	json_error_t je;
	json_t *b = json_loads(json, 0, &je), *v = NULL;
	struct err e;
	int rc = cases_create(&f->env, f->s, b, "agent7", now, &v, &e);

	if (rc < 0)
		fprintf(stderr, "  create: %s\n", e.msg);
	else
		snprintf(out, 40, "%s", json_string_value(json_object_get(v, "number")));
	json_decref(b);
	json_decref(v);
	return rc;
}

static int pending(struct fx *f, const char *dept, const char *needle)
{
	struct store_staff_alert *a = calloc(64, sizeof(*a));
	struct err e;
	int n = store_staff_pending(f->s, dept, a, 64, &e), k = 0;

	for (int i = 0; i < n; i++)
		k += needle == NULL || strstr(a[i].text, needle) != NULL;
	free(a);
	return k;
}

#define BURST                                                                                               \
	"{\"source\":\"phone\",\"kind\":\"repair\",\"category\":\"burst\",\"content\":\"主管道破裂\"," \
	"\"area\":\"D1S1C1\",\"accept\":true,\"dispatch\":true,\"complainant\":{\"name\":\"李四\","       \
	"\"mobile\":\"13912345678\",\"address\":\"幸福小区1幢101\"}}"

TEST(escalation_at_80_and_100_percent_once)
{
	struct fx f;
	struct err e;
	char num[40];

	fx_open(&f);
	CHECK_INT(make(&f, BURST, T0, num), 0);
	CHECK_INT(pending(&f, "pipe", "新派工单"), 1);
	/* urgent: on site in 30 min -> warning at 24:00, breach at 30:00. */
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 24 * MIN - 1, &e), 0);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 24 * MIN, &e), 1);
	CHECK_INT(pending(&f, "pipe", "即将超时"), 1);
	CHECK_INT(pending(&f, "leaders", "即将超时"), 0);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 29 * MIN, &e), 0);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 30 * MIN, &e), 1);
	CHECK_INT(pending(&f, "pipe", "已超时"), 1);
	CHECK_INT(pending(&f, "leaders", "已超时"), 1);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 31 * MIN, &e), 0);
	/* No personal data in a group message. */
	CHECK_INT(pending(&f, "pipe", "13912345678"), 0);
	CHECK_INT(pending(&f, "pipe", "李四"), 0);
	CHECK_INT(pending(&f, "pipe", "139****5678"), 3);
	CHECK_INT(pending(&f, "pipe", "幸福小区1幢"), 0);
	/* Resolution (4 h): warned at 3 h 12 min; a clock met in time is never announced. */
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 192 * MIN, &e), 1);
	json_t *v = NULL, *b = json_pack("{s:s, s:s}", "action", "resolve", "note", "done");
	CHECK_INT(cases_transition(&f.env, f.s, num, b, "agent7", T0 + 200 * MIN, &v, &e), 0);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 300 * MIN, &e), 0);
	json_decref(b);
	json_decref(v);
	fx_close(&f);
}

TEST(a_clock_found_late_at_once_is_announced_once)
{
	struct fx f;
	struct err e;
	char num[40];

	fx_open(&f);
	CHECK_INT(make(&f, BURST, T0, num), 0);
	/* The daemon was down for an hour: one breach alert, no warning after it. */
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 60 * MIN, &e), 1);
	CHECK_INT(pending(&f, "pipe", "已超时"), 1);
	CHECK_INT(pending(&f, "pipe", "即将超时"), 0);
	CHECK_INT(cases_watch_tick(&f.env, f.s, T0 + 61 * MIN, &e), 0);
	fx_close(&f);
}

#define NOWATER(mobile, area)                                                                          \
	"{\"source\":\"letter\",\"kind\":\"repair\",\"category\":\"no_water\",\"content\":\"停水\"," \
	"\"area\":\"" area "\",\"complainant\":{\"mobile\":\"" mobile "\"}}"

TEST(clusters_and_repeats_are_reported_once)
{
	struct fx f;
	char num[40];

	fx_open(&f);
	CHECK_INT(make(&f, NOWATER("13900000001", "D1S1C1"), T0, num), 0);
	CHECK_INT(make(&f, NOWATER("13900000002", "D1S1C1"), T0 + 10 * MIN, num), 0);
	CHECK_INT(make(&f, NOWATER("13900000003", "D1S1C2"), T0 + 20 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "集群"), 0);
	CHECK_INT(make(&f, NOWATER("13900000004", "D1S1C1"), T0 + 30 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "集群"), 1);
	CHECK_INT(make(&f, NOWATER("13900000005", "D1S1C1"), T0 + 40 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "集群"), 1);
	/* A day and a half of quiet ends the cluster; a new one needs three cases again. */
	CHECK_INT(make(&f, NOWATER("13900000006", "D1S1C1"), T0 + 2200 * MIN, num), 0);
	CHECK_INT(make(&f, NOWATER("13900000007", "D1S1C1"), T0 + 2210 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "集群"), 1);
	CHECK_INT(make(&f, NOWATER("13900000008", "D1S1C1"), T0 + 2220 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "集群"), 2);
	/* The same person twice in 30 days: one repeat report. */
	CHECK_INT(pending(&f, "leaders", "重复"), 0);
	CHECK_INT(make(&f, NOWATER("13900000001", "D1S1C2"), T0 + 3000 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "重复"), 1);
	CHECK_INT(make(&f, NOWATER("13900000001", "D1S1C2"), T0 + 3100 * MIN, num), 0);
	CHECK_INT(pending(&f, "leaders", "重复"), 1);
	fx_close(&f);
}

TEST(customer_message_and_public_view)
{
	struct fx f;
	struct err e;
	char num[40], *text = NULL, kind[16];
	json_t *staff = NULL, *pub = NULL;
	const char *url, *tok;

	fx_open(&f);
	CHECK_INT(make(&f, BURST, T0, num), 0);
	CHECK_INT(cases_get(&f.env, f.s, num, T0, &staff, &e), 0);
	url = json_string_value(json_object_get(staff, "tracking_url"));
	CHECK(url != NULL && strncmp(url, "https://kf.example.com/t/", 25) == 0);
	tok = url ? url + 25 : "";
	/* The first notice row is the accepted message, with the link in its SMS text. */
	CHECK_INT(store_notice_text(f.s, 1, "sms", &text, kind, &e), 0);
	CHECK_STR(kind, "case_accepted");
	CHECK(text != NULL && strstr(text, num) != NULL && strstr(text, url) != NULL);
	CHECK(text != NULL && strncmp(text, "【幸福水务】", strlen("【幸福水务】")) == 0);
	free(text);
	CHECK_INT(cases_public(&f.env, f.s, tok, false, T0, &pub, &e), 0);
	char *dump = pub ? json_dumps(pub, 0) : NULL;
	CHECK(dump != NULL && strstr(dump, "13912345678") == NULL);
	CHECK(dump != NULL && strstr(dump, "139****5678") != NULL);
	CHECK(dump != NULL && strstr(dump, "李*") != NULL && strstr(dump, "李四") == NULL);
	CHECK(dump != NULL && strstr(dump, "1幢101") == NULL);
	CHECK(dump != NULL && strstr(dump, "主管道破裂") == NULL); /* the content stays inside */
	free(dump);
	json_decref(pub);
	json_decref(staff);
	/* Wrong length, wrong alphabet, unknown: the same not-found. */
	CHECK_INT(cases_public(&f.env, f.s, "short", false, T0, &pub, &e), ERR_NOTFOUND);
	CHECK_INT(cases_public(&f.env, f.s, "++++++++++++++++++++++++", false, T0, &pub, &e),
		  ERR_NOTFOUND);
	CHECK_INT(cases_public(&f.env, f.s, "AAAAAAAAAAAAAAAAAAAAAAAA", false, T0, &pub, &e),
		  ERR_NOTFOUND);
	fx_close(&f);
}

int main(void)
{
	RUN(escalation_at_80_and_100_percent_once);
	RUN(a_clock_found_late_at_once_is_announced_once);
	RUN(clusters_and_repeats_are_reported_once);
	RUN(customer_message_and_public_view);
	return TEST_END();
}
