/* SPDX-License-Identifier: ISC */
/*
 * bkey_jwt_verify against a fixed JWKS. The first input byte picks the mode:
 *   even: the rest is the token string, as received from the server;
 *   odd:  the rest is "HEADER\nPAYLOAD" (JSON texts); the harness encodes
 *         and signs them with a key of the set (bit 1 picks which), so the
 *         claim checks behind the signature are reached too.
 * Bit 2 asks for require_aud, bit 3 drops the expected scope.
 * Invariants: 0 only with claims that meet the expectations; a rejection
 * sets a BKEY_ERR_TOKEN error; claims are empty on failure; no leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "b64url.h"
#include "jwks.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define NOW 1700000000
#define ISS "https://issuer.example"
#define SUB "did:bkey:alice"

static struct bkey_jwks ks;
static unsigned char sk[2][crypto_sign_SECRETKEYBYTES];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[crypto_sign_SEEDBYTES], pk[2][32];
	char json[512], *x[2];
	bkey_error err;
	int i;

	if (sodium_init() < 0)
		abort();
	for (i = 0; i < 2; i++) {
		memset(seed, 'A' + i, sizeof(seed));
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
		if ((x[i] = bkey_b64url_encode(pk[i], 32)) == NULL)
			abort();
	}
	snprintf(json, sizeof(json), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k1\",\"x\":\"%s\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k2\",\"alg\":\"EdDSA\","
	    "\"use\":\"sig\",\"x\":\"%s\"}]}", x[0], x[1]);
	free(x[0]);
	free(x[1]);
	if (bkey_jwks_parse(&ks, json, strlen(json), &err) != 0 || ks.n != 2)
		abort();
	return 0;
}

/* "b64(header).b64(payload).b64(sig)" signed with key k, malloc'd. */
static char *
make_token(const char *h, size_t hl, const char *p, size_t pl, int k)
{
	unsigned char sig[crypto_sign_BYTES];
	char *eh, *ep, *es = NULL, *t = NULL;
	size_t n;

	eh = bkey_b64url_encode((const unsigned char *)h, hl);
	ep = bkey_b64url_encode((const unsigned char *)p, pl);
	if (eh == NULL || ep == NULL)
		abort();
	n = strlen(eh) + strlen(ep) + 2 + 100;
	if ((t = malloc(n)) == NULL)
		abort();
	snprintf(t, n, "%s.%s", eh, ep);
	crypto_sign_detached(sig, NULL, (const unsigned char *)t, strlen(t),
	    sk[k]);
	if ((es = bkey_b64url_encode(sig, sizeof(sig))) == NULL)
		abort();
	snprintf(t + strlen(t), n - strlen(t), ".%s", es);
	free(eh);
	free(ep);
	free(es);
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bkey_jwt_claims zero;
	struct bkey_jwt_expect want;
	struct bkey_jwt_claims c;
	bkey_error err;
	const char *nl;
	char *tok;
	int mode, r;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (mode & 1) {
		nl = memchr(data, '\n', size);
		if (nl == NULL)
			return 0;
		tok = make_token((const char *)data, (size_t)(nl -
		    (const char *)data), nl + 1, size - (size_t)(nl + 1 -
		    (const char *)data), (mode >> 1) & 1);
	} else {
		if ((tok = malloc(size + 1)) == NULL)
			return 0;
		memcpy(tok, data, size);
		tok[size] = '\0';
	}
	memset(&want, 0, sizeof(want));
	want.issuer = ISS;
	want.audience = "client-1";
	want.require_aud = (mode >> 2) & 1;
	want.scope = (mode & 8) ? NULL : "approve:action";
	want.sub = SUB;
	want.auth_req_id = "ar-1";
	want.leeway = 30;
	want.now = NOW;
	memset(&err, 0, sizeof(err));
	r = bkey_jwt_verify(tok, &ks, &want, &c, &err);
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "verify: %d %s\n", r, err.detail);
	if (r == 0) {
		if (c.iss == NULL || c.sub == NULL || strcmp(c.sub, SUB) != 0 ||
		    strncmp(c.iss, ISS, strlen(ISS)) != 0 ||
		    c.exp + 30 < NOW || c.iat > NOW + 30 || c.iat > c.exp ||
		    (c.jti != NULL && c.jti[0] == '\0') ||
		    (want.scope != NULL && c.scope == NULL))
			abort();
		bkey_jwt_claims_free(&c);
	} else {
		if (memcmp(&c, &zero, sizeof(c)) != 0)
			abort();
		if (r == -1 && (err.code != BKEY_ERR_TOKEN ||
		    err.detail[0] == '\0'))
			abort();
		if (r != -1 && r != BKEY_JWT_UNKNOWN_KID)
			abort();
	}
	free(tok);
	return 0;
}
