/* SPDX-License-Identifier: ISC */
/*
 * helper/ciba.c's outage budget (issue 11): one per run, counted from the
 * start of a failed attempt to the next answer, never given back; a
 * decision within connect_timeout + unavailable_after of the first failed
 * attempt's start.
 */
#include <string.h>

#include "unit.h"
#include "ciba.h"

#define C 10000LL /* connect_timeout 10 s */
#define U 5000LL  /* unavailable_after 5 s */
#define SLACK 100LL

static struct bkey_outage
fresh(void)
{
	struct bkey_outage o;

	bkey_outage_init(&o, U / 1000, C / 1000);
	return o;
}

static void
defaults(void)
{
	struct bkey_outage o;

	bkey_outage_init(&o, 5, 0);
	CHECK(o.budget_ms == 5000 && o.connect_ms == 10000);
	CHECK(!o.failing && o.spent_ms == 0);
	bkey_outage_init(&o, -1, 3);
	CHECK(o.budget_ms == 0 && o.connect_ms == 3000);
}

/* The first attempt, the service answering so far: connect_timeout plus
 * the whole budget. */
static void
first_attempt(void)
{
	struct bkey_outage o = fresh();

	CHECK(bkey_outage_attempt_ms(&o, 1000, 0) == C + U - SLACK);
}

/* A refused connection at 1 s: retries until 1 s + unavailable_after, not
 * also connect_timeout. */
static void
refused(void)
{
	struct bkey_outage o = fresh();

	bkey_outage_failed(&o, 1000);
	CHECK(bkey_outage_end(&o) == 1000 + U - SLACK);
	CHECK(bkey_outage_attempt_ms(&o, 1250, 1) == 1000 + U - SLACK - 1250);
	CHECK(bkey_outage_attempt_ms(&o, 1000 + U - SLACK, 1) <= 0);
	/* a request begun inside the stretch (the last one gave up) gets
	 * connect_timeout and what is left: the same end, from 1 s */
	CHECK(bkey_outage_attempt_ms(&o, 3000, 0) == C + U - 2000 - SLACK);
	/* a later failure of the same stretch does not move its start */
	bkey_outage_failed(&o, 3000);
	CHECK(bkey_outage_end(&o) == 1000 + U - SLACK);
}

/* A silent server: the first attempt runs out its connect_timeout +
 * unavailable_after and is the last; the budget is spent by its end. */
static void
silent(void)
{
	struct bkey_outage o = fresh();
	long long ms = bkey_outage_attempt_ms(&o, 1000, 0);

	bkey_outage_failed(&o, 1000);
	CHECK(1000 + ms <= 1000 + C + U);
	CHECK(bkey_outage_end(&o) < 1000 + ms);
	CHECK(bkey_outage_attempt_ms(&o, 1000 + ms, 1) <= 0);
}

/* The client token fails from 0 to 1.75 s, then answers: the initiate's
 * failures get what is left, not a budget of their own. */
static void
spent_stays_spent(void)
{
	struct bkey_outage o = fresh();

	bkey_outage_failed(&o, 0);
	bkey_outage_answered(&o, 1750);
	CHECK(!o.failing && o.spent_ms == 1750);
	CHECK(bkey_outage_attempt_ms(&o, 1800, 0) == C + U - 1750 - SLACK);
	bkey_outage_failed(&o, 1800);
	CHECK(bkey_outage_end(&o) == 1800 + U - 1750 - SLACK);
	/* an answer without a stretch under way changes nothing */
	bkey_outage_answered(&o, 2000);
	bkey_outage_answered(&o, 9000);
	CHECK(o.spent_ms == 1750 + 200);
}

/* A person's wait, answered "pending", spends none of the budget: a poll
 * failing a minute later is judged from its own start. */
static void
wait_spends_nothing(void)
{
	struct bkey_outage o = fresh();

	bkey_outage_failed(&o, 0);
	bkey_outage_answered(&o, 250);
	bkey_outage_failed(&o, 60000);
	CHECK(bkey_outage_end(&o) == 60000 + U - 250 - SLACK);
}

/* Nothing left: a request's first attempt is still made, bounded by
 * connect_timeout; no retry follows. unavailable_after 0 is the same. */
static void
nothing_left(void)
{
	struct bkey_outage o = fresh(), z;

	bkey_outage_failed(&o, 0);
	bkey_outage_answered(&o, 2 * U);
	CHECK(bkey_outage_attempt_ms(&o, 20000, 0) == C - SLACK);
	bkey_outage_failed(&o, 20000);
	CHECK(bkey_outage_attempt_ms(&o, 20001, 1) <= 0);
	bkey_outage_init(&z, 0, C / 1000);
	CHECK(bkey_outage_attempt_ms(&z, 0, 0) == C - SLACK);
	bkey_outage_failed(&z, 0);
	CHECK(bkey_outage_attempt_ms(&z, 1, 1) <= 0);
}

/* Whatever happened before, no attempt may end later than
 * connect_timeout + unavailable_after after the start of the stretch it
 * belongs to (its own start when none is under way). */
static void
bound_holds(void)
{
	long long t, gap;

	for (gap = 0; gap <= 2 * U; gap += 250)
		for (t = 0; t <= 3 * U; t += 250) {
			struct bkey_outage o = fresh();

			bkey_outage_failed(&o, 0);
			bkey_outage_answered(&o, gap);
			CHECK(
			    t + gap + bkey_outage_attempt_ms(&o, t + gap, 0) <=
			    t + gap + C + U - SLACK);
			bkey_outage_failed(&o, t + gap);
			CHECK(
			    t + gap + bkey_outage_attempt_ms(&o, t + gap, 1) <=
			    t + gap + U - SLACK);
			CHECK(bkey_outage_end(&o) <= t + gap + U - SLACK);
		}
}

/* A failed poll's retry must wait the interval, which may be as long as
 * the budget: the grant lets that one retry happen, and ends with the
 * stretch. */
static void
poll_retry_granted(void)
{
	struct bkey_outage o = fresh();
	long long floor = 10 + 1 + U + C + 2 * SLACK;

	bkey_outage_failed(&o, 0);
	CHECK(bkey_outage_end(&o) == U - SLACK);
	bkey_outage_grant(&o, floor);
	CHECK(bkey_outage_end(&o) == floor - SLACK);
	CHECK(bkey_outage_attempt_ms(&o, 10 + 1 + U, 1) == C + SLACK);
	/* a smaller grant changes nothing */
	bkey_outage_grant(&o, 1);
	CHECK(bkey_outage_end(&o) == floor - SLACK);
	/* the service answers: the grant is gone with the stretch */
	bkey_outage_answered(&o, 500);
	bkey_outage_failed(&o, 60000);
	CHECK(bkey_outage_end(&o) == 60000 + U - 500 - SLACK);
	/* no stretch under way: nothing to grant */
	bkey_outage_answered(&o, 60100);
	bkey_outage_grant(&o, floor);
	bkey_outage_failed(&o, 70000);
	CHECK(bkey_outage_end(&o) == 70000 + U - 600 - SLACK);
}

int
main(void)
{
	unit_suite = "outage";
	RUN(defaults);
	RUN(first_attempt);
	RUN(refused);
	RUN(silent);
	RUN(spent_stays_spent);
	RUN(wait_spends_nothing);
	RUN(nothing_left);
	RUN(bound_holds);
	RUN(poll_retry_granted);
	UNIT_DONE();
}
