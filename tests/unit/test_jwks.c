/* SPDX-License-Identifier: ISC */
/* JWKS parsing: only Ed25519 signing keys survive; private keys poison the set. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "jwks.h"
#include "result.h"
#include "unit.h"

static unsigned char pk1[32], pk2[32];
static char x1[64], x2[64];

static void
b64(const unsigned char *p, size_t n, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, p, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int
parse(struct bkey_jwks *ks, const char *json, bkey_error *e)
{
	memset(e, 0, sizeof(*e));
	return bkey_jwks_parse(ks, json, strlen(json), e);
}

/* Parsing must fail with BKEY_ERR_PROTOCOL and leave an empty set. */
static int
refused(const char *json)
{
	struct bkey_jwks ks = { (void *)1, 99 };
	bkey_error e;
	int r = parse(&ks, json, &e);

	return r == -1 && e.code == BKEY_ERR_PROTOCOL && e.detail[0] != '\0' &&
	    ks.keys == NULL && ks.n == 0;
}

static void
one_okp_key(void)
{
	struct bkey_jwks ks;
	bkey_error e;
	char js[512];

	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\",\"kid\":\"k1\",\"alg\":\"EdDSA\","
	    "\"use\":\"sig\"}]}", x1);
	CHECK(parse(&ks, js, &e) == 0);
	CHECK(ks.n == 1);
	if (ks.n == 1) {
		CHECK_STR(ks.keys[0].kid, "k1");
		CHECK(memcmp(ks.keys[0].pk, pk1, 32) == 0);
		CHECK(bkey_jwks_find(&ks, "k1") == &ks.keys[0]);
		CHECK(bkey_jwks_find(&ks, NULL) == &ks.keys[0]);
		CHECK(bkey_jwks_find(&ks, "k2") == NULL);
		CHECK(bkey_jwks_find(&ks, "") == NULL);
		CHECK(bkey_jwks_find(&ks, "K1") == NULL);
	}
	bkey_jwks_free(&ks);
	CHECK(ks.keys == NULL && ks.n == 0);
	bkey_jwks_free(&ks);		/* twice is harmless */
}

static void
key_without_kid(void)
{
	struct bkey_jwks ks;
	bkey_error e;
	char js[512];

	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\"}]}", x1);
	CHECK(parse(&ks, js, &e) == 0);
	CHECK(ks.n == 1);
	if (ks.n == 1) {
		CHECK_STR(ks.keys[0].kid, "");
		CHECK(bkey_jwks_find(&ks, NULL) == &ks.keys[0]);
		CHECK(bkey_jwks_find(&ks, "") == NULL);
	}
	bkey_jwks_free(&ks);
}

static void
find_by_kid_of_two(void)
{
	struct bkey_jwks ks;
	const struct bkey_jwk *k;
	bkey_error e;
	char js[1024];

	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"b\"}"
	    "]}", x1, x2);
	CHECK(parse(&ks, js, &e) == 0);
	CHECK(ks.n == 2);
	k = bkey_jwks_find(&ks, "b");
	CHECK(k != NULL && memcmp(k->pk, pk2, 32) == 0);
	k = bkey_jwks_find(&ks, "a");
	CHECK(k != NULL && memcmp(k->pk, pk1, 32) == 0);
	/* No kid is ambiguous with two keys. */
	CHECK(bkey_jwks_find(&ks, NULL) == NULL);
	bkey_jwks_free(&ks);
}

static void
rsa_and_others_skipped(void)
{
	struct bkey_jwks ks;
	bkey_error e;
	char js[2048];

	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"r\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\",\"kid\":\"x\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"alg\","
	    "\"alg\":\"RS256\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"use\","
	    "\"use\":\"enc\"},"
	    "{\"kty\":1,\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"ktynum\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":7},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"good\"}"
	    "]}", x1, x1, x1, x1, x1, x2);
	CHECK(parse(&ks, js, &e) == 0);
	CHECK(ks.n == 1);
	if (ks.n == 1) {
		CHECK_STR(ks.keys[0].kid, "good");
		CHECK(memcmp(ks.keys[0].pk, pk2, 32) == 0);
	}
	CHECK(bkey_jwks_find(&ks, "r") == NULL);
	CHECK(bkey_jwks_find(&ks, "alg") == NULL);
	bkey_jwks_free(&ks);
}

/* A set whose only key carries key_ops OPS: 1 usable, 0 refused. */
static int
usable_with_key_ops(const char *ops)
{
	struct bkey_jwks ks;
	bkey_error e;
	char js[512];
	int r;

	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\",\"kid\":\"k\",\"key_ops\":%s}]}",
	    x1, ops);
	r = parse(&ks, js, &e);
	if (r == 0) {
		r = ks.n == 1 && bkey_jwks_find(&ks, "k") != NULL;
		bkey_jwks_free(&ks);
		return r;
	}
	return refused(js) ? 0 : -1;
}

/* RFC 7517 4.3: a key whose key_ops lacks "verify" is not for us. */
static void
key_ops_checked(void)
{
	struct bkey_jwks ks;
	bkey_error e;
	char js[1024];

	CHECK(usable_with_key_ops("[\"verify\"]") == 1);
	CHECK(usable_with_key_ops("[\"sign\",\"verify\"]") == 1);
	CHECK(usable_with_key_ops("[\"sign\"]") == 0);
	CHECK(usable_with_key_ops("[\"encrypt\",\"wrapKey\"]") == 0);
	CHECK(usable_with_key_ops("[]") == 0);
	CHECK(usable_with_key_ops("[\"Verify\"]") == 0);
	/* Not an array of strings: a malformed key, never used. */
	CHECK(usable_with_key_ops("\"verify\"") == 0);
	CHECK(usable_with_key_ops("[\"verify\",1]") == 0);
	CHECK(usable_with_key_ops("[[\"verify\"]]") == 0);
	CHECK(usable_with_key_ops("{\"verify\":true}") == 0);
	CHECK(usable_with_key_ops("null") == 0);
	/* The others in the set still count. */
	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\","
	    "\"key_ops\":[\"sign\"]},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"b\"}"
	    "]}", x1, x2);
	CHECK(parse(&ks, js, &e) == 0);
	CHECK(ks.n == 1 && bkey_jwks_find(&ks, "a") == NULL &&
	    bkey_jwks_find(&ks, "b") != NULL);
	bkey_jwks_free(&ks);
}

static void
only_rsa_is_no_usable_key(void)
{
	CHECK(refused("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\","
	    "\"e\":\"AQAB\"}]}"));
}

static void
private_key_refused(void)
{
	char js[1024];

	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"b\","
	    "\"d\":\"%s\"}]}", x1, x2, x2);
	CHECK(refused(js));
	/* Even on a key we would have skipped anyway. */
	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\"},"
	    "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}]}",
	    x1);
	CHECK(refused(js));
	/* Whatever the type of d. */
	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\",\"d\":null}]}", x1);
	CHECK(refused(js));
}

static void
x_wrong_length(void)
{
	unsigned char b[33];
	char x31[64], x33[64], js[512];

	memcpy(b, pk1, 32);
	b[32] = 1;
	b64(b, 31, x31, sizeof(x31));
	b64(b, 33, x33, sizeof(x33));
	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\"}]}", x31);
	CHECK(refused(js));
	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\"}]}", x33);
	CHECK(refused(js));
	/* Padded, standard alphabet, or not a string: not base64url. */
	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s=\"}]}", x1);
	CHECK(refused(js));
	CHECK(refused("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"++++++++++++++++++++++++++++++++++++++++++8\"}]}"));
	CHECK(refused("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":32}]}"));
	CHECK(refused("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}]}"));
}

static void
malformed_sets(void)
{
	CHECK(refused("{\"keys\":[]}"));
	CHECK(refused("{}"));
	CHECK(refused("{\"keys\":{}}"));
	CHECK(refused("{\"keys\":\"x\"}"));
	CHECK(refused("{\"keys\":[1]}"));
	CHECK(refused("{\"keys\":[\"k\"]}"));
	CHECK(refused("[]"));
	CHECK(refused(""));
	CHECK(refused("not json"));
	CHECK(refused("{\"keys\":[{\"kty\":\"OKP\"}"));
}

static void
duplicate_kid_refused(void)
{
	char js[1024];

	snprintf(js, sizeof(js), "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"a\"}"
	    "]}", x1, x2);
	CHECK(refused(js));
}

static void
kid_too_long_skipped(void)
{
	char kid[129], js[1024];

	memset(kid, 'k', 128);
	kid[128] = '\0';
	snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
	    "\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\"}]}", x1, kid);
	CHECK(refused(js));
	/* 127 fits. */
	kid[127] = '\0';
	{
		struct bkey_jwks ks;
		bkey_error e;

		snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
		    "\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\"}]}", x1, kid);
		CHECK(parse(&ks, js, &e) == 0);
		CHECK(bkey_jwks_find(&ks, kid) != NULL);
		bkey_jwks_free(&ks);
	}
}

static void
sixteen_keys_cap(void)
{
	char js[8192];
	size_t off;
	int i, n;

	for (n = 16; n <= 17; n++) {
		struct bkey_jwks ks;
		bkey_error e;

		off = (size_t)snprintf(js, sizeof(js), "{\"keys\":[");
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(js + off, sizeof(js) - off,
			    "%s{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
			    "\"%s\",\"kid\":\"k%d\"}", i ? "," : "", x1, i);
		snprintf(js + off, sizeof(js) - off, "]}");
		if (n == 16) {
			CHECK(parse(&ks, js, &e) == 0);
			CHECK(ks.n == 16);
			CHECK(bkey_jwks_find(&ks, "k15") != NULL);
			bkey_jwks_free(&ks);
		} else
			CHECK(refused(js));
	}
}

int
main(void)
{
	unsigned char sk[64];

	unit_suite = "jwks";
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk1, sk);
	crypto_sign_keypair(pk2, sk);
	sodium_memzero(sk, sizeof(sk));
	b64(pk1, 32, x1, sizeof(x1));
	b64(pk2, 32, x2, sizeof(x2));
	RUN(one_okp_key);
	RUN(key_without_kid);
	RUN(find_by_kid_of_two);
	RUN(rsa_and_others_skipped);
	RUN(key_ops_checked);
	RUN(only_rsa_is_no_usable_key);
	RUN(private_key_refused);
	RUN(x_wrong_length);
	RUN(malformed_sets);
	RUN(duplicate_kid_refused);
	RUN(kid_too_long_skipped);
	RUN(sixteen_keys_cap);
	UNIT_DONE();
}
