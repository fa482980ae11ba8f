/* SPDX-License-Identifier: ISC */
/* JWKS parsing: Ed25519, EC and RSA signing keys survive (by token_algs);
 * private keys poison the set. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "jwks.h"
#include "result.h"
#include "unit.h"
#include "ossl_keys.h"

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

/* ---- EC and RSA keys (issue 13) --------------------------------------- */

#define ALL_ALGS (BKEY_ALG_EDDSA | BKEY_ALG_ES256 | BKEY_ALG_ES384 | \
    BKEY_ALG_RS256 | BKEY_ALG_PS256)

static EVP_PKEY *rsa2048, *rsa1024, *p256, *p384;

static int
parse_algs(struct bkey_jwks *ks, const char *json, unsigned algs)
{
	bkey_error e;

	memset(&e, 0, sizeof(e));
	return bkey_jwks_parse_algs(ks, json, strlen(json), algs, &e);
}

/* A set of one key {members,extra} parsed for every algorithm: the algs
 * it may verify, 0 when it was skipped, -1 when the set was refused. */
static int
one_key_algs(const char *members, const char *extra)
{
	struct bkey_jwks ks;
	char js[4096];
	int r;

	snprintf(js, sizeof(js), "{\"keys\":[{%s%s}]}", members, extra);
	if (parse_algs(&ks, js, ALL_ALGS) != 0)
		return 0;
	r = ks.n == 1 ? (int)ks.keys[0].algs : -1;
	if (ks.n == 1 && ks.keys[0].algs != BKEY_ALG_EDDSA &&
	    ks.keys[0].pkey == NULL)
		r = -1;
	bkey_jwks_free(&ks);
	return r;
}

static void
ec_and_rsa_keys(void)
{
	struct bkey_jwks ks;
	char js[16384], a[3200], b[3200], c[3200];

	tk_jwk_members(rsa2048, a, sizeof(a));
	tk_jwk_members(p256, b, sizeof(b));
	tk_jwk_members(p384, c, sizeof(c));
	CHECK(one_key_algs(a, "") == (int)(BKEY_ALG_RS256 | BKEY_ALG_PS256));
	CHECK(one_key_algs(b, "") == (int)BKEY_ALG_ES256);
	CHECK(one_key_algs(c, ",\"use\":\"sig\",\"key_ops\":[\"verify\"]") ==
	    (int)BKEY_ALG_ES384);
	CHECK(one_key_algs(b, ",\"use\":\"enc\"") == 0);
	CHECK(one_key_algs(a, ",\"key_ops\":[\"sign\"]") == 0);
	snprintf(js, sizeof(js), "{\"keys\":[{%s,\"kid\":\"r\"},"
	    "{%s,\"kid\":\"e1\"},{%s,\"kid\":\"e3\"},{\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"k\"}]}", a, b, c, x1);
	CHECK(parse_algs(&ks, js, ALL_ALGS) == 0 && ks.n == 4);
	bkey_jwks_free(&ks);
	/* Only the keys token_algs can use are kept: by default, as before,
	 * the Ed25519 key alone. */
	CHECK(parse(&ks, js, &(bkey_error){ 0 }) == 0 && ks.n == 1 &&
	    bkey_jwks_find(&ks, "k") != NULL);
	bkey_jwks_free(&ks);
	CHECK(parse_algs(&ks, js, 0) == 0 && ks.n == 1);
	bkey_jwks_free(&ks);
	CHECK(parse_algs(&ks, js, BKEY_ALG_ES256 | BKEY_ALG_PS256) == 0 &&
	    ks.n == 2 && bkey_jwks_find(&ks, "e1") != NULL &&
	    bkey_jwks_find(&ks, "r") != NULL &&
	    bkey_jwks_find(&ks, "r")->algs == BKEY_ALG_PS256);
	bkey_jwks_free(&ks);
	snprintf(js, sizeof(js), "{\"keys\":[{%s}]}", a);
	CHECK(parse_algs(&ks, js, BKEY_ALG_ES256) == -1);
}

/* A JWK's own alg narrows it; an alg its type cannot do skips it. */
static void
jwk_alg_narrows(void)
{
	char a[3200], b[3200], c[3200];

	tk_jwk_members(rsa2048, a, sizeof(a));
	tk_jwk_members(p256, b, sizeof(b));
	tk_jwk_members(p384, c, sizeof(c));
	CHECK(one_key_algs(a, ",\"alg\":\"RS256\"") == (int)BKEY_ALG_RS256);
	CHECK(one_key_algs(a, ",\"alg\":\"PS256\"") == (int)BKEY_ALG_PS256);
	CHECK(one_key_algs(a, ",\"alg\":\"ES256\"") == 0);
	CHECK(one_key_algs(a, ",\"alg\":\"EdDSA\"") == 0);
	CHECK(one_key_algs(a, ",\"alg\":\"HS256\"") == 0);
	CHECK(one_key_algs(a, ",\"alg\":\"RS512\"") == 0);
	CHECK(one_key_algs(a, ",\"alg\":7") == 0);
	CHECK(one_key_algs(b, ",\"alg\":\"ES256\"") == (int)BKEY_ALG_ES256);
	CHECK(one_key_algs(b, ",\"alg\":\"ES384\"") == 0);
	CHECK(one_key_algs(c, ",\"alg\":\"ES256\"") == 0);
	CHECK(one_key_algs(c, ",\"alg\":\"RS256\"") == 0);
}

/* n of 2048 bits or more, e odd and small. */
static void
rsa_limits(void)
{
	char a[3200], n[1500], m[3200];

	tk_jwk_members(rsa1024, a, sizeof(a));
	CHECK(one_key_algs(a, "") == 0);
	tk_bn_b64(rsa2048, OSSL_PKEY_PARAM_RSA_N, 0, n, sizeof(n));
	snprintf(m, sizeof(m), "\"kty\":\"RSA\",\"n\":\"%s\"", n);
	CHECK(one_key_algs(m, ",\"e\":\"AQAB\"") ==
	    (int)(BKEY_ALG_RS256 | BKEY_ALG_PS256));
	CHECK(one_key_algs(m, ",\"e\":\"Aw\"") ==	/* 3 */
	    (int)(BKEY_ALG_RS256 | BKEY_ALG_PS256));
	CHECK(one_key_algs(m, ",\"e\":\"AAEAAQ\"") ==	/* leading zero */
	    (int)(BKEY_ALG_RS256 | BKEY_ALG_PS256));
	CHECK(one_key_algs(m, ",\"e\":\"AQ\"") == 0);	/* 1 */
	CHECK(one_key_algs(m, ",\"e\":\"AQAA\"") == 0);	/* even */
	CHECK(one_key_algs(m, ",\"e\":\"AQAAAAE\"") == 0);	/* > 2^32 */
	CHECK(one_key_algs(m, ",\"e\":\"\"") == 0);
	CHECK(one_key_algs(m, ",\"e\":65537") == 0);
	CHECK(one_key_algs(m, "") == 0);		/* no e */
	CHECK(one_key_algs("\"kty\":\"RSA\",\"e\":\"AQAB\"", "") == 0);
	CHECK(one_key_algs("\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"",
	    "") == 0);
	/* An even modulus is no RSA modulus. */
	n[strlen(n) - 1] = 'A';
	snprintf(m, sizeof(m), "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"",
	    n);
	CHECK(one_key_algs(m, "") == 0);
}

/* EC coordinates of the curve's size, a point on the curve. */
static void
ec_point_checks(void)
{
	char x[100], y[100], m[400];
	unsigned char z[48];

	tk_bn_b64(p256, OSSL_PKEY_PARAM_EC_PUB_X, 32, x, sizeof(x));
	tk_bn_b64(p256, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y, sizeof(y));
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == (int)BKEY_ALG_ES256);
	/* P-256 coordinates labelled P-384, or as OKP. */
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == 0);
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"Ed25519\","
	    "\"x\":\"%s\"", x);
	CHECK(one_key_algs(m, "") == 0);
	snprintf(m, sizeof(m), "\"kty\":\"OKP\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == 0);
	/* y changed in its last bit: off the curve. */
	y[strlen(y) - 1] = y[strlen(y) - 1] == 'A' ? 'Q' : 'A';
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == 0);
	/* (0, 0), and coordinates a byte short or long. */
	memset(z, 0, sizeof(z));
	tk_b64(z, 32, y, sizeof(y));
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"", y, y);
	CHECK(one_key_algs(m, "") == 0);
	tk_bn_b64(p256, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y, sizeof(y));
	tk_bn_b64(p256, OSSL_PKEY_PARAM_EC_PUB_X, 33, x, sizeof(x));
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == 0);
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\"",
	    x);
	CHECK(one_key_algs(m, "") == 0);		/* no y */
	snprintf(m, sizeof(m), "\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"%s\","
	    "\"y\":\"%s\"", x, y);
	CHECK(one_key_algs(m, "") == 0);
}

/* Any private member poisons the set, whatever the key type. */
static void
private_members_refused(void)
{
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi",
	    "oth" };
	char a[3200], js[4096];
	size_t i;

	tk_jwk_members(rsa2048, a, sizeof(a));
	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		snprintf(js, sizeof(js), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
		    "\"Ed25519\",\"x\":\"%s\"},{%s,\"%s\":\"AQAB\"}]}", x1, a,
		    priv[i]);
		CHECK(refused(js));
	}
	tk_jwk_members(p256, a, sizeof(a));
	snprintf(js, sizeof(js), "{\"keys\":[{%s,\"d\":\"AQAB\"}]}", a);
	CHECK(refused(js));
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
	rsa2048 = tk_rsa(2048);
	rsa1024 = tk_rsa(1024);
	p256 = tk_ec("P-256");
	p384 = tk_ec("P-384");
	RUN(ec_and_rsa_keys);
	RUN(jwk_alg_narrows);
	RUN(rsa_limits);
	RUN(ec_point_checks);
	RUN(private_members_refused);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	UNIT_DONE();
}
