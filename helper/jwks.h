/* SPDX-License-Identifier: ISC */
/* JSON Web Key Sets: only OKP/Ed25519 public keys are kept. */
#ifndef BKEY_JWKS_H
#define BKEY_JWKS_H

#include <stddef.h>
#include "result.h"

struct bkey_jwk {
	char kid[128];			/* "" when the key has none */
	unsigned char pk[32];
};

struct bkey_jwks {
	struct bkey_jwk *keys;
	size_t n;
};

/*
 * Parse a JWKS document. Keys with kty != OKP, crv != Ed25519, alg present
 * and != EdDSA, use present and != sig, key_ops present and not an array
 * of strings holding "verify", or x not 32 bytes are skipped; a key
 * carrying a private "d" makes the whole set invalid. A set with no usable
 * key is an error (BKEY_ERR_PROTOCOL). 0 / -1.
 */
int bkey_jwks_parse(struct bkey_jwks *ks, const char *json, size_t len,
    bkey_error *err);
void bkey_jwks_free(struct bkey_jwks *ks);
/* Key for kid (kid NULL: only if the set holds exactly one key). */
const struct bkey_jwk *bkey_jwks_find(const struct bkey_jwks *ks,
    const char *kid);

#endif
