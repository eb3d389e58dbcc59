/* test_templates: loading the shipped templates/ folder, rendering with the SMS signature,
 * and every load problem (missing file, unknown variable, unterminated "{{", empty text,
 * bad UTF-8) reported with file and line. Runs from the repository root; scratch
 * templates live in a mkdtemp folder under /tmp that each test removes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "templates.h"
#include "test.h"
#include "utf8.h"

static const char *const kinds[] = { "planned",         "emergency",     "update",
				     "restored",        "cancelled",     "case_accepted",
				     "case_dispatched", "case_resolved", "case_explained",
				     "appt_confirmed",  "appt_reminder", "appt_moved",
				     "appt_cancelled",  "appt_missed",   "survey" };

/* The case, appointment and survey messages, whose variables are the case's. */
static int is_case_kind(const char *k)
{
	return strncmp(k, "case_", 5) == 0 || strncmp(k, "appt_", 5) == 0 ||
		strcmp(k, "survey") == 0;
}
static const char *const channels[] = { "sms", "wechat" };

static const struct tmpl_var notice[] = {
	{ "utility", "供水" },        { "outage", "停水" },      { "area", "幸福小区、阳光花园" },
	{ "start", "11月23日09:00" }, { "end", "18:00" },        { "reason", "管网维修" },
	{ "hotline", "96116" },       { "company", "幸福水务" },
};
#define N_NOTICE (sizeof(notice) / sizeof(notice[0]))

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* A scratch folder with a valid template for every kind and channel. */
static void make_dir(char *dir)
{
	char name[64];

	strcpy(dir, "/tmp/test_templates.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t c = 0; c < 2; c++) {
			snprintf(name, sizeof(name), "%s.%s.txt", kinds[k], channels[c]);
			write_file(dir, name,
				   is_case_kind(kinds[k]) ? "{{number}}{{link}}\n"
							  : "{{area}}{{outage}}\n");
		}
	}
}

static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* True when some collected problem contains every one of the given fragments. */
static int has_problem(const struct tmpl_problems *p, const char *a, const char *b)
{
	for (int i = 0; i < p->n; i++)
		if (strstr(p->msg[i], a) != NULL && (b == NULL || strstr(p->msg[i], b) != NULL))
			return 1;
	return 0;
}

TEST(real_templates_load_clean)
{
	struct templates *t = NULL;
	struct tmpl_problems p;
	struct err e;
	int rc = templates_load("templates", "【幸福水务】", &t, &p, &e);

	CHECK_INT(rc, 0);
	CHECK_INT(p.n, 0);
	for (int i = 0; i < p.n; i++)
		fprintf(stderr, "  problem: %s\n", p.msg[i]);
	CHECK(t != NULL);
	templates_free(t);
}

TEST(render_planned_sms)
{
	struct templates *t = NULL;
	struct err e;
	char *s = NULL;

	CHECK_INT(templates_load("templates", "【幸福水务】", &t, NULL, &e), 0);
	if (t == NULL)
		return;
	CHECK_INT(templates_render(t, "planned", "sms", notice, N_NOTICE, &s, &e), 0);
	CHECK_STR(s,
		  "【幸福水务】尊敬的用户：因管网维修，幸福小区、阳光花园"
		  "将于11月23日09:00至18:00停水，请提前做好准备。"
		  "咨询电话96116。");
	/* A typical planned notice must go out as one billed SMS part. */
	CHECK_INT(sms_parts(utf8_chars(s)), 1);
	free(s);
	templates_free(t);
}

/* The variables of a case message. */
static const struct tmpl_var case_v[] = {
	{ "number", "202611-00042" },
	{ "kind", "报修" },
	{ "link", "https://kf.example.com/t/AbC" },
	{ "promised", "11月24日10:00" },
	{ "department", "管网部" },
	{ "company", "幸福水务" },
	{ "hotline", "96116" },
	{ "explanation", "该管道属市政管理" },
};
#define N_CASE (sizeof(case_v) / sizeof(case_v[0]))

TEST(render_every_template_substitutes_all)
{
	struct templates *t = NULL;
	struct err e;
	char *s;

	CHECK_INT(templates_load("templates", "【幸福水务】", &t, NULL, &e), 0);
	if (t == NULL)
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bool is_case = is_case_kind(kinds[k]);

		for (size_t c = 0; c < 2; c++) {
			s = NULL;
			CHECK_INT(templates_render(t, kinds[k], channels[c],
						   is_case ? case_v : notice,
						   is_case ? N_CASE : N_NOTICE, &s, &e),
				  0);
			CHECK(s != NULL && strstr(s, "{{") == NULL && strstr(s, "}}") == NULL);
			CHECK(s != NULL && strstr(s, is_case ? "202611-00042" : "96116") != NULL);
			CHECK(s != NULL && strstr(s, is_case ? "" : "幸福小区、阳光花园") != NULL);
			/* Only SMS carries the signature. */
			CHECK(s != NULL &&
			      (strncmp(s, "【幸福水务】", strlen("【幸福水务】")) == 0) ==
				      (c == 0));
			CHECK(s != NULL && utf8_valid(s, strlen(s), NULL));
			free(s);
		}
	}
	templates_free(t);
}

TEST(render_unknown_kind_and_absent_var)
{
	struct templates *t = NULL;
	struct err e;
	char dir[64], *s = NULL;

	make_dir(dir);
	write_file(dir, "update.wechat.txt", "[{{area}}][{{reason}}]\n\n");
	CHECK_INT(templates_load(dir, "【幸福水务】", &t, NULL, &e), 0);
	if (t != NULL) {
		CHECK_INT(templates_render(t, "nosuch", "sms", notice, N_NOTICE, &s, &e),
			  ERR_NOTFOUND);
		CHECK_INT(templates_render(t, "planned", "fax", notice, N_NOTICE, &s, &e),
			  ERR_NOTFOUND);
		CHECK(s == NULL);
		/* Only one trailing newline is dropped; reason absent renders as "". */
		CHECK_INT(templates_render(t, "update", "wechat", notice, 3, &s, &e), 0);
		CHECK_STR(s, "[幸福小区、阳光花园][]\n");
		free(s);
	}
	templates_free(t);
	remove_dir(dir);
}

TEST(unknown_variable_reports_file_line)
{
	struct templates *t = NULL;
	struct tmpl_problems p;
	struct err e;
	char dir[64], want[256];

	make_dir(dir);
	write_file(dir, "planned.sms.txt", "第一行\n第二行{{foo}}结束\n");
	CHECK_INT(templates_load(dir, "【幸福水务】", &t, &p, &e), ERR_INVALID);
	CHECK(t == NULL);
	CHECK_INT(p.n, 1);
	snprintf(want, sizeof(want), "%s/planned.sms.txt:2: unknown variable {{foo}}", dir);
	CHECK(has_problem(&p, want,
			  "known: utility, outage, area, start, end, reason, "
			  "hotline, company"));
	CHECK(strstr(e.msg, want) != NULL);
	remove_dir(dir);
}

TEST(missing_file_reported)
{
	struct templates *t = NULL;
	struct tmpl_problems p;
	struct err e;
	char dir[64], path[128];

	make_dir(dir);
	snprintf(path, sizeof(path), "%s/emergency.wechat.txt", dir);
	unlink(path);
	CHECK_INT(templates_load(dir, "【幸福水务】", &t, &p, &e), ERR_INVALID);
	CHECK(t == NULL);
	CHECK_INT(p.n, 1);
	CHECK(has_problem(&p, path, "required"));
	CHECK_STR(e.field, "emergency.wechat.txt");
	remove_dir(dir);

	CHECK_INT(templates_load("/nonexistent/templates", "", &t, &p, &e), ERR_INVALID);
	CHECK_INT(p.n, 1);
	CHECK(has_problem(&p, "/nonexistent/templates", "directory"));
}

TEST(unterminated_braces)
{
	struct templates *t = NULL;
	struct tmpl_problems p;
	struct err e;
	char dir[64];

	make_dir(dir);
	write_file(dir, "update.sms.txt", "预计{{end 恢复\n");
	write_file(dir, "cancelled.sms.txt", "第一行\n{{area\n}}\n");
	CHECK_INT(templates_load(dir, "【幸福水务】", &t, &p, &e), ERR_INVALID);
	CHECK_INT(p.n, 2);
	CHECK(has_problem(&p, "update.sms.txt:1: \"{{\" without a closing", NULL));
	CHECK(has_problem(&p, "cancelled.sms.txt:2: \"{{\" without a closing", NULL));
	CHECK(strstr(e.msg, "first of 2 template problems") != NULL);
	remove_dir(dir);
}

TEST(empty_and_bad_utf8_collected)
{
	struct templates *t = NULL;
	struct tmpl_problems p;
	struct err e;
	char dir[64];

	make_dir(dir);
	write_file(dir, "restored.sms.txt", "\n");
	write_file(dir, "restored.wechat.txt", "恢复\n供\xe6\xb0\n");
	write_file(dir, "planned.wechat.txt", "{{bar}} {{baz}}\n");
	CHECK_INT(templates_load(dir, "【幸福水务】", &t, &p, &e), ERR_INVALID);
	CHECK_INT(p.n, 4);
	CHECK(has_problem(&p, "restored.sms.txt: empty template", NULL));
	CHECK(has_problem(&p, "restored.wechat.txt:2: invalid UTF-8", NULL));
	CHECK(has_problem(&p, "planned.wechat.txt:1: unknown variable {{bar}}", NULL));
	CHECK(has_problem(&p, "planned.wechat.txt:1: unknown variable {{baz}}", NULL));
	remove_dir(dir);
}

TEST(kind_vars)
{
	const char *const *v = templates_kind_vars("planned");
	const char *want[] = { "utility", "outage", "area",    "start",
			       "end",     "reason", "hotline", "company" };
	size_t n = 0;

	CHECK(v != NULL);
	while (v != NULL && v[n] != NULL) {
		if (n < 8)
			CHECK_STR(v[n], want[n]);
		n++;
	}
	CHECK_INT(n, 8);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		CHECK(templates_kind_vars(kinds[k]) != NULL);
	CHECK(templates_kind_vars("nosuch") == NULL);
}

int main(void)
{
	RUN(real_templates_load_clean);
	RUN(render_planned_sms);
	RUN(render_every_template_substitutes_all);
	RUN(render_unknown_kind_and_absent_var);
	RUN(unknown_variable_reports_file_line);
	RUN(missing_file_reported);
	RUN(unterminated_braces);
	RUN(empty_and_bad_utf8_collected);
	RUN(kind_vars);
	return TEST_END();
}
