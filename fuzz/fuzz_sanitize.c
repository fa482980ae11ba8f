/* SPDX-License-Identifier: ISC */
/*
 * bkey_sanitize and bkey_sanitize_into. The first input byte picks the
 * output capacity; the rest is the text. Invariants: output is valid UTF-8,
 * holds no byte < 0x20 and no 0x7f, fits the cap, both entry points agree,
 * and sanitizing the output again changes nothing (idempotent) as long as
 * it was not capped (a capped result gains "…", which is stable too).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n > max || strlen(s) != n)
		abort();
	if (!bkey_utf8_valid(s, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, n, n2;
	char *src, *a, *b, *dst;

	if (size < 1)
		return 0;
	max = 3 + data[0] * 4u;		/* 3 .. 1023 */
	size--;
	data++;
	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);

	/* fresh copy */
	if ((a = bkey_sanitize(src, size, max)) == NULL)
		abort();
	n = strlen(a);
	check_text(a, n, max);
	/* idempotent: clean text passes unchanged */
	if ((b = bkey_sanitize(a, n, max)) == NULL)
		abort();
	if (strcmp(a, b) != 0)
		abort();
	free(b);

	/* into a fixed buffer of max+1 bytes: same result */
	if ((dst = malloc(max + 1)) == NULL)
		abort();
	n2 = bkey_sanitize_into(dst, max + 1, src, size);
	if (n2 != strlen(dst))
		abort();
	check_text(dst, n2, max);
	if (max >= 3 && strcmp(dst, a) != 0)
		abort();
	free(dst);

	/* tiny buffers never overflow */
	for (n = 0; n < 6; n++) {
		char *t = malloc(n ? n : 1);

		if (t == NULL)
			abort();
		n2 = bkey_sanitize_into(n ? t : NULL, n, src, size);
		if (n >= 1 && (n2 != strlen(t) || n2 >= n))
			abort();
		if (n >= 1)
			check_text(t, n2, n - 1);
		free(t);
	}
	free(a);
	free(src);
	return 0;
}
