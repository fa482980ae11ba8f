/* SPDX-License-Identifier: ISC */
/* JSON Web Key Sets: OKP/Ed25519, EC P-256/P-384 and RSA public keys. */
#ifndef BKEY_JWKS_H
#define BKEY_JWKS_H

#include <stddef.h>
#include "result.h"

struct bkey_jwk {
	char kid[128];	      /* "" when the key has none */
	unsigned algs;	      /* BKEY_ALG_* this key may verify */
	unsigned char pk[32]; /* Ed25519 (algs == BKEY_ALG_EDDSA) */
	void *pkey;	      /* EVP_PKEY of an EC or RSA key */
};

struct bkey_jwks {
	struct bkey_jwk *keys;
	size_t n;
};

/*
 * Parse a JWKS document, keeping the keys that can verify one of algs
 * (BKEY_ALG_* bits; 0 means EdDSA alone). A key verifies only what its
 * type and curve allow: OKP/Ed25519 EdDSA, EC P-256 ES256, EC P-384 ES384,
 * RSA (>= 2048 bits, e odd and small) RS256 and PS256; and only its own
 * alg when it names one. Keys of another type or curve, with a malformed
 * member, use present and != sig, or key_ops present and not an array of
 * strings holding "verify" are skipped; a key carrying a private member
 * makes the whole set invalid. A set with no usable key is an error
 * (BKEY_ERR_PROTOCOL). 0 / -1.
 */
int bkey_jwks_parse_algs(struct bkey_jwks *ks, const char *json, size_t len,
    unsigned algs, bkey_error *err);
/* The same for EdDSA alone. */
int bkey_jwks_parse(struct bkey_jwks *ks, const char *json, size_t len,
    bkey_error *err);
void bkey_jwks_free(struct bkey_jwks *ks);
/* Key for kid (kid NULL: only if the set holds exactly one key). */
const struct bkey_jwk *bkey_jwks_find(const struct bkey_jwks *ks,
    const char *kid);

#endif
