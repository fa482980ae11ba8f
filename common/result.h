/* SPDX-License-Identifier: ISC */
/*
 * Outcomes of an approval and the error record every layer fills in.
 * The numeric values of enum bkey_result are not exit statuses: use
 * bkey_result_exit() (the mapping is part of bkey-approve's interface).
 */
#ifndef BKEY_RESULT_H
#define BKEY_RESULT_H

#include <stddef.h>

typedef enum {
	BKEY_APPROVED = 0,	/* token verified: exit 0 */
	BKEY_DENIED,		/* user said no: exit 1 */
	BKEY_EXPIRED,		/* expired or timed out unanswered: exit 2 */
	BKEY_ERR_UNAVAILABLE,	/* connect, DNS, TLS, 5xx after retries: exit 3 */
	BKEY_ERR_PROTOCOL,	/* server's answer malformed or an error: exit 4 */
	BKEY_ERR_TOKEN,		/* a token failed a check: exit 4 */
	BKEY_ERR_CANCELLED,	/* SIGINT/SIGTERM: exit 5 */
	BKEY_ERR_USAGE,		/* bad command line or request: exit 64 */
	BKEY_ERR_CONFIG,	/* bad configuration, unmapped user: exit 78 */
	BKEY_ERR_INTERNAL,	/* out of memory, system call failed: exit 70 */
	BKEY_ERR_RATE_LIMITED	/* push_limit reached, nothing sent: exit 6 */
} bkey_result;

#define BKEY_DETAIL_MAX 256

typedef struct bkey_error {
	bkey_result code;
	char detail[BKEY_DETAIL_MAX];	/* always sanitized, NUL-terminated */
} bkey_error;

/* Exit status of bkey-approve for a result. */
int bkey_result_exit(bkey_result r);
/* The result an exit status stands for (4: protocol, for token too);
 * BKEY_ERR_INTERNAL for any other status. */
bkey_result bkey_result_from_exit(int status);
/* "unavailable", "protocol", "token", "cancelled", "usage", "config",
 * "internal", "rate_limited"; "approved", "denied", "expired" for the others. */
const char *bkey_result_reason(bkey_result r);
/* Parse a reason word back (for the spawn side); BKEY_ERR_INTERNAL if unknown. */
bkey_result bkey_result_from_reason(const char *reason);

/*
 * Record an error. The formatted text is passed through the sanitizer
 * (it may quote server or user input) and truncated to fit. err is never
 * NULL by contract (every caller owns a record; NULL is only tolerated).
 * Returns -1 so callers can write "return bkey_seterr(...)".
 */
int bkey_seterr(bkey_error *err, bkey_result code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
