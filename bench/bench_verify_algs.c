/* SPDX-License-Identifier: ISC */
/*
 * Benchmark: one approval token's verification per algorithm (issue 13):
 * ES256, ES384, RS256 (2048 bits), PS256 (2048 bits), against a parsed
 * set (a run parses the JWKS once), and apart the JWKS parse with its key
 * checks. Prints "verify_us_ALG" and "jwks_parse_us_ALG" lines for
 * bench/run.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "jwks.h"
#include "jwt.h"
#include "result.h"
#include "../tests/unit/ossl_keys.h"

#define ROUNDS 2000

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Mean microseconds to parse jwks (*parse_us) and to verify token with
 * the parsed set (the return), or -1. */
static double
time_verify(const char *jwks, const char *token, unsigned alg, time_t now,
    double *parse_us)
{
	struct bkey_jwt_expect want = { 0 };
	struct bkey_jwks ks = { 0 };
	bkey_error err = { 0 };
	double t0, us = -1;
	int i;

	bench_want(&want, now);
	want.algs = alg;
	t0 = now_s();
	for (i = 0; i < ROUNDS; i++) {
		if (bkey_jwks_parse_algs(&ks, jwks, strlen(jwks), alg,
		    &err) != 0)
			goto out;
		if (i + 1 < ROUNDS)
			bkey_jwks_free(&ks);
	}
	*parse_us = (now_s() - t0) * 1e6 / ROUNDS;
	t0 = now_s();
	for (i = 0; i < ROUNDS; i++) {
		struct bkey_jwt_claims c = { 0 };

		if (bkey_jwt_verify(token, &ks, &want, &c, &err) != 0)
			goto out;
		bkey_jwt_claims_free(&c);
	}
	us = (now_s() - t0) * 1e6 / ROUNDS;
 out:
	if (us < 0)
		fprintf(stderr, "verify failed: %s\n", err.detail);
	bkey_jwks_free(&ks);
	return us;
}

int
main(void)
{
	static const char *const names[] = { "ES256", "ES384", "RS256",
	    "PS256" };
	char payload[512], hdr[128], members[3200], jwks[4096], *tok;
	time_t now = time(NULL);
	EVP_PKEY *k;
	unsigned alg;
	double us, parse_us = 0;
	size_t i;

	if (sodium_init() < 0)
		return 1;
	snprintf(payload, sizeof(payload), "{\"iss\":\"https://api.bkey.id\","
	    "\"sub\":\"did:bkey:alice\",\"aud\":\"client\",\"scope\":"
	    "\"approve:login\",\"jti\":\"j1\",\"iat\":%lld,\"exp\":%lld}",
	    (long long)now, (long long)now + 300);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		alg = bkey_alg_bit(names[i], strlen(names[i]));
		k = names[i][0] == 'E' ? tk_ec(alg == BKEY_ALG_ES256 ? "P-256" :
		    "P-384") : tk_rsa(2048);
		tk_jwk_members(k, members, sizeof(members));
		snprintf(jwks, sizeof(jwks), "{\"keys\":[{%s,\"kid\":\"k1\"}]}",
		    members);
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"k1\","
		    "\"typ\":\"JWT\"}", names[i]);
		tok = tk_token(k, alg, hdr, payload, 0, RSA_PSS_SALTLEN_DIGEST);
		us = time_verify(jwks, tok, alg, now, &parse_us);
		free(tok);
		EVP_PKEY_free(k);
		if (us < 0)
			return 1;
		printf("verify_us_%s %.1f us\n", names[i], us);
		printf("jwks_parse_us_%s %.1f us\n", names[i], parse_us);
	}
	return 0;
}
