/* SPDX-License-Identifier: ISC */
/*
 * RSA and ECDSA public keys and JWS signatures through OpenSSL's EVP
 * interface (RFC 7518 3.3-3.5). Ed25519 stays on libsodium (jwt.c).
 */
#ifndef BKEY_JWS_OSSL_H
#define BKEY_JWS_OSSL_H

#include <stddef.h>

#define BKEY_RSA_MIN_BITS 2048
#define BKEY_RSA_MAX_BITS 8192 /* bounds the work one token costs */
#define BKEY_JWS_SIG_MAX (BKEY_RSA_MAX_BITS / 8)

/*
 * An EC public key from its affine coordinates (each clen bytes, big
 * endian): clen 32 is P-256, 48 is P-384. The point must be on the curve.
 * *out is an EVP_PKEY (free with bkey_jws_key_free). 0 / -1.
 */
int bkey_jws_ec_key(const unsigned char *x, const unsigned char *y, size_t clen,
    void **out);

/*
 * An RSA public key from n and e (big endian, RFC 7518 6.3.1): modulus of
 * BKEY_RSA_MIN_BITS to BKEY_RSA_MAX_BITS bits, e odd, 3 to 2^32-1. 0 / -1.
 */
int bkey_jws_rsa_key(const unsigned char *n, size_t nlen,
    const unsigned char *e, size_t elen, void **out);

void bkey_jws_key_free(void *key);

/*
 * Verify sig over msg with key for alg (one BKEY_ALG_* bit other than
 * EdDSA). ES*: sig is the JWS R||S of twice the coordinate size; RS/PS:
 * sig is as long as the modulus. 0 valid / -1 anything else.
 */
int bkey_jws_verify(unsigned alg, void *key, const unsigned char *msg,
    size_t mlen, const unsigned char *sig, size_t slen);

#endif
