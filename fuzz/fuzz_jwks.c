/* SPDX-License-Identifier: ISC */
/*
 * bkey_jwks_parse: the issuer's key set (from the network or the cache
 * file). Invariants: a parsed set holds at least one key, each kid is
 * NUL-terminated, and bkey_jwks_find returns keys of the set only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bkey_jwks ks;
	const struct bkey_jwk *k;
	bkey_error err;
	char *src;
	size_t i;

	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);
	memset(&ks, 0, sizeof(ks));
	memset(&err, 0, sizeof(err));
	if (bkey_jwks_parse(&ks, src, size, &err) == 0) {
		if (ks.n == 0 || ks.keys == NULL)
			abort();
		for (i = 0; i < ks.n; i++) {
			if (memchr(ks.keys[i].kid, '\0',
			    sizeof(ks.keys[i].kid)) == NULL)
				abort();
			if (ks.keys[i].kid[0] == '\0')
				continue;	/* "" names no key */
			k = bkey_jwks_find(&ks, ks.keys[i].kid);
			if (k == NULL || strcmp(k->kid, ks.keys[i].kid) != 0 || k < ks.keys || k >= ks.keys + ks.n)
				abort();
		}
		k = bkey_jwks_find(&ks, NULL);
		if ((k != NULL) != (ks.n == 1))
			abort();
		bkey_jwks_free(&ks);
	} else if (err.detail[0] == '\0') {
		abort();
	}
	free(src);
	return 0;
}
