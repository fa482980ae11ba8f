/* SPDX-License-Identifier: ISC */
/* Outcome codes, their exit statuses and reason words, and error records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "result.h"
#include "sanitize.h"

static const struct {
	bkey_result r;
	int exit;
	const char *word;
} results[] = {
	{ BKEY_APPROVED, 0, "approved" },
	{ BKEY_DENIED, 1, "denied" },
	{ BKEY_EXPIRED, 2, "expired" },
	{ BKEY_ERR_UNAVAILABLE, 3, "unavailable" },
	{ BKEY_ERR_PROTOCOL, 4, "protocol" },
	{ BKEY_ERR_TOKEN, 4, "token" },
	{ BKEY_ERR_CANCELLED, 5, "cancelled" },
	{ BKEY_ERR_USAGE, 64, "usage" },
	{ BKEY_ERR_CONFIG, 78, "config" },
	{ BKEY_ERR_INTERNAL, 70, "internal" },
	{ BKEY_ERR_RATE_LIMITED, 6, "rate_limited" },
};

#define NRESULTS (sizeof(results) / sizeof(results[0]))

int
bkey_result_exit(bkey_result r)
{
	size_t i;

	for (i = 0; i < NRESULTS; i++)
		if (results[i].r == r)
			return results[i].exit;
	return 70;	/* unknown value: never 0 */
}

bkey_result
bkey_result_from_exit(int status)
{
	size_t i;

	for (i = 0; i < NRESULTS; i++)
		if (results[i].exit == status)
			return results[i].r;
	return BKEY_ERR_INTERNAL;
}

const char *
bkey_result_reason(bkey_result r)
{
	size_t i;

	for (i = 0; i < NRESULTS; i++)
		if (results[i].r == r)
			return results[i].word;
	return "internal";
}

bkey_result
bkey_result_from_reason(const char *reason)
{
	size_t i;

	if (reason == NULL)
		return BKEY_ERR_INTERNAL;
	for (i = 0; i < NRESULTS; i++)
		if (strcmp(results[i].word, reason) == 0)
			return results[i].r;
	return BKEY_ERR_INTERNAL;
}

int
bkey_seterr(bkey_error *err, bkey_result code, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		tmp[0] = '\0';
	/* The text may quote server or user input: never store it raw. */
	bkey_sanitize_into(err->detail, sizeof(err->detail), tmp, strlen(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return -1;
}
