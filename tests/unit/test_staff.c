/* test_staff: staff alerts without the network. The sliding window on fixed times (never
 * more than the limit in any 60 s, a sender that keeps up gets the whole limit, a clock that
 * steps back), checking a new alert (department, text length in characters and bytes, blank
 * and invalid text), and the queue in a real SQLite database in a mkdtemp folder: oldest
 * first, sent, failed tries that keep an alert waiting, permanent failures, the listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "staff.h"
#include "test.h"

#define NOW 1795305600000LL /* 2026-11-22T08:00:00+08:00 */

/* ---- the sliding window ---- */

TEST(window_takes_the_limit_then_waits_for_the_oldest)
{
	struct staff_window w;

	staff_window_init(&w, 3);
	CHECK_INT(staff_window_wait_ms(&w, 0), 0);
	staff_window_note(&w, 0);
	staff_window_note(&w, 1000);
	CHECK_INT(staff_window_wait_ms(&w, 1500), 0);
	staff_window_note(&w, 2000);
	CHECK_INT(staff_window_wait_ms(&w, 2500), 57500);
	CHECK_INT(staff_window_wait_ms(&w, 59999), 1);
	CHECK_INT(staff_window_wait_ms(&w, 60000), 0);
	staff_window_note(&w, 60000);
	/* Now the send at 1000 is the oldest that counts. */
	CHECK_INT(staff_window_wait_ms(&w, 60000), 1000);
	CHECK_INT(staff_window_wait_ms(&w, 61000), 0);

	staff_window_init(&w, 1);
	staff_window_note(&w, 5000);
	CHECK_INT(staff_window_wait_ms(&w, 5000), 60000);
	CHECK_INT(staff_window_wait_ms(&w, 65000), 0);
}

TEST(window_after_the_clock_stepped_back_only_waits_longer)
{
	struct staff_window w;

	staff_window_init(&w, 2);
	staff_window_note(&w, 100000);
	staff_window_note(&w, 100500);
	CHECK_INT(staff_window_wait_ms(&w, 40000), 120000);
	CHECK_INT(staff_window_wait_ms(&w, 160000), 0);
}

/* A sender that sends whenever the window lets it, with answers taking 0-900 ms: in any
 * 60 s there are never more than limit sends (by start time), and over ten minutes it is
 * not starved either. */
TEST(window_never_more_than_the_limit_in_any_minute)
{
	for (int limit = 1; limit <= CONFIG_STAFF_PER_MINUTE_MAX; limit += 6) {
		struct staff_window w;
		int64_t starts[400];
		int n = 0, worst = 0;
		unsigned seed = 7;

		staff_window_init(&w, limit);
		for (int64_t t = 0; t < 600000 && n < 400; t += 250) {
			if (staff_window_wait_ms(&w, t) > 0)
				continue;
			starts[n++] = t;
			seed = seed * 1103515245u + 12345u;
			staff_window_note(&w, t + (seed >> 16) % 900);
		}
		for (int i = 0; i < n; i++) {
			int k = 0;
			for (int j = i; j < n && starts[j] < starts[i] + STAFF_WINDOW_MS; j++)
				k++;
			worst = k > worst ? k : worst;
		}
		CHECK_INT(worst, limit);
		CHECK(n >= 9 * limit);
	}
}

/* ---- alerts ---- */

struct fx {
	char dir[64], path[128];
	struct store *s;
	struct gw_config cfg;
	struct err e;
};

static void fx_open(struct fx *fx)
{
	strcpy(fx->dir, "/tmp/test_staff.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
	if (store_open(fx->path, &fx->s, &fx->e) < 0) {
		fprintf(stderr, "store_open: %s\n", fx->e.msg);
		exit(2);
	}
	config_defaults(&fx->cfg);
	snprintf(fx->cfg.staff_robots[0].dept, sizeof(fx->cfg.staff_robots[0].dept), "repair");
	snprintf(fx->cfg.staff_robots[0].provider, sizeof(fx->cfg.staff_robots[0].provider), "r1");
	snprintf(fx->cfg.staff_robots[1].dept, sizeof(fx->cfg.staff_robots[1].dept), "billing");
	snprintf(fx->cfg.staff_robots[1].provider, sizeof(fx->cfg.staff_robots[1].provider), "r2");
	fx->cfg.n_staff_robots = 2;
}

static void fx_close(struct fx *fx)
{
	char p[160];

	store_close(fx->s);
	unlink(fx->path);
	snprintf(p, sizeof(p), "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
}

/* staff_alert_add's result: 0 or the error code; *id gets the new alert's id. */
static int add(struct fx *fx, const char *dept, const char *text, int64_t *id)
{
	json_t *out = NULL;
	int rc;

	err_clear(&fx->e);
	rc = staff_alert_add(fx->s, &fx->cfg, dept, text, NOW, &out, &fx->e);
	if (rc == 0 && id != NULL)
		*id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return rc;
}

/* n copies of the UTF-8 character c, malloc'd. */
static char *repeat(const char *c, int n)
{
	size_t len = strlen(c);
	char *s = malloc(len * (size_t)n + 1);

	for (int i = 0; i < n; i++)
		memcpy(s + len * (size_t)i, c, len);
	s[len * (size_t)n] = '\0';
	return s;
}

TEST(alert_add_checks_department_and_text)
{
	struct fx fx;
	char *long_ascii = repeat("a", STAFF_TEXT_MAX_CHARS + 1);
	char *max_ascii = repeat("a", STAFF_TEXT_MAX_CHARS);
	char *wide = repeat("停", 1400); /* 1400 characters, 4200 bytes */
	char *fits = repeat("停", 1333); /* 3999 bytes */
	json_t *out = NULL;
	int64_t id = 0;

	fx_open(&fx);
	CHECK_INT(add(&fx, "nosuch", "x", NULL), ERR_INVALID);
	CHECK_STR(fx.e.field, "department");
	CHECK(strstr(fx.e.msg, "repair, billing") != NULL);
	CHECK_INT(add(&fx, NULL, "x", NULL), ERR_INVALID);
	CHECK_STR(fx.e.field, "department");
	CHECK_INT(add(&fx, "维修部", "x", NULL), ERR_INVALID);
	CHECK(strstr(fx.e.msg, "维修部") == NULL);
	CHECK_INT(add(&fx, "repair", "", NULL), ERR_INVALID);
	CHECK_STR(fx.e.field, "text");
	CHECK_INT(add(&fx, "repair", " \n\t", NULL), ERR_INVALID);
	CHECK_INT(add(&fx, "repair", NULL, NULL), ERR_INVALID);
	CHECK_INT(add(&fx, "repair", "bad \xff byte", NULL), ERR_INVALID);
	CHECK(strstr(fx.e.msg, "UTF-8") != NULL);
	CHECK_INT(add(&fx, "repair", long_ascii, NULL), ERR_INVALID);
	CHECK(strstr(fx.e.msg, "2001 characters") != NULL);
	CHECK_INT(add(&fx, "repair", wide, NULL), ERR_INVALID);
	CHECK(strstr(fx.e.msg, "4200 bytes") != NULL);
	CHECK_INT(add(&fx, "repair", max_ascii, NULL), 0);
	CHECK_INT(add(&fx, "billing", fits, &id), 0);
	CHECK_INT(id, 2);
	CHECK_INT(staff_alert_add(fx.s, &fx.cfg, "repair", "**停水** 城东区", NOW, &out, &fx.e), 0);
	CHECK_INT(json_integer_value(json_object_get(out, "id")), 3);
	CHECK_STR(json_string_value(json_object_get(out, "department")), "repair");
	CHECK(json_is_true(json_object_get(out, "queued")));
	json_decref(out);
	fx.cfg.n_staff_robots = 0;
	CHECK_INT(add(&fx, "repair", "x", NULL), ERR_INVALID);
	CHECK(strstr(fx.e.msg, "[staff] robots") != NULL);
	fx_close(&fx);
	free(long_ascii);
	free(max_ascii);
	free(wide);
	free(fits);
}

/* The state of alert i (0 = newest) in a listing. */
static const char *state_of(json_t *list, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(list, "alerts"), i), "state"));
}

TEST(queue_oldest_first_sent_tried_and_failed)
{
	static struct store_staff_alert rows[8];
	struct fx fx;
	int64_t id[4] = { 0 };
	json_t *list = NULL, *a;

	fx_open(&fx);
	CHECK_INT(add(&fx, "repair", "一号", &id[0]), 0);
	CHECK_INT(add(&fx, "billing", "账单", &id[1]), 0);
	CHECK_INT(add(&fx, "repair", "二号", &id[2]), 0);
	CHECK_INT(add(&fx, "repair", "三号", &id[3]), 0);
	CHECK_INT(store_staff_pending(fx.s, "repair", rows, 8, &fx.e), 3);
	CHECK_STR(rows[0].text, "一号");
	CHECK_STR(rows[2].text, "三号");
	CHECK_INT(rows[0].id, id[0]);
	CHECK_INT(store_staff_pending(fx.s, "repair", rows, 2, &fx.e), 2);
	/* The first two went in one message; the third's message failed twice, then for good. */
	CHECK_INT(store_staff_sent(fx.s, (int64_t[]){ id[0], id[2] }, 2, NOW + 1000, &fx.e), 0);
	CHECK_INT(store_staff_tried(fx.s, &id[3], 1, "HTTP 503 from WeCom", false, NOW, &fx.e), 0);
	CHECK_INT(store_staff_tried(fx.s, &id[3], 1, "connection failed", false, NOW, &fx.e), 0);
	CHECK_INT(store_staff_pending(fx.s, "repair", rows, 8, &fx.e), 1);
	CHECK_INT(rows[0].id, id[3]);
	CHECK_INT(rows[0].attempts, 2);
	CHECK_INT(staff_alert_list(fx.s, &fx.cfg, "repair", 10, &list, &fx.e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "pending")), 1);
	CHECK_STR(state_of(list, 0), "pending");
	a = json_array_get(json_object_get(list, "alerts"), 0);
	CHECK_STR(json_string_value(json_object_get(a, "reason")), "connection failed");
	json_decref(list);
	CHECK_INT(
		store_staff_tried(fx.s, &id[3], 1, "WeCom errcode 93000", true, NOW + 2000, &fx.e),
		0);
	/* A sent or failed alert does not change again. */
	CHECK_INT(store_staff_sent(fx.s, &id[3], 1, NOW + 3000, &fx.e), 0);
	CHECK_INT(store_staff_pending(fx.s, "repair", rows, 8, &fx.e), 0);
	CHECK_INT(staff_alert_list(fx.s, &fx.cfg, "repair", 10, &list, &fx.e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "pending")), 0);
	CHECK_STR(json_string_value(json_object_get(list, "department")), "repair");
	CHECK_INT(json_array_size(json_object_get(list, "alerts")), 3);
	CHECK_STR(state_of(list, 0), "failed");
	CHECK_STR(state_of(list, 1), "sent");
	CHECK_STR(state_of(list, 2), "sent");
	a = json_array_get(json_object_get(list, "alerts"), 0);
	CHECK_INT(json_integer_value(json_object_get(a, "attempts")), 3);
	CHECK_STR(json_string_value(json_object_get(a, "failed_at")), "2026-11-22T08:00:02+08:00");
	CHECK(json_is_null(json_object_get(a, "sent_at")));
	a = json_array_get(json_object_get(list, "alerts"), 1);
	CHECK_STR(json_string_value(json_object_get(a, "text")), "二号");
	CHECK_STR(json_string_value(json_object_get(a, "sent_at")), "2026-11-22T08:00:01+08:00");
	CHECK_STR(json_string_value(json_object_get(a, "created_at")), "2026-11-22T08:00:00+08:00");
	CHECK(json_is_null(json_object_get(a, "reason")));
	CHECK_INT(json_integer_value(json_object_get(a, "attempts")), 1);
	json_decref(list);
	/* Every department, and the limit. */
	CHECK_INT(staff_alert_list(fx.s, &fx.cfg, NULL, 2, &list, &fx.e), 0);
	CHECK_INT(json_integer_value(json_object_get(list, "pending")), 1);
	CHECK(json_is_null(json_object_get(list, "department")));
	CHECK_INT(json_array_size(json_object_get(list, "alerts")), 2);
	json_decref(list);
	CHECK_INT(staff_alert_list(fx.s, &fx.cfg, "nosuch", 10, &list, &fx.e), ERR_INVALID);
	fx_close(&fx);
}

int main(void)
{
	RUN(window_takes_the_limit_then_waits_for_the_oldest);
	RUN(window_after_the_clock_stepped_back_only_waits_longer);
	RUN(window_never_more_than_the_limit_in_any_minute);
	RUN(alert_add_checks_department_and_text);
	RUN(queue_oldest_first_sent_tried_and_failed);
	return TEST_END();
}
