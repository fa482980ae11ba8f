/* SPDX-License-Identifier: ISC */
/* The audit vocabulary (outcome.h): one table for both modules. */
#include <stddef.h>

#include "outcome.h"

static const char *const words[] = {
	[BKEY_OUT_UNAVAILABLE_ALLOWED] = "unavailable_allowed",
	[BKEY_OUT_UNKNOWN_USER] = "unknown_user",
	[BKEY_OUT_IGNORED] = "ignored",
	[BKEY_OUT_CONV_ERROR] = "conv_error",
	[BKEY_OUT_ERROR] = "error",
	[BKEY_OUT_CHANGED] = "changed",
	[BKEY_OUT_DENIED_BY_RULE] = "denied_by_rule",
	[BKEY_OUT_ALLOWED_BY_RULE] = "allowed_by_rule",
	[BKEY_OUT_COVERED] = "covered",
	[BKEY_OUT_RATE_LIMITED] = "rate_limited",
	[BKEY_OUT_NOT_ASKED] = "not_asked",
	[BKEY_OUT_RECOVERED] = "recovered",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

const char *
bkey_outcome_word(bkey_outcome o)
{
	/* The helper's results keep the words of its own events. */
	if ((int)o >= BKEY_OUT_APPROVED && o <= BKEY_OUT_INTERNAL)
		return bkey_result_reason((bkey_result)o);
	if ((size_t)o < NWORDS && words[o] != NULL)
		return words[o];
	return "error";
}

bkey_outcome
bkey_outcome_of(bkey_result r)
{
	if ((int)r >= BKEY_APPROVED && r <= BKEY_ERR_INTERNAL)
		return (bkey_outcome)r;
	if (r == BKEY_ERR_RATE_LIMITED)
		return BKEY_OUT_RATE_LIMITED;
	return BKEY_OUT_INTERNAL;
}
