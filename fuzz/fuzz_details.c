/* SPDX-License-Identifier: ISC */
/*
 * bkey_sanitize_details (action_details from a request). Invariants: a
 * result is a JSON object that bkey_json_parse accepts, at most
 * BKEY_DETAILS_MAX bytes, with only string and number members whose keys
 * and string values are already sanitized; it is a fixed point (sanitizing
 * it again gives the same text); NULL comes with *bad exactly when the
 * input does not parse as an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_clean(const char *s)
{
	char *c = bkey_sanitize(s, strlen(s), strlen(s) + 8);

	if (c == NULL || strcmp(c, s) != 0)
		abort();
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bkey_json j, in;
	char *src, *out, *again, *s;
	int bad = -1, bad2 = -1, n, i, k, v, inparsed;

	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);
	inparsed = bkey_json_parse(&in, src, size) == 0;
	if (inparsed)
		bkey_json_free(&in);
	out = bkey_sanitize_details(src, size, &bad);
	if (out == NULL) {
		/* ENOMEM does not happen here: NULL means bad input (which
		 * may parse: a string member holding \u0000 is refused) */
		if (bad != 1)
			abort();
		free(src);
		return 0;
	}
	if (bad != 0 || !inparsed)
		abort();
	if (strlen(out) > BKEY_DETAILS_MAX)
		abort();
	if (bkey_json_parse(&j, out, strlen(out)) != 0)
		abort();
	n = bkey_json_size(&j, 0);
	for (i = 0; i < n; i++) {
		if (bkey_json_member_at(&j, 0, i, &k, &v) != 0)
			abort();
		if (bkey_json_str(&j, k, &s) != 0)
			abort();
		if (s[0] == '\0' || strlen(s) > 64)
			abort();
		check_clean(s);
		free(s);
		switch (bkey_json_type_of(&j, v)) {
		case BKEY_JSON_STRING:
			if (bkey_json_str(&j, v, &s) != 0)
				abort();
			check_clean(s);
			free(s);
			break;
		case BKEY_JSON_NUMBER:
			break;
		default:
			abort();
		}
	}
	bkey_json_free(&j);
	again = bkey_sanitize_details(out, strlen(out), &bad2);
	if (again == NULL || bad2 != 0 || strcmp(again, out) != 0)
		abort();
	free(again);
	free(out);
	free(src);
	return 0;
}
