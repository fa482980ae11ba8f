/* SPDX-License-Identifier: ISC */
/*
 * bkey_b64url_decode / _decode_alloc. Invariants: a decoded input encodes
 * back to exactly the input (strict: one spelling per byte string); the
 * output never exceeds the capacity given; both entry points agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *dst, small[4];
	size_t cap, n = 0, n2 = 0, n3 = 0;
	char *src, *enc, *a = NULL;
	int r, r2;

	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);
	cap = size / 4 * 3 + 3;
	if ((dst = malloc(cap)) == NULL)
		abort();
	r = bkey_b64url_decode(src, size, dst, cap, &n);
	r2 = bkey_b64url_decode_alloc(src, size, &a, &n2);
	if (r != r2)
		abort();
	if (r == 0) {
		if (n > cap || n != n2 || memcmp(a, dst, n) != 0 ||
		    a[n] != '\0')
			abort();
		if ((enc = bkey_b64url_encode(dst, n)) == NULL)
			abort();
		if (strlen(enc) != size || memcmp(enc, src, size) != 0)
			abort();
		free(enc);
		/* a too small buffer is an error, not an overflow */
		if (bkey_b64url_decode(src, size, small, sizeof(small), &n3)
		    == 0 && n3 > sizeof(small))
			abort();
		if (n > sizeof(small) && bkey_b64url_decode(src, size, small,
		    sizeof(small), &n3) == 0)
			abort();
	} else if (a != NULL) {
		abort();
	}
	free(a);
	free(dst);
	free(src);
	return 0;
}
