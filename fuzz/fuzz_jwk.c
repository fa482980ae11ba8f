/* SPDX-License-Identifier: ISC */
/*
 * bkey_jwks_parse_algs with EC and RSA keys (issue 13). The first byte is
 * the allow-list (its low 5 bits, BKEY_ALG_*), the rest the JWKS.
 * Invariants: every kept key may verify something, only what token_algs
 * allow, and only what its type allows (Ed25519: EdDSA, no EVP key; EC:
 * ES256 or ES384 alone, on the curve of that size; RSA: RS256 / PS256,
 * 2048 to 8192 bits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "config.h"
#include "jwks.h"
#include "jws_ossl.h"

#define RSA_ALGS (BKEY_ALG_RS256 | BKEY_ALG_PS256)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_key(const struct bkey_jwk *k, unsigned algs)
{
	const EVP_PKEY *p = k->pkey;

	if (k->algs == 0 || (k->algs & ~algs) != 0)
		abort();
	if (k->algs == BKEY_ALG_EDDSA) {
		if (p != NULL)
			abort();
		return;
	}
	if (p == NULL)
		abort();
	if (k->algs == BKEY_ALG_ES256 || k->algs == BKEY_ALG_ES384) {
		if (!EVP_PKEY_is_a(p, "EC") || EVP_PKEY_get_bits(p) !=
		    (k->algs == BKEY_ALG_ES256 ? 256 : 384))
			abort();
	} else if ((k->algs & ~RSA_ALGS) != 0 || !EVP_PKEY_is_a(p, "RSA") ||
	    EVP_PKEY_get_bits(p) < BKEY_RSA_MIN_BITS ||
	    EVP_PKEY_get_bits(p) > BKEY_RSA_MAX_BITS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bkey_jwks ks;
	bkey_error err;
	unsigned algs;
	char *src;
	size_t i;

	if (size < 1)
		return 0;
	algs = data[0] & 0x1f;
	if ((src = malloc(size)) == NULL)
		return 0;
	memcpy(src, data + 1, size - 1);
	memset(&err, 0, sizeof(err));
	if (bkey_jwks_parse_algs(&ks, src, size - 1, algs, &err) == 0) {
		if (ks.n == 0 || ks.keys == NULL)
			abort();
		for (i = 0; i < ks.n; i++)
			check_key(&ks.keys[i], algs ? algs : BKEY_ALG_EDDSA);
		bkey_jwks_free(&ks);
	} else if (err.detail[0] == '\0' || ks.keys != NULL || ks.n != 0) {
		abort();
	}
	free(src);
	return 0;
}
