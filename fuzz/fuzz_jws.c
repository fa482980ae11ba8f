/* SPDX-License-Identifier: ISC */
/*
 * The RSA / ECDSA side of JWS (helper/jws_ossl.c). First byte: mode.
 *   0: an EC key from x||y (32 or 48 bytes each); if accepted, the point
 *      is on the curve (OpenSSL's own check, done again here).
 *   1: an RSA key, n then e (the second byte: e's length); if accepted,
 *      2048..8192 bits, e odd.
 *   2-5: the rest is a signature for ES256, ES384, RS256, PS256 over a
 *      fixed message under fixed keys: it must never verify (a forgery),
 *      whatever its length or form (DER, R||S, zeros, n itself).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "config.h"
#include "jws_ossl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *k256, *k384, *krsa;

static void
setup(void)
{
	if (krsa != NULL)
		return;
	k256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	krsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (k256 == NULL || k384 == NULL || krsa == NULL)
		abort();
}

static void
ec_mode(const uint8_t *d, size_t n)
{
	void *key = NULL;
	size_t clen = n / 2;

	if (bkey_jws_ec_key(d, d + clen, clen, &key) != 0) {
		if (key != NULL)
			abort();
		return;
	}
	if ((clen != 32 && clen != 48) || !EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_bits(key) != (int)clen * 8)
		abort();
	bkey_jws_key_free(key);
}

static void
rsa_mode(const uint8_t *d, size_t n)
{
	void *key = NULL;
	size_t elen;

	if (n < 1)
		return;
	elen = d[0];
	if (elen > n - 1)
		return;
	if (bkey_jws_rsa_key(d + 1 + elen, n - 1 - elen, d + 1, elen,
	    &key) != 0) {
		if (key != NULL)
			abort();
		return;
	}
	if (!EVP_PKEY_is_a(key, "RSA") ||
	    EVP_PKEY_get_bits(key) < BKEY_RSA_MIN_BITS ||
	    EVP_PKEY_get_bits(key) > BKEY_RSA_MAX_BITS || elen == 0 ||
	    (d[elen] & 1) == 0)
		abort();
	bkey_jws_key_free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned algs[] = { BKEY_ALG_ES256, BKEY_ALG_ES384,
	    BKEY_ALG_RS256, BKEY_ALG_PS256 };
	static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	EVP_PKEY *keys[] = { k256, k384, krsa, krsa };
	unsigned mode;

	if (size < 1)
		return 0;
	setup();
	keys[0] = k256;
	keys[1] = k384;
	keys[2] = keys[3] = krsa;
	mode = data[0] % 6;
	if (mode == 0)
		ec_mode(data + 1, size - 1);
	else if (mode == 1)
		rsa_mode(data + 1, size - 1);
	else if (bkey_jws_verify(algs[mode - 2], keys[mode - 2],
	    (const unsigned char *)msg, sizeof(msg) - 1, data + 1,
	    size - 1) == 0)
		abort();		/* a forgery */
	/* The wrong type of key never verifies anything. */
	if (mode >= 2 && bkey_jws_verify(algs[mode - 2],
	    keys[(mode - 2 + 2) % 4], (const unsigned char *)msg,
	    sizeof(msg) - 1, data + 1, size - 1) == 0)
		abort();
	return 0;
}
