/* SPDX-License-Identifier: ISC */
/*
 * bkey_json_parse and every reader on the parsed document. Invariants: no
 * crash or leak; a document that parses has an object at token 0; every
 * member of every object is found again by bkey_json_find under its
 * unescaped key (duplicates are rejected at parse time); every string
 * read back is valid UTF-8 without NUL; raw text of a token re-parses when
 * it is an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const bkey_json *j, int i, int depth)
{
	bkey_json_type t = bkey_json_type_of(j, i);
	long long v;
	char *s = NULL, *raw = NULL;
	int n, k, key, val;

	if (t == BKEY_JSON_NONE || depth > 100)
		abort();
	if (bkey_json_raw(j, i, &raw) == 0)
		free(raw);
	if (bkey_json_str(j, i, &s) == 0) {
		if (t != BKEY_JSON_STRING || !bkey_utf8_valid(s, strlen(s)))
			abort();
		free(s);
	}
	(void)bkey_json_int(j, i, &v);
	n = bkey_json_size(j, i);
	if (t == BKEY_JSON_OBJECT) {
		for (k = 0; k < n; k++) {
			if (bkey_json_member_at(j, i, k, &key, &val) != 0)
				abort();
			if (bkey_json_type_of(j, key) != BKEY_JSON_STRING)
				abort();
			if (bkey_json_str(j, key, &s) != 0)
				abort();	/* keys were checked at parse */
			if (bkey_json_find(j, i, s) != val)
				abort();
			if (bkey_json_opt_str(j, i, s, &raw) == 1)
				free(raw);
			if (bkey_json_get_int(j, i, s, &v) != 0 &&
			    bkey_json_type_of(j, val) == BKEY_JSON_NUMBER &&
			    bkey_json_int(j, val, &v) == 0)
				abort();
			free(s);
			walk(j, val, depth + 1);
		}
		if (bkey_json_member_at(j, i, n, &key, &val) == 0)
			abort();
	} else if (t == BKEY_JSON_ARRAY) {
		for (k = 0; k < n; k++) {
			val = bkey_json_array_at(j, i, k);
			if (val < 0)
				abort();
			walk(j, val, depth + 1);
		}
		if (bkey_json_array_at(j, i, n) >= 0)
			abort();
	} else if (bkey_json_find(j, i, "a") != -1) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bkey_json j, j2;
	char *copy, *raw = NULL;

	/* exact-size heap copy so ASan sees any read past the end */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (bkey_json_parse(&j, copy, size) == 0) {
		if (bkey_json_type_of(&j, 0) != BKEY_JSON_OBJECT)
			abort();
		walk(&j, 0, 0);
		/* out-of-range indexes are refused, not read */
		if (bkey_json_type_of(&j, -1) != BKEY_JSON_NONE ||
		    bkey_json_type_of(&j, j.ntok) != BKEY_JSON_NONE ||
		    bkey_json_find(&j, j.ntok, "a") != -1)
			abort();
		if (bkey_json_raw(&j, 0, &raw) == 0) {
			if (bkey_json_parse(&j2, raw, strlen(raw)) != 0)
				abort();
			bkey_json_free(&j2);
			free(raw);
		}
		bkey_json_free(&j);
	}
	free(copy);
	return 0;
}
