/* SPDX-License-Identifier: ISC */
/*
 * Test keys for the RSA / ECDSA JWS paths: generated with OpenSSL, written
 * as JWK members, and JWS signatures made the way an issuer makes them
 * (ES*: raw R||S; or, to test the refusal, the DER form).
 */
#ifndef BKEY_TEST_OSSL_KEYS_H
#define BKEY_TEST_OSSL_KEYS_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "config.h"

#define TK_SIG_MAX 1024

static inline EVP_PKEY *
tk_rsa(unsigned bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);

	if (k == NULL)
		abort();
	return k;
}

static inline EVP_PKEY *
tk_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	if (k == NULL)
		abort();
	return k;
}

static inline void
tk_b64(const unsigned char *p, size_t n, char *out, size_t cap)
{
	if (sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) > cap)
		abort();
	sodium_bin2base64(out, cap, p, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A BIGNUM parameter of k as base64url, padded to pad bytes (0: none). */
static inline void
tk_bn_b64(const EVP_PKEY *k, const char *name, size_t pad, char *out,
    size_t cap)
{
	unsigned char bin[1100];
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		abort();
	n = pad ? BN_bn2binpad(bn, bin, (int)pad) : BN_bn2bin(bn, bin);
	if (n <= 0)
		abort();
	tk_b64(bin, (size_t)n, out, cap);
	BN_free(bn);
}

/* The JWK members of k's public part: "kty":..., without braces. */
static inline void
tk_jwk_members(const EVP_PKEY *k, char *out, size_t cap)
{
	char a[1500], b[1500];
	size_t clen;

	if (EVP_PKEY_is_a(k, "RSA")) {
		tk_bn_b64(k, OSSL_PKEY_PARAM_RSA_N, 0, a, sizeof(a));
		tk_bn_b64(k, OSSL_PKEY_PARAM_RSA_E, 0, b, sizeof(b));
		snprintf(out, cap, "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"",
		    a, b);
		return;
	}
	clen = (size_t)(EVP_PKEY_get_bits(k) + 7) / 8;
	tk_bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, clen, a, sizeof(a));
	tk_bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, clen, b, sizeof(b));
	snprintf(out, cap, "\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\","
	    "\"y\":\"%s\"", clen == 32 ? "P-256" : "P-384", a, b);
}

/* DER ECDSA-Sig-Value to JWS R||S (each half clen bytes). */
static inline size_t
tk_der_to_raw(const unsigned char *der, size_t derlen, size_t clen,
    unsigned char *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;

	if (es == NULL)
		abort();
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, (int)clen) < 0 ||
	    BN_bn2binpad(s, raw + clen, (int)clen) < 0)
		abort();
	ECDSA_SIG_free(es);
	return 2 * clen;
}

/*
 * Sign msg for alg (BKEY_ALG_*) with k. ES*: raw R||S unless der. PS256
 * uses salt length saltlen (-1: the hash length, as JWS requires).
 */
static inline size_t
tk_sign(EVP_PKEY *k, unsigned alg, const char *msg, int der, int saltlen,
    unsigned char sig[TK_SIG_MAX])
{
	unsigned char tmp[TK_SIG_MAX];
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t n = sizeof(tmp);
	int es = alg == BKEY_ALG_ES256 || alg == BKEY_ALG_ES384;

	if (m == NULL || EVP_DigestSignInit_ex(m, &pc,
	    alg == BKEY_ALG_ES384 ? "SHA384" : "SHA256", NULL, NULL, k,
	    NULL) != 1)
		abort();
	if (alg == BKEY_ALG_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen) != 1))
		abort();
	if (EVP_DigestSign(m, tmp, &n, (const unsigned char *)msg,
	    strlen(msg)) != 1)
		abort();
	EVP_MD_CTX_free(m);
	if (es && !der)
		return tk_der_to_raw(tmp, n,
		    (size_t)(EVP_PKEY_get_bits(k) + 7) / 8, sig);
	memcpy(sig, tmp, n);
	return n;
}

/* header.payload.signature, signed with k for alg (see tk_sign). */
static inline char *
tk_token(EVP_PKEY *k, unsigned alg, const char *hdr, const char *pay,
    int der, int saltlen)
{
	unsigned char sig[TK_SIG_MAX];
	char h[2048], p[8192], s[1500], *t;
	size_t n, siglen;

	tk_b64((const unsigned char *)hdr, strlen(hdr), h, sizeof(h));
	tk_b64((const unsigned char *)pay, strlen(pay), p, sizeof(p));
	n = strlen(h) + strlen(p) + 2;
	if ((t = malloc(n + sizeof(s) + 1)) == NULL)
		abort();
	snprintf(t, n, "%s.%s", h, p);
	siglen = tk_sign(k, alg, t, der, saltlen, sig);
	tk_b64(sig, siglen, s, sizeof(s));
	snprintf(t + n - 1, sizeof(s) + 2, ".%s", s);
	return t;
}

#endif
