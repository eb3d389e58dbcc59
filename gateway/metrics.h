/* metrics: counters for GET /metrics in the Prometheus text format.
 * Owns: messages by provider and result, the provider latency histogram, HTTP requests by
 * route and status. Thread-safe (one mutex; increments are rare next to the work they
 * count). The queue depth gauge is read from the store at scrape time by the caller. */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stdint.h>

#include "config.h"

enum metric_result {
	MR_SENT,
	MR_FAILED,
	MR_RETRIED,
	MR_THROTTLED,
	MR_EXPIRED,
	MR_HELD,
	MR_UNKNOWN, /* a send timed out at a non-idempotent API: waiting for a receipt */
	MR_COUNT
};

struct metrics;

struct metrics *metrics_new(const struct gw_config *cfg);
void metrics_free(struct metrics *m);
/* provider: index into cfg->providers. */
void metrics_result(struct metrics *m, int provider, enum metric_result r, int n);
void metrics_latency(struct metrics *m, int provider, double seconds);
/* route: a route pattern from the API's table (static string). */
void metrics_http(struct metrics *m, const char *route, int status);
/* Sends with an unknown outcome that a receipt settled: duplicates avoided. */
void metrics_duplicates_avoided(struct metrics *m, int n);
/* Renders everything; queue_depth < 0 is left out. Returns malloc'd text. */
char *metrics_render(struct metrics *m, int64_t queue_depth);

#endif
