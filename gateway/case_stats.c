/* case_stats: the report around store_case_stats (see case_stats.h): which period a
 * request means, the Chinese labels of each group, and the CSV the service centre opens in
 * Excel. Called by the API's statistics endpoint and gatewayctl. Pure: no I/O, no clock.
 * The CSV is written here rather than with a library because it is a few quoted fields
 * per line, through common/csv.c's writer. Its summary rows put each rate in the column
 * nearest in meaning: the on-time rates under 按时办结率, satisfaction under 满意率, the
 * reopen rate (reopened / handled) under 办结率 with 数量 the reopened cases and 已办结 the
 * handled ones, the return visits' satisfaction under 满意率 with 数量 the surveys sent, and
 * the appointments' total under 数量. The last three columns (回访响应率, 预约履约率,
 * 预约爽约率) are filled on 合计, on those two rows and on every group row. */
#include "case_stats.h"
#include "csv.h"
#include "case_fsm.h"
#include "timefmt.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
/* A report is a few hundred rows; anything near this is a runaway. */
#define CSV_MAX_BYTES (8u << 20)
#define EMPTY_KEY_LABEL "未指定"

/* ---- the period ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The start of local day y-m-d as Unix ms; m may be 13 for January of the next year. */
static int64_t local_day_ms(int y, int m, int d, int utc_offset_min)
{
	if (m > 12) {
		y++;
		m -= 12;
	}
	return days_from_civil(y, m, d) * DAY_MS - (int64_t)utc_offset_min * 60000;
}

/* Whether s is exactly the shape: 'd' a digit, any other byte itself ('Q' also 'q'). */
static bool has_shape(const char *s, const char *shape)
{
	size_t n = strlen(shape);

	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9')
					  : (s[i] == shape[i] || (shape[i] == 'Q' && s[i] == 'q'));
		if (!ok)
			return false;
	}
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM" with a real month. */
static bool parse_month(const char *s, int *y, int *m)
{
	if (!has_shape(s, "dddd-dd"))
		return false;
	*y = atoi(s);
	*m = num2(s + 5);
	return *y >= 1970 && *m >= 1 && *m <= 12;
}

/* "YYYY-QN", N 1 to 4. */
static bool parse_quarter(const char *s, int *y, int *q)
{
	if (!has_shape(s, "dddd-Qd"))
		return false;
	*y = atoi(s);
	*q = s[6] - '0';
	return *y >= 1970 && *q >= 1 && *q <= 4;
}

/* "YYYY-MM-DD" with a day that exists. */
static bool parse_day(const char *s, int *y, int *m, int *d)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap;

	if (!has_shape(s, "dddd-dd-dd"))
		return false;
	*y = atoi(s);
	*m = num2(s + 5);
	*d = num2(s + 8);
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1)
		return false;
	leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return *d <= dim[*m - 1] + (*m == 2 && leap);
}

static int period_month(const char *month, int off, int64_t *from_ms, int64_t *to_ms,
			char label[32], struct err *e)
{
	int y, m;

	if (!parse_month(month, &y, &m))
		return err_set(e, ERR_INVALID, "month",
			       "month \"%.40s\" is not a month; write the year and month like "
			       "2026-11",
			       month);
	*from_ms = local_day_ms(y, m, 1, off);
	*to_ms = local_day_ms(y, m + 1, 1, off);
	snprintf(label, 32, "%04d-%02d", y, m);
	return 0;
}

static int period_quarter(const char *quarter, int off, int64_t *from_ms, int64_t *to_ms,
			  char label[32], struct err *e)
{
	int y, q;

	if (!parse_quarter(quarter, &y, &q))
		return err_set(e, ERR_INVALID, "quarter",
			       "quarter \"%.40s\" is not a quarter; write the year and Q1 to Q4 "
			       "like 2026-Q4",
			       quarter);
	*from_ms = local_day_ms(y, 3 * q - 2, 1, off);
	*to_ms = local_day_ms(y, 3 * q + 1, 1, off);
	snprintf(label, 32, "%04d-Q%d", y, q);
	return 0;
}

static int bad_date(const char *field, const char *v, struct err *e)
{
	return err_set(e, ERR_INVALID, field,
		       "%s \"%.40s\" is not a date; write the day like 2026-11-01", field, v);
}

static int period_range(const char *from, const char *to, int off, int64_t *from_ms, int64_t *to_ms,
			char label[32], struct err *e)
{
	int fy, fm, fd, ty, tm, td;
	int64_t f, t;

	if (from == NULL || to == NULL)
		return err_set(e, ERR_INVALID, from == NULL ? "from" : "to",
			       "a date range needs both from and to (%s is missing), like "
			       "from=2026-11-01&to=2026-11-30",
			       from == NULL ? "from" : "to");
	if (!parse_day(from, &fy, &fm, &fd))
		return bad_date("from", from, e);
	if (!parse_day(to, &ty, &tm, &td))
		return bad_date("to", to, e);
	f = local_day_ms(fy, fm, fd, off);
	t = local_day_ms(ty, tm, td, off) + DAY_MS; /* to is included: up to the end of it */
	if (f >= t)
		return err_set(e, ERR_INVALID, "from",
			       "from %s is after to %s; write the earlier date first, like "
			       "from=2026-11-01&to=2026-11-30",
			       from, to);
	*from_ms = f;
	*to_ms = t;
	snprintf(label, 32, "%.10s..%.10s", from, to);
	return 0;
}

int case_stats_period(const char *month, const char *quarter, const char *from, const char *to,
		      int64_t now_ms, int utc_offset_min, int64_t *from_ms, int64_t *to_ms,
		      char label[32], struct err *e)
{
	bool range = from != NULL || to != NULL;
	char now[32];

	if ((month != NULL) + (quarter != NULL) + range > 1)
		return err_set(e, ERR_INVALID, month && quarter ? "quarter" : "from",
			       "give one period only, not %s: a month like month=2026-11, a "
			       "quarter like quarter=2026-Q4, or dates like "
			       "from=2026-11-01&to=2026-11-30",
			       month && quarter ? "both month and quarter"
				       : month  ? "both month and from/to"
						: "both quarter and from/to");
	if (range)
		return period_range(from, to, utc_offset_min, from_ms, to_ms, label, e);
	if (quarter != NULL)
		return period_quarter(quarter, utc_offset_min, from_ms, to_ms, label, e);
	if (month != NULL)
		return period_month(month, utc_offset_min, from_ms, to_ms, label, e);
	/* No period at all: the current local month, from the ISO form of now. */
	timefmt_iso(now_ms, utc_offset_min, now);
	now[7] = '\0';
	return period_month(now, utc_offset_min, from_ms, to_ms, label, e);
}

/* ---- labels ---- */

static const char *kind_label(const struct case_rules *r, const char *key)
{
	(void)r;
	return case_kind_label(key);
}

static const char *source_label(const struct case_rules *r, const char *key)
{
	(void)r;
	return case_source_label(key);
}

static const char *category_label(const struct case_rules *r, const char *key)
{
	int i = r ? case_rules_category(r, key) : -1;

	return i >= 0 ? r->categories[i].label : NULL;
}

static const char *dept_label(const struct case_rules *r, const char *key)
{
	int i = r ? case_rules_dept(r, key) : -1;

	return i >= 0 ? r->depts[i].name : NULL;
}

/* The groups of stats["by"], in report order, with the CSV's 分组 and their labeller
 * (NULL: the key is its own label, or the store's "name" when it gave one). */
static const struct {
	const char *name, *title;
	const char *(*label)(const struct case_rules *r, const char *key);
} groups[] = {
	{ "month", "按月", NULL },
	{ "kind", "按类型", kind_label },
	{ "category", "按类别", category_label },
	{ "source", "按来源", source_label },
	{ "department", "按部门", dept_label },
	{ "agent", "按受理人", NULL },
	{ "area", "按区域", NULL },
};
#define NGROUPS ((int)(sizeof(groups) / sizeof(groups[0])))

static const char *row_label(int g, json_t *row, const struct case_rules *r)
{
	const char *key = json_string_value(json_object_get(row, "key"));
	const char *name = json_string_value(json_object_get(row, "name"));
	const char *label = NULL;

	if (key == NULL || key[0] == '\0')
		return EMPTY_KEY_LABEL;
	if (groups[g].label != NULL)
		label = groups[g].label(r, key);
	else if (name != NULL && name[0] != '\0')
		label = name;
	return label ? label : key;
}

void case_stats_label(json_t *stats, const struct case_rules *r)
{
	json_t *by = json_object_get(stats, "by");

	for (int g = 0; g < NGROUPS; g++) {
		json_t *list = json_object_get(by, groups[g].name), *row;
		size_t i;

		json_array_foreach(list, i, row)
			json_object_set_new(row, "label", json_string(row_label(g, row, r)));
	}
}

/* ---- CSV ---- */

/* One line of the report; the numbers are JSON values (NULL or null: an empty cell). */
struct csv_line {
	const char *group, *key, *name;
	const json_t *count, *handled, *handling_rate, *on_time_rate, *satisfaction_rate;
	const json_t *response_rate, *kept_rate, *missed_rate;
};

static void fmt_count(const json_t *v, char out[24])
{
	out[0] = '\0';
	if (json_is_integer(v))
		snprintf(out, 24, "%lld", (long long)json_integer_value(v));
}

/* A rate as a percentage with one decimal, "95.0%". */
static void fmt_rate(const json_t *v, char out[24])
{
	double x = json_number_value(v);

	out[0] = '\0';
	if (!json_is_number(v))
		return;
	x = x < 0 ? 0 : (x > 1 ? 1 : x);
	snprintf(out, 24, "%.1f%%", x * 100.0);
}

/* The columns after 名称, in the header's order. */
#define NUMBER_COLUMNS 8

static void out_line(struct csv_writer *o, const struct csv_line *l)
{
	char n[NUMBER_COLUMNS][24];
	const json_t *rates[] = { l->handling_rate, l->on_time_rate, l->satisfaction_rate,
				  l->response_rate, l->kept_rate,    l->missed_rate };

	fmt_count(l->count, n[0]);
	fmt_count(l->handled, n[1]);
	for (int i = 0; i < NUMBER_COLUMNS - 2; i++)
		fmt_rate(rates[i], n[2 + i]);
	csv_writer_field(o, l->group, false);
	csv_writer_field(o, l->key, false);
	csv_writer_field(o, l->name, false);
	for (int i = 0; i < NUMBER_COLUMNS; i++)
		csv_writer_field(o, n[i], i == NUMBER_COLUMNS - 1);
}

#define GET(obj, key) json_object_get((obj), (key))

/* 合计, one 按时率 line per clock, 重开率 and 满意率. */
static void out_summary(struct csv_writer *o, const json_t *st)
{
	const json_t *on_time = GET(st, "on_time"), *sat = GET(st, "satisfaction");
	const json_t *rv = GET(st, "return_visits"), *ap = GET(st, "appointments");

	out_line(o,
		 &(struct csv_line){ "合计", "", "全部", GET(st, "total"), GET(st, "handled"),
				     GET(st, "handling_rate"),
				     GET(GET(on_time, "resolution"), "rate"), GET(sat, "rate"),
				     GET(rv, "response_rate"), GET(ap, "kept_rate"),
				     GET(ap, "missed_rate") });
	for (int c = 0; c < CLOCK_COUNT; c++) {
		const char *name = case_clock_name((enum case_clock)c);
		const json_t *clk = GET(on_time, name);

		out_line(o,
			 &(struct csv_line){ "按时率", name, case_clock_label((enum case_clock)c),
					     GET(clk, "due"), .on_time_rate = GET(clk, "rate") });
	}
	out_line(o,
		 &(struct csv_line){ "重开率", "reopened", "重开", GET(st, "reopened"),
				     GET(st, "handled"), .handling_rate = GET(st, "reopen_rate") });
	out_line(o,
		 &(struct csv_line){ "满意率", "satisfaction", "满意（含基本满意）",
				     GET(sat, "answered"), .satisfaction_rate = GET(sat, "rate") });
}

/* 回访 (the surveys sent, their satisfaction and response rate) and 预约. */
static void out_visits(struct csv_writer *o, const json_t *st)
{
	const json_t *rv = GET(st, "return_visits"), *ap = GET(st, "appointments");

	out_line(o,
		 &(struct csv_line){ "回访", "return_visits", "回访（已发出）", GET(rv, "sent"),
				     .satisfaction_rate = GET(GET(rv, "satisfaction"), "rate"),
				     .response_rate = GET(rv, "response_rate") });
	out_line(o,
		 &(struct csv_line){ "预约", "appointments", "预约", GET(ap, "total"),
				     .kept_rate = GET(ap, "kept_rate"),
				     .missed_rate = GET(ap, "missed_rate") });
}

static void out_groups(struct csv_writer *o, const json_t *st)
{
	const json_t *by = GET(st, "by");

	for (int g = 0; g < NGROUPS; g++) {
		const json_t *list = GET(by, groups[g].name), *row;
		size_t i;

		json_array_foreach(list, i, row)
		{
			const char *name = json_string_value(GET(row, "label"));

			if (name == NULL)
				name = json_string_value(GET(row, "name"));
			out_line(o,
				 &(struct csv_line){
					 groups[g].title, json_string_value(GET(row, "key")), name,
					 GET(row, "count"), GET(row, "handled"),
					 GET(row, "handling_rate"), GET(row, "on_time_rate"),
					 GET(row, "satisfaction_rate"), GET(row, "response_rate"),
					 GET(row, "kept_rate"), GET(row, "missed_rate") });
		}
	}
}

int case_stats_csv(const json_t *stats, char **out, size_t *len, struct err *e)
{
	static const char *const header[] = { "分组",       "键",         "名称",       "数量",
					      "已办结",     "办结率",     "按时办结率", "满意率",
					      "回访响应率", "预约履约率", "预约爽约率" };
	const int ncols = (int)(sizeof(header) / sizeof(header[0]));
	static_assert(sizeof(header) / sizeof(header[0]) == 3 + NUMBER_COLUMNS,
		      "out_line writes group, key, name and the number columns");
	struct csv_writer o;
	int rc;

	if (!json_is_object(stats))
		return err_set(e, ERR_INVALID, NULL, "the statistics are not a JSON object");
	csv_writer_init(&o, CSV_MAX_BYTES);
	csv_writer_raw(&o, "\xEF\xBB\xBF", 3); /* the BOM tells Excel the file is UTF-8 */
	for (int i = 0; i < ncols; i++)
		csv_writer_field(&o, header[i], i == ncols - 1);
	out_summary(&o, stats);
	out_visits(&o, stats);
	out_groups(&o, stats);
	if ((rc = csv_writer_finish(&o, out, len)) != 0)
		return err_set(e, rc, NULL,
			       rc == ERR_TOOBIG ? "the statistics CSV is over %u bytes"
						: "out of memory writing %u bytes of CSV",
			       CSV_MAX_BYTES);
	return 0;
}
