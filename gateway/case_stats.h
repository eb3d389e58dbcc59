/* case_stats: the monthly / quarterly (or any range's) case statistics the service centre
 * reports: counts by kind, category, source, department, agent and area, handling rate,
 * on-time rate per deadline clock, reopen rate and satisfaction. The store counts
 * (store_case_stats, SQL in store_case_stats.c); this module parses the period, adds the
 * Chinese labels from the rules, and writes CSV (UTF-8 with a BOM, so that Excel opens it
 * in Chinese). Pure apart from what the store does. */
#ifndef GATEWAY_CASE_STATS_H
#define GATEWAY_CASE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "case_rules.h"
#include "err.h"

/* The period from query parameters: month "2026-11", quarter "2026-Q4", or from/to dates
 * "2026-11-01" (to included: the range ends at the end of that day); all in local time
 * utc_offset_min. Exactly one form must be given; none at all means the current month of
 * now_ms. ERR_INVALID (field month/quarter/from/to) with how to write it. */
int case_stats_period(const char *month, const char *quarter, const char *from, const char *to,
		      int64_t now_ms, int utc_offset_min, int64_t *from_ms, int64_t *to_ms,
		      char label[32], struct err *e);

/* Adds "label" to every row of stats["by"][*] (kinds and sources from case_fsm, departments
 * and categories from the rules; agents and areas keep their key, areas get the area name
 * the store put in "name") . */
void case_stats_label(json_t *stats, const struct case_rules *r);

/* The statistics as CSV: a BOM, then the summary rows and one row per group. *out malloc'd,
 * *len its length. */
int case_stats_csv(const json_t *stats, char **out, size_t *len, struct err *e);

#endif
