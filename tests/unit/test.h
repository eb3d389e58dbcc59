/* test: the tiny unit-test harness. Each tests/unit/test_*.c defines test functions with
 * TEST(name), lists them in main via RUN(name), and ends with TEST_END(), which prints the
 * closing line "N passed, N failed" and returns non-zero on any failure. A check that fails
 * prints file:line and the expression; the test function goes on with its next check. */
#ifndef TESTS_UNIT_TEST_H
#define TESTS_UNIT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_passed_, test_failed_, test_cur_failed_;

#define TEST(name) static void name(void)
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			test_cur_failed_ = 1;                                                      \
		}                                                                                  \
	} while (0)
#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__,          \
				__LINE__, #a, a_, b_);                                             \
			test_cur_failed_ = 1;                                                      \
		}                                                                                  \
	} while (0)
#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                             \
			fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,      \
				__LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
			test_cur_failed_ = 1;                                                      \
		}                                                                                  \
	} while (0)
#define RUN(name)                                                                                  \
	do {                                                                                       \
		test_cur_failed_ = 0;                                                              \
		name();                                                                            \
		if (test_cur_failed_) {                                                            \
			test_failed_++;                                                            \
			fprintf(stderr, "FAIL %s\n", #name);                                       \
		} else {                                                                           \
			test_passed_++;                                                            \
		}                                                                                  \
	} while (0)
/* Writes text to a fresh file made from template (mkstemp's "...XXXXXX", at most 31 bytes)
 * into path; returns 0, or -1 (a failed check) when it cannot. The caller unlinks it. */
static inline int test_write_tmp(const char *template, const char *text, char path[32])
{
	int fd;

	snprintf(path, 32, "%s", template);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	return 0;
}

#define TEST_END()                                                                                 \
	(printf("%d passed, %d failed\n", test_passed_, test_failed_), test_failed_ ? 1 : 0)

#endif
