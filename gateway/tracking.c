/* tracking: the tokens behind tracking URLs and the per-client limiter of the public
 * endpoints; the page itself is tracking_page.c. See tracking.h.
 * Tokens come from getrandom(2) and are never logged. The limiter runs on every public
 * request, so it is one mutex over a fixed open-addressed table: a client is looked for in
 * a short probe window from its hash, and a newcomer takes an empty slot there or the one
 * least recently seen. Its token bucket counts in integer units (a request costs 60000, a
 * millisecond refills per_minute), so the refill is exact and never drifts. */
#include "tracking.h"
#include "crypto.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define LIM_SLOTS 4096 /* a power of two */
#define LIM_PROBE 8
#define LIM_MINUTE_MS 60000
/* Units of one request: a minute in ms, so that a millisecond refills per_minute units and
 * an empty bucket is full again after a minute. */
#define LIM_COST LIM_MINUTE_MS

struct lim_slot {
	uint64_t key; /* 0 = empty */
	int64_t last_ms; /* last request, and the time the bucket was last refilled */
	int64_t units; /* 0 .. per_minute * LIM_COST */
};

struct tracking_limiter {
	pthread_mutex_t mu;
	int64_t per_minute;
	uint64_t seed; /* random, so that nobody can pick an address that shares a bucket */
	struct lim_slot *slots; /* LIM_SLOTS; NULL without a limit */
};

/* Fills buf from the kernel CSPRNG, across interrupted and short reads. */
static int fill_random(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int tracking_token_new(char out[TRACK_TOKEN_LEN + 1], struct err *e)
{
	unsigned char raw[TRACK_TOKEN_RAW];
	char b64[TRACK_TOKEN_LEN + 8];

	if (fill_random(raw, sizeof(raw)) != 0)
		return err_set(e, ERR_IO, NULL, "The kernel's random source failed: %s.",
			       strerror(errno));
	/* 18 bytes are six whole base64 groups: 24 characters and no padding to strip. */
	if (crypto_base64(raw, sizeof(raw), b64, sizeof(b64)) != TRACK_TOKEN_LEN)
		return err_set(e, ERR_INTERNAL, NULL, "A token did not encode to 24 characters.");
	for (int i = 0; i < TRACK_TOKEN_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	out[TRACK_TOKEN_LEN] = '\0';
	return 0;
}

static bool token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '_';
}

bool tracking_token_valid(const char *s)
{
	if (s == NULL)
		return false;
	/* The NUL is not in the alphabet, so a short string stops the loop before its end. */
	for (int i = 0; i < TRACK_TOKEN_LEN; i++)
		if (!token_char(s[i]))
			return false;
	return s[TRACK_TOKEN_LEN] == '\0';
}

void tracking_token_hash(const char *token, char out[65])
{
	if (token == NULL)
		token = "";
	crypto_sha256_hex(token, strlen(token), out);
}

struct tracking_limiter *tracking_limiter_new(int per_minute)
{
	struct tracking_limiter *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	/* A negative rate is no rate: the configuration check refuses it before this. */
	l->per_minute = per_minute > 0 ? per_minute : 0;
	if (l->per_minute > 0) {
		l->slots = calloc(LIM_SLOTS, sizeof(*l->slots));
		if (l->slots == NULL ||
		    fill_random((unsigned char *)&l->seed, sizeof(l->seed)) != 0) {
			free(l->slots);
			free(l);
			return NULL;
		}
	}
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void tracking_limiter_free(struct tracking_limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->slots);
	free(l);
}

/* FNV-1a from the seed, then splitmix64's finaliser to spread the bits over the table. */
static uint64_t client_key(uint64_t seed, const char *client)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (const unsigned char *p = (const unsigned char *)client; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h ? h : 1; /* 0 marks an empty slot */
}

/* The client's slot, or a fresh one in its probe window: an empty slot if there is one,
 * else the least recently seen, which is forgotten. A fresh slot starts with a full bucket. */
static struct lim_slot *lim_find(struct tracking_limiter *l, uint64_t key, int64_t now_ms)
{
	struct lim_slot *victim = NULL;

	for (int i = 0; i < LIM_PROBE; i++) {
		struct lim_slot *s = &l->slots[(key + (uint64_t)i) & (LIM_SLOTS - 1)];

		if (s->key == key)
			return s;
		if (victim == NULL ||
		    (victim->key != 0 && (s->key == 0 || s->last_ms < victim->last_ms)))
			victim = s;
	}
	victim->key = key;
	victim->last_ms = now_ms;
	victim->units = l->per_minute * LIM_COST;
	return victim;
}

bool tracking_limiter_allow(struct tracking_limiter *l, const char *client, int64_t now_ms)
{
	struct lim_slot *s;
	int64_t full = l->per_minute * LIM_COST, elapsed;
	uint64_t key;
	bool ok;

	if (l->per_minute == 0)
		return true;
	key = client_key(l->seed, client ? client : "");

	pthread_mutex_lock(&l->mu);
	s = lim_find(l, key, now_ms);
	/* A clock that steps back refills nothing; a minute refills the whole bucket, and the
	 * clamp keeps the product below overflow. */
	elapsed = now_ms > s->last_ms ? now_ms - s->last_ms : 0;
	if (elapsed > LIM_MINUTE_MS)
		elapsed = LIM_MINUTE_MS;
	s->units += elapsed * l->per_minute;
	if (s->units > full)
		s->units = full;
	if (now_ms > s->last_ms)
		s->last_ms = now_ms;
	ok = s->units >= LIM_COST;
	if (ok)
		s->units -= LIM_COST;
	pthread_mutex_unlock(&l->mu);
	return ok;
}
