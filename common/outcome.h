/* SPDX-License-Identifier: ISC */
/*
 * The audit vocabulary: the outcome= word of the one log line each module
 * writes per decision (docs/pam.md, "Audit log"). Both modules take their
 * words from here, so a word means the same in sshd's log as in sudo's.
 */
#ifndef BKEY_OUTCOME_H
#define BKEY_OUTCOME_H

#include "result.h"

typedef enum {
	/* The helper's results, in bkey_result's order and words. */
	BKEY_OUT_APPROVED = 0,
	BKEY_OUT_DENIED,
	BKEY_OUT_EXPIRED,
	BKEY_OUT_UNAVAILABLE,
	BKEY_OUT_PROTOCOL,
	BKEY_OUT_TOKEN,
	BKEY_OUT_CANCELLED,
	BKEY_OUT_USAGE,
	BKEY_OUT_CONFIG,
	BKEY_OUT_INTERNAL,
	/* The modules' own decisions. */
	BKEY_OUT_UNAVAILABLE_ALLOWED,	/* failmode=safe let it through */
	BKEY_OUT_UNKNOWN_USER,		/* no DID (or no such account) */
	BKEY_OUT_IGNORED,		/* pam: no approval needed */
	BKEY_OUT_CONV_ERROR,		/* pam: the code could not be shown */
	BKEY_OUT_ERROR,			/* the module itself failed */
	BKEY_OUT_CHANGED,		/* sudo: the command changed since */
	BKEY_OUT_DENIED_BY_RULE,	/* sudo: a deny rule */
	BKEY_OUT_ALLOWED_BY_RULE,	/* sudo: an allow rule */
	BKEY_OUT_COVERED,		/* sudo: under an earlier approval */
	BKEY_OUT_RATE_LIMITED,		/* push_limit reached: no push */
	BKEY_OUT_NOT_ASKED,		/* sudo -n: an approval needed, not asked */
	BKEY_OUT_RECOVERED		/* outage: a break-glass code let it in */
} bkey_outcome;

/* The word for o ("error" for a value out of range). */
const char *bkey_outcome_word(bkey_outcome o);
/* The outcome that reports the helper's result r. */
bkey_outcome bkey_outcome_of(bkey_result r);

#endif
