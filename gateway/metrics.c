/* metrics: fixed-size counter tables behind one mutex, rendered on demand.
 * Routes are counted by pointer identity of the API table's pattern strings, so the table
 * has room for every route and status without allocation. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 48
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS ((int)(sizeof(buckets) / sizeof(buckets[0])))
static const char *const result_names[MR_COUNT] = {
	"sent", "failed", "retried", "throttled", "expired", "held", "unknown",
};

struct route_count {
	const char *route;
	int status;
	uint64_t n;
};

struct metrics {
	pthread_mutex_t lock;
	const struct gw_config *cfg;
	uint64_t results[CONFIG_MAX_PROVIDERS][MR_COUNT];
	uint64_t lat_buckets[CONFIG_MAX_PROVIDERS][NBUCKETS];
	uint64_t lat_count[CONFIG_MAX_PROVIDERS];
	double lat_sum[CONFIG_MAX_PROVIDERS];
	uint64_t dup_avoided;
	struct route_count routes[MAX_ROUTES * 8];
	int nroutes;
};

struct metrics *metrics_new(const struct gw_config *cfg)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->cfg = cfg;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_result(struct metrics *m, int provider, enum metric_result r, int n)
{
	if (m == NULL || provider < 0 || provider >= CONFIG_MAX_PROVIDERS || n <= 0)
		return;
	pthread_mutex_lock(&m->lock);
	m->results[provider][r] += (uint64_t)n;
	pthread_mutex_unlock(&m->lock);
}

void metrics_duplicates_avoided(struct metrics *m, int n)
{
	if (m == NULL || n <= 0)
		return;
	pthread_mutex_lock(&m->lock);
	m->dup_avoided += (uint64_t)n;
	pthread_mutex_unlock(&m->lock);
}

void metrics_latency(struct metrics *m, int provider, double seconds)
{
	if (m == NULL || provider < 0 || provider >= CONFIG_MAX_PROVIDERS)
		return;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i])
			m->lat_buckets[provider][i]++;
	m->lat_count[provider]++;
	m->lat_sum[provider] += seconds;
	pthread_mutex_unlock(&m->lock);
}

void metrics_http(struct metrics *m, const char *route, int status)
{
	int i;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nroutes; i++)
		if (m->routes[i].route == route && m->routes[i].status == status)
			break;
	if (i == m->nroutes && m->nroutes < (int)(sizeof(m->routes) / sizeof(m->routes[0]))) {
		m->routes[i].route = route;
		m->routes[i].status = status;
		m->nroutes++;
	}
	if (i < m->nroutes)
		m->routes[i].n++;
	pthread_mutex_unlock(&m->lock);
}

/* Appends to a growing buffer; the text is small (a few KiB). */
struct out {
	char *buf;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (nb == NULL)
			return;
		o->buf = nb;
		o->cap = cap;
	}
}

static void render_messages(struct metrics *m, struct out *o)
{
	put(o,
	    "# HELP gateway_messages_total Delivery results by provider.\n"
	    "# TYPE gateway_messages_total counter\n");
	for (int p = 0; p < m->cfg->nproviders; p++)
		for (int r = 0; r < MR_COUNT; r++)
			put(o, "gateway_messages_total{provider=\"%s\",result=\"%s\"} %llu\n",
			    m->cfg->providers[p].name, result_names[r],
			    (unsigned long long)m->results[p][r]);
	put(o,
	    "# HELP gateway_delivery_latency_seconds Time from request to provider answer.\n"
	    "# TYPE gateway_delivery_latency_seconds histogram\n");
	for (int p = 0; p < m->cfg->nproviders; p++) {
		const char *name = m->cfg->providers[p].name;
		for (int i = 0; i < NBUCKETS; i++)
			put(o,
			    "gateway_delivery_latency_seconds_bucket{provider=\"%s\",le=\"%g\"} "
			    "%llu\n",
			    name, buckets[i], (unsigned long long)m->lat_buckets[p][i]);
		put(o,
		    "gateway_delivery_latency_seconds_bucket{provider=\"%s\",le=\"+Inf\"} %llu\n"
		    "gateway_delivery_latency_seconds_sum{provider=\"%s\"} %.6f\n"
		    "gateway_delivery_latency_seconds_count{provider=\"%s\"} %llu\n",
		    name, (unsigned long long)m->lat_count[p], name, m->lat_sum[p], name,
		    (unsigned long long)m->lat_count[p]);
	}
}

char *metrics_render(struct metrics *m, int64_t queue_depth)
{
	struct out o = { NULL, 0, 0 };

	pthread_mutex_lock(&m->lock);
	if (queue_depth >= 0)
		put(&o,
		    "# HELP gateway_queue_depth Messages queued or being sent.\n"
		    "# TYPE gateway_queue_depth gauge\ngateway_queue_depth %lld\n",
		    (long long)queue_depth);
	render_messages(m, &o);
	put(&o,
	    "# HELP gateway_duplicates_avoided_total Unknown-outcome sends that a receipt "
	    "settled instead of a second send.\n# TYPE gateway_duplicates_avoided_total "
	    "counter\ngateway_duplicates_avoided_total %llu\n",
	    (unsigned long long)m->dup_avoided);
	put(&o,
	    "# HELP gateway_http_requests_total HTTP API requests by route and status.\n"
	    "# TYPE gateway_http_requests_total counter\n");
	for (int i = 0; i < m->nroutes; i++)
		put(&o, "gateway_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
		    m->routes[i].route, m->routes[i].status, (unsigned long long)m->routes[i].n);
	pthread_mutex_unlock(&m->lock);
	return o.buf;
}
