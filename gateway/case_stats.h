/* case_stats: the monthly / quarterly (or any range's) case statistics the service centre
 * reports: counts by kind, category, source, department, agent, area and month, handling
 * rate, on-time rate per deadline clock, reopen rate, satisfaction, the return visits'
 * response rate and the appointments kept and missed. The store counts (store_case_stats,
 * SQL in store_case_stats.c); this module parses the period, adds the Chinese labels from
 * the rules, and writes CSV (UTF-8 with a BOM, so that Excel opens it in Chinese). Pure
 * apart from what the store does. */
#ifndef GATEWAY_CASE_STATS_H
#define GATEWAY_CASE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "case_rules.h"
#include "err.h"

/* The statistics store_case_stats gives, over the cases created in the period, merged ones
 * counted only in "merged" (every rate is null when its denominator is 0):
 *   {"from", "to", "total", "merged", "handled", "handling_rate", "reopened", "reopen_rate",
 *    "satisfaction": {"answered", "satisfied", "basically", "unsatisfied", "rate"} (the
 *      cases' own satisfaction),
 *    "on_time": {"first_contact"|"on_site"|"resolution"|"return_visit":
 *      {"due", "on_time", "late", "rate"}},
 *    "return_visits": {"sent", "answered", "responded", "answered_by": {"sms", "page",
 *      "phone"}, "response_rate" (responded / sent), "phone_visits", "satisfaction":
 *      {"satisfied", "basically", "unsatisfied", "rate"}} (every survey round counts),
 *    "appointments": {"total", "done", "missed", "cancelled", "open", "kept_rate",
 *      "missed_rate"} (done or missed / (done + missed)),
 *    "by": {"kind"|"category"|"source"|"department"|"agent"|"area"|"month": [{"key",
 *      "count", "handled", "handling_rate", "on_time_rate", "satisfaction_rate",
 *      "response_rate", "kept_rate", "missed_rate"} (areas add "name")]}}
 * A survey is sent once its SMS went (states sent and phone, and answered ones with a
 * sent time); responded: answered by the resident (SMS or page) after it was sent;
 * phone_visits: on the phone list or answered by phone. Months are "YYYY-MM" in the store's
 * local time, in calendar order, only those with cases; the other groups go largest first. */

/* The period from query parameters: month "2026-11", quarter "2026-Q4", or from/to dates
 * "2026-11-01" (to included: the range ends at the end of that day); all in local time
 * utc_offset_min. Exactly one form must be given; none at all means the current month of
 * now_ms. ERR_INVALID (field month/quarter/from/to) with how to write it. */
int case_stats_period(const char *month, const char *quarter, const char *from, const char *to,
		      int64_t now_ms, int utc_offset_min, int64_t *from_ms, int64_t *to_ms,
		      char label[32], struct err *e);

/* Adds "label" to every row of stats["by"][*] (kinds and sources from case_fsm, departments
 * and categories from the rules; agents, areas and months keep their key, areas get the
 * area name the store put in "name"). */
void case_stats_label(json_t *stats, const struct case_rules *r);

/* The statistics as CSV: a BOM, then the summary rows (合计, 按时率, 重开率, 满意率, 回访,
 * 预约) and one row per group (按月 first). The last columns, 回访响应率, 预约履约率 and
 * 预约爽约率, are filled on 合计, 回访/预约 and the group rows. *out malloc'd, *len its
 * length. */
int case_stats_csv(const json_t *stats, char **out, size_t *len, struct err *e);

#endif
