/* SPDX-License-Identifier: ISC */
/*
 * A very small unit-test harness. Each test prints one line:
 *   PASS suite.name | FAIL suite.name: file:line: expr | SKIP suite.name: why
 * tests/run.py counts those lines; the binary exits 1 if any test failed.
 */
#ifndef BKEY_UNIT_H
#define BKEY_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_total;
static int unit_cur_failed;
static const char *unit_suite = "unit";

#define CHECK(expr) do {						\
	if (!(expr)) {							\
		if (!unit_cur_failed)					\
			printf("FAIL %s.%s: %s:%d: %s\n", unit_suite,	\
			    unit_cur_name, __FILE__, __LINE__, #expr);	\
		unit_cur_failed = 1;					\
	}								\
} while (0)

#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)

static const char *unit_cur_name;

#define RUN(fn) do {							\
	unit_cur_name = #fn;						\
	unit_cur_failed = 0;						\
	fn();								\
	if (!unit_cur_failed)						\
		printf("PASS %s.%s\n", unit_suite, #fn);		\
	else								\
		unit_failed_total++;					\
	fflush(stdout);							\
} while (0)

#define SKIP(fn, why) printf("SKIP %s.%s: %s\n", unit_suite, #fn, why)

#define UNIT_DONE() return unit_failed_total ? 1 : 0

#endif
