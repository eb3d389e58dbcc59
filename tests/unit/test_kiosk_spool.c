/* test_kiosk_spool: the kiosk's offline spool and its gateway client. The spool in a fresh
 * folder: reserved pairs used in order, requests durable across close and reopen, sent in
 * order, unprinted ones found after a "power cut", nothing stored when no pair is left. The
 * client against a fake gateway thread on 127.0.0.1 (tests/unit/test_net.h): a reservation
 * answer fed into the spool and the spooled body sent back, each refusal mapped to its code
 * and message, and every kind of "no usable answer" (5xx, 413, 429, garbage, a redirect, an
 * answer over 1 MiB, silence past the timeout, a closed port) reported as ERR_IO. */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gw_client.h"
#include "spool.h"
#include "test.h"
#include "test_net.h"

#define T0 1790000000000LL
#define KEY "kiosk-key-1"
#define PAIRS                                                                                      \
	"{\"reservations\":[{\"number\":\"202611-00041\",\"token\":\"tokA\",\"tracking_url\":"     \
	"\"https://gw/t/tokA\"},{\"number\":\"202611-00042\",\"token\":\"tokB\","                  \
	"\"tracking_url\":\"https://gw/t/tokB\"},{\"number\":\"202611-00043\",\"token\":\"tokC\"," \
	"\"tracking_url\":\"https://gw/t/tokC\"}]}"

/* --- spool ------------------------------------------------------------------------------ */

struct tmp {
	char dir[64], db[96];
};

static struct spool *tmp_open(struct tmp *t, int fresh)
{
	struct spool *s = NULL;
	struct err e = { 0 };

	if (fresh) {
		snprintf(t->dir, sizeof(t->dir), "/tmp/test_kiosk_spool.XXXXXX");
		CHECK(mkdtemp(t->dir) != NULL);
		snprintf(t->db, sizeof(t->db), "%s/spool.db", t->dir);
	}
	CHECK_INT(spool_open(t->db, &s, &e), 0);
	if (s == NULL)
		fprintf(stderr, "  %s\n", e.msg);
	return s;
}

static void tmp_remove(struct tmp *t)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	char p[128];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", t->db, ext[i]);
		unlink(p);
	}
	CHECK_INT(rmdir(t->dir), 0);
}

static void add_pairs(struct spool *s, const char *text)
{
	json_t *ans = json_loads(text, 0, NULL);
	struct err e = { 0 };

	CHECK(ans != NULL);
	CHECK_INT(spool_add_reservations(s, ans, &e), 0);
	json_decref(ans);
}

/* Takes a request for mobile; the body must be the request plus the expected pair, as
 * compact JSON in the request's own key order. */
static int64_t take(struct spool *s, const char *mobile, const char *number, const char *token)
{
	json_t *req = json_pack("{s:s, s:s, s:s}", "kind", "repair", "category", "漏水", "mobile",
				mobile);
	struct spool_item it = { 0 };
	struct err e = { 0 };
	char want[256];

	CHECK_INT(spool_take(s, req, T0, &it, &e), 0);
	json_decref(req);
	snprintf(want, sizeof(want),
		 "{\"kind\":\"repair\",\"category\":\"漏水\",\"mobile\":\"%s\","
		 "\"reservation\":{\"number\":\"%s\",\"token\":\"%s\"}}",
		 mobile, number, token);
	CHECK_STR(it.body, want);
	CHECK_STR(it.number, number);
	CHECK_STR(it.token, token);
	CHECK(strstr(it.tracking_url, token) != NULL);
	CHECK(it.id > 0);
	spool_item_free(&it);
	return it.id;
}

TEST(spool_takes_in_order_and_survives_reopen)
{
	struct tmp t;
	struct spool *s = tmp_open(&t, 1);
	struct spool_item it = { 0 };
	struct err e = { 0 };
	struct stat st;
	int64_t a, b;

	add_pairs(s, PAIRS);
	CHECK_INT(spool_reserved_left(s), 3);
	a = take(s, "13800138000", "202611-00041", "tokA");
	b = take(s, "13900139000", "202611-00042", "tokB");
	CHECK_INT(spool_reserved_left(s), 1);
	spool_close(s);
	/* Tokens and mobile numbers are in the file: nobody else may read it. */
	CHECK_INT(stat(t.db, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);

	s = tmp_open(&t, 0);
	CHECK_INT(spool_pending(s), 2);
	CHECK_INT(spool_reserved_left(s), 1);
	CHECK_INT(spool_next_unsent(s, &it, &e), 0);
	CHECK_INT(it.id, a);
	CHECK_STR(it.number, "202611-00041");
	CHECK_INT(it.created_ms, T0);
	CHECK_INT(it.sent + it.printed, 0);
	CHECK(it.body != NULL && strstr(it.body, "13800138000") != NULL);
	spool_item_free(&it);
	CHECK_INT(spool_mark_sent(s, a, &e), 0);
	CHECK_INT(spool_next_unsent(s, &it, &e), 0);
	CHECK_INT(it.id, b);
	spool_item_free(&it);
	CHECK_INT(spool_mark_sent(s, b, &e), 0);
	CHECK_INT(spool_mark_sent(s, b, &e), 0); /* twice is harmless */
	CHECK_INT(spool_next_unsent(s, &it, &e), 0);
	CHECK(it.id == 0 && it.body == NULL);
	CHECK_INT(spool_pending(s), 0);
	CHECK_INT(spool_mark_sent(s, b + 100, &e), ERR_NOTFOUND);
	spool_close(s);
	tmp_remove(&t);
}

TEST(spool_unprinted_after_power_cut)
{
	struct tmp t;
	struct spool *s = tmp_open(&t, 1);
	struct spool_item items[4] = { 0 };
	struct err e = { 0 };
	int64_t a, b, c;

	add_pairs(s, PAIRS);
	a = take(s, "13800138000", "202611-00041", "tokA");
	CHECK_INT(spool_mark_printed(s, a, &e), 0);
	b = take(s, "13900139000", "202611-00042", "tokB");
	/* The power goes before b's ticket is printed; the kiosk starts again. */
	spool_close(s);
	s = tmp_open(&t, 0);
	CHECK_INT(spool_unprinted(s, items, 4, &e), 1);
	CHECK_INT(items[0].id, b);
	CHECK_STR(items[0].number, "202611-00042");
	CHECK(items[0].body != NULL && strstr(items[0].body, "13900139000") != NULL);
	spool_item_free(&items[0]);
	c = take(s, "13700137000", "202611-00043", "tokC");
	CHECK_INT(spool_unprinted(s, items, 4, &e), 2); /* newest first */
	CHECK_INT(items[0].id, c);
	CHECK_INT(items[1].id, b);
	spool_item_free(&items[0]);
	spool_item_free(&items[1]);
	CHECK_INT(spool_unprinted(s, items, 1, &e), 1);
	CHECK_INT(items[0].id, c);
	spool_item_free(&items[0]);
	CHECK_INT(spool_mark_printed(s, b, &e), 0);
	CHECK_INT(spool_mark_printed(s, c, &e), 0);
	CHECK_INT(spool_unprinted(s, items, 4, &e), 0);
	spool_close(s);
	tmp_remove(&t);
}

TEST(spool_without_pairs_stores_nothing)
{
	struct tmp t;
	struct spool *s = tmp_open(&t, 1);
	struct spool_item it = { .id = 77 };
	json_t *req = json_pack("{s:s}", "kind", "consult");
	json_t *bad = json_loads("{\"reservations\":[{\"number\":\"202611-00050\",\"token\":"
				 "\"tokX\",\"tracking_url\":\"u\"},{\"number\":\"202611-00051\"}]}",
				 0, NULL);
	struct err e = { 0 };

	CHECK_INT(spool_take(s, req, T0, &it, &e), ERR_CONFLICT);
	CHECK_INT(it.id, 77); /* out untouched */
	CHECK_INT(spool_pending(s), 0);
	/* An answer with one bad pair is refused whole. */
	CHECK_INT(spool_add_reservations(s, bad, &e), ERR_INVALID);
	CHECK_INT(spool_reserved_left(s), 0);
	add_pairs(s, PAIRS);
	add_pairs(s, PAIRS); /* a retried answer adds nothing */
	CHECK_INT(spool_reserved_left(s), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(spool_take(s, req, T0 + i, &it, &e), 0);
		spool_item_free(&it);
	}
	add_pairs(s, PAIRS); /* used pairs stay used */
	CHECK_INT(spool_reserved_left(s), 0);
	it.id = 77;
	CHECK_INT(spool_take(s, req, T0, &it, &e), ERR_CONFLICT);
	CHECK_INT(it.id, 77);
	CHECK_INT(spool_pending(s), 3);
	json_decref(req);
	json_decref(bad);
	spool_close(s);
	tmp_remove(&t);
}

/* --- a fake gateway --------------------------------------------------------------------- */

/* status 0: read the request and never answer (until the client hangs up). */
struct reply {
	int status;
	const char *head; /* extra header lines, each ending "\r\n" */
	const char *body;
};

struct fake {
	int lfd, port, nreplies;
	const struct reply *replies;
	pthread_mutex_t mu;
	char last[8192]; /* the last request, under mu */
	pthread_t th;
};

static void answer(int fd, const struct reply *r)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: "
			 "%zu\r\nConnection: close\r\n\r\n",
			 r->status, r->head ? r->head : "", strlen(r->body));

	if (r->status == 0) {
		(void)wait_readable(fd);
		return;
	}
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
		(void)send(fd, r->body, strlen(r->body), MSG_NOSIGNAL);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[8192];

	for (int i = 0; i < f->nreplies && wait_readable(f->lfd) == 0; i++) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			break;
		if (read_request(fd, buf, sizeof(buf)) > 0) {
			pthread_mutex_lock(&f->mu);
			snprintf(f->last, sizeof(f->last), "%s", buf);
			pthread_mutex_unlock(&f->mu);
			answer(fd, &f->replies[i]);
		}
		close(fd);
	}
	return NULL;
}

static struct gw_client *fake_start(struct fake *f, const struct reply *r, int n, int timeout)
{
	struct gw_client *c = NULL;
	struct err e = { 0 };
	char base[64];

	memset(f, 0, sizeof(*f));
	f->replies = r;
	f->nreplies = n;
	pthread_mutex_init(&f->mu, NULL);
	f->lfd = listen_any(&f->port);
	CHECK(f->lfd >= 0);
	CHECK_INT(pthread_create(&f->th, NULL, fake_main, f), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", f->port);
	CHECK_INT(gw_client_new(base, KEY, timeout, &c, &e), 0);
	return c;
}

static void fake_stop(struct fake *f, struct gw_client *c)
{
	gw_client_free(c);
	pthread_join(f->th, NULL);
	close(f->lfd);
	pthread_mutex_destroy(&f->mu);
}

/* Whether the last request contains s. */
static int fake_saw(struct fake *f, const char *s)
{
	int yes;

	pthread_mutex_lock(&f->mu);
	yes = strstr(f->last, s) != NULL;
	pthread_mutex_unlock(&f->mu);
	return yes;
}

/* --- gateway client --------------------------------------------------------------------- */

TEST(gw_reserve_into_spool_and_send)
{
	static const struct reply r[] = { { 201, NULL, PAIRS },
					  { 201, NULL, "{\"number\":\"202611-00041\"}" } };
	struct fake f;
	struct gw_client *c = fake_start(&f, r, 2, 2000);
	struct tmp t;
	struct spool *s = tmp_open(&t, 1);
	json_t *ans = NULL, *req = json_pack("{s:s}", "mobile", "13800138000");
	struct spool_item it = { 0 };
	struct err e = { 0 };

	CHECK_INT(gw_client_reserve(c, 3, &ans, &e), 0);
	CHECK(fake_saw(&f, "POST /api/v1/kiosk/reservations HTTP/1.1\r\n"));
	CHECK(fake_saw(&f, "\r\nAuthorization: Bearer " KEY "\r\n"));
	CHECK(fake_saw(&f, "\r\nContent-Type: application/json\r\n"));
	CHECK(fake_saw(&f, "\r\n\r\n{\"count\":3}"));
	CHECK_INT(spool_add_reservations(s, ans, &e), 0);
	CHECK_INT(spool_take(s, req, T0, &it, &e), 0);
	json_decref(ans);
	ans = NULL;
	CHECK_INT(gw_client_send_case(c, it.body ? it.body : "{}", &ans, &e), 0);
	CHECK(fake_saw(&f, "POST /api/v1/cases HTTP/1.1\r\n"));
	CHECK(fake_saw(&f, "\"reservation\":{\"number\":\"202611-00041\",\"token\":\"tokA\"}"));
	CHECK_STR(json_string_value(json_object_get(ans, "number")), "202611-00041");
	json_decref(ans);
	json_decref(req);
	spool_item_free(&it);
	spool_close(s);
	tmp_remove(&t);
	fake_stop(&f, c);
}

TEST(gw_refusals_carry_the_gateway_message)
{
	static const struct reply r[] = {
		{ 400, NULL,
		  "{\"error\":{\"code\":\"invalid\",\"message\":\"手机号码应为11位\","
		  "\"field\":\"mobile\"}}" },
		{ 409, NULL, "{\"error\":{\"message\":\"case closed\"}}" },
		{ 401, NULL, "{}" },
		{ 403, NULL, "{\"error\":{\"message\":\"not for kiosks\"}}" },
		{ 404, NULL, "{\"error\":{\"message\":\"no such case\"}}" },
	};
	struct fake f;
	struct gw_client *c = fake_start(&f, r, 5, 2000);
	json_t *ans = NULL;
	struct err e = { 0 };

	CHECK_INT(gw_client_send_case(c, "{\"mobile\":\"138\"}", &ans, &e), ERR_INVALID);
	CHECK_STR(e.msg, "手机号码应为11位");
	CHECK_STR(e.field, "mobile");
	CHECK_INT(gw_client_send_case(c, "{}", &ans, &e), ERR_INVALID);
	CHECK_STR(e.msg, "case closed");
	CHECK_INT(gw_client_reserve(c, 5, &ans, &e), ERR_FORBIDDEN);
	CHECK(strstr(e.msg, "401") != NULL);
	CHECK_INT(gw_client_notices(c, "D01", &ans, &e), ERR_FORBIDDEN);
	CHECK(fake_saw(&f, "GET /api/v1/kiosk/notices?area=D01 HTTP/1.1\r\n"));
	CHECK(!fake_saw(&f, "Content-Length"));
	CHECK_INT(gw_client_lookup(c, "2026 11/00042?x", &ans, &e), ERR_NOTFOUND);
	CHECK(fake_saw(&f, "GET /api/v1/kiosk/cases/2026%2011%2F00042%3Fx HTTP/1.1\r\n"));
	CHECK_STR(e.msg, "no such case");
	CHECK(ans == NULL);
	fake_stop(&f, c);
}

static void check_io(int rc, const struct err *e, const char *what)
{
	CHECK_INT(rc, ERR_IO);
	CHECK(strncmp(e->msg, "gateway unreachable: ", 21) == 0);
	if (strstr(e->msg, what) == NULL)
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e->msg, what);
	CHECK(strstr(e->msg, what) != NULL);
}

TEST(gw_no_usable_answer_is_io)
{
	size_t big_len = 1024 * 1024 + 16;
	char *big = malloc(big_len + 1);
	struct reply r[] = {
		{ 500, NULL, "{\"error\":{\"message\":\"database is locked\"}}" },
		{ 201, NULL, "<html>oops</html>" },
		{ 200, NULL, "[1,2]" },
		{ 302, "Location: /elsewhere\r\n", "{}" },
		{ 429, "Retry-After: 5\r\n", "{\"error\":{\"message\":\"slow down\"}}" },
		{ 413, NULL, "{\"error\":{\"message\":\"too large\"}}" },
		{ 200, NULL, big },
	};
	struct fake f;
	struct gw_client *c = NULL;
	json_t *ans = NULL;
	struct err e = { 0 };

	CHECK(big != NULL);
	if (big == NULL)
		return;
	/* Valid JSON, so that only the size cap can turn it down. */
	memset(big, ' ', big_len);
	memcpy(big + big_len - 2, "{}", 3);
	c = fake_start(&f, r, 7, 2000);
	check_io(gw_client_send_case(c, "{}", &ans, &e), &e, "HTTP 500");
	check_io(gw_client_send_case(c, "{}", &ans, &e), &e, "not a JSON object");
	check_io(gw_client_notices(c, "D01", &ans, &e), &e, "not a JSON object");
	check_io(gw_client_lookup(c, "202611-00042", &ans, &e), &e, "HTTP 302");
	check_io(gw_client_send_case(c, "{}", &ans, &e), &e, "HTTP 429");
	check_io(gw_client_send_case(c, "{}", &ans, &e), &e, "HTTP 413");
	check_io(gw_client_notices(c, "D01", &ans, &e), &e, "over 1048576 bytes");
	CHECK(ans == NULL);
	fake_stop(&f, c);
	free(big);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(gw_silence_and_closed_port_are_io)
{
	static const struct reply r[] = { { 0, NULL, "" } };
	struct fake f;
	struct gw_client *c = fake_start(&f, r, 1, 300);
	json_t *ans = NULL;
	struct err e = { 0 };
	int64_t t0 = mono_ms(), took;
	int port = 0, fd;
	char base[64];

	check_io(gw_client_reserve(c, 1, &ans, &e), &e, "imed out");
	took = mono_ms() - t0;
	CHECK(took >= 250 && took < 1500);
	CHECK(fake_saw(&f, "{\"count\":1}"));
	fake_stop(&f, c);

	/* A port that was just closed: nobody listens, the connection is refused. */
	fd = listen_any(&port);
	CHECK(fd >= 0);
	close(fd);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	c = NULL;
	CHECK_INT(gw_client_new(base, KEY, 1000, &c, &e), 0);
	check_io(gw_client_notices(c, "D01", &ans, &e), &e, "");
	CHECK(ans == NULL);
	gw_client_free(c);
}

TEST(gw_client_refuses_bad_settings)
{
	struct gw_client *c = NULL;
	struct err e = { 0 };

	CHECK_INT(gw_client_new("ftp://gw", KEY, 1000, &c, &e), ERR_INVALID);
	CHECK_STR(e.field, "base");
	CHECK_INT(gw_client_new("https://gw", "k\r\nX-Evil: 1", 1000, &c, &e), ERR_INVALID);
	CHECK_STR(e.field, "key");
	CHECK_INT(gw_client_new("https://gw", "", 1000, &c, &e), ERR_INVALID);
	CHECK(c == NULL);
	CHECK_INT(gw_client_new("https://gw", KEY, 1000, &c, &e), 0);
	CHECK_INT(gw_client_reserve(c, 0, NULL, &e), ERR_INVALID);
	CHECK_INT(gw_client_lookup(c, "", NULL, &e), ERR_INVALID);
	gw_client_free(c);
}

int main(void)
{
	RUN(spool_takes_in_order_and_survives_reopen);
	RUN(spool_unprinted_after_power_cut);
	RUN(spool_without_pairs_stores_nothing);
	RUN(gw_reserve_into_spool_and_send);
	RUN(gw_refusals_carry_the_gateway_message);
	RUN(gw_no_usable_answer_is_io);
	RUN(gw_silence_and_closed_port_are_io);
	RUN(gw_client_refuses_bad_settings);
	return TEST_END();
}
