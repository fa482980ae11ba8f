/* SPDX-License-Identifier: ISC */
/*
 * JSON Web Key Sets. OKP / Ed25519, EC P-256 / P-384 and RSA signing keys
 * are kept, each with the algorithms it may verify; everything else is
 * skipped. A set that publishes a private key ("d") is refused as a
 * whole: a server that leaks its signing key cannot be trusted for any key.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "config.h"
#include "json.h"
#include "jwks.h"
#include "jws_ossl.h"
#include "result.h"

#define JWKS_MAX_KEYS 16

/* Optional member equal to want when present: 1 ok, 0 not ok. */
static int
member_is(const bkey_json *j, int obj, const char *key, const char *want,
    int required)
{
	char *s = NULL;
	int r, ok;

	r = bkey_json_opt_str(j, obj, key, &s);
	if (r == 0)
		return !required;
	ok = (r == 1 && strcmp(s, want) == 0);
	free(s);
	return ok;
}

/*
 * key_ops (RFC 7517 4.3), when present, must be an array of strings that
 * holds "verify". 1 usable for verifying, 0 not (absent is usable).
 */
static int
key_ops_allow_verify(const bkey_json *j, int obj)
{
	char *s = NULL;
	int v, n, i, el, found = 0;

	if ((v = bkey_json_find(j, obj, "key_ops")) < 0)
		return 1;
	if (bkey_json_type_of(j, v) != BKEY_JSON_ARRAY)
		return 0;
	n = bkey_json_size(j, v);
	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(j, v, i);
		if (el < 0 || bkey_json_type_of(j, el) != BKEY_JSON_STRING ||
		    bkey_json_str(j, el, &s) != 0)
			return 0;
		found |= strcmp(s, "verify") == 0;
		free(s);
		s = NULL;
	}
	return found;
}

/*
 * A base64url member decoded into buf: exactly want bytes, or (want 0)
 * 1 to cap bytes, *len set. 0 / -1.
 */
static int
b64_member(const bkey_json *j, int obj, const char *key, unsigned char *buf,
    size_t cap, size_t want, size_t *len)
{
	char *v = NULL;
	size_t got = 0;
	int ret = -1;

	/* One spare byte of room so an over-long value fails, not fits. */
	if (bkey_json_opt_str(j, obj, key, &v) != 1 ||
	    bkey_b64url_decode(v, strlen(v), buf, cap + 1, &got) != 0)
		goto out;
	if (got == 0 || got > cap || (want != 0 && got != want))
		goto out;
	if (len != NULL)
		*len = got;
	ret = 0;
out:
	free(v);
	return ret;
}

/* OKP / Ed25519: x is the 32-byte public key. 0 / -1. */
static int
okp_key(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	unsigned char pk[sizeof(k->pk) + 1];

	if (!member_is(j, obj, "crv", "Ed25519", 1) ||
	    b64_member(j, obj, "x", pk, sizeof(k->pk), sizeof(k->pk), NULL) !=
		0)
		return -1;
	memcpy(k->pk, pk, sizeof(k->pk));
	k->algs = BKEY_ALG_EDDSA;
	return 0;
}

/* EC P-256 / P-384: x and y of the curve's size, a point on it. 0 / -1. */
static int
ec_key(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	unsigned char x[49], y[49];
	size_t clen;

	if (member_is(j, obj, "crv", "P-256", 1)) {
		clen = 32;
		k->algs = BKEY_ALG_ES256;
	} else if (member_is(j, obj, "crv", "P-384", 1)) {
		clen = 48;
		k->algs = BKEY_ALG_ES384;
	} else
		return -1;
	if (b64_member(j, obj, "x", x, clen, clen, NULL) != 0 ||
	    b64_member(j, obj, "y", y, clen, clen, NULL) != 0)
		return -1;
	return bkey_jws_ec_key(x, y, clen, &k->pkey);
}

/* RSA: n and e; the size and e checks are bkey_jws_rsa_key's. 0 / -1. */
static int
rsa_key(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	unsigned char n[BKEY_RSA_MAX_BITS / 8 + 2], e[9];
	size_t nlen = 0, elen = 0;

	/* One byte over the largest modulus: room for a leading zero. */
	if (b64_member(j, obj, "n", n, sizeof(n) - 1, 0, &nlen) != 0 ||
	    b64_member(j, obj, "e", e, sizeof(e) - 1, 0, &elen) != 0)
		return -1;
	k->algs = BKEY_ALG_RS256 | BKEY_ALG_PS256;
	return bkey_jws_rsa_key(n, nlen, e, elen, &k->pkey);
}

/* The key's own alg, when it names one, narrows what it verifies. */
static int
narrow_to_alg(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	char *alg = NULL;
	int r;

	r = bkey_json_opt_str(j, obj, "alg", &alg);
	if (r == 1)
		k->algs &= bkey_alg_bit(alg, strlen(alg));
	free(alg);
	return r < 0 ? -1 : 0;
}

static int
key_kid(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	char *kid = NULL;
	size_t kidlen;
	int r, ret = -1;

	r = bkey_json_opt_str(j, obj, "kid", &kid);
	if (r < 0)
		goto out;
	if (r == 1) {
		kidlen = strlen(kid);
		if (kidlen == 0 || kidlen >= sizeof(k->kid))
			goto out;
		memcpy(k->kid, kid, kidlen + 1);
	}
	ret = 0;
out:
	free(kid);
	return ret;
}

static void
jwk_clear(struct bkey_jwk *k)
{
	bkey_jws_key_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

/*
 * Examine one JWK. Returns 1 with *k filled when usable for one of algs,
 * 0 when skipped. A private key has already been ruled out by the caller.
 */
static int
parse_key(const bkey_json *j, int obj, unsigned algs, struct bkey_jwk *k)
{
	int r = -1;

	memset(k, 0, sizeof(*k));
	if (!member_is(j, obj, "use", "sig", 0) ||
	    !key_ops_allow_verify(j, obj))
		goto out;
	if (member_is(j, obj, "kty", "OKP", 1))
		r = (algs & BKEY_ALG_EDDSA) ? okp_key(j, obj, k) : -1;
	else if (member_is(j, obj, "kty", "EC", 1))
		r = (algs & (BKEY_ALG_ES256 | BKEY_ALG_ES384)) ?
		    ec_key(j, obj, k) :
		    -1;
	else if (member_is(j, obj, "kty", "RSA", 1))
		r = (algs & (BKEY_ALG_RS256 | BKEY_ALG_PS256)) ?
		    rsa_key(j, obj, k) :
		    -1;
	if (r == 0 &&
	    (narrow_to_alg(j, obj, k) != 0 || key_kid(j, obj, k) != 0))
		r = -1;
	k->algs &= algs;
out:
	if (r != 0 || k->algs == 0) {
		jwk_clear(k);
		return 0;
	}
	return 1;
}

/* Members that only a private (or secret) key has (RFC 7518 6.2.2, 6.3.2). */
static int
has_private_member(const bkey_json *j, int obj)
{
	static const char *const priv[] = {
		"d",
		"p",
		"q",
		"dp",
		"dq",
		"qi",
		"oth",
	};
	size_t i;

	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (bkey_json_find(j, obj, priv[i]) >= 0)
			return 1;
	return 0;
}

/* First pass: every key an object, and no private key anywhere in the
 * set. 0 / -1 with err. */
static int
check_shape(const bkey_json *j, int arr, int n, bkey_error *err)
{
	int i, el;

	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(j, arr, i);
		if (el < 0 || bkey_json_type_of(j, el) != BKEY_JSON_OBJECT)
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS key %d is not an object", i);
		if (has_private_member(j, el))
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS publishes a private key");
	}
	return 0;
}

/* Keep the usable key k (cleared on refusal). 0 / -1 with err. */
static int
add_key(struct bkey_jwks *ks, struct bkey_jwk *k, bkey_error *err)
{
	size_t a;

	/* Two keys under one kid would make the choice ambiguous. */
	for (a = 0; k->kid[0] != '\0' && a < ks->n; a++) {
		if (strcmp(ks->keys[a].kid, k->kid) == 0) {
			jwk_clear(k);
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS has two keys with one kid");
		}
	}
	if (ks->n == JWKS_MAX_KEYS) {
		jwk_clear(k);
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "JWKS has more than %d usable keys", JWKS_MAX_KEYS);
	}
	ks->keys[ks->n++] = *k;
	return 0;
}

int
bkey_jwks_parse_algs(struct bkey_jwks *ks, const char *json, size_t len,
    unsigned algs, bkey_error *err)
{
	bkey_json j;
	struct bkey_jwk k;
	int arr, n, i, el, parsed = 0, ret = -1;

	if (ks == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "JWKS: no output");
	ks->keys = NULL;
	ks->n = 0;
	if (algs == 0)
		algs = BKEY_ALG_EDDSA;
	memset(&j, 0, sizeof(j));
	if (json == NULL || bkey_json_parse(&j, json, len) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "JWKS is not valid JSON");
		goto out;
	}
	parsed = 1;
	arr = bkey_json_find(&j, 0, "keys");
	if (arr < 0 || bkey_json_type_of(&j, arr) != BKEY_JSON_ARRAY) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "JWKS has no \"keys\" array");
		goto out;
	}
	n = bkey_json_size(&j, arr);
	if (check_shape(&j, arr, n, err) != 0)
		goto out;
	ks->keys = calloc(JWKS_MAX_KEYS, sizeof(*ks->keys));
	if (ks->keys == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(&j, arr, i);
		if (parse_key(&j, el, algs, &k) && add_key(ks, &k, err) != 0)
			goto out;
	}
	if (ks->n == 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    algs == BKEY_ALG_EDDSA ?
			"JWKS has no usable Ed25519 key" :
			"JWKS has no usable key for token_algs");
		goto out;
	}
	ret = 0;
out:
	if (parsed)
		bkey_json_free(&j);
	if (ret != 0)
		bkey_jwks_free(ks);
	return ret;
}

int
bkey_jwks_parse(struct bkey_jwks *ks, const char *json, size_t len,
    bkey_error *err)
{
	return bkey_jwks_parse_algs(ks, json, len, BKEY_ALG_EDDSA, err);
}

void
bkey_jwks_free(struct bkey_jwks *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; ks->keys != NULL && i < ks->n; i++)
		bkey_jws_key_free(ks->keys[i].pkey);
	free(ks->keys);
	ks->keys = NULL;
	ks->n = 0;
}

const struct bkey_jwk *
bkey_jwks_find(const struct bkey_jwks *ks, const char *kid)
{
	size_t i;

	if (ks == NULL || ks->keys == NULL || ks->n == 0)
		return NULL;
	if (kid == NULL)
		return ks->n == 1 ? &ks->keys[0] : NULL;
	/* An empty kid names no key: keys without a kid store "". */
	if (kid[0] == '\0')
		return NULL;
	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	return NULL;
}
