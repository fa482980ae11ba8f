/* SPDX-License-Identifier: ISC */
/*
 * Benchmark: how long one approval token takes to verify (JWKS lookup,
 * EdDSA signature, claim checks). Prints one "name value unit" line per
 * figure for bench/run.py, which compares them with the targets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "b64url.h"
#include "bench_common.h"
#include "jwks.h"
#include "jwt.h"
#include "result.h"

#define ROUNDS 20000

static char *
seg(const char *s)
{
	return bkey_b64url_encode((const unsigned char *)s, strlen(s));
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	char payload[512], signing[2048], token[4096], jwks[512];
	char *h = NULL, *p = NULL, *s = NULL, *x = NULL;
	struct bkey_jwks ks = { 0 };
	struct bkey_jwt_expect want = { 0 };
	bkey_error err = { 0 };
	time_t now = time(NULL);
	double t0, t1;
	int i, rc = 1;

	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	if ((x = bkey_b64url_encode(pk, sizeof(pk))) == NULL)
		goto out;
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\",\"kid\":\"k1\",\"alg\":\"EdDSA\","
	    "\"use\":\"sig\"}]}", x);
	snprintf(payload, sizeof(payload), "{\"iss\":\"https://api.bkey.id\","
	    "\"sub\":\"did:bkey:alice\",\"aud\":\"client\",\"scope\":"
	    "\"approve:login\",\"jti\":\"j1\",\"iat\":%lld,\"exp\":%lld}",
	    (long long)now, (long long)now + 300);
	h = seg("{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JWT\"}");
	p = seg(payload);
	if (h == NULL || p == NULL)
		goto out;
	snprintf(signing, sizeof(signing), "%s.%s", h, p);
	crypto_sign_detached(sig, NULL, (unsigned char *)signing,
	    strlen(signing), sk);
	if ((s = bkey_b64url_encode(sig, sizeof(sig))) == NULL)
		goto out;
	snprintf(token, sizeof(token), "%s.%s", signing, s);

	bench_want(&want, now);

	t0 = now_s();
	for (i = 0; i < ROUNDS; i++) {
		struct bkey_jwt_claims c = { 0 };

		if (bkey_jwks_parse(&ks, jwks, strlen(jwks), &err) != 0 ||
		    bkey_jwt_verify(token, &ks, &want, &c, &err) != 0) {
			fprintf(stderr, "verify failed: %s\n", err.detail);
			goto out;
		}
		bkey_jwt_claims_free(&c);
		bkey_jwks_free(&ks);
	}
	t1 = now_s();
	printf("verify_us %.1f us\n", (t1 - t0) * 1e6 / ROUNDS);
	printf("verify_per_s %.0f ops\n", ROUNDS / (t1 - t0));
	rc = 0;
out:
	bkey_jwks_free(&ks);
	free(h);
	free(p);
	free(s);
	free(x);
	sodium_memzero(sk, sizeof(sk));
	return rc;
}
