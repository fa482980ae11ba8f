/* SPDX-License-Identifier: ISC */
/* The audit vocabulary (common/outcome.c): one word per outcome. */
#include "unit.h"
#include "outcome.h"

/* Every outcome has its own word, in one spelling: lower case and '_'. */
static void
words_are_distinct_and_one_style(void)
{
	const char *w[BKEY_OUT_RECOVERED + 1];
	int i, j;
	size_t k;

	for (i = 0; i <= BKEY_OUT_RECOVERED; i++) {
		w[i] = bkey_outcome_word((bkey_outcome)i);
		CHECK(w[i] != NULL && w[i][0] != '\0');
		for (k = 0; w[i][k] != '\0'; k++)
			CHECK((w[i][k] >= 'a' && w[i][k] <= 'z') ||
			    w[i][k] == '_');
		for (j = 0; j < i; j++)
			CHECK(strcmp(w[i], w[j]) != 0);
	}
	CHECK_STR(bkey_outcome_word((bkey_outcome)99), "error");
	CHECK_STR(bkey_outcome_word((bkey_outcome)-1), "error");
}

/* The helper's results keep the words of its own events. */
static void
results_keep_their_words(void)
{
	int r;

	for (r = BKEY_APPROVED; r <= BKEY_ERR_RATE_LIMITED; r++)
		CHECK_STR(bkey_outcome_word(bkey_outcome_of((bkey_result)r)),
		    bkey_result_reason((bkey_result)r));
	CHECK(bkey_outcome_of((bkey_result)99) == BKEY_OUT_INTERNAL);
	CHECK_STR(bkey_outcome_word(BKEY_OUT_UNAVAILABLE_ALLOWED),
	    "unavailable_allowed");
	CHECK_STR(bkey_outcome_word(BKEY_OUT_UNKNOWN_USER), "unknown_user");
	CHECK_STR(bkey_outcome_word(BKEY_OUT_RECOVERED), "recovered");
}

/* A push refused by push_limit has one word, in both directions, and
 * its own exit status. */
static void
rate_limited_is_in_the_vocabulary(void)
{
	CHECK_STR(bkey_result_reason(BKEY_ERR_RATE_LIMITED), "rate_limited");
	CHECK(bkey_result_from_reason("rate_limited") ==
	    BKEY_ERR_RATE_LIMITED);
	CHECK(bkey_result_exit(BKEY_ERR_RATE_LIMITED) == 6);
	CHECK(bkey_outcome_of(BKEY_ERR_RATE_LIMITED) == BKEY_OUT_RATE_LIMITED);
	CHECK_STR(bkey_outcome_word(BKEY_OUT_RATE_LIMITED), "rate_limited");
}

int
main(void)
{
	unit_suite = "outcome";
	RUN(words_are_distinct_and_one_style);
	RUN(results_keep_their_words);
	RUN(rate_limited_is_in_the_vocabulary);
	UNIT_DONE();
}
